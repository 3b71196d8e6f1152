/* listen.c: pick the SIP listening address and port, and explain a port that is taken.
 *
 * No DNS here: this runs before the UI and must not hang on a slow resolver. An account
 * whose server is a name makes us bind 0.0.0.0 (Sofia then writes the host's primary
 * address in Via and Contact, as before); IP literals are routed with a connected UDP
 * socket, which sends nothing and tells the local address the kernel would use. */
#include "listen.h"

#include "port_owner.h"
#include "strutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fill_addr(const char *host, unsigned port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* Bind a socket of type on host:port; returns the fd, or -1 with errno. */
static int try_bind(int type, const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	/* Sofia sets SO_REUSEADDR on its TCP listener: a connection of ours in TIME_WAIT is
	 * no obstacle to it, so it is none to this check either. */
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sip_listen_free_port(const char *host, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (fill_addr(host, 0, &ss, &len) < 0 && fill_addr("0.0.0.0", 0, &ss, &len) < 0)
		return -1;
	for (int attempt = 0; attempt < 20; attempt++) {
		int u = try_bind(SOCK_DGRAM, &ss, len), t = -1;
		struct sockaddr_storage got;
		socklen_t glen = sizeof(got);

		if (u < 0)
			return -1;
		if (getsockname(u, (struct sockaddr *)&got, &glen) == 0) {
			struct sockaddr_storage both = got;
			t = try_bind(SOCK_STREAM, &both, glen);
			*port = ntohs(got.ss_family == AF_INET6 ?
				      ((struct sockaddr_in6 *)&got)->sin6_port :
				      ((struct sockaddr_in *)&got)->sin_port);
		}
		close(u);
		if (t >= 0) {
			close(t);
			return 0;
		}
	}
	return -1;
}

int sip_listen_check(const char *host, unsigned port, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *proto[2] = { "UDP", "TCP" };
	int type[2] = { SOCK_DGRAM, SOCK_STREAM };

	if (fill_addr(host, port, &ss, &len) < 0)
		return str_fail(why, whylen, "\"%s\" is not an IP address", host);
	for (int i = 0; i < 2; i++) {
		char who[512];
		int fd = try_bind(type[i], &ss, len), e = errno, n;

		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (e != EADDRINUSE)
			return str_fail(why, whylen, "%s %s:%u: %s", proto[i], host, port,
					strerror(e));
		n = port_owner_describe(i == 0, port, who, sizeof(who));
		if (n > 0)
			return str_fail(why, whylen, "%s port %u is in use: %s", proto[i], port, who);
		return str_fail(why, whylen, "%s port %u is in use%s", proto[i], port,
				n < 0 ? " (and /proc does not say by whom)" : "");
	}
	return 0;
}

/* The host part of a SIP URI or "host:port" ("sip:alice@[::1]:5070;transport=tcp" ->
 * "::1"); false if there is none. */
static bool uri_host(const char *uri, char *host, size_t size)
{
	const char *p = uri, *end, *at;

	while (*p == '<' || *p == ' ')
		p++;
	if (!strncasecmp(p, "sips:", 5))
		p += 5;
	else if (!strncasecmp(p, "sip:", 4))
		p += 4;
	end = p + strcspn(p, ";>?");
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return false;
		return str_ncopy(host, size, p + 1, (size_t)(close - p - 1)) == 0 && host[0];
	}
	end = p + strcspn(p, ":;>?");
	return str_ncopy(host, size, p, (size_t)(end - p)) == 0 && host[0];
}

/* The local address the kernel would send from to reach ip; false if ip is a name or has
 * no route. */
static bool local_route(const char *ip, char *local, size_t size)
{
	struct sockaddr_storage ss, me;
	socklen_t len, mlen = sizeof(me);
	int fd;
	bool ok;

	if (fill_addr(ip, 5060, &ss, &len) < 0)
		return false;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&ss, len) == 0 &&
	     getsockname(fd, (struct sockaddr *)&me, &mlen) == 0 &&
	     inet_ntop(me.ss_family, me.ss_family == AF_INET6 ?
		       (void *)&((struct sockaddr_in6 *)&me)->sin6_addr :
		       (void *)&((struct sockaddr_in *)&me)->sin_addr, local, (socklen_t)size);
	close(fd);
	return ok;
}

/* One local address that reaches every account's server, or 0.0.0.0. */
static void pick_host(const struct config *cfg, struct sip_listen *out)
{
	char first[INET6_ADDRSTRLEN] = "";
	const char *server0 = NULL;

	for (unsigned i = 0; i < cfg->naccounts; i++) {
		const struct account_cfg *acc = &cfg->accounts[i];
		const char *server = acc->outbound_proxy[0] ? acc->outbound_proxy :
				     acc->registrar[0] ? acc->registrar : acc->uri;
		char host[128], local[INET6_ADDRSTRLEN];

		if (!uri_host(server, host, sizeof(host)) ||
		    !local_route(host, local, sizeof(local)) ||
		    (first[0] && strcmp(first, local))) {
			first[0] = '\0';
			break;
		}
		if (!first[0]) {
			str_copy(first, sizeof(first), local);
			server0 = server;
		}
	}
	if (first[0] && strchr(first, ':') == NULL) {
		str_copy(out->host, sizeof(out->host), first);
		snprintf(out->why_host, sizeof(out->why_host), "the address that reaches %.60s%s",
			 server0, cfg->naccounts > 1 ? " and the other servers" : "");
	} else {
		/* IPv6 routes, names and servers on several networks: all addresses, as before. */
		str_copy(out->host, sizeof(out->host), "0.0.0.0");
		snprintf(out->why_host, sizeof(out->why_host), "all addresses");
	}
}

int sip_listen_pick(const struct config *cfg, struct sip_listen *out, char *why,
		    size_t whylen)
{
	if (cfg->sip.listen[0])
		return sip_listen_parse(cfg->sip.listen, out, why, whylen);
	memset(out, 0, sizeof(*out));
	pick_host(cfg, out);
	out->any_port = true;
	if (sip_listen_free_port(out->host, &out->port) < 0)
		return str_fail(why, whylen, "no free port for SIP on %s", out->host);
	return 0;
}

int sip_listen_parse(const char *listen, struct sip_listen *out, char *why, size_t whylen)
{
	const char *colon = strrchr(listen, ':');

	memset(out, 0, sizeof(*out));
	if (!colon || str_ncopy(out->host, sizeof(out->host), listen, (size_t)(colon - listen)) < 0)
		return str_fail(why, whylen, "cannot use listen address \"%s\"", listen);
	if (out->host[0] == '[') {     /* [::1] */
		memmove(out->host, out->host + 1, strlen(out->host));
		out->host[strcspn(out->host, "]")] = '\0';
	}
	snprintf(out->why_host, sizeof(out->why_host), "as configured");
	if (!strcmp(colon + 1, "*") || !strcmp(colon + 1, "0")) {
		out->any_port = true;
		if (sip_listen_free_port(out->host, &out->port) < 0)
			return str_fail(why, whylen, "no free port for SIP on %s", out->host);
		return 0;
	}
	out->port = (unsigned)atoi(colon + 1);
	if (sip_listen_check(out->host, out->port, why, whylen) < 0) {
		char reason[600];
		str_copy(reason, sizeof(reason), why);
		return str_fail(why, whylen, "cannot listen on %s: %s. Leave listen unset in [sip] "
				"to use any free port, or pick another", listen, reason);
	}
	return 0;
}
