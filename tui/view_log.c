/* view_log.c: the SIP log pane: one line per message of the trace ring (time, direction,
 * method or status, summary, transport and peer), colored by direction and by class.
 * It follows new messages until you move up (then it is paused and counts what is new),
 * filters by method or by call, searches the messages' text, and opens a message's detail
 * or its call's ladder. It reads the ring on each draw; nothing is copied. */
#include "tui_int.h"
#include "draw.h"
#include "sipmsg.h"
#include "strutil.h"
#include "trace.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

bool log_match(const struct tui *t, const struct trace_msg *m)
{
	if (t->log.call_id[0] && strcmp(m->call_id, t->log.call_id))
		return false;
	if (t->log.method[0] && !strcasecmp(m->method, t->log.method) == t->log.method_not)
		return false;
	return true;
}

/* The next (dir > 0) or previous matching message from seq; 0 if none. */
static uint64_t step(struct tui *t, uint64_t seq, int dir)
{
	uint64_t first = trace_first_seq(t->trace), last = trace_last_seq(t->trace);

	if (!first || (dir < 0 && seq == 0))
		return 0;
	if (dir > 0) {
		for (uint64_t s = seq < first ? first : seq + 1; s <= last; s++) {
			const struct trace_msg *m = trace_get(t->trace, s);
			if (m && log_match(t, m))
				return s;
		}
	} else {
		for (uint64_t s = seq > last ? last : seq - 1; s >= first && s > 0; s--) {
			const struct trace_msg *m = trace_get(t->trace, s);
			if (m && log_match(t, m))
				return s;
		}
	}
	return 0;
}

static uint64_t last_match(struct tui *t)
{
	return step(t, UINT64_MAX, -1);
}

void log_new_messages(struct tui *t)
{
	t->log.pending = true;
	tui_dirty(t, D_LOG | (tui_top(t) == &t->ladder ? D_TOP : 0));
}

static enum role class_role(const struct trace_msg *m)
{
	if (m->is_request)
		return R_REQ;
	if (m->status < 200)
		return R_1XX;
	if (m->status < 300)
		return R_2XX;
	return R_FAIL;
}

static void draw_row(struct tui *t, WINDOW *w, int y, int width, const struct trace_msg *m,
		     bool sel, bool focused)
{
	char time_s[32], summary[200], peer[128], cid[64];
	int x = 1, right_w = width >= 140 ? 30 : 22, cid_w = width >= 140 ? 26 : 0, sum_w;
	enum role base = sel ? (focused ? R_SEL : R_TITLE) : R_NORMAL;
	bool hit = t->log.search[0] && sipmsg_contains(m, t->log.search);

	if (sel)
		draw_fill(w, y, 1, width, base);
	sipmsg_time(m, time_s, sizeof(time_s));
	x += draw_role(w, y, x, 12, sel ? base : R_DIM, time_s) + 1;
	x += draw_role(w, y, x, 2, sel ? base : m->outgoing ? R_OUT : R_IN,
		       draw_glyph(m->outgoing ? G_ARROW_OUT : G_ARROW_IN)) + 1;
	/* Summaries are parsed from what the peer sent: escaped. */
	str_escape_terminal(summary, sizeof(summary), m->summary, strlen(m->summary), false);
	if (!m->is_request && m->method[0] && strlen(summary) + strlen(m->method) + 4 < sizeof(summary)) {
		strcat(summary, " (");
		strcat(summary, m->method);
		strcat(summary, ")");
	}
	sum_w = width - x - right_w - cid_w - 1;
	draw_role(w, y, x, sum_w, sel ? base : hit ? R_MATCH : class_role(m), summary);
	if (cid_w) {
		str_escape_terminal(cid, sizeof(cid), m->call_id, strlen(m->call_id), false);
		draw_role(w, y, width - right_w - cid_w, cid_w - 1, sel ? base : R_DIM, cid);
	}
	snprintf(peer, sizeof(peer), "%s %s", m->transport, m->peer);
	draw_right(w, y, width - right_w, right_w + 1, sel ? base : R_DIM, peer);
}

