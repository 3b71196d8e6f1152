/* test_media_loopback.c: real media sessions talking over 127.0.0.1, with WAV files as
 * microphone and speaker. A 1 kHz tone goes in one side; the other side's speaker file must
 * hold it at the same frequency and level, without gaps, for every codec, plain and with
 * SRTP. Also: re-INVITEs that change the codec or move the peer leave no gap and no click,
 * DTMF arrives as events, the echo service returns the tone half a second later,
 * a wrong SRTP key plays nothing and says so, and silence from the peer times out.
 * All pairs run at once, so the whole test takes about three seconds. */
#include "unit.h"
#include "test_media_tone.h"
#include "media/media.h"
#include "media/session_priv.h"   /* session_set_rtcp_interval: RTCP fast enough to test */
#include "evq.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <sndfile.h>

#define RUN_MS 2000
#define TONE_AMP 8000.0
#define MAXCASES 16

static char tmpdir[64];

/* Under ASan (TTY_SANITIZED=1, which an --enable-asan build's make check sets) these ~20
 * sessions run 2-3 times slower beside another test on 2 cores, and their media threads
 * stall now and then (seen: gaps of 55-85 ms, the jitter buffers growing to 130 ms, and
 * 130-330 ms when the machine was busier still). Only the real-time limits widen there:
 * the longest gap, the onset, the echo's delay, the round trip; and the frequency, which
 * is read from zero crossings and so drops in proportion to the silence it spans (a 330 ms
 * gap in 2 s read 858 Hz), within 10 % instead of 1 %. The tone must still be there, at its
 * level, with every packet counted. */
static bool sanitized;
#define MAX_GAP_MS (sanitized ? 250.0 : 40.0)
#define HZ_TOLERANCE (sanitized ? 100.0 : 10.0)

