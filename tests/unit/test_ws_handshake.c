/* test_ws_handshake.c: ws:// URLs as JsSIP's `sockets` take them, and the RFC 6455
 * opening handshake with the sip subprotocol, checked the way a client must. */
#include "sip/ws_handshake.h"
#include "sip/ws_url.h"
#include "unit.h"

static void test_url_defaults_and_parts(void)
{
	struct ws_url u;
	char why[200], name[200];

	CHECK_INT(ws_url_parse("wss://sip.example.org:8443/ws", 29, &u, why, sizeof(why)), 0);
	CHECK(u.secure);
	CHECK_STR(u.host, "sip.example.org");
	CHECK_INT(u.port, 8443);
	CHECK_STR(u.path, "/ws");
	ws_url_name(&u, name, sizeof(name));
	CHECK_STR(name, "wss sip.example.org:8443");
	CHECK_INT(ws_url_parse(" ws://127.0.0.1 ", 16, &u, why, sizeof(why)), 0);
	CHECK(!u.secure);
	CHECK_INT(u.port, 80);
	CHECK_STR(u.path, "/");
	CHECK_INT(ws_url_parse("WSS://[::1]/?x=1", 16, &u, why, sizeof(why)), 0);
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.port, 443);
	CHECK_STR(u.path, "/?x=1");
	ws_url_hostport(&u, name, sizeof(name));
	CHECK_STR(name, "[::1]");
}

static void test_url_refuses_what_is_not_a_ws_url(void)
{
	struct ws_url u;
	char why[200];
	const char *bad[] = { "http://a/", "ws://", "ws://:80/", "ws://a:0/", "ws://a:65536/",
			      "ws://a:x/", "ws://u@a/", "ws://[::1/", "ws://a/b c", "wss://a b/" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_INT(ws_url_parse(bad[i], strlen(bad[i]), &u, why, sizeof(why)), -1);
		CHECK(strstr(why, bad[i]) != NULL);
	}
}

static void test_url_list_in_order(void)
{
	struct ws_url u[WS_URL_MAX];
	char why[200];

	CHECK_INT(ws_url_list("wss://a:1/x, ws://b:2", u, WS_URL_MAX, why, sizeof(why)), 2);
	CHECK_STR(u[0].host, "a");
	CHECK_STR(u[1].host, "b");
	CHECK_INT(ws_url_list("ws://a,ws://b,ws://c,ws://d,ws://e", u, WS_URL_MAX, why,
			      sizeof(why)), -1);
	CHECK(strstr(why, "more than") != NULL);
	CHECK_INT(ws_url_list("ws://a,", u, WS_URL_MAX, why, sizeof(why)), -1);
}

static void test_accept_matches_rfc6455_example(void)
{
	char accept[WS_ACCEPT_LEN + 1];

	ws_accept_for("dGhlIHNhbXBsZSBub25jZQ==", accept);
	CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_request_asks_for_sip(void)
{
	struct ws_url u;
	char why[100], req[1024], key[WS_KEY_LEN + 1], key2[WS_KEY_LEN + 1];

	CHECK_INT(ws_key_new(key), 0);
	CHECK_INT(ws_key_new(key2), 0);
	CHECK_INT(strlen(key), WS_KEY_LEN);
	CHECK(strcmp(key, key2) != 0);
	ws_url_parse("ws://10.0.0.1:8080/sip", 22, &u, why, sizeof(why));
	CHECK(ws_handshake_request(&u, key, "ttyphone", req, sizeof(req)) > 0);
	CHECK(!strncmp(req, "GET /sip HTTP/1.1\r\nHost: 10.0.0.1:8080\r\n", 40));
	CHECK(strstr(req, "\r\nSec-WebSocket-Protocol: sip\r\n") != NULL);
	CHECK(strstr(req, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
	CHECK(strstr(req, key) != NULL);
	CHECK(!strcmp(req + strlen(req) - 4, "\r\n\r\n"));
	CHECK_INT(ws_handshake_request(&u, key, "ttyphone", req, 40), -1);
}

static const char *key = "dGhlIHNhbXBsZSBub25jZQ==";

static int answer(const char *resp, char *why, size_t whylen)
{
	return ws_handshake_response(resp, strlen(resp), key, why, whylen);
}

static void test_response_valid_upgrade(void)
{
	char why[200] = "";
	const char *ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
			 "Connection: keep-alive, Upgrade\r\n"
			 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
			 "Sec-WebSocket-Protocol: sip\r\n\r\n\x81\x00";

	CHECK_INT(answer(ok, why, sizeof(why)), (int)strlen(ok) - 1);   /* the frame byte after */
	/* Cut anywhere before its end: wait for more. */
	for (size_t n = 0; n < strlen(ok) - 1; n++)
		CHECK_INT(ws_handshake_response(ok, n, key, why, sizeof(why)), 0);
}

static void test_response_refusals_say_why(void)
{
	char why[200];

	CHECK_INT(answer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", why,
			 sizeof(why)), -1);
	CHECK(strstr(why, "404 Not Found") != NULL);
	CHECK_INT(answer("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
			 "Sec-WebSocket-Protocol: sip\r\n\r\n", why, sizeof(why)), -1);
	CHECK(strstr(why, "Sec-WebSocket-Accept") != NULL);
	CHECK_INT(answer("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", why,
			 sizeof(why)), -1);
	CHECK(strstr(why, "sip subprotocol") != NULL);
	CHECK_INT(answer("SSH-2.0-OpenSSH_9.2\r\n", why, sizeof(why)), -1);
	CHECK(strstr(why, "not HTTP") != NULL);
}

static void test_response_without_end_is_bounded(void)
{
	static char big[WS_RESPONSE_MAX + 10];
	char why[200];

	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 101 OK\r\nX: ", 20);
	CHECK_INT(ws_handshake_response(big, sizeof(big), key, why, sizeof(why)), -1);
	CHECK(strstr(why, "no end") != NULL);
}

int main(void)
{
	RUN(test_url_defaults_and_parts);
	RUN(test_url_refuses_what_is_not_a_ws_url);
	RUN(test_url_list_in_order);
	RUN(test_accept_matches_rfc6455_example);
	RUN(test_request_asks_for_sip);
	RUN(test_response_valid_upgrade);
	RUN(test_response_refusals_say_why);
	RUN(test_response_without_end_is_bounded);
	return unit_done();
}
