/* test_ws_frame.c: one SIP message per text frame, masked toward the server; what a
 * hostile server can send (a 10 MB frame, garbage, a masked frame, an instant close) ends
 * the link with a reason and no large allocation. */
#include "sip/ws_frame.h"
#include "unit.h"

#include <stdlib.h>

struct got {
	int n;
	char last[256];
	size_t last_len;
};

static void on_msg(void *arg, const char *data, size_t len)
{
	struct got *g = arg;

	g->n++;
	g->last_len = len;
	memcpy(g->last, data, len < sizeof(g->last) ? len : sizeof(g->last));
}

static struct ws_frame *link_new(struct got *g)
{
	static const struct ws_frame_cbs cbs = { .message = on_msg };
	struct ws_frame *f = NULL;

	memset(g, 0, sizeof(*g));
	CHECK_INT(ws_frame_alloc(&f, &cbs, g), 0);
	return f;
}

/* Unmask one client frame: returns its payload length, or -1. */
static long unframe(const uint8_t *b, size_t n, uint8_t *op, char *payload, size_t size)
{
	size_t len, h = 2;

	if (n < 2 || !(b[1] & 0x80))
		return -1;      /* a client frame must be masked */
	*op = b[0];
	len = b[1] & 0x7f;
	if (len == 126) {
		len = (size_t)b[2] << 8 | b[3];
		h = 4;
	}
	if (n < h + 4 + len || len > size)
		return -1;
	for (size_t i = 0; i < len; i++)
		payload[i] = (char)(b[h + 4 + i] ^ b[h + (i % 4)]);
	return (long)len;
}

static void test_message_goes_out_as_one_masked_text_frame(void)
{
	struct got g;
	struct ws_frame *f = link_new(&g);
	const char *msg = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n";
	uint8_t out[512], op = 0;
	char payload[512];
	size_t n;

	CHECK_INT(ws_frame_send_text(f, msg, strlen(msg)), 0);
	CHECK(ws_frame_queued(f) > 0);
	n = ws_frame_take(f, out, sizeof(out));
	CHECK_INT(unframe(out, n, &op, payload, sizeof(payload)), (long)strlen(msg));
	CHECK_INT(op, 0x81);
	CHECK(!memcmp(payload, msg, strlen(msg)));
	CHECK_INT(ws_frame_take(f, out, sizeof(out)), 0);
	ws_frame_free(f);
}

static void test_frames_in_pieces_and_together(void)
{
	struct got g;
	struct ws_frame *f = link_new(&g);
	const uint8_t two[] = { 0x81, 3, 'a', 'b', 'c', 0x81, 2, 'd', 'e' };
	/* A fragmented message: text "he" + continuation "llo" (FIN). */
	const uint8_t frag[] = { 0x01, 2, 'h', 'e', 0x80, 3, 'l', 'l', 'o' };

	for (size_t i = 0; i < sizeof(two); i++)
		CHECK_INT(ws_frame_feed(f, two + i, 1), 0);
	CHECK_INT(g.n, 2);
	CHECK(g.last_len == 2 && !memcmp(g.last, "de", 2));
	CHECK_INT(ws_frame_feed(f, frag, sizeof(frag)), 0);
	CHECK_INT(g.n, 3);
	CHECK(g.last_len == 5 && !memcmp(g.last, "hello", 5));
	CHECK(!ws_frame_ended(f));
	ws_frame_free(f);
}

static void test_ping_is_answered_with_pong(void)
{
	struct got g;
	struct ws_frame *f = link_new(&g);
	const uint8_t ping[] = { 0x89, 2, 'h', 'i' };
	uint8_t out[64], op = 0;
	char payload[8];
	size_t n;

	CHECK_INT(ws_frame_feed(f, ping, sizeof(ping)), 0);
	n = ws_frame_take(f, out, sizeof(out));
	CHECK_INT(unframe(out, n, &op, payload, sizeof(payload)), 2);
	CHECK_INT(op, 0x8a);
	CHECK_INT(ws_frame_send_ping(f), 0);
	n = ws_frame_take(f, out, sizeof(out));
	CHECK_INT(unframe(out, n, &op, payload, sizeof(payload)), 0);
	CHECK_INT(op, 0x89);
	ws_frame_free(f);
}

static void test_huge_frame_ends_link_before_buffering(void)
{
	struct got g;
	struct ws_frame *f = link_new(&g);
	/* A 10 MB text frame header, then the first bytes of its payload. */
	uint8_t hdr[10 + 100] = { 0x81, 127, 0, 0, 0, 0, 0, 0xa0, 0, 0 };

	CHECK_INT(ws_frame_feed(f, hdr, sizeof(hdr)), -1);
	CHECK(ws_frame_ended(f));
	printf("    %s\n", ws_frame_why(f));
	CHECK(strstr(ws_frame_why(f), "limit") != NULL);
	CHECK_INT(g.n, 0);
	CHECK_INT(ws_frame_send_text(f, "x", 1), -1);
	ws_frame_free(f);
}

static void test_garbage_and_masked_frames_end_link(void)
{
	struct got g;
	struct ws_frame *f = link_new(&g);
	const uint8_t rsv[] = { 0xf1, 1, 'x' };
	const uint8_t masked[] = { 0x81, 0x81, 1, 2, 3, 4, 'x' ^ 1 };

	CHECK_INT(ws_frame_feed(f, rsv, sizeof(rsv)), -1);
	printf("    %s\n", ws_frame_why(f));
	CHECK(strstr(ws_frame_why(f), "protocol") != NULL);
	ws_frame_free(f);
	f = link_new(&g);
	CHECK_INT(ws_frame_feed(f, masked, sizeof(masked)), -1);
	CHECK(ws_frame_ended(f));
	CHECK_INT(g.n, 0);
	ws_frame_free(f);
}

static void test_server_close_is_reported_with_its_code(void)
{
	struct got g;
	struct ws_frame *f = link_new(&g);
	const uint8_t close[] = { 0x88, 2, 0x03, 0xe9 };   /* 1001 going away */

	CHECK_INT(ws_frame_feed(f, close, sizeof(close)), -1);
	CHECK(strstr(ws_frame_why(f), "1001") != NULL);
	ws_frame_free(f);
}

static void test_send_queue_is_bounded(void)
{
	struct got g;
	struct ws_frame *f = link_new(&g);
	static char big[WS_MSG_MAX];
	int ok = 0;

	memset(big, 'a', sizeof(big));
	CHECK_INT(ws_frame_send_text(f, big, WS_MSG_MAX + 1), -1);
	for (int i = 0; i < 100; i++)
		ok += ws_frame_send_text(f, big, sizeof(big)) == 0;
	CHECK_INT(ok, WS_OUT_MAX / WS_MSG_MAX);
	CHECK(ws_frame_queued(f) <= WS_OUT_MAX);
	ws_frame_free(f);
}

int main(void)
{
	RUN(test_message_goes_out_as_one_masked_text_frame);
	RUN(test_frames_in_pieces_and_together);
	RUN(test_ping_is_answered_with_pong);
	RUN(test_huge_frame_ends_link_before_buffering);
	RUN(test_garbage_and_masked_frames_end_link);
	RUN(test_server_close_is_reported_with_its_code);
	RUN(test_send_queue_is_bounded);
	return unit_done();
}
