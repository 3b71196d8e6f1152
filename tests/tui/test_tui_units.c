/* test_tui_units.c: the parts of the terminal UI that need no terminal: reading the app's
 * JSON events, the MOS estimate and meters, the line editor, the chat store, text widths
 * and wrapping, the key table (no key means two things in one view), and the message
 * detail (what the network sent is escaped). */
#include "../unit/unit.h"
#include "../../tui/chat.h"
#include "../../tui/editor.h"
#include "../../tui/jsonget.h"
#include "../../tui/lines.h"
#include "../../tui/quality.h"
#include "../../tui/sipmsg.h"
#include "../../tui/tui_int.h"
#include "trace.h"

#include <locale.h>
#include <stdlib.h>

static void test_json_fields_are_decoded(void)
{
	const char *ev = "{\"event\":\"message\",\"nested\":{\"body\":\"no\",\"a\":[1,{\"x\":\"]\"}]},"
			 "\"from\":\"sip:a@b\",\"body\":\"\\u001b[2J \\\"q\\\" \\ud83d\\udd12 \\n\","
			 "\"n\":-42,\"ok\":true,\"f\":1.5}";
	char s[64];
	long long n = 0;
	bool b = false;
	double d = 0;

	CHECK(json_get_str(ev, "event", s, sizeof(s)));
	CHECK_STR(s, "message");
	CHECK(json_get_str(ev, "body", s, sizeof(s))); /* the top-level one, not nested's */
	CHECK_STR(s, "\x1b[2J \"q\" \xf0\x9f\x94\x92 \n");
	CHECK(json_get_int(ev, "n", &n));
	CHECK_INT(n, -42);
	CHECK(json_get_bool(ev, "ok", &b) && b);
	CHECK(json_get_double(ev, "f", &d) && d == 1.5);
	CHECK(!json_get_str(ev, "missing", s, sizeof(s)));
	CHECK_STR(s, "");
	CHECK(!json_get_str(ev, "n", s, sizeof(s))); /* not a string */
	/* cut at a character boundary, never inside the lock's four bytes */
	CHECK(json_get_str("{\"k\":\"ab\\ud83d\\udd12\"}", "k", s, 5));
	CHECK_STR(s, "ab");
	CHECK(!json_get_str("{\"k\":\"unterminated}", "k", s, sizeof(s)));
	CHECK(!json_get_str("not json", "k", s, sizeof(s)));
}

static void test_mos_falls_with_loss_jitter_and_delay(void)
{
	double clean = quality_mos(0, 0, 0), lossy = quality_mos(5, 0, 0);
	double jittery = quality_mos(0, 40, 0), far = quality_mos(0, 0, 1000);

	CHECK(clean > 4.3 && clean <= 4.5);
	CHECK(lossy < clean - 0.3);
	CHECK(jittery < clean);
	CHECK(far < 3.6);
	CHECK(quality_mos(100, 500, 5000) >= 1.0);
	CHECK_INT(quality_level_step(0, 8), 0);
	CHECK_INT(quality_level_step(1.0, 8), 7);
	CHECK_INT(quality_level_step(0.0001, 8), 0);  /* -80 dBFS: silence */
	CHECK(quality_level_step(0.1, 8) > 0 && quality_level_step(0.1, 8) < 7);
}

static void test_editor_keeps_utf8_whole(void)
{
	struct editor e;

	ed_clear(&e);
	CHECK_INT(ed_key(&e, 'h'), ED_CHANGED);
	CHECK_INT(ed_key(&e, 0xE9), ED_CHANGED);     /* é: two bytes */
	CHECK_INT(ed_key(&e, 0x1F512), ED_CHANGED);  /* the lock: four */
	CHECK_STR(e.buf, "h\xc3\xa9\xf0\x9f\x94\x92");
	CHECK_INT(ed_key(&e, TK_FN(KEY_BACKSPACE)), ED_CHANGED);
	CHECK_STR(e.buf, "h\xc3\xa9");
	CHECK_INT(ed_key(&e, TK_FN(KEY_LEFT)), ED_MOVED);
	CHECK_INT(e.cur, 1);
	CHECK_INT(ed_key(&e, 'x'), ED_CHANGED);
	CHECK_STR(e.buf, "hx\xc3\xa9");
	ed_set(&e, "call bob now");
	CHECK_INT(ed_key(&e, TK_CTRL('W')), ED_CHANGED);
	CHECK_STR(e.buf, "call bob ");
	CHECK_INT(ed_key(&e, 0x1b), ED_CANCEL);
	CHECK_INT(ed_key(&e, '\r'), ED_ENTER);
	CHECK_INT(ed_key(&e, 0x9b), ED_UNHANDLED);   /* a C1 control is not text */
	CHECK_INT(ed_key(&e, 0x0e), ED_UNHANDLED);  /* ^N: not ours */
	/* never overflows */
	ed_clear(&e);
	for (int i = 0; i < 3000; i++)
		ed_key(&e, 0x20AC);
	CHECK(e.len < EDITOR_MAX);
	CHECK_INT(e.len % 3, 0);
}

