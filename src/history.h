/* history.h: the call and message history, one SQLite file
 * ($XDG_DATA_HOME/ttyphone/history.sqlite, else ~/.local/share/ttyphone/history.sqlite).
 * It records by listening to the app's JSON events (history_on_event), so app.c knows
 * nothing about it, and answers the `history` and `messages` commands. A database that is
 * damaged, locked, read-only or from a newer ttyphone is reported and left as it is: the
 * phone then runs without history. See history.c for what survives a crash. */
#ifndef TTY_HISTORY_H
#define TTY_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#define HISTORY_SCHEMA_VERSION 1   /* PRAGMA user_version of the files we write */
#define HISTORY_BUSY_MS 2000       /* how long to wait for another program's lock */
#define HISTORY_MAX_CALLS 1000     /* most rows one `history` reply lists */
#define HISTORY_MAX_MESSAGES 500   /* most rows one `messages` reply lists */

struct history;

/* Where the history lives by default. */
void history_default_path(char *out, size_t size);
/* Open (or create, mode 0600 in a 0700 folder) the history at path (NULL: the default),
 * waiting up to busy_ms for a lock. 0, or an errno with a sentence a person can act on. */
int history_open(struct history **hp, const char *path, unsigned busy_ms, char *why,
		 size_t whylen);
void history_close(struct history *h);
const char *history_path(const struct history *h);
/* Where problems met while recording go (the record is lost, the phone goes on). */
void history_set_notify(struct history *h, void (*fn)(void *arg, const char *line), void *arg);
/* The default account's host[:port], so that `msg bob` is recorded as sip:bob@host. */
void history_set_domain(struct history *h, const char *hostport);
/* Record one app event (JSON); events about neither calls nor messages are ignored.
 * 0 once it is committed, or -1 with why. */
int history_record(struct history *h, const char *json, char *why, size_t whylen);
/* history_record as an app listener (app_listener_fn); problems go to the notify function. */
void history_on_event(void *arg, const char *json);
/* The replies to `history [n]` and `messages <peer> [n]`: malloc'd JSON (free it), or NULL
 * with why. Calls come newest first; messages oldest first (the last n, as a chat reads).
 * keys are contact_uri_key() forms of the peer's addresses; label is echoed as "peer". */
char *history_calls_json(struct history *h, unsigned n, char *why, size_t whylen);
char *history_messages_json(struct history *h, const char *label, const char *const *keys,
			    unsigned nkeys, unsigned n, char *why, size_t whylen);

#endif
