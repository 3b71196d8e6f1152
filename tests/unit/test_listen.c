/* Where SIP listens (sip/listen.c) and who holds a port (port_owner.c): the choice for an
 * unset listen, a configured port, and a taken port named with its holder. */
#include "config.h"
#include "port_owner.h"
#include "sip/listen.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct config cfg;

/* A socket of ours bound to 127.0.0.1 on a free port; returns the fd, *port the number. */
static int hold(int type, unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Our own name as the kernel shows it to other processes: "test_listen", or under valgrind
 * "memcheck-amd64-", which is what port_owner reads too. */
static const char *own_comm(void)
{
	static char comm[32];
	FILE *f = fopen("/proc/self/comm", "r");

	if (!f || !fgets(comm, sizeof(comm), f))
		snprintf(comm, sizeof(comm), "test_listen");
	if (f)
		fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	return comm;
}

static void test_port_owner_names_our_own_udp_and_tcp_sockets(void)
{
	char text[600], pid[32], name[48];
	unsigned port;
	int u = hold(SOCK_DGRAM, &port), t = hold(SOCK_STREAM, &port);

	CHECK(u >= 0 && t >= 0);
	snprintf(pid, sizeof(pid), "(pid %ld, ", (long)getpid());
	CHECK_INT(port_owner_describe(false, port, text, sizeof(text)), 1);
	CHECK(strstr(text, "tcp 127.0.0.1:") != NULL);
	CHECK(strstr(text, pid) != NULL);
	snprintf(name, sizeof(name), "\"%s\"", own_comm());
	CHECK(strstr(text, name) != NULL);
	close(t);
	CHECK_INT(port_owner_describe(false, port, text, sizeof(text)), 0);
	close(u);
}

static void test_port_owner_finds_nothing_on_a_free_port(void)
{
	char text[200];
	unsigned port;
	int u = hold(SOCK_DGRAM, &port);

	close(u);
	CHECK_INT(port_owner_describe(true, port, text, sizeof(text)), 0);
	CHECK_STR(text, "");
}

static void test_unset_listen_binds_the_address_that_reaches_a_loopback_server(void)
{
	struct sip_listen l;
	char why[300];

	config_defaults(&cfg);
	CHECK_INT(config_load_string(&cfg, "t.ini",
		"[account a]\nuri = sip:a@127.0.0.1:5999\n"
		"[account b]\nuri = sip:b@lab.test\nregistrar = sip:127.0.0.1:5998;transport=tcp\n"), 0);
	CHECK_INT(sip_listen_pick(&cfg, &l, why, sizeof(why)), 0);
	CHECK_STR(l.host, "127.0.0.1");
	CHECK(l.any_port);
	CHECK(l.port != 0 && l.port != 5060);
	CHECK(strstr(l.why_host, "reaches sip:a@127.0.0.1:5999") != NULL);
}

static void test_unset_listen_binds_all_addresses_for_a_server_named_by_dns(void)
{
	struct sip_listen l;
	char why[300];

	config_defaults(&cfg);
	CHECK_INT(config_load_string(&cfg, "t.ini",
		"[account a]\nuri = sip:a@127.0.0.1\n[account b]\nuri = sip:b@example.org\n"), 0);
	CHECK_INT(sip_listen_pick(&cfg, &l, why, sizeof(why)), 0);
	CHECK_STR(l.host, "0.0.0.0");
	CHECK(l.any_port);
}

static void test_a_configured_port_that_is_taken_names_its_holder(void)
{
	struct sip_listen l;
	char why[600], listen[64], held[64];
	unsigned port;
	int u = hold(SOCK_DGRAM, &port);

	config_defaults(&cfg);
	snprintf(listen, sizeof(listen), "[sip]\nlisten = 127.0.0.1:%u\n", port);
	CHECK_INT(config_load_string(&cfg, "t.ini", listen), 0);
	CHECK_INT(sip_listen_pick(&cfg, &l, why, sizeof(why)), -1);
	CHECK(strstr(why, "UDP port") != NULL);
	snprintf(held, sizeof(held), "held by \"%s\"", own_comm());
	CHECK(strstr(why, held) != NULL);
	close(u);
	CHECK_INT(sip_listen_pick(&cfg, &l, why, sizeof(why)), 0);
	CHECK_INT(l.port, port);
	CHECK(!l.any_port);
}

int main(void)
{
	RUN(test_port_owner_names_our_own_udp_and_tcp_sockets);
	RUN(test_port_owner_finds_nothing_on_a_free_port);
	RUN(test_unset_listen_binds_the_address_that_reaches_a_loopback_server);
	RUN(test_unset_listen_binds_all_addresses_for_a_server_named_by_dns);
	RUN(test_a_configured_port_that_is_taken_names_its_holder);
	return unit_done();
}
