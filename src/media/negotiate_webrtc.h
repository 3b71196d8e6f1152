/* negotiate_webrtc.h: the WebRTC part of offer/answer (RFC 8839 ICE, RFC 8842 DTLS-SRTP,
 * RFC 8843 BUNDLE, RFC 5761 rtcp-mux) for negotiate.c: what a WebRTC audio line must carry,
 * who is the DTLS client, and our ICE/DTLS attributes on our line. No keys here: they come
 * from the DTLS handshake after the answer (media_params.suite stays SUITE_NONE until then). */
#ifndef TTY_NEGOTIATE_WEBRTC_H
#define TTY_NEGOTIATE_WEBRTC_H

#include <stddef.h>
#include "sdp.h"

/* Whether the peer's WebRTC line has what we need (credentials, a fingerprint, rtcp-mux,
 * a usable a=setup); -1 with a reason otherwise. offer: it is an offer (actpass allowed). */
int webrtc_check_remote(const struct sdp_audio *peer, bool offer, char *why, size_t whylen);
/* Our a=setup in an answer to the peer's (RFC 5763 section 5: actpass -> active, the
 * browsers' choice, so that our ClientHello goes out as soon as ICE connects). */
enum sdp_setup webrtc_answer_setup(enum sdp_setup offered);
/* Our DTLS role once the peer answered our actpass: the opposite of theirs. */
enum sdp_setup webrtc_role_from_answer(enum sdp_setup answered);
/* Our WebRTC attributes on our audio line: local's credentials, candidates and fingerprint,
 * with setup, mid and BUNDLE; the profile UDP/TLS/RTP/SAVPF and rtcp-mux. addr and port
 * become the default candidate's (the first one, RFC 8839 section 4.2.1.2); 9 and 0.0.0.0
 * when there is none yet. */
void webrtc_fill_local(struct sdp_audio *a, const struct sdp_webrtc *local,
		       enum sdp_setup setup, const char *mid, bool bundled);
/* The default candidate's address and port (the first candidate), or 0.0.0.0 and 9. */
void webrtc_default_addr(const struct sdp_webrtc *local, char *addr, size_t addrlen,
			 uint16_t *port);

#endif
