/* session_loop.c: the media thread (the pipeline is drawn at the top of session.c).
 * Per tick: capture (which waits for the 20 ms), receive what arrived, send one packet,
 * play one frame (waiting up to 15 ms for its packet, if it is on its way), then the
 * housekeeping (record, RTCP, timeout, stats).
 * Nothing here allocates or blocks on a lock; the control slot is taken with trylock. */
#include "session_priv.h"
#include "evq.h"
#include "rtcp.h"
#include "media/webrtc/pkt_ring.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <poll.h>

#define MEDIA_NICE -10          /* when real-time priority is not allowed */
#define SRTP_FAIL_REPORT 25    /* auth failures in a row, none good yet: wrong key */
#define FEC_MAX_LOSS 30        /* more redundancy than this costs more than it saves */
/* How long past a tick's start playout waits for the packet it is to play (see
 * await_due_packet). What is left of the tick (5 ms) is for decoding and writing before
 * the next capture is due, so the packets we send keep the sound card's pace. */
#define PLAYOUT_WAIT_US 15000

int64_t session_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t session_mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int64_t session_realtime_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

void session_post(struct media_session *ms, int kind, int a, const char *text)
{
	struct evq_event ev = { .kind = (enum evq_kind)kind, .call_id = ms->call_id, .a = a };

	if (!ms->evq)
		return;
	if (text)
		snprintf(ev.text, sizeof(ev.text), "%s", text);
	evq_post(ms->evq, &ev);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
		      bool port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr && (!port || x->sin_port == y->sin_port);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		       (!port || x->sin6_port == y->sin6_port);
	}
	return false;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* RTCP goes to the RTP address's port + 1 (no rtcp-mux on sockets; WebRTC's rings mux it,
 * session_ring.c) until the peer's own RTCP shows where it really comes from. */
static void rtcp_from_rtp(struct media_session *ms)
{
	ms->rtcp_remote = ms->remote;
	ms->rtcp_remote_len = ms->remote_len;
	set_port(&ms->rtcp_remote, (uint16_t)(get_port(&ms->remote) + 1));
	ms->rtcp_latched = false;
}

static struct rate_pair *rate_pair_for(struct media_session *ms, unsigned rate)
{
	for (int i = 0; i < 2; i++)
		if (ms->rates[i].rate == rate)
			return &ms->rates[i];
	return NULL;                  /* 48 kHz: nothing to resample */
}

/* Install new parameters: at start, and at a tick boundary afterwards. A re-INVITE changes
 * nothing that is playing: the jitter buffer keeps its packets and the playout its audio,
 * the old codec's packets still decode, and playout splices the new codec in when its first
 * packet comes up (play_tick). */
void session_apply(struct media_session *ms, struct session_update *u)
{
	const struct media_params *np = &u->p;
	bool first = ms->codec == NULL;
	/* The SRTP keys came (DTLS done): media starts now. */
	bool keys_came = !first && ms->p.keys_pending && !np->keys_pending;
	int64_t now = session_now_ms();

	if (first || np->codec != ms->p.codec || np->pt != ms->p.pt) {
		const struct codec *c = codec_get(np->codec);
		struct rate_pair *rp = rate_pair_for(ms, c->audio_rate);

		if (!first) {
			ms->prev_codec = ms->codec;
			ms->prev_pt = ms->p.pt;
		}
		/* Our new stream starts fresh; the resampler toward it too, unless the old codec
		 * used the same one, whose history is the audio just sent. */
		c->reset_tx(ms->cst[c->id]);
		if (rp && rp != ms->rp)
			speex_resampler_reset_mem(rp->down);
		ms->codec = c;
		ms->rp = rp;
		if (first || c->rtp_clock != ms->prev_codec->rtp_clock)
			ms->rxs.have_transit = false;  /* RFC 3550 jitter: a new clock, a new origin */
		jb_set_timing(&ms->jb, c->rtp_clock, np->pt);
		ms->marker_next = true;
	}
	/* Replaced contexts go back to the control side to free (no free() here). */
	if (u->new_tx) {
		ms->retired_tx = ms->tx;
		ms->tx = u->tx;
		u->tx = NULL;
	}
	if (u->new_rx) {
		ms->retired_rx = ms->rx;
		ms->rx = u->rx;
		u->rx = NULL;
		ms->srtp_fail_run = 0;
		ms->srtp_ok_seen = false;
		ms->srtp_error_reported = false;
	}
	if (first || u->remote_len != ms->remote_len || !same_addr(&u->remote, &ms->remote, true)) {
		/* The peer's packets already on their way still come from where it sent before:
		 * they play, and (see handle_rtp) do not pull us back there. */
		ms->have_prev_src = !first && ms->remote_len;
		if (ms->have_prev_src)
			ms->prev_src = ms->is_latched ? ms->latched : ms->remote;
		ms->remote = u->remote;
		ms->remote_len = u->remote_len;
		ms->is_latched = false;
		ms->latch_until_ms = now + LATCH_MS;
		rtcp_from_rtp(ms);
	}
	if (first || keys_came || ((np->dir & MEDIA_RECVONLY) && !(ms->p.dir & MEDIA_RECVONLY))) {
		ms->last_rx_ms = now;         /* the RTP timeout counts from here */
		ms->timeout_reported = false;
	}
	if (keys_came)
		ms->marker_next = true;       /* our first packet starts a talkspurt */
	if (first) {
		ms->next_rtcp_ms = now + ms->rtcp_interval_ms / 2;
		ms->t0_us = session_realtime_us();
		if (ms->rx_ring)
			session_ring_clock(ms, true);
	}
	ms->p = *np;
}

