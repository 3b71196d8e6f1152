/* app_sip_events.c: what the main user agent reports (registration, calls, transfers,
 * DTMF, MESSAGE, the SIP log), turned into call state and events. Part of the application
 * state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "contacts.h"
#include "presence/sub_retry.h"
#include "strutil.h"

#include <string.h>

/* The account registered: presence, voicemail and busy lamps subscribe (nua refreshes
 * them); contacts.ini is read once, at its first registration, for presence and lamps
 * alike (problems in it were said where it is edited). */
static void start_watches(struct app *a, unsigned i)
{
	struct contacts book;
	char path[1024];
	bool first = !a->watches_read[i];

	if (first) {
		a->watches_read[i] = true;
		contacts_init(&book);
		contacts_default_path(path, sizeof(path));
		contacts_load(&book, path, NULL, NULL);
	}
	app_presence_on_registered(a, i, first ? &book : NULL);
	app_mwi_on_registered(a, i);
	app_blf_on_registered(a, i, first ? &book : NULL);
	if (first)
		contacts_free(&book);
}

static void ua_reg(void *arg, struct sipua_acc *acc, enum sipua_reg_state st, int code,
		   const char *reason)
{
	struct app *a = arg;
	char buf[1024];
	struct jw w;
	unsigned i;

	for (i = 0; i < a->cfg->naccounts; i++)
		if (a->accs[i] == acc)
			break;
	if (i == a->cfg->naccounts)
		return;
	a->reg[i] = (enum reg_state)st;
	a->reg_code[i] = code;
	str_copy(a->reg_reason[i], sizeof(a->reg_reason[i]), reason);
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "reg");
	jw_str(&w, "account", a->cfg->accounts[i].name);
	jw_str(&w, "state", reg_state_name(a->reg[i]));
	jw_int(&w, "code", code);
	jw_str(&w, "reason", reason);
	app_emit_w(a, &w);
	if (a->reg[i] == REG_REGISTERED)
		start_watches(a, i);
}

/* An incoming call we cannot take, before it rang: 488 with reason, why in the log, and the
 * call slot given back (no call event: the user never saw it). */
static void refuse_incoming(struct app *a, struct app_call *c, const char *reason,
			    const char *why)
{
	sipua_call_respond(c->sc, 488, reason, NULL);
	app_emit_log(a, "incoming call from %s refused: %s", c->peer, why);
	sipua_call_set_owner(c->sc, NULL);
	c->used = false;
}

static void ua_incoming(void *arg, struct sipua_call *sc, struct sipua_acc *acc,
			const struct sipua_incoming *in)
{
	struct app *a = arg;
	struct app_call *c;
	char why[300];

	if (a->cfg->sip.dnd) {
		sipua_call_respond(sc, 486, "Busy Here (do not disturb)", NULL);
		return;
	}
	c = app_call_new(a);
	if (!c) {
		sipua_call_respond(sc, 486, "Busy Here (too many calls)", NULL);
		return;
	}
	c->sc = sc;
	c->acc = acc;
	c->outgoing = false;
	sipua_call_set_owner(sc, c);
	str_copy(c->peer, sizeof(c->peer), in->from_uri);
	if (in->from_display)
		str_copy(c->display, sizeof(c->display), in->from_display);
	if (acc)
		str_copy(c->account, sizeof(c->account), sipua_acc_cfg(acc)->name);
	if (in->sdp) {
		int rc = sdp_parse_desc(in->sdp, in->sdp_len, &c->remote_offer, why, sizeof(why));
		if (rc != 0) {
			refuse_incoming(a, c, rc > 0 ? "Not Acceptable Here (no audio)" :
					"Not Acceptable Here (bad SDP)", why);
			return;
		}
		/* A WebRTC offer: ICE gathers while it rings, so that the answer can go at
		 * once. Refused now, not at answer, when it cannot start. */
		if (c->remote_offer.audio.dtls) {
			app_local_addr_toward(a, c->acc ? sipua_acc_server_host(c->acc) :
					      sipua_call_peer_host(sc), c->local_addr,
					      sizeof(c->local_addr));
			if (app_webrtc_begin(a, c, false, why, sizeof(why)) < 0) {
				refuse_incoming(a, c, "Not Acceptable Here (WebRTC media)", why);
				return;
			}
		}
		c->has_remote_offer = true;
	}
	if (in->replaces) {
		struct app_call *old = app_call_of(in->replaces);
		if (old)
			c->replaces_id = old->id;
	}
	app_set_state(a, c, CALL_INCOMING, 0, in->source);
	sipua_call_respond(sc, 180, "Ringing", NULL);
	/* An INVITE with Replaces takes over a call we already agreed to: answer it at once. */
	if (c->replaces_id || a->cfg->sip.auto_answer)
		app_answer_call(a, c, NULL, NULL);
}

