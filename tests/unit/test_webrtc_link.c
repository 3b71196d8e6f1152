/* test_webrtc_link.c: one WebRTC call's transport (src/media/webrtc/webrtc_link.*), two
 * links on 127.0.0.1 in one process, their SDP sides swapped crosswise as an offer and an
 * answer would carry them. In both DTLS role assignments (the offerer passive, as browsers
 * answer with a=setup:active, and the offerer active) each side sees GATHERING_DONE, then
 * ICE_CONNECTED, then KEYS once; the keys are crosswise equal; an SRTP-sized packet goes
 * through the rings both ways; close sends close_notify, which the peer reports. DTLS that
 * comes before set_remote is kept and fed. A wrong fingerprint fails both sides once, with
 * the sentence, and no keys; a peer that never answers ICE, or answers ICE but not DTLS,
 * fails by the bound; set_remote's refusals and the re-INVITE no-op; free at every stage.
 * Candidates trickled after an SDP without any (RFC 8840) connect the call; a trickle
 * before the SDP or for another ICE generation is refused by name.
 *
 * Timing: lower bounds exact, upper bounds with room, wider under ASan (TTY_SANITIZED=1)
 * and valgrind, as in test_webrtc_ice. */
#include "unit.h"
#include "media/webrtc/webrtc_link.h"
#include "media/webrtc/ice_text.h"
#include "media/srtp_sess.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NKINDS (WL_EV_CLOSED + 1)

static bool slow;                  /* under ASan or valgrind: wider upper bounds */
static pthread_t main_thread;
static struct dtls_cert *cert_a, *cert_b, *cert_other;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int limit(int ms)
{
	return slow ? ms * 10 : ms;
}

static void msleep(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* What one link's callback saw, written on its ice thread, read by the test. */
struct side {
	const char *name;
	struct webrtc_link *l;
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned nev[NKINDS];
	char text[NKINDS][WL_TEXT];        /* the last event of each kind */
	int64_t first_ms[NKINDS];          /* when the first of each kind came */
	struct ice_pair pair;
	struct dtls_srtp_keys keys;
	bool on_main;                      /* the callback ran on the test's thread */
	bool freed;                        /* set after webrtc_link_free */
	unsigned after_free;               /* callbacks after that */
};

static void on_event(void *arg, const struct webrtc_link_event *ev)
{
	struct side *s = arg;

	pthread_mutex_lock(&s->m);
	if (pthread_equal(pthread_self(), main_thread))
		s->on_main = true;
	if (s->freed)
		s->after_free++;
	if (!s->nev[ev->kind])
		s->first_ms[ev->kind] = now_ms();
	s->nev[ev->kind]++;
	snprintf(s->text[ev->kind], WL_TEXT, "%s", ev->text);
	if (ev->kind == WL_EV_ICE_CONNECTED)
		s->pair = ev->pair;
	if (ev->kind == WL_EV_KEYS)
		s->keys = ev->keys;
	if (getenv("TTY_LINK_TRACE"))
		fprintf(stderr, "%lld %s: %s %s\n", (long long)now_ms(), s->name,
			webrtc_link_ev_name(ev->kind), ev->text);
	pthread_cond_broadcast(&s->c);
	pthread_mutex_unlock(&s->m);
}

static void side_init(struct side *s, const char *name)
{
	pthread_condattr_t ca;

	memset(s, 0, sizeof(*s));
	s->name = name;
	pthread_mutex_init(&s->m, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->c, &ca);
	pthread_condattr_destroy(&ca);
}

/* Free the link and show that no callback comes afterwards. */
static void side_free(struct side *s)
{
	if (!s->l)
		return;
	webrtc_link_free(s->l);
	s->l = NULL;
	pthread_mutex_lock(&s->m);
	s->freed = true;
	pthread_mutex_unlock(&s->m);
}

static void side_done(struct side *s)
{
	side_free(s);
	msleep(20);
	pthread_mutex_lock(&s->m);
	CHECK_INT(s->after_free, 0);
	CHECK(!s->on_main);
	pthread_mutex_unlock(&s->m);
	explicit_bzero(&s->keys, sizeof(s->keys));
	pthread_cond_destroy(&s->c);
	pthread_mutex_destroy(&s->m);
}

static unsigned seen(struct side *s, enum webrtc_link_ev k)
{
	unsigned n;

	pthread_mutex_lock(&s->m);
	n = s->nev[k];
	pthread_mutex_unlock(&s->m);
	return n;
}

/* Wait until s has seen n events of kind k; the ms it took, or -1 after timeout_ms. */
static int64_t wait_ev(struct side *s, enum webrtc_link_ev k, unsigned n, int timeout_ms)
{
	int64_t t0 = now_ms(), r = -1;
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->m);
	while (s->nev[k] < n)
		if (pthread_cond_timedwait(&s->c, &s->m, &dl) == ETIMEDOUT)
			break;
	if (s->nev[k] >= n)
		r = now_ms() - t0;
	pthread_mutex_unlock(&s->m);
	return r;
}

static void loopback_opts(struct webrtc_link_opts *o, bool controlling,
			  const struct dtls_cert *cert)
{
	memset(o, 0, sizeof(*o));
	o->controlling = controlling;
	o->local_addr = "127.0.0.1";
	o->cert = cert;
}

static int side_alloc(struct side *s, const struct webrtc_link_opts *o)
{
	char why[WL_TEXT];
	int e = webrtc_link_alloc(&s->l, o, on_event, s, why, sizeof(why));

	if (e)
		fprintf(stderr, "%s: webrtc_link_alloc: %s\n", s->name, why);
	return e;
}

