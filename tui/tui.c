/* tui.c: the terminal UI's main loop glue, layout and redraw.
 *
 * Nothing here polls. The UI wakes for:
 *   - keys: the loop watches stdin (curses is in nodelay mode; we read all pending keys);
 *   - app events and new SIP messages: mark what changed dirty and arm a one-shot redraw
 *     timer (REDRAW_MS), so a flood of events costs one redraw, and no more than one every
 *     FRAME_MS: over a slow link (SSH on a phone line) bytes cost more than delay;
 *   - a tick, only while a call exists: every second for the clock, every METER_MS while a
 *     call has media, for the level meters;
 *   - SIGWINCH, through a pipe (term.c).
 * A redraw draws only the dirty panes into their windows (wnoutrefresh) and sends the
 * difference to the terminal once (doupdate). The log pane redraws at most every
 * LOG_THROTTLE_MS while messages stream in, and less often the more new rows its last
 * redraw had (log_gap_ms): a flood scrolls about one pane of new rows a second, not a
 * hundred rows. tests/bench/tui_bytes.py counts the bytes. */
#include "ttyconf.h"
#include "tui.h"
#include "tui_int.h"
#include "draw.h"
#include "app.h"
#include "config.h"
#include "strutil.h"
#include "trace.h"
#include "sip/loop.h"

#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define REDRAW_MS 30
#define FRAME_MS 100
#define LOG_THROTTLE_MS 100
#define LOG_FLOOD_MS 1000
#define TICK_MS 1000
#define METER_MS 200
#define STATUS_SHOW_MS 6000
#define MIN_ROWS 12
#define MIN_COLS 50

/* One UI per process, and static: the app keeps our listener after tui_run returns (it
 * emits "ended" events while it shuts down), so this must outlive the call. */
static struct tui the_tui;

long long tui_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- marking and scheduling ---- */

static void arm_redraw(struct tui *t, unsigned ms)
{
	long long now = tui_now_ms(), cap = t->last_frame_ms + FRAME_MS - now;

	if (cap > (long long)ms)
		ms = (unsigned)cap;
	/* Never later once armed: a steady stream of events must not postpone it forever. But
	 * sooner, yes: the log's flood wait must not hold back the rest of the screen. */
	if (t->redraw_armed && t->redraw_at_ms <= now + ms)
		return;
	loop_timer_start(t->redraw_timer, ms);
	t->redraw_armed = true;
	t->redraw_at_ms = now + ms;
}

void tui_dirty(struct tui *t, unsigned what)
{
	struct view *top = tui_top(t);

	for (int i = 0; i < PANE_COUNT; i++)
		if (what & (1u << i))
			t->panes[i].dirty = true;
	if ((what & D_TOP) && top)
		top->dirty = true;
	t->dirty |= what & (D_STATUS | D_POPUP);
	if (t->running)
		arm_redraw(t, REDRAW_MS);
}

static void mark_all(struct tui *t)
{
	for (int i = 0; i < PANE_COUNT; i++)
		t->panes[i].dirty = true;
	for (unsigned i = 0; i < t->depth; i++)
		t->stack[i]->dirty = true;
	t->dirty |= D_STATUS | D_POPUP;
}

static void on_status_timer(void *arg)
{
	struct tui *t = arg;

	t->status_msg[0] = '\0';
	tui_dirty(t, D_STATUS);
}

void tui_status(struct tui *t, bool error, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Messages quote the network (reasons, names, bodies): never trust them raw. */
	str_escape_terminal(t->status_msg, sizeof(t->status_msg), raw, strlen(raw), false);
	t->status_err = error;
	if (t->status_timer)
		loop_timer_start(t->status_timer, error ? STATUS_SHOW_MS * 2 : STATUS_SHOW_MS);
	tui_dirty(t, D_STATUS);
}

void tui_exec(struct tui *t, const char *line)
{
	app_exec(t->app, line, events_reply, t);
	tui_update_ticker(t);
	tui_dirty(t, D_CALLS | D_CONTACTS | D_STATUS | D_POPUP);
}

/* ---- the full-screen view stack ---- */

