/* test_webrtc_dtls.c: the DTLS-SRTP building block of WebRTC calls. Two endpoints
 * handshake in memory and derive crosswise keys that really protect and unprotect SRTP
 * between them, for each profile; the server's order picks the profile; a tampered,
 * late or malformed fingerprint, lost datagrams, a peer that never answers, close_notify
 * and crossed roles each end as they should, with a reason a person can read. The
 * certificate is made once and kept, and a damaged, too open, expired or unsavable file
 * is dealt with. Fingerprints with each hash; the RFC 7983 demultiplexer's table. */
#include "unit.h"
#include "media/webrtc/demux.h"
#include "media/webrtc/dtls_cert.h"
#include "media/webrtc/dtls_fp.h"
#include "media/webrtc/dtls_srtp.h"
#include "media/srtp_sess.h"
#include "media/rtp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/x509.h>

/* ---- a wire between two endpoints: a FIFO of datagrams, with losses on demand ---- */

#define WIRE_SLOTS 64
#define WIRE_MAX 2048

struct wire {
	uint8_t pkt[WIRE_SLOTS][WIRE_MAX];
	size_t len[WIRE_SLOTS];
	unsigned head, count;
	unsigned sent;                 /* datagrams handed to send, lost or not */
	unsigned drop_from, drop_to;   /* lose datagrams sent[from, to) */
	size_t longest;
};

static struct wire wires[2];     /* [0]: client to server, [1]: server to client */

static int wire_send(void *arg, const uint8_t *pkt, size_t len)
{
	struct wire *w = arg;
	unsigned i = w->sent++;

	if (len > w->longest)
		w->longest = len;
	if (i >= w->drop_from && i < w->drop_to)
		return 0;                      /* lost on the way: the sender cannot know */
	if (w->count == WIRE_SLOTS || len > WIRE_MAX)
		return -1;
	memcpy(w->pkt[(w->head + w->count) % WIRE_SLOTS], pkt, len);
	w->len[(w->head + w->count) % WIRE_SLOTS] = len;
	w->count++;
	return 0;
}

static void wires_reset(void)
{
	memset(wires, 0, sizeof(wires));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Deliver queued datagrams both ways until the wires are quiet. */
static void pump(struct dtls_srtp *client, struct dtls_srtp *server)
{
	uint8_t pkt[WIRE_MAX];

	for (int guard = 0; guard < 1000 && (wires[0].count || wires[1].count); guard++) {
		for (int dir = 0; dir < 2; dir++) {
			struct wire *w = &wires[dir];
			size_t len;

			if (!w->count)
				continue;
			len = w->len[w->head];
			memcpy(pkt, w->pkt[w->head], len);
			w->head = (w->head + 1) % WIRE_SLOTS;
			w->count--;
			dtls_srtp_feed(dir == 0 ? server : client, pkt, len, now_ms());
		}
	}
}

static bool busy(struct dtls_srtp *d)
{
	enum dtls_srtp_state s = dtls_srtp_state(d);

	return s == DTLS_SRTP_NEW || s == DTLS_SRTP_HANDSHAKE;
}

/* Pump, and serve both timers as a caller's loop would, for up to ms of real time
 * (OpenSSL's retransmission timer runs on the real clock). */
static void run(struct dtls_srtp *client, struct dtls_srtp *server, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	pump(client, server);
	while ((busy(client) || busy(server)) && now_ms() < end) {
		int tc = dtls_srtp_timeout_ms(client, now_ms());
		int ts = dtls_srtp_timeout_ms(server, now_ms());
		int t = tc < 0 ? ts : ts < 0 ? tc : tc < ts ? tc : ts;

		if (t < 0)
			break;
		sleep_ms(t > 50 ? 50 : t + 1);
		dtls_srtp_on_timeout(client, now_ms());
		dtls_srtp_on_timeout(server, now_ms());
		pump(client, server);
	}
}

static struct dtls_cert *client_cert, *server_cert;

/* "sha-256 AB:..." split into its hash and value (the SDP layer's job). */
static void split_fp(const struct dtls_cert *c, char *alg, size_t alglen, const char **value)
{
	const char *fp = dtls_cert_fingerprint(c), *sp = strchr(fp, ' ');

	snprintf(alg, alglen, "%.*s", (int)(sp - fp), fp);
	*value = sp + 1;
}

/* A client and a server that know each other's fingerprints, on fresh wires. */
static void make_pair(struct dtls_srtp **c, struct dtls_srtp **s,
		      const struct dtls_srtp_opts *copts, const struct dtls_srtp_opts *sopts)
{
	char calg[16], salg[16], why[DTLS_SRTP_WHY] = "";
	const char *cval, *sval;

	wires_reset();
	split_fp(client_cert, calg, sizeof(calg), &cval);
	split_fp(server_cert, salg, sizeof(salg), &sval);
	*c = *s = NULL;
	CHECK_INT(dtls_srtp_alloc(c, client_cert, DTLS_SETUP_ACTIVE, salg, sval, copts,
				  wire_send, &wires[0], why, sizeof(why)), 0);
	CHECK_INT(dtls_srtp_alloc(s, server_cert, DTLS_SETUP_PASSIVE, calg, cval, sopts,
				  wire_send, &wires[1], why, sizeof(why)), 0);
	if (!*c || !*s) {
		fprintf(stderr, "alloc: %s\n", why);
		exit(1);   /* nothing below can run without them */
	}
}

static void test_handshake_gives_crosswise_keys(void)
{
	struct dtls_srtp *c, *s;
	struct dtls_srtp_keys ck, sk;

	make_pair(&c, &s, NULL, NULL);
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_NEW);
	CHECK_INT(dtls_srtp_keys(c, &ck), -1);
	CHECK_INT(dtls_srtp_start(s, now_ms()), DTLS_SRTP_HANDSHAKE);
	CHECK_INT(wires[1].sent, 0);           /* the server waits for a ClientHello */
	CHECK_INT(dtls_srtp_start(c, now_ms()), DTLS_SRTP_HANDSHAKE);
	CHECK_INT(wires[0].sent, 1);           /* the ClientHello */
	run(c, s, 2000);
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_CONNECTED);
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_CONNECTED);
	CHECK_STR(dtls_srtp_why(c), "");
	CHECK_INT(dtls_srtp_keys(c, &ck), 0);
	CHECK_INT(dtls_srtp_keys(s, &sk), 0);
	/* Both offer every profile; the server's order puts AES-GCM first. */
	CHECK_INT(ck.suite, SUITE_AEAD_AES_128_GCM);
	CHECK_INT(sk.suite, SUITE_AEAD_AES_128_GCM);
	CHECK_INT(ck.key_len, srtp_suite_key_len(SUITE_AEAD_AES_128_GCM));
	CHECK(memcmp(ck.tx_key, sk.rx_key, ck.key_len) == 0);
	CHECK(memcmp(ck.rx_key, sk.tx_key, ck.key_len) == 0);
	CHECK(memcmp(ck.tx_key, ck.rx_key, ck.key_len) != 0);
	CHECK(strstr(dtls_srtp_cipher(c), "ECDHE-ECDSA") != NULL);
	CHECK_STR(dtls_srtp_cipher(c), dtls_srtp_cipher(s));
	CHECK_INT(dtls_srtp_timeout_ms(c, now_ms()), -1);
	CHECK_INT(dtls_srtp_timeout_ms(s, now_ms()), -1);
	/* Nothing lost, so nothing sent twice. */
	struct dtls_srtp_stats st;
	dtls_srtp_get_stats(c, &st);
	CHECK_INT(st.retransmits, 0);
	CHECK_INT(st.out, wires[0].sent);
	dtls_srtp_free(c);
	dtls_srtp_free(s);
}

