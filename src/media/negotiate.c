/* negotiate.c: SDP offer/answer for one audio stream (RFC 3264) with SDES-SRTP (RFC 4568).
 * Codecs are matched by encoding name and clock rate, never by payload type alone, since
 * dynamic payload types differ between phones; static types without a=rtpmap are known by
 * number. The answer carries one codec (plus telephone-event), in the offerer's order of
 * preference, with the offerer's payload types. */
#include "media.h"
#include "codec.h"
#include "negotiate_webrtc.h"
#include "base64.h"
#include "srtp_sess.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TE_PT 101
#define TE_RATE 8000
#define TE_NAME "telephone-event"

static const enum codec_id default_order[] = { CODEC_OPUS, CODEC_G722, CODEC_PCMA, CODEC_PCMU };

/* The codecs the config enables, in its order (all of them if it names none). */
static unsigned enabled_codecs(const struct media_cfg *cfg, enum codec_id out[CODEC_COUNT])
{
	unsigned n = 0;

	if (cfg->ncodecs == 0) {
		memcpy(out, default_order, sizeof(default_order));
		return CODEC_COUNT;
	}
	for (unsigned i = 0; i < cfg->ncodecs && i < CODEC_COUNT; i++) {
		bool dup = false;

		if (!codec_get(cfg->codecs[i]))
			continue;
		for (unsigned j = 0; j < n; j++)
			dup |= out[j] == cfg->codecs[i];
		if (!dup)
			out[n++] = cfg->codecs[i];
	}
	return n;
}

