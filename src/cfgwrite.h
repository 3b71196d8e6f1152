/* cfgwrite.h: the one change ttyphone makes to config.ini by itself: a new [account]
 * section (`account add`). The rest of the file is kept byte for byte; the new file replaces
 * the old atomically (temporary file, fsync, rename, fsync of the folder) and is 0600. */
#ifndef TTY_CFGWRITE_H
#define TTY_CFGWRITE_H

#include <stddef.h>

struct account_cfg;

/* Append [account NAME] with uri (and password, if not NULL or empty) to the config at
 * path, creating the file and its folder (0700) if missing. Refuses a name that exists, a
 * value the config parser would read back differently, and anything the parser then
 * reports about the new section. 0, or -1 with a reason a person can act on. */
int config_add_account(const char *path, const char *name, const char *uri,
		       const char *password, char *why, size_t whylen);
/* The same, and *added (if not NULL) is the new account as a start would read it from the
 * file just written: the running program can start it without reading the file again. */
int config_add_account_as(const char *path, const char *name, const char *uri,
			  const char *password, struct account_cfg *added, char *why,
			  size_t whylen);

#endif
