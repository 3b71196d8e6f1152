/* codec_g711.c: G.711 A-law (PCMA) and u-law (PCMU) through spandsp's sample converters,
 * with spandsp's G.711 Appendix I style concealment (pitch-period repetition, made for
 * 8 kHz). One byte per sample, so encode and decode are a loop.
 *
 * The converters are inline in spandsp's header; only the concealment needs the library,
 * which negotiation loads (lib_spandsp.h). As in codec_g722.c, the state is set up at
 * first use, in place, so a session that never speaks G.711 never touches spandsp. */
#include "codec.h"
#include "lib_spandsp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct g711_state {
	plc_state_t plc;       /* embedded: no allocation after alloc */
	bool plc_ready;        /* plc set up since the last reset */
};

/* spandsp's functions and a set-up concealer, or NULL before negotiation loaded spandsp. */
static const struct lib_spandsp *ready_plc(struct g711_state *st)
{
	const struct lib_spandsp *dsp = lib_spandsp_loaded();

	if (dsp && !st->plc_ready) {
		dsp->plc_init(&st->plc);    /* in place: allocates nothing */
		st->plc_ready = true;
	}
	return dsp;
}

static int g711_alloc_state(void **stp, const struct codec_opts *o)
{
	struct g711_state *st = calloc(1, sizeof(*st));

	(void)o;
	if (!st)
		return -1;
	*stp = st;
	return 0;
}

static void g711_free_state(void *p)
{
	free(p);
}

static void g711_reset_state(void *p)
{
	((struct g711_state *)p)->plc_ready = false;
}

static void g711_reset_tx(void *p)
{
	(void)p;                   /* G.711 encodes each sample alone: nothing to forget */
}

static int pcma_enc(void *p, const int16_t *pcm, uint8_t *out, size_t outmax)
{
	(void)p;
	if (outmax < 160)
		return -1;
	for (int i = 0; i < 160; i++)
		out[i] = linear_to_alaw(pcm[i]);
	return 160;
}

static int pcmu_enc(void *p, const int16_t *pcm, uint8_t *out, size_t outmax)
{
	(void)p;
	if (outmax < 160)
		return -1;
	for (int i = 0; i < 160; i++)
		out[i] = linear_to_ulaw(pcm[i]);
	return 160;
}

static int pcma_dec(void *p, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	struct g711_state *st = p;
	const struct lib_spandsp *dsp = ready_plc(st);

	if (len == 0 || len > max || !dsp)
		return -1;
	for (size_t i = 0; i < len; i++)
		pcm[i] = alaw_to_linear(in[i]);
	dsp->plc_rx(&st->plc, pcm, (int)len);
	return (int)len;
}

static int pcmu_dec(void *p, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	struct g711_state *st = p;
	const struct lib_spandsp *dsp = ready_plc(st);

	if (len == 0 || len > max || !dsp)
		return -1;
	for (size_t i = 0; i < len; i++)
		pcm[i] = ulaw_to_linear(in[i]);
	dsp->plc_rx(&st->plc, pcm, (int)len);
	return (int)len;
}

/* spandsp 0.0.6 rotates its history at the start of a loss with an overlapping memcpy
 * (undefined behaviour; AddressSanitizer stops on it). It skips that when buf_ptr is 0, so
 * do the same rotation here first, with memmove. */
static void plc_rotate_history(plc_state_t *s)
{
	int16_t tmp[PLC_HISTORY_LEN];
	size_t k = (size_t)s->buf_ptr;

	if (k == 0 || k >= PLC_HISTORY_LEN)
		return;
	memcpy(tmp, s->history, k * sizeof(int16_t));
	memmove(s->history, s->history + k, (PLC_HISTORY_LEN - k) * sizeof(int16_t));
	memcpy(s->history + PLC_HISTORY_LEN - k, tmp, k * sizeof(int16_t));
	s->buf_ptr = 0;
}

static int g711_conceal(void *p, int16_t *pcm, size_t n)
{
	struct g711_state *st = p;
	const struct lib_spandsp *dsp = ready_plc(st);

	if (!dsp)
		return -1;
	if (st->plc.missing_samples == 0)
		plc_rotate_history(&st->plc);
	return dsp->plc_fillin(&st->plc, pcm, (int)n);
}

const struct codec codec_pcma = {
	.id = CODEC_PCMA, .rtp_name = "PCMA", .pt = 8,
	.rtp_clock = 8000, .audio_rate = 8000, .frame_samples = 160, .frame_ts = 160,
	.load = lib_spandsp_load, .alloc = g711_alloc_state, .free = g711_free_state,
	.reset = g711_reset_state, .reset_tx = g711_reset_tx, .reset_rx = g711_reset_state,
	.encode = pcma_enc, .decode = pcma_dec, .plc = g711_conceal,
};

const struct codec codec_pcmu = {
	.id = CODEC_PCMU, .rtp_name = "PCMU", .pt = 0,
	.rtp_clock = 8000, .audio_rate = 8000, .frame_samples = 160, .frame_ts = 160,
	.load = lib_spandsp_load, .alloc = g711_alloc_state, .free = g711_free_state,
	.reset = g711_reset_state, .reset_tx = g711_reset_tx, .reset_rx = g711_reset_state,
	.encode = pcmu_enc, .decode = pcmu_dec, .plc = g711_conceal,
};
