/* loop.h: the main thread's event loop. It is Sofia's su_root (so nua runs on this thread,
 * SOFIA-NOTES finding 7), wrapped so the rest of the program can watch fds and run timers
 * without seeing any sofia-sip type. */
#ifndef TTY_LOOP_H
#define TTY_LOOP_H

struct loop;
struct loop_timer;

typedef void (loop_fd_fn)(void *arg, int fd);
typedef void (loop_timer_fn)(void *arg);

int loop_alloc(struct loop **lp);
void loop_free(struct loop *l);
/* Call fn when fd is readable (or hung up). Returns a watch id >= 0, or -1. */
int loop_watch_fd(struct loop *l, int fd, loop_fd_fn *fn, void *arg);
void loop_unwatch(struct loop *l, int id);
/* One-shot timer; *tp stays valid until loop_timer_free. Restarting replaces the deadline. */
int loop_timer_alloc(struct loop *l, struct loop_timer **tp, loop_timer_fn *fn, void *arg);
void loop_timer_start(struct loop_timer *t, unsigned ms);
void loop_timer_stop(struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);
/* Run until loop_quit; loop_step runs at most ms milliseconds (for shutdown waits). */
void loop_run(struct loop *l);
void loop_step(struct loop *l, unsigned ms);
void loop_quit(struct loop *l);
/* For src/sip only: the su_root_t behind the loop. */
void *loop_su_root(struct loop *l);

#endif
