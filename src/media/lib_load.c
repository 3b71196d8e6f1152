/* lib_load.c: open an optional library by its SONAME when a call first needs it.
 *
 * Why these are not linked: Debian's builds of libsrtp2, spandsp, libsndfile and libpulse
 * bring 40 more libraries with them (NSS; libtiff with its image codecs and libstdc++;
 * FLAC, Vorbis and MP3; X11, D-Bus, systemd and gcrypt). Linked, every one of them is
 * mapped, relocated and initialised in every run, headless or not, whether or not a call
 * ever uses SRTP, G.711/G.722, a WAV file or PulseAudio. Loaded here, a run pays for what
 * it uses, as baresip's modules do (the figures are in tests/bench/README.md).
 *
 * The SONAMEs are the ones the build's -dev packages link against (configure reads them
 * from the libraries), so a different major version is refused as linking would be. A
 * library is never closed: its functions stay in use until exit. */
#include "lib_load.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int load(struct lib_lazy *l)
{
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *e = dlerror();

		snprintf(l->error, sizeof(l->error), "cannot load %s: %s", l->soname,
			 e ? e : "unknown error");
		return -1;
	}
	for (size_t i = 0; i < l->nsyms; i++) {
		void *f = dlsym(h, l->syms[i].name);

		if (!f) {
			snprintf(l->error, sizeof(l->error), "%s has no %s (not the version "
				 "ttyphone was built for)", l->soname, l->syms[i].name);
			dlclose(h);
			return -1;
		}
		/* POSIX guarantees a function's address survives the trip through void *. */
		memcpy((char *)l->table + l->syms[i].offset, &f, sizeof(f));
	}
	return 0;
}

const void *lib_lazy_get(struct lib_lazy *l, char *why, size_t whylen)
{
	int st = atomic_load_explicit(&l->state, memory_order_acquire);

	if (st == 0) {
		pthread_mutex_lock(&l->lock);
		st = atomic_load_explicit(&l->state, memory_order_relaxed);
		if (st == 0) {
			st = load(l) == 0 ? 1 : -1;
			atomic_store_explicit(&l->state, st, memory_order_release);
		}
		pthread_mutex_unlock(&l->lock);
	}
	if (st > 0)
		return l->table;
	if (why && whylen)
		snprintf(why, whylen, "%s", l->error);
	return NULL;
}

const void *lib_lazy_peek(struct lib_lazy *l)
{
	return atomic_load_explicit(&l->state, memory_order_acquire) > 0 ? l->table : NULL;
}
