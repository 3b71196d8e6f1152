/* sipua_call.c: calls on NUA handles: outgoing INVITE, incoming INVITE, their responses,
 * re-INVITE, hang-up, REFER (transfer, with Replaces) and its NOTIFY, DTMF by INFO. */
#include "sipua_priv.h"

/* RFC 8840 section 4.1 / RFC 6086: we take INFOs of the trickle-ice package (a peer's
 * candidates after its SDP) in every dialog; Sofia has no tag for Recv-Info. */
#define RECV_INFO_TRICKLE "Recv-Info: trickle-ice"

static struct sipua_call *call_new(struct sipua *ua, struct sipua_acc *acc)
{
	struct sipua_call *c = calloc(1, sizeof(union sipua_hnd));

	if (!c)
		return NULL;
	c->kind = HND_CALL;
	c->ua = ua;
	c->acc = acc;
	c->next = ua->calls;
	ua->calls = c;
	return c;
}

static bool call_alive(struct sipua *ua, const struct sipua_call *c)
{
	for (const struct sipua_call *x = ua->calls; x; x = x->next)
		if (x == c)
			return true;
	return false;
}

/* Report a transfer's progress to the transferor with a sipfrag NOTIFY (RFC 3515).
 * Done here rather than with NUTAG_NOTIFY_REFER: Sofia 1.12 turns the 407 challenge that a
 * proxy sends before we authenticate into a final "503" NOTIFY. */
static void notify_referrer(struct sipua_call *c, int status, const char *phrase)
{
	struct sipua_call *old = c->notify_to;
	char frag[160];

	if (!old || !call_alive(c->ua, old) || !old->nh || !old->refer_event)
		return;
	snprintf(frag, sizeof(frag), "SIP/2.0 %03d %s\r\n", status, phrase ? phrase : "");
	nua_notify(old->nh, SIPTAG_EVENT(old->refer_event),
		   SIPTAG_SUBSCRIPTION_STATE_STR(status < 200 ? "active" : "terminated;reason=noresource"),
		   SIPTAG_CONTENT_TYPE_STR("message/sipfrag"), SIPTAG_PAYLOAD_STR(frag), TAG_END());
	if (status >= 200)
		c->notify_to = NULL;
}

static void call_report_end(struct sipua_call *c)
{
	if (c->ended_reported)
		return;
	c->ended_reported = true;
	if (c->ua->ev->ended)
		c->ua->ev->ended(c->ua->arg, c, c->last_code ? c->last_code : 200,
				 c->last_reason[0] ? c->last_reason : "OK", c->by_peer);
}

static void call_destroy(struct sipua_call *c)
{
	for (struct sipua_call **pp = &c->ua->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (struct sipua_call *x = c->ua->calls; x; x = x->next)
		if (x->notify_to == c)
			x->notify_to = NULL;
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
	}
	free(c);
}

static bool is_sdp(const sip_t *sip)
{
	return sip && sip->sip_payload && sip->sip_payload->pl_len &&
	       (!sip->sip_content_type || !sip->sip_content_type->c_type ||
		!strcasecmp(sip->sip_content_type->c_type, "application/sdp"));
}

