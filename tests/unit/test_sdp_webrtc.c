/* test_sdp_webrtc.c: a browser's offer as Chromium writes it (UDP/TLS/RTP/SAVPF, ICE,
 * DTLS fingerprint, BUNDLE, rtcp-fb, a video line) parsed into struct sdp_desc, and our
 * WebRTC answer written and read back. Sofia leaves this profile's rtpmaps unparsed: the
 * formats come from sdp_parse.c's own reading of a=rtpmap and a=fmtp. Then offer/answer
 * with our ICE and DTLS side (media_make_answer_webrtc, media_make_offer_webrtc,
 * media_take_answer): roles, the default candidate, what a WebRTC line must carry. And
 * RFC 8840's trickle-ice-sdpfrag, an INFO's fragment of candidates (sdp_parse_frag). */
#include "media/media.h"
#include "sdp.h"
#include "unit.h"

#include <string.h>

/* Shortened from a Chromium 120 offer made by JsSIP (the lab's page): two candidates. */
static const char chrome_offer[] =
	"v=0\r\n"
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS 3c1b\r\n"
	"m=audio 52340 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 192.168.1.20\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:3212145623 1 udp 2122260223 192.168.1.20 52340 typ host generation 0 network-id 1\r\n"
	"a=candidate:842163049 1 udp 1686052607 203.0.113.7 52340 typ srflx raddr 192.168.1.20 rport 52340 generation 0\r\n"
	"a=ice-ufrag:EsAw\r\n"
	"a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=sendrecv\r\n"
	"a=msid:3c1b 9d3e\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=rtpmap:63 red/48000/2\r\n"
	"a=fmtp:63 111/111\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"a=ssrc:1001 cname:abc\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=mid:1\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtpmap:97 rtx/90000\r\n";

static const struct sdp_fmt *fmt(const struct sdp_audio *a, unsigned pt)
{
	for (unsigned i = 0; i < a->nfmts; i++)
		if (a->fmts[i].pt == pt)
			return &a->fmts[i];
	return NULL;
}

static void test_chrome_offer_parses_with_ice_dtls_and_bundle(void)
{
	struct sdp_desc d;
	char why[200];
	const struct sdp_fmt *opus, *pcmu, *te;

	CHECK_INT(sdp_parse_desc(chrome_offer, sizeof(chrome_offer) - 1, &d, why, sizeof(why)), 0);
	CHECK(d.has_audio);
	CHECK_INT(d.audio_index, 0);
	CHECK(d.audio.dtls && d.audio.savp && d.audio.avpf);
	CHECK_INT(d.audio.port, 52340);
	CHECK_STR(d.audio.addr, "192.168.1.20");
	CHECK(d.audio.rtcp_mux);
	CHECK_INT(d.audio.dir, MEDIA_SENDRECV);
	CHECK_INT(d.audio.nfmts, 8);
	CHECK((opus = fmt(&d.audio, 111)) != NULL);
	if (opus) {
		CHECK_STR(opus->name, "opus");
		CHECK_INT(opus->rate, 48000);
		CHECK_INT(opus->channels, 2);
		CHECK_STR(opus->fmtp, "minptime=10;useinbandfec=1");
	}
	CHECK((pcmu = fmt(&d.audio, 0)) != NULL && !strcmp(pcmu->name, "PCMU"));
	CHECK((te = fmt(&d.audio, 126)) != NULL && te->rate == 8000);
	CHECK_STR(d.audio.rtc.ice_ufrag, "EsAw");
	CHECK_STR(d.audio.rtc.ice_pwd, "bP+XJMM09aR8AiX1jdukzR6Y");
	CHECK(d.audio.rtc.trickle);
	CHECK_INT(d.audio.rtc.ncand, 2);
	CHECK(strstr(d.audio.rtc.cand[1], "typ srflx raddr 192.168.1.20") != NULL);
	CHECK_STR(d.audio.rtc.fp_alg, "sha-256");
	CHECK(!strncmp(d.audio.rtc.fp, "D2:FA:0E", 8) && strlen(d.audio.rtc.fp) == 95);
	CHECK_INT(d.audio.rtc.setup, SETUP_ACTPASS);
	CHECK_STR(d.audio.rtc.mid, "0");
	CHECK(d.audio.rtc.bundled);
	CHECK_INT(d.nother, 1);
	CHECK_STR(d.other[0].type, "video");
	CHECK_STR(d.other[0].proto, "UDP/TLS/RTP/SAVPF");
	CHECK_STR(d.other[0].mid, "1");
}

