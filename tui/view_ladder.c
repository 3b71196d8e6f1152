/* view_ladder.c: the call flow of one dialog, as sngrep draws it: a column per party (us
 * first, then each address we talked to about this Call-ID), an arrow per message with its
 * time and summary above it, the focused arrow's message beside the ladder. New messages of
 * the call appear as they come (the ring is scanned from where the last scan stopped). */
#include "tui_int.h"
#include "draw.h"
#include "app.h"
#include "sipmsg.h"
#include "strutil.h"
#include "trace.h"

#include <stdio.h>
#include <string.h>

static unsigned party_of(struct ladder_state *ls, const char *peer)
{
	for (unsigned i = 1; i < ls->nparties; i++)
		if (!strcmp(ls->parties[i], peer))
			return i;
	if (ls->nparties == LADDER_MAX_PARTIES)
		return LADDER_MAX_PARTIES - 1; /* more peers than columns: the last column */
	str_copy(ls->parties[ls->nparties], sizeof(ls->parties[0]), peer);
	return ls->nparties++;
}

/* Bring seqs up to date with the ring: drop what left it, add what is new. */
static void scan(struct tui *t)
{
	struct ladder_state *ls = &t->lad;
	uint64_t first = trace_first_seq(t->trace), last = trace_last_seq(t->trace);
	unsigned gone = 0;

	while (gone < ls->n && ls->seqs[gone] < first)
		gone++;
	if (gone) {
		memmove(ls->seqs, ls->seqs + gone, (ls->n - gone) * sizeof(ls->seqs[0]));
		ls->n -= gone;
		ls->focus = ls->focus >= gone ? ls->focus - gone : 0;
	}
	for (uint64_t s = ls->scanned_upto + 1 > first ? ls->scanned_upto + 1 : first;
	     first && s <= last && ls->n < LADDER_MAX_MSGS; s++) {
		const struct trace_msg *m = trace_get(t->trace, s);
		if (m && !strcmp(m->call_id, ls->call_id)) {
			ls->seqs[ls->n++] = s;
			party_of(ls, m->peer);
		}
		ls->scanned_upto = s;
	}
}

void ladder_open(struct tui *t, uint64_t seq)
{
	struct ladder_state *ls = &t->lad;
	const struct trace_msg *m = trace_get(t->trace, seq);

	if (!m || !m->call_id[0]) {
		tui_status(t, true, "this message has no Call-ID");
		return;
	}
	memset(ls->seqs, 0, sizeof(ls->seqs));
	str_copy(ls->call_id, sizeof(ls->call_id), m->call_id);
	ls->n = ls->focus = 0;
	ls->scroll = 0;
	ls->nparties = 1; /* column 0 is us */
	ls->scanned_upto = 0;
	ls->side_seq = 0;
	scan(t);
	for (unsigned i = 0; i < ls->n; i++)
		if (ls->seqs[i] == seq)
			ls->focus = i;
	tui_push(t, &t->ladder);
}

static void draw_arrow(WINDOW *w, int y, int xa, int xb, enum role r)
{
	int lo = xa < xb ? xa : xb, hi = xa < xb ? xb : xa;

	wattron(w, draw_attr(r));
	for (int x = lo + 1; x < hi; x++)
		mvwaddstr(w, y, x, draw_glyph(G_HLINE));
	mvwaddstr(w, y, xa < xb ? hi - 1 : lo + 1, draw_glyph(xa < xb ? G_ARROW_HEAD_R :
							    G_ARROW_HEAD_L));
	wattroff(w, draw_attr(r));
}

