/* fuzz_trace.c: Sofia's transport log as the trace module reassembles it, and the secret
 * masking of every SIP message that ends up in the log pane or a --sip-trace file.
 *
 * The input is split at NUL bytes into chunks, each fed to trace_feed_text as tport's log
 * callback would hand it over (lines in pieces, several lines at once, none at all).
 * Seeds are real tport logs, so the fuzzer starts from whole stamped, indented messages.
 * Every message that lands in the small ring must be NUL-terminated, of its stated length,
 * with bounded summary fields; and the whole input is also masked directly with the
 * buffer size trace.h asks for. After masking, no digest response or nonce value of the
 * input may survive in a message: a quoted value after `response="` is NOT SHOWN. */
#include "fuzz.h"
#include "trace.h"

#include <strings.h>

static void check_msg(const struct trace_msg *m)
{
	FUZZ_ASSERT(m->text && strlen(m->text) == m->len);
	FUZZ_ASSERT(memchr(m->summary, '\0', sizeof(m->summary)));
	FUZZ_ASSERT(memchr(m->method, '\0', sizeof(m->method)));
	FUZZ_ASSERT(memchr(m->call_id, '\0', sizeof(m->call_id)));
	FUZZ_ASSERT(memchr(m->peer, '\0', sizeof(m->peer)));
	FUZZ_ASSERT(memchr(m->transport, '\0', sizeof(m->transport)));
	/* Every `response="` left in the text is followed by the mask. */
	for (const char *p = m->text; (p = strcasestr(p, "response=\"")) != NULL; p++) {
		if (p > m->text && ((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
				    (p[-1] >= '0' && p[-1] <= '9')))
			continue;
		FUZZ_ASSERT(strncmp(p + 10, "NOT SHOWN\"", 10) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace *t;
	char *all = fuzz_cstr(data, size);
	size_t cap = size + 64, n;
	char *out = malloc(cap);
	char hdr[64];

	if (!out || trace_alloc(&t, 4, 16 * 1024) != 0)
		abort();
	/* Chunks: the input between NUL bytes. */
	for (size_t off = 0; off <= size;) {
		const char *chunk = all + off;

		trace_feed_text(t, chunk);
		off += strlen(chunk) + 1;
	}
	FUZZ_ASSERT(trace_count(t) <= 4);
	for (uint64_t s = trace_first_seq(t); s && s <= trace_last_seq(t); s++) {
		const struct trace_msg *m = trace_get(t, s);

		FUZZ_ASSERT(m && m->seq == s);
		check_msg(m);
		(void)trace_header(m->text, "Via", 'v', hdr, sizeof(hdr));
		FUZZ_ASSERT(memchr(hdr, '\0', sizeof(hdr)));
	}
	trace_free(t);

	n = trace_mask(all, strlen(all), out, cap);
	FUZZ_ASSERT(n < cap && out[n] == '\0' && strlen(out) == n);
	/* A message straight from trace_add, with its summary. */
	if (trace_alloc(&t, 2, 1 << 20) != 0)
		abort();
	trace_add(t, false, "udp", "192.0.2.9:5060", all, strlen(all), NULL);
	if (trace_count(t))
		check_msg(trace_get(t, trace_last_seq(t)));
	trace_free(t);
	free(out);
	free(all);
	return 0;
}
