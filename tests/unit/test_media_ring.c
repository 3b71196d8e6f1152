/* test_media_ring.c: media sessions over WebRTC's rings (session_ring.c), with SRTP keys
 * that come later, as DTLS gives them. Two sessions A and B per pair, joined by a "wire"
 * thread of this test that moves packets A.tx -> B.rx and B.tx -> A.rx (stamped with
 * CLOCK_MONOTONIC, as the ice thread does), opens a copy of each with its own SRTP context
 * to see that it is SRTP under the sender's key, counts RTCP by RFC 5761's payload-type
 * rule, tampers with a few packets, and stops draining A's tx ring for a second.
 * WAV files are the microphones (A a 1 kHz tone, B 750 Hz) and speakers.
 *
 *   0 ........ keys_pending: nothing on the wire; injected packets wait in the rx ring,
 *              the newest KEYS_WAIT_PKTS of them, the older ones dropped and counted
 *   keys ..... SRTP both ways (AES-GCM with Opus; AES-CM-80 with PCMA), RTCP on the ring
 *   +600 ms .. TAMPER_N packets A->B altered: B drops exactly those (srtp_dropped)
 *   +1000 ms . the wire stops taking A's packets for STALL_MS: A's ring fills, A counts
 *              what it refuses, keeps receiving and playing B; B hears A again after
 *   +4000 ms . end (+5000 under ASan or valgrind)
 *
 * Real-time limits widen under ASan (TTY_SANITIZED=1) and valgrind; lower bounds do not. */
#include "unit.h"
#include "test_media_tone.h"
#include "media/media.h"
#include "media/session_priv.h"   /* session_set_rtcp_interval: RTCP fast enough to test */
#include "media/srtp_sess.h"
#include "media/webrtc/pkt_ring.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sndfile.h>

#define RING_SLOTS 16          /* tx rings: small, so a stalled second fills one */
/* rx rings: ICE's 64. They must hold the stalled ring's burst and what the sender commits
 * while the wire moves it (seen: 17 with rx rings of 16, one refused by the wire). */
#define RX_SLOTS 64
#define RING_BYTES 1500
#define PENDING_MS 400         /* keys_pending this long (at least) */
#define TAMPER_AFTER_MS 600    /* after the keys */
#define STALL_AFTER_MS 1000
#define STALL_MS 1000
#define RUN_AFTER_MS (slow ? 5000 : 4000) /* from the keys to the end */
/* After the stall B plays A's 16 late packets, then conceals the ~39 that A's full ring
 * refused (the jitter buffer plays out a sequence gap with later packets present: seen
 * 700-750 ms to be back on time), then hears A live: the last LIVE_MS are checked. */
#define LIVE_MS 600
#define INJECT (KEYS_WAIT_PKTS + 5) /* into each rx ring while keys are pending */
#define HELD KEYS_WAIT_PKTS     /* of those, kept for the keys (then fail: they are plain) */
#define TAMPER_N 5
#define TAMPER_EVERY 5         /* every 5th RTP packet until TAMPER_N are done */
#define A_HZ 1000.0
#define B_HZ 750.0
#define TONE_AMP 8000.0
#define NPAIRS 2

/* ASan or valgrind: threads run late, now and then long. Under valgrind (20-50x slower,
 * every thread on one core) the media threads also fall behind real time (seen: 3.5 s
 * of audio played in 4.4 s), so a session's speaker file no longer keeps the wall clock
 * and wall-clock windows into it mean nothing: there the tone is checked where the file
 * itself says (from its onset; its last LIVE_MS), and counts that follow from real time
 * are halved. Protocol counts (what crossed, what was dropped, what was refused) hold
 * exactly either way. */
static bool slow;
#define MAX_GAP_MS (slow ? 250.0 : 40.0)
#define HZ_TOLERANCE(hz) ((hz) * (slow ? 0.1 : 0.01))

