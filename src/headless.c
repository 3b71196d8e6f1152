/* headless.c: commands from stdin and control-socket clients go to app_exec; events from the
 * app go to stdout and to every client; a command's direct reply goes only to its sender.
 * Lines are bounded: a longer line is refused whole with an error, never split. */
#include "headless.h"
#include "app.h"
#include "ctl_socket.h"
#include "json.h"
#include "strutil.h"
#include "sip/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096
#define MAX_CLIENTS 8

struct client {
	struct headless *h;
	int fd;                /* -1: free slot */
	int watch;
	char buf[LINE_MAX_BYTES];
	size_t len;
	bool discarding;       /* inside an over-long line */
	bool is_stdio;
};

struct headless {
	struct app *app;
	struct loop *loop;
	struct client stdio;
	struct client clients[MAX_CLIENTS];
	int listen_fd, listen_watch;
	char ctl_path[108];
	bool stdout_ok;
	int stdin_flags;       /* as we found them: the loop makes stdin non-blocking, and a
				* terminal shared with the shell must get its flags back */
};

static void write_all(int fd, const char *s, size_t n, bool *ok)
{
	while (n && *ok) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* A client that does not read: drop it rather than block the phone. */
				*ok = false;
				return;
			}
			*ok = false;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static void send_line(struct client *c, const char *json)
{
	bool ok = true;

	if (c->is_stdio) {
		if (!c->h->stdout_ok)
			return;
		write_all(STDOUT_FILENO, json, strlen(json), &c->h->stdout_ok);
		write_all(STDOUT_FILENO, "\n", 1, &c->h->stdout_ok);
		return;
	}
	if (c->fd < 0)
		return;
	write_all(c->fd, json, strlen(json), &ok);
	write_all(c->fd, "\n", 1, &ok);
	if (!ok) {
		loop_unwatch(c->h->loop, c->watch);
		close(c->fd);
		c->fd = -1;
	}
}

static void on_event(void *arg, const char *json)
{
	struct headless *h = arg;

	if (h->stdio.fd >= 0 || h->stdio.is_stdio)
		send_line(&h->stdio, json);
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (h->clients[i].fd >= 0)
			send_line(&h->clients[i], json);
}

static void on_reply(void *arg, const char *json)
{
	send_line(arg, json);
}

static void client_close(struct client *c)
{
	if (c->is_stdio) {
		loop_unwatch(c->h->loop, c->watch);
		c->fd = -1;
		/* End of the command stream: a script is done with us. */
		if (c->h->listen_fd < 0)
			app_exec(c->h->app, "quit", NULL, NULL);
		return;
	}
	loop_unwatch(c->h->loop, c->watch);
	close(c->fd);
	c->fd = -1;
}

static void on_readable(void *arg, int fd)
{
	struct client *c = arg;
	char chunk[1024];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		client_close(c);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char ch = chunk[i];
		if (ch == '\n') {
			if (c->discarding) {
				char err[128];
				snprintf(err, sizeof(err),
					 "{\"event\":\"error\",\"message\":\"line too long (at most %d bytes)\"}",
					 LINE_MAX_BYTES - 1);
				send_line(c, err);
			} else {
				c->buf[c->len] = '\0';
				if (c->len && c->buf[c->len - 1] == '\r')
					c->buf[c->len - 1] = '\0';
				app_exec(c->h->app, c->buf, on_reply, c);
			}
			c->len = 0;
			c->discarding = false;
			if (c->fd < 0 && !c->is_stdio)
				return;
			continue;
		}
		if (c->discarding)
			continue;
		if (c->len + 1 >= sizeof(c->buf)) {
			c->discarding = true;
			continue;
		}
		c->buf[c->len++] = ch;
	}
}

static void on_accept(void *arg, int fd)
{
	struct headless *h = arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	char why[200];

	if (cfd < 0)
		return;
	if (ctl_socket_peer_ok(cfd, why, sizeof(why)) < 0) {
		char line[400];
		struct jw w;
		bool ok = true;

		jw_begin(&w, line, sizeof(line));
		jw_str(&w, "event", "error");
		jw_str(&w, "message", why);
		if (jw_end(&w)) {
			write_all(cfd, line, strlen(line), &ok);
			write_all(cfd, "\n", 1, &ok);
		}
		close(cfd);
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &h->clients[i];
		if (c->fd >= 0)
			continue;
		c->fd = cfd;
		c->len = 0;
		c->discarding = false;
		c->watch = loop_watch_fd(h->loop, cfd, on_readable, c);
		if (c->watch < 0) {
			close(cfd);
			c->fd = -1;
		}
		return;
	}
	{
		static const char busy[] = "{\"event\":\"error\",\"message\":\"too many clients\"}\n";
		bool ok = true;
		write_all(cfd, busy, sizeof(busy) - 1, &ok);
		close(cfd);
	}
}

int headless_alloc(struct headless **hp, struct app *a, struct loop *l, bool use_stdio,
		   const char *ctl_path, char *why, unsigned whylen)
{
	struct headless *h = calloc(1, sizeof(*h));

	if (!h)
		return ENOMEM;
	h->app = a;
	h->loop = l;
	h->listen_fd = -1;
	h->stdio.h = h;
	h->stdio.fd = -1;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		h->clients[i].h = h;
		h->clients[i].fd = -1;
	}
	h->stdin_flags = -1;
	if (use_stdio) {
		h->stdin_flags = fcntl(STDIN_FILENO, F_GETFL);
		h->stdio.is_stdio = true;
		h->stdio.fd = STDIN_FILENO;
		h->stdio.watch = -1;
		h->stdout_ok = true;
	}
	if (ctl_path) {
		h->listen_fd = ctl_socket_listen(ctl_path, why, whylen);
		if (h->listen_fd < 0) {
			headless_free(h);
			return EIO;
		}
		str_copy(h->ctl_path, sizeof(h->ctl_path), ctl_path);
		h->listen_watch = -1;
	}
	app_add_listener(a, on_event, h);
	*hp = h;
	return 0;
}

int headless_start(struct headless *h)
{
	if (h->stdio.is_stdio) {
		h->stdio.watch = loop_watch_fd(h->loop, STDIN_FILENO, on_readable, &h->stdio);
		if (h->stdio.watch < 0)
			return EIO;
	}
	if (h->listen_fd >= 0) {
		h->listen_watch = loop_watch_fd(h->loop, h->listen_fd, on_accept, h);
		if (h->listen_watch < 0)
			return EIO;
	}
	return 0;
}

void headless_free(struct headless *h)
{
	if (!h)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (h->clients[i].fd >= 0) {
			loop_unwatch(h->loop, h->clients[i].watch);
			close(h->clients[i].fd);
		}
	if (h->stdio.is_stdio && h->stdio.fd >= 0 && h->stdio.watch >= 0)
		loop_unwatch(h->loop, h->stdio.watch);
	if (h->stdin_flags >= 0 && fcntl(STDIN_FILENO, F_SETFL, h->stdin_flags) < 0) {
		/* stdin is gone or not ours to change: nothing left to restore */
	}
	if (h->listen_fd >= 0) {
		if (h->listen_watch >= 0)
			loop_unwatch(h->loop, h->listen_watch);
		close(h->listen_fd);
		unlink(h->ctl_path);
	}
	free(h);
}
