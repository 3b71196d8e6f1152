/* config.h: the parsed config.ini. Owns nothing but plain values; fixed-size fields keep
 * every string bounded, and a value too long for its field is reported, never cut. */
#ifndef TTY_CONFIG_H
#define TTY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define CFG_MAX_ACCOUNTS 8
#define CFG_MAX_DIAGS 64
#define CFG_STR 256
#define CFG_PATH 1024

enum sip_transport { TP_UDP, TP_TCP, TP_TLS, TP_WS, TP_WSS };
enum codec_id { CODEC_OPUS, CODEC_G722, CODEC_PCMA, CODEC_PCMU, CODEC_COUNT };
enum srtp_mode { SRTP_OFF, SRTP_OPTIONAL, SRTP_MANDATORY };
enum audio_backend_kind { AUDIO_PULSE, AUDIO_FILE, AUDIO_NULL };
enum dtmf_mode { DTMF_RFC4733, DTMF_INFO };

enum acc_media { ACC_MEDIA_RTP, ACC_MEDIA_WEBRTC, ACC_MEDIA_AUTO };

struct account_cfg {
	char name[64];             /* from the section title: [account NAME] */
	char uri[CFG_STR];         /* sip:alice@example.org */
	char authorization_user[128];
	char password[128];        /* never printed: see config_mask() */
	char realm[128];           /* empty: answer any realm */
	char display_name[128];
	char registrar[CFG_STR];   /* empty: the domain of uri */
	char outbound_proxy[CFG_STR];
	enum sip_transport transport;
	/* ws/wss: the servers' WebSocket URLs, comma-separated, tried in order (JsSIP's
	 * `sockets`); checked by ws_url_list when read. */
	char socket[512];
	bool do_register;
	unsigned register_expires;
	enum acc_media media;      /* what our calls offer: plain RTP/SRTP (default), WebRTC
				    * (ICE + DTLS-SRTP, for browsers), or WebRTC on ws/wss only.
				    * Either way an offer that comes in is answered in its kind. */
	bool is_default;
	/* Presence (app_presence.c): subscribe to the contacts of this account and PUBLISH
	 * our state; busy while in a call unless presence_in_call = no. */
	bool presence;
	bool presence_in_call;
	bool mwi;                  /* subscribe to our own message-summary (app_mwi.c) */
	char voicemail[CFG_STR];   /* the mailbox's URI, which V calls; empty: none */
	char pickup[32];           /* dialled before a ringing lamp's user to take its call
				    * ("**": Asterisk's, FreeSWITCH's); empty: none */
	int line;                  /* line of the section title, for messages */
};

struct sip_cfg {
	char listen[128];          /* host:port, port 0 or * = any; empty = pick (sip/listen.h) */
	char tls_listen[128];      /* empty: no TLS listener */
	char ca_file[CFG_PATH];    /* CA bundle for TLS servers */
	bool tls_verify;           /* verify servers' certificates (default yes) */
	char user_agent[128];
	bool auto_answer;
	bool dnd;                  /* do not disturb: reject incoming with 486 */
	enum dtmf_mode dtmf;
	bool trusted_only;         /* accept requests only from registrar/proxy when registered */
	unsigned keepalive;        /* seconds between OPTIONS keep-alives, 0 = off */
};

struct media_cfg {
	enum codec_id codecs[CODEC_COUNT]; /* in preference order */
	unsigned ncodecs;
	enum srtp_mode srtp;
	uint16_t rtp_port_min, rtp_port_max;
	unsigned rtp_timeout;      /* seconds without RTP before a call ends, 0 = never */
	unsigned jitter_min_ms, jitter_max_ms;
	unsigned opus_bitrate;     /* bits per second */
	bool opus_dtx;
	unsigned opus_complexity;  /* encoder complexity 0-10 */
	bool realtime;             /* media threads at real-time priority when allowed */
	/* WebRTC calls' ICE servers: "host[:port]" (3478), empty = none. The TURN password
	 * is never printed. */
	char stun_server[CFG_STR];
	char turn_server[CFG_STR];
	char turn_user[128];
	char turn_password[128];
	bool ice_relay_only;       /* ice_policy = relay: WebRTC through turn_server only */
};

struct audio_cfg {
	enum audio_backend_kind backend;
	char server[CFG_STR];      /* PulseAudio server, empty = default (PULSE_SERVER) */
	char capture[CFG_STR];     /* PulseAudio source, empty = default */
	char playback[CFG_STR];    /* PulseAudio sink, empty = default */
	char input[CFG_PATH];      /* file backend: microphone WAV, looped */
	char output[CFG_PATH];     /* file backend: speaker WAV */
	bool echo_cancel;
	bool ring_tone;
};

#define CFG_MAX_KEY_OVERRIDES 32

struct ui_key_override {
	char action[32];           /* from "key_ACTION", e.g. "hangup" */
	char key[16];              /* "x", "^x", "F5", "Tab", "Enter", "Space" ... */
	int line;                  /* checked by the UI, which owns the action names */
};

struct ui_cfg {
	bool colors;
	bool mouse;
	unsigned calls_height;     /* rows of the call panel, 0 = chosen from the terminal */
	unsigned contacts_width;   /* columns of the contacts pane, 0 = chosen likewise */
	struct ui_key_override keys[CFG_MAX_KEY_OVERRIDES];
	unsigned nkeys;
};

struct config_diag {
	int line;                  /* 0: about the file as a whole */
	bool fatal;                /* ttyphone cannot start safely with this */
	char text[300];
};

struct config {
	char path[CFG_PATH];       /* empty: built-in defaults, no file */
	struct account_cfg accounts[CFG_MAX_ACCOUNTS];
	unsigned naccounts;
	struct sip_cfg sip;
	struct media_cfg media;
	struct audio_cfg audio;
	struct ui_cfg ui;
	struct config_diag diags[CFG_MAX_DIAGS];
	unsigned ndiags;
	unsigned ndiags_dropped;
};

/* Fill cfg with the built-in defaults (no account: the demo mode). */
void config_defaults(struct config *cfg);
/* Parse path over the defaults; problems go to cfg->diags. Returns 0, or -1 when a fatal
 * problem means ttyphone should not start (the file is unreadable, an account is unusable). */
int config_load(struct config *cfg, const char *path);
/* Parse an in-memory INI text as if it were the file `name` (for tests and fuzzing). */
int config_load_string(struct config *cfg, const char *name, const char *text);
/* Print each diagnostic as "file:line: message" to the stream-like callback. */
void config_report(const struct config *cfg, void (*out)(void *arg, const char *line), void *arg);
/* The account used for outgoing calls: the one marked default, else the first; NULL if none. */
const struct account_cfg *config_default_account(const struct config *cfg);
const struct account_cfg *config_find_account(const struct config *cfg, const char *name);
/* Name of a codec as written in config ("opus"), and back. */
const char *codec_config_name(enum codec_id id);
int codec_from_config_name(const char *name, enum codec_id *out);
const char *transport_name(enum sip_transport tp);

#endif
