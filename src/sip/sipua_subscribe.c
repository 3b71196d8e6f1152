/* sipua_subscribe.c: event subscriptions (RFC 6665 SUBSCRIBE/NOTIFY) for presence, busy
 * lamps and message waiting, and our presence PUBLISH (RFC 3903), with digest retries.
 *
 * nua keeps each subscription's dialog and refreshes it before it expires (a refresh is
 * one request per expiry period: no timer of ours, no wake-ups between); NOTIFYs come as
 * nua_i_notify on the subscription's handle, answered by nua. What NOTIFYs carry is the
 * app's to read (src/presence/). A subscription the server ends, or that fails, is
 * reported; re-subscribing is the app's choice (after a back-off, or when the account
 * registers again).
 *
 * Pacing: a contact list of hundreds subscribes at registration. At most SUB_WINDOW
 * initial SUBSCRIBEs are out at once; each final answer lets the next queued one go, so
 * the server sets the pace (a slow one gets fewer at a time) and no timer of ours wakes
 * us: TCP's window, for SUBSCRIBE. */
#include "sipua_priv.h"

#include <stdlib.h>

#define SUB_WINDOW 16

static void sub_send(struct sipua_sub *s)
{
	char exp[16];

	snprintf(exp, sizeof(exp), "%u", s->expires);
	s->waiting = false;
	s->in_flight = true;
	s->ua->subs_in_flight++;
	nua_subscribe(s->nh, SIPTAG_EVENT_STR(s->event), SIPTAG_ACCEPT_STR(s->accept),
		      SIPTAG_EXPIRES_STR(exp),
		      TAG_IF(s->acc && s->acc->route[0], SIPTAG_ROUTE_STR(s->acc ?
								   s->acc->route : NULL)),
		      TAG_END());
}

/* An initial SUBSCRIBE got its final answer (or its subscription went): the oldest
 * queued one may go (the list is newest first). */
static void window_open(struct sipua *ua, struct sipua_sub *s)
{
	struct sipua_sub *oldest = NULL;

	if (!s->in_flight)
		return;
	s->in_flight = false;
	ua->subs_in_flight--;
	for (struct sipua_sub *x = ua->subs; x; x = x->next)
		if (x->waiting)
			oldest = x;
	if (oldest && ua->subs_in_flight < SUB_WINDOW)
		sub_send(oldest);
}

static void sub_free(struct sipua_sub *s)
{
	struct sipua *ua = s->ua;

	window_open(ua, s);

	for (struct sipua_sub **pp = &ua->subs; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->nh) {
		nua_handle_bind(s->nh, NULL);
		nua_handle_destroy(s->nh);
	}
	free(s);
}

static void report_end(struct sipua_sub *s, int code, const char *reason,
		       const char *ss_reason, unsigned retry_after)
{
	struct sipua *ua = s->ua;

	if (ua->ev->sub_state)
		ua->ev->sub_state(ua->arg, s->owner, s->event, code, reason, false, true,
				  ss_reason, retry_after);
}

static void report_active(struct sipua_sub *s, int code, const char *reason)
{
	struct sipua *ua = s->ua;

	if (ua->ev->sub_state)
		ua->ev->sub_state(ua->arg, s->owner, s->event, code, reason, true, false, "", 0);
}

/* Neither active nor ended (code 0): nua subscribes again by itself, see below. */
static void report_paused(struct sipua_sub *s, const char *reason)
{
	struct sipua *ua = s->ua;

	if (ua->ev->sub_state)
		ua->ev->sub_state(ua->arg, s->owner, s->event, 0, reason, false, false, "", 0);
}

/* A parameter's seconds ("3600"), 0 when absent or not a number. */
static unsigned seconds_of(const char *v)
{
	unsigned long n;
	char *end;

	if (!v || !*v)
		return 0;
	n = strtoul(v, &end, 10);
	return *end || n > 86400 ? 0 : (unsigned)n;
}

void sipua_on_sub_event(struct sipua *ua, struct sipua_sub *s, nua_event_t event, int status,
			char const *phrase, sip_t const *sip, tagi_t tags[])
{
	char why[400];

	switch (event) {
	case nua_r_subscribe:
		if (status < 200)
			return;
		if ((status == 401 || status == 407) &&
		    sipua_authenticate(ua, s->nh, s->acc, &s->auth_tries, status, sip, why,
				       sizeof(why)))
			return;
		s->auth_tries = 0;
		window_open(ua, s);
		if (status >= 300) {
			report_end(s, status, (status == 401 || status == 407) ? why : phrase, "",
				   sip && sip->sip_retry_after ?
				   (unsigned)sip->sip_retry_after->af_delta : 0);
			sub_free(s);
			return;
		}
		s->active = true;
		report_active(s, status, phrase);
		return;
	case nua_i_notify: {
		const char *ct = sip && sip->sip_content_type && sip->sip_content_type->c_type ?
				 sip->sip_content_type->c_type : "";
		int substate = nua_substate_active;

		tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
		/* A NOTIFY that ends the subscription without a body says nothing of the
		 * state (an empty presence body would read as offline) */
		if (ua->ev->notify && (substate == nua_substate_active ||
				       substate == nua_substate_pending ||
				       (sip && sip->sip_payload && sip->sip_payload->pl_len)))
			ua->ev->notify(ua->arg, s->owner, s->event, ct,
				       sip && sip->sip_payload ? sip->sip_payload->pl_data : "",
				       sip && sip->sip_payload ? sip->sip_payload->pl_len : 0);
		if (substate == nua_substate_embryonic) {
			/* terminated;reason=deactivated or probation: nua tears the dialog
			 * down and SUBSCRIBEs again by itself, at once (within 5 s) or after
			 * the retry-after (30 s without one); its answer comes as
			 * nua_r_subscribe, a refusal ending the subscription there */
			const sip_subscription_state_t *ss = sip ? sip->sip_subscription_state : NULL;

			snprintf(why, sizeof(why), "the subscription ended (%s): subscribing again",
				 ss && ss->ss_reason ? ss->ss_reason : "deactivated");
			s->active = false;
			report_paused(s, why);
		} else if (substate == nua_substate_terminated) {
			const sip_subscription_state_t *ss = sip ? sip->sip_subscription_state : NULL;
			const char *r = ss && ss->ss_reason ? ss->ss_reason : "";

			snprintf(why, sizeof(why), "the subscription ended (%s)", r[0] ? r : "terminated");
			report_end(s, 0, why, r, ss ? seconds_of(ss->ss_retry_after) : 0);
			sub_free(s);
		}
		return;
	}
	case nua_r_unsubscribe:
		if (status < 200)
			return;
		report_end(s, status, "unsubscribed", "", 0);
		sub_free(s);
		return;
	default:
		return;
	}
}

