/* test_webrtc_ice.c: the ICE building block (src/media/webrtc/ice_*) with real libnice
 * agents on 127.0.0.1 in one process. Two agents swap credentials and candidates, connect,
 * and carry RTP-like packets both ways through the rings (every packet, in order, intact,
 * stamped between its sending and its taking); a DTLS-like datagram sent from one ice
 * thread reaches the other's hook and is answered from inside it; ICE toward an address
 * that never answers fails by the bound with its reason; a restart reconnects with new
 * credentials while media goes on; consent revoked by the peer is reported; STUN and TURN
 * servers that never answer do not hold gathering up, and the TURN password is in no
 * event. Plus the text helpers (server addresses, credentials, candidate lines).
 *
 * Timing: the lower bounds (nothing fails before its time) are exact; the upper ones have
 * room for a loaded machine and widen under ASan (TTY_SANITIZED=1) and valgrind. */
#include "unit.h"
#include "media/webrtc/ice_agent.h"
#include "media/webrtc/ice_text.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NKINDS (ICE_EV_CLOSED + 1)
#define SECRET "s3cret-Turn-pw"

static bool slow;                  /* under ASan or valgrind: wider upper bounds */
static const char *self_path;      /* this program, to run it again as a child */
static pthread_t main_thread;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int limit(int ms)
{
	return slow ? ms * 10 : ms;
}

/* What one agent's hooks saw, written on its ice thread, read by the test. */
struct peer {
	const char *name;
	struct ice_agent *a;
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned nev[NKINDS];
	char text[NKINDS][ICE_TEXT];       /* the last event of each kind */
	unsigned gen[NKINDS];
	struct ice_pair pair;
	char cands[ICE_MAX_LOCAL][ICE_TEXT];
	unsigned ncands;
	bool leaked;                       /* an event's text had the TURN password */
	bool hook_on_main;                 /* a hook ran on the test's thread */
	bool hooks_disagree;               /* hooks ran on different threads */
	bool have_hook_thread;
	pthread_t hook_thread;
	unsigned ndgram;
	uint8_t dgram[256];
	size_t dgram_len;
	int64_t dgram_t_us;
	bool echo;                         /* answer a datagram from inside the hook */
	unsigned ntimer;                   /* on_timer calls, and the last one's now_ms */
	int64_t timer_at_ms;
	unsigned echo_failed;
};

static void note_thread(struct peer *p)
{
	pthread_t self = pthread_self();

	if (pthread_equal(self, main_thread))
		p->hook_on_main = true;
	if (!p->have_hook_thread) {
		p->have_hook_thread = true;
		p->hook_thread = self;
	} else if (!pthread_equal(self, p->hook_thread)) {
		p->hooks_disagree = true;
	}
}

static void on_event(void *arg, const struct ice_event *ev)
{
	struct peer *p = arg;

	pthread_mutex_lock(&p->m);
	note_thread(p);
	p->nev[ev->kind]++;
	snprintf(p->text[ev->kind], ICE_TEXT, "%s", ev->text);
	p->gen[ev->kind] = ev->generation;
	if (strstr(ev->text, SECRET))
		p->leaked = true;
	if (ev->kind == ICE_EV_CONNECTED || ev->kind == ICE_EV_PAIR)
		p->pair = ev->pair;
	if (ev->kind == ICE_EV_CANDIDATE && p->ncands < ICE_MAX_LOCAL)
		snprintf(p->cands[p->ncands++], ICE_TEXT, "%s", ev->text);
	if (getenv("TTY_ICE_TRACE"))
		fprintf(stderr, "%lld %s: %s gen %u %s\n", (long long)now_ms(), p->name,
			ice_ev_name(ev->kind), ev->generation, ev->text);
	pthread_cond_broadcast(&p->c);
	pthread_mutex_unlock(&p->m);
}

static void on_datagram(void *arg, const uint8_t *pkt, size_t len, int64_t t_us)
{
	struct peer *p = arg;
	bool echo;

	pthread_mutex_lock(&p->m);
	note_thread(p);
	p->ndgram++;
	p->dgram_len = len < sizeof(p->dgram) ? len : sizeof(p->dgram);
	memcpy(p->dgram, pkt, p->dgram_len);
	p->dgram_t_us = t_us;
	echo = p->echo;
	pthread_cond_broadcast(&p->c);
	pthread_mutex_unlock(&p->m);
	if (echo && pkt[0] == 22) {
		/* as a DTLS server answers a ClientHello: from the hook, on the ice thread */
		uint8_t reply[40];

		memset(reply, 0xab, sizeof(reply));
		reply[0] = 23;
		if (ice_agent_send_datagram(p->a, reply, sizeof(reply)) != 0)
			p->echo_failed++;
	}
}

static void on_timer(void *arg, int64_t now)
{
	struct peer *p = arg;

	pthread_mutex_lock(&p->m);
	note_thread(p);
	p->ntimer++;
	p->timer_at_ms = now;
	pthread_cond_broadcast(&p->c);
	pthread_mutex_unlock(&p->m);
}

static void peer_init(struct peer *p, const char *name)
{
	pthread_condattr_t ca;

	memset(p, 0, sizeof(*p));
	p->name = name;
	pthread_mutex_init(&p->m, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->c, &ca);
	pthread_condattr_destroy(&ca);
}

static void peer_done(struct peer *p)
{
	ice_agent_free(p->a);
	p->a = NULL;
	pthread_cond_destroy(&p->c);
	pthread_mutex_destroy(&p->m);
}

static unsigned seen(struct peer *p, enum ice_ev k)
{
	unsigned n;

	pthread_mutex_lock(&p->m);
	n = p->nev[k];
	pthread_mutex_unlock(&p->m);
	return n;
}

