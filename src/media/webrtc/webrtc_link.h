/* webrtc_link.h: one WebRTC call's transport, ICE and DTLS-SRTP joined: an ice_agent
 * (libnice on an ice thread of its own) carries the DTLS endpoint's datagrams, and the
 * endpoint runs on that same ice thread, so that the app (the control side, its main
 * thread) does a call with a few calls and the events below, and the media thread gets
 * two rings and, once, the SRTP keys.
 *
 *   control (main) thread           ice thread                          media thread
 *   alloc ─▶ ice_agent_alloc ─▶ gathering ─▶ CANDIDATE, GATHERING_DONE
 *   local ─▶ our SDP's ICE and fingerprint
 *   set_remote ─▶ endpoint made, handed over (ice_agent_invoke), credentials, candidates
 *                                ICE connected ─▶ ICE_CONNECTED
 *                                  + endpoint ─▶ dtls_srtp_start (the active side's
 *                                    ClientHello), held early datagrams fed
 *                                on_datagram (DTLS) ─▶ dtls_srtp_feed ─▶ replies sent
 *                                on_timer ─▶ dtls_srtp_on_timeout (re-armed each time)
 *                                handshake done ─▶ KEYS ─────────────▶ srtp_sess_alloc
 *                                rings: RTP/RTCP ◀────────────────────▶ push / peek
 *   close ─▶ close_notify, ice_agent_close ─▶ CLOSED
 *
 * Threads: the functions marked "control" are called from one thread (the app's main
 * thread); none of them waits for the network. Events come on the ice thread. The media
 * thread uses the two rings only. */
#ifndef TTY_WEBRTC_LINK_H
#define TTY_WEBRTC_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdp.h"
#include "media/webrtc/dtls_cert.h"
#include "media/webrtc/dtls_srtp.h"
#include "media/webrtc/ice_agent.h"
#include "media/webrtc/pkt_ring.h"

#define WL_EARLY_MAX 8             /* DTLS datagrams kept while the endpoint cannot take
				    * them yet (before set_remote, or before ICE connects):
				    * a ClientHello in two fragments and three resends */
#define WL_EARLY_BYTES ICE_PKT_MAX /* each; a longer one is dropped and counted */
#define WL_TEXT 400

struct webrtc_link_opts {
	bool controlling;          /* ICE role: the offerer controls */
	const char *stun_server, *turn_server, *turn_user, *turn_password;  /* NULL: none */
	const char *local_addr;    /* host candidates on this address only; NULL: all */
	bool relay_only;           /* only relayed candidates (ice_opts.relay_only) */
	uint16_t port_min, port_max;
	const struct dtls_cert *cert;   /* ours; the link keeps its own reference */
	unsigned ice_check_timeout_ms;  /* 0: ICE_CHECK_TIMEOUT_MS (10 s from set_remote) */
	unsigned dtls_deadline_ms;      /* 0: DTLS_SRTP_DEADLINE_MS (10 s from ICE connected) */
};

enum webrtc_link_ev {
	WL_EV_CANDIDATE,       /* text: a local candidate line (trickle) */
	WL_EV_GATHERING_DONE,  /* every local candidate is known: the SDP can be written */
	WL_EV_ICE_CONNECTED,   /* pair: the pair in use; text: ICE's sentence */
	WL_EV_KEYS,            /* DTLS done: keys for the media session; text: "DTLS:
				* connected, <OpenSSL cipher>, SRTP <suite>". Once per link. */
	WL_EV_FAILED,          /* text: why (ICE failed, consent lost, DTLS failed/deadline,
				* fingerprint mismatch); final: nothing but CLOSED follows */
	WL_EV_WARNING,         /* text */
	WL_EV_CLOSED,          /* webrtc_link_close finished */
};

struct webrtc_link_event {
	enum webrtc_link_ev kind;
	char text[WL_TEXT];
	struct ice_pair pair;            /* ICE_CONNECTED */
	struct dtls_srtp_keys keys;      /* KEYS (wiped by the caller after use) */
};

/* Runs on the link's ice thread: must not block, must not call webrtc_link_free; the app
 * copies the event into its queue. The first events may come before alloc returns. The
 * link wipes its own copy of ev after the call. */
