/* evq.c: worker-to-main-thread event queue (see evq.h). A mutex is fine here: events are
 * rare (DTMF digits, timeouts), never per packet. */
#include "evq.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct evq {
	pthread_mutex_t lock;
	int fd;
	unsigned cap, head, count;
	struct evq_event ring[];
};

int evq_alloc(struct evq **qp, unsigned capacity)
{
	struct evq *q;

	if (!qp || capacity == 0)
		return EINVAL;
	q = calloc(1, sizeof(*q) + capacity * sizeof(q->ring[0]));
	if (!q)
		return ENOMEM;
	q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->fd < 0) {
		int err = errno;
		free(q);
		return err;
	}
	pthread_mutex_init(&q->lock, NULL);
	q->cap = capacity;
	*qp = q;
	return 0;
}

void evq_free(struct evq *q)
{
	if (!q)
		return;
	close(q->fd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int evq_fd(const struct evq *q)
{
	return q->fd;
}

int evq_post(struct evq *q, const struct evq_event *ev)
{
	int rc = 0;
	uint64_t one = 1;

	if (!q)
		return -1;
	pthread_mutex_lock(&q->lock);
	if (q->count == q->cap) {
		rc = -1;       /* the caller learns it was dropped */
	} else {
		q->ring[(q->head + q->count) % q->cap] = *ev;
		q->count++;
	}
	pthread_mutex_unlock(&q->lock);
	/* A failed write can only mean the counter is already huge: the fd is readable anyway. */
	if (rc == 0 && write(q->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -1;
	return rc;
}

int evq_take(struct evq *q, struct evq_event *ev)
{
	int got = 0;
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	if (q->count) {
		*ev = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		got = 1;
	}
	if (q->count == 0) {
		/* Drain the counter while holding the lock so a concurrent post re-arms it. */
		if (read(q->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			got = got ? got : 0;
	}
	pthread_mutex_unlock(&q->lock);
	return got;
}
