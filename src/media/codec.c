/* codec.c: the list of codecs, their names, and the repeat-and-fade concealment. */
#include "codec.h"
#include "media.h"

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
}

void fade_plc_good(struct fade_plc *p, const int16_t *pcm, size_t n)
{
	if (n > CODEC_MAX_FRAME) {     /* keep the most recent part of a long packet */
		pcm += n - CODEC_MAX_FRAME;
		n = CODEC_MAX_FRAME;
	}
	memcpy(p->last, pcm, n * sizeof(*pcm));
	p->len = n;
	p->gain = 1.0f;
}

void fade_plc_fill(struct fade_plc *p, int16_t *pcm, size_t n)
{
	/* The gain falls by a third per 20 ms frame, linearly within the frame so the fade has
	 * no steps; after three frames the output is silence. */
	const float step = 1.0f / 3.0f / (float)(p->len ? p->len : 1);

	for (size_t i = 0; i < n; i++) {
		float g = p->gain > 0 ? p->gain : 0;

		pcm[i] = p->len ? (int16_t)((float)p->last[i % p->len] * g) : 0;
		p->gain -= step;
	}
}