int sipua_subscribe(struct sipua *ua, struct sipua_acc *acc, const char *uri, const char *event,
		    const char *accept, unsigned expires, void *owner, struct sipua_sub **out)
{
	struct sipua_sub *s = calloc(1, sizeof(union sipua_hnd));
	char target[CFG_STR * 2], to_hdr[CFG_STR * 2 + 4];

	if (!s)
		return ENOMEM;
	s->kind = HND_SUB;
	s->ua = ua;
	s->acc = acc;
	s->owner = owner;
	str_copy(s->event, sizeof(s->event), event);
	str_copy(s->accept, sizeof(s->accept), accept);
	s->expires = expires;
	sipua_complete_target(acc, uri, target, sizeof(target));
	snprintf(to_hdr, sizeof(to_hdr), "<%s>", target);
	s->nh = nua_handle(ua->nua, (union sipua_hnd *)s, NUTAG_URL(target), SIPTAG_TO_STR(to_hdr),
			   TAG_IF(acc, SIPTAG_FROM_STR(acc ? acc->from : NULL)), TAG_END());
	if (!s->nh) {
		free(s);
		return ENOMEM;
	}
	sipua_ws_route(s->nh, acc);
	s->next = ua->subs;
	ua->subs = s;
	if (ua->subs_in_flight < SUB_WINDOW)
		sub_send(s);
	else
		s->waiting = true;
	if (out)
		*out = s;
	return 0;
}

void sipua_unsubscribe(struct sipua_sub *s)
{
	if (!s->active) {              /* never accepted: nothing to end on the wire */
		sub_free(s);
		return;
	}
	nua_unsubscribe(s->nh, SIPTAG_EXPIRES_STR("0"), TAG_END());
}

bool sipua_sub_live(const struct sipua *ua, const struct sipua_sub *s)
{
	for (const struct sipua_sub *x = ua->subs; x; x = x->next)
		if (x == s)
			return true;
	return false;
}

/* At quit, after nua_shutdown (which ended the dialogs): nua_destroy takes the handles, the
 * memory behind them is ours. */
void sipua_subs_free(struct sipua *ua)
{
	while (ua->subs) {
		struct sipua_sub *s = ua->subs;

		ua->subs = s->next;
		if (s->nh)
			nua_handle_bind(s->nh, NULL);
		free(s);
	}
}

/* Our presence, PUBLISHed to the account's server (RFC 3903). nua keeps the entity tag and
 * refreshes the publication before it expires; a new body replaces it. */
void sipua_on_publish(struct sipua *ua, struct sipua_acc *acc, int status, char const *phrase,
		      sip_t const *sip)
{
	char why[400];

	if (status < 200)
		return;
	if ((status == 401 || status == 407) &&
	    sipua_authenticate(ua, acc->pub_nh, acc, &acc->pub_auth_tries, status, sip, why,
			       sizeof(why)))
		return;
	acc->pub_auth_tries = 0;
	if (ua->ev->publish_status)
		ua->ev->publish_status(ua->arg, acc, status,
				       (status == 401 || status == 407) ? why : phrase);
}

int sipua_publish(struct sipua *ua, struct sipua_acc *acc, const char *pidf, unsigned expires)
{
	char aor[CFG_STR + 8], exp[16];

	if (!acc)
		return EINVAL;
	if (!acc->pub_nh) {
		snprintf(aor, sizeof(aor), "%s", acc->cfg.uri);
		acc->pub.kind = HND_PUB;
		acc->pub.acc = acc;
		acc->pub_nh = nua_handle(ua->nua, (union sipua_hnd *)&acc->pub, NUTAG_URL(aor),
					 SIPTAG_TO_STR(acc->from), SIPTAG_FROM_STR(acc->from),
					 TAG_END());
		if (!acc->pub_nh)
			return ENOMEM;
		sipua_ws_route(acc->pub_nh, acc);
	}
	snprintf(exp, sizeof(exp), "%u", expires);
	acc->pub_auth_tries = 0;
	nua_publish(acc->pub_nh, SIPTAG_EVENT_STR("presence"),
		    SIPTAG_CONTENT_TYPE_STR("application/pidf+xml"), SIPTAG_PAYLOAD_STR(pidf),
		    SIPTAG_EXPIRES_STR(exp),
		    TAG_IF(acc->route[0], SIPTAG_ROUTE_STR(acc->route)), TAG_END());
	return 0;
}
