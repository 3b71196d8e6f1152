/* ice_agent.h: ICE (RFC 8445, libnice's RFC 5245 mode) for one WebRTC call. One stream of
 * one component: RTP and RTCP share it (rtcp-mux) and the call has a single audio m-line
 * (BUNDLE). UDP only (no ICE-TCP): host candidates, server-reflexive from a STUN server,
 * relayed from a TURN server over UDP. Full ICE, trickle either way, consent freshness
 * (RFC 7675), ICE restart, and a bounded time for the checks to succeed.
 *
 * Threads. Every agent has its own "ice thread" that iterates a GMainContext of its own;
 * libnice is called on that thread only (its signals run on whichever thread calls into
 * it). Three kinds of callers:
 *   - the control side (the app's main thread): alloc/free and the calls marked
 *     "control"; none of them waits for the network or for the ice thread (they queue a
 *     command, answered by an event), except alloc, which waits the ice thread's set-up
 *     (no I/O), and free, which joins it.
 *   - the media thread: only the two rings (pkt_ring.h), never a function here. It pushes
 *     RTP/RTCP to send into ice_agent_tx_ring and takes what came from ice_agent_rx_ring;
 *     the rx ring's fd can be ppoll'ed like an RTP socket.
 *   - the ice thread itself: the hooks below run on it, and they may call the functions
 *     marked "ice thread" (to send DTLS records, to arm a timer).
 *
 * Received packets: RTP and RTCP (first byte 128..191, RFC 7983) go into the rx ring
 * stamped with g_get_monotonic_time() (CLOCK_MONOTONIC, us) taken as libnice hands the
 * datagram over on the ice thread, which sleeps in poll until the socket is readable: the
 * stamp is the arrival plus the thread's wake-up, not plus the media thread's 20 ms tick.
 * (libnice reads its sockets itself and keeps no kernel timestamp.) DTLS (20..63) goes to
 * the on_datagram hook. STUN never leaves libnice; anything else is dropped and counted. */
#ifndef TTY_WEBRTC_ICE_AGENT_H
#define TTY_WEBRTC_ICE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "media/webrtc/ice_text.h"
#include "media/webrtc/pkt_ring.h"

#define ICE_RING_SLOTS 64          /* each way: 1.28 s of 20 ms packets */
#define ICE_PKT_MAX 2048           /* a slot: an SRTP packet of the media thread's PKT_BUF
				    * (1500 + SRTP trailer) fits; longer ones are dropped */
#define ICE_TEXT 400               /* an event's text: a candidate line or a reason */
#define ICE_MAX_LOCAL 16           /* local candidates kept for ice_agent_local_candidates */
#define ICE_MAX_REMOTE 40          /* remote candidates taken per generation (a browser
				    * sends a dozen; more is a peer flooding our checks) */
#define ICE_CHECK_TIMEOUT_MS 10000 /* from the peer's credentials to a working pair */
#define ICE_GATHER_TIMEOUT_MS 5000 /* gathering ends by then, servers answering or not */
#define ICE_CLOSE_TIMEOUT_MS 2000  /* ice_agent_close waits this long for TURN servers */

struct ice_opts {
	bool controlling;          /* RFC 8445 role: the offerer controls (role conflicts
				    * are resolved by libnice) */
	const char *stun_server;   /* "host[:port]" (3478), NULL or "": none */
	const char *turn_server;   /* "host[:port]" (3478), relay over UDP; NULL: none */
	const char *turn_user;
	const char *turn_password; /* copied, wiped at free, never in an event or a log */
	const char *local_addr;    /* host candidates on this address only (NULL: every
				    * interface libnice finds; tests: "127.0.0.1") */
	uint16_t port_min, port_max; /* local UDP ports (0, 0: any) */
	bool no_consent_freshness; /* RFC 7675 consent checks are on unless this is set */
	bool relay_only;           /* only relayed candidates, ours and the pairs' (libnice's
				    * force-relay): the peer never learns our addresses, and
				    * every packet goes by turn_server, which this needs */
	unsigned check_timeout_ms; /* 0: ICE_CHECK_TIMEOUT_MS */
	unsigned gather_timeout_ms;/* 0: ICE_GATHER_TIMEOUT_MS */
};

