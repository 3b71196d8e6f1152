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

static void fill_audio(struct sdp_audio *a, const sdp_session_t *s, const sdp_media_t *m)
{
	const sdp_rtpmap_t *rm;
	const sdp_attribute_t *at;

	copy_conn(a->addr, sizeof(a->addr), s->sdp_connection);
	copy_conn(a->addr, sizeof(a->addr), m->m_connections);
	a->port = m->m_rejected ? 0 : (uint16_t)m->m_port;
	a->savp = m->m_proto == sdp_proto_srtp;
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
		if (m->m_type == sdp_media_audio && !d->has_audio &&
		    (m->m_proto == sdp_proto_rtp || m->m_proto == sdp_proto_srtp)) {
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
