/* webrtc_link.c: ICE and DTLS-SRTP for one call, joined on the ice thread.
 *
 *   ice_agent hooks (ice thread)        this file                       dtls_srtp
 *   on_event CONNECTED ───────────────▶ ice_up ─┐
 *   invoke(take_endpoint) (set_remote) ─▶ d ────┴▶ begin: start, feed held ─▶ start/feed
 *   on_datagram (DTLS) ─▶ not begun: held (WL_EARLY_MAX) │ begun: ──────────▶ feed
 *   on_timer ───────────────────────────────────────────────────────────────▶ on_timeout
 *                                       after each: state ─▶ KEYS | FAILED, timer re-armed
 *   dtls send ◀──────────────────────────────────────────────────────────── send callback
 *   = ice_agent_send_datagram
 *
 * Why DTLS on the ice thread: the endpoint's datagrams come from libnice there (the
 * on_datagram hook) and must go back through libnice there (ice_agent_send_datagram is an
 * ice-thread call), its timer is the ice thread's (ice_agent_set_timer), and the
 * handshake's public-key work (milliseconds) must not be the media thread's, nor hold the
 * main thread's keys and SIP. On this thread nothing is shared with another thread but
 * the stats snapshot (under a lock) and the hand-over of the endpoint.
 *
 * The endpoint is made on the control side, in set_remote: dtls_srtp_alloc does no I/O,
 * and a malformed fingerprint or role is then refused to the caller at once, with the
 * reason, instead of as an event later. It is handed to the ice thread with
 * ice_agent_invoke, queued before the peer's credentials, so that it is there before any
 * check can succeed; the link owns it to the end and frees it after the ice thread is
 * joined, so a hand-over that never ran (freed meanwhile) leaks nothing.
 *
 * Early datagrams: when we offered, the browser answers and may begin DTLS as soon as its
 * own checks succeed, before the 200 OK reached our SIP stack (so before set_remote), or
 * before our side of ICE says connected. Up to WL_EARLY_MAX such datagrams are kept (in
 * slots allocated with the link) and fed, in order, once the endpoint exists and ICE is
 * connected; the rest are dropped and counted, and the peer's retransmissions make up for
 * them. Both conditions, not only the endpoint: our answer to a ClientHello needs a pair
 * to go out on. */
#include "media/webrtc/webrtc_link.h"
#include "media/webrtc/demux.h"
#include "media/webrtc/ice_text.h"
#include "media/srtp_sess.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct early_pkt {
	size_t len;
	uint8_t b[WL_EARLY_BYTES];
};

struct webrtc_link {
	/* Set by alloc, read-only after. */
	struct ice_agent *ice;
	struct dtls_cert *cert;            /* our reference */
	webrtc_link_cb cb;
	void *arg;
	unsigned dtls_deadline_ms;

	/* Control side only. */
	struct dtls_srtp *owned;           /* made by set_remote, freed by free */
	bool ctl_remote, ctl_closing;
	char ctl_ufrag[sizeof(((struct sdp_webrtc *)0)->ice_ufrag)];
	char ctl_pwd[sizeof(((struct sdp_webrtc *)0)->ice_pwd)];
	char ctl_fp[sizeof(((struct sdp_webrtc *)0)->fp)];
	/* Our candidates as they were when the peer restarted ICE: libnice keeps them over a
	 * restart and gives them again on the ice thread, so until it has, the answer is
	 * written from these (with the new credentials) instead of waiting. */
	bool ctl_restarted;
	char ctl_cand[SDP_MAX_CAND][ICE_TEXT];
	unsigned ctl_ncand;
	bool ctl_cand_complete;
	/* Written by set_remote before the ice_agent_invoke that reads it (the command
	 * queue's lock orders the two). */
	char warn[WL_TEXT];

	/* Ice thread only (the endpoint from take_endpoint on). */
	struct dtls_srtp *d;
	bool ice_up, begun, keys_given, failed, closing, peer_closed;
	struct early_pkt early[WL_EARLY_MAX];
	unsigned n_early;

