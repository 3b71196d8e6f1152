/* app.c: application state and its rules (see app.h). One thread: the loop's. Commands
 * arrive through app_exec, SIP events through sipua callbacks, media events through the evq;
 * each state change becomes one JSON event for the listeners. */
#include "ttyconf.h"
#include "app.h"
#include "commands.h"
#include "contacts.h"
#include "evq.h"
#include "json.h"
#include "strutil.h"
#include "trace.h"
#include "sdp.h"
#include "media/media.h"
#include "media/audio_probe.h"
#include "media/tone.h"
#include "sip/listen.h"
#include "sip/loop.h"
#include "sip/sipua.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define APP_MAX_CALLS 16
#define APP_MAX_LISTENERS 8
#define APP_SDP_MAX 4096
#define EVENT_MAX 8192
#define STATS_INTERVAL_MS 5000
#define ECHO_DELAY_MS 500

struct app_call {
	bool used;
	unsigned id;
	enum call_state state;
	bool outgoing;
	char peer[CFG_STR];
	char display[128];
	char account[64];
	int code;
	char reason[200];
	int end_code;                     /* why we hung up (hangup_call), 0 = not us */
	char end_reason[200];
	enum call_state hangup_state;     /* the state we sent the CANCEL or BYE in */
	time_t started, answered;
	bool local_hold, remote_hold, muted;
	struct sipua_call *sc;
	struct sipua_acc *acc;
	struct media_session *ms;
	struct media_offer_state offer;   /* our last offer, until its answer */
	bool offer_pending;
	struct media_params params;
	bool media_running;
	bool media_reported;
	char local_addr[64];
	struct sdp_desc remote_offer;     /* incoming: the offer to answer */
	bool has_remote_offer;
	unsigned transfer_from;           /* call id whose REFER made this call */
	unsigned replaces_id;             /* incoming INVITE with Replaces for this call id */
	bool hangup_after_transfer;
};

/* The built-in echo service: a second user agent on 127.0.0.1 that answers every call
 * and plays back what it hears. */
struct echo_call {
	struct sipua_call *sc;
	struct media_session *ms;
};

struct app {
	struct loop *loop;
	struct config *cfg;
	struct trace *trace;
	FILE *trace_file;
	struct evq *evq;
	int evq_watch;
	struct sipua *ua;
	struct sipua_acc *accs[CFG_MAX_ACCOUNTS];
	enum reg_state reg[CFG_MAX_ACCOUNTS];
	int reg_code[CFG_MAX_ACCOUNTS];
	char reg_reason[CFG_MAX_ACCOUNTS][200];
	struct app_call calls[APP_MAX_CALLS];
	unsigned next_call_id;
	unsigned active;
	struct { app_listener_fn *fn; void *arg; } listeners[APP_MAX_LISTENERS];
	unsigned nlisteners;
	bool quit;
	void (*logger)(void *arg, const char *line);
	void *logger_arg;
	app_extension_fn *ext_fn;         /* history, messages, account (app_set_extension) */
	void *ext_arg;
	unsigned long next_msg_cookie;
	struct loop_timer *stats_timer;
	bool stats_armed;                 /* the stats timer runs only while media does */
	struct audio_probe *audio_probe;  /* start-up check of the audio server */
	struct tone_player *ring;         /* sounding while a call rings and none is up */
	struct tone_player *ringback;     /* sounding while the far end rings (no early media) */
	/* echo service */
	struct config echo_cfg;
	struct sipua *echo_ua;
	struct echo_call echo_calls[4];
	char echo_uri[96];
};

static const char *const reg_names[] = { "none", "registering", "registered", "unregistered",
					 "failed" };
static const char *const call_names[] = { "incoming", "calling", "ringing", "early",
					  "established", "held", "ended" };

const char *reg_state_name(enum reg_state s)
{
	return (unsigned)s < sizeof(reg_names) / sizeof(reg_names[0]) ? reg_names[s] : "?";
}

const char *call_state_name(enum call_state s)
{
	return (unsigned)s < sizeof(call_names) / sizeof(call_names[0]) ? call_names[s] : "?";
}

/* ---- events out ---- */

static void emit(struct app *a, const char *json)
{
	for (unsigned i = 0; i < a->nlisteners; i++)
		a->listeners[i].fn(a->listeners[i].arg, json);
}

static void emit_w(struct app *a, struct jw *w)
{
	const char *json = jw_end(w);

	if (json)
		emit(a, json);
}

static void emit_log(struct app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit_log(struct app *a, const char *fmt, ...)
{
	char raw[512], text[1024], buf[1400];
	struct jw w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Human texts quote things from the network and from commands: no raw control bytes. */
	str_escape_terminal(text, sizeof(text), raw, strlen(raw), false);
	if (a->logger)
		a->logger(a->logger_arg, text);
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "log");
	jw_str(&w, "text", text);
	emit_w(a, &w);
}

static void reply_error(app_reply_fn *reply, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_error(app_reply_fn *reply, void *arg, const char *fmt, ...)
{
	char raw[600], text[1200], buf[2000];
	struct jw w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	str_escape_terminal(text, sizeof(text), raw, strlen(raw), false);
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "error");
	jw_str(&w, "message", text);
	if (jw_end(&w) && reply)
		reply(arg, buf);
}

static void emit_call(struct app *a, struct app_call *c)
{
	char buf[2048];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "call");
	jw_int(&w, "id", c->id);
	jw_str(&w, "state", call_state_name(c->state));
	jw_str(&w, "peer", c->peer);
	if (c->display[0])
		jw_str(&w, "display", c->display);
	jw_str(&w, "direction", c->outgoing ? "out" : "in");
	if (c->account[0])
		jw_str(&w, "account", c->account);
	jw_int(&w, "code", c->code);
	jw_str(&w, "reason", c->reason);
	if (c->state == CALL_HELD) {
		jw_bool(&w, "local_hold", c->local_hold);
		jw_bool(&w, "remote_hold", c->remote_hold);
	}
	emit_w(a, &w);
}

/* Ring while a call rings and no other is up (with one up, the UI's bell is enough: a
 * tone would drown the conversation); ringback while our call rings at the far end without
 * early media. Decided from the calls' states after every change. */
static void update_tones(struct app *a)
{
	bool ring = false, ringback = false, talking = false;

	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		const struct app_call *c = &a->calls[i];
		if (!c->used)
			continue;
		ring |= c->state == CALL_INCOMING;
		ringback |= c->state == CALL_RINGING && !c->media_running;
		talking |= c->state == CALL_ESTABLISHED || c->state == CALL_HELD ||
			   c->state == CALL_EARLY;
	}
	ring &= !talking;
	ringback &= !talking && !ring;
	if (ring && !a->ring)
		a->ring = tone_start(&a->cfg->audio, TONE_RING);
	else if (!ring && a->ring) {
		tone_stop(a->ring);
		a->ring = NULL;
	}
	if (ringback && !a->ringback)
		a->ringback = tone_start(&a->cfg->audio, TONE_RINGBACK);
	else if (!ringback && a->ringback) {
		tone_stop(a->ringback);
		a->ringback = NULL;
	}
}

