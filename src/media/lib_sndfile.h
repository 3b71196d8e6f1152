/* lib_sndfile.h: libsndfile, loaded when the file backend or a recording first opens a WAV
 * file (lib_load.c says why). */
#ifndef TTY_LIB_SNDFILE_H
#define TTY_LIB_SNDFILE_H

#include <stddef.h>
#include <sndfile.h>

struct lib_sndfile {
	__typeof__(sf_open) *open;
	__typeof__(sf_close) *close;
	__typeof__(sf_readf_short) *readf_short;
	__typeof__(sf_writef_short) *writef_short;
	__typeof__(sf_seek) *seek;
	__typeof__(sf_strerror) *strerror;
};

/* The functions, or NULL with the reason in why. Any thread. */
const struct lib_sndfile *lib_sndfile(char *why, size_t whylen);

#endif
