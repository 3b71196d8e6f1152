/* datacmd.c: `history`, `messages` and `account add` (see datacmd.h). Replies are one JSON
 * object each: {"event":"history","calls":[...]}, {"event":"messages","peer":..,
 * "messages":[...]}, {"event":"account","action":"added",...}, or {"event":"error",...}. */
#include "datacmd.h"
#include "cfgwrite.h"
#include "commands.h"
#include "config.h"
#include "contacts.h"
#include "history.h"
#include "json.h"
#include "strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_MAX (CONTACT_URI * 2)

void datacmd_init(struct datacmd *d, struct history *hist, const char *nohist,
		  const char *config_path, const struct config *cfg)
{
	memset(d, 0, sizeof(*d));
	d->hist = hist;
	str_copy(d->nohist, sizeof(d->nohist), nohist ? nohist : "");
	str_copy(d->config_path, sizeof(d->config_path), config_path ? config_path : "");
	d->cfg = cfg;
}

void datacmd_set_app(struct datacmd *d, struct app *app)
{
	d->app = app;
}

static void reply_error(app_reply_fn *reply, void *rarg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_error(app_reply_fn *reply, void *rarg, const char *fmt, ...)
{
	char text[1400], buf[4096];
	struct jw w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "error");
	jw_str(&w, "message", text);
	if (jw_end(&w) && reply)
		reply(rarg, buf);
}

static bool has_scheme(const char *s)
{
	return !strncasecmp(s, "sip:", 4) || !strncasecmp(s, "sips:", 5) ||
	       !strncasecmp(s, "tel:", 4);
}

/* The addresses `messages ARG` means: a URI, a contact's URIs, or ARG at the default
 * account's domain. */
static int peer_keys(const struct datacmd *d, const char *arg, char keys[][KEY_MAX],
		     unsigned *nkeys, char *why, size_t whylen)
{
	char uri[KEY_MAX];
	struct contact ct;
	const struct account_cfg *acc;

	*nkeys = 0;
	if (strchr(arg, '@') || has_scheme(arg)) {
		snprintf(uri, sizeof(uri), "%s%s", has_scheme(arg) ? "" : "sip:", arg);
		contact_uri_key(uri, keys[(*nkeys)++], KEY_MAX);
		return 0;
	}
	if (contacts_lookup_default(arg, &ct)) {
		for (unsigned i = 0; i < ct.nuri && *nkeys < CONTACT_MAX_URIS; i++)
			contact_uri_key(ct.uri[i], keys[(*nkeys)++], KEY_MAX);
		return 0;
	}
	acc = d->cfg ? config_default_account(d->cfg) : NULL;
	if (acc && strchr(acc->uri, '@')) {
		snprintf(uri, sizeof(uri), "sip:%s%s", arg, strchr(acc->uri, '@'));
		contact_uri_key(uri, keys[(*nkeys)++], KEY_MAX);
		return 0;
	}
	snprintf(why, whylen, "messages: no contact called \"%s\"; give an address (sip:user@host)",
		 arg);
	return -1;
}

static int parse_count(const struct command_line *cl, unsigned i, unsigned long dflt,
		       unsigned long max, unsigned long *n, app_reply_fn *reply, void *rarg)
{
	*n = dflt;
	if (cl->argc > i && str_parse_uint(cl->argv[i], 1, max, n) < 0) {
		reply_error(reply, rarg, "%s: n must be a number from 1 to %lu", cl->def->name, max);
		return -1;
	}
	return 0;
}

static void cmd_history(struct datacmd *d, const struct command_line *cl, app_reply_fn *reply,
			void *rarg)
{
	unsigned long n;
	char why[1400], *json;

	if (parse_count(cl, 0, 20, HISTORY_MAX_CALLS, &n, reply, rarg) < 0)
		return;
	if (!(json = history_calls_json(d->hist, (unsigned)n, why, sizeof(why)))) {
		reply_error(reply, rarg, "history: %s", why);
		return;
	}
	if (reply)
		reply(rarg, json);
	free(json);
}

