/* jsonget.c: a small pull scanner over one JSON object (see jsonget.h). It never allocates
 * and stops at the first thing it does not understand. */
#include "jsonget.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return true;
}

/* Scan the string starting at p (on its opening quote). With out, decode into it (cut at a
 * character boundary when full). Returns the position after the closing quote, or NULL. */
static const char *scan_string(const char *p, char *out, size_t size)
{
	size_t o = 0;
	bool full = false;

	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		char buf[4];
		size_t n;

		if (*p == '\\') {
			unsigned cp;
			p++;
			switch (*p) {
			case '"': case '\\': case '/': buf[0] = *p; n = 1; break;
			case 'b': buf[0] = '\b'; n = 1; break;
			case 'f': buf[0] = '\f'; n = 1; break;
			case 'n': buf[0] = '\n'; n = 1; break;
			case 'r': buf[0] = '\r'; n = 1; break;
			case 't': buf[0] = '\t'; n = 1; break;
			case 'u':
				if (!hex4(p + 1, &cp))
					return NULL;
				p += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF && p[1] == '\\' && p[2] == 'u') {
					unsigned lo;
					if (hex4(p + 3, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						p += 6;
					}
				}
				if (cp >= 0xD800 && cp <= 0xDFFF)
					cp = 0xFFFD; /* a lone surrogate is not a character */
				n = str_utf8_put(cp, buf);
				break;
			default:
				return NULL;
			}
			p++;
		} else {
			buf[0] = *p++;
			n = 1;
		}
		if (out && !full) {
			if (o + n < size) {
				memcpy(out + o, buf, n);
				o += n;
			} else {
				full = true;
			}
		}
	}
	if (*p != '"')
		return NULL;
	if (out && size) {
		/* A raw multi-byte character cut by the size limit: drop its first bytes. */
		while (full && o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
			o--;
		if (full && o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0)
			o--;
		out[o] = '\0';
	}
	return p + 1;
}

/* Skip one value of any kind; returns the position of the ',' or '}' after it. */
static const char *skip_value(const char *p)
{
	unsigned depth = 0;

	for (;;) {
		char c = *p;
		if (!c)
			return NULL;
		if (depth == 0 && (c == ',' || c == '}' || c == ']'))
			return p;
		if (c == '"') {
			p = scan_string(p, NULL, 0);
			if (!p)
				return NULL;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		p++;
	}
}

/* The value of key at the top level, or NULL. */
static const char *find(const char *json, const char *key)
{
	const char *p = skip_ws(json);
	char name[64];

	if (*p++ != '{')
		return NULL;
	for (;;) {
		p = skip_ws(p);
		if (*p != '"')
			return NULL;
		p = scan_string(p, name, sizeof(name));
		if (!p)
			return NULL;
		p = skip_ws(p);
		if (*p++ != ':')
			return NULL;
		p = skip_ws(p);
		if (!strcmp(name, key))
			return p;
		p = skip_value(p);
		if (!p)
			return NULL;
		p = skip_ws(p);
		if (*p != ',')
			return NULL;
		p++;
	}
}

bool json_get_str(const char *json, const char *key, char *out, size_t size)
{
	const char *v = find(json, key);

	if (size)
		out[0] = '\0';
	if (!v || *v != '"')
		return false;
	return scan_string(v, out, size) != NULL;
}

bool json_get_double(const char *json, const char *key, double *out)
{
	const char *v = find(json, key);
	char *end;
	double d;

	if (!v)
		return false;
	d = strtod(v, &end);
	if (end == v)
		return false;
	*out = d;
	return true;
}

bool json_get_int(const char *json, const char *key, long long *out)
{
	const char *v = find(json, key);
	char *end;
	long long n;

	if (!v)
		return false;
	n = strtoll(v, &end, 10);
	if (end == v)
		return false;
	*out = n;
	return true;
}

bool json_get_bool(const char *json, const char *key, bool *out)
{
	const char *v = find(json, key);

	if (!v)
		return false;
	if (!strncmp(v, "true", 4)) {
		*out = true;
		return true;
	}
	if (!strncmp(v, "false", 5)) {
		*out = false;
		return true;
	}
	return false;
}
