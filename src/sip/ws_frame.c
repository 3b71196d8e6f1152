/* ws_frame.c: wslay's event context driven from buffers. wslay pulls received bytes
 * through recv_callback (we hand it what ws_frame_feed got, then WOULDBLOCK) and pushes
 * framed bytes through send_callback (we keep them in `out` for ws_frame_take). wslay
 * answers pings, reassembles fragments, checks masking and opcodes, and refuses a message
 * longer than max_recv_msg_length as soon as a frame header announces it. */
#include "ws_frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <wslay/wslay.h>

struct ws_frame {
	wslay_event_context_ptr ctx;
	struct ws_frame_cbs cbs;
	void *arg;
	const uint8_t *in;          /* what ws_frame_feed is handing over now */
	size_t in_len;
	uint8_t out[16384];         /* framed bytes wslay has sent, for ws_frame_take */
	size_t out_len;
	bool ended;
	char why[160];
};

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
		       void *user)
{
	struct ws_frame *f = user;
	size_t n = f->in_len < len ? f->in_len : len;

	(void)flags;
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	memcpy(buf, f->in, n);
	f->in += n;
	f->in_len -= n;
	return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user)
{
	struct ws_frame *f = user;
	size_t room = sizeof(f->out) - f->out_len, n = len < room ? len : room;

	(void)flags;
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	memcpy(f->out + f->out_len, data, n);
	f->out_len += n;
	return (ssize_t)n;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
	(void)user;
	if (RAND_bytes(buf, (int)len) != 1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return 0;
}

static void set_why(struct ws_frame *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_why(struct ws_frame *f, const char *fmt, ...)
{
	va_list ap;

	if (f->ended)
		return;
	f->ended = true;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}

static void msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
		   void *user)
{
	struct ws_frame *f = user;

	(void)ctx;
	if (f->cbs.alive)
		f->cbs.alive(f->arg);
	if (a->opcode == WSLAY_TEXT_FRAME || a->opcode == WSLAY_BINARY_FRAME) {
		if (!f->ended && f->cbs.message)
			f->cbs.message(f->arg, a->msg ? (const char *)a->msg : "", a->msg_length);
	} else if (a->opcode == WSLAY_CONNECTION_CLOSE) {
		set_why(f, "the server closed the WebSocket (code %u)", (unsigned)a->status_code);
	}
}

int ws_frame_alloc(struct ws_frame **fp, const struct ws_frame_cbs *cbs, void *arg)
{
	static const struct wslay_event_callbacks wcb = {
		.recv_callback = recv_cb,
		.send_callback = send_cb,
		.genmask_callback = genmask_cb,
		.on_msg_recv_callback = msg_cb,
	};
	struct ws_frame *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->cbs = *cbs;
	f->arg = arg;
	if (wslay_event_context_client_init(&f->ctx, &wcb, f) != 0) {
		free(f);
		return -1;
	}
	wslay_event_config_set_max_recv_msg_length(f->ctx, WS_MSG_MAX);
	*fp = f;
	return 0;
}

void ws_frame_free(struct ws_frame *f)
{
	if (!f)
		return;
	wslay_event_context_free(f->ctx);
	free(f);
}

/* Let wslay frame what it has queued into out (as much as fits). */
static void pump(struct ws_frame *f)
{
	while (f->out_len < sizeof(f->out) && wslay_event_want_write(f->ctx)) {
		size_t before = f->out_len;
		if (wslay_event_send(f->ctx) != 0 || f->out_len == before)
			break;
	}
}

/* After wslay has read: did it decide the link is over? A close it queued (1002 for a bad
 * frame, 1009 for a message over the limit) shows once it is framed. */
static void check_state(struct ws_frame *f)
{
	if (f->ended)
		return;
	pump(f);
	if (wslay_event_get_close_sent(f->ctx)) {
		uint16_t code = wslay_event_get_status_code_sent(f->ctx);
		if (code == WSLAY_CODE_MESSAGE_TOO_BIG)
			set_why(f, "the server sent a message over the %u-byte limit", (unsigned)WS_MSG_MAX);
		else if (code == WSLAY_CODE_PROTOCOL_ERROR)
			set_why(f, "the server broke the WebSocket protocol (bad frame)");
		else if (code != WSLAY_CODE_NORMAL_CLOSURE || !wslay_event_get_close_received(f->ctx))
			set_why(f, "WebSocket closed (code %u)", (unsigned)code);
	}
	if (!wslay_event_get_read_enabled(f->ctx))
		set_why(f, "WebSocket closed");
}

int ws_frame_feed(struct ws_frame *f, const uint8_t *data, size_t len)
{
	if (f->ended)
		return -1;
	f->in = data;
	f->in_len = len;
	/* wslay reads at most a buffer at a time; go on until all is consumed. */
	while (f->in_len > 0 && !f->ended && wslay_event_get_read_enabled(f->ctx)) {
		size_t before = f->in_len;
		int rv = wslay_event_recv(f->ctx);

		if (rv != 0) {
			set_why(f, "WebSocket framing failed (wslay error %u)", (unsigned)-rv);
			break;
		}
		check_state(f);
		if (f->in_len == before)
			break;
	}
	check_state(f);
	f->in = NULL;
	f->in_len = 0;
	return f->ended ? -1 : 0;
}

int ws_frame_send_text(struct ws_frame *f, const char *data, size_t len)
{
	struct wslay_event_msg m = { WSLAY_TEXT_FRAME, (const uint8_t *)data, len };

	if (f->ended || len > WS_MSG_MAX ||
	    wslay_event_get_queued_msg_length(f->ctx) + len > WS_OUT_MAX)
		return -1;
	return wslay_event_queue_msg(f->ctx, &m) == 0 ? 0 : -1;
}

int ws_frame_send_ping(struct ws_frame *f)
{
	struct wslay_event_msg m = { WSLAY_PING, NULL, 0 };

	if (f->ended)
		return -1;
	return wslay_event_queue_msg(f->ctx, &m) == 0 ? 0 : -1;
}

void ws_frame_close(struct ws_frame *f)
{
	if (!wslay_event_get_close_sent(f->ctx))
		(void)wslay_event_queue_close(f->ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
}

size_t ws_frame_take(struct ws_frame *f, uint8_t *out, size_t size)
{
	size_t n;

	pump(f);
	n = f->out_len < size ? f->out_len : size;
	memcpy(out, f->out, n);
	memmove(f->out, f->out + n, f->out_len - n);
	f->out_len -= n;
	return n;
}

size_t ws_frame_queued(const struct ws_frame *f)
{
	return wslay_event_get_queued_msg_length(f->ctx) + f->out_len;
}

bool ws_frame_ended(const struct ws_frame *f)
{
	return f->ended;
}

const char *ws_frame_why(const struct ws_frame *f)
{
	return f->ended ? f->why : "";
}
