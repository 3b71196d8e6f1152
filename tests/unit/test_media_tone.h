/* test_media_tone.h: tone making and measuring for the media tests: a sine, its frequency
 * from interpolated zero crossings, its RMS level, the longest silent gap. */
#ifndef TTY_TEST_MEDIA_TONE_H
#define TTY_TEST_MEDIA_TONE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline void tone_make(int16_t *pcm, size_t n, unsigned rate, double hz, double amp,
			     size_t phase0)
{
	for (size_t i = 0; i < n; i++)
		pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * hz * (double)(i + phase0) / rate));
}

/* Frequency from rising zero crossings (linear interpolation between samples); 0 if fewer
 * than two crossings. */
static inline double tone_freq(const int16_t *pcm, size_t n, unsigned rate)
{
	double first = -1, last = -1;
	size_t count = 0;

	for (size_t i = 1; i < n; i++) {
		if (pcm[i - 1] < 0 && pcm[i] >= 0) {
			double t = (double)(i - 1) + (double)-pcm[i - 1] / (double)(pcm[i] - pcm[i - 1]);

			if (first < 0)
				first = t;
			last = t;
			count++;
		}
	}
	if (count < 2 || last <= first)
		return 0;
	return (double)(count - 1) * rate / (last - first);
}

static inline double tone_rms(const int16_t *pcm, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)pcm[i] * pcm[i];
	return n ? sqrt(s / (double)n) : 0;
}

static inline double tone_db(double a, double b)
{
	return 20 * log10((a + 1e-9) / (b + 1e-9));
}

/* Longest run, in ms, of 5 ms windows whose RMS is under floor. */
static inline double tone_longest_gap_ms(const int16_t *pcm, size_t n, unsigned rate,
					 double floor)
{
	size_t w = rate / 200, run = 0, worst = 0;

	for (size_t i = 0; i + w <= n; i += w) {
		if (tone_rms(pcm + i, w) < floor)
			run++;
		else
			run = 0;
		if (run > worst)
			worst = run;
	}
	return (double)worst * 5.0;
}

/* RMS level of the hz component of pcm, in the units of pcm (Hann-windowed Goertzel: a
 * tone a few hundred Hz away leaks in at under -90 dB). */
static inline double tone_component_rms(const int16_t *pcm, size_t n, unsigned rate, double hz)
{
	double c = 2 * cos(2 * M_PI * hz / rate), s1 = 0, s2 = 0, p;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = pcm[i] * (0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(n - 1))) +
			    c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	p = s1 * s1 + s2 * s2 - c * s1 * s2;
	/* The window sums to n/2: amplitude = 4 |X| / n; RMS = amplitude / sqrt(2). */
	return 4 * sqrt(p > 0 ? p : 0) / (double)n / sqrt(2.0);
}

/* Clicks in a steady tone: the sharpest corner (largest second difference) of any 10 ms
 * window, over the median of the windows' sharpest. A steady tone gives about 1 (coding
 * noise a little more); a jump in phase or level is a corner several times sharper. */
static inline double tone_click_ratio(const int16_t *pcm, size_t n, unsigned rate)
{
	enum { MAXW = 1024 };
	double peak[MAXW], sorted[MAXW], worst = 0;
	size_t w = rate / 100, nw = 0;

	for (size_t i = 1; i + w + 1 <= n && nw < MAXW; i += w, nw++) {
		double m = 0;

		for (size_t k = i; k < i + w; k++) {
			double d = fabs((double)pcm[k + 1] - 2.0 * pcm[k] + (double)pcm[k - 1]);

			if (d > m)
				m = d;
		}
		peak[nw] = m;
		if (m > worst)
			worst = m;
	}
	if (nw == 0)
		return 0;
	for (size_t i = 0; i < nw; i++) {         /* insertion sort: a few hundred windows */
		size_t j = i;

		for (; j > 0 && sorted[j - 1] > peak[i]; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = peak[i];
	}
	return sorted[nw / 2] > 0 ? worst / sorted[nw / 2] : 0;
}

/* First sample index from which the 5 ms RMS stays over floor for 50 ms; n if never. */
static inline size_t tone_onset(const int16_t *pcm, size_t n, unsigned rate, double floor)
{
	size_t w = rate / 200;

	for (size_t i = 0; i + 10 * w <= n; i += w) {
		size_t k;

		for (k = 0; k < 10; k++)
			if (tone_rms(pcm + i + k * w, w) < floor)
				break;
		if (k == 10)
			return i;
	}
	return n;
}

#endif
