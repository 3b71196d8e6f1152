/* test_media_codecs.c: every codec carries a 1 kHz tone at the right frequency and about the
 * right level, its frame sizes and clocks are as RFC 3551/7587 say, and its concealment
 * gives the length asked for. The splice that joins one decoder's audio to another's
 * (codec change) leaves no click, whatever the phase. */
#include "unit.h"
#include "test_media_tone.h"
#include "media/codec.h"
#include "media/media.h"
#include "media/splice.h"
#include "media/capture_skip.h"

#include <stdlib.h>
#include <string.h>

#define FRAMES 50

static void test_codec_table_matches_the_rfcs(void)
{
	CHECK_INT(codec_get(CODEC_OPUS)->rtp_clock, 48000);
	CHECK_INT(codec_get(CODEC_OPUS)->sdp_channels, 2);
	CHECK_INT(codec_get(CODEC_OPUS)->frame_ts, 960);
	CHECK_INT(codec_get(CODEC_G722)->rtp_clock, 8000);        /* the RFC 3551 quirk */
	CHECK_INT(codec_get(CODEC_G722)->audio_rate, 16000);
	CHECK_INT(codec_get(CODEC_G722)->frame_samples, 320);
	CHECK_INT(codec_get(CODEC_G722)->frame_ts, 160);
	CHECK_INT(codec_get(CODEC_PCMA)->pt, 8);
	CHECK_INT(codec_get(CODEC_PCMU)->pt, 0);
	CHECK_INT(codec_get(CODEC_G722)->pt, 9);
	CHECK_STR(codec_rtp_name(CODEC_G722), "G722");
	CHECK_INT(codec_sample_rate(CODEC_PCMU), 8000);
	CHECK(codec_get(CODEC_COUNT) == NULL);
}

/* spandsp is opened on first use (src/media/lib_load.c): until a codec's load() ran, its
 * state can be made and reset (sessions make every codec's state up front) but it codes
 * nothing, and nothing of spandsp is mapped. After load(), the same state works. */
static void test_g711_g722_code_nothing_until_loaded(void)
{
	static const enum codec_id ids[] = { CODEC_G722, CODEC_PCMA, CODEC_PCMU };
	enum { N = sizeof(ids) / sizeof(ids[0]) };
	int16_t pcm[CODEC_MAX_DECODE] = { 0 };
	uint8_t pkt[CODEC_MAX_PAYLOAD] = { 0 };
	struct codec_opts o = { 0 };
	void *st[N] = { NULL };
	char why[256];

	CHECK(!mapped("libspandsp"));
	for (size_t i = 0; i < N; i++) {
		const struct codec *c = codec_get(ids[i]);

		CHECK(c->load != NULL);
		CHECK_INT(c->alloc(&st[i], &o), 0);
		c->reset(st[i]);
		CHECK_INT(c->decode(st[i], pkt, 160, pcm, CODEC_MAX_DECODE), -1);
		CHECK_INT(c->plc(st[i], pcm, 160), ids[i] == CODEC_G722 ? 160 : -1);
	}
	CHECK_INT(codec_get(CODEC_G722)->encode(st[0], pcm, pkt, sizeof(pkt)), -1);
	CHECK(!mapped("libspandsp"));
	CHECK_INT(codec_get(CODEC_PCMA)->load(why, sizeof(why)), 0);
	CHECK(mapped("libspandsp"));
	for (size_t i = 0; i < N; i++) {
		const struct codec *c = codec_get(ids[i]);

		CHECK_INT(c->load(why, sizeof(why)), 0);
		CHECK_INT(c->encode(st[i], pcm, pkt, sizeof(pkt)), 160);
		CHECK_INT(c->decode(st[i], pkt, 160, pcm, CODEC_MAX_DECODE), c->frame_samples);
		c->free(st[i]);
	}
	CHECK(codec_get(CODEC_OPUS)->load == NULL);
}

