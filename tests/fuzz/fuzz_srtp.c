/* fuzz_srtp.c: SRTP and SRTCP packets from a peer, checked with a fixed key.
 *
 * The first input byte picks the suite (AES-CM-80, AES-CM-32, AES-GCM), RTP or RTCP, and
 * how the rest is used:
 *   - raw: the rest is a packet from the network, unprotected as it is (a stranger or a
 *     peer with the wrong key: it must be refused without reading or writing outside it);
 *   - sealed: the rest is a plaintext packet that the sender's side protects with the same
 *     key; a byte of it may then be flipped (the second input byte says which and how).
 *     Untouched, it must come back exactly (and be a replay the second time); touched,
 *     it must be refused.
 * Sessions are made afresh for each input, so replay state never leaks between inputs. */
#include "fuzz.h"
#include "media/srtp_sess.h"

#define CAP (1500 + SRTP_SESS_TRAILER)

static const enum srtp_suite suites[3] = { SUITE_AES_CM_128_HMAC_SHA1_80,
	SUITE_AES_CM_128_HMAC_SHA1_32, SUITE_AEAD_AES_128_GCM };

static const uint8_t key[46] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
	0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 4-byte aligned, as the session's packet buffers are. */
	static _Alignas(8) uint8_t pkt[CAP], orig[CAP];
	struct srtp_sess *rx = NULL, *tx = NULL;
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_u8(&in);
	enum srtp_suite suite = suites[(mode & 3) % 3];
	unsigned keylen = srtp_suite_key_len(suite);
	bool rtcp = mode & 4, sealed = mode & 8;
	size_t len;
	int v;

	if (srtp_sess_alloc(&rx, suite, key, keylen, false) != 0)
		abort();
	if (!sealed) {
		len = in.n < CAP - SRTP_SESS_TRAILER ? in.n : CAP - SRTP_SESS_TRAILER;
		if (len)
			memcpy(pkt, in.p, len);
		v = srtp_sess_unprotect(rx, pkt, &len, rtcp);
		FUZZ_ASSERT(v >= SRTP_SESS_OK && v <= SRTP_SESS_ERR);
		if (v == SRTP_SESS_OK)
			FUZZ_ASSERT(len <= in.n);
		srtp_sess_free(rx);
		return 0;
	}

	uint8_t flip_at = fuzz_u8(&in), flip_with = fuzz_u8(&in);
	size_t plain;

	if (srtp_sess_alloc(&tx, suite, key, keylen, true) != 0)
		abort();
	plain = in.n < 1200 ? in.n : 1200;
	if (plain)
		memcpy(pkt, in.p, plain);
	/* libsrtp reads the header it protects: give it a version-2 RTP/RTCP header. */
	if (plain < (rtcp ? 8u : 12u)) {
		memset(pkt + plain, 0, (rtcp ? 8u : 12u) - plain);
		plain = rtcp ? 8 : 12;
	}
	pkt[0] = (uint8_t)(0x80 | (pkt[0] & 0x3f));
	if (rtcp)
		pkt[1] = 200 + (pkt[1] & 3);
	memcpy(orig, pkt, plain);
	len = plain;
	if (srtp_sess_protect(tx, pkt, &len, CAP, rtcp) == 0) {
		static _Alignas(8) uint8_t sent[CAP];
		size_t sent_len = len;

		FUZZ_ASSERT(len > plain && len <= CAP);
		memcpy(sent, pkt, len);
		if (flip_with)
			pkt[flip_at % len] ^= flip_with;
		v = srtp_sess_unprotect(rx, pkt, &len, rtcp);
		if (flip_with) {
			/* Header, payload and tag are all authenticated: any change is caught. */
			FUZZ_ASSERT(v != SRTP_SESS_OK);
		} else {
			FUZZ_ASSERT(v == SRTP_SESS_OK);
			FUZZ_ASSERT(len == plain && memcmp(pkt, orig, plain) == 0);
			/* The same packet once more is a replay. */
			v = srtp_sess_unprotect(rx, sent, &sent_len, rtcp);
			FUZZ_ASSERT(v == SRTP_SESS_REPLAY);
		}
	}
	srtp_sess_free(tx);
	srtp_sess_free(rx);
	return 0;
}
