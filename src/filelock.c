/* filelock.c: the flock beside a file that is rewritten whole (see filelock.h). */
#include "filelock.h"
#include "strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_POLL_MS 10

/* mkdir -p, new folders 0700 (they hold the user's config). */
static int make_dirs(const char *dir, char *why, size_t whylen)
{
	char p[PATH_MAX];

	if (str_copy(p, sizeof(p), dir) < 0) {
		snprintf(why, whylen, "path too long: %s", dir);
		return -1;
	}
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char keep = *s;
			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				snprintf(why, whylen, "cannot create the folder %s: %s", p,
					 strerror(errno));
				return -1;
			}
			*s = keep;
			if (!keep)
				break;
		}
	}
	return 0;
}

int file_lock(const char *path, char *why, size_t whylen)
{
	char dir[PATH_MAX], lock[PATH_MAX + 64];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct timespec pause = { 0, LOCK_POLL_MS * 1000000L };
	int fd, waited = 0;

	if (slash && slash != path)
		str_ncopy(dir, sizeof(dir), path, (size_t)(slash - path));
	else
		str_copy(dir, sizeof(dir), slash ? "/" : ".");
	if (make_dirs(dir, why, whylen) < 0)
		return -1;
	if (snprintf(lock, sizeof(lock), "%s/.%s.lock", dir, base) >= (int)sizeof(lock)) {
		snprintf(why, whylen, "path too long: %s", path);
		return -1;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create the lock file %s: %s", lock, strerror(errno));
		return -1;
	}
	/* Not a blocking wait: a writer that hangs must not freeze the UI for good. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		if (err == EINTR)
			continue;
		if (err != EWOULDBLOCK || waited >= FILELOCK_WAIT_MS) {
			close(fd);
			if (err == EWOULDBLOCK)
				snprintf(why, whylen, "another program has been writing %s for %d s "
					 "(it holds %s): try again", path, FILELOCK_WAIT_MS / 1000, lock);
			else
				snprintf(why, whylen, "cannot lock %s: %s", lock, strerror(err));
			return -1;
		}
		nanosleep(&pause, NULL);
		waited += LOCK_POLL_MS;
	}
	return fd;
}
