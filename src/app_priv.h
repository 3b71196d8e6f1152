/* app_priv.h: what the files of the application state (app*.c) share: the state itself
 * and the functions one part calls in another. Not for use outside src/app*.c: app.h is
 * the interface. One thread, the loop's, runs all of it (see app.c). */
#ifndef TTY_APP_PRIV_H
#define TTY_APP_PRIV_H

#include "app.h"
#include "config.h"
#include "json.h"
#include "sdp.h"
#include "media/media.h"
#include "sip/sipua.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#define APP_MAX_CALLS 16
#define APP_MAX_LISTENERS 8
#define APP_SDP_MAX 4096
#define EVENT_MAX 8192
#define STATS_INTERVAL_MS 5000
#define ECHO_DELAY_MS 500

struct webrtc_link;
struct dtls_cert;
struct webrtc_api;
struct evq_event;
struct contact;
struct contacts;

/* What a call's WebRTC link hands to its ice thread's event hook. */
struct app_webrtc_ctx {
	struct evq *evq;
	unsigned call_id;
};

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
	uint64_t sdp_id, sdp_version;     /* our o= line: one id for the call, each SDP of
					   * ours one version up (RFC 3264 section 8) */
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
	/* WebRTC media (app_webrtc.c): NULL for plain RTP */
	struct webrtc_link *wl;
	struct app_webrtc_ctx wctx;       /* what the link's ice thread reads: set before it */
	bool wl_gathered;                 /* every local candidate known: SDP can be written */
	bool wl_has_remote;               /* the link has the peer's side, and our role: */
	enum sdp_setup wl_role;           /* our DTLS role, fixed for the call */
	char wl_mid[32];                  /* the audio m-line's a=mid (trickle fragments name it) */
	struct sdp_webrtc wl_trickled;    /* candidates trickled before the link had the SDP */
	bool wl_trickle_kept;             /* ... there are some, for app_webrtc_apply */
	bool answer_when_gathered;        /* answered before that: answer then */
	bool invite_when_gathered;        /* an outgoing call's INVITE waits for that */
	char invite_to[CFG_STR];
	char wl_pair[48];                 /* the ICE pair's candidate types: "host->relay" */
	char wl_status[160];              /* where the link stands, for the call panel */
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
	struct app_presence *pres;        /* app_presence.c; NULL until an account uses it */
	struct app_blf *blf;              /* app_blf.c; NULL until an account registers */
	bool watches_read[CFG_MAX_ACCOUNTS]; /* contacts.ini read for the account's watches */
	struct sipua_sub *mwi_sub[CFG_MAX_ACCOUNTS];   /* app_mwi.c */
	unsigned mwi_new[CFG_MAX_ACCOUNTS], mwi_old[CFG_MAX_ACCOUNTS];
	bool mwi_waiting[CFG_MAX_ACCOUNTS];
	bool mwi_retry[CFG_MAX_ACCOUNTS];  /* its end asked to be subscribed again */
	struct loop_timer *resub_timer;   /* app_resubscribe.c */
	bool resub_armed;
	uint64_t resub_due_ms, resub_last_ms;  /* monotonic: when it fires, when it last did */
	unsigned resub_doublings;         /* back-off: fires close together double the wait */
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
	struct dtls_cert *dtls_cert;      /* ours for WebRTC calls, loaded by the first one */
	const struct webrtc_api *webrtc;  /* ttyphone-webrtc.so, opened by the first one */
};

/* The user agents' callbacks (app_sip_events.c, app_echo.c). */
extern const struct sipua_events app_ua_events;
extern const struct sipua_events app_echo_events;

