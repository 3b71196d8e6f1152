/* app_echo.c: the built-in echo service: a second user agent on 127.0.0.1 that answers
 * every call and plays back what it hears, ECHO_DELAY_MS later. Part of the application
 * state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"

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

const struct sipua_events app_echo_events = {
	.incoming = echo_incoming,
	.reoffer = echo_reoffer,
	.ended = echo_ended,
};