/* Take what the control side left: new parameters, DTMF digits. Never waits. */
static void take_control(struct media_session *ms)
{
	if (!atomic_load(&ms->ctl_dirty) || pthread_mutex_trylock(&ms->ctl) != 0)
		return;
	if (ms->have_update) {
		/* Replaced SRTP contexts land in retired_*, under ctl, for the control side. */
		session_apply(ms, &ms->upd);
		ms->have_update = false;
	}
	for (unsigned i = 0; i < ms->ndtmf; i++)
		if (dtmf_tx_push(&ms->dtx, ms->dtmf[i]) < 0)
			break;
	ms->ndtmf = 0;
	atomic_store(&ms->ctl_dirty, false);
	pthread_mutex_unlock(&ms->ctl);
}

/* ---- receive ---- */

/* Size the encoder's redundancy (Opus in-band FEC) by the loss the peer reports: up at once
 * to the loss just reported, down by half a report at a time, none while nothing is lost. */
static void fec_follow_loss(struct media_session *ms)
{
	unsigned pct = (unsigned)ceil(ms->loss_pct);

	if (pct > FEC_MAX_LOSS)
		pct = FEC_MAX_LOSS;
	if (pct < ms->fec_loss)
		pct = pct > ms->fec_loss / 2 ? pct : ms->fec_loss / 2;
	if (pct == ms->fec_loss)
		return;
	ms->fec_loss = pct;
	for (int i = 0; i < CODEC_COUNT; i++) {
		const struct codec *c = codec_get((enum codec_id)i);

		if (c->set_loss)
			c->set_loss(ms->cst[i], pct);
	}
}

static void handle_rtcp(struct media_session *ms, uint8_t *buf, size_t len,
			const struct sockaddr_storage *from, int64_t arrival_us)
{
	struct rtcp_info info;
	const struct sockaddr_storage *peer = ms->is_latched ? &ms->latched : &ms->remote;

	/* Same host as the media; the port is whatever the peer's RTCP uses. From the ring
	 * (no from) ICE checked the path. */
	if (from && !same_addr(from, peer, false)) {
		ms->wrong_source++;
		return;
	}
	if (ms->rx && srtp_sess_unprotect(ms->rx, buf, &len, true) != SRTP_SESS_OK) {
		ms->srtp_dropped++;
		return;
	}
	if (rtcp_parse(buf, len, ms->ssrc, &info) < 0)
		return;
	if (from && !ms->rtcp_latched) {
		ms->rtcp_remote = *from;
		ms->rtcp_latched = true;
	}
	/* Arrival stamps, not the time we got round to reading: the socket is read once per
	 * tick, which would add up to 20 ms to the round trip. */
	if (info.has_sr) {
		ms->lsr = info.sr_ntp_mid;
		ms->lsr_at_us = arrival_us;
	}
	if (info.has_rb) {
		double rtt = rtcp_rtt_ms(rtcp_ntp_from_us(arrival_us), info.rb.lsr, info.rb.dlsr);

		ms->loss_pct = info.rb.fraction * 100.0 / 256.0;
		fec_follow_loss(ms);
		if (rtt >= 0)                 /* 0 means unknown: keep a measured one above it */
			ms->rtt_ms = rtt > 0.01 ? rtt : 0.01;
	}
}

static void srtp_failed(struct media_session *ms)
{
	ms->srtp_dropped++;
	if (!ms->srtp_ok_seen && ++ms->srtp_fail_run >= SRTP_FAIL_REPORT &&
	    !ms->srtp_error_reported) {
		ms->srtp_error_reported = true;
		session_post(ms, EVQ_MEDIA_SRTP_ERROR, 0,
			     "the peer's SRTP packets fail authentication (wrong key?)");
	}
}

