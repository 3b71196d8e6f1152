/* demux.c: RFC 7983 first-byte classification, with RFC 5761's RTP/RTCP split.
 *
 * The ranges are disjoint by design of the protocols: STUN's first two bits are zero
 * (message type < 0x4000), ZRTP and DTLS content types sit at 16..19 and 20..63, TURN
 * channel numbers start at 0x4000, and RTP version 2 puts 10 in the top bits. Everything
 * else (80..127, 192..255, 4..15) is nobody's and is dropped, as RFC 7983 says. A packet
 * shorter than its protocol's fixed header is dropped here too, so that no receiver below
 * needs to repeat the check before reading the header. */
#include "media/webrtc/demux.h"

/* Fixed headers: STUN 20 bytes (RFC 8489), ZRTP 12 (RFC 6189 section 5), DTLS record 13
 * (RFC 6347 section 4.1), TURN ChannelData 4 (RFC 8656 section 12.4), RTP 12, RTCP 8
 * (a sender or receiver report's header and SSRC, the shortest RTCP packet a peer sends). */
enum { MIN_STUN = 20, MIN_ZRTP = 12, MIN_DTLS = 13, MIN_CHANNEL = 4, MIN_RTP = 12,
	MIN_RTCP = 8 };

enum webrtc_pkt webrtc_demux(const uint8_t *pkt, size_t len)
{
	uint8_t b;

	if (!pkt || len == 0)
		return WEBRTC_PKT_DROP;
	b = pkt[0];
	if (b <= 3)
		return len >= MIN_STUN ? WEBRTC_PKT_STUN : WEBRTC_PKT_DROP;
	if (b >= 16 && b <= 19)
		return len >= MIN_ZRTP ? WEBRTC_PKT_ZRTP : WEBRTC_PKT_DROP;
	if (b >= 20 && b <= 63)
		return len >= MIN_DTLS ? WEBRTC_PKT_DTLS : WEBRTC_PKT_DROP;
	if (b >= 64 && b <= 79)
		return len >= MIN_CHANNEL ? WEBRTC_PKT_TURN_CHANNEL : WEBRTC_PKT_DROP;
	if (b >= 128 && b <= 191) {
		uint8_t pt;

		if (len < 2)
			return WEBRTC_PKT_DROP;
		/* RTCP packet types 192..223 (FIR, NACK, SR, RR, SDES, BYE, APP, RTPFB, PSFB,
		 * XR, ...) read as a marker bit and payload types 64..95, which RFC 5761 keeps
		 * out of RTP for that reason. */
		pt = pkt[1] & 0x7f;
		if (pt >= 64 && pt <= 95)
			return len >= MIN_RTCP ? WEBRTC_PKT_RTCP : WEBRTC_PKT_DROP;
		return len >= MIN_RTP ? WEBRTC_PKT_RTP : WEBRTC_PKT_DROP;
	}
	return WEBRTC_PKT_DROP;
}

const char *webrtc_pkt_name(enum webrtc_pkt k)
{
	switch (k) {
	case WEBRTC_PKT_STUN: return "stun";
	case WEBRTC_PKT_ZRTP: return "zrtp";
	case WEBRTC_PKT_DTLS: return "dtls";
	case WEBRTC_PKT_TURN_CHANNEL: return "turn-channel";
	case WEBRTC_PKT_RTP: return "rtp";
	case WEBRTC_PKT_RTCP: return "rtcp";
	case WEBRTC_PKT_DROP: break;
	}
	return "drop";
}
