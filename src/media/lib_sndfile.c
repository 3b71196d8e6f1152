/* lib_sndfile.c: the functions ttyphone uses of libsndfile, looked up on first use. */
#include "lib_sndfile.h"
#include "lib_load.h"
#include "ttyconf.h"

#define S(field, name) LIB_SYM(struct lib_sndfile, field, name)
static const struct lib_sym syms[] = {
	S(open, "sf_open"),
	S(close, "sf_close"),
	S(readf_short, "sf_readf_short"),
	S(writef_short, "sf_writef_short"),
	S(seek, "sf_seek"),
	S(strerror, "sf_strerror"),
};

LIB_LAZY_DEFINE(lib_sndfile, TTY_SONAME_SNDFILE, syms)