static void test_chat_store_is_bounded_and_tracks_delivery(void)
{
	static struct chat c;
	struct chat_peer *p;
	char uri[64];

	chat_init(&c);
	chat_add(&c, "\"Bob\" <sip:bob@Example.org>", "Bob", false, "hi", 1);
	p = chat_peer(&c, "sip:bob@example.org;transport=udp", false);
	CHECK(p != NULL);
	CHECK_INT(p->unread, 1);
	CHECK_STR(p->display, "Bob");
	chat_add(&c, "sip:bob@example.org", NULL, true, "hello", 2);
	chat_sent(&c, "sip:bob@example.org", 7);
	CHECK(chat_status(&c, 7, 200, "OK") == p);
	CHECK_INT(chat_msg_at(p, 1)->status, 200);
	CHECK(chat_status(&c, 8, 200, "OK") == NULL);
	CHECK_INT(chat_unread_total(&c), 1);
	for (int i = 0; i < CHAT_MAX_MSGS + 10; i++)
		chat_add(&c, "sip:bob@example.org", NULL, false, "x", 3);
	CHECK_INT(p->count, CHAT_MAX_MSGS);
	for (int i = 0; i < CHAT_MAX_PEERS + 5; i++) {
		snprintf(uri, sizeof(uri), "sip:p%d@h", i);
		chat_add(&c, uri, NULL, false, "x", 4);
	}
	/* bob has been quiet the longest: forgotten first */
	CHECK(chat_peer(&c, "sip:bob@example.org", false) == NULL);
	CHECK(chat_peer(&c, "sip:p36@h", false) != NULL);
	chat_free(&c);
}

/* What a peer's conversation holds after the history's rows are merged in: every message
 * once, in order, with the freshest delivery state. */
static void check_order(const struct chat_peer *p, const char *const *want, unsigned n)
{
	CHECK_INT(p->count, n);
	for (unsigned i = 0; i < n && i < p->count; i++)
		CHECK_STR(chat_msg_at(p, i)->text, want[i]);
}

