/* tone.c: ring and ringback tones (see tone.h).
 *
 *   generator (20 ms frames) -> pa_simple_write (blocks, so it paces itself) -> sink
 *
 * The thread owns the stream and is detached: stopping only raises a flag, so a PulseAudio
 * that hangs (a tunnel gone silent) can never hold up the main thread. The flag lives in a
 * block both sides share, freed by whichever lets go last. */
#include "tone.h"
#include "lib_pulse.h"
#include "strutil.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define TONE_RATE 48000
#define TONE_FRAME 960              /* 20 ms */

struct tone_player {
	atomic_bool stop;
	atomic_int refs;                /* 2 while both the caller and the thread hold it */
	enum tone_kind kind;
	char server[CFG_STR], sink[CFG_STR];
};

static void unref(struct tone_player *tp)
{
	if (atomic_fetch_sub(&tp->refs, 1) == 1)
		free(tp);
}

/* Sample n of the pattern, amplitude about -12 dBFS: audible, not startling. */
static int16_t sample(enum tone_kind kind, uint64_t n)
{
	double t = (double)n / TONE_RATE;
	double cycle = kind == TONE_RING ? 6.0 : 5.0, on = kind == TONE_RING ? 2.0 : 1.0;
	double v;

	if (fmod(t, cycle) >= on)
		return 0;
	if (kind == TONE_RING)
		v = 0.125 * (sin(2 * M_PI * 440 * t) + sin(2 * M_PI * 480 * t));
	else
		v = 0.25 * sin(2 * M_PI * 425 * t);
	return (int16_t)(v * 32767);
}

static void *player_main(void *arg)
{
	struct tone_player *tp = arg;
	const pa_sample_spec ss = { .format = PA_SAMPLE_S16LE, .rate = TONE_RATE, .channels = 1 };
	const pa_buffer_attr attr = { .maxlength = (uint32_t)-1,
		.tlength = 4 * TONE_FRAME * sizeof(int16_t), .prebuf = (uint32_t)-1,
		.minreq = (uint32_t)-1, .fragsize = (uint32_t)-1 };
	int16_t frame[TONE_FRAME];
	uint64_t n = 0;
	int err = 0;
	const struct lib_pulse *pa = lib_pulse(NULL, 0);
	pa_simple *s = !pa ? NULL : pa->simple_new(tp->server[0] ? tp->server : NULL, "ttyphone",
				     PA_STREAM_PLAYBACK, tp->sink[0] ? tp->sink : NULL,
				     tp->kind == TONE_RING ? "ring tone" : "ringback tone", &ss,
				     NULL, &attr, &err);

	/* No audio server: the call panel and the bell still say it rings; the start-up check
	 * has already explained why there is no sound. */
	while (s && !atomic_load(&tp->stop)) {
		for (unsigned i = 0; i < TONE_FRAME; i++)
			frame[i] = sample(tp->kind, n++);
		if (pa->simple_write(s, frame, sizeof(frame), &err) < 0)
			break;
	}
	if (s) {
		/* Drop what is queued rather than play it out after the call was answered. */
		pa->simple_flush(s, &err);
		pa->simple_free(s);
	}
	unref(tp);
	return NULL;
}

struct tone_player *tone_start(const struct audio_cfg *acfg, enum tone_kind kind)
{
	struct tone_player *tp;
	pthread_attr_t attr;
	pthread_t th;

	if (acfg->backend != AUDIO_PULSE || !acfg->ring_tone)
		return NULL;
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return NULL;
	atomic_init(&tp->stop, false);
	atomic_init(&tp->refs, 2);
	tp->kind = kind;
	str_copy(tp->server, sizeof(tp->server), acfg->server);
	str_copy(tp->sink, sizeof(tp->sink), acfg->playback);
	if (pthread_attr_init(&attr) != 0) {
		free(tp);
		return NULL;
	}
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, player_main, tp) != 0) {
		pthread_attr_destroy(&attr);
		free(tp);
		return NULL;
	}
	pthread_attr_destroy(&attr);
	return tp;
}

void tone_stop(struct tone_player *tp)
{
	if (!tp)
		return;
	atomic_store(&tp->stop, true);
	unref(tp);
}
