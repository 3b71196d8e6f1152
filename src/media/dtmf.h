/* dtmf.h: RFC 4733 telephone-events. The sender replaces one audio packet per 20 ms tick
 * with an event packet: one start timestamp for the whole event, marker on the first packet,
 * the duration growing, the end packet sent three times, then a short pause before the next
 * digit. The receiver reports each event once, however many packets carry it. */
#ifndef TTY_MEDIA_DTMF_H
#define TTY_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTMF_QUEUE 32
#define DTMF_TONE_MS 100       /* length of each digit */
#define DTMF_GAP_MS 60         /* audio between two digits */

struct dtmf_tx {
	char queue[DTMF_QUEUE];    /* digits waiting, a ring */
	unsigned head, count;
	int event;                 /* event code being sent, -1 = none */
	uint32_t start_ts;
	unsigned elapsed_ms;
	unsigned ends_sent;
	unsigned gap_ms;           /* pause left before the next digit */
};

struct dtmf_rx {
	bool have;
	uint32_t last_ts;          /* start timestamp of the last event reported */
};

/* Event code for a digit (0-9 * # A-D, case-insensitive), or -1. */
int dtmf_event_code(char digit);
char dtmf_event_char(int code);

void dtmf_tx_init(struct dtmf_tx *t);
/* Queue a digit. Returns 0, or -1 (not a DTMF digit, or queue full). */
int dtmf_tx_push(struct dtmf_tx *t, char digit);
/* Called once per 20 ms tick. If an event packet is due instead of audio, writes its 4-byte
 * payload, the RTP timestamp and marker to use, and returns 1; otherwise returns 0.
 * audio_ts is this tick's audio timestamp; te_rate the event clock. */
int dtmf_tx_tick(struct dtmf_tx *t, uint32_t audio_ts, unsigned te_rate, unsigned tick_ms,
		 uint8_t payload[4], uint32_t *ts, bool *marker);
bool dtmf_tx_busy(const struct dtmf_tx *t);

void dtmf_rx_init(struct dtmf_rx *r);
/* One telephone-event packet. Returns the digit if it starts an event not yet reported,
 * else 0. */
char dtmf_rx_packet(struct dtmf_rx *r, const uint8_t *payload, size_t len, uint32_t ts);

#endif