static void ua_response(void *arg, struct sipua_call *sc, int code, const char *reason,
			const char *sdp, size_t sdp_len, bool reinvite)
{
	struct app *a = arg;
	struct app_call *c = app_call_of(sc);
	char why[300];

	if (!c)
		return;
	if (reinvite) {
		if (code >= 200 && code < 300) {
			if (sdp && !app_take_answer(a, c, sdp, sdp_len, why, sizeof(why)))
				app_emit_log(a, "call %u: re-INVITE answer unusable: %s", c->id, why);
			if (c->local_hold || c->remote_hold)
				app_set_state(a, c, CALL_HELD, code, c->local_hold ? "on hold" : "held by peer");
			else
				app_set_state(a, c, CALL_ESTABLISHED, code, reason);
		} else if (code >= 300) {
			/* The hold or resume did not happen: say so, keep the old state. */
			c->local_hold = c->state == CALL_HELD && c->local_hold ? !c->local_hold :
				c->local_hold;
			app_emit_log(a, "call %u: re-INVITE refused: %d %s", c->id, code, reason);
		}
		return;
	}
	if (code < 200) {
		if (sdp && c->offer_pending && app_take_answer(a, c, sdp, sdp_len, why, sizeof(why))) {
			app_set_state(a, c, CALL_EARLY, code, reason);
			return;
		}
		if (code > 100 && c->state == CALL_CALLING)
			app_set_state(a, c, sdp ? CALL_EARLY : CALL_RINGING, code, reason);
		return;
	}
	if (code < 300) {
		c->answered = time(NULL);
		if (sdp && c->offer_pending) {
			if (!app_take_answer(a, c, sdp, sdp_len, why, sizeof(why))) {
				app_emit_log(a, "call %u: %s", c->id, why);
				app_set_state(a, c, CALL_ESTABLISHED, code, reason);
				app_hangup_call(a, c, 488, why);
				return;
			}
		} else if (c->offer_pending) {
			app_hangup_call(a, c, 488, "answer without SDP");
			return;
		}
		a->active = c->id;
		app_set_state(a, c, CALL_ESTABLISHED, code, reason);
		/* Our CANCEL crossed their 200: the user hung up, so end it now with a BYE. */
		if (c->end_code)
			app_hangup_call(a, c, c->end_code, c->end_reason);
	}
	/* Failures end the call: ua_ended reports it with the code. */
}

/* Our answer to a re-INVITE's offer: a WebRTC call stays on its link and keys. */
static int reanswer(struct app *a, struct app_call *c, const struct sdp_desc *offer,
		    struct sdp_desc *answer, struct media_params *p, char *why, size_t whylen)
{
	enum media_dir dir = c->local_hold ? MEDIA_SENDONLY : MEDIA_SENDRECV;
	int r;

	if (!c->wl) {
		r = media_make_answer(&a->cfg->media, c->local_addr, media_session_port(c->ms),
				      offer, dir, answer, p, why, whylen);
	} else if (!offer->audio.dtls) {
		snprintf(why, whylen, "a WebRTC call cannot move to plain RTP");
		return -1;
	} else {
		r = app_webrtc_answer(a, c, offer, dir, &c->params, answer, p, why, whylen);
	}
	if (r >= 0)
		app_stamp_origin(c, answer);
	return r;
}

