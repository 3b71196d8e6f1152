/* editor.c: see editor.h. */
#include "editor.h"
#include "tui_int.h"
#include "strutil.h"

#include <string.h>

void ed_clear(struct editor *e)
{
	e->len = e->cur = 0;
	e->buf[0] = '\0';
}

void ed_set(struct editor *e, const char *text)
{
	ed_clear(e);
	ed_insert(e, text);
}

static bool cont_byte(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

void ed_insert(struct editor *e, const char *text)
{
	size_t n = strlen(text);

	if (e->len + n >= sizeof(e->buf)) {
		n = sizeof(e->buf) - 1 - e->len;
		while (n && cont_byte(text[n]))
			n--; /* whole characters only */
	}
	memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur);
	memcpy(e->buf + e->cur, text, n);
	e->len += n;
	e->cur += n;
	e->buf[e->len] = '\0';
}

static size_t prev_char(const struct editor *e, size_t pos)
{
	if (pos == 0)
		return 0;
	pos--;
	while (pos > 0 && cont_byte(e->buf[pos]))
		pos--;
	return pos;
}

static size_t next_char(const struct editor *e, size_t pos)
{
	if (pos >= e->len)
		return e->len;
	pos++;
	while (pos < e->len && cont_byte(e->buf[pos]))
		pos++;
	return pos;
}

static void delete_range(struct editor *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to);
	e->len -= to - from;
	e->buf[e->len] = '\0';
	e->cur = from;
}

enum ed_result ed_key(struct editor *e, int key)
{
	switch (key) {
	case '\r':
	case TK_FN(KEY_ENTER):
		return ED_ENTER;
	case TK_ESC:
	case TK_CTRL('G'):
		return ED_CANCEL;
	case '\t':
		return ED_TAB;
	case TK_FN(KEY_UP):
		return ED_UP;
	case TK_FN(KEY_DOWN):
		return ED_DOWN;
	case TK_FN(KEY_BACKSPACE):
	case 0x7f:
	case TK_CTRL('H'):
		if (e->cur == 0)
			return ED_MOVED;
		delete_range(e, prev_char(e, e->cur), e->cur);
		return ED_CHANGED;
	case TK_FN(KEY_DC):
	case TK_CTRL('D'):
		if (e->cur == e->len)
			return ED_MOVED;
		delete_range(e, e->cur, next_char(e, e->cur));
		return ED_CHANGED;
	case TK_FN(KEY_LEFT):
		e->cur = prev_char(e, e->cur);
		return ED_MOVED;
	case TK_FN(KEY_RIGHT):
		e->cur = next_char(e, e->cur);
		return ED_MOVED;
	case TK_FN(KEY_HOME):
	case TK_CTRL('A'):
		e->cur = 0;
		return ED_MOVED;
	case TK_FN(KEY_END):
	case TK_CTRL('E'):
		e->cur = e->len;
		return ED_MOVED;
	case TK_CTRL('U'):
		delete_range(e, 0, e->cur);
		return ED_CHANGED;
	case TK_CTRL('K'):
		delete_range(e, e->cur, e->len);
		return ED_CHANGED;
	case TK_CTRL('W'): {
		size_t p = e->cur;
		while (p > 0 && e->buf[p - 1] == ' ')
			p--;
		while (p > 0 && e->buf[p - 1] != ' ')
			p--;
		delete_range(e, p, e->cur);
		return ED_CHANGED;
	}
	default:
		break;
	}
	if (key >= 0x20 && key != 0x7f && !(key & TK_FN_BIT) && key < 0x110000 &&
	    !(key >= 0x80 && key < 0xA0)) {
		char buf[5];
		buf[str_utf8_put((unsigned)key, buf)] = '\0';
		ed_insert(e, buf);
		return ED_CHANGED;
	}
	return ED_UNHANDLED;
}