typedef void (*webrtc_link_cb)(void *arg, const struct webrtc_link_event *ev);

struct webrtc_link;

/* Control: a link whose ICE starts gathering at once. 0, or an errno with why (bad
 * option, no certificate, no thread). */
int webrtc_link_alloc(struct webrtc_link **lp, const struct webrtc_link_opts *o,
		      webrtc_link_cb cb, void *arg, char *why, size_t whylen);
/* Control: stop and free everything, at any point; wipes keys. No callback runs after it
 * returns. The media thread must be done with the rings. NULL is fine. */
void webrtc_link_free(struct webrtc_link *l);

/* Control: what our SDP carries: ice_ufrag, ice_pwd, the candidates gathered so far (as
 * sdp_webrtc.cand values, without "candidate:"), end_of_candidates once gathering is done,
 * fp_alg "sha-256" and fp of our cert, trickle and ice_lite false. setup/mid/bundled are
 * left to the caller. */
void webrtc_link_local(struct webrtc_link *l, struct sdp_webrtc *out);
/* Control: the peer's SDP side (credentials, every candidate, end-of-candidates, its
 * fingerprint) and our DTLS role from offer/answer (DTLS_SETUP_ACTIVE: we are the client).
 * Candidates ice_agent refuses (ENOTSUP: tcp, mDNS; EINVAL: malformed) are skipped; the
 * count used is reported in WL_EV_WARNING if some were skipped. End-of-candidates is
 * given when the SDP says so or does not trickle (a full SDP has them all). 0, or an errno
 * with why: EINVAL (no or malformed fingerprint or credentials, or after close), ENOTSUP
 * (new credentials or fingerprint: an ICE restart or a new DTLS association, which a
 * link does not do), ENOBUFS (the ice thread is that far behind: free the link). Called
 * once per call; a second call with the same credentials and fingerprint is a no-op
 * (re-INVITE for hold keeps the link). */
int webrtc_link_set_remote(struct webrtc_link *l, const struct sdp_webrtc *remote,
			   enum dtls_setup our_role, char *why, size_t whylen);

/* Control: candidates the peer trickled after its SDP (RFC 8840: a SIP INFO's
 * application/trickle-ice-sdpfrag, read by sdp_parse_frag): its candidates, skipped as
 * set_remote skips them, and its end-of-candidates. used: how many ICE took. 0, or an
 * errno with why: EAGAIN (no set_remote yet: keep them until then), ESTALE (the
 * fragment's ice-ufrag is not the peer's current one: candidates of another ICE
 * generation, ignored), EINVAL (after close), ENOBUFS. */
int webrtc_link_add_remote(struct webrtc_link *l, const struct sdp_webrtc *frag,
			   unsigned *used, char *why, size_t whylen);

/* For the media session: RTP/RTCP (SRTP, SRTCP) in and out (ice_agent.h). */
struct pkt_ring *webrtc_link_rx_ring(struct webrtc_link *l);
struct pkt_ring *webrtc_link_tx_ring(struct webrtc_link *l);

/* Control: DTLS close_notify (when DTLS began), then ice_agent_close (TURN allocations
 * released); WL_EV_CLOSED when done. Nothing is sent or received afterwards. 0, or
 * ENOBUFS (call again). */
int webrtc_link_close(struct webrtc_link *l);

struct webrtc_link_stats {
	struct ice_stats ice;
	struct dtls_srtp_stats dtls;
	char state[16];            /* "new" (no set_remote yet), "checking", "handshake" (ICE
				    * connected, DTLS running), "connected" (keys given),
				    * "failed", "closing", "closed" */
	char cipher[64];           /* OpenSSL's cipher suite once DTLS finished, else "" */
	struct ice_pair pair;      /* the pair in use (the latest, after a nomination) */
	unsigned early_kept;       /* DTLS datagrams that came before the endpoint could take
				    * them, kept and fed later */
	uint64_t early_dropped;    /* ... beyond WL_EARLY_MAX, or longer than WL_EARLY_BYTES */
};

/* Any thread: a snapshot. */
void webrtc_link_get_stats(struct webrtc_link *l, struct webrtc_link_stats *out);
const char *webrtc_link_ev_name(enum webrtc_link_ev kind);  /* "candidate", "keys", ... */

#endif
