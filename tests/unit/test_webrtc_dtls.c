/* test_webrtc_dtls.c: the building blocks of WebRTC media, one test per behaviour. So far
 * the RFC 7983 demultiplexer's table. */
#include "unit.h"
#include "media/webrtc/demux.h"

#include <stddef.h>
#include <stdint.h>

/* ---- RFC 7983 ---- */

static void test_demux_table(void)
{
	static const struct {
		uint8_t b0, b1;
		size_t len;
		enum webrtc_pkt want;
	} t[] = {
		{ 0, 1, 20, WEBRTC_PKT_STUN },          /* Binding request */
		{ 1, 1, 100, WEBRTC_PKT_STUN },         /* Binding success */
		{ 3, 0, 20, WEBRTC_PKT_STUN },
		{ 0, 1, 19, WEBRTC_PKT_DROP },          /* shorter than a STUN header */
		{ 4, 0, 100, WEBRTC_PKT_DROP },
		{ 15, 0, 100, WEBRTC_PKT_DROP },
		{ 16, 0, 12, WEBRTC_PKT_ZRTP },
		{ 19, 0, 100, WEBRTC_PKT_ZRTP },
		{ 16, 0, 11, WEBRTC_PKT_DROP },
		{ 20, 0xfe, 13, WEBRTC_PKT_DTLS },      /* ChangeCipherSpec */
		{ 22, 0xfe, 200, WEBRTC_PKT_DTLS },     /* Handshake */
		{ 23, 0xfe, 100, WEBRTC_PKT_DTLS },     /* application data */
		{ 63, 0, 13, WEBRTC_PKT_DTLS },
		{ 22, 0xfe, 12, WEBRTC_PKT_DROP },
		{ 64, 0, 4, WEBRTC_PKT_TURN_CHANNEL },
		{ 79, 0xff, 100, WEBRTC_PKT_TURN_CHANNEL },
		{ 64, 0, 3, WEBRTC_PKT_DROP },
		{ 80, 0, 100, WEBRTC_PKT_DROP },
		{ 127, 0, 100, WEBRTC_PKT_DROP },
		{ 0x80, 111, 12, WEBRTC_PKT_RTP },      /* Opus */
		{ 0x80, 0x80 | 111, 100, WEBRTC_PKT_RTP },  /* with the marker */
		{ 0x90, 0, 100, WEBRTC_PKT_RTP },       /* PCMU with an extension */
		{ 0x80, 63, 12, WEBRTC_PKT_RTP },
		{ 0x80, 96, 12, WEBRTC_PKT_RTP },       /* first dynamic type past RTCP's */
		{ 0x80, 0x80 | 96, 12, WEBRTC_PKT_RTP },
		{ 0x80, 111, 11, WEBRTC_PKT_DROP },
		{ 0x80, 200, 8, WEBRTC_PKT_RTCP },      /* SR */
		{ 0x81, 201, 32, WEBRTC_PKT_RTCP },     /* RR */
		{ 0x81, 205, 16, WEBRTC_PKT_RTCP },     /* RTPFB (NACK, transport-cc) */
		{ 0x8f, 206, 24, WEBRTC_PKT_RTCP },     /* PSFB (REMB) */
		{ 0x80, 192, 8, WEBRTC_PKT_RTCP },      /* 64 after the mask */
		{ 0x80, 223, 8, WEBRTC_PKT_RTCP },      /* 95 */
		{ 0x80, 64, 8, WEBRTC_PKT_RTCP },       /* the marker-less form */
		{ 0x80, 95, 8, WEBRTC_PKT_RTCP },
		{ 0x80, 224, 12, WEBRTC_PKT_RTP },      /* 96 with the marker */
		{ 0x80, 200, 7, WEBRTC_PKT_DROP },
		{ 0xbf, 201, 8, WEBRTC_PKT_RTCP },
		{ 0xc0, 0, 100, WEBRTC_PKT_DROP },      /* RTP version 3 */
		{ 0xff, 0, 100, WEBRTC_PKT_DROP },
	};
	uint8_t pkt[128] = { 0 };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum webrtc_pkt got;

		pkt[0] = t[i].b0;
		pkt[1] = t[i].b1;
		got = webrtc_demux(pkt, t[i].len);
		if (got != t[i].want)
			fprintf(stderr, "demux %u %u len %zu: %s, expected %s\n", t[i].b0, t[i].b1,
				t[i].len, webrtc_pkt_name(got), webrtc_pkt_name(t[i].want));
		CHECK_INT(got, t[i].want);
	}
	CHECK_INT(webrtc_demux(pkt, 0), WEBRTC_PKT_DROP);
	CHECK_INT(webrtc_demux(NULL, 10), WEBRTC_PKT_DROP);
	pkt[0] = 0x80;
	CHECK_INT(webrtc_demux(pkt, 1), WEBRTC_PKT_DROP);
	/* Every first byte lands in its RFC 7983 range, or is dropped. */
	for (int b = 0; b < 256; b++) {
		enum webrtc_pkt want = b <= 3 ? WEBRTC_PKT_STUN : b >= 16 && b <= 19 ?
			WEBRTC_PKT_ZRTP : b >= 20 && b <= 63 ? WEBRTC_PKT_DTLS : b >= 64 && b <= 79 ?
			WEBRTC_PKT_TURN_CHANNEL : b >= 128 && b <= 191 ? WEBRTC_PKT_RTP :
			WEBRTC_PKT_DROP;

		pkt[0] = (uint8_t)b;
		pkt[1] = 0;
		CHECK_INT(webrtc_demux(pkt, 100), want);
	}
	CHECK_STR(webrtc_pkt_name(WEBRTC_PKT_DTLS), "dtls");
	CHECK_STR(webrtc_pkt_name(WEBRTC_PKT_RTCP), "rtcp");
}

int main(void)
{
	RUN(test_demux_table);
	return unit_done();
}
