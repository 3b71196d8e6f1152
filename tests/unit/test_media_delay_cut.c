/* test_media_delay_cut.c: when the jitter buffer leaves a packet out to cut delay (a
 * backlog after the peer or our own thread stalled), the decoder must still see it.
 * Opus and G.722 predict from their own past: a decoder that never got a packet the
 * encoder sent drifts from the encoder's state, and on a steady tone Opus then overshot to
 * full scale for a quarter of a second and beat for half a second more (seen in
 * test_webrtc_calls on a busy machine: -5.5 dBFS heard for a -9 dBFS tone).
 *
 * The test is the peer: a socket that sends a codec's tone as RTP to a real session, the
 * first 240 ms of it in one burst (a stall's backlog), then one packet every 20 ms. The
 * session's jitter buffer, far above its target, leaves loud packets out until the delay
 * is down; its speaker (a WAV file) must hold the tone at its level all along: no sample
 * beyond the tone's peak by more than the join's ripple, no 20 ms louder than the tone. */
#include "unit.h"
#include "test_media_tone.h"
#include "media/media.h"
#include "media/codec.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sndfile.h>

#define TONE_HZ 1019.0         /* not a divisor of 48 kHz: its phase moves every frame */
#define TONE_AMP 8000.0
#define BURST 12               /* packets sent at once: 240 ms of backlog */
#define PACKETS 90             /* in all: 1.8 s */

static char tmpdir[64];
/* Under valgrind (20-50x slower) the media thread falls behind real time and writes less
 * of the call to its speaker file than the wall clock ran (seen: 915 ms of 1.6 s), as in
 * test_media_ring: there only the length heard is a lesser bound; the cuts and the level
 * are checked the same. */
static bool slow;
#define MIN_HEARD_MS (slow ? 400 : 1000)

static void sleep_until(const struct timespec *t)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR)
		;
}

static size_t read_wav(const char *path, int16_t **pcm)
{
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	sf_count_t got = 0;

	*pcm = NULL;
	if (!f)
		return 0;
	if (info.samplerate == 48000 && info.channels == 1 && info.frames > 0 &&
	    (*pcm = calloc((size_t)info.frames, sizeof(**pcm))))
		got = sf_readf_short(f, *pcm, info.frames);
	sf_close(f);
	return got > 0 ? (size_t)got : 0;
}