	/* Under lock: the snapshot webrtc_link_get_stats reads. */
	pthread_mutex_t lock;
	char state[16];
	char cipher[64];
	struct ice_pair pair;
	struct dtls_srtp_stats dstats;
	unsigned early_kept;
	uint64_t early_dropped;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	/* the clock ice_agent's on_timer gives (g_get_monotonic_time) */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

__attribute__((format(printf, 4, 5)))
static int bad(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static void lock(struct webrtc_link *l)
{
	if (pthread_mutex_lock(&l->lock) != 0)
		abort();           /* a default mutex fails only on a bug */
}

static void unlock(struct webrtc_link *l)
{
	pthread_mutex_unlock(&l->lock);
}

static void set_state(struct webrtc_link *l, const char *s)
{
	lock(l);
	snprintf(l->state, sizeof(l->state), "%s", s);
	unlock(l);
}

/* ---- ice thread ---- */

__attribute__((format(printf, 4, 5)))
static void emit(struct webrtc_link *l, enum webrtc_link_ev kind, const struct ice_pair *pair,
		 const char *fmt, ...)
{
	struct webrtc_link_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
		va_end(ap);
	}
	if (pair)
		ev.pair = *pair;
	l->cb(l->arg, &ev);
}

/* The one FAILED of a link: later trouble (ICE after DTLS, the other way round) is the
 * same call ending, not news. */
__attribute__((format(printf, 2, 3)))
static void fail(struct webrtc_link *l, const char *fmt, ...)
{
	struct webrtc_link_event ev;
	va_list ap;

	if (l->failed || l->closing)
		return;
	l->failed = true;
	/* Only a begun handshake has a timer; and before that l->ice may not be set yet
	 * (ICE can fail, no local address, while ice_agent_alloc has not returned). */
	if (l->begun)
		ice_agent_set_timer(l->ice, -1);
	set_state(l, "failed");
	memset(&ev, 0, sizeof(ev));
	ev.kind = WL_EV_FAILED;
	va_start(ap, fmt);
	vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
	va_end(ap);
	l->cb(l->arg, &ev);
}

static void give_keys(struct webrtc_link *l)
{
	struct webrtc_link_event ev;
	const char *cipher = dtls_srtp_cipher(l->d);

	memset(&ev, 0, sizeof(ev));
	if (dtls_srtp_keys(l->d, &ev.keys) != 0)
		return;
	l->keys_given = true;
	lock(l);
	snprintf(l->state, sizeof(l->state), "connected");
	snprintf(l->cipher, sizeof(l->cipher), "%s", cipher);
	unlock(l);
	ev.kind = WL_EV_KEYS;
	snprintf(ev.text, sizeof(ev.text), "DTLS: connected, %s, SRTP %s", cipher,
		 srtp_suite_name(ev.keys.suite));
	l->cb(l->arg, &ev);
	explicit_bzero(&ev, sizeof(ev));
}

/* After every call into the endpoint: what came of it, and its timer again. */
static void after_dtls(struct webrtc_link *l)
{
	enum dtls_srtp_state s = dtls_srtp_state(l->d);

	lock(l);
	dtls_srtp_get_stats(l->d, &l->dstats);
	unlock(l);
	if (s == DTLS_SRTP_CONNECTED && !l->keys_given) {
		give_keys(l);
	} else if (s == DTLS_SRTP_FAILED) {
		const char *why = dtls_srtp_why(l->d);

		/* The peer's bad_certificate is most often our fingerprint mangled on the way
		 * (an SDP rewritten by a proxy), which the person can look into. */
		fail(l, "%s%s%s", strncmp(why, "DTLS", 4) == 0 ? "" : "DTLS: ", why,
		     strstr(why, "alert: bad certificate") ? "; it did not accept our "
		     "certificate: does our SDP's a=fingerprint reach it unchanged?" : "");
	} else if (s == DTLS_SRTP_CLOSED && l->keys_given && !l->peer_closed && !l->closing) {
		/* SRTP keys stay valid: whether the call goes on is the session's to say */
		l->peer_closed = true;
		emit(l, WL_EV_WARNING, NULL, "DTLS: %s; the SRTP keys stay valid",
		     dtls_srtp_why(l->d));
	}
	ice_agent_set_timer(l->ice, l->failed || l->closing ? -1 :
			    dtls_srtp_timeout_ms(l->d, now_ms()));
}

static void wipe_early(struct webrtc_link *l)
{
	for (unsigned i = 0; i < l->n_early; i++)
		explicit_bzero(l->early[i].b, l->early[i].len);
	l->n_early = 0;
}

/* Once both the endpoint and a pair are there, whichever came second: the active side's
 * ClientHello goes out, the passive side's deadline starts (a peer that never begins is
 * bounded too), and what came early is fed in order. */
static void begin(struct webrtc_link *l)
{
	if (!l->d || !l->ice_up || l->begun || l->failed || l->closing)
		return;
	l->begun = true;
	set_state(l, "handshake");
	dtls_srtp_start(l->d, now_ms());
	for (unsigned i = 0; i < l->n_early && dtls_srtp_state(l->d) == DTLS_SRTP_HANDSHAKE;
	     i++)
		dtls_srtp_feed(l->d, l->early[i].b, l->early[i].len, now_ms());
	wipe_early(l);
	after_dtls(l);
}

static void on_ice_event(void *arg, const struct ice_event *ev)
{
	struct webrtc_link *l = arg;

	if (ev->kind == ICE_EV_CLOSED) {
		set_state(l, "closed");
		emit(l, WL_EV_CLOSED, NULL, NULL);
		return;
	}
	if (l->failed || l->closing)
		return;
	switch (ev->kind) {
	case ICE_EV_CANDIDATE:
		emit(l, WL_EV_CANDIDATE, NULL, "%s", ev->text);
		break;
	case ICE_EV_GATHERING_DONE:
		emit(l, WL_EV_GATHERING_DONE, NULL, NULL);
		break;
	case ICE_EV_CONNECTED:
		lock(l);
		l->pair = ev->pair;
		unlock(l);
		l->ice_up = true;
		emit(l, WL_EV_ICE_CONNECTED, &ev->pair, "%s", ev->text);
		begin(l);
		break;
	case ICE_EV_PAIR:
		/* libnice moved to another pair (a later nomination): DTLS and media follow it
		 * by themselves (ice_agent sends on the selected pair) */
		lock(l);
		l->pair = ev->pair;
		unlock(l);
		break;
	case ICE_EV_FAILED:
	case ICE_EV_CONSENT_LOST:
		/* We start no ICE restart ourselves (a peer's is taken: remote_again): a lost
		 * pair ends the call. */
		fail(l, "%s", ev->text);
		break;
	case ICE_EV_WARNING:
		emit(l, WL_EV_WARNING, NULL, "%s", ev->text);
		break;
	case ICE_EV_CHECKING:
	case ICE_EV_CLOSED:
		break;
	}
}

static void on_datagram(void *arg, const uint8_t *pkt, size_t len, int64_t t_us)
{
	struct webrtc_link *l = arg;

	(void)t_us;
	if (l->failed || l->closing || webrtc_demux(pkt, len) != WEBRTC_PKT_DTLS)
		return;            /* the endpoint counts what it drops; these never reach it */
	if (l->begun) {
		dtls_srtp_feed(l->d, pkt, len, now_ms());
		after_dtls(l);
		return;
	}
	if (l->n_early == WL_EARLY_MAX || len > WL_EARLY_BYTES) {
		lock(l);
		l->early_dropped++;
		unlock(l);
		return;
	}
	memcpy(l->early[l->n_early].b, pkt, len);
	l->early[l->n_early++].len = len;
	lock(l);
	l->early_kept++;
	unlock(l);
}

static void on_timer(void *arg, int64_t now)
{
	struct webrtc_link *l = arg;

	if (!l->begun || l->failed || l->closing)
		return;
	dtls_srtp_on_timeout(l->d, (uint64_t)now);
	after_dtls(l);
}

static int dtls_send(void *arg, const uint8_t *pkt, size_t len)
{
	struct webrtc_link *l = arg;

	return ice_agent_send_datagram(l->ice, pkt, len);
}

/* Invoked: the endpoint set_remote made is the ice thread's from now on. */
static void take_endpoint(void *arg)
{
	struct webrtc_link *l = arg;

	l->d = l->owned;
	if (!l->failed && !l->closing)
		set_state(l, "checking");
	begin(l);
}

/* Invoked: set_remote's warning, given on this thread like every event. */
static void give_warning(void *arg)
{
	struct webrtc_link *l = arg;

	if (!l->failed && !l->closing)
		emit(l, WL_EV_WARNING, NULL, "%s", l->warn);
}

/* Invoked before ice_agent_close, which the queue runs after it. */
static void close_dtls(void *arg)
{
	struct webrtc_link *l = arg;

	if (l->closing)
		return;
	l->closing = true;
	if (l->begun)
		ice_agent_set_timer(l->ice, -1);
	wipe_early(l);
	if (l->d) {
		dtls_srtp_close(l->d);     /* close_notify, if the handshake began */
		lock(l);
		dtls_srtp_get_stats(l->d, &l->dstats);
		unlock(l);
	}
	set_state(l, "closing");
}

/* ---- control side ---- */

int webrtc_link_alloc(struct webrtc_link **lp, const struct webrtc_link_opts *o,
		      webrtc_link_cb cb, void *arg, char *why, size_t whylen)
{
	struct ice_hooks hooks = { .on_event = on_ice_event, .on_datagram = on_datagram,
				   .on_timer = on_timer };
	struct ice_opts io;
	struct webrtc_link *l;
	int e;

	*lp = NULL;
	if (!o || !o->cert || !cb)
		return bad(why, whylen, EINVAL, "WebRTC: no options, certificate or callback");
	l = calloc(1, sizeof(*l));
	if (!l)
		return bad(why, whylen, ENOMEM, "WebRTC: out of memory");
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return bad(why, whylen, ENOMEM, "WebRTC: no mutex");
	}
	/* const in the options: the reference count is the certificate's own business */
	l->cert = dtls_cert_ref((struct dtls_cert *)o->cert);
	l->cb = cb;
	l->arg = arg;
	l->dtls_deadline_ms = o->dtls_deadline_ms;
	snprintf(l->state, sizeof(l->state), "new");
	memset(&io, 0, sizeof(io));
	io.controlling = o->controlling;
	io.stun_server = o->stun_server;
	io.turn_server = o->turn_server;
	io.turn_user = o->turn_user;
	io.turn_password = o->turn_password;
	io.local_addr = o->local_addr;
	io.relay_only = o->relay_only;
	io.port_min = o->port_min;
	io.port_max = o->port_max;
	io.check_timeout_ms = o->ice_check_timeout_ms;
	hooks.arg = l;
	/* Everything the hooks touch is set: they may run before this returns. */
	e = ice_agent_alloc(&l->ice, &io, &hooks, why, whylen);
	if (e) {
		dtls_cert_free(l->cert);
		pthread_mutex_destroy(&l->lock);
		free(l);
		return e;
	}
	*lp = l;
	return 0;
}

