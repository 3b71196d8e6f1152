/* test_media_negotiate.c: SDP offer/answer as a peer would see it: what our offer holds per
 * SRTP mode and codec order, how we answer others' offers (their order, their payload
 * types, telephone-event, SRTP, hold, other m-lines), how we take their answers, and the
 * SDP text we write. */
#include "unit.h"
#include "media/media.h"
#include "media/base64.h"

static struct media_cfg cfg(enum srtp_mode srtp)
{
	struct media_cfg c = { .codecs = { CODEC_OPUS, CODEC_G722, CODEC_PCMA, CODEC_PCMU },
			       .ncodecs = 4, .srtp = srtp, .rtp_port_min = 20000,
			       .rtp_port_max = 20100, .jitter_min_ms = 40, .jitter_max_ms = 200 };
	return c;
}

static void add_fmt(struct sdp_audio *a, uint8_t pt, const char *name, unsigned rate,
		    unsigned ch, const char *fmtp)
{
	struct sdp_fmt *f = &a->fmts[a->nfmts++];

	f->pt = pt;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->rate = rate;
	f->channels = ch;
	snprintf(f->fmtp, sizeof(f->fmtp), "%s", fmtp);
}

static void add_crypto(struct sdp_audio *a, unsigned tag, const char *suite, unsigned keylen)
{
	struct sdp_crypto *c = &a->crypto[a->ncrypto++];
	uint8_t key[46];

	for (unsigned i = 0; i < keylen; i++)
		key[i] = (uint8_t)(i + tag);
	c->tag = tag;
	snprintf(c->suite, sizeof(c->suite), "%s", suite);
	b64_encode(key, keylen, c->key_b64, sizeof(c->key_b64));
}

/* A peer's offer: PCMU, opus at pt 96, G722, telephone-event 100/8000, sendrecv. */
static struct sdp_desc peer_offer(void)
{
	struct sdp_desc d;

	memset(&d, 0, sizeof(d));
	snprintf(d.origin_addr, sizeof(d.origin_addr), "192.0.2.7");
	d.sess_id = 77;
	d.sess_version = 1;
	d.has_audio = true;
	snprintf(d.audio.addr, sizeof(d.audio.addr), "192.0.2.7");
	d.audio.port = 40000;
	d.audio.dir = MEDIA_SENDRECV;
	add_fmt(&d.audio, 0, "PCMU", 8000, 0, "");
	add_fmt(&d.audio, 96, "opus", 48000, 2, "useinbandfec=1");
	add_fmt(&d.audio, 9, "G722", 8000, 0, "");
	add_fmt(&d.audio, 100, "telephone-event", 8000, 0, "0-15");
	return d;
}

static int find_pt(const struct sdp_audio *a, const char *name)
{
	for (unsigned i = 0; i < a->nfmts; i++)
		if (strcmp(a->fmts[i].name, name) == 0)
			return a->fmts[i].pt;
	return -1;
}

static void test_offer_lists_codecs_in_config_order_with_our_pts(void)
{
	struct media_cfg c = cfg(SRTP_OFF);
	struct media_offer_state st;
	const struct sdp_audio *a = &st.offer.audio;

	memset(&st, 0, sizeof(st));
	c.codecs[0] = CODEC_PCMA;
	c.codecs[1] = CODEC_OPUS;
	c.ncodecs = 2;
	CHECK_INT(media_make_offer(&c, "198.51.100.1", 20000, MEDIA_SENDRECV, &st), 0);
	CHECK_INT(a->nfmts, 3);
	CHECK_INT(a->fmts[0].pt, 8);
	CHECK_STR(a->fmts[0].name, "PCMA");
	CHECK_INT(a->fmts[1].pt, 111);
	CHECK_STR(a->fmts[1].name, "opus");
	CHECK_INT(a->fmts[1].rate, 48000);
	CHECK_INT(a->fmts[1].channels, 2);
	CHECK_STR(a->fmts[1].fmtp, "useinbandfec=1");
	CHECK_INT(a->fmts[2].pt, 101);
	CHECK_STR(a->fmts[2].name, "telephone-event");
	CHECK_STR(a->fmts[2].fmtp, "0-16");
	CHECK(!a->savp);
	CHECK_INT(a->ncrypto, 0);
	CHECK_INT(a->port, 20000);
	CHECK_INT(a->ptime, 20);
	CHECK_STR(a->addr, "198.51.100.1");
}

