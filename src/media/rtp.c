/* rtp.c: RTP header parse/build and receive statistics (RFC 3550). */
#include "rtp.h"

#include <string.h>

#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define SEQ_MOD (1u << 16)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	size_t off, end = len;

	if (!buf || len < RTP_HDR_LEN || (buf[0] >> 6) != 2)
		return -1;
	h->cc = buf[0] & 0x0f;
	h->ext = buf[0] & 0x10;
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	h->seq = rd16(buf + 2);
	h->ts = rd32(buf + 4);
	h->ssrc = rd32(buf + 8);
	off = RTP_HDR_LEN + 4u * h->cc;
	if (off > len)
		return -1;
	if (h->ext) {
		/* 16-bit profile id, 16-bit length in 32-bit words, then the words. */
		if (off + 4 > len)
			return -1;
		off += 4 + 4u * rd16(buf + off + 2);
		if (off > len)
			return -1;
	}
	if (buf[0] & 0x20) {
		/* The last byte counts the padding, itself included. */
		uint8_t pad = buf[len - 1];

		if (pad == 0 || pad > len - off)
			return -1;
		end = len - pad;
	}
	h->payload = buf + off;
	h->payload_len = end - off;
	return 0;
}

size_t rtp_build(uint8_t *buf, size_t size, const struct rtp_hdr *h,
		 const uint8_t *payload, size_t len)
{
	if (size < RTP_HDR_LEN || len > size - RTP_HDR_LEN)
		return 0;
	buf[0] = 0x80;
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | (h->pt & 0x7f));
	buf[2] = (uint8_t)(h->seq >> 8);
	buf[3] = (uint8_t)h->seq;
	for (int i = 0; i < 4; i++) {
		buf[4 + i] = (uint8_t)(h->ts >> (24 - 8 * i));
		buf[8 + i] = (uint8_t)(h->ssrc >> (24 - 8 * i));
	}
	if (len)
		memcpy(buf + RTP_HDR_LEN, payload, len);
	return RTP_HDR_LEN + len;
}

bool rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

void rtp_rx_reset(struct rtp_rx *s)
{
	memset(s, 0, sizeof(*s));
}

static void start_seq(struct rtp_rx *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1;  /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->expected_prior = 0;
	s->received_prior = 0;
	s->have_transit = false;
}

static void update_jitter(struct rtp_rx *s, uint32_t ts, uint32_t arrival)
{
	uint32_t transit = arrival - ts;

	if (s->have_transit) {
		int32_t d = (int32_t)(transit - s->transit);
		double ad = d < 0 ? -(double)d : (double)d;

		s->jitter += (ad - s->jitter) / 16.0;
	}
	s->transit = transit;
	s->have_transit = true;
}

enum rtp_rx_result rtp_rx_update(struct rtp_rx *s, const struct rtp_hdr *h, uint32_t arrival)
{
	enum rtp_rx_result res = RTP_RX_OK;
	uint16_t udelta;

	if (!s->init || s->ssrc != h->ssrc) {
		bool had = s->init;

		rtp_rx_reset(s);
		s->init = true;
		s->ssrc = h->ssrc;
		start_seq(s, h->seq);
		s->received = 1;
		update_jitter(s, h->ts, arrival);
		return had ? RTP_RX_NEW_SSRC : RTP_RX_OK;
	}
	udelta = (uint16_t)(h->seq - s->max_seq);
	if (udelta < MAX_DROPOUT) {
		/* In order, with a permissible gap. */
		if (h->seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = h->seq;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: believe it only if the next packet follows it. */
		if (h->seq == s->bad_seq) {
			start_seq(s, h->seq);
			res = RTP_RX_RESTART;
		} else {
			s->bad_seq = (uint32_t)((h->seq + 1) & (SEQ_MOD - 1));
			return RTP_RX_BAD;
		}
	}
	/* else: a duplicate or reordered packet; counted as received below. */
	s->received++;
	update_jitter(s, h->ts, arrival);
	return res;
}

uint32_t rtp_rx_ext_max(const struct rtp_rx *s)
{
	return s->cycles + s->max_seq;
}

uint32_t rtp_rx_expected(const struct rtp_rx *s)
{
	if (!s->init)
		return 0;
	return rtp_rx_ext_max(s) - s->base_seq + 1;
}

int64_t rtp_rx_lost(const struct rtp_rx *s)
{
	if (!s->init)
		return 0;
	return (int64_t)rtp_rx_expected(s) - (int64_t)s->received;
}

uint8_t rtp_rx_fraction_lost(struct rtp_rx *s)
{
	uint32_t expected = rtp_rx_expected(s);
	uint32_t exp_int = expected - s->expected_prior;
	uint32_t rec_int = s->received - s->received_prior;
	int64_t lost_int = (int64_t)exp_int - (int64_t)rec_int;

	s->expected_prior = expected;
	s->received_prior = s->received;
	if (exp_int == 0 || lost_int <= 0)
		return 0;
	return (uint8_t)((lost_int << 8) / exp_int > 255 ? 255 : (lost_int << 8) / exp_int);
}
