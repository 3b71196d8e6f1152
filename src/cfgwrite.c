/* cfgwrite.c: appending an [account] section to config.ini (see cfgwrite.h). */
#include "cfgwrite.h"
#include "config.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CFGWRITE_MAX_FILE (1024 * 1024)   /* what config_load accepts */
#define INI_LINE_MAX 200                  /* Debian's inih cuts longer lines */
#define LOCK_WAIT_MS 5000                 /* another writer holds it longer: say so */
#define LOCK_POLL_MS 10

static int fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Names are words on the command line ("register work") and inside "[account NAME]". */
static int check_name(const char *name, char *why, size_t whylen)
{
	size_t n = strlen(name);

	if (!n)
		return fail(why, whylen, "an account needs a name");
	if (n >= sizeof(((struct account_cfg *)0)->name))
		return fail(why, whylen, "account name too long (at most %zu bytes)",
			    sizeof(((struct account_cfg *)0)->name) - 1);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-+@", *p))
			return fail(why, whylen, "account name \"%s\": use letters, digits and . _ - + @",
				    name);
	return 0;
}

/* A value inih would read back differently (surrounding spaces, " ;" comments, long lines)
 * or that could break the file (line ends). */
static int check_value(const char *what, const char *key, const char *v, size_t max, char *why,
		       size_t whylen)
{
	size_t n = strlen(v);

	if (n >= max || strlen(key) + 3 + n >= INI_LINE_MAX)
		return fail(why, whylen, "%s too long", what);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7F)
			return fail(why, whylen, "%s cannot contain control characters", what);
		if (v[i] == ';' && i && isspace((unsigned char)v[i - 1]))
			return fail(why, whylen, "%s cannot contain \" ;\" (it starts a comment)", what);
	}
	if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
		return fail(why, whylen, "%s cannot start or end with a space", what);
	return 0;
}

/* The whole file, or an empty string when it does not exist. */
static char *read_all(const char *path, char *why, size_t whylen)
{
	struct stat st;
	char *text;
	ssize_t got;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT) {
			text = calloc(1, 1);
			if (!text)
				fail(why, whylen, "out of memory");
			return text;
		}
		fail(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CFGWRITE_MAX_FILE) {
		fail(why, whylen, "%s is not a config file of at most 1 MB", path);
		close(fd);
		return NULL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		fail(why, whylen, "out of memory");
		close(fd);
		return NULL;
	}
	while (len < (size_t)st.st_size &&
	       ((got = read(fd, text + len, (size_t)st.st_size - len)) > 0 ||
		(got < 0 && errno == EINTR)))
		if (got > 0)
			len += (size_t)got;
	close(fd);
	if (len != (size_t)st.st_size) {
		fail(why, whylen, "cannot read %s: it changed while being read", path);
		free(text);
		return NULL;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		fail(why, whylen, "%s holds a NUL byte: not a config file", path);
		free(text);
		return NULL;
	}
	return text;
}

static int make_dirs(const char *dir, char *why, size_t whylen)
{
	char p[PATH_MAX];

	if (str_copy(p, sizeof(p), dir) < 0)
		return fail(why, whylen, "path too long: %s", dir);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char keep = *s;
			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST)
				return fail(why, whylen, "cannot create the folder %s: %s", p, strerror(errno));
			*s = keep;
			if (!keep)
				break;
		}
	}
	return 0;
}

/* The folder of path into dir[size] ("." for a bare name). */
static void dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash && slash != path)
		str_ncopy(dir, size, path, (size_t)(slash - path));
	else
		str_copy(dir, size, slash ? "/" : ".");
}

/* Two programs adding accounts at once (two ttyphones, a script and the UI) each read the
 * file, add their section and rename a new file over it: without a lock the last rename
 * wins and the other section is lost. So the whole read-modify-write holds an flock on
 * ".NAME.lock" beside the file. The lock file is never removed: unlinking it would let a
 * third writer lock a new file while the second still holds the old one. flock, not
 * fcntl locks: those are dropped when any descriptor of the file in the process closes.
 * Returns the locked descriptor (closing it unlocks), or -1 with why. */
