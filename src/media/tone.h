/* tone.h: ring and ringback tones, played on the speaker while no call has media. */
#ifndef TTY_MEDIA_TONE_H
#define TTY_MEDIA_TONE_H

#include "config.h"

enum tone_kind {
	TONE_RING,      /* an incoming call: 440+480 Hz, 2 s on, 4 s off */
	TONE_RINGBACK,  /* the far end rings: 425 Hz, 1 s on, 4 s off */
};

struct tone_player;

/* Start playing on the PulseAudio sink of acfg (other backends play nothing: returns NULL).
 * Never blocks: the player is a thread of its own. */
struct tone_player *tone_start(const struct audio_cfg *acfg, enum tone_kind kind);
/* Stop and forget it; returns at once (the thread finishes and frees itself). */
void tone_stop(struct tone_player *tp);

#endif
