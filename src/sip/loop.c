/* loop.c: su_root behind the loop.h interface. */
#define SU_ROOT_MAGIC_T struct loop
#define SU_WAKEUP_ARG_T struct loop_watch
#define SU_TIMER_ARG_T struct loop_timer

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_log.h>

#include "loop.h"

#include <errno.h>
#include <stdlib.h>

#define LOOP_MAX_WATCHES 64

struct loop_watch {
	struct loop *l;
	int fd;
	int index;          /* su_root_register's index, 0 = unused slot */
	loop_fd_fn *fn;
	void *arg;
};

struct loop {
	su_root_t *root;
	struct loop_watch watches[LOOP_MAX_WATCHES];
};

struct loop_timer {
	struct loop *l;
	su_timer_t *timer;
	loop_timer_fn *fn;
	void *arg;
};

int loop_alloc(struct loop **lp)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return ENOMEM;
	if (su_init() != 0) {
		free(l);
		return EIO;
	}
	l->root = su_root_create(l);
	if (!l->root) {
		su_deinit();
		free(l);
		return ENOMEM;
	}
	/* The stack runs in this thread: nua callbacks, timers and fds all on one thread. */
	su_root_threading(l->root, 0);
	*lp = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (int i = 0; i < LOOP_MAX_WATCHES; i++)
		if (l->watches[i].index > 0)
			loop_unwatch(l, i);
	su_root_destroy(l->root);
	su_deinit();
	free(l);
}

static int on_wait(struct loop *l, su_wait_t *w, struct loop_watch *watch)
{
	(void)l;
	(void)w;
	watch->fn(watch->arg, watch->fd);
	return 0;
}

int loop_watch_fd(struct loop *l, int fd, loop_fd_fn *fn, void *arg)
{
	su_wait_t wait[1] = { SU_WAIT_INIT };

	for (int i = 0; i < LOOP_MAX_WATCHES; i++) {
		struct loop_watch *w = &l->watches[i];
		if (w->index > 0)
			continue;
		if (su_wait_create(wait, fd, SU_WAIT_IN | SU_WAIT_HUP) < 0)
			return -1;
		w->l = l;
		w->fd = fd;
		w->fn = fn;
		w->arg = arg;
		w->index = su_root_register(l->root, wait, on_wait, w, 0);
		if (w->index <= 0) {
			su_wait_destroy(wait);
			w->index = 0;
			return -1;
		}
		return i;
	}
	return -1;
}

void loop_unwatch(struct loop *l, int id)
{
	if (id < 0 || id >= LOOP_MAX_WATCHES || l->watches[id].index <= 0)
		return;
	su_root_deregister(l->root, l->watches[id].index);
	l->watches[id].index = 0;
}

int loop_timer_alloc(struct loop *l, struct loop_timer **tp, loop_timer_fn *fn, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return ENOMEM;
	t->timer = su_timer_create(su_root_task(l->root), 0);
	if (!t->timer) {
		free(t);
		return ENOMEM;
	}
	t->l = l;
	t->fn = fn;
	t->arg = arg;
	*tp = t;
	return 0;
}

static void on_timer(struct loop *l, su_timer_t *timer, struct loop_timer *t)
{
	(void)l;
	(void)timer;
	t->fn(t->arg);
}

void loop_timer_start(struct loop_timer *t, unsigned ms)
{
	su_timer_reset(t->timer);
	su_timer_set_interval(t->timer, on_timer, t, ms);
}

void loop_timer_stop(struct loop_timer *t)
{
	if (t)
		su_timer_reset(t->timer);
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	su_timer_destroy(t->timer);
	free(t);
}

void loop_run(struct loop *l)
{
	su_root_run(l->root);
}

void loop_step(struct loop *l, unsigned ms)
{
	su_root_step(l->root, ms);
}

void loop_quit(struct loop *l)
{
	su_root_break(l->root);
}

void *loop_su_root(struct loop *l)
{
	return l->root;
}
