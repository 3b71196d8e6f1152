/* rt_thread.c: see rt_thread.h. */
#include "rt_thread.h"

#include <errno.h>
#include <sched.h>

int rt_thread_create(pthread_t *t, bool want_rt, void *(*fn)(void *), void *arg, bool *got_rt)
{
	pthread_attr_t attr;
	struct sched_param sp = { .sched_priority = RT_THREAD_PRIORITY };

	if (got_rt)
		*got_rt = false;
	if (want_rt && pthread_attr_init(&attr) == 0) {
		int err = EINVAL;

		if (pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED) == 0 &&
		    pthread_attr_setschedpolicy(&attr, SCHED_FIFO) == 0 &&
		    pthread_attr_setschedparam(&attr, &sp) == 0)
			err = pthread_create(t, &attr, fn, arg);
		pthread_attr_destroy(&attr);
		if (err == 0) {
			if (got_rt)
				*got_rt = true;
			return 0;
		}
		/* EPERM (not allowed) or no such policy: as usual. */
	}
	return pthread_create(t, NULL, fn, arg);
}
