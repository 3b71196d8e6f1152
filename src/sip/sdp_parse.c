/* sdp_parse.c: SDP text -> struct sdp_desc with Sofia's SDP parser. */
#include <sofia-sip/su_config.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "sdp.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void copy_conn(char *dst, size_t size, const sdp_connection_t *c)
{
	if (c && c->c_address)
		str_copy(dst, size, c->c_address);
}

static void parse_crypto(struct sdp_audio *a, const char *v)
{
	/* "1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:32 [session params]" */
	struct sdp_crypto *c;
	char tag[16], suite[48], keyp[160];
	bool tl;
	const char *cur = v;

	if (a->ncrypto == SDP_MAX_CRYPTO)
		return;
	if (!str_next_word(&cur, tag, sizeof(tag), &tl) ||
	    !str_next_word(&cur, suite, sizeof(suite), &tl) ||
	    !str_next_word(&cur, keyp, sizeof(keyp), &tl))
		return;
	if (strncasecmp(keyp, "inline:", 7))
		return;
	c = &a->crypto[a->ncrypto];
	c->tag = (unsigned)strtoul(tag, NULL, 10);
	if (str_copy(c->suite, sizeof(c->suite), suite) < 0)
		return;
	if (str_ncopy(c->key_b64, sizeof(c->key_b64), keyp + 7, strcspn(keyp + 7, "|;")) < 0)
		return;
	a->ncrypto++;
}

/* The RTP profiles a phone can take, by name: Sofia knows only RTP/AVP and RTP/SAVP and
 * leaves the others (RTP/AVPF, RTP/SAVPF, and WebRTC's UDP/TLS/RTP/SAVPF) as sdp_proto_x,
 * with their a=rtpmap and a=fmtp lines unparsed. */
enum profile { PROF_NONE, PROF_AVP, PROF_SAVP, PROF_AVPF, PROF_SAVPF, PROF_DTLS, PROF_DTLS_F };

static enum profile profile_of(const sdp_media_t *m)
{
	static const struct { const char *name; enum profile p; } names[] = {
		{ "RTP/AVPF", PROF_AVPF }, { "RTP/SAVPF", PROF_SAVPF },
		{ "UDP/TLS/RTP/SAVP", PROF_DTLS }, { "UDP/TLS/RTP/SAVPF", PROF_DTLS_F },
	};

	if (m->m_proto == sdp_proto_rtp)
		return PROF_AVP;
	if (m->m_proto == sdp_proto_srtp)
		return PROF_SAVP;
	for (size_t i = 0; m->m_proto_name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(m->m_proto_name, names[i].name))
			return names[i].p;
	return PROF_NONE;
}

/* RFC 3551's static payload types a phone may meet without an a=rtpmap. */
static bool static_pt(unsigned pt, struct sdp_fmt *f)
{
	static const struct { unsigned pt; const char *name; unsigned rate; } st[] = {
		{ 0, "PCMU", 8000 }, { 8, "PCMA", 8000 }, { 9, "G722", 8000 }, { 13, "CN", 8000 },
	};

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		if (st[i].pt == pt) {
			str_copy(f->name, sizeof(f->name), st[i].name);
			f->rate = st[i].rate;
			f->channels = 1;
			return true;
		}
	return false;
}

/* The format list of a profile Sofia did not parse: m= payload types, then their
 * a=rtpmap ("111 opus/48000/2") and a=fmtp ("111 minptime=10") attributes. */
static void fill_fmts_by_hand(struct sdp_audio *a, const sdp_media_t *m)
{
	for (const sdp_list_t *l = m->m_format; l && a->nfmts < SDP_MAX_FMTS; l = l->l_next) {
		char *end;
		unsigned long pt = l->l_text ? strtoul(l->l_text, &end, 10) : 128;
		struct sdp_fmt *f = &a->fmts[a->nfmts];

		if (pt > 127 || *end)
			continue;
		memset(f, 0, sizeof(*f));
		f->pt = (uint8_t)pt;
		static_pt((unsigned)pt, f);
		a->nfmts++;
	}
	for (const sdp_attribute_t *at = m->m_attributes; at; at = at->a_next) {
		bool rtpmap = at->a_name && !strcasecmp(at->a_name, "rtpmap");
		bool fmtp = at->a_name && !strcasecmp(at->a_name, "fmtp");
		char *rest;
		unsigned long pt;

		if ((!rtpmap && !fmtp) || !at->a_value)
			continue;
		pt = strtoul(at->a_value, &rest, 10);
		if (rest == at->a_value || *rest != ' ')
			continue;
		rest += strspn(rest, " ");
		for (unsigned i = 0; i < a->nfmts; i++) {
			struct sdp_fmt *f = &a->fmts[i];
			char name[32];
			unsigned rate = 0, ch = 1;

			if (f->pt != pt)
				continue;
			if (fmtp) {
				str_copy(f->fmtp, sizeof(f->fmtp), rest);
			} else if (sscanf(rest, "%31[^/]/%u/%u", name, &rate, &ch) >= 2 && rate) {
				str_copy(f->name, sizeof(f->name), name);
				f->rate = rate;
				f->channels = ch;
			}
		}
	}
	/* A dynamic type whose a=rtpmap is missing cannot be used: leave it nameless. */
}

