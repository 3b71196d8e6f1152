/* ws_url.h: the `socket = ws://host:port/path, wss://...` values of an account (JsSIP's
 * `sockets`), parsed into the parts the bridge connects to and names in its messages. */
#ifndef TTY_WS_URL_H
#define TTY_WS_URL_H

#include <stdbool.h>
#include <stddef.h>

#define WS_URL_MAX 4   /* sockets per account */

struct ws_url {
	bool secure;          /* wss:// */
	char host[128];       /* without brackets */
	unsigned port;        /* 80 / 443 when not given */
	char path[192];       /* "/" when not given */
};

/* Parse one URL. Returns 0, or -1 with why filled ("ws_url: ..."). */
int ws_url_parse(const char *s, size_t len, struct ws_url *u, char *why, size_t whylen);
/* Parse a comma-separated list (spaces allowed) into at most max URLs; returns how many
 * (at least 1), or -1 with why filled. */
int ws_url_list(const char *s, struct ws_url *out, int max, char *why, size_t whylen);
/* "wss 127.0.0.1:8443" as the SIP log names a transport and its far end. */
void ws_url_name(const struct ws_url *u, char *out, size_t size);
/* host:port for Host: (brackets around IPv6, the port left out when it is the default). */
void ws_url_hostport(const struct ws_url *u, char *out, size_t size);

#endif