static void handle_rtp(struct media_session *ms, uint8_t *buf, size_t len,
		       const struct sockaddr_storage *from, int64_t arrival_us, int64_t now)
{
	struct rtp_hdr h;
	uint32_t arrival_rtp;
	enum rtp_rx_result rr;
	bool in_window = now < ms->latch_until_ms;
	/* From the peer's address before a re-INVITE moved it, in the first second after:
	 * packets still on their way. */
	bool from_prev = from && in_window && ms->have_prev_src &&
			 !same_addr(from, &ms->remote, true) && same_addr(from, &ms->prev_src, true);

	if (!from) {
		/* From the rx ring: ICE verified the path (and keeps consent), and the pair it
		 * selected is where we send; nothing to check or latch. */
	} else if (ms->is_latched) {
		if (!same_addr(from, &ms->latched, true)) {
			ms->wrong_source++;
			return;
		}
	} else if (!in_window && !same_addr(from, &ms->remote, true) &&
		   !(ms->have_prev_src && same_addr(from, &ms->prev_src, true))) {
		/* After the first second, only the negotiated address (or, behind a NAT that
		 * kept it, the one the peer used before) may start the stream. */
		ms->wrong_source++;
		return;
	}
	if (ms->rx) {
		int v = srtp_sess_unprotect(ms->rx, buf, &len, false);

		if (v != SRTP_SESS_OK) {
			srtp_failed(ms);
			return;
		}
		ms->srtp_ok_seen = true;
		ms->srtp_fail_run = 0;
	}
	if (rtp_parse(buf, len, &h) < 0)
		return;
	if (from && !ms->is_latched && !from_prev) {
		/* Symmetric RTP: send where the peer's packets come from (NAT). With SRTP only
		 * an authenticated packet gets here, so a stranger cannot steer our audio. */
		ms->latched = *from;
		ms->is_latched = true;
		if (ms->remote_len && !same_addr(from, &ms->remote, true)) {
			ms->remote = *from;
			ms->remote_len = ms->family == AF_INET ? sizeof(struct sockaddr_in)
							       : sizeof(struct sockaddr_in6);
			if (!ms->rtcp_latched)
				rtcp_from_rtp(ms);
		}
	}
	ms->pkts_recv++;
	ms->last_rx_ms = now;
	ms->timeout_reported = false;
	if (!(ms->p.dir & MEDIA_RECVONLY))
		return;                       /* sendonly or inactive: RFC 3264 says ignore */

	/* Relative to t0 (it may be slightly negative for packets queued before start). */
	arrival_rtp = (uint32_t)((arrival_us - ms->t0_us) * (int64_t)ms->codec->rtp_clock / 1000000);
	rr = rtp_rx_update(&ms->rxs, &h, arrival_rtp);
	if (rr == RTP_RX_NEW_SSRC) {
		/* Another source (a re-INVITE to another media server, a restarted peer): its
		 * packets queue up behind what the old one left, and its first one restarts the
		 * decoder with a splice, so the change is not heard as a gap. */
		uint16_t at = jb_end_seq(&ms->jb);

		ms->seq_off = (uint16_t)(at - h.seq);
		ms->splice_seq = at;
		ms->splice_pending = ms->jb.state != JB_IDLE;
		jb_set_timing(&ms->jb, ms->codec->rtp_clock, ms->p.pt);
		dtmf_rx_init(&ms->drx);
		session_post(ms, EVQ_MEDIA_NEW_SSRC, (int)h.ssrc, NULL);
	} else if (rr == RTP_RX_BAD) {
		return;
	}
	h.seq = (uint16_t)(h.seq + ms->seq_off);
	if (ms->p.te_pt >= 0 && h.pt == ms->p.te_pt) {
		char digit = dtmf_rx_packet(&ms->drx, h.payload, h.payload_len, h.ts);

		if (digit)
			session_post(ms, EVQ_MEDIA_DTMF, digit, NULL);
		/* Keep its place in the sequence (it replaced an audio packet): silence. */
		jb_put(&ms->jb, h.seq, h.ts, h.pt, h.marker, NULL, 0, arrival_us - ms->t0_us);
		return;
	}
	jb_put(&ms->jb, h.seq, h.ts, h.pt, h.marker, h.payload, h.payload_len,
	       arrival_us - ms->t0_us);
}

static void drain(struct media_session *ms, int fd, bool rtcp_sock)
{
	for (int i = 0; i < MAX_RECV_PER_TICK; i++) {
		struct sockaddr_storage from;
		union {
			char buf[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = ms->rxbuf, .iov_len = PKT_BUF - SRTP_SESS_TRAILER };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf) };
		int64_t arrival_us = 0;
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

		if (n < 0)
			return;               /* EAGAIN: drained; anything else: try next tick */
		if (msg.msg_flags & MSG_TRUNC)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				arrival_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
			}
		if (!arrival_us)
			arrival_us = session_realtime_us();
		session_recv(ms, ms->rxbuf, (size_t)n, &from, arrival_us, rtcp_sock);
	}
}

