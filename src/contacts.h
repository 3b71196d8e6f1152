/* contacts.h: the address book, contacts.ini. One section per contact:
 *
 *   [contact bob]
 *   uri = sip:bob@example.org, sip:+15550100@example.org
 *   account = work
 *   notes = desk phone
 *
 * Loaded with inih, every problem reported as "contacts.ini:LINE: message"; saved atomically
 * (temporary file in the same directory, fsync, rename, fsync of the directory); changed
 * through contacts_change, which re-reads the file under a lock so that two writers (two
 * ttyphones, the UI and --import-vcard) never drop each other's changes. Values are
 * validated on the way in so that whatever we save loads back the same: Debian's inih stops
 * at 200 characters a line and treats " ;" as the start of a comment. No curses here: the
 * app uses this list too (call <contact>). */
#ifndef TTY_CONTACTS_H
#define TTY_CONTACTS_H

#include <stdbool.h>
#include <stddef.h>

#define CONTACT_NAME 64
#define CONTACT_URI 192          /* "uri = " + one URI must fit inih's 200-byte line */
#define CONTACT_MAX_URIS 4
#define CONTACT_ACCOUNT 64
#define CONTACT_NOTES 160
#define CONTACTS_MAX 1000

struct contact {
	char name[CONTACT_NAME];
	char uri[CONTACT_MAX_URIS][CONTACT_URI];
	unsigned nuri;
	char account[CONTACT_ACCOUNT];   /* empty: the default account */
	char notes[CONTACT_NOTES];
	bool blf;                        /* watch its busy lamp (app_blf.c) */
};

/* What the file was when the list was read, to notice that someone changed it. */
struct contacts_stamp {
	bool exists;
	unsigned long long dev, ino;
	long long size, mtime_sec;
	long mtime_nsec;
};

struct contacts {
	struct contact *v;        /* in file order */
	unsigned n, cap;
	char path[1024];          /* where contacts_save writes; empty: nowhere */
	bool unreadable;          /* the file exists but could not be read: never overwrite it */
	struct contacts_stamp stamp; /* the file as contacts_load / contacts_change left it */
};

/* One diagnostic line, already formatted as "file:line: message". */
typedef void (contacts_diag_fn)(void *arg, const char *line);

void contacts_init(struct contacts *c);
void contacts_free(struct contacts *c);
/* $XDG_CONFIG_HOME/ttyphone/contacts.ini (or ~/.config/...). */
void contacts_default_path(char *out, size_t size);
/* Replace the list with the file's contacts and remember path for saving. A missing file is
 * an empty list (0). Bad lines are reported and skipped. -1: the file exists but cannot be
 * read (the list is then empty and saving is refused, so a good file is never clobbered). */
int contacts_load(struct contacts *c, const char *path, contacts_diag_fn *diag, void *arg);
/* The same for an in-memory text shown as file `name` (tests). Does not set the path. */
int contacts_load_string(struct contacts *c, const char *name, const char *text,
			 contacts_diag_fn *diag, void *arg);
/* Write the list to c->path atomically (through a symbolic link: where it points). -1 with
 * a reason a person can act on. Alone it races with other writers: see contacts_change. */
int contacts_save(const struct contacts *c, char *why, size_t whylen);
/* Whether the file is no longer what c was read from (another program, an editor): one
 * stat(2), comparing device, inode, size and modification time. */
bool contacts_changed_on_disk(const struct contacts *c);

/* A change to the book: fn changes the list it is given and returns 1 (save it), 0 (nothing
 * to save) or -1 with why (refused). */
typedef int (contacts_change_fn)(struct contacts *book, void *arg, char *why, size_t whylen);
/* Change contacts.ini safely against other writers: under an flock on .contacts.ini.lock
 * beside c->path (filelock.h), read the file again (problems go to diag), apply fn to that
 * fresh list, save it, and make it c's list, so c also gets what others changed meanwhile.
 * While the file has a line the loader skips, the change is refused naming that line:
 * saving would drop it. Returns fn's 1 or 0 (c is the file's list either way), or -1 with why (c unchanged). */
int contacts_change(struct contacts *c, contacts_change_fn *fn, void *arg,
		    contacts_diag_fn *diag, void *darg, char *why, size_t whylen);
/* The UI's three changes through contacts_change: add ct; replace the contact called name
 * with ct (it may be renamed); delete the contact called name (already gone: 0). */
enum contacts_op { CONTACTS_ADD, CONTACTS_EDIT, CONTACTS_DELETE };
int contacts_update(struct contacts *c, enum contacts_op op, const char *name,
		    const struct contact *ct, char *why, size_t whylen);

/* Check a contact's fields; -1 with why. */
int contact_validate(const struct contact *ct, char *why, size_t whylen);
/* Fill ct->uri from "uri, uri, ...". -1 with why. */
int contact_set_uris(struct contact *ct, const char *list, char *why, size_t whylen);
/* The UI's one-line form of a contact: "NAME URI[, URI...] [account=ACCOUNT] [notes=TEXT]".
 * parse fills ct only when the whole line is valid (-1 with why otherwise); format writes
 * the line that parses back to ct (CONTACT_LINE bytes always suffice). */
#define CONTACT_LINE (CONTACT_NAME + CONTACT_MAX_URIS * (CONTACT_URI + 2) + CONTACT_ACCOUNT + \
		      CONTACT_NOTES + 32)
int contact_parse_line(struct contact *ct, const char *line, char *why, size_t whylen);
void contact_format_line(const struct contact *ct, char *out, size_t size);
int contacts_add(struct contacts *c, const struct contact *ct, char *why, size_t whylen);
/* Replace the contact called name (which may be renamed to ct->name). */
int contacts_edit(struct contacts *c, const char *name, const struct contact *ct, char *why,
		  size_t whylen);
int contacts_remove(struct contacts *c, const char *name);

/* Lookups are case-insensitive on names; NULL if none. */
const struct contact *contacts_find(const struct contacts *c, const char *name);
/* Whether text is in the contact's name, notes or one of its URIs (str_casefind: any case,
 * UTF-8 aware). An empty text matches every contact. */
bool contact_matches(const struct contact *ct, const char *text);
/* The contact one of whose URIs is the same address as uri (see contact_uri_same). */
const struct contact *contacts_find_uri(const struct contacts *c, const char *uri);
/* The contact called name in the default contacts.ini as it is now (read fresh, so a
 * hand edit counts at once), copied to *out; false if there is none or no readable book. */
bool contacts_lookup_default(const char *name, struct contact *out);
/* What "call NAME" means: the first URI of the contact NAME, else NULL. */
const char *contacts_resolve(const struct contacts *c, const char *name);
/* Same address: scheme, user and host:port compared, case-insensitive for scheme and host,
 * ignoring a display name, <>, parameters and headers. */
bool contact_uri_same(const char *a, const char *b);
/* The address part of uri, as contact_uri_same compares it ("sip:bob@host:5060"). */
void contact_uri_key(const char *uri, char *out, size_t size);

#endif
