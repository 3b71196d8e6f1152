/* keys.c: the key table built from TUI_KEYS, and the lookup that dispatch uses. */
#include "tui_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Not const: [ui] key_ACTION overrides rewrite rows at start-up, before any dispatch. */
struct key_def key_table[REQ_COUNT - 1] = {
#define X(req, scope, key, alt, label, help) { REQ_##req, scope, key, alt, label, help },
	TUI_KEYS(X)
#undef X
};

static bool matches(int want, int key)
{
	if (want == TK_DIGITS)
		return key > 0 && key < 128 && strchr("0123456789*#", key) != NULL;
	return want != 0 && want == key;
}

enum request keys_lookup(unsigned scope_mask, int key)
{
	for (unsigned i = 0; i < REQ_COUNT - 1; i++) {
		const struct key_def *k = &key_table[i];
		if (!(scope_mask & SCOPE(k->scope)))
			continue;
		if (matches(k->key, key) || matches(k->alt, key))
			return k->req;
	}
	return REQ_NONE;
}

const char *keys_scope_title(enum key_scope s)
{
	static const char *const titles[SC_COUNT] = {
		[SC_GLOBAL] = "Everywhere",
		[SC_MAIN] = "Main screen",
		[SC_MOVE] = "Moving in lists and views",
		[SC_CONTACTS] = "Contacts pane",
		[SC_CALLS] = "Call panel",
		[SC_LOG] = "SIP log pane",
		[SC_SUBVIEW] = "Message detail, ladder, history, help",
		[SC_DETAIL] = "Message detail",
		[SC_LADDER] = "Ladder",
		[SC_CHAT] = "Chat",
		[SC_HISTORY] = "History of calls and messages",
		[SC_POPUP] = "Incoming call popup",
		[SC_CONFIRM] = "Questions",
	};
	return (unsigned)s < SC_COUNT && titles[s] ? titles[s] : "";
}

static const char *const request_names[REQ_COUNT - 1] = {
#define X(req, scope, key, alt, label, help) #req,
	TUI_KEYS(X)
#undef X
};

static int parse_key_spec(const char *spec)
{
	static const struct { const char *name; int key; } named[] = {
		{ "Tab", '\t' }, { "Enter", '\r' }, { "Esc", TK_ESC }, { "Space", ' ' },
		{ "Up", TK_FN(KEY_UP) }, { "Down", TK_FN(KEY_DOWN) }, { "Left", TK_FN(KEY_LEFT) },
		{ "Right", TK_FN(KEY_RIGHT) }, { "PgUp", TK_FN(KEY_PPAGE) },
		{ "PgDn", TK_FN(KEY_NPAGE) }, { "Home", TK_FN(KEY_HOME) }, { "End", TK_FN(KEY_END) },
	};
	size_t n = strlen(spec);

	if (n == 1 && isgraph((unsigned char)spec[0]))
		return (unsigned char)spec[0];
	if (n == 2 && spec[0] == '^' && isalpha((unsigned char)spec[1]))
		return TK_CTRL(toupper((unsigned char)spec[1]));
	if ((n == 2 || n == 3) && (spec[0] == 'F' || spec[0] == 'f') &&
	    isdigit((unsigned char)spec[1])) {
		int f = atoi(spec + 1);
		if (f >= 1 && f <= 12)
			return TK_FN(KEY_F(f));
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcasecmp(spec, named[i].name))
			return named[i].key;
	return 0;
}

int keys_override(const char *action, const char *spec, char *why, size_t whylen)
{
	static char labels[REQ_COUNT - 1][16];
	struct key_def *k = NULL;
	int key;

	for (unsigned i = 0; i < REQ_COUNT - 1; i++)
		if (!strcasecmp(request_names[i], action))
			k = &key_table[i];
	if (!k) {
		snprintf(why, whylen, "no action \"%s\" to bind (see the help overlay, F1; "
			 "names such as hangup, answer, next_pane)", action);
		return -1;
	}
	key = parse_key_spec(spec);
	if (!key) {
		snprintf(why, whylen, "key_%s: \"%s\" is not a key (a character, ^x, F1-F12, "
			 "Tab, Enter, Esc, Space, Up, Down, Left, Right, PgUp, PgDn, Home, End)",
			 action, spec);
		return -1;
	}
	/* A key that already means something where this action lives would be taken by
	 * whichever row comes first: refuse rather than guess. */
	for (unsigned i = 0; i < REQ_COUNT - 1; i++) {
		struct key_def *o = &key_table[i];
		bool same_place = o->scope == k->scope || o->scope == SC_GLOBAL ||
				  k->scope == SC_GLOBAL;
		if (o != k && same_place && (matches(o->key, key) || matches(o->alt, key))) {
			snprintf(why, whylen, "key_%s: %s already means \"%s\" there", action, spec,
				 o->help);
			return -1;
		}
	}
	k->key = key;
	k->alt = 0;
	snprintf(labels[k->req - 1], sizeof(labels[0]), "%s", spec);
	k->label = labels[k->req - 1];
	return 0;
}
