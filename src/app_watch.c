/* app_watch.c: the watch list of presence and busy lamps (app_watch.h). */
#include "ttyconf.h"
#include "app_watch.h"
#include "app_priv.h"
#include "strutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool app_contact_is_for(const struct app *a, const struct contact *ct, unsigned acc)
{
	if (ct->account[0])
		return !strcmp(ct->account, a->cfg->accounts[acc].name);
	return a->cfg->accounts[acc].is_default || a->cfg->naccounts == 1;
}

void watch_list_init(struct watch_list *l, size_t entry_size)
{
	memset(l, 0, sizeof(*l));
	l->size = entry_size;
}

void watch_list_free(struct watch_list *l)
{
	free(l->v);
	watch_list_init(l, l->size);
}

struct watch *watch_at(const struct watch_list *l, unsigned k)
{
	return (struct watch *)(l->v + (size_t)k * l->size);
}

struct watch *watch_find(const struct watch_list *l, const char *contact, const char *uri)
{
	for (unsigned k = 0; k < l->n; k++) {
		struct watch *w = watch_at(l, k);

		if (w->wanted && (contact[0] ? !strcmp(w->contact, contact) : !strcmp(w->uri, uri)))
			return w;
	}
	return NULL;
}

struct watch *watch_add(struct watch_list *l, const char *contact, const char *uri,
			unsigned acc, bool *fresh)
{
	struct watch *w = watch_find(l, contact, uri);

	*fresh = !w;
	if (!w) {
		if (l->n == l->cap) {
			unsigned cap = l->cap ? l->cap * 2 : 16;
			unsigned char *nv = realloc(l->v, (size_t)cap * l->size);

			if (!nv)
				return NULL;
			l->v = nv;
			l->cap = cap;
		}
		w = watch_at(l, l->n++);
		memset(w, 0, l->size);
		str_copy(w->contact, sizeof(w->contact), contact);
	}
	str_copy(w->uri, sizeof(w->uri), uri);
	w->acc = acc;
	w->wanted = true;
	return w;
}

void *watch_owner(const struct watch_list *l, const struct watch *w)
{
	return (void *)(uintptr_t)((size_t)((const unsigned char *)w - l->v) / l->size + 1);
}

struct watch *watch_of_owner(const struct watch_list *l, void *owner)
{
	uintptr_t k = (uintptr_t)owner;

	return k >= 1 && k <= l->n ? watch_at(l, (unsigned)(k - 1)) : NULL;
}

void watch_list_retry(struct app *a, struct watch_list *l,
		      void (*subscribe)(struct app *a, struct watch *w))
{
	for (unsigned k = 0; k < l->n; k++) {
		struct watch *w = watch_at(l, k);

		if (w->retry && w->wanted && !w->sub && a->reg[w->acc] == REG_REGISTERED) {
			w->retry = false;
			subscribe(a, w);
		}
	}
}
