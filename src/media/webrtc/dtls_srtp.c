/* dtls_srtp.c: a DTLS 1.2 endpoint over OpenSSL with no socket under it.
 *
 *   feed(datagram) -> memory BIO -> SSL_do_handshake / SSL_read -> datagram BIO -> send()
 *   timer -> DTLSv1_handle_timeout (flight again) | deadline -> FAILED
 *   handshake done -> use_srtp profile -> fingerprint check -> EXTRACTOR-dtls_srtp -> keys
 *
 * Incoming datagrams go through a plain memory BIO: each is written and then consumed
 * whole before the next, so no datagram boundary is ever lost. Outgoing ones cannot: OpenSSL
 * writes a flight as several datagrams in one call (each one BIO_write, sized to the MTU),
 * and a memory BIO would glue them into one stream. So the write side is a tiny BIO of our
 * own whose every write is one datagram, handed straight to the caller's send callback;
 * it also answers OpenSSL's MTU questions, which a memory BIO cannot (asked, it says 0,
 * and OpenSSL would then fragment to its minimum). OpenSSL 3.2's BIO_s_dgram_pair would
 * do this, but Debian 12 has 3.0.
 *
 * The peer's certificate is checked by our own verify callback instead of OpenSSL's chain
 * verification: it is self-signed and worth exactly as much as the SDP fingerprint it must
 * match (RFC 8122). A mismatch fails the handshake there and then (the peer gets a
 * bad_certificate alert), so no key is ever derived with a stranger. */
#include "media/webrtc/dtls_srtp.h"
#include "media/webrtc/dtls_fp.h"
#include "media/webrtc/ossl_err.h"
#include "strutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#define peer_cert(ssl) SSL_get1_peer_certificate(ssl)
#else
#define peer_cert(ssl) SSL_get_peer_certificate(ssl)
#endif

/* The SRTP protection profiles libsrtp (srtp_sess) can run, with RFC 5764 / RFC 7714
 * key and salt lengths. The tag lengths are the suite's own (srtp.c). */
static const struct {
	enum srtp_suite suite;
	const char *openssl_name;
	unsigned long id;
	unsigned key, salt;
} profiles[] = {
	{ SUITE_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", SRTP_AEAD_AES_128_GCM, 16, 12 },
	{ SUITE_AES_CM_128_HMAC_SHA1_80, "SRTP_AES128_CM_SHA1_80", SRTP_AES128_CM_SHA1_80, 16,
	  14 },
	{ SUITE_AES_CM_128_HMAC_SHA1_32, "SRTP_AES128_CM_SHA1_32", SRTP_AES128_CM_SHA1_32, 16,
	  14 },
};
#define N_PROFILES (sizeof(profiles) / sizeof(profiles[0]))

struct dtls_srtp {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio;                 /* owned by ssl */
	enum dtls_setup setup;
	enum dtls_srtp_state state;
	dtls_send_fn send;
	void *send_arg;
	unsigned deadline_ms, rto_ms, mtu;
	uint64_t deadline_at;      /* caller's clock, set by start */
	bool hs_done;              /* SSL handshake finished (keys may wait for the fp) */
	bool fp_known;
	char fp_alg[DTLS_FP_ALG];
	uint8_t fp_md[DTLS_MD_MAX];
	size_t fp_len;
	char offered[128];         /* our profile names, for a refusal's reason */
	char alert_in[64];         /* the last alert the peer sent, for a failure's reason */
	struct dtls_srtp_keys keys;
	struct dtls_srtp_stats stats;
	char why[DTLS_SRTP_WHY];
};

/* ---- the datagram BIO: each write is one datagram to send() ---- */

static pthread_once_t meth_once = PTHREAD_ONCE_INIT;
static BIO_METHOD *out_meth;   /* made once, read-only after: shared by every endpoint */

static int out_write(BIO *b, const char *data, int len)
{
	struct dtls_srtp *d = BIO_get_data(b);

	if (len <= 0 || !d)
		return 0;
	d->stats.out++;
	if (d->send(d->send_arg, (const uint8_t *)data, (size_t)len) != 0)
		d->stats.send_failed++;
	/* Taken either way: a datagram lost here is one lost on the path, which the DTLS
	 * timer recovers; a short write would make OpenSSL resend half a record. */
	return len;
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dtls_srtp *d = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return d ? (long)d->mtu : DTLS_SRTP_MTU;
	default:
		/* pending counts, peer addresses, timeouts: none of ours */
		return 0;
	}
}

