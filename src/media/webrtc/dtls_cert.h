/* dtls_cert.h: our DTLS identity for WebRTC calls. One self-signed certificate with an
 * ECDSA P-256 key (what browsers make for themselves), CN "ttyphone", valid for a year,
 * kept in the data directory beside the history (dtls-cert.pem, mode 0600) so that the
 * phone's fingerprint stays the same from run to run; made anew when it is missing,
 * damaged, readable by others or about to expire, each time with a note saying why.
 * Its fingerprint goes into SDP (a=fingerprint); the peer checks our handshake against it.
 * A loaded certificate is read-only and may be shared by endpoints on any thread. */
#ifndef TTY_WEBRTC_DTLS_CERT_H
#define TTY_WEBRTC_DTLS_CERT_H

#include <stddef.h>
#include <time.h>
#include "media/webrtc/dtls_fp.h"

#define DTLS_CERT_FILE "dtls-cert.pem"
#define DTLS_CERT_CN "ttyphone"
#define DTLS_CERT_DAYS 365          /* validity of a new certificate */
#define DTLS_CERT_RENEW_S 86400     /* renewed when it expires within this: a call set up
				     * on it never outlives it */
#define DTLS_CERT_MAX_FILE 65536    /* a larger file is not ours */
#define DTLS_CERT_FP (8 + DTLS_FP_TEXT) /* "sha-256 AB:...", room for any hash */

struct dtls_cert;
struct x509_st;
struct evp_pkey_st;

/* Where a note for the user goes (a line without newline): the file was made, replaced
 * or could not be saved. */
typedef void (*dtls_note_fn)(void *arg, const char *line);

/* $XDG_DATA_HOME/ttyphone/dtls-cert.pem, else ~/.local/share/ttyphone/dtls-cert.pem
 * (the folder of history_default_path). */
void dtls_cert_default_path(char *out, size_t size);
/* The certificate at path (NULL: the default), checked at time now: a missing, damaged,
 * foreign, too open or (nearly) expired file is replaced by a new certificate, written
 * atomically (temporary file, fsync, rename; folder made 0700), with a note to note(arg)
 * (NULL: none). If it cannot be saved, the new one is still returned (this run uses it)
 * and the note says why. Returns 0, or an errno with why (only when no certificate could
 * be made at all). Reads and may write the disk: never on the media thread. */
int dtls_cert_load(struct dtls_cert **cp, const char *path, time_t now, dtls_note_fn note,
		   void *arg, char *why, size_t whylen);
/* A new certificate valid from now, in memory only (tests, or no data directory).
 * 0 or an errno with why. */
int dtls_cert_make(struct dtls_cert **cp, time_t now, char *why, size_t whylen);
/* Another reference to c, for a holder that outlives its maker's (a WebRTC link): c
 * stays until every reference is given back with dtls_cert_free. Any thread. */
struct dtls_cert *dtls_cert_ref(struct dtls_cert *c);
/* Gives back one reference; the last one frees. NULL is fine. */
void dtls_cert_free(struct dtls_cert *c);

/* "sha-256 AB:CD:..." as the SDP attribute a=fingerprint takes it. */
const char *dtls_cert_fingerprint(const struct dtls_cert *c);
/* The same in two parts (struct sdp_webrtc's fp_alg and fp): DTLS_CERT_FP_ALG, and the
 * value alone ("AB:CD:..."). */
#define DTLS_CERT_FP_ALG "sha-256"
const char *dtls_cert_fp_value(const struct dtls_cert *c);
/* When it stops being valid. */
time_t dtls_cert_expires(const struct dtls_cert *c);
/* OpenSSL's objects for dtls_srtp.c (X509 and EVP_PKEY); borrowed, not owned. */
struct x509_st *dtls_cert_x509(const struct dtls_cert *c);
struct evp_pkey_st *dtls_cert_key(const struct dtls_cert *c);

#endif
