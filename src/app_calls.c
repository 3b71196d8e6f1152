/* app_calls.c: the call table, and a call's media: offer, answer, start, hang-up. Part of
 * the application state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "strutil.h"
#include "sip/loop.h"

#include <string.h>

struct app_call *app_call_by_id(struct app *a, unsigned id)
{
	for (unsigned i = 0; i < APP_MAX_CALLS; i++)
		if (a->calls[i].used && a->calls[i].id == id)
			return &a->calls[i];
	return NULL;
}

struct app_call *app_call_new(struct app *a)
{
	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		if (!a->calls[i].used) {
			struct app_call *c = &a->calls[i];
			memset(c, 0, sizeof(*c));
			c->used = true;
			c->id = ++a->next_call_id;
			c->started = time(NULL);
			return c;
		}
	}
	return NULL;
}

void app_call_free(struct app *a, struct app_call *c)
{
	if (c->ms)
		media_session_free(c->ms);
	app_webrtc_end(a, c);
	if (a->active == c->id)
		a->active = 0;
	c->used = false;
	app_update_tones(a);
}

/* The call a command means: the id given, else the only/active/ringing one. */
struct app_call *app_pick_call(struct app *a, const char *arg, bool want_ringing,
			       app_reply_fn *reply, void *rarg)
{
	struct app_call *found = NULL;
	unsigned n = 0;

	if (arg && *arg) {
		unsigned long id;
		if (str_parse_uint(arg, 1, 1000000, &id) < 0 || !(found = app_call_by_id(a, (unsigned)id))) {
			char safe[64];
			str_escape_terminal(safe, sizeof(safe), arg, strlen(arg), false);
			app_reply_error(reply, rarg, "no call with id %s", safe);
			return NULL;
		}
		return found;
	}
	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		struct app_call *c = &a->calls[i];
		if (!c->used || c->state == CALL_ENDED)
			continue;
		if (want_ringing && c->state != CALL_INCOMING)
			continue;
		n++;
		found = c;
	}
	if (!want_ringing && a->active && app_call_by_id(a, a->active))
		return app_call_by_id(a, a->active);
	if (n == 1)
		return found;
	app_reply_error(reply, rarg, n ? "several calls: give a call id (see calls)" :
		    want_ringing ? "no ringing call" : "no call");
	return NULL;
}

struct app_call *app_call_of(struct sipua_call *sc)
{
	return sipua_call_owner(sc);
}

const char *app_local_addr_toward(struct app *a, const char *host, char *out, size_t size)
{
	(void)a;
	if (!host || !*host || media_local_addr_for(host, out, size) < 0)
		str_copy(out, size, "127.0.0.1");
	return out;
}

void app_stamp_origin(struct app_call *c, struct sdp_desc *d)
{
	if (!c->sdp_id)
		c->sdp_id = d->sess_id;
	d->sess_id = c->sdp_id;
	d->sess_version = ++c->sdp_version;
}

int app_make_offer_sdp(struct app *a, struct app_call *c, enum media_dir dir, char *sdp,
		       size_t size)
{
	if (c->wl) {
		struct sdp_webrtc local;

		app_webrtc_local(a, c, &local);
		if (media_make_offer_webrtc(&a->cfg->media, &local, dir, &c->offer) < 0)
			return -1;
	} else if (media_make_offer(&a->cfg->media, c->local_addr, media_session_port(c->ms),
				    dir, &c->offer) < 0) {
		return -1;
	}
	app_stamp_origin(c, &c->offer.offer);
	c->offer_pending = true;
	return sdp_write_desc(&c->offer.offer, sdp, size) < 0 ? -1 : 0;
}

static void report_media(struct app *a, struct app_call *c)
{
	struct media_stats s;
	char buf[512];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "media");
	jw_int(&w, "id", c->id);
	jw_str(&w, "codec", codec_config_name(c->params.codec));
	jw_int(&w, "rate", codec_sample_rate(c->params.codec));
	jw_bool(&w, "srtp", c->params.suite != SUITE_NONE && !c->params.keys_pending);
	if (c->wl)
		jw_str(&w, "transport", c->params.keys_pending ? "webrtc (DTLS under way)" :
		       "webrtc");
	{
		char remote[96];
		snprintf(remote, sizeof(remote), "%s:%u", c->params.remote_addr, c->params.remote_port);
		jw_str(&w, "remote", remote);
	}
	jw_str(&w, "direction", media_dir_name(c->params.dir));
	media_session_get_stats(c->ms, &s);
	jw_bool(&w, "aec", s.aec);
	app_emit_w(a, &w);
}

void app_start_media(struct app *a, struct app_call *c)
{
	if (media_session_start(c->ms, &c->params) < 0) {
		app_emit_log(a, "call %u: media could not start", c->id);
		return;
	}
	c->media_running = true;
	if (!a->stats_armed) {
		a->stats_armed = true;
		loop_timer_start(a->stats_timer, STATS_INTERVAL_MS);
	}
	report_media(a, c);
	c->media_reported = true;
}

/* Apply the peer's answer to our offer; false (with why) if unusable. */
bool app_take_answer(struct app *a, struct app_call *c, const char *sdp, size_t len, char *why,
		     size_t whylen)
{
	struct sdp_desc ans;
	struct media_params before = c->params, p;

	if (sdp_parse_desc(sdp, len, &ans, why, whylen) != 0)
		return false;
	if (media_take_answer(&a->cfg->media, &c->offer, &ans, &p, why, whylen) < 0)
		return false;
	/* Our role is the opposite of the answer's (RFC 5763: active unless it says passive). */
	if (c->wl && app_webrtc_apply(a, c, &ans.audio, ans.audio.rtc.setup == SETUP_PASSIVE ?
				      SETUP_ACTIVE : SETUP_PASSIVE, &before, &p, why, whylen) < 0)
		return false;
	c->params = p;
	c->offer_pending = false;
	c->remote_hold = ans.audio.dir == MEDIA_SENDONLY || ans.audio.dir == MEDIA_INACTIVE;
	app_start_media(a, c);
	return true;
}

void app_hangup_call(struct app *a, struct app_call *c, int code, const char *reason)
{
	if (c->state == CALL_ENDED)
		return;
	/* Once per state: a second CANCEL for the same INVITE is dropped by nua (and leaks);
	 * after a CANCEL that crossed the 200, the state changed and a BYE is due. */
	if (c->end_code && c->hangup_state == c->state)
		return;
	if (!c->end_code) {
		c->end_code = code;
		str_copy(c->end_reason, sizeof(c->end_reason), reason);
	}
	c->hangup_state = c->state;
	if (c->sc) {
		sipua_call_hangup(c->sc);
	} else if (c->invite_when_gathered) {
		/* A WebRTC call whose INVITE still waited for ICE gathering: nothing was sent. */
		c->invite_when_gathered = false;
		app_set_state(a, c, CALL_ENDED, code, reason);
		app_call_free(a, c);
	}
}