/* app_events.c: events out */
void app_emit_log(struct app *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void app_emit_w(struct app *a, struct jw *w);
void app_reply_error(app_reply_fn *reply, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void app_set_state(struct app *a, struct app_call *c, enum call_state st, int code,
		   const char *reason);
void app_update_tones(struct app *a);

/* app_calls.c: the call table and a call's media */
struct app_call *app_call_by_id(struct app *a, unsigned id);
void app_call_free(struct app *a, struct app_call *c);
struct app_call *app_call_new(struct app *a);
struct app_call *app_call_of(struct sipua_call *sc);
void app_hangup_call(struct app *a, struct app_call *c, int code, const char *reason);
const char *app_local_addr_toward(struct app *a, const char *host, char *out, size_t size);
/* Our SDP's o= line: the call's session id and the next version, in offers and answers
 * alike (a fresh answer would otherwise start a new origin, RFC 3264 section 8). */
void app_stamp_origin(struct app_call *c, struct sdp_desc *d);
int app_make_offer_sdp(struct app *a, struct app_call *c, enum media_dir dir, char *sdp,
		       size_t size);
struct app_call *app_pick_call(struct app *a, const char *arg, bool want_ringing,
			       app_reply_fn *reply, void *rarg);
void app_start_media(struct app *a, struct app_call *c);
bool app_take_answer(struct app *a, struct app_call *c, const char *sdp, size_t len, char *why,
		     size_t whylen);

/* app_sip_events.c: the main user agent's events */
void app_emit_dtmf(struct app *a, unsigned id, char digit, const char *via);

/* app_media_events.c: media events and stats */
void app_on_evq(void *arg, int fd);
void app_on_stats_timer(void *arg);

/* app_commands.c: commands */
void app_answer_call(struct app *a, struct app_call *c, app_reply_fn *reply, void *rarg);
void app_invite_now(struct app *a, struct app_call *c);

/* app_webrtc.c: a call's WebRTC link */
int app_webrtc_begin(struct app *a, struct app_call *c, bool controlling, char *why,
		     size_t whylen);
void app_webrtc_end(struct app *a, struct app_call *c);
void app_webrtc_local(struct app *a, struct app_call *c, struct sdp_webrtc *out);
int app_webrtc_apply(struct app *a, struct app_call *c, const struct sdp_audio *peer,
		     enum sdp_setup ours,
		     const struct media_params *before, struct media_params *p, char *why,
		     size_t whylen);
/* Our WebRTC answer to offer over the call's link (first answer: before NULL; a
 * re-INVITE: the running parameters, whose keys it keeps). */
int app_webrtc_answer(struct app *a, struct app_call *c, const struct sdp_desc *offer,
		      enum media_dir dir, const struct media_params *before,
		      struct sdp_desc *answer, struct media_params *p, char *why, size_t whylen);
void app_webrtc_on_event(struct app *a, struct app_call *c, struct evq_event *ev);
/* app_presence.c */
void app_presence_free(struct app *a);
/* book: the contacts at the account's first registration (read once for presence and
 * busy lamps), NULL at later ones. */
void app_presence_on_registered(struct app *a, unsigned acc_index,
				const struct contacts *book);
void app_presence_notify(struct app *a, void *owner, const char *event, const char *ctype,
			 const char *body, size_t len);
/* retry_s: when ended, the seconds after which asking again is worth it (0: never);
 * the busy lamp and voicemail handlers take it alike. */
void app_presence_sub_state(struct app *a, void *owner, const char *event, int code,
			    const char *reason, bool active, bool ended, unsigned retry_s);
/* Subscribe again the watches whose end asked for it (app_resubscribe.c's timer). */
void app_presence_resubscribe(struct app *a);
void app_presence_calls_changed(struct app *a);
/* A presence watch for contact (or uri alone: contact ""), subscribed now if acc is
 * registered, else when it registers; and its end. As app_blf_watch/unwatch. */
int app_presence_watch(struct app *a, const char *contact, const char *uri, unsigned acc,
		       char *why, size_t whylen);
bool app_presence_unwatch(struct app *a, const char *contact, const char *uri);
void app_presence_command(struct app *a, const char *state, const char *note,
			  app_reply_fn *reply, void *rarg);
/* app_watch.c: whether contact ct is called with account acc (its account, or the
 * default one when it names none) */
bool app_contact_is_for(const struct app *a, const struct contact *ct, unsigned acc);
/* app_blf.c */
void app_blf_free(struct app *a);
void app_blf_on_registered(struct app *a, unsigned acc_index, const struct contacts *book);
void app_blf_notify(struct app *a, void *owner, const char *body, size_t len);
void app_blf_sub_state(struct app *a, void *owner, int code, const char *reason, bool ended,
		       unsigned retry_s);
void app_blf_resubscribe(struct app *a);
/* A lamp for contact (or for uri alone: contact ""), subscribed now if acc is registered,
 * else when it registers. 0, or -1 with why. */
int app_blf_watch(struct app *a, const char *contact, const char *uri, unsigned acc,
		  char *why, size_t whylen);
/* Drop the lamp of contact (or of uri, contact ""); false when there is none. */
bool app_blf_unwatch(struct app *a, const char *contact, const char *uri);
/* What pickup dials for contact's ringing lamp, and on which account. 0, or -1 with why. */
int app_blf_pickup_target(struct app *a, const char *contact, char *out, size_t size,
			  unsigned *acc, char *why, size_t whylen);
/* app_mwi.c */
void app_mwi_on_registered(struct app *a, unsigned acc_index);
void app_mwi_notify(struct app *a, void *owner, const char *body, size_t len);
void app_mwi_sub_state(struct app *a, void *owner, int code, const char *reason, bool ended,
		       unsigned retry_s);
void app_mwi_resubscribe(struct app *a);
/* app_resubscribe.c: a subscription ended and may be asked for again after secs: one
 * timer for all of them, its wait doubling while ends keep coming (up to
 * SUB_RETRY_MAX_S), fresh again after a quiet while. */
void app_resubscribe_later(struct app *a, unsigned secs);
void app_on_resubscribe_timer(void *arg);
/* A SIP INFO's trickled candidates (application/trickle-ice-sdpfrag) for the call. */
void app_webrtc_trickle(struct app *a, struct app_call *c, const char *frag, size_t len);

#endif
