/* sipua_priv.h: what the files of src/sip that wrap NUA share (sipua.c: the stack,
 * registration, calls, messages; sipua_ws.c: accounts over a WebSocket). Nothing outside
 * src/sip includes it. */
#ifndef TTY_SIPUA_PRIV_H
#define TTY_SIPUA_PRIV_H

struct sipua;
union sipua_hnd;
#define NUA_MAGIC_T struct sipua
#define NUA_HMAGIC_T union sipua_hnd
#define SU_TIMER_ARG_T struct sipua_acc

#include <sofia-sip/su_config.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/url.h>

#include "sipua.h"
#include "evq.h"
#include "listen.h"
#include "loop.h"
#include "nua_defer.h"
#include "strutil.h"
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define RETRY_MIN_MS 5000
#define RETRY_MAX_MS 300000

enum hnd_kind { HND_ACC = 1, HND_CALL, HND_MSG, HND_KA, HND_SUB, HND_PUB };

struct sipua_acc {
	enum hnd_kind kind;            /* must stay first: handles are told apart by it */
	struct sipua *ua;
	struct account_cfg cfg;
	nua_handle_t *nh;
	char from[CFG_STR + 140];      /* "Display" <sip:user@domain> */
	char registrar[CFG_STR + 32];
	char route[CFG_STR + 40];      /* <proxy;lr> preloaded on calls and messages, or empty */
	char server_host[128];
	enum sipua_reg_state state;
	bool want_registered;
	unsigned auth_tries;
	unsigned retry_ms;
	su_timer_t *retry;
	/* Keep-alive: an OPTIONS to the registrar every cfg keepalive seconds. It keeps NAT
	 * bindings open (nua's own keep-alive did not fire here, SOFIA-NOTES 6) and notices a
	 * server that went away or came back, so we re-register by ourselves. */
	struct { enum hnd_kind kind; struct sipua_acc *acc; } ka;
	nua_handle_t *ka_nh;
	su_timer_t *ka_timer;
	bool ka_lost;                  /* the last keep-alive got no answer */
	bool ka_pending;               /* an OPTIONS is out, unanswered */
	/* Where the registrar is, learnt when it accepts us: with trusted_only, requests from
	 * anywhere else are refused. The port counts only when the URI names one (with DNS SRV
	 * the real port is not ours to know). */
	struct sockaddr_storage server[4];
	unsigned nserver;
	bool server_port_known;
	/* Over TCP/TLS: the far end of the connection the last 2xx to our REGISTER came in
	 * on, which is the registrar's (or outbound proxy's) listening address and port. */
	struct sockaddr_storage conn;
	bool conn_known;
	/* transport = ws/wss: the bridge Sofia reaches as its outbound proxy, and its URL
	 * (sip:127.0.0.1:PORT;transport=tcp); empty for other transports. */
	struct ws_bridge *ws;
	char proxy[64];
	char ws_why[300];              /* why it is down, for the reg event and the log */
	unsigned retry_min_ms, retry_max_ms;
	/* Our presence PUBLISH (sipua_subscribe.c): its own handle, refreshed by nua. */
	struct { enum hnd_kind kind; struct sipua_acc *acc; } pub;
	nua_handle_t *pub_nh;
	unsigned pub_auth_tries;
};

struct sipua_call {
	enum hnd_kind kind;
	struct sipua *ua;
	struct sipua_call *next;       /* in ua->calls, so a stored pointer can be checked */
	struct sipua_call *notify_to;  /* a transfer: the call whose REFER we report on */
	struct sipua_acc *acc;
	nua_handle_t *nh;
	void *owner;
	bool outgoing;
	bool answered;                 /* 2xx sent or received */
	bool reinvite_out;             /* our re-INVITE is waiting for its answer */
	bool ended_reported;
	bool by_peer;
	bool got_offer;                /* the incoming INVITE carried SDP */
	int last_code;
	char last_reason[128];
	unsigned auth_tries;
	sip_event_t *refer_event;      /* from a REFER we accepted: for the NOTIFYs of the new call */
	char peer[CFG_STR];
	char peer_host[128];
};

struct sipua_msg {
	enum hnd_kind kind;
	struct sipua *ua;
	struct sipua_msg *next;        /* in ua->msgs, so those still out at quit are freed */
	struct sipua_acc *acc;
	nua_handle_t *nh;
	unsigned long cookie;
	unsigned auth_tries;
	char to[CFG_STR];
};

/* One SUBSCRIBE dialog (sipua_subscribe.c). */
struct sipua_sub {
	enum hnd_kind kind;
	struct sipua *ua;
	struct sipua_sub *next;        /* in ua->subs */
	struct sipua_acc *acc;
	nua_handle_t *nh;
	void *owner;                   /* the app's, given back with every event */
	char event[32];                /* "presence", "dialog", "message-summary" */
	bool active;                   /* a 2xx came: an un-SUBSCRIBE must be sent */
	bool waiting;                  /* queued behind SUB_WINDOW others: not sent yet */
	bool in_flight;                /* sent, no final answer yet (counts in the window) */
	char accept[64];
	unsigned expires;
	unsigned auth_tries;
};