/* Wait until p has seen n events of kind k; the ms it took, or -1 after timeout_ms. */
static int64_t wait_ev(struct peer *p, enum ice_ev k, unsigned n, int timeout_ms)
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
	pthread_mutex_lock(&p->m);
	while (p->nev[k] < n)
		if (pthread_cond_timedwait(&p->c, &p->m, &dl) == ETIMEDOUT)
			break;
	if (p->nev[k] >= n)
		r = now_ms() - t0;
	pthread_mutex_unlock(&p->m);
	return r;
}

static int peer_alloc(struct peer *p, const struct ice_opts *o)
{
	struct ice_hooks h = { .on_event = on_event, .on_datagram = on_datagram,
			       .on_timer = on_timer, .arg = p };
	char why[ICE_TEXT];
	int e = ice_agent_alloc(&p->a, o, &h, why, sizeof(why));

	if (e)
		fprintf(stderr, "%s: ice_agent_alloc: %s\n", p->name, why);
	return e;
}

static void loopback_opts(struct ice_opts *o, bool controlling)
{
	memset(o, 0, sizeof(*o));
	o->controlling = controlling;
	o->local_addr = "127.0.0.1";
}

/* Give `to` what `from` gathered: credentials, candidates, end-of-candidates (a full
 * SDP's worth, as an offer or answer carries it). */
static void hand_over(struct peer *from, struct peer *to)
{
	char u[ICE_CRED_BUF], pw[ICE_CRED_BUF], why[ICE_TEXT];
	char lines[ICE_MAX_LOCAL][ICE_TEXT];
	bool complete = false;
	unsigned n;

	ice_agent_local_credentials(from->a, u, pw);
	CHECK_INT(ice_agent_set_remote_credentials(to->a, u, pw, why, sizeof(why)), 0);
	n = ice_agent_local_candidates(from->a, lines, ICE_MAX_LOCAL, &complete);
	CHECK(complete);
	CHECK(n >= 1);
	for (unsigned i = 0; i < n; i++) {
		int e = ice_agent_add_remote_candidate(to->a, lines[i], why, sizeof(why));

		CHECK_INT(e, 0);
		if (e)
			fprintf(stderr, "  %s\n", why);
	}
	CHECK_INT(ice_agent_end_of_candidates(to->a), 0);
}

/* ---- media through the rings: the test acts as both media threads ---- */

#define RTP_LEN 172
#define MAGIC_AB 0x41
#define MAGIC_BA 0x42

static void mk_rtp(uint8_t *b, uint16_t seq, uint8_t magic)
{
	b[0] = 0x80;               /* version 2 */
	b[1] = 111;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	for (size_t i = 4; i < RTP_LEN; i++)
		b[i] = (uint8_t)(magic + seq * 3 + i);
}

struct rx_check {
	uint16_t next;             /* sequence number expected */
	unsigned got, bad;
	int64_t sent_after_us;     /* stamps must not be before the first push */
};

/* Take what the rx ring holds, as the media thread would: clear the wake, drain. */
static void drain(struct pkt_ring *r, struct rx_check *c, uint8_t magic)
{
	const uint8_t *p;
	size_t len;
	int64_t t;

	pkt_ring_clear_wake(r);
	while ((p = pkt_ring_peek(r, &len, &t))) {
		uint8_t want[RTP_LEN];

		mk_rtp(want, c->next, magic);
		if (len != RTP_LEN || memcmp(p, want, RTP_LEN) != 0 || t < c->sent_after_us ||
		    t > now_us())
			c->bad++;
		c->next++;
		c->got++;
		pkt_ring_pop(r);
	}
}

/* n packets each way, in bursts of 16 (a quarter of a ring), waiting for each burst on
 * the rx rings' fds (ppoll, as the media thread waits for a late packet). */
static void media_both_ways(struct peer *a, struct peer *b, unsigned n, uint16_t *seq_ab,
			    uint16_t *seq_ba)
{
	struct pkt_ring *atx = ice_agent_tx_ring(a->a), *arx = ice_agent_rx_ring(a->a);
	struct pkt_ring *btx = ice_agent_tx_ring(b->a), *brx = ice_agent_rx_ring(b->a);
	struct rx_check at_b = { .next = *seq_ab, .sent_after_us = now_us() };
	struct rx_check at_a = { .next = *seq_ba, .sent_after_us = at_b.sent_after_us };
	unsigned sent = 0;
	int64_t deadline = now_ms() + limit(10000);

	while ((at_b.got < n || at_a.got < n) && now_ms() < deadline) {
		if (sent < n && at_b.got == sent && at_a.got == sent) {
			for (unsigned i = 0; i < 16 && sent < n; i++, sent++) {
				uint8_t pkt[RTP_LEN];

				mk_rtp(pkt, (uint16_t)(*seq_ab + sent), MAGIC_AB);
				CHECK_INT(pkt_ring_push(atx, pkt, sizeof(pkt), now_us()), 0);
				mk_rtp(pkt, (uint16_t)(*seq_ba + sent), MAGIC_BA);
				CHECK_INT(pkt_ring_push(btx, pkt, sizeof(pkt), now_us()), 0);
			}
		}
		struct pollfd pfd[2] = { { .fd = pkt_ring_fd(arx), .events = POLLIN },
					 { .fd = pkt_ring_fd(brx), .events = POLLIN } };
		if (poll(pfd, 2, 100) < 0 && errno != EINTR)
			break;
		drain(brx, &at_b, MAGIC_AB);
		drain(arx, &at_a, MAGIC_BA);
	}
	CHECK_INT(at_b.got, n);
	CHECK_INT(at_a.got, n);
	CHECK_INT(at_b.bad, 0);
	CHECK_INT(at_a.bad, 0);
	*seq_ab = (uint16_t)(*seq_ab + n);
	*seq_ba = (uint16_t)(*seq_ba + n);
}

/* ---- the text helpers ---- */

