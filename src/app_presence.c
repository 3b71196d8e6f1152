/* app_presence.c: presence in the contact list (RFC 3856 SUBSCRIBE/NOTIFY with PIDF, RFC
 * 3903 PUBLISH). An account with presence = yes, once registered, subscribes to the
 * presence of each of its contacts (contacts.ini: those naming it, and those naming no
 * account when it is the default) and PUBLISHes ours; every change a NOTIFY brings is one
 * presence event. Our state is the presence command's, shown as busy while a call is up
 * (presence_in_call). Part of the application state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "contacts.h"
#include "strutil.h"
#include "app_watch.h"
#include "presence/pidf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PRES_EXPIRES 600           /* seconds; nua refreshes before that */

struct app_watch {
	struct watch h;                /* first: the list's (app_watch.h) */
	struct pres_info info;
};

struct app_presence {
	struct watch_list list;        /* of struct app_watch */
	struct pres_info mine;         /* what the presence command set */
	bool shown_busy;               /* we published busy for a call */
};

static struct app_presence *pres_of(struct app *a)
{
	if (!a->pres && (a->pres = calloc(1, sizeof(*a->pres))) != NULL) {
		watch_list_init(&a->pres->list, sizeof(struct app_watch));
		a->pres->mine.state = PRES_ONLINE;
	}
	return a->pres;
}

void app_presence_free(struct app *a)
{
	if (!a->pres)
		return;
	watch_list_free(&a->pres->list);
	free(a->pres);
	a->pres = NULL;
}

static void emit_watch(struct app *a, const struct app_watch *w, const char *reason)
{
	char buf[1024];
	struct jw jw;

	jw_begin(&jw, buf, sizeof(buf));
	jw_str(&jw, "event", "presence");
	jw_str(&jw, "contact", w->h.contact);
	jw_str(&jw, "uri", w->h.uri);
	jw_str(&jw, "state", pres_state_name(w->info.state));
	jw_str(&jw, "note", w->info.note);
	if (reason)
		jw_str(&jw, "reason", reason);
	app_emit_w(a, &jw);
}

/* A call established or held: what presence_in_call shows as busy. */
static bool any_call_up(const struct app *a)
{
	for (unsigned k = 0; k < APP_MAX_CALLS; k++)
		if (a->calls[k].used && (a->calls[k].state == CALL_ESTABLISHED ||
					 a->calls[k].state == CALL_HELD))
			return true;
	return false;
}

/* What we publish now: busy while a call is up (when configured), else our own state. */
static void publish(struct app *a, unsigned i)
{
	struct app_presence *p = a->pres;
	const struct account_cfg *ac = &a->cfg->accounts[i];
	struct pres_info now = p->mine;
	bool in_call = any_call_up(a);
	char doc[2048];
	if (in_call && ac->presence_in_call && now.state != PRES_OFFLINE) {
		now.state = PRES_BUSY;
		if (!now.note[0])
			snprintf(now.note, sizeof(now.note), "on the phone");
	}
	if (pidf_write(ac->uri, &now, in_call, doc, sizeof(doc)) < 0 ||
	    sipua_publish(a->ua, a->accs[i], doc, PRES_EXPIRES) != 0)
		app_emit_log(a, "presence: cannot publish for %s", ac->name);
}

static void subscribe(struct app *a, struct app_watch *w)
{
	if (sipua_subscribe(a->ua, a->accs[w->h.acc], w->h.uri, "presence",
			    "application/pidf+xml", PRES_EXPIRES, watch_owner(&a->pres->list, &w->h),
			    &w->h.sub) != 0) {
		w->h.sub = NULL;
		app_emit_log(a, "presence: cannot subscribe to %s", w->h.uri);
	}
}

/* The account registered: publish our state; at its first registration book has the
 * contacts, those of this account are watched; every one not subscribed (new, or ended
 * by the server during an outage) is asked now (nua refreshes them afterwards). */
void app_presence_on_registered(struct app *a, unsigned i, const struct contacts *book)
{
	struct app_presence *p;
	bool fresh;

	if (i >= a->cfg->naccounts || !a->cfg->accounts[i].presence || !(p = pres_of(a)))
		return;
	publish(a, i);
	for (unsigned c = 0; book && c < book->n; c++) {
		const struct contact *ct = &book->v[c];

		if (ct->nuri && app_contact_is_for(a, ct, i) &&
		    !watch_add(&p->list, ct->name, ct->uri[0], i, &fresh))
			break;
	}
	for (unsigned k = 0; k < p->list.n; k++) {
		struct app_watch *w = (struct app_watch *)watch_at(&p->list, k);

		if (w->h.acc == i && w->h.wanted && !w->h.sub) {
			w->h.retry = false;
			subscribe(a, w);
		}
	}
}

static struct app_watch *watch_of(struct app *a, void *owner)
{
	return a->pres ? (struct app_watch *)watch_of_owner(&a->pres->list, owner) : NULL;
}

