/* app_webrtc.c: a call's WebRTC media (ICE, DTLS-SRTP, rtcp-mux) on the app's side. A call
 * whose offer is WebRTC, or made from an account with media = webrtc, gets a webrtc_link
 * (src/media/webrtc/webrtc_link.h): its ICE gathers at once, our SDP is written when
 * gathering is done (so every candidate of ours is in it: we do not trickle, and a
 * trickling peer's later candidates, RFC 8840's INFO, are added to the link as they come),
 * the media session runs over the link's rings with its keys pending, and the keys come
 * from the DTLS handshake as an event, on this thread, to be handed to the session. The
 * link's events are posted from its ice thread into the evq (app_on_evq brings them here).
 * Part of the application state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "evq.h"
#include "strutil.h"
#include "media/srtp_sess.h"
#include "media/webrtc/dtls_cert.h"
#include "media/webrtc/webrtc_api.h"

#include <string.h>

/* On the link's ice thread: copy the event into the evq. The keys travel in data and are
 * wiped here and where they are taken. A full evq drops the event: for KEYS that leaves
 * the call silent, so the evq is sized for a burst (app.c). */
static void on_link_event(void *arg, const struct webrtc_link_event *ev)
{
	const struct app_webrtc_ctx *ctx = arg;
	struct evq_event e;

	memset(&e, 0, sizeof(e));
	e.kind = EVQ_WEBRTC;
	e.call_id = ctx->call_id;
	e.a = (int)ev->kind;
	if (ev->kind == WL_EV_ICE_CONNECTED)
		snprintf(e.text, sizeof(e.text), "%s %s -> %s %s", ev->pair.local_type,
			 ev->pair.local, ev->pair.remote_type, ev->pair.remote);
	else
		snprintf(e.text, sizeof(e.text), "%s", ev->text);
	if (ev->kind == WL_EV_KEYS) {
		memcpy(e.data, &ev->keys, sizeof(ev->keys));
		e.data_len = sizeof(ev->keys);
	}
	(void)evq_post(ctx->evq, &e);
	explicit_bzero(&e, sizeof(e));
}

/* "host 127.0.0.1:1 -> relay 192.0.2.1:2" (WL_EV_ICE_CONNECTED's text) -> "host->relay". */
static void pair_types(const char *text, char *out, size_t size)
{
	const char *arrow = strstr(text, " -> ");
	size_t l = strcspn(text, " "), r;

	if (!arrow) {
		snprintf(out, size, "ICE");
		return;
	}
	arrow += 4;
	r = strcspn(arrow, " ");
	snprintf(out, size, "%.*s->%.*s", (int)(l < 16 ? l : 16), text, (int)(r < 16 ? r : 16),
		 arrow);
}

static void cert_note(void *arg, const char *line)
{
	app_emit_log(arg, "WebRTC: %s", line);
}

int app_webrtc_begin(struct app *a, struct app_call *c, bool controlling, char *why,
		     size_t whylen)
{
	struct webrtc_link_opts o;

	if (!a->webrtc) {
		char lwhy[600];

		if (!(a->webrtc = webrtc_api_load(lwhy, sizeof(lwhy)))) {
			snprintf(why, whylen, "WebRTC media is unavailable: %s", lwhy);
			return -1;
		}
	}
	if (!a->dtls_cert &&
	    dtls_cert_load(&a->dtls_cert, NULL, time(NULL), cert_note, a, why, whylen) != 0)
		return -1;
	c->wctx.evq = a->evq;
	c->wctx.call_id = c->id;
	memset(&o, 0, sizeof(o));
	o.controlling = controlling;
	/* Host candidates on the address toward the server only: the one a peer can reach
	 * without a STUN server, and no leak of the machine's other interfaces. */
	o.local_addr = c->local_addr[0] ? c->local_addr : NULL;
	o.port_min = a->cfg->media.rtp_port_min;
	o.port_max = a->cfg->media.rtp_port_max;
	o.cert = a->dtls_cert;
	o.stun_server = a->cfg->media.stun_server;
	o.turn_server = a->cfg->media.turn_server[0] ? a->cfg->media.turn_server : NULL;
	o.turn_user = a->cfg->media.turn_user;
	o.turn_password = a->cfg->media.turn_password;
	o.relay_only = a->cfg->media.ice_relay_only;
	if (a->webrtc->alloc(&c->wl, &o, on_link_event, &c->wctx, why, whylen) != 0) {
		c->wl = NULL;
		return -1;
	}
	c->wl_pair[0] = '\0';
	snprintf(c->wl_status, sizeof(c->wl_status), "gathering ICE candidates");
	return 0;
}