static void set_state(struct app *a, struct app_call *c, enum call_state st, int code,
		      const char *reason)
{
	c->state = st;
	c->code = code;
	str_copy(c->reason, sizeof(c->reason), reason ? reason : "");
	emit_call(a, c);
	update_tones(a);
}

/* ---- calls ---- */

static struct app_call *call_by_id(struct app *a, unsigned id)
{
	for (unsigned i = 0; i < APP_MAX_CALLS; i++)
		if (a->calls[i].used && a->calls[i].id == id)
			return &a->calls[i];
	return NULL;
}

static struct app_call *call_new(struct app *a)
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

static void call_free(struct app *a, struct app_call *c)
{
	if (c->ms)
		media_session_free(c->ms);
	if (a->active == c->id)
		a->active = 0;
	c->used = false;
	update_tones(a);
}

/* The call a command means: the id given, else the only/active/ringing one. */
static struct app_call *pick_call(struct app *a, const char *arg, bool want_ringing,
				  app_reply_fn *reply, void *rarg)
{
	struct app_call *found = NULL;
	unsigned n = 0;

	if (arg && *arg) {
		unsigned long id;
		if (str_parse_uint(arg, 1, 1000000, &id) < 0 || !(found = call_by_id(a, (unsigned)id))) {
			char safe[64];
			str_escape_terminal(safe, sizeof(safe), arg, strlen(arg), false);
			reply_error(reply, rarg, "no call with id %s", safe);
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
	if (!want_ringing && a->active && call_by_id(a, a->active))
		return call_by_id(a, a->active);
	if (n == 1)
		return found;
	reply_error(reply, rarg, n ? "several calls: give a call id (see calls)" :
		    want_ringing ? "no ringing call" : "no call");
	return NULL;
}

static struct app_call *call_of(struct sipua_call *sc)
{
	return sipua_call_owner(sc);
}

static const char *local_addr_toward(struct app *a, const char *host, char *out, size_t size)
{
	(void)a;
	if (!host || !*host || media_local_addr_for(host, out, size) < 0)
		str_copy(out, size, "127.0.0.1");
	return out;
}

static int make_offer_sdp(struct app *a, struct app_call *c, enum media_dir dir, char *sdp,
			  size_t size)
{
	if (media_make_offer(&a->cfg->media, c->local_addr, media_session_port(c->ms), dir,
			     &c->offer) < 0)
		return -1;
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
	jw_bool(&w, "srtp", c->params.suite != SUITE_NONE);
	{
		char remote[96];
		snprintf(remote, sizeof(remote), "%s:%u", c->params.remote_addr, c->params.remote_port);
		jw_str(&w, "remote", remote);
	}
	jw_str(&w, "direction", media_dir_name(c->params.dir));
	media_session_get_stats(c->ms, &s);
	jw_bool(&w, "aec", s.aec);
	emit_w(a, &w);
}

static void start_media(struct app *a, struct app_call *c)
{
	if (media_session_start(c->ms, &c->params) < 0) {
		emit_log(a, "call %u: media could not start", c->id);
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
static bool take_answer(struct app *a, struct app_call *c, const char *sdp, size_t len, char *why,
			size_t whylen)
{
	struct sdp_desc ans;

	if (sdp_parse_desc(sdp, len, &ans, why, whylen) != 0)
		return false;
	if (media_take_answer(&a->cfg->media, &c->offer, &ans, &c->params, why, whylen) < 0)
		return false;
	c->offer_pending = false;
	c->remote_hold = ans.audio.dir == MEDIA_SENDONLY || ans.audio.dir == MEDIA_INACTIVE;
	start_media(a, c);
	return true;
}

static void hangup_call(struct app *a, struct app_call *c, int code, const char *reason)
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
	if (c->sc)
		sipua_call_hangup(c->sc);
}

/* ---- sipua events (main user agent) ---- */

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
	emit_w(a, &w);
}

static void answer_call(struct app *a, struct app_call *c, app_reply_fn *reply, void *rarg);

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
	c = call_new(a);
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
			sipua_call_respond(sc, 488, rc > 0 ? "Not Acceptable Here (no audio)" :
					   "Not Acceptable Here (bad SDP)", NULL);
			emit_log(a, "incoming call from %s refused: %s", c->peer, why);
			sipua_call_set_owner(sc, NULL);
			c->used = false;
			return;
		}
		c->has_remote_offer = true;
	}
	if (in->replaces) {
		struct app_call *old = call_of(in->replaces);
		if (old)
			c->replaces_id = old->id;
	}
	set_state(a, c, CALL_INCOMING, 0, in->source);
	sipua_call_respond(sc, 180, "Ringing", NULL);
	/* An INVITE with Replaces takes over a call we already agreed to: answer it at once. */
	if (c->replaces_id || a->cfg->sip.auto_answer)
		answer_call(a, c, NULL, NULL);
}

static void ua_response(void *arg, struct sipua_call *sc, int code, const char *reason,
			const char *sdp, size_t sdp_len, bool reinvite)
{
	struct app *a = arg;
	struct app_call *c = call_of(sc);
	char why[300];

	if (!c)
		return;
	if (reinvite) {
		if (code >= 200 && code < 300) {
			if (sdp && !take_answer(a, c, sdp, sdp_len, why, sizeof(why)))
				emit_log(a, "call %u: re-INVITE answer unusable: %s", c->id, why);
			if (c->local_hold || c->remote_hold)
				set_state(a, c, CALL_HELD, code, c->local_hold ? "on hold" : "held by peer");
			else
				set_state(a, c, CALL_ESTABLISHED, code, reason);
		} else if (code >= 300) {
			/* The hold or resume did not happen: say so, keep the old state. */
			c->local_hold = c->state == CALL_HELD && c->local_hold ? !c->local_hold :
				c->local_hold;
			emit_log(a, "call %u: re-INVITE refused: %d %s", c->id, code, reason);
		}
		return;
	}
	if (code < 200) {
		if (sdp && c->offer_pending && take_answer(a, c, sdp, sdp_len, why, sizeof(why))) {
			set_state(a, c, CALL_EARLY, code, reason);
			return;
		}
		if (code > 100 && c->state == CALL_CALLING)
			set_state(a, c, sdp ? CALL_EARLY : CALL_RINGING, code, reason);
		return;
	}
	if (code < 300) {
		c->answered = time(NULL);
		if (sdp && c->offer_pending) {
			if (!take_answer(a, c, sdp, sdp_len, why, sizeof(why))) {
				emit_log(a, "call %u: %s", c->id, why);
				set_state(a, c, CALL_ESTABLISHED, code, reason);
				hangup_call(a, c, 488, why);
				return;
			}
		} else if (c->offer_pending) {
			hangup_call(a, c, 488, "answer without SDP");
			return;
		}
		a->active = c->id;
		set_state(a, c, CALL_ESTABLISHED, code, reason);
		/* Our CANCEL crossed their 200: the user hung up, so end it now with a BYE. */
		if (c->end_code)
			hangup_call(a, c, c->end_code, c->end_reason);
	}
	/* Failures end the call: ua_ended reports it with the code. */
}

