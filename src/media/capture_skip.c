/* capture_skip.c: see capture_skip.h. */
#include "capture_skip.h"

#include <string.h>

void capture_skip_reset(struct capture_skip *s)
{
	s->n = 0;
	memset(s->last, 0, sizeof(s->last));
}

int capture_skip_read(struct capture_skip *s, capture_read_fn rd, void *ctx)
{
	if (s->n > SPLICE_SHIFT)       /* cannot happen: take() leaves at most that */
		s->n = 0;
	if (rd(ctx, s->buf + s->n, AUDIO_FRAME) < 0)
		return -1;
	s->n += AUDIO_FRAME;
	return 0;
}

const int16_t *capture_skip_next(const struct capture_skip *s)
{
	return s->buf;
}

int capture_skip_take(struct capture_skip *s, bool skip, capture_read_fn rd, void *ctx,
		      int16_t *out)
{
	if (s->n < AUDIO_FRAME)        /* take() without read(): nothing to give */
		return -1;
	if (skip) {
		int16_t old[SPLICE_OLD];
		size_t len;

		if (rd(ctx, s->buf + s->n, AUDIO_FRAME) < 0)
			return -1;
		s->n += AUDIO_FRAME;
		/* The next frame's worth goes; what follows is joined onto how the audio
		 * handed out last would have gone on. At most SPLICE_SHIFT more than a frame
		 * may come out of the join, which bounds the carry. */
		s->n -= AUDIO_FRAME;
		memmove(s->buf, s->buf + AUDIO_FRAME, s->n * sizeof(s->buf[0]));
		len = s->n;
		splice_continue(s->last, AUDIO_FRAME, old, SPLICE_OLD);
		splice_join(old, SPLICE_OLD, s->buf, &len, AUDIO_FRAME + SPLICE_SHIFT);
		s->n = len;
		if (s->n < AUDIO_FRAME) {
			if (rd(ctx, s->buf + s->n, AUDIO_FRAME - s->n) < 0)
				return -1;
			s->n = AUDIO_FRAME;
		}
	}
	memcpy(out, s->buf, AUDIO_FRAME * sizeof(*out));
	memcpy(s->last, out, sizeof(s->last));
	s->n -= AUDIO_FRAME;
	memmove(s->buf, s->buf + AUDIO_FRAME, s->n * sizeof(s->buf[0]));
	return 0;
}