/* A 160-byte RTP packet in buf (4-byte aligned, room for the trailer). */
static size_t make_rtp(uint8_t *buf, size_t cap, uint16_t seq)
{
	uint8_t payload[160];
	struct rtp_hdr h = { .pt = 111, .seq = seq, .ts = 960u * seq, .ssrc = 0xd7150001 };

	for (int i = 0; i < 160; i++)
		payload[i] = (uint8_t)(i * 3 + seq);
	return rtp_build(buf, cap, &h, payload, sizeof(payload));
}

/* Protect with one side's tx key, unprotect with the other side's rx key. */
static void check_srtp_one_way(const struct dtls_srtp_keys *from, const struct dtls_srtp_keys *to)
{
	struct srtp_sess *tx = NULL, *rx = NULL, *wrong = NULL;
	_Alignas(8) uint8_t buf[512], orig[512], copy[512];
	_Alignas(8) uint8_t rtcp[256] = { 0x80, 201, 0, 1, 0xd7, 0x15, 0, 1 };
	size_t n, n0, rn = 8;

	CHECK_INT(srtp_sess_alloc(&tx, from->suite, from->tx_key, from->key_len, true), 0);
	CHECK_INT(srtp_sess_alloc(&rx, to->suite, to->rx_key, to->key_len, false), 0);
	/* The receiver's own tx key is not the one for this direction. */
	CHECK_INT(srtp_sess_alloc(&wrong, to->suite, to->tx_key, to->key_len, false), 0);
	if (!tx || !rx || !wrong)
		goto out;
	n0 = n = make_rtp(buf, sizeof(buf), 1);
	memcpy(orig, buf, n);
	CHECK_INT(srtp_sess_protect(tx, buf, &n, sizeof(buf), false), 0);
	CHECK(n > n0);
	memcpy(copy, buf, n);
	size_t cn = n;
	CHECK_INT(srtp_sess_unprotect(rx, buf, &n, false), SRTP_SESS_OK);
	CHECK_INT(n, n0);
	CHECK(memcmp(buf, orig, n0) == 0);
	CHECK_INT(srtp_sess_unprotect(wrong, copy, &cn, false), SRTP_SESS_AUTH);
	/* RTCP too (rtcp-mux shares the keys). */
	CHECK_INT(srtp_sess_protect(tx, rtcp, &rn, sizeof(rtcp), true), 0);
	CHECK_INT(srtp_sess_unprotect(rx, rtcp, &rn, true), SRTP_SESS_OK);
	CHECK_INT(rn, 8);
out:
	srtp_sess_free(tx);
	srtp_sess_free(rx);
	srtp_sess_free(wrong);
}

static void test_keys_protect_srtp_between_sides_per_profile(void)
{
	static const enum srtp_suite suites[] = { SUITE_AEAD_AES_128_GCM,
		SUITE_AES_CM_128_HMAC_SHA1_80, SUITE_AES_CM_128_HMAC_SHA1_32 };
	char why[128];

	CHECK_INT(srtp_lib_load(why, sizeof(why)), 0);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct dtls_srtp_opts o = { .suites = &suites[i], .n_suites = 1 };
		struct dtls_srtp *c, *s;
		struct dtls_srtp_keys ck, sk;

		make_pair(&c, &s, &o, &o);
		dtls_srtp_start(c, now_ms());
		run(c, s, 2000);
		CHECK_INT(dtls_srtp_keys(c, &ck), 0);
		CHECK_INT(dtls_srtp_keys(s, &sk), 0);
		CHECK_INT(ck.suite, suites[i]);
		CHECK_INT(sk.suite, suites[i]);
		CHECK_INT(ck.key_len, srtp_suite_key_len(suites[i]));
		check_srtp_one_way(&ck, &sk);
		check_srtp_one_way(&sk, &ck);
		dtls_srtp_free(c);
		dtls_srtp_free(s);
	}
}

static void test_server_order_picks_the_profile(void)
{
	static const enum srtp_suite coffer[] = { SUITE_AES_CM_128_HMAC_SHA1_32,
		SUITE_AES_CM_128_HMAC_SHA1_80 };
	static const enum srtp_suite sorder[] = { SUITE_AEAD_AES_128_GCM,
		SUITE_AES_CM_128_HMAC_SHA1_80, SUITE_AES_CM_128_HMAC_SHA1_32 };
	struct dtls_srtp_opts co = { .suites = coffer, .n_suites = 2 };
	struct dtls_srtp_opts so = { .suites = sorder, .n_suites = 3 };
	struct dtls_srtp *c, *s;
	struct dtls_srtp_keys ck;

	make_pair(&c, &s, &co, &so);
	dtls_srtp_start(c, now_ms());
	run(c, s, 2000);
	CHECK_INT(dtls_srtp_keys(c, &ck), 0);
	CHECK_INT(ck.suite, SUITE_AES_CM_128_HMAC_SHA1_80);
	dtls_srtp_free(c);
	dtls_srtp_free(s);
}