static void ua_reoffer(void *arg, struct sipua_call *sc, const char *sdp, size_t len)
{
	struct app *a = arg;
	struct app_call *c = app_call_of(sc);
	struct sdp_desc offer, answer;
	struct media_params p;
	char why[300], text[APP_SDP_MAX];
	bool was_held;

	if (!c)
		return;
	if (!sdp) {
		/* An offer-less re-INVITE: offer our current session in the 200. */
		if (app_make_offer_sdp(a, c, c->local_hold ? MEDIA_SENDONLY : MEDIA_SENDRECV, text,
				   sizeof(text)) < 0) {
			sipua_call_respond(sc, 500, "Cannot make an offer", NULL);
			return;
		}
		sipua_call_respond(sc, 200, NULL, text);
		return;
	}
	if (sdp_parse_desc(sdp, len, &offer, why, sizeof(why)) != 0 ||
	    reanswer(a, c, &offer, &answer, &p, why, sizeof(why)) < 0 ||
	    sdp_write_desc(&answer, text, sizeof(text)) < 0) {
		sipua_call_respond(sc, 488, "Not Acceptable Here", NULL);
		app_emit_log(a, "call %u: re-INVITE refused: %s", c->id, why);
		return;
	}
	sipua_call_respond(sc, 200, NULL, text);
	c->params = p;
	app_start_media(a, c);
	was_held = c->state == CALL_HELD;
	c->remote_hold = offer.audio.dir == MEDIA_SENDONLY || offer.audio.dir == MEDIA_INACTIVE;
	if (c->remote_hold || c->local_hold)
		app_set_state(a, c, CALL_HELD, 200, c->remote_hold ? "held by peer" : "on hold");
	else if (was_held)
		app_set_state(a, c, CALL_ESTABLISHED, 200, "resumed by peer");
}

static void ua_ack(void *arg, struct sipua_call *sc, const char *sdp, size_t len)
{
	struct app *a = arg;
	struct app_call *c = app_call_of(sc);
	char why[300];

	if (!c || c->state != CALL_INCOMING)
		return;
	if (c->offer_pending) {
		if (!sdp || !app_take_answer(a, c, sdp, len, why, sizeof(why))) {
			app_set_state(a, c, CALL_ESTABLISHED, 200, "OK");
			app_hangup_call(a, c, 488, sdp ? why : "ACK without the SDP answer");
			return;
		}
	}
	c->answered = time(NULL);
	a->active = c->id;
	app_set_state(a, c, CALL_ESTABLISHED, 200, "OK");
	if (c->replaces_id) {
		struct app_call *old = app_call_by_id(a, c->replaces_id);
		if (old)
			app_hangup_call(a, old, 200, "replaced by transfer");
	}
}

static void ua_ended(void *arg, struct sipua_call *sc, int code, const char *reason, bool by_peer)
{
	struct app *a = arg;
	struct app_call *c = app_call_of(sc);
	const char *why = reason;

	if (!c)
		return;
	c->sc = NULL;
	/* The cause we hung up for (transferred, RTP timeout, bad answer) beats nua's own words;
	 * a failure response from the network (486, 603...) is reported as it came. */
	if (c->end_code && !by_peer && (code < 300 || code == 487)) {
		why = c->end_reason;
		code = c->end_code;
	}
	app_set_state(a, c, CALL_ENDED, code, why);
	app_call_free(a, c);
}

static void ua_refer(void *arg, struct sipua_call *sc, const char *to, const char *referred_by,
		     const char *replaces)
{
	struct app *a = arg;
	struct app_call *old = app_call_of(sc), *c;
	char sdp[APP_SDP_MAX], buf[1024];
	struct jw w;

	if (!old)
		return;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "transfer_request");
	jw_int(&w, "id", old->id);
	jw_str(&w, "to", to);
	jw_bool(&w, "attended", replaces != NULL);
	app_emit_w(a, &w);
	c = app_call_new(a);
	if (!c)
		return;
	c->outgoing = true;
	c->acc = old->acc;
	c->transfer_from = old->id;
	str_copy(c->account, sizeof(c->account), old->account);
	str_copy(c->peer, sizeof(c->peer), to);
	app_local_addr_toward(a, old->acc ? sipua_acc_server_host(old->acc) : sipua_call_peer_host(sc),
			  c->local_addr, sizeof(c->local_addr));
	if (media_session_alloc(&c->ms, &a->cfg->media, &a->cfg->audio, c->id, a->evq,
				c->local_addr) != 0 ||
	    app_make_offer_sdp(a, c, MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0 ||
	    sipua_call_invite(a->ua, &c->sc, c->acc, to, sdp, replaces, referred_by, sc) != 0) {
		app_emit_log(a, "transfer to %s failed: cannot start the call", to);
		app_call_free(a, c);
		return;
	}
	sipua_call_set_owner(c->sc, c);
	str_copy(c->peer, sizeof(c->peer), sipua_call_peer(c->sc));
	app_set_state(a, c, CALL_CALLING, 0, "transferred");
}

