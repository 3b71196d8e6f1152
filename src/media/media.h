/* media.h: the media engine as the rest of the program sees it. One media session per call:
 * it owns an RTP/RTCP socket pair, a thread, codecs, SRTP contexts, a jitter buffer and an
 * audio device. The app creates it before the offer/answer (to know the port), starts it with
 * negotiated parameters, updates it on re-INVITE, and frees it when the call ends.
 * Events (received DTMF, RTP timeout, audio trouble) come back through the evq. */
#ifndef TTY_MEDIA_H
#define TTY_MEDIA_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "sdp.h"

struct evq;
struct media_session;
struct pkt_ring;

enum srtp_suite { SUITE_NONE, SUITE_AES_CM_128_HMAC_SHA1_80, SUITE_AES_CM_128_HMAC_SHA1_32,
	SUITE_AEAD_AES_128_GCM };

/* Everything the media thread needs to run a call, as negotiated. */
struct media_params {
	enum codec_id codec;
	uint8_t pt;                /* payload type of the codec */
	int te_pt;                 /* telephone-event payload type, -1 = none */
	unsigned te_rate;
	char remote_addr[64];
	uint16_t remote_port;      /* 0 = no remote yet (e.g. rejected) */
	enum media_dir dir;        /* our direction */
	enum srtp_suite suite;     /* SUITE_NONE = plain RTP */
	uint8_t tx_key[46];        /* our key||salt (30 bytes for AES-CM, 28 for GCM) */
	uint8_t rx_key[46];        /* theirs */
	unsigned key_len;
	unsigned ptime;            /* ms, default 20 */
	/* WebRTC (ICE owns the socket, src/media/webrtc/pkt_ring.h): both set, or neither. */
	struct pkt_ring *rx_ring;  /* non-NULL: WebRTC: RTP and RTCP (rtcp-mux) come from this ring
				    * and go into tx_ring, not the session's sockets; remote_addr and
				    * remote_port are then informative only. The media thread is the
				    * only consumer of rx_ring and the only producer of tx_ring; both
				    * must outlive the session, and stay the same for its life */
	struct pkt_ring *tx_ring;
	bool keys_pending;         /* suite is set, the keys are not known yet (DTLS under way):
				    * send nothing and drop what comes, until a media_session_start
				    * with the keys and keys_pending false (suite and keys are not
				    * looked at while it is true) */
};

/* Local state kept between our offer and the answer (the keys we offered). */
struct media_offer_state {
	struct sdp_desc offer;
};

struct media_stats {
	uint64_t pkts_sent, pkts_recv;
	uint64_t pkts_lost;        /* from sequence gaps */
	uint64_t pkts_late;        /* arrived after their playout time */
	uint64_t concealed_ms;     /* audio made by PLC/FEC */
	uint64_t srtp_dropped;     /* auth failures and replays */
	uint64_t wrong_source_dropped;
	uint64_t keys_pending_dropped; /* packets that came while keys_pending (DTLS under way) */
	uint64_t tx_ring_dropped;  /* WebRTC: packets the tx ring refused (full): not sent */
	double jitter_ms;          /* RFC 3550 interarrival jitter */
	double rtt_ms;             /* from RTCP SR/RR, 0 = unknown */
	double loss_pct;           /* reported by the peer's RTCP RR */
	unsigned jb_delay_ms;      /* current jitter buffer target */
	unsigned jb_level_ms;      /* what it holds, and decoded audio waiting to be played */
	unsigned playout_wait_ms;  /* how long the packets played lately waited between their
				    * arrival and their playout (in the socket and the buffer) */
	uint64_t jb_underruns;     /* frames due while the jitter buffer had nothing */
	uint64_t jb_drift_drops;   /* packets it left out to cut delay (decoded, not played) */
	int capture_ms, playback_ms; /* queued in the audio device each way, -1 = unknown */
	uint64_t playback_underruns; /* times the device's playback ran dry, or nearly */
	float mic_level, spk_level;/* 0..1 peak over the last interval */
	bool srtp;
	bool keys_pending;         /* sending nothing yet: the SRTP keys are not known */
	enum codec_id codec;
	bool audio_ok;
	bool aec;                  /* echo cancellation runs on the microphone */
	bool realtime;             /* the media thread runs at real-time priority */
};

