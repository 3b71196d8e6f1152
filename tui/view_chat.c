/* view_chat.c: a conversation with one person (SIP MESSAGE): a contact, whichever of its
 * addresses a message came from or went to (replies go to its first, as `m` in the
 * contacts pane always did), or one address. It shows what the history file holds with
 * that person (every address of the contact; the last CHAT_PAGE messages when
 * the peer first appears, older pages as one scrolls up past them) merged with this
 * session's messages: newest at the bottom, each with its time, direction and, for ours,
 * whether it was delivered, and a line with the date where the day changes. A history that
 * cannot be read says so in one line at the top. A line at the bottom writes the next
 * message (Enter sends it as "msg <uri> <text>"). Texts come from the network: escaped
 * before they are drawn. Only the rows on screen are laid out, from the newest back. */
#include "tui_int.h"
#include "draw.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- reading the history ---- */

struct page {
	struct chat_stored rows[CHAT_PAGE];
	char reasons[CHAT_PAGE][64];
	unsigned n;
	bool nomem;
};

static void take_row(void *arg, const struct history_message *m)
{
	struct page *pg = arg;
	struct chat_stored *r;

	if (pg->n >= CHAT_PAGE)
		return;
	r = &pg->rows[pg->n];
	/* the row's strings live until the next row: the text is copied (chat_merge copies
	 * it again into the conversation, which keeps what it needs) */
	r->text = strndup(m->body, CHAT_TEXT_MAX - 1);
	if (!r->text) {
		pg->nomem = true;
		return;
	}
	r->id = m->id;
	r->out = !m->incoming;
	r->when = m->time;
	r->status = chat_stored_status(m->state, m->code);
	str_copy(pg->reasons[pg->n], sizeof(pg->reasons[0]), m->reason);
	r->reason = pg->reasons[pg->n];
	pg->n++;
}

/* The addresses the history knows this person by: all of the contact's, else the peer's. */
static unsigned person_keys(struct tui *t, const struct chat_peer *p,
			    char keys[][HISTORY_KEY], const char **kp)
{
	const struct contact *ct = contacts_find_uri(&t->book, p->uri);
	unsigned n = 0;

	if (ct) {
		for (unsigned i = 0; i < ct->nuri && n < HISTORY_CONV_KEYS; i++) {
			contact_uri_key(ct->uri[i], keys[n], HISTORY_KEY);
			kp[n] = keys[n];
			n++;
		}
	}
	if (!n) {
		str_copy(keys[0], HISTORY_KEY, p->key);
		kp[0] = keys[0];
		n = 1;
	}
	return n;
}

/* One page before row before (0: the newest) merged into p; false with p->hist_error. */
static bool read_page(struct tui *t, struct chat_peer *p, long long before)
{
	static struct page pg; /* 13 KB: one thread, the loop's */
	char keys[HISTORY_CONV_KEYS][HISTORY_KEY];
	const char *kp[HISTORY_CONV_KEYS];
	unsigned nkeys = person_keys(t, p, keys, kp);
	int n;
	bool ok;

	pg.n = 0;
	pg.nomem = false;
	n = history_conversation(t->hv.db, kp, nkeys, before, CHAT_PAGE, take_row, &pg,
				 p->hist_error, sizeof(p->hist_error));
	ok = n >= 0 && !pg.nomem && chat_merge(p, pg.rows, pg.n, before == 0) == 0;
	if (ok) {
		p->hist_error[0] = '\0';
		p->older = n == CHAT_PAGE;
	} else if (n >= 0) {
		str_copy(p->hist_error, sizeof(p->hist_error), "out of memory");
	}
	for (unsigned i = 0; i < pg.n; i++)
		free((char *)pg.rows[i].text);
	return ok;
}

void chat_load_history(struct tui *t, struct chat_peer *p, bool retry)
{
	if (!p || p->loaded || (p->hist_error[0] && !retry))
		return;
	if (!t->hv.db) {
		/* nothing to read this run (demo mode, a file that could not be opened) */
		str_copy(p->hist_error, sizeof(p->hist_error), t->hv.nohist);
		p->loaded = true;
		return;
	}
	p->loaded = read_page(t, p, 0);
}

/* ---- the view ---- */

const char *chat_address(struct tui *t, const char *uri)
{
	const struct contact *ct = contacts_find_uri(&t->book, uri);

	return ct && ct->nuri ? ct->uri[0] : uri;
}