static void test_chat_merges_the_history_without_doubles(void)
{
	static struct chat c;
	struct chat_peer *p;
	struct chat_msg *m;
	static const char *const after[] = { "old one", "old reply", "lost", "hi", "hello",
					     "not sent", "late" };
	struct chat_stored rows[] = {
		{ 10, false, 50, 0, "", "old one" },
		{ 11, true, 60, 200, "OK", "old reply" },
		{ 12, true, 70, CHAT_UNCONFIRMED, "", "lost" },
		{ 13, false, 100, 0, "", "hi" },
		{ 14, true, 101, 202, "Accepted", "hello" },
		{ 15, false, 200, 0, "", "late" },
	};

	CHECK_INT(chat_stored_status("received", 0), 0);
	CHECK_INT(chat_stored_status("delivered", 202), 202);
	CHECK_INT(chat_stored_status("failed", 404), 404);
	CHECK_INT(chat_stored_status("failed", 0), CHAT_NOT_SENT);
	CHECK_INT(chat_stored_status("sending", 0), CHAT_UNCONFIRMED);

	chat_init(&c);
	/* this session: the history recorded all but the message that never left */
	chat_add(&c, "sip:bob@example.org", NULL, false, "hi", 100);
	chat_add(&c, "sip:bob@example.org", NULL, true, "hello", 101);
	CHECK(chat_sent(&c, "sip:bob@example.org", 7));
	chat_add(&c, "sip:bob@example.org", NULL, true, "not sent", 102);
	chat_not_sent(&c, "sip:bob@example.org", "no account");
	CHECK(!chat_sent(&c, "sip:bob@example.org", 8)); /* nothing waits for an id now */
	chat_add(&c, "sip:bob@example.org", NULL, false, "late", 200);
	p = chat_peer(&c, "sip:bob@example.org", false);
	CHECK_INT(chat_merge(p, rows, 6, true), 0);
	check_order(p, after, 7);
	CHECK_INT(p->unread, 2);                  /* the history's are not new */
	m = (struct chat_msg *)chat_msg_at(p, 4);
	CHECK_INT(m->status, 202);                /* the history had its answer already */
	CHECK_INT(m->cookie, 7);
	CHECK_INT(m->hist_id, 14);
	CHECK_INT(chat_msg_at(p, 1)->status, 200);
	CHECK_INT(chat_msg_at(p, 2)->status, CHAT_UNCONFIRMED);
	CHECK_INT(chat_msg_at(p, 5)->status, CHAT_NOT_SENT);
	CHECK_INT(chat_msg_at(p, 5)->hist_id, 0);
	CHECK_STR(chat_msg_at(p, 5)->reason, "no account");
	/* the same rows again change nothing */
	CHECK_INT(chat_merge(p, rows, 6, true), 0);
	check_order(p, after, 7);
	/* a status that comes now still finds its message */
	CHECK(chat_status(&c, 7, 200, "OK") == p);

	/* a text said twice pairs with its rows in order; an older page goes first and never
	 * takes this session's messages for its own */
	{
		static const char *const twice[] = { "ancient", "ok", "ok" };
		struct chat_stored more[] = { { 20, true, 300, 200, "", "ok" },
					      { 21, true, 301, 200, "", "ok" } };
		struct chat_stored older[] = { { 5, true, 299, 200, "", "ok" } };
		struct chat_stored first[] = { { 4, false, 10, 0, "", "ancient" } };
		chat_add(&c, "sip:carol@example.org", NULL, true, "ok", 300);
		chat_add(&c, "sip:carol@example.org", NULL, true, "ok", 301);
		p = chat_peer(&c, "sip:carol@example.org", false);
		CHECK_INT(chat_merge(p, more, 2, true), 0);
		CHECK_INT(p->count, 2);
		CHECK_INT(chat_msg_at(p, 0)->hist_id, 20);
		CHECK_INT(chat_msg_at(p, 1)->hist_id, 21);
		CHECK_INT(chat_merge(p, first, 1, false), 0);
		check_order(p, twice, 3);
		CHECK_INT(chat_oldest_id(p), 4);
		CHECK_INT(chat_merge(p, older, 1, false), 0);
		CHECK_INT(p->count, 4);
		CHECK_INT(chat_msg_at(p, 1)->hist_id, 5);
	}

	/* pages past the limit: the oldest go, and the peer says there are older ones */
	{
		static struct chat_stored page[CHAT_PAGE];
		static char texts[CHAT_PAGE][16];
		p = chat_peer(&c, "sip:dave@example.org", true);
		for (int round = 0; round < CHAT_MAX_MSGS / CHAT_PAGE + 2; round++) {
			for (int i = 0; i < CHAT_PAGE; i++) {
				long long id = 100000 - (long long)(round + 1) * CHAT_PAGE + i;
				snprintf(texts[i], sizeof(texts[i]), "m%lld", id);
				page[i] = (struct chat_stored){ id, false, 1000, 0, "", texts[i] };
			}
			if (chat_full(p))
				break;
			CHECK_INT(chat_merge(p, page, CHAT_PAGE, round == 0), 0);
		}
		CHECK(chat_full(p));
		CHECK_INT(p->count, CHAT_MAX_MSGS);
		CHECK_STR(chat_msg_at(p, CHAT_MAX_MSGS - 1)->text, "m99999");  /* newest kept */
	}
	chat_free(&c);
}

static void test_text_width_and_wrapping(void)
{
	struct lines l;
	int used;

	CHECK_INT(text_width("a\xf0\x9f\x94\x92" "b"), 4);  /* the lock is two columns */
	CHECK_INT(text_width("\xc3\xa9t\xc3\xa9"), 3);
	CHECK_INT(text_fit("a\xf0\x9f\x94\x92" "b", 6, 2, &used), 1); /* no half lock */
	CHECK_INT(used, 1);
	lines_init(&l);
	CHECK_INT(lines_add_wrapped(&l, 0, "0123456789abcdef\nxy", 8, 2), 0);
	CHECK_INT(l.n, 4);
	CHECK_STR(l.v[0], "01234567");
	CHECK_STR(l.v[1], "  89abcd");
	CHECK_STR(l.v[2], "  ef");
	CHECK_STR(l.v[3], "xy");
	lines_clear(&l);
}