static enum sdp_setup setup_of(const char *v)
{
	if (!v)
		return SETUP_NONE;
	if (!strcasecmp(v, "actpass"))
		return SETUP_ACTPASS;
	if (!strcasecmp(v, "active"))
		return SETUP_ACTIVE;
	if (!strcasecmp(v, "passive"))
		return SETUP_PASSIVE;
	if (!strcasecmp(v, "holdconn"))
		return SETUP_HOLDCONN;
	return SETUP_NONE;
}

/* ICE and DTLS attributes of one level (session or media); a media-level value replaces a
 * session-level one, since fill_webrtc reads the session first. */
static void webrtc_attrs(struct sdp_webrtc *w, const sdp_attribute_t *at, bool media_level)
{
	for (; at; at = at->a_next) {
		const char *n = at->a_name, *v = at->a_value;

		if (!n)
			continue;
		if (!strcasecmp(n, "ice-lite"))
			w->ice_lite = true;
		if (!v)
			continue;
		if (!strcasecmp(n, "ice-ufrag"))
			str_copy(w->ice_ufrag, sizeof(w->ice_ufrag), v);
		else if (!strcasecmp(n, "ice-pwd"))
			str_copy(w->ice_pwd, sizeof(w->ice_pwd), v);
		else if (!strcasecmp(n, "ice-options") && strstr(v, "trickle"))
			w->trickle = true;
		else if (!strcasecmp(n, "fingerprint")) {
			size_t k = strcspn(v, " ");

			if (str_ncopy(w->fp_alg, sizeof(w->fp_alg), v, k) < 0 ||
			    str_copy(w->fp, sizeof(w->fp), v + k + strspn(v + k, " ")) < 0)
				w->fp_alg[0] = w->fp[0] = '\0';
		} else if (!strcasecmp(n, "setup"))
			w->setup = setup_of(v);
		else if (media_level && !strcasecmp(n, "mid"))
			str_copy(w->mid, sizeof(w->mid), v);
		else if (media_level && !strcasecmp(n, "candidate") && w->ncand < SDP_MAX_CAND) {
			if (str_copy(w->cand[w->ncand], sizeof(w->cand[0]), v) == 0)
				w->ncand++;
		}
	}
}

/* Is mid one of the identifiers of the session's a=group:BUNDLE? */
static bool in_bundle(const sdp_session_t *s, const char *mid)
{
	for (const sdp_attribute_t *at = s->sdp_attributes; mid[0] && at; at = at->a_next) {
		const char *cur;
		char word[64];
		bool tl;

		if (!at->a_name || strcasecmp(at->a_name, "group") || !at->a_value)
			continue;
		cur = at->a_value;
		if (!str_next_word(&cur, word, sizeof(word), &tl) || strcasecmp(word, "BUNDLE"))
			continue;
		while (str_next_word(&cur, word, sizeof(word), &tl))
			if (!strcmp(word, mid))
				return true;
	}
	return false;
}

static void fill_webrtc(struct sdp_webrtc *w, const sdp_session_t *s, const sdp_media_t *m)
{
	webrtc_attrs(w, s->sdp_attributes, false);
	webrtc_attrs(w, m->m_attributes, true);
	for (const sdp_attribute_t *at = m->m_attributes; at; at = at->a_next)
		if (at->a_name && !strcasecmp(at->a_name, "end-of-candidates"))
			w->end_of_candidates = true;
	w->bundled = in_bundle(s, w->mid);
}