static void ua_reoffer(void *arg, struct sipua_call *sc, const char *sdp, size_t len)
{
	struct app *a = arg;
	struct app_call *c = call_of(sc);
	struct sdp_desc offer, answer;
	struct media_params p;
	char why[300], text[APP_SDP_MAX];
	bool was_held;

	if (!c)
		return;
	if (!sdp) {
		/* An offer-less re-INVITE: offer our current session in the 200. */
		if (make_offer_sdp(a, c, c->local_hold ? MEDIA_SENDONLY : MEDIA_SENDRECV, text,
				   sizeof(text)) < 0) {
			sipua_call_respond(sc, 500, "Cannot make an offer", NULL);
			return;
		}
		sipua_call_respond(sc, 200, NULL, text);
		return;
	}
	if (sdp_parse_desc(sdp, len, &offer, why, sizeof(why)) != 0 ||
	    media_make_answer(&a->cfg->media, c->local_addr, media_session_port(c->ms), &offer,
			      c->local_hold ? MEDIA_SENDONLY : MEDIA_SENDRECV, &answer, &p, why,
			      sizeof(why)) < 0 ||
	    sdp_write_desc(&answer, text, sizeof(text)) < 0) {
		sipua_call_respond(sc, 488, "Not Acceptable Here", NULL);
		emit_log(a, "call %u: re-INVITE refused: %s", c->id, why);
		return;
	}
	sipua_call_respond(sc, 200, NULL, text);
	c->params = p;
	start_media(a, c);
	was_held = c->state == CALL_HELD;
	c->remote_hold = offer.audio.dir == MEDIA_SENDONLY || offer.audio.dir == MEDIA_INACTIVE;
	if (c->remote_hold || c->local_hold)
		set_state(a, c, CALL_HELD, 200, c->remote_hold ? "held by peer" : "on hold");
	else if (was_held)
		set_state(a, c, CALL_ESTABLISHED, 200, "resumed by peer");
}

static void ua_ack(void *arg, struct sipua_call *sc, const char *sdp, size_t len)
{
	struct app *a = arg;
	struct app_call *c = call_of(sc);
	char why[300];

	if (!c || c->state != CALL_INCOMING)
		return;
	if (c->offer_pending) {
		if (!sdp || !take_answer(a, c, sdp, len, why, sizeof(why))) {
			set_state(a, c, CALL_ESTABLISHED, 200, "OK");
			hangup_call(a, c, 488, sdp ? why : "ACK without the SDP answer");
			return;
		}
	}
	c->answered = time(NULL);
	a->active = c->id;
	set_state(a, c, CALL_ESTABLISHED, 200, "OK");
	if (c->replaces_id) {
		struct app_call *old = call_by_id(a, c->replaces_id);
		if (old)
			hangup_call(a, old, 200, "replaced by transfer");
	}
}

static void ua_ended(void *arg, struct sipua_call *sc, int code, const char *reason, bool by_peer)
{
	struct app *a = arg;
	struct app_call *c = call_of(sc);
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
	set_state(a, c, CALL_ENDED, code, why);
	call_free(a, c);
}

static void ua_refer(void *arg, struct sipua_call *sc, const char *to, const char *referred_by,
		     const char *replaces)
{
	struct app *a = arg;
	struct app_call *old = call_of(sc), *c;
	char sdp[APP_SDP_MAX], buf[1024];
	struct jw w;

	if (!old)
		return;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "transfer_request");
	jw_int(&w, "id", old->id);
	jw_str(&w, "to", to);
	jw_bool(&w, "attended", replaces != NULL);
	emit_w(a, &w);
	c = call_new(a);
	if (!c)
		return;
	c->outgoing = true;
	c->acc = old->acc;
	c->transfer_from = old->id;
	str_copy(c->account, sizeof(c->account), old->account);
	str_copy(c->peer, sizeof(c->peer), to);
	local_addr_toward(a, old->acc ? sipua_acc_server_host(old->acc) : sipua_call_peer_host(sc),
			  c->local_addr, sizeof(c->local_addr));
	if (media_session_alloc(&c->ms, &a->cfg->media, &a->cfg->audio, c->id, a->evq,
				c->local_addr) != 0 ||
	    make_offer_sdp(a, c, MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0 ||
	    sipua_call_invite(a->ua, &c->sc, c->acc, to, sdp, replaces, referred_by, sc) != 0) {
		emit_log(a, "transfer to %s failed: cannot start the call", to);
		call_free(a, c);
		return;
	}
	sipua_call_set_owner(c->sc, c);
	str_copy(c->peer, sizeof(c->peer), sipua_call_peer(c->sc));
	set_state(a, c, CALL_CALLING, 0, "transferred");
}

static void ua_transfer_status(void *arg, struct sipua_call *sc, int code, const char *reason)
{
	struct app *a = arg;
	struct app_call *c = call_of(sc);
	char buf[1024];
	struct jw w;

	if (!c)
		return;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "transfer");
	jw_int(&w, "id", c->id);
	jw_int(&w, "code", code);
	jw_str(&w, "reason", reason);
	emit_w(a, &w);
	/* The transfer succeeded: our leg has nothing left to do. */
	if (code >= 200 && code < 300 && c->hangup_after_transfer)
		hangup_call(a, c, 200, "transferred");
}

static void emit_dtmf(struct app *a, unsigned id, char digit, const char *via)
{
	char buf[256], d[2] = { digit, 0 };
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "dtmf");
	jw_int(&w, "id", id);
	jw_str(&w, "digit", d);
	jw_str(&w, "via", via);
	emit_w(a, &w);
}

static void ua_info_dtmf(void *arg, struct sipua_call *sc, char digit)
{
	struct app *a = arg;
	struct app_call *c = call_of(sc);

	if (c && strchr("0123456789*#ABCDabcd", digit))
		emit_dtmf(a, c->id, digit, "info");
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
	emit_w(a, &w);
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
	emit_w(a, &w);
}

static void ua_log(void *arg, const char *line)
{
	emit_log(arg, "%s", line);
}

static const struct sipua_events ua_events = {
	.reg = ua_reg,
	.incoming = ua_incoming,
	.response = ua_response,
	.reoffer = ua_reoffer,
	.ack = ua_ack,
	.ended = ua_ended,
	.refer = ua_refer,
	.transfer_status = ua_transfer_status,
	.info_dtmf = ua_info_dtmf,
	.message = ua_message,
	.message_status = ua_message_status,
	.log = ua_log,
};

/* ---- the echo service's user agent ---- */