static void check_tone_through(enum codec_id id)
{
	const struct codec *c = codec_get(id);
	struct codec_opts o = { .bitrate = 32000 };
	static int16_t in[FRAMES * CODEC_MAX_FRAME], out[FRAMES * CODEC_MAX_FRAME];
	size_t fs = c->frame_samples, got = 0;
	void *st;

	CHECK_INT(c->alloc(&st, &o), 0);
	tone_make(in, FRAMES * fs, c->audio_rate, 1000, 8000, 0);
	for (int f = 0; f < FRAMES; f++) {
		uint8_t pkt[CODEC_MAX_PAYLOAD];
		int n = c->encode(st, in + f * fs, pkt, sizeof(pkt));
		int m;

		CHECK(n > 0);
		if (id == CODEC_G722 || id == CODEC_PCMA || id == CODEC_PCMU)
			CHECK_INT(n, 160);
		m = c->decode(st, pkt, (size_t)n, out + got, CODEC_MAX_DECODE);
		CHECK_INT(m, fs);
		if (m > 0)
			got += (size_t)m;
	}
	/* Skip the first 200 ms (codec start-up and delay). */
	{
		size_t skip = c->audio_rate / 5;
		double hz = tone_freq(out + skip, got - skip, c->audio_rate);
		double db = tone_db(tone_rms(out + skip, got - skip), tone_rms(in, FRAMES * fs));

		printf("  %-5s 1 kHz -> %.2f Hz, level %+.2f dB\n", c->rtp_name, hz, db);
		CHECK(fabs(hz - 1000) < 10);
		CHECK(fabs(db) < 3);
	}
	c->free(st);
}

static void test_each_codec_carries_a_1khz_tone(void)
{
	for (int id = 0; id < CODEC_COUNT; id++)
		check_tone_through((enum codec_id)id);
}

static void test_each_codec_conceals_the_length_asked(void)
{
	for (int id = 0; id < CODEC_COUNT; id++) {
		const struct codec *c = codec_get((enum codec_id)id);
		int16_t pcm[CODEC_MAX_FRAME], out[CODEC_MAX_DECODE];
		uint8_t pkt[CODEC_MAX_PAYLOAD];
		void *st;
		int n;

		CHECK_INT(c->alloc(&st, NULL), 0);
		tone_make(pcm, c->frame_samples, c->audio_rate, 1000, 8000, 0);
		for (int f = 0; f < 5; f++) {
			n = c->encode(st, pcm, pkt, sizeof(pkt));
			CHECK(c->decode(st, pkt, (size_t)n, out, CODEC_MAX_DECODE) > 0);
		}
		/* Right after good audio, concealment is not silence; long after, it fades. */
		CHECK_INT(c->plc(st, out, c->frame_samples), c->frame_samples);
		CHECK(tone_rms(out, c->frame_samples) > 1000);
		for (int f = 0; f < 20; f++)
			CHECK_INT(c->plc(st, out, c->frame_samples), c->frame_samples);
		CHECK(tone_rms(out, c->frame_samples) < 1000);
		c->reset(st);
		c->free(st);
	}
}

static void test_opus_fec_rebuilds_a_lost_frame_from_the_next(void)
{
	const struct codec *c = codec_get(CODEC_OPUS);
	struct codec_opts o = { .bitrate = 32000, .loss_pct = 20, .complexity = 5 };
	int16_t pcm[960], out[960];
	uint8_t pkt[3][CODEC_MAX_PAYLOAD];
	int len[3];
	void *st;

	CHECK_INT(c->alloc(&st, &o), 0);
	for (int f = 0; f < 30; f++) {
		tone_make(pcm, 960, 48000, 1019, 8000, (size_t)f * 960);
		len[f % 3] = c->encode(st, pcm, pkt[f % 3], sizeof(pkt[0]));
		if (f < 28)
			c->decode(st, pkt[f % 3], (size_t)len[f % 3], out, 960);
	}
	/* Frame 28 lost: rebuild it from frame 29. */
	CHECK_INT(c->decode_fec(st, pkt[29 % 3], (size_t)len[29 % 3], out, 960), 960);
	CHECK(tone_rms(out, 960) > 2000);
	CHECK(fabs(tone_freq(out, 960, 48000) - 1019) < 30);
	CHECK(codec_get(CODEC_PCMA)->decode_fec == NULL);
	c->free(st);
}

