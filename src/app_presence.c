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
#include "presence/pidf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PRES_EXPIRES 600           /* seconds; nua refreshes before that */

struct app_watch {
	char contact[CONTACT_NAME];
	char uri[CONTACT_URI];
	unsigned acc;                  /* index into a->accs */
	bool wanted;                   /* false: unsubscribed by command, kept for its slot */
	struct sipua_sub *sub;         /* NULL: not subscribed (ended, or never) */
	struct pres_info info;
};

struct app_presence {
	struct app_watch *w;
	unsigned n, cap;
	bool started[CFG_MAX_ACCOUNTS];
	struct pres_info mine;         /* what the presence command set */
	bool shown_busy;               /* we published busy for a call */
};

static struct app_presence *pres_of(struct app *a)
{
	if (!a->pres && (a->pres = calloc(1, sizeof(*a->pres))) != NULL)
		a->pres->mine.state = PRES_ONLINE;
	return a->pres;
}

void app_presence_free(struct app *a)
{
	if (!a->pres)
		return;
	free(a->pres->w);
	free(a->pres);
	a->pres = NULL;
}

static void emit_watch(struct app *a, const struct app_watch *w, const char *reason)
{
	char buf[1024];
	struct jw jw;

	jw_begin(&jw, buf, sizeof(buf));
	jw_str(&jw, "event", "presence");
	jw_str(&jw, "contact", w->contact);
	jw_str(&jw, "uri", w->uri);
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
	void *owner = (void *)(uintptr_t)(w - a->pres->w + 1);

	if (sipua_subscribe(a->ua, a->accs[w->acc], w->uri, "presence", "application/pidf+xml",
			    PRES_EXPIRES, owner, &w->sub) != 0) {
		w->sub = NULL;
		app_emit_log(a, "presence: cannot subscribe to %s", w->uri);
	}
}

static bool contact_is_for(const struct app *a, const struct contact *ct, unsigned i)
{
	if (ct->account[0])
		return !strcmp(ct->account, a->cfg->accounts[i].name);
	return a->cfg->accounts[i].is_default || a->cfg->naccounts == 1;
}

static struct app_watch *find_watch(struct app_presence *p, const char *contact,
				    const char *uri)
{
	for (unsigned k = 0; k < p->n; k++)
		if (p->w[k].wanted && ((contact[0] && !strcmp(p->w[k].contact, contact)) ||
				       (!contact[0] && !strcmp(p->w[k].uri, uri))))
			return &p->w[k];
	return NULL;
}

/* A watch for contact (or a bare URI: contact ""), on account acc. An unwanted one is
 * never taken again (the end of its old subscription may still come, with its index).
 * NULL when out of memory. */
static struct app_watch *watch_add(struct app_presence *p, const char *contact,
				   const char *uri, unsigned acc)
{
	struct app_watch *w = find_watch(p, contact, uri);

	if (!w) {
		if (p->n == p->cap) {
			unsigned cap = p->cap ? p->cap * 2 : 16;
			struct app_watch *nw = realloc(p->w, cap * sizeof(*nw));

			if (!nw)
				return NULL;
			p->w = nw;
			p->cap = cap;
		}
		w = &p->w[p->n++];
		memset(w, 0, sizeof(*w));
		str_copy(w->contact, sizeof(w->contact), contact);
	}
	str_copy(w->uri, sizeof(w->uri), uri);
	w->acc = acc;
	w->wanted = true;
	return w;
}

/* The account registered: subscribe to its contacts (once; nua refreshes them) and
 * publish our state. */
void app_presence_on_registered(struct app *a, unsigned i)
{
	struct app_presence *p;
	struct contacts book;
	char path[1024];

	if (i >= a->cfg->naccounts || !a->cfg->accounts[i].presence || !(p = pres_of(a)))
		return;
	publish(a, i);
	if (p->started[i]) {
		/* back after an outage: those the server ended are asked again */
		for (unsigned k = 0; k < p->n; k++)
			if (p->w[k].acc == i && p->w[k].wanted && !p->w[k].sub)
				subscribe(a, &p->w[k]);
		return;
	}
	p->started[i] = true;
	contacts_init(&book);
	contacts_default_path(path, sizeof(path));
	contacts_load(&book, path, NULL, NULL);   /* problems were said where it is edited */
	for (unsigned c = 0; c < book.n; c++) {
		const struct contact *ct = &book.v[c];

		if (ct->nuri && contact_is_for(a, ct, i) && !watch_add(p, ct->name, ct->uri[0], i))
			break;
	}
	contacts_free(&book);
	for (unsigned k = 0; k < p->n; k++)
		if (p->w[k].acc == i && p->w[k].wanted && !p->w[k].sub)
			subscribe(a, &p->w[k]);
}

/* The owner a subscription carries is its watch's index + 1 (a pointer would not survive
 * the array growing). */
static struct app_watch *watch_of(struct app *a, void *owner)
{
	uintptr_t k = (uintptr_t)owner;

	return a->pres && k >= 1 && k <= a->pres->n ? &a->pres->w[k - 1] : NULL;
}

void app_presence_notify(struct app *a, void *owner, const char *event, const char *ctype,
			 const char *body, size_t len)
{
	struct app_watch *w = watch_of(a, owner);
	struct pres_info info;
	char why[300];

	(void)ctype;
	if (!w || !w->wanted || strcmp(event, "presence"))
		return;
	if (pidf_parse(body, len, &info, why, sizeof(why)) != 0) {
		app_emit_log(a, "presence of %s: %s: ignored", w->contact, why);
		return;
	}
	if (info.state == w->info.state && !strcmp(info.note, w->info.note))
		return;
	w->info = info;
	emit_watch(a, w, NULL);
}

void app_presence_sub_state(struct app *a, void *owner, const char *event, int code,
			    const char *reason, bool active, bool ended)
{
	struct app_watch *w = watch_of(a, owner);

	(void)event;
	(void)active;
	if (!w || !ended)
		return;
	w->sub = NULL;
	if (!w->wanted)
		return;                 /* our own unsubscribe: said by the command */
	if (code >= 300)
		app_emit_log(a, "presence of %s: SUBSCRIBE refused: %d %s", w->contact, code,
			     reason);
	w->info.state = PRES_UNKNOWN;
	w->info.note[0] = '\0';
	emit_watch(a, w, reason);
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
		if (p->started[i] && a->cfg->accounts[i].presence_in_call &&
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

	if (!p || !(w = watch_add(p, contact, uri, acc)))
		return str_fail(why, whylen, "out of memory");
	if (!w->sub && a->reg[acc] == REG_REGISTERED)
		subscribe(a, w);
	return 0;
}

bool app_presence_unwatch(struct app *a, const char *contact, const char *uri)
{
	struct app_watch *w = a->pres ? find_watch(a->pres, contact, uri) : NULL;

	if (!w)
		return false;
	w->wanted = false;
	if (w->sub)
		sipua_unsubscribe(w->sub);   /* its end comes to app_presence_sub_state */
	w->sub = NULL;
	w->info.state = PRES_UNKNOWN;
	w->info.note[0] = '\0';
	emit_watch(a, w, "unsubscribed");
	return true;
}

bool app_presence_view(const struct app *a, const char *contact, const char **state,
		       const char **note)
{
	for (unsigned k = 0; a->pres && k < a->pres->n; k++) {
		const struct app_watch *w = &a->pres->w[k];

		if (w->wanted && !strcmp(w->contact, contact)) {
			*state = pres_state_name(w->info.state);
			*note = w->info.note;
			return true;
		}
	}
	return false;
}