struct view *tui_top(struct tui *t)
{
	return t->depth ? t->stack[t->depth - 1] : NULL;
}

void tui_push(struct tui *t, struct view *v)
{
	/* A view already open moves to the top (detail -> ladder -> detail). */
	for (unsigned i = 0; i < t->depth; i++) {
		if (t->stack[i] == v) {
			memmove(&t->stack[i], &t->stack[i + 1], (t->depth - i - 1) * sizeof(v));
			t->depth--;
			break;
		}
	}
	if (t->depth == sizeof(t->stack) / sizeof(t->stack[0])) {
		memmove(&t->stack[0], &t->stack[1], (t->depth - 1) * sizeof(v));
		t->depth--;
	}
	t->stack[t->depth++] = v;
	v->dirty = true;
	tui_dirty(t, D_STATUS);
}

void tui_pop(struct tui *t)
{
	struct view *v = tui_top(t);

	if (!v)
		return;
	t->depth--;
	if (v->ops->close)
		v->ops->close(t, v);
	mark_all(t);
	tui_dirty(t, D_ALL);
}

/* ---- calls ---- */

static bool call_by_id(struct tui *t, unsigned id, struct app_call_view *cv)
{
	for (unsigned i = 0; app_call_view(t->app, i, cv); i++)
		if (cv->id == id)
			return true;
	return false;
}

unsigned tui_target_call(struct tui *t)
{
	struct app_call_view cv;
	unsigned id = 0, n = 0;

	if (t->focus == PANE_CALLS && t->calls.sel_id && call_by_id(t, t->calls.sel_id, &cv) &&
	    cv.state != CALL_ENDED)
		return cv.id;
	if (app_active_call(t->app) && call_by_id(t, app_active_call(t->app), &cv) &&
	    cv.state != CALL_ENDED)
		return cv.id;
	for (unsigned i = 0; app_call_view(t->app, i, &cv); i++) {
		if (cv.state == CALL_ENDED)
			continue;
		id = cv.id;
		n++;
	}
	return n == 1 ? id : 0;
}

static void on_tick(void *arg)
{
	struct tui *t = arg;

	t->tick_ms = 0;
	calls_sample_meters(t);
	popup_update(t);
	tui_update_ticker(t);
	/* Not the status line: nothing on it changes with time (its message fades on its own
	 * timer), and redrawing it would move the cursor there and back on every tick. */
	tui_dirty(t, D_CALLS);
}

void tui_update_ticker(struct tui *t)
{
	struct app_call_view cv;
	unsigned want = 0;

	for (unsigned i = 0; app_call_view(t->app, i, &cv); i++) {
		if (cv.state == CALL_ENDED)
			continue;
		if (cv.media && cv.state == CALL_ESTABLISHED)
			want = METER_MS;
		else if (!want)
			want = TICK_MS;
	}
	if (want == t->tick_ms)
		return;
	t->tick_ms = want;
	if (want)
		loop_timer_start(t->tick_timer, want);
	else
		loop_timer_stop(t->tick_timer);
}

/* ---- layout and redraw ---- */

static void delete_windows(struct tui *t)
{
	WINDOW **all[] = { &t->panes[0].win, &t->panes[1].win, &t->panes[2].win, &t->detail.win,
			   &t->ladder.win, &t->chat_view.win, &t->help.win, &t->hist_view.win,
			   &t->status_win, &t->popup_win, &t->menu_win };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (*all[i])
			delwin(*all[i]);
		*all[i] = NULL;
	}
}

