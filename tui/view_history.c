/* view_history.c: the history view (r, or :history): every call and message in the
 * history file, newest first, one row each:
 *
 *   14:02 →  bob              3:12                                    opus
 *   13:55 ↚  carol            missed
 *   03 Mar ✉← bob             see you at 5                        received
 *
 * Rows come from history_query (src/history.h), never from SQLite directly. The view
 * keeps one page, the newest HISTORY_PAGE_MAX rows that pass the filter; the search runs
 * in history_query over the whole file on every change of the search text (at most once a
 * frame, since the read happens when the view draws): 10 000 rows take a few ms. Contact
 * names are the UI's (contacts.ini), so the view hands history_query the addresses of the
 * contacts whose name matches. Enter calls a call's peer back (with the account used then,
 * if it still exists) or opens a message's chat. The view reads the file again when the
 * app records a call or a message (history_view_changed). A file that cannot be read says
 * why in the view. Everything from the network is escaped before it is drawn. */
#include "tui_int.h"
#include "draw.h"
#include "app.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool is_open(struct tui *t)
{
	for (unsigned i = 0; i < t->depth; i++)
		if (t->stack[i] == &t->hist_view)
			return true;
	return false;
}

void history_view_open(struct tui *t, const char *search)
{
	struct histview_state *hv = &t->hv;

	if (!hv->rows && !(hv->rows = calloc(HISTORY_PAGE_MAX, sizeof(*hv->rows)))) {
		tui_status(t, true, "history: out of memory");
		return;
	}
	ed_set(&hv->search, search ? search : "");
	hv->typing = false;
	hv->missed_only = false;
	hv->sel = hv->top = 0;
	hv->sel_id = 0;
	hv->stale = true;
	tui_push(t, &t->hist_view);
}

void history_view_changed(struct tui *t)
{
	if (!is_open(t))
		return;
	t->hv.stale = true;
	if (tui_top(t) == &t->hist_view)
		tui_dirty(t, D_TOP);
}

/* ---- reading ---- */

/* The addresses of the contacts whose name holds the search text. */
static unsigned name_keys(struct tui *t, const char *text, char keys[][HISTORY_KEY],
			  const char **kp)
{
	unsigned n = 0;

	if (!text[0])
		return 0;
	for (unsigned i = 0; i < t->book.n && n < HIST_NAME_KEYS; i++) {
		const struct contact *ct = &t->book.v[i];
		if (!str_casefind(ct->name, text))
			continue;
		for (unsigned u = 0; u < ct->nuri && n < HIST_NAME_KEYS; u++) {
			contact_uri_key(ct->uri[u], keys[n], HISTORY_KEY);
			kp[n] = keys[n];
			n++;
		}
	}
	return n;
}

static void reload(struct tui *t)
{
	static char keys[HIST_NAME_KEYS][HISTORY_KEY];
	const char *kp[HIST_NAME_KEYS];
	struct histview_state *hv = &t->hv;
	struct history_filter f;
	int n;

	hv->stale = false;
	hv->error[0] = '\0';
	hv->n = 0;
	memset(&hv->counts, 0, sizeof(hv->counts));
	if (!hv->db || !hv->rows)
		return;
	memset(&f, 0, sizeof(f));
	f.text = hv->search.buf;
	f.keys = kp;
	f.nkeys = name_keys(t, hv->search.buf, keys, kp);
	f.missed_only = hv->missed_only;
	n = history_query(hv->db, &f, hv->rows, HISTORY_PAGE_MAX, &hv->counts, hv->error,
			  sizeof(hv->error));
	if (n < 0)
		return;
	hv->n = n;
	/* New rows arrive at the top: stay on the row that was selected. */
	if (hv->sel_id) {
		for (int i = 0; i < n; i++) {
			if (hv->rows[i].id == hv->sel_id && hv->rows[i].kind == hv->sel_kind) {
				hv->top += i - hv->sel;
				hv->sel = i;
				break;
			}
		}
	}
}

/* ---- drawing ---- */

/* Today "14:02", this year "03 Mar", before "2023-12-24". */
static void when_text(time_t when, time_t now, char *out, size_t size)
{
	struct tm a, b;

	localtime_r(&when, &a);
	localtime_r(&now, &b);
	if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
		strftime(out, size, "%H:%M", &a);
	else if (a.tm_year == b.tm_year)
		strftime(out, size, "%d %b", &a);
	else
		strftime(out, size, "%Y-%m-%d", &a);
}

