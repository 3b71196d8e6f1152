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
#include <time.h>

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

/* ---- rows for the terminal UI's history view ----
 * Structs rather than the JSON replies: the view wants calls and messages in one list,
 * searched across the whole file (a reply holds at most 1000 calls and 128 KiB), and
 * parsing hundreds of objects again on every key would cost more than reading the rows. */
#define HISTORY_PAGE_MAX 1000      /* most rows one history_query returns */
#define HISTORY_FIRST_LINE 256     /* bytes kept of a message's first line */
#define HISTORY_KEY 256            /* bytes kept of a peer's URI and of its key */
#define HISTORY_QUERY_BUSY_MS 250  /* a locked file is reported after this, not waited for:
				    * the UI and the SIP stack share the thread */

enum history_kind { HISTORY_CALL, HISTORY_MESSAGE };

struct history_entry {
	enum history_kind kind;
	long long id;                 /* row in its table (calls or messages) */
	bool incoming;
	bool live;                    /* a call of this run still going on */
	time_t time;                  /* call: started; message: sent or received */
	time_t answered, ended;       /* calls; 0: never answered / not ended (unfinished) */
	int code;                     /* call: its end's SIP code; message: the final response */
	char peer[HISTORY_KEY];       /* the URI, as recorded (cut if longer) */
	char peer_key[HISTORY_KEY];   /* contact_uri_key(peer) */
	char display[96];
	char account[64];
	char reason[96];
	char codec[16];               /* calls: "" until media ran */
	char state[12];               /* messages: received, sending, delivered, failed */
	char text[HISTORY_FIRST_LINE]; /* messages: the body's first line (cut), raw text */
};

struct history_filter {
	const char *text;             /* NULL or "": every row; else found (str_casefind) in the
				       * peer, display name, body or result (history_result) */
	const char *const *keys;      /* ...or the row's peer_key is one of these (the people
				       * whose contact name matches, which only the caller knows) */
	unsigned nkeys;
	bool missed_only;             /* only missed calls (history_missed) */
};

struct history_counts {
	unsigned matched;             /* rows that pass the filter, in the whole file */
	unsigned total;               /* rows in the file */
};

/* The newest rows that pass f (NULL: all), calls and messages merged newest first, at most
 * max (<= HISTORY_PAGE_MAX) into out. Each table is read in the order it was written, so
 * clock steps do not shuffle it. Returns the rows written, or -1 with why (a damaged or
 * locked file: the view shows why instead of an empty list). */
int history_query(struct history *h, const struct history_filter *f, struct history_entry *out,
		  unsigned max, struct history_counts *counts, char *why, size_t whylen);
/* ---- one conversation, for the terminal UI's chat ----
 * The whole body, which history_entry cuts to its first line; handed to a function row by
 * row rather than copied, since a body may hold up to 4000 bytes. */
#define HISTORY_CONV_KEYS 4          /* addresses of one person a read looks for */

struct history_message {
	long long id;                 /* row in the messages table: the order they were written */
	bool incoming;
	time_t time;
	int code;                     /* ours: the final SIP response (0: none yet) */
	const char *state;            /* received, sending, delivered, failed */
	const char *reason;
	const char *peer;             /* the URI, as recorded */
	const char *display;
	const char *body;             /* the whole text, raw (escape it before drawing) */
};
/* One row; its strings are valid only during the call. */
typedef void (history_message_fn)(void *arg, const struct history_message *m);
/* The messages with one person (keys: the contact_uri_key() forms of their addresses, at
 * most HISTORY_CONV_KEYS), the last max of those written before row before_id (0: the
 * newest), given to fn oldest first. Returns how many, or -1 with why (a damaged file; a
 * lock is waited for HISTORY_QUERY_BUSY_MS at most). */
int history_conversation(struct history *h, const char *const *keys, unsigned nkeys,
			 long long before_id, unsigned max, history_message_fn *fn, void *arg,
			 char *why, size_t whylen);
/* An incoming call that was never answered, nor refused by us (the caller gave up). */
bool history_missed(const struct history_entry *e);
/* What became of a call or a message, in a few words: "3:12" (talked that long), "missed",
 * "rejected 603", "busy 486", "no answer", "in call", "ringing", "unfinished" (ttyphone
 * stopped first); "received", "delivered", "failed 404", "sending". */
void history_result(const struct history_entry *e, char *out, size_t size);

#endif
