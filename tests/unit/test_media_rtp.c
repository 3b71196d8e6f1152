/* test_media_rtp.c: RTP header parsing (good, malformed, short), sequence tracking across
 * the wrap, loss counting, new sources, interarrival jitter, RTCP SR/RR round trip, and
 * RFC 4733 telephone-event send/receive. */
#include "unit.h"
#include "media/rtp.h"
#include "media/rtcp.h"
#include "media/dtmf.h"

#include <stdint.h>

static struct rtp_hdr hdr(uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	struct rtp_hdr h = { .pt = 0, .seq = seq, .ts = ts, .ssrc = ssrc };
	return h;
}

static void test_rtp_build_then_parse_round_trips(void)
{
	uint8_t buf[64], payload[3] = { 1, 2, 3 };
	struct rtp_hdr h = { .marker = true, .pt = 111, .seq = 0xbeef, .ts = 0x01020304,
			     .ssrc = 0xcafebabe }, g;
	size_t n = rtp_build(buf, sizeof(buf), &h, payload, sizeof(payload));

	CHECK_INT(n, 15);
	CHECK_INT(rtp_parse(buf, n, &g), 0);
	CHECK(g.marker);
	CHECK_INT(g.pt, 111);
	CHECK_INT(g.seq, 0xbeef);
	CHECK_INT(g.ts, 0x01020304);
	CHECK_INT(g.ssrc, 0xcafebabe);
	CHECK_INT(g.payload_len, 3);
	CHECK(g.payload == buf + 12 && g.payload[2] == 3);
	CHECK_INT(rtp_build(buf, 14, &h, payload, sizeof(payload)), 0);
}

static void test_rtp_parse_skips_csrc_extension_and_padding(void)
{
	/* V=2 P=1 X=1 CC=2, then 2 CSRCs, a 1-word extension, 2 bytes payload, 3 padding. */
	uint8_t p[] = { 0xb2, 0x08, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7,
			0, 0, 0, 1, 0, 0, 0, 2,
			0xbe, 0xde, 0, 1, 9, 9, 9, 9,
			0xaa, 0xbb, 0, 0, 3 };
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(p, sizeof(p), &h), 0);
	CHECK_INT(h.cc, 2);
	CHECK(h.ext);
	CHECK_INT(h.payload_len, 2);
	CHECK(h.payload == p + 28);
	CHECK_INT(h.payload[0], 0xaa);
}

static void test_rtp_parse_rejects_malformed_and_short(void)
{
	uint8_t ok[12] = { 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t p[40];
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(ok, 12, &h), 0);
	CHECK_INT(h.payload_len, 0);
	for (size_t n = 0; n < 12; n++)
		CHECK_INT(rtp_parse(ok, n, &h), -1);
	CHECK_INT(rtp_parse(NULL, 12, &h), -1);
	memcpy(p, ok, 12);
	p[0] = 0x40;                         /* version 1 */
	CHECK_INT(rtp_parse(p, 12, &h), -1);
	p[0] = 0x8f;                         /* 15 CSRCs, none there */
	CHECK_INT(rtp_parse(p, 20, &h), -1);
	p[0] = 0x90;                         /* extension header missing */
	CHECK_INT(rtp_parse(p, 14, &h), -1);
	p[0] = 0x90; p[12] = 0; p[13] = 0; p[14] = 0xff; p[15] = 0xff;  /* extension too long */
	CHECK_INT(rtp_parse(p, 20, &h), -1);
	p[0] = 0xa0; p[15] = 0;              /* padding count 0 */
	CHECK_INT(rtp_parse(p, 16, &h), -1);
	p[15] = 5;                           /* padding longer than the payload */
	CHECK_INT(rtp_parse(p, 16, &h), -1);
	p[15] = 4;                           /* padding exactly the payload */
	CHECK_INT(rtp_parse(p, 16, &h), 0);
	CHECK_INT(h.payload_len, 0);
}

static void test_rtp_rx_counts_across_seq_wrap(void)
{
	struct rtp_rx s;
	struct rtp_hdr h;

	rtp_rx_reset(&s);
	for (unsigned i = 0; i < 100; i++) {
		h = hdr((uint16_t)(65500 + i), 160 * i, 42);
		CHECK_INT(rtp_rx_update(&s, &h, 160 * i), RTP_RX_OK);
	}
	CHECK_INT(rtp_rx_expected(&s), 100);
	CHECK_INT(rtp_rx_lost(&s), 0);
	CHECK_INT(rtp_rx_ext_max(&s), 65536 + 63);
}

