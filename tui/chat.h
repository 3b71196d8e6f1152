/* chat.h: the conversations of this session, per peer, in memory (SQLite history comes
 * later, src/store). Bounded: CHAT_MAX_PEERS peers, the least recently active one dropped
 * first, and the last CHAT_MAX_MSGS messages each. Texts are kept as they came from the
 * network: escape them before drawing. No curses here. */
#ifndef TTY_TUI_CHAT_H
#define TTY_TUI_CHAT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CHAT_MAX_PEERS 32
#define CHAT_MAX_MSGS 200
#define CHAT_TEXT 1024
#define CHAT_URI 256

struct chat_msg {
	time_t when;
	bool out;
	unsigned long cookie;      /* out: the app's message id (message_sent), 0 before */
	int status;                /* out: 0 sending, 2xx delivered, >= 300 failed */
	char reason[64];
	char text[CHAT_TEXT];      /* raw UTF-8 as received or typed */
};

struct chat_peer {
	bool used;
	char key[CHAT_URI];        /* contact_uri_key of uri: how peers are matched */
	char uri[CHAT_URI];        /* where replies go */
	char display[64];          /* the peer's display name, raw */
	struct chat_msg *msgs;     /* ring of CHAT_MAX_MSGS, allocated on first use */
	unsigned head, count;
	unsigned unread;
	uint64_t active;           /* chat clock at the last message, for eviction */
};

struct chat {
	struct chat_peer peers[CHAT_MAX_PEERS];
	uint64_t clock;
};

void chat_init(struct chat *c);
void chat_free(struct chat *c);
/* The peer for uri; with create, a new one (evicting the least active) if none. */
struct chat_peer *chat_peer(struct chat *c, const char *uri, bool create);
/* Record a message; incoming ones count as unread. NULL if out of memory. */
struct chat_msg *chat_add(struct chat *c, const char *uri, const char *display, bool out,
			  const char *text, time_t when);
/* i-th message of a peer, oldest first. */
const struct chat_msg *chat_msg_at(const struct chat_peer *p, unsigned i);
/* message_sent: the newest outgoing message to `to` without an id gets cookie. */
void chat_sent(struct chat *c, const char *to, unsigned long cookie);
/* message_status: the outgoing message with cookie got code. Returns its peer or NULL. */
struct chat_peer *chat_status(struct chat *c, unsigned long cookie, int code, const char *reason);
unsigned chat_unread_total(const struct chat *c);

#endif
