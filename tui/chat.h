/* chat.h: the conversations the chat view shows, per peer, in memory: what the history file
 * holds about each peer (merged in when the peer first appears, older pages on demand) and
 * what happens in this session. Bounded: CHAT_MAX_PEERS peers, the least recently active
 * one dropped first; each keeps its last CHAT_MAX_MSGS messages and CHAT_MAX_BYTES of text
 * (older ones stay in the history file). Texts are kept as they came from the network:
 * escape them before drawing. No curses and no SQLite here: the rows come as structs. */
#ifndef TTY_TUI_CHAT_H
#define TTY_TUI_CHAT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CHAT_MAX_PEERS 32
#define CHAT_MAX_MSGS 1000
#define CHAT_MAX_BYTES (1024 * 1024)
#define CHAT_TEXT_MAX 4096         /* longest body kept (the app cuts them at 4000 bytes) */
#define CHAT_URI 256
#define CHAT_PAGE 200              /* messages read from the history at a time */
/* A message of this session and a history row are the same message when they go the same
 * way, say the same and were written this close (seconds; both clocks are time(NULL)). */
#define CHAT_SAME_SECS 120

/* status of an outgoing message, besides 0 (sending) and SIP codes */
#define CHAT_NOT_SENT (-1)         /* refused before it left (reason says why) */
#define CHAT_UNCONFIRMED (-2)      /* from the history: no final answer was recorded */

struct chat_msg {
	time_t when;
	bool out;
	long long hist_id;         /* its row in the history file; 0: not known to be there */
	unsigned long cookie;      /* out: the app's message id (message_sent), 0 before */
	int status;                /* out: 0 sending, 2xx delivered, >= 300 failed, CHAT_* */
	char reason[64];
	char *text;                /* raw UTF-8 as received or typed (malloc'd) */
};

struct chat_peer {
	bool used;
	char key[CHAT_URI];        /* contact_uri_key of uri: how peers are matched */
	char uri[CHAT_URI];        /* where replies go */
	char display[64];          /* the peer's display name, raw */
	struct chat_msg *msgs;     /* oldest first */
	unsigned count, cap;
	size_t bytes;              /* text held, for CHAT_MAX_BYTES */
	unsigned unread;
	uint64_t active;           /* chat clock at the last message, for eviction */
	/* the history file */
	bool loaded;               /* its newest messages are merged in */
	bool older;                /* it may hold older ones than the oldest here */
	char hist_error[400];      /* the last read failed: why ("" when it worked) */
};

struct chat {
	struct chat_peer peers[CHAT_MAX_PEERS];
	uint64_t clock;
};

/* One message as the history file has it (history_message, without SQLite's lifetimes). */
struct chat_stored {
	long long id;
	bool out;
	time_t when;
	int status;                /* out: as chat_msg.status (chat_stored_status) */
	const char *reason;
	const char *text;
};

void chat_init(struct chat *c);
void chat_free(struct chat *c);
/* The peer for uri; with create, a new one (evicting the least active) if none. */
struct chat_peer *chat_peer(struct chat *c, const char *uri, bool create);
/* Record a message; incoming ones count as unread. NULL if out of memory. The pointer is
 * valid until the next change to this peer. */
struct chat_msg *chat_add(struct chat *c, const char *uri, const char *display, bool out,
			  const char *text, time_t when);
/* i-th message of a peer, oldest first. */
const struct chat_msg *chat_msg_at(const struct chat_peer *p, unsigned i);
/* message_sent: the newest outgoing message to `to` still waiting for an id gets cookie.
 * false if there was none (a message sent with :msg rather than from the chat). */
bool chat_sent(struct chat *c, const char *to, unsigned long cookie);
/* The command that was to send the newest message to `to` still waiting for an id failed:
 * it is marked CHAT_NOT_SENT with reason. */
void chat_not_sent(struct chat *c, const char *to, const char *reason);
/* message_status: the outgoing message with cookie got code. Returns its peer or NULL. */
struct chat_peer *chat_status(struct chat *c, unsigned long cookie, int code, const char *reason);
unsigned chat_unread_total(const struct chat *c);

/* A history row's state ("received", "sending", "delivered", "failed") and code as
 * chat_msg.status. */
int chat_stored_status(const char *state, int code);
/* Merge history rows (oldest first) into p's conversation: a row already here (same row
 * id, or with match_session, a message of this session the same by CHAT_SAME_SECS) is not
 * added twice; the others go in order (by row id; a message of this session the history
 * does not have, by time). Then the oldest are dropped past the limits. 0, or -1 when out
 * of memory (p unchanged). */
int chat_merge(struct chat_peer *p, const struct chat_stored *rows, unsigned n,
	       bool match_session);
/* The oldest history row p holds (0: none), to read the page before it. */
long long chat_oldest_id(const struct chat_peer *p);
/* p holds as much as it may: older pages are not read any more. */
bool chat_full(const struct chat_peer *p);

#endif