void session_recv(struct media_session *ms, uint8_t *buf, size_t len,
		  const struct sockaddr_storage *from, int64_t arrival_us, bool rtcp_sock)
{
	if (ms->p.keys_pending) {
		/* DTLS under way: no key to open it with (nor, after a rekey, the right one). */
		ms->keys_pending_dropped++;
		return;
	}
	if (rtcp_sock || rtp_is_rtcp(buf, len))
		handle_rtcp(ms, buf, len, from, arrival_us);
	else
		handle_rtp(ms, buf, len, from, arrival_us, session_now_ms());
}

/* ---- send ---- */

static float peak(const int16_t *pcm, unsigned n)
{
	int m = 0;

	for (unsigned i = 0; i < n; i++) {
		int v = pcm[i] < 0 ? -pcm[i] : pcm[i];

		if (v > m)
			m = v;
	}
	return (float)m / 32768.0f;
}

/* Whether there is anyone to send to: a negotiated address, or (WebRTC) ICE's pair. */
static bool have_peer(const struct media_session *ms)
{
	return ms->tx_ring || ms->remote_len;
}

/* txbuf[n], protected, to the peer: into the tx ring, or by sendto. A failed send (no route
 * yet, ICMP refused from the peer, a full ring) is not worth stopping for: false, and the
 * next tick tries again. */
static bool transmit(struct media_session *ms, size_t n, bool rtcp)
{
	if (ms->tx_ring)
		return session_ring_send(ms, ms->txbuf, n);  /* rtcp-mux: RTCP on the same path */
	if (rtcp)
		return sendto(ms->rtcp_fd, ms->txbuf, n, 0, (struct sockaddr *)&ms->rtcp_remote,
			      ms->rtcp_remote_len) >= 0;
	return sendto(ms->rtp_fd, ms->txbuf, n, 0, (struct sockaddr *)&ms->remote,
		      ms->remote_len) >= 0;
}

static void send_packet(struct media_session *ms, uint8_t pt, bool marker, uint32_t ts,
			const uint8_t *payload, size_t len)
{
	struct rtp_hdr h = { .marker = marker, .pt = pt, .seq = ms->seq, .ts = ts, .ssrc = ms->ssrc };
	size_t n = rtp_build(ms->txbuf, PKT_BUF - SRTP_SESS_TRAILER, &h, payload, len);

	if (n == 0)
		return;
	ms->seq++;
	if (ms->tx && srtp_sess_protect(ms->tx, ms->txbuf, &n, PKT_BUF, false) < 0)
		return;
	if (!transmit(ms, n, false))
		return;
	ms->sent_pkts++;
	ms->sent_octets += (uint32_t)len;
}

static void send_tick(struct media_session *ms, int16_t *cap48)
{
	const struct codec *c = ms->codec;
	int16_t frame[CODEC_MAX_FRAME];
	uint8_t payload[CODEC_MAX_PAYLOAD];
	uint8_t te[4];
	uint32_t te_ts;
	bool marker;
	int n;

	/* keys_pending: nothing leaves before DTLS gave the keys (not even plain RTP). */
	if (!have_peer(ms) || !(ms->p.dir & MEDIA_SENDONLY) || ms->p.keys_pending)
		goto out;
	if (ms->p.te_pt >= 0 &&
	    dtmf_tx_tick(&ms->dtx, ms->ts, ms->p.te_rate ? ms->p.te_rate : 8000, CODEC_FRAME_MS,
			 te, &te_ts, &marker)) {
		send_packet(ms, (uint8_t)ms->p.te_pt, marker, te_ts, te, sizeof(te));
		goto out;
	}
	if (ms->rp) {
		spx_uint32_t in_len = AUDIO_FRAME, out_len = c->frame_samples;

		speex_resampler_process_int(ms->rp->down, 0, cap48, &in_len, frame, &out_len);
		for (unsigned i = out_len; i < c->frame_samples; i++)
			frame[i] = out_len ? frame[out_len - 1] : 0;
	} else {
		memcpy(frame, cap48, sizeof(int16_t) * c->frame_samples);
	}
	n = c->encode(ms->cst[c->id], frame, payload, sizeof(payload));
	/* Opus DTX: a packet of at most 2 bytes means "nothing to send". */
	if (n <= 0 || (c->id == CODEC_OPUS && ms->mcfg.opus_dtx && n <= 2)) {
		ms->marker_next = true;
		goto out;
	}
	send_packet(ms, ms->p.pt, ms->marker_next, ms->ts, payload, (size_t)n);
	ms->marker_next = false;
out:
	/* The timestamp follows the sampling clock whether or not we sent. */
	ms->ts += c->frame_ts;
}

/* ---- playout ---- */

/* The decoder for packets of payload type pt: the codec in use, the one before the last
 * re-INVITE (its packets may still be queued), or a static type (RFC 3551), which a peer
 * that took our offer may send before its answer reaches us. NULL: not audio we know. */