void webrtc_link_free(struct webrtc_link *l)
{
	if (!l)
		return;
	ice_agent_free(l->ice);            /* joins the ice thread: no hook after this */
	dtls_srtp_free(l->owned);          /* wipes its keys */
	dtls_cert_free(l->cert);
	pthread_mutex_destroy(&l->lock);
	explicit_bzero(l, sizeof(*l));     /* early datagrams, the peer's credentials */
	free(l);
}

void webrtc_link_local(struct webrtc_link *l, struct sdp_webrtc *out)
{
	char ufrag[ICE_CRED_BUF], pwd[ICE_CRED_BUF];
	char lines[SDP_MAX_CAND][ICE_TEXT];
	bool complete = false;
	unsigned n;

	ice_agent_local_credentials(l->ice, ufrag, pwd);
	snprintf(out->ice_ufrag, sizeof(out->ice_ufrag), "%s", ufrag);
	snprintf(out->ice_pwd, sizeof(out->ice_pwd), "%s", pwd);
	explicit_bzero(pwd, sizeof(pwd));
	out->ice_lite = false;
	out->trickle = false;
	n = ice_agent_local_candidates(l->ice, lines, SDP_MAX_CAND, &complete);
	if (l->ctl_restarted && !complete) {
		/* just restarted: the agent is giving them again (see ctl_restarted) */
		memcpy(lines, l->ctl_cand, sizeof(lines));
		n = l->ctl_ncand;
		complete = l->ctl_cand_complete;
	}
	out->ncand = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *v = strncmp(lines[i], "candidate:", 10) == 0 ? lines[i] + 10 : lines[i];

		/* a line cut short would be a wrong candidate: leave it out (libnice's are
		 * under 150 bytes) */
		if (strlen(v) < sizeof(out->cand[0]))
			snprintf(out->cand[out->ncand++], sizeof(out->cand[0]), "%s", v);
	}
	out->end_of_candidates = complete;
	snprintf(out->fp_alg, sizeof(out->fp_alg), "%s", DTLS_CERT_FP_ALG);
	snprintf(out->fp, sizeof(out->fp), "%s", dtls_cert_fp_value(l->cert));
}

