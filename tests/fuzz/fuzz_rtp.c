/* fuzz_rtp.c: whatever arrives on a call's RTP port, after SRTP (or without it).
 *
 * The input is one packet: rtp_parse must either refuse it or describe a payload inside
 * it. An accepted payload then goes where the media thread sends it: to the telephone-event
 * receiver, and to the decoder its payload type names (PCMU 0, PCMA 8, G722 9, anything
 * else Opus), with the output room the session gives and the concealment that follows a
 * loss. Separately, the input read as a run of 12-byte headers drives the receiver
 * statistics (sequence wraps, restarts, loss, jitter). */
#include "fuzz.h"
#include "media/codec.h"
#include "media/dtmf.h"
#include "media/rtp.h"

static void *cst[CODEC_COUNT];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct codec_opts o = { .bitrate = 32000 };

	(void)argc;
	(void)argv;
	for (int i = 0; i < CODEC_COUNT; i++)
		if (codec_get((enum codec_id)i)->alloc(&cst[i], &o) != 0)
			abort();
	return 0;
}

static const struct codec *codec_for_pt(uint8_t pt)
{
	switch (pt) {
	case 0: return &codec_pcmu;
	case 8: return &codec_pcma;
	case 9: return &codec_g722;
	default: return &codec_opus;
	}
}

static void decode(const struct rtp_hdr *h)
{
	const struct codec *c = codec_for_pt(h->pt);
	void *st = cst[c->id];
	/* Exactly the room the session promises a decoder, so an overrun is caught. */
	int16_t *pcm = malloc(CODEC_MAX_DECODE * sizeof(*pcm));
	int n;

	if (!pcm)
		abort();
	c->reset(st);
	n = c->decode(st, h->payload, h->payload_len, pcm, CODEC_MAX_DECODE);
	FUZZ_ASSERT(n <= CODEC_MAX_DECODE);
	/* A loss after it, recovered from this packet's redundancy or concealed. */
	if (c->decode_fec && h->payload_len > 0) {
		n = c->decode_fec(st, h->payload, h->payload_len, pcm, c->frame_samples);
		FUZZ_ASSERT(n <= (int)c->frame_samples);
	}
	n = c->plc(st, pcm, c->frame_samples * 3);
	FUZZ_ASSERT(n <= (int)c->frame_samples * 3);
	free(pcm);
}

static void rx_stats(const uint8_t *data, size_t size)
{
	struct rtp_rx rx;
	uint32_t arrival = 0;

	rtp_rx_reset(&rx);
	for (size_t off = 0; off + RTP_HDR_LEN <= size; off += RTP_HDR_LEN) {
		const uint8_t *p = data + off;
		struct rtp_hdr h = {
			.seq = (uint16_t)(p[2] << 8 | p[3]),
			.ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7],
			.ssrc = p[8] & 1,   /* two sources, so a change of source happens */
		};

		arrival += (uint32_t)p[0] * 160;
		rtp_rx_update(&rx, &h, arrival);
		(void)rtp_rx_lost(&rx);
		(void)rtp_rx_ext_max(&rx);
		if (p[1] & 1)
			(void)rtp_rx_fraction_lost(&rx);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	struct dtmf_rx drx;

	(void)rtp_is_rtcp(data, size);
	rx_stats(data, size);
	if (rtp_parse(data, size, &h) < 0)
		return 0;
	FUZZ_ASSERT(h.payload >= data + RTP_HDR_LEN);
	FUZZ_ASSERT(h.payload + h.payload_len <= data + size);
	FUZZ_ASSERT(h.pt < 128 && h.cc < 16);
	dtmf_rx_init(&drx);
	if (dtmf_rx_packet(&drx, h.payload, h.payload_len, h.ts))
		FUZZ_ASSERT(!dtmf_rx_packet(&drx, h.payload, h.payload_len, h.ts));
	if (h.payload_len > 0 && h.payload_len <= CODEC_MAX_PAYLOAD)
		decode(&h);
	return 0;
}