static const struct codec *codec_for_pt(const struct media_session *ms, uint8_t pt)
{
	if (pt == ms->p.pt)
		return ms->codec;
	if (ms->prev_codec && pt == ms->prev_pt)
		return ms->prev_codec;
	for (int i = 0; i < CODEC_COUNT; i++) {
		const struct codec *c = codec_get((enum codec_id)i);

		if (c->pt < 96 && c->pt == pt)
			return c;
	}
	return NULL;
}

/* n samples of c's audio (at its rate) onto the playout queue, at 48 kHz. */
static void fifo_push(struct media_session *ms, const struct codec *c, const int16_t *pcm,
		      unsigned n)
{
	struct rate_pair *rp = rate_pair_for(ms, c->audio_rate);
	unsigned room = FIFO_CAP - ms->fifo_len;

	if (rp) {
		spx_uint32_t in_len = n, out_len = room;

		speex_resampler_process_int(rp->up, 0, pcm, &in_len, ms->fifo + ms->fifo_len,
					    &out_len);
		ms->fifo_len += out_len;
	} else {
		if (n > room)
			n = room;
		memcpy(ms->fifo + ms->fifo_len, pcm, n * sizeof(*pcm));
		ms->fifo_len += n;
	}
}

/* How the audio queued so far would go on, into splice_old, for a splice. Returns its
 * length, 0 if nothing is playing (nothing to join to). */
static size_t continuation(struct media_session *ms)
{
	/* The last 20 ms before the join: the end of the queue, after what just played. */
	int16_t hist[AUDIO_FRAME];
	size_t have = ms->fifo_len < AUDIO_FRAME ? ms->fifo_len : AUDIO_FRAME;
	size_t before = AUDIO_FRAME - have;

	if (!ms->dec || !ms->dec_live)
		return 0;
	memcpy(hist, ms->last_played + AUDIO_FRAME - before, before * sizeof(int16_t));
	memcpy(hist + before, ms->fifo + ms->fifo_len - have, have * sizeof(int16_t));
	splice_continue(hist, AUDIO_FRAME, ms->splice_old, SPLICE_OLD);
	return SPLICE_OLD;
}

/* The next packet is another codec's, or another source's: start its decoder afresh. */
static void switch_decoder(struct media_session *ms, const struct codec *to)
{
	const struct codec *from = ms->dec;

	/* The resampler of another rate holds whatever it last played: clear it. The same
	 * one keeps its history, which is the audio just played. */
	if (!from || from->audio_rate != to->audio_rate) {
		struct rate_pair *rp = rate_pair_for(ms, to->audio_rate);

		if (rp)
			speex_resampler_reset_mem(rp->up);
	}
	to->reset_rx(ms->cst[to->id]);
	ms->dec = to;
}

static unsigned conceal(struct media_session *ms, const struct codec *c, int16_t *out,
			unsigned n)
{
	int r = c->plc(ms->cst[c->id], out, n);

	if (r < 0) {
		memset(out, 0, n * sizeof(*out));
		r = (int)n;
	}
	ms->concealed_ms += (uint64_t)r * 1000 / c->audio_rate;
	return (unsigned)r;
}

/* The packet to play this tick may be on its way. Capture paces both phones, and when the
 * peer's packets arrive a little after our tick starts (two sound cards whose ticks are a
 * few ms apart, or one that both share, ticking together), playing each only at the next
 * tick leaves it waiting a whole tick in the socket. So while the jitter buffer plays and
 * its next packet is not here, wait for it until `due` (PLAYOUT_WAIT_US past the tick's
 * start, monotonic), taking in what arrives. The jitter buffer counts its cushion up to
 * that deadline, and leaves a frame out when its successor will be here by then. */
static void await_due_packet(struct media_session *ms, int64_t due)
{
	int64_t now = session_mono_us();

	while (ms->jb.state != JB_IDLE && (ms->p.dir & MEDIA_RECVONLY) && !jb_peek(&ms->jb) &&
	       now < due) {
		/* WebRTC: the rx ring's eventfd, readable once a packet was committed. */
		struct pollfd pfd = { .fd = ms->rx_ring ? pkt_ring_fd(ms->rx_ring) : ms->rtp_fd,
				      .events = POLLIN };
		struct timespec left = { .tv_sec = 0, .tv_nsec = (long)(due - now) * 1000 };

		/* EINTR or an error: look at the time and try again (bounded by due). */
		if (ppoll(&pfd, 1, &left, NULL) > 0) {
			if (ms->rx_ring)
				session_ring_drain(ms);
			else
				drain(ms, ms->rtp_fd, false);
		}
		now = session_mono_us();
	}
}

