/* app_blf.c: busy lamps in the contact list (RFC 4235, the dialog event package). A
 * contact with blf = yes is watched with SUBSCRIBE Event: dialog once its account is
 * registered; each NOTIFY's dialog-info is merged (full or partial documents,
 * presence/dialog_info.c) and a change of lamp (idle, ringing, in call) is one dialog
 * event. The subscribe and unsubscribe commands add and drop lamps at run time, and
 * pickup takes a call that rings at a watched phone by the account's pickup code. Part of
 * the application state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "contacts.h"
#include "strutil.h"
#include "app_watch.h"
#include "presence/dialog_info.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLF_EXPIRES 600            /* seconds; nua refreshes before that */

struct app_lamp {
	struct watch h;                /* first: the list's (app_watch.h) */
	struct dlg_set dlgs;
	enum blf_state lamp;
};

struct app_blf {
	struct watch_list list;        /* of struct app_lamp */
};

static struct app_blf *blf_of(struct app *a)
{
	if (!a->blf && (a->blf = calloc(1, sizeof(*a->blf))) != NULL)
		watch_list_init(&a->blf->list, sizeof(struct app_lamp));
	return a->blf;
}

void app_blf_free(struct app *a)
{
	if (!a->blf)
		return;
	watch_list_free(&a->blf->list);
	free(a->blf);
	a->blf = NULL;
}

static void emit_lamp(struct app *a, const struct app_lamp *l, const char *reason)
{
	const struct dlg_entry *r = dlg_set_ringing(&l->dlgs);
	char buf[1024];
	struct jw jw;

	jw_begin(&jw, buf, sizeof(buf));
	jw_str(&jw, "event", "dialog");
	jw_str(&jw, "contact", l->h.contact);
	jw_str(&jw, "uri", l->h.uri);
	jw_str(&jw, "state", blf_state_name(l->lamp));
	jw_int(&jw, "dialogs", l->dlgs.n);
	/* who calls the watched phone, or whom it talks to: the first dialog's peer */
	if (r && r->peer[0])
		jw_str(&jw, "peer", r->peer);
	else if (l->dlgs.n && l->dlgs.d[0].peer[0])
		jw_str(&jw, "peer", l->dlgs.d[0].peer);
	if (reason)
		jw_str(&jw, "reason", reason);
	app_emit_w(a, &jw);
}

static struct app_lamp *lamp_of(struct app *a, void *owner)
{
	return a->blf ? (struct app_lamp *)watch_of_owner(&a->blf->list, owner) : NULL;
}

static struct app_lamp *lamp_find(struct app *a, const char *contact, const char *uri)
{
	return a->blf ? (struct app_lamp *)watch_find(&a->blf->list, contact, uri) : NULL;
}

static const char *lamp_name(const struct app_lamp *l)
{
	return l->h.contact[0] ? l->h.contact : l->h.uri;
}

static void subscribe(struct app *a, struct app_lamp *l)
{
	if (sipua_subscribe(a->ua, a->accs[l->h.acc], l->h.uri, "dialog",
			    "application/dialog-info+xml", BLF_EXPIRES,
			    watch_owner(&a->blf->list, &l->h), &l->h.sub) != 0) {
		l->h.sub = NULL;
		app_emit_log(a, "busy lamp: cannot subscribe to %s", l->h.uri);
	}
}

/* A lamp for contact (or a bare URI: contact ""), on account acc. NULL when out of
 * memory. */
static struct app_lamp *add(struct app_blf *b, const char *contact, const char *uri,
			    unsigned acc)
{
	bool fresh;
	struct app_lamp *l = (struct app_lamp *)watch_add(&b->list, contact, uri, acc, &fresh);

	if (l && fresh)
		dlg_set_init(&l->dlgs);
	return l;
}

/* The account registered: at its first registration book has the contacts, and those of
 * this account with blf = yes get lamps; every lamp not subscribed (new, or ended by the
 * server during an outage) is asked now (nua refreshes them afterwards). */
void app_blf_on_registered(struct app *a, unsigned i, const struct contacts *book)
{
	struct app_blf *b;

	if (i >= a->cfg->naccounts || !(b = blf_of(a)))
		return;
	for (unsigned c = 0; book && c < book->n; c++) {
		const struct contact *ct = &book->v[c];

		if (ct->blf && ct->nuri && app_contact_is_for(a, ct, i) &&
		    !add(b, ct->name, ct->uri[0], i))
			break;
	}
	for (unsigned k = 0; k < b->list.n; k++) {
		struct app_lamp *l = (struct app_lamp *)watch_at(&b->list, k);

		if (l->h.acc == i && l->h.wanted && !l->h.sub) {
			l->h.retry = false;
			subscribe(a, l);
		}
	}
}

