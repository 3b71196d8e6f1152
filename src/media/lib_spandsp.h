/* lib_spandsp.h: spandsp's G.711 concealment and G.722 codec, loaded when a call first uses
 * G.711 or G.722 (lib_load.c says why). */
#ifndef TTY_LIB_SPANDSP_H
#define TTY_LIB_SPANDSP_H

#include <stddef.h>
#include <spandsp.h>

struct lib_spandsp {
	__typeof__(plc_init) *plc_init;
	__typeof__(plc_rx) *plc_rx;
	__typeof__(plc_fillin) *plc_fillin;
	__typeof__(g722_encode_init) *g722_encode_init;
	__typeof__(g722_encode) *g722_encode;
	__typeof__(g722_encode_free) *g722_encode_free;
	__typeof__(g722_decode_init) *g722_decode_init;
	__typeof__(g722_decode) *g722_decode;
	__typeof__(g722_decode_free) *g722_decode_free;
};

/* The functions, or NULL with the reason in why. Any thread. */
const struct lib_spandsp *lib_spandsp(char *why, size_t whylen);

/* lib_spandsp() as a codec's load hook (struct codec.load): 0, or -1 with why. */
int lib_spandsp_load(char *why, size_t whylen);

/* The functions if an earlier lib_spandsp() loaded them, else NULL. Never blocks. */
const struct lib_spandsp *lib_spandsp_loaded(void);

#endif