static void echo_incoming(void *arg, struct sipua_call *sc, struct sipua_acc *acc,
			  const struct sipua_incoming *in)
{
	struct app *a = arg;
	struct echo_call *e = NULL;
	struct sdp_desc offer, answer;
	struct media_params p;
	char why[300], text[APP_SDP_MAX];

	(void)acc;
	for (unsigned i = 0; i < sizeof(a->echo_calls) / sizeof(a->echo_calls[0]); i++)
		if (!a->echo_calls[i].sc) {
			e = &a->echo_calls[i];
			break;
		}
	if (!e || !in->sdp) {
		sipua_call_respond(sc, 486, "Echo busy", NULL);
		return;
	}
	if (sdp_parse_desc(in->sdp, in->sdp_len, &offer, why, sizeof(why)) != 0 ||
	    media_session_alloc(&e->ms, &a->cfg->media, &a->cfg->audio, 0, NULL, "127.0.0.1") != 0) {
		sipua_call_respond(sc, 488, "Not Acceptable Here", NULL);
		return;
	}
	media_session_set_echo(e->ms, ECHO_DELAY_MS);
	if (media_make_answer(&a->cfg->media, "127.0.0.1", media_session_port(e->ms), &offer,
			      MEDIA_SENDRECV, &answer, &p, why, sizeof(why)) < 0 ||
	    sdp_write_desc(&answer, text, sizeof(text)) < 0 || media_session_start(e->ms, &p) < 0) {
		media_session_free(e->ms);
		e->ms = NULL;
		sipua_call_respond(sc, 488, "Not Acceptable Here", NULL);
		return;
	}
	e->sc = sc;
	sipua_call_set_owner(sc, e);
	sipua_call_respond(sc, 200, NULL, text);
}

static void echo_reoffer(void *arg, struct sipua_call *sc, const char *sdp, size_t len)
{
	struct app *a = arg;
	struct echo_call *e = sipua_call_owner(sc);
	struct sdp_desc offer, answer;
	struct media_params p;
	char why[300], text[APP_SDP_MAX];

	if (!e || !sdp || sdp_parse_desc(sdp, len, &offer, why, sizeof(why)) != 0 ||
	    media_make_answer(&a->cfg->media, "127.0.0.1", media_session_port(e->ms), &offer,
			      MEDIA_SENDRECV, &answer, &p, why, sizeof(why)) < 0 ||
	    sdp_write_desc(&answer, text, sizeof(text)) < 0) {
		sipua_call_respond(sc, 488, "Not Acceptable Here", NULL);
		return;
	}
	sipua_call_respond(sc, 200, NULL, text);
	media_session_start(e->ms, &p);
}

static void echo_ended(void *arg, struct sipua_call *sc, int code, const char *reason,
		       bool by_peer)
{
	struct echo_call *e = sipua_call_owner(sc);

	(void)arg;
	(void)code;
	(void)reason;
	(void)by_peer;
	if (!e)
		return;
	media_session_free(e->ms);
	e->ms = NULL;
	e->sc = NULL;
}

static const struct sipua_events echo_events = {
	.incoming = echo_incoming,
	.reoffer = echo_reoffer,
	.ended = echo_ended,
};

/* ---- media events ---- */

/* {"event":"audio"}: the audio server lost or back, for a call or (id 0) at start-up. */
static void emit_audio(struct app *a, unsigned id, bool ok, const char *reason)
{
	char buf[1400];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "audio");
	if (id)
		jw_int(&w, "id", id);
	jw_bool(&w, "ok", ok);
	if (!ok && reason)
		jw_str(&w, "reason", reason);
	emit_w(a, &w);
}

static void on_evq(void *arg, int fd)
{
	struct app *a = arg;
	struct evq_event ev;

	(void)fd;
	while (evq_take(a->evq, &ev)) {
		struct app_call *c = call_by_id(a, ev.call_id);

		if (ev.call_id == 0 &&
		    (ev.kind == EVQ_MEDIA_AUDIO_ERROR || ev.kind == EVQ_MEDIA_AUDIO_OK)) {
			/* The start-up probe: no call yet, the user still needs to know. */
			if (ev.kind == EVQ_MEDIA_AUDIO_ERROR)
				emit_log(a, "audio: %s", ev.text);
			emit_audio(a, 0, ev.kind == EVQ_MEDIA_AUDIO_OK, ev.text);
			continue;
		}
		if (!c)
			continue;
		switch (ev.kind) {
		case EVQ_MEDIA_DTMF:
			emit_dtmf(a, c->id, (char)ev.a, "rfc4733");
			break;
		case EVQ_MEDIA_RTP_TIMEOUT: {
			char why[96];
			snprintf(why, sizeof(why), "no RTP from the peer for %u s",
				 a->cfg->media.rtp_timeout);
			emit_log(a, "call %u: %s: hanging up", c->id, why);
			hangup_call(a, c, 408, why);
			break;
		}
		case EVQ_MEDIA_AUDIO_ERROR:
			emit_log(a, "call %u: audio: %s", c->id, ev.text);
			emit_audio(a, c->id, false, ev.text);
			break;
		case EVQ_MEDIA_AUDIO_OK:
			emit_audio(a, c->id, true, NULL);
			break;
		case EVQ_MEDIA_SRTP_ERROR:
			emit_log(a, "call %u: SRTP: %s", c->id, ev.text);
			break;
		case EVQ_MEDIA_NEW_SSRC:
			break;
		}
	}
}

static void emit_stats(struct app *a, struct app_call *c)
{
	struct media_stats s;
	char buf[1024];
	struct jw w;

	media_session_get_stats(c->ms, &s);
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "stats");
	jw_int(&w, "id", c->id);
	jw_str(&w, "codec", codec_config_name(s.codec));
	jw_bool(&w, "srtp", s.srtp);
	jw_int(&w, "sent", (long long)s.pkts_sent);
	jw_int(&w, "recv", (long long)s.pkts_recv);
	jw_int(&w, "lost", (long long)s.pkts_lost);
	jw_int(&w, "late", (long long)s.pkts_late);
	jw_int(&w, "concealed_ms", (long long)s.concealed_ms);
	jw_int(&w, "srtp_dropped", (long long)s.srtp_dropped);
	jw_int(&w, "wrong_source_dropped", (long long)s.wrong_source_dropped);
	jw_double(&w, "jitter_ms", s.jitter_ms);
	jw_double(&w, "rtt_ms", s.rtt_ms);
	jw_double(&w, "loss_pct", s.loss_pct);
	jw_int(&w, "jb_ms", s.jb_delay_ms);
	jw_int(&w, "jb_level_ms", s.jb_level_ms);
	jw_int(&w, "playout_wait_ms", s.playout_wait_ms);
	jw_int(&w, "underruns", (long long)s.jb_underruns);
	if (s.capture_ms >= 0)
		jw_int(&w, "capture_ms", s.capture_ms);
	if (s.playback_ms >= 0)
		jw_int(&w, "playback_ms", s.playback_ms);
	jw_int(&w, "playback_underruns", (long long)s.playback_underruns);
	jw_double(&w, "mic", s.mic_level);
	jw_double(&w, "spk", s.spk_level);
	jw_bool(&w, "audio_ok", s.audio_ok);
	jw_bool(&w, "aec", s.aec);
	jw_bool(&w, "realtime", s.realtime);
	emit_w(a, &w);
}

static void on_stats_timer(void *arg)
{
	struct app *a = arg;
	bool any = false;

	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		struct app_call *c = &a->calls[i];
		if (c->used && c->media_running && c->ms) {
			emit_stats(a, c);
			any = true;
		}
	}
	/* Only while some call has media: an idle phone must not wake up for nothing. */
	if (any)
		loop_timer_start(a->stats_timer, STATS_INTERVAL_MS);
	else
		a->stats_armed = false;
}