void app_webrtc_end(struct app *a, struct app_call *c)
{
	/* After the media session: its thread is done with the rings. */
	if (c->wl)
		a->webrtc->free(c->wl);
	c->wl = NULL;
}

void app_webrtc_local(struct app *a, struct app_call *c, struct sdp_webrtc *out)
{
	a->webrtc->local(c->wl, out);
}

static void emit_webrtc(struct app *a, struct app_call *c, const char *state, const char *text);

/* Trickled candidates to the link, said in the log and as a webrtc event "trickle". */
static void give_trickled(struct app *a, struct app_call *c, const struct sdp_webrtc *frag)
{
	char why[WL_TEXT], text[WL_TEXT + 64];
	unsigned used = 0;
	int e = a->webrtc->add_remote(c->wl, frag, &used, why, sizeof(why));

	if (e) {
		app_emit_log(a, "call %u: %s", c->id, why);
		return;
	}
	snprintf(text, sizeof(text), "%u of %u trickled candidate%s taken%s", used, frag->ncand,
		 frag->ncand == 1 ? "" : "s",
		 frag->end_of_candidates ? ", end of candidates" : "");
	app_emit_log(a, "call %u: ICE: %s", c->id, text);
	emit_webrtc(a, c, "trickle", text);
}

/* RFC 8840: a peer that trickles sends the candidates it had not put in its SDP in INFO
 * requests; they go to the link once it has the SDP they belong to, and are kept until
 * then (an INFO in the early dialog can overtake our answer's making). */
void app_webrtc_trickle(struct app *a, struct app_call *c, const char *text, size_t len)
{
	const char *mid = c->wl_mid[0] ? c->wl_mid :
			  c->has_remote_offer ? c->remote_offer.audio.rtc.mid : "";
	struct sdp_webrtc frag, *kept = &c->wl_trickled;
	char why[160];

	if (!c->wl) {
		app_emit_log(a, "call %u: ICE candidates trickled into a call without WebRTC "
			     "media: ignored", c->id);
		return;
	}
	if (sdp_parse_frag(text, len, mid, &frag, why, sizeof(why)) != 0) {
		app_emit_log(a, "call %u: %s: ignored", c->id, why);
		return;
	}
	if (c->wl_has_remote) {
		give_trickled(a, c, &frag);
		return;
	}
	if (!c->wl_trickle_kept || strcmp(kept->ice_ufrag, frag.ice_ufrag) != 0) {
		*kept = frag;             /* the first, or a new generation replaces the old */
	} else {
		for (unsigned i = 0; i < frag.ncand && kept->ncand < SDP_MAX_CAND; i++)
			memcpy(kept->cand[kept->ncand++], frag.cand[i], sizeof(frag.cand[i]));
		kept->end_of_candidates |= frag.end_of_candidates;
	}
	c->wl_trickle_kept = true;
}

/* The peer's side and our DTLS role, then the session's parameters over the link's rings:
 * keys pending until DTLS gives them, or the keys of the running session (a re-INVITE
 * keeps the link and its keys). */
int app_webrtc_apply(struct app *a, struct app_call *c, const struct sdp_audio *peer,
		     enum sdp_setup ours,
		     const struct media_params *before, struct media_params *p, char *why,
		     size_t whylen)
{
	enum dtls_setup role = ours == SETUP_ACTIVE ? DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE;

	if (a->webrtc->set_remote(c->wl, &peer->rtc, role, why, whylen) != 0)
		return -1;
	c->wl_has_remote = true;
	c->wl_role = ours;
	snprintf(c->wl_mid, sizeof(c->wl_mid), "%s", peer->rtc.mid);
	if (c->wl_trickle_kept) {       /* INFOs that came before this SDP was taken */
		c->wl_trickle_kept = false;
		give_trickled(a, c, &c->wl_trickled);
	}
	if (!c->wl_pair[0])
		snprintf(c->wl_status, sizeof(c->wl_status), "ICE checking");
	p->rx_ring = a->webrtc->rx_ring(c->wl);
	p->tx_ring = a->webrtc->tx_ring(c->wl);
	if (before && before->rx_ring && !before->keys_pending) {
		p->suite = before->suite;
		p->key_len = before->key_len;
		memcpy(p->tx_key, before->tx_key, sizeof(p->tx_key));
		memcpy(p->rx_key, before->rx_key, sizeof(p->rx_key));
		p->keys_pending = false;
	} else {
		p->keys_pending = true;
	}
	return 0;
}

