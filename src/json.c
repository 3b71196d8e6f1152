/* json.c: bounded JSON writer (see json.h). Hand-written because it is 150 lines and the
 * JSON libraries in Debian allocate per value; events are written on the main thread. */
#include "json.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (w->len + n >= w->size) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void puts_(struct jw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_string(struct jw *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	put(w, "\"", 1);
	for (size_t i = 0; i < len && !w->overflow;) {
		size_t ulen;

		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)p[i];
			put(w, esc, 2);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7F) {
			switch (p[i]) {
			case '\n': puts_(w, "\\n"); break;
			case '\r': puts_(w, "\\r"); break;
			case '\t': puts_(w, "\\t"); break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
				puts_(w, esc);
			}
			i++;
		} else if ((ulen = str_utf8_len(p + i, len - i)) == 0) {
			puts_(w, "\\ufffd");
			i++;
		} else {
			put(w, s + i, ulen);
			i += ulen;
		}
	}
	put(w, "\"", 1);
}

static void key(struct jw *w, const char *k)
{
	if (w->need_comma)
		put(w, ",", 1);
	w->need_comma = true;
	if (k) {
		put_string(w, k, strlen(k));
		put(w, ":", 1);
	}
}

void jw_begin(struct jw *w, char *buf, size_t size)
{
	w->buf = buf;
	w->size = size;
	w->len = 0;
	w->depth = 1;
	w->need_comma = false;
	w->overflow = size < 2;
	if (size)
		buf[0] = '\0';
	put(w, "{", 1);
}

void jw_strn(struct jw *w, const char *k, const char *val, size_t len)
{
	key(w, k);
	if (!val)
		puts_(w, "null");
	else
		put_string(w, val, len);
}

void jw_str(struct jw *w, const char *k, const char *val)
{
	jw_strn(w, k, val, val ? strlen(val) : 0);
}

void jw_int(struct jw *w, const char *k, long long val)
{
	char num[32];

	key(w, k);
	snprintf(num, sizeof(num), "%lld", val);
	puts_(w, num);
}

void jw_double(struct jw *w, const char *k, double val)
{
	char num[48];

	key(w, k);
	if (val != val || val > 1e300 || val < -1e300) /* NaN or inf: JSON has no spelling */
		snprintf(num, sizeof(num), "null");
	else
		snprintf(num, sizeof(num), "%.2f", val);
	puts_(w, num);
}

void jw_bool(struct jw *w, const char *k, bool val)
{
	key(w, k);
	puts_(w, val ? "true" : "false");
}

void jw_null(struct jw *w, const char *k)
{
	key(w, k);
	puts_(w, "null");
}

void jw_array_begin(struct jw *w, const char *k)
{
	key(w, k);
	put(w, "[", 1);
	w->need_comma = false;
	w->depth++;
}

void jw_array_end(struct jw *w)
{
	put(w, "]", 1);
	w->need_comma = true;
	w->depth--;
}

void jw_object_begin(struct jw *w, const char *k)
{
	key(w, k);
	put(w, "{", 1);
	w->need_comma = false;
	w->depth++;
}

void jw_object_end(struct jw *w)
{
	put(w, "}", 1);
	w->need_comma = true;
	w->depth--;
}

void jw_array_str(struct jw *w, const char *val)
{
	jw_str(w, NULL, val);
}

const char *jw_end(struct jw *w)
{
	while (w->depth > 1) {
		put(w, "]", 1); /* unbalanced use is a programming error; close to stay valid */
		w->depth--;
	}
	put(w, "}", 1);
	w->depth = 0;
	return w->overflow ? NULL : w->buf;
}
