/* demux.h: which protocol a datagram on a WebRTC socket belongs to. One socket carries
 * STUN (ICE checks and consent), DTLS (the key exchange), RTP and RTCP (rtcp-mux), and,
 * through a TURN server, channel data; RFC 7983 tells them apart by the first byte. */
#ifndef TTY_WEBRTC_DEMUX_H
#define TTY_WEBRTC_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum webrtc_pkt {
	WEBRTC_PKT_DROP,           /* no protocol of ours, or too short for its own header */
	WEBRTC_PKT_STUN,           /* first byte 0..3 */
	WEBRTC_PKT_ZRTP,           /* 16..19: never negotiated by us, dropped by callers */
	WEBRTC_PKT_DTLS,           /* 20..63 */
	WEBRTC_PKT_TURN_CHANNEL,   /* 64..79 */
	WEBRTC_PKT_RTP,            /* 128..191, payload type (marker masked) not 64..95 */
	WEBRTC_PKT_RTCP,           /* 128..191, payload type 64..95 (RFC 5761 section 4) */
};

/* The class of pkt[len]: reads at most its first two bytes and checks that the packet
 * holds at least its protocol's fixed header. No allocation, any thread. */
enum webrtc_pkt webrtc_demux(const uint8_t *pkt, size_t len);
/* "stun", "dtls", "rtp", ... for logs. */
const char *webrtc_pkt_name(enum webrtc_pkt k);

#endif
