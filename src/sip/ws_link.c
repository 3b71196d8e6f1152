/* ws_link.c: a WebSocket client connection as a small state machine for poll():
 * DOWN -> CONNECTING (non-blocking connect) -> TLS (wss only) -> UPGRADE -> OPEN.
 * Framing is ws_frame (wslay), the handshake ws_handshake; this file only moves bytes and
 * keeps time. TLS is the OpenSSL that Sofia links already; the server's name is checked
 * with OpenSSL's own host/IP matching (SSL_set1_host, X509_VERIFY_PARAM_set1_ip_asc), never
 * by hand. */
#include "ws_link.h"

#include "ws_handshake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

enum link_state { L_DOWN, L_CONNECTING, L_TLS, L_UPGRADE, L_OPEN };

struct ws_link {
	struct ws_link_cfg cfg;
	char ca_file[1024];
	char user_agent[128];
	struct ws_frame_cbs cbs;
	void *arg;
	enum link_state state;
	struct ws_url url;
	char name[200];
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	short ssl_want;              /* POLLIN or POLLOUT while a TLS call waits */
	char key[WS_KEY_LEN + 1];
	char hbuf[WS_RESPONSE_MAX];  /* the server's upgrade answer as it comes in */
	size_t hlen;
	struct ws_frame *frame;
	uint8_t wbuf[16384];         /* bytes for the server not yet written */
	size_t woff, wlen;
	uint64_t deadline;           /* connecting must be done by then */
	uint64_t last_rx;            /* when the server last sent anything */
	uint64_t ping_at;            /* when our unanswered ping went out, 0: none */
};

static int fail(struct ws_link *l, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct ws_link *l, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(why, whylen, "%s: ", l->name);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < whylen)
		vsnprintf(why + n, whylen - (size_t)n, fmt, ap);
	va_end(ap);
	ws_link_drop(l);
	return -1;
}

int ws_link_alloc(struct ws_link **lp, const struct ws_link_cfg *cfg,
		  const struct ws_frame_cbs *cbs, void *arg)
{
	struct ws_link *l = calloc(1, sizeof(*l));

	if (!l)
		return -1;
	l->cfg = *cfg;
	snprintf(l->ca_file, sizeof(l->ca_file), "%s", cfg->ca_file ? cfg->ca_file : "");
	snprintf(l->user_agent, sizeof(l->user_agent), "%s",
		 cfg->user_agent ? cfg->user_agent : "ttyphone");
	l->cfg.ca_file = l->ca_file;
	l->cfg.user_agent = l->user_agent;
	l->cbs = *cbs;
	l->arg = arg;
	l->fd = -1;
	*lp = l;
	return 0;
}

void ws_link_drop(struct ws_link *l)
{
	if (l->ssl) {
		SSL_free(l->ssl);
		l->ssl = NULL;
	}
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
	if (l->frame) {
		ws_frame_free(l->frame);
		l->frame = NULL;
	}
	l->state = L_DOWN;
	l->woff = l->wlen = l->hlen = 0;
	l->ping_at = 0;
	l->ssl_want = 0;
}

void ws_link_free(struct ws_link *l)
{
	if (!l)
		return;
	ws_link_drop(l);
	if (l->ctx)
		SSL_CTX_free(l->ctx);
	free(l);
}

const char *ws_link_name(const struct ws_link *l)
{
	return l->name;
}

/* The TLS context is made on the first wss connection and kept: loading a CA bundle is
 * the slow part. */