/* Firefox writes the fingerprint at session level: it applies to the audio line. */
static void test_session_level_fingerprint_and_setup_apply(void)
{
	static const char offer[] =
		"v=0\r\no=mozilla 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
		"a=fingerprint:sha-256 AA:BB\r\na=setup:active\r\na=ice-lite\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 109\r\nc=IN IP4 0.0.0.0\r\n"
		"a=rtpmap:109 opus/48000/2\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\n"
		"a=candidate:0 1 UDP 2122252543 10.0.0.1 5000 typ host\r\na=end-of-candidates\r\n";
	struct sdp_desc d;
	char why[200];

	CHECK_INT(sdp_parse_desc(offer, sizeof(offer) - 1, &d, why, sizeof(why)), 0);
	CHECK_STR(d.audio.rtc.fp, "AA:BB");
	CHECK_INT(d.audio.rtc.setup, SETUP_ACTIVE);
	CHECK(d.audio.rtc.ice_lite);
	CHECK(d.audio.rtc.end_of_candidates);
	CHECK(!d.audio.rtc.bundled);
}

/* Plain SIP offers are what they were: no WebRTC fields appear. */
static void test_plain_rtp_offer_has_no_webrtc_fields(void)
{
	static const char offer[] =
		"v=0\r\no=x 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 0 8\r\n";
	struct sdp_desc d;
	char why[200];

	CHECK_INT(sdp_parse_desc(offer, sizeof(offer) - 1, &d, why, sizeof(why)), 0);
	CHECK(!d.audio.dtls && !d.audio.avpf && !d.audio.savp);
	CHECK_INT(d.audio.nfmts, 2);
	CHECK(!d.audio.rtc.ice_ufrag[0] && !d.audio.rtc.ncand && d.audio.rtc.setup == SETUP_NONE);
}

/* Our answer: the WebRTC lines written, the video line declined with its mid, and read back
 * the same; a CR smuggled into a candidate spoils the whole SDP rather than forging a line. */
