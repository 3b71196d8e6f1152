/* ws_bridge.h: SIP over WebSocket (RFC 7118) for one account, as a loopback TCP bridge.
 *
 * Why a bridge: Debian 12's Sofia-SIP 1.12.11 has no ws transport, and a tport of our own
 * would live inside Sofia's private structures. Instead Sofia reaches this bridge as its
 * outbound proxy over TCP on 127.0.0.1 (a port of our own, only our user's connections
 * taken), and the bridge speaks WS or WSS to the server, rewriting only what RFC 7118 asks
 * (ws_sip.c: the top Via's transport, Contact's transport, RFC 5626 outbound parameters).
 * It runs in a thread of its own, so DNS, connect and TLS never hold the UI; it reports to
 * the main thread through an evq (EVQ_WS_UP / EVQ_WS_DOWN, call_id = the caller's tag).
 *
 * Life of a link: the bridge connects at start; when the link fails it tries the next
 * socket URL, and when none answers (or an open link drops) it closes Sofia's connection,
 * so pending requests fail at once, and says why. The next request Sofia sends (the
 * account's re-registration, on its back-off) makes it try again. */
#ifndef TTY_WS_BRIDGE_H
#define TTY_WS_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>

#include "evq.h"
#include "ws_link.h"
#include "ws_url.h"

struct ws_bridge_cfg {
	char name[64];                /* the account, for messages */
	struct ws_url urls[WS_URL_MAX];
	int nurls;
	struct ws_link_cfg link;
	/* Sofia's own TCP listener: a request from the server that comes while Sofia has no
	 * connection to the bridge (it closed an idle one) is delivered there. */
	char sofia_host[64];
	unsigned sofia_port;
};

struct ws_bridge;

/* Listen on 127.0.0.1 (a free port) and start the thread. Returns 0, or -1 with why. */
int ws_bridge_start(struct ws_bridge **bp, const struct ws_bridge_cfg *cfg, struct evq *notes,
		    unsigned tag, char *why, size_t whylen);
/* The loopback port Sofia is to send to: sip:127.0.0.1:PORT;transport=tcp. */
unsigned ws_bridge_port(const struct ws_bridge *b);
/* "wss 203.0.113.5:8443": the first socket URL, for messages. Only what the start
 * configured is read (the URL in use belongs to the bridge thread), so any thread may ask. */
void ws_bridge_server_name(const struct ws_bridge *b, char *out, size_t size);
/* Why the link is down now (the text of the last EVQ_WS_DOWN), false when it is not. */
bool ws_bridge_why(struct ws_bridge *b, char *out, size_t size);
/* Stop the thread, close everything (the server sees the connection close). */
void ws_bridge_stop(struct ws_bridge *b);

#endif