static void test_offer_srtp_modes(void)
{
	struct media_offer_state st;
	struct media_cfg c = cfg(SRTP_OPTIONAL);

	memset(&st, 0, sizeof(st));
	CHECK_INT(media_make_offer(&c, "198.51.100.1", 20000, MEDIA_SENDRECV, &st), 0);
	CHECK(!st.offer.audio.savp);
	CHECK_INT(st.offer.audio.ncrypto, 3);
	CHECK_STR(st.offer.audio.crypto[0].suite, "AES_CM_128_HMAC_SHA1_80");
	CHECK_STR(st.offer.audio.crypto[1].suite, "AES_CM_128_HMAC_SHA1_32");
	CHECK_STR(st.offer.audio.crypto[2].suite, "AEAD_AES_128_GCM");
	CHECK_INT(st.offer.audio.crypto[0].tag, 1);
	CHECK_INT(strlen(st.offer.audio.crypto[0].key_b64), 40);
	CHECK(strcmp(st.offer.audio.crypto[0].key_b64, st.offer.audio.crypto[1].key_b64) != 0);
	{
		uint8_t k[46];
		CHECK_INT(b64_decode(st.offer.audio.crypto[2].key_b64, k, sizeof(k)), 28);
	}
	c = cfg(SRTP_MANDATORY);
	CHECK_INT(media_make_offer(&c, "198.51.100.1", 20000, MEDIA_SENDRECV, &st), 0);
	CHECK(st.offer.audio.savp);
	CHECK_INT(st.offer.audio.ncrypto, 3);
}

static void test_reoffer_keeps_session_id_and_bumps_version(void)
{
	struct media_offer_state st;
	struct media_cfg c = cfg(SRTP_OFF);
	uint64_t id;

	memset(&st, 0, sizeof(st));
	CHECK_INT(media_make_offer(&c, "198.51.100.1", 20000, MEDIA_SENDRECV, &st), 0);
	id = st.offer.sess_id;
	CHECK_INT(st.offer.sess_version, 1);
	CHECK_INT(media_make_offer(&c, "198.51.100.1", 20000, MEDIA_SENDONLY, &st), 0);
	CHECK(st.offer.sess_id == id);
	CHECK_INT(st.offer.sess_version, 2);
	CHECK_INT(st.offer.audio.dir, MEDIA_SENDONLY);
}

static void test_answer_picks_first_shared_codec_in_offerers_order(void)
{
	struct media_cfg c = cfg(SRTP_OFF);
	struct sdp_desc off = peer_offer(), ans;
	struct media_params p;
	char why[160] = "";

	/* We prefer opus, the peer lists PCMU first: PCMU it is. */
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK_INT(p.codec, CODEC_PCMU);
	CHECK_INT(p.pt, 0);
	CHECK_INT(ans.audio.fmts[0].pt, 0);
	CHECK_INT(ans.audio.nfmts, 2);
	CHECK_STR(p.remote_addr, "192.0.2.7");
	CHECK_INT(p.remote_port, 40000);
	CHECK_INT(ans.audio.port, 20002);
	CHECK_INT(p.suite, SUITE_NONE);
	/* Without PCMU in our config, the peer's next choice (opus at its pt 96). */
	c.codecs[3] = CODEC_PCMA;
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK_INT(p.codec, CODEC_OPUS);
	CHECK_INT(p.pt, 96);
	CHECK_INT(find_pt(&ans.audio, "opus"), 96);
	CHECK_INT(find_pt(&ans.audio, "PCMU"), -1);
	CHECK_INT(ans.audio.fmts[0].channels, 2);
}

