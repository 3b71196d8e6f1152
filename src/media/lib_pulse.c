/* lib_pulse.c: libpulse-simple's functions, looked up on first use. Its handle reaches
 * libpulse's own functions too (a dependency of libpulse-simple). */
#include "lib_pulse.h"
#include "lib_load.h"
#include "ttyconf.h"

#define S(field, name) LIB_SYM(struct lib_pulse, field, name)
static const struct lib_sym syms[] = {
	S(simple_new, "pa_simple_new"), S(simple_free, "pa_simple_free"),
	S(simple_read, "pa_simple_read"), S(simple_write, "pa_simple_write"),
	S(simple_flush, "pa_simple_flush"), S(simple_get_latency, "pa_simple_get_latency"),
	S(strerror, "pa_strerror"),
	S(mainloop_new, "pa_mainloop_new"), S(mainloop_free, "pa_mainloop_free"),
	S(mainloop_get_api, "pa_mainloop_get_api"), S(mainloop_prepare, "pa_mainloop_prepare"),
	S(mainloop_poll, "pa_mainloop_poll"), S(mainloop_dispatch, "pa_mainloop_dispatch"),
	S(context_new, "pa_context_new"), S(context_connect, "pa_context_connect"),
	S(context_disconnect, "pa_context_disconnect"), S(context_unref, "pa_context_unref"),
	S(context_get_state, "pa_context_get_state"), S(context_errno, "pa_context_errno"),
};

LIB_LAZY_DEFINE(lib_pulse, TTY_SONAME_PULSE_SIMPLE, syms)
