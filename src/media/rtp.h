/* rtp.h: RTP packets (RFC 3550): header parse and build, and the receiver's view of one
 * source: sequence tracking across wraps, loss, new-SSRC detection, interarrival jitter.
 * rtp_parse is bounds-checked against any input (it is a fuzz target). */
#ifndef TTY_MEDIA_RTP_H
#define TTY_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_LEN 12

struct rtp_hdr {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;                /* CSRC count (CSRCs themselves are skipped) */
	bool ext;                  /* a header extension was present (skipped) */
	const uint8_t *payload;    /* points into the parsed buffer */
	size_t payload_len;        /* without padding */
};

/* Parse buf. Returns 0, or -1 if it is not a well-formed RTP version 2 packet. */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h);
/* Write a 12-byte header (no CSRC, no extension) and the payload. Returns the packet length,
 * or 0 if it does not fit in size. */
size_t rtp_build(uint8_t *buf, size_t size, const struct rtp_hdr *h,
		 const uint8_t *payload, size_t len);
/* True if the second byte looks like RTCP (payload types 192..223 per RFC 5761). */
bool rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Per-source receive statistics, RFC 3550 appendix A.1, A.3 and A.8. */
struct rtp_rx {
	bool init;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;           /* wraps, shifted left by 16 */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t received;
	uint32_t expected_prior, received_prior;  /* at the last report */
	uint32_t transit;
	bool have_transit;
	double jitter;             /* in RTP clock units */
};

enum rtp_rx_result {
	RTP_RX_OK,
	RTP_RX_NEW_SSRC,           /* first packet of a different source: state restarted */
	RTP_RX_RESTART,            /* sequence jumped far: taken as a restarted sender */
	RTP_RX_BAD,                /* a stray jump, not counted (a second one restarts) */
};

void rtp_rx_reset(struct rtp_rx *s);
/* Account for one packet arriving at arrival (in the same RTP clock units as h->ts). */
enum rtp_rx_result rtp_rx_update(struct rtp_rx *s, const struct rtp_hdr *h, uint32_t arrival);
uint32_t rtp_rx_ext_max(const struct rtp_rx *s);
uint32_t rtp_rx_expected(const struct rtp_rx *s);
/* Cumulative lost packets (negative if duplicates outnumber losses). */
int64_t rtp_rx_lost(const struct rtp_rx *s);
/* Fraction lost since the last call, 8-bit fixed point as in an RTCP report block. */
uint8_t rtp_rx_fraction_lost(struct rtp_rx *s);

#endif
