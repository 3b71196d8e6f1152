/* test_ws_sip.c: Sofia's TCP stream cut into messages by Content-Length, and the RFC 7118
 * rewrites both ways: what a registrar sees is a WebSocket client, what Sofia sees is its
 * own TCP transport. */
#include "sip/ws_sip.h"
#include "unit.h"

static const char reg[] =
	"REGISTER sip:example.org SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKx;rport\r\n"
	"From: <sip:alice@example.org>;tag=1\r\n"
	"To: <sip:alice@example.org>\r\n"
	"Call-ID: c1\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Contact: <sip:alice@127.0.0.1:5070;transport=tcp>\r\n"
	"Content-Length: 0\r\n\r\n";

static void test_split_by_content_length(void)
{
	char why[100], buf[600];
	size_t skip = 0, len = 0;
	const char *inv = "INVITE sip:b SIP/2.0\r\nl: 5\r\n\r\nhello";

	snprintf(buf, sizeof(buf), "\r\n\r\n%s%s", inv, reg);
	CHECK_INT(ws_sip_split(buf, strlen(buf), 65536, &skip, &len, why, sizeof(why)), 1);
	CHECK_INT(skip, 4);
	CHECK_INT(len, strlen(inv));
	CHECK_INT(ws_sip_split(buf + skip + len, strlen(reg), 65536, &skip, &len, why,
			       sizeof(why)), 1);
	CHECK_INT(len, strlen(reg));
	/* Any cut short of the end waits for more. */
	for (size_t n = 0; n < strlen(inv); n++)
		CHECK_INT(ws_sip_split(inv, n, 65536, &skip, &len, why, sizeof(why)), 0);
	CHECK_INT(ws_sip_split("\r\n", 2, 65536, &skip, &len, why, sizeof(why)), 0);
	CHECK_INT(skip, 2);
}

static void test_split_refuses_oversized_and_unreadable(void)
{
	char why[100];
	size_t skip, len;

	const char *huge = "MESSAGE x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n";
	const char *bad = "MESSAGE x SIP/2.0\r\nContent-Length: x\r\n\r\n";

	CHECK_INT(ws_sip_split(huge, strlen(huge), 65536, &skip, &len, why, sizeof(why)), -1);
	CHECK(strstr(why, "longer") != NULL);
	CHECK_INT(ws_sip_split(bad, strlen(bad), 65536, &skip, &len, why, sizeof(why)), -1);
	CHECK_INT(ws_sip_split("MESSAGE x SIP/2.0\r\nX: yyyyyyyyyyyyyy", 36, 20, &skip, &len, why,
			       sizeof(why)), -1);
	CHECK(strstr(why, "headers") != NULL);
}

static void test_register_becomes_a_websocket_client(void)
{
	char out[sizeof(reg) + WS_SIP_GROWTH];
	struct ws_sip_out o = { true, "urn:uuid:0f9a5b4c-1111-2222-3333-444455556666" };
	size_t n = ws_sip_to_server(reg, strlen(reg), out, sizeof(out), &o);

	CHECK(n > 0);
	out[n] = '\0';
	CHECK(strstr(out, "\r\nVia: SIP/2.0/WSS 127.0.0.1:5070;branch=z9hG4bKx;rport\r\n") != NULL);
	CHECK(strstr(out, "\r\nContact: <sip:alice@127.0.0.1:5070;transport=ws;ob>;reg-id=1;"
		     "+sip.instance=\"<urn:uuid:0f9a5b4c-1111-2222-3333-444455556666>\"\r\n") != NULL);
	CHECK(!strcmp(out + n - 21, "Content-Length: 0\r\n\r\n"));
	/* Short of room: refused, not cut. */
	CHECK_INT(ws_sip_to_server(reg, strlen(reg), out, strlen(reg) + 10, &o), 0);
}

static void test_only_top_via_and_contact_change(void)
{
	const char *inv =
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"v: SIP/2.0/TCP 127.0.0.1:5070;branch=a, SIP/2.0/TCP 10.0.0.1;branch=b\r\n"
		"Via: SIP/2.0/TCP 10.0.0.2;branch=c\r\n"
		"m: <sip:alice@127.0.0.1:5070;transport=TCP>\r\n"
		"Content-Length: 22\r\n\r\n"
		"Via: SIP/2.0/TCP body\r\n";
	char out[600];
	struct ws_sip_out o = { false, NULL };
	size_t n = ws_sip_to_server(inv, strlen(inv), out, sizeof(out), &o);

	out[n] = '\0';
	CHECK(strstr(out, "v: SIP/2.0/WS 127.0.0.1:5070;branch=a, SIP/2.0/TCP 10.0.0.1") != NULL);
	CHECK(strstr(out, "\r\nVia: SIP/2.0/TCP 10.0.0.2;branch=c\r\n") != NULL);
	CHECK(strstr(out, "m: <sip:alice@127.0.0.1:5070;transport=ws>\r\n") != NULL);
	CHECK(strstr(out, ";ob") == NULL);
	CHECK(strstr(out, "\r\n\r\nVia: SIP/2.0/TCP body\r\n") != NULL);
}

/* Sofia's outbound Contact carries no transport at all: RFC 7118 wants ;transport=ws. */
static void test_contact_without_transport_gets_ws(void)
{
	const char *regm =
		"REGISTER sip:example.org SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 127.0.0.1:5070;branch=a\r\n"
		"Contact: <sip:127.0.0.1:5070;ob>\r\n"
		"Content-Length: 0\r\n\r\n";
	const char *inv =
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 127.0.0.1:5070;branch=a\r\n"
		"Contact: \"A\" <sip:alice@127.0.0.1:5070>;expires=60\r\n"
		"Content-Length: 0\r\n\r\n";
	char out[600];
	struct ws_sip_out o = { true, "urn:uuid:00000000-0000-4000-8000-000000000000" };
	size_t n = ws_sip_to_server(regm, strlen(regm), out, sizeof(out), &o);

	out[n] = '\0';
	CHECK(strstr(out, "Contact: <sip:127.0.0.1:5070;ob;transport=ws>;reg-id=1;") != NULL);
	n = ws_sip_to_server(inv, strlen(inv), out, sizeof(out), &o);
	out[n] = '\0';
	CHECK(strstr(out, "Contact: \"A\" <sip:alice@127.0.0.1:5070;transport=ws>;expires=60\r\n")
	      != NULL);
}

static void test_server_messages_come_back_as_tcp(void)
{
	const char *resp =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/WSS 127.0.0.1:5070;branch=z9hG4bKx;rport=5070;received=127.0.0.1\r\n"
		"Contact: <sip:alice@127.0.0.1:5070;transport=ws>;expires=600\r\n"
		"Content-Length: 0\r\n\r\n";
	char out[600];
	size_t n = ws_sip_to_sofia(resp, strlen(resp), out, sizeof(out));

	out[n] = '\0';
	CHECK_INT(n, strlen(resp));
	CHECK(strstr(out, "\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKx;") != NULL);
	CHECK(strstr(out, ";transport=ws>;expires=600") != NULL);
}

int main(void)
{
	RUN(test_split_by_content_length);
	RUN(test_split_refuses_oversized_and_unreadable);
	RUN(test_register_becomes_a_websocket_client);
	RUN(test_only_top_via_and_contact_change);
	RUN(test_contact_without_transport_gets_ws);
	RUN(test_server_messages_come_back_as_tcp);
	return unit_done();
}
