/* view_detail.c: one SIP message whole: its attributes first (method, request URI, CSeq,
 * Call-ID, From, To, Contact, Content-Type), then its text, wrapped to the window and
 * scrollable. n/p walk through the log (as filtered); l shows the call's ladder. */
#include "tui_int.h"
#include "draw.h"
#include "sipmsg.h"
#include "trace.h"

#include <stdio.h>

void detail_open(struct tui *t, uint64_t seq)
{
	t->det.seq = seq;
	t->det.width = 0; /* rebuild */
	t->det.scroll = 0;
	tui_push(t, &t->detail);
}

static void draw(struct tui *t, struct view *v)
{
	WINDOW *w = v->win;
	int h = getmaxy(w) - 2, width = getmaxx(w) - 4;
	const struct trace_msg *m = trace_get(t->trace, t->det.seq);
	char title[64], right[200], tm[32];

	if (!m) {
		draw_box(w, "Message", NULL, true);
		draw_text(w, 2, 2, width, "This message has left the log (it keeps the newest ones).");
		return;
	}
	if (t->det.width != width) {
		lines_clear(&t->det.rows);
		sipmsg_describe(m, &t->det.rows, width, R_ATTR, R_NORMAL);
		t->det.width = width;
	}
	if (t->det.scroll > (int)t->det.rows.n - h)
		t->det.scroll = (int)t->det.rows.n - h;
	if (t->det.scroll < 0)
		t->det.scroll = 0;
	sipmsg_time(m, tm, sizeof(tm));
	snprintf(title, sizeof(title), "Message %llu", (unsigned long long)m->seq);
	snprintf(right, sizeof(right), "%s %s %s %s  %d-%d/%u", tm,
		 m->outgoing ? "sent to" : "from", m->transport, m->peer, t->det.scroll + 1,
		 t->det.scroll + h < (int)t->det.rows.n ? t->det.scroll + h : (int)t->det.rows.n,
		 t->det.rows.n);
	draw_box(w, title, right, true);
	for (int i = 0; i < h && t->det.scroll + i < (int)t->det.rows.n; i++) {
		unsigned k = (unsigned)(t->det.scroll + i);
		draw_role(w, 1 + i, 2, width, (enum role)t->det.rows.attr[k], t->det.rows.v[k]);
	}
}

static uint64_t neighbour(struct tui *t, int dir)
{
	uint64_t first = trace_first_seq(t->trace), last = trace_last_seq(t->trace);

	for (uint64_t s = t->det.seq + (dir > 0 ? 1 : -1); s >= first && s <= last && s > 0;
	     s += dir > 0 ? 1 : (uint64_t)-1) {
		const struct trace_msg *m = trace_get(t->trace, s);
		if (m && log_match(t, m))
			return s;
	}
	return 0;
}

static bool request(struct tui *t, struct view *v, enum request req, int key)
{
	int page = getmaxy(v->win) - 3;
	const struct trace_msg *m;
	uint64_t s;

	(void)key;
	switch (req) {
	case REQ_UP: t->det.scroll--; break;
	case REQ_DOWN: t->det.scroll++; break;
	case REQ_PAGE_UP: t->det.scroll -= page; break;
	case REQ_PAGE_DOWN: t->det.scroll += page; break;
	case REQ_FIRST: t->det.scroll = 0; break;
	case REQ_LAST: t->det.scroll = (int)t->det.rows.n; break;
	case REQ_DETAIL_NEXT:
	case REQ_DETAIL_PREV:
		s = neighbour(t, req == REQ_DETAIL_NEXT ? 1 : -1);
		if (!s) {
			tui_status(t, false, "no %s message", req == REQ_DETAIL_NEXT ? "next" : "previous");
			return true;
		}
		t->det.seq = s;
		t->det.width = 0;
		t->det.scroll = 0;
		/* the log's selection follows, so q returns to where we are */
		t->log.sel = s;
		t->log.follow = false;
		break;
	case REQ_DETAIL_LADDER:
		ladder_open(t, t->det.seq);
		return true;
	case REQ_SAVE_DIALOG:
		if ((m = trace_get(t->trace, t->det.seq)))
			log_save_prompt(t, m->call_id);
		return true;
	default:
		return false;
	}
	v->dirty = true;
	tui_dirty(t, D_TOP);
	return true;
}

static void close_view(struct tui *t, struct view *v)
{
	(void)v;
	lines_clear(&t->det.rows);
	t->det.width = 0;
}

const struct view_ops detail_ops = {
	.name = "detail",
	.scopes = SCOPE(SC_SUBVIEW) | SCOPE(SC_DETAIL) | SCOPE(SC_MOVE),
	.draw = draw,
	.request = request,
	.close = close_view,
};