int app_webrtc_answer(struct app *a, struct app_call *c, const struct sdp_desc *offer,
		      enum media_dir dir, const struct media_params *before,
		      struct sdp_desc *answer, struct media_params *p, char *why, size_t whylen)
{
	struct sdp_webrtc local;

	/* A re-INVITE's offer goes to the link first: if it restarts ICE (new ice-ufrag and
	 * ice-pwd), our answer must carry the new credentials the restart makes. The role
	 * stays the call's (RFC 8842: a re-offer does not change the DTLS roles). */
	if (c->wl_has_remote &&
	    a->webrtc->set_remote(c->wl, &offer->audio.rtc, c->wl_role == SETUP_ACTIVE ?
				  DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE, why, whylen) != 0)
		return -1;
	a->webrtc->local(c->wl, &local);
	if (media_make_answer_webrtc(&a->cfg->media, offer, &local, dir, answer, p, why,
				     whylen) < 0)
		return -1;
	/* A re-offer says actpass whatever the roles were: our answer keeps ours (a browser
	 * that was the DTLS client when it answered our INVITE would otherwise read "active"
	 * from us too). */
	if (c->wl_has_remote)
		answer->audio.rtc.setup = c->wl_role;
	return app_webrtc_apply(a, c, &offer->audio, answer->audio.rtc.setup, before, p, why,
				whylen);
}

static void emit_webrtc(struct app *a, struct app_call *c, const char *state, const char *text)
{
	char buf[700];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "webrtc");
	jw_int(&w, "id", c->id);
	jw_str(&w, "state", state);
	jw_str(&w, "text", text);
	app_emit_w(a, &w);
}

static void take_keys(struct app *a, struct app_call *c, struct evq_event *ev)
{
	struct dtls_srtp_keys k;

	if (ev->data_len != sizeof(k))
		return;
	memcpy(&k, ev->data, sizeof(k));
	explicit_bzero(ev->data, sizeof(ev->data));
	c->params.suite = k.suite;
	c->params.key_len = k.key_len;
	memcpy(c->params.tx_key, k.tx_key, sizeof(c->params.tx_key));
	memcpy(c->params.rx_key, k.rx_key, sizeof(c->params.rx_key));
	c->params.keys_pending = false;
	snprintf(c->wl_status, sizeof(c->wl_status), "%s, DTLS-SRTP %s",
		 c->wl_pair[0] ? c->wl_pair : "ICE", srtp_suite_name(k.suite));
	explicit_bzero(&k, sizeof(k));
	emit_webrtc(a, c, "connected", ev->text);
	if (c->media_running)
		app_start_media(a, c);   /* the session now sends and plays: a media event */
}

void app_webrtc_on_event(struct app *a, struct app_call *c, struct evq_event *ev)
{
	if (!c->wl) {
		explicit_bzero(ev->data, sizeof(ev->data));
		return;
	}
	switch ((enum webrtc_link_ev)ev->a) {
	case WL_EV_GATHERING_DONE:
		c->wl_gathered = true;
		if (c->answer_when_gathered) {
			c->answer_when_gathered = false;
			app_answer_call(a, c, NULL, NULL);
		}
		if (c->invite_when_gathered) {
			c->invite_when_gathered = false;
			app_invite_now(a, c);
		}
		break;
	case WL_EV_ICE_CONNECTED:
		app_emit_log(a, "call %u: ICE connected: %s", c->id, ev->text);
		pair_types(ev->text, c->wl_pair, sizeof(c->wl_pair));
		if (c->params.keys_pending)
			snprintf(c->wl_status, sizeof(c->wl_status), "%s, DTLS under way",
				 c->wl_pair);
		emit_webrtc(a, c, "ice-connected", ev->text);
		break;
	case WL_EV_KEYS:
		app_emit_log(a, "call %u: %s", c->id, ev->text);
		take_keys(a, c, ev);
		break;
	case WL_EV_FAILED:
		app_emit_log(a, "call %u: %s", c->id, ev->text);
		snprintf(c->wl_status, sizeof(c->wl_status), "failed: %s", ev->text);
		emit_webrtc(a, c, "failed", ev->text);
		c->answer_when_gathered = false;
		app_hangup_call(a, c, 488, ev->text);   /* may free c */
		break;
	case WL_EV_WARNING:
		app_emit_log(a, "call %u: WebRTC: %s", c->id, ev->text);
		break;
	case WL_EV_CANDIDATE:     /* in the SDP once gathering is done: we do not trickle */
	case WL_EV_CLOSED:
		break;
	}
}
