/* ctl_socket.c: create the control socket safely and check who connects to it. */
#include "ctl_socket.h"

#include "strutil.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

/* Whether something accepts connections at sa: another ttyphone still running there. */
static int socket_is_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;

	if (fd < 0)
		return -1;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

int ctl_socket_listen(const char *path, char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, rc, e;

	if (str_copy(sa.sun_path, sizeof(sa.sun_path), path) < 0)
		return str_fail(why, whylen, "control socket path too long: %s", path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return str_fail(why, whylen, "cannot use %s as the control socket: it exists "
					"and is not a socket", path);
		if (socket_is_live(&sa) == 1)
			return str_fail(why, whylen, "control socket %s is in use by another "
					"ttyphone: give this one its own --ctl-socket", path);
		if (unlink(path) < 0 && errno != ENOENT)
			return str_fail(why, whylen, "cannot replace the stale control socket %s: %s",
					path, strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return str_fail(why, whylen, "cannot make a control socket: %s", strerror(errno));
	/* The mode comes from the umask at bind time; chmod afterwards would leave a moment
	 * in which another user could connect. This runs at start-up, before any other thread
	 * exists that could create a file meanwhile. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old);
	if (rc < 0 || listen(fd, 8) < 0) {
		if (rc == 0)
			e = errno;
		close(fd);
		return str_fail(why, whylen, "cannot listen on %s: %s", path, strerror(e));
	}
	return fd;
}

int ctl_socket_peer_ok(int fd, char *why, size_t whylen)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return str_fail(why, whylen, "cannot tell who connected: %s", strerror(errno));
	if (cred.uid != geteuid())
		return str_fail(why, whylen, "this ttyphone belongs to uid %u; uid %u may not "
				"drive it", (unsigned)geteuid(), (unsigned)cred.uid);
	return 0;
}