static void fill_audio(struct sdp_audio *a, const sdp_session_t *s, const sdp_media_t *m)
{
	const sdp_rtpmap_t *rm;
	const sdp_attribute_t *at;

	copy_conn(a->addr, sizeof(a->addr), s->sdp_connection);
	copy_conn(a->addr, sizeof(a->addr), m->m_connections);
	a->port = m->m_rejected ? 0 : (uint16_t)m->m_port;
	switch (profile_of(m)) {
	case PROF_SAVPF: a->avpf = true; /* fall through */
	case PROF_SAVP: a->savp = true; break;
	case PROF_DTLS_F: a->avpf = true; /* fall through */
	case PROF_DTLS: a->savp = a->dtls = true; break;
	case PROF_AVPF: a->avpf = true; break;
	default: break;
	}
	if (!m->m_rtpmaps)
		fill_fmts_by_hand(a, m);
	for (rm = m->m_rtpmaps; rm && a->nfmts < SDP_MAX_FMTS; rm = rm->rm_next) {
		struct sdp_fmt *f = &a->fmts[a->nfmts++];
		f->pt = (uint8_t)rm->rm_pt;
		str_copy(f->name, sizeof(f->name), rm->rm_encoding ? rm->rm_encoding : "");
		f->rate = (unsigned)rm->rm_rate;
		f->channels = rm->rm_params ? (unsigned)atoi(rm->rm_params) : 1;
		if (rm->rm_fmtp)
			str_copy(f->fmtp, sizeof(f->fmtp), rm->rm_fmtp);
	}
	switch (m->m_mode) {
	case sdp_inactive: a->dir = MEDIA_INACTIVE; break;
	case sdp_sendonly: a->dir = MEDIA_SENDONLY; break;
	case sdp_recvonly: a->dir = MEDIA_RECVONLY; break;
	default: a->dir = MEDIA_SENDRECV; break;
	}
	/* A session-level direction applies when the media level has none. */
	if (m->m_mode == sdp_sendrecv &&
	    sdp_attribute_mode(s->sdp_attributes, sdp_sendrecv) != sdp_sendrecv) {
		switch (sdp_attribute_mode(s->sdp_attributes, sdp_sendrecv)) {
		case sdp_inactive: a->dir = MEDIA_INACTIVE; break;
		case sdp_sendonly: a->dir = MEDIA_SENDONLY; break;
		case sdp_recvonly: a->dir = MEDIA_RECVONLY; break;
		default: break;
		}
	}
	/* An old-style hold: c=0.0.0.0 means the peer does not want to receive. */
	if (!strcmp(a->addr, "0.0.0.0") && a->dir == MEDIA_SENDRECV)
		a->dir = MEDIA_SENDONLY;
	for (at = m->m_attributes; at; at = at->a_next) {
		if (!at->a_name)
			continue;
		if (!strcasecmp(at->a_name, "crypto") && at->a_value)
			parse_crypto(a, at->a_value);
		else if (!strcasecmp(at->a_name, "ptime") && at->a_value)
			a->ptime = (unsigned)atoi(at->a_value);
		else if (!strcasecmp(at->a_name, "rtcp-mux"))
			a->rtcp_mux = true;
	}
	fill_webrtc(&a->rtc, s, m);
}

/* Sofia-SIP 1.12.11 (Debian 12) loops forever, allocating a list node per turn until memory
 * runs out, on an m= line whose protocol is not RTP and whose format list starts with a
 * character that is not an SDP token ("m=audio 4 X \xfb": one packet, gigabytes, minutes;
 * found by tests/fuzz/fuzz_sdp), or when only blanks with a tab follow the protocol. Let
 * only m= lines of RFC 4566's shape reach it: media SP port["/"count] SP proto *(SP fmt),
 * fmt a token, SP any run of spaces and tabs, blanks at the end only after a fmt. */
static bool sdp_token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-!#$%&'*+.^_`{|}~", c));
}

static size_t span(const char *p, const char *end, bool slash, bool digits)
{
	size_t n = 0;

	while (p + n < end && (digits ? (p[n] >= '0' && p[n] <= '9')
				      : (sdp_token_char((unsigned char)p[n]) || (slash && p[n] == '/'))))
		n++;
	return n;
}

static size_t blanks(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && (p[n] == ' ' || p[n] == '\t'))
		n++;
	return n;
}

