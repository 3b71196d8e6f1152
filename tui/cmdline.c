/* cmdline.c: the ":" command line and the prompts (transfer target, filters, file names,
 * contacts) on the bottom row. Commands go to app_exec exactly as typed, except that a
 * contact's name as the target of call, msg or transfer becomes its URI (the app does not
 * know the address book yet). Tab completes command names from command_table and contact
 * names; when several fit, the common part is filled in and the candidates show above the
 * line, and further Tabs cycle through them. */
#include "tui_int.h"
#include "draw.h"
#include "commands.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool cmdline_active(const struct tui *t)
{
	return t->cmd.mode != CMD_OFF;
}

static char tolower_ascii(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static void reset_completion(struct cmdline_state *c)
{
	c->ncands = 0;
	c->cidx = 0;
	c->cycling = false;
}

static void open_mode(struct tui *t, enum cmd_mode mode, const char *prompt, const char *initial)
{
	struct cmdline_state *c = &t->cmd;

	c->mode = mode;
	str_copy(c->prompt, sizeof(c->prompt), prompt);
	ed_set(&c->ed, initial ? initial : "");
	reset_completion(c);
	c->hpos = c->nhist;
	tui_dirty(t, D_STATUS);
}

void cmdline_open(struct tui *t)
{
	open_mode(t, CMD_COMMAND, ":", "");
	t->cmd.done = NULL;
	t->cmd.complete = COMPLETE_CONTACTS;
}

void cmdline_prompt(struct tui *t, const char *prompt, const char *initial, prompt_fn *done,
		    enum complete_kind complete)
{
	open_mode(t, CMD_PROMPT, prompt, initial);
	t->cmd.done = done;
	t->cmd.complete = complete;
}

void cmdline_close(struct tui *t)
{
	t->cmd.mode = CMD_OFF;
	reset_completion(&t->cmd);
	/* the candidates row covered the pane above */
	tui_dirty(t, D_ALL);
}

/* ---- completion ---- */

static void add_cand(struct cmdline_state *c, const char *name)
{
	for (unsigned i = 0; i < c->ncands; i++)
		if (!strcmp(c->cands[i], name))
			return;
	if (c->ncands < CMD_CANDS)
		str_copy(c->cands[c->ncands++], sizeof(c->cands[0]), name);
}

/* Names in any script: "jü" completes "Jürgen" (str_casestarts folds beyond ASCII). */
static void contact_cands(struct tui *t, const char *prefix)
{
	if (str_casestarts("echo", prefix))
		add_cand(&t->cmd, "echo");
	for (unsigned i = 0; i < t->book.n; i++)
		if (str_casestarts(t->book.v[i].name, prefix))
			add_cand(&t->cmd, t->book.v[i].name);
}

/* Which word the cursor is in (0 = the command), and where it starts. */
static unsigned word_at(const struct editor *e, size_t *start)
{
	unsigned idx = 0;
	size_t s = e->cur;

	while (s > 0 && e->buf[s - 1] != ' ')
		s--;
	*start = s;
	for (size_t i = 0; i < s; i++)
		if (e->buf[i] != ' ' && (i == 0 || e->buf[i - 1] == ' '))
			idx++;
	return idx;
}

static void replace_word(struct cmdline_state *c, const char *with, bool space)
{
	char tail[EDITOR_MAX];

	str_copy(tail, sizeof(tail), c->ed.buf + c->ed.cur);
	c->ed.len = c->word_start;
	c->ed.cur = c->word_start;
	c->ed.buf[c->ed.len] = '\0';
	ed_insert(&c->ed, with);
	if (space && tail[0] != ' ')
		ed_insert(&c->ed, " ");
	{
		size_t cur = c->ed.cur;
		ed_insert(&c->ed, tail);
		c->ed.cur = cur;
	}
}

static void complete(struct tui *t)
{
	struct cmdline_state *c = &t->cmd;
	char prefix[EDITOR_MAX], first[64] = "";
	unsigned idx;
	size_t common;

	if (c->cycling && c->ncands > 1) {
		c->cidx = (c->cidx + 1) % c->ncands;
		replace_word(c, c->cands[c->cidx], false);
		return;
	}
	reset_completion(c);
	idx = word_at(&c->ed, &c->word_start);
	str_ncopy(prefix, sizeof(prefix), c->ed.buf + c->word_start, c->ed.cur - c->word_start);
	sscanf(c->ed.buf, "%63s", first);
	if (c->mode == CMD_COMMAND && idx == 0) {
		for (unsigned i = 0; i < CMD_COUNT; i++)
			if (!strncmp(command_table[i].name, prefix, strlen(prefix)))
				add_cand(c, command_table[i].name);
	} else if ((c->mode == CMD_COMMAND && idx == 1 && (!strcmp(first, "call") ||
			!strcmp(first, "msg") || !strcmp(first, "transfer"))) ||
		   (c->mode == CMD_PROMPT && c->complete == COMPLETE_CONTACTS && idx == 0)) {
		contact_cands(t, prefix);
	}
	if (c->ncands == 0) {
		beep();
		return;
	}
	if (c->ncands == 1) {
		replace_word(c, c->cands[0], true);
		reset_completion(c);
		return;
	}
	/* Several: fill in what they share; the next Tab starts cycling. */
	common = strlen(c->cands[0]);
	for (unsigned i = 1; i < c->ncands; i++) {
		size_t k = 0;
		while (k < common && c->cands[i][k] && tolower_ascii(c->cands[i][k]) ==
		       tolower_ascii(c->cands[0][k]))
			k++;
		common = k;
	}
	if (common > strlen(prefix)) {
		char part[CONTACT_NAME];
		str_ncopy(part, sizeof(part), c->cands[0], common);
		replace_word(c, part, false);
	}
	c->cycling = true;
	c->cidx = c->ncands - 1; /* the first Tab from here shows candidate 0 */
}

/* ---- running ---- */

/* "call bob" -> "call sip:bob@example.org" when bob is a contact. */
static void resolve_contacts(struct tui *t, const char *line, char *out, size_t size)
{
	char cmd[32], arg[CONTACT_NAME + 1];
	const char *p = line, *uri;
	int n = 0;

	str_copy(out, size, line);
	if (sscanf(line, " %31s %n", cmd, &n) != 1 || (strcmp(cmd, "call") && strcmp(cmd, "msg") &&
							strcmp(cmd, "transfer")))
		return;
	p = line + n;
	if (sscanf(p, "%64s", arg) != 1)
		return;
	uri = contacts_resolve(&t->book, arg);
	if (!uri)
		return;
	snprintf(out, size, "%s %s%s", cmd, uri, p + strlen(arg));
}

/* Where the password of "account add NAME URI PASSWORD" starts in line, or NULL: it is
 * drawn as stars and never kept in the recall list. */
static const char *password_in(const char *line)
{
	const char *p = line;

	p += strspn(p, " ");
	if (strncmp(p, "account", 7) || p[7] != ' ')
		return NULL;
	p += 7 + strspn(p + 7, " ");
	if (strncmp(p, "add", 3) || p[3] != ' ')
		return NULL;
	p += 3;
	for (int word = 0; word < 2; word++) {  /* NAME, URI */
		p += strspn(p, " ");
		if (!*p)
			return NULL;
		p += strcspn(p, " ");
	}
	if (!*p)
		return NULL;
	p += strspn(p, " ");
	return *p ? p : NULL;
}

static void remember(struct cmdline_state *c, const char *line)
{
	if (password_in(line))
		return;
	if (c->nhist && !strcmp(c->hist[c->nhist - 1], line))
		return;
	if (c->nhist == CMD_HIST) {
		memmove(c->hist[0], c->hist[1], sizeof(c->hist[0]) * (CMD_HIST - 1));
		c->nhist--;
	}
	str_copy(c->hist[c->nhist++], sizeof(c->hist[0]), line);
}

static void enter(struct tui *t)
{
	struct cmdline_state *c = &t->cmd;
	char line[EDITOR_MAX], resolved[EDITOR_MAX + 256];
	prompt_fn *done = c->done;
	enum cmd_mode mode = c->mode;

	str_copy(line, sizeof(line), c->ed.buf);
	cmdline_close(t);
	if (mode == CMD_PROMPT) {
		if (done)
			done(t, line);
		return;
	}
	str_trim(line);
	if (!line[0])
		return;
	remember(c, line);
	if (!strcmp(line, "help")) {
		help_open(t);
		return;
	}
	/* ":history [text]": the view, searching for text (a count, as headless takes, means
	 * nothing on a scrolling list). */
	if (!strncmp(line, "history", 7) && (!line[7] || line[7] == ' ')) {
		const char *arg = line + 7 + strspn(line + 7, " ");
		history_view_open(t, arg[strspn(arg, "0123456789")] ? arg : NULL);
		return;
	}
	resolve_contacts(t, line, resolved, sizeof(resolved));
	tui_exec(t, resolved);
}

void cmdline_key(struct tui *t, int key)
{
	struct cmdline_state *c = &t->cmd;
	enum ed_result r = ed_key(&c->ed, key);
	bool had_menu = c->ncands > 1;

	if (r != ED_TAB)
		reset_completion(c);
	if (had_menu && c->ncands <= 1)
		tui_dirty(t, D_ALL); /* uncover the row the candidates hid */
	switch (r) {
	case ED_ENTER:
		enter(t);
		return;
	case ED_CANCEL:
		cmdline_close(t);
		return;
	case ED_TAB:
		complete(t);
		break;
	case ED_UP:
		if (c->mode == CMD_COMMAND && c->hpos > 0)
			ed_set(&c->ed, c->hist[--c->hpos]);
		break;
	case ED_DOWN:
		if (c->mode == CMD_COMMAND && c->hpos < c->nhist) {
			c->hpos++;
			ed_set(&c->ed, c->hpos < c->nhist ? c->hist[c->hpos] : "");
		}
		break;
	default:
		break;
	}
	tui_dirty(t, D_STATUS);
}

void cmdline_draw(struct tui *t)
{
	struct cmdline_state *c = &t->cmd;

	if (c->ncands > 1 && t->menu_win) {
		int x = 1;
		werase(t->menu_win);
		draw_fill(t->menu_win, 0, 0, t->cols, R_SEL);
		for (unsigned i = 0; i < c->ncands && x < t->cols - 2; i++) {
			enum role r = c->cycling && i == c->cidx ? R_FOCUS : R_SEL;
			x += draw_role(t->menu_win, 0, x, t->cols - x - 1, r, c->cands[i]);
			x += draw_role(t->menu_win, 0, x, t->cols - x - 1, R_SEL, "  ");
		}
	}
	if (c->mode == CMD_COMMAND && password_in(c->ed.buf)) {
		struct editor shown = c->ed;
		size_t from = (size_t)(password_in(c->ed.buf) - c->ed.buf);

		/* a star per byte: the cursor's byte offset stays right */
		memset(shown.buf + from, '*', shown.len - from);
		draw_editor(t->status_win, 0, 0, t->cols, c->prompt, &shown, R_NORMAL);
		return;
	}
	draw_editor(t->status_win, 0, 0, t->cols, c->prompt, &c->ed, R_NORMAL);
}
