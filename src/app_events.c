/* app_events.c: the JSON events to the listeners, the rules of a call's state that make
 * them, and the ring tones that follow the calls' states. Part of the application state
 * (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "strutil.h"
#include "media/tone.h"

#include <stdarg.h>
#include <string.h>

static void emit(struct app *a, const char *json)
{
	for (unsigned i = 0; i < a->nlisteners; i++)
		a->listeners[i].fn(a->listeners[i].arg, json);
}

void app_emit_w(struct app *a, struct jw *w)
{
	const char *json = jw_end(w);

	if (json)
		emit(a, json);
}

void app_emit_log(struct app *a, const char *fmt, ...)
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
	app_emit_w(a, &w);
}

void app_reply_error(app_reply_fn *reply, void *arg, const char *fmt, ...)
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
	app_emit_w(a, &w);
}

/* Ring while a call rings and no other is up (with one up, the UI's bell is enough: a
 * tone would drown the conversation); ringback while our call rings at the far end without
 * early media. Decided from the calls' states after every change. */
void app_update_tones(struct app *a)
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

void app_set_state(struct app *a, struct app_call *c, enum call_state st, int code,
		   const char *reason)
{
	c->state = st;
	c->code = code;
	str_copy(c->reason, sizeof(c->reason), reason ? reason : "");
	emit_call(a, c);
	app_update_tones(a);
	app_presence_calls_changed(a);
}