/* Opus encodes its redundancy only while loss is expected (set_loss, from what the peer
 * reports): the tone changes from 1019 to 600 Hz at frame 28, which is lost; rebuilt from
 * frame 29's redundancy it is 600 Hz, while concealment (no redundancy) goes on at 1019. */
static double opus_rebuilt_freq(unsigned loss)
{
	const struct codec *c = codec_get(CODEC_OPUS);
	struct codec_opts o = { .bitrate = 32000, .complexity = 5 };
	int16_t pcm[960], out[960];
	uint8_t pkt[2][CODEC_MAX_PAYLOAD];
	int len[2] = { 0, 0 };
	double hz;
	void *st;

	if (c->alloc(&st, &o) < 0)
		return -1;
	c->set_loss(st, loss);
	for (int f = 0; f < 30; f++) {
		tone_make(pcm, 960, 48000, f < 28 ? 1019 : 600, 8000, (size_t)f * 960);
		len[f % 2] = c->encode(st, pcm, pkt[f % 2], sizeof(pkt[0]));
		if (f < 28)
			c->decode(st, pkt[f % 2], (size_t)len[f % 2], out, 960);
	}
	hz = c->decode_fec(st, pkt[29 % 2], (size_t)len[29 % 2], out, 960) == 960
	     ? tone_freq(out + 480, 480, 48000) : 0;
	c->free(st);
	return hz;
}

static void test_opus_redundancy_follows_the_reported_loss(void)
{
	double none = opus_rebuilt_freq(0), some = opus_rebuilt_freq(20);

	printf("  opus: lost frame rebuilt at %.0f Hz with no loss expected, %.0f Hz with 20 %%\n",
	       none, some);
	CHECK(codec_get(CODEC_OPUS)->set_loss != NULL);
	CHECK(fabs(some - 600) < 60);
	CHECK(fabs(none - 600) > 200);
}

static void test_decoders_refuse_empty_and_oversized_input(void)
{
	for (int id = 0; id < CODEC_COUNT; id++) {
		const struct codec *c = codec_get((enum codec_id)id);
		uint8_t junk[4000];
		int16_t out[CODEC_MAX_DECODE];
		void *st;

		memset(junk, 0x55, sizeof(junk));
		CHECK_INT(c->alloc(&st, NULL), 0);
		CHECK_INT(c->decode(st, junk, 0, out, CODEC_MAX_DECODE), -1);
		/* More than fits in the output (G.711, G.722) or than Opus allows. */
		CHECK_INT(c->decode(st, junk, sizeof(junk), out, 1000), -1);
		c->free(st);
	}
}

/* The old audio: a tone that ends at a join; the new audio: the same tone starting in
 * another phase, after 6 ms of fade-in (a fresh Opus encoder's). Joined: the tone at full
 * level throughout, no corner sharper than the tone's own, for every phase. */
static void test_splice_joins_a_tone_in_any_phase_without_a_click(void)
{
	enum { HIST = 960, NEW = 960, ROOM = NEW + SPLICE_SHIFT };
	int16_t hist[HIST], old[SPLICE_OLD], buf[ROOM], all[HIST + ROOM];
	double worst_click = 0, worst_db = 0;

	for (size_t phase = 0; phase < 48; phase += 5) {
		size_t n = NEW;

		tone_make(hist, HIST, 48000, 1000, 8000, 0);
		tone_make(buf, NEW, 48000, 1000, 8000, phase);
		for (size_t i = 0; i < 288; i++)
			buf[i] = (int16_t)(buf[i] * (double)i / 288.0);
		splice_continue(hist, HIST, old, SPLICE_OLD);
		splice_join(old, SPLICE_OLD, buf, &n, ROOM);
		CHECK(n + SPLICE_SHIFT >= NEW && n <= NEW + SPLICE_SHIFT);
		memcpy(all, hist, sizeof(hist));
		memcpy(all + HIST, buf, n * sizeof(*buf));
		{
			double click = tone_click_ratio(all, HIST + n, 48000);
			double db = tone_db(tone_rms(all + HIST - 240, 960), 8000 / sqrt(2.0));

			if (click > worst_click)
				worst_click = click;
			if (fabs(db) > fabs(worst_db))
				worst_db = db;
			CHECK(tone_longest_gap_ms(all, HIST + n, 48000, 8000 / sqrt(2.0) / 10) == 0);
		}
	}
	printf("  splice: sharpest corner %.2fx the tone's, level across the join %+.2f dB\n",
	       worst_click, worst_db);
	CHECK(worst_click < 1.5);
	CHECK(fabs(worst_db) < 0.5);
}

