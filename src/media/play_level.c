/* play_level.c: see play_level.h. */
#include "play_level.h"

#include <string.h>

/* The least target: the device's own buffer (PulseAudio is asked for 10 ms of sink
 * latency, see audio_pulse.c) and the time a tick may be late. The most: what the 40 ms
 * of playback buffer PulseAudio held before this existed left queued at a write. */
#define TARGET_MIN_US 10000
#define TARGET_MAX_US 20000
#define RAISE_US 5000          /* per time the queue ran dry ... */
#define RAISE_APART 50         /* ... at most once a second (frames): a stall runs it dry
				* for several frames, and one raise is all it says */
#define RELAX_US 1000          /* back down by this much ... */
#define RELAX_FRAMES 500       /* ... after this many frames (10 s) without running dry */
#define LOW_US 3000            /* quiet and this far under the target: fill up */
#define HIGH_US 5000           /* quiet and the least of the last few this far over: cut */
#define FAR_US 10000           /* this far over: cut loud audio too, ... */
#define LOUD_CUT_TICKS 5       /* ... at most once in so many frames, ... */
#define LOUD_CUT_MAX 480       /* ... at most 10 ms at a time (room for the join) */
#define SETTLED_FRAMES 50      /* a new stream's first second: its figures still settle */

static size_t us_to_samples(int64_t us)
{
	int64_t n = us * AUDIO_RATE / 1000000;

	return n <= 0 ? 0 : n > AUDIO_FRAME ? AUDIO_FRAME : (size_t)n;
}

void play_level_reset(struct play_level *p)
{
	p->target_us = TARGET_MIN_US;
	queue_window_reset(p->queued_us, PLAY_LEVEL_TICKS);
	p->frames = 0;
	p->calm = 0;
	p->since_fill = PLAY_LEVEL_TICKS;
	p->since_loud_cut = LOUD_CUT_TICKS;
	p->last_quiet = true;
	p->dry = 0;
	memset(p->last, 0, sizeof(p->last));
}

/* Silence to add before the frame (> 0) or samples to leave out of it (< 0); *loud: the
 * cut is of loud audio (it needs a join). */
static long decide(struct play_level *p, int64_t queued_us, bool is_quiet, bool *loud)
{
	bool both_quiet = is_quiet && p->last_quiet;
	bool settled = p->frames >= SETTLED_FRAMES;
	/* Right after a fill the figures may not show it yet (after a stall, libpulse's
	 * timing data says "empty" for a few frames more): no second fill on top of it. */
	bool may_fill = p->since_fill >= PLAY_LEVEL_TICKS;
	int64_t f;

	*loud = false;
	if (queued_us < 0)
		return 0;
	if (may_fill && queued_us < p->target_us / 2) {
		/* Ran dry, or nearly: fill up now, whatever plays (silence is coming anyway).
		 * Once the stream has settled, that also means the target was too small. */
		if (settled) {
			p->dry++;
			if (p->calm >= RAISE_APART && p->target_us < TARGET_MAX_US) {
				p->target_us = p->target_us + RAISE_US < TARGET_MAX_US ?
					       p->target_us + RAISE_US : TARGET_MAX_US;
				p->calm = 0;
			}
		}
		return (long)us_to_samples(p->target_us - queued_us);
	}
	if (may_fill && !settled && queued_us < p->target_us)
		return (long)us_to_samples(p->target_us - queued_us); /* a new stream */
	if (may_fill && both_quiet && queued_us + LOW_US < p->target_us)
		return (long)us_to_samples(p->target_us - queued_us);
	f = queue_window_floor(p->queued_us, PLAY_LEVEL_TICKS);
	if (f >= 0 && both_quiet && f > p->target_us + HIGH_US)
		return -(long)us_to_samples(f - p->target_us);
	if (f >= 0 && f > p->target_us + FAR_US && p->since_loud_cut >= LOUD_CUT_TICKS) {
		size_t k = us_to_samples(f - p->target_us);

		*loud = true;
		return -(long)(k < LOUD_CUT_MAX ? k : LOUD_CUT_MAX);
	}
	return 0;
}

size_t play_level_frame(struct play_level *p, int64_t queued_us, const int16_t *pcm,
			const int16_t **out)
{
	bool is_quiet = audio_frame_quiet(pcm), loud;
	long adj;
	size_t n = AUDIO_FRAME;

	queue_window_push(p->queued_us, PLAY_LEVEL_TICKS, queued_us);
	if (p->frames < SETTLED_FRAMES)
		p->frames++;
	if (p->since_fill < PLAY_LEVEL_TICKS)
		p->since_fill++;
	if (p->since_loud_cut < LOUD_CUT_TICKS)
		p->since_loud_cut++;
	if (++p->calm >= RELAX_FRAMES && p->target_us - RELAX_US >= TARGET_MIN_US) {
		p->target_us -= RELAX_US;
		p->calm = 0;
	}
	adj = decide(p, queued_us, is_quiet, &loud);
	*out = pcm;
	if (adj > 0) {
		memset(p->out, 0, (size_t)adj * sizeof(p->out[0]));
		memcpy(p->out + adj, pcm, AUDIO_FRAME * sizeof(p->out[0]));
		n = (size_t)adj + AUDIO_FRAME;
		*out = p->out;
		p->since_fill = 0;
	} else if (adj < 0 && !loud) {
		n = AUDIO_FRAME - (size_t)-adj;      /* the quiet end of the frame */
	} else if (adj < 0) {
		/* Loud: the frame's first samples go, and what is left is joined onto how the
		 * frame before would have gone on. */
		int16_t old[SPLICE_OLD];

		n = AUDIO_FRAME - (size_t)-adj;
		memcpy(p->out, pcm - adj, n * sizeof(p->out[0]));
		splice_continue(p->last, AUDIO_FRAME, old, SPLICE_OLD);
		splice_join(old, SPLICE_OLD, p->out, &n, sizeof(p->out) / sizeof(p->out[0]));
		*out = p->out;
		p->since_loud_cut = 0;
	}
	/* What the last measurements saw is that much more, or less, now. */
	queue_window_shift(p->queued_us, PLAY_LEVEL_TICKS,
			   ((int64_t)n - AUDIO_FRAME) * 1000000 / AUDIO_RATE);
	p->last_quiet = is_quiet;
	memcpy(p->last, pcm, sizeof(p->last));
	return n;
}
