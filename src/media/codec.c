/* codec.c: the list of codecs, their names, and the repeat-and-fade concealment. */
#include "codec.h"
#include "media.h"

#include <math.h>
#include <string.h>

static const struct codec *const codecs[CODEC_COUNT] = {
	[CODEC_OPUS] = &codec_opus,
	[CODEC_G722] = &codec_g722,
	[CODEC_PCMA] = &codec_pcma,
	[CODEC_PCMU] = &codec_pcmu,
};

const struct codec *codec_get(enum codec_id id)
{
	if ((unsigned)id >= CODEC_COUNT)
		return NULL;
	return codecs[id];
}

const char *codec_rtp_name(enum codec_id id)
{
	const struct codec *c = codec_get(id);

	return c ? c->rtp_name : "?";
}

unsigned codec_sample_rate(enum codec_id id)
{
	const struct codec *c = codec_get(id);

	return c ? c->audio_rate : 0;
}

void fade_plc_reset(struct fade_plc *p)
{
	p->len = 0;
	p->gain = 1.0f;
	p->period = 0;
	p->pos = 0;
}

/* The lag (in samples) at which the end of the last frame best repeats itself: the pitch
 * period of a voice, or a whole number of periods of a tone. Normalized autocorrelation over
 * the second half of the frame; runs once per loss, not per packet. */
size_t pcm_best_period(const int16_t *x, size_t len)
{
	size_t win = len / 2, best = win;
	double best_score = -2.0;

	for (size_t lag = 8; lag <= len / 2; lag++) {
		double xy = 0, xx = 0, yy = 0;

		for (size_t i = 0; i < win; i++) {
			double a = x[len - 1 - i], b = x[len - 1 - i - lag];
			xy += a * b;
			xx += a * a;
			yy += b * b;
		}
		if (xx > 0 && yy > 0 && xy / sqrt(xx * yy) > best_score) {
			best_score = xy / sqrt(xx * yy);
			best = lag;
		}
	}
	return best;
}

/* The next concealed sample (before gain): the last period, repeated. */
static float continued(const struct fade_plc *p, size_t k)
{
	return (float)p->last[p->len - p->period + (p->pos + k) % p->period];
}

void fade_plc_good(struct fade_plc *p, int16_t *pcm, size_t n)
{
	if (p->period && p->len) {
		/* Cross-fade over the first 1/8 of the frame (2.5 ms): from the concealment as it
		 * would have gone on to the real audio. */
		size_t ola = n / 8;
		float g = p->gain > 0 ? p->gain : 0;

		for (size_t i = 0; i < ola; i++) {
			float w = (float)(i + 1) / (float)(ola + 1);
			float v = continued(p, i) * g * (1.0f - w) + (float)pcm[i] * w;
			pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
		}
	}
	if (n > CODEC_MAX_FRAME) {     /* keep the most recent part of a long packet */
		pcm += n - CODEC_MAX_FRAME;
		n = CODEC_MAX_FRAME;
	}
	memcpy(p->last, pcm, n * sizeof(*pcm));
	p->len = n;
	p->gain = 1.0f;
	p->period = 0;
	p->pos = 0;
}

void fade_plc_fill(struct fade_plc *p, int16_t *pcm, size_t n)
{
	/* The gain falls by a third per 20 ms frame, linearly within the frame so the fade has
	 * no steps; after three frames the output is silence. */
	const float step = 1.0f / 3.0f / (float)(p->len ? p->len : 1);

	if (!p->len) {
		memset(pcm, 0, n * sizeof(*pcm));
		return;
	}
	if (!p->period) {
		p->period = pcm_best_period(p->last, p->len);
		p->pos = 0;
	}
	for (size_t i = 0; i < n; i++) {
		float g = p->gain > 0 ? p->gain : 0;

		pcm[i] = (int16_t)(continued(p, 0) * g);
		p->pos = (p->pos + 1) % p->period;
		p->gain -= step;
	}
}