static void draw(struct tui *t, struct view *v)
{
	WINDOW *w = v->win;
	int h = getmaxy(w) - 2, width = getmaxx(w) - 2, y = 0;
	bool focused = t->focus == PANE_LOG && !tui_top(t);
	struct log_state *ls = &t->log;
	const struct trace_msg *m;
	char right[256] = "", part[160];
	unsigned after = 0, total = 0;
	uint64_t s;

	ls->pending = false;
	if (ls->follow) {
		ls->sel = last_match(t);
	} else if (!ls->sel || !(m = trace_get(t->trace, ls->sel)) || !log_match(t, m)) {
		uint64_t next = step(t, ls->sel, +1);
		ls->sel = next ? next : last_match(t);
	}
	/* Where the window starts: the selection stays in view, following means the bottom. */
	if (ls->follow || !ls->top || !trace_get(t->trace, ls->top) || ls->top > ls->sel) {
		ls->top = ls->sel;
		for (int i = 1; i < h && ls->top; i++) {
			uint64_t p = step(t, ls->top, -1);
			if (!p)
				break;
			ls->top = p;
		}
	} else {
		int rows = 0;
		for (s = ls->top; s && s < ls->sel && rows < h; s = step(t, s, +1))
			rows++;
		if (rows >= h) {
			ls->top = ls->sel;
			for (int i = 1; i < h; i++) {
				uint64_t p = step(t, ls->top, -1);
				if (!p)
					break;
				ls->top = p;
			}
		}
	}
	ls->fresh_rows = 0;
	ls->rows = h;
	for (s = ls->top; s && y < h; s = step(t, s, +1), y++) {
		draw_row(t, w, 1 + y, width, trace_get(t->trace, s), s == ls->sel && (focused ||
			 !ls->follow), focused);
		/* counted for the flood throttle in tui.c: new rows are what costs bytes */
		if (s > ls->drawn_upto) {
			ls->fresh_rows++;
			ls->drawn_upto = s;
		}
	}
	for (; s; s = step(t, s, +1))
		after++;
	for (s = step(t, 0, +1); s; s = step(t, s, +1))
		total++;
	if (!ls->sel) {
		draw_role(w, 1, 2, width - 2, R_DIM, trace_count(t->trace) ?
			  "no message matches the filter (c or F to change it)" :
			  "no SIP messages yet");
	}
	if (ls->method[0]) {
		snprintf(part, sizeof(part), "%s%s, ", ls->method_not ? "not " : "", ls->method);
		strcat(right, part);
	}
	if (ls->call_id[0]) {
		char cid[40];
		str_escape_terminal(cid, sizeof(cid), ls->call_id, strlen(ls->call_id), false);
		snprintf(part, sizeof(part), "call %.16s%s, ", cid, strlen(cid) > 16 ?
			 draw_glyph(G_ELLIPSIS) : "");
		strcat(right, part);
	}
	if (ls->search[0]) {
		char srch[64];
		str_escape_terminal(srch, sizeof(srch), ls->search, strlen(ls->search), false);
		snprintf(part, sizeof(part), "/%.20s, ", srch);
		strcat(right, part);
	}
	if (ls->follow)
		snprintf(part, sizeof(part), "following, %u", total);
	else if (after)
		snprintf(part, sizeof(part), "paused, %u new", after);
	else
		snprintf(part, sizeof(part), "paused");
	strcat(right, part);
	draw_box(w, "SIP log", right, focused);
}

static void search_done(struct tui *t, const char *text);

static void find(struct tui *t, int dir)
{
	uint64_t s = t->log.sel;

	if (!t->log.search[0]) {
		cmdline_prompt(t, "/", "", search_done, COMPLETE_NONE);
		return;
	}
	/* From the selection on, then round from the other end (as vi does). */
	for (int lap = 0; lap < 2; lap++) {
		while ((s = step(t, s, dir)) != 0) {
			const struct trace_msg *m = trace_get(t->trace, s);
			if (m && sipmsg_contains(m, t->log.search)) {
				if (lap)
					tui_status(t, false, "search went round to the %s",
						   dir > 0 ? "top" : "bottom");
				t->log.sel = s;
				t->log.follow = false;
				tui_dirty(t, D_LOG);
				return;
			}
		}
		s = dir > 0 ? 0 : UINT64_MAX;
	}
	tui_status(t, true, "\"%s\" not found", t->log.search);
	tui_dirty(t, D_LOG);
}

static void search_done(struct tui *t, const char *text)
{
	str_copy(t->log.search, sizeof(t->log.search), text);
	if (t->log.search[0]) {
		/* from just below the top of the window when following */
		if (t->log.follow)
			t->log.sel = t->log.top ? t->log.top - 1 : 0;
		find(t, +1);
	}
	tui_dirty(t, D_LOG);
}

static void method_done(struct tui *t, const char *text)
{
	char m[64];

	str_copy(m, sizeof(m), text);
	str_trim(m);
	t->log.method_not = m[0] == '!';
	str_copy(t->log.method, sizeof(t->log.method), m + (m[0] == '!'));
	str_trim(t->log.method);
	if (!t->log.method[0])
		t->log.method_not = false;
	tui_dirty(t, D_LOG);
}

