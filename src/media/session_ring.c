/* session_ring.c: a media session's transport for WebRTC, where ICE owns the socket: RTP
 * and RTCP, muxed on one path (rtcp-mux, RFC 5761), come from the rx ring and go into the
 * tx ring (webrtc/pkt_ring.h) that the call's ice thread fills and empties. Media thread
 * only: it is the rx ring's one consumer and the tx ring's one producer.
 *
 *   ice thread -> rx ring (stamp: CLOCK_MONOTONIC us) -> session_ring_drain -> session_recv
 *   send_packet / rtcp_tick -> srtp_protect -> session_ring_send -> tx ring -> ice thread
 *
 * Per packet: one copy each way (a slot is not ours to decrypt in place, nor aligned or
 * sized for the SRTP trailer), no lock, no allocation, no wait: a full tx ring refuses the
 * packet, which is counted and lost as a failed sendto would be. */
#include "session_priv.h"
#include "media/webrtc/pkt_ring.h"

#include <string.h>

/* A change of the offset larger than this is a step of the wall clock, not the noise of
 * reading two clocks one after the other. */
#define CLOCK_STEP_US 5000
/* Two reads of CLOCK_MONOTONIC further apart than this (we were preempted between them)
 * do not pin the offset down: read again. */
#define CLOCK_READ_US 200

/* Arrival stamps. The session keeps its arrival times on CLOCK_REALTIME because that is
 * the clock of the kernel's SO_TIMESTAMPNS stamps on its sockets (t0_us, the jitter
 * buffer's arrival clock, RTCP's DLSR and round trip against the peer's NTP times all use
 * it). The ice thread stamps ring packets with g_get_monotonic_time(), CLOCK_MONOTONIC in
 * us. The two clocks run at the same rate (NTP's slewing moves both), so one offset, read
 * when the session starts, converts every stamp; only a step of the wall clock
 * (settimeofday, an NTP step) changes it, and a stale offset would then put every later
 * arrival off by the step against "now" (the jitter buffer would think packets waited
 * that long). So each tick reads it again, two vDSO calls, and takes the new value only
 * when it moved by more than CLOCK_STEP_US: the noise of reading (microseconds) never
 * moves the stamps. */
void session_ring_clock(struct media_session *ms, bool first)
{
	int64_t m1 = 0, r = 0, m2 = 0, off;

	for (int i = 0; i < 3; i++) {
		m1 = session_mono_us();
		r = session_realtime_us();
		m2 = session_mono_us();
		if (m2 - m1 <= CLOCK_READ_US)
			break;
	}
	off = r - (m1 + (m2 - m1) / 2);
	if (first || off - ms->ring_off_us > CLOCK_STEP_US || ms->ring_off_us - off > CLOCK_STEP_US)
		ms->ring_off_us = off;
}

/* The keys are not here yet, but the peer's packets may be: each side gets its keys when
 * its own DTLS handshake ends and the event reaches its main loop and then its media
 * thread, so the side that finished first sends a few packets before the other can open
 * them. Those are the first packets of the peer's stream, and an Opus decoder that starts
 * without them overshoots to full scale for a quarter of a second on a steady tone (it
 * predicts from frames it never saw). So they wait in the ring, and play (as a backlog
 * the jitter buffer then cuts) once the keys came; only what is older than the newest
 * KEYS_WAIT_PKTS (session_priv.h) is dropped, and counted. */
static void hold_for_keys(struct media_session *ms)
{
	while (pkt_ring_count(ms->rx_ring) > KEYS_WAIT_PKTS &&
	       pkt_ring_peek(ms->rx_ring, NULL, NULL)) {
		pkt_ring_pop(ms->rx_ring);
		ms->keys_pending_dropped++;
	}
}

void session_ring_drain(struct media_session *ms)
{
	/* Before draining, never after: a packet committed after our last peek leaves the
	 * fd readable, so the next ppoll wakes for it. */
	pkt_ring_clear_wake(ms->rx_ring);
	if (ms->p.keys_pending) {
		hold_for_keys(ms);
		return;
	}
	/* Bounded like a socket's drain. Whatever is left past the bound waits for the next
	 * tick's drain (the fd is clear then, so a playout wait does not see it early). */
	for (int i = 0; i < MAX_RECV_PER_TICK; i++) {
		size_t len = 0;
		int64_t t_us = 0;
		const uint8_t *pkt = pkt_ring_peek(ms->rx_ring, &len, &t_us);
		bool fits;

		if (!pkt)
			return;
		/* Longer than a socket read would take: dropped, as a truncated datagram is. */
		fits = len > 0 && len <= PKT_BUF - SRTP_SESS_TRAILER;
		if (fits)
			memcpy(ms->rxbuf, pkt, len);
		pkt_ring_pop(ms->rx_ring);
		if (fits)
			session_recv(ms, ms->rxbuf, len, NULL, t_us + ms->ring_off_us, false);
	}
}

bool session_ring_send(struct media_session *ms, const uint8_t *pkt, size_t len)
{
	/* The stamp is the time it was queued (the ring's producer clock); the ice thread
	 * sends it at once and has no use for it yet. */
	if (pkt_ring_push(ms->tx_ring, pkt, len, session_mono_us()) == 0)
		return true;
	ms->tx_ring_dropped++;        /* full (or too long): the ring counts it too */
	return false;
}
