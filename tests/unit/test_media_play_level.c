/* test_media_play_level.c: keeping the playback queue near its target, against a simulated
 * device that plays 20 ms between two writes: a new stream is filled to the target, an
 * excess goes in quiet frames (and, when far over, in loud ones joined without a click),
 * a stall raises the target once and a calm stretch lowers it again. */
#include "unit.h"
#include "media/play_level.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct play_level PL;

struct device {
	int64_t queued_us;             /* what the device holds */
	unsigned runs_dry;             /* ticks on which it ran out */
	long out_samples;              /* everything written */
	int16_t tail;                  /* the last sample written */
	int max_step;                  /* largest sample-to-sample step in what was written */
};

/* One tick: the device has played 20 ms, then the frame is written. */
static size_t tick(struct device *d, const int16_t *pcm)
{
	const int16_t *out;
	size_t n;

	d->queued_us -= 20000;
	if (d->queued_us < 0) {
		d->queued_us = 0;
		d->runs_dry++;
	}
	n = play_level_frame(&PL, d->queued_us, pcm, &out);
	for (size_t i = 0; i < n; i++) {
		int step = abs(out[i] - (i ? out[i - 1] : d->tail));

		if (d->out_samples + (long)i > 0 && step > d->max_step)
			d->max_step = step;
	}
	if (n)
		d->tail = out[n - 1];
	d->out_samples += (long)n;
	d->queued_us += (int64_t)n * 1000000 / AUDIO_RATE;
	return n;
}

/* 20 ms of a 1019 Hz tone at 0.3 of full scale, continuing from frame k. */
static void tone_frame(int16_t *pcm, unsigned k)
{
	for (unsigned i = 0; i < AUDIO_FRAME; i++)
		pcm[i] = (int16_t)lrint(0.3 * 32767 *
					sin(2 * M_PI * 1019.0 * (k * AUDIO_FRAME + i) / AUDIO_RATE));
}

static void test_play_level_fills_a_new_stream_to_its_target(void)
{
	struct device d = { .queued_us = 20000 };  /* empty once the first tick has played */
	int16_t pcm[AUDIO_FRAME];
	size_t n;

	play_level_reset(&PL);
	tone_frame(pcm, 0);
	n = tick(&d, pcm);
	CHECK_INT(n, AUDIO_FRAME + 480);           /* 10 ms of silence, then the frame */
	for (unsigned k = 1; k < 100; k++) {
		tone_frame(pcm, k);
		CHECK_INT(tick(&d, pcm), AUDIO_FRAME);
	}
	CHECK_INT(d.runs_dry, 0);
	CHECK_INT(d.queued_us, 30000);             /* 10 ms ahead of each frame written */
}

/* 40 ms too much (a stall's backlog): quiet frames take it down to the target within a few
 * frames; loud ones only while it is far over, 10 ms at most every fifth frame, without a
 * click; an excess of a few ms in loud audio stays. */
static void test_play_level_cuts_an_excess_quiet_first(void)
{
	for (int loud = 0; loud < 2; loud++) {
		struct device d = { .queued_us = 70000 };
		int16_t pcm[AUDIO_FRAME];
		unsigned k, at = 0;

		play_level_reset(&PL);
		for (k = 0; k < 100; k++) {
			if (loud)
				tone_frame(pcm, k);
			else
				memset(pcm, 0, sizeof(pcm));
			tick(&d, pcm);
			if (!at && d.queued_us - 20000 <= 10000 + 10000 * loud + 5000)
				at = k + 1;
		}
		printf("  %s: queue %lld ms ahead of a frame after 100 frames, reached in %u; "
		       "largest step %d\n", loud ? "loud" : "quiet",
		       (long long)(d.queued_us - 20000) / 1000, at, d.max_step);
		CHECK_INT(d.runs_dry, 0);
		if (loud) {
			CHECK(at > 0 && at <= 40);
			CHECK(d.queued_us - 20000 <= 25000 && d.queued_us - 20000 >= 10000);
			/* the tone's own largest step is 0.3 * 32767 * 2 * pi * 1019 / 48000 */
			CHECK(d.max_step <= 2 * 1312);
		} else {
			CHECK(at > 0 && at <= 8);
			CHECK(d.queued_us - 20000 <= 15000 && d.queued_us - 20000 >= 10000);
		}
	}
}

/* A queue a few ms over its target with loud audio playing is left alone: a cut there
 * would cost more than it saves. */
static void test_play_level_leaves_a_small_loud_excess_alone(void)
{
	struct device d = { .queued_us = 38000 };
	int16_t pcm[AUDIO_FRAME];

	play_level_reset(&PL);
	for (unsigned k = 0; k < 200; k++) {
		tone_frame(pcm, k);
		CHECK_INT(tick(&d, pcm), AUDIO_FRAME);
	}
	CHECK_INT(d.queued_us, 38000);
}

/* A 300 ms stall after the stream settled: the device runs dry, the queue is filled at
 * once, and the target rises by one step (not once per frame the stall lasted); ten calm
 * seconds take a millisecond off again. */
static void test_play_level_a_stall_raises_the_target_once(void)
{
	struct device d = { .queued_us = 30000 };
	int16_t pcm[AUDIO_FRAME];
	unsigned k;

	play_level_reset(&PL);
	memset(pcm, 0, sizeof(pcm));
	for (k = 0; k < 100; k++)
		tick(&d, pcm);
	CHECK_INT(PL.target_us, 10000);
	d.queued_us -= 300000;                     /* nothing written for 300 ms */
	for (k = 0; k < 100; k++)
		tick(&d, pcm);
	printf("  stall: target %lld ms, dry %llu, queue %lld ms ahead of a frame\n",
	       (long long)PL.target_us / 1000, (unsigned long long)PL.dry,
	       (long long)(d.queued_us - 20000) / 1000);
	CHECK_INT(PL.target_us, 15000);
	CHECK(PL.dry >= 1 && PL.dry <= 2);
	CHECK(d.queued_us - 20000 >= 10000 && d.queued_us - 20000 <= 20000);
	for (k = 0; k < 600; k++)
		tick(&d, pcm);
	CHECK_INT(PL.target_us, 14000);
	for (k = 0; k < 5000; k++)
		tick(&d, pcm);
	CHECK_INT(PL.target_us, 10000);
}

int main(void)
{
	RUN(test_play_level_fills_a_new_stream_to_its_target);
	RUN(test_play_level_cuts_an_excess_quiet_first);
	RUN(test_play_level_leaves_a_small_loud_excess_alone);
	RUN(test_play_level_a_stall_raises_the_target_once);
	return unit_done();
}
