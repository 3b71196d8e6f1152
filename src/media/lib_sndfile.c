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

static struct lib_sndfile table;
static struct lib_lazy lazy = LIB_LAZY_INIT(TTY_SONAME_SNDFILE, syms, &table);

const struct lib_sndfile *lib_sndfile(char *why, size_t whylen)
{
	return lib_lazy_get(&lazy, why, whylen);
}
