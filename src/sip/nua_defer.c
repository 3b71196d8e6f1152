/* nua_defer.c: lets an idle phone sleep through Sofia-SIP's once-a-second NUA timer.
 *
 * NUA polls its handles every second for refreshes that are due (nua_stack.c,
 * nua_stack_timer(), NUA_STACK_TIMER_INTERVAL 1000 ms): 60 of an idle phone's 66 wake-ups
 * a minute. Debian's 1.12.11 (the 2011 darcs tree; not FreeSWITCH's fork) has
 * NUTAG_DEFERRABLE_TIMERS(1), which makes that timer deferrable (su_timer_deferrable): it
 * then runs whenever the loop wakes up anyway (SIP traffic, our keep-alive, a key, a call's
 * stats), and at the latest max_defer after it was due (su_root_set_max_defer; Sofia's
 * default is 15 s). sipua.c sets the tag; this file keeps max_defer safe:
 *
 * - NUA refreshes a registration at a quarter of the granted time before the deadline or
 *   earlier (nua_dialog_usage_set_refresh: between 1/4 and 3/4 of it, or 30-60 s before
 *   the deadline for 90-300 s), so a refresh run an eighth of that late still comes in
 *   time: max_defer is kept under an eighth of the shortest time granted, from 30 s down.
 * - Session-timer refreshes (half of at least 90 s ahead) have room for 30 s.
 * - nua_shutdown's steps also run on this timer; sipua_shutdown steps the loop every
 *   50 ms, which runs them. */
#include "nua_defer.h"

#include <stdbool.h>
#include <stdlib.h>

#include <sofia-sip/sip_header.h>

#define MIN_DEFER_MS 1000

void nua_defer_init(su_root_t *root)
{
	su_root_set_max_defer(root, NUA_DEFER_MAX_MS);
}

/* The time the registrar granted our binding. A 2xx lists every binding of the address
 * with the time each has left; ours was just renewed, so it has the most left of those the
 * registrar allowed us (at most what we asked for): the largest, capped at our request. */
static unsigned granted_s(sip_t const *sip, unsigned requested_s)
{
	unsigned best = 0;
	bool any = false;

	for (sip_contact_t const *m = sip ? sip->sip_contact : NULL; m; m = m->m_next) {
		unsigned long e;

		if (!m->m_expires)
			continue;
		e = strtoul(m->m_expires, NULL, 10);
		if (e > requested_s)
			e = requested_s;
		if (!any || e > best)
			best = (unsigned)e;
		any = true;
	}
	if (!any && sip && sip->sip_expires && sip->sip_expires->ex_delta < requested_s)
		return (unsigned)sip->sip_expires->ex_delta;
	return any ? best : requested_s;
}

void nua_defer_registered(su_root_t *root, sip_t const *sip, unsigned requested_s)
{
	su_duration_t limit = (su_duration_t)granted_s(sip, requested_s) * 1000 / 8;

	if (limit < MIN_DEFER_MS)
		limit = MIN_DEFER_MS;
	/* Only ever lower: another account may have been granted less. */
	if (limit < su_root_get_max_defer(root))
		su_root_set_max_defer(root, limit);
}
