/* app_resubscribe.c: subscriptions the server ended (RFC 6665 section 4.1.3: deactivated,
 * timeout, probation, giveup) or refused for a while (408, 480, 5xx) are asked for again:
 * lamps and presence that went dark after a server restart come back without waiting for
 * the next registration. One timer serves every watch (each marks itself to retry): the
 * soonest wait wins, and ends that keep coming within RESUB_QUIET_MS of the last attempt
 * double the wait (up to SUB_RETRY_MAX_S), so a server that deactivates everything it is
 * sent is not met with a SUBSCRIBE storm. Part of the application (app.c). */
#include "ttyconf.h"
#include "app_priv.h"
#include "presence/sub_retry.h"
#include "sip/loop.h"

#include <time.h>

#define RESUB_QUIET_MS (5u * 60u * 1000u)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void app_resubscribe_later(struct app *a, unsigned secs)
{
	uint64_t now = now_ms(), wait_s = secs;

	if (a->resub_last_ms && now - a->resub_last_ms > RESUB_QUIET_MS)
		a->resub_doublings = 0;
	for (unsigned k = 0; k < a->resub_doublings && wait_s < SUB_RETRY_MAX_S; k++)
		wait_s *= 2;
	if (wait_s > SUB_RETRY_MAX_S)
		wait_s = SUB_RETRY_MAX_S;
	if (a->resub_armed && a->resub_due_ms <= now + wait_s * 1000u)
		return;                  /* an earlier round takes this one along */
	a->resub_armed = true;
	a->resub_due_ms = now + wait_s * 1000u;
	loop_timer_start(a->resub_timer, (unsigned)(wait_s * 1000u));
	app_emit_log(a, "subscriptions: asking again in %u s", (unsigned)wait_s);
}

void app_on_resubscribe_timer(void *arg)
{
	struct app *a = arg;

	a->resub_armed = false;
	a->resub_last_ms = now_ms();
	if (a->resub_doublings < 16)
		a->resub_doublings++;
	app_presence_resubscribe(a);
	app_blf_resubscribe(a);
	app_mwi_resubscribe(a);
}
