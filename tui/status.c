/* status.c: the bottom line: a message on the left (replies, errors, arrivals; they fade
 * after a few seconds), the state of things on the right: accounts and their registration,
 * the number of calls, unread messages, our SIP address, where the help is. When space is
 * short, the message wins over the less useful parts of the right side. */
#include "tui_int.h"
#include "draw.h"
#include "app.h"

#include <stdio.h>
#include <string.h>

#define MAX_SEGS 16

struct seg {
	char text[160];
	enum role role;
	int prio;                 /* dropped first: highest */
};

static int segs_width(const struct seg *s, unsigned n, int maxprio)
{
	int w = 0, k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (s[i].prio > maxprio)
			continue;
		w += text_width(s[i].text) + (k++ ? 3 : 0);
	}
	return w;
}

static const char *hint(const struct tui *t)
{
	if (tui_top((struct tui *)t))
		return "q back, F1 help";
	switch (t->focus) {
	case PANE_CONTACTS:
		/* with no account, the next step is adding one: the hint says how */
		if (app_account_count(t->app) == 0)
			return "Enter call, :account add for yours";
		return "Enter call, m message, / filter, Tab next pane";
	case PANE_CALLS: return "a answer, h hang up, H hold, t transfer";
	default: return "Enter detail, l ladder, / search, f follow";
	}
}

void status_draw(struct tui *t)
{
	WINDOW *w = t->status_win;
	struct seg s[MAX_SEGS];
	unsigned n = 0, naccs = app_account_count(t->app), calls = 0, ringing = 0, unread, vm;
	struct app_call_view cv;
	const char *left = t->status_msg[0] ? t->status_msg : hint(t);
	int lw, maxprio, x, k = 0;
	char sep[8];

	for (unsigned i = 0; app_call_view(t->app, i, &cv); i++) {
		if (cv.state == CALL_ENDED)
			continue;
		calls++;
		ringing += cv.state == CALL_INCOMING;
	}
	if (naccs == 0) {
		snprintf(s[n].text, sizeof(s[n].text), "demo mode");
		s[n].role = R_STATUS;
		s[n++].prio = 2;
	}
	for (unsigned i = 0; i < naccs && n < MAX_SEGS - 5; i++) {
		struct app_account_view av;
		app_account_view(t->app, i, &av);
		snprintf(s[n].text, sizeof(s[n].text), "%s %s", av.name, reg_state_name(av.state));
		s[n].role = av.state == REG_FAILED ? R_STATUS_ERR : R_STATUS;
		s[n++].prio = av.state == REG_FAILED ? 1 : 2;
	}
	if (ringing)
		snprintf(s[n].text, sizeof(s[n].text), "%u call%s (%u ringing)", calls,
			 calls == 1 ? "" : "s", ringing);
	else
		snprintf(s[n].text, sizeof(s[n].text), "%u call%s", calls, calls == 1 ? "" : "s");
	s[n].role = R_STATUS;
	s[n++].prio = 1;
	unread = chat_unread_total(&t->chat);
	if (unread) {
		snprintf(s[n].text, sizeof(s[n].text), "%s %u", draw_glyph(G_UNREAD), unread);
		s[n].role = R_STATUS;
		s[n++].prio = 1;
	}
	if ((vm = app_mwi_new(t->app)) > 0) {   /* new voicemail (app_mwi.c) */
		snprintf(s[n].text, sizeof(s[n].text), "voicemail %s %u", draw_glyph(G_UNREAD), vm);
		s[n].role = R_STATUS;
		s[n++].prio = 1;
	}
	snprintf(s[n].text, sizeof(s[n].text), "%s", app_local_contact(t->app));
	s[n].role = R_STATUS;
	s[n++].prio = 3;
	snprintf(s[n].text, sizeof(s[n].text), "F1 help");
	s[n].role = R_STATUS;
	s[n++].prio = 0;

	snprintf(sep, sizeof(sep), " %s ", draw_glyph(G_SEP));
	draw_fill(w, 0, 0, t->cols, t->status_msg[0] && t->status_err ? R_STATUS_ERR : R_STATUS);
	lw = text_width(left);
	for (maxprio = 3; maxprio > 0; maxprio--)
		if (lw + 2 + segs_width(s, n, maxprio) + 1 <= t->cols)
			break;
	x = t->cols - 1 - segs_width(s, n, maxprio);
	if (x < 0)
		x = 0;
	draw_role(w, 0, 1, x - 2 > 0 ? x - 2 : 0,
		  t->status_msg[0] && t->status_err ? R_STATUS_ERR : R_STATUS, left);
	for (unsigned i = 0; i < n; i++) {
		if (s[i].prio > maxprio)
			continue;
		if (k++)
			x += draw_role(w, 0, x, t->cols - x, R_STATUS, sep);
		x += draw_role(w, 0, x, t->cols - x, s[i].role, s[i].text);
	}
}
