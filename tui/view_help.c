/* view_help.c: the help overlay, written from the key table (keys.h) and the command table
 * (commands.h): what it says is what the keys and commands do. */
#include "ttyconf.h"
#include "tui_int.h"
#include "draw.h"
#include "commands.h"

#include <stdio.h>

void help_open(struct tui *t)
{
	t->hs.width = 0;
	t->hs.scroll = 0;
	tui_push(t, &t->help);
}

static void build(struct tui *t, int width)
{
	char line[512];

	lines_clear(&t->hs.rows);
	lines_add(&t->hs.rows, R_DIM, "j/k or the arrows scroll; q, Esc or F1 closes.");
	for (int s = 0; s < SC_COUNT; s++) {
		lines_add(&t->hs.rows, 0, "");
		lines_add(&t->hs.rows, R_TITLE, keys_scope_title((enum key_scope)s));
		for (unsigned i = 0; i < REQ_COUNT - 1; i++) {
			const struct key_def *k = &key_table[i];
			if (k->scope != (enum key_scope)s)
				continue;
			snprintf(line, sizeof(line), "  %-11s %s", k->label, k->help);
			lines_add_wrapped(&t->hs.rows, 0, line, width, 14);
		}
	}
	lines_add(&t->hs.rows, 0, "");
	lines_add(&t->hs.rows, R_TITLE, "Commands (press : and type one; Tab completes)");
	for (unsigned i = 0; i < CMD_COUNT; i++) {
		const struct command_def *c = &command_table[i];
		snprintf(line, sizeof(line), "  %-10s %-25s %s", c->name, c->usage, c->help);
		lines_add_wrapped(&t->hs.rows, 0, line, width, 38);
	}
	t->hs.width = width;
}

static void draw(struct tui *t, struct view *v)
{
	WINDOW *w = v->win;
	int h = getmaxy(w) - 2, width = getmaxx(w) - 4;
	char right[64];

	if (t->hs.width != width)
		build(t, width);
	if (t->hs.scroll > (int)t->hs.rows.n - h)
		t->hs.scroll = (int)t->hs.rows.n - h;
	if (t->hs.scroll < 0)
		t->hs.scroll = 0;
	snprintf(right, sizeof(right), "ttyphone %s", PACKAGE_VERSION);
	draw_box(w, "Help", right, true);
	for (int i = 0; i < h && t->hs.scroll + i < (int)t->hs.rows.n; i++) {
		unsigned k = (unsigned)(t->hs.scroll + i);
		draw_role(w, 1 + i, 2, width, (enum role)t->hs.rows.attr[k], t->hs.rows.v[k]);
	}
}

static bool request(struct tui *t, struct view *v, enum request req, int key)
{
	int page = getmaxy(v->win) - 3;

	(void)key;
	switch (req) {
	case REQ_UP: t->hs.scroll--; break;
	case REQ_DOWN: t->hs.scroll++; break;
	case REQ_PAGE_UP: t->hs.scroll -= page; break;
	case REQ_PAGE_DOWN: t->hs.scroll += page; break;
	case REQ_FIRST: t->hs.scroll = 0; break;
	case REQ_LAST: t->hs.scroll = (int)t->hs.rows.n; break;
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
	lines_clear(&t->hs.rows);
	t->hs.width = 0;
}

const struct view_ops help_ops = {
	.name = "help",
	.scopes = SCOPE(SC_SUBVIEW) | SCOPE(SC_MOVE),
	.draw = draw,
	.request = request,
	.close = close_view,
};
