/* audio.h: audio devices as a small interface table. Every backend works at one fixed rate,
 * 48 kHz mono, 20 ms per call: the session resamples to and from the codec's rate, so a
 * codec change on re-INVITE never reopens the device.
 * read() is what paces the media thread: PulseAudio blocks until 20 ms are captured; the
 * backends without a sound card wait on an absolute 20 ms timer (struct pacer). */
#ifndef TTY_MEDIA_AUDIO_H
#define TTY_MEDIA_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "config.h"

#define AUDIO_RATE 48000
#define AUDIO_FRAME 960        /* 20 ms at AUDIO_RATE */
#define AUDIO_QUIET_PEAK 1000  /* about -30 dBFS */

struct evq;

struct audio_open_args {
	const struct audio_cfg *cfg;
	struct evq *evq;           /* for EVQ_MEDIA_AUDIO_ERROR / _OK, may be NULL */
	unsigned call_id;
	unsigned echo_delay_ms;    /* audio_echo only */
	bool realtime;             /* the backend's own threads at real-time priority if allowed */
};

struct audio_backend {
	const char *name;
	/* Returns 0, or an errno with a reason in why (the caller falls back to audio_null). */
	int (*open)(void **devp, const struct audio_open_args *a, char *why, size_t whylen);
	/* Capture AUDIO_FRAME samples, waiting until they are due. Returns 0, or -1 when the
	 * device is unavailable (then pcm holds silence and the call was still paced). */
	int (*read)(void *dev, int16_t *pcm);
	/* Play AUDIO_FRAME samples. Returns 0 or -1 (the frame is lost; keep going). */
	int (*write)(void *dev, const int16_t *pcm);
	void (*close)(void *dev);
	/* Optional (NULL: no sound card, no echo). The device's round trip now, in
	 * microseconds: how long a sample written now takes to be heard, plus how long ago the
	 * newest sample read was captured (the session asks between a tick's read and its
	 * write); -1 if not known at the moment. Lets the echo canceller line its reference
	 * up with what the microphone hears. */
	int64_t (*latency_us)(void *dev);
	/* Optional (NULL: unknown). The audio queued in the device, as last measured: captured
	 * but not yet read, and written but not yet played, in ms (-1 if unknown). */
	void (*latency)(void *dev, int *capture_ms, int *playback_ms);
	/* Optional (NULL: none known). How many times playback was found run dry, or nearly
	 * (the frame before was written too late). */
	uint64_t (*playback_underruns)(void *dev);
};

extern const struct audio_backend audio_pulse, audio_file, audio_null, audio_echo;
const struct audio_backend *audio_backend_for(enum audio_backend_kind kind);

/* A 20 ms absolute-time ticker on CLOCK_MONOTONIC. */
struct pacer {
	struct timespec next;
};
void pacer_start(struct pacer *p);
void pacer_wait(struct pacer *p);

/* Whether a frame (AUDIO_FRAME samples) stays under about -30 dBFS: quiet enough that
 * leaving it out, or adding silence next to it, is not heard. */
bool audio_frame_quiet(const int16_t *pcm);

/* The last n measurements of how much a device queue held, newest first, -1 where
 * unknown. A queue's figure swings as the device moves audio in blocks; a backlog keeps
 * the least of the last few up. Used by the capture backlog guard and play_level.c. */
void queue_window_reset(int64_t *w, unsigned n);
void queue_window_push(int64_t *w, unsigned n, int64_t us);
/* The least of them, or -1 if any is unknown. */
int64_t queue_window_floor(const int64_t *w, unsigned n);
/* The queue was changed by delta_us since they were taken (audio left out or added). */
void queue_window_shift(int64_t *w, unsigned n, int64_t delta_us);

#endif
