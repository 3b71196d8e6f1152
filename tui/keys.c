/* keys.c: the key table built from TUI_KEYS, and the lookup that dispatch uses. */
#include "tui_int.h"

#include <string.h>

const struct key_def key_table[REQ_COUNT - 1] = {
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
		[SC_SUBVIEW] = "Message detail, ladder, help",
		[SC_DETAIL] = "Message detail",
		[SC_LADDER] = "Ladder",
		[SC_CHAT] = "Chat",
		[SC_POPUP] = "Incoming call popup",
		[SC_CONFIRM] = "Questions",
	};
	return (unsigned)s < SC_COUNT && titles[s] ? titles[s] : "";
}
