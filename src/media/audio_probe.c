/* audio_probe.c: the start-up check for an audio server (see audio_probe.h). Uses libpulse's
 * asynchronous API because pa_simple has no timeout: a tunnel that is down can leave a
 * connect hanging, and quitting must never wait on that. */
#include "audio_probe.h"
#include "lib_pulse.h"
#include "evq.h"
#include "strutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROBE_DEADLINE_MS 3000

struct audio_probe {
	pthread_t thread;
	struct evq *evq;
	char server[CFG_STR];
};

static const char *server_name(const char *server, char *buf, size_t size)
{
	const char *env = getenv("PULSE_SERVER");

	if (server && *server)
		snprintf(buf, size, "%s", server);
	else if (env && *env)
		snprintf(buf, size, "%s (PULSE_SERVER)", env);
	else
		snprintf(buf, size, "the local PulseAudio");
	return buf;
}

/* libpulse's text for an error code (libpulse is loaded by whoever got the code). */
static const char *pa_error_text(int err)
{
	const struct lib_pulse *pa = lib_pulse(NULL, 0);

	return pa ? pa->strerror(err) : "libpulse is not loaded";
}

void audio_explain(const char *server, int pa_err, const char *what, const char *device,
		   char *out, size_t size)
{
	char name[CFG_STR + 32];
	const char *dir = what && !strcmp(what, "microphone") ? "sources" : "sinks";
	const char *key = what && !strcmp(what, "microphone") ? "capture" : "playback";

	server_name(server, name, sizeof(name));
	switch (pa_err) {
	case 0:
	case PA_ERR_CONNECTIONREFUSED:
	case PA_ERR_INVALIDSERVER:
	case PA_ERR_TIMEOUT:
	case PA_ERR_CONNECTIONTERMINATED:
		snprintf(out, size, "no audio server answers at %s (%s): calls connect without "
			 "sound. Fix: start PulseAudio (pulseaudio --start); over SSH, forward "
			 "yours with ssh -R 24713:localhost:4713 and set [audio] server = "
			 "tcp:127.0.0.1:24713 (README: Audio over SSH)", name,
			 pa_err ? pa_error_text(pa_err) : "no answer within 3 s");
		break;
	case PA_ERR_ACCESS:
	case PA_ERR_AUTHKEY:
		snprintf(out, size, "the audio server at %s refused us (%s). Fix: on your side "
			 "load module-native-protocol-tcp with auth-ip-acl=127.0.0.1, or copy your "
			 "~/.config/pulse/cookie to this machine", name, pa_error_text(pa_err));
		break;
	case PA_ERR_NOENTITY:
		snprintf(out, size, "the audio server at %s has no %s named \"%s\". Fix: set "
			 "[audio] %s to one that `pactl list short %s` shows, or leave it empty",
			 name, what ? what : "device", device ? device : "", key, dir);
		break;
	default:
		snprintf(out, size, "audio server at %s: %s: %s", name, what ? what : "connect",
			 pa_error_text(pa_err));
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void post(struct audio_probe *p, enum evq_kind kind, const char *text)
{
	struct evq_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.call_id = 0;
	str_copy(ev.text, sizeof(ev.text), text);
	evq_post(p->evq, &ev);
}

static void *probe_main(void *arg)
{
	struct audio_probe *p = arg;
	char why[sizeof(((struct evq_event *)0)->text)];
	const struct lib_pulse *pa = lib_pulse(why, sizeof(why));
	pa_mainloop *ml = pa ? pa->mainloop_new() : NULL;
	pa_context *ctx = ml ? pa->context_new(pa->mainloop_get_api(ml), "ttyphone-probe") : NULL;
	int64_t deadline = now_ms() + PROBE_DEADLINE_MS;
	pa_context_state_t st = PA_CONTEXT_UNCONNECTED;
	int err = 0;

	if (!pa) {
		post(p, EVQ_MEDIA_AUDIO_ERROR, why);
		return NULL;
	}
	if (!ctx || pa->context_connect(ctx, p->server[0] ? p->server : NULL,
				      PA_CONTEXT_NOAUTOSPAWN, NULL) < 0) {
		err = ctx ? pa->context_errno(ctx) : PA_ERR_INTERNAL;
	} else {
		for (;;) {
			int64_t left = deadline - now_ms();

			st = pa->context_get_state(ctx);
			if (st == PA_CONTEXT_READY || !PA_CONTEXT_IS_GOOD(st) || left <= 0)
				break;
			if (pa->mainloop_prepare(ml, (int)(left * 1000)) < 0 ||
			    pa->mainloop_poll(ml) < 0 || pa->mainloop_dispatch(ml) < 0)
				break;
		}
		if (st != PA_CONTEXT_READY)
			err = PA_CONTEXT_IS_GOOD(st) ? 0 : pa->context_errno(ctx);
	}
	if (st == PA_CONTEXT_READY) {
		post(p, EVQ_MEDIA_AUDIO_OK, "");
	} else {
		audio_explain(p->server, err, "connect", NULL, why, sizeof(why));
		post(p, EVQ_MEDIA_AUDIO_ERROR, why);
	}
	if (ctx) {
		pa->context_disconnect(ctx);
		pa->context_unref(ctx);
	}
	if (ml)
		pa->mainloop_free(ml);
	return NULL;
}

int audio_probe_start(struct audio_probe **pp, const struct audio_cfg *cfg, struct evq *evq)
{
	struct audio_probe *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return ENOMEM;
	p->evq = evq;
	str_copy(p->server, sizeof(p->server), cfg->server);
	err = pthread_create(&p->thread, NULL, probe_main, p);
	if (err) {
		free(p);
		return err;
	}
	*pp = p;
	return 0;
}

void audio_probe_free(struct audio_probe *p)
{
	if (!p)
		return;
	pthread_join(p->thread, NULL);
	free(p);
}
