/* datacmd.h: the commands about the user's own data, which app.c hands on through
 * app_set_extension: `history [n]`, `messages <contact|uri> [n]` (from history.c) and
 * `account add <name> <uri> [password]` (cfgwrite.c). */
#ifndef TTY_DATACMD_H
#define TTY_DATACMD_H

#include "app.h"

struct history;
struct config;

struct datacmd {
	struct history *hist;        /* NULL: no history this run (nohist says why) */
	char nohist[600];
	char config_path[1024];      /* where `account add` writes */
	const struct config *cfg;    /* "bob" -> sip:bob@<default account's domain> */
	struct app *app;             /* starts an added account at once; NULL: at next start */
};

void datacmd_init(struct datacmd *d, struct history *hist, const char *nohist,
		  const char *config_path, const struct config *cfg);
/* Let `account add` start the new account in app right away. */
void datacmd_set_app(struct datacmd *d, struct app *app);
/* An app_extension_fn. */
void datacmd_exec(void *arg, const struct command_line *cl, app_reply_fn *reply, void *rarg);

#endif
