/* port_owner.c: which sockets hold a local port, and whose they are.
 *
 * /proc/net/{udp,udp6,tcp,tcp6} list every socket with its local address, uid and inode;
 * /proc/PID/fd/N links to "socket:[INODE]" name the process. That is what `ss -lnp` reads;
 * no library offers it, and the few lines here are all of it. Processes of other users are
 * not ours to inspect (unless we are root): their sockets are then named by user alone. */
#include "port_owner.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_HOLDERS 8
#define TCP_LISTEN 0x0A

struct holder {
	char addr[INET6_ADDRSTRLEN + 8];   /* "127.0.0.1:5060", "[::]:5060" */
	unsigned long inode;
	unsigned uid;
	long pid;                          /* 0: not found (another user's, or gone) */
	char comm[32];
};

/* "0100007F" (IPv4) or 32 hex digits (IPv6, four host-order words) -> text. */
static int hex_addr(const char *hex, size_t n, char *out, size_t outlen)
{
	char word[9];

	if (n == 8) {
		struct in_addr a;
		memcpy(word, hex, 8);
		word[8] = '\0';
		a.s_addr = (uint32_t)strtoul(word, NULL, 16);
		return inet_ntop(AF_INET, &a, out, (socklen_t)outlen) ? 0 : -1;
	}
	if (n == 32) {
		struct in6_addr a6;
		for (int i = 0; i < 4; i++) {
			uint32_t w;
			memcpy(word, hex + 8 * i, 8);
			word[8] = '\0';
			w = (uint32_t)strtoul(word, NULL, 16);
			memcpy(&a6.s6_addr[4 * i], &w, 4);
		}
		return inet_ntop(AF_INET6, &a6, out, (socklen_t)outlen) ? 0 : -1;
	}
	return -1;
}

/* Add the sockets of one /proc/net table that are bound to port. */
static int scan_table(const char *path, bool udp, bool v6, unsigned port, struct holder *h,
		      unsigned *nh)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return errno == ENOENT ? 0 : -1;   /* no IPv6 on this kernel: nothing to find */
	if (!fgets(line, sizeof(line), f)) {   /* the header */
		fclose(f);
		return 0;
	}
	while (*nh < MAX_HOLDERS && fgets(line, sizeof(line), f)) {
		char local[64], remote[64], ip[INET6_ADDRSTRLEN];
		unsigned st, uid, lport;
		unsigned long inode;
		char *colon;

		if (sscanf(line, " %*u: %63s %63s %x %*s %*s %*s %u %*u %lu", local, remote, &st,
			   &uid, &inode) != 5)
			continue;
		colon = strchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &lport) != 1 || lport != port)
			continue;
		if (!udp && st != TCP_LISTEN)
			continue;
		if (hex_addr(local, (size_t)(colon - local), ip, sizeof(ip)) < 0)
			continue;
		snprintf(h[*nh].addr, sizeof(h[*nh].addr), v6 ? "[%s]:%u" : "%s:%u", ip, port);
		h[*nh].inode = inode;
		h[*nh].uid = uid;
		h[*nh].pid = 0;
		h[*nh].comm[0] = '\0';
		(*nh)++;
	}
	fclose(f);
	return 0;
}

static void read_comm(long pid, char *comm, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (!f || !fgets(comm, (int)size, f))
		comm[0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* Find the process behind each socket by its inode: the first process holding it. */
static void find_pids(struct holder *h, unsigned nh)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	unsigned left = nh;

	if (!proc)
		return;
	while (left && (de = readdir(proc))) {
		char fddir[300];
		DIR *fds;
		struct dirent *fe;
		long pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, NULL, 10);
		snprintf(fddir, sizeof(fddir), "/proc/%s/fd", de->d_name);
		fds = opendir(fddir);
		if (!fds)
			continue;                  /* not ours to see, or gone */
		while (left && (fe = readdir(fds))) {
			char link[600], target[64];
			unsigned long inode;
			ssize_t n;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", fddir, fe->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (sscanf(target, "socket:[%lu]", &inode) != 1)
				continue;
			for (unsigned i = 0; i < nh; i++) {
				if (h[i].inode == inode && h[i].pid == 0) {
					h[i].pid = pid;
					read_comm(pid, h[i].comm, sizeof(h[i].comm));
					left--;
				}
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

static void user_name(unsigned uid, char *out, size_t size)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, size, "%s", res->pw_name);
	else
		snprintf(out, size, "uid %u", uid);
}

int port_owner_describe(bool udp, unsigned port, char *out, size_t outlen)
{
	struct holder h[MAX_HOLDERS];
	unsigned nh = 0;
	size_t used = 0;
	const char *proto = udp ? "udp" : "tcp";
	char p4[32], p6[32];

	if (outlen)
		out[0] = '\0';
	snprintf(p4, sizeof(p4), "/proc/net/%s", proto);
	snprintf(p6, sizeof(p6), "/proc/net/%s6", proto);
	if (scan_table(p4, udp, false, port, h, &nh) < 0 ||
	    scan_table(p6, udp, true, port, h, &nh) < 0)
		return -1;
	if (nh == 0)
		return 0;
	find_pids(h, nh);
	for (unsigned i = 0; i < nh && used < outlen; i++) {
		char user[64];
		int n;

		user_name(h[i].uid, user, sizeof(user));
		if (h[i].pid)
			n = snprintf(out + used, outlen - used, "%s%s %s held by \"%s\" (pid %ld, user %s)",
				     i ? "; " : "", proto, h[i].addr, h[i].comm, h[i].pid, user);
		else
			n = snprintf(out + used, outlen - used,
				     "%s%s %s held by user %s (a process we may not inspect)",
				     i ? "; " : "", proto, h[i].addr, user);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return (int)nh;
}

int port_owner_tcp_uid(unsigned lport, unsigned rport, unsigned *uid)
{
	char line[512];
	FILE *f = fopen("/proc/net/tcp", "r");
	int rc = -1;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (rc < 0 && fgets(line, sizeof(line), f)) {
		unsigned lp, rp, st, u;

		if (sscanf(line, " %*u: %*8[0-9A-Fa-f]:%x %*8[0-9A-Fa-f]:%x %x %*s %*s %*s %u", &lp,
			   &rp, &st, &u) != 4)
			continue;
		if (lp == lport && rp == rport && st == 0x01 /* ESTABLISHED */) {
			*uid = u;
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}
