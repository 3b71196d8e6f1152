/* audio.c: backend lookup and the pacer shared by the backends without a sound card. */
#include "audio.h"

#include <errno.h>

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
