/* ice_priv.h: struct ice_agent, shared by ice_agent.c (the control side: alloc, free and
 * the calls that queue commands; runs on the caller's thread) and ice_thread.c (the ice
 * thread: libnice, the GMainContext, the rings' other ends). Nothing else sees it. Who may
 * touch what is written beside each group, as in session_priv.h. */
#ifndef TTY_WEBRTC_ICE_PRIV_H
#define TTY_WEBRTC_ICE_PRIV_H

#include <nice/agent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "media/webrtc/ice_agent.h"

#define ICE_CMDS 64                /* queued commands; a full SDP's worth of candidates */
#define ICE_WARNINGS 4             /* libnice warnings waiting to be given as events */

enum ice_cmd_op {
	ICE_CMD_REMOTE_CREDS,
	ICE_CMD_REMOTE_CAND,
	ICE_CMD_END_OF_CANDS,
	ICE_CMD_RESTART,
	ICE_CMD_REVOKE,
	ICE_CMD_CLOSE,
	ICE_CMD_INVOKE,
};

struct ice_cmd {
	enum ice_cmd_op op;
	char ufrag[ICE_CRED_BUF];  /* REMOTE_CREDS: the peer's; RESTART: our new ones */
	char pwd[ICE_CRED_BUF];
	NiceCandidate *cand;       /* REMOTE_CAND: parsed by the control side, ours to free */
	void (*fn)(void *arg);     /* INVOKE */
	void *arg;
};

struct ice_agent {
	/* Set by alloc before the thread starts, read-only after. */
	bool controlling, consent, relay_only;
	char stun_host[ICE_HOST_MAX + 1];  /* "" = none */
	uint16_t stun_port;
	char turn_host[ICE_HOST_MAX + 1];
	uint16_t turn_port;
	char turn_user[ICE_CRED_BUF];
	char turn_pass[ICE_CRED_BUF];      /* wiped at free */
	char local_addr[64];
	uint16_t port_min, port_max;
	unsigned check_timeout_ms, gather_timeout_ms;
	struct ice_hooks hooks;
	struct pkt_ring *rx, *tx;          /* rx: ice thread -> media, tx: media -> ice thread */
	int cmd_fd;                        /* eventfd: a command (or stop) is queued */
	GMainContext *ctx;
	GMainLoop *loop;
	pthread_t thread;

	/* Written by the ice thread during its set-up, before it signals `started`; read-only
	 * after (the control side's parser needs the agent and the stream id). */
	NiceAgent *agent;
	guint stream_id;

	/* Under lock. */
	pthread_mutex_t lock;
	pthread_cond_t started_cond;       /* the set-up's end, for alloc */
	bool started;
	int start_err;
	char start_why[ICE_TEXT];
	struct ice_cmd cmds[ICE_CMDS];     /* a ring: cmd_first, cmd_n */
	unsigned cmd_first, cmd_n;
	char ufrag[ICE_CRED_BUF], pwd[ICE_CRED_BUF];  /* ours, current generation */
	char local_lines[ICE_MAX_LOCAL][ICE_TEXT];    /* ... and our candidates in it */
	unsigned n_local;
	bool gathered;
	unsigned ctl_gen;                  /* generation as the control side sees it */
	bool ctl_remote_creds;             /* the peer's credentials given in ctl_gen */
	unsigned ctl_remote_cands;         /* ... and how many candidates */

	atomic_bool stop;                  /* free: the ice thread quits at its next look */

	/* Counters: written by the ice thread only, read by anyone. */
	atomic_uint_fast64_t rx_media, rx_ring_full, rx_datagrams, rx_dropped;
	atomic_uint_fast64_t tx_media, tx_failed, tx_datagrams;

	/* Ice thread only. */
	GSource *cmd_src, *tx_src;
	GSource *fail_timer, *gather_timer, *user_timer, *close_timer, *warn_idle;
	GSource *role_timer;       /* while checking: libnice's grace follows our role */
	unsigned nice_idle_ms;     /* the idle-timeout libnice has now */
	GCancellable *cancel;              /* pending name lookups */
	unsigned resolving;                /* lookups still out */
	bool stun_ok, turn_ok;             /* their addresses are numeric (now) */
	char stun_ip[64], turn_ip[64];
	bool gather_started;               /* commands are taken from then on */
	unsigned gen;
	bool gather_finished;             /* libnice finished gathering (any generation) */
	bool gathering_done, checking, connected, failed, closing, closed;
	bool remote_creds, eoc;
	unsigned remote_cands;
	int64_t checks_start_us;
	NiceComponentState nstate;
	bool have_pair;
	struct ice_pair pair;
	char warn[ICE_WARNINGS][ICE_TEXT]; /* libnice warnings, given from an idle source */
	unsigned n_warn, warn_dropped;
};

/* The lock around the command queue and the snapshots. A default mutex fails only on a
 * bug (not ours: not recursive use, which we never do). */
static inline void ice_lock(struct ice_agent *a)
{
	if (pthread_mutex_lock(&a->lock) != 0)
		abort();
}

static inline void ice_unlock(struct ice_agent *a)
{
	pthread_mutex_unlock(&a->lock);
}

/* ice_thread.c: the thread's body (pthread_create's start routine): set-up, then
 * `started` under lock (with start_err and start_why), the loop until stop, teardown. */
void *ice_thread_main(void *arg);

#endif