static int tls_ctx(struct ws_link *l, char *why, size_t whylen)
{
	if (l->ctx)
		return 0;
	l->ctx = SSL_CTX_new(TLS_client_method());
	if (!l->ctx)
		return fail(l, why, whylen, "cannot make a TLS context");
	SSL_CTX_set_min_proto_version(l->ctx, TLS1_2_VERSION);
	if (!l->cfg.tls_verify) {
		SSL_CTX_set_verify(l->ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(l->ctx, SSL_VERIFY_PEER, NULL);
	if (l->ca_file[0] ? SSL_CTX_load_verify_locations(l->ctx, l->ca_file, NULL) != 1
			  : SSL_CTX_set_default_verify_paths(l->ctx) != 1) {
		SSL_CTX_free(l->ctx);
		l->ctx = NULL;
		return fail(l, why, whylen, "cannot read the CA file \"%s\"",
			    l->ca_file[0] ? l->ca_file : "(system default)");
	}
	return 0;
}

static bool is_ip(const char *host)
{
	struct in6_addr a;

	return inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1;
}

static int tls_start(struct ws_link *l, char *why, size_t whylen)
{
	if (tls_ctx(l, why, whylen) < 0)
		return -1;
	l->ssl = SSL_new(l->ctx);
	if (!l->ssl || SSL_set_fd(l->ssl, l->fd) != 1)
		return fail(l, why, whylen, "cannot start TLS");
	if (is_ip(l->url.host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(l->ssl), l->url.host) != 1)
			return fail(l, why, whylen, "cannot check the certificate against %s",
				    l->url.host);
	} else if (SSL_set1_host(l->ssl, l->url.host) != 1 ||
		   SSL_set_tlsext_host_name(l->ssl, l->url.host) != 1) {
		return fail(l, why, whylen, "cannot check the certificate against %s", l->url.host);
	}
	l->state = L_TLS;
	return 0;
}

static int upgrade_start(struct ws_link *l, char *why, size_t whylen)
{
	int n;

	if (ws_key_new(l->key) < 0)
		return fail(l, why, whylen, "no random bytes for the WebSocket key");
	n = ws_handshake_request(&l->url, l->key, l->user_agent, (char *)l->wbuf,
				 sizeof(l->wbuf));
	if (n < 0)
		return fail(l, why, whylen, "the upgrade request does not fit");
	l->woff = 0;
	l->wlen = (size_t)n;
	l->hlen = 0;
	l->state = L_UPGRADE;
	return 0;
}

int ws_link_open(struct ws_link *l, const struct ws_url *u, uint64_t now_ms, char *why,
		 size_t whylen)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int rc, one = 1;

	ws_link_drop(l);
	l->url = *u;
	ws_url_name(u, l->name, sizeof(l->name));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", u->port);
	rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc != 0)
		return fail(l, why, whylen, "cannot resolve %s: %s", u->host, gai_strerror(rc));
	l->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		freeaddrinfo(res);
		return fail(l, why, whylen, "no socket: %s", strerror(errno));
	}
	/* SIP messages are small and latency matters more than packing. */
	(void)setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = connect(l->fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc < 0 && errno != EINPROGRESS)
		return fail(l, why, whylen, "cannot connect: %s", strerror(errno));
	l->state = L_CONNECTING;
	l->deadline = now_ms + WS_CONNECT_MS;
	return 0;
}

int ws_link_fd(const struct ws_link *l)
{
	return l->fd;
}

static bool want_write(const struct ws_link *l)
{
	return l->wlen > l->woff || (l->frame && ws_frame_queued(l->frame) > 0);
}

short ws_link_events(const struct ws_link *l)
{
	switch (l->state) {
	case L_DOWN: return 0;
	case L_CONNECTING: return POLLOUT;
	case L_TLS: return l->ssl_want ? l->ssl_want : POLLIN;
	case L_UPGRADE:
	case L_OPEN: return (short)(POLLIN | (want_write(l) ? POLLOUT : 0));
	}
	return 0;
}

bool ws_link_is_open(const struct ws_link *l)
{
	return l->state == L_OPEN;
}

bool ws_link_can_send(const struct ws_link *l)
{
	return l->state == L_OPEN && ws_frame_queued(l->frame) + WS_MSG_MAX <= WS_OUT_MAX;
}

int ws_link_send(struct ws_link *l, const char *msg, size_t len)
{
	if (l->state != L_OPEN)
		return -1;
	return ws_frame_send_text(l->frame, msg, len);
}