static char tmpdir[64], tone_a[128], tone_b[128];

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void msleep(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static void sleep_until(int64_t at_ms)
{
	int64_t now = mono_ms();

	if (at_ms > now)
		msleep((unsigned)(at_ms - now));
}

/* A 48 kHz WAV of one second of a tone (whole cycles: it loops without a seam). */
static int write_tone(const char *path, double hz)
{
	SF_INFO info = { .samplerate = 48000, .channels = 1,
			 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	int16_t *pcm = calloc(48000, sizeof(*pcm));
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	int rc = -1;

	if (pcm && f) {
		tone_make(pcm, 48000, 48000, hz, TONE_AMP, 0);
		rc = sf_writef_short(f, pcm, 48000) == 48000 ? 0 : -1;
	}
	if (f)
		sf_close(f);
	free(pcm);
	return rc;
}

/* A 48 kHz mono WAV; the sample count (0 on error), *pcm malloc'ed. */
static size_t read_wav(const char *path, int16_t **pcm)
{
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	sf_count_t got = 0;

	*pcm = NULL;
	if (!f)
		return 0;
	if (info.samplerate == 48000 && info.channels == 1 && info.frames > 0) {
		*pcm = calloc((size_t)info.frames, sizeof(**pcm));
		if (*pcm)
			got = sf_readf_short(f, *pcm, info.frames);
	}
	sf_close(f);
	return got > 0 ? (size_t)got : 0;
}

/* ---- the wire ---- */

/* One direction: the sender's tx ring into the receiver's rx ring. Written by the wire
 * thread, read by the main thread (atomics). */
struct link {
	struct pkt_ring *from, *to;
	struct srtp_sess *check;   /* a receiver context with the sender's key: is it SRTP? */
	atomic_bool stall;         /* do not take the sender's packets */
	atomic_uint tamper_left;
	atomic_uint rtp, rtcp;     /* by RFC 5761: payload type 64-95 (after the marker) */
	atomic_uint opened;        /* authenticated and decrypted by check */
	atomic_uint plain;         /* RTP whose payload on the wire is its plaintext */
	atomic_uint tampered, refused;
	unsigned rtp_seen;         /* wire thread only */
	_Alignas(8) uint8_t buf[RING_BYTES + SRTP_SESS_TRAILER];
	_Alignas(8) uint8_t copy[RING_BYTES + SRTP_SESS_TRAILER];
};

struct pair {
	const char *label;
	enum codec_id codec;
	uint8_t pt;
	enum srtp_suite suite;
	struct pkt_ring *a_tx, *a_rx, *b_tx, *b_rx;
	struct media_session *a, *b;
	struct link ab, ba;
	char a_out[128], b_out[128];
	int64_t a_file0_ms, b_file0_ms;     /* when each started: its speaker file's 0 */
	struct media_stats sa_pending, sb_pending; /* just before the keys */
	struct media_stats sa_stall0, sb_stall0;   /* as the stall starts (a clean wire so far) */
	struct media_stats sa_stall1, sb_stall1;   /* as it ends */
	struct media_stats sa, sb;                 /* at the end */
	unsigned wire_pending[2], ring_pending[2]; /* on the wire / in the tx rings before keys */
	unsigned a_tx_full;                        /* A's tx ring as the stall ends */
	uint64_t a_tx_ring_dropped;                /* pkt_ring's own count, at the end */
};

static struct pair pairs[NPAIRS];
static atomic_bool wire_stop;
static atomic_bool inject_req;
static atomic_uint inject_done;

static bool rfc5761_rtcp(const uint8_t *p, size_t len)
{
	return len >= 2 && (p[1] & 0x7f) >= 64 && (p[1] & 0x7f) <= 95;
}

static void wire_packet(struct link *l, const uint8_t *pkt, size_t len)
{
	bool rtcp = rfc5761_rtcp(pkt, len);
	size_t n = len;

	if (len > RING_BYTES)
		return;
	atomic_fetch_add(rtcp ? &l->rtcp : &l->rtp, 1);
	/* A copy opened with the sender's key, as the receiver will. */
	memcpy(l->copy, pkt, len);
	if (l->check && srtp_sess_unprotect(l->check, l->copy, &n, rtcp) == SRTP_SESS_OK) {
		atomic_fetch_add(&l->opened, 1);
		/* Our sessions' RTP headers are 12 bytes (no CSRC, no extension). */
		if (!rtcp && n > 12 && memcmp(l->copy + 12, pkt + 12, n - 12) == 0)
			atomic_fetch_add(&l->plain, 1);
	}
	memcpy(l->buf, pkt, len);
	if (!rtcp && l->rtp_seen++ % TAMPER_EVERY == 0 && len > 13 &&
	    atomic_load(&l->tamper_left) > 0) {
		atomic_fetch_sub(&l->tamper_left, 1);
		l->buf[12] ^= 0x20;            /* the first payload byte */
		atomic_fetch_add(&l->tampered, 1);
	}
	if (pkt_ring_push(l->to, l->buf, len, mono_us()) != 0)
		atomic_fetch_add(&l->refused, 1);
}

/* Plain RTP where a peer that had its keys before us sends SRTP: held, then tried with
 * the keys, and dropped as unauthenticated. Returns
 * how many the ring took (the main thread checks: CHECK is not for this thread). */
static unsigned inject(struct pkt_ring *r)
{
	uint8_t pkt[172] = { 0x80, 111 };
	unsigned n = 0;

	for (unsigned i = 0; i < INJECT; i++) {
		pkt[3] = (uint8_t)i;
		pkt[11] = 0x42;
		n += pkt_ring_push(r, pkt, sizeof(pkt), mono_us()) == 0;
	}
	return n;
}

static void *wire_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&wire_stop)) {
		struct pollfd pfd[2 * NPAIRS];
		struct link *lk[2 * NPAIRS];
		struct timespec tick = { 0, 2 * 1000000L };  /* to see requests and stalls */
		unsigned n = 0;

		if (atomic_load(&inject_req) && atomic_load(&inject_done) == 0) {
			unsigned pushed = 0;

			for (int i = 0; i < NPAIRS; i++)
				pushed += inject(pairs[i].a_rx) + inject(pairs[i].b_rx);
			atomic_store(&inject_done, pushed);
		}
		for (int i = 0; i < NPAIRS; i++) {
			struct link *both[2] = { &pairs[i].ab, &pairs[i].ba };

			for (int k = 0; k < 2; k++) {
				if (atomic_load(&both[k]->stall))
					continue;     /* its fd stays readable: not polled */
				pfd[n] = (struct pollfd){ .fd = pkt_ring_fd(both[k]->from),
							  .events = POLLIN };
				lk[n++] = both[k];
			}
		}
		if (ppoll(pfd, n, &tick, NULL) <= 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *pkt;
			size_t len;

			if (!(pfd[i].revents & POLLIN))
				continue;
			pkt_ring_clear_wake(lk[i]->from);
			while ((pkt = pkt_ring_peek(lk[i]->from, &len, NULL))) {
				wire_packet(lk[i], pkt, len);
				pkt_ring_pop(lk[i]->from);
			}
		}
	}
	/* The sessions are gone: what they left in the rings is counted too. */
	for (int i = 0; i < NPAIRS; i++) {
		struct link *both[2] = { &pairs[i].ab, &pairs[i].ba };

		for (int k = 0; k < 2; k++) {
			const uint8_t *pkt;
			size_t len;

			while ((pkt = pkt_ring_peek(both[k]->from, &len, NULL))) {
				wire_packet(both[k], pkt, len);
				pkt_ring_pop(both[k]->from);
			}
		}
	}
	return NULL;
}

