/* mouse.c: [ui] mouse = yes. A click focuses the pane under the pointer and selects the row
 * clicked; a second click on the same row within DOUBLE_MS does what Enter does there (call
 * the contact, open the message, make the call active); the wheel moves three rows in the
 * pane (or full-screen view) under the pointer. Popups and questions take keys only, so a
 * stray click never answers or rejects a call.
 *
 * Presses only (mouseinterval 0): curses' own click resolution would hold every press back
 * until it knows no second one follows, which is a delay on each click. Double clicks are
 * told apart here by time and place instead. */
#include "tui_int.h"
#include "keys.h"

#include <time.h>

#define DOUBLE_MS 400
#define WHEEL_ROWS 3

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mouse_setup(struct tui *t, bool on)
{
	mmask_t want = on ? BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED : 0;

	mouseinterval(0);
	mousemask(want, NULL);
	t->mouse.on = on;
}

static struct view *view_at(struct tui *t, int y, int x, int *pane)
{
	struct view *top = tui_top(t);

	*pane = -1;
	if (top)
		return top->win && wenclose(top->win, y, x) ? top : NULL;
	for (int i = 0; i < PANE_COUNT; i++)
		if (t->panes[i].win && wenclose(t->panes[i].win, y, x)) {
			*pane = i;
			return &t->panes[i];
		}
	return NULL;
}

void mouse_event(struct tui *t)
{
	MEVENT ev;
	struct view *v;
	int pane, row;
	bool dbl;
	long long now;

	if (getmouse(&ev) != OK || t->too_small || t->conf.open || popup_visible(t) ||
	    cmdline_active(t))
		return;
	v = view_at(t, ev.y, ev.x, &pane);
	if (!v)
		return;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		enum request req = ev.bstate & BUTTON4_PRESSED ? REQ_UP : REQ_DOWN;

		for (int i = 0; i < WHEEL_ROWS && v->ops->request; i++)
			v->ops->request(t, v, req, 0);
		v->dirty = true;
		return;
	}
	if (!(ev.bstate & BUTTON1_PRESSED))
		return;
	if (pane >= 0)
		tui_focus(t, pane);
	row = ev.y - getbegy(v->win);
	now = now_ms();
	dbl = now - t->mouse.last_ms <= DOUBLE_MS && ev.y == t->mouse.last_y &&
	      ev.x / 2 == t->mouse.last_x / 2 && v == t->mouse.last_view;
	t->mouse.last_ms = dbl ? 0 : now;  /* a third click starts over */
	t->mouse.last_y = ev.y;
	t->mouse.last_x = ev.x;
	t->mouse.last_view = v;
	if (v->ops->click && v->ops->click(t, v, row) && dbl && v->ops->request) {
		/* what Enter means in this view */
		enum request req = keys_lookup(v->ops->scopes, '\r');

		if (req != REQ_NONE)
			v->ops->request(t, v, req, '\r');
	}
	v->dirty = true;
}