/* Bind an RTP socket (and RTCP = port + 1) in cfg's port range on local_addr (NULL or "":
 * any IPv4 address). Returns 0 or an errno. The other calls below return 0, or -1 with
 * errno set. evq may be NULL (no events). */
int media_session_alloc(struct media_session **msp, const struct media_cfg *mcfg,
			const struct audio_cfg *acfg, unsigned call_id, struct evq *evq,
			const char *local_addr);
uint16_t media_session_port(const struct media_session *ms);
/* Before start: make this session the built-in echo service: it plays back to the sender
 * what it receives, delay_ms later, instead of using an audio device. */
void media_session_set_echo(struct media_session *ms, unsigned delay_ms);
/* Start the thread with p, or apply new parameters to a running session without a gap.
 * remote_addr must be a numeric address of local_addr's family (unless p has rings).
 * EINVAL: one ring without the other, one ring both ways, or rings other than the
 * running session's (a session stays on the transport it started with). */
int media_session_start(struct media_session *ms, const struct media_params *p);
/* Queue an RFC 4733 digit (0-9 * # A-D); ENOTSUP if no telephone-event was negotiated. */
int media_session_dtmf(struct media_session *ms, char digit);
void media_session_mute(struct media_session *ms, bool mute);
/* Record the call to a WAV file, 48 kHz stereo: left what we send, right what we play
 * (NULL stops). */
int media_session_record(struct media_session *ms, const char *path);
void media_session_get_stats(struct media_session *ms, struct media_stats *out);
void media_session_free(struct media_session *ms);

/* Offer/answer on plain SDP descriptions (src/media/negotiate.c). why gets a reason a
 * person can read when the result is -1. */
int media_make_offer(const struct media_cfg *cfg, const char *addr, uint16_t port,
		     enum media_dir dir, struct media_offer_state *st);
int media_make_answer(const struct media_cfg *cfg, const char *addr, uint16_t port,
		      const struct sdp_desc *offer, enum media_dir hold_dir,
		      struct sdp_desc *answer, struct media_params *out, char *why, size_t whylen);
/* WebRTC (src/media/negotiate_webrtc.c): local is our side from the call's ICE agent and
 * DTLS certificate (credentials, candidates, fingerprint); our lines then carry
 * UDP/TLS/RTP/SAVPF, rtcp-mux, a=setup (actpass in an offer; in an answer, active unless
 * the offerer is active), mid and BUNDLE, and the default candidate's address. The
 * answer's audio.rtc.setup is our DTLS role. media_take_answer takes either kind of
 * answer. A WebRTC media_params has suite SUITE_NONE: the keys come from DTLS. */
int media_make_offer_webrtc(const struct media_cfg *cfg, const struct sdp_webrtc *local,
			    enum media_dir dir, struct media_offer_state *st);
int media_make_answer_webrtc(const struct media_cfg *cfg, const struct sdp_desc *offer,
			     const struct sdp_webrtc *local, enum media_dir hold_dir,
			     struct sdp_desc *answer, struct media_params *out, char *why,
			     size_t whylen);
int media_take_answer(const struct media_cfg *cfg, const struct media_offer_state *st,
		      const struct sdp_desc *answer, struct media_params *out,
		      char *why, size_t whylen);
const char *codec_rtp_name(enum codec_id id);
unsigned codec_sample_rate(enum codec_id id); /* audio rate: 48000, 16000, 8000 */

/* The address we use toward host (the source address the kernel would pick). */
int media_local_addr_for(const char *host, char *out, size_t outlen);

#endif
