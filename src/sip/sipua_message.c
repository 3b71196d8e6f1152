/* sipua_message.c: SIP MESSAGE in and out (instant messages), with digest retries. */
#include "sipua_priv.h"

void sipua_on_message_in(struct sipua *ua, nua_handle_t *nh, sip_t const *sip)
{
	char from[CFG_STR] = "", display[128] = "";
	const char *ct = "text/plain";

	if (sip && sip->sip_from) {
		url_e(from, sizeof(from), sip->sip_from->a_url);
		from[sizeof(from) - 1] = '\0';
		if (sip->sip_from->a_display)
			sipua_display_name(sip->sip_from->a_display, display, sizeof(display));
	}
	if (sip && sip->sip_content_type && sip->sip_content_type->c_type)
		ct = sip->sip_content_type->c_type;
	/* MESSAGE is an application method (so untrusted ones can be refused): answer it. */
	nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
	if (ua->ev->message)
		ua->ev->message(ua->arg, sipua_acc_for_request(ua, sip), from, display[0] ? display : NULL, ct,
				sip && sip->sip_payload ? sip->sip_payload->pl_data : "",
				sip && sip->sip_payload ? sip->sip_payload->pl_len : 0);
	nua_handle_destroy(nh);
}

void sipua_on_message_out(struct sipua *ua, struct sipua_msg *m, int status, char const *phrase,
			  sip_t const *sip)
{
	char why[400];

	if (status < 200)
		return;
	if ((status == 401 || status == 407) &&
	    sipua_authenticate(ua, m->nh, m->acc, &m->auth_tries, status, sip, why, sizeof(why)))
		return;
	if (ua->ev->message_status)
		ua->ev->message_status(ua->arg, m->cookie, m->to, status,
				       (status == 401 || status == 407) ? why : phrase);
	nua_handle_bind(m->nh, NULL);
	nua_handle_destroy(m->nh);
	for (struct sipua_msg **pp = &ua->msgs; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	free(m);
}

int sipua_message(struct sipua *ua, struct sipua_acc *acc, const char *to, const char *text,
		  unsigned long cookie)
{
	struct sipua_msg *m = calloc(1, sizeof(union sipua_hnd));
	char target[CFG_STR * 2], to_hdr[CFG_STR * 2 + 4];

	if (!m)
		return ENOMEM;
	m->kind = HND_MSG;
	m->ua = ua;
	m->acc = acc;
	m->cookie = cookie;
	sipua_complete_target(acc, to, target, sizeof(target));
	str_copy(m->to, sizeof(m->to), target);
	snprintf(to_hdr, sizeof(to_hdr), "<%s>", target);
	m->nh = nua_handle(ua->nua, (union sipua_hnd *)m, NUTAG_URL(target), SIPTAG_TO_STR(to_hdr),
			   TAG_IF(acc, SIPTAG_FROM_STR(acc ? acc->from : NULL)),
			   TAG_END());
	sipua_ws_route(m->nh, acc);
	if (!m->nh) {
		free(m);
		return ENOMEM;
	}
	m->next = ua->msgs;
	ua->msgs = m;
	nua_message(m->nh, TAG_IF(acc && acc->route[0], SIPTAG_ROUTE_STR(acc ? acc->route : NULL)),
		    SIPTAG_CONTENT_TYPE_STR("text/plain;charset=UTF-8"), SIPTAG_PAYLOAD_STR(text),
		    TAG_END());
	return 0;
}
