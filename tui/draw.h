/* draw.h: drawing helpers shared by the views: color roles (falling back to attributes
 * without colors), glyphs with ASCII fallbacks when the terminal is not UTF-8, clipped
 * UTF-8 text, boxes with titles, the line editor. */
#ifndef TTY_TUI_DRAW_H
#define TTY_TUI_DRAW_H

#include "tui_curses.h"
#include <stdbool.h>

struct editor;

enum role {
	R_NORMAL, R_TITLE, R_FOCUS, R_SEL, R_DIM,
	R_OUT, R_IN,                  /* direction of a SIP message */
	R_REQ, R_1XX, R_2XX, R_FAIL,  /* request, provisional, success, 3xx-6xx */
	R_OK, R_WARN, R_BAD,          /* states: registered, ringing, failed */
	R_STATUS, R_STATUS_ERR, R_POPUP, R_MATCH, R_ATTR,
	R_COUNT
};

enum glyph {
	G_ARROW_OUT, G_ARROW_IN, G_LOCK, G_ACTIVE, G_ONLINE, G_OFFLINE, G_UNREAD, G_HLINE,
	G_VLINE, G_ARROW_HEAD_R, G_ARROW_HEAD_L, G_ELLIPSIS, G_SEP, G_MISSED, G_MESSAGE, G_COUNT
};

/* Decide on UTF-8 and colors once curses is up. */
void draw_setup(bool utf8, bool colors);
attr_t draw_attr(enum role r);
const char *draw_glyph(enum glyph g);
/* A meter of level steps 0..7 as one glyph. */
const char *draw_meter_glyph(int step);

/* Draw s (trusted to be escaped already) at y,x in at most cols columns; controls and, on
 * a non-UTF-8 terminal, non-ASCII bytes show as '?'. Returns the columns used. */
int draw_text(WINDOW *w, int y, int x, int cols, const char *s);
int draw_textf(WINDOW *w, int y, int x, int cols, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Same, in role r. */
int draw_role(WINDOW *w, int y, int x, int cols, enum role r, const char *s);
/* Right-aligned in the columns x .. x+cols-1. */
int draw_right(WINDOW *w, int y, int x, int cols, enum role r, const char *s);
/* Fill the rest of row y from x with spaces in role r (for highlighted rows). */
void draw_fill(WINDOW *w, int y, int x, int cols, enum role r);
/* The window's border and title; the focused pane's title stands out. */
void draw_box(WINDOW *w, const char *title, const char *right_title, bool focused);
/* A line editor with a prompt in cols columns, scrolled so the cursor shows; leaves the
 * window's cursor at the editing point. */
void draw_editor(WINDOW *w, int y, int x, int cols, const char *prompt, const struct editor *e,
		 enum role r);

#endif
