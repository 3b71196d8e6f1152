/* filelock.c: rewriting a file whole, safely: its lock, its folder, the atomic replace. */
#include "filelock.h"
#include "strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_POLL_MS 10

void file_dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash && slash != path)
		str_ncopy(dir, size, path, (size_t)(slash - path));
	else
		str_copy(dir, size, slash ? "/" : ".");
}

int file_make_dirs(const char *dir, char *why, size_t whylen)
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

	file_dir_of(path, dir, sizeof(dir));
	if (file_make_dirs(dir, why, whylen) < 0)
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

int file_replace(const char *path, const char *text, size_t len, mode_t mode, char *why,
		 size_t whylen)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 64];
	const char *base = strrchr(path, '/');
	size_t off = 0;
	int fd, dfd, err;

	base = base ? base + 1 : path;
	file_dir_of(path, dir, sizeof(dir));
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp))
		return str_fail(why, whylen, "path too long: %s", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return str_fail(why, whylen, "cannot create a file in %s: %s", dir, strerror(errno));
	if (fchmod(fd, mode) < 0)
		goto failed;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto failed;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto failed;
	if (close(fd) < 0) {
		fd = -1;
		goto failed;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto failed;
	/* The rename is durable once the folder is on disk too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0 && errno != EINVAL) {
			err = errno;
			close(dfd);
			return str_fail(why, whylen, "wrote %s but could not sync its folder: %s",
					path, strerror(err));
		}
		close(dfd);
	}
	return 0;
failed:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return str_fail(why, whylen, "cannot write %s: %s (the old file is unchanged)", path,
			strerror(err ? err : EIO));
}