static void test_no_common_profile_fails_with_reason(void)
{
	static const enum srtp_suite gcm = SUITE_AEAD_AES_128_GCM, cm80 =
		SUITE_AES_CM_128_HMAC_SHA1_80;
	struct dtls_srtp_opts co = { .suites = &gcm, .n_suites = 1 };
	struct dtls_srtp_opts so = { .suites = &cm80, .n_suites = 1 };
	struct dtls_srtp *c, *s;

	make_pair(&c, &s, &co, &so);
	dtls_srtp_start(c, now_ms());
	run(c, s, 2000);
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_FAILED);
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_FAILED);
	CHECK(strstr(dtls_srtp_why(c), "no SRTP profile") != NULL);
	CHECK(strstr(dtls_srtp_why(c), "SRTP_AEAD_AES_128_GCM") != NULL);
	CHECK(strstr(dtls_srtp_why(s), "SRTP_AES128_CM_SHA1_80") != NULL);
	dtls_srtp_free(c);
	dtls_srtp_free(s);
}

/* The value with its last hex digit changed. */
static void tamper(const char *value, char *out, size_t outlen)
{
	size_t n;

	snprintf(out, outlen, "%s", value);
	n = strlen(out);
	out[n - 1] = out[n - 1] == '0' ? '1' : '0';
}

static void test_tampered_fingerprint_fails_with_reason(void)
{
	char calg[16], bad[DTLS_FP_TEXT], why[DTLS_SRTP_WHY];
	const char *cval;
	struct dtls_srtp *c = NULL, *s = NULL;
	char salg[16];
	const char *sval;

	/* The server was told another client fingerprint (a man in the middle). */
	wires_reset();
	split_fp(client_cert, calg, sizeof(calg), &cval);
	split_fp(server_cert, salg, sizeof(salg), &sval);
	tamper(cval, bad, sizeof(bad));
	CHECK_INT(dtls_srtp_alloc(&c, client_cert, DTLS_SETUP_ACTIVE, salg, sval, NULL,
				  wire_send, &wires[0], why, sizeof(why)), 0);
	CHECK_INT(dtls_srtp_alloc(&s, server_cert, DTLS_SETUP_PASSIVE, calg, bad, NULL,
				  wire_send, &wires[1], why, sizeof(why)), 0);
	dtls_srtp_start(c, now_ms());
	run(c, s, 2000);
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_FAILED);
	CHECK(strstr(dtls_srtp_why(s), "does not match the fingerprint in its SDP") != NULL);
	CHECK(strstr(dtls_srtp_why(s), bad) != NULL);
	CHECK(strstr(dtls_srtp_why(s), cval) != NULL);
	CHECK(strstr(dtls_srtp_why(s), "sha-256") != NULL);
	/* The client hears of it as an alert, and has no keys either. */
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_FAILED);
	CHECK(strstr(dtls_srtp_why(c), "bad certificate") != NULL);
	struct dtls_srtp_keys k;
	CHECK_INT(dtls_srtp_keys(c, &k), -1);
	CHECK_INT(dtls_srtp_keys(s, &k), -1);
	printf("     server: %s\n     client: %s\n", dtls_srtp_why(s), dtls_srtp_why(c));
	dtls_srtp_free(c);
	dtls_srtp_free(s);

	/* And the other way: the client was told another server. */
	wires_reset();
	tamper(sval, bad, sizeof(bad));
	CHECK_INT(dtls_srtp_alloc(&c, client_cert, DTLS_SETUP_ACTIVE, salg, bad, NULL,
				  wire_send, &wires[0], why, sizeof(why)), 0);
	CHECK_INT(dtls_srtp_alloc(&s, server_cert, DTLS_SETUP_PASSIVE, calg, cval, NULL,
				  wire_send, &wires[1], why, sizeof(why)), 0);
	dtls_srtp_start(c, now_ms());
	run(c, s, 2000);
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_FAILED);
	CHECK(strstr(dtls_srtp_why(c), "does not match") != NULL);
	CHECK(dtls_srtp_state(s) != DTLS_SRTP_CONNECTED);
	dtls_srtp_free(c);
	dtls_srtp_free(s);
}

