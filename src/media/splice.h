/* splice.h: joining a new stream of audio onto an old one without a click or a dip, at
 * 48 kHz. When the decoder changes in the middle of a call (another codec, or another
 * source, after a re-INVITE), the two pieces do not line up: codecs and resamplers delay the
 * audio by different amounts, so a tone would jump in phase, and a new encoder starts with
 * a few milliseconds of fade-in (Opus: its 6.5 ms look-ahead). So the old audio goes on a
 * little longer (its last period repeated, which unlike a codec's concealment does not
 * fade), the new audio
 * is joined SPLICE_SETTLE samples into itself, moved by up to SPLICE_SHIFT samples either
 * way to where it best matches the continuation, and cross-faded in over SPLICE_FADE
 * samples. Runs once per change, never per packet. */
#ifndef TTY_MEDIA_SPLICE_H
#define TTY_MEDIA_SPLICE_H

#include <stddef.h>
#include <stdint.h>

#define SPLICE_SETTLE 480      /* 10 ms: past a fresh Opus encoder's fade-in */
#define SPLICE_SHIFT 240       /* 5 ms each way: a 10 ms span holds a period of any voice
				* above 100 Hz, and of any tone above it */
#define SPLICE_FADE 240        /* 5 ms cross-fade */
#define SPLICE_OLD (SPLICE_SETTLE + SPLICE_SHIFT + SPLICE_FADE) /* continuation it may read */

/* How the old audio would go on: the last period (pitch, or a tone's) of hist, the audio
 * that plays right before the join, repeated into out[0..n). */
void splice_continue(const int16_t *hist, size_t nhist, int16_t *out, size_t n);
/* old[0..nold): the old audio's continuation from the join on. buf[0..*n): the new audio,
 * with room for `room` samples. On return buf[0..*n) is what to play from the join on: the
 * start of the continuation, then the new audio cross-faded in. Returns how many samples
 * longer (> 0) or shorter (< 0) than the new audio that is. */
int splice_join(const int16_t *old, size_t nold, int16_t *buf, size_t *n, size_t room);

#endif
