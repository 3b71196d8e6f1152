/* trace.h: every SIP message sent or received, whole, in a bounded ring (the log pane's
 * data) and optionally in a file. Secrets are masked on the way in, so nothing downstream
 * (screen, file, saved dialogs) can show them. Main thread only. */
#ifndef TTY_TRACE_H
#define TTY_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct trace_msg {
	uint64_t seq;              /* 1, 2, ... never reused */
	struct timespec when;      /* wall clock */
	bool outgoing;
	char transport[8];         /* udp, tcp, tls, ws, wss */
	char peer[72];             /* address:port of the other side */
	char *text;                /* the whole message, masked, NUL-terminated */
	size_t len;
	/* Parsed from the text for the list and filters. */
	bool is_request;
	char method[24];           /* request method, or CSeq method for a response */
	int status;                /* response code, 0 for requests */
	char summary[96];          /* "INVITE sip:bob@host" or "200 OK" */
	char call_id[128];
	unsigned cseq;
};

struct trace;

int trace_alloc(struct trace **tp, unsigned max_msgs, size_t max_bytes);
void trace_free(struct trace *t);
/* Also append every message to this file (NULL stops); the trace does not close it. */
void trace_set_file(struct trace *t, FILE *f);
/* Add one message; text is copied and masked. */
void trace_add(struct trace *t, bool outgoing, const char *transport, const char *peer,
	       const char *text, size_t len, const struct timespec *when);
/* Sofia's tport writes a message as log lines: a stamp line, a separator, the message
 * indented by three spaces, a separator. Feed those lines here, one at a time. */
void trace_feed_line(struct trace *t, const char *line);
/* Show messages Sofia exchanges with (transport, peer) as (as_tp, as_peer): an account over
 * a WebSocket talks to its loopback bridge ("tcp", "127.0.0.1:40123"), while the user's
 * peer is the server ("wss", "203.0.113.5:8443"). Returns -1 when the table is full. */
#define TRACE_ALIASES 8
int trace_alias(struct trace *t, const char *transport, const char *peer, const char *as_tp,
		const char *as_peer);
/* The same, for text in arbitrary pieces: tport writes a line's text and its newline in
 * separate log calls, sometimes several lines in one call. Partial lines are buffered. */
void trace_feed_text(struct trace *t, const char *text);
uint64_t trace_first_seq(const struct trace *t);   /* 0 if empty */
uint64_t trace_last_seq(const struct trace *t);
const struct trace_msg *trace_get(const struct trace *t, uint64_t seq); /* NULL if gone */
unsigned trace_count(const struct trace *t);
/* Call fn(arg) after each message is added (main thread), so a view can redraw without
 * polling the ring. NULL stops. Added for the TUI's log pane. */
void trace_set_notify(struct trace *t, void (*fn)(void *arg), void *arg);
/* Mask digest responses, nonces and any password-like value in a SIP message. Writes to
 * out (NUL-terminated); returns the output length. out may need up to len + 64 bytes. */
size_t trace_mask(const char *in, size_t len, char *out, size_t size);
/* Fill the parsed fields of m from m->text. */
void trace_parse_summary(struct trace_msg *m);
/* Extract a header's value (full or compact name) from a SIP message text. */
bool trace_header(const char *text, const char *name, char compact, char *out, size_t size);

#endif
