/* view_chat.c: a conversation with one peer (SIP MESSAGE): the messages of this session,
 * newest at the bottom, each with its time, direction and, for ours, whether it was
 * delivered; a line at the bottom to write the next one (Enter sends it as
 * "msg <uri> <text>"). Texts come from the network: escaped before they are drawn. */
#include "tui_int.h"
#include "draw.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void chat_view_open(struct tui *t, const char *uri)
{
	struct chat_peer *p = chat_peer(&t->chat, uri, true);

	str_copy(t->cv.uri, sizeof(t->cv.uri), p ? p->uri : uri);
	ed_clear(&t->cv.input);
	t->cv.scroll = 0;
	if (p)
		p->unread = 0;
	tui_push(t, &t->chat_view);
	tui_dirty(t, D_CONTACTS | D_STATUS);
}

/* The rows of the conversation, wrapped to width. */
static void build(struct tui *t, struct chat_peer *p, struct lines *rows, int width)
{
	static char esc[CHAT_TEXT * 4 + 1];

	for (unsigned i = 0; p && i < p->count; i++) {
		const struct chat_msg *m = chat_msg_at(p, i);
		char head[160], tm[16];
		struct tm lt;
		enum role r = m->out ? R_OUT : R_IN;

		localtime_r(&m->when, &lt);
		strftime(tm, sizeof(tm), "%H:%M", &lt);
		if (!m->out)
			snprintf(head, sizeof(head), "%s %s", tm, draw_glyph(G_ARROW_IN));
		else if (m->status == 0)
			snprintf(head, sizeof(head), "%s %s (sending)", tm, draw_glyph(G_ARROW_OUT));
		else if (m->status > 0 && m->status < 300)
			snprintf(head, sizeof(head), "%s %s (delivered)", tm, draw_glyph(G_ARROW_OUT));
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
		lines_add_wrapped(rows, 0, esc, width - 2, 0);
	}
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
	build(t, p, &rows, width);
	if (t->cv.scroll > (int)rows.n - list_h)
		t->cv.scroll = (int)rows.n - list_h;
	if (t->cv.scroll < 0)
		t->cv.scroll = 0;
	first = (int)rows.n - list_h - t->cv.scroll;
	if (first < 0)
		first = 0;
	if (!rows.n)
		draw_role(w, 1, 2, width, R_DIM, "No messages yet. Type below, Enter sends.");
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
	t->sending = chat_add(&t->chat, t->cv.uri, NULL, true, t->cv.input.buf, time(NULL));
	tui_exec(t, line);
	t->sending = NULL;
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
