/* events.c: what the app tells us. Each JSON event marks the parts of the screen it changes
 * and, for the things a person should notice (a message arrives, a call fails), writes the
 * status line. Calls and accounts are not copied: the views read them from the app when
 * they draw. Messages are the exception: the app does not keep them, so the chat store
 * does (chat.h), one conversation per person (chat_address), reading their past messages
 * from the history file the first time they appear: the history's listener runs first, so
 * the new message is in the file already and the merge does not add it twice. Every string
 * taken from an event came from the network: it is escaped before it is drawn (tui_status
 * escapes; the views escape what they draw). */
#include "tui_int.h"
#include "app.h"
#include "jsonget.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>

static void on_call(struct tui *t, const char *json)
{
	char state[32], peer[256], reason[200];
	long long id = 0, code = 0;

	json_get_str(json, "state", state, sizeof(state));
	json_get_str(json, "peer", peer, sizeof(peer));
	json_get_str(json, "reason", reason, sizeof(reason));
	json_get_int(json, "id", &id);
	json_get_int(json, "code", &code);
	if (!strcmp(state, "ended")) {
		calls_note_ended(t, json);
		if (t->calls.sel_id == (unsigned)id)
			t->calls.sel_id = 0;
		if (code >= 300)
			tui_status(t, true, "call %lld to %s ended: %lld %s", id, peer, code, reason);
		else
			tui_status(t, false, "call %lld ended%s%s", id, reason[0] ? ": " : "", reason);
	} else if (!strcmp(state, "calling") && !t->calls.sel_id) {
		t->calls.sel_id = (unsigned)id;
	}
	history_view_changed(t); /* recorded by the history's listener, which runs first */
	tui_update_ticker(t);
	tui_dirty(t, D_CALLS | D_CONTACTS | D_STATUS | D_POPUP);
}

static void on_reg(struct tui *t, const char *json)
{
	char acc[64], state[32], reason[200];
	long long code = 0;

	json_get_str(json, "account", acc, sizeof(acc));
	json_get_str(json, "state", state, sizeof(state));
	json_get_str(json, "reason", reason, sizeof(reason));
	json_get_int(json, "code", &code);
	if (!strcmp(state, "failed"))
		tui_status(t, true, "account %s: registration failed: %lld %s", acc, code, reason);
	tui_dirty(t, D_STATUS | D_CONTACTS);
}

static void on_message(struct tui *t, const char *json)
{
	static char body[CHAT_TEXT_MAX];
	char from[CHAT_URI], display[128];
	struct chat_peer *p, *shown;

	json_get_str(json, "from", from, sizeof(from));
	json_get_str(json, "display", display, sizeof(display));
	json_get_str(json, "body", body, sizeof(body));
	if (!from[0])
		return;
	/* one conversation per person, whichever of a contact's addresses wrote */
	chat_add(&t->chat, chat_address(t, from), display, false, body, time(NULL));
	p = chat_peer(&t->chat, chat_address(t, from), false);
	chat_load_history(t, p, false);
	shown = tui_top(t) == &t->chat_view ? chat_peer(&t->chat, t->cv.uri, false) : NULL;
	if (p && p == shown) {
		p->unread = 0; /* the conversation is on screen: read */
		tui_dirty(t, D_TOP);
	} else {
		const struct contact *ct = contacts_find_uri(&t->book, from);
		tui_status(t, false, "message from %s: %.200s (m to reply)",
			   ct ? ct->name : display[0] ? display : from, body);
	}
	tui_dirty(t, D_CONTACTS | D_STATUS);
}

static void on_message_status(struct tui *t, const char *json)
{
	char to[CHAT_URI], reason[64];
	long long cookie = 0, code = 0;

	json_get_str(json, "to", to, sizeof(to));
	json_get_str(json, "reason", reason, sizeof(reason));
	json_get_int(json, "msg", &cookie);
	json_get_int(json, "code", &code);
	chat_status(&t->chat, (unsigned long)cookie, (int)code, reason);
	if (code >= 300)
		tui_status(t, true, "message to %s not delivered: %lld %s", to, code, reason);
	tui_dirty(t, D_TOP);
}