static void test_fingerprint_that_comes_after_the_handshake(void)
{
	char calg[16], salg[16], why[DTLS_SRTP_WHY], bad[DTLS_FP_TEXT];
	const char *cval, *sval;

	split_fp(client_cert, calg, sizeof(calg), &cval);
	split_fp(server_cert, salg, sizeof(salg), &sval);
	for (int right = 1; right >= 0; right--) {
		struct dtls_srtp *c = NULL, *s = NULL;
		struct dtls_srtp_keys k;

		/* We offered; the browser's DTLS came before its SDP answer. */
		wires_reset();
		CHECK_INT(dtls_srtp_alloc(&c, client_cert, DTLS_SETUP_ACTIVE, NULL, NULL, NULL,
					  wire_send, &wires[0], why, sizeof(why)), 0);
		CHECK_INT(dtls_srtp_alloc(&s, server_cert, DTLS_SETUP_PASSIVE, calg, cval, NULL,
					  wire_send, &wires[1], why, sizeof(why)), 0);
		dtls_srtp_start(c, now_ms());
		pump(c, s);
		CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_CONNECTED);
		CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_HANDSHAKE);   /* no keys without it */
		CHECK_INT(dtls_srtp_keys(c, &k), -1);
		CHECK(dtls_srtp_timeout_ms(c, now_ms()) > 0);          /* the deadline still runs */
		tamper(sval, bad, sizeof(bad));
		CHECK_INT(dtls_srtp_set_peer_fingerprint(c, salg, right ? sval : bad),
			  right ? DTLS_SRTP_CONNECTED : DTLS_SRTP_FAILED);
		if (right) {
			struct dtls_srtp_keys sk;
			CHECK_INT(dtls_srtp_keys(c, &k), 0);
			CHECK_INT(dtls_srtp_keys(s, &sk), 0);
			CHECK(memcmp(k.tx_key, sk.rx_key, k.key_len) == 0);
		} else {
			CHECK(strstr(dtls_srtp_why(c), "does not match") != NULL);
		}
		dtls_srtp_free(c);
		dtls_srtp_free(s);
	}
	/* An answer that never brings it ends at the deadline, saying so. */
	{
		struct dtls_srtp *c = NULL, *s = NULL;
		struct dtls_srtp_opts o = { .deadline_ms = 5000 };
		uint64_t t0 = now_ms();

		wires_reset();
		CHECK_INT(dtls_srtp_alloc(&c, client_cert, DTLS_SETUP_ACTIVE, NULL, NULL, &o,
					  wire_send, &wires[0], why, sizeof(why)), 0);
		CHECK_INT(dtls_srtp_alloc(&s, server_cert, DTLS_SETUP_PASSIVE, calg, cval, NULL,
					  wire_send, &wires[1], why, sizeof(why)), 0);
		dtls_srtp_start(c, t0);
		pump(c, s);
		CHECK_INT(dtls_srtp_on_timeout(c, t0 + 5000), DTLS_SRTP_FAILED);
		CHECK_STR(dtls_srtp_why(c), "the DTLS handshake finished but the peer's SDP "
			  "fingerprint did not come in 5 s");
		dtls_srtp_free(c);
		dtls_srtp_free(s);
	}
}

static void test_malformed_fingerprint_is_refused(void)
{
	static const char *const bad[][2] = {
		{ "sha-256", "zz" },
		{ "sha-256", "AB:CD" },                    /* too short for sha-256 */
		{ "sha-1", "AB-CD" },
		{ "md5", "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89" },
		{ "", "AB" },
		{ "sha-256-but-far-too-long-a-name", "AB" },
	};
	char why[DTLS_SRTP_WHY];
	struct dtls_srtp *d0 = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dtls_srtp *d = NULL;

		why[0] = '\0';
		CHECK_INT(dtls_srtp_alloc(&d, client_cert, DTLS_SETUP_ACTIVE, bad[i][0], bad[i][1],
					  NULL, wire_send, &wires[0], why, sizeof(why)), EINVAL);
		CHECK(d == NULL);
		CHECK(strstr(why, "a=fingerprint cannot be used") != NULL);
	}
	CHECK(strstr(why, "unknown hash \"sha-256-but-far-too-long-a-name\"") != NULL);
	CHECK_INT(dtls_srtp_alloc(&d0, client_cert, DTLS_SETUP_ACTIVE, "", "AB", NULL, wire_send,
				  &wires[0], why, sizeof(why)), EINVAL);
	CHECK(strstr(why, "no hash named") != NULL);
}

/* Lose the datagrams [from, to) of one direction; the timer must bring them again. */
static void lose_and_recover(int dir, unsigned from, unsigned to)
{
	struct dtls_srtp_opts o = { .rto_ms = 20 };
	struct dtls_srtp *c, *s;
	struct dtls_srtp_keys ck, sk;
	struct dtls_srtp_stats cst, sst;

	make_pair(&c, &s, &o, &o);
	wires[dir].drop_from = from;
	wires[dir].drop_to = to;
	dtls_srtp_start(c, now_ms());
	run(c, s, 3000);
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_CONNECTED);
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_CONNECTED);
	CHECK_INT(dtls_srtp_keys(c, &ck), 0);
	CHECK_INT(dtls_srtp_keys(s, &sk), 0);
	CHECK(memcmp(ck.tx_key, sk.rx_key, ck.key_len) == 0);
	dtls_srtp_get_stats(c, &cst);
	dtls_srtp_get_stats(s, &sst);
	CHECK(cst.retransmits + sst.retransmits >= 1);
	dtls_srtp_free(c);
	dtls_srtp_free(s);
}

static void test_lost_datagrams_come_again_on_the_timer(void)
{
	lose_and_recover(0, 0, 1);     /* the ClientHello */
	lose_and_recover(0, 0, 3);     /* it, and twice its retransmission */
	lose_and_recover(1, 0, 1);     /* the server's first flight */
	lose_and_recover(0, 1, 2);     /* the client's second flight (certificate, Finished) */
	/* The server's last flight (ChangeCipherSpec, Finished): the server is done and has
	 * no timer; the client's timer sends its flight again and the server answers it. */
	lose_and_recover(1, 1, 2);
}