static void test_rtp_rx_counts_loss_and_fraction(void)
{
	struct rtp_rx s;
	struct rtp_hdr h;

	rtp_rx_reset(&s);
	for (unsigned i = 0; i < 100; i++) {
		if (i % 10 == 3)
			continue;                /* lose one in ten */
		h = hdr((uint16_t)(1000 + i), 160 * i, 7);
		rtp_rx_update(&s, &h, 160 * i);
	}
	CHECK_INT(rtp_rx_lost(&s), 10);
	CHECK_INT(rtp_rx_fraction_lost(&s), 25);   /* 10/99*256 */
	CHECK_INT(rtp_rx_fraction_lost(&s), 0);    /* nothing new since */
}

static void test_rtp_rx_reports_new_ssrc_and_restart(void)
{
	struct rtp_rx s;
	struct rtp_hdr h;

	rtp_rx_reset(&s);
	h = hdr(10, 0, 1);
	CHECK_INT(rtp_rx_update(&s, &h, 0), RTP_RX_OK);
	h = hdr(11, 160, 1);
	CHECK_INT(rtp_rx_update(&s, &h, 160), RTP_RX_OK);
	h = hdr(5000, 320, 2);
	CHECK_INT(rtp_rx_update(&s, &h, 320), RTP_RX_NEW_SSRC);
	CHECK_INT(rtp_rx_expected(&s), 1);
	/* A far jump on the same source is held back once, then believed. */
	h = hdr(30000, 480, 2);
	CHECK_INT(rtp_rx_update(&s, &h, 480), RTP_RX_BAD);
	h = hdr(30001, 640, 2);
	CHECK_INT(rtp_rx_update(&s, &h, 640), RTP_RX_RESTART);
	CHECK_INT(rtp_rx_lost(&s), 0);
}

static void test_rtp_rx_jitter_zero_when_regular_and_grows_when_not(void)
{
	struct rtp_rx s;
	struct rtp_hdr h;

	rtp_rx_reset(&s);
	for (unsigned i = 0; i < 50; i++) {
		h = hdr((uint16_t)i, 160 * i, 9);
		rtp_rx_update(&s, &h, 5000 + 160 * i);
	}
	CHECK(s.jitter < 0.001);
	/* Alternate 0 and +80 units (10 ms at 8 kHz) of extra delay: |D| = 80 each packet, so
	 * J converges to 80. */
	for (unsigned i = 50; i < 400; i++) {
		h = hdr((uint16_t)i, 160 * i, 9);
		rtp_rx_update(&s, &h, 5000 + 160 * i + (i % 2) * 80);
	}
	CHECK(s.jitter > 75 && s.jitter < 81);
}

static void test_rtcp_sr_with_block_round_trips(void)
{
	uint8_t buf[256];
	struct rtcp_sr sr = { .ntp = 0x1122334455667788ull, .rtp_ts = 99, .pkts = 5, .octets = 800 };
	struct rtcp_rb rb = { .ssrc = 0xabc, .fraction = 64, .cum_lost = -3, .ext_max_seq = 70000,
			      .jitter = 12, .lsr = 0x33445566, .dlsr = 65536 };
	struct rtcp_info info;
	size_t n = rtcp_build(buf, sizeof(buf), 0x1234, &sr, &rb, "ttyphone-test");

	CHECK(n > 0 && n % 4 == 0);
	CHECK_INT(rtcp_parse(buf, n, 0xabc, &info), 0);
	CHECK(info.has_sr);
	CHECK_INT(info.sr_ssrc, 0x1234);
	CHECK_INT(info.sr_ntp_mid, 0x33445566);
	CHECK(info.has_rb);
	CHECK_INT(info.rb.fraction, 64);
	CHECK_INT(info.rb.cum_lost, -3);
	CHECK_INT(info.rb.ext_max_seq, 70000);
	CHECK_INT(info.rb.jitter, 12);
	CHECK_INT(info.rb.lsr, 0x33445566);
	CHECK_INT(info.rb.dlsr, 65536);
	/* A block about somebody else is not about us. */
	CHECK_INT(rtcp_parse(buf, n, 0xdef, &info), 0);
	CHECK(!info.has_rb);
	/* Truncations are rejected, never read past; cut right after the SR (8 + 20 + 24
	 * bytes) it is a whole compound without the SDES. */
	for (size_t k = 1; k < n; k++)
		CHECK_INT(rtcp_parse(buf, n - k, 0xabc, &info), n - k == 52 ? 0 : -1);
	CHECK_INT(rtcp_build(buf, 40, 0x1234, &sr, &rb, "x"), 0);
}

