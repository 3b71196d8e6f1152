/* headless.h: the text protocol: commands in (one per line), JSON events out (one per line),
 * on stdin/stdout and optionally on a Unix control socket with several clients. */
#ifndef TTY_HEADLESS_H
#define TTY_HEADLESS_H

#include <stdbool.h>

struct app;
struct loop;
struct headless;

/* use_stdio: read commands from stdin and write events to stdout (EOF on stdin quits).
 * ctl_path: also serve the protocol on this Unix socket (NULL: none). */
int headless_alloc(struct headless **hp, struct app *a, struct loop *l, bool use_stdio,
		   const char *ctl_path, char *why, unsigned whylen);
/* Start reading commands (after app_start, so no command meets a half-started app). */
int headless_start(struct headless *h);
void headless_free(struct headless *h);

#endif
