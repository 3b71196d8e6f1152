/* rtcp.c: RTCP SR/RR + SDES build and parse (RFC 3550 section 6). */
#include "rtcp.h"

#include <string.h>
#include <time.h>

#define PT_SR 200
#define PT_RR 201
#define PT_SDES 202
#define PT_BYE 203
#define NTP_UNIX_OFFSET 2208988800ull  /* seconds from 1900 to 1970 */

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void write_rb(uint8_t *p, const struct rtcp_rb *rb)
{
	int32_t cl = rb->cum_lost;

	/* Clamp to the 24-bit signed field. */
	if (cl > 0x7fffff)
		cl = 0x7fffff;
	if (cl < -0x800000)
		cl = -0x800000;
	wr32(p, rb->ssrc);
	wr32(p + 4, (uint32_t)rb->fraction << 24 | ((uint32_t)cl & 0xffffff));
	wr32(p + 8, rb->ext_max_seq);
	wr32(p + 12, rb->jitter);
	wr32(p + 16, rb->lsr);
	wr32(p + 20, rb->dlsr);
}

size_t rtcp_build(uint8_t *buf, size_t size, uint32_t ssrc, const struct rtcp_sr *sr,
		  const struct rtcp_rb *rb, const char *cname)
{
	size_t n = 8 + (sr ? 20 : 0) + (rb ? 24 : 0);
	size_t clen = cname ? strlen(cname) : 0;
	size_t sdes;

	if (clen > 255)
		clen = 255;
	/* SDES: header 4, SSRC 4, CNAME item 2 + clen, END 1, padded to 4. */
	sdes = (8 + 2 + clen + 1 + 3) & ~(size_t)3;
	if (size < n + sdes)
		return 0;
	buf[0] = (uint8_t)(0x80 | (rb ? 1 : 0));
	buf[1] = sr ? PT_SR : PT_RR;
	buf[2] = 0;
	buf[3] = (uint8_t)(n / 4 - 1);
	wr32(buf + 4, ssrc);
	if (sr) {
		wr32(buf + 8, (uint32_t)(sr->ntp >> 32));
		wr32(buf + 12, (uint32_t)sr->ntp);
		wr32(buf + 16, sr->rtp_ts);
		wr32(buf + 20, sr->pkts);
		wr32(buf + 24, sr->octets);
	}
	if (rb)
		write_rb(buf + (sr ? 28 : 8), rb);

	uint8_t *s = buf + n;
	memset(s, 0, sdes);
	s[0] = 0x81;
	s[1] = PT_SDES;
	s[2] = (uint8_t)((sdes / 4 - 1) >> 8);
	s[3] = (uint8_t)(sdes / 4 - 1);
	wr32(s + 4, ssrc);
	s[8] = 1;  /* CNAME */
	s[9] = (uint8_t)clen;
	if (clen)
		memcpy(s + 10, cname, clen);
	/* The END item and the padding are the zeros already there. */
	return n + sdes;
}

int rtcp_parse(const uint8_t *buf, size_t len, uint32_t our_ssrc, struct rtcp_info *out)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (len < 8)
		return -1;
	while (off + 4 <= len) {
		const uint8_t *p = buf + off;
		size_t plen = ((size_t)(p[2] << 8 | p[3]) + 1) * 4;
		unsigned rc = p[0] & 0x1f;
		size_t blocks = 0;

		if ((p[0] >> 6) != 2 || plen > len - off)
			return -1;
		if (p[1] == PT_SR || p[1] == PT_RR) {
			size_t hdr = p[1] == PT_SR ? 28 : 8;

			if (plen < hdr + 24u * rc)
				return -1;
			if (p[1] == PT_SR) {
				out->has_sr = true;
				out->sr_ssrc = rd32(p + 4);
				out->sr_ntp_mid = rd32(p + 8) << 16 | rd32(p + 12) >> 16;
			}
			for (blocks = 0; blocks < rc; blocks++) {
				const uint8_t *b = p + hdr + 24 * blocks;
				uint32_t w = rd32(b + 4);

				if (rd32(b) != our_ssrc)
					continue;
				out->has_rb = true;
				out->rb.ssrc = our_ssrc;
				out->rb.fraction = (uint8_t)(w >> 24);
				/* Sign-extend the 24-bit cumulative count. */
				out->rb.cum_lost = (int32_t)((w & 0xffffff) ^ 0x800000) - 0x800000;
				out->rb.ext_max_seq = rd32(b + 8);
				out->rb.jitter = rd32(b + 12);
				out->rb.lsr = rd32(b + 16);
				out->rb.dlsr = rd32(b + 20);
			}
		} else if (p[1] == PT_BYE) {
			out->bye = true;
		}
		off += plen;
	}
	return off == len ? 0 : -1;
}

uint64_t rtcp_ntp_from_us(int64_t unix_us)
{
	uint64_t sec = (uint64_t)(unix_us / 1000000), us = (uint64_t)(unix_us % 1000000);

	return (sec + NTP_UNIX_OFFSET) << 32 | (us << 32) / 1000000u;
}

uint64_t rtcp_ntp_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return rtcp_ntp_from_us((int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000);
}

double rtcp_rtt_ms(uint64_t now, uint32_t lsr, uint32_t dlsr)
{
	uint32_t mid = (uint32_t)(now >> 16);
	uint32_t rtt;

	if (lsr == 0)
		return -1;
	rtt = mid - lsr - dlsr;
	if ((int32_t)rtt < 0)  /* clocks or the peer's DLSR are off */
		return -1;
	return rtt * 1000.0 / 65536.0;
}