static int give_remote(struct webrtc_link *l, const struct sdp_webrtc *remote, char *why,
		       size_t whylen);

/* A second set_remote: the same peer (a re-INVITE for hold), an ICE restart, or a peer
 * this link cannot be. */
static int remote_again(struct webrtc_link *l, const struct sdp_webrtc *r, char *why,
			size_t whylen)
{
	char ufrag[ICE_CRED_BUF], pwd[ICE_CRED_BUF];
	int e;

	if (strcasecmp(r->fp, l->ctl_fp) != 0)
		return bad(why, whylen, ENOTSUP, "DTLS: the peer's a=fingerprint changed (a new "
			   "DTLS association), which this link does not do: the call needs a "
			   "new one");
	if (strcmp(r->ice_ufrag, l->ctl_ufrag) == 0 && strcmp(r->ice_pwd, l->ctl_pwd) == 0)
		return 0;
	if (!ice_cred_ok(r->ice_ufrag, ICE_UFRAG_MIN) || !ice_cred_ok(r->ice_pwd, ICE_PWD_MIN))
		return bad(why, whylen, EINVAL, "ICE: the peer's new ice-ufrag and ice-pwd cannot "
			   "be used (RFC 8839: 4 and 22 to 256 ice-chars)");
	/* The peer restarts ICE (RFC 8445 section 9: new ice-ufrag/ice-pwd in an offer): we
	 * take new credentials too and check its new candidates; the DTLS association and
	 * its keys stay (RFC 8842 section 5), and media goes on over the old pair until a
	 * new one is selected. */
	l->ctl_ncand = ice_agent_local_candidates(l->ice, l->ctl_cand, SDP_MAX_CAND,
						  &l->ctl_cand_complete);
	e = ice_agent_restart(l->ice, ufrag, pwd);
	explicit_bzero(pwd, sizeof(pwd));
	if (e)
		return bad(why, whylen, e, "ICE: the restart could not be queued");
	l->ctl_restarted = true;
	snprintf(l->ctl_ufrag, sizeof(l->ctl_ufrag), "%s", r->ice_ufrag);
	snprintf(l->ctl_pwd, sizeof(l->ctl_pwd), "%s", r->ice_pwd);
	return give_remote(l, r, why, whylen);
}