static void test_server_addresses_split_into_host_and_port(void)
{
	char h[ICE_HOST_MAX + 1];
	uint16_t port = 0;

	CHECK_INT(ice_split_hostport("stun.example.org:19302", 3478, h, sizeof(h), &port), 0);
	CHECK_STR(h, "stun.example.org");
	CHECK_INT(port, 19302);
	CHECK_INT(ice_split_hostport("192.0.2.1", 3478, h, sizeof(h), &port), 0);
	CHECK_STR(h, "192.0.2.1");
	CHECK_INT(port, 3478);
	CHECK_INT(ice_split_hostport("[2001:db8::1]:5349", 3478, h, sizeof(h), &port), 0);
	CHECK_STR(h, "2001:db8::1");
	CHECK_INT(port, 5349);
	CHECK_INT(ice_split_hostport("2001:db8::1", 3478, h, sizeof(h), &port), 0);
	CHECK_STR(h, "2001:db8::1");
	CHECK_INT(port, 3478);
	CHECK_INT(ice_split_hostport("", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport(":3478", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport("host:0", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport("host:65536", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport("host: 99", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport("host:-1", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport("host:12x", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport("[::1", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport("[::1]x", 3478, h, sizeof(h), &port), EINVAL);
	CHECK_INT(ice_split_hostport("abcdef:1", 3478, h, 4, &port), ENAMETOOLONG);
}

static void test_credentials_are_ice_chars_of_rfc_lengths(void)
{
	char u[ICE_CRED_BUF], p[ICE_CRED_BUF], u2[ICE_CRED_BUF], p2[ICE_CRED_BUF];
	char long_pwd[ICE_CRED_MAX + 2];

	CHECK_INT(ice_make_credentials(u, p), 0);
	CHECK_INT(strlen(u), ICE_UFRAG_OURS);
	CHECK_INT(strlen(p), ICE_PWD_OURS);
	CHECK(ice_cred_ok(u, ICE_UFRAG_MIN));
	CHECK(ice_cred_ok(p, ICE_PWD_MIN));
	CHECK_INT(ice_make_credentials(u2, p2), 0);
	CHECK(strcmp(p, p2) != 0);         /* random: 144 bits do not repeat */
	CHECK(ice_cred_ok("EsAw", ICE_UFRAG_MIN));
	CHECK(ice_cred_ok("a+b/", ICE_UFRAG_MIN));
	CHECK(!ice_cred_ok("abc", ICE_UFRAG_MIN));
	CHECK(!ice_cred_ok("ab-c", ICE_UFRAG_MIN));
	CHECK(!ice_cred_ok("ab c", ICE_UFRAG_MIN));
	CHECK(!ice_cred_ok("short-password", ICE_PWD_MIN));
	CHECK(!ice_cred_ok(NULL, ICE_UFRAG_MIN));
	memset(long_pwd, 'x', sizeof(long_pwd) - 1);
	long_pwd[sizeof(long_pwd) - 1] = '\0';
	CHECK(!ice_cred_ok(long_pwd, ICE_PWD_MIN));
	long_pwd[ICE_CRED_MAX] = '\0';
	CHECK(ice_cred_ok(long_pwd, ICE_PWD_MIN));
}

static void test_candidate_lines_are_taken_as_browsers_write_them(void)
{
	char out[ICE_LINE_MAX + 1], why[ICE_TEXT], big[ICE_LINE_MAX + 40];

	/* Chrome's trickled form, with its extensions */
	CHECK_INT(ice_candidate_sdp("candidate:842163049 1 udp 1677729535 203.0.113.7 46154 "
				    "typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag EsAw "
				    "network-cost 999", out, sizeof(out), why, sizeof(why)), 0);
	CHECK(strncmp(out, "a=candidate:842163049 1 udp", 27) == 0);
	CHECK_INT(ice_candidate_sdp("a=candidate:1 1 UDP 2015363327 192.0.2.2 40111 typ host\r\n",
				    out, sizeof(out), why, sizeof(why)), 0);
	CHECK_STR(out, "a=candidate:1 1 UDP 2015363327 192.0.2.2 40111 typ host");
	CHECK_INT(ice_candidate_sdp("candidate:1 1 udp 2113937151 4c1b4b5a-4ee5-4ba1-8b0e-"
				    "54b8b3b0f0d5.local 54321 typ host generation 0", out,
				    sizeof(out), why, sizeof(why)), ENOTSUP);
	CHECK(strstr(why, "mDNS") != NULL);
	CHECK_INT(ice_candidate_sdp("a=fingerprint:sha-256 AB", out, sizeof(out), why,
				    sizeof(why)), EINVAL);
	CHECK_INT(ice_candidate_sdp("candidate:1 1 UDP 1 1.2.3.4 5\n6 typ host", out,
				    sizeof(out), why, sizeof(why)), EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "candidate:", 10);
	CHECK_INT(ice_candidate_sdp(big, out, sizeof(out), why, sizeof(why)), ENAMETOOLONG);
	CHECK(ice_is_end_of_candidates("a=end-of-candidates\r\n"));
	CHECK(ice_is_end_of_candidates("end-of-candidates"));
	CHECK(!ice_is_end_of_candidates("a=end-of-candidatesx"));
	CHECK(!ice_is_end_of_candidates("a=candidate:1"));
}

/* ---- agents ---- */

struct send_job {
	struct ice_agent *a;
	const uint8_t *p;
	size_t n;
	int rc;
};

/* Run by ice_agent_invoke on the agent's ice thread, as a DTLS endpoint would send. */
static void send_on_ice_thread(void *arg)
{
	struct send_job *j = arg;

	j->rc = ice_agent_send_datagram(j->a, j->p, j->n);
}

static void msleep(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Wait until *counter (one of p's, under its lock) reaches n. */
static bool wait_count(struct peer *p, const unsigned *counter, unsigned n, int timeout_ms)
{
	int64_t dl = now_ms() + timeout_ms;
	bool done;

	for (;;) {
		pthread_mutex_lock(&p->m);
		done = *counter >= n;
		pthread_mutex_unlock(&p->m);
		if (done || now_ms() >= dl)
			return done;
		msleep(5);
	}
}

/* Wait (up to a second) until a's tx_media and tx_datagrams reach these. */
static void wait_stats(struct ice_agent *a, uint64_t tx_media, uint64_t tx_datagrams)
{
	struct ice_stats st;
	int64_t dl = now_ms() + limit(1000);

	do {
		struct timespec ts = { 0, 2000000L };

		ice_agent_get_stats(a, &st);
		if (st.tx_media >= tx_media && st.tx_datagrams >= tx_datagrams)
			return;
		nanosleep(&ts, NULL);
	} while (now_ms() < dl);
}

static void check_host_candidate(const char *line)
{
	/* libnice 0.1.21's form: candidate:<foundation> 1 UDP <priority> 127.0.0.1 <port>
	 * typ host */
	CHECK(strncmp(line, "candidate:", 10) == 0);
	CHECK(strstr(line, " 1 UDP ") != NULL);
	CHECK(strstr(line, " 127.0.0.1 ") != NULL);
	CHECK(strstr(line, " typ host") != NULL);
}

static void test_two_agents_connect_and_carry_media_and_dtls_both_ways(void)
{
	struct peer a, b;
	struct ice_opts oa, ob;
	struct ice_stats st;
	uint16_t seq_ab = 1000, seq_ba = 5000;
	int64_t t0, ta, tb, tdl;
	uint8_t hello[60];
	struct send_job job;

	peer_init(&a, "A");
	peer_init(&b, "B");
	loopback_opts(&oa, true);
	loopback_opts(&ob, false);
	b.echo = true;
	CHECK_INT(peer_alloc(&a, &oa), 0);
	CHECK_INT(peer_alloc(&b, &ob), 0);
	if (!a.a || !b.a)
		goto out;
	CHECK(wait_ev(&a, ICE_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK(wait_ev(&b, ICE_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK_INT(a.ncands, 1);            /* one host candidate: 127.0.0.1 only */
	check_host_candidate(a.cands[0]);
	printf("     local candidate: %s\n", a.cands[0]);

	t0 = now_ms();
	hand_over(&a, &b);                 /* the offer */
	hand_over(&b, &a);                 /* the answer */
	ta = wait_ev(&a, ICE_EV_CONNECTED, 1, limit(5000));
	tb = wait_ev(&b, ICE_EV_CONNECTED, 1, limit(5000));
	CHECK(ta >= 0 && tb >= 0);
	printf("     both connected %lld ms after the candidates were handed over\n",
	       (long long)(now_ms() - t0));
	CHECK_INT(seen(&a, ICE_EV_CHECKING), 1);
	CHECK_INT(seen(&a, ICE_EV_FAILED), 0);
	CHECK_STR(a.pair.local_type, "host");
	CHECK_STR(a.pair.remote_type, "host");
	CHECK(strncmp(a.pair.local, "127.0.0.1:", 10) == 0);
	CHECK(strncmp(a.pair.remote, "127.0.0.1:", 10) == 0);
	CHECK_STR(a.pair.local, b.pair.remote);
	CHECK_STR(a.pair.remote, b.pair.local);
	printf("     %s\n", a.text[ICE_EV_CONNECTED]);

	media_both_ways(&a, &b, 320, &seq_ab, &seq_ba);

	/* A DTLS ClientHello-like record sent from A's ice thread (ice_agent_invoke runs the
	 * sender there) reaches B's hook; B answers from inside its hook. */
	memset(hello, 0x5a, sizeof(hello));
	hello[0] = 22;                     /* DTLS handshake */
	job = (struct send_job){ a.a, hello, sizeof(hello), 1 };
	tdl = now_us();
	CHECK_INT(ice_agent_invoke(a.a, send_on_ice_thread, &job), 0);
	CHECK(wait_count(&a, &a.ndgram, 1, limit(3000)));
	CHECK_INT(job.rc, 0);
	pthread_mutex_lock(&b.m);
	CHECK_INT(b.ndgram, 1);
	CHECK(b.dgram_len == sizeof(hello) && memcmp(b.dgram, hello, sizeof(hello)) == 0);
	CHECK(b.dgram_t_us >= tdl && b.dgram_t_us <= now_us());
	pthread_mutex_unlock(&b.m);
	pthread_mutex_lock(&a.m);
	CHECK_INT(a.ndgram, 1);
	CHECK(a.dgram_len == 40 && a.dgram[0] == 23 && a.dgram[39] == 0xab);
	pthread_mutex_unlock(&a.m);
	CHECK_INT(b.echo_failed, 0);

	/* Neither RTP nor DTLS (first byte 16: ZRTP's range): dropped at the receiver. */
	{
		uint8_t odd[20] = { 16 };

		CHECK_INT(pkt_ring_push(ice_agent_tx_ring(a.a), odd, sizeof(odd), 0), 0);
		media_both_ways(&a, &b, 16, &seq_ab, &seq_ba);   /* and media still flows */
	}
	/* the senders count after sending: their counts may trail the receipt a little */
	wait_stats(b.a, 336, 1);
	wait_stats(a.a, 337, 0);
	ice_agent_get_stats(b.a, &st);
	CHECK_INT(st.rx_media, 336);
	CHECK_INT(st.rx_datagrams, 1);
	CHECK_INT(st.rx_dropped, 1);
	CHECK_INT(st.rx_ring_full, 0);
	CHECK_INT(st.tx_media, 336);
	CHECK_INT(st.tx_datagrams, 1);
	ice_agent_get_stats(a.a, &st);
	CHECK_INT(st.tx_media, 337);       /* the odd one went out too */
	CHECK_INT(st.tx_failed, 0);
	CHECK_INT(st.tx_refused, 0);

	/* Every hook ran on its agent's ice thread, never on ours. */
	CHECK(!a.hook_on_main && !b.hook_on_main);
	CHECK(!a.hooks_disagree && !b.hooks_disagree);
	CHECK(!pthread_equal(a.hook_thread, b.hook_thread));

	/* close: nothing on a TURN server to release, so it is quick */
	CHECK_INT(ice_agent_close(a.a), 0);
	CHECK(wait_ev(&a, ICE_EV_CLOSED, 1, limit(2000)) >= 0);
out:
	peer_done(&a);
	peer_done(&b);
}

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

/* STUN messages of type (0x0001 Binding, 0x0003 Allocate) waiting on fd. */
static unsigned stun_requests(int fd, uint16_t type)
{
	uint8_t b[1500];
	unsigned n = 0;
	ssize_t k;

	while ((k = recv(fd, b, sizeof(b), MSG_DONTWAIT)) >= 20)
		if (((b[0] << 8) | b[1]) == type)
			n++;
	return n;
}

static void test_checks_toward_a_silent_address_fail_at_the_bound(void)
{
	struct peer a;
	struct ice_opts o;
	uint16_t port;
	int fd = silent_socket(&port);
	char line[160], why[ICE_TEXT], u[ICE_CRED_BUF], pw[ICE_CRED_BUF];
	int64_t t0, took;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	peer_init(&a, "A");
	loopback_opts(&o, true);
	o.check_timeout_ms = 2000;
	CHECK_INT(peer_alloc(&a, &o), 0);
	if (!a.a)
		goto out;
	CHECK(wait_ev(&a, ICE_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK_INT(ice_make_credentials(u, pw), 0);
	snprintf(line, sizeof(line), "candidate:1 1 UDP 2130706431 127.0.0.1 %u typ host", port);
	t0 = now_ms();
	CHECK_INT(ice_agent_set_remote_credentials(a.a, u, pw, why, sizeof(why)), 0);
	CHECK_INT(ice_agent_add_remote_candidate(a.a, line, why, sizeof(why)), 0);
	/* no end-of-candidates: a trickling peer might still send one, so only the bound
	 * ends it */
	took = wait_ev(&a, ICE_EV_FAILED, 1, limit(6000));
	CHECK(took >= 0);
	took = now_ms() - t0;
	CHECK(took >= 1950);
	CHECK(took <= limit(3500));
	CHECK_STR(a.text[ICE_EV_FAILED], "ICE: no candidate pair answered in 2 s (1 remote "
		  "candidate)");
	CHECK_INT(seen(&a, ICE_EV_CHECKING), 1);
	CHECK_INT(seen(&a, ICE_EV_CONNECTED), 0);
	CHECK(stun_requests(fd, 0x0001) >= 1);   /* the checks did go out */
	printf("     %s (after %lld ms)\n", a.text[ICE_EV_FAILED], (long long)took);
out:
	peer_done(&a);
	close(fd);
}

/* controlling: libnice's own end (every pair failed, the peer said end-of-candidates)
 * comes before our bound; controlled: the peer chooses, so only our bound ends it */
static void fail_after_end_of_candidates(bool controlling, unsigned bound_ms)
{
	struct peer a;
	struct ice_opts o;
	uint16_t port;
	int fd = silent_socket(&port);
	char line[160], why[ICE_TEXT], u[ICE_CRED_BUF], pw[ICE_CRED_BUF];
	int64_t t0, took;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	peer_init(&a, "A");
	loopback_opts(&o, controlling);
	o.check_timeout_ms = bound_ms;
	CHECK_INT(peer_alloc(&a, &o), 0);
	if (!a.a)
		goto out;
	CHECK(wait_ev(&a, ICE_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK_INT(ice_make_credentials(u, pw), 0);
	snprintf(line, sizeof(line), "a=candidate:7 1 udp 2130706431 127.0.0.1 %u typ host",
		 port);
	t0 = now_ms();
	CHECK_INT(ice_agent_set_remote_credentials(a.a, u, pw, why, sizeof(why)), 0);
	CHECK_INT(ice_agent_add_remote_candidate(a.a, line, why, sizeof(why)), 0);
	CHECK_INT(ice_agent_end_of_candidates(a.a), 0);
	CHECK(wait_ev(&a, ICE_EV_FAILED, 1, limit(bound_ms + 15000)) >= 0);
	took = now_ms() - t0;
	if (controlling) {
		CHECK(took < bound_ms - 5000);
		CHECK(strncmp(a.text[ICE_EV_FAILED], "ICE: no candidate pair answered (1 "
			      "remote candidate, all failed after ", 70) == 0);
	} else {
		/* libnice's 5 s grace would have ended it at about 7 s */
		CHECK(took >= bound_ms - 50);
		CHECK_STR(a.text[ICE_EV_FAILED], "ICE: no candidate pair answered and was "
			  "chosen by the peer (the controlling side) in 9 s (1 remote candidate)");
	}
	printf("     %s (after %lld ms)\n", a.text[ICE_EV_FAILED], (long long)took);
out:
	peer_done(&a);
	close(fd);
}

static void test_checks_fail_early_once_the_peer_said_end_of_candidates(void)
{
	fail_after_end_of_candidates(true, 30000);
}

static void test_the_controlled_side_waits_for_the_peers_choice_until_the_bound(void)
{
	fail_after_end_of_candidates(false, 9000);
}

static void test_a_peer_without_candidates_fails_at_the_bound(void)
{
	struct peer a;
	struct ice_opts o;
	char why[ICE_TEXT], u[ICE_CRED_BUF], pw[ICE_CRED_BUF];
	int64_t took;

	peer_init(&a, "A");
	loopback_opts(&o, true);
	o.check_timeout_ms = 1500;
	CHECK_INT(peer_alloc(&a, &o), 0);
	if (!a.a)
		goto out;
	CHECK_INT(ice_make_credentials(u, pw), 0);
	CHECK_INT(ice_agent_set_remote_credentials(a.a, u, pw, why, sizeof(why)), 0);
	took = wait_ev(&a, ICE_EV_FAILED, 1, limit(5000));
	CHECK(took >= 1450);
	CHECK_STR(a.text[ICE_EV_FAILED], "ICE: the peer gave no candidates in 1.5 s");
out:
	peer_done(&a);
}

static void test_restart_reconnects_with_new_credentials_and_media_goes_on(void)
{
	struct peer a, b;
	struct ice_opts oa, ob;
	uint16_t seq_ab = 1, seq_ba = 60000;
	char u0[ICE_CRED_BUF], p0[ICE_CRED_BUF], u1[ICE_CRED_BUF], p1[ICE_CRED_BUF];
	char bu[ICE_CRED_BUF], bp[ICE_CRED_BUF], cur[ICE_CRED_BUF], curp[ICE_CRED_BUF];

	peer_init(&a, "A");
	peer_init(&b, "B");
	loopback_opts(&oa, true);
	loopback_opts(&ob, false);
	CHECK_INT(peer_alloc(&a, &oa), 0);
	CHECK_INT(peer_alloc(&b, &ob), 0);
	if (!a.a || !b.a)
		goto out;
	CHECK(wait_ev(&a, ICE_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	CHECK(wait_ev(&b, ICE_EV_GATHERING_DONE, 1, limit(2000)) >= 0);
	hand_over(&a, &b);
	hand_over(&b, &a);
	CHECK(wait_ev(&a, ICE_EV_CONNECTED, 1, limit(5000)) >= 0);
	CHECK(wait_ev(&b, ICE_EV_CONNECTED, 1, limit(5000)) >= 0);
	media_both_ways(&a, &b, 32, &seq_ab, &seq_ba);

	/* A restarts (a re-INVITE's offer), B sees new credentials and restarts too */
	ice_agent_local_credentials(a.a, u0, p0);
	CHECK_INT(ice_agent_restart(a.a, u1, p1), 0);
	CHECK(strcmp(u0, u1) != 0 && strcmp(p0, p1) != 0);
	ice_agent_local_credentials(a.a, cur, curp);
	CHECK_STR(cur, u1);
	CHECK_STR(curp, p1);
	CHECK(wait_ev(&a, ICE_EV_GATHERING_DONE, 2, limit(2000)) >= 0);
	CHECK_INT(a.gen[ICE_EV_GATHERING_DONE], 1);
	CHECK_INT(a.ncands, 2);            /* the host candidate again, for the new offer */
	CHECK_INT(ice_agent_restart(b.a, bu, bp), 0);
	CHECK(wait_ev(&b, ICE_EV_GATHERING_DONE, 2, limit(2000)) >= 0);
	/* media goes on over the old pair while the new checks run */
	media_both_ways(&a, &b, 32, &seq_ab, &seq_ba);
	hand_over(&a, &b);
	hand_over(&b, &a);
	CHECK(wait_ev(&a, ICE_EV_CONNECTED, 2, limit(5000)) >= 0);
	CHECK(wait_ev(&b, ICE_EV_CONNECTED, 2, limit(5000)) >= 0);
	CHECK_INT(a.gen[ICE_EV_CONNECTED], 1);
	CHECK_INT(seen(&a, ICE_EV_FAILED), 0);
	CHECK_INT(seen(&b, ICE_EV_FAILED), 0);
	media_both_ways(&a, &b, 32, &seq_ab, &seq_ba);

	/* B revokes consent (RFC 7675): A's next consent check gets 403 and A says so */
	CHECK_INT(ice_agent_revoke_consent(b.a), 0);
	{
		int64_t took = wait_ev(&a, ICE_EV_CONSENT_LOST, 1, limit(12000));

		CHECK(took >= 0);
		printf("     %s (%lld ms after the revocation)\n", a.text[ICE_EV_CONSENT_LOST],
		       (long long)took);
	}
	CHECK(strstr(a.text[ICE_EV_CONSENT_LOST], "consent lost") != NULL);

	/* and a restart of both brings the call back */
	CHECK_INT(ice_agent_restart(a.a, u1, p1), 0);
	CHECK_INT(ice_agent_restart(b.a, bu, bp), 0);
	CHECK(wait_ev(&a, ICE_EV_GATHERING_DONE, 3, limit(2000)) >= 0);
	CHECK(wait_ev(&b, ICE_EV_GATHERING_DONE, 3, limit(2000)) >= 0);
	hand_over(&a, &b);
	hand_over(&b, &a);
	CHECK(wait_ev(&a, ICE_EV_CONNECTED, 3, limit(5000)) >= 0);
	CHECK(wait_ev(&b, ICE_EV_CONNECTED, 3, limit(5000)) >= 0);
	media_both_ways(&a, &b, 32, &seq_ab, &seq_ba);
out:
	peer_done(&a);
	peer_done(&b);
}

static void test_silent_stun_and_turn_servers_do_not_hold_gathering_up(void)
{
	struct peer a, b;
	struct ice_opts o;
	uint16_t sport, tport;
	int sfd = silent_socket(&sport), tfd = silent_socket(&tport);
	char stun[64], turn[64];
	int64_t took;

	CHECK(sfd >= 0 && tfd >= 0);
	if (sfd < 0 || tfd < 0)
		goto close_fds;
	peer_init(&a, "A");
	peer_init(&b, "B");
	/* STUN and TURN by number, gathering bound 1.5 s */
	snprintf(stun, sizeof(stun), "127.0.0.1:%u", sport);
	snprintf(turn, sizeof(turn), "127.0.0.1:%u", tport);
	loopback_opts(&o, true);
	o.stun_server = stun;
	o.turn_server = turn;
	o.turn_user = "alice";
	o.turn_password = SECRET;
	o.gather_timeout_ms = 1500;
	CHECK_INT(peer_alloc(&a, &o), 0);
	/* STUN by name ("localhost": /etc/hosts, no DNS), looked up before gathering */
	snprintf(stun, sizeof(stun), "localhost:%u", sport);
	loopback_opts(&o, false);
	o.stun_server = stun;
	o.gather_timeout_ms = 1500;
	CHECK_INT(peer_alloc(&b, &o), 0);
	if (!a.a || !b.a)
		goto out;
	took = wait_ev(&a, ICE_EV_GATHERING_DONE, 1, limit(4000));
	CHECK(took >= 0 && took <= limit(2500));
	CHECK(wait_ev(&b, ICE_EV_GATHERING_DONE, 1, limit(4000)) >= 0);
	CHECK(a.ncands >= 1);              /* the host candidate is there all the same */
	if (seen(&a, ICE_EV_WARNING))
		printf("     %s\n", a.text[ICE_EV_WARNING]);
	CHECK(!a.leaked && !b.leaked);
	/* both servers were asked (the options reached libnice) */
	CHECK(stun_requests(sfd, 0x0001) >= 2);
	CHECK(stun_requests(tfd, 0x0003) >= 1);
out:
	peer_done(&a);
	peer_done(&b);
close_fds:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
}

static void test_bad_input_is_refused_with_a_reason(void)
{
	struct peer a;
	struct ice_opts o;
	struct ice_hooks h = { .on_event = on_event };
	struct ice_agent *x = (struct ice_agent *)&x;
	char why[ICE_TEXT], u[ICE_CRED_BUF], pw[ICE_CRED_BUF];

	peer_init(&a, "A");
	h.arg = &a;
	loopback_opts(&o, true);
	o.stun_server = "stun.example.org:0";
	CHECK_INT(ice_agent_alloc(&x, &o, &h, why, sizeof(why)), EINVAL);
	CHECK(x == NULL);
	CHECK(strstr(why, "stun_server") != NULL);
	loopback_opts(&o, true);
	o.turn_server = "turn.example.org";
	CHECK_INT(ice_agent_alloc(&x, &o, &h, why, sizeof(why)), EINVAL);
	CHECK(strstr(why, "turn_user") != NULL);
	loopback_opts(&o, true);
	o.local_addr = "not-an-address";
	CHECK_INT(ice_agent_alloc(&x, &o, &h, why, sizeof(why)), EINVAL);
	CHECK(strstr(why, "not an IP address") != NULL);
	loopback_opts(&o, true);
	o.port_min = 5000;
	CHECK_INT(ice_agent_alloc(&x, &o, &h, why, sizeof(why)), EINVAL);
	h.on_event = NULL;
	loopback_opts(&o, true);
	CHECK_INT(ice_agent_alloc(&x, &o, &h, why, sizeof(why)), EINVAL);

	loopback_opts(&o, true);
	CHECK_INT(peer_alloc(&a, &o), 0);
	if (!a.a)
		goto out;
	CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:1 1 UDP 1 127.0.0.1 9 typ "
						 "host", why, sizeof(why)), EINVAL);
	CHECK(strstr(why, "before the peer's credentials") != NULL);
	CHECK_INT(ice_agent_set_remote_credentials(a.a, "ab", "x", why, sizeof(why)), EINVAL);
	CHECK_INT(ice_make_credentials(u, pw), 0);
	CHECK_INT(ice_agent_set_remote_credentials(a.a, u, "short", why, sizeof(why)), EINVAL);
	CHECK(strstr(why, "ice-pwd") != NULL);
	CHECK_INT(ice_agent_set_remote_credentials(a.a, u, pw, why, sizeof(why)), 0);
	CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:1 1 UDP 1 127.0.0.1 9 typ "
						 "nonsense", why, sizeof(why)), EINVAL);
	CHECK(strstr(why, "not understood") != NULL);
	CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:1 1 UDP 1 999.0.0.1 9 typ "
						 "host", why, sizeof(why)), EINVAL);
	CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:2 1 tcp 1518280447 "
						 "127.0.0.1 9 typ host tcptype active "
						 "generation 0", why, sizeof(why)), EPROTONOSUPPORT);
	CHECK(strstr(why, "TCP") != NULL);
	CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:1 2 UDP 1 127.0.0.1 9 typ "
						 "host", why, sizeof(why)), EPROTONOSUPPORT);
	CHECK(strstr(why, "component 2") != NULL);
	CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:1 1 udp 1 abc.local 9 typ "
						 "host", why, sizeof(why)), ENOTSUP);
	CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:1 1 UDP 1 127.0.0.1 9 typ "
						 "host", why, sizeof(why)), 0);
	/* Chrome's form, with its extensions, goes through libnice's parser too */
	CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:842163049 1 udp 1677729535 "
						 "127.0.0.1 46154 typ srflx raddr 0.0.0.0 rport "
						 "0 generation 0 ufrag EsAw network-cost 999", why,
						 sizeof(why)), 0);
	/* a flood of candidates stops at the limit (two were taken above) */
	{
		unsigned taken = 2;
		int e = 0;

		for (unsigned n = 0; n < ICE_MAX_REMOTE + 5 && e == 0; n++) {
			char line[96];

			snprintf(line, sizeof(line), "candidate:%u 1 UDP 1 127.0.0.1 %u typ host",
				 n + 2, 10 + n);
			e = ice_agent_add_remote_candidate(a.a, line, why, sizeof(why));
			if (e == 0)
				taken++;
		}
		CHECK_INT(e, ENOBUFS);
		CHECK_INT(taken, ICE_MAX_REMOTE);
		CHECK(strstr(why, "more than 40 remote candidates") != NULL);
	}
	/* revoking consent with consent freshness on is fine; ice_ev_name knows every kind */
	CHECK_INT(ice_agent_revoke_consent(a.a), 0);
	for (int k = 0; k < NKINDS; k++)
		CHECK(strcmp(ice_ev_name((enum ice_ev)k), "?") != 0);
out:
	peer_done(&a);
}

struct timer_job {
	struct ice_agent *a;
	int first, second;         /* armed one after the other: the second replaces it */
};

static void arm_on_ice_thread(void *arg)
{
	struct timer_job *j = arg;

	ice_agent_set_timer(j->a, j->first);
	ice_agent_set_timer(j->a, j->second);
}

static void test_hook_timer_fires_once_on_the_ice_thread_and_can_be_cancelled(void)
{
	struct peer a;
	struct ice_opts o;
	struct timer_job job;
	int64_t t0;

	peer_init(&a, "A");
	loopback_opts(&o, true);
	CHECK_INT(peer_alloc(&a, &o), 0);
	if (!a.a)
		goto out;
	/* armed for 30 ms, then re-armed for 200: one call, about 200 ms later */
	job = (struct timer_job){ a.a, 30, 200 };
	t0 = now_ms();
	CHECK_INT(ice_agent_invoke(a.a, arm_on_ice_thread, &job), 0);
	CHECK(wait_count(&a, &a.ntimer, 1, limit(2000)));
	msleep(300);                       /* and no second call */
	pthread_mutex_lock(&a.m);
	CHECK_INT(a.ntimer, 1);
	CHECK(a.timer_at_ms - t0 >= 195);
	CHECK(!a.hook_on_main && !a.hooks_disagree);
	pthread_mutex_unlock(&a.m);
	/* armed, then cancelled: no call */
	job = (struct timer_job){ a.a, 30, -1 };
	CHECK_INT(ice_agent_invoke(a.a, arm_on_ice_thread, &job), 0);
	msleep(200);
	pthread_mutex_lock(&a.m);
	CHECK_INT(a.ntimer, 1);
	pthread_mutex_unlock(&a.m);
out:
	peer_done(&a);
}

static void test_free_right_after_alloc_is_clean(void)
{
	/* the command queue still holds what was given: free takes it back */
	for (int i = 0; i < 5; i++) {
		struct peer a;
		struct ice_opts o;
		char why[ICE_TEXT], u[ICE_CRED_BUF], pw[ICE_CRED_BUF];

		peer_init(&a, "A");
		loopback_opts(&o, i & 1);
		CHECK_INT(peer_alloc(&a, &o), 0);
		if (a.a && i >= 2) {
			CHECK_INT(ice_make_credentials(u, pw), 0);
			CHECK_INT(ice_agent_set_remote_credentials(a.a, u, pw, why, sizeof(why)), 0);
			CHECK_INT(ice_agent_add_remote_candidate(a.a, "candidate:1 1 UDP 1 "
								 "127.0.0.1 9 typ host", why,
								 sizeof(why)), 0);
		}
		peer_done(&a);
	}
}

/* The child of the test below: Sofia-SIP preloaded, so found before libnice. */
static int conflict_child(void)
{
	struct ice_opts o;
	struct ice_hooks h = { .on_event = on_event };
	struct ice_agent *x;
	struct peer p;
	char why[ICE_TEXT];
	int e;

	peer_init(&p, "child");
	h.arg = &p;
	loopback_opts(&o, true);
	e = ice_agent_alloc(&x, &o, &h, why, sizeof(why));
	printf("     child with Sofia preloaded: %s (%d)\n", why, e);
	if (e == 0)
		ice_agent_free(x);
	return e == ELIBBAD && strstr(why, "stun_message_length") && strstr(why, "sofia") ? 0 : 1;
}

/* Sofia-SIP and libnice both export stun_message_length; with Sofia first in the lookup
 * order libnice's STUN messages come out empty and ICE fails silently (seen in the ASan
 * build). This process has both, libnice first (Makefile.am), and connects above; a child
 * with Sofia preloaded must be refused at alloc with the reason. */
static void test_sofia_before_libnice_is_refused_with_the_fix(void)
{
	Dl_info sofia;
	void *sym = dlsym(RTLD_DEFAULT, "su_home_new");
	char preload[600], asan_opts[1200];
	const char *asan = getenv("ASAN_OPTIONS");
	pid_t pid;
	int st = -1;

	CHECK(sym && dladdr(sym, &sofia) && sofia.dli_fname);
	if (!sym || !dladdr(sym, &sofia) || !sofia.dli_fname)
		return;
	/* an ASan runtime must stay first in the preload list: let it be second */
	snprintf(preload, sizeof(preload), "%s", sofia.dli_fname);
	snprintf(asan_opts, sizeof(asan_opts), "%s%sverify_asan_link_order=0", asan ? asan : "",
		 asan && *asan ? ":" : "");
	pid = fork();
	if (pid == 0) {
		setenv("LD_PRELOAD", preload, 1);
		setenv("ASAN_OPTIONS", asan_opts, 1);
		setenv("TTY_ICE_CONFLICT_CHILD", "1", 1);
		execl(self_path, "test_webrtc_ice", (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0);
	if (pid > 0)
		CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	const char *san = getenv("TTY_SANITIZED"), *pre = getenv("LD_PRELOAD");

	/* valgrind puts its preload library in; ASan builds say so (Makefile.am) */
	if (getenv("TTY_ICE_CONFLICT_CHILD"))
		return conflict_child();
	/* argv[0], not /proc/self/exe, which is valgrind's own binary under valgrind */
	self_path = argc > 0 && strchr(argv[0], '/') ? argv[0] : "/proc/self/exe";
	slow = (san && strcmp(san, "1") == 0) || (pre && strstr(pre, "vgpreload"));
	main_thread = pthread_self();
	RUN(test_server_addresses_split_into_host_and_port);
	RUN(test_credentials_are_ice_chars_of_rfc_lengths);
	RUN(test_candidate_lines_are_taken_as_browsers_write_them);
	RUN(test_two_agents_connect_and_carry_media_and_dtls_both_ways);
	RUN(test_checks_toward_a_silent_address_fail_at_the_bound);
	RUN(test_checks_fail_early_once_the_peer_said_end_of_candidates);
	RUN(test_the_controlled_side_waits_for_the_peers_choice_until_the_bound);
	RUN(test_a_peer_without_candidates_fails_at_the_bound);
	RUN(test_restart_reconnects_with_new_credentials_and_media_goes_on);
	RUN(test_silent_stun_and_turn_servers_do_not_hold_gathering_up);
	RUN(test_bad_input_is_refused_with_a_reason);
	RUN(test_hook_timer_fires_once_on_the_ice_thread_and_can_be_cancelled);
	RUN(test_free_right_after_alloc_is_clean);
	RUN(test_sofia_before_libnice_is_refused_with_the_fix);
	return unit_done();
}
