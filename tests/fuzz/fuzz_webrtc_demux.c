/* fuzz_webrtc_demux.c: datagrams from whoever can reach a WebRTC socket, through the RFC
 * 7983 demultiplexer and into a DTLS-SRTP endpoint, as the call's helper thread will see
 * them.
 *
 * The first input byte picks the endpoint the datagrams go to:
 *   0: a server that has seen nothing yet (the input is its first ClientHello);
 *   1: a server in the middle of a real handshake: it took a genuine ClientHello and
 *      sent its first flight, and waits for the client's certificate and Finished;
 *   2: a client that sent its ClientHello and waits for the server's flight;
 *   3: a server whose handshake with a real client finished (keys made): the input is
 *      what comes after (retransmissions, alerts, close_notify, junk).
 * and (bit 2) whether the peer's fingerprint was in the SDP. The rest is a list of
 * datagrams: a flag byte (bit 7: serve the timer after it; low bits: how many 100 ms
 * of the caller's clock pass), a two-byte length, the bytes.
 *
 * Properties besides no crash, no UB, no leak: the class implies the first byte's RFC 7983
 * range and at least the protocol's header; every datagram the endpoint sends fits the
 * MTU; each datagram is counted once (taken or dropped); nothing is sent after the end;
 * the timer is never negative but -1; and no input makes keys where there were none: a
 * handshake cannot be finished without the peer's private key, so modes 0-2 never reach
 * CONNECTED, and mode 3 keeps the keys it had (or ends). */
#include "fuzz.h"
#include "media/webrtc/demux.h"
#include "media/webrtc/dtls_cert.h"
#include "media/webrtc/dtls_srtp.h"

#include <time.h>

static struct dtls_cert *client_cert, *server_cert;
static char client_alg[16], server_alg[16];
static const char *client_fp, *server_fp;
static uint8_t hello[DTLS_SRTP_MTU];   /* a genuine ClientHello, captured at start */
static size_t hello_len;

/* Where an endpoint's datagrams go: counted and checked; kept when a peer needs them. */
struct sink {
	unsigned n;
	bool keep;
	uint8_t pkt[16][DTLS_SRTP_MTU];
	size_t len[16];
	unsigned kept;
};

static int sink_send(void *arg, const uint8_t *pkt, size_t len)
{
	struct sink *s = arg;

	FUZZ_ASSERT(len > 0 && len <= DTLS_SRTP_MTU);
	s->n++;
	if (s->keep && s->kept < 16) {
		memcpy(s->pkt[s->kept], pkt, len);
		s->len[s->kept++] = len;
	}
	return 0;
}

static void split(const struct dtls_cert *c, char *alg, size_t alglen, const char **value)
{
	const char *fp = dtls_cert_fingerprint(c), *sp = strchr(fp, ' ');

	snprintf(alg, alglen, "%.*s", (int)(sp - fp), fp);
	*value = sp + 1;
}

