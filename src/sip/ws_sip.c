/* ws_sip.c: message boundaries and the few rewrites a SIP-over-WebSocket client needs.
 * By hand on bytes, on purpose: the bridge runs in its own thread and Sofia's parser is
 * not ours to call there; only the start line and three header names are looked at, and
 * everything else passes through untouched. */
#include "ws_sip.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The header block's end (the index after CRLFCRLF or LFLF), or 0 if not in buf. */
static size_t headers_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Whether the line at p (up to e) is header name (or its compact form c). Sets *value. */
static bool is_header(const char *p, const char *e, const char *name, char c,
		      const char **value)
{
	size_t n = strlen(name);
	const char *q;

	if ((size_t)(e - p) > n && !strncasecmp(p, name, n))
		q = p + n;
	else if (c && e - p > 1 && tolower((unsigned char)*p) == c)
		q = p + 1;
	else
		return false;
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	if (q == e || *q != ':')
		return false;
	*value = q + 1;
	return true;
}

int ws_sip_split(const char *buf, size_t len, size_t max, size_t *skip, size_t *msglen,
		 char *why, size_t whylen)
{
	size_t s = 0, hend, body = 0;
	bool have_cl = false;

	*skip = 0;
	if (len == 0)
		return 0;
	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	buf += s;
	len -= s;
	if (len == 0)
		return 0;
	hend = headers_end(buf, len);
	if (!hend) {
		if (len > max) {
			snprintf(why, whylen, "SIP headers longer than %zu bytes", max);
			return -1;
		}
		return 0;
	}
	for (const char *p = buf, *end = buf + hend; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p)), *v;
		if (!e)
			break;
		if (is_header(p, e, "Content-Length", 'l', &v)) {
			unsigned long n = 0;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			if (v == e || !isdigit((unsigned char)*v)) {
				snprintf(why, whylen, "unreadable Content-Length");
				return -1;
			}
			for (; v < e && isdigit((unsigned char)*v); v++) {
				n = n * 10 + (unsigned long)(*v - '0');
				if (n > max) {
					snprintf(why, whylen, "SIP body longer than %zu bytes", max);
					return -1;
				}
			}
			body = n;
			have_cl = true;
		}
		p = e + 1;
	}
	(void)have_cl;   /* over a stream it is mandatory; Sofia always writes it, 0 without */
	if (hend + body > max) {
		snprintf(why, whylen, "SIP message longer than %zu bytes", max);
		return -1;
	}
	if (len < hend + body)
		return 0;
	*msglen = hend + body;
	return 1;
}

/* Copy with bounds: returns false when out is full. */
struct out {
	char *p;
	size_t n, size;
};

static bool put(struct out *o, const char *s, size_t n)
{
	if (o->size - o->n < n)
		return false;
	memcpy(o->p + o->n, s, n);
	o->n += n;
	return true;
}

/* In a Via value at v..e, the protocol "SIP/2.0/X": sets where X starts and its length. */
static bool via_transport(const char *v, const char *e, const char **t, size_t *tlen)
{
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	if (e - v < 9 || strncasecmp(v, "SIP/2.0/", 8))
		return false;
	*t = v + 8;
	*tlen = 0;
	while (*t + *tlen < e && isalnum((unsigned char)(*t)[*tlen]))
		++*tlen;
	return *tlen > 0;
}

/* Copy the line p..e (without its line end), replacing every ;transport=tcp, and giving
 * each <URI> without a transport one (RFC 7118 section 5.1: ;transport=ws; Sofia leaves it
 * out of its outbound Contact). */
static bool put_contact(struct out *o, const char *p, const char *e)
{
	static const char from[] = ";transport=tcp";
	const size_t fl = sizeof(from) - 1;
	bool in_uri = false, has_tp = false;

	while (p < e) {
		if ((size_t)(e - p) >= fl && !strncasecmp(p, from, fl) &&
		    (p + fl == e || !isalnum((unsigned char)p[fl]))) {
			if (!put(o, ";transport=ws", 13))
				return false;
			p += fl;
			has_tp = true;
			continue;
		}
		if (*p == '<') {
			in_uri = true;
			has_tp = false;
		} else if (in_uri && (size_t)(e - p) >= 11 && !strncasecmp(p, ";transport=", 11)) {
			has_tp = true;
		} else if (in_uri && *p == '>') {
			in_uri = false;
			if (!has_tp && !put(o, ";transport=ws", 13))
				return false;
		}
		if (!put(o, p++, 1))
			return false;
	}
	return true;
}