/* A packet the jitter buffer left out to cut delay still goes through the decoder, its
 * sound thrown away (jb_dropped says why); play_one joins across the cut. Not when the
 * decoder is about to change (another codec's packet, another source's): the new decoder
 * starts afresh anyway. */
static void decode_dropped(struct media_session *ms)
{
	const struct jb_frame *d = jb_dropped(&ms->jb);

	if (!d || d->len == 0 || !ms->dec || codec_for_pt(ms, d->pt) != ms->dec ||
	    (ms->splice_pending && (int16_t)(uint16_t)(d->seq - ms->splice_seq) >= 0))
		return;
	(void)ms->dec->decode(ms->cst[ms->dec->id], d->data, d->len, ms->dec_buf,
			      CODEC_MAX_DECODE);
}

/* jb_pop at this moment, with playout's deadline `due` (monotonic) on the arrival clock. */
static enum jb_pop_result pop_by(struct media_session *ms, int64_t due, const struct jb_frame **f)
{
	int64_t now = session_realtime_us() - ms->t0_us, left = due - session_mono_us();
	enum jb_pop_result r = jb_pop(&ms->jb, ms->quiet, now, left > 0 ? now + left : now, f);

	decode_dropped(ms);
	return r;
}

/* One packet's worth (or a lost one's, or silence) from the jitter buffer onto the playout
 * queue. due: playout's deadline for this tick (monotonic). */
static void play_one(struct media_session *ms, int64_t due)
{
	const struct codec *c = ms->dec ? ms->dec : ms->codec;
	const struct codec *fc;
	const struct jb_frame *f, *next;
	unsigned lost_n = jb_frame_ms(&ms->jb) * c->audio_rate / 1000;
	unsigned at = ms->fifo_len;
	uint64_t drops = ms->jb.st.drift_drops;
	enum jb_pop_result r;
	size_t nold = 0;
	int n = 0;

	if (lost_n < c->frame_samples / 2 || lost_n > CODEC_MAX_FRAME * 3)
		lost_n = c->frame_samples;
	r = pop_by(ms, due, &f);
	if (r == JB_SKIPPED) {         /* one left out to cut delay: its successor is due */
		await_due_packet(ms, due);
		r = pop_by(ms, due, &f);
	}
	switch (r) {
	case JB_FRAME:
		fc = f->len > 0 ? codec_for_pt(ms, f->pt) : NULL;
		if (!fc) {
			/* A telephone-event (or other non-audio) packet held its place: its time
			 * passes in silence. */
			n = (int)lost_n;
			memset(ms->dec_buf, 0, (size_t)n * sizeof(int16_t));
			break;
		}
		if (fc != ms->dec || (ms->splice_pending &&
				      (int16_t)(uint16_t)(f->seq - ms->splice_seq) >= 0)) {
			ms->splice_pending = false;
			nold = continuation(ms);
			switch_decoder(ms, fc);
		} else if (ms->jb.st.drift_drops != drops && !ms->quiet) {
			/* The jitter buffer skipped a frame of sound to cut delay: join across
			 * the cut rather than jump. */
			nold = continuation(ms);
		}
		c = fc;
		ms->playout_wait_ms += ((session_realtime_us() - ms->t0_us - f->arrival_us) / 1000.0 -
					ms->playout_wait_ms) / 16.0;
		n = c->decode(ms->cst[c->id], f->data, f->len, ms->dec_buf, CODEC_MAX_DECODE);
		if (n < 0)
			n = (int)conceal(ms, c, ms->dec_buf, lost_n);
		ms->dec_live = true;
		break;
	case JB_LOST:
		next = jb_peek(&ms->jb);
		if (c->decode_fec && next && next->len > 0 && codec_for_pt(ms, next->pt) == c &&
		    (n = c->decode_fec(ms->cst[c->id], next->data, next->len, ms->dec_buf,
				       lost_n)) > 0)
			ms->concealed_ms += (uint64_t)n * 1000 / c->audio_rate;
		else
			n = (int)conceal(ms, c, ms->dec_buf, lost_n);
		break;
	case JB_UNDERRUN:
	case JB_STRETCH:
	case JB_SKIPPED:               /* cannot happen twice in a row; conceal if it did */
		n = (int)conceal(ms, c, ms->dec_buf, c->frame_samples);
		break;
	case JB_EMPTY:
		n = (int)c->frame_samples;
		memset(ms->dec_buf, 0, (size_t)n * sizeof(int16_t));
		ms->dec_live = false;
		break;
	}
	if (n > 0)
		fifo_push(ms, c, ms->dec_buf, (unsigned)n);
	if (nold) {
		size_t len = ms->fifo_len - at;

		splice_join(ms->splice_old, nold, ms->fifo + at, &len, FIFO_CAP - at);
		ms->fifo_len = at + (unsigned)len;
	}
	if (ms->fifo_len == at) {             /* never loop without progress */
		unsigned fill = FIFO_CAP - at < AUDIO_FRAME ? FIFO_CAP - at : AUDIO_FRAME;

		memset(ms->fifo + at, 0, fill * sizeof(int16_t));
		ms->fifo_len += fill;
	}
}

