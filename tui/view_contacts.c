/* view_contacts.c: the contacts pane. Its rows: the built-in echo test (always first), the
 * address book (contacts.ini), then people who wrote to us and are not in the book. "/"
 * filters as you type (name, URI or notes; any case, in any script str_casefind folds). A row shows who is in a call with us and who
 * has unread messages, and, when an account has presence = yes, the contact's presence
 * (online, away, busy, offline and the note: app_presence_view); a contact with blf = yes
 * shows its busy lamp when it rings or talks (app_blf_view), and Enter on a ringing lamp
 * picks that call up. */
#include "tui_int.h"
#include "draw.h"
#include "app.h"
#include "strutil.h"

#define PRES_NOTE_SHOWN 128

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool row_matches(struct tui *t, const struct contact_row *r, const char *f)
{
	if (!f[0])
		return true;
	switch (r->kind) {
	case ROW_ECHO:
		return str_casefind("echo test", f);
	case ROW_CONTACT:
		return contact_matches(&t->book.v[r->index], f);
	case ROW_PEER: {
		const struct chat_peer *p = &t->chat.peers[r->index];
		return str_casefind(p->uri, f) || str_casefind(p->display, f);
	}
	}
	return false;
}

unsigned contacts_rows(struct tui *t, struct contact_row *rows, unsigned max, bool filtered)
{
	const char *f = filtered ? t->cs.filter.buf : "";
	struct contact_row r;
	unsigned n = 0;

	r.kind = ROW_ECHO;
	r.index = 0;
	if (n < max && row_matches(t, &r, f))
		rows[n++] = r;
	for (unsigned i = 0; i < t->book.n && n < max; i++) {
		r.kind = ROW_CONTACT;
		r.index = (int)i;
		if (row_matches(t, &r, f))
			rows[n++] = r;
	}
	for (unsigned i = 0; i < CHAT_MAX_PEERS && n < max; i++) {
		const struct chat_peer *p = &t->chat.peers[i];
		if (!p->used || contacts_find_uri(&t->book, p->uri))
			continue;
		r.kind = ROW_PEER;
		r.index = (int)i;
		if (row_matches(t, &r, f))
			rows[n++] = r;
	}
	return n;
}

void contacts_row_name(struct tui *t, const struct contact_row *r, char *name, size_t size)
{
	switch (r->kind) {
	case ROW_ECHO:
		str_copy(name, size, "echo");
		break;
	case ROW_CONTACT:
		str_copy(name, size, t->book.v[r->index].name);
		break;
	case ROW_PEER: {
		const struct chat_peer *p = &t->chat.peers[r->index];
		const char *s = p->display[0] ? p->display : p->uri;
		/* someone else's name: escaped */
		str_escape_terminal(name, size, s, strlen(s), false);
		break;
	}
	}
}

const char *contacts_row_uri(struct tui *t, const struct contact_row *r)
{
	switch (r->kind) {
	case ROW_ECHO:
		return "echo";
	case ROW_CONTACT:
		return t->book.v[r->index].nuri ? t->book.v[r->index].uri[0] : "";
	case ROW_PEER:
		return t->chat.peers[r->index].uri;
	}
	return "";
}

/* The state of a call with this row's person, if any ("in call", "ringing"). */
static const char *call_state_of(struct tui *t, const struct contact_row *r)
{
	struct app_call_view cv;

	for (unsigned i = 0; app_call_view(t->app, i, &cv); i++) {
		bool same;
		if (cv.state == CALL_ENDED)
			continue;
		if (r->kind == ROW_ECHO)
			same = !strncmp(cv.peer, "sip:echo@", 9);
		else if (r->kind == ROW_CONTACT)
			same = contacts_find_uri(&t->book, cv.peer) == &t->book.v[r->index];
		else
			same = contact_uri_same(cv.peer, t->chat.peers[r->index].uri);
		if (!same)
			continue;
		switch (cv.state) {
		case CALL_INCOMING: return "calling us";
		case CALL_CALLING: case CALL_RINGING: case CALL_EARLY: return "ringing";
		case CALL_HELD: return "on hold";
		default: return "in call";
		}
	}
	return NULL;
}

