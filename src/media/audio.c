/* audio.c: backend lookup, the pacer shared by the backends without a sound card, and
 * what the backends measure their audio and queues with. */
#include "audio.h"

#include <errno.h>
#include <string.h>

const struct audio_backend *audio_backend_for(enum audio_backend_kind kind)
{
	switch (kind) {
	case AUDIO_PULSE: return &audio_pulse;
	case AUDIO_FILE: return &audio_file;
	case AUDIO_NULL: return &audio_null;
	}
	return &audio_null;
}

#define TICK_NS 20000000L

void pacer_start(struct pacer *p)
{
	clock_gettime(CLOCK_MONOTONIC, &p->next);
}

void pacer_wait(struct pacer *p)
{
	struct timespec now;

	p->next.tv_nsec += TICK_NS;
	if (p->next.tv_nsec >= 1000000000L) {
		p->next.tv_nsec -= 1000000000L;
		p->next.tv_sec++;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* More than 100 ms behind (the process was stopped, the machine suspended): start
	 * afresh from now rather than rush through the missed ticks. */
	if (now.tv_sec > p->next.tv_sec + 1 ||
	    (now.tv_sec - p->next.tv_sec) * 1000000000L + (now.tv_nsec - p->next.tv_nsec) > 5 * TICK_NS) {
		p->next = now;
		return;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &p->next, NULL) == EINTR)
		;
}

bool audio_frame_quiet(const int16_t *pcm)
{
	for (unsigned i = 0; i < AUDIO_FRAME; i++)
		if (pcm[i] > AUDIO_QUIET_PEAK || pcm[i] < -AUDIO_QUIET_PEAK)
			return false;
	return true;
}

void queue_window_reset(int64_t *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		w[i] = -1;
}

void queue_window_push(int64_t *w, unsigned n, int64_t us)
{
	memmove(w + 1, w, (n - 1) * sizeof(*w));
	w[0] = us;
}

int64_t queue_window_floor(const int64_t *w, unsigned n)
{
	int64_t f = INT64_MAX;

	for (unsigned i = 0; i < n; i++) {
		if (w[i] < 0)
			return -1;
		if (w[i] < f)
			f = w[i];
	}
	return f;
}

void queue_window_shift(int64_t *w, unsigned n, int64_t delta_us)
{
	for (unsigned i = 0; i < n; i++)
		if (w[i] >= 0)
			w[i] += delta_us;
}
