/* editor.h: a one-line text editor (the ":" line, prompts, the chat input, the contacts
 * filter): UTF-8 aware cursor, emacs-style keys. No curses here; draw.c draws it. */
#ifndef TTY_TUI_EDITOR_H
#define TTY_TUI_EDITOR_H

#include <stdbool.h>
#include <stddef.h>

#define EDITOR_MAX 1024

struct editor {
	char buf[EDITOR_MAX];
	size_t len, cur;           /* bytes; cur is always on a character boundary */
};

enum ed_result {
	ED_UNHANDLED,              /* not an editing key */
	ED_CHANGED,                /* the text changed */
	ED_MOVED,                  /* only the cursor moved */
	ED_ENTER, ED_CANCEL, ED_TAB, ED_UP, ED_DOWN
};

void ed_set(struct editor *e, const char *text);
void ed_clear(struct editor *e);
/* Insert text at the cursor (as far as it fits). */
void ed_insert(struct editor *e, const char *text);
/* Apply one key (keys.h encoding). */
enum ed_result ed_key(struct editor *e, int key);

#endif
