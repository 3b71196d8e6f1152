/* sipua.h: the SIP user agent as the app sees it. Wraps Sofia-SIP's NUA (src/sip is the only
 * code that includes sofia-sip headers) and turns nua events into registration, call and message
 * events on our own terms. SDP passes through as text: media negotiation is the app's and
 * media module's job (nua's own offer/answer engine is off, NUTAG_MEDIA_ENABLE(0)).
 * Main thread only. */
#ifndef TTY_SIPUA_H
#define TTY_SIPUA_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"

struct loop;
struct trace;
struct sipua;
struct sipua_acc;
struct sip_listen;
struct sipua_call;

enum sipua_reg_state { SIPUA_REG_NONE, SIPUA_REG_REGISTERING, SIPUA_REG_REGISTERED,
	SIPUA_REG_UNREGISTERED, SIPUA_REG_FAILED };

struct sipua_incoming {
	const char *from_uri;
	const char *from_display;   /* may be NULL */
	const char *to_uri;
	const char *sdp;            /* offer, NULL when the INVITE had none */
	size_t sdp_len;
	struct sipua_call *replaces;/* INVITE with Replaces matching one of our calls */
	const char *referred_by;    /* may be NULL */
	const char *source;         /* "udp 1.2.3.4:5060" */
	const char *user_agent;     /* may be NULL */
};

struct sipua_events {
	void (*reg)(void *arg, struct sipua_acc *acc, enum sipua_reg_state st, int code,
		    const char *reason);
	/* A new INVITE. The app answers with sipua_call_respond() (now or later). */
	void (*incoming)(void *arg, struct sipua_call *call, struct sipua_acc *acc,
			 const struct sipua_incoming *in);
	/* A response to an INVITE we sent (first or re-INVITE). sdp is NULL without a body. */
	void (*response)(void *arg, struct sipua_call *call, int code, const char *reason,
			 const char *sdp, size_t sdp_len, bool reinvite);
	/* A re-INVITE from the peer: answer it with sipua_call_respond(call, 200, sdp). */
	void (*reoffer)(void *arg, struct sipua_call *call, const char *sdp, size_t sdp_len);
	/* The ACK for our 2xx: the call is confirmed. */
	void (*ack)(void *arg, struct sipua_call *call, const char *sdp, size_t sdp_len);
	/* The call is over (BYE, CANCEL, failure, timeout). The sipua_call is freed after. */
	void (*ended)(void *arg, struct sipua_call *call, int code, const char *reason,
		      bool by_peer);
	/* The peer asks us to call refer_to (a transfer). replaces: the Replaces value, or NULL. */
	void (*refer)(void *arg, struct sipua_call *call, const char *refer_to,
		      const char *referred_by, const char *replaces);
	/* Progress of a transfer we asked for (sipfrag status of the new call). */
	void (*transfer_status)(void *arg, struct sipua_call *call, int code, const char *reason);
	void (*info_dtmf)(void *arg, struct sipua_call *call, char digit);
	/* An INFO with trickled ICE candidates (RFC 8840 application/trickle-ice-sdpfrag):
	 * the body as it came, for sdp_parse_frag. */
	void (*info_trickle)(void *arg, struct sipua_call *call, const char *frag, size_t len);
	void (*message)(void *arg, struct sipua_acc *acc, const char *from_uri,
			const char *from_display, const char *content_type, const char *body,
			size_t len);
	void (*message_status)(void *arg, unsigned long cookie, const char *to, int code,
			       const char *reason);
	/* A NOTIFY of a subscription (sipua_subscribe): owner as given, its event package,
	 * the body as it came (for src/presence/). */
	void (*notify)(void *arg, void *owner, const char *event, const char *content_type,
		       const char *body, size_t len);
	/* Where a subscription stands: active after a 2xx; ended (the handle is gone then)
	 * after a refusal, the server's terminated NOTIFY (code 0; ss_reason its
	 * Subscription-State reason, "" if none), or our un-SUBSCRIBE. retry_after: the
	 * server's Retry-After or retry-after parameter in seconds, 0 if none. */
	void (*sub_state)(void *arg, void *owner, const char *event, int code,
			  const char *reason, bool active, bool ended, const char *ss_reason,
			  unsigned retry_after);
	void (*publish_status)(void *arg, struct sipua_acc *acc, int code, const char *reason);
	/* Human log line (stderr in headless mode, status line in the TUI). */
	void (*log)(void *arg, const char *line);
};

