/* ws_handshake.c: RFC 6455 section 4.1 for a SIP client. The HTTP answer is read by hand
 * (a status line and a few headers; wslay frames only, it does no HTTP), bounded by
 * WS_RESPONSE_MAX; SHA-1, base64 and the random key come from OpenSSL. */
#include "ws_handshake.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int ws_key_new(char key[WS_KEY_LEN + 1])
{
	unsigned char raw[16];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	key[WS_KEY_LEN] = '\0';
	return 0;
}

void ws_accept_for(const char *key, char accept[WS_ACCEPT_LEN + 1])
{
	char cat[WS_KEY_LEN + sizeof(WS_GUID) + 8];
	unsigned char md[SHA_DIGEST_LENGTH];
	int n = snprintf(cat, sizeof(cat), "%.*s%s", WS_KEY_LEN, key, WS_GUID);

	SHA1((const unsigned char *)cat, (size_t)n, md);
	EVP_EncodeBlock((unsigned char *)accept, md, sizeof(md));
	accept[WS_ACCEPT_LEN] = '\0';
}

int ws_handshake_request(const struct ws_url *u, const char *key, const char *user_agent,
			 char *out, size_t size)
{
	char hp[160];
	int n;

	ws_url_hostport(u, hp, sizeof(hp));
	n = snprintf(out, size,
		     "GET %s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Version: 13\r\n"
		     "Sec-WebSocket-Protocol: sip\r\n"
		     "%s%s%s"
		     "\r\n",
		     u->path, hp, key,
		     user_agent && user_agent[0] ? "User-Agent: " : "",
		     user_agent && user_agent[0] ? user_agent : "",
		     user_agent && user_agent[0] ? "\r\n" : "");
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* Whether a comma-separated header value holds token (case-insensitive). */
static bool has_token(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token);

	for (size_t i = 0; i < len;) {
		size_t j;
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		j = i;
		while (j < len && v[j] != ',')
			j++;
		size_t e = j;
		while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - i == tl && !strncasecmp(v + i, token, tl))
			return true;
		i = j;
	}
	return false;
}

int ws_handshake_response(const char *buf, size_t len, const char *key, char *why,
			  size_t whylen)
{
	const char *end = NULL, *p, *eol;
	char accept[WS_ACCEPT_LEN + 1];
	bool upgrade = false, connection = false, accepted = false, proto = false;
	size_t total;

	for (size_t i = 0; i + 3 < len; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4)) {
			end = buf + i;
			break;
		}
	if (!end) {
		if (len >= WS_RESPONSE_MAX) {
			snprintf(why, whylen, "no end of the HTTP answer in %d bytes", WS_RESPONSE_MAX);
			return -1;
		}
		/* Not HTTP at all: say so now rather than wait for 8 kB of garbage. */
		if (len >= 5 && strncmp(buf, "HTTP/", 5)) {
			snprintf(why, whylen, "the server's answer is not HTTP");
			return -1;
		}
		return 0;
	}
	total = (size_t)(end - buf) + 4;
	if (total > WS_RESPONSE_MAX) {
		snprintf(why, whylen, "HTTP answer longer than %d bytes", WS_RESPONSE_MAX);
		return -1;
	}
	eol = memchr(buf, '\r', (size_t)(end - buf) + 1);
	if (!eol)
		eol = end;
	if ((size_t)(eol - buf) < 12 || strncmp(buf, "HTTP/1.1 ", 9) || strncmp(buf + 9, "101", 3)) {
		char line[120];
		size_t n = (size_t)(eol - buf);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		for (size_t i = 0; i < n; i++)
			line[i] = isprint((unsigned char)buf[i]) ? buf[i] : '?';
		line[n] = '\0';
		snprintf(why, whylen, "the server refused the WebSocket upgrade: \"%s\"", line);
		return -1;
	}
	ws_accept_for(key, accept);
	for (p = eol + 2; p < end; p = eol + 2) {
		const char *colon, *v;
		size_t nlen, vlen;

		eol = memchr(p, '\r', (size_t)(end - p) + 1);
		if (!eol || eol > end)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			continue;
		nlen = (size_t)(colon - p);
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(eol - v);
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (nlen == 7 && !strncasecmp(p, "Upgrade", 7))
			upgrade = has_token(v, vlen, "websocket");
		else if (nlen == 10 && !strncasecmp(p, "Connection", 10))
			connection = has_token(v, vlen, "upgrade");
		else if (nlen == 20 && !strncasecmp(p, "Sec-WebSocket-Accept", 20))
			accepted = vlen == WS_ACCEPT_LEN && !memcmp(v, accept, WS_ACCEPT_LEN);
		else if (nlen == 22 && !strncasecmp(p, "Sec-WebSocket-Protocol", 22))
			proto = vlen == 3 && !strncasecmp(v, "sip", 3);
	}
	if (!upgrade || !connection) {
		snprintf(why, whylen, "101 without Upgrade: websocket and Connection: Upgrade");
		return -1;
	}
	if (!accepted) {
		snprintf(why, whylen, "wrong or missing Sec-WebSocket-Accept (expected %s)", accept);
		return -1;
	}
	if (!proto) {
		snprintf(why, whylen, "the server did not accept the sip subprotocol "
			 "(Sec-WebSocket-Protocol: sip missing)");
		return -1;
	}
	return (int)total;
}
