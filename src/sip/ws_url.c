/* ws_url.c: ws:// and wss:// URLs (RFC 6455 section 3), as JsSIP accepts them in `sockets`.
 * Written by hand: the grammar is a scheme, an authority and a path, and Sofia's url
 * parser does not know these schemes. Every part is bounded by its field. */
#include "ws_url.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(char *why, size_t whylen, const char *what, const char *s, size_t len)
{
	snprintf(why, whylen, "%s in socket \"%.*s\"", what, (int)(len > 120 ? 120 : len), s);
	return -1;
}

int ws_url_parse(const char *s, size_t len, struct ws_url *u, char *why, size_t whylen)
{
	const char *p = s, *end = s + len, *host, *host_end, *auth_end;
	size_t n;

	memset(u, 0, sizeof(*u));
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	len = (size_t)(end - p);
	s = p;
	if (len >= 6 && !strncasecmp(p, "wss://", 6)) {
		u->secure = true;
		p += 6;
	} else if (len >= 5 && !strncasecmp(p, "ws://", 5)) {
		p += 5;
	} else {
		return fail(why, whylen, "not a ws:// or wss:// URL", s, len);
	}
	auth_end = p;
	while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
		auth_end++;
	if (memchr(p, '@', (size_t)(auth_end - p)))
		return fail(why, whylen, "user info is not allowed", s, len);
	if (p < auth_end && *p == '[') {
		host = p + 1;
		host_end = memchr(host, ']', (size_t)(auth_end - host));
		if (!host_end)
			return fail(why, whylen, "unclosed [ in host", s, len);
		p = host_end + 1;
	} else {
		host = p;
		host_end = p;
		while (host_end < auth_end && *host_end != ':')
			host_end++;
		p = host_end;
	}
	n = (size_t)(host_end - host);
	if (n == 0)
		return fail(why, whylen, "no host", s, len);
	if (n >= sizeof(u->host))
		return fail(why, whylen, "host too long", s, len);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)host[i]) && !strchr(".-_:%", host[i]))
			return fail(why, whylen, "bad character in host", s, len);
	memcpy(u->host, host, n);
	u->host[n] = '\0';
	u->port = u->secure ? 443 : 80;
	if (p < auth_end) {
		unsigned long port = 0;
		if (*p != ':' || p + 1 == auth_end)
			return fail(why, whylen, "bad port", s, len);
		for (p++; p < auth_end; p++) {
			if (!isdigit((unsigned char)*p))
				return fail(why, whylen, "bad port", s, len);
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				return fail(why, whylen, "port out of range", s, len);
		}
		if (port == 0)
			return fail(why, whylen, "port out of range", s, len);
		u->port = (unsigned)port;
	}
	if (auth_end < end && *auth_end == '#')
		end = auth_end;
	n = (size_t)(end - auth_end);
	if (memchr(auth_end, '#', n))
		n = (size_t)((const char *)memchr(auth_end, '#', n) - auth_end);
	if (n == 0) {
		strcpy(u->path, "/");
		return 0;
	}
	if (*auth_end == '?') {
		if (n + 1 >= sizeof(u->path))
			return fail(why, whylen, "path too long", s, len);
		u->path[0] = '/';
		memcpy(u->path + 1, auth_end, n);
		u->path[n + 1] = '\0';
	} else {
		if (n >= sizeof(u->path))
			return fail(why, whylen, "path too long", s, len);
		memcpy(u->path, auth_end, n);
		u->path[n] = '\0';
	}
	/* The path goes into the request line as it is: nothing that would end or split it. */
	for (const char *c = u->path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return fail(why, whylen, "space or control character in path", s, len);
	return 0;
}

int ws_url_list(const char *s, struct ws_url *out, int max, char *why, size_t whylen)
{
	int n = 0;

	for (const char *p = s;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (n == max) {
			snprintf(why, whylen, "more than %d sockets", max);
			return -1;
		}
		if (ws_url_parse(p, len, &out[n], why, whylen) < 0)
			return -1;
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	return n;
}

void ws_url_name(const struct ws_url *u, char *out, size_t size)
{
	snprintf(out, size, strchr(u->host, ':') ? "%s [%s]:%u" : "%s %s:%u",
		 u->secure ? "wss" : "ws", u->host, u->port);
}

void ws_url_hostport(const struct ws_url *u, char *out, size_t size)
{
	bool v6 = strchr(u->host, ':') != NULL;

	if (u->port == (u->secure ? 443u : 80u))
		snprintf(out, size, v6 ? "[%s]" : "%s", u->host);
	else
		snprintf(out, size, v6 ? "[%s]:%u" : "%s:%u", u->host, u->port);
}