/* ---- commands ---- */

static struct sipua_acc *acc_by_name(struct app *a, const char *name)
{
	for (unsigned i = 0; i < a->cfg->naccounts; i++)
		if (!strcmp(a->cfg->accounts[i].name, name))
			return a->accs[i];
	return NULL;
}

static struct sipua_acc *default_acc(struct app *a)
{
	const struct account_cfg *d = config_default_account(a->cfg);

	return d ? acc_by_name(a, d->name) : NULL;
}

static bool is_uri(const char *to)
{
	return !strncasecmp(to, "sip:", 4) || !strncasecmp(to, "sips:", 5) ||
	       !strncasecmp(to, "tel:", 4);
}

/* "call bob" / "msg bob": a contact's first address (and its account), read from
 * contacts.ini each time so edits made by hand or in the UI count at once. Anything that
 * is not a contact is left as it is (a user name completed with the account's domain). */
static void resolve_contact(const char *name, char *out, size_t size, char *account,
			    size_t account_size)
{
	struct contact ct;

	str_copy(out, size, name);
	if (account_size)
		account[0] = '\0';
	if (is_uri(name) || strchr(name, '@'))
		return;
	if (contacts_lookup_default(name, &ct)) {
		str_copy(out, size, ct.uri[0]);
		str_copy(account, account_size, ct.account);
	}
}

static bool is_echo_target(const char *to)
{
	return !strcasecmp(to, "echo") || !strcasecmp(to, "sip:echo@local");
}

