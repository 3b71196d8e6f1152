/* audio_probe.h: is there an audio server to talk to, and what to tell the user if not.
 * The probe runs once at start-up on its own thread, bounded to a few seconds, and answers
 * through the evq (call_id 0): EVQ_MEDIA_AUDIO_ERROR with a reason and the fix, or
 * EVQ_MEDIA_AUDIO_OK. */
#ifndef TTY_MEDIA_AUDIO_PROBE_H
#define TTY_MEDIA_AUDIO_PROBE_H

#include <stddef.h>
#include "config.h"

struct evq;
struct audio_probe;

int audio_probe_start(struct audio_probe **pp, const struct audio_cfg *cfg, struct evq *evq);
/* Waits for the probe (at most its deadline) and frees it. */
void audio_probe_free(struct audio_probe *p);
/* A reason a person can act on for PulseAudio error pa_err (0 = no answer in time), while
 * doing `what` ("connect", "microphone", "speaker") on `device` (may be NULL). */
void audio_explain(const char *server, int pa_err, const char *what, const char *device,
		   char *out, size_t size);

#endif