/* tick_us: when this tick's capture came (monotonic). */
static void play_tick(struct media_session *ms, int16_t *play48, int64_t tick_us)
{
	int64_t due = tick_us + PLAYOUT_WAIT_US;

	if (ms->fifo_len < AUDIO_FRAME)
		await_due_packet(ms, due);
	while (ms->fifo_len < AUDIO_FRAME)
		play_one(ms, due);
	memcpy(play48, ms->fifo, AUDIO_FRAME * sizeof(int16_t));
	memcpy(ms->last_played, play48, sizeof(ms->last_played));
	ms->fifo_len -= AUDIO_FRAME;
	memmove(ms->fifo, ms->fifo + AUDIO_FRAME, ms->fifo_len * sizeof(int16_t));
}

/* ---- housekeeping ---- */

static void record_tick(struct media_session *ms, const int16_t *mic, const int16_t *spk)
{
	int16_t frames[2 * AUDIO_FRAME];

	if (pthread_mutex_trylock(&ms->rec_lock) != 0)
		return;                       /* record() is swapping files: skip one frame */
	if (ms->rec) {
		for (unsigned i = 0; i < AUDIO_FRAME; i++) {
			frames[2 * i] = mic[i];
			frames[2 * i + 1] = spk[i];
		}
		if (ms->sf->writef_short(ms->rec, frames, AUDIO_FRAME) != AUDIO_FRAME) {
			/* Disk full or the like: stop recording; the file stays valid. */
			ms->sf->close(ms->rec);
			ms->rec = NULL;
			session_post(ms, EVQ_MEDIA_AUDIO_ERROR, 0, "recording stopped: cannot write");
		}
	}
	pthread_mutex_unlock(&ms->rec_lock);
}

static void rtcp_tick(struct media_session *ms, int64_t now)
{
	struct rtcp_sr sr;
	struct rtcp_rb rb;
	bool have_rb = ms->rxs.init;
	size_t n;

	if (now < ms->next_rtcp_ms)
		return;
	/* RFC 3550 6.2: randomise the interval between 0.5 and 1.5 times the nominal. */
	ms->next_rtcp_ms = now + ms->rtcp_interval_ms / 2 + rand_r(&ms->rng) % ms->rtcp_interval_ms;
	if (!have_peer(ms) || ms->p.keys_pending)
		return;
	if (have_rb) {
		int64_t lost = rtp_rx_lost(&ms->rxs);

		rb.ssrc = ms->rxs.ssrc;
		rb.fraction = rtp_rx_fraction_lost(&ms->rxs);
		rb.cum_lost = lost > INT32_MAX ? INT32_MAX : lost < INT32_MIN ? INT32_MIN : (int32_t)lost;
		rb.ext_max_seq = rtp_rx_ext_max(&ms->rxs);
		rb.jitter = (uint32_t)ms->rxs.jitter;
		rb.lsr = ms->lsr;
		rb.dlsr = ms->lsr ? (uint32_t)((session_realtime_us() - ms->lsr_at_us) * 65536 / 1000000) : 0;
	}
	sr.ntp = rtcp_ntp_now();
	sr.rtp_ts = ms->ts;
	sr.pkts = ms->sent_pkts;
	sr.octets = ms->sent_octets;
	n = rtcp_build(ms->txbuf, PKT_BUF - SRTP_SESS_TRAILER, ms->ssrc,
		       ms->sent_pkts ? &sr : NULL, have_rb ? &rb : NULL, ms->cname);
	if (n == 0)
		return;
	if (ms->tx && srtp_sess_protect(ms->tx, ms->txbuf, &n, PKT_BUF, true) < 0)
		return;
	(void)transmit(ms, n, true);          /* as for RTP: lost, next time */
}

static void timeout_tick(struct media_session *ms, int64_t now)
{
	unsigned limit = ms->mcfg.rtp_timeout;

	/* Only while we expect to receive: on hold (sendonly, inactive) the peer is silent;
	 * before the keys, DTLS's own deadline is what counts. */
	if (!limit || ms->timeout_reported || !(ms->p.dir & MEDIA_RECVONLY) || !have_peer(ms) ||
	    ms->p.keys_pending)
		return;
	if (now - ms->last_rx_ms >= (int64_t)limit * 1000) {
		ms->timeout_reported = true;
		session_post(ms, EVQ_MEDIA_RTP_TIMEOUT, (int)limit, "no RTP from the peer");
	}
}

