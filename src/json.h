/* json.h: writing one JSON object per line into a fixed buffer, for the headless events.
 * Strings from the network are escaped and invalid UTF-8 replaced, so every line is valid
 * JSON whatever a peer sends. A value that does not fit marks the writer overflowed. */
#ifndef TTY_JSON_H
#define TTY_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct jw {
	char *buf;
	size_t size, len;
	unsigned depth;
	bool need_comma;
	bool overflow;
};

void jw_begin(struct jw *w, char *buf, size_t size);   /* writes "{" */
void jw_str(struct jw *w, const char *key, const char *val);
void jw_strn(struct jw *w, const char *key, const char *val, size_t len);
void jw_int(struct jw *w, const char *key, long long val);
void jw_double(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);
void jw_array_begin(struct jw *w, const char *key);    /* key may be NULL inside an array */
void jw_array_end(struct jw *w);
void jw_object_begin(struct jw *w, const char *key);
void jw_object_end(struct jw *w);
void jw_array_str(struct jw *w, const char *val);     /* a string element */
/* Close the top object; returns buf, or NULL if anything overflowed. */
const char *jw_end(struct jw *w);

#endif
