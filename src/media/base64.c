/* base64.c: RFC 4648 base64, just enough for SDES keys. */
#include "base64.h"

#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	size_t need = (n + 2) / 3 * 4 + 1, o = 0;

	if (outlen < need)
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

int b64_decode(const char *in, uint8_t *out, size_t outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0, i;

	for (i = 0; in[i] && in[i] != '='; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outlen)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Only padding may follow, and at most two of it. */
	for (size_t pad = 0; in[i]; i++, pad++)
		if (in[i] != '=' || pad >= 2)
			return -1;
	/* Leftover bits are the zero fill of the last group; six or more means a stray char. */
	if (bits >= 6)
		return -1;
	return (int)o;
}