static struct dtls_srtp *endpoint(const struct dtls_cert *cert, enum dtls_setup setup,
				  bool with_fp, struct sink *s)
{
	struct dtls_srtp *d = NULL;
	char why[DTLS_SRTP_WHY];
	/* Each knows the other's fingerprint, as after offer/answer. */
	const char *alg = cert == server_cert ? client_alg : server_alg;
	const char *fp = cert == server_cert ? client_fp : server_fp;

	if (dtls_srtp_alloc(&d, cert, setup, with_fp ? alg : NULL, with_fp ? fp : NULL, NULL,
			    sink_send, s, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_webrtc_demux: %s\n", why);
		abort();
	}
	return d;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct sink s = { .keep = true };
	struct dtls_srtp *c;
	char why[256];

	(void)argc;
	(void)argv;
	if (dtls_cert_make(&client_cert, time(NULL), why, sizeof(why)) != 0 ||
	    dtls_cert_make(&server_cert, time(NULL), why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_webrtc_demux: %s\n", why);
		abort();
	}
	split(client_cert, client_alg, sizeof(client_alg), &client_fp);
	split(server_cert, server_alg, sizeof(server_alg), &server_fp);
	c = endpoint(client_cert, DTLS_SETUP_ACTIVE, true, &s);
	dtls_srtp_start(c, 0);
	FUZZ_ASSERT(s.kept == 1);
	hello_len = s.len[0];
	memcpy(hello, s.pkt[0], hello_len);
	dtls_srtp_free(c);
	return 0;
}

/* A real handshake between a client and server; returns the server, connected. */
static struct dtls_srtp *connected_server(struct sink *ss)
{
	struct sink cs = { .keep = true };
	struct dtls_srtp *c = endpoint(client_cert, DTLS_SETUP_ACTIVE, true, &cs);
	struct dtls_srtp *s;
	unsigned ci = 0, si = 0;

	ss->keep = true;
	s = endpoint(server_cert, DTLS_SETUP_PASSIVE, true, ss);
	dtls_srtp_start(c, 0);
	for (int round = 0; round < 8 && (ci < cs.kept || si < ss->kept); round++) {
		while (ci < cs.kept) {
			dtls_srtp_feed(s, cs.pkt[ci], cs.len[ci], 0);
			ci++;
		}
		while (si < ss->kept) {
			dtls_srtp_feed(c, ss->pkt[si], ss->len[si], 0);
			si++;
		}
	}
	FUZZ_ASSERT(dtls_srtp_state(s) == DTLS_SRTP_CONNECTED);
	FUZZ_ASSERT(dtls_srtp_state(c) == DTLS_SRTP_CONNECTED);
	dtls_srtp_free(c);
	ss->keep = false;
	return s;
}

static void check_class(const uint8_t *p, size_t len, enum webrtc_pkt k)
{
	static const size_t min[] = { [WEBRTC_PKT_STUN] = 20, [WEBRTC_PKT_ZRTP] = 12,
		[WEBRTC_PKT_DTLS] = 13, [WEBRTC_PKT_TURN_CHANNEL] = 4, [WEBRTC_PKT_RTP] = 12,
		[WEBRTC_PKT_RTCP] = 8 };

	FUZZ_ASSERT(k >= WEBRTC_PKT_DROP && k <= WEBRTC_PKT_RTCP);
	if (k == WEBRTC_PKT_DROP)
		return;
	FUZZ_ASSERT(len >= min[k]);
	switch (k) {
	case WEBRTC_PKT_STUN: FUZZ_ASSERT(p[0] <= 3); break;
	case WEBRTC_PKT_ZRTP: FUZZ_ASSERT(p[0] >= 16 && p[0] <= 19); break;
	case WEBRTC_PKT_DTLS: FUZZ_ASSERT(p[0] >= 20 && p[0] <= 63); break;
	case WEBRTC_PKT_TURN_CHANNEL: FUZZ_ASSERT(p[0] >= 64 && p[0] <= 79); break;
	case WEBRTC_PKT_RTP:
		FUZZ_ASSERT(p[0] >= 128 && p[0] <= 191);
		FUZZ_ASSERT((p[1] & 0x7f) < 64 || (p[1] & 0x7f) > 95);
		break;
	case WEBRTC_PKT_RTCP:
		FUZZ_ASSERT(p[0] >= 128 && p[0] <= 191);
		FUZZ_ASSERT((p[1] & 0x7f) >= 64 && (p[1] & 0x7f) <= 95);
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_u8(&in);
	unsigned which = mode & 3;
	bool with_fp = mode & 4;
	struct sink out = { 0 };
	struct dtls_srtp *d;
	struct dtls_srtp_keys before, now_keys;
	struct dtls_srtp_stats st;
	uint64_t now = 0, fed = 0;
	bool had_keys = false;

	switch (which) {
	case 0:
		d = endpoint(server_cert, DTLS_SETUP_PASSIVE, with_fp, &out);
		break;
	case 1:
		d = endpoint(server_cert, DTLS_SETUP_PASSIVE, with_fp, &out);
		dtls_srtp_feed(d, hello, hello_len, 0);
		fed++;
		FUZZ_ASSERT(dtls_srtp_state(d) == DTLS_SRTP_HANDSHAKE && out.n >= 1);
		break;
	case 2:
		d = endpoint(client_cert, DTLS_SETUP_ACTIVE, with_fp, &out);
		dtls_srtp_start(d, 0);
		break;
	default:
		d = connected_server(&out);
		fed = 0;
		{
			struct dtls_srtp_stats s0;
			dtls_srtp_get_stats(d, &s0);
			fed = s0.in + s0.dropped;
		}
		had_keys = dtls_srtp_keys(d, &before) == 0;
		FUZZ_ASSERT(had_keys);
		break;
	}
	while (in.n > 0) {
		uint8_t flags = fuzz_u8(&in);
		size_t len = fuzz_u16(&in), t;
		enum dtls_srtp_state s0 = dtls_srtp_state(d), s1;
		unsigned sent0 = out.n;
		int tmo;

		if (len > in.n)
			len = in.n;
		/* A copy of exactly len bytes, so that ASan sees any read past the datagram. */
		uint8_t *p = malloc(len ? len : 1);
		if (!p)
			abort();
		if (len)
			memcpy(p, in.p, len);
		in.p += len;
		in.n -= len;
		check_class(p, len, webrtc_demux(p, len));
		/* Everything, not only what the demultiplexer calls DTLS: the endpoint must
		 * survive a caller that gets it wrong. */
		now += (flags & 0x7f) * 100u;
		s1 = dtls_srtp_feed(d, p, len, now);
		fed++;
		free(p);
		if (s0 == DTLS_SRTP_FAILED || s0 == DTLS_SRTP_CLOSED) {
			FUZZ_ASSERT(s1 == s0);
			FUZZ_ASSERT(out.n == sent0);
		}
		if (flags & 0x80) {
			tmo = dtls_srtp_timeout_ms(d, now);
			FUZZ_ASSERT(tmo >= -1);
			t = tmo > 0 ? (size_t)tmo : 0;
			now += t;
			s1 = dtls_srtp_on_timeout(d, now);
		}
		if (which != 3)
			FUZZ_ASSERT(s1 != DTLS_SRTP_CONNECTED);
		FUZZ_ASSERT(s1 >= DTLS_SRTP_NEW && s1 <= DTLS_SRTP_CLOSED);
		if (s1 == DTLS_SRTP_FAILED || s1 == DTLS_SRTP_CLOSED)
			FUZZ_ASSERT(dtls_srtp_why(d)[0] != '\0');
	}
	dtls_srtp_get_stats(d, &st);
	FUZZ_ASSERT(st.in + st.dropped == fed);
	FUZZ_ASSERT(st.out == out.n);
	if (had_keys && dtls_srtp_keys(d, &now_keys) == 0)
		FUZZ_ASSERT(memcmp(&before, &now_keys, sizeof(before)) == 0);
	dtls_srtp_free(d);
	return 0;
}
