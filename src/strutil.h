/* strutil.h: bounded string helpers shared by every module. */
#ifndef TTY_STRUTIL_H
#define TTY_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Copy src into dst[size]; returns 0, or -1 if src did not fit (dst then holds a prefix). */
/* Format a reason a person can act on into why (if there is room) and return -1: the one
 * "fail with why" of every parser and writer that reports in words. */
int str_fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int str_copy(char *dst, size_t size, const char *src);
/* Copy at most n bytes of src. Same result convention. */
int str_ncopy(char *dst, size_t size, const char *src, size_t n);
/* Strip leading and trailing whitespace in place; returns s. */
char *str_trim(char *s);
/* Case-insensitive equality. */
bool str_ieq(const char *a, const char *b);
/* Split the next whitespace-separated word off *cursor into word[size]; returns false at end.
 * A word longer than size is an error: *toolong is set and false returned. */
bool str_next_word(const char **cursor, char *word, size_t size, bool *toolong);
/* Parse a boolean written as yes/no, true/false, on/off, 1/0. */
int str_parse_bool(const char *s, bool *out);
/* Parse an unsigned decimal within [min, max]. */
int str_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 if it is not one (overlong
 * forms, surrogates and code points past U+10FFFF are invalid). */
size_t str_utf8_len(const unsigned char *p, size_t n);
/* Write code point cp (at most U+10FFFF) as UTF-8 into o (room for 4 bytes); returns the
 * number of bytes written. */
size_t str_utf8_put(unsigned cp, char *o);
/* Make untrusted text safe to show on a terminal: control characters and ESC become visible
 * escapes (\e, \x07, \n as "\n" unless keep_newlines), invalid UTF-8 becomes "\xNN".
 * Always terminates dst; returns the length written. */
size_t str_escape_terminal(char *dst, size_t size, const char *src, size_t len, bool keep_newlines);
/* Whether needle occurs in hay, ignoring case, character by character: whole UTF-8
 * characters are compared after a simple case folding of the Latin, Greek and Cyrillic
 * letters (the same whatever the locale); invalid bytes only match themselves. An empty
 * needle is found everywhere. */
bool str_casefind(const char *hay, const char *needle);
/* Whether s starts with prefix, with str_casefind's folding (Tab completion of names). */
bool str_casestarts(const char *s, const char *prefix);
/* The simple lower-case fold str_casefind uses, for one code point. */
unsigned str_fold(unsigned cp);

#endif
