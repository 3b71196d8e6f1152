/* ws_sip.h: the SIP side of the WebSocket bridge, on bytes (no Sofia here: the bridge
 * thread must not touch the stack). Sofia's TCP stream is cut into messages by
 * Content-Length (RFC 3261 section 18.3), and each message is rewritten only where RFC 7118
 * and RFC 5626 ask: the top Via's transport, Contact's transport parameter, and the
 * outbound parameters of REGISTER. */
#ifndef TTY_WS_SIP_H
#define TTY_WS_SIP_H

#include <stdbool.h>
#include <stddef.h>

#define WS_SIP_GROWTH 160   /* a rewritten message is at most this much longer */

/* The first SIP message in buf[0..len): 1 with *skip (CR/LF keep-alives before it) and
 * *msglen set, 0 when more bytes are needed, -1 when it can never be one (headers or body
 * over max, an unreadable Content-Length) with why filled. */
int ws_sip_split(const char *buf, size_t len, size_t max, size_t *skip, size_t *msglen,
		 char *why, size_t whylen);

struct ws_sip_out {
	bool secure;            /* WSS rather than WS in Via */
	const char *instance;   /* "urn:uuid:..." for +sip.instance, or NULL */
};

/* Sofia -> server: top Via SIP/2.0/TCP -> SIP/2.0/WS(S); Contact ;transport=tcp ->
 * ;transport=ws; REGISTER's Contact gets ;ob, reg-id=1 and +sip.instance unless it has
 * reg-id. Returns the new length, or 0 when out (size >= len + WS_SIP_GROWTH) is short. */
size_t ws_sip_to_server(const char *in, size_t len, char *out, size_t size,
			const struct ws_sip_out *o);
/* Server -> Sofia: top Via SIP/2.0/WS or WSS -> SIP/2.0/TCP, so Sofia matches its
 * transactions and answers on its TCP connection. Returns the new length (at most one
 * byte longer: WS -> TCP), or 0 when out is short. */
size_t ws_sip_to_sofia(const char *in, size_t len, char *out, size_t size);

#endif