static WINDOW *make_window(int h, int w, int y, int x, bool has_cursor)
{
	WINDOW *win = newwin(h, w, y, x);

	if (win)
		leaveok(win, !has_cursor);
	return win;
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void layout(struct tui *t)
{
	int rows, cols, top, cw;

	t->need_layout = false;
	getmaxyx(stdscr, rows, cols);
	t->rows = rows;
	t->cols = cols;
	delete_windows(t);
	/* stdscr stays blank under our windows; refreshing it now keeps wget_wch from
	 * painting it over them later. */
	werase(stdscr);
	wnoutrefresh(stdscr);
	t->too_small = rows < MIN_ROWS || cols < MIN_COLS;
	if (t->too_small) {
		t->status_win = make_window(rows, cols, 0, 0, false);
		mark_all(t);
		return;
	}
	/* The call panel gets 3/8 of the height (at most 16 rows); the log the rest, so a
	 * tall terminal shows more log. The contacts column widens a little on wide ones. */
	top = clamp(rows * 3 / 8, 7, 16);
	cw = cols >= 120 ? clamp(cols / 5, 28, 44) : clamp(cols * 3 / 10, 20, 28);
	/* [ui] calls_height / contacts_width, within what keeps every pane usable. */
	if (app_config(t->app)->ui.calls_height)
		top = clamp((int)app_config(t->app)->ui.calls_height, 5, rows - 6);
	if (app_config(t->app)->ui.contacts_width)
		cw = clamp((int)app_config(t->app)->ui.contacts_width, 12, cols - 30);
	t->panes[PANE_CONTACTS].win = make_window(top, cw, 0, 0, true);
	t->panes[PANE_CALLS].win = make_window(top, cols - cw, 0, cw, false);
	t->panes[PANE_LOG].win = make_window(rows - 1 - top, cols, top, 0, false);
	t->detail.win = make_window(rows - 1, cols, 0, 0, false);
	t->ladder.win = make_window(rows - 1, cols, 0, 0, false);
	t->chat_view.win = make_window(rows - 1, cols, 0, 0, true);
	t->help.win = make_window(rows - 1, cols, 0, 0, false);
	t->hist_view.win = make_window(rows - 1, cols, 0, 0, true);
	t->status_win = make_window(1, cols, rows - 1, 0, true);
	t->menu_win = make_window(1, cols, rows - 2, 0, false);
	mark_all(t);
}

static void draw_too_small(struct tui *t)
{
	WINDOW *w = t->status_win;

	if (!w)
		return;
	werase(w);
	draw_textf(w, 0, 0, t->cols, "ttyphone needs at least %dx%d", MIN_COLS, MIN_ROWS);
	draw_textf(w, 1, 0, t->cols, "(now %dx%d)", t->cols, t->rows);
	draw_text(w, 2, 0, t->cols, "q quits");
	wnoutrefresh(w);
}

static void draw_view(struct tui *t, struct view *v)
{
	if (!v->win)
		return;
	werase(v->win);
	v->ops->draw(t, v);
	wnoutrefresh(v->win);
	v->dirty = false;
}

/* How long the log waits after a redraw while messages stream in: LOG_THROTTLE_MS, up to
 * LOG_FLOOD_MS when the last redraw was all new rows. */
static long long log_gap_ms(const struct tui *t)
{
	long long gap = t->log.rows > 0 ? (long long)LOG_FLOOD_MS * t->log.fresh_rows / t->log.rows : 0;

	return gap < LOG_THROTTLE_MS ? LOG_THROTTLE_MS : gap > LOG_FLOOD_MS ? LOG_FLOOD_MS : gap;
}

static void redraw(struct tui *t, bool from_key)
{
	struct view *top;
	bool below = false, popup_was = t->pop.call_id || t->conf.open;
	WINDOW *cursor = NULL;
	long long now = tui_now_ms();

	t->last_frame_ms = now; /* before arm_redraw below: it counts from this frame */
	if (t->need_layout)
		layout(t);
	if (t->redraw_armed) {
		loop_timer_stop(t->redraw_timer);
		t->redraw_armed = false;
	}
	book_check(t); /* contacts.ini edited elsewhere: the new book, drawn in this frame */
	popup_update(t);
	if (popup_was && !popup_visible(t))
		mark_all(t); /* uncover what the popup hid */
	if (t->too_small) {
		draw_too_small(t);
		doupdate();
		return;
	}
	top = tui_top(t);
	if (top) {
		if (top->dirty) {
			draw_view(t, top);
			below = true;
		}
		if (top == &t->chat_view || (top == &t->hist_view && t->hv.typing))
			cursor = top->win;
	} else {
		for (int i = 0; i < PANE_COUNT; i++) {
			struct view *v = &t->panes[i];
			if (!v->dirty)
				continue;
			if (i == PANE_LOG && !from_key && now - t->log.last_draw_ms < log_gap_ms(t)) {
				/* Streaming: the log waits a little, the rest of the screen does not. */
				arm_redraw(t, (unsigned)(log_gap_ms(t) - (now - t->log.last_draw_ms)));
				continue;
			}
			if (i == PANE_LOG)
				t->log.last_draw_ms = now;
			draw_view(t, v);
			below = true;
		}
		if (t->cs.typing)
			cursor = t->panes[PANE_CONTACTS].win;
	}
	if (cmdline_active(t) || (t->dirty & D_STATUS)) {
		werase(t->status_win);
		if (cmdline_active(t)) {
			cmdline_draw(t);
			cursor = t->status_win;
		} else {
			status_draw(t);
		}
		wnoutrefresh(t->status_win);
	}
	if (cmdline_active(t) && t->cmd.ncands > 1 && t->menu_win) {
		/* the completion candidates, over the row above the command line */
		touchwin(t->menu_win);
		wnoutrefresh(t->menu_win);
	}
	if (popup_visible(t)) {
		if (below || (t->dirty & D_POPUP) || !popup_was)
			popup_draw(t);
		cursor = NULL;
	}
	if (cursor) {
		curs_set(1);
		/* The last window refreshed places the terminal's cursor. */
		wnoutrefresh(cursor);
	} else {
		curs_set(0);
	}
	t->dirty = 0;
	doupdate();
}

static void on_redraw_timer(void *arg)
{
	struct tui *t = arg;

	t->redraw_armed = false;
	redraw(t, false);
}

/* ---- keys ---- */

static void focus_pane(struct tui *t, int pane)
{
	if (pane == t->focus)
		return;
	t->panes[t->focus].dirty = true;
	t->focus = pane;
	t->panes[pane].dirty = true;
	t->dirty |= D_STATUS;
}

void tui_focus(struct tui *t, int pane)
{
	focus_pane(t, pane);
}

static void transfer_done(struct tui *t, const char *text)
{
	char target[512], line[640];
	const char *uri;

	str_copy(target, sizeof(target), text);
	str_trim(target);
	if (!target[0])
		return;
	uri = contacts_resolve(&t->book, target);
	snprintf(line, sizeof(line), "transfer %s %u", uri ? uri : target, t->calls.sel_id);
	tui_exec(t, line);
}

static void quit_yes(struct tui *t)
{
	tui_exec(t, "quit");
}

static void record_done(struct tui *t, const char *text)
{
	char file[512], line[640];

	str_copy(file, sizeof(file), text);
	str_trim(file);
	if (!file[0])
		return;
	snprintf(line, sizeof(line), "record %s %u", file, t->calls.sel_id);
	tui_exec(t, line);
}

static void call_request(struct tui *t, enum request req, int key)
{
	struct app_call_view cv;
	unsigned id = tui_target_call(t);
	char line[128];

	if (req == REQ_ANSWER) {
		for (unsigned i = 0; app_call_view(t->app, i, &cv); i++) {
			if (cv.state == CALL_INCOMING) {
				snprintf(line, sizeof(line), "answer %u", cv.id);
				tui_exec(t, line);
				return;
			}
		}
		tui_status(t, true, "no ringing call to answer");
		return;
	}
	if (!id || !call_by_id(t, id, &cv)) {
		tui_status(t, true, req == REQ_DTMF ? "digits send DTMF during a call" : "no call");
		return;
	}
	switch (req) {
	case REQ_HANGUP:
		snprintf(line, sizeof(line), cv.state == CALL_INCOMING ? "reject %u 603" : "hangup %u", id);
		break;
	case REQ_HOLD:
		snprintf(line, sizeof(line), cv.state == CALL_HELD && cv.local_hold ? "resume %u" :
			 "hold %u", id);
		break;
	case REQ_MUTE:
		snprintf(line, sizeof(line), "mute %u", id);
		break;
	case REQ_DTMF:
		snprintf(line, sizeof(line), "dtmf %c %u", (char)key, id);
		tui_status(t, false, "DTMF %c", (char)key);
		break;
	case REQ_TRANSFER: {
		char prompt[64];
		t->calls.sel_id = id; /* the call the prompt is about */
		snprintf(prompt, sizeof(prompt), "transfer call %u to: ", id);
		cmdline_prompt(t, prompt, "", transfer_done, COMPLETE_CONTACTS);
		return;
	}
	case REQ_RECORD: {
		char prompt[64], name[96];
		time_t now = time(NULL);
		struct tm tm;
		const char *home = getenv("HOME");

		localtime_r(&now, &tm);
		t->calls.sel_id = id;
		snprintf(prompt, sizeof(prompt), "record call %u to (off stops): ", id);
		snprintf(name, sizeof(name), "%s/ttyphone-%04d%02d%02d-%02d%02d%02d.wav",
			 home && *home ? home : ".", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		cmdline_prompt(t, prompt, name, record_done, 0);
		return;
	}
	default:
		return;
	}
	tui_exec(t, line);
}

static void global_request(struct tui *t, enum request req, int key)
{
	switch (req) {
	case REQ_HELP:
		if (tui_top(t) == &t->help)
			tui_pop(t);
		else
			help_open(t);
		break;
	case REQ_REDRAW:
		clearok(curscr, TRUE);
		mark_all(t);
		break;
	case REQ_COMMAND:
		cmdline_open(t);
		break;
	case REQ_QUIT: {
		struct app_call_view cv;
		bool up = false;
		for (unsigned i = 0; app_call_view(t->app, i, &cv); i++)
			up |= cv.state != CALL_ENDED;
		if (up)
			confirm_open(t, "A call is up. Hang up and quit?", quit_yes, "");
		else
			quit_yes(t);
		break;
	}
	case REQ_NEXT_PANE:
		focus_pane(t, (t->focus + 1) % PANE_COUNT);
		break;
	case REQ_PREV_PANE:
		focus_pane(t, (t->focus + PANE_COUNT - 1) % PANE_COUNT);
		break;
	case REQ_PANE_LEFT:
		focus_pane(t, PANE_CONTACTS);
		break;
	case REQ_PANE_RIGHT:
		focus_pane(t, PANE_CALLS);
		break;
	case REQ_ANSWER:
	case REQ_HANGUP:
	case REQ_HOLD:
	case REQ_MUTE:
	case REQ_DTMF:
	case REQ_TRANSFER:
	case REQ_RECORD:
		call_request(t, req, key);
		break;
	case REQ_SWAP:
		tui_exec(t, "swap");
		break;
	case REQ_HISTORY:
		history_view_open(t, NULL);
		break;
	case REQ_VOICEMAIL: {
		const char *vm = app_voicemail_uri(t->app);
		char cmd[CFG_STR + 8];

		if (!vm) {
			tui_status(t, true, "no voicemail: set [account] voicemail = sip:...");
			break;
		}
		snprintf(cmd, sizeof(cmd), "call %s", vm);
		tui_exec(t, cmd);
		break;
	}
	case REQ_MESSAGE: {
		struct app_call_view cv;
		unsigned id = tui_target_call(t);
		if (id && call_by_id(t, id, &cv) && strncmp(cv.peer, "sip:echo@", 9))
			tui_open_chat(t, cv.peer);
		else
			tui_status(t, true, "select a contact to chat with");
		break;
	}
	case REQ_CLOSE:
		tui_pop(t);
		break;
	default:
		break;
	}
}

static void handle_key(struct tui *t, int key)
{
	struct view *v;
	enum request req;

	if (key == TK_FN(KEY_MOUSE)) {
		mouse_event(t);
		return;
	}

	if (t->too_small) {
		if (key == 'q')
			tui_exec(t, "quit");
		return;
	}
	if (t->conf.open) {
		req = keys_lookup(SCOPE(SC_CONFIRM), key);
		if (req == REQ_YES || req == REQ_NO) {
			confirm_fn *yes = t->conf.yes;
			t->conf.open = false;
			mark_all(t);
			if (req == REQ_YES && yes)
				yes(t);
		}
		return;
	}
	if (popup_visible(t)) {
		req = keys_lookup(SCOPE(SC_POPUP), key);
		if (req != REQ_NONE)
			popup_request(t, req);
		else if (keys_lookup(SCOPE(SC_GLOBAL), key) == REQ_REDRAW)
			global_request(t, REQ_REDRAW, key);
		return;
	}
	if (cmdline_active(t)) {
		cmdline_key(t, key);
		return;
	}
	v = tui_top(t);
	if (!v)
		v = &t->panes[t->focus];
	if (v->ops->input && v->ops->input(t, v, key))
		return;
	req = keys_lookup(v->ops->scopes | SCOPE(SC_GLOBAL) | (tui_top(t) ? 0 : SCOPE(SC_MAIN)), key);
	if (req == REQ_NONE)
		return;
	if (v->ops->request && v->ops->request(t, v, req, key))
		return;
	global_request(t, req, key);
}

/* stdin readable but nothing to read, again and again: the terminal is gone. */
static bool stdin_hung_up(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	int avail = 0;

	if (poll(&p, 1, 0) < 0)
		return false;
	if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
		return true;
	return (p.revents & POLLIN) && ioctl(STDIN_FILENO, FIONREAD, &avail) == 0 && avail == 0;
}

static void read_keys(struct tui *t)
{
	unsigned n = 0;
	wint_t wch;
	int rc;

	while ((rc = wget_wch(stdscr, &wch)) != ERR) {
		int key = rc == KEY_CODE_YES ? (int)wch | TK_FN_BIT : (int)wch;
		n++;
		if (rc == KEY_CODE_YES && wch == KEY_RESIZE) {
			t->need_layout = true;
			continue;
		}
		if (key == '\n')
			key = '\r';
		handle_key(t, key);
	}
	if (n) {
		t->empty_reads = 0;
	} else if (stdin_hung_up() && ++t->empty_reads >= 3) {
		loop_unwatch(t->loop, t->stdin_watch);
		t->stdin_watch = -1;
		app_exec(t->app, "quit", NULL, NULL);
	}
}

static void on_stdin(void *arg, int fd)
{
	struct tui *t = arg;

	(void)fd;
	read_keys(t);
	redraw(t, true);
}

static void on_winch(void *arg, int fd)
{
	struct tui *t = arg;

	(void)fd;
	term_winch_drain();
	/* resizeterm left stdscr touched: refresh it into curses' picture now (it is blank),
	 * or the next wget_wch would paint it over everything on its own. */
	wnoutrefresh(stdscr);
	t->need_layout = true;
	read_keys(t); /* takes the KEY_RESIZE resizeterm queued */
	redraw(t, true);
}

static void on_trace(void *arg)
{
	log_new_messages(arg);
}

/* ---- contacts ---- */

static void contacts_diag(void *arg, const char *line)
{
	struct tui *t = arg;

	/* The first problem is shown; the file can be checked with ttyphone --check-config
	 * for the config, and this message names the line. */
	if (!t->status_msg[0])
		tui_status(t, true, "%s", line);
}

/* [ui] key_ACTION = KEY: checked here, where the action names live; the first problem goes
 * to the status line as file:line, like a contacts.ini problem. */
static void apply_key_overrides(struct tui *t, const struct config *cfg)
{
	const char *base = strrchr(cfg->path, '/');

	base = base ? base + 1 : cfg->path;
	for (unsigned i = 0; i < cfg->ui.nkeys; i++) {
		const struct ui_key_override *k = &cfg->ui.keys[i];
		char why[300];

		if (keys_override(k->action, k->key, why, sizeof(why)) < 0 && !t->status_msg[0])
			tui_status(t, true, "%s:%d: %s", base, k->line, why);
	}
}

void tui_open_chat(struct tui *t, const char *uri)
{
	chat_view_open(t, uri);
}

/* ---- life cycle ---- */

static bool colors_wanted(const struct app *a)
{
	const char *nc = getenv("NO_COLOR");

	/* no-color.org: set and not empty means no colors */
	if (nc && nc[0])
		return false;
	return app_config(a)->ui.colors;
}

static void teardown(struct tui *t)
{
	t->running = false;
	trace_set_notify(t->trace, NULL, NULL);
	if (t->stdin_watch >= 0)
		loop_unwatch(t->loop, t->stdin_watch);
	if (t->winch_watch >= 0)
		loop_unwatch(t->loop, t->winch_watch);
	book_watch_stop(t);
	loop_timer_free(t->redraw_timer);
	loop_timer_free(t->tick_timer);
	loop_timer_free(t->status_timer);
	t->redraw_timer = t->tick_timer = t->status_timer = NULL;
	delete_windows(t);
	term_stop();
	lines_clear(&t->det.rows);
	lines_clear(&t->lad.side);
	lines_clear(&t->hs.rows);
	free(t->hv.rows);
	t->hv.rows = NULL;
	contacts_free(&t->book);
	chat_free(&t->chat);
}

int tui_run(struct app *a, struct loop *l, struct history *hist, const char *nohist)
{
	struct tui *t = &the_tui;
	char why[256], path[1024];

	memset(t, 0, sizeof(*t));
	t->app = a;
	t->loop = l;
	t->trace = app_trace(a);
	t->stdin_watch = t->winch_watch = t->book_fd = t->book_watch = -1;
	setlocale(LC_ALL, "");
	t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	t->panes[PANE_CONTACTS].ops = &contacts_ops;
	t->panes[PANE_CALLS].ops = &calls_ops;
	t->panes[PANE_LOG].ops = &log_ops;
	t->detail.ops = &detail_ops;
	t->ladder.ops = &ladder_ops;
	t->chat_view.ops = &chat_ops;
	t->help.ops = &help_ops;
	t->hist_view.ops = &history_ops;
	t->hv.db = hist;
	str_copy(t->hv.nohist, sizeof(t->hv.nohist), nohist && nohist[0] ? nohist : "not opened");
	t->log.follow = true;
	t->focus = PANE_CONTACTS;
	chat_init(&t->chat);
	contacts_init(&t->book);
	contacts_default_path(path, sizeof(path));
	contacts_load(&t->book, path, contacts_diag, t);
	apply_key_overrides(t, app_config(a));
	/* In demo mode the echo test (row 0) is what there is to do; otherwise the first
	 * contact of the book is the likelier choice. */
	t->cs.sel = app_account_count(a) == 0 || t->book.n == 0 ? 0 : 1;

	if (loop_timer_alloc(l, &t->redraw_timer, on_redraw_timer, t) != 0 ||
	    loop_timer_alloc(l, &t->tick_timer, on_tick, t) != 0 ||
	    loop_timer_alloc(l, &t->status_timer, on_status_timer, t) != 0) {
		fprintf(stderr, "ttyphone: out of memory\n");
		teardown(t);
		return -1;
	}
	if (t->status_msg[0]) /* a contacts.ini problem, reported while loading */
		loop_timer_start(t->status_timer, STATUS_SHOW_MS * 2);
	if (term_start(why, sizeof(why)) < 0) {
		fprintf(stderr, "ttyphone: %s\n", why);
		teardown(t);
		return -1;
	}
	draw_setup(t->utf8, colors_wanted(a));
	mouse_setup(t, app_config(a)->ui.mouse);
	t->stdin_watch = loop_watch_fd(l, STDIN_FILENO, on_stdin, t);
	if (term_winch_fd() >= 0)
		t->winch_watch = loop_watch_fd(l, term_winch_fd(), on_winch, t);
	if (t->stdin_watch < 0 || app_add_listener(a, events_listener, t) != 0) {
		teardown(t);
		fprintf(stderr, "ttyphone: cannot watch the terminal\n");
		return -1;
	}
	trace_set_notify(t->trace, on_trace, t);
	book_watch_start(t);
	t->running = true;
	if (!t->status_msg[0] && app_account_count(a) == 0)
		tui_status(t, false, "demo mode: Enter calls the echo test; "
			   ":account add NAME sip:you@server PASSWORD adds yours");
	tui_update_ticker(t);
	t->need_layout = true;
	redraw(t, true);
	loop_run(l);
	teardown(t);
	return 0;
}