enum ice_ev {
	ICE_EV_CANDIDATE,      /* text: a local candidate, "candidate:..." (for trickle) */
	ICE_EV_GATHERING_DONE, /* every local candidate has been given (also after a restart) */
	ICE_EV_CHECKING,       /* connectivity checks began */
	ICE_EV_CONNECTED,      /* pair: the pair in use; the rings now carry packets */
	ICE_EV_PAIR,           /* pair: a different pair is in use (nomination, restart) */
	ICE_EV_FAILED,         /* text: why no pair worked; final until ice_agent_restart */
	ICE_EV_CONSENT_LOST,   /* text: why; the peer stopped answering consent checks or
				* revoked consent (RFC 7675): stop sending; final until restart */
	ICE_EV_WARNING,        /* text: trouble ICE goes on without (a STUN server that does
				* not resolve, a libnice warning) */
	ICE_EV_CLOSED,         /* ice_agent_close finished (TURN allocations released) */
};

struct ice_pair {
	char local_type[8];        /* host, srflx, prflx, relay */
	char remote_type[8];
	char local[64];            /* "192.0.2.1:40000", "[2001:db8::1]:40000" */
	char remote[64];
};

struct ice_event {
	enum ice_ev kind;
	unsigned generation;       /* 0, +1 at each ice_agent_restart: tells a stale event */
	char text[ICE_TEXT];
	struct ice_pair pair;      /* CONNECTED and PAIR */
};

/* Hooks run on the ice thread, one at a time. They must not block (they hold up every
 * packet of the call) and must not call ice_agent_free (it joins this thread); the other
 * functions here are fine. arg is theirs. */
struct ice_hooks {
	/* State changes, candidates, reasons. Copy what is needed: ev is gone afterwards. */
	void (*on_event)(void *arg, const struct ice_event *ev);
	/* A non-RTP datagram from the peer (DTLS: first byte 20..63), with its arrival time
	 * (CLOCK_MONOTONIC, us). NULL: such datagrams are dropped. */
	void (*on_datagram)(void *arg, const uint8_t *pkt, size_t len, int64_t t_us);
	/* The timer armed with ice_agent_set_timer ran out; now_ms is CLOCK_MONOTONIC. */
	void (*on_timer)(void *arg, int64_t now_ms);
	void *arg;
};

struct ice_stats {
	uint64_t rx_media;         /* RTP/RTCP put into the rx ring */
	uint64_t rx_ring_full;     /* RTP/RTCP dropped: the media thread did not keep up */
	uint64_t rx_datagrams;     /* given to on_datagram */
	uint64_t rx_dropped;       /* neither (first byte), longer than a slot, or no hook */
	uint64_t tx_media;         /* sent from the tx ring */
	uint64_t tx_failed;        /* taken from the tx ring and not sent: no pair yet, or
				    * the socket refused */
	uint64_t tx_refused;       /* refused by the full tx ring (the media thread's push) */
	uint64_t tx_datagrams;     /* sent by ice_agent_send_datagram */
};

struct ice_agent;

/* Control: an agent with its ice thread, which starts gathering at once. Candidates and
 * state come through hooks->on_event (copied; on_event must not be NULL), possibly
 * before this returns. 0, or an errno with why (bad option, no thread). */
int ice_agent_alloc(struct ice_agent **ap, const struct ice_opts *opts,
		    const struct ice_hooks *hooks, char *why, size_t whylen);
/* Control: stop the ice thread and free everything; no hook runs after it returns. The
 * media thread must be done with the rings. Waits for nothing on the network (TURN
 * allocations are released only by ice_agent_close). NULL is fine. */
void ice_agent_free(struct ice_agent *a);

