/* app.c: application state and its rules (see app.h): its life cycle and the views the
 * front ends read. One thread: the loop's. Commands arrive through app_exec
 * (app_commands.c), SIP events through sipua callbacks (app_sip_events.c, app_echo.c),
 * media events through the evq (app_media_events.c); each state change becomes one JSON
 * event for the listeners (app_events.c); the call table is app_calls.c. */
#include "ttyconf.h"
#include "app_priv.h"
#include "media/webrtc/dtls_cert.h"
#include "evq.h"
#include "strutil.h"
#include "trace.h"
#include "media/audio_probe.h"
#include "media/tone.h"
#include "sip/listen.h"
#include "sip/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	    (err = loop_timer_alloc(loop, &a->stats_timer, app_on_stats_timer, a)) != 0 ||
	    (err = loop_timer_alloc(loop, &a->resub_timer, app_on_resubscribe_timer, a)) != 0) {
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
	if (sipua_alloc(&a->echo_ua, a->loop, &a->echo_cfg, NULL, &app_echo_events, a, why,
			whylen) != 0)
		return -1;
	snprintf(a->echo_uri, sizeof(a->echo_uri), "sip:echo@%s", sipua_local_contact(a->echo_ua));
	return 0;
}

int app_start(struct app *a, char *why, size_t whylen)
{
	char buf[512], ewhy[256];
	struct jw w;

	if (sipua_alloc(&a->ua, a->loop, a->cfg, a->trace, &app_ua_events, a, why, whylen) != 0)
		return -1;
	for (unsigned i = 0; i < a->cfg->naccounts; i++) {
		if (sipua_acc_alloc(a->ua, &a->accs[i], &a->cfg->accounts[i]) != 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	a->evq_watch = loop_watch_fd(a->loop, evq_fd(a->evq), app_on_evq, a);
	if (a->evq_watch < 0) {
		snprintf(why, whylen, "cannot watch the media event queue");
		return -1;
	}
	if (start_echo(a, ewhy, sizeof(ewhy)) < 0)
		app_emit_log(a, "echo service unavailable: %s", ewhy);
	if (a->cfg->audio.backend == AUDIO_PULSE &&
	    audio_probe_start(&a->audio_probe, &a->cfg->audio, a->evq) != 0)
		app_emit_log(a, "cannot check the audio server");
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "ready");
	jw_str(&w, "version", PACKAGE_VERSION);
	jw_str(&w, "sip", sipua_local_contact(a->ua));
	jw_str(&w, "listen", sipua_listen(a->ua)->any_port ? "any" : "fixed");
	jw_int(&w, "accounts", a->cfg->naccounts);
	jw_bool(&w, "demo", a->cfg->naccounts == 0);
	app_emit_w(a, &w);
	if (sipua_listen(a->ua)->any_port && a->cfg->naccounts)
		app_emit_log(a, "SIP listens on %s:%u (%s, any free port: [sip] listen is not set)",
			 sipua_listen(a->ua)->host, sipua_listen(a->ua)->port,
			 sipua_listen(a->ua)->why_host);
	if (a->cfg->naccounts == 0)
		app_emit_log(a, "no account configured: demo mode. Try \"call echo\"; add an account "
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
	app_emit_log(a, "account %s added: %s", acc->name, acc->do_register ?
		 "registering" : "ready (register = no)");
	if (a->cfg->accounts[i].do_register)
		sipua_register(a->accs[i]);
	return 0;
}

void app_stop(struct app *a)
{
	for (unsigned i = 0; i < APP_MAX_CALLS; i++)
		if (a->calls[i].used && a->calls[i].sc)
			app_hangup_call(a, &a->calls[i], 200, "quit");
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
			app_call_free(a, &a->calls[i]);
	for (unsigned i = 0; i < sizeof(a->echo_calls) / sizeof(a->echo_calls[0]); i++)
		if (a->echo_calls[i].ms)
			media_session_free(a->echo_calls[i].ms);
	audio_probe_free(a->audio_probe);
	dtls_cert_free(a->dtls_cert);    /* after the calls: each link held a reference */
	app_presence_free(a);
	app_blf_free(a);
	tone_stop(a->ring);
	tone_stop(a->ringback);
	if (a->evq_watch >= 0)
		loop_unwatch(a->loop, a->evq_watch);
	loop_timer_free(a->stats_timer);
	loop_timer_free(a->resub_timer);
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
		v->webrtc = c->wl ? c->wl_status : "";
		return true;
	}
	return false;
}

bool app_call_stats(struct app *a, unsigned id, struct media_stats *out)
{
	struct app_call *c = app_call_by_id(a, id);

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
