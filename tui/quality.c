/* quality.c: MOS estimate and meter scaling (see quality.h). */
#include "quality.h"

#include <math.h>

double quality_mos(double loss_pct, double jitter_ms, double rtt_ms)
{
	double eff, r, mos;

	if (loss_pct < 0)
		loss_pct = 0;
	if (jitter_ms < 0)
		jitter_ms = 0;
	if (rtt_ms < 0)
		rtt_ms = 0;
	eff = rtt_ms / 2 + jitter_ms * 2 + 10;
	/* Delay hurts little up to ~160 ms one way, then a lot. */
	r = eff < 160 ? 93.2 - eff / 40 : 93.2 - (eff - 120) / 10;
	r -= loss_pct * 2.5;
	if (r < 0)
		r = 0;
	if (r > 100)
		r = 100;
	mos = 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r);
	if (mos < 1)
		mos = 1;
	if (mos > 4.5)
		mos = 4.5;
	return mos;
}

int quality_level_step(double level, int steps)
{
	double db;
	int s;

	if (steps < 2 || !(level > 0))
		return 0;
	if (level > 1)
		level = 1;
	db = 20 * log10(level);
	if (db < -60)
		return 0;
	s = 1 + (int)((db + 60) / 60 * (steps - 1));
	return s > steps - 1 ? steps - 1 : s;
}
