/* cfgwrite.c: appending an [account] section to config.ini (see cfgwrite.h). */
#include "cfgwrite.h"
#include "config.h"
#include "filelock.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFGWRITE_MAX_FILE (1024 * 1024)   /* what config_load accepts */
#define INI_LINE_MAX 200                  /* Debian's inih cuts longer lines */

/* Names are words on the command line ("register work") and inside "[account NAME]". */
static int check_name(const char *name, char *why, size_t whylen)
{
	size_t n = strlen(name);

	if (!n)
		return str_fail(why, whylen, "an account needs a name");
	if (n >= sizeof(((struct account_cfg *)0)->name))
		return str_fail(why, whylen, "account name too long (at most %zu bytes)",
			    sizeof(((struct account_cfg *)0)->name) - 1);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-+@", *p))
			return str_fail(why, whylen, "account name \"%s\": use letters, digits and . _ - + @",
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
		return str_fail(why, whylen, "%s too long", what);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7F)
			return str_fail(why, whylen, "%s cannot contain control characters", what);
		if (v[i] == ';' && i && isspace((unsigned char)v[i - 1]))
			return str_fail(why, whylen, "%s cannot contain \" ;\" (it starts a comment)", what);
	}
	if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
		return str_fail(why, whylen, "%s cannot start or end with a space", what);
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
				str_fail(why, whylen, "out of memory");
			return text;
		}
		str_fail(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CFGWRITE_MAX_FILE) {
		str_fail(why, whylen, "%s is not a config file of at most 1 MB", path);
		close(fd);
		return NULL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		str_fail(why, whylen, "out of memory");
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
		str_fail(why, whylen, "cannot read %s: it changed while being read", path);
		free(text);
		return NULL;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		str_fail(why, whylen, "%s holds a NUL byte: not a config file", path);
		free(text);
		return NULL;
	}
	return text;
}

int config_add_account(const char *path, const char *name, const char *uri,
		       const char *password, char *why, size_t whylen)
{
	return config_add_account_as(path, name, uri, password, NULL, why, whylen);
}

int config_add_account_as(const char *path, const char *name, const char *uri,
			  const char *password, struct account_cfg *added, char *why,
			  size_t whylen)
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
		return str_fail(why, whylen, "uri must look like sip:user@domain, not \"%s\"", uri);
	if (check_value("uri", "uri", uri, CFG_STR, why, whylen) < 0)
		return -1;
	if (password && *password &&
	    check_value("password", "password", password, sizeof(cfg->accounts[0].password), why,
			whylen) < 0)
		return -1;
	/* A symbolic link (a dotfiles repository) stays one: write where it points. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!realpath(path, real))
			return str_fail(why, whylen, "%s: a link to nowhere (%s)", path, strerror(errno));
		target = real;
	}
	/* Two programs adding accounts at once would each save their own picture of the file
	 * (filelock.h): the read-modify-write holds the lock beside it. */
	if ((lockfd = file_lock(target, why, whylen)) < 0)
		return -1;
	if (!(old = read_all(target, why, whylen)))
		goto out;
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		str_fail(why, whylen, "out of memory");
		goto out;
	}
	config_defaults(cfg);
	config_load_string(cfg, target, old);
	for (unsigned i = 0; i < cfg->naccounts; i++) {
		if (str_ieq(cfg->accounts[i].name, name)) {
			str_fail(why, whylen, "there is already an account called \"%s\" in %s",
			     cfg->accounts[i].name, target);
			goto out;
		}
	}
	if (cfg->naccounts >= CFG_MAX_ACCOUNTS) {
		str_fail(why, whylen, "%s already has %d accounts, the most ttyphone takes", target,
		     CFG_MAX_ACCOUNTS);
		goto out;
	}
	snprintf(section, sizeof(section), "[account %s]\nuri = %s\n%s%s%s", name, uri,
		 password && *password ? "password = " : "", password && *password ? password : "",
		 password && *password ? "\n" : "");
	oldlen = strlen(old);
	textlen = oldlen + strlen(section) + 2;
	if (!(text = malloc(textlen + 1))) {
		str_fail(why, whylen, "out of memory");
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
			str_fail(why, whylen, "not added: %s", d->text);
			goto out;
		}
	}
	{
		const struct account_cfg *a = config_find_account(cfg, name);
		if (!a || strcmp(a->uri, uri) ||
		    strcmp(a->password, password && *password ? password : "")) {
			str_fail(why, whylen, "not added: the new section would not read back as written");
			goto out;
		}
		if (added)
			*added = *a;
	}
	rc = file_replace(target, text, strlen(text), 0600, why, whylen);
out:
	close(lockfd); /* unlocks */
	free(cfg);
	free(old);
	free(text);
	return rc;
}
