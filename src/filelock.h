/* filelock.h: one writer at a time for a file that ttyphone rewrites whole (config.ini for
 * `account add`, contacts.ini). Each writer reads the file, changes it and renames a new one
 * over it; two at once would each save their own picture and the last rename would drop the
 * other's change. So the whole read-modify-write holds an flock on ".NAME.lock" beside the
 * file. The lock file is never removed: unlinking it would let a third writer lock a new
 * file while the second still holds the old one. flock, not fcntl locks: those are dropped
 * when any descriptor of the file in the process closes. */
#ifndef TTY_FILELOCK_H
#define TTY_FILELOCK_H

#include <stddef.h>
#include <sys/types.h>

#define FILELOCK_WAIT_MS 5000        /* another writer holds it longer: say so */

/* Lock ".NAME.lock" beside path (creating path's folder, 0700, if missing). Waits up to
 * FILELOCK_WAIT_MS without blocking the thread for long (it runs on the UI's and the SIP
 * stack's thread). Returns the locked descriptor (closing it unlocks), or -1 with why. */
int file_lock(const char *path, char *why, size_t whylen);

/* The folder of path into dir[size] ("." for a bare name, "/" for one at the root). */
void file_dir_of(const char *path, char *dir, size_t size);
/* mkdir -p dir, new folders 0700 (they hold the user's config). -1 with why. */
int file_make_dirs(const char *dir, char *why, size_t whylen);
/* Replace path with text[len] so that a crash leaves the old file or the new one, never
 * half of either: a temporary file beside it with mode, written, fsynced, renamed over
 * path, and the folder fsynced. -1 with why; the old file is then unchanged. */
int file_replace(const char *path, const char *text, size_t len, mode_t mode, char *why,
		 size_t whylen);

#endif
