/* audio_echo.c: the built-in echo service as an audio device. What the session plays (the
 * caller's voice) goes into a delay line; what it captures comes out of that line delay_ms
 * later, and is sent back. Paced by a timer. */
#include "audio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_MAX_MS 10000

struct echo_dev {
	struct pacer pacer;
	size_t size;               /* the delay, in samples (at least one frame) */
	size_t pos;                /* read and write position: read runs one lap behind */
	int16_t ring[];
};

static int echo_open(void **devp, const struct audio_open_args *a, char *why, size_t whylen)
{
	unsigned ms = a->echo_delay_ms > ECHO_MAX_MS ? ECHO_MAX_MS : a->echo_delay_ms;
	size_t size = (size_t)ms * (AUDIO_RATE / 1000);
	struct echo_dev *d;

	(void)why; (void)whylen;
	if (size < AUDIO_FRAME)
		size = AUDIO_FRAME;
	d = calloc(1, sizeof(*d) + size * sizeof(d->ring[0]));
	if (!d)
		return ENOMEM;
	d->size = size;
	pacer_start(&d->pacer);
	*devp = d;
	return 0;
}

/* Each tick reads before it writes, so a read sees what was written one lap (size samples)
 * earlier. */
static int echo_read(void *dev, int16_t *pcm)
{
	struct echo_dev *d = dev;

	pacer_wait(&d->pacer);
	for (size_t i = 0; i < AUDIO_FRAME; i++)
		pcm[i] = d->ring[(d->pos + i) % d->size];
	return 0;
}

static int echo_write(void *dev, const int16_t *pcm)
{
	struct echo_dev *d = dev;

	for (size_t i = 0; i < AUDIO_FRAME; i++)
		d->ring[(d->pos + i) % d->size] = pcm[i];
	d->pos = (d->pos + AUDIO_FRAME) % d->size;
	return 0;
}

static void echo_close(void *dev)
{
	free(dev);
}

const struct audio_backend audio_echo = {
	.name = "echo", .open = echo_open, .read = echo_read, .write = echo_write,
	.close = echo_close,
};