static unsigned unread_of(struct tui *t, const struct contact_row *r)
{
	unsigned n = 0;

	if (r->kind == ROW_PEER)
		return t->chat.peers[r->index].unread;
	if (r->kind != ROW_CONTACT)
		return 0;
	for (unsigned i = 0; i < t->book.v[r->index].nuri; i++) {
		struct chat_peer *p = chat_peer(&t->chat, t->book.v[r->index].uri[i], false);
		if (p)
			n += p->unread;
	}
	return n;
}

static void draw(struct tui *t, struct view *v)
{
	static struct contact_row rows[CONTACT_ROWS_MAX];
	WINDOW *w = v->win;
	int h = getmaxy(w) - 2, width = getmaxx(w) - 2, list_h;
	bool focused = t->focus == PANE_CONTACTS && !tui_top(t);
	bool show_filter = t->cs.typing || t->cs.filter.len;
	unsigned n = contacts_rows(t, rows, CONTACT_ROWS_MAX, true);
	char right[32];

	snprintf(right, sizeof(right), "%u", n);
	draw_box(w, "Contacts", right, focused);
	list_h = h - (show_filter ? 1 : 0);
	if (t->cs.sel >= (int)n)
		t->cs.sel = n ? (int)n - 1 : 0;
	if (t->cs.sel < t->cs.top)
		t->cs.top = t->cs.sel;
	if (t->cs.sel >= t->cs.top + list_h)
		t->cs.top = t->cs.sel - list_h + 1;
	if (t->cs.top < 0)
		t->cs.top = 0;
	for (int i = 0; i < list_h && t->cs.top + i < (int)n; i++) {
		const struct contact_row *r = &rows[t->cs.top + i];
		bool sel = t->cs.top + i == t->cs.sel;
		const char *state = call_state_of(t, r);
		unsigned unread = unread_of(t, r);
		const char *pres = NULL, *pnote = "", *lamp = NULL;
		char name[128], detail[160];
		int y = 1 + i, x = 1, nw;
		enum role role = sel ? (focused ? R_SEL : R_TITLE) : R_NORMAL;

		contacts_row_name(t, r, name, sizeof(name));
		if (r->kind == ROW_CONTACT &&
		    !app_presence_view(t->app, t->book.v[r->index].name, &pres, &pnote))
			pres = NULL;
		if (r->kind == ROW_CONTACT &&
		    (!app_blf_view(t->app, t->book.v[r->index].name, &lamp) ||
		     !strcmp(lamp, "unknown")))
			lamp = NULL;
		if (sel)
			draw_fill(w, y, 1, width, role);
		wattron(w, draw_attr(role));
		if (unread)
			x += draw_text(w, y, x, 2, draw_glyph(G_UNREAD));
		else if (state || (pres && !strcmp(pres, "online")))
			x += draw_text(w, y, x, 2, draw_glyph(G_ONLINE));
		else
			x += draw_text(w, y, x, 2, " ");
		x += draw_text(w, y, x, 1, " ");
		nw = draw_text(w, y, x, width - x, name);
		wattroff(w, draw_attr(role));
		x += nw + 1;
		if (unread)
			snprintf(detail, sizeof(detail), "%u new", unread);
		else if (state)
			snprintf(detail, sizeof(detail), "%s", state);
		else if (lamp && strcmp(lamp, "idle"))
			/* the busy lamp: what rings or talks there now beats how they feel */
			snprintf(detail, sizeof(detail), "%s%s", lamp,
				 !strcmp(lamp, "ringing") ? " (Enter: pick up)" : "");
		else if (pres && strcmp(pres, "unknown")) {
			char safe[PRES_NOTE_SHOWN];

			/* someone else's words: escaped */
			str_escape_terminal(safe, sizeof(safe), pnote, strlen(pnote), false);
			snprintf(detail, sizeof(detail), "%s%s%s", pres, safe[0] ? ": " : "", safe);
		} else if (r->kind == ROW_ECHO)
			snprintf(detail, sizeof(detail), "audio test");
		else if (r->kind == ROW_CONTACT && t->book.v[r->index].notes[0])
			snprintf(detail, sizeof(detail), "%s", t->book.v[r->index].notes);
		else if (r->kind == ROW_CONTACT && t->book.v[r->index].nuri)
			snprintf(detail, sizeof(detail), "%s", t->book.v[r->index].uri[0] +
				 (strncmp(t->book.v[r->index].uri[0], "sip:", 4) ? 0 : 4));
		else
			detail[0] = '\0';
		if (detail[0] && x < width - 2)
			draw_right(w, y, x, width + 1 - x, sel ? role : unread ? R_OK : state ? R_WARN :
				   lamp && !strcmp(lamp, "ringing") ? R_OK :
				   lamp && !strcmp(lamp, "in call") ? R_WARN :
				   pres && !strcmp(pres, "online") ? R_OK :
				   pres && !strcmp(pres, "busy") ? R_WARN : R_DIM, detail);
	}
	if (show_filter) {
		draw_editor(w, h, 1, width, "/", &t->cs.filter, t->cs.typing ? R_NORMAL : R_DIM);
	}
}

