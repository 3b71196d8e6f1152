/* dtls_fp.c: fingerprints of certificates (RFC 8122 section 5), computed with OpenSSL. */
#include "media/webrtc/dtls_fp.h"
#include "media/webrtc/ossl_err.h"
#include "strutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

static const struct {
	const char *name;
	const EVP_MD *(*md)(void);
	size_t size;
} hashes[] = {
	{ "sha-1", EVP_sha1, 20 },
	{ "sha-224", EVP_sha224, 28 },
	{ "sha-256", EVP_sha256, 32 },
	{ "sha-384", EVP_sha384, 48 },
	{ "sha-512", EVP_sha512, 64 },
};

static int find(const char *alg)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (alg && str_ieq(alg, hashes[i].name))
			return (int)i;
	return -1;
}

size_t dtls_fp_size(const char *alg)
{
	int i = find(alg);

	return i < 0 ? 0 : hashes[i].size;
}

int dtls_fp_digest(const char *alg, const uint8_t *der, size_t len, uint8_t *md,
		   size_t *mdlen, char *why, size_t whylen)
{
	int i = find(alg);
	unsigned n = 0;

	if (i < 0)
		return str_fail(why, whylen, "unknown fingerprint hash \"%s\" (known: sha-1, "
				"sha-224, sha-256, sha-384, sha-512)", alg ? alg : "");
	if (EVP_Digest(der, len, md, &n, hashes[i].md(), NULL) != 1 || n != hashes[i].size)
		return ossl_why(why, whylen, "cannot compute the %s fingerprint", hashes[i].name);
	*mdlen = n;
	return 0;
}

void dtls_fp_format(const uint8_t *md, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (outlen == 0)
		return;
	/* A pair takes two characters, and a colon before it past the first; the NUL one. */
	for (size_t i = 0; i < n && o + (i ? 3 : 2) < outlen; i++) {
		if (i)
			out[o++] = ':';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
	}
	out[o] = '\0';
}

int dtls_fingerprint(const char *alg, const uint8_t *der, size_t len, char *out,
		     size_t outlen, char *why, size_t whylen)
{
	uint8_t md[DTLS_MD_MAX];
	size_t n;

	if (dtls_fp_digest(alg, der, len, md, &n, why, whylen) < 0)
		return -1;
	if (outlen < n * 3)
		return str_fail(why, whylen, "no room for a %zu-byte fingerprint", n);
	dtls_fp_format(md, n, out, outlen);
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int dtls_fp_parse(const char *alg, const char *value, uint8_t *md, size_t *mdlen,
		  char *why, size_t whylen)
{
	size_t want = dtls_fp_size(alg), n = 0;
	const char *p = value;

	if (!want)
		return str_fail(why, whylen, "unknown fingerprint hash \"%s\" (known: sha-1, "
				"sha-224, sha-256, sha-384, sha-512)", alg ? alg : "");
	if (!p)
		return str_fail(why, whylen, "no fingerprint");
	while (*p == ' ' || *p == '\t')
		p++;
	for (;;) {
		int hi = hexval((unsigned char)p[0]), lo = hi < 0 ? -1 : hexval((unsigned char)p[1]);

		if (hi < 0 || lo < 0)
			return str_fail(why, whylen, "the %s fingerprint is not hex pairs joined "
					"by colons (at \"%.8s\")", alg, p);
		if (n == want)
			return str_fail(why, whylen, "the %s fingerprint is longer than %zu bytes",
					alg, want);
		md[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (*p != ':')
			break;
		p++;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p)
		return str_fail(why, whylen, "the %s fingerprint is not hex pairs joined by "
				"colons (at \"%.8s\")", alg, p);
	if (n != want)
		return str_fail(why, whylen, "the %s fingerprint has %zu bytes, not %zu", alg, n,
				want);
	*mdlen = n;
	return 0;
}