static void cmd_messages(struct datacmd *d, const struct command_line *cl, app_reply_fn *reply,
			 void *rarg)
{
	char keys[CONTACT_MAX_URIS][KEY_MAX], why[1400], *json;
	const char *kp[CONTACT_MAX_URIS];
	unsigned long n;
	unsigned nkeys;

	if (parse_count(cl, 1, 50, HISTORY_MAX_MESSAGES, &n, reply, rarg) < 0)
		return;
	if (peer_keys(d, cl->argv[0], keys, &nkeys, why, sizeof(why)) < 0) {
		reply_error(reply, rarg, "%s", why);
		return;
	}
	for (unsigned i = 0; i < nkeys; i++)
		kp[i] = keys[i];
	json = history_messages_json(d->hist, cl->argv[0], kp, nkeys, (unsigned)n, why,
				     sizeof(why));
	if (!json) {
		reply_error(reply, rarg, "messages: %s", why);
		return;
	}
	if (reply)
		reply(rarg, json);
	free(json);
}

static void cmd_account(struct datacmd *d, const struct command_line *cl, app_reply_fn *reply,
			void *rarg)
{
	char name[128], uri[CFG_STR + 1], password[256], why[1400], buf[2048], swhy[300];
	const char *cur = cl->argc > 1 ? cl->argv[1] : "";
	bool toolong = false, started;
	struct account_cfg added;
	struct jw w;

	if (strcmp(cl->argv[0], "add")) {
		reply_error(reply, rarg, "account: usage: account add <name> <uri> [password]");
		return;
	}
	if (!str_next_word(&cur, name, sizeof(name), &toolong) ||
	    !str_next_word(&cur, uri, sizeof(uri), &toolong)) {
		reply_error(reply, rarg, toolong ? "account add: name or uri too long" :
			    "account add: usage: account add <name> <uri> [password]");
		return;
	}
	/* The password is the rest of the line: it may hold inner spaces. */
	while (*cur == ' ' || *cur == '\t')
		cur++;
	if (str_copy(password, sizeof(password), cur) < 0) {
		reply_error(reply, rarg, "account add: password too long");
		return;
	}
	if (!d->config_path[0]) {
		reply_error(reply, rarg, "account add: no config file to write to");
		return;
	}
	if (config_add_account_as(d->config_path, name, uri, password, &added, why,
				  sizeof(why)) < 0) {
		reply_error(reply, rarg, "account add: %s", why);
		return;
	}
	/* Running at once, as the next start would read it; if it cannot (eight accounts
	 * already), the file has it and a restart starts it: "restart" says which. */
	started = d->app && app_account_start(d->app, &added, swhy, sizeof(swhy)) == 0;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "account");
	jw_str(&w, "action", "added");
	jw_str(&w, "name", name);
	jw_str(&w, "uri", uri);
	jw_bool(&w, "password", password[0] != '\0');
	jw_str(&w, "path", d->config_path);
	jw_bool(&w, "restart", !started);
	if (!started && d->app)
		jw_str(&w, "why", swhy);
	if (jw_end(&w) && reply)
		reply(rarg, buf);
}

void datacmd_exec(void *arg, const struct command_line *cl, app_reply_fn *reply, void *rarg)
{
	struct datacmd *d = arg;

	switch (cl->def->id) {
	case CMD_history:
	case CMD_messages:
		if (!d->hist) {
			reply_error(reply, rarg, "%s: no history this time: %s", cl->def->name,
				    d->nohist[0] ? d->nohist : "not opened");
			return;
		}
		if (cl->def->id == CMD_history)
			cmd_history(d, cl, reply, rarg);
		else
			cmd_messages(d, cl, reply, rarg);
		return;
	case CMD_account:
		cmd_account(d, cl, reply, rarg);
		return;
	default:
		reply_error(reply, rarg, "%s: not handled here", cl->def->name);
		return;
	}
}
