/* codec.h: the codec interface table. Each codec (codec_opus.c, codec_g722.c, codec_g711.c)
 * fills one `struct codec`; the session only ever calls through the table, so adding a codec
 * is one file and one line in codec.c. All frames are 20 ms at the codec's audio rate. */
#ifndef TTY_MEDIA_CODEC_H
#define TTY_MEDIA_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

#define CODEC_FRAME_MS 20
#define CODEC_MAX_RATE 48000
#define CODEC_MAX_FRAME (CODEC_MAX_RATE / 1000 * CODEC_FRAME_MS)  /* 960 samples */
#define CODEC_MAX_DECODE (CODEC_MAX_RATE / 1000 * 120)            /* one 120 ms packet */
#define CODEC_MAX_PAYLOAD 1500

struct codec_opts {
	unsigned bitrate;          /* Opus bits per second, 0 = codec default */
	int dtx;                   /* Opus discontinuous transmission */
	unsigned loss_pct;         /* expected loss at the start, tunes Opus in-band FEC */
	int complexity;            /* Opus encoder complexity 0-10 */
};

struct codec {
	enum codec_id id;
	const char *rtp_name;      /* encoding name in a=rtpmap */
	uint8_t pt;                /* our payload type (static, or our dynamic choice) */
	unsigned rtp_clock;        /* RTP timestamp rate: differs from audio_rate for G.722 */
	unsigned audio_rate;       /* PCM sample rate the codec works at */
	unsigned sdp_channels;     /* channels written in a=rtpmap, 0 = not written */
	const char *fmtp;          /* our a=fmtp, NULL = none */
	unsigned frame_samples;    /* 20 ms at audio_rate */
	unsigned frame_ts;         /* 20 ms in RTP clock units */

	/* NULL, or loads the library the codec runs on (lib_load.c), with the reason when it
	 * cannot. May block: negotiation calls it, never the media thread. Until it succeeded,
	 * alloc and reset work (the state waits) and decode/encode return -1. */
	int (*load)(char *why, size_t whylen);
	int (*alloc)(void **stp, const struct codec_opts *o);
	void (*free)(void *st);
	void (*reset)(void *st);   /* forget history (new stream), keep settings */
	void (*reset_tx)(void *st);/* the same for the encoder only (we start a new stream) */
	void (*reset_rx)(void *st);/* for the decoder and concealment only (theirs starts) */
	/* One frame_samples frame in; bytes out, or -1. */
	int (*encode)(void *st, const int16_t *pcm, uint8_t *out, size_t outmax);
	/* A packet in; samples out (at most max), or -1. */
	int (*decode)(void *st, const uint8_t *in, size_t len, int16_t *pcm, size_t max);
	/* Rebuild the lost frame (n samples) from the packet that follows it; NULL if the codec
	 * carries no redundancy. Returns n or -1. */
	int (*decode_fec)(void *st, const uint8_t *next, size_t len, int16_t *pcm, size_t n);
	/* Conceal n lost samples. Returns n or -1. */
	int (*plc)(void *st, int16_t *pcm, size_t n);
	/* Optional: the loss the peer reports (RTCP), in percent, for the encoder's redundancy. */
	void (*set_loss)(void *st, unsigned pct);
};

const struct codec *codec_get(enum codec_id id);

/* Concealment shared by codecs without a better one (G.722): the lost audio continues the
 * last good frame one pitch period at a time (so it stays in phase: no click where it
 * starts), fading out over three frames, and the first good frame after it is cross-faded
 * in (no click where it ends, and a fade-in after a long gap). */
struct fade_plc {
	int16_t last[CODEC_MAX_FRAME];
	size_t len;
	float gain;                /* gain at the start of the next concealed frame */
	size_t period;             /* pitch period in samples while concealing, 0 = not */
	size_t pos;                /* where in that period the next concealed sample is */
};
void fade_plc_reset(struct fade_plc *p);
/* The lag (in samples, 8 to len/2) at which the end of x best repeats itself: a voice's
 * pitch period, or a whole number of a tone's periods. */
size_t pcm_best_period(const int16_t *x, size_t len);
/* A good frame: remembered, and cross-faded from the concealment if one was running. */
void fade_plc_good(struct fade_plc *p, int16_t *pcm, size_t n);
void fade_plc_fill(struct fade_plc *p, int16_t *pcm, size_t n);

extern const struct codec codec_opus, codec_g722, codec_pcma, codec_pcmu;

#endif