static void ua_transfer_status(void *arg, struct sipua_call *sc, int code, const char *reason)
{
	struct app *a = arg;
	struct app_call *c = app_call_of(sc);
	char buf[1024];
	struct jw w;

	if (!c)
		return;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "transfer");
	jw_int(&w, "id", c->id);
	jw_int(&w, "code", code);
	jw_str(&w, "reason", reason);
	app_emit_w(a, &w);
	/* The transfer succeeded: our leg has nothing left to do. */
	if (code >= 200 && code < 300 && c->hangup_after_transfer)
		app_hangup_call(a, c, 200, "transferred");
}

void app_emit_dtmf(struct app *a, unsigned id, char digit, const char *via)
{
	char buf[256], d[2] = { digit, 0 };
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "dtmf");
	jw_int(&w, "id", id);
	jw_str(&w, "digit", d);
	jw_str(&w, "via", via);
	app_emit_w(a, &w);
}

static void ua_info_dtmf(void *arg, struct sipua_call *sc, char digit)
{
	struct app *a = arg;
	struct app_call *c = app_call_of(sc);

	if (c && strchr("0123456789*#ABCDabcd", digit))
		app_emit_dtmf(a, c->id, digit, "info");
}

static void ua_info_trickle(void *arg, struct sipua_call *sc, const char *frag, size_t len)
{
	struct app *a = arg;
	struct app_call *c = app_call_of(sc);

	if (c)
		app_webrtc_trickle(a, c, frag, len);
}

static void ua_message(void *arg, struct sipua_acc *acc, const char *from, const char *display,
		       const char *ctype, const char *body, size_t len)
{
	struct app *a = arg;
	char buf[EVENT_MAX];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "message");
	jw_str(&w, "from", from);
	if (display)
		jw_str(&w, "display", display);
	if (acc)
		jw_str(&w, "account", sipua_acc_cfg(acc)->name);
	jw_str(&w, "content_type", ctype);
	jw_strn(&w, "body", body, len > 4000 ? 4000 : len);
	app_emit_w(a, &w);
}

static void ua_message_status(void *arg, unsigned long cookie, const char *to, int code,
			      const char *reason)
{
	struct app *a = arg;
	char buf[1024];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "message_status");
	jw_int(&w, "msg", (long long)cookie);
	jw_str(&w, "to", to);
	jw_int(&w, "code", code);
	jw_str(&w, "reason", reason);
	app_emit_w(a, &w);
}

static void ua_notify(void *arg, void *owner, const char *event, const char *ctype,
		      const char *body, size_t len)
{
	if (!strcmp(event, "message-summary"))
		app_mwi_notify(arg, owner, body, len);
	else if (!strcmp(event, "dialog"))
		app_blf_notify(arg, owner, body, len);
	else
		app_presence_notify(arg, owner, event, ctype, body, len);
}

static void ua_sub_state(void *arg, void *owner, const char *event, int code,
			 const char *reason, bool active, bool ended, const char *ss_reason,
			 unsigned retry_after)
{
	unsigned retry_s = ended ? sub_retry_after(code, ss_reason, retry_after) : 0;

	if (!strcmp(event, "message-summary"))
		app_mwi_sub_state(arg, owner, code, reason, ended, retry_s);
	else if (!strcmp(event, "dialog"))
		app_blf_sub_state(arg, owner, code, reason, ended, retry_s);
	else
		app_presence_sub_state(arg, owner, event, code, reason, active, ended, retry_s);
}

static void ua_publish_status(void *arg, struct sipua_acc *acc, int code, const char *reason)
{
	if (code >= 300)
		app_emit_log(arg, "presence: %s refused our PUBLISH: %d %s",
			     sipua_acc_cfg(acc)->name, code, reason);
}

static void ua_log(void *arg, const char *line)
{
	app_emit_log(arg, "%s", line);
}

const struct sipua_events app_ua_events = {
	.reg = ua_reg,
	.incoming = ua_incoming,
	.response = ua_response,
	.reoffer = ua_reoffer,
	.ack = ua_ack,
	.ended = ua_ended,
	.refer = ua_refer,
	.transfer_status = ua_transfer_status,
	.info_dtmf = ua_info_dtmf,
	.info_trickle = ua_info_trickle,
	.message = ua_message,
	.message_status = ua_message_status,
	.notify = ua_notify,
	.sub_state = ua_sub_state,
	.publish_status = ua_publish_status,
	.log = ua_log,
};
