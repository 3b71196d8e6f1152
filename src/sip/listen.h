/* listen.h: where the SIP stack listens. A phone that registers needs no fixed port, so by
 * default ([sip] listen unset) it takes any free port on the local address that reaches its
 * servers: many users, and many configs of one user, share a machine without colliding. */
#ifndef TTY_SIP_LISTEN_H
#define TTY_SIP_LISTEN_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

struct sip_listen {
	char host[128];     /* address to bind, without brackets */
	unsigned port;      /* a free port for UDP and TCP alike, or the configured one */
	bool any_port;      /* the port was picked by us, not configured */
	char why_host[96];  /* how host was chosen, for the log ("reaches 127.0.0.1") */
};

/* Decide host and port from cfg->sip.listen: "host:port" as configured (port 0 or * = any
 * free port), or, when it is empty, the address that routes to every account's server
 * (0.0.0.0 when they differ or are named by DNS) and any free port. A configured port that
 * is taken fails with who holds it (port_owner.h). Returns 0, or -1 with why filled. */
int sip_listen_pick(const struct config *cfg, struct sip_listen *out, char *why,
		    size_t whylen);

/* Parse one "host:port" listen value the same way (tls_listen uses it too). */
int sip_listen_parse(const char *listen, struct sip_listen *out, char *why, size_t whylen);

/* A port on host free for both UDP and TCP (nua cannot tell which port "*" got). */
int sip_listen_free_port(const char *host, unsigned *port);

/* Why host:port cannot be bound (UDP or TCP), naming the holder where the system says;
 * 0 if both can be bound now. */
int sip_listen_check(const char *host, unsigned port, char *why, size_t whylen);

#endif
