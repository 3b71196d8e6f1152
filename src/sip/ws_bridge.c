/* ws_bridge.c: the bridge thread (see ws_bridge.h for why a bridge). One poll loop over a
 * wake eventfd, the loopback listener, Sofia's connection and the WebSocket link.
 *
 * Bytes from Sofia are a TCP stream: ws_sip_split cuts it into messages, ws_sip_to_server
 * rewrites each and it goes out as one text frame. Each frame from the server is one
 * message: ws_sip_to_sofia rewrites its top Via back to TCP (so Sofia matches its
 * transactions) and it is written to Sofia's connection. Buffers are fixed at start; when
 * one is full the side feeding it is simply not read until it drains. */
#include "ws_bridge.h"

#include "port_owner.h"
#include "ws_sip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#define SOFIA_IN_MAX (WS_MSG_MAX + 8192)
#define SOFIA_OUT_MAX (4 * WS_MSG_MAX)

struct ws_bridge {
	struct ws_bridge_cfg cfg;
	struct evq *notes;
	unsigned tag;
	pthread_t thread;
	bool started;
	int wake;                       /* eventfd: stop */
	int lfd;                        /* 127.0.0.1 listener for Sofia */
	unsigned port;
	int sfd;                        /* Sofia's connection, -1 when none */
	char sin[SOFIA_IN_MAX];         /* from Sofia, not yet a whole message (or link down) */
	size_t sin_len;
	char sout[SOFIA_OUT_MAX];       /* for Sofia, not yet written */
	size_t sout_off, sout_len;
	struct ws_link *link;
	int url_i;                      /* the socket URL in use or being tried */
	int tried;                      /* URLs tried in this round */
	bool was_open;
	unsigned long dropped;          /* server messages dropped: Sofia not reading */
	char instance[64];              /* urn:uuid:... for RFC 5626 +sip.instance */
	/* Why the link is down, for ws_bridge_why: the main thread may need it while Sofia's
	 * failed request is in hand, before the EVQ_WS_DOWN note has been taken. */
	pthread_mutex_t why_lock;
	char why[300];
	char tmp[WS_MSG_MAX + WS_SIP_GROWTH];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void note(struct ws_bridge *b, enum evq_kind kind, const char *text)
{
	struct evq_event ev;

	if (kind == EVQ_WS_DOWN || kind == EVQ_WS_UP) {
		pthread_mutex_lock(&b->why_lock);
		snprintf(b->why, sizeof(b->why), "%s", kind == EVQ_WS_DOWN ? text : "");
		pthread_mutex_unlock(&b->why_lock);
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.call_id = b->tag;
	snprintf(ev.text, sizeof(ev.text), "%s", text);
	(void)evq_post(b->notes, &ev);   /* a full queue drops: the next note says it again */
}

static void sofia_close(struct ws_bridge *b)
{
	if (b->sfd >= 0)
		close(b->sfd);
	b->sfd = -1;
	b->sin_len = 0;
	b->sout_off = b->sout_len = 0;
}

/* Start the next URL of this round. Returns 0 when a connect is under way. */
static int link_try(struct ws_bridge *b, char *why, size_t whylen)
{
	while (b->tried < b->cfg.nurls) {
		const struct ws_url *u = &b->cfg.urls[b->url_i];
		b->tried++;
		if (ws_link_open(b->link, u, now_ms(), why, whylen) == 0)
			return 0;
		b->url_i = (b->url_i + 1) % b->cfg.nurls;
	}
	return -1;
}

static void link_start_round(struct ws_bridge *b)
{
	char why[300];

	b->tried = 0;
	if (link_try(b, why, sizeof(why)) < 0) {
		note(b, EVQ_WS_DOWN, why);
		sofia_close(b);
	}
}

/* The link failed (why): an open one is lost; a connecting one moves to the next URL. */
static void link_failed(struct ws_bridge *b, const char *why)
{
	char msg[400], next[300];

	if (b->was_open) {
		b->was_open = false;
		snprintf(msg, sizeof(msg), "connection lost: %s", why);
		note(b, EVQ_WS_DOWN, msg);
		sofia_close(b);
		return;
	}
	b->url_i = (b->url_i + 1) % b->cfg.nurls;
	if (link_try(b, next, sizeof(next)) == 0)
		return;
	note(b, EVQ_WS_DOWN, b->tried > 1 && strcmp(next, why) ? next : why);
	sofia_close(b);
}

static void sofia_append(struct ws_bridge *b, const char *data, size_t len)
{
	if (b->sout_off > 0 && b->sout_len == b->sout_off)
		b->sout_off = b->sout_len = 0;
	if (b->sout_len + len > sizeof(b->sout) && b->sout_off > 0) {
		memmove(b->sout, b->sout + b->sout_off, b->sout_len - b->sout_off);
		b->sout_len -= b->sout_off;
		b->sout_off = 0;
	}
	if (b->sout_len + len > sizeof(b->sout)) {
		if (b->dropped++ % 100 == 0) {
			char msg[200];
			snprintf(msg, sizeof(msg), "dropped a message from the server: the SIP stack "
				 "is not reading (%lu so far)", b->dropped);
			note(b, EVQ_WS_INFO, msg);
		}
		return;
	}
	memcpy(b->sout + b->sout_len, data, len);
	b->sout_len += len;
}

/* A request from the server while Sofia has no connection to us (it closed an idle one):
 * open one to Sofia's own TCP listener, as any TCP peer would. Loopback connects at once. */
static void sofia_dial(struct ws_bridge *b)
{
	struct sockaddr_in sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)b->cfg.sofia_port);
	if (inet_pton(AF_INET, b->cfg.sofia_host, &sa.sin_addr) != 1)
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		close(fd);
		return;
	}
	b->sfd = fd;
}