/* In every view, a key means one thing: the first row wins, so a second row with the same
 * key in the same view would be dead (and its help a lie). */
static void test_no_key_is_bound_twice_in_a_view(void)
{
	const unsigned g = SCOPE(SC_GLOBAL), main_ = SCOPE(SC_MAIN);
	const unsigned views[] = {
		contacts_ops.scopes | g | main_, calls_ops.scopes | g | main_,
		log_ops.scopes | g | main_, detail_ops.scopes | g, ladder_ops.scopes | g,
		help_ops.scopes | g, chat_ops.scopes | g, history_ops.scopes | g, SCOPE(SC_POPUP),
		SCOPE(SC_CONFIRM),
	};

	for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
		for (unsigned i = 0; i < REQ_COUNT - 1; i++) {
			const struct key_def *a = &key_table[i];
			if (!(views[v] & SCOPE(a->scope)))
				continue;
			for (unsigned j = i + 1; j < REQ_COUNT - 1; j++) {
				const struct key_def *b = &key_table[j];
				if (!(views[v] & SCOPE(b->scope)))
					continue;
				bool clash = (a->key && (a->key == b->key || a->key == b->alt)) ||
					     (a->alt && (a->alt == b->key || a->alt == b->alt));
				if (clash)
					fprintf(stderr, "view %zu: %s and %s share a key\n", v, a->label,
						b->label);
				CHECK(!clash);
			}
			CHECK(a->help && a->help[0] && a->label && a->label[0]);
		}
	}
	CHECK_INT(keys_lookup(log_ops.scopes | g | main_, 'h'), REQ_HANGUP);
	CHECK_INT(keys_lookup(detail_ops.scopes | g, 'q'), REQ_CLOSE);
	CHECK_INT(keys_lookup(contacts_ops.scopes | g | main_, 'q'), REQ_QUIT);
	CHECK_INT(keys_lookup(contacts_ops.scopes | g | main_, '#'), REQ_DTMF);
	CHECK_INT(keys_lookup(contacts_ops.scopes | g | main_, 'Z'), REQ_NONE);
}

static void test_detail_escapes_the_network(void)
{
	const char *msg = "MESSAGE sip:me@h SIP/2.0\r\n"
			  "From: \"\x1b]0;evil\x07\" <sip:x@h>;tag=1\r\n"
			  "To: <sip:me@h>\r\nCall-ID: abc@h\r\nCSeq: 2 MESSAGE\r\n"
			  "Content-Type: text/plain\r\nContent-Length: 9\r\n\r\n\x1b[2Jboom\x9b";
	struct trace *t;
	const struct trace_msg *m;
	struct lines l;
	bool call_id = false, from = false, body = false;

	CHECK_INT(trace_alloc(&t, 8, 1 << 20), 0);
	trace_add(t, false, "udp", "127.0.0.1:5060", msg, strlen(msg), NULL);
	m = trace_get(t, trace_last_seq(t));
	CHECK(m != NULL);
	lines_init(&l);
	CHECK_INT(sipmsg_describe(m, &l, 60, 1, 0), 0);
	for (unsigned i = 0; i < l.n; i++) {
		for (const char *p = l.v[i]; *p; p++)
			CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
		call_id |= strstr(l.v[i], "Call-ID:") && strstr(l.v[i], "abc@h");
		from |= strstr(l.v[i], "From:") && strstr(l.v[i], "\\e]0;evil\\x07");
		body |= strstr(l.v[i], "\\e[2Jboom\\x9B") != NULL;
	}
	CHECK(call_id);
	CHECK(from);
	CHECK(body);
	lines_clear(&l);
	trace_free(t);
}

int main(void)
{
	/* widths need a UTF-8 locale, as on the terminal */
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "");
	RUN(test_json_fields_are_decoded);
	RUN(test_mos_falls_with_loss_jitter_and_delay);
	RUN(test_editor_keeps_utf8_whole);
	RUN(test_chat_store_is_bounded_and_tracks_delivery);
	RUN(test_chat_merges_the_history_without_doubles);
	RUN(test_text_width_and_wrapping);
	RUN(test_no_key_is_bound_twice_in_a_view);
	RUN(test_detail_escapes_the_network);
	return unit_done();
}