/* Who: the contact's name, else the display name the peer sent, else the address. */
static void who(struct tui *t, const struct history_entry *e, char *out, size_t size)
{
	const struct contact *ct = contacts_find_uri(&t->book, e->peer);
	const char *s;

	if (!strncmp(e->peer, "sip:echo@", 9)) {
		str_copy(out, size, "echo");
		return;
	}
	if (ct) {
		str_copy(out, size, ct->name);
		return;
	}
	s = e->display[0] ? e->display : strncmp(e->peer, "sip:", 4) ? e->peer : e->peer + 4;
	str_escape_terminal(out, size, s, strlen(s), false);
}

/* The arrow and its color: out, in, missed; messages with an envelope. */
static const char *mark(const struct history_entry *e, char *buf, size_t size, enum role *r)
{
	if (e->kind == HISTORY_MESSAGE) {
		*r = e->incoming ? R_IN : R_OUT;
		snprintf(buf, size, "%s%s", draw_glyph(G_MESSAGE),
			 draw_glyph(e->incoming ? G_ARROW_IN : G_ARROW_OUT));
	} else if (history_missed(e)) {
		*r = R_BAD;
		snprintf(buf, size, " %s", draw_glyph(G_MISSED));
	} else {
		*r = e->incoming ? R_IN : R_OUT;
		snprintf(buf, size, " %s", draw_glyph(e->incoming ? G_ARROW_IN : G_ARROW_OUT));
	}
	return buf;
}

static enum role result_role(const struct history_entry *e)
{
	if (e->kind == HISTORY_MESSAGE)
		return !strcmp(e->state, "failed") ? R_FAIL : R_DIM;
	if (history_missed(e))
		return R_BAD;
	if (e->live)
		return R_WARN;
	return e->answered ? R_NORMAL : R_DIM;
}

/* text wrapped at spaces into rows from y on; returns the next free row. */
static int draw_words(WINDOW *w, int y, int x, int width, enum role r, const char *text)
{
	size_t len = strlen(text);

	while (len && y < getmaxy(w) - 1) {
		char row[1024];
		size_t n = text_fit(text, len, width, NULL), cut = n;

		if (n == 0)
			n = cut = 1; /* wider than the view: take it anyway */
		if (n < len) {
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = n; /* one long word: cut it */
		}
		if (cut >= sizeof(row))
			cut = sizeof(row) - 1;
		memcpy(row, text, cut);
		row[cut] = '\0';
		draw_role(w, y++, x, width, r, row);
		text += cut;
		len -= cut;
		while (len && *text == ' ') {
			text++;
			len--;
		}
	}
	return y;
}

static void draw_message(WINDOW *w, int y, int width, const char *title, const char *text,
			 enum role r)
{
	y = draw_words(w, y, 2, width, r, title);
	draw_words(w, y, 4, width - 2, R_NORMAL, text);
}

static void draw_row(struct tui *t, WINDOW *w, int y, int width, const struct history_entry *e,
		     bool sel, int when_w, int name_w, time_t now)
{
	char when[32], arrow[16], name[160], result[64], middle[HISTORY_FIRST_LINE * 4 + 4],
	     right[64];
	enum role arrow_role, base = sel ? R_SEL : R_NORMAL, mid_role;
	int x = 1, right_w;

	when_text(e->time, now, when, sizeof(when));
	mark(e, arrow, sizeof(arrow), &arrow_role);
	who(t, e, name, sizeof(name));
	history_result(e, result, sizeof(result));
	if (e->kind == HISTORY_CALL) {
		str_copy(middle, sizeof(middle), result);
		mid_role = result_role(e);
		str_escape_terminal(right, sizeof(right), e->codec, strlen(e->codec), false);
	} else {
		str_escape_terminal(middle, sizeof(middle), e->text, strlen(e->text), false);
		mid_role = R_NORMAL;
		str_copy(right, sizeof(right), result);
	}
	if (sel)
		draw_fill(w, y, 1, width, R_SEL);
	draw_role(w, y, x, when_w, sel ? base : R_DIM, when);
	x += when_w + 1;
	draw_role(w, y, x, 2, sel ? base : arrow_role, arrow);
	x += 3;
	draw_role(w, y, x, name_w, sel ? base : history_missed(e) ? R_BAD : R_NORMAL, name);
	x += name_w + 1;
	right_w = text_width(right);
	if (right_w > 12)
		right_w = 12;
	if (x < width - right_w - 1) {
		draw_role(w, y, x, width - x - right_w - 1, sel ? base : mid_role, middle);
		draw_right(w, y, width - right_w, right_w + 1, sel ? base :
			   e->kind == HISTORY_MESSAGE ? result_role(e) : R_DIM, right);
	}
}