static void on_server_message(void *arg, const char *data, size_t len)
{
	struct ws_bridge *b = arg;
	size_t n, i = 0;

	/* An empty message or bare CRLFs: the server's keep-alive (RFC 5626 style). data is
	 * not NUL-terminated: count within len. */
	while (i < len && (data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i == len)
		return;
	n = ws_sip_to_sofia(data, len, b->tmp, sizeof(b->tmp));
	if (n == 0)
		return;
	if (b->sfd < 0)
		sofia_dial(b);
	if (b->sfd >= 0)
		sofia_append(b, b->tmp, n);
}

/* Whole messages from Sofia go out while the link takes them. */
static void sofia_to_link(struct ws_bridge *b)
{
	struct ws_sip_out o = { .secure = b->cfg.urls[b->url_i].secure, .instance = b->instance };
	char why[200];

	while (b->sin_len > 0 && ws_link_can_send(b->link)) {
		size_t skip, mlen, n;
		int r = ws_sip_split(b->sin, b->sin_len, WS_MSG_MAX, &skip, &mlen, why, sizeof(why));
		if (r < 0) {
			char msg[300];
			snprintf(msg, sizeof(msg), "unusable message from the SIP stack: %s", why);
			note(b, EVQ_WS_INFO, msg);
			sofia_close(b);
			return;
		}
		if (r == 0) {
			memmove(b->sin, b->sin + skip, b->sin_len - skip);   /* keep-alive CRLFs */
			b->sin_len -= skip;
			return;
		}
		n = ws_sip_to_server(b->sin + skip, mlen, b->tmp, sizeof(b->tmp), &o);
		if (n > 0)
			(void)ws_link_send(b->link, b->tmp, n);
		memmove(b->sin, b->sin + skip + mlen, b->sin_len - skip - mlen);
		b->sin_len -= skip + mlen;
	}
}

/* Only a connection of our own user is taken: on a shared machine another user could
 * otherwise send SIP through our authenticated WebSocket. */
static void sofia_accept(struct ws_bridge *b)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	unsigned uid;
	int fd = accept4(b->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (peer.sin_family != AF_INET ||
	    port_owner_tcp_uid(ntohs(peer.sin_port), b->port, &uid) < 0 || uid != geteuid()) {
		char msg[200];
		snprintf(msg, sizeof(msg), "refused a connection to the bridge from port %u: not "
			 "ours", ntohs(peer.sin_port));
		note(b, EVQ_WS_INFO, msg);
		close(fd);
		return;
	}
	sofia_close(b);   /* a new connection replaces an old one Sofia gave up */
	b->sfd = fd;
	if (ws_link_fd(b->link) < 0)
		link_start_round(b);
}

static void sofia_io(struct ws_bridge *b, short revents)
{
	if (revents & POLLOUT) {
		ssize_t n = send(b->sfd, b->sout + b->sout_off, b->sout_len - b->sout_off,
				 MSG_NOSIGNAL);
		if (n > 0)
			b->sout_off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			sofia_close(b);
			return;
		}
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = recv(b->sfd, b->sin + b->sin_len, sizeof(b->sin) - b->sin_len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			sofia_close(b);
			return;
		}
		if (n > 0) {
			b->sin_len += (size_t)n;
			if (ws_link_fd(b->link) < 0)
				link_start_round(b);
		}
	}
}

