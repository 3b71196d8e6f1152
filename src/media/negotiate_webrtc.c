/* negotiate_webrtc.c: see negotiate_webrtc.h. */
#include "negotiate_webrtc.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>

int webrtc_check_remote(const struct sdp_audio *peer, bool offer, char *why, size_t whylen)
{
	const struct sdp_webrtc *r = &peer->rtc;

	if (!r->ice_ufrag[0] || !r->ice_pwd[0])
		return str_fail(why, whylen, "the WebRTC %s has no ICE credentials (a=ice-ufrag, "
				"a=ice-pwd)", offer ? "offer" : "answer");
	if (!r->fp[0] || !r->fp_alg[0])
		return str_fail(why, whylen, "the WebRTC %s has no DTLS fingerprint (a=fingerprint)",
				offer ? "offer" : "answer");
	/* One ICE component per call: RTCP must share RTP's path. */
	if (!peer->rtcp_mux)
		return str_fail(why, whylen, "the WebRTC %s has no a=rtcp-mux (RTCP on its own "
				"port is not supported)", offer ? "offer" : "answer");
	if (r->setup == SETUP_HOLDCONN)
		return str_fail(why, whylen, "the WebRTC %s holds the DTLS connection "
				"(a=setup:holdconn)", offer ? "offer" : "answer");
	if (!offer && r->setup == SETUP_ACTPASS)
		return str_fail(why, whylen, "the WebRTC answer says a=setup:actpass, which only "
				"an offer may (RFC 5763)");
	return 0;
}

enum sdp_setup webrtc_answer_setup(enum sdp_setup offered)
{
	/* An offer without a=setup: the offerer is active (RFC 4145's default). */
	return offered == SETUP_ACTIVE || offered == SETUP_NONE ? SETUP_PASSIVE : SETUP_ACTIVE;
}

enum sdp_setup webrtc_role_from_answer(enum sdp_setup answered)
{
	/* An answer without a=setup: the answerer is active (RFC 5763 section 5). */
	return answered == SETUP_PASSIVE ? SETUP_ACTIVE : SETUP_PASSIVE;
}

/* The address and port of a candidate value ("1 1 UDP 2015364095 192.0.2.1 40000 typ host"). */
static bool cand_addr(const char *cand, char *addr, size_t addrlen, uint16_t *port)
{
	char a[64];
	unsigned p;

	if (sscanf(cand, "%*s %*u %*s %*u %63s %u", a, &p) != 2 || p == 0 || p > 65535)
		return false;
	snprintf(addr, addrlen, "%s", a);
	*port = (uint16_t)p;
	return true;
}

void webrtc_fill_local(struct sdp_audio *a, const struct sdp_webrtc *local,
		       enum sdp_setup setup, const char *mid, bool bundled)
{
	a->rtc = *local;
	a->rtc.setup = setup;
	a->rtc.ice_lite = false;
	a->rtc.trickle = false;    /* SIP carries whole descriptions: every candidate is in it */
	snprintf(a->rtc.mid, sizeof(a->rtc.mid), "%s", mid ? mid : "");
	a->rtc.bundled = bundled && a->rtc.mid[0];
	a->dtls = true;
	a->avpf = true;
	a->savp = false;
	a->rtcp_mux = true;
	a->ncrypto = 0;
	webrtc_default_addr(local, a->addr, sizeof(a->addr), &a->port);
}

void webrtc_default_addr(const struct sdp_webrtc *local, char *addr, size_t addrlen,
			 uint16_t *port)
{
	if (local->ncand == 0 || !cand_addr(local->cand[0], addr, addrlen, port)) {
		snprintf(addr, addrlen, "0.0.0.0");
		*port = 9;         /* RFC 8840: the discard port while candidates are unknown */
	}
}