/* The rings the media thread uses (see the top of this file). */
struct pkt_ring *ice_agent_rx_ring(struct ice_agent *a);
struct pkt_ring *ice_agent_tx_ring(struct ice_agent *a);

/* Control: our current ice-ufrag and ice-pwd (buffers of ICE_CRED_BUF). */
void ice_agent_local_credentials(struct ice_agent *a, char *ufrag, char *pwd);
/* Control: the local candidates given so far in this generation ("candidate:...", at most
 * max of them, lines of ICE_TEXT), for an SDP that carries them all. Returns how many;
 * *complete tells whether gathering is done. */
unsigned ice_agent_local_candidates(struct ice_agent *a, char (*lines)[ICE_TEXT],
				    unsigned max, bool *complete);

/* Control: the peer's ice-ufrag and ice-pwd; the checks begin, and with them the
 * check_timeout_ms after which ICE_EV_FAILED says no pair answered. 0, or EINVAL
 * (malformed), ENOBUFS (the ice thread is that far behind). */
int ice_agent_set_remote_credentials(struct ice_agent *a, const char *ufrag,
				     const char *pwd, char *why, size_t whylen);
/* Control: one remote candidate, as an SDP attribute or a trickled one ("a=candidate:..."
 * or "candidate:..."). Parsed here: 0, or EINVAL (malformed, or before the credentials),
 * EPROTONOSUPPORT (TCP, or a component other than 1: what every browser offers beside the
 * UDP ones we use; skip it quietly), ENOTSUP (not usable here: an mDNS name; skip it, and
 * say so: it may be why ICE fails),
 * ENOBUFS (over ICE_MAX_REMOTE, or the command queue is full); why says which. */
int ice_agent_add_remote_candidate(struct ice_agent *a, const char *line, char *why,
				   size_t whylen);
/* Control: the peer has given all its candidates (a=end-of-candidates, or after the last
 * of a full SDP's): ICE fails as soon as every pair has failed, not at the timeout. */
int ice_agent_end_of_candidates(struct ice_agent *a);
/* Control: ICE restart (RFC 8445 section 9): new local credentials (written to ufrag and
 * pwd, ICE_CRED_BUF each) for the new offer or answer; the local candidates are given
 * again in the next generation (then ICE_EV_GATHERING_DONE), the peer's new credentials
 * and candidates follow through the calls above. Media goes on over the old pair until a
 * new one is selected. 0, or ENOBUFS, or getrandom's errno. */
int ice_agent_restart(struct ice_agent *a, char *ufrag, char *pwd);
/* Control: stop granting the peer consent (RFC 7675): its checks get 403 and it stops
 * sending to us. Undone by a restart. */
int ice_agent_revoke_consent(struct ice_agent *a);
/* Control: release TURN allocations before ice_agent_free; ICE_EV_CLOSED when done or
 * after ICE_CLOSE_TIMEOUT_MS. Nothing is sent or received afterwards. */
int ice_agent_close(struct ice_agent *a);
/* Control: run fn(arg) on the ice thread, after the commands queued before it (e.g. to
 * hand the DTLS endpoint that on_datagram will feed to the ice thread). 0 or ENOBUFS. */
int ice_agent_invoke(struct ice_agent *a, void (*fn)(void *arg), void *arg);

/* Ice thread: send one datagram (a DTLS record) over the selected pair. 0, or -1 when it
 * was not sent (no pair yet, closed, too long, socket error). */
int ice_agent_send_datagram(struct ice_agent *a, const uint8_t *pkt, size_t len);
/* Ice thread: call hooks->on_timer once, ms from now (replacing any earlier timer); a
 * negative ms cancels. */
void ice_agent_set_timer(struct ice_agent *a, int ms);

/* Any thread. */
void ice_agent_get_stats(struct ice_agent *a, struct ice_stats *out);
const char *ice_ev_name(enum ice_ev kind);   /* "candidate", "connected", ... */

#endif
