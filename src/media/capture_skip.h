/* capture_skip.h: leaving 20 ms out of the captured audio (to cut delay that queued up in
 * the device) without a click. The audio after the cut is spliced onto a continuation of
 * the audio handed out before it (splice.h), which moves the stream by up to SPLICE_SHIFT
 * samples; samples moved past a frame's end are carried into the next frame. Used by the
 * PulseAudio backend; knows nothing of PulseAudio. */
#ifndef TTY_MEDIA_CAPTURE_SKIP_H
#define TTY_MEDIA_CAPTURE_SKIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio.h"
#include "splice.h"

/* Read exactly n samples from the device into pcm; 0, or -1 on failure. */
typedef int (*capture_read_fn)(void *ctx, int16_t *pcm, size_t n);

struct capture_skip {
	int16_t buf[2 * AUDIO_FRAME + 2 * SPLICE_SHIFT];
	size_t n;                  /* in buf: the carry, then what was read */
	int16_t last[AUDIO_FRAME]; /* the frame handed out last */
};

void capture_skip_reset(struct capture_skip *s);
/* Read the next frame from the device. Then capture_skip_next() is what it will give. */
int capture_skip_read(struct capture_skip *s, capture_read_fn rd, void *ctx);
const int16_t *capture_skip_next(const struct capture_skip *s);
/* Hand out AUDIO_FRAME samples: the next frame, or with skip the audio 20 ms later (read
 * from the device, which must have it queued, or this waits), joined without a click. */
int capture_skip_take(struct capture_skip *s, bool skip, capture_read_fn rd, void *ctx,
		      int16_t *out);

#endif