static void test_answer_accepts_static_pt_without_rtpmap(void)
{
	struct media_cfg c = cfg(SRTP_OFF);
	struct sdp_desc off = peer_offer(), ans;
	struct media_params p;
	char why[160];

	off.audio.nfmts = 0;
	add_fmt(&off.audio, 8, "", 0, 0, "");      /* "m=audio ... 8" with no a=rtpmap */
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK_INT(p.codec, CODEC_PCMA);
	CHECK_INT(p.pt, 8);
	CHECK_INT(p.te_pt, -1);
}

static void test_answer_matches_telephone_event_by_rate(void)
{
	struct media_cfg c = cfg(SRTP_OFF);
	struct sdp_desc off = peer_offer(), ans;
	struct media_params p;
	char why[160];

	c.codecs[0] = CODEC_OPUS;
	c.ncodecs = 1;
	add_fmt(&off.audio, 101, "telephone-event", 48000, 0, "0-16");
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK_INT(p.codec, CODEC_OPUS);
	CHECK_INT(p.te_pt, 101);                    /* the 48000 one, for opus's clock */
	CHECK_INT(p.te_rate, 48000);
	c.codecs[0] = CODEC_G722;
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK_INT(p.te_pt, 100);                    /* G722's RTP clock is 8000 */
	CHECK_INT(p.te_rate, 8000);
	CHECK_INT(find_pt(&ans.audio, "telephone-event"), 100);
}

static void test_answer_declines_video_in_place(void)
{
	struct media_cfg c = cfg(SRTP_OFF);
	struct sdp_desc off = peer_offer(), ans;
	struct media_params p;
	char why[160], text[2048];

	off.nother = 1;
	snprintf(off.other[0].type, sizeof(off.other[0].type), "video");
	snprintf(off.other[0].proto, sizeof(off.other[0].proto), "RTP/AVP");
	snprintf(off.other[0].fmts, sizeof(off.other[0].fmts), "96 97");
	off.audio_index = 1;                        /* video first, then audio */
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK(sdp_write_desc(&ans, text, sizeof(text)) > 0);
	CHECK(strstr(text, "m=video 0 RTP/AVP 96 97\r\n") != NULL);
	CHECK(strstr(text, "m=video") < strstr(text, "m=audio 20002 RTP/AVP 0 100\r\n"));
}

static void test_answer_srtp_per_mode(void)
{
	struct media_cfg c = cfg(SRTP_MANDATORY);
	struct sdp_desc off = peer_offer(), ans;
	struct media_params p;
	char why[160];
	uint8_t k[46];

	/* Mandatory and a plain offer: refused, with the reason. */
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), -1);
	CHECK_STR(why, "peer offered no SRTP (srtp = mandatory)");
	/* An unknown suite first, then one we know: the one we know, with its tag. */
	off.audio.savp = true;
	add_crypto(&off.audio, 1, "F8_128_HMAC_SHA1_80", 30);
	add_crypto(&off.audio, 2, "AES_CM_128_HMAC_SHA1_32", 30);
	add_crypto(&off.audio, 3, "AES_CM_128_HMAC_SHA1_80", 30);
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK(ans.audio.savp);
	CHECK_INT(ans.audio.ncrypto, 1);
	CHECK_INT(ans.audio.crypto[0].tag, 2);
	CHECK_STR(ans.audio.crypto[0].suite, "AES_CM_128_HMAC_SHA1_32");
	CHECK_INT(p.suite, SUITE_AES_CM_128_HMAC_SHA1_32);
	CHECK_INT(p.key_len, 30);
	CHECK_INT(p.rx_key[0], 2);                  /* the peer's key (bytes i + tag) */
	CHECK_INT(b64_decode(ans.audio.crypto[0].key_b64, k, sizeof(k)), 30);
	CHECK(memcmp(k, p.tx_key, 30) == 0);        /* our new key is what we announced */
	CHECK(memcmp(p.tx_key, p.rx_key, 30) != 0);
	/* Off, and the peer insists on SAVP: refused. */
	c = cfg(SRTP_OFF);
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), -1);
	CHECK(strstr(why, "srtp = off") != NULL);
	/* Optional, SAVP, but only suites we do not know: refused. */
	c = cfg(SRTP_OPTIONAL);
	off.audio.ncrypto = 1;
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), -1);
	/* Optional and AVP with a GCM line: SRTP with GCM. */
	off.audio.savp = false;
	off.audio.ncrypto = 0;
	add_crypto(&off.audio, 5, "AEAD_AES_128_GCM", 28);
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK(!ans.audio.savp);
	CHECK_INT(p.suite, SUITE_AEAD_AES_128_GCM);
	CHECK_INT(p.key_len, 28);
	/* A key of the wrong length is not usable. */
	off.audio.ncrypto = 0;
	add_crypto(&off.audio, 5, "AES_CM_128_HMAC_SHA1_80", 16);
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK_INT(p.suite, SUITE_NONE);
	CHECK_INT(ans.audio.ncrypto, 0);
}