static void test_deadline_fires_with_reason(void)
{
	struct dtls_srtp_opts o = { .deadline_ms = 10000 }, o2 = { .deadline_ms = 300 };
	struct dtls_srtp *c = NULL, *s = NULL;
	char why[DTLS_SRTP_WHY];
	uint64_t t0 = 1000000;

	/* A client whose every datagram is lost. */
	wires_reset();
	wires[0].drop_to = 1000;
	CHECK_INT(dtls_srtp_alloc(&c, client_cert, DTLS_SETUP_ACTIVE, NULL, NULL, &o,
				  wire_send, &wires[0], why, sizeof(why)), 0);
	CHECK_INT(dtls_srtp_start(c, t0), DTLS_SRTP_HANDSHAKE);
	/* Its first retransmission is due in about DTLS_SRTP_RTO_MS. */
	int t = dtls_srtp_timeout_ms(c, t0);
	CHECK(t > 0 && t <= DTLS_SRTP_RTO_MS);
	CHECK_INT(dtls_srtp_on_timeout(c, t0 + 9999), DTLS_SRTP_HANDSHAKE);
	CHECK_INT(dtls_srtp_timeout_ms(c, t0 + 9999), 1);   /* the deadline is nearer */
	CHECK_INT(dtls_srtp_on_timeout(c, t0 + 10000), DTLS_SRTP_FAILED);
	CHECK_STR(dtls_srtp_why(c), "DTLS handshake did not finish in 10 s (nothing came from "
		  "the peer)");
	CHECK_INT(dtls_srtp_timeout_ms(c, t0 + 10001), -1);
	/* A failed endpoint takes nothing more. */
	uint8_t junk[20] = { 22, 0xfe, 0xfd };
	struct dtls_srtp_stats st;
	dtls_srtp_feed(c, junk, sizeof(junk), t0 + 10002);
	dtls_srtp_get_stats(c, &st);
	CHECK_INT(st.dropped, 1);
	dtls_srtp_free(c);

	/* A server nobody calls: the same, with its likely cause. */
	CHECK_INT(dtls_srtp_alloc(&s, server_cert, DTLS_SETUP_PASSIVE, NULL, NULL, &o2,
				  wire_send, &wires[1], why, sizeof(why)), 0);
	CHECK_INT(dtls_srtp_start(s, t0), DTLS_SRTP_HANDSHAKE);
	CHECK_INT(dtls_srtp_timeout_ms(s, t0 + 100), 200);
	CHECK_INT(dtls_srtp_on_timeout(s, t0 + 300), DTLS_SRTP_FAILED);
	CHECK(strstr(dtls_srtp_why(s), "DTLS handshake did not finish in 0.3 s") ==
	      dtls_srtp_why(s));
	CHECK(strstr(dtls_srtp_why(s), "a=setup:passive") != NULL);
	dtls_srtp_free(s);
}

static void test_close_notify_ends_dtls(void)
{
	struct dtls_srtp *c, *s;
	struct dtls_srtp_keys k;

	make_pair(&c, &s, NULL, NULL);
	dtls_srtp_start(c, now_ms());
	run(c, s, 2000);
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_CONNECTED);
	dtls_srtp_close(c);
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_CLOSED);
	CHECK_STR(dtls_srtp_why(c), "we ended DTLS");
	CHECK(wires[0].count == 1);                /* the alert */
	pump(c, s);
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_CLOSED);
	CHECK_STR(dtls_srtp_why(s), "the peer ended DTLS (close_notify)");
	CHECK_INT(dtls_srtp_keys(s, &k), -1);
	dtls_srtp_close(s);                        /* again: nothing happens */
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_CLOSED);
	dtls_srtp_free(c);
	dtls_srtp_free(s);
}

static void test_both_sides_active_says_so(void)
{
	struct dtls_srtp *a = NULL, *b = NULL;
	char why[DTLS_SRTP_WHY];

	wires_reset();
	CHECK_INT(dtls_srtp_alloc(&a, client_cert, DTLS_SETUP_ACTIVE, NULL, NULL, NULL,
				  wire_send, &wires[0], why, sizeof(why)), 0);
	CHECK_INT(dtls_srtp_alloc(&b, server_cert, DTLS_SETUP_ACTIVE, NULL, NULL, NULL,
				  wire_send, &wires[1], why, sizeof(why)), 0);
	dtls_srtp_start(a, now_ms());
	dtls_srtp_start(b, now_ms());
	pump(a, b);
	CHECK_INT(dtls_srtp_state(a), DTLS_SRTP_FAILED);
	CHECK(strstr(dtls_srtp_why(a), "a=setup:active") != NULL);
	dtls_srtp_free(a);
	dtls_srtp_free(b);
}

static void test_small_mtu_fragments_within_it(void)
{
	struct dtls_srtp_opts o = { .mtu = 256 };
	struct dtls_srtp *c, *s;

	make_pair(&c, &s, &o, &o);
	dtls_srtp_start(c, now_ms());
	run(c, s, 2000);
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_CONNECTED);
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_CONNECTED);
	/* The certificate flights (~600 bytes) went as several datagrams, none over 256. */
	CHECK(wires[0].longest <= 256 && wires[1].longest <= 256);
	CHECK(wires[1].sent >= 4);
	dtls_srtp_free(c);
	dtls_srtp_free(s);

	/* The default keeps every datagram within 1200 bytes. */
	make_pair(&c, &s, NULL, NULL);
	dtls_srtp_start(c, now_ms());
	run(c, s, 2000);
	CHECK(wires[0].longest <= DTLS_SRTP_MTU && wires[1].longest <= DTLS_SRTP_MTU);
	dtls_srtp_free(c);
	dtls_srtp_free(s);
}

static void test_garbage_mid_handshake_is_ignored(void)
{
	struct dtls_srtp *c, *s;
	uint8_t junk[200];

	make_pair(&c, &s, NULL, NULL);
	dtls_srtp_start(c, now_ms());
	pump(c, s);
	/* DTLS drops records it cannot read (RFC 6347 section 4.1.2.7): noise on the path
	 * does not end the handshake. */
	for (int i = 0; i < 50; i++) {
		for (size_t j = 0; j < sizeof(junk); j++)
			junk[j] = (uint8_t)(rand() & 0xff);
		junk[0] = (uint8_t)(20 + i % 44);
		junk[1] = 0xfe;
		junk[2] = 0xfd;
		dtls_srtp_feed(s, junk, sizeof(junk), now_ms());
		dtls_srtp_feed(c, junk, (size_t)(i % 40) + 1, now_ms());
	}
	run(c, s, 2000);
	CHECK_INT(dtls_srtp_state(c), DTLS_SRTP_CONNECTED);
	CHECK_INT(dtls_srtp_state(s), DTLS_SRTP_CONNECTED);
	dtls_srtp_free(c);
	dtls_srtp_free(s);
}

/* ---- the certificate on disk ---- */

struct notes {
	int n;
	char last[1024];
};

static void on_note(void *arg, const char *line)
{
	struct notes *nt = arg;

	nt->n++;
	snprintf(nt->last, sizeof(nt->last), "%s", line);
}

static char tmpdir[256];