/* The tone as RTP packets of codec c, to port on 127.0.0.1: a burst, then paced. */
static void send_tone(const struct codec *c, uint8_t pt, uint16_t port)
{
	struct codec_opts o = { .bitrate = 32000, .complexity = 5 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int16_t pcm[CODEC_MAX_FRAME];
	uint8_t pkt[12 + CODEC_MAX_PAYLOAD];
	struct timespec t;
	void *st = NULL;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	CHECK(fd >= 0);
	CHECK_INT(c->alloc(&st, &o), 0);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (unsigned i = 0; fd >= 0 && st && i < PACKETS; i++) {
		uint32_t ts = i * c->frame_ts, ssrc = 0x5eed;
		int n;

		tone_make(pcm, c->frame_samples, c->audio_rate, TONE_HZ, TONE_AMP,
			  (size_t)i * c->frame_samples);
		n = c->encode(st, pcm, pkt + 12, CODEC_MAX_PAYLOAD);
		CHECK(n > 0);
		if (n <= 0)
			break;
		pkt[0] = 0x80;
		pkt[1] = (uint8_t)(pt | (i == 0 ? 0x80 : 0));
		pkt[2] = (uint8_t)(i >> 8);
		pkt[3] = (uint8_t)i;
		for (int k = 0; k < 4; k++) {
			pkt[4 + k] = (uint8_t)(ts >> (24 - 8 * k));
			pkt[8 + k] = (uint8_t)(ssrc >> (24 - 8 * k));
		}
		CHECK(sendto(fd, pkt, 12 + (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) ==
		      (ssize_t)(12 + n));
		if (i + 1 >= BURST) {          /* then one every 20 ms */
			t.tv_nsec += CODEC_FRAME_MS * 1000000L;
			if (t.tv_nsec >= 1000000000L) {
				t.tv_sec++;
				t.tv_nsec -= 1000000000L;
			}
			sleep_until(&t);
		}
	}
	if (st)
		c->free(st);
	if (fd >= 0)
		close(fd);
}

static void check_cut_keeps_the_tone(enum codec_id id, uint8_t pt, const char *label)
{
	const struct codec *c = codec_get(id);
	struct media_cfg mc = { .codecs = { id }, .ncodecs = 1, .rtp_port_min = 41000,
				.rtp_port_max = 45000, .jitter_min_ms = 40, .jitter_max_ms = 200,
				.opus_bitrate = 32000, .opus_complexity = 5 };
	struct audio_cfg ac = { .backend = AUDIO_FILE };
	struct media_params p = { .codec = id, .pt = pt, .te_pt = -1, .dir = MEDIA_SENDRECV,
				  .remote_port = 9, .ptime = 20 };
	struct media_session *ms = NULL;
	struct media_stats s;
	int16_t *out = NULL;
	double peak = 0, loudest = 0;
	size_t n, on;

	CHECK(!c->load || c->load(NULL, 0) == 0);
	snprintf(ac.output, sizeof(ac.output), "%s/%s.wav", tmpdir, label);
	snprintf(p.remote_addr, sizeof(p.remote_addr), "127.0.0.1");
	CHECK_INT(media_session_alloc(&ms, &mc, &ac, 1, NULL, "127.0.0.1"), 0);
	if (!ms)
		return;
	CHECK_INT(media_session_start(ms, &p), 0);
	send_tone(c, pt, media_session_port(ms));
	media_session_get_stats(ms, &s);
	media_session_free(ms);

	n = read_wav(ac.output, &out);
	on = out ? tone_onset(out, n, 48000, TONE_AMP / 10) : n;
	/* From 40 ms after the onset (a decoder's start) to the end. */
	for (size_t i = on + 1920; out && i + 960 <= n; i += 960) {
		double r = tone_rms(out + i, 960);

		for (size_t k = i; k < i + 960; k++)
			peak = fabs((double)out[k]) > peak ? fabs((double)out[k]) : peak;
		loudest = r > loudest ? r : loudest;
	}
	printf("  %-5s drift drops %llu  peak %.2f of the tone's  loudest 20 ms %+.2f dB  "
	       "heard %zu ms\n", label, (unsigned long long)s.jb_drift_drops, peak / TONE_AMP,
	       tone_db(loudest, TONE_AMP / sqrt(2.0)), out ? (n - on) / 48 : 0);
	CHECK(s.jb_drift_drops >= 2);          /* the cuts this test is about happened */
	CHECK(out && n - on >= 48 * MIN_HEARD_MS);   /* and the tone played on */
	CHECK(peak < 1.08 * TONE_AMP);     /* left out undecoded: Opus 4.1, G.722 1.10 */
	CHECK(tone_db(loudest, TONE_AMP / sqrt(2.0)) < 1.5);
	free(out);
}

static void test_opus_stays_in_step_across_cuts(void)
{
	check_cut_keeps_the_tone(CODEC_OPUS, 111, "opus");
}

static void test_g722_stays_in_step_across_cuts(void)
{
	check_cut_keeps_the_tone(CODEC_G722, 9, "g722");
}

int main(void)
{
	const char *pre = getenv("LD_PRELOAD");

	slow = pre && strstr(pre, "vgpreload");      /* valgrind puts its preload library in */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tty-delaycut-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_opus_stays_in_step_across_cuts);
	RUN(test_g722_stays_in_step_across_cuts);
	if (unit_failures == 0) {
		char path[128];

		snprintf(path, sizeof(path), "%s/opus.wav", tmpdir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/g722.wav", tmpdir);
		unlink(path);
		rmdir(tmpdir);
	}
	return unit_done();
}
