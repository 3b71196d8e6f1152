/* echo_cancel.h: acoustic echo cancellation for one call's microphone (speexdsp's echo
 * canceller, then its preprocessor's residual echo suppression). The media thread tells it
 * each frame it hands to the speaker and gives it each captured frame to clean, both 48 kHz
 * mono, AUDIO_FRAME samples. Played frames wait in a delay line so that the reference lines
 * up with what the microphone hears; the device's reported latency sets that delay.
 * Everything is allocated by echo_cancel_alloc; the other calls allocate nothing.
 * Why the rate, the block, the tail and the alignment are what they are: echo_cancel.c. */
#ifndef TTY_MEDIA_ECHO_CANCEL_H
#define TTY_MEDIA_ECHO_CANCEL_H

#include <stdint.h>

#define EC_TAIL_MS 200         /* the echo the filter can model, from the reference on */
#define EC_MAX_DELAY_MS 1000   /* the longest device round trip we line up with */
#define EC_MARGIN_MS 30        /* aligned: the echo starts this far into the filter */
#define EC_EARLIEST_MS 10      /* realign when it would start earlier than this ... */
#define EC_LATEST_MS 100       /* ... or later (less than half the tail left for the room) */
#define EC_LATENCY_TICKS 25    /* ask the device for its latency every 0.5 s */

struct echo_cancel;

/* tail_ms: normally EC_TAIL_MS. Returns 0, ENOMEM or EINVAL. */
int echo_cancel_alloc(struct echo_cancel **ecp, unsigned tail_ms);
/* A frame just handed to the speaker (what the microphone may hear later). */
void echo_cancel_played(struct echo_cancel *ec, const int16_t *frame);
/* A captured frame, cleaned of echo in place. */
void echo_cancel_capture(struct echo_cancel *ec, int16_t *frame);
/* The device's round trip (audio_backend.latency_us, taken between capture and playback
 * in a tick; -1 = unknown, ignored). The first one after alloc or reset sets the reference
 * delay so that the echo starts EC_MARGIN_MS into the filter; later ones move it only when
 * two estimates in a row put the echo's start outside EC_EARLIEST_MS..EC_LATEST_MS (the
 * estimates wander by several ms, and each move costs the filter its convergence). */
void echo_cancel_latency(struct echo_cancel *ec, int64_t round_trip_us);
/* Delay of the reference behind the natural one frame, in ms (for tests and stats). */
unsigned echo_cancel_delay_ms(const struct echo_cancel *ec);
/* The echo path changed (new device streams): learn it afresh, realign at once. */
void echo_cancel_reset(struct echo_cancel *ec);
void echo_cancel_free(struct echo_cancel *ec);

#endif
