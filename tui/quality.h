/* quality.h: call quality figures for the call panel. No curses here. */
#ifndef TTY_TUI_QUALITY_H
#define TTY_TUI_QUALITY_H

/* Estimated MOS (1.0 .. 4.5) from packet loss (%), jitter and round-trip time (ms), by the
 * usual simplification of the ITU-T G.107 E-model: an effective latency of one-way delay
 * + 2 x jitter + 10 ms of codec delay lowers R from 93.2; each percent of loss costs 2.5.
 * rtt_ms 0 means unknown (no RTCP yet) and counts as no delay. */
double quality_mos(double loss_pct, double jitter_ms, double rtt_ms);
/* A peak level 0..1 as one of steps meter glyphs: 0 is silence, steps - 1 is full scale,
 * spread over -60..0 dBFS, which is how loud things sound. */
int quality_level_step(double level, int steps);

#endif