static void test_webrtc_answer_round_trips(void)
{
	struct sdp_desc a, b;
	char text[4096], why[200];
	int n;

	memset(&a, 0, sizeof(a));
	strcpy(a.origin_addr, "127.0.0.1");
	a.sess_id = 7;
	a.has_audio = true;
	strcpy(a.audio.addr, "127.0.0.1");
	a.audio.port = 40000;
	a.audio.savp = a.audio.dtls = a.audio.avpf = a.audio.rtcp_mux = true;
	a.audio.dir = MEDIA_SENDRECV;
	a.audio.nfmts = 1;
	a.audio.fmts[0] = (struct sdp_fmt){ .pt = 111, .name = "opus", .rate = 48000, .channels = 2,
					   .fmtp = "minptime=10;useinbandfec=1" };
	strcpy(a.audio.rtc.ice_ufrag, "abcd");
	strcpy(a.audio.rtc.ice_pwd, "0123456789abcdefghijkl");
	strcpy(a.audio.rtc.cand[0], "1 1 udp 2130706431 127.0.0.1 40000 typ host");
	a.audio.rtc.ncand = 1;
	a.audio.rtc.end_of_candidates = true;
	strcpy(a.audio.rtc.fp_alg, "sha-256");
	strcpy(a.audio.rtc.fp, "01:02:03");
	a.audio.rtc.setup = SETUP_PASSIVE;
	strcpy(a.audio.rtc.mid, "0");
	a.audio.rtc.bundled = true;
	a.nother = 1;
	a.other[0] = (struct sdp_other){ .type = "video", .proto = "UDP/TLS/RTP/SAVPF",
					 .fmts = "96", .mid = "1" };
	n = sdp_write_desc(&a, text, sizeof(text));
	CHECK(n > 0);
	CHECK(strstr(text, "a=group:BUNDLE 0\r\n") != NULL);
	CHECK(strstr(text, "m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n") != NULL);
	CHECK(strstr(text, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n") != NULL);
	CHECK(strstr(text, "a=setup:passive\r\n") != NULL);
	CHECK_INT(sdp_parse_desc(text, (size_t)n, &b, why, sizeof(why)), 0);
	CHECK_STR(b.audio.rtc.ice_ufrag, "abcd");
	CHECK_STR(b.audio.rtc.ice_pwd, a.audio.rtc.ice_pwd);
	CHECK_STR(b.audio.rtc.cand[0], a.audio.rtc.cand[0]);
	CHECK(b.audio.rtc.end_of_candidates && b.audio.rtc.bundled);
	CHECK_STR(b.audio.rtc.fp, "01:02:03");
	CHECK_INT(b.audio.rtc.setup, SETUP_PASSIVE);
	CHECK_STR(b.audio.fmts[0].fmtp, "minptime=10;useinbandfec=1");
	CHECK_INT(b.audio.fmts[0].channels, 2);
	CHECK_STR(b.other[0].mid, "1");

	strcpy(a.audio.rtc.cand[0], "1 1 udp 1 127.0.0.1 4 typ host\r\na=setup:active");
	CHECK_INT(sdp_write_desc(&a, text, sizeof(text)), -1);
}

/* Our side as a webrtc link gives it: credentials, two candidates, gathering done. */
static struct sdp_webrtc our_side(void)
{
	struct sdp_webrtc w;

	memset(&w, 0, sizeof(w));
	strcpy(w.ice_ufrag, "Tty1");
	strcpy(w.ice_pwd, "ttyphoneIcePassword0123");
	strcpy(w.cand[0], "1 1 UDP 2015364095 198.51.100.5 41000 typ host");
	strcpy(w.cand[1], "2 1 UDP 1679819007 203.0.113.9 41000 typ srflx raddr 198.51.100.5 rport 41000");
	w.ncand = 2;
	w.end_of_candidates = true;
	strcpy(w.fp_alg, "sha-256");
	strcpy(w.fp, "AA:BB:CC:DD");
	return w;
}

static struct media_cfg media_cfg_of(enum srtp_mode srtp)
{
	struct media_cfg c = { .codecs = { CODEC_OPUS, CODEC_G722, CODEC_PCMA, CODEC_PCMU },
			       .ncodecs = 4, .srtp = srtp };
	return c;
}

static void test_chrome_offer_is_answered_as_webrtc_with_us_active(void)
{
	struct media_cfg c = media_cfg_of(SRTP_OFF);   /* srtp = off does not matter here */
	struct sdp_webrtc ours = our_side();
	struct sdp_desc off, ans, back;
	struct media_params p;
	char why[300], text[4096];
	int n;

	CHECK_INT(sdp_parse_desc(chrome_offer, sizeof(chrome_offer) - 1, &off, why, sizeof(why)), 0);
	CHECK_INT(media_make_answer_webrtc(&c, &off, &ours, MEDIA_SENDRECV, &ans, &p, why,
					   sizeof(why)), 0);
	CHECK(ans.audio.dtls && ans.audio.avpf && ans.audio.rtcp_mux && ans.audio.ncrypto == 0);
	CHECK_INT(ans.audio.rtc.setup, SETUP_ACTIVE);          /* the offer said actpass */
	CHECK_INT(p.suite, SUITE_NONE);                        /* keys come from DTLS */
	CHECK_INT(p.codec, CODEC_OPUS);
	CHECK_INT(p.pt, 111);
	CHECK_INT(p.te_pt, 110);                               /* at opus's 48 kHz clock */
	CHECK_STR(p.remote_addr, "192.168.1.20");
	n = sdp_write_desc(&ans, text, sizeof(text));
	CHECK(n > 0);
	CHECK(strstr(text, "m=audio 41000 UDP/TLS/RTP/SAVPF 111 110\r\n") != NULL);
	CHECK(strstr(text, "c=IN IP4 198.51.100.5\r\n") != NULL);   /* the default candidate */
	CHECK(strstr(text, "a=group:BUNDLE 0\r\n") != NULL);
	CHECK(strstr(text, "a=mid:0\r\n") != NULL);
	CHECK(strstr(text, "a=setup:active\r\n") != NULL);
	CHECK(strstr(text, "a=fingerprint:sha-256 AA:BB:CC:DD\r\n") != NULL);
	CHECK(strstr(text, "a=ice-ufrag:Tty1\r\n") != NULL);
	CHECK(strstr(text, "a=candidate:2 1 UDP 1679819007 203.0.113.9 41000 typ srflx") != NULL);
	CHECK(strstr(text, "a=end-of-candidates\r\n") != NULL);
	CHECK(strstr(text, "a=rtcp-mux\r\n") != NULL);
	CHECK(strstr(text, "a=ice-options:trickle") == NULL);
	CHECK(strstr(text, "a=crypto") == NULL);
	CHECK(strstr(text, "m=video 0 UDP/TLS/RTP/SAVPF") != NULL);
	CHECK_INT(sdp_parse_desc(text, (size_t)n, &back, why, sizeof(why)), 0);
	CHECK_STR(back.audio.rtc.ice_pwd, ours.ice_pwd);

	/* Without our side (no WebRTC here), the refusal names it. */
	CHECK_INT(media_make_answer(&c, "198.51.100.5", 20000, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), -1);
	CHECK(strstr(why, "WebRTC media (UDP/TLS/RTP/SAVPF") != NULL);
}

static void test_answer_roles_follow_the_offer(void)
{
	static const struct { enum sdp_setup offered, ours; } cases[] = {
		{ SETUP_ACTPASS, SETUP_ACTIVE }, { SETUP_ACTIVE, SETUP_PASSIVE },
		{ SETUP_PASSIVE, SETUP_ACTIVE }, { SETUP_NONE, SETUP_PASSIVE },
	};
	struct media_cfg c = media_cfg_of(SRTP_OPTIONAL);
	struct sdp_webrtc ours = our_side();
	struct sdp_desc off, ans;
	struct media_params p;
	char why[300];

	CHECK_INT(sdp_parse_desc(chrome_offer, sizeof(chrome_offer) - 1, &off, why, sizeof(why)), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		off.audio.rtc.setup = cases[i].offered;
		CHECK_INT(media_make_answer_webrtc(&c, &off, &ours, MEDIA_SENDRECV, &ans, &p, why,
						   sizeof(why)), 0);
		CHECK_INT(ans.audio.rtc.setup, cases[i].ours);
	}
}

static void test_webrtc_offers_missing_what_we_need_are_refused_by_name(void)
{
	struct media_cfg c = media_cfg_of(SRTP_OPTIONAL);
	struct sdp_webrtc ours = our_side();
	struct sdp_desc off, bad, ans;
	struct media_params p;
	char why[300];

	CHECK_INT(sdp_parse_desc(chrome_offer, sizeof(chrome_offer) - 1, &off, why, sizeof(why)), 0);
	bad = off;
	bad.audio.rtcp_mux = false;
	CHECK_INT(media_make_answer_webrtc(&c, &bad, &ours, MEDIA_SENDRECV, &ans, &p, why,
					   sizeof(why)), -1);
	CHECK(strstr(why, "no a=rtcp-mux") != NULL);
	bad = off;
	bad.audio.rtc.fp[0] = '\0';
	CHECK_INT(media_make_answer_webrtc(&c, &bad, &ours, MEDIA_SENDRECV, &ans, &p, why,
					   sizeof(why)), -1);
	CHECK(strstr(why, "no DTLS fingerprint") != NULL);
	bad = off;
	bad.audio.rtc.ice_pwd[0] = '\0';
	CHECK_INT(media_make_answer_webrtc(&c, &bad, &ours, MEDIA_SENDRECV, &ans, &p, why,
					   sizeof(why)), -1);
	CHECK(strstr(why, "no ICE credentials") != NULL);
	bad = off;
	bad.audio.rtc.setup = SETUP_HOLDCONN;
	CHECK_INT(media_make_answer_webrtc(&c, &bad, &ours, MEDIA_SENDRECV, &ans, &p, why,
					   sizeof(why)), -1);
	CHECK(strstr(why, "holdconn") != NULL);
	/* No codec in common stays the codec refusal. */
	c.codecs[0] = CODEC_PCMU;
	c.ncodecs = 1;
	bad = off;
	bad.audio.nfmts = 1;          /* opus only */
	CHECK_INT(media_make_answer_webrtc(&c, &bad, &ours, MEDIA_SENDRECV, &ans, &p, why,
					   sizeof(why)), -1);
	CHECK(strstr(why, "no codec in common") != NULL);
}

/* Our WebRTC offer, answered by a peer built from our own answerer (as a browser would
 * answer: active), and the answers we must refuse. */
static void test_our_webrtc_offer_and_the_answers_we_take(void)
{
	struct media_cfg c = media_cfg_of(SRTP_MANDATORY);
	struct sdp_webrtc ours = our_side(), theirs = our_side();
	struct media_offer_state st;
	struct sdp_desc ans, bad;
	struct media_params pb, pa;
	char text[4096], why[300];
	int n;

	memset(&st, 0, sizeof(st));
	CHECK_INT(media_make_offer_webrtc(&c, &ours, MEDIA_SENDRECV, &st), 0);
	n = sdp_write_desc(&st.offer, text, sizeof(text));
	CHECK(n > 0);
	CHECK(strstr(text, "m=audio 41000 UDP/TLS/RTP/SAVPF ") != NULL);
	CHECK(strstr(text, "c=IN IP4 198.51.100.5\r\n") != NULL);
	CHECK(strstr(text, "a=setup:actpass\r\n") != NULL);
	CHECK(strstr(text, "a=group:BUNDLE 0\r\n") != NULL);
	CHECK(strstr(text, "a=rtcp-mux\r\n") != NULL);
	CHECK(strstr(text, "a=crypto") == NULL);  /* srtp = mandatory: DTLS gives the keys */

	strcpy(theirs.ice_ufrag, "Brws");
	strcpy(theirs.cand[0], "9 1 udp 2122260223 192.0.2.44 50000 typ host");
	theirs.ncand = 1;
	CHECK_INT(media_make_answer_webrtc(&c, &st.offer, &theirs, MEDIA_SENDRECV, &ans, &pb, why,
					   sizeof(why)), 0);
	CHECK_INT(ans.audio.rtc.setup, SETUP_ACTIVE);
	CHECK_INT(media_take_answer(&c, &st, &ans, &pa, why, sizeof(why)), 0);
	CHECK_INT(pa.suite, SUITE_NONE);
	CHECK_INT(pa.codec, CODEC_OPUS);
	CHECK_STR(pa.remote_addr, "192.0.2.44");
	CHECK_INT(pa.remote_port, 50000);

	bad = ans;
	bad.audio.rtc.setup = SETUP_ACTPASS;
	CHECK_INT(media_take_answer(&c, &st, &bad, &pa, why, sizeof(why)), -1);
	CHECK(strstr(why, "actpass") != NULL);
	bad = ans;
	bad.audio.dtls = false;
	CHECK_INT(media_take_answer(&c, &st, &bad, &pa, why, sizeof(why)), -1);
	CHECK(strstr(why, "answered our WebRTC offer with plain RTP") != NULL);
	bad = ans;
	bad.audio.rtc.fp[0] = '\0';
	CHECK_INT(media_take_answer(&c, &st, &bad, &pa, why, sizeof(why)), -1);
	CHECK(strstr(why, "no DTLS fingerprint") != NULL);

	/* A WebRTC answer to a plain offer is refused too. */
	CHECK_INT(media_make_offer(&c, "198.51.100.5", 20000, MEDIA_SENDRECV, &st), 0);
	CHECK_INT(media_take_answer(&c, &st, &ans, &pa, why, sizeof(why)), -1);
	CHECK(strstr(why, "answered our RTP offer with WebRTC media") != NULL);
}

/* Before gathering gave a candidate, the line says so (RFC 8840's 9 and 0.0.0.0). */
static void test_no_candidate_yet_gives_the_discard_address(void)
{
	struct media_cfg c = media_cfg_of(SRTP_OFF);
	struct sdp_webrtc ours = our_side();
	struct media_offer_state st;

	ours.ncand = 0;
	ours.end_of_candidates = false;
	memset(&st, 0, sizeof(st));
	CHECK_INT(media_make_offer_webrtc(&c, &ours, MEDIA_SENDRECV, &st), 0);
	CHECK_STR(st.offer.audio.addr, "0.0.0.0");
	CHECK_INT(st.offer.audio.port, 9);
}

/* RFC 8840 section 9.1's example, with a second m= section (video, mid 1) whose
 * candidate must not be taken for the audio (mid 0). */
static const char frag_two_sections[] =
	"a=ice-options:trickle\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"m=audio 9 RTP/AVP 0\r\n"
	"a=mid:0\r\n"
	"a=ice-ufrag:EsAw\r\n"
	"a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
	"a=candidate:1 1 UDP 1658497328 192.168.100.33 5000 typ host\r\n"
	"a=candidate:2 1 UDP 1658497328 96.1.2.3 5000 typ srflx raddr 192.168.100.33 rport 5000\r\n"
	"a=end-of-candidates\r\n"
	"m=video 9 RTP/AVP 31\r\n"
	"a=mid:1\r\n"
	"a=candidate:3 1 UDP 1658497328 192.168.100.33 5002 typ host\r\n";

static void test_trickled_fragments_are_read_for_our_m_line(void)
{
	struct sdp_webrtc f;
	char why[200];

	CHECK(sdp_parse_frag(frag_two_sections, strlen(frag_two_sections), "0", &f, why,
			     sizeof(why)) == 0);
	CHECK(!strcmp(f.ice_ufrag, "EsAw") && !strcmp(f.ice_pwd, "P2uYro0UCOQ4zxjKXaWCBui1"));
	CHECK(f.ncand == 2 && f.end_of_candidates && f.trickle);
	CHECK(!strcmp(f.cand[0], "1 1 UDP 1658497328 192.168.100.33 5000 typ host"));
	CHECK(strstr(f.cand[1], "typ srflx") != NULL);
	/* The video section's alone, by its mid */
	CHECK(sdp_parse_frag(frag_two_sections, strlen(frag_two_sections), "1", &f, why,
			     sizeof(why)) == 0);
	CHECK(f.ncand == 1 && strstr(f.cand[0], " 5002 ") && !f.end_of_candidates);
	/* No mid wanted: the first section's */
	CHECK(sdp_parse_frag(frag_two_sections, strlen(frag_two_sections), "", &f, why,
			     sizeof(why)) == 0 && f.ncand == 2);
	/* LF-only lines, no m= section at all (candidates at the top), a bare end */
	{
		const char lf[] = "a=ice-ufrag:abcd\na=candidate:7 1 udp 1 10.0.0.1 9 typ host\n";
		const char eoc[] = "a=end-of-candidates";

		CHECK(sdp_parse_frag(lf, strlen(lf), "0", &f, why, sizeof(why)) == 0);
		CHECK(f.ncand == 1 && !strcmp(f.ice_ufrag, "abcd") && !f.end_of_candidates);
		CHECK(sdp_parse_frag(eoc, strlen(eoc), "0", &f, why, sizeof(why)) == 0);
		CHECK(f.ncand == 0 && f.end_of_candidates);
	}
}

static void test_fragments_with_nothing_for_us_are_refused_by_name(void)
{
	struct sdp_webrtc f;
	char why[200];
	const char other_mid[] = "m=audio 9 RTP/AVP 0\r\na=mid:7\r\n"
				 "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n";
	const char nul[] = "a=candidate:1 1 udp 1 10.0.0.1 9\0 typ host\r\n";
	char longline[600];

	CHECK(sdp_parse_frag("", 0, "0", &f, why, sizeof(why)) == -1);
	CHECK(strstr(why, "no a=candidate") != NULL);
	CHECK(sdp_parse_frag(NULL, 0, "0", &f, why, sizeof(why)) == -1);
	CHECK(sdp_parse_frag(other_mid, strlen(other_mid), "0", &f, why, sizeof(why)) == -1);
	CHECK(sdp_parse_frag(nul, sizeof(nul) - 1, "0", &f, why, sizeof(why)) == -1);
	CHECK(strstr(why, "cannot be read") != NULL);
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "a=candidate:", 12);
	CHECK(sdp_parse_frag(longline, sizeof(longline), "", &f, why, sizeof(why)) == -1);
	CHECK(f.ncand == 0);
}

int main(void)
{
	RUN(test_chrome_offer_parses_with_ice_dtls_and_bundle);
	RUN(test_session_level_fingerprint_and_setup_apply);
	RUN(test_plain_rtp_offer_has_no_webrtc_fields);
	RUN(test_webrtc_answer_round_trips);
	RUN(test_chrome_offer_is_answered_as_webrtc_with_us_active);
	RUN(test_answer_roles_follow_the_offer);
	RUN(test_webrtc_offers_missing_what_we_need_are_refused_by_name);
	RUN(test_our_webrtc_offer_and_the_answers_we_take);
	RUN(test_no_candidate_yet_gives_the_discard_address);
	RUN(test_trickled_fragments_are_read_for_our_m_line);
	RUN(test_fragments_with_nothing_for_us_are_refused_by_name);
	printf("%d checks, %d failed\n", unit_checks, unit_failures);
	return unit_failures != 0;
}
