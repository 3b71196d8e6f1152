/* port_owner.h: who holds a local UDP or TCP port, told the way `ss -lnp` tells it, so that
 * "cannot listen on 0.0.0.0:5060" can name the program in the way. Linux /proc only. */
#ifndef TTY_PORT_OWNER_H
#define TTY_PORT_OWNER_H

#include <stdbool.h>
#include <stddef.h>

/* Describe the sockets bound to local port `port` (UDP if udp, else TCP listeners) into
 * out[outlen], e.g. `udp 127.0.0.1:5060 held by "kamailio" (pid 4242, user kamailio)`;
 * several holders are joined with "; ". Returns the number of sockets found (0: out says
 * nothing was found), or -1 if /proc could not be read. A socket of another user whose
 * process we may not inspect is still named by its user. */
int port_owner_describe(bool udp, unsigned port, char *out, size_t outlen);

/* The uid owning the established IPv4 TCP socket on this machine whose local port is
 * lport and far port rport (the other end of a loopback connection we accepted). Returns
 * 0 with *uid set, or -1 when there is none. */
int port_owner_tcp_uid(unsigned lport, unsigned rport, unsigned *uid);

#endif
