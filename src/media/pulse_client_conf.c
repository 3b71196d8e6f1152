/* pulse_client_conf.c: our PulseAudio connections without shared memory.
 *
 * Why: libpulse-simple keeps a record fragment it peeked (pa_stream_peek, which holds the
 * memory block "acquired") between two pa_simple_read calls. When the server goes away
 * at that moment, libpulse's mainloop thread tears the connection down with its lock
 * held, and freeing the shared-memory import waits until every imported block is
 * released; the held fragment is released only by the next read, which needs that lock.
 * Every later call (pa_simple_get_latency, pa_simple_free) then blocks for good: seen
 * under valgrind in test_media_pulse (the server killed mid-call; libpulse's thread in
 * pa_memimport_free, ours in pa_simple_get_latency, media_session_free joining it). With
 * shared memory off the blocks are the client's own and nothing waits. libpulse has no
 * API or environment switch for it, only client.conf; ours includes the one libpulse
 * would have read (so a user's server, cookie and the rest still count) and adds
 * enable-shm = no. Audio of a call is a few kB/s: the socket carries it easily, and a
 * remote server (SSH forwarding) never used shared memory anyway. */
#include "ttyconf.h"
#include "media/pulse_client_conf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char made[4096];          /* the file we wrote, removed at exit (main thread only) */

static void remove_made(void)
{
	if (made[0])
		unlink(made);
}

static bool readable(const char *p)
{
	return p && *p && access(p, R_OK) == 0;
}

/* The file libpulse reads (pa_open_config_file): PULSE_CLIENTCONFIG, else the user's,
 * else the system's; "" when none is there. */
static void current_conf(char *out, size_t len)
{
	const char *env = getenv("PULSE_CLIENTCONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char p[4096];

	out[0] = '\0';
	if (env && *env) {
		if (readable(env))
			snprintf(out, len, "%s", env);
		return;
	}
	if (xdg && *xdg && snprintf(p, sizeof(p), "%s/pulse/client.conf", xdg) < (int)sizeof(p) &&
	    readable(p)) {
		snprintf(out, len, "%s", p);
		return;
	}
	if (home && *home) {
		if (snprintf(p, sizeof(p), "%s/.config/pulse/client.conf", home) < (int)sizeof(p) &&
		    readable(p)) {
			snprintf(out, len, "%s", p);
			return;
		}
		if (snprintf(p, sizeof(p), "%s/.pulse/client.conf", home) < (int)sizeof(p) &&
		    readable(p)) {
			snprintf(out, len, "%s", p);
			return;
		}
	}
	if (readable("/etc/pulse/client.conf"))
		snprintf(out, len, "%s", "/etc/pulse/client.conf");
}

int pulse_client_conf_no_shm(const char *dir, char *out, size_t outlen, char *why,
			     size_t whylen)
{
	char inc[4096], path[4096];
	const char *rt = getenv("XDG_RUNTIME_DIR");
	FILE *f;
	int fd, ok;

	if (!dir)
		dir = rt && *rt && access(rt, W_OK) == 0 ? rt : "/tmp";
	current_conf(inc, sizeof(inc));
	if (strchr(inc, '\n')) {
		snprintf(why, whylen, "the PulseAudio client.conf path has a newline");
		return -1;
	}
	if (snprintf(path, sizeof(path), "%s/ttyphone-pulse-client.XXXXXX", dir) >=
	    (int)sizeof(path)) {
		snprintf(why, whylen, "%s: path too long", dir);
		return -1;
	}
	if ((fd = mkstemp(path)) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!(f = fdopen(fd, "w"))) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	ok = fprintf(f, "# ttyphone: the client.conf libpulse would read, without shared "
		     "memory (see pulse_client_conf.c)\n") >= 0;
	if (ok && inc[0])
		ok = fprintf(f, ".include %s\n", inc) >= 0;
	if (ok)
		ok = fprintf(f, "enable-shm = no\n") >= 0;
	if (fclose(f) != 0 || !ok || setenv("PULSE_CLIENTCONFIG", path, 1) != 0) {
		snprintf(why, whylen, "%s: cannot write it", path);
		unlink(path);
		return -1;
	}
	if (!made[0])
		atexit(remove_made);
	else
		unlink(made);            /* a second call replaces the first file */
	snprintf(made, sizeof(made), "%s", path);
	if (out)
		snprintf(out, outlen, "%s", path);
	return 0;
}