static void publish_stats(struct media_session *ms)
{
	struct media_stats *s = &ms->stats;

	if (pthread_mutex_trylock(&ms->stats_lock) != 0)
		return;                       /* the reader has it: next tick */
	s->pkts_sent = ms->sent_pkts;
	s->pkts_recv = ms->pkts_recv;
	s->pkts_lost = rtp_rx_lost(&ms->rxs) > 0 ? (uint64_t)rtp_rx_lost(&ms->rxs) : 0;
	s->pkts_late = ms->jb.st.late;
	s->concealed_ms = ms->concealed_ms;
	s->srtp_dropped = ms->srtp_dropped;
	s->wrong_source_dropped = ms->wrong_source;
	s->keys_pending_dropped = ms->keys_pending_dropped;
	s->tx_ring_dropped = ms->tx_ring_dropped;
	s->keys_pending = ms->p.keys_pending;
	s->jitter_ms = ms->rxs.jitter * 1000.0 / ms->codec->rtp_clock;
	s->rtt_ms = ms->rtt_ms;
	s->loss_pct = ms->loss_pct;
	s->jb_delay_ms = jb_target_ms(&ms->jb);
	s->jb_level_ms = jb_level_ms(&ms->jb) + ms->fifo_len * 1000 / AUDIO_RATE;
	s->playout_wait_ms = ms->playout_wait_ms > 0 ? (unsigned)lround(ms->playout_wait_ms) : 0;
	s->jb_underruns = ms->jb.st.underruns;
	s->jb_drift_drops = ms->jb.st.drift_drops;
	s->capture_ms = s->playback_ms = -1;
	if (ms->dev_ops->latency)
		ms->dev_ops->latency(ms->dev, &s->capture_ms, &s->playback_ms);
	s->playback_underruns = ms->dev_ops->playback_underruns ?
				ms->dev_ops->playback_underruns(ms->dev) : 0;
	s->mic_level = ms->mic_level;
	s->spk_level = ms->spk_level;
	s->srtp = ms->tx != NULL;
	s->codec = ms->p.codec;
	s->audio_ok = ms->audio_ok;
	s->aec = ms->aec != NULL;
	s->realtime = ms->realtime;
	pthread_mutex_unlock(&ms->stats_lock);
}

/* Clean the captured frame of the speaker's echo. The reference follows the device's
 * latency, asked for twice a second (and at once when streams come back). */
static void aec_capture(struct media_session *ms, int16_t *cap)
{
	if (!ms->audio_ok) {
		/* Streams (re)opened after none: a new echo path to learn. */
		echo_cancel_reset(ms->aec);
		ms->aec_ticks = 0;
	}
	if (ms->dev_ops->latency_us && ms->aec_ticks++ % EC_LATENCY_TICKS == 0)
		echo_cancel_latency(ms->aec, ms->dev_ops->latency_us(ms->dev));
	echo_cancel_capture(ms->aec, cap);
}

void *session_thread(void *arg)
{
	struct media_session *ms = arg;
	int16_t cap[AUDIO_FRAME], play[AUDIO_FRAME];

	/* Not real-time (session.c): at least ahead of ordinary work, if allowed (rarely). */
	if (!ms->realtime && ms->mcfg.realtime &&
	    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), MEDIA_NICE) < 0) {
		/* as usual, then */
	}

	while (!atomic_load(&ms->stop)) {
		int64_t now, tick_us;
		float p;
		bool ok;

		take_control(ms);
		ok = ms->dev_ops->read(ms->dev, cap) == 0;
		tick_us = session_mono_us();
		if (ms->aec && ok)
			aec_capture(ms, cap);
		ms->audio_ok = ok;
		if (atomic_load(&ms->mute))
			memset(cap, 0, sizeof(cap));
		if (ms->rx_ring) {
			session_ring_clock(ms, false);
			session_ring_drain(ms);
		} else {
			drain(ms, ms->rtp_fd, false);
			drain(ms, ms->rtcp_fd, true);
		}
		send_tick(ms, cap);
		play_tick(ms, play, tick_us);
		/* A failed write loses this frame only; a backend reports lasting trouble. */
		(void)ms->dev_ops->write(ms->dev, play);
		if (ms->aec)
			echo_cancel_played(ms->aec, play);
		record_tick(ms, cap, play);
		/* Meters: the peak of this frame, or a slow fall from the last one. */
		p = peak(cap, AUDIO_FRAME);
		ms->mic_level = p > ms->mic_level * 0.85f ? p : ms->mic_level * 0.85f;
		p = peak(play, AUDIO_FRAME);
		ms->quiet = p < AUDIO_QUIET_PEAK / 32768.0f;  /* a drift correction is not heard */
		ms->spk_level = p > ms->spk_level * 0.85f ? p : ms->spk_level * 0.85f;
		now = session_now_ms();
		rtcp_tick(ms, now);
		timeout_tick(ms, now);
		publish_stats(ms);
	}
	return NULL;
}