static void test_answer_direction_follows_rfc3264(void)
{
	struct media_cfg c = cfg(SRTP_OFF);
	struct sdp_desc off = peer_offer(), ans;
	struct media_params p;
	char why[160];
	static const struct { enum media_dir offer, hold, answer; } cases[] = {
		{ MEDIA_SENDRECV, MEDIA_SENDRECV, MEDIA_SENDRECV },
		{ MEDIA_SENDONLY, MEDIA_SENDRECV, MEDIA_RECVONLY },
		{ MEDIA_RECVONLY, MEDIA_SENDRECV, MEDIA_SENDONLY },
		{ MEDIA_INACTIVE, MEDIA_SENDRECV, MEDIA_INACTIVE },
		{ MEDIA_SENDRECV, MEDIA_SENDONLY, MEDIA_SENDONLY },   /* we hold */
		{ MEDIA_SENDONLY, MEDIA_SENDONLY, MEDIA_INACTIVE },   /* both hold */
		{ MEDIA_SENDRECV, MEDIA_INACTIVE, MEDIA_INACTIVE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		off.audio.dir = cases[i].offer;
		CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, cases[i].hold, &ans, &p,
					    why, sizeof(why)), 0);
		CHECK_INT(ans.audio.dir, cases[i].answer);
		CHECK_INT(p.dir, cases[i].answer);
	}
	/* Old-style hold: c=0.0.0.0 with sendrecv. */
	off.audio.dir = MEDIA_SENDRECV;
	snprintf(off.audio.addr, sizeof(off.audio.addr), "0.0.0.0");
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK_INT(p.dir, MEDIA_RECVONLY);
}

static void test_answer_without_common_codec_says_so(void)
{
	struct media_cfg c = cfg(SRTP_OFF);
	struct sdp_desc off = peer_offer(), ans;
	struct media_params p;
	char why[160];

	off.audio.nfmts = 0;
	add_fmt(&off.audio, 18, "G729", 8000, 0, "");
	add_fmt(&off.audio, 101, "telephone-event", 8000, 0, "");
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), -1);
	CHECK(strstr(why, "no codec in common") && strstr(why, "G729"));
	off.audio.port = 0;
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), -1);
}

/* A browser's offer (keys by DTLS, path by ICE) is refused by name, not answered with plain
 * RTP that the browser would drop; RTP/SAVPF with a=crypto keeps its profile. */
static void test_answer_refuses_webrtc_by_name_and_keeps_savpf(void)
{
	struct media_cfg c = cfg(SRTP_OPTIONAL);
	struct sdp_desc off = peer_offer(), ans;
	struct media_params p;
	char why[200];

	off.audio.savp = off.audio.dtls = off.audio.avpf = true;
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), -1);
	CHECK(strstr(why, "WebRTC media (UDP/TLS/RTP/SAVPF") != NULL);
	off = peer_offer();
	off.audio.savp = off.audio.avpf = true;
	add_crypto(&off.audio, 1, "AES_CM_128_HMAC_SHA1_80", 30);
	CHECK_INT(media_make_answer(&c, "198.51.100.1", 20002, &off, MEDIA_SENDRECV, &ans, &p,
				    why, sizeof(why)), 0);
	CHECK(ans.audio.savp && ans.audio.avpf && !ans.audio.dtls);
}

