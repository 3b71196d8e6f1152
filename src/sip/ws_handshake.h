/* ws_handshake.h: the client side of the RFC 6455 opening handshake with the `sip`
 * subprotocol (RFC 7118 section 4): the request we send, and the server's answer checked
 * (101, Upgrade, Connection, Sec-WebSocket-Accept, Sec-WebSocket-Protocol: sip). */
#ifndef TTY_WS_HANDSHAKE_H
#define TTY_WS_HANDSHAKE_H

#include <stddef.h>

#include "ws_url.h"

#define WS_KEY_LEN 24           /* base64 of 16 random bytes */
#define WS_ACCEPT_LEN 28        /* base64 of a SHA-1 */
#define WS_RESPONSE_MAX 8192    /* a longer answer without its end is refused */

/* A fresh Sec-WebSocket-Key (16 random bytes from OpenSSL, base64). Returns 0 or -1. */
int ws_key_new(char key[WS_KEY_LEN + 1]);
/* The Sec-WebSocket-Accept the server must send for key. */
void ws_accept_for(const char *key, char accept[WS_ACCEPT_LEN + 1]);
/* The GET request; returns its length, or -1 when it does not fit. */
int ws_handshake_request(const struct ws_url *u, const char *key, const char *user_agent,
			 char *out, size_t size);
/* Check the server's answer in buf[0..len). Returns 0 when more bytes are needed, the
 * length of the answer (what follows is WebSocket frames) when it is a valid upgrade, or
 * -1 with why filled (the status line or the header that is wrong). */
int ws_handshake_response(const char *buf, size_t len, const char *key, char *why,
			  size_t whylen);

#endif