static bool selected(struct tui *t, struct contact_row *out)
{
	static struct contact_row rows[CONTACT_ROWS_MAX];
	unsigned n = contacts_rows(t, rows, CONTACT_ROWS_MAX, true);

	if (t->cs.sel < 0 || t->cs.sel >= (int)n)
		return false;
	*out = rows[t->cs.sel];
	return true;
}

/* "add contact: NAME URI[, URI...] [account=A] [notes=TEXT]" (contact_parse_line) */
static void add_done(struct tui *t, const char *text)
{
	struct contact ct;
	char why[600];

	if (contact_parse_line(&ct, text, why, sizeof(why)) < 0 ||
	    !tui_change_contacts(t, CONTACTS_ADD, NULL, &ct, why, sizeof(why))) {
		tui_status(t, true, "add contact: %s", why);
		return;
	}
	tui_status(t, false, "added %s", ct.name);
}

/* The contact being edited, by name: the book may change while the prompt is open. */
static char edit_name[CONTACT_NAME];

static void edit_done(struct tui *t, const char *text)
{
	struct contact ct;
	char why[600];

	if (contact_parse_line(&ct, text, why, sizeof(why)) < 0 ||
	    !tui_change_contacts(t, CONTACTS_EDIT, edit_name, &ct, why, sizeof(why))) {
		tui_status(t, true, "edit %s: %s", edit_name, why);
		return;
	}
	tui_status(t, false, "%s saved", ct.name);
}

static void delete_yes(struct tui *t)
{
	char why[600];

	if (!tui_change_contacts(t, CONTACTS_DELETE, t->conf.arg, NULL, why, sizeof(why)))
		tui_status(t, true, "delete %s: %s", t->conf.arg, why);
	else
		tui_status(t, false, "deleted %s", t->conf.arg);
}

/* An address book that could not be read is shown empty and never saved over: changing it
 * in memory only would look saved and be lost, so changes are refused up front. */
static bool book_changeable(struct tui *t)
{
	if (!t->book.unreadable)
		return true;
	tui_status(t, true, "%s could not be read, so it is not changed here: fix it and restart",
		    t->book.path);
	return false;
}