/* REGISTER's Contact: ;ob in the URI, reg-id and +sip.instance after it (RFC 5626 4.2). */
static bool put_outbound(struct out *o, const char *p, const char *e, const char *instance)
{
	const char *gt = memchr(p, '>', (size_t)(e - p));
	char extra[WS_SIP_GROWTH - 40];
	int n;

	if (!gt || memmem(p, (size_t)(e - p), "reg-id", 6) || memchr(p, ',', (size_t)(e - p)))
		return put_contact(o, p, e);
	if (!put_contact(o, p, gt))
		return false;
	if (!memmem(p, (size_t)(gt - p), ";transport=", 11) && !put(o, ";transport=ws", 13))
		return false;
	if (!memmem(p, (size_t)(gt - p), ";ob", 3) && !put(o, ";ob", 3))
		return false;
	if (!put(o, ">", 1))
		return false;
	n = snprintf(extra, sizeof(extra), ";reg-id=1%s%s%s", instance ? ";+sip.instance=\"<" : "",
		     instance ? instance : "", instance ? ">\"" : "");
	if (n < 0 || (size_t)n >= sizeof(extra))
		return false;
	/* Before any header parameters already there (expires): order does not matter. */
	return put(o, extra, (size_t)n) && put_contact(o, gt + 1, e);
}

static size_t rewrite(const char *in, size_t len, char *outbuf, size_t size, bool to_server,
		      const struct ws_sip_out *so)
{
	struct out o = { outbuf, 0, size };
	size_t hend = headers_end(in, len);
	bool via_done = false, reg = to_server && len > 9 && !memcmp(in, "REGISTER ", 9);

	if (!hend)
		hend = len;
	for (const char *p = in, *end = in + hend; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p)), *v, *t;
		const char *le;
		size_t tlen;

		e = e ? e + 1 : end;    /* e: after the line end */
		le = e;
		while (le > p && (le[-1] == '\n' || le[-1] == '\r'))
			le--;
		if (!via_done && is_header(p, le, "Via", 'v', &v)) {
			via_done = true;
			if (via_transport(v, le, &t, &tlen)) {
				const char *rep = NULL;
				if (to_server && tlen == 3 && !strncasecmp(t, "TCP", 3))
					rep = so->secure ? "WSS" : "WS";
				else if (!to_server && ((tlen == 2 && !strncasecmp(t, "WS", 2)) ||
							(tlen == 3 && !strncasecmp(t, "WSS", 3))))
					rep = "TCP";
				if (rep) {
					if (!put(&o, p, (size_t)(t - p)) || !put(&o, rep, strlen(rep)) ||
					    !put(&o, t + tlen, (size_t)(e - t - tlen)))
						return 0;
					p = e;
					continue;
				}
			}
		} else if (to_server && is_header(p, le, "Contact", 'm', &v)) {
			if (!put(&o, p, (size_t)(v - p)))
				return 0;
			if (!(reg ? put_outbound(&o, v, le, so->instance) : put_contact(&o, v, le)))
				return 0;
			if (!put(&o, le, (size_t)(e - le)))
				return 0;
			p = e;
			continue;
		}
		if (!put(&o, p, (size_t)(e - p)))
			return 0;
		p = e;
	}
	if (!put(&o, in + hend, len - hend))
		return 0;
	return o.n;
}

size_t ws_sip_to_server(const char *in, size_t len, char *out, size_t size,
			const struct ws_sip_out *o)
{
	return rewrite(in, len, out, size, true, o);
}

size_t ws_sip_to_sofia(const char *in, size_t len, char *out, size_t size)
{
	return rewrite(in, len, out, size, false, NULL);
}