union sipua_hnd {
	enum hnd_kind kind;
	struct sipua_acc acc;
	struct sipua_call call;
	struct sipua_msg msg;
	struct sipua_sub sub;
};

struct sipua {
	su_home_t home[1];
	struct loop *loop;
	su_root_t *root;
	nua_t *nua;
	const struct config *cfg;
	struct trace *trace;
	const struct sipua_events *ev;
	void *arg;
	struct sipua_acc *accs[CFG_MAX_ACCOUNTS];
	unsigned naccs;
	struct sipua_call *calls;      /* live calls */
	struct sipua_msg *msgs;        /* MESSAGEs waiting for their answer */
	struct sipua_sub *subs;        /* subscriptions, live or being ended */
	unsigned subs_in_flight;       /* initial SUBSCRIBEs not answered yet */
	char contact[96];              /* host:port we listen on */
	struct sip_listen listen;      /* where, and whether the port was ours to pick */
	char certdir[CFG_PATH];
	bool shutdown_done;
	unsigned long refused;         /* requests refused by trusted_only */
	struct evq *ws_notes;          /* from the accounts' WebSocket bridges */
	int ws_watch;
};


void sipua_say(struct sipua *ua, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sipua_report_reg(struct sipua_acc *acc, enum sipua_reg_state st, int code,
		      const char *reason);
void sipua_retry_later(struct sipua_acc *acc);
void sipua_uri_hostport(const char *uri, char *out, size_t size);

/* Between the sipua*.c files (each defined in the file its concern names). */
void sipua_uri_host(const char *uri, char *out, size_t size);
bool sipua_authenticate(struct sipua *ua, nua_handle_t *nh, struct sipua_acc *acc,
			unsigned *tries, int status, const sip_t *sip, char *why, size_t whylen);
bool sipua_made_up_locally(const sip_t *sip);
bool sipua_same_addr(const struct sockaddr *a, const struct sockaddr *b, bool port);
bool sipua_request_trusted(struct sipua *ua);
void sipua_refuse_untrusted(struct sipua *ua, nua_handle_t *nh, const char *what);
void sipua_on_register(struct sipua *ua, struct sipua_acc *acc, nua_event_t event, int status,
		       char const *phrase, sip_t const *sip);
struct sipua_acc *sipua_acc_for_request(struct sipua *ua, const sip_t *sip);
void sipua_display_name(const char *raw, char *out, size_t size);
void sipua_describe_source(struct sipua *ua, char *out, size_t size);
void sipua_on_incoming_invite(struct sipua *ua, nua_handle_t *nh, sip_t const *sip);
void sipua_on_call_event(struct sipua *ua, struct sipua_call *c, nua_event_t event, int status,
			 char const *phrase, sip_t const *sip, tagi_t tags[]);
void sipua_on_message_in(struct sipua *ua, nua_handle_t *nh, sip_t const *sip);
void sipua_on_message_out(struct sipua *ua, struct sipua_msg *m, int status, char const *phrase,
			  sip_t const *sip);
void sipua_on_keepalive(struct sipua *ua, struct sipua_acc *acc, int status, char const *phrase,
			sip_t const *sip);
void sipua_on_sub_event(struct sipua *ua, struct sipua_sub *s, nua_event_t event, int status,
			char const *phrase, sip_t const *sip, tagi_t tags[]);
void sipua_on_publish(struct sipua *ua, struct sipua_acc *acc, int status, char const *phrase,
		      sip_t const *sip);
void sipua_subs_free(struct sipua *ua);
void sipua_complete_target(const struct sipua_acc *acc, const char *to, char *out, size_t size);

/* sipua_ws.c */
/* For a ws/wss account: start its bridge and send everything through it. A bridge that
 * cannot start leaves acc->ws NULL and the reason in acc->ws_why: registering then fails
 * with it. Other accounts: nothing done. */
void sipua_ws_acc_setup(struct sipua_acc *acc);
void sipua_ws_acc_free(struct sipua_acc *acc);
/* Send every request of nh through acc's bridge when acc is a WebSocket account. Sofia
 * 1.12 takes NUTAG_PROXY as a handle parameter only from nua_set_hparams (or the request
 * itself): given to nua_handle() it is silently ignored, and requests went out over UDP. */
void sipua_ws_route(nua_handle_t *nh, const struct sipua_acc *acc);
/* Refresh acc->ws_why from the bridge (it may be ahead of the notes not yet taken). */
void sipua_ws_why(struct sipua_acc *acc);
void sipua_ws_free(struct sipua *ua);
/* The ws account whose bridge host:port is (a request from there came through it), or
 * NULL. */
struct sipua_acc *sipua_ws_acc_at(const struct sipua *ua, const char *host, unsigned port);
/* A request from host:port came through a ws account's bridge: "wss 203.0.113.5:8443" of
 * the server into out, and true. */
bool sipua_ws_source(const struct sipua *ua, const char *host, unsigned port, char *out,
		     size_t size);

#endif