static void *bridge_main(void *arg)
{
	struct ws_bridge *b = arg;
	char why[300];

	link_start_round(b);
	for (;;) {
		struct pollfd p[4];
		int n = 0, ip_s = -1, ip_l = -1, timeout;

		p[n++] = (struct pollfd){ .fd = b->wake, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = b->lfd, .events = POLLIN };
		if (b->sfd >= 0) {
			short ev = 0;
			if (b->sin_len < sizeof(b->sin))
				ev |= POLLIN;
			if (b->sout_len > b->sout_off)
				ev |= POLLOUT;
			ip_s = n;
			p[n++] = (struct pollfd){ .fd = b->sfd, .events = ev };
		}
		if (ws_link_fd(b->link) >= 0) {
			ip_l = n;
			p[n++] = (struct pollfd){ .fd = ws_link_fd(b->link),
						  .events = ws_link_events(b->link) };
		}
		timeout = ws_link_timeout(b->link, now_ms());
		if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			sofia_accept(b);
		if (ip_s >= 0 && p[ip_s].revents && p[ip_s].fd == b->sfd)
			sofia_io(b, p[ip_s].revents);
		if (ws_link_fd(b->link) >= 0) {
			short rev = ip_l >= 0 && p[ip_l].fd == ws_link_fd(b->link) ? p[ip_l].revents : 0;
			if (ws_link_run(b->link, rev, now_ms(), why, sizeof(why)) < 0) {
				link_failed(b, why);
				continue;
			}
			if (ws_link_is_open(b->link) && !b->was_open) {
				char msg[300];
				b->was_open = true;
				snprintf(msg, sizeof(msg), "connected to %s", ws_link_name(b->link));
				note(b, EVQ_WS_UP, msg);
			}
			if (ws_link_is_open(b->link)) {
				sofia_to_link(b);
				/* Frames queued just now go out in this turn, not after the next poll. */
				if (ws_link_run(b->link, 0, now_ms(), why, sizeof(why)) < 0)
					link_failed(b, why);
			}
		}
	}
	return NULL;
}

static int listen_loopback(struct ws_bridge *b, char *why, size_t whylen)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	b->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->lfd < 0) {
		snprintf(why, whylen, "websocket bridge: no socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(b->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(b->lfd, 4) < 0 ||
	    getsockname(b->lfd, (struct sockaddr *)&sa, &len) < 0) {
		snprintf(why, whylen, "websocket bridge: cannot listen on 127.0.0.1: %s",
			 strerror(errno));
		return -1;
	}
	b->port = ntohs(sa.sin_port);
	return 0;
}

static int make_instance(char *out, size_t size)
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);   /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);   /* variant */
	snprintf(out, size, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
		 r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	return 0;
}

int ws_bridge_start(struct ws_bridge **bp, const struct ws_bridge_cfg *cfg, struct evq *notes,
		    unsigned tag, char *why, size_t whylen)
{
	static const struct ws_frame_cbs cbs = { .message = on_server_message };
	struct ws_bridge *b = calloc(1, sizeof(*b));

	if (!b) {
		snprintf(why, whylen, "websocket bridge: out of memory");
		return -1;
	}
	b->cfg = *cfg;
	pthread_mutex_init(&b->why_lock, NULL);
	b->notes = notes;
	b->tag = tag;
	b->sfd = b->lfd = -1;
	b->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cfg->nurls < 1 || b->wake < 0 || make_instance(b->instance, sizeof(b->instance)) < 0 ||
	    ws_link_alloc(&b->link, &cfg->link, &cbs, b) < 0) {
		snprintf(why, whylen, "websocket bridge: cannot start (%s)",
			 cfg->nurls < 1 ? "no socket URL" : "out of resources");
		goto fail;
	}
	if (listen_loopback(b, why, whylen) < 0)
		goto fail;
	if (pthread_create(&b->thread, NULL, bridge_main, b) != 0) {
		snprintf(why, whylen, "websocket bridge: cannot start its thread");
		goto fail;
	}
	b->started = true;
	*bp = b;
	return 0;
fail:
	ws_bridge_stop(b);
	return -1;
}

unsigned ws_bridge_port(const struct ws_bridge *b)
{
	return b->port;
}

void ws_bridge_server_name(const struct ws_bridge *b, char *out, size_t size)
{
	ws_url_name(&b->cfg.urls[0], out, size);
}

void ws_bridge_stop(struct ws_bridge *b)
{
	if (!b)
		return;
	if (b->started) {
		uint64_t one = 1;
		if (write(b->wake, &one, sizeof(one)) != sizeof(one))
			pthread_cancel(b->thread);   /* cannot happen with an eventfd; never hang */
		pthread_join(b->thread, NULL);
	}
	sofia_close(b);
	if (b->lfd >= 0)
		close(b->lfd);
	if (b->wake >= 0)
		close(b->wake);
	ws_link_free(b->link);
	pthread_mutex_destroy(&b->why_lock);
	free(b);
}

bool ws_bridge_why(struct ws_bridge *b, char *out, size_t size)
{
	pthread_mutex_lock(&b->why_lock);
	snprintf(out, size, "%s", b->why);
	pthread_mutex_unlock(&b->why_lock);
	return out[0] != '\0';
}
