/* splice.c: see splice.h. The join is where the continuation and the new audio are most
 * alike over the fade: shape and level (a correlation over the larger of the two energies,
 * so a quiet stretch does not match a loud one); ties go to the smallest shift. Silence
 * before the join leaves the new audio alone; silence after it joins without a shift. */
#include "splice.h"
#include "codec.h"

#include <math.h>
#include <string.h>

/* How alike old[0..len) and x[0..len) are: 1 when equal, 0 when unrelated or silent. */
static double alike(const int16_t *old, const int16_t *x, size_t len)
{
	double xy = 0, xx = 0, yy = 0;

	for (size_t i = 0; i < len; i++) {
		double a = old[i], b = x[i];

		xy += a * b;
		xx += a * a;
		yy += b * b;
	}
	return xx > 0 && yy > 0 ? xy / (xx > yy ? xx : yy) : 0;
}

void splice_continue(const int16_t *hist, size_t nhist, int16_t *out, size_t n)
{
	size_t period;

	if (nhist < 16) {
		memset(out, 0, n * sizeof(*out));
		return;
	}
	period = pcm_best_period(hist, nhist);
	for (size_t i = 0; i < n; i++)
		out[i] = hist[nhist - period + i % period];
}

static int16_t clamp16(float v)
{
	return (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : lrintf(v));
}

int splice_join(const int16_t *old, size_t nold, int16_t *buf, size_t *n, size_t room)
{
	size_t len = *n, fade = SPLICE_FADE, j = SPLICE_SETTLE, t;
	double best = -2;
	int shift = 0;

	if (room < len)
		room = len;
	if (fade > nold)
		fade = nold;
	if (fade > len)
		fade = len;
	if (fade == 0)
		return 0;
	{	/* After silence there is nothing to join to: the new audio plays whole. */
		double e = 0;

		for (size_t i = 0; i < nold; i++)
			e += (double)old[i] * old[i];
		if (e < (double)nold)
			return 0;
	}
	if (j + fade > len)            /* a short packet: join earlier */
		j = len - fade;
	if (j + fade > nold)           /* a short continuation: likewise */
		j = nold - fade;
	/* t: where in the continuation the new audio's sample j goes. */
	for (int k = 0; k <= SPLICE_SHIFT; k++) {
		for (int sign = 1; sign >= -1; sign -= 2) {
			long s = (long)k * sign;
			long tt = (long)j + s;
			double m;

			if (tt < 0 || (size_t)tt + fade > nold || len - j + (size_t)tt > room)
				continue;
			m = alike(old + tt, buf + j, fade);
			if (m > best + 1e-6) {
				best = m;
				shift = (int)s;
			}
			if (k == 0)
				break;
		}
	}
	if (best <= 0)                 /* nothing alike (or silence): no shift */
		shift = 0;
	t = (size_t)((long)j + shift);
	memmove(buf + t, buf + j, (len - j) * sizeof(*buf));
	memcpy(buf, old, t * sizeof(*buf));
	for (size_t i = 0; i < fade; i++) {
		float w = (float)(i + 1) / (float)(fade + 1);

		buf[t + i] = clamp16((float)old[t + i] * (1.0f - w) + (float)buf[t + i] * w);
	}
	*n = len - j + t;
	return shift;
}
