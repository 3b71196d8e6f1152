/* codec_g722.c: G.722 at 64 kbit/s through spandsp. 320 samples at 16 kHz make 160 bytes,
 * and the RTP clock is 8000 (RFC 3551 kept the wrong rate for compatibility), so the RTP
 * timestamp advances by 160 per 20 ms. No built-in concealment: repeat and fade.
 *
 * spandsp is loaded only when a call negotiates G.711 or G.722 (lib_spandsp.h), but every
 * session allocates every codec's state up front (a re-INVITE must not allocate). So the
 * state embeds spandsp's structs (spandsp exposes them for this) and is set up at first
 * use on the media thread, in place: no allocation, and nothing of spandsp's is touched
 * before negotiation has loaded it. */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include "codec.h"
#include "lib_spandsp.h"

#include <stdbool.h>
#include <stdlib.h>

struct g722_state {
	g722_encode_state_t enc;
	g722_decode_state_t dec;
	bool enc_ready, dec_ready; /* set up since the last reset */
	struct fade_plc plc;
};

static void g722_free_state(void *p)
{
	free(p);                   /* spandsp's structs are embedded: nothing of theirs to free */
}

static int g722_alloc_state(void **stp, const struct codec_opts *o)
{
	struct g722_state *st = calloc(1, sizeof(*st));

	(void)o;
	if (!st)
		return -1;
	fade_plc_reset(&st->plc);
	*stp = st;
	return 0;
}

static void g722_reset_tx(void *p)
{
	((struct g722_state *)p)->enc_ready = false;
}

static void g722_reset_rx(void *p)
{
	struct g722_state *st = p;

	st->dec_ready = false;
	fade_plc_reset(&st->plc);
}

static void g722_reset_state(void *p)
{
	g722_reset_tx(p);
	g722_reset_rx(p);
}

static int g722_enc(void *p, const int16_t *pcm, uint8_t *out, size_t outmax)
{
	struct g722_state *st = p;
	const struct lib_spandsp *dsp = lib_spandsp_loaded();

	if (outmax < 160 || !dsp)
		return -1;
	if (!st->enc_ready) {
		dsp->g722_encode_init(&st->enc, 64000, 0);  /* in place: allocates nothing */
		st->enc_ready = true;
	}
	return dsp->g722_encode(&st->enc, out, pcm, 320);
}

static int g722_dec(void *p, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	struct g722_state *st = p;
	const struct lib_spandsp *dsp = lib_spandsp_loaded();
	int n;

	if (len == 0 || len * 2 > max || !dsp)
		return -1;
	if (!st->dec_ready) {
		dsp->g722_decode_init(&st->dec, 64000, 0);
		st->dec_ready = true;
	}
	n = dsp->g722_decode(&st->dec, pcm, in, (int)len);
	if (n > 0)
		fade_plc_good(&st->plc, pcm, (size_t)n);
	return n;
}

static int g722_conceal(void *p, int16_t *pcm, size_t n)
{
	struct g722_state *st = p;

	fade_plc_fill(&st->plc, pcm, n);
	return (int)n;
}

const struct codec codec_g722 = {
	.id = CODEC_G722, .rtp_name = "G722", .pt = 9,
	.rtp_clock = 8000, .audio_rate = 16000,
	.frame_samples = 320, .frame_ts = 160,
	.load = lib_spandsp_load, .alloc = g722_alloc_state, .free = g722_free_state, .reset = g722_reset_state,
	.reset_tx = g722_reset_tx, .reset_rx = g722_reset_rx,
	.encode = g722_enc, .decode = g722_dec, .plc = g722_conceal,
};