static bool request(struct tui *t, struct view *v, enum request req, int key)
{
	struct contact_row r;
	char line[CONTACT_URI + CONTACT_ACCOUNT + 16];
	int page = getmaxy(v->win) - 3;

	(void)key;
	switch (req) {
	case REQ_UP: t->cs.sel--; break;
	case REQ_DOWN: t->cs.sel++; break;
	case REQ_PAGE_UP: t->cs.sel -= page; break;
	case REQ_PAGE_DOWN: t->cs.sel += page; break;
	case REQ_FIRST: t->cs.sel = 0; break;
	case REQ_LAST: t->cs.sel = CONTACT_ROWS_MAX; break;
	case REQ_CALL: {
		const char *lamp;

		if (!selected(t, &r))
			return true;
		/* A ringing busy lamp: Enter takes that call (the account's pickup code) */
		if (r.kind == ROW_CONTACT &&
		    app_blf_view(t->app, t->book.v[r.index].name, &lamp) &&
		    !strcmp(lamp, "ringing")) {
			snprintf(line, sizeof(line), "pickup %s", t->book.v[r.index].name);
			tui_exec(t, line);
			break;
		}
		/* A contact may name the account to call it with. */
		if (r.kind == ROW_CONTACT && t->book.v[r.index].account[0])
			snprintf(line, sizeof(line), "call %s %s", contacts_row_uri(t, &r),
				 t->book.v[r.index].account);
		else
			snprintf(line, sizeof(line), "call %s", contacts_row_uri(t, &r));
		tui_exec(t, line);
		break;
	}
	case REQ_MESSAGE:
		if (!selected(t, &r))
			return true;
		if (r.kind == ROW_ECHO)
			tui_status(t, true, "the echo test answers calls, not messages");
		else
			tui_open_chat(t, contacts_row_uri(t, &r));
		break;
	case REQ_FILTER:
		t->cs.typing = true;
		break;
	case REQ_ADD_CONTACT:
		if (!book_changeable(t))
			return true;
		cmdline_prompt(t, "add contact (NAME URI[, URI] [account=A] [notes=TEXT]): ", "",
			       add_done, COMPLETE_NONE);
		break;
	case REQ_EDIT_CONTACT:
		if (!book_changeable(t))
			return true;
		if (!selected(t, &r) || r.kind != ROW_CONTACT) {
			tui_status(t, true, "select a contact of the book to edit it");
			return true;
		} else {
			char line_now[CONTACT_LINE];

			contact_format_line(&t->book.v[r.index], line_now, sizeof(line_now));
			/* The prompt holds EDITOR_MAX bytes; a contact with four long URIs and long
			 * notes can be longer, and a cut line would lose its end on save. */
			if (strlen(line_now) >= EDITOR_MAX) {
				tui_status(t, true, "%s is too long to edit here: edit contacts.ini "
					   "by hand", t->book.v[r.index].name);
				return true;
			}
			str_copy(edit_name, sizeof(edit_name), t->book.v[r.index].name);
			cmdline_prompt(t, "edit contact: ", line_now, edit_done, COMPLETE_NONE);
		}
		break;
	case REQ_DEL_CONTACT:
		if (!book_changeable(t))
			return true;
		if (!selected(t, &r) || r.kind != ROW_CONTACT) {
			tui_status(t, true, "select a contact of the book to delete it");
			return true;
		} else {
			char q[CONTACT_NAME + 32];
			snprintf(q, sizeof(q), "Delete %s?", t->book.v[r.index].name);
			confirm_open(t, q, delete_yes, t->book.v[r.index].name);
		}
		break;
	default:
		return false;
	}
	if (t->cs.sel < 0)
		t->cs.sel = 0;
	v->dirty = true;
	tui_dirty(t, D_CONTACTS);
	return true;
}

/* While filtering, keys edit the filter; moving keys still move. */
static bool input(struct tui *t, struct view *v, int key)
{
	if (!t->cs.typing) {
		if (key != TK_ESC || !t->cs.filter.len)
			return false;
		ed_clear(&t->cs.filter); /* Esc drops a filter left in place */
		v->dirty = true;
		tui_dirty(t, D_CONTACTS);
		return true;
	}
	switch (ed_key(&t->cs.filter, key)) {
	case ED_CHANGED:
		t->cs.sel = 0;
		t->cs.top = 0;
		break;
	case ED_MOVED:
		break;
	case ED_ENTER:
		t->cs.typing = false;
		break;
	case ED_CANCEL:
		ed_clear(&t->cs.filter);
		t->cs.typing = false;
		break;
	default:
		return false;
	}
	v->dirty = true;
	tui_dirty(t, D_CONTACTS);
	return true;
}

static bool click(struct tui *t, struct view *v, int row)
{
	static struct contact_row rows[CONTACT_ROWS_MAX];
	unsigned n = contacts_rows(t, rows, CONTACT_ROWS_MAX, true);
	int list_h = getmaxy(v->win) - 2 - (t->cs.typing || t->cs.filter.len ? 1 : 0);
	int i = t->cs.top + row - 1;

	if (row < 1 || row > list_h || i >= (int)n)
		return false;
	t->cs.sel = i;
	tui_dirty(t, D_CONTACTS);
	return true;
}

const struct view_ops contacts_ops = {
	.name = "contacts",
	.scopes = SCOPE(SC_CONTACTS) | SCOPE(SC_MOVE),
	.draw = draw,
	.request = request,
	.input = input,
	.click = click,
};