/* ---- the sessions ---- */

static struct media_cfg mcfg(void)
{
	struct media_cfg c = { .codecs = { CODEC_OPUS, CODEC_PCMA }, .ncodecs = 2,
			       .rtp_port_min = 41000, .rtp_port_max = 49000,
			       .jitter_min_ms = 40, .jitter_max_ms = 200, .opus_bitrate = 32000,
			       .opus_complexity = 5 };
	return c;
}

static struct audio_cfg acfg(const char *in, const char *out)
{
	struct audio_cfg a = { .backend = AUDIO_FILE };

	snprintf(a.input, sizeof(a.input), "%s", in);
	snprintf(a.output, sizeof(a.output), "%s", out);
	return a;
}

static void keys(uint8_t *ka, uint8_t *kb)
{
	for (int i = 0; i < 46; i++) {
		ka[i] = (uint8_t)(i * 7 + 3);
		kb[i] = (uint8_t)(i * 11 + 5);
	}
}

/* One side's parameters; pending: DTLS still under way (no keys). */
static struct media_params params(const struct pair *pr, bool a_side, bool pending)
{
	struct media_params p = { .codec = pr->codec, .pt = pr->pt, .te_pt = 101,
				  .te_rate = 8000, .dir = MEDIA_SENDRECV, .suite = pr->suite,
				  .ptime = 20, .keys_pending = pending,
				  .rx_ring = a_side ? pr->a_rx : pr->b_rx,
				  .tx_ring = a_side ? pr->a_tx : pr->b_tx };
	uint8_t ka[46], kb[46];

	/* Informative only: what ICE's pair would say (of another family than the
	 * sockets', which a socket session would refuse). */
	snprintf(p.remote_addr, sizeof(p.remote_addr), "2001:db8::%c", a_side ? 'b' : 'a');
	p.remote_port = 9;
	if (!pending) {
		keys(ka, kb);
		p.key_len = srtp_suite_key_len(pr->suite);
		memcpy(p.tx_key, a_side ? ka : kb, p.key_len);   /* crosswise, as DTLS exports */
		memcpy(p.rx_key, a_side ? kb : ka, p.key_len);
	}
	return p;
}