/* from's SDP side (an offer or an answer) into to, with our_role for to; fp, when given,
 * replaces from's fingerprint (a forged one). Returns set_remote's result. */
static int hand_over(struct side *from, struct side *to, enum dtls_setup role, const char *fp)
{
	struct sdp_webrtc sw;
	char why[WL_TEXT] = "";
	int e;

	memset(&sw, 0, sizeof(sw));
	webrtc_link_local(from->l, &sw);
	if (fp)
		snprintf(sw.fp, sizeof(sw.fp), "%s", fp);
	e = webrtc_link_set_remote(to->l, &sw, role, why, sizeof(why));
	if (e)
		fprintf(stderr, "%s: set_remote: %s\n", to->name, why);
	return e;
}

/* One SRTP-sized packet pushed into from's tx ring comes out of to's rx ring intact. */
static bool packet_through(struct side *from, struct side *to, uint8_t magic)
{
	uint8_t pkt[200];
	struct pkt_ring *rx = webrtc_link_rx_ring(to->l);
	int64_t dl = now_ms() + limit(2000);
	const uint8_t *got = NULL;
	size_t len = 0;
	bool ok;

	pkt[0] = 0x80;                     /* RTP version 2 */
	pkt[1] = 111;
	for (size_t i = 2; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(magic + i * 7);
	if (pkt_ring_push(webrtc_link_tx_ring(from->l), pkt, sizeof(pkt), 0) != 0)
		return false;
	while (!got && now_ms() < dl) {
		struct pollfd pfd = { .fd = pkt_ring_fd(rx), .events = POLLIN };

		if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
			break;
		pkt_ring_clear_wake(rx);
		got = pkt_ring_peek(rx, &len, NULL);
	}
	ok = got && len == sizeof(pkt) && memcmp(got, pkt, len) == 0;
	if (got)
		pkt_ring_pop(rx);
	return ok;
}

static void check_crosswise_keys(struct side *a, struct side *b)
{
	pthread_mutex_lock(&a->m);
	pthread_mutex_lock(&b->m);
	CHECK_INT(a->keys.suite, b->keys.suite);
	CHECK_INT(a->keys.suite, SUITE_AEAD_AES_128_GCM);  /* the server's first choice */
	CHECK_INT(a->keys.key_len, srtp_suite_key_len(a->keys.suite));
	CHECK_INT(a->keys.key_len, b->keys.key_len);
	CHECK(memcmp(a->keys.tx_key, b->keys.rx_key, a->keys.key_len) == 0);
	CHECK(memcmp(a->keys.rx_key, b->keys.tx_key, a->keys.key_len) == 0);
	CHECK(memcmp(a->keys.tx_key, a->keys.rx_key, a->keys.key_len) != 0);
	pthread_mutex_unlock(&b->m);
	pthread_mutex_unlock(&a->m);
}

/* ---- a call ---- */

/* A offers (controls ICE), B answers; offerer_active picks who is the DTLS client. */
static void call(bool offerer_active)
{
	struct side a, b;
	struct webrtc_link_opts oa, ob;
	struct webrtc_link_stats sa, sb;
	struct dtls_cert *ca, *cb;
	char why[WL_TEXT];
	int64_t t0, t_ice, t_keys;
	enum dtls_setup a_role = offerer_active ? DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE;
	enum dtls_setup b_role = offerer_active ? DTLS_SETUP_PASSIVE : DTLS_SETUP_ACTIVE;

	side_init(&a, "A");
	side_init(&b, "B");
	/* certificates of their own, given back right after alloc: each link keeps its
	 * own reference */
	CHECK_INT(dtls_cert_make(&ca, time(NULL), why, sizeof(why)), 0);
	CHECK_INT(dtls_cert_make(&cb, time(NULL), why, sizeof(why)), 0);
	if (!ca || !cb)
		goto out;
	loopback_opts(&oa, true, ca);
	loopback_opts(&ob, false, cb);
	CHECK_INT(side_alloc(&a, &oa), 0);
	CHECK_INT(side_alloc(&b, &ob), 0);
	dtls_cert_free(ca);
	dtls_cert_free(cb);
	if (!a.l || !b.l)
		goto out;
	webrtc_link_get_stats(a.l, &sa);
	CHECK_STR(sa.state, "new");
	CHECK(wait_ev(&a, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK(wait_ev(&b, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK_INT(seen(&a, WL_EV_CANDIDATE), 1);   /* one host candidate on 127.0.0.1 */

	t0 = now_ms();
	CHECK_INT(hand_over(&a, &b, b_role, NULL), 0);   /* the offer */
	CHECK_INT(hand_over(&b, &a, a_role, NULL), 0);   /* the answer */
	CHECK(wait_ev(&a, WL_EV_KEYS, 1, limit(5000)) >= 0);
	CHECK(wait_ev(&b, WL_EV_KEYS, 1, limit(5000)) >= 0);
	t_ice = (a.first_ms[WL_EV_ICE_CONNECTED] > b.first_ms[WL_EV_ICE_CONNECTED] ?
		 a.first_ms[WL_EV_ICE_CONNECTED] : b.first_ms[WL_EV_ICE_CONNECTED]) - t0;
	t_keys = (a.first_ms[WL_EV_KEYS] > b.first_ms[WL_EV_KEYS] ? a.first_ms[WL_EV_KEYS] :
		  b.first_ms[WL_EV_KEYS]) - t0;
	printf("     offerer %s: ICE connected %lld ms after the hand-over, keys %lld ms "
	       "after that\n", offerer_active ? "active" : "passive", (long long)t_ice,
	       (long long)(t_keys - t_ice));
	printf("     %s\n", a.text[WL_EV_KEYS]);

	/* in order, once each */
	for (struct side *s = &a; s; s = s == &a ? &b : NULL) {
		pthread_mutex_lock(&s->m);
		CHECK_INT(s->nev[WL_EV_GATHERING_DONE], 1);
		CHECK_INT(s->nev[WL_EV_ICE_CONNECTED], 1);
		CHECK_INT(s->nev[WL_EV_KEYS], 1);
		CHECK_INT(s->nev[WL_EV_FAILED], 0);
		CHECK(s->first_ms[WL_EV_GATHERING_DONE] <= s->first_ms[WL_EV_ICE_CONNECTED]);
		CHECK(s->first_ms[WL_EV_ICE_CONNECTED] <= s->first_ms[WL_EV_KEYS]);
		CHECK_STR(s->pair.local_type, "host");
		CHECK(strstr(s->text[WL_EV_KEYS], "DTLS: connected, ECDHE-ECDSA-") == s->text[WL_EV_KEYS]);
		CHECK(strstr(s->text[WL_EV_KEYS], "SRTP AEAD_AES_128_GCM") != NULL);
		pthread_mutex_unlock(&s->m);
	}
	CHECK_STR(a.pair.local, b.pair.remote);
	check_crosswise_keys(&a, &b);
	webrtc_link_get_stats(a.l, &sa);
	webrtc_link_get_stats(b.l, &sb);
	CHECK_STR(sa.state, "connected");
	CHECK_STR(sb.state, "connected");
	CHECK(sa.cipher[0] != '\0');
	CHECK_STR(sa.cipher, sb.cipher);
	CHECK_STR(sa.pair.local, a.pair.local);
	/* nothing lost, and no flight took the 1 s of a resend (valgrind's might) */
	if (!slow)
		CHECK_INT(sa.dtls.retransmits + sb.dtls.retransmits, 0);
	CHECK(sa.dtls.in >= 1 && sa.dtls.out >= 1);
	CHECK_INT(sa.ice.tx_datagrams, sa.dtls.out);   /* DTLS went out through ICE */
	CHECK_INT(sb.ice.tx_datagrams, sb.dtls.out);

	/* SRTP-sized packets through the rings, both ways */
	CHECK(packet_through(&a, &b, 0x41));
	CHECK(packet_through(&b, &a, 0x42));

	/* the re-INVITE for hold: the same SDP again changes nothing */
	CHECK_INT(hand_over(&b, &a, a_role, NULL), 0);

	/* A ends: close_notify reaches B, which says so and keeps its keys */
	CHECK_INT(webrtc_link_close(a.l), 0);
	CHECK(wait_ev(&a, WL_EV_CLOSED, 1, limit(2000)) >= 0);
	CHECK(wait_ev(&b, WL_EV_WARNING, 1, limit(2000)) >= 0);
	CHECK(strstr(b.text[WL_EV_WARNING], "DTLS: the peer ended DTLS (close_notify)") ==
	      b.text[WL_EV_WARNING]);
	webrtc_link_get_stats(a.l, &sa);
	CHECK_STR(sa.state, "closed");
	{
		/* closed: no more */
		struct sdp_webrtc sw = { 0 };

		webrtc_link_local(b.l, &sw);
		CHECK_INT(webrtc_link_set_remote(a.l, &sw, a_role, why, sizeof(why)), EINVAL);
		CHECK_STR(why, "WebRTC: the link is closed");
	}
	CHECK_INT(seen(&a, WL_EV_FAILED), 0);
	CHECK_INT(seen(&b, WL_EV_FAILED), 0);
out:
	side_done(&a);
	side_done(&b);
}

static void test_offerer_passive_as_browsers_answer_connects_and_carries_srtp(void)
{
	call(false);
}

static void test_offerer_active_connects_and_carries_srtp(void)
{
	call(true);
}

/* The peer's DTLS comes before our set_remote: kept, fed once the endpoint exists.
 * With a browser this is the offerer's case (the browser answers, its ICE connects and
 * it starts DTLS before our 200 OK arrives). libnice as the peer connects only once it
 * is nominated, so here the early one is the controlling side: E has L's SDP side, its
 * checks succeed against L (libnice answers checks before it knows the peer's
 * credentials), E's ClientHello reaches L, which has no endpoint yet. */
static void test_dtls_before_set_remote_is_kept_and_fed(void)
{
	struct side e, l;
	struct webrtc_link_opts oe, ol;
	struct webrtc_link_stats se, sl;
	int64_t dl, t0, took;

	side_init(&e, "E");
	side_init(&l, "L");
	loopback_opts(&oe, true, cert_a);
	loopback_opts(&ol, false, cert_b);
	CHECK_INT(side_alloc(&e, &oe), 0);
	CHECK_INT(side_alloc(&l, &ol), 0);
	if (!e.l || !l.l)
		goto out;
	CHECK(wait_ev(&e, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK(wait_ev(&l, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK_INT(hand_over(&l, &e, DTLS_SETUP_ACTIVE, NULL), 0);
	CHECK(wait_ev(&e, WL_EV_ICE_CONNECTED, 1, limit(5000)) >= 0);
	/* E's ClientHello is at L, which cannot take it yet */
	dl = now_ms() + limit(2000);
	do {
		webrtc_link_get_stats(l.l, &sl);
		if (sl.early_kept)
			break;
		msleep(2);
	} while (now_ms() < dl);
	CHECK_INT(sl.early_kept, 1);
	CHECK_INT(sl.early_dropped, 0);
	CHECK_STR(sl.state, "new");
	CHECK_INT(seen(&l, WL_EV_ICE_CONNECTED), 0);
	CHECK_INT(seen(&e, WL_EV_KEYS), 0);

	t0 = now_ms();
	CHECK_INT(hand_over(&e, &l, DTLS_SETUP_PASSIVE, NULL), 0);
	CHECK(wait_ev(&l, WL_EV_KEYS, 1, limit(5000)) >= 0);
	CHECK(wait_ev(&e, WL_EV_KEYS, 1, limit(5000)) >= 0);
	took = now_ms() - t0;
	printf("     keys %lld ms after the late set_remote\n", (long long)took);
	check_crosswise_keys(&e, &l);
	webrtc_link_get_stats(e.l, &se);
	webrtc_link_get_stats(l.l, &sl);
	/* the kept ClientHello was answered: E never had to send it again (its first resend
	 * is 1 s after it; the hand-over above came within milliseconds) */
	if (!slow)
		CHECK_INT(se.dtls.retransmits, 0);
	CHECK(sl.dtls.in >= 1 + se.dtls.retransmits);
	CHECK(packet_through(&e, &l, 0x51));
	CHECK(packet_through(&l, &e, 0x52));
	CHECK_INT(seen(&e, WL_EV_FAILED), 0);
	CHECK_INT(seen(&l, WL_EV_FAILED), 0);
out:
	side_done(&e);
	side_done(&l);
}

/* A's view of B's fingerprint is another certificate's: the side that checks it (A)
 * says so, B gets the bad_certificate alert; one FAILED each, no keys. */
static void wrong_fingerprint(bool a_active)
{
	struct side a, b;
	struct webrtc_link_opts oa, ob;
	struct webrtc_link_stats sa;

	side_init(&a, "A");
	side_init(&b, "B");
	loopback_opts(&oa, true, cert_a);
	loopback_opts(&ob, false, cert_b);
	CHECK_INT(side_alloc(&a, &oa), 0);
	CHECK_INT(side_alloc(&b, &ob), 0);
	if (!a.l || !b.l)
		goto out;
	CHECK(wait_ev(&a, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK(wait_ev(&b, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK_INT(hand_over(&a, &b, a_active ? DTLS_SETUP_PASSIVE : DTLS_SETUP_ACTIVE, NULL),
		  0);
	CHECK_INT(hand_over(&b, &a, a_active ? DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE,
			    dtls_cert_fp_value(cert_other)), 0);
	CHECK(wait_ev(&a, WL_EV_FAILED, 1, limit(5000)) >= 0);
	CHECK(wait_ev(&b, WL_EV_FAILED, 1, limit(5000)) >= 0);
	msleep(300);                       /* nothing more comes */
	CHECK_INT(seen(&a, WL_EV_FAILED), 1);
	CHECK_INT(seen(&b, WL_EV_FAILED), 1);
	CHECK_INT(seen(&a, WL_EV_KEYS), 0);
	CHECK_INT(seen(&b, WL_EV_KEYS), 0);
	CHECK_INT(seen(&a, WL_EV_ICE_CONNECTED), 1);   /* ICE worked; DTLS refused */
	CHECK(strstr(a.text[WL_EV_FAILED], "DTLS: the peer's DTLS certificate does not match "
		     "the fingerprint in its SDP, someone else may be answering (SDP: sha-256 ")
	      == a.text[WL_EV_FAILED]);
	CHECK(strstr(a.text[WL_EV_FAILED], dtls_cert_fp_value(cert_other)) != NULL);
	CHECK_STR(b.text[WL_EV_FAILED], "DTLS: the peer refused the DTLS handshake (alert: bad "
		  "certificate); it did not accept our certificate: does our SDP's "
		  "a=fingerprint reach it unchanged?");
	printf("     %s: %.100s...\n     B: %s\n", a_active ? "A (active)" : "A (passive)",
	       a.text[WL_EV_FAILED], b.text[WL_EV_FAILED]);
	webrtc_link_get_stats(a.l, &sa);
	CHECK_STR(sa.state, "failed");
	CHECK_STR(sa.cipher, "");
out:
	side_done(&a);
	side_done(&b);
}

static void test_a_wrong_fingerprint_fails_both_once_when_checked_by_the_client(void)
{
	wrong_fingerprint(true);
}

static void test_a_wrong_fingerprint_fails_both_once_when_checked_by_the_server(void)
{
	wrong_fingerprint(false);
}

/* ---- peers that never answer ---- */

/* A UDP socket on 127.0.0.1 that reads and never answers. */
static int silent_socket(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_a_peer_whose_ice_never_answers_fails_at_the_bound(void)
{
	struct side a;
	struct webrtc_link_opts o;
	struct sdp_webrtc sw;
	uint16_t port;
	int fd = silent_socket(&port);
	char why[WL_TEXT];
	int64_t t0, took;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	side_init(&a, "A");
	loopback_opts(&o, true, cert_a);
	o.ice_check_timeout_ms = 2000;
	CHECK_INT(side_alloc(&a, &o), 0);
	if (!a.l)
		goto out;
	memset(&sw, 0, sizeof(sw));
	CHECK_INT(ice_make_credentials(sw.ice_ufrag, sw.ice_pwd), 0);
	snprintf(sw.cand[0], sizeof(sw.cand[0]), "1 1 UDP 2130706431 127.0.0.1 %u typ host",
		 port);
	sw.ncand = 1;
	sw.trickle = true;                 /* more might come: only the bound ends it */
	snprintf(sw.fp_alg, sizeof(sw.fp_alg), "sha-256");
	snprintf(sw.fp, sizeof(sw.fp), "%s", dtls_cert_fp_value(cert_other));
	t0 = now_ms();
	CHECK_INT(webrtc_link_set_remote(a.l, &sw, DTLS_SETUP_PASSIVE, why, sizeof(why)), 0);
	CHECK(wait_ev(&a, WL_EV_FAILED, 1, limit(6000)) >= 0);
	took = now_ms() - t0;
	CHECK(took >= 1950);
	CHECK(took <= limit(3500));
	CHECK_STR(a.text[WL_EV_FAILED], "ICE: no candidate pair answered in 2 s (1 remote "
		  "candidate)");
	msleep(100);
	CHECK_INT(seen(&a, WL_EV_FAILED), 1);
	CHECK_INT(seen(&a, WL_EV_ICE_CONNECTED), 0);
	printf("     %s (after %lld ms)\n", a.text[WL_EV_FAILED], (long long)took);
out:
	side_done(&a);
	close(fd);
}

/* A bare ice_agent as the peer: ICE answers, DTLS is dropped (no datagram hook). */
struct bare {
	struct ice_agent *a;
	pthread_mutex_t m;
	unsigned gathered, connected;
};

static void bare_event(void *arg, const struct ice_event *ev)
{
	struct bare *p = arg;

	pthread_mutex_lock(&p->m);
	if (ev->kind == ICE_EV_GATHERING_DONE)
		p->gathered++;
	if (ev->kind == ICE_EV_CONNECTED)
		p->connected++;
	pthread_mutex_unlock(&p->m);
}

static bool bare_wait(struct bare *p, const unsigned *counter, int timeout_ms)
{
	int64_t dl = now_ms() + timeout_ms;
	bool done;

	for (;;) {
		pthread_mutex_lock(&p->m);
		done = *counter > 0;
		pthread_mutex_unlock(&p->m);
		if (done || now_ms() >= dl)
			return done;
		msleep(5);
	}
}

static void dtls_never_answers(bool we_active)
{
	struct side a;
	struct bare p = { 0 };
	struct webrtc_link_opts o;
	struct ice_opts io = { .local_addr = "127.0.0.1" };
	struct ice_hooks h = { .on_event = bare_event, .arg = &p };
	struct sdp_webrtc sw;
	char why[WL_TEXT], lines[4][ICE_TEXT];
	char u[ICE_CRED_BUF], pw[ICE_CRED_BUF];
	bool complete;
	unsigned n;
	int64_t took;

	pthread_mutex_init(&p.m, NULL);
	side_init(&a, "A");
	loopback_opts(&o, true, cert_a);
	o.dtls_deadline_ms = 2000;
	CHECK_INT(side_alloc(&a, &o), 0);
	CHECK_INT(ice_agent_alloc(&p.a, &io, &h, why, sizeof(why)), 0);
	if (!a.l || !p.a)
		goto out;
	CHECK(wait_ev(&a, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK(bare_wait(&p, &p.gathered, limit(2000)));
	/* the peer's side as SDP for the link */
	memset(&sw, 0, sizeof(sw));
	ice_agent_local_credentials(p.a, u, pw);
	snprintf(sw.ice_ufrag, sizeof(sw.ice_ufrag), "%s", u);
	snprintf(sw.ice_pwd, sizeof(sw.ice_pwd), "%s", pw);
	n = ice_agent_local_candidates(p.a, lines, 4, &complete);
	for (unsigned i = 0; i < n; i++)
		snprintf(sw.cand[sw.ncand++], sizeof(sw.cand[0]), "%s", lines[i] + 10);
	sw.end_of_candidates = true;
	snprintf(sw.fp_alg, sizeof(sw.fp_alg), "sha-256");
	snprintf(sw.fp, sizeof(sw.fp), "%s", dtls_cert_fp_value(cert_other));
	CHECK_INT(webrtc_link_set_remote(a.l, &sw, we_active ? DTLS_SETUP_ACTIVE :
					 DTLS_SETUP_PASSIVE, why, sizeof(why)), 0);
	/* ... and the link's side for the peer */
	memset(&sw, 0, sizeof(sw));
	webrtc_link_local(a.l, &sw);
	CHECK_INT(ice_agent_set_remote_credentials(p.a, sw.ice_ufrag, sw.ice_pwd, why,
						   sizeof(why)), 0);
	for (unsigned i = 0; i < sw.ncand; i++) {
		char line[256];

		snprintf(line, sizeof(line), "candidate:%s", sw.cand[i]);
		CHECK_INT(ice_agent_add_remote_candidate(p.a, line, why, sizeof(why)), 0);
	}
	CHECK_INT(ice_agent_end_of_candidates(p.a), 0);
	CHECK(wait_ev(&a, WL_EV_ICE_CONNECTED, 1, limit(5000)) >= 0);
	took = wait_ev(&a, WL_EV_FAILED, 1, limit(6000));
	CHECK(took >= 0);
	took = a.first_ms[WL_EV_FAILED] - a.first_ms[WL_EV_ICE_CONNECTED];
	CHECK(took >= 2000);             /* our own clock: exact */
	CHECK(took <= limit(3500));
	if (we_active)
		CHECK_STR(a.text[WL_EV_FAILED], "DTLS handshake did not finish in 2 s (nothing "
			  "came from the peer)");
	else
		CHECK_STR(a.text[WL_EV_FAILED], "DTLS handshake did not finish in 2 s (nothing "
			  "came from the peer: is it a DTLS server too, both a=setup:passive?)");
	msleep(100);
	CHECK_INT(seen(&a, WL_EV_FAILED), 1);
	CHECK_INT(seen(&a, WL_EV_KEYS), 0);
	printf("     %s (%lld ms after ICE connected)\n", a.text[WL_EV_FAILED], (long long)took);
out:
	side_done(&a);
	ice_agent_free(p.a);
	pthread_mutex_destroy(&p.m);
}

static void test_a_peer_whose_dtls_never_answers_fails_at_the_deadline(void)
{
	dtls_never_answers(true);
	dtls_never_answers(false);
}

/* ---- the control side's other answers ---- */

static void test_local_side_and_set_remote_refusals(void)
{
	struct side a;
	struct webrtc_link_opts o;
	struct webrtc_link *x = (struct webrtc_link *)&x;
	struct sdp_webrtc ours, peer;
	char why[WL_TEXT];

	loopback_opts(&o, true, NULL);
	CHECK_INT(webrtc_link_alloc(&x, &o, on_event, NULL, why, sizeof(why)), EINVAL);
	CHECK(x == NULL);
	CHECK(strstr(why, "certificate") != NULL);
	loopback_opts(&o, true, cert_a);
	o.local_addr = "not-an-address";
	CHECK_INT(webrtc_link_alloc(&x, &o, on_event, NULL, why, sizeof(why)), EINVAL);
	CHECK(strstr(why, "not an IP address") != NULL);

	side_init(&a, "A");
	loopback_opts(&o, true, cert_a);
	CHECK_INT(side_alloc(&a, &o), 0);
	if (!a.l)
		goto out;
	CHECK(wait_ev(&a, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	memset(&ours, 0, sizeof(ours));
	ours.setup = SETUP_ACTPASS;        /* the caller's: left alone */
	snprintf(ours.mid, sizeof(ours.mid), "0");
	webrtc_link_local(a.l, &ours);
	CHECK_INT(strlen(ours.ice_ufrag), ICE_UFRAG_OURS);
	CHECK_INT(strlen(ours.ice_pwd), ICE_PWD_OURS);
	CHECK_INT(ours.ncand, 1);
	CHECK(strncmp(ours.cand[0], "1 1 UDP ", 8) == 0);   /* no "candidate:" */
	CHECK(strstr(ours.cand[0], " 127.0.0.1 ") != NULL);
	CHECK(ours.end_of_candidates);
	CHECK(!ours.trickle && !ours.ice_lite);
	CHECK_STR(ours.fp_alg, "sha-256");
	CHECK_STR(ours.fp, dtls_cert_fp_value(cert_a));
	CHECK_INT(ours.setup, SETUP_ACTPASS);
	CHECK_STR(ours.mid, "0");

	memset(&peer, 0, sizeof(peer));
	CHECK_INT(ice_make_credentials(peer.ice_ufrag, peer.ice_pwd), 0);
	/* no fingerprint */
	CHECK_INT(webrtc_link_set_remote(a.l, &peer, DTLS_SETUP_PASSIVE, why, sizeof(why)),
		  EINVAL);
	CHECK(strstr(why, "no a=fingerprint") != NULL);
	/* a malformed one */
	snprintf(peer.fp_alg, sizeof(peer.fp_alg), "sha-256");
	snprintf(peer.fp, sizeof(peer.fp), "AB:CD");
	CHECK_INT(webrtc_link_set_remote(a.l, &peer, DTLS_SETUP_PASSIVE, why, sizeof(why)),
		  EINVAL);
	CHECK(strstr(why, "a=fingerprint cannot be used") != NULL);
	/* bad credentials */
	snprintf(peer.fp, sizeof(peer.fp), "%s", dtls_cert_fp_value(cert_b));
	snprintf(peer.ice_pwd, sizeof(peer.ice_pwd), "short");
	CHECK_INT(webrtc_link_set_remote(a.l, &peer, DTLS_SETUP_PASSIVE, why, sizeof(why)),
		  EINVAL);
	CHECK(strstr(why, "ice-pwd") != NULL);
	/* a good one, with candidates ICE cannot use among them: skipped, and said, but for
	 * TCP (every browser offers it; skipped quietly) */
	CHECK_INT(ice_make_credentials(peer.ice_ufrag, peer.ice_pwd), 0);
	snprintf(peer.cand[0], sizeof(peer.cand[0]), "2 1 tcp 1518280447 127.0.0.1 9 typ host "
		 "tcptype active generation 0");
	snprintf(peer.cand[1], sizeof(peer.cand[1]), "1 1 UDP 2130706431 127.0.0.1 9 typ host");
	snprintf(peer.cand[2], sizeof(peer.cand[2]), "3 1 udp 2113937151 4c1b4b5a-4ee5-4ba1-"
		 "8b0e-54b8b3b0f0d5.local 54321 typ host generation 0");
	peer.ncand = 3;
	peer.trickle = true;
	CHECK_INT(webrtc_link_set_remote(a.l, &peer, DTLS_SETUP_PASSIVE, why, sizeof(why)), 0);
	CHECK(wait_ev(&a, WL_EV_WARNING, 1, limit(2000)) >= 0);
	CHECK(strncmp(a.text[WL_EV_WARNING], "ICE: 1 of the peer's 3 candidates used, 1 "
		      "skipped (the first: candidate 4c1b4b5a-", 76) == 0);
	CHECK(strstr(a.text[WL_EV_WARNING], "TCP") == NULL);
	printf("     %s\n", a.text[WL_EV_WARNING]);
	{
		struct webrtc_link_stats st;

		webrtc_link_get_stats(a.l, &st);
		CHECK_STR(st.state, "checking");
	}
	/* again as a re-INVITE: the same is a no-op; new credentials are an ICE restart
	 * (ours change too, our candidates stay: the answer can be written at once); a new
	 * fingerprint would need a new link */
	CHECK_INT(webrtc_link_set_remote(a.l, &peer, DTLS_SETUP_PASSIVE, why, sizeof(why)), 0);
	{
		static struct sdp_webrtc before, after;
		char fp[sizeof(peer.fp)];

		webrtc_link_local(a.l, &before);
		peer.ice_pwd[0] = peer.ice_pwd[0] == 'x' ? 'y' : 'x';
		CHECK_INT(webrtc_link_set_remote(a.l, &peer, DTLS_SETUP_PASSIVE, why,
						 sizeof(why)), 0);
		webrtc_link_local(a.l, &after);
		CHECK(strcmp(before.ice_ufrag, after.ice_ufrag) != 0);
		CHECK(strcmp(before.ice_pwd, after.ice_pwd) != 0);
		CHECK_INT(after.ncand, before.ncand);
		CHECK(after.ncand > 0 && strcmp(after.cand[0], before.cand[0]) == 0);
		CHECK_INT(after.end_of_candidates, before.end_of_candidates);
		snprintf(fp, sizeof(fp), "%s", peer.fp);
		snprintf(peer.fp, sizeof(peer.fp), "%s", dtls_cert_fp_value(cert_other));
		CHECK_INT(webrtc_link_set_remote(a.l, &peer, DTLS_SETUP_PASSIVE, why,
						 sizeof(why)), ENOTSUP);
		CHECK(strstr(why, "a=fingerprint changed") != NULL);
		snprintf(peer.fp, sizeof(peer.fp), "%s", fp);
		snprintf(peer.ice_pwd, sizeof(peer.ice_pwd), "short");
		CHECK_INT(webrtc_link_set_remote(a.l, &peer, DTLS_SETUP_PASSIVE, why,
						 sizeof(why)), EINVAL);
		CHECK(strstr(why, "new ice-ufrag and ice-pwd cannot be used") != NULL);
	}
	for (int k = 0; k < NKINDS; k++)
		CHECK(strcmp(webrtc_link_ev_name((enum webrtc_link_ev)k), "?") != 0);
out:
	side_done(&a);
}

/* Free at each stage of a call: right after alloc, after gathering, with one side given,
 * both given (checks running), at ICE connected (the handshake under way), with keys,
 * closing, closed. Clean means: no callback afterwards, nothing left (valgrind). */
static void test_free_at_every_stage_is_clean(void)
{
	for (int stage = 0; stage < 8; stage++) {
		struct side a, b;
		struct webrtc_link_opts oa, ob;

		side_init(&a, "A");
		side_init(&b, "B");
		loopback_opts(&oa, true, cert_a);
		loopback_opts(&ob, false, cert_b);
		CHECK_INT(side_alloc(&a, &oa), 0);
		CHECK_INT(side_alloc(&b, &ob), 0);
		if (!a.l || !b.l || stage == 0)
			goto next;
		CHECK(wait_ev(&a, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
		CHECK(wait_ev(&b, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
		if (stage == 1)
			goto next;
		CHECK_INT(hand_over(&a, &b, DTLS_SETUP_ACTIVE, NULL), 0);
		if (stage == 2)
			goto next;
		CHECK_INT(hand_over(&b, &a, DTLS_SETUP_PASSIVE, NULL), 0);
		if (stage == 3)
			goto next;
		CHECK(wait_ev(&a, WL_EV_ICE_CONNECTED, 1, limit(5000)) >= 0);
		if (stage == 4)
			goto next;
		CHECK(wait_ev(&a, WL_EV_KEYS, 1, limit(5000)) >= 0);
		CHECK(wait_ev(&b, WL_EV_KEYS, 1, limit(5000)) >= 0);
		if (stage == 5)
			goto next;
		CHECK_INT(webrtc_link_close(a.l), 0);
		CHECK_INT(webrtc_link_close(a.l), 0);   /* twice is once */
		if (stage == 6)
			goto next;
		CHECK(wait_ev(&a, WL_EV_CLOSED, 1, limit(2000)) >= 0);
next:
		/* B first at odd stages: the other side's free mid-handshake too */
		if (stage & 1) {
			side_done(&b);
			side_done(&a);
		} else {
			side_done(&a);
			side_done(&b);
		}
		CHECK_INT(a.nev[WL_EV_FAILED], 0);
	}
	webrtc_link_free(NULL);
}

/* RFC 8840: both SDPs say trickle and carry no candidate, so neither side can check
 * anything; the candidates come afterwards (an INFO's fragment), to one side only: its
 * checks reach the other, which learns it as peer-reflexive, and the call connects.
 * Before the SDP (EAGAIN) and for another ICE generation (ESTALE) they are refused. */
static void test_candidates_trickled_after_the_sdp_connect_the_call(void)
{
	struct side a, b;
	struct webrtc_link_opts oa, ob;
	struct sdp_webrtc sa, sb, frag;
	char why[WL_TEXT];
	unsigned used = 99;

	side_init(&a, "A");
	side_init(&b, "B");
	loopback_opts(&oa, true, cert_a);
	loopback_opts(&ob, false, cert_b);
	CHECK_INT(side_alloc(&a, &oa), 0);
	CHECK_INT(side_alloc(&b, &ob), 0);
	if (!a.l || !b.l)
		goto out;
	CHECK(wait_ev(&a, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK(wait_ev(&b, WL_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	webrtc_link_local(a.l, &sa);
	webrtc_link_local(b.l, &sb);
	CHECK_INT(sa.ncand, 1);
	frag = sa;                        /* what A trickles later: its one candidate */
	CHECK_INT(webrtc_link_add_remote(b.l, &frag, &used, why, sizeof(why)), EAGAIN);
	CHECK_INT(used, 0);
	CHECK_STR(why, "ICE: trickled candidates before the peer's SDP");
	sa.ncand = sb.ncand = 0;
	sa.trickle = sb.trickle = true;
	sa.end_of_candidates = sb.end_of_candidates = false;
	CHECK_INT(webrtc_link_set_remote(b.l, &sa, DTLS_SETUP_ACTIVE, why, sizeof(why)), 0);
	CHECK_INT(webrtc_link_set_remote(a.l, &sb, DTLS_SETUP_PASSIVE, why, sizeof(why)), 0);
	msleep(300);                      /* nothing to check on either side */
	CHECK_INT(seen(&a, WL_EV_ICE_CONNECTED) + seen(&b, WL_EV_ICE_CONNECTED), 0);
	CHECK_INT(seen(&a, WL_EV_FAILED) + seen(&b, WL_EV_FAILED), 0);

	snprintf(frag.ice_ufrag, sizeof(frag.ice_ufrag), "%s", "zzzz");  /* another generation */
	CHECK_INT(webrtc_link_add_remote(b.l, &frag, &used, why, sizeof(why)), ESTALE);
	CHECK(strstr(why, "another ICE generation (ice-ufrag zzzz") != NULL);
	snprintf(frag.ice_ufrag, sizeof(frag.ice_ufrag), "%s", sa.ice_ufrag);
	frag.end_of_candidates = true;
	CHECK_INT(webrtc_link_add_remote(b.l, &frag, &used, why, sizeof(why)), 0);
	CHECK_INT(used, 1);
	CHECK(wait_ev(&a, WL_EV_KEYS, 1, limit(5000)) >= 0);
	CHECK(wait_ev(&b, WL_EV_KEYS, 1, limit(5000)) >= 0);
	pthread_mutex_lock(&b.m);
	CHECK_STR(b.pair.remote_type, "host");     /* the trickled one, by its own type */
	pthread_mutex_unlock(&b.m);
	pthread_mutex_lock(&a.m);
	CHECK_STR(a.pair.remote_type, "prflx");    /* learnt from B's checks */
	pthread_mutex_unlock(&a.m);
	check_crosswise_keys(&a, &b);
	CHECK(packet_through(&a, &b, 0x51));
	CHECK(packet_through(&b, &a, 0x52));
out:
	side_done(&a);
	side_done(&b);
}

int main(void)
{
	const char *san = getenv("TTY_SANITIZED"), *pre = getenv("LD_PRELOAD");
	char why[WL_TEXT], dir[] = "/tmp/test_webrtc_link.XXXXXX", path[64];
	int rc;

	/* valgrind puts its preload library in; ASan builds say so (Makefile.am) */
	slow = (san && strcmp(san, "1") == 0) || (pre && strstr(pre, "vgpreload"));
	main_thread = pthread_self();
	/* one certificate as the app has it (made in its data folder), two in memory */
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, DTLS_CERT_FILE);
	if (dtls_cert_load(&cert_a, path, time(NULL), NULL, NULL, why, sizeof(why)) != 0 ||
	    dtls_cert_make(&cert_b, time(NULL), why, sizeof(why)) != 0 ||
	    dtls_cert_make(&cert_other, time(NULL), why, sizeof(why)) != 0) {
		fprintf(stderr, "certificates: %s\n", why);
		return 1;
	}
	unlink(path);
	rmdir(dir);
	RUN(test_offerer_passive_as_browsers_answer_connects_and_carries_srtp);
	RUN(test_offerer_active_connects_and_carries_srtp);
	RUN(test_dtls_before_set_remote_is_kept_and_fed);
	RUN(test_a_wrong_fingerprint_fails_both_once_when_checked_by_the_client);
	RUN(test_a_wrong_fingerprint_fails_both_once_when_checked_by_the_server);
	RUN(test_a_peer_whose_ice_never_answers_fails_at_the_bound);
	RUN(test_a_peer_whose_dtls_never_answers_fails_at_the_deadline);
	RUN(test_local_side_and_set_remote_refusals);
	RUN(test_free_at_every_stage_is_clean);
	RUN(test_candidates_trickled_after_the_sdp_connect_the_call);
	dtls_cert_free(cert_a);
	dtls_cert_free(cert_b);
	dtls_cert_free(cert_other);
	rc = unit_done();
	return rc;
}
