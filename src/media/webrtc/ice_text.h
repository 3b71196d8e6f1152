/* ice_text.h: the text ICE is written in, without libnice: "host:port" of STUN and TURN
 * servers, ice-ufrag/ice-pwd (making ours, checking the peer's), and a=candidate lines as
 * SDP and trickle carry them. Pure functions, any thread (fuzzable, unit-tested alone). */
#ifndef TTY_WEBRTC_ICE_TEXT_H
#define TTY_WEBRTC_ICE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 8839 section 5.4: ice-ufrag 4..256 ice-chars, ice-pwd 22..256. */
#define ICE_UFRAG_MIN 4
#define ICE_PWD_MIN 22
#define ICE_CRED_MAX 256
#define ICE_CRED_BUF (ICE_CRED_MAX + 1)
#define ICE_UFRAG_OURS 8           /* 48 bits of randomness (RFC 8445 asks for 24) */
#define ICE_PWD_OURS 24            /* 144 bits (RFC 8445 asks for 128) */
#define ICE_LINE_MAX 512           /* an a=candidate line; longer ones are refused */
#define ICE_HOST_MAX 256

/* Split "host", "host:port", "[v6]:port" or a bare IPv6 address; no port gives
 * default_port. 0, or EINVAL (empty, bad port, unbalanced brackets) or ENAMETOOLONG. */
int ice_split_hostport(const char *in, uint16_t default_port, char *host, size_t hostlen,
		       uint16_t *port);
/* Whether s is min..ICE_CRED_MAX ice-chars (ALPHA / DIGIT / "+" / "/"). */
bool ice_cred_ok(const char *s, size_t min);
/* New random local credentials from getrandom(2): ufrag of ICE_UFRAG_OURS chars, pwd of
 * ICE_PWD_OURS, NUL-terminated (buffers of ICE_CRED_BUF). 0 or an errno. */
int ice_make_credentials(char *ufrag, char *pwd);

/* A candidate as the peer wrote it ("a=candidate:...", "candidate:...", with or without
 * its line end) into the "a=candidate:..." form libnice parses. 0, or EINVAL (not a
 * candidate line, or a control character in it), ENAMETOOLONG (over ICE_LINE_MAX), or
 * ENOTSUP for a host named by mDNS ("<uuid>.local", RFC 8445 cannot pair it without a
 * resolver we do not have); why gets a sentence for each error. */
int ice_candidate_sdp(const char *in, char *out, size_t outlen, char *why, size_t whylen);
/* "a=end-of-candidates" or "end-of-candidates" (RFC 8840), with or without line end. */
bool ice_is_end_of_candidates(const char *in);

#endif
