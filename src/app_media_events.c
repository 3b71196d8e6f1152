/* app_media_events.c: what the media threads report (through the evq), and the periodic
 * stats while media runs. Part of the application state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "evq.h"
#include "sip/loop.h"

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
	app_emit_w(a, &w);
}

void app_on_evq(void *arg, int fd)
{
	struct app *a = arg;
	struct evq_event ev;

	(void)fd;
	while (evq_take(a->evq, &ev)) {
		struct app_call *c = app_call_by_id(a, ev.call_id);

		if (ev.call_id == 0 &&
		    (ev.kind == EVQ_MEDIA_AUDIO_ERROR || ev.kind == EVQ_MEDIA_AUDIO_OK)) {
			/* The start-up probe: no call yet, the user still needs to know. */
			if (ev.kind == EVQ_MEDIA_AUDIO_ERROR)
				app_emit_log(a, "audio: %s", ev.text);
			emit_audio(a, 0, ev.kind == EVQ_MEDIA_AUDIO_OK, ev.text);
			continue;
		}
		if (!c)
			continue;
		switch (ev.kind) {
		case EVQ_MEDIA_DTMF:
			app_emit_dtmf(a, c->id, (char)ev.a, "rfc4733");
			break;
		case EVQ_MEDIA_RTP_TIMEOUT: {
			char why[96];
			snprintf(why, sizeof(why), "no RTP from the peer for %u s",
				 a->cfg->media.rtp_timeout);
			app_emit_log(a, "call %u: %s: hanging up", c->id, why);
			app_hangup_call(a, c, 408, why);
			break;
		}
		case EVQ_MEDIA_AUDIO_ERROR:
			app_emit_log(a, "call %u: audio: %s", c->id, ev.text);
			emit_audio(a, c->id, false, ev.text);
			break;
		case EVQ_MEDIA_AUDIO_OK:
			emit_audio(a, c->id, true, NULL);
			break;
		case EVQ_MEDIA_SRTP_ERROR:
			app_emit_log(a, "call %u: SRTP: %s", c->id, ev.text);
			break;
		case EVQ_WEBRTC:
			app_webrtc_on_event(a, c, &ev);
			break;
		case EVQ_MEDIA_NEW_SSRC:
		case EVQ_WS_UP:      /* the WebSocket bridge has a queue of its own (src/sip) */
		case EVQ_WS_DOWN:
		case EVQ_WS_INFO:
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
	app_emit_w(a, &w);
}

void app_on_stats_timer(void *arg)
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