static int setup_pair(struct pair *pr)
{
	struct media_cfg c = mcfg();
	struct audio_cfg aa, ab;
	uint8_t ka[46], kb[46];

	snprintf(pr->a_out, sizeof(pr->a_out), "%s/%s-a.wav", tmpdir, pr->label);
	snprintf(pr->b_out, sizeof(pr->b_out), "%s/%s-b.wav", tmpdir, pr->label);
	aa = acfg(tone_a, pr->a_out);
	ab = acfg(tone_b, pr->b_out);
	if (pkt_ring_alloc(&pr->a_tx, RING_SLOTS, RING_BYTES) || pkt_ring_alloc(&pr->a_rx, RX_SLOTS, RING_BYTES) ||
	    pkt_ring_alloc(&pr->b_tx, RING_SLOTS, RING_BYTES) || pkt_ring_alloc(&pr->b_rx, RX_SLOTS, RING_BYTES))
		return -1;
	pr->ab.from = pr->a_tx;
	pr->ab.to = pr->b_rx;
	pr->ba.from = pr->b_tx;
	pr->ba.to = pr->a_rx;
	keys(ka, kb);
	if (srtp_sess_alloc(&pr->ab.check, pr->suite, ka, srtp_suite_key_len(pr->suite), false) ||
	    srtp_sess_alloc(&pr->ba.check, pr->suite, kb, srtp_suite_key_len(pr->suite), false))
		return -1;
	if (media_session_alloc(&pr->a, &c, &aa, 1, NULL, "127.0.0.1") != 0 ||
	    media_session_alloc(&pr->b, &c, &ab, 2, NULL, "127.0.0.1") != 0)
		return -1;
	session_set_rtcp_interval(pr->a, 200);
	session_set_rtcp_interval(pr->b, 200);
	return 0;
}

static int start_pair(struct pair *pr, bool pending)
{
	struct media_params pa = params(pr, true, pending), pb = params(pr, false, pending);

	if (pending)
		pr->b_file0_ms = mono_ms();
	if (media_session_start(pr->b, &pb) != 0)
		return -1;
	if (pending)
		pr->a_file0_ms = mono_ms();
	return media_session_start(pr->a, &pa);
}

static bool all_dropped_injected(void)
{
	for (int i = 0; i < NPAIRS; i++) {
		struct media_stats sa, sb;

		media_session_get_stats(pairs[i].a, &sa);
		media_session_get_stats(pairs[i].b, &sb);
		if (sa.keys_pending_dropped < INJECT - HELD || sb.keys_pending_dropped < INJECT - HELD)
			return false;
	}
	return true;
}

static int64_t keys_ms;        /* when the keys were given */
static pthread_t wire;

static void run_all(void)
{
	int64_t t0;

	pairs[0] = (struct pair){ .label = "opus+gcm", .codec = CODEC_OPUS, .pt = 111,
				  .suite = SUITE_AEAD_AES_128_GCM };
	pairs[1] = (struct pair){ .label = "pcma+srtp80", .codec = CODEC_PCMA, .pt = 8,
				  .suite = SUITE_AES_CM_128_HMAC_SHA1_80 };
	for (int i = 0; i < NPAIRS; i++)
		CHECK_INT(setup_pair(&pairs[i]), 0);
	CHECK_INT(pthread_create(&wire, NULL, wire_thread, NULL), 0);
	t0 = mono_ms();
	for (int i = 0; i < NPAIRS; i++)
		CHECK_INT(start_pair(&pairs[i], true), 0);

	/* Keys pending: a peer's packets come (plain ones here); each side keeps the newest
	 * HELD for its keys and drops the rest. */
	msleep(100);
	atomic_store(&inject_req, true);
	while (!atomic_load(&inject_done) && mono_ms() - t0 < 10000)
		msleep(5);
	CHECK_INT(atomic_load(&inject_done), 2 * NPAIRS * INJECT);
	while (!all_dropped_injected() && mono_ms() - t0 < 10000)
		msleep(5);
	sleep_until(t0 + PENDING_MS);
	for (int i = 0; i < NPAIRS; i++) {
		struct pair *pr = &pairs[i];

		media_session_get_stats(pr->a, &pr->sa_pending);
		media_session_get_stats(pr->b, &pr->sb_pending);
		pr->wire_pending[0] = atomic_load(&pr->ab.rtp) + atomic_load(&pr->ab.rtcp);
		pr->wire_pending[1] = atomic_load(&pr->ba.rtp) + atomic_load(&pr->ba.rtcp);
		pr->ring_pending[0] = pkt_ring_count(pr->a_tx);
		pr->ring_pending[1] = pkt_ring_count(pr->b_tx);
	}
	printf("  keys pending for %lld ms\n", (long long)(mono_ms() - t0));

	/* DTLS done: the same rings, the keys. */
	keys_ms = mono_ms();
	for (int i = 0; i < NPAIRS; i++)
		CHECK_INT(start_pair(&pairs[i], false), 0);

	sleep_until(keys_ms + TAMPER_AFTER_MS);
	for (int i = 0; i < NPAIRS; i++)
		atomic_store(&pairs[i].ab.tamper_left, TAMPER_N);

	sleep_until(keys_ms + STALL_AFTER_MS);
	for (int i = 0; i < NPAIRS; i++) {
		media_session_get_stats(pairs[i].a, &pairs[i].sa_stall0);
		media_session_get_stats(pairs[i].b, &pairs[i].sb_stall0);
		atomic_store(&pairs[i].ab.stall, true);
	}
	sleep_until(keys_ms + STALL_AFTER_MS + STALL_MS);
	for (int i = 0; i < NPAIRS; i++) {
		media_session_get_stats(pairs[i].a, &pairs[i].sa_stall1);
		media_session_get_stats(pairs[i].b, &pairs[i].sb_stall1);
		pairs[i].a_tx_full = pkt_ring_count(pairs[i].a_tx);
		atomic_store(&pairs[i].ab.stall, false);
	}

	sleep_until(keys_ms + RUN_AFTER_MS);
	/* A stops first, B takes in what A left on the wire, then stops. */
	for (int i = 0; i < NPAIRS; i++) {
		media_session_get_stats(pairs[i].a, &pairs[i].sa);
		media_session_free(pairs[i].a);
	}
	msleep(slow ? 300 : 60);
	for (int i = 0; i < NPAIRS; i++) {
		media_session_get_stats(pairs[i].b, &pairs[i].sb);
		media_session_free(pairs[i].b);
	}
	atomic_store(&wire_stop, true);
	CHECK_INT(pthread_join(wire, NULL), 0);
	for (int i = 0; i < NPAIRS; i++)
		pairs[i].a_tx_ring_dropped = pkt_ring_dropped(pairs[i].a_tx);
}

