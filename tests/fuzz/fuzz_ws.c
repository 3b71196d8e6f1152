/* fuzz_ws.c: what a hostile WebSocket server can send a SIP client, through the code that
 * reads it: the HTTP answer to the opening handshake, then frames (wslay via ws_frame.c),
 * then the SIP messages inside them (split and rewritten toward Sofia by ws_sip.c).
 *
 * The first input byte picks where the handshake answer ends (0: no handshake, frames
 * only); the rest goes to ws_frame_feed in chunks whose sizes come from the input too.
 * Properties: the handshake never claims more than it was given; no message handed up is
 * longer than WS_MSG_MAX; bytes queued for the server stay bounded; after the link ended
 * no message is handed up; every split message fits its buffer and its rewrite toward
 * Sofia is at most a byte longer (WS -> TCP). */
#include "fuzz.h"
#include "sip/ws_frame.h"
#include "sip/ws_handshake.h"
#include "sip/ws_sip.h"

struct state {
	struct ws_frame *f;
	size_t msgs;
};

static void on_msg(void *arg, const char *data, size_t len)
{
	struct state *st = arg;
	char *out = malloc(len + 1);
	size_t skip, mlen, n;
	char why[128];

	FUZZ_ASSERT(!ws_frame_ended(st->f));
	FUZZ_ASSERT(len <= WS_MSG_MAX);
	if (!out)
		abort();
	st->msgs++;
	if (ws_sip_split(data, len, WS_MSG_MAX, &skip, &mlen, why, sizeof(why)) == 1) {
		FUZZ_ASSERT(skip + mlen <= len);
		n = ws_sip_to_sofia(data + skip, mlen, out, len + 1);
		FUZZ_ASSERT(n <= mlen + 1);
	}
	/* The way back too: the server's bytes as if Sofia had written them. */
	{
		struct ws_sip_out o = { true, "urn:uuid:00000000-0000-0000-0000-000000000000" };
		char *back = malloc(len + WS_SIP_GROWTH);
		if (!back)
			abort();
		n = ws_sip_to_server(data, len, back, len + WS_SIP_GROWTH, &o);
		FUZZ_ASSERT(n <= len + WS_SIP_GROWTH);
		free(back);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ws_frame_cbs cbs = { .message = on_msg };
	struct state st = { 0 };
	struct fuzz_in in = { data, size };
	size_t hs = fuzz_u8(&in) * 4u;
	uint8_t out[4096];
	char why[200];

	if (hs > in.n)
		hs = in.n;
	if (hs) {
		int r = ws_handshake_response((const char *)in.p, hs, "dGhlIHNhbXBsZSBub25jZQ==",
					      why, sizeof(why));
		FUZZ_ASSERT(r <= (int)hs);
		FUZZ_ASSERT(r <= WS_RESPONSE_MAX);
		if (r < 0)
			FUZZ_ASSERT(memchr(why, '\0', sizeof(why)) && why[0]);
		if (r > 0)
			hs = (size_t)r;
		in.p += hs;
		in.n -= hs;
	}
	if (ws_frame_alloc(&st.f, &cbs, &st) != 0)
		abort();
	while (in.n) {
		size_t chunk = (size_t)fuzz_u8(&in) * 8 + 1;
		if (chunk > in.n)
			chunk = in.n;
		int r = ws_frame_feed(st.f, in.p, chunk);
		in.p += chunk;
		in.n -= chunk;
		(void)ws_frame_send_text(st.f, "OPTIONS sip:x SIP/2.0\r\n\r\n", 26);
		FUZZ_ASSERT(ws_frame_queued(st.f) <= WS_OUT_MAX + sizeof(out) * 4);
		while (ws_frame_take(st.f, out, sizeof(out)) > 0)
			;
		if (r < 0) {
			FUZZ_ASSERT(ws_frame_ended(st.f) && ws_frame_why(st.f)[0]);
			FUZZ_ASSERT(ws_frame_feed(st.f, data, size) == -1);
			break;
		}
	}
	ws_frame_free(st.f);
	return 0;
}
