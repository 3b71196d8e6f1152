/* play_level.h: keeping the audio queued for playback in the device near a target. A frame
 * is written as soon as the frame captured with it has been read, so how much is already
 * queued ahead of it is whatever the stream's start, a stall or an underrun left: anything
 * up to the device buffer's length, and all of it delay. Before each frame the backend
 * says how much is queued, and gets back what to write: the frame, with silence before it
 * when the queue runs low, or with part of it left out when the queue stays high. Both
 * happen where the audio is quiet, except that a queue that has (nearly) run dry is topped
 * up at once, and one far too high loses up to 10 ms of loud audio now and then, joined
 * without a click (splice.h). Running dry raises the target, a calm stretch lowers it
 * again. Used by the PulseAudio backend; knows nothing of it. */
#ifndef TTY_MEDIA_PLAY_LEVEL_H
#define TTY_MEDIA_PLAY_LEVEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio.h"
#include "splice.h"

#define PLAY_LEVEL_TICKS 4     /* a cut follows the least of this many measurements */

struct play_level {
	int64_t target_us;         /* what should be queued when a frame is written */
	int64_t queued_us[PLAY_LEVEL_TICKS]; /* before the last writes, newest first; -1: unknown */
	unsigned frames;           /* written since the stream (re)started, up to a limit */
	unsigned calm;             /* frames since the target last rose or fell */
	unsigned since_fill;       /* frames since silence was last added, up to a limit */
	unsigned since_loud_cut;   /* frames since loud audio was last left out, up to a limit */
	bool last_quiet;           /* the frame written last was near silence */
	uint64_t dry;              /* times the queue was found (nearly) empty */
	int16_t last[AUDIO_FRAME]; /* the frame written last, for a join after a loud cut */
	int16_t out[2 * AUDIO_FRAME + SPLICE_SHIFT]; /* what to write, when not the frame */
};

/* A new stream: nothing known, the target back to its least. */
void play_level_reset(struct play_level *p);
/* What to write for the frame pcm (AUDIO_FRAME samples) when the device holds queued_us
 * before it (-1 if unknown): sets *out (pcm itself or p->out) and returns its length in
 * samples. */
size_t play_level_frame(struct play_level *p, int64_t queued_us, const int16_t *pcm,
			const int16_t **out);

#endif
