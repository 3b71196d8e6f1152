/* dtmf.c: RFC 4733 telephone-event send and receive. */
#include "dtmf.h"

#include <string.h>

static const char event_chars[] = "0123456789*#ABCD";

int dtmf_event_code(char digit)
{
	char c = digit >= 'a' && digit <= 'd' ? (char)(digit - 'a' + 'A') : digit;
	const char *p = c ? strchr(event_chars, c) : NULL;

	return p ? (int)(p - event_chars) : -1;
}

char dtmf_event_char(int code)
{
	return code >= 0 && code < 16 ? event_chars[code] : 0;
}

void dtmf_tx_init(struct dtmf_tx *t)
{
	memset(t, 0, sizeof(*t));
	t->event = -1;
}

int dtmf_tx_push(struct dtmf_tx *t, char digit)
{
	if (dtmf_event_code(digit) < 0 || t->count == DTMF_QUEUE)
		return -1;
	t->queue[(t->head + t->count) % DTMF_QUEUE] = digit;
	t->count++;
	return 0;
}

bool dtmf_tx_busy(const struct dtmf_tx *t)
{
	return t->event >= 0 || t->count > 0;
}

int dtmf_tx_tick(struct dtmf_tx *t, uint32_t audio_ts, unsigned te_rate, unsigned tick_ms,
		 uint8_t payload[4], uint32_t *ts, bool *marker)
{
	uint32_t dur;
	bool end;

	if (t->event < 0) {
		if (t->gap_ms > 0) {
			t->gap_ms = t->gap_ms > tick_ms ? t->gap_ms - tick_ms : 0;
			return 0;
		}
		if (t->count == 0)
			return 0;
		t->event = dtmf_event_code(t->queue[t->head]);
		t->head = (t->head + 1) % DTMF_QUEUE;
		t->count--;
		t->start_ts = audio_ts;
		t->elapsed_ms = 0;
		t->ends_sent = 0;
		*marker = true;
	} else {
		*marker = false;
	}
	if (t->elapsed_ms < DTMF_TONE_MS)
		t->elapsed_ms += tick_ms;
	end = t->elapsed_ms >= DTMF_TONE_MS;
	dur = (uint32_t)((uint64_t)t->elapsed_ms * te_rate / 1000);
	if (dur > 0xffff)
		dur = 0xffff;
	payload[0] = (uint8_t)t->event;
	payload[1] = (uint8_t)((end ? 0x80 : 0) | 10);  /* E bit, volume -10 dBm0 */
	payload[2] = (uint8_t)(dur >> 8);
	payload[3] = (uint8_t)dur;
	*ts = t->start_ts;
	if (end && ++t->ends_sent >= 3) {
		t->event = -1;
		t->gap_ms = DTMF_GAP_MS;
	}
	return 1;
}

void dtmf_rx_init(struct dtmf_rx *r)
{
	memset(r, 0, sizeof(*r));
}

char dtmf_rx_packet(struct dtmf_rx *r, const uint8_t *payload, size_t len, uint32_t ts)
{
	char c;

	if (len < 4)
		return 0;
	c = dtmf_event_char(payload[0]);
	if (!c)
		return 0;
	/* All packets of one event share its start timestamp; an older timestamp is a late
	 * packet of an event already reported. */
	if (r->have && (ts == r->last_ts || (int32_t)(ts - r->last_ts) < 0))
		return 0;
	r->have = true;
	r->last_ts = ts;
	return c;
}
