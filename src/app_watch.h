/* app_watch.h: the list of watched addresses that presence (app_presence.c) and busy
 * lamps (app_blf.c) each keep: one entry per contact (or bare URI), its account and its
 * subscription; each module's own state follows the head in its entries. A subscription
 * carries its entry's index + 1 as owner (a pointer would not survive the list growing).
 * An entry dropped by unsubscribe stays, unwanted, and is never taken again: the end of
 * its old subscription may still come with its index. Part of the application (app.c). */
#ifndef TTY_APP_WATCH_H
#define TTY_APP_WATCH_H

#include "contacts.h"

#include <stdbool.h>
#include <stddef.h>

struct sipua_sub;

struct watch {                      /* the head of every entry */
	char contact[CONTACT_NAME];     /* "" for a bare URI */
	char uri[CONTACT_URI];
	unsigned acc;                   /* index into the accounts */
	bool wanted;                    /* false: unsubscribed by command */
	struct sipua_sub *sub;          /* NULL: not subscribed (ended, or never) */
	bool retry;                     /* ended, the server's answer says ask again later */
};

struct watch_list {
	unsigned char *v;
	size_t size;                    /* of one entry, head included */
	unsigned n, cap;
};

void watch_list_init(struct watch_list *l, size_t entry_size);
void watch_list_free(struct watch_list *l);
struct watch *watch_at(const struct watch_list *l, unsigned k);
/* The wanted entry of contact (or of uri, contact ""), or NULL. */
struct watch *watch_find(const struct watch_list *l, const char *contact, const char *uri);
/* The wanted entry for contact/uri on account acc, added (zeroed past the head; *fresh
 * says so) when there is none. NULL when out of memory. */
struct watch *watch_add(struct watch_list *l, const char *contact, const char *uri,
			unsigned acc, bool *fresh);
void *watch_owner(const struct watch_list *l, const struct watch *w);
struct app;
/* Each wanted entry whose end asked to be subscribed again (retry), on an account that is
 * registered, is handed to subscribe with its mark cleared; an account that is down
 * subscribes all its entries when it registers. */
void watch_list_retry(struct app *a, struct watch_list *l,
		      void (*subscribe)(struct app *a, struct watch *w));
struct watch *watch_of_owner(const struct watch_list *l, void *owner);

#endif