void chat_view_open(struct tui *t, const char *uri)
{
	struct chat_peer *p;

	uri = chat_address(t, uri);
	p = chat_peer(&t->chat, uri, true);

	chat_load_history(t, p, true);
	str_copy(t->cv.uri, sizeof(t->cv.uri), p ? p->uri : uri);
	ed_clear(&t->cv.input);
	t->cv.scroll = 0;
	if (p)
		p->unread = 0;
	tui_push(t, &t->chat_view);
	tui_dirty(t, D_CONTACTS | D_STATUS);
}

static void day_of(time_t when, char *out, size_t size)
{
	struct tm lt;

	localtime_r(&when, &lt);
	strftime(out, size, "%a %Y-%m-%d", &lt);
}

/* The rows of message i, wrapped to width: a date line where the day changes, the head
 * (time, direction, delivery), the text. */
static void message_rows(const struct chat_peer *p, unsigned i, struct lines *rows, int width)
{
	static char esc[CHAT_TEXT_MAX * 4 + 1];
	const struct chat_msg *m = chat_msg_at(p, i);
	char head[160], tm[16], day[32], prev[32], today[32];
	struct tm lt;
	enum role r = m->out ? R_OUT : R_IN;

	day_of(m->when, day, sizeof(day));
	if (i)
		day_of(chat_msg_at(p, i - 1)->when, prev, sizeof(prev));
	else
		day_of(time(NULL), today, sizeof(today));
	if (i ? strcmp(day, prev) : strcmp(day, today))
		lines_addf(rows, R_DIM, "%s %s %s", draw_glyph(G_HLINE), day, draw_glyph(G_HLINE));
	localtime_r(&m->when, &lt);
	strftime(tm, sizeof(tm), "%H:%M", &lt);
	if (!m->out)
		snprintf(head, sizeof(head), "%s %s", tm, draw_glyph(G_ARROW_IN));
	else if (m->status == 0)
		snprintf(head, sizeof(head), "%s %s (sending)", tm, draw_glyph(G_ARROW_OUT));
	else if (m->status > 0 && m->status < 300)
		snprintf(head, sizeof(head), "%s %s (delivered)", tm, draw_glyph(G_ARROW_OUT));
	else if (m->status == CHAT_UNCONFIRMED)
		snprintf(head, sizeof(head), "%s %s (sent; no answer recorded)", tm,
			 draw_glyph(G_ARROW_OUT));
	else {
		char reason[80];
		str_escape_terminal(reason, sizeof(reason), m->reason, strlen(m->reason), false);
		if (m->status > 0)
			snprintf(head, sizeof(head), "%s %s (not delivered: %d %s)", tm,
				 draw_glyph(G_ARROW_OUT), m->status, reason);
		else
			snprintf(head, sizeof(head), "%s %s (not sent: %s)", tm,
				 draw_glyph(G_ARROW_OUT), reason);
		r = R_FAIL;
	}
	lines_add(rows, r, head);
	str_escape_terminal(esc, sizeof(esc), m->text, strlen(m->text), true);
	lines_add_wrapped(rows, 0, esc, width, 0);
}

/* The lines above the conversation: why the history is missing, what is older. */
static void top_rows(const struct chat_peer *p, struct lines *rows)
{
	if (p && p->hist_error[0]) {
		/* one line: the file's name rather than its whole path, so the reason shows */
		char esc[sizeof(p->hist_error) * 4], path[1024];
		const char *why = p->hist_error;
		size_t n;

		history_default_path(path, sizeof(path));
		n = strlen(path);
		if (!strncmp(why, path, n) && why[n] == ':')
			why += n - strlen(strrchr(path, '/') + 1);
		str_escape_terminal(esc, sizeof(esc), why, strlen(why), false);
		lines_addf(rows, R_WARN, "History: %s", esc);
	} else if (p && p->older) {
		lines_add(rows, R_DIM, chat_full(p) ? "Older messages: the history view (r)." :
			  "Older messages: scroll up.");
	}
}

/* The rows that end scroll rows above the newest, as many as fit in list_h (fewer at the
 * top). Reads older pages of the history when the top of what is here comes into view. */