void app_blf_notify(struct app *a, void *owner, const char *body, size_t len)
{
	struct app_lamp *l = lamp_of(a, owner);
	char why[300];
	enum blf_state now;

	if (!l || !l->h.wanted)
		return;
	if (len == 0) {
		/* the server knows of no dialog (Kamailio's first NOTIFY before anything was
		 * published for the user): no call there, the lamp is idle */
		dlg_set_init(&l->dlgs);
	} else if (dlg_set_apply(&l->dlgs, body, len, why, sizeof(why)) != 0) {
		app_emit_log(a, "busy lamp of %s: %s: ignored", lamp_name(l), why);
		return;
	}
	now = dlg_set_lamp(&l->dlgs);
	if (now == l->lamp)
		return;
	l->lamp = now;
	emit_lamp(a, l, NULL);
}

void app_blf_sub_state(struct app *a, void *owner, int code, const char *reason, bool ended,
		       unsigned retry_s)
{
	struct app_lamp *l = lamp_of(a, owner);

	if (l && !ended && code == 0 && l->h.wanted) {
		/* the server ended it and nua asks again: unknown until its next NOTIFY */
		dlg_set_init(&l->dlgs);
		l->lamp = BLF_UNKNOWN;
		emit_lamp(a, l, reason);
		return;
	}
	if (!l || !ended)
		return;
	l->h.sub = NULL;
	if (!l->h.wanted)
		return;                 /* our own unsubscribe: said by the command */
	if (code >= 300)
		app_emit_log(a, "busy lamp of %s: SUBSCRIBE refused: %d %s", lamp_name(l), code,
			     reason);
	dlg_set_init(&l->dlgs);
	l->lamp = BLF_UNKNOWN;
	emit_lamp(a, l, reason);
	if (retry_s) {
		l->h.retry = true;
		app_resubscribe_later(a, retry_s);
	}
}

static void subscribe_head(struct app *a, struct watch *h)
{
	subscribe(a, (struct app_lamp *)h);       /* the head comes first in the entry */
}

void app_blf_resubscribe(struct app *a)
{
	if (a->blf)
		watch_list_retry(a, &a->blf->list, subscribe_head);
}

int app_blf_watch(struct app *a, const char *contact, const char *uri, unsigned acc,
		  char *why, size_t whylen)
{
	struct app_blf *b = blf_of(a);
	struct app_lamp *l;

	if (!b || !(l = add(b, contact, uri, acc)))
		return str_fail(why, whylen, "out of memory");
	if (!l->h.sub && a->reg[acc] == REG_REGISTERED)
		subscribe(a, l);
	return 0;
}

bool app_blf_unwatch(struct app *a, const char *contact, const char *uri)
{
	struct app_lamp *l = lamp_find(a, contact, uri);

	if (!l)
		return false;
	l->h.wanted = false;
	if (l->h.sub)
		sipua_unsubscribe(l->h.sub);   /* its end comes to app_blf_sub_state */
	l->h.sub = NULL;
	dlg_set_init(&l->dlgs);
	l->lamp = BLF_UNKNOWN;
	emit_lamp(a, l, "unsubscribed");
	return true;
}

bool app_blf_view(const struct app *a, const char *contact, const char **state)
{
	const struct app_lamp *l = a->blf && contact[0] ?
		(const struct app_lamp *)watch_find(&a->blf->list, contact, "") : NULL;

	if (!l)
		return false;
	*state = blf_state_name(l->lamp);
	return true;
}

/* pickup <contact>: the call ringing at the contact's phone, by the account's pickup
 * code followed by the contact's user (RFC 4235 says what rings; how to take it is the
 * server's: Asterisk's and FreeSWITCH's directed pickup is "**" and the extension). */
int app_blf_pickup_target(struct app *a, const char *contact, char *out, size_t size,
			  unsigned *acc, char *why, size_t whylen)
{
	const struct app_lamp *l = contact[0] ? lamp_find(a, contact, "") : NULL;
	const struct account_cfg *ac;
	const char *user, *end;

	if (!l)
		return str_fail(why, whylen, "pickup: no busy lamp for \"%s\" (blf = yes in "
				"contacts.ini, or subscribe %s dialog)", contact, contact);
	if (l->lamp != BLF_RINGING)
		return str_fail(why, whylen, "pickup: nothing rings at %s (%s)", contact,
				blf_state_name(l->lamp));
	ac = &a->cfg->accounts[l->h.acc];
	if (!ac->pickup[0])
		return str_fail(why, whylen, "pickup: account %s has no pickup code (pickup = "
				"** in its section)", ac->name);
	user = strchr(l->h.uri, ':');
	user = user ? user + 1 : l->h.uri;
	end = strchr(user, '@');
	if (!end)
		end = user + strlen(user);
	if ((size_t)snprintf(out, size, "%s%.*s", ac->pickup, (int)(end - user), user) >= size)
		return str_fail(why, whylen, "pickup: the target is too long");
	*acc = l->h.acc;
	return 0;
}
