/* lib_pulse.h: libpulse-simple (and the libpulse calls the start-up probe makes), loaded
 * when the PulseAudio backend first opens a device (lib_load.c says why). */
#ifndef TTY_LIB_PULSE_H
#define TTY_LIB_PULSE_H

#include <stddef.h>
#include <pulse/pulseaudio.h>
#include <pulse/simple.h>

struct lib_pulse {
	__typeof__(pa_simple_new) *simple_new;
	__typeof__(pa_simple_free) *simple_free;
	__typeof__(pa_simple_read) *simple_read;
	__typeof__(pa_simple_write) *simple_write;
	__typeof__(pa_simple_flush) *simple_flush;
	__typeof__(pa_simple_get_latency) *simple_get_latency;
	__typeof__(pa_strerror) *strerror;
	__typeof__(pa_mainloop_new) *mainloop_new;
	__typeof__(pa_mainloop_free) *mainloop_free;
	__typeof__(pa_mainloop_get_api) *mainloop_get_api;
	__typeof__(pa_mainloop_prepare) *mainloop_prepare;
	__typeof__(pa_mainloop_poll) *mainloop_poll;
	__typeof__(pa_mainloop_dispatch) *mainloop_dispatch;
	__typeof__(pa_context_new) *context_new;
	__typeof__(pa_context_connect) *context_connect;
	__typeof__(pa_context_disconnect) *context_disconnect;
	__typeof__(pa_context_unref) *context_unref;
	__typeof__(pa_context_get_state) *context_get_state;
	__typeof__(pa_context_errno) *context_errno;
};

/* The functions, or NULL with the reason in why. Any thread. */
const struct lib_pulse *lib_pulse(char *why, size_t whylen);

#endif