/* The rows (or why there are none) in list_h rows. */
static void draw_list(struct tui *t, WINDOW *w, int list_h, int width, bool filtering)
{
	struct histview_state *hv = &t->hv;
	time_t now = time(NULL);
	int when_w = 5, name_w;

	hv->list_h = 0;
	if (!hv->db) {
		draw_message(w, 1, width - 2, "No history this time:", hv->nohist, R_WARN);
		return;
	}
	if (hv->error[0]) {
		draw_message(w, 1, width - 2, "The history cannot be read:", hv->error, R_BAD);
		return;
	}
	if (!hv->n) {
		draw_role(w, 1, 2, width - 2, R_DIM, filtering ? "Nothing matches." :
			  "No calls or messages yet.");
		return;
	}
	/* More rows match than the page holds: say so on the last row. */
	if ((unsigned)hv->n < hv->counts.matched && list_h > 1) {
		char more[96];
		list_h--;
		snprintf(more, sizeof(more), "%s %u older not shown: search to find them",
			 draw_glyph(G_ELLIPSIS), hv->counts.matched - (unsigned)hv->n);
		draw_role(w, list_h + 1, 2, width - 2, R_DIM, more);
	}
	if (hv->sel >= hv->n)
		hv->sel = hv->n - 1;
	if (hv->sel < 0)
		hv->sel = 0;
	if (hv->sel < hv->top)
		hv->top = hv->sel;
	if (hv->sel >= hv->top + list_h)
		hv->top = hv->sel - list_h + 1;
	if (hv->top > hv->n - list_h)
		hv->top = hv->n - list_h;
	if (hv->top < 0)
		hv->top = 0;
	hv->sel_kind = hv->rows[hv->sel].kind;
	hv->sel_id = hv->rows[hv->sel].id;
	hv->list_h = list_h;
	/* The time column as wide as its widest row on screen ("14:02" today, a date else). */
	for (int i = 0; i < list_h && hv->top + i < hv->n; i++) {
		char when[32];
		int ww;
		when_text(hv->rows[hv->top + i].time, now, when, sizeof(when));
		ww = text_width(when);
		if (ww > when_w)
			when_w = ww > 16 ? 16 : ww;
	}
	name_w = width / 4;
	name_w = name_w < 10 ? 10 : name_w > 24 ? 24 : name_w;
	for (int i = 0; i < list_h && hv->top + i < hv->n; i++)
		draw_row(t, w, 1 + i, width, &hv->rows[hv->top + i], hv->top + i == hv->sel, when_w,
			 name_w, now);
}

static void draw(struct tui *t, struct view *v)
{
	struct histview_state *hv = &t->hv;
	WINDOW *w = v->win;
	int h = getmaxy(w) - 2, width = getmaxx(w) - 2;
	bool filtering = hv->search.len || hv->missed_only;
	bool show_search = hv->typing || hv->search.len;
	char right[64], hint[160];

	if (hv->stale)
		reload(t);
	if (filtering)
		snprintf(right, sizeof(right), "%u of %u", hv->counts.matched, hv->counts.total);
	else
		snprintf(right, sizeof(right), "%u", hv->counts.total);
	draw_box(w, hv->missed_only ? "History: missed calls" : "History",
		 hv->db && !hv->error[0] ? right : "", true);
	snprintf(hint, sizeof(hint), " Enter call back or chat %s / search %s M missed %s q close ",
		 draw_glyph(G_SEP), draw_glyph(G_SEP), draw_glyph(G_SEP));
	if (text_width(hint) < width - 2)
		draw_role(w, h + 1, 2, width - 2, R_DIM, hint);
	draw_list(t, w, h - (show_search ? 1 : 0), width, filtering);
	/* last: it leaves the cursor where the search is edited */
	if (show_search)
		draw_editor(w, h, 1, width, "/", &hv->search, hv->typing ? R_NORMAL : R_DIM);
}

/* ---- keys ---- */

static const struct history_entry *selected(struct tui *t)
{
	struct histview_state *hv = &t->hv;

	return hv->n && hv->sel >= 0 && hv->sel < hv->n ? &hv->rows[hv->sel] : NULL;
}