/* Read or write some bytes: >0 done, 0 would block, -1 over (why filled). */
static ssize_t io_read(struct ws_link *l, void *buf, size_t n, char *why, size_t whylen)
{
	if (l->ssl) {
		int r = SSL_read(l->ssl, buf, (int)n);
		if (r > 0)
			return r;
		switch (SSL_get_error(l->ssl, r)) {
		case SSL_ERROR_WANT_READ: return 0;
		case SSL_ERROR_WANT_WRITE: return 0;
		case SSL_ERROR_ZERO_RETURN:
			return fail(l, why, whylen, "the server closed the connection");
		default:
			return fail(l, why, whylen, "TLS read failed: %s",
				    ERR_reason_error_string(ERR_get_error()) ?: "connection reset");
		}
	}
	ssize_t r = recv(l->fd, buf, n, 0);
	if (r > 0)
		return r;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (r == 0)
		return fail(l, why, whylen, "the server closed the connection");
	/* A server that closes with our request unread resets instead: the same to a user. */
	if (errno == ECONNRESET)
		return fail(l, why, whylen, "the server closed the connection (reset)");
	return fail(l, why, whylen, "read failed: %s", strerror(errno));
}

static ssize_t io_write(struct ws_link *l, const void *buf, size_t n, char *why, size_t whylen)
{
	if (l->ssl) {
		int r = SSL_write(l->ssl, buf, (int)n);
		if (r > 0)
			return r;
		switch (SSL_get_error(l->ssl, r)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE: return 0;
		default:
			return fail(l, why, whylen, "TLS write failed: %s",
				    ERR_reason_error_string(ERR_get_error()) ?: "connection reset");
		}
	}
	ssize_t r = send(l->fd, buf, n, MSG_NOSIGNAL);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return fail(l, why, whylen, "write failed: %s", strerror(errno));
}

static int flush(struct ws_link *l, char *why, size_t whylen)
{
	for (;;) {
		if (l->woff == l->wlen) {
			l->woff = l->wlen = 0;
			if (l->state != L_OPEN)
				return 0;
			l->wlen = ws_frame_take(l->frame, l->wbuf, sizeof(l->wbuf));
			if (l->wlen == 0)
				return 0;
		}
		ssize_t n = io_write(l, l->wbuf + l->woff, l->wlen - l->woff, why, whylen);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		l->woff += (size_t)n;
	}
}

static int tls_step(struct ws_link *l, char *why, size_t whylen)
{
	int r = SSL_connect(l->ssl);

	if (r == 1) {
		l->ssl_want = 0;
		return upgrade_start(l, why, whylen);
	}
	switch (SSL_get_error(l->ssl, r)) {
	case SSL_ERROR_WANT_READ: l->ssl_want = POLLIN; return 0;
	case SSL_ERROR_WANT_WRITE: l->ssl_want = POLLOUT; return 0;
	default: break;
	}
	long vr = SSL_get_verify_result(l->ssl);
	if (vr != X509_V_OK)
		return fail(l, why, whylen, "the server's certificate is not accepted for %s: %s",
			    l->url.host, X509_verify_cert_error_string(vr));
	unsigned long e = ERR_get_error();
	return fail(l, why, whylen, "TLS handshake failed: %s",
		    e ? ERR_reason_error_string(e) : "the server closed the connection");
}

