/* jsonget.h: reading fields of the app's events, which are flat JSON objects (json.h writes
 * them). Only what the TUI and the history recorder need: a top-level key's string, integer,
 * number or boolean.
 * Strings come back decoded to UTF-8, so they may hold control characters from the network:
 * escape them (str_escape_terminal) before they reach the terminal. */
#ifndef TTY_JSONGET_H
#define TTY_JSONGET_H

#include <stdbool.h>
#include <stddef.h>

/* False if the key is missing or not a string; out then holds "". A value longer than out
 * is cut at a character boundary. */
bool json_get_str(const char *json, const char *key, char *out, size_t size);
bool json_get_int(const char *json, const char *key, long long *out);
bool json_get_double(const char *json, const char *key, double *out);
bool json_get_bool(const char *json, const char *key, bool *out);

#endif