static int out_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void make_meth(void)
{
	/* BIO_get_new_index hands out one of ~127 type numbers per process: once, not per
	 * endpoint. */
	int type = BIO_get_new_index();
	BIO_METHOD *m = type < 0 ? NULL : BIO_meth_new(type | BIO_TYPE_SOURCE_SINK,
						       "ttyphone DTLS datagrams");

	if (m && (BIO_meth_set_write(m, out_write) != 1 || BIO_meth_set_ctrl(m, out_ctrl) != 1 ||
		  BIO_meth_set_create(m, out_create) != 1)) {
		BIO_meth_free(m);
		m = NULL;
	}
	out_meth = m;
}

/* ---- OpenSSL callbacks ---- */

/* The retransmission timer: rto_ms first, then doubled up to DTLS_SRTP_MAX_RTO_MS.
 * OpenSSL calls it with the last value just before it sends a flight again, which it
 * does from DTLSv1_handle_timeout and also by itself when a read finds the timer run
 * out: so the count is kept here. */
static unsigned int rto_cb(SSL *ssl, unsigned int prev_us)
{
	struct dtls_srtp *d = SSL_get_app_data(ssl);
	unsigned next;

	if (prev_us == 0)
		return d->rto_ms * 1000u;
	d->stats.retransmits++;
	next = prev_us * 2u;
	return next > DTLS_SRTP_MAX_RTO_MS * 1000u || next < prev_us ?
	       DTLS_SRTP_MAX_RTO_MS * 1000u : next;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct dtls_srtp *d = SSL_get_app_data(ssl);

	if ((where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT)
		snprintf(d->alert_in, sizeof(d->alert_in), "%s", SSL_alert_desc_string_long(ret));
}

/* Whether cert is the one the SDP named; when not, why says both. */
static bool fp_matches(struct dtls_srtp *d, X509 *cert)
{
	uint8_t md[DTLS_MD_MAX];
	unsigned char *der = NULL;
	size_t n = 0;
	int len = i2d_X509(cert, &der);
	bool ok;
	char want[DTLS_FP_TEXT], got[DTLS_FP_TEXT];

	if (len <= 0) {
		ossl_why(d->why, sizeof(d->why), "the peer's DTLS certificate cannot be read");
		return false;
	}
	if (dtls_fp_digest(d->fp_alg, der, (size_t)len, md, &n, d->why, sizeof(d->why)) < 0) {
		OPENSSL_free(der);
		return false;
	}
	OPENSSL_free(der);
	ok = n == d->fp_len && memcmp(md, d->fp_md, n) == 0;
	if (!ok) {
		dtls_fp_format(d->fp_md, d->fp_len, want, sizeof(want));
		dtls_fp_format(md, n, got, sizeof(got));
		/* The sentence first: a log line cut short keeps it. */
		snprintf(d->why, sizeof(d->why), "the peer's DTLS certificate does not match the "
			 "fingerprint in its SDP, someone else may be answering (SDP: %s %s; "
			 "certificate: %s)", d->fp_alg, want, got);
	}
	return ok;
}

/* Instead of chain verification: the leaf certificate against the SDP fingerprint. With
 * no fingerprint yet, the certificate is taken and checked when it comes. */
static int verify_cb(X509_STORE_CTX *sctx, void *arg)
{
	struct dtls_srtp *d = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);

	if (!leaf) {
		X509_STORE_CTX_set_error(sctx, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	if (d->fp_known && !fp_matches(d, leaf)) {
		X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

/* ---- state ---- */

static enum dtls_srtp_state fail(struct dtls_srtp *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum dtls_srtp_state fail(struct dtls_srtp *d, const char *fmt, ...)
{
	va_list ap;

	if (d->state == DTLS_SRTP_FAILED || d->state == DTLS_SRTP_CLOSED)
		return d->state;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(d->why, sizeof(d->why), fmt, ap);
		va_end(ap);
	}
	d->state = DTLS_SRTP_FAILED;
	OPENSSL_cleanse(&d->keys, sizeof(d->keys));
	ERR_clear_error();
	return d->state;
}

/* The handshake is over and the fingerprint is known: check, then derive the keys. */
static enum dtls_srtp_state finish(struct dtls_srtp *d)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
	uint8_t km[2 * (16 + 14)];
	unsigned key, salt;
	size_t i;
	X509 *cert;
	bool ok;

	for (i = 0; p && i < N_PROFILES; i++)
		if (profiles[i].id == p->id)
			break;
	if (!p || i == N_PROFILES)
		return fail(d, "the peer agreed on no SRTP profile in the DTLS handshake "
			    "(use_srtp; we offered %s)", d->offered);
	/* Again here, whatever the callback saw: the certificate the session ended with. */
	cert = peer_cert(d->ssl);
	if (!cert)
		return fail(d, "the peer sent no DTLS certificate");
	ok = fp_matches(d, cert);
	X509_free(cert);
	if (!ok)
		return fail(d, NULL);
	key = profiles[i].key;
	salt = profiles[i].salt;
	/* RFC 5764 section 4.2: client key | server key | client salt | server salt. */
	if (SSL_export_keying_material(d->ssl, km, 2 * (key + salt), "EXTRACTOR-dtls_srtp",
				       19, NULL, 0, 0) != 1) {
		ossl_why(d->why, sizeof(d->why), "cannot export the SRTP keys from DTLS");
		return fail(d, NULL);
	}
	{
		const uint8_t *ck = km, *sk = km + key, *cs = km + 2 * key, *ss = km + 2 * key + salt;
		bool client = d->setup == DTLS_SETUP_ACTIVE;

		d->keys.suite = profiles[i].suite;
		d->keys.key_len = key + salt;
		memcpy(d->keys.tx_key, client ? ck : sk, key);
		memcpy(d->keys.tx_key + key, client ? cs : ss, salt);
		memcpy(d->keys.rx_key, client ? sk : ck, key);
		memcpy(d->keys.rx_key + key, client ? ss : cs, salt);
	}
	OPENSSL_cleanse(km, sizeof(km));
	d->state = DTLS_SRTP_CONNECTED;
	return d->state;
}

/* Why the SSL call that returned r stopped, as a state. */
static enum dtls_srtp_state ssl_trouble(struct dtls_srtp *d, int r)
{
	int e = SSL_get_error(d->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return d->state;
	case SSL_ERROR_ZERO_RETURN:
		/* Answer with ours, as TLS asks; then it is over. */
		(void)SSL_shutdown(d->ssl);
		ERR_clear_error();
		snprintf(d->why, sizeof(d->why), "the peer ended DTLS (close_notify)%s",
			 d->state == DTLS_SRTP_HANDSHAKE ? " during the handshake" : "");
		OPENSSL_cleanse(&d->keys, sizeof(d->keys));
		if (d->state == DTLS_SRTP_HANDSHAKE)
			return fail(d, NULL);
		d->state = DTLS_SRTP_CLOSED;
		return d->state;
	default:
		break;
	}
	/* The verify callback's reason is the real one; OpenSSL's would only say
	 * "certificate verify failed". */
	if (!d->why[0]) {
		if (d->alert_in[0] && !d->hs_done)
			snprintf(d->why, sizeof(d->why), "the peer refused the DTLS handshake "
				 "(alert: %s)", d->alert_in);
		else if (d->alert_in[0])
			snprintf(d->why, sizeof(d->why), "the peer ended DTLS with an alert (%s)",
				 d->alert_in);
		else
			ossl_why(d->why, sizeof(d->why), "DTLS %s failed",
				 d->hs_done ? "session" : "handshake");
	}
	return fail(d, NULL);
}

/* Let OpenSSL take what the memory BIO holds and answer it. */
static enum dtls_srtp_state drive(struct dtls_srtp *d)
{
	int r;

	if (!d->hs_done) {
		ERR_clear_error();
		r = SSL_do_handshake(d->ssl);
		if (r != 1)
			return ssl_trouble(d, r);
		d->hs_done = true;
		if (d->fp_known && finish(d) != DTLS_SRTP_CONNECTED)
			return d->state;
	}
	/* After the handshake: a retransmitted flight of the peer's (ours was lost: OpenSSL
	 * sends it again), an alert, close_notify; application data is not ours to get. */
	for (;;) {
		uint8_t sink[2048];

		ERR_clear_error();
		r = SSL_read(d->ssl, sink, sizeof(sink));
		if (r <= 0)
			return ssl_trouble(d, r);
	}
}

/* ---- the API ---- */

int dtls_srtp_alloc(struct dtls_srtp **dp, const struct dtls_cert *cert,
		    enum dtls_setup setup, const char *fp_alg, const char *fp_value,
		    const struct dtls_srtp_opts *opts, dtls_send_fn send, void *arg,
		    char *why, size_t whylen)
{
	static const enum srtp_suite all[] = { SUITE_AEAD_AES_128_GCM,
		SUITE_AES_CM_128_HMAC_SHA1_80, SUITE_AES_CM_128_HMAC_SHA1_32 };
	const enum srtp_suite *suites = opts && opts->suites ? opts->suites : all;
	unsigned n_suites = opts && opts->suites ? opts->n_suites : 3;
	struct dtls_srtp *d;
	BIO *wbio = NULL;

	*dp = NULL;
	if (!cert || !send || (setup != DTLS_SETUP_ACTIVE && setup != DTLS_SETUP_PASSIVE)) {
		str_fail(why, whylen, "DTLS: no certificate, send function or role");
		return EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		str_fail(why, whylen, "out of memory");
		return ENOMEM;
	}
	d->setup = setup;
	d->send = send;
	d->send_arg = arg;
	d->deadline_ms = opts && opts->deadline_ms ? opts->deadline_ms : DTLS_SRTP_DEADLINE_MS;
	d->rto_ms = opts && opts->rto_ms ? opts->rto_ms : DTLS_SRTP_RTO_MS;
	d->mtu = opts && opts->mtu ? opts->mtu : DTLS_SRTP_MTU;
	if (d->mtu < 256 || d->mtu > 16384 || d->rto_ms > DTLS_SRTP_MAX_RTO_MS) {
		str_fail(why, whylen, "DTLS: MTU %u or first timeout %u ms out of range", d->mtu,
			 d->rto_ms);
		free(d);
		return EINVAL;
	}
	/* The profile list, in our order, as OpenSSL takes it. */
	for (unsigned i = 0; i < n_suites; i++) {
		size_t j, n = strlen(d->offered);

		for (j = 0; j < N_PROFILES && profiles[j].suite != suites[i]; j++)
			;
		if (j == N_PROFILES || n + strlen(profiles[j].openssl_name) + 2 > sizeof(d->offered)) {
			str_fail(why, whylen, "DTLS: SRTP suite %d cannot be offered", (int)suites[i]);
			free(d);
			return EINVAL;
		}
		snprintf(d->offered + n, sizeof(d->offered) - n, "%s%s", n ? ":" : "",
			 profiles[j].openssl_name);
	}
	if (!d->offered[0]) {
		str_fail(why, whylen, "DTLS: no SRTP suite to offer");
		free(d);
		return EINVAL;
	}
	if ((fp_alg || fp_value) && dtls_srtp_set_peer_fingerprint(d, fp_alg, fp_value) ==
	    DTLS_SRTP_FAILED) {
		str_fail(why, whylen, "%s", d->why);
		free(d);
		return EINVAL;
	}
	pthread_once(&meth_once, make_meth);
	if (!out_meth) {
		str_fail(why, whylen, "DTLS: OpenSSL cannot make a BIO method");
		free(d);
		return EIO;
	}
	ERR_clear_error();
	d->ctx = SSL_CTX_new(DTLS_method());
	if (!d->ctx) {
		ossl_why(why, whylen, "DTLS: cannot make a context");
		goto fail;
	}
	/* DTLS 1.2 only: 1.0 lacks the AEAD ciphers browsers use, and OpenSSL 3.0 has no
	 * 1.3. No session reuse or renegotiation: every call is one fresh handshake, so the
	 * certificate checked is always the one the keys come from. */
	if (SSL_CTX_set_min_proto_version(d->ctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(d->ctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(d->ctx, dtls_cert_x509(cert)) != 1 ||
	    SSL_CTX_use_PrivateKey(d->ctx, dtls_cert_key(cert)) != 1 ||
	    SSL_CTX_check_private_key(d->ctx) != 1) {
		ossl_why(why, whylen, "DTLS: cannot set up the context");
		goto fail;
	}
	/* Returns 0 on success, unlike the rest. */
	if (SSL_CTX_set_tlsext_use_srtp(d->ctx, d->offered) != 0) {
		ossl_why(why, whylen, "DTLS: OpenSSL does not know the SRTP profiles %s",
			 d->offered);
		goto fail;
	}
	SSL_CTX_set_options(d->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_NO_QUERY_MTU | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(d->ctx, SSL_SESS_CACHE_OFF);
	/* Both sides present a certificate (RFC 5763 section 5): the server asks for the
	 * client's and refuses a handshake without one. */
	SSL_CTX_set_verify(d->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(d->ctx, verify_cb, d);
	SSL_CTX_set_info_callback(d->ctx, info_cb);
	d->ssl = SSL_new(d->ctx);
	d->rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(out_meth);
	if (!d->ssl || !d->rbio || !wbio) {
		ossl_why(why, whylen, "DTLS: cannot make a connection");
		goto fail;
	}
	/* An empty memory BIO means "wait for more" (WANT_READ), not end of file. */
	BIO_set_mem_eof_return(d->rbio, -1);
	BIO_set_data(wbio, d);
	SSL_set_bio(d->ssl, d->rbio, wbio);
	wbio = NULL;
	SSL_set_app_data(d->ssl, d);
	DTLS_set_timer_cb(d->ssl, rto_cb);
	/* Returns the MTU taken (0 when refused), unlike the rest. */
	if (SSL_set_mtu(d->ssl, (long)d->mtu) <= 0) {
		ossl_why(why, whylen, "DTLS: OpenSSL refuses the MTU %u", d->mtu);
		goto fail;
	}
	if (setup == DTLS_SETUP_ACTIVE)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	d->state = DTLS_SRTP_NEW;
	*dp = d;
	return 0;
fail:
	if (!d->ssl)
		BIO_free(d->rbio);
	BIO_free(wbio);
	SSL_free(d->ssl);
	SSL_CTX_free(d->ctx);
	free(d);
	ERR_clear_error();
	return EIO;
}

void dtls_srtp_free(struct dtls_srtp *d)
{
	if (!d)
		return;
	SSL_free(d->ssl);
	SSL_CTX_free(d->ctx);
	OPENSSL_cleanse(&d->keys, sizeof(d->keys));
	free(d);
}

enum dtls_srtp_state dtls_srtp_start(struct dtls_srtp *d, uint64_t now_ms)
{
	if (d->state != DTLS_SRTP_NEW)
		return d->state;
	d->state = DTLS_SRTP_HANDSHAKE;
	d->deadline_at = now_ms + d->deadline_ms;
	/* The client sends its ClientHello now; the server only learns it is waiting. */
	return drive(d);
}

/* Whether a datagram is a ClientHello (record type 22, handshake type 1). */
static bool is_client_hello(const uint8_t *pkt, size_t len)
{
	return len > 13 && pkt[0] == 22 && pkt[13] == 1;
}

enum dtls_srtp_state dtls_srtp_feed(struct dtls_srtp *d, const uint8_t *pkt, size_t len,
				    uint64_t now_ms)
{
	if (d->state == DTLS_SRTP_NEW)
		dtls_srtp_start(d, now_ms);
	if (d->state == DTLS_SRTP_FAILED || d->state == DTLS_SRTP_CLOSED || !pkt || len == 0 ||
	    len > DTLS_SRTP_MAX_IN) {
		d->stats.dropped++;
		return d->state;
	}
	d->stats.in++;
	/* OpenSSL would only say "unexpected message". */
	if (d->setup == DTLS_SETUP_ACTIVE && !d->hs_done && is_client_hello(pkt, len))
		return fail(d, "the peer is a DTLS client too (both sides took a=setup:active)");
	if (BIO_write(d->rbio, pkt, (int)len) != (int)len)
		return fail(d, "DTLS: out of memory for a datagram");
	drive(d);
	/* Every datagram is taken whole (DTLS reads a datagram at a time); should any of it
	 * be left, it must not be glued to the next one. */
	if (BIO_ctrl_pending(d->rbio) > 0)
		(void)BIO_reset(d->rbio);
	return d->state;
}

enum dtls_srtp_state dtls_srtp_set_peer_fingerprint(struct dtls_srtp *d, const char *alg,
						    const char *value)
{
	char why[DTLS_SRTP_WHY] = "no hash named";

	if (d->state == DTLS_SRTP_FAILED || d->state == DTLS_SRTP_CLOSED)
		return d->state;
	d->fp_known = false;
	if (alg && *alg && str_copy(d->fp_alg, sizeof(d->fp_alg), alg) < 0)
		return fail(d, "the peer's SDP a=fingerprint cannot be used: unknown hash "
			    "\"%.32s\"", alg);
	if (!alg || !*alg ||
	    dtls_fp_parse(d->fp_alg, value, d->fp_md, &d->fp_len, why, sizeof(why)) < 0)
		return fail(d, "the peer's SDP a=fingerprint cannot be used: %s", why);
	d->fp_known = true;
	if (d->hs_done && d->state == DTLS_SRTP_HANDSHAKE)
		return finish(d);
	return d->state;
}

int dtls_srtp_timeout_ms(struct dtls_srtp *d, uint64_t now_ms)
{
	struct timeval tv;
	long long ms = -1;

	if (d->state != DTLS_SRTP_HANDSHAKE)
		return -1;
	/* The deadline also covers a finished handshake waiting for the fingerprint. */
	ms = d->deadline_at > now_ms ? (long long)(d->deadline_at - now_ms) : 0;
	if (!d->hs_done && DTLSv1_get_timeout(d->ssl, &tv) == 1) {
		/* Rounded up: woken a little early, OpenSSL would find nothing due. */
		long long t = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;

		if (t < ms)
			ms = t;
	}
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

enum dtls_srtp_state dtls_srtp_on_timeout(struct dtls_srtp *d, uint64_t now_ms)
{
	int r;

	if (d->state != DTLS_SRTP_HANDSHAKE)
		return d->state;
	if (now_ms >= d->deadline_at) {
		char secs[16];

		if (d->deadline_ms % 1000 == 0)
			snprintf(secs, sizeof(secs), "%u", d->deadline_ms / 1000);
		else
			snprintf(secs, sizeof(secs), "%.1f", d->deadline_ms / 1000.0);
		if (d->hs_done)
			return fail(d, "the DTLS handshake finished but the peer's SDP fingerprint "
				    "did not come in %s s", secs);
		return fail(d, "DTLS handshake did not finish in %s s%s", secs,
			    d->stats.in ? "" : d->setup == DTLS_SETUP_PASSIVE ?
			    " (nothing came from the peer: is it a DTLS server too, both "
			    "a=setup:passive?)" : " (nothing came from the peer)");
	}
	if (d->hs_done)
		return d->state;
	ERR_clear_error();
	r = DTLSv1_handle_timeout(d->ssl);
	if (r < 0) {
		/* OpenSSL gives up after 12 timeouts in a row. */
		if (!d->why[0])
			ossl_why(d->why, sizeof(d->why), "DTLS handshake: the peer stopped "
				 "answering (%llu retransmissions)",
				 (unsigned long long)d->stats.retransmits);
		return fail(d, NULL);
	}
	ERR_clear_error();
	return d->state;
}

void dtls_srtp_close(struct dtls_srtp *d)
{
	if (d->state == DTLS_SRTP_CLOSED || d->state == DTLS_SRTP_FAILED)
		return;
	if (d->state != DTLS_SRTP_NEW) {
		ERR_clear_error();
		(void)SSL_shutdown(d->ssl);   /* 0: sent, the peer's is not awaited */
		ERR_clear_error();
	}
	snprintf(d->why, sizeof(d->why), "we ended DTLS");
	d->state = DTLS_SRTP_CLOSED;
}

enum dtls_srtp_state dtls_srtp_state(const struct dtls_srtp *d)
{
	return d->state;
}

const char *dtls_srtp_state_name(enum dtls_srtp_state s)
{
	switch (s) {
	case DTLS_SRTP_NEW: return "new";
	case DTLS_SRTP_HANDSHAKE: return "handshake";
	case DTLS_SRTP_CONNECTED: return "connected";
	case DTLS_SRTP_FAILED: return "failed";
	case DTLS_SRTP_CLOSED: return "closed";
	}
	return "?";
}

const char *dtls_srtp_why(const struct dtls_srtp *d)
{
	return d->state == DTLS_SRTP_FAILED || d->state == DTLS_SRTP_CLOSED ? d->why : "";
}

int dtls_srtp_keys(const struct dtls_srtp *d, struct dtls_srtp_keys *out)
{
	if (d->state != DTLS_SRTP_CONNECTED)
		return -1;
	*out = d->keys;
	return 0;
}

const char *dtls_srtp_cipher(const struct dtls_srtp *d)
{
	const char *c = d->hs_done ? SSL_get_cipher_name(d->ssl) : NULL;

	return c && strcmp(c, "(NONE)") ? c : "";
}

void dtls_srtp_get_stats(const struct dtls_srtp *d, struct dtls_srtp_stats *out)
{
	*out = d->stats;
}
