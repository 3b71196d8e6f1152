/* book.c: the address book the UI shows, kept in step with contacts.ini.
 *
 * - Changes made here (A, E, D) go through contacts_update: under the file's lock it reads
 *   contacts.ini again, applies this one change and saves, so a change made meanwhile by
 *   another ttyphone, --import-vcard or an editor is kept, and the UI gets the merged book.
 * - Changes made elsewhere are noticed by comparing the file's stamp (device, inode, size,
 *   modification time: one stat) with the one the book was read from, before every redraw.
 *   So that an edit shows without a key press, inotify (in glibc; no library) watches the
 *   file's folder and asks for a redraw when something there changes: the UI still never
 *   polls. Without inotify, or for a folder that appears later, the next redraw notices.
 * The selected row stays on the same person when the book is replaced under it: pressing
 * Enter right after a reload must not call someone else. */
#include "ttyconf.h"
#include "tui_int.h"
#include "strutil.h"
#include "sip/loop.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_SYS_INOTIFY_H
#include <sys/inotify.h>
#endif

/* Who the selected row of the contacts pane is: a contact's name or a peer's address. */
struct selection {
	enum row_kind kind;
	char id[CHAT_URI];
};

static void remember(struct tui *t, struct selection *s)
{
	static struct contact_row rows[CONTACT_ROWS_MAX];
	unsigned n = contacts_rows(t, rows, CONTACT_ROWS_MAX, true);

	s->kind = ROW_ECHO;
	s->id[0] = '\0';
	if (t->cs.sel < 0 || t->cs.sel >= (int)n)
		return;
	s->kind = rows[t->cs.sel].kind;
	if (s->kind == ROW_CONTACT)
		str_copy(s->id, sizeof(s->id), t->book.v[rows[t->cs.sel].index].name);
	else if (s->kind == ROW_PEER)
		str_copy(s->id, sizeof(s->id), t->chat.peers[rows[t->cs.sel].index].uri);
}

/* Select the row of s again; a peer who became a contact is found as the contact. */
static void restore(struct tui *t, const struct selection *s)
{
	static struct contact_row rows[CONTACT_ROWS_MAX];
	unsigned n = contacts_rows(t, rows, CONTACT_ROWS_MAX, true);
	const struct contact *as_contact = NULL;

	if (s->kind == ROW_CONTACT)
		as_contact = contacts_find(&t->book, s->id);
	else if (s->kind == ROW_PEER)
		as_contact = contacts_find_uri(&t->book, s->id);
	for (unsigned i = 0; i < n; i++) {
		const struct contact_row *r = &rows[i];
		if ((r->kind == ROW_ECHO && s->kind == ROW_ECHO) ||
		    (r->kind == ROW_CONTACT && as_contact && &t->book.v[r->index] == as_contact) ||
		    (r->kind == ROW_PEER && s->kind == ROW_PEER &&
		     contact_uri_same(t->chat.peers[r->index].uri, s->id))) {
			t->cs.sel = (int)i;
			return;
		}
	}
	/* gone: the row that took its place, as the pane's draw clamps it */
}

/* Everything that shows names from the book. */
static void book_replaced(struct tui *t)
{
	history_view_changed(t); /* its search finds contacts by name */
	t->panes[PANE_CONTACTS].dirty = true;
	t->panes[PANE_CALLS].dirty = true;
	if (tui_top(t))
		tui_top(t)->dirty = true;
	t->dirty |= D_STATUS | D_POPUP;
}

bool tui_change_contacts(struct tui *t, enum contacts_op op, const char *name,
			 const struct contact *ct, char *why, size_t whylen)
{
	struct selection s;

	remember(t, &s);
	if (contacts_update(&t->book, op, name, ct, why, whylen) < 0)
		return false;
	if (op != CONTACTS_DELETE) {
		/* the contact just added or edited is the one to see */
		s.kind = ROW_CONTACT;
		str_copy(s.id, sizeof(s.id), ct->name);
	}
	restore(t, &s);
	book_replaced(t);
	tui_dirty(t, D_CONTACTS);
	return true;
}

struct reload_diag {
	char first[300];
	unsigned n;
};

static void collect(void *arg, const char *line)
{
	struct reload_diag *d = arg;

	if (!d->n++)
		str_copy(d->first, sizeof(d->first), line);
}

void book_check(struct tui *t)
{
	struct reload_diag d = { "", 0 };
	struct selection s;
	char path[sizeof(t->book.path)];

	if (!contacts_changed_on_disk(&t->book))
		return;
	remember(t, &s);
	str_copy(path, sizeof(path), t->book.path);
	contacts_load(&t->book, path, collect, &d);
	restore(t, &s);
	book_replaced(t);
	if (d.n)
		tui_status(t, true, "contacts.ini changed: %s%s", d.first,
			   d.n > 1 ? " (and more)" : "");
	else
		tui_status(t, false, "contacts.ini changed: %u contact%s", t->book.n,
			   t->book.n == 1 ? "" : "s");
}

#ifdef HAVE_SYS_INOTIFY_H
/* Something happened in the watched folder: if it is the book's file, redraw (which
 * checks the stamp). Names are compared only to skip unrelated files' events. */
static void on_watch(void *arg, int fd)
{
	struct tui *t = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *base = strrchr(t->book.path, '/');
	bool ours = false;
	ssize_t n;

	base = base ? base + 1 : t->book.path;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			if (e->len && (!strcmp(e->name, base) || !strcmp(e->name, t->book_target)))
				ours = true;
			if (e->mask & IN_Q_OVERFLOW)
				ours = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* the watch is broken: redraws still notice changes */
		book_watch_stop(t);
	}
	if (ours)
		tui_dirty(t, D_CONTACTS);
}

/* Watch the folder of path (creations, renames over it, writes, deletions). */
static void watch_folder(int fd, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		str_copy(dir, sizeof(dir), slash ? "/" : ".");
	else
		str_ncopy(dir, sizeof(dir), path, (size_t)(slash - path));
	/* A folder that does not exist yet cannot be watched: redraws notice the file. */
	(void)inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
				IN_CREATE | IN_DELETE | IN_ATTRIB);
}
#endif

void book_watch_start(struct tui *t)
{
	t->book_fd = t->book_watch = -1;
	t->book_target[0] = '\0';
#ifdef HAVE_SYS_INOTIFY_H
	{
		char real[PATH_MAX];
		const char *slash;

		if (!t->book.path[0])
			return;
		t->book_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (t->book_fd < 0)
			return;
		watch_folder(t->book_fd, t->book.path);
		/* contacts.ini may be a link into a dotfiles repository: watch where it points */
		if (realpath(t->book.path, real) && strcmp(real, t->book.path)) {
			watch_folder(t->book_fd, real);
			slash = strrchr(real, '/');
			str_copy(t->book_target, sizeof(t->book_target), slash ? slash + 1 : real);
		}
		t->book_watch = loop_watch_fd(t->loop, t->book_fd, on_watch, t);
		if (t->book_watch < 0)
			book_watch_stop(t);
	}
#endif
}

void book_watch_stop(struct tui *t)
{
	if (t->book_watch >= 0)
		loop_unwatch(t->loop, t->book_watch);
	if (t->book_fd >= 0)
		close(t->book_fd);
	t->book_fd = t->book_watch = -1;
}
