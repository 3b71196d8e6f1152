/* netaddr.c: which local address the kernel would use toward a host: connect a UDP socket
 * (which sends nothing) and read back its name. This is the address to put in our SDP. */
#include "media.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

int media_local_addr_for(const char *host, char *out, size_t outlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char name[256];
	size_t n;
	int fd, rc = -1;

	if (!host || !out || outlen == 0)
		return -1;
	/* Accept an IPv6 literal in brackets, as it appears in URIs. */
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(name))
			return -1;
		memcpy(name, host + 1, n - 2);
		name[n - 2] = '\0';
	} else if (snprintf(name, sizeof(name), "%s", host) >= (int)sizeof(name)) {
		return -1;
	}
	if (getaddrinfo(name, "9", &hints, &res) != 0 || !res)
		return -1;
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (connect(fd, res->ai_addr, res->ai_addrlen) == 0 &&
		    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			const void *a = ss.ss_family == AF_INET6
				? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
				: (const void *)&((struct sockaddr_in *)&ss)->sin_addr;

			if (inet_ntop(ss.ss_family, a, out, (socklen_t)outlen))
				rc = 0;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return rc;
}
