/* lines.h: display text without curses: how wide a UTF-8 string is on the terminal, how
 * much of it fits in some columns, and a growable list of lines for the scrollable views
 * (message detail, help, chat), wrapped to a width. Bounded by LINES_MAX. */
#ifndef TTY_TUI_LINES_H
#define TTY_TUI_LINES_H

#include <stdbool.h>
#include <stddef.h>

#define LINES_MAX 20000

struct lines {
	char **v;
	unsigned n, cap;
	int *attr;                 /* a drawing role per line (see draw.h), 0 = normal */
};

void lines_init(struct lines *l);
void lines_clear(struct lines *l);
/* Append one line (copied); -1 when full or out of memory. */
int lines_add(struct lines *l, int attr, const char *s);
int lines_addf(struct lines *l, int attr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Append text split at its newlines, each piece wrapped to width columns; continuation rows
 * are indented by indent spaces. */
int lines_add_wrapped(struct lines *l, int attr, const char *text, int width, int indent);

/* Columns s takes on the terminal (tabs count as one; they are drawn as a space). */
int text_width(const char *s);
/* The character at s: its length in bytes (invalid bytes: 1) and its width in *w. */
size_t text_char(const char *s, size_t len, int *w);
/* Bytes of s (up to len) that fit in cols columns, whole characters only; *used gets the
 * columns they take. */
size_t text_fit(const char *s, size_t len, int cols, int *used);

#endif