int webrtc_link_set_remote(struct webrtc_link *l, const struct sdp_webrtc *remote,
			   enum dtls_setup our_role, char *why, size_t whylen)
{
	struct dtls_srtp_opts dopts = { .deadline_ms = l->dtls_deadline_ms };
	int e;

	if (l->ctl_closing)
		return bad(why, whylen, EINVAL, "WebRTC: the link is closed");
	if (l->ctl_remote)
		return remote_again(l, remote, why, whylen);
	/* Checked before anything is queued, so that a refusal leaves the link as it was. */
	if (!ice_cred_ok(remote->ice_ufrag, ICE_UFRAG_MIN) ||
	    !ice_cred_ok(remote->ice_pwd, ICE_PWD_MIN))
		return bad(why, whylen, EINVAL, "ICE: the peer's SDP has no usable ice-ufrag and "
			   "ice-pwd (RFC 8839: 4 and 22 to 256 ice-chars)");
	if (!remote->fp_alg[0] || !remote->fp[0])
		return bad(why, whylen, EINVAL, "DTLS: the peer's SDP has no a=fingerprint, so "
			   "its DTLS certificate cannot be checked");
	e = dtls_srtp_alloc(&l->owned, l->cert, our_role, remote->fp_alg, remote->fp, &dopts,
			    dtls_send, l, why, whylen);
	if (e)
		return e;
	/* Before the credentials: the endpoint is on the ice thread before any check can
	 * succeed (the queue runs in order). */
	e = ice_agent_invoke(l->ice, take_endpoint, l);
	if (e) {
		dtls_srtp_free(l->owned);
		l->owned = NULL;
		return bad(why, whylen, e, "ICE: command queue full");
	}
	l->ctl_remote = true;
	snprintf(l->ctl_ufrag, sizeof(l->ctl_ufrag), "%s", remote->ice_ufrag);
	snprintf(l->ctl_pwd, sizeof(l->ctl_pwd), "%s", remote->ice_pwd);
	snprintf(l->ctl_fp, sizeof(l->ctl_fp), "%s", remote->fp);
	return give_remote(l, remote, why, whylen);
}

