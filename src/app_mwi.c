/* app_mwi.c: message waiting (RFC 3842): an account with mwi = yes, once registered,
 * subscribes to message-summary for its own address (where voicemail servers and
 * Kamailio's presence_mwi send it); each summary is an mwi event and the counts the
 * status line shows. voicemail = URI is the mailbox the V key (and "call voicemail")
 * calls. Part of the application state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "strutil.h"
#include "presence/mwi.h"

#include <stdint.h>
#include <string.h>

#define MWI_EXPIRES 3600

void app_mwi_on_registered(struct app *a, unsigned i)
{
	const struct account_cfg *ac = &a->cfg->accounts[i];

	if (i >= a->cfg->naccounts || !ac->mwi || a->mwi_sub[i])
		return;
	a->mwi_retry[i] = false;
	if (sipua_subscribe(a->ua, a->accs[i], ac->uri, "message-summary",
			    "application/simple-message-summary", MWI_EXPIRES,
			    (void *)(uintptr_t)(i + 1), &a->mwi_sub[i]) != 0) {
		a->mwi_sub[i] = NULL;
		app_emit_log(a, "voicemail: cannot subscribe for %s", ac->name);
	}
}

static unsigned acc_of(const struct app *a, void *owner)
{
	uintptr_t i = (uintptr_t)owner;

	return i >= 1 && i <= a->cfg->naccounts ? (unsigned)(i - 1) : CFG_MAX_ACCOUNTS;
}

void app_mwi_notify(struct app *a, void *owner, const char *body, size_t len)
{
	unsigned i = acc_of(a, owner);
	struct mwi_info m;
	char why[200], buf[600];
	struct jw w;

	if (i == CFG_MAX_ACCOUNTS)
		return;
	if (len == 0) {
		/* a server with nothing to say yet (Kamailio's first NOTIFY before anyone
		 * published a summary): said once, so a user (and a test) knows the
		 * subscription stands and any later NOTIFY is news */
		app_emit_log(a, "voicemail of %s: subscribed, no summary yet",
			     a->cfg->accounts[i].name);
		return;
	}
	if (mwi_parse(body, len, &m, why, sizeof(why)) != 0) {
		app_emit_log(a, "voicemail of %s: %s: ignored", a->cfg->accounts[i].name, why);
		return;
	}
	a->mwi_new[i] = m.new_msgs;
	a->mwi_old[i] = m.old_msgs;
	a->mwi_waiting[i] = m.waiting;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "mwi");
	jw_str(&w, "account", a->cfg->accounts[i].name);
	jw_bool(&w, "waiting", m.waiting);
	jw_int(&w, "new", m.new_msgs);
	jw_int(&w, "old", m.old_msgs);
	jw_int(&w, "urgent_new", m.urgent_new);
	jw_int(&w, "urgent_old", m.urgent_old);
	app_emit_w(a, &w);
}

void app_mwi_sub_state(struct app *a, void *owner, int code, const char *reason, bool ended,
		       unsigned retry_s)
{
	unsigned i = acc_of(a, owner);

	if (i != CFG_MAX_ACCOUNTS && !ended && code == 0)
		app_emit_log(a, "voicemail of %s: %s", a->cfg->accounts[i].name, reason);
	if (i == CFG_MAX_ACCOUNTS || !ended)
		return;
	a->mwi_sub[i] = NULL;        /* asked again when the account registers again */
	if (code >= 300)
		app_emit_log(a, "voicemail of %s: SUBSCRIBE refused: %d %s",
			     a->cfg->accounts[i].name, code, reason);
	else if (code == 0)
		app_emit_log(a, "voicemail of %s: %s", a->cfg->accounts[i].name, reason);
	if (retry_s) {
		a->mwi_retry[i] = true;
		app_resubscribe_later(a, retry_s);
	}
}

void app_mwi_resubscribe(struct app *a)
{
	for (unsigned i = 0; i < a->cfg->naccounts; i++) {
		if (!a->mwi_retry[i] || a->reg[i] != REG_REGISTERED)
			continue;        /* an account down subscribes when it registers */
		a->mwi_retry[i] = false;
		app_mwi_on_registered(a, i);
	}
}

unsigned app_mwi_new(const struct app *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->cfg->naccounts; i++)
		n += a->mwi_new[i];
	return n;
}

const char *app_voicemail_uri(const struct app *a)
{
	const char *any = NULL;

	for (unsigned i = 0; i < a->cfg->naccounts; i++) {
		const struct account_cfg *ac = &a->cfg->accounts[i];

		if (!ac->voicemail[0])
			continue;
		if (ac->is_default)
			return ac->voicemail;
		if (!any)
			any = ac->voicemail;
	}
	return any;
}
