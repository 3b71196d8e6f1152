/* ctl_socket.h: the control socket's file and who may use it. One user's ttyphone must not
 * be read or driven by another user, and two ttyphones must not take each other's socket. */
#ifndef TTY_CTL_SOCKET_H
#define TTY_CTL_SOCKET_H

#include <stddef.h>

/* Listen on a Unix socket at path, mode 0600 from the start (never a moment open to
 * others). A live socket there (another ttyphone answers) is left alone and refused; a
 * stale one is replaced; anything that is not a socket is never removed. Returns the
 * non-blocking listening fd, or -1 with why filled. */
int ctl_socket_listen(const char *path, char *why, size_t whylen);

/* Whether the client on fd runs as our own user (SO_PEERCRED). A file mode keeps others
 * out only while nobody loosens it; this check holds whatever the mode is. */
int ctl_socket_peer_ok(int fd, char *why, size_t whylen);

#endif