/* ---- the results ---- */

/* The tone at hz in a speaker file in each window {from_ms, to_ms} (file time; negative:
 * that long before the file's end; never before 100 ms after the tone's onset): frequency,
 * level, no gap. Returns the file's tone onset in ms. */
static double check_tone(const char *label, const char *path, double hz, double onset_max_ms,
			 double (*windows)[2], int nwin)
{
	const double in_rms = TONE_AMP / sqrt(2.0);
	int16_t *pcm;
	size_t n = read_wav(path, &pcm), on = n ? tone_onset(pcm, n, 48000, in_rms / 10) : 0;
	double on_ms = on * 1000.0 / 48000;

	printf("  %-12s %s: %.2f s, onset %.0f ms\n", label, strrchr(path, '/') + 1,
	       n / 48000.0, on_ms);
	CHECK(on_ms < onset_max_ms);
	for (int w = 0; w < nwin; w++) {
		double fm = windows[w][0] < 0 ? n / 48.0 + windows[w][0] : windows[w][0];
		double tm = windows[w][1] < 0 ? n / 48.0 + windows[w][1] : windows[w][1];
		size_t from = fm > 0 ? (size_t)(fm * 48) : 0, to = tm > 0 ? (size_t)(tm * 48) : 0;
		double f = 0, db = -99, gap = 9999;

		if (from < on + 4800)
			from = on + 4800;          /* 100 ms after the tone starts */
		if (to > n)
			to = n;
		CHECK(to > from + 48 * 200);       /* at least 200 ms to look at */
		if (to > from + 48 * 200) {
			f = tone_freq(pcm + from, to - from, 48000);
			db = tone_db(tone_rms(pcm + from, to - from), in_rms);
			gap = tone_longest_gap_ms(pcm + from, to - from, 48000, in_rms / 10);
		}
		printf("    %5.0f-%5.0f ms: %8.2f Hz  level %+5.2f dB  longest gap %3.0f ms\n",
		       from / 48.0, to / 48.0, f, db, gap);
		CHECK(fabs(f - hz) < HZ_TOLERANCE(hz));
		CHECK(fabs(db) < 3);
		CHECK(gap <= MAX_GAP_MS);
	}
	free(pcm);
	return on_ms;
}