static bool keep_for_save(void *arg, const struct trace_msg *m)
{
	struct tui *t = arg;

	if (t->log.save_call[0])
		return !strcmp(m->call_id, t->log.save_call);
	return log_match(t, m);
}

static void save_done(struct tui *t, const char *text)
{
	char path[1024], why[1200];
	unsigned n;

	str_copy(path, sizeof(path), text);
	str_trim(path);
	if (!path[0])
		return;
	if (sipmsg_save(t->trace, path, keep_for_save, t, &n, why, sizeof(why)) < 0)
		tui_status(t, true, "%s", why);
	else
		tui_status(t, false, "saved %u message%s to %s", n, n == 1 ? "" : "s", path);
}

void log_save_prompt(struct tui *t, const char *call_id)
{
	char name[128];
	time_t now = time(NULL);
	struct tm tm;

	str_copy(t->log.save_call, sizeof(t->log.save_call), call_id);
	localtime_r(&now, &tm);
	strftime(name, sizeof(name), call_id[0] ? "ttyphone-call-%Y%m%d-%H%M%S.txt" :
		 "ttyphone-log-%Y%m%d-%H%M%S.txt", &tm);
	cmdline_prompt(t, call_id[0] ? "save this call to: " : "save the log to: ", name, save_done,
		       COMPLETE_NONE);
}

static bool request(struct tui *t, struct view *v, enum request req, int key)
{
	struct log_state *ls = &t->log;
	int page = getmaxy(v->win) - 3;
	const struct trace_msg *m;
	uint64_t p;

	(void)key;
	switch (req) {
	case REQ_UP:
	case REQ_PAGE_UP:
		for (int i = 0; i < (req == REQ_UP ? 1 : page); i++)
			if ((p = step(t, ls->sel, -1)) != 0)
				ls->sel = p;
		ls->follow = false;
		break;
	case REQ_DOWN:
	case REQ_PAGE_DOWN:
		for (int i = 0; i < (req == REQ_DOWN ? 1 : page); i++) {
			if ((p = step(t, ls->sel, +1)) != 0) {
				ls->sel = p;
			} else {
				ls->follow = true; /* past the end: follow again */
				break;
			}
		}
		break;
	case REQ_FIRST:
		ls->follow = false;
		ls->sel = step(t, 0, +1);
		break;
	case REQ_LAST:
	case REQ_FOLLOW:
		ls->follow = req == REQ_LAST ? true : !ls->follow;
		break;
	case REQ_OPEN:
		if (ls->sel)
			detail_open(t, ls->sel);
		return true;
	case REQ_LADDER:
		if (ls->sel)
			ladder_open(t, ls->sel);
		return true;
	case REQ_SEARCH:
		cmdline_prompt(t, "/", ls->search, search_done, COMPLETE_NONE);
		return true;
	case REQ_SEARCH_NEXT:
	case REQ_SEARCH_PREV:
		find(t, req == REQ_SEARCH_NEXT ? +1 : -1);
		return true;
	case REQ_FILTER_CALL:
		if (ls->call_id[0]) {
			ls->call_id[0] = '\0';
		} else if (ls->sel && (m = trace_get(t->trace, ls->sel)) && m->call_id[0]) {
			str_copy(ls->call_id, sizeof(ls->call_id), m->call_id);
			tui_status(t, false, "only call %s (c again: all)", m->call_id);
		}
		break;
	case REQ_FILTER_METHOD: {
		char cur[40];
		snprintf(cur, sizeof(cur), "%s%s", ls->method_not ? "!" : "", ls->method);
		cmdline_prompt(t, "only method (INVITE; !OPTIONS hides; empty: all): ", cur,
			       method_done, COMPLETE_NONE);
		return true;
	}
	case REQ_SAVE:
		log_save_prompt(t, "");
		return true;
	default:
		return false;
	}
	v->dirty = true;
	tui_dirty(t, D_LOG);
	return true;
}

static bool click(struct tui *t, struct view *v, int row)
{
	struct log_state *ls = &t->log;
	uint64_t s = ls->top;

	if (row < 1 || row > getmaxy(v->win) - 2 || !s)
		return false;
	for (int i = 1; i < row && s; i++)
		s = step(t, s, +1);
	if (!s)
		return false;
	ls->sel = s;
	ls->follow = false;
	tui_dirty(t, D_LOG);
	return true;
}

const struct view_ops log_ops = {
	.name = "log",
	.scopes = SCOPE(SC_LOG) | SCOPE(SC_MOVE),
	.draw = draw,
	.request = request,
	.click = click,
};
