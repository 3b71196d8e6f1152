/* draw.c: see draw.h. */
#include "draw.h"
#include "editor.h"
#include "lines.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static bool utf8;
static attr_t roles[R_COUNT];

enum { P_CYAN = 1, P_MAGENTA, P_YELLOW, P_GREEN, P_RED, P_BLUE, P_POPUP, P_MATCH, P_ERRBAR };

void draw_setup(bool is_utf8, bool colors)
{
	utf8 = is_utf8;
	roles[R_NORMAL] = A_NORMAL;
	roles[R_TITLE] = A_BOLD;
	roles[R_FOCUS] = A_BOLD | A_REVERSE;
	roles[R_SEL] = A_REVERSE;
	roles[R_DIM] = A_DIM;
	roles[R_OUT] = A_NORMAL;
	roles[R_IN] = A_NORMAL;
	roles[R_REQ] = A_BOLD;
	roles[R_1XX] = A_NORMAL;
	roles[R_2XX] = A_BOLD;
	roles[R_FAIL] = A_BOLD | A_UNDERLINE;
	roles[R_OK] = A_BOLD;
	roles[R_WARN] = A_NORMAL;
	roles[R_BAD] = A_BOLD | A_UNDERLINE;
	roles[R_STATUS] = A_REVERSE;
	roles[R_STATUS_ERR] = A_REVERSE | A_BOLD;
	roles[R_POPUP] = A_NORMAL;
	roles[R_MATCH] = A_UNDERLINE | A_BOLD;
	roles[R_ATTR] = A_BOLD;
	if (!colors || !has_colors() || start_color() == ERR)
		return;
	/* -1: the terminal's own background, so we look at home in any color scheme. */
	use_default_colors();
	init_pair(P_CYAN, COLOR_CYAN, -1);
	init_pair(P_MAGENTA, COLOR_MAGENTA, -1);
	init_pair(P_YELLOW, COLOR_YELLOW, -1);
	init_pair(P_GREEN, COLOR_GREEN, -1);
	init_pair(P_RED, COLOR_RED, -1);
	init_pair(P_BLUE, COLOR_BLUE, -1);
	init_pair(P_POPUP, COLOR_WHITE, COLOR_BLUE);
	init_pair(P_MATCH, COLOR_BLACK, COLOR_YELLOW);
	init_pair(P_ERRBAR, COLOR_WHITE, COLOR_RED);
	roles[R_TITLE] = A_BOLD | COLOR_PAIR(P_CYAN);
	roles[R_OUT] = COLOR_PAIR(P_CYAN);
	roles[R_IN] = COLOR_PAIR(P_MAGENTA);
	roles[R_REQ] = A_BOLD;
	roles[R_1XX] = COLOR_PAIR(P_YELLOW);
	roles[R_2XX] = COLOR_PAIR(P_GREEN);
	roles[R_FAIL] = A_BOLD | COLOR_PAIR(P_RED);
	roles[R_OK] = COLOR_PAIR(P_GREEN);
	roles[R_WARN] = COLOR_PAIR(P_YELLOW);
	roles[R_BAD] = A_BOLD | COLOR_PAIR(P_RED);
	roles[R_STATUS_ERR] = A_BOLD | COLOR_PAIR(P_ERRBAR);
	roles[R_POPUP] = COLOR_PAIR(P_POPUP);
	roles[R_MATCH] = COLOR_PAIR(P_MATCH);
	roles[R_ATTR] = A_BOLD | COLOR_PAIR(P_BLUE);
}

attr_t draw_attr(enum role r)
{
	return (unsigned)r < R_COUNT ? roles[r] : A_NORMAL;
}

const char *draw_glyph(enum glyph g)
{
	static const char *const u[G_COUNT] = { "→", "←", "🔒", "▶", "●", "○", "✉", "─", "│",
						">", "<", "…", "·", "↚", "✉" };
	static const char *const a[G_COUNT] = { ">", "<", "[S]", ">", "*", "o", "+", "-", "|",
						">", "<", "~", "|", "!", "m" };
	return (unsigned)g < G_COUNT ? (utf8 ? u[g] : a[g]) : "?";
}

