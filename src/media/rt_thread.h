/* rt_thread.h: threads for the audio path at a low real-time priority where the system
 * allows it (root, CAP_SYS_NICE, an RLIMIT_RTPRIO grant), else as usual. On a busy machine
 * a thread of normal priority can wait long enough for captured audio to queue up, which is
 * delay that stays for the rest of the call. The priority is below PulseAudio's own (5),
 * so its threads still run when we wait on them; threads made from such a thread inherit
 * it (libpulse's own event thread, made while a stream is opened). */
#ifndef TTY_MEDIA_RT_THREAD_H
#define TTY_MEDIA_RT_THREAD_H

#include <pthread.h>
#include <stdbool.h>

#define RT_THREAD_PRIORITY 3

/* pthread_create, at SCHED_FIFO RT_THREAD_PRIORITY if want_rt and allowed. *got_rt (may be
 * NULL) says which. Returns 0 or an errno, as pthread_create. */
int rt_thread_create(pthread_t *t, bool want_rt, void *(*fn)(void *), void *arg, bool *got_rt);

#endif