static int upgrade_read(struct ws_link *l, char *why, size_t whylen)
{
	char hwhy[200];

	for (;;) {
		if (l->hlen == sizeof(l->hbuf))
			return fail(l, why, whylen, "the upgrade answer is too long");
		ssize_t n = io_read(l, l->hbuf + l->hlen, sizeof(l->hbuf) - l->hlen, why, whylen);
		if (n <= 0)
			return (int)n;
		l->hlen += (size_t)n;
		int r = ws_handshake_response(l->hbuf, l->hlen, l->key, hwhy, sizeof(hwhy));
		if (r == 0)
			continue;
		if (r < 0)
			return fail(l, why, whylen, "WebSocket upgrade refused: %s", hwhy);
		if (ws_frame_alloc(&l->frame, &l->cbs, l->arg) < 0)
			return fail(l, why, whylen, "out of memory");
		l->state = L_OPEN;
		if ((size_t)r < l->hlen &&
		    ws_frame_feed(l->frame, (const uint8_t *)l->hbuf + r, l->hlen - (size_t)r) < 0)
			return fail(l, why, whylen, "%s", ws_frame_why(l->frame));
		return 0;
	}
}

static int open_read(struct ws_link *l, uint64_t now_ms, char *why, size_t whylen)
{
	uint8_t buf[8192];

	for (;;) {
		ssize_t n = io_read(l, buf, sizeof(buf), why, whylen);
		if (n <= 0)
			return (int)n;
		l->last_rx = now_ms;
		l->ping_at = 0;
		if (ws_frame_feed(l->frame, buf, (size_t)n) < 0 || ws_frame_ended(l->frame))
			return fail(l, why, whylen, "%s", ws_frame_why(l->frame));
	}
}

static unsigned pong_ms(const struct ws_link *l)
{
	return l->cfg.ping_ms < WS_PONG_MS ? l->cfg.ping_ms : WS_PONG_MS;
}

static int timers(struct ws_link *l, uint64_t now_ms, char *why, size_t whylen)
{
	if (l->state != L_OPEN) {
		if (now_ms >= l->deadline)
			return fail(l, why, whylen, "no WebSocket after %d s (%s)", WS_CONNECT_MS / 1000,
				    l->state == L_CONNECTING ? "TCP connect" :
				    l->state == L_TLS ? "TLS handshake" : "upgrade");
		return 0;
	}
	if (l->ping_at && now_ms >= l->ping_at + pong_ms(l))
		return fail(l, why, whylen, "no answer to a ping in %u s", pong_ms(l) / 1000);
	if (l->cfg.ping_ms && !l->ping_at && now_ms >= l->last_rx + l->cfg.ping_ms) {
		if (ws_frame_send_ping(l->frame) == 0)
			l->ping_at = now_ms;
	}
	return 0;
}

int ws_link_run(struct ws_link *l, short revents, uint64_t now_ms, char *why, size_t whylen)
{
	if (l->state == L_CONNECTING && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err)
			return fail(l, why, whylen, "cannot connect: %s", strerror(err));
		if (l->url.secure ? tls_start(l, why, whylen) : upgrade_start(l, why, whylen))
			return -1;
		revents = 0;
	}
	if (l->state == L_TLS && tls_step(l, why, whylen) < 0)
		return -1;
	if (l->state == L_UPGRADE) {
		if (flush(l, why, whylen) < 0 || upgrade_read(l, why, whylen) < 0)
			return -1;
		if (l->state == L_OPEN)
			l->last_rx = now_ms;
	}
	if (l->state == L_OPEN) {
		if ((revents & (POLLIN | POLLHUP | POLLERR)) && open_read(l, now_ms, why, whylen) < 0)
			return -1;
		if (l->state == L_OPEN && timers(l, now_ms, why, whylen) < 0)
			return -1;
		if (l->state == L_OPEN && flush(l, why, whylen) < 0)
			return -1;
		return 0;
	}
	return l->state == L_DOWN ? 0 : timers(l, now_ms, why, whylen);
}

int ws_link_timeout(const struct ws_link *l, uint64_t now_ms)
{
	uint64_t at;

	switch (l->state) {
	case L_DOWN: return -1;
	case L_OPEN:
		if (l->ping_at)
			at = l->ping_at + pong_ms(l);
		else if (l->cfg.ping_ms)
			at = l->last_rx + l->cfg.ping_ms;
		else
			return -1;
		break;
	default: at = l->deadline; break;
	}
	return at <= now_ms ? 0 : (int)(at - now_ms);
}