/* A recorded address goes back on a command line: one word, no controls. */
static bool usable_uri(const char *uri)
{
	if (!uri[0])
		return false;
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool account_exists(struct tui *t, const char *name)
{
	struct app_account_view av;

	for (unsigned i = 0; i < app_account_count(t->app); i++) {
		app_account_view(t->app, i, &av);
		if (av.name && !strcmp(av.name, name))
			return true;
	}
	return false;
}

static void call_back(struct tui *t, const struct history_entry *e)
{
	char line[HISTORY_KEY + 128];

	if (!strncmp(e->peer, "sip:echo@", 9)) {
		str_copy(line, sizeof(line), "call echo");
	} else if (!usable_uri(e->peer)) {
		tui_status(t, true, "cannot call back %s: not an address", e->peer);
		return;
	} else if (e->account[0] && account_exists(t, e->account)) {
		snprintf(line, sizeof(line), "call %s %s", e->peer, e->account);
	} else {
		snprintf(line, sizeof(line), "call %s", e->peer);
	}
	tui_pop(t); /* the call panel is what to watch now */
	tui_exec(t, line);
}

static void chat_with(struct tui *t, const struct history_entry *e)
{
	if (!strncmp(e->peer, "sip:echo@", 9)) {
		tui_status(t, true, "the echo test answers calls, not messages");
		return;
	}
	if (!usable_uri(e->peer)) {
		tui_status(t, true, "cannot write to %s: not an address", e->peer);
		return;
	}
	tui_open_chat(t, e->peer);
}

static bool request(struct tui *t, struct view *v, enum request req, int key)
{
	struct histview_state *hv = &t->hv;
	const struct history_entry *e = selected(t);
	int page = getmaxy(v->win) - 3;

	(void)key;
	switch (req) {
	case REQ_UP: hv->sel--; break;
	case REQ_DOWN: hv->sel++; break;
	case REQ_PAGE_UP: hv->sel -= page; hv->top -= page; break;
	case REQ_PAGE_DOWN: hv->sel += page; hv->top += page; break;
	case REQ_FIRST: hv->sel = 0; break;
	case REQ_LAST: hv->sel = hv->n - 1; break;
	case REQ_HIST_OPEN:
		if (!e)
			return true;
		if (e->kind == HISTORY_CALL)
			call_back(t, e);
		else
			chat_with(t, e);
		return true;
	case REQ_HIST_CHAT:
		if (e)
			chat_with(t, e);
		return true;
	case REQ_HIST_SEARCH:
		hv->typing = true;
		break;
	case REQ_HIST_MISSED:
		hv->missed_only = !hv->missed_only;
		hv->sel = hv->top = 0;
		hv->sel_id = 0;
		hv->stale = true;
		break;
	default:
		return false;
	}
	if (hv->sel < 0)
		hv->sel = 0;
	if (hv->top < 0)
		hv->top = 0;
	if (hv->sel >= 0 && hv->sel < hv->n) {
		hv->sel_kind = hv->rows[hv->sel].kind;
		hv->sel_id = hv->rows[hv->sel].id;
	}
	v->dirty = true;
	tui_dirty(t, D_TOP);
	return true;
}

/* While searching, keys edit the search; the arrows still move. */
static bool input(struct tui *t, struct view *v, int key)
{
	struct histview_state *hv = &t->hv;

	if (!hv->typing) {
		if (key != TK_ESC || !hv->search.len)
			return false;
		ed_clear(&hv->search); /* Esc drops a search left in place; again closes */
	} else {
		switch (ed_key(&hv->search, key)) {
		case ED_CHANGED:
			break;
		case ED_MOVED:
			v->dirty = true;
			tui_dirty(t, D_TOP);
			return true;
		case ED_ENTER:
			hv->typing = false;
			v->dirty = true;
			tui_dirty(t, D_TOP);
			return true;
		case ED_CANCEL:
			ed_clear(&hv->search);
			hv->typing = false;
			break;
		default:
			return false;
		}
	}
	hv->sel = hv->top = 0;
	hv->sel_id = 0;
	hv->stale = true;
	v->dirty = true;
	tui_dirty(t, D_TOP);
	return true;
}

static bool click(struct tui *t, struct view *v, int row)
{
	struct histview_state *hv = &t->hv;
	int i = hv->top + row - 1;

	if (row < 1 || row > hv->list_h || i >= hv->n)
		return false;
	hv->sel = i;
	hv->sel_kind = hv->rows[i].kind;
	hv->sel_id = hv->rows[i].id;
	v->dirty = true;
	tui_dirty(t, D_TOP);
	return true;
}

static void close_view(struct tui *t, struct view *v)
{
	(void)v;
	free(t->hv.rows);
	t->hv.rows = NULL;
	t->hv.n = 0;
	t->hv.typing = false;
}

const struct view_ops history_ops = {
	.name = "history",
	.scopes = SCOPE(SC_SUBVIEW) | SCOPE(SC_MOVE) | SCOPE(SC_HISTORY),
	.draw = draw,
	.request = request,
	.input = input,
	.close = close_view,
	.click = click,
};
