/* audio_file.c: WAV files as microphone and speaker (tests, demos). The input is looped and
 * converted to 48 kHz mono (channels mixed down, speexdsp resampling if its rate differs);
 * the output is written as 48 kHz mono 16-bit WAV. Either path may be empty (silence in,
 * nothing written). Paced by a timer. */
#include "audio.h"
#include "lib_sndfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <speex/speex_resampler.h>

#define IN_CHUNK 480           /* input frames read at a time */
#define MAX_CHANNELS 8

struct file_dev {
	struct pacer pacer;
	const struct lib_sndfile *sf;
	SNDFILE *in, *out;
	unsigned in_channels;
	SpeexResamplerState *rs;   /* NULL when the input is already 48 kHz */
	int16_t raw[IN_CHUNK * MAX_CHANNELS];
	int16_t mono[IN_CHUNK];
	unsigned mono_len, mono_pos;
};

static void file_close(void *dev)
{
	struct file_dev *d = dev;

	if (!d)
		return;
	if (d->in)
		d->sf->close(d->in);
	if (d->out)
		d->sf->close(d->out);   /* writes the final WAV header */
	if (d->rs)
		speex_resampler_destroy(d->rs);
	free(d);
}

static int file_open(void **devp, const struct audio_open_args *a, char *why, size_t whylen)
{
	struct file_dev *d = calloc(1, sizeof(*d));
	SF_INFO info;

	if (!d)
		return ENOMEM;
	if ((a->cfg->input[0] || a->cfg->output[0]) && !(d->sf = lib_sndfile(why, whylen)))
		goto fail;
	if (a->cfg->input[0]) {
		memset(&info, 0, sizeof(info));
		d->in = d->sf->open(a->cfg->input, SFM_READ, &info);
		if (!d->in) {
			snprintf(why, whylen, "cannot read %s: %s", a->cfg->input, d->sf->strerror(NULL));
			goto fail;
		}
		if (info.channels < 1 || info.channels > MAX_CHANNELS || info.samplerate < 1000 ||
		    info.samplerate > 192000 || info.frames == 0) {
			snprintf(why, whylen, "%s: unusable audio (%d channels at %d Hz, %lld frames)",
				 a->cfg->input, info.channels, info.samplerate, (long long)info.frames);
			goto fail;
		}
		d->in_channels = (unsigned)info.channels;
		if (info.samplerate != AUDIO_RATE) {
			int err;

			d->rs = speex_resampler_init(1, (spx_uint32_t)info.samplerate, AUDIO_RATE,
						     SPEEX_RESAMPLER_QUALITY_DESKTOP, &err);
			if (!d->rs) {
				snprintf(why, whylen, "%s: cannot resample from %d Hz", a->cfg->input,
					 info.samplerate);
				goto fail;
			}
			speex_resampler_skip_zeros(d->rs);
		}
	}
	if (a->cfg->output[0]) {
		memset(&info, 0, sizeof(info));
		info.samplerate = AUDIO_RATE;
		info.channels = 1;
		info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
		d->out = d->sf->open(a->cfg->output, SFM_WRITE, &info);
		if (!d->out) {
			snprintf(why, whylen, "cannot write %s: %s", a->cfg->output, d->sf->strerror(NULL));
			goto fail;
		}
	}
	pacer_start(&d->pacer);
	*devp = d;
	return 0;
fail:
	file_close(d);
	return EIO;
}

/* Refill d->mono from the file, starting over at the end. Returns false if the file gives
 * nothing at all. */
static bool refill(struct file_dev *d)
{
	sf_count_t got = d->sf->readf_short(d->in, d->raw, IN_CHUNK);

	if (got <= 0) {
		if (d->sf->seek(d->in, 0, SEEK_SET) < 0)
			return false;
		got = d->sf->readf_short(d->in, d->raw, IN_CHUNK);
		if (got <= 0)
			return false;
	}
	for (sf_count_t i = 0; i < got; i++) {
		int32_t sum = 0;

		for (unsigned c = 0; c < d->in_channels; c++)
			sum += d->raw[i * d->in_channels + c];
		d->mono[i] = (int16_t)(sum / (int32_t)d->in_channels);
	}
	d->mono_len = (unsigned)got;
	d->mono_pos = 0;
	return true;
}

static int file_read(void *dev, int16_t *pcm)
{
	struct file_dev *d = dev;
	unsigned o = 0;

	pacer_wait(&d->pacer);
	while (d->in && o < AUDIO_FRAME) {
		spx_uint32_t in_len, out_len;

		if (d->mono_pos == d->mono_len && !refill(d))
			break;
		in_len = d->mono_len - d->mono_pos;
		out_len = AUDIO_FRAME - o;
		if (d->rs) {
			speex_resampler_process_int(d->rs, 0, d->mono + d->mono_pos, &in_len,
						    pcm + o, &out_len);
			if (in_len == 0 && out_len == 0)
				break;
		} else {
			if (in_len > out_len)
				in_len = out_len;
			memcpy(pcm + o, d->mono + d->mono_pos, in_len * sizeof(*pcm));
			out_len = in_len;
		}
		d->mono_pos += in_len;
		o += out_len;
	}
	memset(pcm + o, 0, (AUDIO_FRAME - o) * sizeof(*pcm));
	return 0;
}

static int file_write(void *dev, const int16_t *pcm)
{
	struct file_dev *d = dev;

	if (!d->out)
		return 0;
	if (d->sf->writef_short(d->out, pcm, AUDIO_FRAME) != AUDIO_FRAME) {
		/* Disk full or the like: stop writing rather than fail every 20 ms. */
		d->sf->close(d->out);
		d->out = NULL;
		return -1;
	}
	return 0;
}

const struct audio_backend audio_file = {
	.name = "file", .open = file_open, .read = file_read, .write = file_write,
	.close = file_close,
};