/* The peer's candidates to the agent, those ICE cannot use skipped and said (one warning
 * for them all); "what" names where they came from in that warning. */
static int give_candidates(struct webrtc_link *l, const struct sdp_webrtc *remote,
			   const char *what, unsigned *usedp, char *why, size_t whylen)
{
	char first_skip[WL_TEXT] = "";
	unsigned used = 0, skipped = 0, routine = 0;
	int e;

	for (unsigned i = 0; i < remote->ncand && i < SDP_MAX_CAND; i++) {
		char line[sizeof(remote->cand[0]) + 16], cwhy[WL_TEXT];

		snprintf(line, sizeof(line), "candidate:%s", remote->cand[i]);
		e = ice_agent_add_remote_candidate(l->ice, line, cwhy, sizeof(cwhy));
		if (e == EPROTONOSUPPORT) {
			/* TCP, or RTCP's own component: every browser offers them, and the UDP
			 * ones of component 1 are what we use. Not worth a line per call. */
			routine++;
		} else if (e == ENOTSUP || e == EINVAL) {
			if (!skipped++)
				snprintf(first_skip, sizeof(first_skip), "%s", cwhy);
		} else if (e) {
			return bad(why, whylen, e, "%s", cwhy);
		} else {
			used++;
		}
	}
	if (usedp)
		*usedp = used;
	if (skipped) {
		snprintf(l->warn, sizeof(l->warn), "ICE: %u of the peer's %u %s used, "
			 "%u skipped (the first: %.250s)", used, used + skipped + routine, what,
			 skipped, strncmp(first_skip, "ICE: ", 5) == 0 ? first_skip + 5 :
			 first_skip);
		e = ice_agent_invoke(l->ice, give_warning, l);
		if (e)
			return bad(why, whylen, e, "ICE: command queue full");
	}
	return 0;
}