void app_presence_notify(struct app *a, void *owner, const char *event, const char *ctype,
			 const char *body, size_t len)
{
	struct app_watch *w = watch_of(a, owner);
	struct pres_info info;
	char why[300];

	(void)ctype;
	if (!w || !w->h.wanted || strcmp(event, "presence"))
		return;
	if (pidf_parse(body, len, &info, why, sizeof(why)) != 0) {
		app_emit_log(a, "presence of %s: %s: ignored", w->h.contact, why);
		return;
	}
	if (info.state == w->info.state && !strcmp(info.note, w->info.note))
		return;
	w->info = info;
	emit_watch(a, w, NULL);
}

void app_presence_sub_state(struct app *a, void *owner, const char *event, int code,
			    const char *reason, bool active, bool ended, unsigned retry_s)
{
	struct app_watch *w = watch_of(a, owner);

	(void)event;
	if (w && !ended && !active && code == 0 && w->h.wanted) {
		/* the server ended it and nua asks again: unknown until its next NOTIFY */
		w->info.state = PRES_UNKNOWN;
		w->info.note[0] = '\0';
		emit_watch(a, w, reason);
		return;
	}
	if (!w || !ended)
		return;
	w->h.sub = NULL;
	if (!w->h.wanted)
		return;                 /* our own unsubscribe: said by the command */
	if (code >= 300)
		app_emit_log(a, "presence of %s: SUBSCRIBE refused: %d %s", w->h.contact, code,
			     reason);
	w->info.state = PRES_UNKNOWN;
	w->info.note[0] = '\0';
	emit_watch(a, w, reason);
	if (retry_s) {
		w->h.retry = true;
		app_resubscribe_later(a, retry_s);
	}
}

static void subscribe_head(struct app *a, struct watch *h)
{
	subscribe(a, (struct app_watch *)h);      /* the head comes first in the entry */
}

void app_presence_resubscribe(struct app *a)
{
	if (a->pres)
		watch_list_retry(a, &a->pres->list, subscribe_head);
}

/* A call began or ended: what we publish may change. */
void app_presence_calls_changed(struct app *a)
{
	struct app_presence *p = a->pres;
	bool in_call;

	if (!p || a->quit)
		return;
	in_call = any_call_up(a);
	if (in_call == p->shown_busy)
		return;
	p->shown_busy = in_call;
	for (unsigned i = 0; i < a->cfg->naccounts; i++)
		if (a->cfg->accounts[i].presence && a->cfg->accounts[i].presence_in_call &&
		    a->reg[i] == REG_REGISTERED)
			publish(a, i);
}

/* presence <state> [note] */
void app_presence_command(struct app *a, const char *state, const char *note,
			  app_reply_fn *reply, void *rarg)
{
	struct app_presence *p = pres_of(a);
	int s = pres_state_parse(state);
	unsigned sent = 0;
	char buf[600];
	struct jw w;

	if (!p) {
		app_reply_error(reply, rarg, "out of memory");
		return;
	}
	if (s < 0 || s == PRES_UNKNOWN) {
		app_reply_error(reply, rarg, "presence: unknown state (known: online, away, busy, "
				"offline)");
		return;
	}
	p->mine.state = (enum pres_state)s;
	str_copy(p->mine.note, sizeof(p->mine.note), note ? note : "");
	for (unsigned i = 0; i < a->cfg->naccounts; i++)
		if (a->cfg->accounts[i].presence && a->reg[i] == REG_REGISTERED) {
			publish(a, i);
			sent++;
		}
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "presence");
	jw_str(&w, "contact", "");          /* ourselves */
	jw_str(&w, "state", pres_state_name(p->mine.state));
	jw_str(&w, "note", p->mine.note);
	jw_int(&w, "published", sent);
	app_emit_w(a, &w);
}

int app_presence_watch(struct app *a, const char *contact, const char *uri, unsigned acc,
		       char *why, size_t whylen)
{
	struct app_presence *p = pres_of(a);
	struct app_watch *w;
	bool fresh;

	if (!p || !(w = (struct app_watch *)watch_add(&p->list, contact, uri, acc, &fresh)))
		return str_fail(why, whylen, "out of memory");
	if (!w->h.sub && a->reg[acc] == REG_REGISTERED)
		subscribe(a, w);
	return 0;
}

bool app_presence_unwatch(struct app *a, const char *contact, const char *uri)
{
	struct app_watch *w = a->pres ? (struct app_watch *)watch_find(&a->pres->list, contact,
									 uri) : NULL;

	if (!w)
		return false;
	w->h.wanted = false;
	if (w->h.sub)
		sipua_unsubscribe(w->h.sub);   /* its end comes to app_presence_sub_state */
	w->h.sub = NULL;
	w->info.state = PRES_UNKNOWN;
	w->info.note[0] = '\0';
	emit_watch(a, w, "unsubscribed");
	return true;
}

bool app_presence_view(const struct app *a, const char *contact, const char **state,
		       const char **note)
{
	const struct app_watch *w = a->pres && contact[0] ?
		(const struct app_watch *)watch_find(&a->pres->list, contact, "") : NULL;

	if (!w)
		return false;
	*state = pres_state_name(w->info.state);
	*note = w->info.note;
	return true;
}
