/* lib_spandsp.c: the functions ttyphone uses of spandsp, looked up on first use. */
#include "lib_spandsp.h"
#include "lib_load.h"
#include "ttyconf.h"

#define S(field, name) LIB_SYM(struct lib_spandsp, field, name)
static const struct lib_sym syms[] = {
	S(plc_init, "plc_init"),
	S(plc_rx, "plc_rx"),
	S(plc_fillin, "plc_fillin"),
	S(g722_encode_init, "g722_encode_init"),
	S(g722_encode, "g722_encode"),
	S(g722_encode_free, "g722_encode_free"),
	S(g722_decode_init, "g722_decode_init"),
	S(g722_decode, "g722_decode"),
	S(g722_decode_free, "g722_decode_free"),
};

LIB_LAZY_DEFINE(lib_spandsp, TTY_SONAME_SPANDSP, syms)

const struct lib_spandsp *lib_spandsp_loaded(void)
{
	return lib_lazy_peek(&lib_spandsp_lazy);
}

int lib_spandsp_load(char *why, size_t whylen)
{
	return lib_spandsp(why, whylen) ? 0 : -1;
}
