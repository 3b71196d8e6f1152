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
#include "presence/dialog_info.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLF_EXPIRES 600            /* seconds; nua refreshes before that */

struct app_lamp {
	char contact[CONTACT_NAME];
	char uri[CONTACT_URI];
	unsigned acc;                  /* index into a->accs */
	bool wanted;                   /* false: unsubscribed by command, kept for its slot */
	struct sipua_sub *sub;         /* NULL: not subscribed (ended, or never) */
	struct dlg_set dlgs;
	enum blf_state lamp;
};

struct app_blf {
	struct app_lamp *l;
	unsigned n, cap;
	bool started[CFG_MAX_ACCOUNTS];
};

static struct app_blf *blf_of(struct app *a)
{
	if (!a->blf)
		a->blf = calloc(1, sizeof(*a->blf));
	return a->blf;
}

void app_blf_free(struct app *a)
{
	if (!a->blf)
		return;
	free(a->blf->l);
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
	jw_str(&jw, "contact", l->contact);
	jw_str(&jw, "uri", l->uri);
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

/* The owner a subscription carries is its lamp's index + 1 (a pointer would not survive
 * the array growing). */
static struct app_lamp *lamp_of(struct app *a, void *owner)
{
	uintptr_t k = (uintptr_t)owner;

	return a->blf && k >= 1 && k <= a->blf->n ? &a->blf->l[k - 1] : NULL;
}

static void subscribe(struct app *a, struct app_lamp *l)
{
	void *owner = (void *)(uintptr_t)(l - a->blf->l + 1);

	if (sipua_subscribe(a->ua, a->accs[l->acc], l->uri, "dialog",
			    "application/dialog-info+xml", BLF_EXPIRES, owner, &l->sub) != 0) {
		l->sub = NULL;
		app_emit_log(a, "busy lamp: cannot subscribe to %s", l->uri);
	}
}

/* The wanted lamp of contact (or of uri, contact ""). An unwanted one is never taken
 * again: the end of its old subscription may still come, with its index. */
static struct app_lamp *find(struct app_blf *b, const char *contact, const char *uri)
{
	for (unsigned k = 0; k < b->n; k++)
		if (b->l[k].wanted && ((contact[0] && !strcmp(b->l[k].contact, contact)) ||
				       (!contact[0] && !strcmp(b->l[k].uri, uri))))
			return &b->l[k];
	return NULL;
}

/* A lamp for contact (or a bare URI: contact ""), on account acc. NULL when out of
 * memory. */
static struct app_lamp *add(struct app_blf *b, const char *contact, const char *uri,
			    unsigned acc)
{
	struct app_lamp *l = find(b, contact, uri);

	if (!l) {
		if (b->n == b->cap) {
			unsigned cap = b->cap ? b->cap * 2 : 16;
			struct app_lamp *nl = realloc(b->l, cap * sizeof(*nl));

			if (!nl)
				return NULL;
			b->l = nl;
			b->cap = cap;
		}
		l = &b->l[b->n++];
		memset(l, 0, sizeof(*l));
		str_copy(l->contact, sizeof(l->contact), contact);
		dlg_set_init(&l->dlgs);
	}
	str_copy(l->uri, sizeof(l->uri), uri);
	l->acc = acc;
	l->wanted = true;
	return l;
}

static bool contact_is_for(const struct app *a, const struct contact *ct, unsigned i)
{
	if (ct->account[0])
		return !strcmp(ct->account, a->cfg->accounts[i].name);
	return a->cfg->accounts[i].is_default || a->cfg->naccounts == 1;
}

/* The account registered: subscribe to the lamps of its blf = yes contacts (read once;
 * nua refreshes them), and again to those the server ended while it was away. */
void app_blf_on_registered(struct app *a, unsigned i)
{
	struct app_blf *b;
	struct contacts book;
	char path[1024];

	if (i >= a->cfg->naccounts || !(b = blf_of(a)))
		return;
	if (!b->started[i]) {
		b->started[i] = true;
		contacts_init(&book);
		contacts_default_path(path, sizeof(path));
		contacts_load(&book, path, NULL, NULL);   /* problems were said where it is edited */
		for (unsigned c = 0; c < book.n; c++) {
			const struct contact *ct = &book.v[c];

			if (ct->blf && ct->nuri && contact_is_for(a, ct, i) &&
			    !add(b, ct->name, ct->uri[0], i))
				break;
		}
		contacts_free(&book);
	}
	for (unsigned k = 0; k < b->n; k++)
		if (b->l[k].acc == i && b->l[k].wanted && !b->l[k].sub)
			subscribe(a, &b->l[k]);
}

void app_blf_notify(struct app *a, void *owner, const char *body, size_t len)
{
	struct app_lamp *l = lamp_of(a, owner);
	char why[300];
	enum blf_state now;

	if (!l || !l->wanted)
		return;
	if (len == 0) {
		/* the server knows of no dialog (Kamailio's first NOTIFY before anything was
		 * published for the user): no call there, the lamp is idle */
		dlg_set_init(&l->dlgs);
	} else if (dlg_set_apply(&l->dlgs, body, len, why, sizeof(why)) != 0) {
		app_emit_log(a, "busy lamp of %s: %s: ignored", l->contact[0] ? l->contact : l->uri,
			     why);
		return;
	}
	now = dlg_set_lamp(&l->dlgs);
	if (now == l->lamp)
		return;
	l->lamp = now;
	emit_lamp(a, l, NULL);
}

void app_blf_sub_state(struct app *a, void *owner, int code, const char *reason, bool ended)
{
	struct app_lamp *l = lamp_of(a, owner);

	if (!l || !ended)
		return;
	l->sub = NULL;
	if (!l->wanted)
		return;                 /* our own unsubscribe: said by the command */
	if (code >= 300)
		app_emit_log(a, "busy lamp of %s: SUBSCRIBE refused: %d %s",
			     l->contact[0] ? l->contact : l->uri, code, reason);
	dlg_set_init(&l->dlgs);
	l->lamp = BLF_UNKNOWN;
	emit_lamp(a, l, reason);
}

int app_blf_watch(struct app *a, const char *contact, const char *uri, unsigned acc,
		  char *why, size_t whylen)
{
	struct app_blf *b = blf_of(a);
	struct app_lamp *l;

	if (!b || !(l = add(b, contact, uri, acc)))
		return str_fail(why, whylen, "out of memory");
	if (!l->sub && a->reg[acc] == REG_REGISTERED)
		subscribe(a, l);
	return 0;
}

bool app_blf_unwatch(struct app *a, const char *contact, const char *uri)
{
	struct app_lamp *l = a->blf ? find(a->blf, contact, uri) : NULL;

	if (!l)
		return false;
	l->wanted = false;
	if (l->sub)
		sipua_unsubscribe(l->sub);   /* its end comes to app_blf_sub_state */
	l->sub = NULL;
	dlg_set_init(&l->dlgs);
	l->lamp = BLF_UNKNOWN;
	emit_lamp(a, l, "unsubscribed");
	return true;
}

bool app_blf_view(const struct app *a, const char *contact, const char **state)
{
	for (unsigned k = 0; a->blf && k < a->blf->n; k++) {
		const struct app_lamp *l = &a->blf->l[k];

		if (l->wanted && !strcmp(l->contact, contact)) {
			*state = blf_state_name(l->lamp);
			return true;
		}
	}
	return false;
}

/* pickup <contact>: the call ringing at the contact's phone, by the account's pickup
 * code followed by the contact's user (RFC 4235 says what rings; how to take it is the
 * server's: Asterisk's and FreeSWITCH's directed pickup is "**" and the extension). */
int app_blf_pickup_target(struct app *a, const char *contact, char *out, size_t size,
			  unsigned *acc, char *why, size_t whylen)
{
	const struct app_lamp *l = a->blf ? find(a->blf, contact, "") : NULL;
	const struct account_cfg *ac;
	const char *user, *end;

	if (!l || !l->wanted)
		return str_fail(why, whylen, "pickup: no busy lamp for \"%s\" (blf = yes in "
				"contacts.ini, or subscribe %s dialog)", contact, contact);
	if (l->lamp != BLF_RINGING)
		return str_fail(why, whylen, "pickup: nothing rings at %s (%s)", contact,
				blf_state_name(l->lamp));
	ac = &a->cfg->accounts[l->acc];
	if (!ac->pickup[0])
		return str_fail(why, whylen, "pickup: account %s has no pickup code (pickup = "
				"** in its section)", ac->name);
	user = strchr(l->uri, ':');
	user = user ? user + 1 : l->uri;
	end = strchr(user, '@');
	if (!end)
		end = user + strlen(user);
	if ((size_t)snprintf(out, size, "%s%.*s", ac->pickup, (int)(end - user), user) >= size)
		return str_fail(why, whylen, "pickup: the target is too long");
	*acc = l->acc;
	return 0;
}