static void msleep(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* A WAV at rate: lead_ms of silence, then a 1 kHz tone to len_ms. */
static int write_tone(const char *path, unsigned rate, unsigned lead_ms, unsigned len_ms)
{
	SF_INFO info = { .samplerate = (int)rate, .channels = 1,
			 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	size_t n = (size_t)rate * len_ms / 1000, lead = (size_t)rate * lead_ms / 1000;
	int16_t *pcm = calloc(n, sizeof(*pcm));
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	int rc = -1;

	if (pcm && f) {
		tone_make(pcm + lead, n - lead, rate, 1000, TONE_AMP, 0);
		rc = sf_writef_short(f, pcm, (sf_count_t)n) == (sf_count_t)n ? 0 : -1;
	}
	if (f)
		sf_close(f);
	free(pcm);
	return rc;
}

/* Read a 48 kHz mono WAV; returns the sample count (0 on error), *pcm malloc'ed. */
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

static struct media_cfg mcfg(void)
{
	struct media_cfg c = { .codecs = { CODEC_OPUS, CODEC_G722, CODEC_PCMA, CODEC_PCMU },
			       .ncodecs = 4, .rtp_port_min = 31000, .rtp_port_max = 39000,
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

struct pair {
	const char *label;
	enum codec_id codec;
	enum srtp_suite suite;
	bool wrong_key;
	struct media_session *a, *b;
	char out[128];
	struct media_stats sa, sb;
};

/* Parameters for one side of a pair: codec, telephone-event, keys, the other's port. */
static struct media_params params(const struct pair *pr, uint16_t remote_port, bool a_side)
{
	const struct { enum codec_id c; uint8_t pt; } pts[] = {
		{ CODEC_OPUS, 111 }, { CODEC_G722, 9 }, { CODEC_PCMA, 8 }, { CODEC_PCMU, 0 } };
	struct media_params p = { .codec = pr->codec, .te_pt = 101, .te_rate = 8000,
				  .remote_port = remote_port, .dir = MEDIA_SENDRECV,
				  .suite = pr->suite, .ptime = 20 };
	uint8_t ka[46], kb[46];

	for (int i = 0; i < 46; i++) {
		ka[i] = (uint8_t)(i * 3 + 1);
		kb[i] = (uint8_t)(i * 5 + 2);
	}
	if (pr->wrong_key && !a_side)
		ka[0] ^= 0xff;               /* B expects a key A does not use */
	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++)
		if (pts[i].c == pr->codec)
			p.pt = pts[i].pt;
	snprintf(p.remote_addr, sizeof(p.remote_addr), "127.0.0.1");
	if (pr->suite != SUITE_NONE) {
		p.key_len = pr->suite == SUITE_AEAD_AES_128_GCM ? 28 : 30;
		memcpy(p.tx_key, a_side ? ka : kb, p.key_len);
		memcpy(p.rx_key, a_side ? kb : ka, p.key_len);
	}
	return p;
}

static unsigned rtcp_ms;               /* for the next start_pair: RTCP interval, 0 = 5 s */

static int start_pair(struct pair *pr, const struct audio_cfg *aa, const struct audio_cfg *ab,
		      struct evq *qa, struct evq *qb, unsigned echo_ms)
{
	struct media_cfg c = mcfg();
	struct media_params pa, pb;

	if (media_session_alloc(&pr->a, &c, aa, 1, qa, "127.0.0.1") != 0 ||
	    media_session_alloc(&pr->b, &c, ab, 2, qb, "127.0.0.1") != 0)
		return -1;
	if (echo_ms)
		media_session_set_echo(pr->b, echo_ms);
	if (rtcp_ms) {
		session_set_rtcp_interval(pr->a, rtcp_ms);
		session_set_rtcp_interval(pr->b, rtcp_ms);
		rtcp_ms = 0;
	}
	pa = params(pr, media_session_port(pr->b), true);
	pb = params(pr, media_session_port(pr->a), false);
	if (media_session_start(pr->b, &pb) != 0 || media_session_start(pr->a, &pa) != 0)
		return -1;
	return 0;
}

static void stop_pair(struct pair *pr)
{
	media_session_get_stats(pr->a, &pr->sa);
	media_session_get_stats(pr->b, &pr->sb);
	media_session_free(pr->a);
	media_session_free(pr->b);
}

static struct pair pairs[MAXCASES];
static unsigned npairs;
static char tone16[128], tone_late[128];
static struct pair dtmf_pair, echo_pair, timeout_pair, hold_pair, extra_pair, switch_pair,
	rekey_pair, chain_pair, move_pair;
static const struct srtp_sess *rekey_a_rx_before, *rekey_a_rx_after;
static char rec_path[128];
static struct evq *dtmf_q, *echo_q, *timeout_q, *wrong_q;
static char echo_out[128];
static unsigned strays_sent;

/* Packets from a stranger to port: well-formed RTP, just not from the peer. */
static void send_strays(uint16_t port, unsigned count)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint8_t pkt[172] = { 0x80, 0x00 };

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	for (unsigned i = 0; fd >= 0 && i < count; i++) {
		pkt[3] = (uint8_t)i;
		pkt[11] = 0x77;
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(pkt))
			strays_sent++;
	}
	if (fd >= 0)
		close(fd);
}

/* A re-INVITE to both sides of pr: A gets dir, B the mirror of it. */
static void reinvite(struct pair *pr, enum media_dir dir)
{
	struct media_params pa = params(pr, media_session_port(pr->b), true);
	struct media_params pb = params(pr, media_session_port(pr->a), false);

	pa.dir = dir;
	pb.dir = dir == MEDIA_SENDONLY ? MEDIA_RECVONLY : dir;
	CHECK_INT(media_session_start(pr->a, &pa), 0);
	CHECK_INT(media_session_start(pr->b, &pb), 0);
}

/* A re-INVITE that moves B's peer to another address: A2 (another port, another SSRC, its
 * tone in another phase) takes over from A, which stops. */
static void move_peer(struct pair *pr, const struct audio_cfg *in)
{
	struct media_cfg c = mcfg();
	struct media_session *a2 = NULL;
	struct media_params p2, pb;

	CHECK_INT(media_session_alloc(&a2, &c, in, 9, NULL, "127.0.0.1"), 0);
	if (!a2)
		return;
	p2 = params(pr, media_session_port(pr->b), true);
	pb = params(pr, media_session_port(a2), false);
	CHECK_INT(media_session_start(a2, &p2), 0);
	CHECK_INT(media_session_start(pr->b, &pb), 0);
	media_session_free(pr->a);
	pr->a = a2;
}

/* Start everything, let it run, stop everything. The tests below read the results. */
static void run_all(void)
{
	static const struct { const char *label; enum codec_id c; enum srtp_suite s; } cases[] = {
		{ "opus", CODEC_OPUS, SUITE_NONE },
		{ "opus+srtp80", CODEC_OPUS, SUITE_AES_CM_128_HMAC_SHA1_80 },
		{ "opus+gcm", CODEC_OPUS, SUITE_AEAD_AES_128_GCM },
		{ "g722", CODEC_G722, SUITE_NONE },
		{ "g722+srtp80", CODEC_G722, SUITE_AES_CM_128_HMAC_SHA1_80 },
		{ "pcma", CODEC_PCMA, SUITE_NONE },
		{ "pcma+srtp32", CODEC_PCMA, SUITE_AES_CM_128_HMAC_SHA1_32 },
		{ "pcmu", CODEC_PCMU, SUITE_NONE },
		{ "pcmu+srtp80", CODEC_PCMU, SUITE_AES_CM_128_HMAC_SHA1_80 },
	};
	struct audio_cfg silent = acfg("", ""), tone_in = acfg(tone16, ""), out;
	struct media_cfg c = mcfg();

	CHECK(evq_alloc(&dtmf_q, 64) == 0 && evq_alloc(&echo_q, 64) == 0 &&
	      evq_alloc(&timeout_q, 64) == 0 && evq_alloc(&wrong_q, 64) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pair *pr = &pairs[npairs++];

		pr->label = cases[i].label;
		pr->codec = cases[i].c;
		pr->suite = cases[i].s;
		snprintf(pr->out, sizeof(pr->out), "%s/%s.wav", tmpdir, pr->label);
		out = acfg("", pr->out);
		CHECK_INT(start_pair(pr, &tone_in, &out, NULL, NULL, 0), 0);
	}
	{	/* SRTP with a key B does not expect: B must drop everything. */
		struct pair *pr = &pairs[npairs++];

		pr->label = "wrong-key";
		pr->codec = CODEC_PCMU;
		pr->suite = SUITE_AES_CM_128_HMAC_SHA1_80;
		pr->wrong_key = true;
		snprintf(pr->out, sizeof(pr->out), "%s/%s.wav", tmpdir, pr->label);
		out = acfg("", pr->out);
		CHECK_INT(start_pair(pr, &tone_in, &out, NULL, wrong_q, 0), 0);
	}
	/* DTMF from A to B. */
	dtmf_pair.codec = CODEC_PCMU;
	CHECK_INT(start_pair(&dtmf_pair, &silent, &silent, NULL, dtmf_q, 0), 0);
	/* The echo service: A plays 300 ms of silence then the tone; B echoes after 500 ms. */
	echo_pair.codec = CODEC_OPUS;
	snprintf(echo_out, sizeof(echo_out), "%s/echo.wav", tmpdir);
	{
		/* echo_cancel asked for on both sides: neither a WAV file nor the echo
		 * service has an acoustic echo to cancel, so neither runs it. */
		struct audio_cfg a_in = acfg(tone_late, echo_out), b_echo = silent;

		a_in.echo_cancel = b_echo.echo_cancel = true;
		CHECK_INT(start_pair(&echo_pair, &a_in, &b_echo, NULL, echo_q, 500), 0);
	}
	/* Hold and resume in the middle, a stranger's packets: B's speaker must not notice. */
	hold_pair.codec = CODEC_PCMA;
	hold_pair.label = "hold/resume";
	hold_pair.suite = SUITE_AES_CM_128_HMAC_SHA1_80;
	snprintf(hold_pair.out, sizeof(hold_pair.out), "%s/hold.wav", tmpdir);
	out = acfg("", hold_pair.out);
	CHECK_INT(start_pair(&hold_pair, &tone_in, &out, NULL, NULL, 0), 0);
	/* RTCP every 200 ms, B records the call, A mutes at 1.2 s. */
	extra_pair.codec = CODEC_G722;
	extra_pair.label = "rtcp/record";
	extra_pair.suite = SUITE_AES_CM_128_HMAC_SHA1_80;
	snprintf(extra_pair.out, sizeof(extra_pair.out), "%s/extra.wav", tmpdir);
	snprintf(rec_path, sizeof(rec_path), "%s/record.wav", tmpdir);
	out = acfg("", extra_pair.out);
	rtcp_ms = 200;
	CHECK_INT(start_pair(&extra_pair, &tone_in, &out, NULL, NULL, 0), 0);
	CHECK_INT(media_session_record(extra_pair.b, rec_path), 0);
	/* PCMU, then G722 by re-INVITE at 0.8 s. */
	switch_pair.codec = CODEC_PCMU;
	switch_pair.label = "pcmu->g722";
	snprintf(switch_pair.out, sizeof(switch_pair.out), "%s/switch.wav", tmpdir);
	out = acfg("", switch_pair.out);
	CHECK_INT(start_pair(&switch_pair, &tone_in, &out, NULL, NULL, 0), 0);
	/* Opus, then PCMA by re-INVITE at 0.8 s, then Opus again at 1.2 s. */
	chain_pair.codec = CODEC_OPUS;
	chain_pair.label = "opus->pcma->opus";
	snprintf(chain_pair.out, sizeof(chain_pair.out), "%s/chain.wav", tmpdir);
	out = acfg("", chain_pair.out);
	CHECK_INT(start_pair(&chain_pair, &tone_in, &out, NULL, NULL, 0), 0);
	/* G.722 from A, then from A2 at another address (and SSRC) at 0.8 s. */
	move_pair.codec = CODEC_G722;
	move_pair.label = "moved peer";
	snprintf(move_pair.out, sizeof(move_pair.out), "%s/move.wav", tmpdir);
	out = acfg("", move_pair.out);
	CHECK_INT(start_pair(&move_pair, &tone_in, &out, NULL, NULL, 0), 0);
	/* SRTP re-keyed one way by re-INVITE at 1.2 s: A->B gets a new key, B->A keeps its. */
	rekey_pair.codec = CODEC_OPUS;
	rekey_pair.label = "rekey";
	rekey_pair.suite = SUITE_AEAD_AES_128_GCM;
	snprintf(rekey_pair.out, sizeof(rekey_pair.out), "%s/rekey.wav", tmpdir);
	out = acfg("", rekey_pair.out);
	CHECK_INT(start_pair(&rekey_pair, &tone_in, &out, NULL, NULL, 0), 0);
	/* A session whose peer never sends: RTP timeout after 1 s. */
	c.rtp_timeout = 1;
	CHECK_INT(media_session_alloc(&timeout_pair.a, &c, &silent, 7, timeout_q, "127.0.0.1"), 0);
	{
		struct media_params p = { .codec = CODEC_PCMA, .pt = 8, .te_pt = -1,
					  .remote_port = 9, .dir = MEDIA_SENDRECV };

		snprintf(p.remote_addr, sizeof(p.remote_addr), "127.0.0.1");
		CHECK_INT(media_session_start(timeout_pair.a, &p), 0);
	}

	msleep(400);
	CHECK_INT(media_session_dtmf(dtmf_pair.a, '1'), 0);
	CHECK_INT(media_session_dtmf(dtmf_pair.a, '#'), 0);
	CHECK_INT(media_session_dtmf(dtmf_pair.a, '9'), 0);
	CHECK_INT(media_session_dtmf(dtmf_pair.a, 'x'), -1);
	CHECK_INT(errno, EINVAL);
	msleep(400);
	reinvite(&hold_pair, MEDIA_SENDONLY);
	switch_pair.codec = CODEC_G722;
	reinvite(&switch_pair, MEDIA_SENDRECV);
	chain_pair.codec = CODEC_PCMA;
	reinvite(&chain_pair, MEDIA_SENDRECV);
	move_peer(&move_pair, &tone_in);
	msleep(400);
	chain_pair.codec = CODEC_OPUS;
	reinvite(&chain_pair, MEDIA_SENDRECV);
	send_strays(media_session_port(hold_pair.b), 10);
	reinvite(&hold_pair, MEDIA_SENDRECV);
	media_session_mute(extra_pair.a, true);
	{
		struct media_params pa = params(&rekey_pair, media_session_port(rekey_pair.b), true);
		struct media_params pb = params(&rekey_pair, media_session_port(rekey_pair.a), false);

		pa.tx_key[5] ^= 0x5a;
		pb.rx_key[5] ^= 0x5a;
		rekey_a_rx_before = rekey_pair.a->rx;   /* not written: the thread keeps it */
		CHECK_INT(media_session_start(rekey_pair.a, &pa), 0);
		CHECK_INT(media_session_start(rekey_pair.b, &pb), 0);
	}
	msleep(RUN_MS - 1200);
	rekey_a_rx_after = rekey_pair.a->rx;
	CHECK_INT(media_session_record(extra_pair.b, NULL), 0);

	for (unsigned i = 0; i < npairs; i++)
		stop_pair(&pairs[i]);
	stop_pair(&dtmf_pair);
	stop_pair(&echo_pair);
	stop_pair(&hold_pair);
	stop_pair(&extra_pair);
	stop_pair(&switch_pair);
	stop_pair(&rekey_pair);
	stop_pair(&chain_pair);
	stop_pair(&move_pair);
	media_session_get_stats(timeout_pair.a, &timeout_pair.sa);
	media_session_free(timeout_pair.a);
}

/* The tone in a speaker file: frequency, level and no gap once it started. */
static void check_tone_file(const struct pair *pr)
{
	const double in_rms = TONE_AMP / sqrt(2.0);
	int16_t *pcm;
	size_t n = read_wav(pr->out, &pcm), on;
	double hz = 0, db = -99, gap = 9999;

	CHECK(n >= 48 * (RUN_MS - 200));
	on = tone_onset(pcm, n, 48000, in_rms / 10);
	if (on + 48000 < n) {
		/* From 100 ms after the tone starts to 20 ms before the end. */
		size_t from = on + 4800, len = n - from - 960;

		hz = tone_freq(pcm + from, len, 48000);
		db = tone_db(tone_rms(pcm + from, len), in_rms);
		gap = tone_longest_gap_ms(pcm + on, n - on - 960, 48000, in_rms / 10);
	}
	printf("  %-12s onset %4.0f ms  %8.2f Hz  level %+5.2f dB  longest gap %3.0f ms  "
	       "sent %llu recv %llu lost %llu late %llu concealed %llu ms jb %u ms%s\n",
	       pr->label, on * 1000.0 / 48000, hz, db, gap,
	       (unsigned long long)pr->sa.pkts_sent, (unsigned long long)pr->sb.pkts_recv,
	       (unsigned long long)pr->sb.pkts_lost, (unsigned long long)pr->sb.pkts_late,
	       (unsigned long long)pr->sb.concealed_ms, pr->sb.jb_delay_ms,
	       pr->sb.srtp ? "  srtp" : "");
	CHECK(on * 1000.0 / 48000 < (sanitized ? 1000 : 400));
	CHECK(fabs(hz - 1000) < HZ_TOLERANCE);
	CHECK(fabs(db) < 3);
	CHECK(gap <= MAX_GAP_MS);
	free(pcm);
}

static void test_tone_crosses_every_codec_plain_and_srtp(void)
{
	for (unsigned i = 0; i < npairs; i++) {
		struct pair *pr = &pairs[i];

		if (pr->wrong_key)
			continue;
		check_tone_file(pr);
		CHECK(pr->sa.pkts_sent >= (RUN_MS - 200) / 20);
		CHECK(pr->sb.pkts_recv >= (RUN_MS - 300) / 20);
		CHECK_INT(pr->sb.srtp_dropped, 0);
		CHECK_INT(pr->sb.srtp, pr->suite != SUITE_NONE);
		CHECK_INT(pr->sb.codec, pr->codec);
		CHECK(pr->sa.mic_level > 0.1f && pr->sb.spk_level > 0.1f);
	}
}

static void test_hold_and_resume_keep_the_tone_and_strangers_are_dropped(void)
{
	check_tone_file(&hold_pair);
	CHECK_INT(hold_pair.sb.wrong_source_dropped, strays_sent);
	CHECK_INT(strays_sent, 10);
	CHECK_INT(hold_pair.sb.srtp_dropped, 0);
	CHECK_INT(hold_pair.sb.pkts_lost, 0);
}

static void test_rtcp_measures_round_trip_over_srtcp(void)
{
	printf("  rtt A %.2f ms, B %.2f ms; loss reported A %.1f %%, B %.1f %%\n",
	       extra_pair.sa.rtt_ms, extra_pair.sb.rtt_ms, extra_pair.sa.loss_pct,
	       extra_pair.sb.loss_pct);
	CHECK(extra_pair.sa.rtt_ms > 0 && extra_pair.sa.rtt_ms < (sanitized ? 500 : 50));
	CHECK(extra_pair.sb.rtt_ms > 0 && extra_pair.sb.rtt_ms < (sanitized ? 500 : 50));
	CHECK(extra_pair.sa.loss_pct == 0 && extra_pair.sb.loss_pct == 0);
	CHECK_INT(extra_pair.sa.srtp_dropped + extra_pair.sb.srtp_dropped, 0);
}

/* RMS of one channel of a stereo WAV between two times. */
static double channel_rms(const int16_t *st, size_t frames, int ch, double from_s, double to_s)
{
	size_t a = (size_t)(from_s * 48000), b = (size_t)(to_s * 48000);
	double sum = 0;

	if (b > frames)
		b = frames;
	for (size_t i = a; i < b; i++)
		sum += (double)st[2 * i + ch] * st[2 * i + ch];
	return b > a ? sqrt(sum / (double)(b - a)) : 0;
}

static void test_record_holds_both_directions_and_mute_silences_us(void)
{
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(rec_path, SFM_READ, &info);
	int16_t *st = NULL;
	size_t n = 0;

	CHECK(f != NULL);
	if (f) {
		CHECK_INT(info.channels, 2);
		CHECK_INT(info.samplerate, 48000);
		st = calloc((size_t)info.frames * 2, sizeof(*st));
		if (st)
			n = (size_t)sf_readf_short(f, st, info.frames);
		sf_close(f);
	}
	/* Right: what B played (A's tone until A muted at 1.2 s, the recording stopped at
	 * 2 s: its last 400 ms are after the mute); left: B's silent mic. */
	double end = n / 48000.0;

	printf("  recording %.2f s: right %.0f then %.0f after mute, left %.0f\n", end,
	       channel_rms(st, n, 1, 0.3, 0.9), channel_rms(st, n, 1, end - 0.45, end - 0.05),
	       channel_rms(st, n, 0, 0, end));
	CHECK(n >= 48 * (RUN_MS - 100));
	CHECK(fabs(tone_db(channel_rms(st, n, 1, 0.3, 0.9), TONE_AMP / sqrt(2.0))) < 3);
	CHECK(channel_rms(st, n, 1, end - 0.45, end - 0.05) < 50);
	CHECK(channel_rms(st, n, 0, 0, end) < 1);
	/* Muted, A still sends (silence), and its meter fell. */
	CHECK(extra_pair.sa.pkts_sent >= (RUN_MS - 200) / 20);
	CHECK(extra_pair.sa.mic_level < 0.01f);
	free(st);
}

/* Across a re-INVITE: from 100 ms after the tone starts to the end, the tone goes on at its
 * frequency and level with no gap over 20 ms and no click (a corner at most twice as
 * sharp as the tone's own, where a jump in phase makes one several times sharper). */
static void check_join(const struct pair *pr)
{
	const double in_rms = TONE_AMP / sqrt(2.0);
	int16_t *pcm;
	size_t n = read_wav(pr->out, &pcm), on = n;
	double hz = 0, db = -99, gap = 9999, click = 99;

	CHECK(n >= 48 * (RUN_MS - 200));
	if (n)
		on = tone_onset(pcm, n, 48000, in_rms / 10);
	if (on + 48000 < n) {
		size_t from = on + 4800, len = n - from - 960;

		hz = tone_freq(pcm + from, len, 48000);
		db = tone_db(tone_rms(pcm + from, len), in_rms);
		gap = tone_longest_gap_ms(pcm + from, len, 48000, in_rms / 10);
		click = tone_click_ratio(pcm + from, len, 48000);
	}
	printf("  %-16s %8.2f Hz  level %+5.2f dB  longest gap %3.0f ms  sharpest corner "
	       "%.2fx the usual  lost %llu concealed %llu ms\n", pr->label, hz, db, gap, click,
	       (unsigned long long)pr->sb.pkts_lost, (unsigned long long)pr->sb.concealed_ms);
	CHECK(fabs(hz - 1000) < HZ_TOLERANCE);
	CHECK(fabs(db) < 3);
	CHECK(gap <= (sanitized ? MAX_GAP_MS : 20));
	/* Under sanitizers the threads run late, and an underrun's concealment makes corners
	 * of its own: there the click check holds only where nothing was concealed. */
	if (!sanitized || pr->sb.concealed_ms == 0)
		CHECK(click < 2.0);
	free(pcm);
}

static void test_codec_change_by_reinvite_has_no_gap_and_no_click(void)
{
	const double in_rms = TONE_AMP / sqrt(2.0);
	int16_t *pcm;
	size_t n = read_wav(switch_pair.out, &pcm);
	size_t from = n > 48 * 600 ? n - 48 * 600 : 0, len = 48 * 500;
	double hz = n > len ? tone_freq(pcm + from, len, 48000) : 0;
	double db = n > len ? tone_db(tone_rms(pcm + from, len), in_rms) : -99;

	printf("  pcmu->g722: after the switch %.2f Hz, %+.2f dB\n", hz, db);
	CHECK(fabs(hz - 1000) < HZ_TOLERANCE);
	CHECK(fabs(db) < 3);
	CHECK_INT(switch_pair.sb.codec, CODEC_G722);
	check_join(&switch_pair);
	check_join(&chain_pair);
	CHECK_INT(chain_pair.sb.codec, CODEC_OPUS);
	free(pcm);
}

static void test_moving_the_peer_by_reinvite_has_no_gap_and_no_click(void)
{
	check_join(&move_pair);
	CHECK(move_pair.sa.pkts_sent > 0);      /* A2's: A sent the first part */
	CHECK(move_pair.sb.pkts_recv >= (RUN_MS - 300) / 20);
}

static void test_one_way_rekey_keeps_the_other_context_and_the_tone(void)
{
	printf("  rekey: B dropped %llu packets at the switch, A dropped %llu\n",
	       (unsigned long long)rekey_pair.sb.srtp_dropped,
	       (unsigned long long)rekey_pair.sa.srtp_dropped);
	check_tone_file(&rekey_pair);
	CHECK(rekey_pair.sb.srtp_dropped <= 3);     /* only those in flight at the switch */
	CHECK_INT(rekey_pair.sa.srtp_dropped, 0);
	CHECK(rekey_a_rx_before != NULL && rekey_a_rx_before == rekey_a_rx_after);
}

static void test_wrong_srtp_key_plays_nothing_and_is_reported(void)
{
	struct pair *pr = &pairs[npairs - 1];
	struct evq_event ev;
	int16_t *pcm;
	size_t n = read_wav(pr->out, &pcm);
	bool reported = false;

	CHECK(pr->wrong_key);
	CHECK(n > 0 && tone_rms(pcm, n) < 1.0);
	CHECK(pr->sb.srtp_dropped >= (RUN_MS - 300) / 20);
	CHECK_INT(pr->sb.pkts_recv, 0);
	while (evq_take(wrong_q, &ev) == 1)
		if (ev.kind == EVQ_MEDIA_SRTP_ERROR && ev.call_id == 2)
			reported = true;
	CHECK(reported);
	free(pcm);
}

static void test_dtmf_arrives_as_events_once_each(void)
{
	struct evq_event ev;
	char got[16] = "";
	size_t n = 0;

	while (evq_take(dtmf_q, &ev) == 1)
		if (ev.kind == EVQ_MEDIA_DTMF && n + 1 < sizeof(got)) {
			CHECK_INT(ev.call_id, 2);
			got[n++] = (char)ev.a;
		}
	CHECK_STR(got, "1#9");
	CHECK_INT(dtmf_pair.sb.pkts_lost, 0);
}

static void test_echo_service_returns_the_tone_half_a_second_later(void)
{
	int16_t *pcm;
	size_t n = read_wav(echo_out, &pcm), on;
	double delay_ms, hz = 0;

	CHECK(n > 0);
	on = tone_onset(pcm, n, 48000, TONE_AMP / sqrt(2.0) / 10);
	/* The tone starts 300 ms into A's microphone. Its frequency from 100 ms after it came
	 * back: under valgrind it can come back so late that less than that is left. */
	delay_ms = on * 1000.0 / 48000 - 300;
	if (on + 4800 + 960 <= n)
		hz = tone_freq(pcm + on + 4800, n - on - 4800, 48000);
	printf("  echo: tone back after %.0f ms, %.2f Hz\n", delay_ms, hz);
	CHECK(delay_ms >= 500 && delay_ms <= (sanitized ? 1000 : 700));
	CHECK(fabs(hz - 1000) < HZ_TOLERANCE);
	free(pcm);
}

static void test_echo_cancel_runs_only_on_a_sound_card(void)
{
	CHECK(!echo_pair.sa.aec);      /* the WAV backend */
	CHECK(!echo_pair.sb.aec);      /* the echo service */
}

static void test_silent_peer_times_out_once(void)
{
	struct evq_event ev;
	unsigned timeouts = 0;

	while (evq_take(timeout_q, &ev) == 1)
		if (ev.kind == EVQ_MEDIA_RTP_TIMEOUT && ev.call_id == 7)
			timeouts++;
	CHECK_INT(timeouts, 1);
	CHECK_INT(timeout_pair.sa.pkts_recv, 0);
	CHECK(timeout_pair.sa.pkts_sent > 50);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ttyphone-loopback-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(tone16, sizeof(tone16), "%s/tone16k.wav", tmpdir);
	snprintf(tone_late, sizeof(tone_late), "%s/tone-late.wav", tmpdir);
	/* 16 kHz input: the file backend resamples it to 48 kHz. */
	CHECK_INT(write_tone(tone16, 16000, 0, 1000), 0);
	CHECK_INT(write_tone(tone_late, 48000, 300, RUN_MS + 1000), 0);
	sanitized = getenv("TTY_SANITIZED") && strcmp(getenv("TTY_SANITIZED"), "1") == 0;
	run_all();
	RUN(test_tone_crosses_every_codec_plain_and_srtp);
	RUN(test_hold_and_resume_keep_the_tone_and_strangers_are_dropped);
	RUN(test_rtcp_measures_round_trip_over_srtcp);
	RUN(test_record_holds_both_directions_and_mute_silences_us);
	RUN(test_codec_change_by_reinvite_has_no_gap_and_no_click);
	RUN(test_moving_the_peer_by_reinvite_has_no_gap_and_no_click);
	RUN(test_one_way_rekey_keeps_the_other_context_and_the_tone);
	RUN(test_wrong_srtp_key_plays_nothing_and_is_reported);
	RUN(test_dtmf_arrives_as_events_once_each);
	RUN(test_echo_service_returns_the_tone_half_a_second_later);
	RUN(test_echo_cancel_runs_only_on_a_sound_card);
	RUN(test_silent_peer_times_out_once);
	evq_free(dtmf_q);
	evq_free(echo_q);
	evq_free(timeout_q);
	evq_free(wrong_q);
	if (!getenv("TTY_KEEP_FILES")) {
		char cmd[128];

		for (unsigned i = 0; i < npairs; i++)
			unlink(pairs[i].out);
		unlink(echo_out);
		unlink(hold_pair.out);
		unlink(extra_pair.out);
		unlink(switch_pair.out);
		unlink(chain_pair.out);
		unlink(move_pair.out);
		unlink(rec_path);
		unlink(rekey_pair.out);
		unlink(tone16);
		unlink(tone_late);
		if (rmdir(tmpdir) < 0) {
			snprintf(cmd, sizeof(cmd), "%s", tmpdir);
			fprintf(stderr, "cannot remove %s\n", cmd);
		}
	}
	return unit_done();
}