static void test_keys_pending_sends_nothing_and_holds_what_comes(void)
{
	for (int i = 0; i < NPAIRS; i++) {
		const struct pair *pr = &pairs[i];

		printf("  %-12s before the keys: on the wire %u / %u, dropped A %llu B %llu, "
		       "mic A %.2f B %.2f\n", pr->label, pr->wire_pending[0], pr->wire_pending[1],
		       (unsigned long long)pr->sa_pending.keys_pending_dropped,
		       (unsigned long long)pr->sb_pending.keys_pending_dropped,
		       pr->sa_pending.mic_level, pr->sb_pending.mic_level);
		CHECK_INT(pr->wire_pending[0], 0);
		CHECK_INT(pr->wire_pending[1], 0);
		CHECK_INT(pr->ring_pending[0], 0);
		CHECK_INT(pr->ring_pending[1], 0);
		CHECK_INT(pr->sa_pending.pkts_sent, 0);
		CHECK_INT(pr->sb_pending.pkts_sent, 0);
		CHECK_INT(pr->sa_pending.keys_pending_dropped, INJECT - HELD);
		CHECK_INT(pr->sb_pending.keys_pending_dropped, INJECT - HELD);
		CHECK_INT(pr->sa_pending.pkts_recv, 0);
		CHECK_INT(pr->sb_pending.pkts_recv, 0);
		CHECK(pr->sa_pending.keys_pending && pr->sb_pending.keys_pending);
		CHECK(!pr->sa_pending.srtp && !pr->sb_pending.srtp);
		/* The thread runs meanwhile: the microphone is read, its meter moves. */
		CHECK(pr->sa_pending.mic_level > 0.1f && pr->sb_pending.mic_level > 0.1f);
		/* The held ones were opened once the keys came: none dropped for want of them. */
		CHECK_INT(pr->sa.keys_pending_dropped, INJECT - HELD);
		CHECK_INT(pr->sb.keys_pending_dropped, INJECT - HELD);
		CHECK(!pr->sa.keys_pending && !pr->sb.keys_pending);
	}
}

static void test_after_the_keys_the_tone_is_heard_both_ways(void)
{
	for (int i = 0; i < NPAIRS; i++) {
		const struct pair *pr = &pairs[i];
		/* File times: the keys came keys_ms - file0 into each file. */
		double ka = (double)(keys_ms - pr->a_file0_ms), kb = (double)(keys_ms - pr->b_file0_ms);
		double onset_room = slow ? 1500 : 400;
		double a_win[1][2] = { { 0, -100 } };
		double b_win[2][2] = {
			/* The end: A live again after the stall. */
			{ -100 - LIVE_MS, -100 },
			/* Until the tampering: its losses are concealed, and concealment's phase
			 * jumps move a frequency read from zero crossings (seen up to 4.6 Hz). */
			{ kb, kb + TAMPER_AFTER_MS - 50 } };
		double on;
		unsigned rt = slow ? 2 : 1;    /* counts that follow from real time */

		/* A hears B's 750 Hz throughout, the stall of its own sending included: its
		 * thread never waited on the full ring. */
		on = check_tone(pr->label, pr->a_out, B_HZ, ka + onset_room, a_win, 1);
		if (!slow)                     /* the file keeps the wall clock: a tick either way */
			CHECK(on >= ka - 40);
		/* B hears A's 1 kHz at the end (and, where the file keeps the wall clock, before
		 * the tampering and the stall). */
		on = check_tone(pr->label, pr->b_out, A_HZ, kb + onset_room, b_win, slow ? 1 : 2);
		if (!slow)
			CHECK(on >= kb - 40);
		CHECK(pr->sa.srtp && pr->sb.srtp);
		CHECK_INT(pr->sb.codec, pr->codec);
		CHECK(pr->sa.pkts_sent >= ((RUN_AFTER_MS - 300) / 20 - RING_SLOTS - STALL_MS / 20) / rt);
		CHECK(pr->sb.pkts_sent >= (RUN_AFTER_MS - 300) / 20 / rt);
		CHECK_INT(pr->sa.wrong_source_dropped + pr->sb.wrong_source_dropped, 0);
	}
}

static void test_what_crosses_the_wire_is_srtp_under_the_senders_key(void)
{
	for (int i = 0; i < NPAIRS; i++) {
		struct pair *pr = &pairs[i];
		struct link *ls[2] = { &pr->ab, &pr->ba };

		for (int k = 0; k < 2; k++) {
			struct link *l = ls[k];
			unsigned rtp = atomic_load(&l->rtp), rtcp = atomic_load(&l->rtcp);

			printf("  %-12s %s: rtp %u rtcp %u, opened with the key %u, plaintext %u, "
			       "tampered %u, refused by the rx ring %u\n", pr->label,
			       k ? "B->A" : "A->B", rtp, rtcp, atomic_load(&l->opened),
			       atomic_load(&l->plain), atomic_load(&l->tampered),
			       atomic_load(&l->refused));
			CHECK_INT(atomic_load(&l->opened), rtp + rtcp);
			CHECK_INT(atomic_load(&l->plain), 0);
			CHECK_INT(atomic_load(&l->refused), 0);
		}
		/* Every packet A got into its ring crossed (RTP: pkts_sent counts those; it may
		 * have sent a couple after its last stats). */
		CHECK(atomic_load(&pr->ab.rtp) >= pr->sa.pkts_sent &&
		      atomic_load(&pr->ab.rtp) <= pr->sa.pkts_sent + 3);
		CHECK(atomic_load(&pr->ba.rtp) >= pr->sb.pkts_sent);
		/* The tampered ones fail authentication at B and nowhere else. */
		CHECK_INT(atomic_load(&pr->ab.tampered), TAMPER_N);
		CHECK_INT(pr->sb.srtp_dropped, TAMPER_N + HELD);
		CHECK_INT(pr->sa.srtp_dropped, HELD);          /* and the held plain ones */
		/* B took the rest (but those that came while its keys were still pending). */
		CHECK(pr->sb.pkts_recv <= atomic_load(&pr->ab.rtp) - TAMPER_N);
		CHECK(pr->sb.pkts_recv + (slow ? 30 : 6) >= atomic_load(&pr->ab.rtp) - TAMPER_N);
	}
}

