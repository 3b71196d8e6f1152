/* ws_frame.h: WebSocket framing for the client side of a SIP link, on wslay's event API
 * and without any I/O of its own: bytes from the server are fed in, bytes for the server
 * are taken out, so the same code runs in the bridge, the unit tests and the fuzzer.
 * One SIP message = one text frame (RFC 7118 section 5); a message from the server longer
 * than the limit ends the link (close 1009) before it is buffered. */
#ifndef TTY_WS_FRAME_H
#define TTY_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_MSG_MAX (64 * 1024)       /* a SIP message over a WebSocket, either way */
#define WS_OUT_MAX (256 * 1024)      /* bytes queued for the server before we stop taking */

struct ws_frame;

struct ws_frame_cbs {
	/* A whole text or binary message from the server (a SIP message or a keep-alive). */
	void (*message)(void *arg, const char *data, size_t len);
	/* A pong, or any frame: the link is alive. May be NULL. */
	void (*alive)(void *arg);
};

int ws_frame_alloc(struct ws_frame **fp, const struct ws_frame_cbs *cbs, void *arg);
void ws_frame_free(struct ws_frame *f);
/* Bytes read from the server. Returns 0, or -1 once the link is over (see ws_frame_why). */
int ws_frame_feed(struct ws_frame *f, const uint8_t *data, size_t len);
/* Queue one message as a text frame (masked, as a client must). -1 when the queue is full
 * or the link is closing. */
int ws_frame_send_text(struct ws_frame *f, const char *data, size_t len);
int ws_frame_send_ping(struct ws_frame *f);
/* Queue a close frame (1000) to end the link politely. */
void ws_frame_close(struct ws_frame *f);
/* Move up to size framed bytes for the server into out; returns how many (0: none). */
size_t ws_frame_take(struct ws_frame *f, uint8_t *out, size_t size);
/* Bytes queued for the server (messages not yet taken). */
size_t ws_frame_queued(const struct ws_frame *f);
/* Whether the link is over: a close from either side, a protocol error, a message over
 * WS_MSG_MAX. ws_frame_why says which, in words. */
bool ws_frame_ended(const struct ws_frame *f);
const char *ws_frame_why(const struct ws_frame *f);

#endif