/* Offer from us, answer from a peer built by our own answerer: both sides agree. */
static void test_offer_answer_take_agree_on_codec_and_keys(void)
{
	struct media_cfg ours = cfg(SRTP_OPTIONAL), theirs = cfg(SRTP_MANDATORY);
	struct media_offer_state st;
	struct sdp_desc ans;
	struct media_params pa, pb;
	char why[160] = "";

	memset(&st, 0, sizeof(st));
	theirs.codecs[0] = CODEC_G722;        /* they prefer G722 but have opus too */
	theirs.codecs[1] = CODEC_OPUS;
	CHECK_INT(media_make_offer(&ours, "198.51.100.1", 20000, MEDIA_SENDRECV, &st), 0);
	CHECK_INT(media_make_answer(&theirs, "192.0.2.7", 40000, &st.offer, MEDIA_SENDRECV, &ans,
				    &pb, why, sizeof(why)), 0);
	CHECK_INT(media_take_answer(&ours, &st, &ans, &pa, why, sizeof(why)), 0);
	CHECK_INT(pa.codec, CODEC_OPUS);            /* our order wins: we offered */
	CHECK_INT(pb.codec, CODEC_OPUS);
	CHECK_INT(pa.pt, 111);
	CHECK_INT(pa.te_pt, 101);
	CHECK_INT(pa.suite, SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_INT(pa.key_len, 30);
	CHECK(memcmp(pa.tx_key, pb.rx_key, 30) == 0);
	CHECK(memcmp(pa.rx_key, pb.tx_key, 30) == 0);
	CHECK_STR(pa.remote_addr, "192.0.2.7");
	CHECK_INT(pa.remote_port, 40000);
	CHECK_INT(pa.dir, MEDIA_SENDRECV);
}

static void test_take_answer_refuses_what_we_did_not_offer(void)
{
	struct media_cfg c = cfg(SRTP_OFF);
	struct media_offer_state st;
	struct sdp_desc ans;
	struct media_params p;
	char why[160] = "";

	memset(&st, 0, sizeof(st));
	c.codecs[0] = CODEC_PCMA;
	c.ncodecs = 1;
	CHECK_INT(media_make_offer(&c, "198.51.100.1", 20000, MEDIA_SENDRECV, &st), 0);
	memset(&ans, 0, sizeof(ans));
	ans.has_audio = true;
	snprintf(ans.audio.addr, sizeof(ans.audio.addr), "192.0.2.7");
	ans.audio.port = 40000;
	ans.audio.dir = MEDIA_SENDRECV;
	add_fmt(&ans.audio, 0, "PCMU", 8000, 0, "");
	CHECK_INT(media_take_answer(&c, &st, &ans, &p, why, sizeof(why)), -1);
	CHECK(strstr(why, "did not offer") && strstr(why, "PCMU"));
	/* Audio rejected with port 0. */
	ans.audio.nfmts = 0;
	add_fmt(&ans.audio, 8, "PCMA", 8000, 0, "");
	ans.audio.port = 0;
	CHECK_INT(media_take_answer(&c, &st, &ans, &p, why, sizeof(why)), -1);
	CHECK_STR(why, "peer rejected the audio");
	/* The same answer with a port works, and a recvonly answer makes us sendonly. */
	ans.audio.port = 40000;
	ans.audio.dir = MEDIA_RECVONLY;
	CHECK_INT(media_take_answer(&c, &st, &ans, &p, why, sizeof(why)), 0);
	CHECK_INT(p.codec, CODEC_PCMA);
	CHECK_INT(p.dir, MEDIA_SENDONLY);
	/* We offered SRTP (mandatory) and the answer has none: refused. */
	c.srtp = SRTP_MANDATORY;
	CHECK_INT(media_make_offer(&c, "198.51.100.1", 20000, MEDIA_SENDRECV, &st), 0);
	ans.audio.savp = true;
	CHECK_INT(media_take_answer(&c, &st, &ans, &p, why, sizeof(why)), -1);
	/* ... or crypto with a tag we never offered. */
	add_crypto(&ans.audio, 9, "AES_CM_128_HMAC_SHA1_80", 30);
	CHECK_INT(media_take_answer(&c, &st, &ans, &p, why, sizeof(why)), -1);
	CHECK(strstr(why, "tag 9") != NULL);
}

static void test_sdp_write_is_complete_and_bounded(void)
{
	struct media_cfg c = cfg(SRTP_MANDATORY);
	struct media_offer_state st;
	char text[2048], small[64];
	int n;

	memset(&st, 0, sizeof(st));
	c.ncodecs = 2;
	CHECK_INT(media_make_offer(&c, "198.51.100.1", 20000, MEDIA_SENDONLY, &st), 0);
	n = sdp_write_desc(&st.offer, text, sizeof(text));
	CHECK(n > 0 && (size_t)n == strlen(text));
	CHECK(strncmp(text, "v=0\r\no=ttyphone ", 16) == 0);
	CHECK(strstr(text, " IN IP4 198.51.100.1\r\ns=ttyphone\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n"));
	CHECK(strstr(text, "m=audio 20000 RTP/SAVP 111 9 101\r\n"));
	CHECK(strstr(text, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"));
	CHECK(strstr(text, "a=rtpmap:9 G722/8000\r\n"));
	CHECK(strstr(text, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"));
	CHECK(strstr(text, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	CHECK(strstr(text, "a=crypto:3 AEAD_AES_128_GCM inline:"));
	CHECK(strstr(text, "a=ptime:20\r\na=sendonly\r\n"));
	CHECK(text[n - 1] == '\n');
	/* Too small a buffer: -1, never a cut SDP. */
	CHECK_INT(sdp_write_desc(&st.offer, small, sizeof(small)), -1);
	CHECK_INT(sdp_write_desc(&st.offer, text, (size_t)n), -1);
	CHECK_INT(sdp_write_desc(&st.offer, text, (size_t)n + 1), n);
	/* A line break smuggled in a name is refused. */
	snprintf(st.offer.audio.fmts[0].name, sizeof(st.offer.audio.fmts[0].name), "opus\r\na=x");
	CHECK_INT(sdp_write_desc(&st.offer, text, sizeof(text)), -1);
	/* IPv6 addresses say IP6. */
	CHECK_INT(media_make_offer(&c, "2001:db8::1", 20000, MEDIA_SENDRECV, &st), 0);
	CHECK(sdp_write_desc(&st.offer, text, sizeof(text)) > 0);
	CHECK(strstr(text, "c=IN IP6 2001:db8::1\r\n"));
	CHECK_STR(media_dir_name(MEDIA_RECVONLY), "recvonly");
	CHECK_STR(media_dir_name(MEDIA_INACTIVE), "inactive");
}

static void test_local_addr_for_loopback(void)
{
	char a[64];

	CHECK_INT(media_local_addr_for("127.0.0.1", a, sizeof(a)), 0);
	CHECK_STR(a, "127.0.0.1");
	CHECK_INT(media_local_addr_for("not a host name!", a, sizeof(a)), -1);
	CHECK_INT(media_local_addr_for("127.0.0.1", a, 4), -1);
}

int main(void)
{
	RUN(test_offer_lists_codecs_in_config_order_with_our_pts);
	RUN(test_offer_srtp_modes);
	RUN(test_reoffer_keeps_session_id_and_bumps_version);
	RUN(test_answer_picks_first_shared_codec_in_offerers_order);
	RUN(test_answer_accepts_static_pt_without_rtpmap);
	RUN(test_answer_matches_telephone_event_by_rate);
	RUN(test_answer_declines_video_in_place);
	RUN(test_answer_srtp_per_mode);
	RUN(test_answer_direction_follows_rfc3264);
	RUN(test_answer_without_common_codec_says_so);
	RUN(test_answer_refuses_webrtc_by_name_and_keeps_savpf);
	RUN(test_offer_answer_take_agree_on_codec_and_keys);
	RUN(test_take_answer_refuses_what_we_did_not_offer);
	RUN(test_sdp_write_is_complete_and_bounded);
	RUN(test_local_addr_for_loopback);
	return unit_done();
}