static void cmd_call(struct app *a, const struct command_line *cl, app_reply_fn *reply,
		     void *rarg)
{
	const char *to = cl->argv[0];
	struct sipua_acc *acc = NULL;
	struct app_call *c;
	char sdp[APP_SDP_MAX], resolved[CFG_STR], contact_acc[64];
	bool direct;

	if (!is_echo_target(to)) {
		resolve_contact(to, resolved, sizeof(resolved), contact_acc, sizeof(contact_acc));
		to = resolved;
	} else {
		contact_acc[0] = '\0';
	}

	if (is_echo_target(to)) {
		if (!a->echo_ua) {
			reply_error(reply, rarg, "the echo service is not running");
			return;
		}
		to = a->echo_uri;
		direct = true;
	} else {
		/* sip:user@host:port with a host part but no account named: a direct call when
		 * there is no account at all. */
		direct = a->cfg->naccounts == 0;
	}
	if (cl->argc > 1 || contact_acc[0]) {
		const char *name = cl->argc > 1 ? cl->argv[1] : contact_acc;
		acc = acc_by_name(a, name);
		if (!acc) {
			reply_error(reply, rarg, "no account named \"%s\"", name);
			return;
		}
	} else if (!direct) {
		acc = default_acc(a);
	}
	if (!acc && !strchr(to, '@') && !is_uri(to) && !is_echo_target(cl->argv[0])) {
		reply_error(reply, rarg, "call %s: no account to complete it with; use sip:user@host",
			    to);
		return;
	}
	c = call_new(a);
	if (!c) {
		reply_error(reply, rarg, "too many calls");
		return;
	}
	c->outgoing = true;
	c->acc = acc;
	if (acc)
		str_copy(c->account, sizeof(c->account), sipua_acc_cfg(acc)->name);
	{
		/* Our media address: the one the kernel uses toward the first SIP hop. */
		char host[160];
		const char *h = acc ? sipua_acc_server_host(acc) : NULL;
		if (!h) {
			const char *at = strchr(to, '@');
			str_copy(host, sizeof(host), at ? at + 1 : "127.0.0.1");
			host[strcspn(host, ":;>")] = '\0';
			h = host;
		}
		local_addr_toward(a, h, c->local_addr, sizeof(c->local_addr));
	}
	if (media_session_alloc(&c->ms, &a->cfg->media, &a->cfg->audio, c->id, a->evq,
				c->local_addr) != 0) {
		reply_error(reply, rarg, "no free RTP port in %u-%u", a->cfg->media.rtp_port_min,
			    a->cfg->media.rtp_port_max);
		call_free(a, c);
		return;
	}
	if (make_offer_sdp(a, c, MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0 ||
	    sipua_call_invite(a->ua, &c->sc, acc, to, sdp, NULL, NULL, NULL) != 0) {
		reply_error(reply, rarg, "cannot place the call to %s", to);
		call_free(a, c);
		return;
	}
	sipua_call_set_owner(c->sc, c);
	str_copy(c->peer, sizeof(c->peer), sipua_call_peer(c->sc));
	a->active = c->id;
	set_state(a, c, CALL_CALLING, 0, "");
}

static void answer_call(struct app *a, struct app_call *c, app_reply_fn *reply, void *rarg)
{
	struct sdp_desc answer;
	char why[300], sdp[APP_SDP_MAX];

	if (c->state != CALL_INCOMING) {
		reply_error(reply, rarg, "call %u is not ringing", c->id);
		return;
	}
	local_addr_toward(a, c->acc ? sipua_acc_server_host(c->acc) : sipua_call_peer_host(c->sc),
			  c->local_addr, sizeof(c->local_addr));
	if (!c->ms && media_session_alloc(&c->ms, &a->cfg->media, &a->cfg->audio, c->id, a->evq,
					  c->local_addr) != 0) {
		sipua_call_respond(c->sc, 500, "No RTP port", NULL);
		reply_error(reply, rarg, "no free RTP port");
		return;
	}
	if (!c->has_remote_offer) {
		/* No offer in the INVITE: we offer in the 200 and get the answer in the ACK. */
		if (make_offer_sdp(a, c, MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0) {
			sipua_call_respond(c->sc, 500, "Cannot make an offer", NULL);
			return;
		}
		sipua_call_respond(c->sc, 200, NULL, sdp);
		return;
	}
	if (media_make_answer(&a->cfg->media, c->local_addr, media_session_port(c->ms),
			      &c->remote_offer, MEDIA_SENDRECV, &answer, &c->params, why,
			      sizeof(why)) < 0 ||
	    sdp_write_desc(&answer, sdp, sizeof(sdp)) < 0) {
		sipua_call_respond(c->sc, 488, "Not Acceptable Here", NULL);
		str_copy(c->reason, sizeof(c->reason), why);
		emit_log(a, "call %u: cannot answer: %s", c->id, why);
		reply_error(reply, rarg, "call %u: %s", c->id, why);
		return;
	}
	sipua_call_respond(c->sc, 200, NULL, sdp);
	start_media(a, c);
}

static void cmd_hold(struct app *a, struct app_call *c, bool hold, app_reply_fn *reply, void *rarg)
{
	char sdp[APP_SDP_MAX];

	if (c->state != CALL_ESTABLISHED && c->state != CALL_HELD) {
		reply_error(reply, rarg, "call %u is not established", c->id);
		return;
	}
	if (c->local_hold == hold) {
		reply_error(reply, rarg, "call %u is %s", c->id, hold ? "already on hold" :
			    "not on hold");
		return;
	}
	if (make_offer_sdp(a, c, hold ? MEDIA_SENDONLY : MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0 ||
	    sipua_call_reinvite(c->sc, sdp) != 0) {
		reply_error(reply, rarg, "call %u: a re-INVITE is already under way", c->id);
		return;
	}
	c->local_hold = hold;
	if (!hold)
		a->active = c->id;
}

static void cmd_swap(struct app *a, app_reply_fn *reply, void *rarg)
{
	struct app_call *active = NULL, *held = NULL;

	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		struct app_call *c = &a->calls[i];
		if (!c->used)
			continue;
		if (c->state == CALL_ESTABLISHED && !active)
			active = c;
		else if (c->state == CALL_HELD && c->local_hold && !held)
			held = c;
	}
	if (!active || !held) {
		reply_error(reply, rarg, "swap needs an active call and a held one");
		return;
	}
	cmd_hold(a, active, true, reply, rarg);
	cmd_hold(a, held, false, reply, rarg);
}

static void cmd_dtmf(struct app *a, struct app_call *c, const char *digits, app_reply_fn *reply,
		     void *rarg)
{
	for (const char *d = digits; *d; d++) {
		if (!strchr("0123456789*#ABCDabcd", *d)) {
			reply_error(reply, rarg, "not a DTMF digit: '%c' (0-9 * # A-D)", *d);
			return;
		}
	}
	if (c->state != CALL_ESTABLISHED && c->state != CALL_EARLY) {
		reply_error(reply, rarg, "call %u is not established", c->id);
		return;
	}
	for (const char *d = digits; *d; d++) {
		if (a->cfg->sip.dtmf == DTMF_INFO || c->params.te_pt < 0 || !c->ms)
			sipua_call_info_dtmf(c->sc, *d);
		else if (media_session_dtmf(c->ms, *d) < 0)
			sipua_call_info_dtmf(c->sc, *d);
	}
}

static void reply_calls(struct app *a, app_reply_fn *reply, void *rarg, bool status)
{
	char buf[EVENT_MAX];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", status ? "status" : "calls");
	if (status) {
		jw_str(&w, "sip", app_local_contact(a));
		jw_str(&w, "version", PACKAGE_VERSION);
		jw_array_begin(&w, "accounts");
		for (unsigned i = 0; i < a->cfg->naccounts; i++) {
			jw_object_begin(&w, NULL);
			jw_str(&w, "name", a->cfg->accounts[i].name);
			jw_str(&w, "uri", a->cfg->accounts[i].uri);
			jw_str(&w, "state", reg_state_name(a->reg[i]));
			jw_int(&w, "code", a->reg_code[i]);
			jw_str(&w, "reason", a->reg_reason[i]);
			jw_object_end(&w);
		}
		jw_array_end(&w);
		jw_bool(&w, "echo", a->echo_ua != NULL);
	}
	jw_array_begin(&w, "calls");
	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		struct app_call *c = &a->calls[i];
		if (!c->used)
			continue;
		jw_object_begin(&w, NULL);
		jw_int(&w, "id", c->id);
		jw_str(&w, "state", call_state_name(c->state));
		jw_str(&w, "peer", c->peer);
		jw_str(&w, "direction", c->outgoing ? "out" : "in");
		jw_bool(&w, "active", a->active == c->id);
		if (c->media_running) {
			jw_str(&w, "codec", codec_config_name(c->params.codec));
			jw_bool(&w, "srtp", c->params.suite != SUITE_NONE);
		}
		jw_object_end(&w);
	}
	jw_array_end(&w);
	if (jw_end(&w) && reply)
		reply(rarg, buf);
}

static void reply_help(app_reply_fn *reply, void *rarg)
{
	char buf[EVENT_MAX];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "help");
	jw_array_begin(&w, "commands");
	for (unsigned i = 0; i < CMD_COUNT; i++) {
		jw_object_begin(&w, NULL);
		jw_str(&w, "name", command_table[i].name);
		jw_str(&w, "args", command_table[i].usage);
		jw_str(&w, "help", command_table[i].help);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	if (jw_end(&w) && reply)
		reply(rarg, buf);
}

static void for_accounts(struct app *a, const struct command_line *cl, bool reg,
			 app_reply_fn *reply, void *rarg)
{
	if (cl->argc) {
		struct sipua_acc *acc = acc_by_name(a, cl->argv[0]);
		if (!acc) {
			reply_error(reply, rarg, "no account named \"%s\"", cl->argv[0]);
			return;
		}
		reg ? sipua_register(acc) : sipua_unregister(acc);
		return;
	}
	if (!a->cfg->naccounts)
		reply_error(reply, rarg, "no account configured");
	for (unsigned i = 0; i < a->cfg->naccounts; i++)
		reg ? sipua_register(a->accs[i]) : sipua_unregister(a->accs[i]);
}

void app_exec(struct app *a, const char *line, app_reply_fn *reply, void *rarg)
{
	struct command_line cl;
	struct app_call *c;
	char why[300];

	if (command_parse(line, &cl, why, sizeof(why)) < 0) {
		if (strcmp(why, "empty command"))
			reply_error(reply, rarg, "%s", why);
		return;
	}
	switch (cl.def->id) {
	case CMD_register:
	case CMD_unregister:
		for_accounts(a, &cl, cl.def->id == CMD_register, reply, rarg);
		break;
	case CMD_call:
		cmd_call(a, &cl, reply, rarg);
		break;
	case CMD_answer:
		if ((c = pick_call(a, cl.argc ? cl.argv[0] : NULL, true, reply, rarg)))
			answer_call(a, c, reply, rarg);
		break;
	case CMD_reject: {
		unsigned long code = 486;
		if (cl.argc > 1 && str_parse_uint(cl.argv[1], 400, 699, &code) < 0) {
			reply_error(reply, rarg, "reject: code must be 400-699");
			break;
		}
		if (!(c = pick_call(a, cl.argc ? cl.argv[0] : NULL, true, reply, rarg)))
			break;
		if (c->state != CALL_INCOMING) {
			reply_error(reply, rarg, "call %u is not ringing", c->id);
			break;
		}
		sipua_call_respond(c->sc, (int)code, NULL, NULL);
		break;
	}
	case CMD_hangup:
		if ((c = pick_call(a, cl.argc ? cl.argv[0] : NULL, false, reply, rarg)))
			hangup_call(a, c, 200, "Hung up");
		break;
	case CMD_hold:
	case CMD_resume:
		if ((c = pick_call(a, cl.argc ? cl.argv[0] : NULL, false, reply, rarg)))
			cmd_hold(a, c, cl.def->id == CMD_hold, reply, rarg);
		break;
	case CMD_swap:
		cmd_swap(a, reply, rarg);
		break;
	case CMD_transfer:
		if (!(c = pick_call(a, cl.argc > 1 ? cl.argv[1] : NULL, false, reply, rarg)))
			break;
		if (c->state != CALL_ESTABLISHED && c->state != CALL_HELD) {
			reply_error(reply, rarg, "call %u is not established", c->id);
			break;
		}
		c->hangup_after_transfer = true;
		sipua_call_refer(c->sc, cl.argv[0], NULL);
		break;
	case CMD_atransfer: {
		struct app_call *c2;
		if (!(c = pick_call(a, cl.argv[0], false, reply, rarg)) ||
		    !(c2 = pick_call(a, cl.argv[1], false, reply, rarg)))
			break;
		if (c == c2 || !c->sc || !c2->sc) {
			reply_error(reply, rarg, "atransfer needs two different live calls");
			break;
		}
		c->hangup_after_transfer = true;
		sipua_call_refer(c->sc, c2->peer, c2->sc);
		break;
	}
	case CMD_dtmf:
		if ((c = pick_call(a, cl.argc > 1 ? cl.argv[1] : NULL, false, reply, rarg)))
			cmd_dtmf(a, c, cl.argv[0], reply, rarg);
		break;
	case CMD_mute:
		if ((c = pick_call(a, cl.argc ? cl.argv[0] : NULL, false, reply, rarg))) {
			c->muted = !c->muted;
			if (c->ms)
				media_session_mute(c->ms, c->muted);
			emit_log(a, "call %u: microphone %s", c->id, c->muted ? "muted" : "on");
		}
		break;
	case CMD_record:
		if ((c = pick_call(a, cl.argc > 1 ? cl.argv[1] : NULL, false, reply, rarg))) {
			bool off = !strcmp(cl.argv[0], "off");
			if (!c->ms || media_session_record(c->ms, off ? NULL : cl.argv[0]) < 0)
				reply_error(reply, rarg, "call %u: cannot record to %s: %s", c->id,
					    cl.argv[0], strerror(errno));
			else
				emit_log(a, "call %u: recording %s", c->id, off ? "stopped" : cl.argv[0]);
		}
		break;
	case CMD_msg: {
		struct sipua_acc *acc = default_acc(a);
		unsigned long cookie = ++a->next_msg_cookie;
		char buf[EVENT_MAX], to[CFG_STR], contact_acc[64];
		struct jw w;
		resolve_contact(cl.argv[0], to, sizeof(to), contact_acc, sizeof(contact_acc));
		if (contact_acc[0] && acc_by_name(a, contact_acc))
			acc = acc_by_name(a, contact_acc);
		/* sip:host:port has no user but is a whole address: an account-less peer's. */
		if (!acc && !strchr(to, '@') && !is_uri(to)) {
			reply_error(reply, rarg, "msg %s: no account; use sip:user@host", cl.argv[0]);
			break;
		}
		if (sipua_message(a->ua, acc, to, cl.argv[1], cookie) != 0) {
			reply_error(reply, rarg, "cannot send the message");
			break;
		}
		jw_begin(&w, buf, sizeof(buf));
		jw_str(&w, "event", "message_sent");
		jw_int(&w, "msg", (long long)cookie);
		jw_str(&w, "to", to);
		jw_str(&w, "body", cl.argv[1]);  /* the history records what was sent */
		emit_w(a, &w);
		break;
	}
	case CMD_calls:
		reply_calls(a, reply, rarg, false);
		break;
	case CMD_status:
		reply_calls(a, reply, rarg, true);
		break;
	case CMD_help:
		reply_help(reply, rarg);
		break;
	case CMD_history:
	case CMD_messages:
	case CMD_account:
		/* Handled outside app.c (history.c); see app_set_extension. */
		if (a->ext_fn)
			a->ext_fn(a->ext_arg, &cl, reply, rarg);
		else
			reply_error(reply, rarg, "%s: not available here", cl.def->name);
		break;
	case CMD_quit:
		a->quit = true;
		loop_quit(a->loop);
		break;
	case CMD_COUNT:
		break;
	}
}

/* ---- life cycle ---- */

int app_alloc(struct app **ap, struct loop *loop, struct config *cfg, char *why, size_t whylen)
{
	struct app *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return ENOMEM;
	a->loop = loop;
	a->cfg = cfg;
	a->evq_watch = -1;
	if ((err = trace_alloc(&a->trace, 2000, 8u << 20)) != 0 ||
	    (err = evq_alloc(&a->evq, 256)) != 0 ||
	    (err = loop_timer_alloc(loop, &a->stats_timer, on_stats_timer, a)) != 0) {
		snprintf(why, whylen, "out of memory");
		app_free(a);
		return err;
	}
	*ap = a;
	return 0;
}

int app_set_trace_file(struct app *a, const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "a");

	if (!f) {
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (a->trace_file)
		fclose(a->trace_file);
	a->trace_file = f;
	trace_set_file(a->trace, f);
	return 0;
}

static int start_echo(struct app *a, char *why, size_t whylen)
{
	config_defaults(&a->echo_cfg);
	str_copy(a->echo_cfg.sip.listen, sizeof(a->echo_cfg.sip.listen), "127.0.0.1:0");
	str_copy(a->echo_cfg.sip.user_agent, sizeof(a->echo_cfg.sip.user_agent),
		 "ttyphone-echo/" PACKAGE_VERSION);
	if (sipua_alloc(&a->echo_ua, a->loop, &a->echo_cfg, NULL, &echo_events, a, why, whylen) != 0)
		return -1;
	snprintf(a->echo_uri, sizeof(a->echo_uri), "sip:echo@%s", sipua_local_contact(a->echo_ua));
	return 0;
}

int app_start(struct app *a, char *why, size_t whylen)
{
	char buf[512], ewhy[256];
	struct jw w;

	if (sipua_alloc(&a->ua, a->loop, a->cfg, a->trace, &ua_events, a, why, whylen) != 0)
		return -1;
	for (unsigned i = 0; i < a->cfg->naccounts; i++) {
		if (sipua_acc_alloc(a->ua, &a->accs[i], &a->cfg->accounts[i]) != 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	a->evq_watch = loop_watch_fd(a->loop, evq_fd(a->evq), on_evq, a);
	if (a->evq_watch < 0) {
		snprintf(why, whylen, "cannot watch the media event queue");
		return -1;
	}
	if (start_echo(a, ewhy, sizeof(ewhy)) < 0)
		emit_log(a, "echo service unavailable: %s", ewhy);
	if (a->cfg->audio.backend == AUDIO_PULSE &&
	    audio_probe_start(&a->audio_probe, &a->cfg->audio, a->evq) != 0)
		emit_log(a, "cannot check the audio server");
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "ready");
	jw_str(&w, "version", PACKAGE_VERSION);
	jw_str(&w, "sip", sipua_local_contact(a->ua));
	jw_str(&w, "listen", sipua_listen(a->ua)->any_port ? "any" : "fixed");
	jw_int(&w, "accounts", a->cfg->naccounts);
	jw_bool(&w, "demo", a->cfg->naccounts == 0);
	emit_w(a, &w);
	if (sipua_listen(a->ua)->any_port && a->cfg->naccounts)
		emit_log(a, "SIP listens on %s:%u (%s, any free port: [sip] listen is not set)",
			 sipua_listen(a->ua)->host, sipua_listen(a->ua)->port,
			 sipua_listen(a->ua)->why_host);
	if (a->cfg->naccounts == 0)
		emit_log(a, "no account configured: demo mode. Try \"call echo\"; add an account "
			 "in %s (see ttyphone.conf(5))",
			 a->cfg->path[0] ? a->cfg->path : "~/.config/ttyphone/config.ini");
	for (unsigned i = 0; i < a->cfg->naccounts; i++)
		if (a->cfg->accounts[i].do_register)
			sipua_register(a->accs[i]);
	return 0;
}

/* Whether a SIP URI's host is this machine (127.x, localhost, ::1). */
static bool uri_on_loopback(const char *uri)
{
	const char *h = strchr(uri, '@');

	if (!h) {
		h = strchr(uri, ':');
		h = h ? h : uri - 1;
	}
	h++;
	return !strncmp(h, "127.", 4) || !strncasecmp(h, "localhost", 9) || !strncmp(h, "[::1]", 5);
}

int app_account_start(struct app *a, const struct account_cfg *acc, char *why, size_t whylen)
{
	unsigned i = a->cfg->naccounts;

	if (!a->ua) {
		snprintf(why, whylen, "the SIP stack is not running");
		return -1;
	}
	if (config_find_account(a->cfg, acc->name)) {
		snprintf(why, whylen, "an account called %s is already running", acc->name);
		return -1;
	}
	if (i >= CFG_MAX_ACCOUNTS) {
		snprintf(why, whylen, "at most %d accounts run at once", CFG_MAX_ACCOUNTS);
		return -1;
	}
	/* Demo mode (and a phone whose servers are all on this machine) listens on 127.0.0.1
	 * only, which reaches no server elsewhere: the next start, with this account in the
	 * config file, listens on the address that reaches its server. */
	if (!strncmp(sipua_listen(a->ua)->host, "127.", 4) &&
	    !uri_on_loopback(acc->outbound_proxy[0] ? acc->outbound_proxy :
			     acc->registrar[0] ? acc->registrar : acc->uri)) {
		snprintf(why, whylen, "SIP listens on %s only%s: restart ttyphone to register %s",
			 sipua_local_contact(a->ua), a->cfg->naccounts ? "" : " (demo mode)",
			 acc->name);
		return -1;
	}
	a->cfg->accounts[i] = *acc;
	if (sipua_acc_alloc(a->ua, &a->accs[i], &a->cfg->accounts[i]) != 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	a->reg[i] = REG_NONE;
	a->reg_code[i] = 0;
	a->reg_reason[i][0] = '\0';
	a->cfg->naccounts++;
	emit_log(a, "account %s added: %s", acc->name, acc->do_register ?
		 "registering" : "ready (register = no)");
	if (a->cfg->accounts[i].do_register)
		sipua_register(a->accs[i]);
	return 0;
}

void app_stop(struct app *a)
{
	for (unsigned i = 0; i < APP_MAX_CALLS; i++)
		if (a->calls[i].used && a->calls[i].sc)
			hangup_call(a, &a->calls[i], 200, "quit");
	if (a->ua) {
		for (unsigned i = 0; i < a->cfg->naccounts; i++)
			if (a->reg[i] == REG_REGISTERED)
				sipua_unregister(a->accs[i]);
		/* Give BYEs and un-REGISTERs two seconds to be answered (real time: a busy loop
		 * returns from each step at once). */
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			bool busy = false;
			for (unsigned k = 0; k < a->cfg->naccounts; k++)
				busy |= a->reg[k] == REG_REGISTERED;
			for (unsigned k = 0; k < APP_MAX_CALLS; k++)
				busy |= a->calls[k].used && a->calls[k].sc != NULL;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (!busy || (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > 2000)
				break;
			loop_step(a->loop, 50);
		}
		sipua_shutdown(a->ua, 5000);
	}
	if (a->echo_ua)
		sipua_shutdown(a->echo_ua, 2000);
}

void app_free(struct app *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < APP_MAX_CALLS; i++)
		if (a->calls[i].used)
			call_free(a, &a->calls[i]);
	for (unsigned i = 0; i < sizeof(a->echo_calls) / sizeof(a->echo_calls[0]); i++)
		if (a->echo_calls[i].ms)
			media_session_free(a->echo_calls[i].ms);
	audio_probe_free(a->audio_probe);
	tone_stop(a->ring);
	tone_stop(a->ringback);
	if (a->evq_watch >= 0)
		loop_unwatch(a->loop, a->evq_watch);
	loop_timer_free(a->stats_timer);
	sipua_free(a->echo_ua);
	sipua_free(a->ua);
	evq_free(a->evq);
	trace_free(a->trace);
	if (a->trace_file)
		fclose(a->trace_file);
	free(a);
}

int app_add_listener(struct app *a, app_listener_fn *fn, void *arg)
{
	if (a->nlisteners == APP_MAX_LISTENERS)
		return ENOSPC;
	a->listeners[a->nlisteners].fn = fn;
	a->listeners[a->nlisteners].arg = arg;
	a->nlisteners++;
	return 0;
}

void app_set_logger(struct app *a, void (*fn)(void *arg, const char *line), void *arg)
{
	a->logger = fn;
	a->logger_arg = arg;
}

void app_set_extension(struct app *a, app_extension_fn *fn, void *arg)
{
	a->ext_fn = fn;
	a->ext_arg = arg;
}

struct trace *app_trace(struct app *a)
{
	return a->trace;
}

const struct config *app_config(const struct app *a)
{
	return a->cfg;
}

unsigned app_account_count(const struct app *a)
{
	return a->cfg->naccounts;
}

void app_account_view(const struct app *a, unsigned i, struct app_account_view *v)
{
	const struct config *cfg = a->cfg;
	const struct account_cfg *d = config_default_account(cfg);

	v->name = cfg->accounts[i].name;
	v->uri = cfg->accounts[i].uri;
	v->state = a->reg[i];
	v->code = a->reg_code[i];
	v->reason = a->reg_reason[i];
	v->is_default = d == &cfg->accounts[i];
}

bool app_call_view(const struct app *a, unsigned idx, struct app_call_view *v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		const struct app_call *c = &a->calls[i];
		if (!c->used || n++ != idx)
			continue;
		v->id = c->id;
		v->state = c->state;
		v->outgoing = c->outgoing;
		v->peer = c->peer;
		v->display = c->display;
		v->account = c->account;
		v->code = c->code;
		v->reason = c->reason;
		v->started = c->started;
		v->answered = c->answered;
		v->local_hold = c->local_hold;
		v->remote_hold = c->remote_hold;
		v->muted = c->muted;
		v->media = c->media_running;
		v->srtp = c->media_running && c->params.suite != SUITE_NONE;
		v->codec = c->media_running ? codec_config_name(c->params.codec) : "";
		return true;
	}
	return false;
}

bool app_call_stats(struct app *a, unsigned id, struct media_stats *out)
{
	struct app_call *c = call_by_id(a, id);

	if (!c || !c->ms || !c->media_running)
		return false;
	media_session_get_stats(c->ms, out);
	return true;
}

unsigned app_active_call(const struct app *a)
{
	return a->active;
}

const char *app_local_contact(const struct app *a)
{
	return a->ua ? sipua_local_contact(a->ua) : "";
}
