/* app.h: the single owner of application state: accounts, calls, the echo service.
 * It takes commands (from the TUI, the headless stream, the control socket) and events
 * (from sipua and the media threads), and tells its listeners what changed as one JSON
 * event per change. Views read state through the accessors; they never touch SIP. */
#ifndef TTY_APP_H
#define TTY_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "config.h"

struct app;
struct loop;
struct trace;
struct media_stats;

enum reg_state { REG_NONE, REG_REGISTERING, REG_REGISTERED, REG_UNREGISTERED, REG_FAILED };
enum call_state { CALL_INCOMING, CALL_CALLING, CALL_RINGING, CALL_EARLY, CALL_ESTABLISHED,
	CALL_HELD, CALL_ENDED };

struct app_account_view {
	const char *name;
	const char *uri;
	enum reg_state state;
	int code;
	const char *reason;
	bool is_default;
};

struct app_call_view {
	unsigned id;
	enum call_state state;
	bool outgoing;
	const char *peer;          /* URI */
	const char *display;       /* may be empty */
	const char *account;       /* empty for direct calls */
	int code;
	const char *reason;
	time_t started, answered;  /* 0 if not yet */
	bool local_hold, remote_hold, muted;
	bool media;                /* media running */
	bool srtp;
	const char *codec;         /* "" before media */
	const char *webrtc;        /* "" for plain RTP; else where the WebRTC link stands
				    * ("ICE checking", "host->host, DTLS-SRTP AEAD_AES_128_GCM") */
};

/* Receives every event as one JSON object (no newline). */
typedef void (app_listener_fn)(void *arg, const char *json);
/* Receives a direct reply to one command (also JSON). */
typedef void (app_reply_fn)(void *arg, const char *json);

int app_alloc(struct app **ap, struct loop *loop, struct config *cfg, char *why, size_t whylen);
void app_free(struct app *a);
/* Start: bind, register accounts that want it, start the echo service. */
int app_start(struct app *a, char *why, size_t whylen);
/* Orderly stop: hang up calls, un-REGISTER; returns when done or after a timeout. */
void app_stop(struct app *a);
int app_add_listener(struct app *a, app_listener_fn *fn, void *arg);
/* Human-readable log lines (also sent as "log" events): stderr in headless mode. */
void app_set_logger(struct app *a, void (*fn)(void *arg, const char *line), void *arg);
/* Commands app.c hands on to another module (history, messages, account; see history.c):
 * fn runs them and answers through reply. Without one, they answer an error. */
struct command_line;
typedef void (app_extension_fn)(void *arg, const struct command_line *cl, app_reply_fn *reply,
				void *rarg);
void app_set_extension(struct app *a, app_extension_fn *fn, void *arg);
/* `account add` wrote acc (as a start reads it) to the config: run it now (register if
 * it says so). -1 with why: it waits for the next start. */
int app_account_start(struct app *a, const struct account_cfg *acc, char *why, size_t whylen);
/* Run one command line. Replies (errors, lists) go to reply; state changes to listeners. */
void app_exec(struct app *a, const char *line, app_reply_fn *reply, void *arg);
/* Open a SIP trace file (--sip-trace). */
int app_set_trace_file(struct app *a, const char *path, char *why, size_t whylen);

struct trace *app_trace(struct app *a);
const struct config *app_config(const struct app *a);
unsigned app_account_count(const struct app *a);
void app_account_view(const struct app *a, unsigned i, struct app_account_view *v);
/* i-th call in creation order, including ended calls still shown (see app_reap). */
bool app_call_view(const struct app *a, unsigned i, struct app_call_view *v);
/* A contact's presence (app_presence.c): its state name ("online", "away", "busy",
 * "offline", "unknown") and note, while some account watches it; false otherwise. */
/* New voicemail messages over all accounts with mwi = yes (app_mwi.c). */
unsigned app_mwi_new(const struct app *a);
/* The first account's voicemail URI (the default account's first), or NULL. */
const char *app_voicemail_uri(const struct app *a);
/* A contact's busy lamp (app_blf.c): "idle", "ringing", "in call" or "unknown"; false when
 * it has none. */
bool app_blf_view(const struct app *a, const char *contact, const char **state);
bool app_presence_view(const struct app *a, const char *contact, const char **state,
		       const char **note);
bool app_call_stats(struct app *a, unsigned id, struct media_stats *out);
unsigned app_active_call(const struct app *a);   /* 0: none */
const char *reg_state_name(enum reg_state s);
const char *call_state_name(enum call_state s);
/* The local SIP address (host:port), for the status line. */
const char *app_local_contact(const struct app *a);

#endif