static void make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/ttydtls-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static void test_cert_is_made_once_and_kept(void)
{
	char path[512], why[256], fp[DTLS_CERT_FP];
	struct notes nt = { 0 };
	struct dtls_cert *c = NULL;
	struct stat st;
	time_t now = time(NULL);

	snprintf(path, sizeof(path), "%s/data/ttyphone/%s", tmpdir, DTLS_CERT_FILE);
	CHECK_INT(dtls_cert_load(&c, path, now, on_note, &nt, why, sizeof(why)), 0);
	CHECK_INT(nt.n, 1);
	CHECK(strstr(nt.last, "DTLS certificate made") != NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	snprintf(fp, sizeof(fp), "%s", dtls_cert_fingerprint(c));
	CHECK(strncmp(fp, "sha-256 ", 8) == 0);
	CHECK_STR(dtls_cert_fp_value(c), fp + 8);
	CHECK_INT(strlen(fp), 8 + 32 * 3 - 1);
	CHECK(dtls_cert_expires(c) > now + 364 * 86400 && dtls_cert_expires(c) <= now + 366 * 86400);
	/* ECDSA P-256 and CN "ttyphone", self-signed. */
	X509 *x = dtls_cert_x509(c);
	char cn[64] = "";
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	CHECK_STR(cn, "ttyphone");
	CHECK_INT(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	CHECK_INT(EVP_PKEY_base_id(dtls_cert_key(c)), EVP_PKEY_EC);
	CHECK_INT(EVP_PKEY_bits(dtls_cert_key(c)), 256);
	CHECK_INT(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	dtls_cert_free(c);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	snprintf(why, sizeof(why), "%s/data/ttyphone", tmpdir);
	CHECK_INT(stat(why, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	/* Loaded again, a day and a month later: the same, without a word. */
	for (int i = 0; i < 2; i++) {
		c = NULL;
		CHECK_INT(dtls_cert_load(&c, path, now + (i ? 30 * 86400 : 86400), on_note, &nt,
					 why, sizeof(why)), 0);
		CHECK_INT(nt.n, 1);
		CHECK(c && strcmp(dtls_cert_fingerprint(c), fp) == 0);
		dtls_cert_free(c);
	}
	/* No temporary file left beside it. */
	char dir[512], cmd[600];
	snprintf(dir, sizeof(dir), "%s/data/ttyphone", tmpdir);
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	CHECK_INT(system(cmd), 0);
}

static void test_default_path_is_the_data_directory(void)
{
	char path[512], want[512];
	const char *old = getenv("XDG_DATA_HOME");
	char saved[512] = "";

	if (old)
		snprintf(saved, sizeof(saved), "%s", old);
	setenv("XDG_DATA_HOME", "/x/share", 1);
	dtls_cert_default_path(path, sizeof(path));
	CHECK_STR(path, "/x/share/ttyphone/dtls-cert.pem");
	unsetenv("XDG_DATA_HOME");
	dtls_cert_default_path(path, sizeof(path));
	snprintf(want, sizeof(want), "%s/.local/share/ttyphone/dtls-cert.pem", getenv("HOME"));
	CHECK_STR(path, want);
	if (saved[0])
		setenv("XDG_DATA_HOME", saved, 1);
}

/* Load path (as it is) and expect it replaced with a note containing reason. */
static void expect_replaced(const char *path, time_t now, const char *reason)
{
	char why[256], fp[DTLS_CERT_FP];
	struct notes nt = { 0 };
	struct dtls_cert *c = NULL;
	struct stat st;

	CHECK_INT(dtls_cert_load(&c, path, now, on_note, &nt, why, sizeof(why)), 0);
	CHECK_INT(nt.n, 1);
	CHECK(strstr(nt.last, "replaced") != NULL);
	if (!strstr(nt.last, reason)) {
		fprintf(stderr, "note \"%s\" lacks \"%s\"\n", nt.last, reason);
		CHECK(0);
	}
	if (!c)
		return;
	snprintf(fp, sizeof(fp), "%s", dtls_cert_fingerprint(c));
	dtls_cert_free(c);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	/* What replaced it is good: loaded again, it stays. */
	c = NULL;
	CHECK_INT(dtls_cert_load(&c, path, now, on_note, &nt, why, sizeof(why)), 0);
	CHECK_INT(nt.n, 1);
	CHECK(c && strcmp(dtls_cert_fingerprint(c), fp) == 0);
	dtls_cert_free(c);
}

static void test_damaged_cert_file_is_replaced(void)
{
	char path[512], half[4096];
	time_t now = time(NULL);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/bad.pem", tmpdir);
	write_file(path, "not a certificate\n", 0600);
	expect_replaced(path, now, "no private key");
	/* Cut in the middle of the certificate. */
	f = fopen(path, "r");
	CHECK(f != NULL);
	n = f ? fread(half, 1, sizeof(half) - 1, f) : 0;
	if (f)
		fclose(f);
	half[n * 3 / 4] = '\0';
	write_file(path, half, 0600);
	expect_replaced(path, now, "no certificate");
	/* An empty file. */
	write_file(path, "", 0600);
	expect_replaced(path, now, "no private key");
}

static void test_cert_file_others_can_read_is_replaced(void)
{
	char path[512], why[256];
	struct dtls_cert *c = NULL;

	snprintf(path, sizeof(path), "%s/open.pem", tmpdir);
	CHECK_INT(dtls_cert_load(&c, path, time(NULL), NULL, NULL, why, sizeof(why)), 0);
	dtls_cert_free(c);
	CHECK_INT(chmod(path, 0644), 0);
	expect_replaced(path, time(NULL), "other users could read it (mode 0644)");
}

static void test_expired_cert_is_renewed(void)
{
	char path[512], why[256], fp[DTLS_CERT_FP];
	struct dtls_cert *c = NULL;
	time_t now = time(NULL);

	snprintf(path, sizeof(path), "%s/old.pem", tmpdir);
	CHECK_INT(dtls_cert_load(&c, path, now, NULL, NULL, why, sizeof(why)), 0);
	snprintf(fp, sizeof(fp), "%s", c ? dtls_cert_fingerprint(c) : "");
	dtls_cert_free(c);
	/* A year on: expires within the renewal margin, then past it. */
	expect_replaced(path, now + 365 * 86400 - DTLS_CERT_RENEW_S / 2, "it expires on");
	c = NULL;
	CHECK_INT(dtls_cert_load(&c, path, now + 365 * 86400, NULL, NULL, why, sizeof(why)), 0);
	CHECK(c && strcmp(dtls_cert_fingerprint(c), fp) != 0);
	dtls_cert_free(c);
	expect_replaced(path, now + 800 * 86400, "it expired on");
}

static void test_cert_that_cannot_be_saved_is_still_used(void)
{
	char file[512], path[600], why[256];
	struct notes nt = { 0 };
	struct dtls_cert *c = NULL;

	/* The data directory's place is taken by a file. */
	snprintf(file, sizeof(file), "%s/plainfile", tmpdir);
	write_file(file, "x", 0600);
	snprintf(path, sizeof(path), "%s/ttyphone/%s", file, DTLS_CERT_FILE);
	CHECK_INT(dtls_cert_load(&c, path, time(NULL), on_note, &nt, why, sizeof(why)), 0);
	CHECK(c != NULL);
	CHECK_INT(nt.n, 1);
	CHECK(strstr(nt.last, "for this run only") != NULL);
	CHECK(strstr(nt.last, "cannot create the folder") != NULL);
	dtls_cert_free(c);
}

static void test_fingerprints_with_each_hash(void)
{
	static const struct { const char *alg, *abc; } v[] = {
		{ "sha-1", "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D" },
		{ "SHA-256", "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:"
			     "7A:9C:B4:10:FF:61:F2:00:15:AD" },
	};
	char out[DTLS_FP_TEXT], why[256];
	uint8_t md[DTLS_MD_MAX], md2[DTLS_MD_MAX];
	size_t n, n2;

	/* Known digests of "abc" (FIPS 180). */
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(dtls_fingerprint(v[i].alg, (const uint8_t *)"abc", 3, out, sizeof(out),
					   why, sizeof(why)), 0);
		CHECK_STR(out, v[i].abc);
	}
	/* Our certificate's sha-256 is the one its SDP line gives; each size is right. */
	unsigned char *der = NULL;
	int len = i2d_X509(dtls_cert_x509(client_cert), &der);
	CHECK(len > 0);
	CHECK_INT(dtls_fingerprint("sha-256", der, (size_t)len, out, sizeof(out), why,
				   sizeof(why)), 0);
	CHECK_STR(out, dtls_cert_fingerprint(client_cert) + 8);
	static const char *const algs[] = { "sha-1", "sha-224", "sha-256", "sha-384", "sha-512" };
	static const size_t sizes[] = { 20, 28, 32, 48, 64 };
	for (size_t i = 0; i < 5; i++) {
		CHECK_INT(dtls_fingerprint(algs[i], der, (size_t)len, out, sizeof(out), why,
					   sizeof(why)), 0);
		CHECK_INT(strlen(out), sizes[i] * 3 - 1);
		CHECK_INT(dtls_fp_size(algs[i]), sizes[i]);
		/* What we print parses back, in either case. */
		CHECK_INT(dtls_fp_digest(algs[i], der, (size_t)len, md, &n, why, sizeof(why)), 0);
		for (char *p = out; *p; p++)
			*p = (char)(i % 2 ? *p : (*p >= 'A' && *p <= 'F' ? *p + 32 : *p));
		CHECK_INT(dtls_fp_parse(algs[i], out, md2, &n2, why, sizeof(why)), 0);
		CHECK_INT(n2, n);
		CHECK(memcmp(md, md2, n) == 0);
	}
	OPENSSL_free(der);
	CHECK_INT(dtls_fingerprint("md5", (const uint8_t *)"abc", 3, out, sizeof(out), why,
				   sizeof(why)), -1);
	CHECK(strstr(why, "unknown fingerprint hash \"md5\"") != NULL);
	CHECK_INT(dtls_fp_size("md5"), 0);
	/* Blanks around a value are SDP's, not the value's. */
	CHECK_INT(dtls_fp_parse("sha-1", " A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:"
				"D0:D8:9D\r\n", md, &n, why, sizeof(why)), 0);
	CHECK_INT(dtls_fp_parse("sha-1", "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:"
				"D0:D8:9D:00", md, &n, why, sizeof(why)), -1);
	CHECK(strstr(why, "longer than 20") != NULL);
	CHECK_INT(dtls_fp_parse("sha-1", "A9:99:3E", md, &n, why, sizeof(why)), -1);
	CHECK_STR(why, "the sha-1 fingerprint has 3 bytes, not 20");
	CHECK_INT(dtls_fp_parse("sha-1", "A9:9", md, &n, why, sizeof(why)), -1);
	CHECK_INT(dtls_fp_parse("sha-1", "A9::99", md, &n, why, sizeof(why)), -1);
	CHECK_INT(dtls_fp_parse("sha-1", "", md, &n, why, sizeof(why)), -1);
	/* Formatting never overruns: a short buffer holds whole pairs only. */
	char small[8];
	dtls_fp_format((const uint8_t *)"\x01\x02\x03\x04", 4, small, sizeof(small));
	CHECK_STR(small, "01:02");
}

/* ---- RFC 7983 ---- */

static void test_demux_table(void)
{
	static const struct {
		uint8_t b0, b1;
		size_t len;
		enum webrtc_pkt want;
	} t[] = {
		{ 0, 1, 20, WEBRTC_PKT_STUN },          /* Binding request */
		{ 1, 1, 100, WEBRTC_PKT_STUN },         /* Binding success */
		{ 3, 0, 20, WEBRTC_PKT_STUN },
		{ 0, 1, 19, WEBRTC_PKT_DROP },          /* shorter than a STUN header */
		{ 4, 0, 100, WEBRTC_PKT_DROP },
		{ 15, 0, 100, WEBRTC_PKT_DROP },
		{ 16, 0, 12, WEBRTC_PKT_ZRTP },
		{ 19, 0, 100, WEBRTC_PKT_ZRTP },
		{ 16, 0, 11, WEBRTC_PKT_DROP },
		{ 20, 0xfe, 13, WEBRTC_PKT_DTLS },      /* ChangeCipherSpec */
		{ 22, 0xfe, 200, WEBRTC_PKT_DTLS },     /* Handshake */
		{ 23, 0xfe, 100, WEBRTC_PKT_DTLS },     /* application data */
		{ 63, 0, 13, WEBRTC_PKT_DTLS },
		{ 22, 0xfe, 12, WEBRTC_PKT_DROP },
		{ 64, 0, 4, WEBRTC_PKT_TURN_CHANNEL },
		{ 79, 0xff, 100, WEBRTC_PKT_TURN_CHANNEL },
		{ 64, 0, 3, WEBRTC_PKT_DROP },
		{ 80, 0, 100, WEBRTC_PKT_DROP },
		{ 127, 0, 100, WEBRTC_PKT_DROP },
		{ 0x80, 111, 12, WEBRTC_PKT_RTP },      /* Opus */
		{ 0x80, 0x80 | 111, 100, WEBRTC_PKT_RTP },  /* with the marker */
		{ 0x90, 0, 100, WEBRTC_PKT_RTP },       /* PCMU with an extension */
		{ 0x80, 63, 12, WEBRTC_PKT_RTP },
		{ 0x80, 96, 12, WEBRTC_PKT_RTP },       /* first dynamic type past RTCP's */
		{ 0x80, 0x80 | 96, 12, WEBRTC_PKT_RTP },
		{ 0x80, 111, 11, WEBRTC_PKT_DROP },
		{ 0x80, 200, 8, WEBRTC_PKT_RTCP },      /* SR */
		{ 0x81, 201, 32, WEBRTC_PKT_RTCP },     /* RR */
		{ 0x81, 205, 16, WEBRTC_PKT_RTCP },     /* RTPFB (NACK, transport-cc) */
		{ 0x8f, 206, 24, WEBRTC_PKT_RTCP },     /* PSFB (REMB) */
		{ 0x80, 192, 8, WEBRTC_PKT_RTCP },      /* 64 after the mask */
		{ 0x80, 223, 8, WEBRTC_PKT_RTCP },      /* 95 */
		{ 0x80, 64, 8, WEBRTC_PKT_RTCP },       /* the marker-less form */
		{ 0x80, 95, 8, WEBRTC_PKT_RTCP },
		{ 0x80, 224, 12, WEBRTC_PKT_RTP },      /* 96 with the marker */
		{ 0x80, 200, 7, WEBRTC_PKT_DROP },
		{ 0xbf, 201, 8, WEBRTC_PKT_RTCP },
		{ 0xc0, 0, 100, WEBRTC_PKT_DROP },      /* RTP version 3 */
		{ 0xff, 0, 100, WEBRTC_PKT_DROP },
	};
	uint8_t pkt[128] = { 0 };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum webrtc_pkt got;

		pkt[0] = t[i].b0;
		pkt[1] = t[i].b1;
		got = webrtc_demux(pkt, t[i].len);
		if (got != t[i].want)
			fprintf(stderr, "demux %u %u len %zu: %s, expected %s\n", t[i].b0, t[i].b1,
				t[i].len, webrtc_pkt_name(got), webrtc_pkt_name(t[i].want));
		CHECK_INT(got, t[i].want);
	}
	CHECK_INT(webrtc_demux(pkt, 0), WEBRTC_PKT_DROP);
	CHECK_INT(webrtc_demux(NULL, 10), WEBRTC_PKT_DROP);
	pkt[0] = 0x80;
	CHECK_INT(webrtc_demux(pkt, 1), WEBRTC_PKT_DROP);
	/* Every first byte lands in its RFC 7983 range, or is dropped. */
	for (int b = 0; b < 256; b++) {
		enum webrtc_pkt want = b <= 3 ? WEBRTC_PKT_STUN : b >= 16 && b <= 19 ?
			WEBRTC_PKT_ZRTP : b >= 20 && b <= 63 ? WEBRTC_PKT_DTLS : b >= 64 && b <= 79 ?
			WEBRTC_PKT_TURN_CHANNEL : b >= 128 && b <= 191 ? WEBRTC_PKT_RTP :
			WEBRTC_PKT_DROP;

		pkt[0] = (uint8_t)b;
		pkt[1] = 0;
		CHECK_INT(webrtc_demux(pkt, 100), want);
	}
	CHECK_STR(webrtc_pkt_name(WEBRTC_PKT_DTLS), "dtls");
	CHECK_STR(webrtc_pkt_name(WEBRTC_PKT_RTCP), "rtcp");
}

int main(void)
{
	char why[256];

	make_tmpdir();
	if (dtls_cert_make(&client_cert, time(NULL), why, sizeof(why)) != 0 ||
	    dtls_cert_make(&server_cert, time(NULL), why, sizeof(why)) != 0) {
		fprintf(stderr, "cannot make certificates: %s\n", why);
		return 1;
	}
	CHECK(strcmp(dtls_cert_fingerprint(client_cert), dtls_cert_fingerprint(server_cert)));
	RUN(test_handshake_gives_crosswise_keys);
	RUN(test_keys_protect_srtp_between_sides_per_profile);
	RUN(test_server_order_picks_the_profile);
	RUN(test_no_common_profile_fails_with_reason);
	RUN(test_tampered_fingerprint_fails_with_reason);
	RUN(test_fingerprint_that_comes_after_the_handshake);
	RUN(test_malformed_fingerprint_is_refused);
	RUN(test_lost_datagrams_come_again_on_the_timer);
	RUN(test_deadline_fires_with_reason);
	RUN(test_close_notify_ends_dtls);
	RUN(test_both_sides_active_says_so);
	RUN(test_small_mtu_fragments_within_it);
	RUN(test_garbage_mid_handshake_is_ignored);
	RUN(test_cert_is_made_once_and_kept);
	RUN(test_default_path_is_the_data_directory);
	RUN(test_damaged_cert_file_is_replaced);
	RUN(test_cert_file_others_can_read_is_replaced);
	RUN(test_expired_cert_is_renewed);
	RUN(test_cert_that_cannot_be_saved_is_still_used);
	RUN(test_fingerprints_with_each_hash);
	RUN(test_demux_table);
	dtls_cert_free(client_cert);
	dtls_cert_free(server_cert);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return unit_done();
}
