/* session_priv.h: struct media_session, shared by session.c (the control side: alloc,
 * start, DTMF, mute, record, stats, free; runs on the caller's thread) and session_loop.c
 * (the media thread). Nothing outside those two files sees it. Who may touch what is
 * written beside each group. */
#ifndef TTY_MEDIA_SESSION_PRIV_H
#define TTY_MEDIA_SESSION_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <speex/speex_resampler.h>

#include "media.h"
#include "audio.h"
#include "codec.h"
#include "dtmf.h"
#include "echo_cancel.h"
#include "jitter.h"
#include "lib_sndfile.h"
#include "rtcp.h"
#include "rtp.h"
#include "splice.h"
#include "srtp_sess.h"

#define PKT_BUF (1500 + SRTP_SESS_TRAILER)
/* Playout at 48 kHz: what is left of the last packet, one packet of up to 120 ms, and what
 * a splice may add. */
#define FIFO_CAP (AUDIO_FRAME + CODEC_MAX_DECODE + SPLICE_SHIFT)
#define LATCH_MS 1000          /* symmetric RTP: follow the peer's source this long */
/* Bounded, so a flood cannot stall playout, yet large: refusing a stranger's packet costs a
 * recvmsg and a compare, and reading too few lets the kernel drop the peer's packets with
 * the flood's (seen: ~9000 junk packets/s silenced a call at 64 per tick). */
#define MAX_RECV_PER_TICK 2048
/* WebRTC: while the keys are pending, the peer's packets wait in the rx ring, at most this
 * many (the newest): 500 ms of 20 ms packets, half of ICE's ring (session_ring.c). */
#define KEYS_WAIT_PKTS 25
#define DTMF_PENDING 16

/* Parameters handed from the control side to the media thread. */
struct session_update {
	struct media_params p;
	struct sockaddr_storage remote;
	socklen_t remote_len;      /* 0: no remote (port 0): send nothing */
	bool new_tx, new_rx;       /* tx/rx below replace the current contexts */
	struct srtp_sess *tx, *rx;
};

/* Resamplers between the device rate and a codec rate (8 or 16 kHz; 48 kHz needs none). */
struct rate_pair {
	unsigned rate;
	SpeexResamplerState *up, *down;
};

struct media_session {
	/* Set before the thread starts, read-only after. */
	struct media_cfg mcfg;
	struct audio_cfg acfg;
	unsigned call_id;
	struct evq *evq;
	int rtp_fd, rtcp_fd;       /* bound even for WebRTC, where they stay unused */
	/* WebRTC: set by the first start (and the same in every later one), else NULL. The
	 * thread consumes rx_ring and produces tx_ring (session_ring.c), never the sockets. */
	struct pkt_ring *rx_ring, *tx_ring;
	int family;
	uint16_t port;
	bool echo;
	unsigned echo_ms;
	char cname[40];
	unsigned rtcp_interval_ms; /* RTCP_INTERVAL_MS; tests shorten it */
	void *cst[CODEC_COUNT];    /* a state per codec, made once: switching allocates nothing */
	struct rate_pair rates[2];
	const struct audio_backend *dev_ops;
	void *dev;
	struct echo_cancel *aec;   /* NULL: no echo cancellation; used by the thread only */

	/* Written before the thread starts. */
	bool realtime;             /* the thread runs at real-time priority */

	/* Control side only. */
	bool running;
	pthread_t thread;
	struct media_params last;  /* what was last passed to start, to see key changes */

	/* Under ctl. The media thread only ever trylocks it, at a tick boundary. */
	pthread_mutex_t ctl;
	bool have_update;
	struct session_update upd;
	struct srtp_sess *retired_tx, *retired_rx;  /* let go by the thread, freed by us */
	char dtmf[DTMF_PENDING];
	unsigned ndtmf;
	atomic_bool ctl_dirty;     /* something above waits: spares the trylock per tick */

	atomic_bool stop, mute;

	/* Under rec_lock: held by the thread (trylock) for one frame, by record() to swap. */
	pthread_mutex_t rec_lock;
	SNDFILE *rec;
	const struct lib_sndfile *sf;  /* libsndfile, loaded by the first record() */

	/* Under stats_lock: the snapshot get_stats reads. */
	pthread_mutex_t stats_lock;
	struct media_stats stats;

