/* lib_load.h: a library opened by its SONAME the first time a feature needs it. */
#ifndef TTY_LIB_LOAD_H
#define TTY_LIB_LOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* One function the library is used through: its name and where its pointer goes in the
 * caller's table (a struct of function pointers). */
struct lib_sym {
	const char *name;
	size_t offset;
};

#define LIB_SYM(table_type, field, name) { name, offsetof(table_type, field) }

/* A library loaded on first use. Define one statically with LIB_LAZY_INIT; lib_lazy_get()
 * may then be called from any thread. The first call loads (dlopen + dlsym of every
 * function: all or nothing) under the lock; later calls cost one atomic load. A failure
 * is remembered: the library is not looked for again in this run. */
struct lib_lazy {
	const char *soname;
	const struct lib_sym *syms;
	size_t nsyms;
	void *table;
	pthread_mutex_t lock;
	atomic_int state;       /* 0: not tried, 1: loaded, -1: failed (error[] says why) */
	char error[256];        /* written under lock before state turns -1, read after */
};

#define LIB_LAZY_INIT(soname_, syms_, table_) { \
	.soname = (soname_), .syms = (syms_), .nsyms = sizeof(syms_) / sizeof((syms_)[0]), \
	.table = (table_), .lock = PTHREAD_MUTEX_INITIALIZER }

/* What follows a library's list of functions in its lib_NAME.c: the table (a struct
 * named like the library), its lib_lazy (NAME_lazy) and the getter every caller uses,
 *   const struct NAME *NAME(char *why, size_t whylen);   (lib_lazy_get's table) */
#define LIB_LAZY_DEFINE(name, soname, syms) \
	static struct name name##_table; \
	static struct lib_lazy name##_lazy = LIB_LAZY_INIT(soname, syms, &name##_table); \
	const struct name *name(char *why, size_t whylen) \
	{ \
		return lib_lazy_get(&name##_lazy, why, whylen); \
	}

/* The filled table, or NULL with the reason in why ("cannot load libsrtp2.so.1: ..."). */
const void *lib_lazy_get(struct lib_lazy *l, char *why, size_t whylen);

/* The table if the library is loaded already, else NULL; never loads, never blocks: for
 * the media thread, which must not wait for a disk. */
const void *lib_lazy_peek(struct lib_lazy *l);

#endif