/* Where the request being handled came from (its packet's address, as Sofia got it). */
void sipua_on_incoming_invite(struct sipua *ua, nua_handle_t *nh, sip_t const *sip)
{
	struct sipua_acc *acc = sipua_acc_for_request(ua, sip);
	struct sipua_call *c, *replaces = NULL;
	struct sipua_incoming in;
	char from[CFG_STR], to[CFG_STR], display[128], referred_by[CFG_STR], source[96];
	char ua_name[128];

	if (!sip->sip_contact) {
		/* Nowhere to send our answer's ACK or a BYE: RFC 3261 12.1.1 requires it.
		 * Checked before call_new, which links the call into ua->calls. */
		nua_respond(nh, 400, "Missing Contact", NUTAG_WITH_THIS(ua->nua), TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c = call_new(ua, acc);
	if (!c) {
		nua_respond(nh, 500, "Out of memory", TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c->nh = nh;
	nua_handle_bind(nh, (union sipua_hnd *)c);
	sipua_ws_route(nh, acc);
	memset(&in, 0, sizeof(in));
	from[0] = to[0] = display[0] = referred_by[0] = ua_name[0] = '\0';
	if (sip->sip_from) {
		url_e(from, sizeof(from), sip->sip_from->a_url);
		if (sip->sip_from->a_display)
			sipua_display_name(sip->sip_from->a_display, display, sizeof(display));
	}
	if (sip->sip_to)
		url_e(to, sizeof(to), sip->sip_to->a_url);
	from[sizeof(from) - 1] = to[sizeof(to) - 1] = '\0';
	str_copy(c->peer, sizeof(c->peer), from);
	if (sip->sip_from && sip->sip_from->a_url->url_host)
		str_copy(c->peer_host, sizeof(c->peer_host), sip->sip_from->a_url->url_host);
	if (sip->sip_replaces) {
		nua_handle_t *old = nua_handle_by_replaces(ua->nua, sip->sip_replaces);
		if (old) {
			union sipua_hnd *h = nua_handle_magic(old);
			if (h && h->kind == HND_CALL)
				replaces = &h->call;
			nua_handle_unref(old);
		}
	}
	if (sip->sip_referred_by) {
		url_e(referred_by, sizeof(referred_by), sip->sip_referred_by->b_url);
		referred_by[sizeof(referred_by) - 1] = '\0';
	}
	if (sip->sip_user_agent && sip->sip_user_agent->g_string)
		str_copy(ua_name, sizeof(ua_name), sip->sip_user_agent->g_string);
	sipua_describe_source(ua, source, sizeof(source));
	in.from_uri = from;
	in.from_display = display[0] ? display : NULL;
	in.to_uri = to;
	if (is_sdp(sip)) {
		in.sdp = sip->sip_payload->pl_data;
		in.sdp_len = sip->sip_payload->pl_len;
		c->got_offer = true;
	}
	in.replaces = replaces;
	in.referred_by = referred_by[0] ? referred_by : NULL;
	in.source = source;
	in.user_agent = ua_name[0] ? ua_name : NULL;
	if (ua->ev->incoming)
		ua->ev->incoming(ua->arg, c, acc, &in);
}

void sipua_on_call_event(struct sipua *ua, struct sipua_call *c, nua_event_t event, int status,
			 char const *phrase, sip_t const *sip, tagi_t tags[])
{
	char why[400];

	switch (event) {
	case nua_i_invite: /* re-INVITE on an existing dialog */
		if (status < 200 && ua->ev->reoffer)
			ua->ev->reoffer(ua->arg, c, is_sdp(sip) ? sip->sip_payload->pl_data : NULL,
					is_sdp(sip) ? sip->sip_payload->pl_len : 0);
		break;
	case nua_r_invite:
		if (status == 401 || status == 407) {
			if (sipua_authenticate(ua, c->nh, c->acc, &c->auth_tries, status, sip, why,
					 sizeof(why)))
				break;
			c->last_code = status;
			str_copy(c->last_reason, sizeof(c->last_reason), why);
			if (c->notify_to)
				notify_referrer(c, status, phrase);
			nua_cancel(c->nh, TAG_END());
			break;
		}
		if (status >= 200)
			c->auth_tries = 0;
		if (c->notify_to && status > 100)
			notify_referrer(c, status, phrase);
		if (status >= 300 && !c->reinvite_out) {
			c->last_code = status;
			if ((status == 408 || status == 503) && sipua_made_up_locally(sip))
				snprintf(c->last_reason, sizeof(c->last_reason), "no answer from %s",
					 c->peer_host[0] ? c->peer_host : "the peer");
			else
				str_copy(c->last_reason, sizeof(c->last_reason), phrase);
		}
		if (status >= 200 && status < 300)
			c->answered = true;
		{
			bool re = c->reinvite_out;
			if (status >= 200)
				c->reinvite_out = false;
			if (ua->ev->response)
				ua->ev->response(ua->arg, c, status, phrase,
						 is_sdp(sip) ? sip->sip_payload->pl_data : NULL,
						 is_sdp(sip) ? sip->sip_payload->pl_len : 0, re);
		}
		break;
	case nua_i_message: { /* in-dialog chat: answer it, hand it on like any message */
		char from[CFG_STR] = "";
		nua_respond(c->nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
		if (sip && sip->sip_from) {
			url_e(from, sizeof(from), sip->sip_from->a_url);
			from[sizeof(from) - 1] = '\0';
		}
		if (ua->ev->message)
			ua->ev->message(ua->arg, c->acc, from, NULL,
					sip && sip->sip_content_type && sip->sip_content_type->c_type ?
					sip->sip_content_type->c_type : "text/plain",
					sip && sip->sip_payload ? sip->sip_payload->pl_data : "",
					sip && sip->sip_payload ? sip->sip_payload->pl_len : 0);
		break;
	}
	case nua_i_options: /* in-dialog: a keep-alive of the peer's */
		nua_respond(c->nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
		break;
	case nua_i_ack:
		if (ua->ev->ack)
			ua->ev->ack(ua->arg, c, is_sdp(sip) ? sip->sip_payload->pl_data : NULL,
				    is_sdp(sip) ? sip->sip_payload->pl_len : 0);
		break;
	case nua_i_cancel:
		c->by_peer = true;
		c->last_code = 487;
		str_copy(c->last_reason, sizeof(c->last_reason), "Cancelled by caller");
		break;
	case nua_i_bye:
		c->by_peer = true;
		c->last_code = 200;
		str_copy(c->last_reason, sizeof(c->last_reason), "Hung up by peer");
		break;
	case nua_r_bye:
		if (!c->last_code) {
			c->last_code = 200;
			str_copy(c->last_reason, sizeof(c->last_reason), "Hung up");
		}
		break;
	case nua_r_cancel:
		break;
	case nua_i_state: {
		int cs = -1;
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs == nua_callstate_terminated) {
			if (!c->last_code && status >= 300) {
				c->last_code = status;
				str_copy(c->last_reason, sizeof(c->last_reason), phrase);
			}
			call_report_end(c);
			call_destroy(c);
		}
		break;
	}
	case nua_i_terminated:
		call_report_end(c);
		call_destroy(c);
		break;
	case nua_i_refer: {
		char to[CFG_STR * 2] = "", by[CFG_STR] = "", rep[CFG_STR] = "";
		sip_event_t const *rev = NULL;
		tl_gets(tags, NUTAG_REFER_EVENT_REF(rev), TAG_END());
		if (rev)
			c->refer_event = sip_event_dup(nua_handle_home(c->nh), rev);
		if (sip && sip->sip_refer_to) {
			url_t u = *sip->sip_refer_to->r_url;
			const char *hdrs = u.url_headers;
			/* An attended transfer carries ?Replaces=<escaped value> in the URI. */
			if (hdrs) {
				const char *r = strcasestr(hdrs, "Replaces=");
				if (r) {
					str_ncopy(rep, sizeof(rep), r + 9, strcspn(r + 9, "&"));
					url_unescape(rep, rep);
				}
			}
			u.url_headers = NULL;
			url_e(to, sizeof(to), &u);
			to[sizeof(to) - 1] = '\0';
		}
		if (sip && sip->sip_referred_by) {
			url_e(by, sizeof(by), sip->sip_referred_by->b_url);
			by[sizeof(by) - 1] = '\0';
		}
		if (ua->ev->refer && to[0])
			ua->ev->refer(ua->arg, c, to, by[0] ? by : NULL, rep[0] ? rep : NULL);
		break;
	}
	case nua_r_refer:
		if (status == 401 || status == 407) {
			if (sipua_authenticate(ua, c->nh, c->acc, &c->auth_tries, status, sip, why,
					 sizeof(why)))
				break;
		}
		if (status >= 300 && ua->ev->transfer_status)
			ua->ev->transfer_status(ua->arg, c, status, phrase);
		break;
	case nua_i_notify:
		if (sip && sip->sip_payload && sip->sip_content_type &&
		    !strcasecmp(sip->sip_content_type->c_type, "message/sipfrag")) {
			const char *b = sip->sip_payload->pl_data;
			size_t n = sip->sip_payload->pl_len;
			char frag[128];
			str_ncopy(frag, sizeof(frag), b, n);
			if (!strncmp(frag, "SIP/2.0 ", 8) && ua->ev->transfer_status) {
				char *r = frag + 12, *eol;
				int code = atoi(frag + 8);
				if (strlen(frag) < 12)
					r = frag + strlen(frag);
				eol = strpbrk(r, "\r\n");
				if (eol)
					*eol = '\0';
				ua->ev->transfer_status(ua->arg, c, code, r);
			}
		}
		break;
	case nua_i_info:
		/* RFC 8840: ICE candidates trickled after the SDP (nua has answered 200). */
		if (sip && sip->sip_payload && sip->sip_content_type && sip->sip_content_type->c_type &&
		    !strcasecmp(sip->sip_content_type->c_type, "application/trickle-ice-sdpfrag") &&
		    ua->ev->info_trickle) {
			ua->ev->info_trickle(ua->arg, c, sip->sip_payload->pl_data,
					     sip->sip_payload->pl_len);
		} else if (sip && sip->sip_payload && sip->sip_content_type &&
			   sip->sip_content_type->c_type && ua->ev->info_dtmf) {
			const char *ct = sip->sip_content_type->c_type;
			char body[256], *p;
			str_ncopy(body, sizeof(body), sip->sip_payload->pl_data,
				  sip->sip_payload->pl_len);
			if (!strcasecmp(ct, "application/dtmf-relay")) {
				p = strcasestr(body, "Signal=");
				if (p) {
					p += 7;
					while (*p == ' ')
						p++;
					if (*p)
						ua->ev->info_dtmf(ua->arg, c, *p);
				}
			} else if (!strcasecmp(ct, "application/dtmf") && body[0]) {
				p = str_trim(body);
				ua->ev->info_dtmf(ua->arg, c, p[0]);
			}
		}
		break;
	default:
		break;
	}
}

void sipua_complete_target(const struct sipua_acc *acc, const char *to, char *out, size_t size)
{
	char domain[160];

	if (!strncasecmp(to, "sip:", 4) || !strncasecmp(to, "sips:", 5) ||
	    !strncasecmp(to, "tel:", 4)) {
		str_copy(out, size, to);
		return;
	}
	if (!acc) {
		snprintf(out, size, "sip:%s", to);
		return;
	}
	sipua_uri_hostport(acc->cfg.uri, domain, sizeof(domain));
	if (strchr(to, '@'))
		snprintf(out, size, "sip:%s", to);
	else
		snprintf(out, size, "sip:%s@%s", to, domain);
}

int sipua_call_invite(struct sipua *ua, struct sipua_call **callp, struct sipua_acc *acc,
		      const char *to, const char *sdp, const char *replaces, const char *referred_by,
		      struct sipua_call *notify_refer)
{
	struct sipua_call *c = call_new(ua, acc);
	char target[CFG_STR * 2], to_hdr[CFG_STR * 2 + 4];

	if (!c)
		return ENOMEM;
	sipua_complete_target(acc, to, target, sizeof(target));
	/* To carries the URI without ?headers (a Replaces from a Refer-To goes in the request). */
	snprintf(to_hdr, sizeof(to_hdr), "<%.*s>", (int)strcspn(target, "?"), target);
	str_ncopy(c->peer, sizeof(c->peer), target, strcspn(target, "?"));
	sipua_uri_host(c->peer, c->peer_host, sizeof(c->peer_host));
	c->outgoing = true;
	c->nh = nua_handle(ua->nua, (union sipua_hnd *)c, NUTAG_URL(target), SIPTAG_TO_STR(to_hdr),
			   TAG_IF(acc, SIPTAG_FROM_STR(acc ? acc->from : NULL)),
			   TAG_END());
	sipua_ws_route(c->nh, acc);
	if (!c->nh) {
		call_destroy(c);        /* unlinks it from ua->calls */
		return ENOMEM;
	}
	nua_invite(c->nh,
		   TAG_IF(acc && acc->route[0], SIPTAG_ROUTE_STR(acc ? acc->route : NULL)),
		   TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		   TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)),
		   TAG_IF(replaces, SIPTAG_REPLACES_STR(replaces)),
		   TAG_IF(referred_by, SIPTAG_REFERRED_BY_STR(referred_by)),
		   SIPTAG_HEADER_STR(RECV_INFO_TRICKLE),
		   TAG_END());
	c->notify_to = notify_refer;
	*callp = c;
	return 0;
}

int sipua_call_respond(struct sipua_call *c, int code, const char *reason, const char *sdp)
{
	if (!c->nh)
		return EINVAL;
	if (code >= 200 && code < 300)
		c->answered = true;
	if (code >= 300) {
		c->last_code = code;
		str_copy(c->last_reason, sizeof(c->last_reason), reason ? reason : sip_status_phrase(code));
	}
	nua_respond(c->nh, code, reason ? reason : sip_status_phrase(code),
		    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)),
		    TAG_IF(code < 300 && code > 100, SIPTAG_HEADER_STR(RECV_INFO_TRICKLE)),
		    TAG_END());
	return 0;
}

int sipua_call_reinvite(struct sipua_call *c, const char *sdp)
{
	if (!c->nh || !c->answered || c->reinvite_out)
		return EBUSY;
	c->reinvite_out = true;
	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
		   TAG_END());
	return 0;
}