static void test_rtcp_travels_on_the_same_ring(void)
{
	for (int i = 0; i < NPAIRS; i++) {
		const struct pair *pr = &pairs[i];

		printf("  %-12s rtcp A->B %u B->A %u, rtt A %.2f ms B %.2f ms\n", pr->label,
		       atomic_load(&pr->ab.rtcp), atomic_load(&pr->ba.rtcp), pr->sa.rtt_ms,
		       pr->sb.rtt_ms);
		/* Every 100-300 ms for 2.8 s (A's lose a second to the stall). */
		CHECK(atomic_load(&pr->ab.rtcp) >= 4);
		CHECK(atomic_load(&pr->ba.rtcp) >= 8);
		/* The round trip needs the SR and RR both ways, and their arrival stamps on the
		 * clock of the NTP times in them: a ring stamp left on CLOCK_MONOTONIC makes it
		 * negative (not taken), so 0. */
		CHECK(pr->sa.rtt_ms > 0 && pr->sa.rtt_ms < (slow ? 500 : 50));
		CHECK(pr->sb.rtt_ms > 0 && pr->sb.rtt_ms < (slow ? 500 : 50));
		CHECK(pr->sa.loss_pct < 100 && pr->sb.loss_pct < 100);
	}
}

static void test_a_full_tx_ring_drops_and_counts_and_never_blocks(void)
{
	for (int i = 0; i < NPAIRS; i++) {
		const struct pair *pr = &pairs[i];
		uint64_t dropped = pr->sa_stall1.tx_ring_dropped - pr->sa_stall0.tx_ring_dropped;
		uint64_t sent = pr->sa_stall1.pkts_sent - pr->sa_stall0.pkts_sent;
		uint64_t recv = pr->sa_stall1.pkts_recv - pr->sa_stall0.pkts_recv;
		uint64_t after = pr->sb.pkts_recv - pr->sb_stall1.pkts_recv;

		printf("  %-12s %u ms stalled: A's ring held %u, A refused %llu, sent %llu, "
		       "received %llu meanwhile; B received %llu after\n", pr->label, STALL_MS,
		       pr->a_tx_full, (unsigned long long)dropped, (unsigned long long)sent,
		       (unsigned long long)recv, (unsigned long long)after);
		CHECK_INT(pr->sa_stall0.tx_ring_dropped, 0);
		CHECK_INT(pr->a_tx_full, RING_SLOTS);
		/* What the ring holds, and what A sent between its last stats and the wire's
		 * stop (a tick or two: stats are published at a tick's end). */
		CHECK(sent <= RING_SLOTS + (slow ? 5 : 2));
		/* 50 RTP and ~5 RTCP a second, 16 of them held. */
		CHECK(dropped >= (slow ? 1 : STALL_MS / 20 - RING_SLOTS - 5));
		CHECK_INT(pr->sa.tx_ring_dropped, pr->a_tx_ring_dropped);
		CHECK_INT(pr->sb.tx_ring_dropped, 0);
		/* Meanwhile A went on receiving (and playing: test_after_the_keys...). */
		CHECK(recv >= (slow ? STALL_MS / 20 / 4 : STALL_MS / 20 - 5));
		/* And after, B hears A again. */
		CHECK(after >= (slow ? 5 : (RUN_AFTER_MS - STALL_AFTER_MS - STALL_MS) / 20 - 10));
	}
}

