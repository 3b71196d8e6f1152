/* ice_text.c: server addresses, credentials and candidate lines as text (ice_text.h). */
#include "media/webrtc/ice_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

int ice_split_hostport(const char *in, uint16_t default_port, char *host, size_t hostlen,
		       uint16_t *port)
{
	const char *h = in, *end, *colon = NULL;
	size_t n;

	if (!in || !*in)
		return EINVAL;
	if (*in == '[') {
		end = strchr(in, ']');
		if (!end)
			return EINVAL;
		h = in + 1;
		n = (size_t)(end - h);
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1])
			return EINVAL;
	} else {
		colon = strchr(in, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;      /* two colons: an IPv6 address without a port */
		n = colon ? (size_t)(colon - in) : strlen(in);
	}
	if (n == 0)
		return EINVAL;
	if (n >= hostlen || n > ICE_HOST_MAX)
		return ENAMETOOLONG;
	*port = default_port;
	if (colon) {
		char *e;
		unsigned long v;

		if (colon[1] < '0' || colon[1] > '9')  /* strtoul would take " +-" too */
			return EINVAL;
		errno = 0;
		v = strtoul(colon + 1, &e, 10);
		if (errno || *e || v == 0 || v > 65535)
			return EINVAL;
		*port = (uint16_t)v;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

static bool ice_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '+' || c == '/';
}

bool ice_cred_ok(const char *s, size_t min)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (n >= ICE_CRED_MAX || !ice_char((unsigned char)s[n]))
			return false;
	return n >= min;
}

static int random_chars(char *out, size_t n)
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t r[64];
	size_t got = 0;

	if (n > sizeof(r))
		return EINVAL;
	while (got < n) {
		ssize_t k = getrandom(r + got, n - got, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		got += (size_t)k;
	}
	/* 64 symbols: each byte's low 6 bits, no bias */
	for (size_t i = 0; i < n; i++)
		out[i] = set[r[i] & 63];
	out[n] = '\0';
	return 0;
}

int ice_make_credentials(char *ufrag, char *pwd)
{
	int e = random_chars(ufrag, ICE_UFRAG_OURS);

	return e ? e : random_chars(pwd, ICE_PWD_OURS);
}

int ice_candidate_sdp(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	const char *p = in, *addr;
	size_t n;
	int field;

	if (!in) {
		snprintf(why, whylen, "ICE: no candidate");
		return EINVAL;
	}
	if (strncmp(p, "a=", 2) == 0)
		p += 2;
	if (strncmp(p, "candidate:", 10) != 0) {
		snprintf(why, whylen, "ICE: not a candidate line: \"%.40s\"", in);
		return EINVAL;
	}
	n = strlen(p);
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	if (n + 2 >= outlen || n + 2 > ICE_LINE_MAX) {
		snprintf(why, whylen, "ICE: candidate line longer than %d bytes", ICE_LINE_MAX);
		return ENAMETOOLONG;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(why, whylen, "ICE: control character in candidate line");
			return EINVAL;
		}
	/* the connection address is the fifth field after "candidate:" */
	addr = p + 10;
	for (field = 0; field < 4 && addr; field++) {
		addr = memchr(addr, ' ', n - (size_t)(addr - p));
		if (addr)
			addr++;
	}
	if (addr) {
		const char *sp = memchr(addr, ' ', n - (size_t)(addr - p));
		size_t alen = sp ? (size_t)(sp - addr) : n - (size_t)(addr - p);

		if (alen > 6 && strncasecmp(addr + alen - 6, ".local", 6) == 0) {
			snprintf(why, whylen, "ICE: candidate %.*s is an mDNS name: not resolved here, "
				 "skipped", (int)(alen < 80 ? alen : 80), addr);
			return ENOTSUP;
		}
	}
	memcpy(out, "a=", 2);
	memcpy(out + 2, p, n);
	out[n + 2] = '\0';
	return 0;
}

bool ice_is_end_of_candidates(const char *in)
{
	size_t n;

	if (!in)
		return false;
	if (strncmp(in, "a=", 2) == 0)
		in += 2;
	if (strncmp(in, "end-of-candidates", 17) != 0)
		return false;
	n = strlen(in + 17);
	for (size_t i = 0; i < n; i++)
		if (in[17 + i] != '\r' && in[17 + i] != '\n' && in[17 + i] != ' ')
			return false;
	return true;
}
