/* ws_link.h: one WebSocket connection to a SIP server (ws:// or wss://), non-blocking, for
 * the bridge thread's poll loop: connect, TLS (OpenSSL, verifying the server's name), the
 * RFC 6455 handshake with subprotocol sip, then text frames both ways and pings. Every
 * failure ends the link with a sentence saying what went wrong and where. */
#ifndef TTY_WS_LINK_H
#define TTY_WS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_frame.h"
#include "ws_url.h"

#define WS_CONNECT_MS 10000      /* TCP + TLS + upgrade must be done by then */
#define WS_PONG_MS 10000         /* the longest wait for a ping's answer */

struct ws_link;

struct ws_link_cfg {
	bool tls_verify;             /* check wss servers' certificates and names */
	const char *ca_file;         /* "" or NULL: the system's CA store */
	const char *user_agent;
	/* A ping after this long without a frame from the server ([sip] keepalive; 0: none),
	 * and the link is dead if nothing comes back within as long (WS_PONG_MS at most): a
	 * network that drops silently is noticed by then, not by TCP minutes later. */
	unsigned ping_ms;
};

int ws_link_alloc(struct ws_link **lp, const struct ws_link_cfg *cfg,
		  const struct ws_frame_cbs *cbs, void *arg);
void ws_link_free(struct ws_link *l);
/* Start connecting to u (name resolution happens here, in the caller's thread). Returns 0,
 * or -1 with why filled. now_ms: a monotonic clock, as for the other calls. */
int ws_link_open(struct ws_link *l, const struct ws_url *u, uint64_t now_ms, char *why,
		 size_t whylen);
/* The socket to poll (-1 when down) and the events it waits for. */
int ws_link_fd(const struct ws_link *l);
short ws_link_events(const struct ws_link *l);
/* Drive the link after poll (revents may be 0: timers only). Returns 0, or -1 once the link
 * is over, with why filled; the link is then down and may be opened again. */
int ws_link_run(struct ws_link *l, short revents, uint64_t now_ms, char *why, size_t whylen);
/* Milliseconds until ws_link_run must be called for a timer (-1: none). */
int ws_link_timeout(const struct ws_link *l, uint64_t now_ms);
bool ws_link_is_open(const struct ws_link *l);
/* Queue one SIP message as a text frame; -1 when the link is not open or its queue full. */
int ws_link_send(struct ws_link *l, const char *msg, size_t len);
/* Whether ws_link_send would take a message now (flow control toward Sofia). */
bool ws_link_can_send(const struct ws_link *l);
/* Drop the connection at once (no close handshake: the server sees the TCP close). */
void ws_link_drop(struct ws_link *l);
/* "wss 127.0.0.1:8443" of the link's URL, for messages. */
const char *ws_link_name(const struct ws_link *l);

#endif