static void test_ring_arrival_stamps_are_converted(void)
{
	for (int i = 0; i < NPAIRS; i++) {
		const struct pair *pr = &pairs[i];

		printf("  %-12s on a clean wire: jitter A %.2f ms B %.2f ms, playout wait A %u ms "
		       "B %u ms, jitter buffer A %u ms B %u ms\n", pr->label, pr->sa.jitter_ms,
		       pr->sb_stall0.jitter_ms, pr->sa.playout_wait_ms,
		       pr->sb_stall0.playout_wait_ms, pr->sa.jb_delay_ms, pr->sb_stall0.jb_delay_ms);
		/* A's incoming wire was never stalled; B's is read before its stall. */
		CHECK(pr->sa.jitter_ms < (slow ? 80 : 5));
		CHECK(pr->sb_stall0.jitter_ms < (slow ? 80 : 5));
		/* From arrival to playout: a wrong offset makes this seconds (or years). */
		CHECK(pr->sa.playout_wait_ms < (slow ? 400u : 100u));
		CHECK(pr->sb_stall0.playout_wait_ms < (slow ? 400u : 100u));
	}
}

/* A running session keeps its transport; half a pair of rings is no transport. */
static void test_rings_are_refused_unless_both_and_for_life(void)
{
	struct media_cfg c = mcfg();
	struct audio_cfg silent = acfg("", "");
	struct media_session *ms = NULL;
	struct pkt_ring *r1 = NULL, *r2 = NULL, *r3 = NULL;
	struct pair pr = { .codec = CODEC_PCMA, .pt = 8, .suite = SUITE_AEAD_AES_128_GCM };
	struct media_params p;

	CHECK_INT(pkt_ring_alloc(&r1, 4, 1500), 0);
	CHECK_INT(pkt_ring_alloc(&r2, 4, 1500), 0);
	CHECK_INT(pkt_ring_alloc(&r3, 4, 1500), 0);
	CHECK_INT(media_session_alloc(&ms, &c, &silent, 3, NULL, "127.0.0.1"), 0);
	if (!ms || !r1 || !r2 || !r3)
		return;
	pr.a_rx = r1;
	pr.a_tx = r2;
	p = params(&pr, true, true);
	p.tx_ring = NULL;
	CHECK_INT(media_session_start(ms, &p), -1);
	CHECK_INT(errno, EINVAL);
	p.tx_ring = r1;                         /* one ring both ways */
	CHECK_INT(media_session_start(ms, &p), -1);
	CHECK_INT(errno, EINVAL);
	p = params(&pr, true, true);
	CHECK_INT(media_session_start(ms, &p), 0);
	p = params(&pr, true, false);
	p.tx_ring = r3;                         /* other rings */
	CHECK_INT(media_session_start(ms, &p), -1);
	CHECK_INT(errno, EINVAL);
	p.rx_ring = p.tx_ring = NULL;           /* to the sockets */
	snprintf(p.remote_addr, sizeof(p.remote_addr), "127.0.0.1");
	CHECK_INT(media_session_start(ms, &p), -1);
	CHECK_INT(errno, EINVAL);
	p = params(&pr, true, false);           /* the keys, on the same rings */
	CHECK_INT(media_session_start(ms, &p), 0);
	media_session_free(ms);
	pkt_ring_free(r1);
	pkt_ring_free(r2);
	pkt_ring_free(r3);
}

int main(void)
{
	const char *san = getenv("TTY_SANITIZED"), *pre = getenv("LD_PRELOAD");

	/* valgrind puts its preload library in; ASan builds say so (Makefile.am). */
	slow = (san && strcmp(san, "1") == 0) || (pre && strstr(pre, "vgpreload"));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ttyphone-ring-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(tone_a, sizeof(tone_a), "%s/tone-a.wav", tmpdir);
	snprintf(tone_b, sizeof(tone_b), "%s/tone-b.wav", tmpdir);
	CHECK_INT(write_tone(tone_a, A_HZ), 0);
	CHECK_INT(write_tone(tone_b, B_HZ), 0);
	run_all();
	RUN(test_keys_pending_sends_nothing_and_holds_what_comes);
	RUN(test_after_the_keys_the_tone_is_heard_both_ways);
	RUN(test_what_crosses_the_wire_is_srtp_under_the_senders_key);
	RUN(test_rtcp_travels_on_the_same_ring);
	RUN(test_a_full_tx_ring_drops_and_counts_and_never_blocks);
	RUN(test_ring_arrival_stamps_are_converted);
	RUN(test_rings_are_refused_unless_both_and_for_life);
	for (int i = 0; i < NPAIRS; i++) {
		struct pair *pr = &pairs[i];

		srtp_sess_free(pr->ab.check);
		srtp_sess_free(pr->ba.check);
		pkt_ring_free(pr->a_tx);
		pkt_ring_free(pr->a_rx);
		pkt_ring_free(pr->b_tx);
		pkt_ring_free(pr->b_rx);
		if (!getenv("TTY_KEEP_FILES")) {
			unlink(pr->a_out);
			unlink(pr->b_out);
		}
	}
	if (!getenv("TTY_KEEP_FILES")) {
		unlink(tone_a);
		unlink(tone_b);
		if (rmdir(tmpdir) < 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	return unit_done();
}