static int lock_config(const char *path, char *why, size_t whylen)
{
	char dir[PATH_MAX], lock[PATH_MAX + 64];
	const char *base = strrchr(path, '/');
	struct timespec pause = { 0, LOCK_POLL_MS * 1000000L };
	int fd, waited = 0;

	dir_of(path, dir, sizeof(dir));
	base = base ? base + 1 : path;
	if (make_dirs(dir, why, whylen) < 0)
		return -1;
	if (snprintf(lock, sizeof(lock), "%s/.%s.lock", dir, base) >= (int)sizeof(lock))
		return fail(why, whylen, "path too long: %s", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(why, whylen, "cannot create the lock file %s: %s", lock, strerror(errno));
	/* Not a blocking wait: this runs on the thread of the UI and the SIP stack. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		if (err == EINTR)
			continue;
		if (err != EWOULDBLOCK || waited >= LOCK_WAIT_MS) {
			close(fd);
			if (err == EWOULDBLOCK)
				return fail(why, whylen, "another program has been writing %s for %d s "
					    "(it holds %s): try again", path, LOCK_WAIT_MS / 1000, lock);
			return fail(why, whylen, "cannot lock %s: %s", lock, strerror(err));
		}
		nanosleep(&pause, NULL);
		waited += LOCK_POLL_MS;
	}
	return fd;
}

static int write_atomically(const char *path, const char *text, char *why, size_t whylen)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	size_t len = strlen(text), off = 0;
	int fd, dfd, err;

	dir_of(path, dir, sizeof(dir)); /* made by lock_config */
	snprintf(tmp, sizeof(tmp), "%s/.config.ini.XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return fail(why, whylen, "cannot create a file in %s: %s", dir, strerror(errno));
	/* mkstemp makes it 0600 already; say so anyway, the file holds passwords */
	if (fchmod(fd, 0600) < 0)
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
			return fail(why, whylen, "wrote %s but could not sync its folder: %s", path,
				    strerror(err));
		}
		close(dfd);
	}
	return 0;
failed:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return fail(why, whylen, "cannot write %s: %s (the old file is unchanged)", path,
		    strerror(err));
}

int config_add_account(const char *path, const char *name, const char *uri,
		       const char *password, char *why, size_t whylen)
{
	struct config *cfg = NULL;
	char real[PATH_MAX], section[512];
	const char *target = path;
	char *old = NULL, *text = NULL;
	size_t oldlen, textlen;
	int first_line = 1, rc = -1, lockfd;
	struct stat st;

	if (check_name(name, why, whylen) < 0)
		return -1;
	if (strncasecmp(uri, "sip:", 4) && strncasecmp(uri, "sips:", 5))
		return fail(why, whylen, "uri must look like sip:user@domain, not \"%s\"", uri);
	if (check_value("uri", "uri", uri, CFG_STR, why, whylen) < 0)
		return -1;
	if (password && *password &&
	    check_value("password", "password", password, sizeof(cfg->accounts[0].password), why,
			whylen) < 0)
		return -1;
	/* A symbolic link (a dotfiles repository) stays one: write where it points. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!realpath(path, real))
			return fail(why, whylen, "%s: a link to nowhere (%s)", path, strerror(errno));
		target = real;
	}
	if ((lockfd = lock_config(target, why, whylen)) < 0)
		return -1;
	if (!(old = read_all(target, why, whylen)))
		goto out;
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		fail(why, whylen, "out of memory");
		goto out;
	}
	config_defaults(cfg);
	config_load_string(cfg, target, old);
	for (unsigned i = 0; i < cfg->naccounts; i++) {
		if (str_ieq(cfg->accounts[i].name, name)) {
			fail(why, whylen, "there is already an account called \"%s\" in %s",
			     cfg->accounts[i].name, target);
			goto out;
		}
	}
	if (cfg->naccounts >= CFG_MAX_ACCOUNTS) {
		fail(why, whylen, "%s already has %d accounts, the most ttyphone takes", target,
		     CFG_MAX_ACCOUNTS);
		goto out;
	}
	snprintf(section, sizeof(section), "[account %s]\nuri = %s\n%s%s%s", name, uri,
		 password && *password ? "password = " : "", password && *password ? password : "",
		 password && *password ? "\n" : "");
	oldlen = strlen(old);
	textlen = oldlen + strlen(section) + 2;
	if (!(text = malloc(textlen + 1))) {
		fail(why, whylen, "out of memory");
		goto out;
	}
	memcpy(text, old, oldlen);
	text[oldlen] = '\0';
	if (oldlen && text[oldlen - 1] != '\n')
		strcat(text, "\n");
	if (oldlen)
		strcat(text, "\n");
	for (const char *p = text; *p; p++)
		first_line += *p == '\n';
	strcat(text, section);
	/* Read it back as ttyphone will: anything said about the new lines is a refusal. */
	config_defaults(cfg);
	config_load_string(cfg, target, text);
	for (unsigned i = 0; i < cfg->ndiags; i++) {
		const struct config_diag *d = &cfg->diags[i];
		if (d->line >= first_line && !strstr(d->text, "has no password")) {
			fail(why, whylen, "not added: %s", d->text);
			goto out;
		}
	}
	{
		const struct account_cfg *a = config_find_account(cfg, name);
		if (!a || strcmp(a->uri, uri) ||
		    strcmp(a->password, password && *password ? password : "")) {
			fail(why, whylen, "not added: the new section would not read back as written");
			goto out;
		}
	}
	rc = write_atomically(target, text, why, whylen);
out:
	close(lockfd); /* unlocks */
	free(cfg);
	free(old);
	free(text);
	return rc;
}