static void layout_rows(struct tui *t, struct chat_peer *p, struct lines *rows, int width,
			int list_h)
{
	struct lines one;
	int need, have;
	unsigned first;

	for (;;) {
		long long oldest = p ? chat_oldest_id(p) : 0;

		need = t->cv.scroll + list_h;
		have = 0;
		first = p ? p->count : 0;
		while (first > 0 && have < need) {
			lines_init(&one);
			message_rows(p, --first, &one, width);
			have += (int)one.n;
			lines_clear(&one);
		}
		/* at the top with more in the file: read the page before and lay out again */
		if (have >= need || !p || !p->older || chat_full(p) || p->hist_error[0] ||
		    !t->hv.db || !read_page(t, p, oldest))
			break;
		if (chat_oldest_id(p) == oldest) {
			p->older = false; /* nothing older came: do not ask again */
			break;
		}
	}
	top_rows(p, rows);
	for (unsigned i = first; p && i < p->count; i++)
		message_rows(p, i, rows, width);
	/* scrolled past the top: stop there */
	if (t->cv.scroll > (int)rows->n - list_h)
		t->cv.scroll = (int)rows->n - list_h;
	if (t->cv.scroll < 0)
		t->cv.scroll = 0;
}

static void draw(struct tui *t, struct view *v)
{
	WINDOW *w = v->win;
	int h = getmaxy(w) - 2, width = getmaxx(w) - 4, list_h = h - 2, first;
	struct chat_peer *p = chat_peer(&t->chat, t->cv.uri, false);
	const struct contact *ct = contacts_find_uri(&t->book, t->cv.uri);
	char title[400], uri[300], name[160] = "";
	struct lines rows;

	if (p)
		p->unread = 0; /* on screen: read */
	str_escape_terminal(uri, sizeof(uri), t->cv.uri, strlen(t->cv.uri), false);
	if (ct)
		str_copy(name, sizeof(name), ct->name);
	else if (p && p->display[0])
		str_escape_terminal(name, sizeof(name), p->display, strlen(p->display), false);
	snprintf(title, sizeof(title), "Chat with %s%s%s%s", name, name[0] ? " <" : "", uri,
		 name[0] ? ">" : "");
	draw_box(w, title, "Esc closes", true);
	lines_init(&rows);
	layout_rows(t, p, &rows, width - 2, list_h);
	first = (int)rows.n - list_h - t->cv.scroll;
	if (first < 0)
		first = 0;
	if (!p || !p->count)
		draw_role(w, 1 + (int)rows.n, 2, width, R_DIM,
			  "No messages yet. Type below, Enter sends.");
	for (int i = 0; i < list_h && first + i < (int)rows.n; i++)
		draw_role(w, 1 + i, 2, width, (enum role)rows.attr[first + i], rows.v[first + i]);
	lines_clear(&rows);
	mvwhline(w, h - 1, 1, ACS_HLINE, width + 2);
	draw_editor(w, h, 2, width, "> ", &t->cv.input, R_NORMAL);
}

static void send_line(struct tui *t)
{
	char line[EDITOR_MAX + CHAT_URI + 8];

	if (!t->cv.input.len)
		return;
	snprintf(line, sizeof(line), "msg %s %s", t->cv.uri, t->cv.input.buf);
	chat_add(&t->chat, t->cv.uri, NULL, true, t->cv.input.buf, time(NULL));
	t->sending = true; /* an error reply marks it not sent (events_reply) */
	tui_exec(t, line);
	t->sending = false;
	ed_clear(&t->cv.input);
	t->cv.scroll = 0;
}

static bool input(struct tui *t, struct view *v, int key)
{
	switch (ed_key(&t->cv.input, key)) {
	case ED_ENTER:
		send_line(t);
		break;
	case ED_CHANGED:
	case ED_MOVED:
	case ED_TAB:
		break;
	default:
		return false; /* Esc, arrows, function keys: the key table's */
	}
	v->dirty = true;
	tui_dirty(t, D_TOP);
	return true;
}

static bool request(struct tui *t, struct view *v, enum request req, int key)
{
	int page = getmaxy(v->win) - 5;

	(void)key;
	switch (req) {
	case REQ_CHAT_UP: t->cv.scroll += key == TK_FN(KEY_UP) ? 1 : page; break;
	case REQ_CHAT_DOWN: t->cv.scroll -= key == TK_FN(KEY_DOWN) ? 1 : page; break;
	case REQ_CHAT_CLOSE: tui_pop(t); return true;
	default:
		return false;
	}
	v->dirty = true;
	tui_dirty(t, D_TOP);
	return true;
}

const struct view_ops chat_ops = {
	.name = "chat",
	.scopes = SCOPE(SC_CHAT),
	.draw = draw,
	.request = request,
	.input = input,
};
