/* fuzz_sdp.c: a peer's SDP, as it arrives in an INVITE or in a 200 OK.
 *
 * The input is SDP text. It is parsed with Sofia's parser (sdp_parse_desc), then
 *   - answered, as the callee would (media_make_answer), under three configs: srtp off,
 *     optional and mandatory; a successful answer must write as SDP (sdp_write_desc) that
 *     parses again with its audio port, payload type and direction intact;
 *   - taken as the answer to a fixed offer of ours (media_take_answer), as the caller would;
 *   - answered with WebRTC media (media_make_answer_webrtc) with a fixed local ICE/DTLS
 *     side: the answer to a WebRTC offer is UDP/TLS/RTP/SAVPF with rtcp-mux and a DTLS
 *     role, without keys; a plain offer's answer stays plain.
 * Whatever negotiation accepts must describe something the media engine can run: a
 * codec's payload type below 128 and, with SRTP, a whole key of the suite's length. The
 * same bytes are also read as a trickled-candidates fragment (sdp_parse_frag). */
#include "fuzz.h"
#include <string.h>
#include "media/media.h"
#include "media/srtp_sess.h"

static struct media_cfg cfgs[3];
static struct media_offer_state offer_plain, offer_srtp;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const enum srtp_mode modes[3] = { SRTP_OFF, SRTP_OPTIONAL, SRTP_MANDATORY };

	(void)argc;
	(void)argv;
	for (int i = 0; i < 3; i++) {
		struct media_cfg *c = &cfgs[i];

		memset(c, 0, sizeof(*c));
		c->codecs[0] = CODEC_OPUS;
		c->codecs[1] = CODEC_G722;
		c->codecs[2] = CODEC_PCMA;
		c->codecs[3] = CODEC_PCMU;
		c->ncodecs = i == 2 ? 1 : 4;    /* the mandatory one only speaks opus */
		c->srtp = modes[i];
		c->rtp_port_min = 20000;
		c->rtp_port_max = 20999;
	}
	/* Our offers: the media engine would have made these before the peer answered. */
	if (media_make_offer(&cfgs[0], "192.0.2.1", 20000, MEDIA_SENDRECV, &offer_plain) < 0 ||
	    media_make_offer(&cfgs[1], "192.0.2.1", 20002, MEDIA_SENDRECV, &offer_srtp) < 0)
		abort();
	return 0;
}

static void check_params(const struct media_params *p)
{
	FUZZ_ASSERT(p->pt < 128);
	FUZZ_ASSERT(p->te_pt < 128);
	FUZZ_ASSERT((unsigned)p->codec < CODEC_COUNT);
	FUZZ_ASSERT(memchr(p->remote_addr, '\0', sizeof(p->remote_addr)));
	if (p->suite != SUITE_NONE)
		FUZZ_ASSERT(p->key_len == srtp_suite_key_len(p->suite) && p->key_len > 0);
}