/* After silence there is nothing to join to: the new audio plays whole, from its start. */
static void test_splice_after_silence_leaves_the_new_audio_alone(void)
{
	int16_t old[SPLICE_OLD] = { 0 }, buf[960 + SPLICE_SHIFT], want[960];
	size_t n = 960;

	tone_make(buf, 960, 48000, 1000, 8000, 0);
	memcpy(want, buf, sizeof(want));
	CHECK_INT(splice_join(old, SPLICE_OLD, buf, &n, sizeof(buf) / sizeof(buf[0])), 0);
	CHECK_INT(n, 960);
	CHECK(memcmp(buf, want, sizeof(want)) == 0);
}

/* A device that has a 1 kHz tone (in a 1019 Hz variant, so 20 ms are not whole cycles)
 * queued: capture_skip leaves 20 ms out now and then, and what comes out is the tone,
 * without a click, frame after frame. */
static size_t fake_pos;
static int fake_read(void *ctx, int16_t *pcm, size_t n)
{
	(void)ctx;
	tone_make(pcm, n, 48000, 1019, 8000, fake_pos);
	fake_pos += n;
	return 0;
}

static void test_capture_skip_leaves_20ms_out_without_a_click(void)
{
	static struct capture_skip cs;
	enum { NF = 60 };
	static int16_t out[NF * AUDIO_FRAME];
	unsigned skips = 0;

	capture_skip_reset(&cs);
	fake_pos = 0;
	for (unsigned f = 0; f < NF; f++) {
		bool skip = f >= 5 && f % 7 == 0;

		CHECK_INT(capture_skip_read(&cs, fake_read, NULL), 0);
		CHECK_INT(capture_skip_take(&cs, skip, fake_read, NULL, out + f * AUDIO_FRAME), 0);
		CHECK(cs.n <= SPLICE_SHIFT);
		skips += skip;
	}
	{
		double click = tone_click_ratio(out + 2 * AUDIO_FRAME, (NF - 2) * AUDIO_FRAME,
						48000);
		double db = tone_db(tone_rms(out + 2 * AUDIO_FRAME, (NF - 2) * AUDIO_FRAME),
				    8000 / sqrt(2.0));
		/* Every skip moved the stream on by a frame, give or take the splice's shift. */
		long ahead = (long)fake_pos - (long)(NF + skips) * AUDIO_FRAME;

		printf("  capture skip: %u skips, sharpest corner %.2fx, level %+.2f dB, read "
		       "%ld samples beyond the frames\n", skips, click, db, ahead);
		CHECK(skips >= 7);
		CHECK(click < 1.5);
		CHECK(fabs(db) < 0.5);
		CHECK(tone_longest_gap_ms(out + 2 * AUDIO_FRAME, (NF - 2) * AUDIO_FRAME, 48000,
					  8000 / sqrt(2.0) / 10) == 0);
		CHECK(labs(ahead) <= SPLICE_SHIFT * 2);
	}
}

int main(void)
{
	RUN(test_codec_table_matches_the_rfcs);
	RUN(test_g711_g722_code_nothing_until_loaded);   /* first: before anything loads */
	RUN(test_each_codec_carries_a_1khz_tone);
	RUN(test_each_codec_conceals_the_length_asked);
	RUN(test_opus_fec_rebuilds_a_lost_frame_from_the_next);
	RUN(test_opus_redundancy_follows_the_reported_loss);
	RUN(test_decoders_refuse_empty_and_oversized_input);
	RUN(test_splice_joins_a_tone_in_any_phase_without_a_click);
	RUN(test_splice_after_silence_leaves_the_new_audio_alone);
	RUN(test_capture_skip_leaves_20ms_out_without_a_click);
	return unit_done();
}
