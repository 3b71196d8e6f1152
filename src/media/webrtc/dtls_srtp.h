/* dtls_srtp.h: one DTLS-SRTP endpoint (RFC 5763, RFC 5764) for one WebRTC call. It owns
 * no socket: the caller feeds it the DTLS datagrams that came in (webrtc_demux says which)
 * and it hands the datagrams it wants sent to a send callback, so that it works over any
 * path (an ICE pair, a TURN relay, memory in the tests). It runs the DTLS 1.2 handshake
 * with the use_srtp extension, checks the peer's certificate against the fingerprint its
 * SDP named, and exports the SRTP keys in the layout srtp_sess_alloc takes.
 *
 * Nothing here blocks or sleeps: retransmissions and the handshake deadline are driven
 * by the caller's timer (dtls_srtp_timeout_ms, dtls_srtp_on_timeout). An endpoint is used
 * by one thread at a time (a helper thread, never the media thread: the handshake's
 * public-key operations take milliseconds); different endpoints may run on different
 * threads. Times are the caller's monotonic clock in ms. */
#ifndef TTY_WEBRTC_DTLS_SRTP_H
#define TTY_WEBRTC_DTLS_SRTP_H

#include <stddef.h>
#include <stdint.h>
#include "media/media.h"
#include "media/webrtc/dtls_cert.h"

#define DTLS_SRTP_DEADLINE_MS 10000  /* default handshake deadline from start */
#define DTLS_SRTP_RTO_MS 1000        /* default first retransmission timeout (RFC 6347) */
#define DTLS_SRTP_MAX_RTO_MS 3000    /* doubling stops here, so that a lossy path still
				      * gets four tries inside the default deadline */
#define DTLS_SRTP_MTU 1200           /* largest datagram we send, as browsers do: fits a
				      * TURN relay over IPv6 */
#define DTLS_SRTP_MAX_IN 16384       /* larger datagrams are dropped (no handshake needs
				      * them; OpenSSL would cut them) */
#define DTLS_SRTP_WHY 512            /* room for a reason (two sha-512 fingerprints
				      * are cut short) */

/* a=setup after offer/answer (RFC 5763 section 5): active = we are the DTLS client. */
enum dtls_setup { DTLS_SETUP_ACTIVE, DTLS_SETUP_PASSIVE };

enum dtls_srtp_state {
	DTLS_SRTP_NEW,         /* made, not started */
	DTLS_SRTP_HANDSHAKE,   /* started; also while the peer's fingerprint is awaited */
	DTLS_SRTP_CONNECTED,   /* keys ready (dtls_srtp_keys) */
	DTLS_SRTP_FAILED,      /* for good: dtls_srtp_why */
	DTLS_SRTP_CLOSED,      /* close_notify, from the peer or from dtls_srtp_close; keys
				* already taken stay valid (SRTP does not depend on DTLS) */
};

struct dtls_srtp_opts {
	unsigned deadline_ms;      /* 0: DTLS_SRTP_DEADLINE_MS */
	unsigned rto_ms;           /* first retransmission timeout, 0: DTLS_SRTP_RTO_MS; a
				    * caller that knows the path's round trip (ICE) may
				    * pass about twice that */
	unsigned mtu;              /* 0: DTLS_SRTP_MTU; 256..16384 */
	/* SRTP profiles offered (client) or chosen from (server), best first; NULL: all we
	 * support (AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32). */
	const enum srtp_suite *suites;
	unsigned n_suites;
};

/* What srtp_sess_alloc needs, each way. */
struct dtls_srtp_keys {
	enum srtp_suite suite;
	unsigned key_len;          /* key||salt bytes, srtp_suite_key_len(suite): 30 or 28 */
	uint8_t tx_key[46];        /* ours: srtp_sess_alloc(.., outbound = true) */
	uint8_t rx_key[46];        /* the peer's: srtp_sess_alloc(.., outbound = false) */
};

struct dtls_srtp_stats {
	uint64_t in, out;          /* datagrams taken and handed to send */
	uint64_t dropped;          /* not taken: too large, empty, or after the end */
	uint64_t retransmits;      /* flights sent again on the timer */
	uint64_t send_failed;      /* send returned -1 (retransmission covers them) */
};

/* Send one datagram; called from inside the calls below, never after dtls_srtp_free.
 * Must not block nor call back into this endpoint. 0, or -1 if it was not sent. */
typedef int (*dtls_send_fn)(void *arg, const uint8_t *pkt, size_t len);

struct dtls_srtp;

/* An endpoint with our cert (its own references: cert may be freed after), our role,
 * and the peer's SDP fingerprint (fp_alg "sha-256", fp_value "AB:CD:..."), or NULL and
 * NULL when it is not known yet (we offered and the answer has not come: see
 * dtls_srtp_set_peer_fingerprint). opts may be NULL. 0, or an errno with why. */
int dtls_srtp_alloc(struct dtls_srtp **dp, const struct dtls_cert *cert,
		    enum dtls_setup setup, const char *fp_alg, const char *fp_value,
		    const struct dtls_srtp_opts *opts, dtls_send_fn send, void *arg,
		    char *why, size_t whylen);
void dtls_srtp_free(struct dtls_srtp *d);   /* wipes the keys; sends nothing */

/* Begin: the active side sends its ClientHello; the deadline starts for both. A feed
 * before start starts it. Returns the state. */
enum dtls_srtp_state dtls_srtp_start(struct dtls_srtp *d, uint64_t now_ms);
/* One datagram from the peer (first byte 20..63); replies go out through send. */
enum dtls_srtp_state dtls_srtp_feed(struct dtls_srtp *d, const uint8_t *pkt, size_t len,
				    uint64_t now_ms);
/* The peer's fingerprint once its SDP came. A handshake that already finished is checked
 * now; a malformed fingerprint fails the endpoint. Returns the state. */
enum dtls_srtp_state dtls_srtp_set_peer_fingerprint(struct dtls_srtp *d, const char *alg,
						    const char *value);
/* ms until dtls_srtp_on_timeout is due (0: now), or -1 when nothing is pending. */
int dtls_srtp_timeout_ms(struct dtls_srtp *d, uint64_t now_ms);
/* Retransmit a flight whose timer ran out, or fail at the deadline. Returns the state. */
enum dtls_srtp_state dtls_srtp_on_timeout(struct dtls_srtp *d, uint64_t now_ms);
/* End DTLS: send close_notify (when it got that far). State CLOSED. */
void dtls_srtp_close(struct dtls_srtp *d);

enum dtls_srtp_state dtls_srtp_state(const struct dtls_srtp *d);
const char *dtls_srtp_state_name(enum dtls_srtp_state s);
/* Why it failed or closed, "" otherwise. */
const char *dtls_srtp_why(const struct dtls_srtp *d);
/* Once CONNECTED: the keys. 0, or -1 before. */
int dtls_srtp_keys(const struct dtls_srtp *d, struct dtls_srtp_keys *out);
/* Once the handshake finished: OpenSSL's name of the cipher suite ("ECDHE-ECDSA-AES128-
 * GCM-SHA256"), else "". */
const char *dtls_srtp_cipher(const struct dtls_srtp *d);
void dtls_srtp_get_stats(const struct dtls_srtp *d, struct dtls_srtp_stats *out);

#endif