/* Our answer must be SDP that we (and so any peer) can read back. */
static void check_answer_text(const struct sdp_desc *ans)
{
	static char text[8192];
	struct sdp_desc back;
	char why[256];
	int n = sdp_write_desc(ans, text, sizeof(text));

	if (n < 0)
		return;   /* refused to echo a peer's string that is not printable: fine */
	FUZZ_ASSERT((size_t)n < sizeof(text) && strlen(text) == (size_t)n);
	if (sdp_parse_desc(text, (size_t)n, &back, why, sizeof(why)) != 0) {
		fprintf(stderr, "our answer does not parse (%s):\n%s\n", why, text);
		abort();
	}
	FUZZ_ASSERT(back.has_audio);
	FUZZ_ASSERT(back.audio.port == ans->audio.port);
	FUZZ_ASSERT(back.audio.nfmts >= 1 && back.audio.fmts[0].pt == ans->audio.fmts[0].pt);
	FUZZ_ASSERT(back.audio.dir == ans->audio.dir);
	FUZZ_ASSERT(back.audio.ncrypto == ans->audio.ncrypto);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_desc desc, answer;
	struct media_params params;
	char why[256] = "";
	int rc;

	/* The same bytes as an INFO's trickled fragment (RFC 8840): bounded, told why. */
	{
		struct sdp_webrtc frag;

		rc = sdp_parse_frag((const char *)data, size, "0", &frag, why, sizeof(why));
		FUZZ_ASSERT(frag.ncand <= SDP_MAX_CAND);
		for (unsigned i = 0; i < frag.ncand; i++)
			FUZZ_ASSERT(memchr(frag.cand[i], '\0', sizeof(frag.cand[i])));
		FUZZ_ASSERT(memchr(frag.ice_ufrag, '\0', sizeof(frag.ice_ufrag)));
		if (rc != 0)
			FUZZ_ASSERT(why[0] && memchr(why, '\0', sizeof(why)));
		else
			FUZZ_ASSERT(frag.ncand > 0 || frag.end_of_candidates);
		why[0] = '\0';
	}
	/* The SIP layer hands over the body with its length: no NUL needed, none promised. */
	rc = sdp_parse_desc((const char *)data, size, &desc, why, sizeof(why));
	if (rc != 0)
		FUZZ_ASSERT(why[0] && memchr(why, '\0', sizeof(why)));
	if (rc < 0)
		return 0;
	FUZZ_ASSERT(desc.nother <= SDP_MAX_OTHER);
	FUZZ_ASSERT(desc.audio.nfmts <= SDP_MAX_FMTS && desc.audio.ncrypto <= SDP_MAX_CRYPTO);

	for (int i = 0; i < 3; i++) {
		why[0] = '\0';
		if (media_make_answer(&cfgs[i], "192.0.2.1", 20004, &desc, MEDIA_SENDRECV,
				      &answer, &params, why, sizeof(why)) == 0) {
			check_params(&params);
			check_answer_text(&answer);
		} else {
			FUZZ_ASSERT(why[0]);
		}
		/* On hold, the answer changes direction only. */
		if (media_make_answer(&cfgs[i], "192.0.2.1", 20004, &desc, MEDIA_SENDONLY,
				      &answer, &params, why, sizeof(why)) == 0)
			FUZZ_ASSERT(!(params.dir & MEDIA_RECVONLY));
	}
	{
		struct sdp_webrtc local;

		memset(&local, 0, sizeof(local));
		strcpy(local.ice_ufrag, "Fuzz");
		strcpy(local.ice_pwd, "fuzzfuzzfuzzfuzzfuzzfu");
		strcpy(local.cand[0], "1 1 UDP 2015364095 192.0.2.1 20006 typ host");
		local.ncand = 1;
		local.end_of_candidates = true;
		strcpy(local.fp_alg, "sha-256");
		strcpy(local.fp, "AA:BB");
		if (media_make_answer_webrtc(&cfgs[1], &desc, &local, MEDIA_SENDRECV, &answer,
					     &params, why, sizeof(why)) == 0) {
			/* A plain offer gets a plain answer: only a WebRTC one uses our side. */
			FUZZ_ASSERT(answer.audio.dtls == desc.audio.dtls);
			if (desc.audio.dtls) {
				FUZZ_ASSERT(answer.audio.rtcp_mux && answer.audio.ncrypto == 0);
				FUZZ_ASSERT(answer.audio.rtc.setup == SETUP_ACTIVE ||
					    answer.audio.rtc.setup == SETUP_PASSIVE);
				FUZZ_ASSERT(params.suite == SUITE_NONE);
			}
			check_answer_text(&answer);
		}
	}
	if (media_take_answer(&cfgs[0], &offer_plain, &desc, &params, why, sizeof(why)) == 0) {
		check_params(&params);
		FUZZ_ASSERT(params.suite == SUITE_NONE);
	}
	if (media_take_answer(&cfgs[1], &offer_srtp, &desc, &params, why, sizeof(why)) == 0)
		check_params(&params);
	return 0;
}
