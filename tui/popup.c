/* popup.c: the boxes that sit on top of everything and take the keys while they show:
 * the incoming call (caller, answer/reject, a bell once per ring cycle) and yes/no
 * questions (quit during a call, delete a contact). */
#include "tui_int.h"
#include "draw.h"
#include "app.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>

/* A ring cycle: one bell, then quiet (a phone rings about 2 s on, 4 s off). */
#define RING_CYCLE_MS 6000

void popup_update(struct tui *t)
{
	struct app_call_view cv;
	unsigned incoming = 0, any_ringing = 0;
	long long now = tui_now_ms();

	for (unsigned i = 0; app_call_view(t->app, i, &cv); i++) {
		if (cv.state != CALL_INCOMING)
			continue;
		any_ringing = cv.id;
		if (cv.id != t->pop.hidden_id && !incoming)
			incoming = cv.id;
	}
	if (incoming != t->pop.call_id) {
		t->pop.call_id = incoming;
		t->dirty |= D_POPUP;
	}
	if (!any_ringing) {
		t->pop.last_ring_ms = 0;
		return;
	}
	if (!t->pop.last_ring_ms || now - t->pop.last_ring_ms >= RING_CYCLE_MS) {
		beep();
		t->pop.last_ring_ms = now;
	}
}

bool popup_visible(const struct tui *t)
{
	return t->pop.call_id != 0 || t->conf.open;
}

static WINDOW *box_window(struct tui *t, int h, int w)
{
	if (w > t->cols - 2)
		w = t->cols - 2;
	if (h > t->rows - 2)
		h = t->rows - 2;
	if (t->popup_win)
		delwin(t->popup_win);
	t->popup_win = newwin(h, w, (t->rows - 1 - h) / 2, (t->cols - w) / 2);
	if (t->popup_win) {
		leaveok(t->popup_win, TRUE);
		wbkgd(t->popup_win, draw_attr(R_POPUP) | ' ');
	}
	return t->popup_win;
}

static void draw_call_popup(struct tui *t)
{
	struct app_call_view cv;
	char name[256], uri[300], line[400];
	WINDOW *w;
	bool found = false;
	int width;

	for (unsigned i = 0; !found && app_call_view(t->app, i, &cv); i++)
		found = cv.id == t->pop.call_id;
	if (!found)
		return;
	w = box_window(t, 8, 60);
	if (!w)
		return;
	width = getmaxx(w) - 4;
	werase(w);
	draw_box(w, "Incoming call", NULL, true);
	/* The caller's name and URI are theirs to choose: escaped before they are drawn. */
	str_escape_terminal(uri, sizeof(uri), cv.peer, strlen(cv.peer), false);
	if (cv.display && cv.display[0]) {
		str_escape_terminal(name, sizeof(name), cv.display, strlen(cv.display), false);
	} else {
		const struct contact *ct = contacts_find_uri(&t->book, cv.peer);
		str_copy(name, sizeof(name), ct ? ct->name : "");
	}
	if (name[0])
		draw_role(w, 2, 2, width, R_TITLE, name);
	draw_text(w, name[0] ? 3 : 2, 2, width, uri);
	if (cv.account && cv.account[0]) {
		snprintf(line, sizeof(line), "to account %s", cv.account);
		draw_text(w, 4, 2, width, line);
	}
	draw_text(w, 6, 2, width, "[a] answer   [r] reject   [Esc] hide");
	wnoutrefresh(w);
}

static void draw_confirm(struct tui *t)
{
	WINDOW *w = box_window(t, 6, (int)strlen(t->conf.question) + 6 > 40 ?
			       (int)strlen(t->conf.question) + 6 : 40);

	if (!w)
		return;
	werase(w);
	draw_box(w, "Question", NULL, true);
	draw_text(w, 2, 2, getmaxx(w) - 4, t->conf.question);
	draw_text(w, 4, 2, getmaxx(w) - 4, "[y] yes   [n] no");
	wnoutrefresh(w);
}

void popup_draw(struct tui *t)
{
	if (t->conf.open)
		draw_confirm(t);
	else if (t->pop.call_id)
		draw_call_popup(t);
}

void popup_request(struct tui *t, enum request req)
{
	char line[64];

	switch (req) {
	case REQ_POPUP_ANSWER:
		snprintf(line, sizeof(line), "answer %u", t->pop.call_id);
		tui_exec(t, line);
		break;
	case REQ_POPUP_REJECT:
		snprintf(line, sizeof(line), "reject %u 486", t->pop.call_id);
		tui_exec(t, line);
		break;
	case REQ_POPUP_HIDE:
		t->pop.hidden_id = t->pop.call_id;
		tui_status(t, false, "still ringing: a answers, h rejects");
		break;
	default:
		return;
	}
	tui_dirty(t, D_ALL);
}

void confirm_open(struct tui *t, const char *question, confirm_fn *yes, const char *arg)
{
	t->conf.open = true;
	str_copy(t->conf.question, sizeof(t->conf.question), question);
	str_copy(t->conf.arg, sizeof(t->conf.arg), arg ? arg : "");
	t->conf.yes = yes;
	t->dirty |= D_POPUP;
}