static bool codec_enabled(const struct media_cfg *cfg, enum codec_id id)
{
	enum codec_id list[CODEC_COUNT];
	unsigned n = enabled_codecs(cfg, list);

	for (unsigned i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

/* Whether the codec's library loads (lib_load.c: spandsp is loaded for the first call that
 * settles on G.711 or G.722, not at start). A codec that cannot run is passed over in an
 * answer and refused in an answer to our offer, with the loader's reason. */
static bool codec_loads(enum codec_id id, char *why, size_t whylen)
{
	const struct codec *c = codec_get(id);

	return !c->load || c->load(why, whylen) == 0;
}

static bool is_te(const struct sdp_fmt *f)
{
	return strcasecmp(f->name, TE_NAME) == 0;
}

/* Which codec a format is: by name and clock rate, or by static payload type when the
 * format has no rtpmap. */
static bool fmt_codec(const struct sdp_fmt *f, enum codec_id *id)
{
	for (int i = 0; i < CODEC_COUNT; i++) {
		const struct codec *c = codec_get((enum codec_id)i);

		if (f->name[0] ? strcasecmp(f->name, c->rtp_name) == 0 && f->rate == c->rtp_clock
			       : c->pt < 96 && f->pt == c->pt) {
			*id = c->id;
			return true;
		}
	}
	return false;
}

static void set_fmt(struct sdp_fmt *f, uint8_t pt, const char *name, unsigned rate,
		    unsigned channels, const char *fmtp)
{
	memset(f, 0, sizeof(*f));
	f->pt = pt;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->rate = rate;
	f->channels = channels;
	snprintf(f->fmtp, sizeof(f->fmtp), "%s", fmtp ? fmtp : "");
}

static void codec_fmt(struct sdp_fmt *f, const struct codec *c, uint8_t pt)
{
	set_fmt(f, pt, c->rtp_name, c->rtp_clock, c->sdp_channels, c->fmtp);
}

/* A new random key for suite, written as the a=crypto line's base64 and as bytes. */
static int new_crypto(struct sdp_crypto *cr, unsigned tag, enum srtp_suite suite,
		      uint8_t key[46])
{
	unsigned len = srtp_suite_key_len(suite);

	if (media_random(key, len) < 0)
		return -1;
	cr->tag = tag;
	snprintf(cr->suite, sizeof(cr->suite), "%s", srtp_suite_name(suite));
	return b64_encode(key, len, cr->key_b64, sizeof(cr->key_b64)) < 0 ? -1 : 0;
}

/* The suite and key bytes of an a=crypto line, if we support it and the key is whole. */
static bool parse_crypto(const struct sdp_crypto *cr, enum srtp_suite *suite, uint8_t key[46])
{
	*suite = srtp_suite_from_name(cr->suite);
	return *suite != SUITE_NONE &&
	       b64_decode(cr->key_b64, key, 46) == (int)srtp_suite_key_len(*suite);
}

static uint64_t new_sess_id(void)
{
	uint64_t id = 0;

	if (media_random(&id, sizeof(id)) < 0 || id == 0)
		id = 1;
	return id >> 2;  /* fits in a signed 64-bit number, as some parsers expect */
}

/* RFC 3264 6.1: what we may do is the mirror of what the peer offers, limited by what we
 * want. The enum values are bit sets (1 = send, 2 = receive). */
static enum media_dir mirror(enum media_dir peer, enum media_dir ours)
{
	unsigned m = ((peer & MEDIA_SENDONLY) ? MEDIA_RECVONLY : 0) |
		     ((peer & MEDIA_RECVONLY) ? MEDIA_SENDONLY : 0);

	return (enum media_dir)(m & ours);
}

/* rtc: our ICE and DTLS side for a WebRTC offer, NULL for plain RTP. */
static int make_offer(const struct media_cfg *cfg, const char *addr, uint16_t port,
		      enum media_dir dir, const struct sdp_webrtc *rtc,
		      struct media_offer_state *st)
{
	struct sdp_desc *o = &st->offer;
	struct sdp_audio *a = &o->audio;
	enum codec_id list[CODEC_COUNT];
	unsigned n = enabled_codecs(cfg, list);
	uint64_t id = o->sess_id, ver = o->sess_version;
	uint8_t key[46];

	/* A new offer in the same session (re-INVITE) keeps o='s id and bumps its version. */
	memset(o, 0, sizeof(*o));
	o->sess_id = id ? id : new_sess_id();
	o->sess_version = id ? ver + 1 : 1;
	snprintf(o->origin_addr, sizeof(o->origin_addr), "%s", addr);
	o->has_audio = true;
	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	a->port = port;
	a->savp = cfg->srtp == SRTP_MANDATORY;
	for (unsigned i = 0; i < n && a->nfmts < SDP_MAX_FMTS - 1; i++)
		codec_fmt(&a->fmts[a->nfmts++], codec_get(list[i]), codec_get(list[i])->pt);
	set_fmt(&a->fmts[a->nfmts++], TE_PT, TE_NAME, TE_RATE, 0, "0-16");
	if (rtc) {
		/* Keys come from DTLS (RFC 5764): no a=crypto, whatever srtp says. */
		webrtc_fill_local(a, rtc, SETUP_ACTPASS, "0", true);
	} else if (cfg->srtp != SRTP_OFF) {
		static const enum srtp_suite offered[] = { SUITE_AES_CM_128_HMAC_SHA1_80,
			SUITE_AES_CM_128_HMAC_SHA1_32, SUITE_AEAD_AES_128_GCM };

		for (unsigned i = 0; i < sizeof(offered) / sizeof(offered[0]); i++)
			if (new_crypto(&a->crypto[a->ncrypto++], i + 1, offered[i], key) < 0)
				return -1;
		memset(key, 0, sizeof(key));
	}
	a->dir = dir;
	a->ptime = 20;
	return 0;
}

int media_make_offer(const struct media_cfg *cfg, const char *addr, uint16_t port,
		     enum media_dir dir, struct media_offer_state *st)
{
	return make_offer(cfg, addr, port, dir, NULL, st);
}

int media_make_offer_webrtc(const struct media_cfg *cfg, const struct sdp_webrtc *local,
			    enum media_dir dir, struct media_offer_state *st)
{
	char addr[64];
	uint16_t port;

	/* The default candidate is the address on our lines. */
	webrtc_default_addr(local, addr, sizeof(addr), &port);
	return make_offer(cfg, addr, port, dir, local, st);
}

/* rtc: our ICE and DTLS side when we can answer a WebRTC offer, NULL when we cannot. */
static int make_answer(const struct media_cfg *cfg, const char *addr, uint16_t port,
		       const struct sdp_desc *offer, const struct sdp_webrtc *rtc,
		       enum media_dir hold_dir, struct sdp_desc *answer,
		       struct media_params *out, char *why, size_t whylen)
{
	const struct sdp_audio *oa = &offer->audio;
	struct sdp_audio *a = &answer->audio;
	const struct sdp_fmt *chosen = NULL, *te = NULL;
	const struct sdp_crypto *cr = NULL;
	enum codec_id cid = CODEC_PCMU;
	enum srtp_suite suite = SUITE_NONE;
	enum media_dir offer_dir;
	uint8_t key[46];
	char load_why[200];

	memset(answer, 0, sizeof(*answer));
	memset(out, 0, sizeof(*out));
	out->te_pt = -1;
	answer->sess_id = new_sess_id();
	answer->sess_version = 1;
	snprintf(answer->origin_addr, sizeof(answer->origin_addr), "%s", addr);
	/* The other m-lines go back declined, in their places. */
	answer->nother = offer->nother < SDP_MAX_OTHER ? offer->nother : SDP_MAX_OTHER;
	memcpy(answer->other, offer->other, sizeof(answer->other));
	answer->audio_index = offer->audio_index;
	answer->has_audio = offer->has_audio;

	if (!offer->has_audio || oa->port == 0)
		return str_fail(why, whylen, "the offer has no audio stream");
	if (!oa->addr[0])
		return str_fail(why, whylen, "the offer has no connection address for audio");
	/* A WebRTC offer takes its keys from DTLS and its path from ICE: answering it with
	 * plain RTP would give a call the browser drops in silence, so refuse it by name. */
	if (oa->dtls && !rtc)
		return str_fail(why, whylen, "the offer is WebRTC media (%s: ICE, DTLS-SRTP), "
				"which this ttyphone cannot answer yet",
				oa->avpf ? "UDP/TLS/RTP/SAVPF" : "UDP/TLS/RTP/SAVP");
	if (oa->dtls && webrtc_check_remote(oa, true, why, whylen) < 0)
		return -1;

	/* Security first: it decides whether there is a call at all. DTLS brings its keys
	 * after the answer; a=crypto beside it would be ignored (RFC 5763). */
	if (oa->dtls)
		goto codecs;
	for (unsigned i = 0; i < oa->ncrypto && i < SDP_MAX_CRYPTO && !cr; i++)
		if (parse_crypto(&oa->crypto[i], &suite, out->rx_key))
			cr = &oa->crypto[i];
	if (cfg->srtp == SRTP_OFF) {
		if (oa->savp)
			return str_fail(why, whylen, "peer requires SRTP (RTP/SAVP) but srtp = off");
		cr = NULL;
	} else if (!cr) {
		if (cfg->srtp == SRTP_MANDATORY)
			return str_fail(why, whylen, "peer offered no SRTP (srtp = mandatory)");
		if (oa->savp)
			return str_fail(why, whylen, "peer offered SRTP with no crypto suite we support");
	}

	if (cr && srtp_lib_load(load_why, sizeof(load_why)) != 0) {
		if (cfg->srtp == SRTP_MANDATORY || oa->savp)
			return str_fail(why, whylen, "SRTP is unavailable: %s", load_why);
		cr = NULL;         /* optional, and offered over RTP/AVP: answer plain */
	}
codecs:
	load_why[0] = '\0';
	for (unsigned i = 0; i < oa->nfmts && i < SDP_MAX_FMTS && !chosen; i++)
		if (!is_te(&oa->fmts[i]) && fmt_codec(&oa->fmts[i], &cid) &&
		    codec_enabled(cfg, cid) && codec_loads(cid, load_why, sizeof(load_why)))
			chosen = &oa->fmts[i];
	if (!chosen && load_why[0])
		return str_fail(why, whylen, "no usable codec in common: %s", load_why);
	if (!chosen) {
		char list[160] = "";

		for (unsigned i = 0; i < oa->nfmts && i < SDP_MAX_FMTS; i++) {
			size_t l = strlen(list);

			snprintf(list + l, sizeof(list) - l, "%s%s", l ? " " : "",
				 oa->fmts[i].name[0] ? oa->fmts[i].name : "?");
		}
		return str_fail(why, whylen, "no codec in common (peer offered: %s)", list);
	}
	/* telephone-event at the codec's clock if offered, else whichever was offered. */
	for (unsigned i = 0; i < oa->nfmts && i < SDP_MAX_FMTS; i++) {
		if (!is_te(&oa->fmts[i]))
			continue;
		if (oa->fmts[i].rate == codec_get(cid)->rtp_clock) {
			te = &oa->fmts[i];
			break;
		}
		if (!te)
			te = &oa->fmts[i];
	}

	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	a->port = port;
	a->savp = oa->savp;
	a->avpf = oa->avpf;   /* the answer keeps the offer's profile (RFC 3264 5.1) */
	a->ptime = 20;
	codec_fmt(&a->fmts[a->nfmts++], codec_get(cid), chosen->pt);
	if (chosen->channels)
		a->fmts[0].channels = chosen->channels;
	if (te) {
		set_fmt(&a->fmts[a->nfmts++], te->pt, TE_NAME, te->rate, 0,
			te->fmtp[0] ? te->fmtp : "0-15");
		out->te_pt = te->pt;
		out->te_rate = te->rate;
	}
	if (cr) {
		if (new_crypto(&a->crypto[0], cr->tag, suite, key) < 0)
			return str_fail(why, whylen, "cannot make an SRTP key (no randomness)");
		a->ncrypto = 1;
		memcpy(out->tx_key, key, sizeof(out->tx_key));
		memset(key, 0, sizeof(key));
		out->suite = suite;
		out->key_len = srtp_suite_key_len(suite);
	} else {
		memset(out->rx_key, 0, sizeof(out->rx_key));
		out->suite = SUITE_NONE;
	}
	if (oa->dtls)
		webrtc_fill_local(a, rtc, webrtc_answer_setup(oa->rtc.setup), oa->rtc.mid,
				  oa->rtc.bundled);
	/* An old-style hold (c=0.0.0.0) means the peer does not want to receive. */
	offer_dir = oa->dir;
	if (strcmp(oa->addr, "0.0.0.0") == 0)
		offer_dir = (enum media_dir)(offer_dir & ~MEDIA_RECVONLY);
	a->dir = mirror(offer_dir, hold_dir);

	out->codec = cid;
	out->pt = chosen->pt;
	snprintf(out->remote_addr, sizeof(out->remote_addr), "%s", oa->addr);
	out->remote_port = oa->port;
	out->dir = a->dir;
	out->ptime = oa->ptime ? oa->ptime : 20;
	return 0;
}

int media_make_answer(const struct media_cfg *cfg, const char *addr, uint16_t port,
		      const struct sdp_desc *offer, enum media_dir hold_dir,
		      struct sdp_desc *answer, struct media_params *out, char *why, size_t whylen)
{
	return make_answer(cfg, addr, port, offer, NULL, hold_dir, answer, out, why, whylen);
}

int media_make_answer_webrtc(const struct media_cfg *cfg, const struct sdp_desc *offer,
			     const struct sdp_webrtc *local, enum media_dir hold_dir,
			     struct sdp_desc *answer, struct media_params *out, char *why,
			     size_t whylen)
{
	char addr[64];
	uint16_t port;

	webrtc_default_addr(local, addr, sizeof(addr), &port);
	return make_answer(cfg, addr, port, offer, local, hold_dir, answer, out,
			   why, whylen);
}

int media_take_answer(const struct media_cfg *cfg, const struct media_offer_state *st,
		      const struct sdp_desc *answer, struct media_params *out,
		      char *why, size_t whylen)
{
	const struct sdp_audio *aa = &answer->audio, *oa = &st->offer.audio;
	const struct sdp_fmt *chosen = NULL;
	enum codec_id cid = CODEC_PCMU;
	char load_why[200];

	memset(out, 0, sizeof(*out));
	out->te_pt = -1;
	if (!answer->has_audio || aa->port == 0)
		return str_fail(why, whylen, "peer rejected the audio");
	if (!aa->addr[0])
		return str_fail(why, whylen, "the answer has no connection address for audio");

	for (unsigned i = 0; i < aa->nfmts && i < SDP_MAX_FMTS && out->te_pt < 0; i++)
		if (is_te(&aa->fmts[i])) {
			out->te_pt = aa->fmts[i].pt;
			out->te_rate = aa->fmts[i].rate ? aa->fmts[i].rate : TE_RATE;
		}
	/* The first answered codec that we offered, under the payload type we offered it. */
	for (unsigned i = 0; i < aa->nfmts && i < SDP_MAX_FMTS && !chosen; i++) {
		const struct sdp_fmt *f = &aa->fmts[i];

		if (is_te(f))
			continue;
		for (unsigned j = 0; j < oa->nfmts && j < SDP_MAX_FMTS; j++) {
			enum codec_id a_id, o_id;

			if (oa->fmts[j].pt == f->pt && fmt_codec(&oa->fmts[j], &o_id) &&
			    (!f->name[0] || (fmt_codec(f, &a_id) && a_id == o_id))) {
				chosen = f;
				cid = o_id;
				break;
			}
		}
	}
	if (!chosen)
		return str_fail(why, whylen, "peer answered with a codec we did not offer (%s/%u)",
			    aa->nfmts && aa->fmts[0].name[0] ? aa->fmts[0].name : "?",
			    aa->nfmts ? aa->fmts[0].rate : 0);
	if (!codec_loads(cid, load_why, sizeof(load_why)))
		return str_fail(why, whylen, "peer chose %s, which cannot run here: %s",
			    codec_get(cid)->rtp_name, load_why);

	if (oa->dtls != aa->dtls)
		return str_fail(why, whylen, oa->dtls ? "peer answered our WebRTC offer with plain "
				"RTP (no ICE and DTLS-SRTP)" : "peer answered our RTP offer with "
				"WebRTC media (UDP/TLS/RTP/SAVPF)");
	if (oa->dtls) {
		if (webrtc_check_remote(aa, false, why, whylen) < 0)
			return -1;
		/* The keys come from the DTLS handshake: suite stays SUITE_NONE for now. */
	} else if (oa->ncrypto > 0 && aa->ncrypto > 0) {
		const struct sdp_crypto *ac = &aa->crypto[0], *ours = NULL;
		enum srtp_suite suite;

		for (unsigned i = 0; i < oa->ncrypto && i < SDP_MAX_CRYPTO; i++)
			if (oa->crypto[i].tag == ac->tag)
				ours = &oa->crypto[i];
		if (!ours || strcasecmp(ours->suite, ac->suite) != 0)
			return str_fail(why, whylen, "peer's a=crypto (tag %u, %s) matches none we offered",
				    ac->tag, ac->suite);
		if (!parse_crypto(ac, &suite, out->rx_key) || !parse_crypto(ours, &suite, out->tx_key))
			return str_fail(why, whylen, "peer's a=crypto key is not a valid %s key", ac->suite);
		if (srtp_lib_load(load_why, sizeof(load_why)) != 0)
			return str_fail(why, whylen, "SRTP is unavailable: %s", load_why);
		out->suite = suite;
		out->key_len = srtp_suite_key_len(suite);
	} else if (cfg->srtp == SRTP_MANDATORY || (aa->savp && oa->ncrypto > 0)) {
		return str_fail(why, whylen, "peer answered without SRTP (srtp = %s)",
			    cfg->srtp == SRTP_MANDATORY ? "mandatory" : "optional");
	} else if (aa->savp) {
		return str_fail(why, whylen, "peer answered RTP/SAVP but we offered plain RTP");
	}

	out->codec = cid;
	out->pt = chosen->pt;
	snprintf(out->remote_addr, sizeof(out->remote_addr), "%s", aa->addr);
	out->remote_port = aa->port;
	out->dir = mirror(strcmp(aa->addr, "0.0.0.0") == 0
			  ? (enum media_dir)(aa->dir & ~MEDIA_RECVONLY) : aa->dir, oa->dir);
	out->ptime = aa->ptime ? aa->ptime : 20;
	return 0;
}