static void draw(struct tui *t, struct view *v)
{
	struct ladder_state *ls = &t->lad;
	WINDOW *w = v->win;
	int h = getmaxy(w) - 2, width = getmaxx(w) - 2, lw, sw, colx[LADDER_MAX_PARTIES], per_page;
	char title[200], cid[64];

	scan(t);
	if (ls->focus >= ls->n && ls->n)
		ls->focus = ls->n - 1;
	/* The ladder on the left, the focused message on the right. */
	lw = width >= 100 ? width * 55 / 100 : width * 58 / 100;
	sw = width - lw - 2;
	str_escape_terminal(cid, sizeof(cid), ls->call_id, strlen(ls->call_id), false);
	snprintf(title, sizeof(title), "Ladder: call %s", cid);
	{
		char right[32];
		snprintf(right, sizeof(right), "%u/%u", ls->n ? ls->focus + 1 : 0, ls->n);
		draw_box(w, title, right, true);
	}
	/* party columns */
	for (unsigned i = 0; i < ls->nparties; i++) {
		char name[80];
		int span = ls->nparties > 1 ? (lw - 8) / (int)(ls->nparties - 1) : 0;
		colx[i] = 5 + (int)i * span;
		str_copy(name, sizeof(name), i == 0 ? app_local_contact(t->app) : ls->parties[i]);
		if (i == 0 && !name[0])
			str_copy(name, sizeof(name), "us");
		{
			int nw = text_width(name), x = colx[i] - nw / 2;
			if (x < 1)
				x = 1;
			if (x + nw > lw)
				x = lw - nw;
			draw_role(w, 1, x < 1 ? 1 : x, lw - (x < 1 ? 1 : x), R_TITLE, name);
		}
	}
	per_page = (h - 1) / 2;
	if (per_page < 1)
		per_page = 1;
	if ((int)ls->focus < ls->scroll)
		ls->scroll = (int)ls->focus;
	if ((int)ls->focus >= ls->scroll + per_page)
		ls->scroll = (int)ls->focus - per_page + 1;
	for (int row = 2; row <= h; row++)
		for (unsigned i = 0; i < ls->nparties; i++)
			mvwaddstr(w, row, colx[i], draw_glyph(G_VLINE));
	for (int k = 0; k < per_page && ls->scroll + k < (int)ls->n; k++) {
		unsigned idx = (unsigned)(ls->scroll + k);
		const struct trace_msg *m = trace_get(t->trace, ls->seqs[idx]);
		int y = 2 + k * 2, xa, xb, lo;
		char label[200], tm[32], summary[128];
		enum role r;
		unsigned p;

		if (!m)
			continue;
		p = party_of(ls, m->peer);
		xa = m->outgoing ? colx[0] : colx[p];
		xb = m->outgoing ? colx[p] : colx[0];
		lo = xa < xb ? xa : xb;
		r = idx == ls->focus ? R_SEL : m->is_request ? R_REQ : m->status < 200 ? R_1XX :
			m->status < 300 ? R_2XX : R_FAIL;
		sipmsg_time(m, tm, sizeof(tm));
		str_escape_terminal(summary, sizeof(summary), m->summary, strlen(m->summary), false);
		snprintf(label, sizeof(label), "%s %s", tm + 3, summary); /* mm:ss.mmm */
		draw_role(w, y, lo + 2, (xa < xb ? xb - xa : xa - xb) - 3, r, label);
		draw_arrow(w, y + 1, xa, xb, idx == ls->focus ? R_SEL : m->outgoing ? R_OUT : R_IN);
	}
	if (!ls->n)
		draw_role(w, 3, 2, lw - 2, R_DIM, "no messages of this call are left in the log");
	/* the focused message, beside */
	for (int row = 1; row <= h; row++)
		mvwaddstr(w, row, lw + 1, draw_glyph(G_VLINE));
	if (ls->n && sw > 10) {
		const struct trace_msg *m = trace_get(t->trace, ls->seqs[ls->focus]);
		if (m && (ls->side_seq != m->seq || ls->side_width != sw)) {
			lines_clear(&ls->side);
			sipmsg_describe(m, &ls->side, sw, R_ATTR, R_NORMAL);
			ls->side_seq = m->seq;
			ls->side_width = sw;
		}
		for (int i = 0; i < h && i < (int)ls->side.n; i++)
			draw_role(w, 1 + i, lw + 3, sw, (enum role)ls->side.attr[i], ls->side.v[i]);
	}
}

static bool request(struct tui *t, struct view *v, enum request req, int key)
{
	struct ladder_state *ls = &t->lad;
	int page = (getmaxy(v->win) - 3) / 2;

	(void)key;
	switch (req) {
	case REQ_UP: if (ls->focus) ls->focus--; break;
	case REQ_DOWN: if (ls->focus + 1 < ls->n) ls->focus++; break;
	case REQ_PAGE_UP: ls->focus = (int)ls->focus > page ? ls->focus - (unsigned)page : 0; break;
	case REQ_PAGE_DOWN:
		ls->focus = ls->focus + (unsigned)page < ls->n ? ls->focus + (unsigned)page :
			(ls->n ? ls->n - 1 : 0);
		break;
	case REQ_FIRST: ls->focus = 0; break;
	case REQ_LAST: ls->focus = ls->n ? ls->n - 1 : 0; break;
	case REQ_LADDER_OPEN:
		if (ls->n)
			detail_open(t, ls->seqs[ls->focus]);
		return true;
	case REQ_LADDER_SAVE:
		log_save_prompt(t, ls->call_id);
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
	lines_clear(&t->lad.side);
	t->lad.side_seq = 0;
}

const struct view_ops ladder_ops = {
	.name = "ladder",
	.scopes = SCOPE(SC_SUBVIEW) | SCOPE(SC_LADDER) | SCOPE(SC_MOVE),
	.draw = draw,
	.request = request,
	.close = close_view,
};
