/* dtls_fp.h: certificate fingerprints as SDP carries them (RFC 8122 a=fingerprint:
 * "sha-256 AB:CD:..."), made from a certificate's DER bytes and read back from SDP text, so
 * that the peer's certificate can be checked against what its SDP promised. */
#ifndef TTY_WEBRTC_DTLS_FP_H
#define TTY_WEBRTC_DTLS_FP_H

#include <stddef.h>
#include <stdint.h>

#define DTLS_MD_MAX 64                   /* bytes of the longest digest taken (sha-512) */
#define DTLS_FP_TEXT (DTLS_MD_MAX * 3)   /* "AB:CD:..." of the longest, with its NUL */
#define DTLS_FP_ALG 16                   /* room for a hash name ("sha-512") */

/* Digest size of a hash named as SDP names it ("sha-1", "sha-224", "sha-256", "sha-384",
 * "sha-512"; case ignored), 0 for any other (md5 and md2 are refused: RFC 8122 keeps
 * them only for old peers, and a browser never sends them). */
size_t dtls_fp_size(const char *alg);
/* The digest of der[len] with alg into md (DTLS_MD_MAX bytes), its length in *mdlen.
 * 0, or -1 with why. */
int dtls_fp_digest(const char *alg, const uint8_t *der, size_t len, uint8_t *md,
		   size_t *mdlen, char *why, size_t whylen);
/* md[n] as upper-case hex pairs joined by colons ("AB:CD:EF"), always terminated. */
void dtls_fp_format(const uint8_t *md, size_t n, char *out, size_t outlen);
/* A peer certificate's fingerprint with a named hash, as text for comparison or logs:
 * dtls_fp_digest then dtls_fp_format. 0, or -1 with why. */
int dtls_fingerprint(const char *alg, const uint8_t *der, size_t len, char *out,
		     size_t outlen, char *why, size_t whylen);
/* An SDP fingerprint value ("ab:CD:..."; blanks around it ignored) to bytes, which must
 * be alg's digest size. 0, or -1 with why (not hex pairs and colons, wrong length). */
int dtls_fp_parse(const char *alg, const char *value, uint8_t *md, size_t *mdlen,
		  char *why, size_t whylen);

#endif