static void test_rtcp_rtt_from_lsr_and_dlsr(void)
{
	/* We sent an SR at NTP mid 0x10000 (1.0 s); the peer held it 0.5 s; now is 1.75 s. */
	uint64_t now = (uint64_t)0x1c000 << 16;

	CHECK(rtcp_rtt_ms(now, 0x10000, 0x8000) > 249.9 && rtcp_rtt_ms(now, 0x10000, 0x8000) < 250.1);
	CHECK(rtcp_rtt_ms(now, 0, 0) < 0);
}

static void test_dtmf_send_holds_timestamp_marks_first_and_ends_thrice(void)
{
	struct dtmf_tx t;
	uint8_t pl[4];
	uint32_t ts, audio_ts = 1000;
	bool marker;
	unsigned packets = 0, ends = 0, markers = 0, last_dur = 0;

	dtmf_tx_init(&t);
	CHECK_INT(dtmf_tx_push(&t, 'x'), -1);
	CHECK_INT(dtmf_tx_push(&t, '5'), 0);
	for (int tick = 0; tick < 20; tick++, audio_ts += 160) {
		if (!dtmf_tx_tick(&t, audio_ts, 8000, 20, pl, &ts, &marker))
			continue;
		unsigned dur = (unsigned)(pl[2] << 8 | pl[3]);

		packets++;
		CHECK_INT(ts, 1000);
		CHECK_INT(pl[0], 5);
		CHECK(dur >= last_dur);
		last_dur = dur;
		markers += marker;
		ends += (pl[1] & 0x80) != 0;
	}
	CHECK_INT(markers, 1);
	CHECK_INT(ends, 3);
	CHECK_INT(packets, 5 + 2);           /* 100 ms in 20 ms steps, the last one thrice */
	CHECK_INT(last_dur, 800);
	CHECK(!dtmf_tx_busy(&t));
}

static void test_dtmf_receive_reports_each_event_once(void)
{
	struct dtmf_rx r;
	uint8_t start[4] = { 11, 10, 0, 160 }, end[4] = { 11, 0x80 | 10, 3, 32 };
	uint8_t nine[4] = { 9, 10, 0, 160 };

	dtmf_rx_init(&r);
	CHECK_INT(dtmf_rx_packet(&r, start, 4, 5000), '#');
	CHECK_INT(dtmf_rx_packet(&r, start, 4, 5000), 0);
	CHECK_INT(dtmf_rx_packet(&r, end, 4, 5000), 0);
	CHECK_INT(dtmf_rx_packet(&r, end, 4, 5000), 0);
	CHECK_INT(dtmf_rx_packet(&r, nine, 4, 6000), '9');
	CHECK_INT(dtmf_rx_packet(&r, start, 4, 5000), 0);   /* a late straggler */
	CHECK_INT(dtmf_rx_packet(&r, nine, 3, 7000), 0);    /* short */
	CHECK_INT(dtmf_rx_packet(&r, start, 4, 7000), '#'); /* same digit, new event */
}

int main(void)
{
	RUN(test_rtp_build_then_parse_round_trips);
	RUN(test_rtp_parse_skips_csrc_extension_and_padding);
	RUN(test_rtp_parse_rejects_malformed_and_short);
	RUN(test_rtp_rx_counts_across_seq_wrap);
	RUN(test_rtp_rx_counts_loss_and_fraction);
	RUN(test_rtp_rx_reports_new_ssrc_and_restart);
	RUN(test_rtp_rx_jitter_zero_when_regular_and_grows_when_not);
	RUN(test_rtcp_sr_with_block_round_trips);
	RUN(test_rtcp_rtt_from_lsr_and_dlsr);
	RUN(test_dtmf_send_holds_timestamp_marks_first_and_ends_thrice);
	RUN(test_dtmf_receive_reports_each_event_once);
	return unit_done();
}