int sipua_call_hangup(struct sipua_call *c)
{
	if (!c->nh)
		return EINVAL;
	if (c->answered) {
		nua_bye(c->nh, TAG_END());
	} else if (c->outgoing) {
		c->last_code = 487;
		str_copy(c->last_reason, sizeof(c->last_reason), "Cancelled");
		nua_cancel(c->nh, TAG_END());
	} else {
		sipua_call_respond(c, 486, "Busy Here", NULL);
	}
	return 0;
}

int sipua_call_refer(struct sipua_call *c, const char *to, struct sipua_call *replaces)
{
	char target[CFG_STR * 2], refer_to[CFG_STR * 4];

	sipua_complete_target(c->acc, to, target, sizeof(target));
	if (replaces && replaces->nh) {
		su_home_t home[1] = { SU_HOME_INIT(home) };
		sip_replaces_t *rp = nua_handle_make_replaces(replaces->nh, home, 0);
		char *rs = rp ? sip_header_as_string(home, (sip_header_t *)rp) : NULL;
		char esc[CFG_STR * 2];

		if (!rs) {
			su_home_deinit(home);
			return EINVAL;
		}
		/* The Replaces value goes into the Refer-To URI as an escaped header. */
		url_escape(esc, rs, URL_RESERVED_CHARS);
		snprintf(refer_to, sizeof(refer_to), "<%s?Replaces=%s>", target, esc);
		su_home_deinit(home);
	} else {
		snprintf(refer_to, sizeof(refer_to), "<%s>", target);
	}
	nua_refer(c->nh, SIPTAG_REFER_TO_STR(refer_to),
		  TAG_IF(c->acc, SIPTAG_REFERRED_BY_STR(c->acc ? c->acc->from : NULL)), TAG_END());
	return 0;
}

int sipua_call_info_dtmf(struct sipua_call *c, char digit)
{
	char body[64];

	snprintf(body, sizeof(body), "Signal=%c\r\nDuration=160\r\n", digit);
	nua_info(c->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"), SIPTAG_PAYLOAD_STR(body),
		 TAG_END());
	return 0;
}

void sipua_call_set_owner(struct sipua_call *c, void *owner)
{
	c->owner = owner;
}

void *sipua_call_owner(const struct sipua_call *c)
{
	return c->owner;
}

const char *sipua_call_peer(const struct sipua_call *c)
{
	return c->peer;
}

const char *sipua_call_peer_host(const struct sipua_call *c)
{
	return c->peer_host;
}