static bool mline_ok(const char *p, const char *end)
{
	size_t n;

	p += blanks(p, end);
	if (!(n = span(p, end, false, false)))          /* media */
		return false;
	p += n;
	if (!(n = blanks(p, end)))
		return false;
	p += n;
	if (!(n = span(p, end, false, true)))           /* port */
		return false;
	p += n;
	if (p < end && *p == '/') {                     /* "/" number of ports */
		if (!(n = span(++p, end, false, true)))
			return false;
		p += n;
	}
	if (!(n = blanks(p, end)))
		return false;
	p += n;
	if (!(n = span(p, end, true, false)))           /* proto */
		return false;
	p += n;
	for (bool fmt = false; p < end; fmt = true) {   /* *(SP fmt) */
		if (!(n = blanks(p, end)))
			return false;
		p += n;
		if (p == end)
			return fmt;   /* blanks right after the proto loop Sofia too */
		if (!(n = span(p, end, false, false)))
			return false;
		p += n;
	}
	return true;
}

/* Sofia reads the text up to its first NUL and splits lines at CR or LF. */
static bool mlines_ok(const char *text, size_t len)
{
	const char *end = memchr(text, '\0', len);

	if (!end)
		end = text + len;
	for (const char *line = text; line < end;) {
		const char *eol = line;

		while (eol < end && *eol != '\r' && *eol != '\n')
			eol++;
		line += blanks(line, eol);
		if (eol - line >= 2 && line[0] == 'm' && line[1] == '=' && !mline_ok(line + 2, eol))
			return false;
		line = eol + 1;
	}
	return true;
}

int sdp_parse_desc(const char *text, size_t len, struct sdp_desc *d, char *why, size_t whylen)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_parser_t *p;
	sdp_session_t *s;
	const sdp_media_t *m;
	unsigned index = 0;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (!mlines_ok(text, len)) {
		snprintf(why, whylen, "malformed SDP: invalid m= line");
		return -1;
	}
	p = sdp_parse(home, text, (issize_t)len, sdp_f_anynet);
	s = sdp_session(p);
	if (!s) {
		snprintf(why, whylen, "malformed SDP: %s", p ? sdp_parsing_error(p) : "no memory");
		goto out;
	}
	if (s->sdp_origin) {
		d->sess_id = s->sdp_origin->o_id;
		d->sess_version = s->sdp_origin->o_version;
		copy_conn(d->origin_addr, sizeof(d->origin_addr), s->sdp_origin->o_address);
	}
	for (m = s->sdp_media; m; m = m->m_next, index++) {
		if (m->m_type == sdp_media_audio && !d->has_audio && profile_of(m) != PROF_NONE) {
			d->has_audio = true;
			d->audio_index = index;
			fill_audio(&d->audio, s, m);
		} else if (d->nother < SDP_MAX_OTHER) {
			struct sdp_other *o = &d->other[d->nother++];
			const sdp_list_t *f;
			size_t n = 0;

			str_copy(o->type, sizeof(o->type), m->m_type_name ? m->m_type_name : "unknown");
			str_copy(o->proto, sizeof(o->proto), m->m_proto_name ? m->m_proto_name : "RTP/AVP");
			o->fmts[0] = '\0';
			for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
				n += (size_t)snprintf(o->fmts + n, sizeof(o->fmts) > n ? sizeof(o->fmts) - n : 0,
						      "%s%u", n ? " " : "", rm->rm_pt);
				if (n >= sizeof(o->fmts))
					break;
			}
			for (f = m->m_format; !m->m_rtpmaps && f; f = f->l_next) {
				n += (size_t)snprintf(o->fmts + n, sizeof(o->fmts) > n ? sizeof(o->fmts) - n : 0,
						      "%s%s", n ? " " : "", f->l_text);
				if (n >= sizeof(o->fmts))
					break;
			}
			if (n >= sizeof(o->fmts))
				o->fmts[sizeof(o->fmts) - 1] = '\0';
			if (!o->fmts[0])
				str_copy(o->fmts, sizeof(o->fmts), "0");
			for (const sdp_attribute_t *at = m->m_attributes; at; at = at->a_next)
				if (at->a_name && !strcasecmp(at->a_name, "mid") && at->a_value)
					str_copy(o->mid, sizeof(o->mid), at->a_value);
		}
	}
	if (!d->has_audio) {
		snprintf(why, whylen, "no audio stream offered");
		rc = 1; /* parsed, but nothing for a phone: the caller decides (488) */
		goto out;
	}
	if (!d->audio.addr[0] && d->audio.port) {
		snprintf(why, whylen, "audio stream without a connection address");
		goto out;
	}
	rc = 0;
out:
	sdp_parser_free(p);
	su_home_deinit(home);
	return rc;
}
