/* The SIP trace: reassembly of tport's log lines, masking of secrets, the bounded ring. */
#include "trace.h"
#include "strutil.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static const char *const invite_lines[] = {
	"send 400 bytes to udp/[127.0.0.1]:5080 at 19:27:32.838134:\n",
	"   ------------------------------------------------------------------------\n",
	"   INVITE sip:bob@127.0.0.1:5080 SIP/2.0\n",
	"   Via: SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bK1\n",
	"   CSeq: 2 INVITE\n",
	"   i: abc-123\n",
	"   Proxy-Authorization: Digest username=\"alice\", realm=\"lab\", nonce=\"5f3e\", "
	"uri=\"sip:bob@127.0.0.1\", response=\"0123456789abcdef0123456789abcdef\", cnonce=\"xyz\", "
	"qop=auth, nc=00000001\n",
	"   Content-Length: 0\n",
	"   \n",
	"   ------------------------------------------------------------------------\n",
};

static void test_reassembles_a_message_from_tport_lines(void)
{
	struct trace *t;
	CHECK_INT(trace_alloc(&t, 10, 100000), 0);
	for (size_t i = 0; i < sizeof(invite_lines) / sizeof(invite_lines[0]); i++)
		trace_feed_line(t, invite_lines[i]);
	CHECK_INT(trace_count(t), 1);
	const struct trace_msg *m = trace_get(t, trace_last_seq(t));
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(m->outgoing);
	CHECK_STR(m->transport, "udp");
	CHECK_STR(m->peer, "127.0.0.1:5080");
	CHECK_STR(m->method, "INVITE");
	CHECK_STR(m->summary, "INVITE sip:bob@127.0.0.1:5080");
	CHECK_STR(m->call_id, "abc-123");
	CHECK_INT(m->cseq, 2);
	CHECK(strstr(m->text, "0123456789abcdef") == NULL);
	CHECK(strstr(m->text, "5f3e") == NULL);
	CHECK(strstr(m->text, "response=\"NOT SHOWN\"") != NULL);
	CHECK(strstr(m->text, "username=\"alice\"") != NULL);
	trace_free(t);
}

/* The chunking Sofia 1.12.11 really uses: stamp and separator in one call, each header's
 * text and its newline in two. */
static void test_reassembles_sofia_chunked_output(void)
{
	static const char *const chunks[] = {
		"recv 120 bytes from tcp/[127.0.0.1]:5070 at 21:23:08.064015:\n"
		"   ------------------------------------------------------------------------\n",
		"   SIP/2.0 401 Unauthorized", "\n", "   CSeq: 5 REGISTER", "\n",
		"   WWW-Authenticate: Digest realm=\"lab\", nonce=\"abc\"", "\n", "   ", "\n",
		"   ------------------------------------------------------------------------\n",
	};
	struct trace *t;
	CHECK_INT(trace_alloc(&t, 10, 100000), 0);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		trace_feed_text(t, chunks[i]);
	CHECK_INT(trace_count(t), 1);
	const struct trace_msg *m = trace_get(t, 1);
	CHECK(m && !m->outgoing && m->status == 401);
	CHECK_STR(m ? m->transport : "", "tcp");
	CHECK_STR(m ? m->method : "", "REGISTER");
	CHECK(m && strstr(m->text, "nonce=\"NOT SHOWN\"") != NULL);
	trace_free(t);
}

static void test_response_summary_and_method_from_cseq(void)
{
	struct trace *t;
	const char *msg = "SIP/2.0 180 Ringing\r\nCSeq: 7 INVITE\r\nCall-ID: x1\r\n\r\n";
	trace_alloc(&t, 10, 100000);
	trace_add(t, false, "tcp", "10.0.0.1:5060", msg, strlen(msg), NULL);
	const struct trace_msg *m = trace_get(t, 1);
	CHECK(m && !m->is_request);
	CHECK(m && m->status == 180);
	CHECK_STR(m ? m->method : "", "INVITE");
	CHECK_STR(m ? m->summary : "", "180 Ringing");
	trace_free(t);
}

static void test_ring_drops_oldest_when_full(void)
{
	struct trace *t;
	const char *msg = "OPTIONS sip:x SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n";
	trace_alloc(&t, 3, 100000);
	for (int i = 0; i < 5; i++)
		trace_add(t, true, "udp", "1.2.3.4:5060", msg, strlen(msg), NULL);
	CHECK_INT(trace_count(t), 3);
	CHECK_INT(trace_first_seq(t), 3);
	CHECK_INT(trace_last_seq(t), 5);
	CHECK(trace_get(t, 2) == NULL);
	trace_free(t);
}

static void test_byte_budget_bounds_the_ring(void)
{
	struct trace *t;
	char big[1000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "MESSAGE sip:x SIP/2.0\r\n", 23);
	trace_alloc(&t, 100, 2500);
	for (int i = 0; i < 10; i++)
		trace_add(t, true, "udp", "1.2.3.4:5060", big, strlen(big), NULL);
	CHECK(trace_count(t) <= 2);
	trace_free(t);
}

static void test_escape_terminal_neutralises_escape_sequences(void)
{
	char out[64];
	const char *evil = "hi\x1b]0;owned\x07\x1b[2J\xc2\x9b" "ok";
	str_escape_terminal(out, sizeof(out), evil, strlen(evil), false);
	CHECK_STR(out, "hi\\e]0;owned\\x07\\e[2J\\xC2\\x9Bok");
}

int main(void)
{
	RUN(test_reassembles_a_message_from_tport_lines);
	RUN(test_reassembles_sofia_chunked_output);
	RUN(test_response_summary_and_method_from_cseq);
	RUN(test_ring_drops_oldest_when_full);
	RUN(test_byte_budget_bounds_the_ring);
	RUN(test_escape_terminal_neutralises_escape_sequences);
	return unit_done();
}