int sipua_alloc(struct sipua **uap, struct loop *loop, const struct config *cfg,
		struct trace *trace, const struct sipua_events *ev, void *arg, char *why,
		size_t whylen);
/* Start an orderly shutdown (un-REGISTER, BYE); returns once done or after timeout_ms. */
void sipua_shutdown(struct sipua *ua, unsigned timeout_ms);
void sipua_free(struct sipua *ua);
/* The address:port we listen on for UDP/TCP (after binding an ephemeral port). */
const char *sipua_local_contact(const struct sipua *ua);
/* Where SIP listens: the bound address and port, whether the port was ours to pick
 * (listen unset, or port 0), and how the address was chosen (sip/listen.h). */
const struct sip_listen *sipua_listen(const struct sipua *ua);

int sipua_acc_alloc(struct sipua *ua, struct sipua_acc **accp, const struct account_cfg *cfg);
const struct account_cfg *sipua_acc_cfg(const struct sipua_acc *acc);
int sipua_register(struct sipua_acc *acc);
int sipua_unregister(struct sipua_acc *acc);
/* The registrar's host (for the trusted-source filter and media address choice). */
const char *sipua_acc_server_host(const struct sipua_acc *acc);

/* Outgoing call. acc may be NULL for a direct sip:user@host:port call. */
int sipua_call_invite(struct sipua *ua, struct sipua_call **callp, struct sipua_acc *acc,
		      const char *to, const char *sdp, const char *replaces, const char *referred_by,
		      struct sipua_call *notify_refer);
/* Answer or reject an incoming INVITE or re-INVITE: 180, 183 (sdp), 200 (sdp), 486, 603... */
int sipua_call_respond(struct sipua_call *call, int code, const char *reason, const char *sdp);
/* Send a re-INVITE with this SDP (hold, resume, new keys). */
int sipua_call_reinvite(struct sipua_call *call, const char *sdp);
/* CANCEL before an answer, BYE after. */
int sipua_call_hangup(struct sipua_call *call);
int sipua_call_refer(struct sipua_call *call, const char *to, struct sipua_call *replaces);
int sipua_call_info_dtmf(struct sipua_call *call, char digit);

/* Subscriptions (RFC 6665) through acc (NULL: direct), refreshed by nua until
 * unsubscribed. 0 or ENOMEM. */
struct sipua_sub;
int sipua_subscribe(struct sipua *ua, struct sipua_acc *acc, const char *uri, const char *event,
		    const char *accept, unsigned expires, void *owner, struct sipua_sub **out);
/* End it (un-SUBSCRIBE; sub_state says ended when done). s is invalid afterwards. */
void sipua_unsubscribe(struct sipua_sub *s);
bool sipua_sub_live(const struct sipua *ua, const struct sipua_sub *s);
/* Our presence document (application/pidf+xml) PUBLISHed for acc; a new one replaces it. */
int sipua_publish(struct sipua *ua, struct sipua_acc *acc, const char *pidf, unsigned expires);
void sipua_call_set_owner(struct sipua_call *call, void *owner);
void *sipua_call_owner(const struct sipua_call *call);
/* The peer's URI (To for outgoing, From for incoming). */
const char *sipua_call_peer(const struct sipua_call *call);
/* The peer's signalling host (to pick our media address toward it). */
const char *sipua_call_peer_host(const struct sipua_call *call);

/* Send a MESSAGE; the result comes back as message_status with cookie. */
int sipua_message(struct sipua *ua, struct sipua_acc *acc, const char *to, const char *text,
		  unsigned long cookie);

#endif
