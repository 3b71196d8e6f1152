/* rtcp.h: the RTCP we need (RFC 3550): a compound SR or RR with one report block and an SDES
 * CNAME, and a parser that pulls out the peer's sender report time (for our LSR/DLSR) and
 * its report block about us (loss, jitter, round-trip time). */
#ifndef TTY_MEDIA_RTCP_H
#define TTY_MEDIA_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCP_INTERVAL_MS 5000

struct rtcp_rb {               /* one report block */
	uint32_t ssrc;             /* the source it reports on */
	uint8_t fraction;          /* fraction lost since the last report, /256 */
	int32_t cum_lost;          /* 24-bit signed on the wire */
	uint32_t ext_max_seq;
	uint32_t jitter;           /* RTP clock units */
	uint32_t lsr;              /* middle 32 bits of the NTP time of the last SR received */
	uint32_t dlsr;             /* delay since that SR, 1/65536 s */
};

struct rtcp_sr {               /* sender info */
	uint64_t ntp;              /* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;
	uint32_t pkts, octets;
};

struct rtcp_info {             /* what rtcp_parse found */
	bool has_sr;
	uint32_t sr_ssrc;
	uint32_t sr_ntp_mid;       /* middle 32 bits of the SR's NTP time: our next LSR */
	bool has_rb;               /* a report block about our SSRC */
	struct rtcp_rb rb;
	bool bye;
};

/* Build SR (sr != NULL) or RR, with rb (may be NULL) and an SDES CNAME. Returns the length,
 * or 0 if it does not fit. */
size_t rtcp_build(uint8_t *buf, size_t size, uint32_t ssrc, const struct rtcp_sr *sr,
		  const struct rtcp_rb *rb, const char *cname);
/* Parse a compound packet. Returns 0, or -1 if it is malformed. */
int rtcp_parse(const uint8_t *buf, size_t len, uint32_t our_ssrc, struct rtcp_info *out);
/* Current time as an NTP timestamp (32.32), and a CLOCK_REALTIME time in microseconds. */
uint64_t rtcp_ntp_now(void);
uint64_t rtcp_ntp_from_us(int64_t unix_us);
/* Round-trip time from a report block received at now (NTP 32.32); < 0 if unknown. */
double rtcp_rtt_ms(uint64_t now, uint32_t lsr, uint32_t dlsr);

#endif
