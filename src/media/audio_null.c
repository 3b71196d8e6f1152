/* audio_null.c: no sound device: silence in, output discarded, paced by a timer. Also the
 * fallback when another backend cannot open. */
#include "audio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int null_open(void **devp, const struct audio_open_args *a, char *why, size_t whylen)
{
	struct pacer *p = malloc(sizeof(*p));

	(void)a; (void)why; (void)whylen;
	if (!p)
		return ENOMEM;
	pacer_start(p);
	*devp = p;
	return 0;
}

static int null_read(void *dev, int16_t *pcm)
{
	pacer_wait(dev);
	memset(pcm, 0, AUDIO_FRAME * sizeof(*pcm));
	return 0;
}

static int null_write(void *dev, const int16_t *pcm)
{
	(void)dev; (void)pcm;
	return 0;
}

static void null_close(void *dev)
{
	free(dev);
}

const struct audio_backend audio_null = {
	.name = "null", .open = null_open, .read = null_read, .write = null_write,
	.close = null_close,
};