static void on_message_sent(struct tui *t, const char *json)
{
	static char body[CHAT_TEXT_MAX];
	char to[CHAT_URI];
	long long cookie = 0;
	struct chat_msg *m;

	json_get_str(json, "to", to, sizeof(to));
	json_get_int(json, "msg", &cookie);
	tui_dirty(t, D_TOP | D_CONTACTS);
	str_copy(to, sizeof(to), chat_address(t, to));
	if (chat_sent(&t->chat, to, (unsigned long)cookie))
		return;
	/* Sent with :msg, not from the chat: it belongs in the conversation all the same. A
	 * bare name the app completed with its domain has no address here to file it under. */
	json_get_str(json, "body", body, sizeof(body));
	if (!strchr(to, ':') || !(m = chat_add(&t->chat, to, NULL, true, body, time(NULL))))
		return;
	m->cookie = (unsigned long)cookie;
	chat_load_history(t, chat_peer(&t->chat, to, false), false);
}

static void on_other(struct tui *t, const char *ev, const char *json)
{
	char text[512], to[256];
	long long id = 0, code = 0;
	bool ok = true;

	json_get_int(json, "id", &id);
	if (!strcmp(ev, "log")) {
		json_get_str(json, "text", text, sizeof(text));
		tui_status(t, false, "%s", text);
	} else if (!strcmp(ev, "dtmf")) {
		json_get_str(json, "digit", text, sizeof(text));
		tui_status(t, false, "call %lld: DTMF %s received", id, text);
	} else if (!strcmp(ev, "transfer_request")) {
		json_get_str(json, "to", to, sizeof(to));
		tui_status(t, false, "call %lld: the peer transfers us to %s", id, to);
	} else if (!strcmp(ev, "transfer")) {
		json_get_int(json, "code", &code);
		json_get_str(json, "reason", text, sizeof(text));
		tui_status(t, code >= 300, "call %lld: transfer: %lld %s", id, code, text);
	} else if (!strcmp(ev, "audio")) {
		json_get_bool(json, "ok", &ok);
		json_get_str(json, "reason", text, sizeof(text));
		/* Without an id it is the start-up check of the audio server, not a call's. */
		if (!ok && json_get_int(json, "id", &id))
			tui_status(t, true, "call %lld: audio: %s", id, text);
		else if (!ok)
			tui_status(t, true, "audio: %s", text);
	}
	/* media, stats, ready...: the views read the new state when they draw */
	tui_update_ticker(t);
	tui_dirty(t, D_CALLS | D_STATUS);
}

void events_listener(void *arg, const char *json)
{
	struct tui *t = arg;
	char ev[32];

	if (!t->running || !json_get_str(json, "event", ev, sizeof(ev)))
		return;
	if (!strcmp(ev, "media") || !strncmp(ev, "message", 7))
		history_view_changed(t);
	if (!strcmp(ev, "call"))
		on_call(t, json);
	else if (!strcmp(ev, "reg"))
		on_reg(t, json);
	else if (!strcmp(ev, "message"))
		on_message(t, json);
	else if (!strcmp(ev, "message_status"))
		on_message_status(t, json);
	else if (!strcmp(ev, "message_sent"))
		on_message_sent(t, json);
	else if (!strcmp(ev, "presence") || !strcmp(ev, "dialog"))
		tui_dirty(t, D_CONTACTS);   /* the pane reads them (app_presence_view, app_blf_view) */
	else
		on_other(t, ev, json);
}

/* The direct reply to a command we ran. */
void events_reply(void *arg, const char *json)
{
	struct tui *t = arg;
	char ev[32], text[600];

	if (!json_get_str(json, "event", ev, sizeof(ev)))
		return;
	if (!strcmp(ev, "error")) {
		json_get_str(json, "message", text, sizeof(text));
		if (t->sending)
			chat_not_sent(&t->chat, t->cv.uri, text); /* it did not leave */
		tui_status(t, true, "%s", text);
	} else if (!strcmp(ev, "account")) {
		char name[128], path[400], why[300] = "";
		bool restart = true;
		json_get_str(json, "name", name, sizeof(name));
		json_get_str(json, "path", path, sizeof(path));
		json_get_str(json, "why", why, sizeof(why));
		json_get_bool(json, "restart", &restart);
		if (restart)
			tui_status(t, false, "account %s added to %s; %s", name, path,
				   why[0] ? why : "restart ttyphone to use it");
		else
			tui_status(t, false, "account %s added to %s and registering", name, path);
	} else if (!strcmp(ev, "calls") || !strcmp(ev, "status")) {
		struct app_call_view cv;
		unsigned n = 0;
		for (unsigned i = 0; app_call_view(t->app, i, &cv); i++)
			n += cv.state != CALL_ENDED;
		tui_status(t, false, "%u call%s, %u account%s, SIP on %s", n, n == 1 ? "" : "s",
			   app_account_count(t->app), app_account_count(t->app) == 1 ? "" : "s",
			   app_local_contact(t->app));
	}
}
