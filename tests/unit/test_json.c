/* The JSON writer: every line valid whatever bytes a peer sends. */
#include "json.h"
#include "unit.h"

static void test_object_with_every_type(void)
{
	char buf[256];
	struct jw w;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "call");
	jw_int(&w, "id", 3);
	jw_bool(&w, "srtp", true);
	jw_double(&w, "j", 1.5);
	jw_array_begin(&w, "a");
	jw_array_str(&w, "x");
	jw_array_str(&w, "y");
	jw_array_end(&w);
	CHECK_STR(jw_end(&w), "{\"event\":\"call\",\"id\":3,\"srtp\":true,\"j\":1.50,\"a\":[\"x\",\"y\"]}");
}

static void test_control_and_quote_characters_are_escaped(void)
{
	char buf[256];
	struct jw w;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "b", "a\"b\\c\n\x1b[2J\x01");
	CHECK_STR(jw_end(&w), "{\"b\":\"a\\\"b\\\\c\\n\\u001b[2J\\u0001\"}");
}

static void test_invalid_utf8_is_replaced(void)
{
	char buf[256];
	struct jw w;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "b", "caf\xc3\xa9 \xff\xc0\xaf");
	CHECK_STR(jw_end(&w), "{\"b\":\"caf\xc3\xa9 \\ufffd\\ufffd\\ufffd\"}");
}

static void test_overflow_returns_null(void)
{
	char buf[16];
	struct jw w;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "a long value that does not fit");
	CHECK(jw_end(&w) == NULL);
}

int main(void)
{
	RUN(test_object_with_every_type);
	RUN(test_control_and_quote_characters_are_escaped);
	RUN(test_invalid_utf8_is_replaced);
	RUN(test_overflow_returns_null);
	return unit_done();
}
