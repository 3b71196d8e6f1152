/* fuzz_rtcp.c: whatever arrives on a call's RTCP port (or muxed on the RTP port).
 *
 * The input is one compound packet; rtcp_parse must accept or refuse it without reading
 * outside it, for our SSRC and for the SSRC the first report block names (so report
 * blocks "about us" are reached). A report block it accepts, written back by rtcp_build,
 * must parse to the same values: the fields we send are the fields we read. */
#include "fuzz.h"
#include "media/rtcp.h"

#define OUR_SSRC 0x11223344u

static void roundtrip(const struct rtcp_info *in, uint32_t ssrc)
{
	uint8_t buf[600];
	struct rtcp_info back;
	struct rtcp_sr sr = { .ntp = (uint64_t)in->sr_ntp_mid << 16, .rtp_ts = 1, .pkts = 2 };
	size_t n = rtcp_build(buf, sizeof(buf), in->sr_ssrc, in->has_sr ? &sr : NULL,
			      in->has_rb ? &in->rb : NULL, "fuzz@192.0.2.1");

	FUZZ_ASSERT(n > 0 && n <= sizeof(buf));
	FUZZ_ASSERT(rtcp_parse(buf, n, ssrc, &back) == 0);
	FUZZ_ASSERT(back.has_sr == in->has_sr && back.has_rb == in->has_rb);
	if (in->has_sr)
		FUZZ_ASSERT(back.sr_ntp_mid == in->sr_ntp_mid && back.sr_ssrc == in->sr_ssrc);
	if (in->has_rb) {
		FUZZ_ASSERT(back.rb.fraction == in->rb.fraction);
		FUZZ_ASSERT(back.rb.cum_lost == in->rb.cum_lost);
		FUZZ_ASSERT(back.rb.ext_max_seq == in->rb.ext_max_seq);
		FUZZ_ASSERT(back.rb.jitter == in->rb.jitter);
		FUZZ_ASSERT(back.rb.lsr == in->rb.lsr && back.rb.dlsr == in->rb.dlsr);
	}
}

static void parse_as(const uint8_t *data, size_t size, uint32_t ssrc)
{
	struct rtcp_info info;

	if (rtcp_parse(data, size, ssrc, &info) < 0)
		return;
	if (info.has_rb) {
		FUZZ_ASSERT(info.rb.ssrc == ssrc);
		FUZZ_ASSERT(info.rb.cum_lost >= -0x800000 && info.rb.cum_lost <= 0x7fffff);
		(void)rtcp_rtt_ms(rtcp_ntp_now(), info.rb.lsr, info.rb.dlsr);
	}
	roundtrip(&info, ssrc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_as(data, size, OUR_SSRC);
	/* The SSRC of the first report block, wherever a SR or RR would put it. */
	if (size >= 12) {
		uint32_t at = size >= 32 && data[1] == 200 ? 28 : 8;

		if (size >= at + 4)
			parse_as(data, size, (uint32_t)data[at] << 24 | (uint32_t)data[at + 1] << 16 |
				 (uint32_t)data[at + 2] << 8 | data[at + 3]);
	}
	return 0;
}