/* The peer's credentials, its candidates and its end of candidates, to the agent: at the
 * first set_remote and at each restart. */
static int give_remote(struct webrtc_link *l, const struct sdp_webrtc *remote, char *why,
		       size_t whylen)
{
	int e;

	e = ice_agent_set_remote_credentials(l->ice, remote->ice_ufrag, remote->ice_pwd, why,
					     whylen);
	if (e)
		return e;
	e = give_candidates(l, remote, "candidates", NULL, why, whylen);
	if (e)
		return e;
	/* A peer that does not trickle has put every candidate in its SDP (RFC 8840), and
	 * we take no trickled ones: ICE may fail as soon as these have. */
	if ((remote->end_of_candidates || !remote->trickle) &&
	    (e = ice_agent_end_of_candidates(l->ice)) != 0)
		return bad(why, whylen, e, "ICE: command queue full");
	return 0;
}

int webrtc_link_add_remote(struct webrtc_link *l, const struct sdp_webrtc *frag,
			   unsigned *used, char *why, size_t whylen)
{
	int e;

	if (used)
		*used = 0;
	if (l->ctl_closing)
		return bad(why, whylen, EINVAL, "WebRTC: the link is closed");
	if (!l->ctl_remote)
		return bad(why, whylen, EAGAIN, "ICE: trickled candidates before the peer's SDP");
	/* RFC 8840 section 4.4: a fragment names its ICE generation by ice-ufrag; one for
	 * another (before a restart, or a restart we have not seen) is not for these checks. */
	if (frag->ice_ufrag[0] && strcmp(frag->ice_ufrag, l->ctl_ufrag) != 0)
		return bad(why, whylen, ESTALE, "ICE: trickled candidates for another ICE "
			   "generation (ice-ufrag %.64s, ours from the peer %.64s): ignored",
			   frag->ice_ufrag, l->ctl_ufrag);
	e = give_candidates(l, frag, "trickled candidates", used, why, whylen);
	if (e)
		return e;
	if (frag->end_of_candidates && (e = ice_agent_end_of_candidates(l->ice)) != 0)
		return bad(why, whylen, e, "ICE: command queue full");
	return 0;
}

struct pkt_ring *webrtc_link_rx_ring(struct webrtc_link *l)
{
	return ice_agent_rx_ring(l->ice);
}

struct pkt_ring *webrtc_link_tx_ring(struct webrtc_link *l)
{
	return ice_agent_tx_ring(l->ice);
}

int webrtc_link_close(struct webrtc_link *l)
{
	int e;

	if (l->ctl_closing)
		return 0;
	/* close_dtls runs twice harmlessly if an ENOBUFS below makes the caller call again */
	e = ice_agent_invoke(l->ice, close_dtls, l);
	if (e == 0)
		e = ice_agent_close(l->ice);
	if (e == 0)
		l->ctl_closing = true;
	return e;
}

void webrtc_link_get_stats(struct webrtc_link *l, struct webrtc_link_stats *out)
{
	memset(out, 0, sizeof(*out));
	ice_agent_get_stats(l->ice, &out->ice);
	lock(l);
	out->dtls = l->dstats;
	snprintf(out->state, sizeof(out->state), "%s", l->state);
	snprintf(out->cipher, sizeof(out->cipher), "%s", l->cipher);
	out->pair = l->pair;
	out->early_kept = l->early_kept;
	out->early_dropped = l->early_dropped;
	unlock(l);
}

const char *webrtc_link_ev_name(enum webrtc_link_ev kind)
{
	switch (kind) {
	case WL_EV_CANDIDATE: return "candidate";
	case WL_EV_GATHERING_DONE: return "gathering-done";
	case WL_EV_ICE_CONNECTED: return "ice-connected";
	case WL_EV_KEYS: return "keys";
	case WL_EV_FAILED: return "failed";
	case WL_EV_WARNING: return "warning";
	case WL_EV_CLOSED: return "closed";
	}
	return "?";
}