	/* Media thread only (and the control side before the thread starts). */
	struct media_params p;
	const struct codec *codec;  /* what we send, and what p.pt means */
	struct rate_pair *rp;      /* its resamplers, NULL for a 48 kHz codec */
	const struct codec *prev_codec; /* the one before the last re-INVITE: its packets may */
	uint8_t prev_pt;           /* still be buffered or in flight, and still play */
	struct srtp_sess *tx, *rx;
	struct sockaddr_storage remote, rtcp_remote, latched;
	struct sockaddr_storage prev_src; /* where the peer sent from before the address changed */
	bool have_prev_src;
	socklen_t remote_len, rtcp_remote_len;
	bool is_latched, rtcp_latched;
	int64_t latch_until_ms;
	uint32_t ssrc, ts;
	uint16_t seq;
	bool marker_next;
	uint32_t sent_pkts, sent_octets;
	struct rtp_rx rxs;
	int64_t last_rx_ms;
	bool timeout_reported;
	unsigned srtp_fail_run;    /* consecutive auth failures, for one SRTP_ERROR event */
	bool srtp_ok_seen, srtp_error_reported;
	int64_t t0_us;             /* arrival time origin, CLOCK_REALTIME (kernel stamps) */
	int64_t ring_off_us;       /* CLOCK_REALTIME - CLOCK_MONOTONIC: ring stamps to ours */
	struct dtmf_tx dtx;
	struct dtmf_rx drx;
	int16_t fifo[FIFO_CAP];    /* decoded audio at 48 kHz, waiting to be played */
	unsigned fifo_len;
	int16_t dec_buf[CODEC_MAX_DECODE]; /* one packet decoded, at its codec's rate */
	const struct codec *dec;   /* the decoder that made the audio played last */
	bool dec_live;             /* ... and it is still playing (not filling up) */
	uint16_t seq_off;          /* added to a later source's sequence numbers, so its packets
				    * queue up behind the earlier source's */
	bool splice_pending;       /* the packet at splice_seq starts another source: */
	uint16_t splice_seq;       /* restart the decoder there and splice */
	int16_t splice_old[SPLICE_OLD];  /* how the old audio would go on, 48 kHz */
	int16_t last_played[AUDIO_FRAME];
	bool quiet;                /* the last frame played was near silence */
	bool audio_ok;
	int64_t next_rtcp_ms;
	uint32_t lsr;              /* from the peer's last SR */
	int64_t lsr_at_us;         /* its arrival, CLOCK_REALTIME like the kernel stamps */
	double rtt_ms, loss_pct;
	unsigned fec_loss;         /* the loss the encoder's redundancy is sized for, % */
	float mic_level, spk_level;
	unsigned aec_ticks;        /* ticks since the echo canceller last asked for latency */
	uint64_t pkts_recv, concealed_ms, srtp_dropped, wrong_source;
	uint64_t keys_pending_dropped, tx_ring_dropped;
	double playout_wait_ms;    /* smoothed: from a packet's arrival to its playout */
	unsigned rng;              /* rand_r state for RTCP intervals */
	_Alignas(8) uint8_t rxbuf[PKT_BUF];
	_Alignas(8) uint8_t txbuf[PKT_BUF];
	struct jitter jb;
};

/* session.c: for tests, before start: RTCP every ms (randomised by +-50 %). */
void session_set_rtcp_interval(struct media_session *ms, unsigned ms_interval);

/* session_loop.c */
void *session_thread(void *arg);
void session_apply(struct media_session *ms, struct session_update *u);
int64_t session_now_ms(void);
int64_t session_mono_us(void);     /* CLOCK_MONOTONIC */
int64_t session_realtime_us(void); /* CLOCK_REALTIME, the clock of the kernel's stamps */
void session_post(struct media_session *ms, int kind, int a, const char *text);
/* One datagram from the peer, in ms->rxbuf-like storage (4-byte aligned, room for the SRTP
 * trailer): RTP or RTCP, told apart by rtcp_sock or RFC 5761's rule. from: its source on a
 * socket, NULL from the rx ring (ICE checked the path: no source check, no latching).
 * arrival_us: on CLOCK_REALTIME, like the kernel's stamps. */
void session_recv(struct media_session *ms, uint8_t *buf, size_t len,
		  const struct sockaddr_storage *from, int64_t arrival_us, bool rtcp_sock);

/* session_ring.c: the WebRTC transport, media thread only (ms->rx_ring set). */
/* Read the ring stamps' offset to the session's clock: at start (first), and each tick,
 * taking it again only if the wall clock was stepped. */
void session_ring_clock(struct media_session *ms, bool first);
/* Everything waiting in the rx ring into session_recv (at most MAX_RECV_PER_TICK). */
void session_ring_drain(struct media_session *ms);
/* pkt into the tx ring; false (dropped and counted, never waited for) when it is full. */
bool session_ring_send(struct media_session *ms, const uint8_t *pkt, size_t len);

#endif
