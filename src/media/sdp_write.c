/* sdp_write.c: our SDP text from a struct sdp_desc (RFC 4566), CRLF lines, never longer than
 * the buffer. Every string is checked to be printable, since some came from the peer's SDP
 * (names echoed in an answer) and a CR or LF there would forge lines of ours. */
#include "sdp.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t size, len;
	bool bad;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->bad)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->bad = true;
		return;
	}
	o->len += (size_t)n;
}

/* A field we write must be non-empty printable ASCII without spaces, unless spaces are
 * allowed (fmtp values, format lists). */
static bool ok(struct out *o, const char *s, bool spaces)
{
	if (!*s)
		o->bad = true;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || (*s == ' ' && !spaces))
			o->bad = true;
	return !o->bad;
}

const char *media_dir_name(enum media_dir dir)
{
	switch (dir) {
	case MEDIA_INACTIVE: return "inactive";
	case MEDIA_SENDONLY: return "sendonly";
	case MEDIA_RECVONLY: return "recvonly";
	case MEDIA_SENDRECV: return "sendrecv";
	}
	return "sendrecv";
}

static const char *ip_ver(const char *addr)
{
	return strchr(addr, ':') ? "IP6" : "IP4";
}

static const char *profile_name(const struct sdp_audio *a)
{
	if (a->dtls)
		return a->avpf ? "UDP/TLS/RTP/SAVPF" : "UDP/TLS/RTP/SAVP";
	if (a->savp)
		return a->avpf ? "RTP/SAVPF" : "RTP/SAVP";
	return a->avpf ? "RTP/AVPF" : "RTP/AVP";
}

static const char *setup_name(enum sdp_setup s)
{
	switch (s) {
	case SETUP_ACTPASS: return "actpass";
	case SETUP_ACTIVE: return "active";
	case SETUP_PASSIVE: return "passive";
	case SETUP_HOLDCONN: return "holdconn";
	case SETUP_NONE: break;
	}
	return NULL;
}

/* ICE credentials and candidates, the DTLS fingerprint and role, the mid (RFC 8839, 8842,
 * 8843): what a WebRTC peer needs on the audio line. */
static void write_webrtc(struct out *o, const struct sdp_webrtc *w)
{
	const char *setup = setup_name(w->setup);

	if (w->mid[0] && ok(o, w->mid, false))
		put(o, "a=mid:%s\r\n", w->mid);
	if (w->ice_ufrag[0] && ok(o, w->ice_ufrag, false) && ok(o, w->ice_pwd, false)) {
		put(o, "a=ice-ufrag:%s\r\n", w->ice_ufrag);
		put(o, "a=ice-pwd:%s\r\n", w->ice_pwd);
	}
	if (w->trickle)
		put(o, "a=ice-options:trickle\r\n");
	if (w->fp[0] && ok(o, w->fp_alg, false) && ok(o, w->fp, false))
		put(o, "a=fingerprint:%s %s\r\n", w->fp_alg, w->fp);
	if (setup)
		put(o, "a=setup:%s\r\n", setup);
	for (unsigned i = 0; i < w->ncand && i < SDP_MAX_CAND; i++)
		if (ok(o, w->cand[i], true))
			put(o, "a=candidate:%s\r\n", w->cand[i]);
	if (w->end_of_candidates)
		put(o, "a=end-of-candidates\r\n");
}

static void write_audio(struct out *o, const struct sdp_audio *a)
{
	put(o, "m=audio %u %s", a->port, profile_name(a));
	for (unsigned i = 0; i < a->nfmts && i < SDP_MAX_FMTS; i++)
		put(o, " %u", a->fmts[i].pt);
	if (a->nfmts == 0)
		put(o, " 0");     /* an m-line needs a format, even a rejected one */
	put(o, "\r\n");
	for (unsigned i = 0; i < a->nfmts && i < SDP_MAX_FMTS; i++) {
		const struct sdp_fmt *f = &a->fmts[i];

		if (f->pt > 127)
			o->bad = true;
		if (f->name[0] && ok(o, f->name, false)) {
			put(o, "a=rtpmap:%u %s/%u", f->pt, f->name, f->rate);
			if (f->channels > 1)
				put(o, "/%u", f->channels);
			put(o, "\r\n");
		}
		if (f->fmtp[0] && ok(o, f->fmtp, true))
			put(o, "a=fmtp:%u %s\r\n", f->pt, f->fmtp);
	}
	for (unsigned i = 0; i < a->ncrypto && i < SDP_MAX_CRYPTO; i++) {
		const struct sdp_crypto *c = &a->crypto[i];

		if (ok(o, c->suite, false) && ok(o, c->key_b64, false))
			put(o, "a=crypto:%u %s inline:%s\r\n", c->tag, c->suite, c->key_b64);
	}
	if (a->ptime)
		put(o, "a=ptime:%u\r\n", a->ptime);
	if (a->rtcp_mux)
		put(o, "a=rtcp-mux\r\n");
	write_webrtc(o, &a->rtc);
	put(o, "a=%s\r\n", media_dir_name(a->dir));
}

int sdp_write_desc(const struct sdp_desc *d, char *buf, size_t size)
{
	struct out o = { .buf = buf, .size = size };
	const char *caddr = d->has_audio && d->audio.addr[0] ? d->audio.addr : d->origin_addr;
	unsigned nm = d->nother + (d->has_audio ? 1 : 0), k = 0;
	unsigned audio_at = d->audio_index < d->nother ? d->audio_index : d->nother;

	if (!buf || size == 0 || d->nother > SDP_MAX_OTHER)
		return -1;
	buf[0] = '\0';
	if (ok(&o, d->origin_addr, false) && ok(&o, caddr, false)) {
		put(&o, "v=0\r\n");
		put(&o, "o=ttyphone %llu %llu IN %s %s\r\n", (unsigned long long)d->sess_id,
		    (unsigned long long)d->sess_version, ip_ver(d->origin_addr), d->origin_addr);
		put(&o, "s=ttyphone\r\n");
		put(&o, "c=IN %s %s\r\n", ip_ver(caddr), caddr);
		put(&o, "t=0 0\r\n");
		if (d->has_audio && d->audio.rtc.ice_lite)
			put(&o, "a=ice-lite\r\n");
		if (d->has_audio && d->audio.rtc.bundled && ok(&o, d->audio.rtc.mid, false))
			put(&o, "a=group:BUNDLE %s\r\n", d->audio.rtc.mid);
	}
	/* m-lines in the offer's order: the audio line sits at audio_index. */
	for (unsigned i = 0; i < nm && !o.bad; i++) {
		if (d->has_audio && i == audio_at) {
			write_audio(&o, &d->audio);
		} else if (k < d->nother) {
			const struct sdp_other *x = &d->other[k++];

			if (ok(&o, x->type, false) && ok(&o, x->proto, false))
				put(&o, "m=%s 0 %s %s\r\n", x->type, x->proto,
				    x->fmts[0] && ok(&o, x->fmts, true) ? x->fmts : "0");
			if (x->mid[0] && ok(&o, x->mid, false))
				put(&o, "a=mid:%s\r\n", x->mid);
		}
	}
	if (o.bad) {
		buf[0] = '\0';
		return -1;
	}
	return (int)o.len;
}
