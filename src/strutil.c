/* strutil.c: bounded string helpers. */
#include "strutil.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int str_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int str_copy(char *dst, size_t size, const char *src)
{
	return str_ncopy(dst, size, src ? src : "", SIZE_MAX);
}

int str_ncopy(char *dst, size_t size, const char *src, size_t n)
{
	size_t len = strnlen(src, n);

	if (size == 0)
		return -1;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

char *str_trim(char *s)
{
	char *start = s, *end;

	while (*start && isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	if (start != s)
		memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

bool str_ieq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

bool str_next_word(const char **cursor, char *word, size_t size, bool *toolong)
{
	const char *p = *cursor, *start;
	size_t n;

	*toolong = false;
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p) {
		*cursor = p;
		return false;
	}
	start = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	n = (size_t)(p - start);
	*cursor = p;
	if (n >= size) {
		*toolong = true;
		return false;
	}
	memcpy(word, start, n);
	word[n] = '\0';
	return true;
}

int str_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (str_ieq(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (str_ieq(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int str_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

size_t str_utf8_put(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t str_utf8_len(const unsigned char *p, size_t n)
{
	size_t need;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0) {
		need = 2;
		cp = p[0] & 0x1F;
	} else if ((p[0] & 0xF0) == 0xE0) {
		need = 3;
		cp = p[0] & 0x0F;
	} else if ((p[0] & 0xF8) == 0xF0) {
		need = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

/* For the terminal, also refuse the C1 controls (U+0080..U+009F, encoded C2 80..C2 9F):
 * some terminals take them as escape introducers. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = str_utf8_len(p, n);

	if (len == 2 && p[0] == 0xC2 && p[1] < 0xA0)
		return 0;
	return len;
}

size_t str_escape_terminal(char *dst, size_t size, const char *src, size_t len, bool keep_newlines)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0, i = 0;
	char tmp[8];

	if (size == 0)
		return 0;
	while (i < len) {
		const char *piece;
		size_t plen, ulen;

		if (p[i] == '\n' && keep_newlines) {
			piece = "\n";
			plen = 1;
			ulen = 1;
		} else if (p[i] == '\t') {
			piece = "\t";
			plen = 1;
			ulen = 1;
		} else if (p[i] < 0x20 || p[i] == 0x7F) {
			switch (p[i]) {
			case '\n': piece = "\\n"; break;
			case '\r': piece = "\\r"; break;
			case 0x1B: piece = "\\e"; break;
			default:
				snprintf(tmp, sizeof(tmp), "\\x%02X", p[i]);
				piece = tmp;
			}
			plen = strlen(piece);
			ulen = 1;
		} else if ((ulen = utf8_len(p + i, len - i)) == 0) {
			snprintf(tmp, sizeof(tmp), "\\x%02X", p[i]);
			piece = tmp;
			plen = strlen(piece);
			ulen = 1;
		} else {
			piece = (const char *)p + i;
			plen = ulen;
		}
		if (o + plen >= size)
			break;
		memcpy(dst + o, piece, plen);
		o += plen;
		i += ulen;
	}
	dst[o] = '\0';
	return o;
}

unsigned str_fold(unsigned cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)          /* Latin-1 */
		return cp + 32;
	if (cp == 0x178)                                     /* Y with diaeresis */
		return 0xFF;
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
		return cp | 1;                               /* Latin Extended-A pairs */
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
		return cp & 1 ? cp + 1 : cp;
	if (cp == 0x386)                                     /* Greek */
		return 0x3AC;
	if (cp >= 0x388 && cp <= 0x38A)
		return cp + 37;
	if (cp == 0x38C)
		return 0x3CC;
	if (cp == 0x38E || cp == 0x38F)
		return cp + 63;
	if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
		return cp + 32;
	if (cp == 0x3C2)                                     /* final sigma */
		return 0x3C3;
	if (cp >= 0x400 && cp <= 0x40F)                      /* Cyrillic */
		return cp + 80;
	if (cp >= 0x410 && cp <= 0x42F)
		return cp + 32;
	if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF) ||
	    (cp >= 0x1E00 && cp <= 0x1E95) || (cp >= 0x1EA0 && cp <= 0x1EFF))
		return cp | 1;                               /* ...and Vietnamese */
	if (cp == 0x1E9E)                                    /* capital sharp s */
		return 0xDF;
	return cp;
}

/* The next character of *p, folded; an invalid byte is 0x110000 + its value, so it only
 * equals itself. 0 at the end. */
static unsigned next_folded(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	size_t n = strnlen(*p, 4), len;
	unsigned cp;

	if (!*s)
		return 0;
	len = str_utf8_len(s, n);
	if (len == 0) {
		(*p)++;
		return 0x110000u + s[0];
	}
	cp = len == 1 ? s[0] : len == 2 ? s[0] & 0x1Fu : len == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3Fu);
	*p += len;
	return str_fold(cp);
}

static unsigned char lower_ascii(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* An ASCII needle: bytes will do. No other character folds to ASCII (str_fold keeps U+0130
 * and U+212A as they are), and ASCII bytes never occur inside a UTF-8 character. */
static bool casefind_ascii(const char *hay, const char *needle)
{
	unsigned char first = lower_ascii((unsigned char)needle[0]);

	for (; *hay; hay++) {
		size_t i = 1;
		if (lower_ascii((unsigned char)*hay) != first)
			continue;
		while (needle[i] && lower_ascii((unsigned char)hay[i]) ==
				    lower_ascii((unsigned char)needle[i]))
			i++;
		if (!needle[i])
			return true;
	}
	return false;
}

bool str_casestarts(const char *s, const char *prefix)
{
	if (!prefix || !*prefix)
		return true;
	if (!s)
		return false;
	for (;;) {
		unsigned pc = next_folded(&prefix);

		if (!pc)
			return true;
		if (next_folded(&s) != pc)
			return false;
	}
}

bool str_casefind(const char *hay, const char *needle)
{
	bool ascii = true;

	if (!needle || !*needle)
		return true;
	if (!hay)
		return false;
	for (const char *p = needle; *p && ascii; p++)
		ascii = (unsigned char)*p < 0x80;
	if (ascii)
		return casefind_ascii(hay, needle);
	while (*hay) {
		const char *h = hay, *n = needle;
		unsigned nc;

		for (;;) {
			nc = next_folded(&n);
			if (!nc || next_folded(&h) != nc)
				break;
		}
		if (!nc)
			return true;
		next_folded(&hay); /* on to the next character, never into the middle of one */
	}
	return false;
}
