/* lines.c: see lines.h. Widths come from the C library (mbrtowc, wcwidth), as curses does
 * it, so what we measure is what curses draws. */
#include "lines.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

void lines_init(struct lines *l)
{
	memset(l, 0, sizeof(*l));
}

void lines_clear(struct lines *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->attr);
	memset(l, 0, sizeof(*l));
}

static int add_n(struct lines *l, int attr, const char *s, size_t n)
{
	char *copy;

	if (l->n == LINES_MAX)
		return -1;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));
		int *a;
		if (!v)
			return -1;
		l->v = v;
		a = realloc(l->attr, cap * sizeof(*a));
		if (!a)
			return -1;
		l->attr = a;
		l->cap = cap;
	}
	copy = malloc(n + 1);
	if (!copy)
		return -1;
	memcpy(copy, s, n);
	copy[n] = '\0';
	l->v[l->n] = copy;
	l->attr[l->n] = attr;
	l->n++;
	return 0;
}

int lines_add(struct lines *l, int attr, const char *s)
{
	return add_n(l, attr, s, strlen(s));
}

int lines_addf(struct lines *l, int attr, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return lines_add(l, attr, buf);
}

/* One character at s: its byte length and its width. Invalid bytes count as one column. */
size_t text_char(const char *s, size_t len, int *w)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;

	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, s, len, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*w = 1;
		return 1;
	}
	*w = wc == L'\t' ? 1 : wcwidth(wc);
	if (*w < 0)
		*w = 1;
	return n;
}

int text_width(const char *s)
{
	size_t len = strlen(s), i = 0;
	int cols = 0, w;

	while (i < len) {
		i += text_char(s + i, len - i, &w);
		cols += w;
	}
	return cols;
}

size_t text_fit(const char *s, size_t len, int cols, int *used)
{
	size_t i = 0;
	int u = 0, w;

	while (i < len && s[i]) {
		size_t n = text_char(s + i, len - i, &w);
		if (u + w > cols)
			break;
		u += w;
		i += n;
	}
	if (used)
		*used = u;
	return i;
}

int lines_add_wrapped(struct lines *l, int attr, const char *text, int width, int indent)
{
	const char *p = text;
	char buf[4096];

	if (width < 8)
		width = 8;
	if (indent > width / 2)
		indent = width / 2;
	for (;;) {
		size_t linelen = strcspn(p, "\n");
		const char *q = p;
		bool first = true;

		do {
			int room = first ? width : width - indent, used;
			size_t n = text_fit(q, linelen - (size_t)(q - p), room, &used);
			if (n == 0 && q < p + linelen)
				n = 1; /* a character wider than the view: take it anyway */
			if (n + (size_t)indent + 1 > sizeof(buf))
				n = sizeof(buf) - (size_t)indent - 1;
			if (first) {
				memcpy(buf, q, n);
				buf[n] = '\0';
			} else {
				memset(buf, ' ', (size_t)indent);
				memcpy(buf + indent, q, n);
				buf[(size_t)indent + n] = '\0';
			}
			if (lines_add(l, attr, buf) < 0)
				return -1;
			q += n;
			first = false;
		} while (q < p + linelen);
		if (!p[linelen])
			break;
		p += linelen + 1;
	}
	return 0;
}