const char *draw_meter_glyph(int step)
{
	/* Silence is the lowest bar, so a quiet meter still reads as a meter. */
	static const char *const u[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char *const a[8] = { "_", ".", ":", "-", "=", "+", "*", "#" };

	if (step < 0)
		step = 0;
	if (step > 7)
		step = 7;
	return utf8 ? u[step] : a[step];
}

int draw_text(WINDOW *w, int y, int x, int cols, const char *s)
{
	char buf[2048];
	size_t o = 0, len = strlen(s), i = 0;
	int used = 0, maxx = getmaxx(w);

	if (x >= maxx || y < 0 || y >= getmaxy(w))
		return 0;
	if (cols > maxx - x)
		cols = maxx - x;
	while (i < len && used < cols && o + 8 < sizeof(buf)) {
		unsigned char c = (unsigned char)s[i];
		mbstate_t st;
		wchar_t wc;
		size_t n;
		int cw;

		if (c < 0x80) {
			buf[o++] = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			used++;
			i++;
			continue;
		}
		memset(&st, 0, sizeof(st));
		n = utf8 ? mbrtowc(&wc, s + i, len - i, &st) : (size_t)-1;
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0 || (wc >= 0x80 && wc < 0xA0) ||
		    (cw = wcwidth(wc)) < 0) {
			buf[o++] = '?';
			used++;
			i++;
			continue;
		}
		if (used + cw > cols)
			break;
		memcpy(buf + o, s + i, n);
		o += n;
		i += n;
		used += cw;
	}
	buf[o] = '\0';
	mvwaddstr(w, y, x, buf);
	return used;
}

int draw_textf(WINDOW *w, int y, int x, int cols, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return draw_text(w, y, x, cols, buf);
}

int draw_role(WINDOW *w, int y, int x, int cols, enum role r, const char *s)
{
	int n;

	wattron(w, draw_attr(r));
	n = draw_text(w, y, x, cols, s);
	wattroff(w, draw_attr(r));
	return n;
}

int draw_right(WINDOW *w, int y, int x, int cols, enum role r, const char *s)
{
	int width = text_width(s);

	if (width > cols)
		return draw_role(w, y, x, cols, r, s);
	return draw_role(w, y, x + cols - width, width, r, s);
}

void draw_fill(WINDOW *w, int y, int x, int cols, enum role r)
{
	int maxx = getmaxx(w);

	if (cols > maxx - x)
		cols = maxx - x;
	if (cols <= 0)
		return;
	wattron(w, draw_attr(r));
	mvwhline(w, y, x, ' ', cols);
	wattroff(w, draw_attr(r));
}

void draw_box(WINDOW *w, const char *title, const char *right_title, bool focused)
{
	int width = getmaxx(w);

	box(w, 0, 0);
	if (title && title[0] && width > 6) {
		char t[256];
		snprintf(t, sizeof(t), " %s ", title);
		draw_role(w, 0, 2, width - 4, focused ? R_FOCUS : R_TITLE, t);
	}
	if (right_title && right_title[0]) {
		char t[256];
		int tw;
		snprintf(t, sizeof(t), " %s ", right_title);
		tw = text_width(t);
		if (tw < width / 2)
			draw_role(w, 0, width - 2 - tw, tw, R_DIM, t);
	}
}

void draw_editor(WINDOW *w, int y, int x, int cols, const char *prompt, const struct editor *e,
		 enum role r)
{
	int pw = draw_role(w, y, x, cols, r, prompt), room = cols - pw - 1, before;
	size_t start = 0;

	if (room < 1)
		return;
	/* Scroll the text so the cursor stays in view, a few columns from the right edge. */
	{
		char head[EDITOR_MAX];
		memcpy(head, e->buf, e->cur);
		head[e->cur] = '\0';
		before = text_width(head);
		while (before > room && start < e->cur) {
			int cw;
			start += text_char(e->buf + start, e->cur - start, &cw);
			before -= cw;
		}
	}
	{
		char shown[EDITOR_MAX];
		size_t n = text_fit(e->buf + start, e->len - start, room, NULL);
		memcpy(shown, e->buf + start, n);
		shown[n] = '\0';
		wattron(w, draw_attr(r));
		draw_text(w, y, x + pw, room, shown);
		wattroff(w, draw_attr(r));
	}
	wmove(w, y, x + pw + before);
}
