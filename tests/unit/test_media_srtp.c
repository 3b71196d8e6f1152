/* test_media_srtp.c: SRTP and SRTCP round trips for each suite, tampering and replay
 * rejected, wrong keys rejected; the SDES key encoding (base64). */
#include "unit.h"
#include "media/srtp_sess.h"
#include "media/base64.h"
#include "media/rtp.h"

#include <stdint.h>

static const enum srtp_suite all_suites[] = { SUITE_AES_CM_128_HMAC_SHA1_80,
	SUITE_AES_CM_128_HMAC_SHA1_32, SUITE_AEAD_AES_128_GCM };

/* A 160-byte RTP packet with sequence number seq in buf (4-byte aligned, room to spare). */
static size_t make_rtp(uint8_t *buf, size_t cap, uint16_t seq)
{
	uint8_t payload[160];
	struct rtp_hdr h = { .pt = 8, .seq = seq, .ts = 160u * seq, .ssrc = 0x5eed };

	for (int i = 0; i < 160; i++)
		payload[i] = (uint8_t)(i * 7 + seq);
	return rtp_build(buf, cap, &h, payload, sizeof(payload));
}

static void pair(enum srtp_suite s, struct srtp_sess **tx, struct srtp_sess **rx)
{
	uint8_t key[46];
	unsigned len = srtp_suite_key_len(s);

	CHECK_INT(media_random(key, len), 0);
	CHECK_INT(srtp_sess_alloc(tx, s, key, len, true), 0);
	CHECK_INT(srtp_sess_alloc(rx, s, key, len, false), 0);
}

static void test_srtp_round_trip_per_suite(void)
{
	for (size_t i = 0; i < sizeof(all_suites) / sizeof(all_suites[0]); i++) {
		struct srtp_sess *tx, *rx;
		_Alignas(8) uint8_t buf[512], orig[512];
		size_t n, n0;

		pair(all_suites[i], &tx, &rx);
		for (uint16_t seq = 65530; seq != 10; seq++) {   /* across the wrap */
			n0 = n = make_rtp(buf, sizeof(buf), seq);
			memcpy(orig, buf, n);
			CHECK_INT(srtp_sess_protect(tx, buf, &n, sizeof(buf), false), 0);
			CHECK(n > n0);
			CHECK(memcmp(buf + 12, orig + 12, 16) != 0);   /* payload encrypted */
			CHECK_INT(srtp_sess_unprotect(rx, buf, &n, false), SRTP_SESS_OK);
			CHECK_INT(n, n0);
			CHECK(memcmp(buf, orig, n0) == 0);
		}
		srtp_sess_free(tx);
		srtp_sess_free(rx);
	}
}

static void test_srtcp_round_trip_per_suite(void)
{
	for (size_t i = 0; i < sizeof(all_suites) / sizeof(all_suites[0]); i++) {
		struct srtp_sess *tx, *rx;
		/* An RR with no blocks: V=2, PT=201, length 1, SSRC. */
		_Alignas(8) uint8_t buf[256] = { 0x80, 201, 0, 1, 1, 2, 3, 4 };
		size_t n = 8;

		pair(all_suites[i], &tx, &rx);
		CHECK_INT(srtp_sess_protect(tx, buf, &n, sizeof(buf), true), 0);
		CHECK(n > 8);
		CHECK_INT(srtp_sess_unprotect(rx, buf, &n, true), SRTP_SESS_OK);
		CHECK_INT(n, 8);
		CHECK_INT(buf[1], 201);
		srtp_sess_free(tx);
		srtp_sess_free(rx);
	}
}

static void test_srtp_rejects_tampered_packet(void)
{
	for (size_t i = 0; i < sizeof(all_suites) / sizeof(all_suites[0]); i++) {
		struct srtp_sess *tx, *rx;
		_Alignas(8) uint8_t buf[512];
		size_t n = make_rtp(buf, sizeof(buf), 100);

		pair(all_suites[i], &tx, &rx);
		CHECK_INT(srtp_sess_protect(tx, buf, &n, sizeof(buf), false), 0);
		buf[40] ^= 1;                  /* one bit of the ciphertext */
		CHECK_INT(srtp_sess_unprotect(rx, buf, &n, false), SRTP_SESS_AUTH);
		srtp_sess_free(tx);
		srtp_sess_free(rx);
	}
}

static void test_srtp_rejects_replay(void)
{
	struct srtp_sess *tx, *rx;
	_Alignas(8) uint8_t buf[512], copy[512];
	size_t n = make_rtp(buf, sizeof(buf), 7), n2;

	pair(SUITE_AES_CM_128_HMAC_SHA1_80, &tx, &rx);
	CHECK_INT(srtp_sess_protect(tx, buf, &n, sizeof(buf), false), 0);
	memcpy(copy, buf, n);
	n2 = n;
	CHECK_INT(srtp_sess_unprotect(rx, buf, &n, false), SRTP_SESS_OK);
	CHECK_INT(srtp_sess_unprotect(rx, copy, &n2, false), SRTP_SESS_REPLAY);
	/* A genuine packet from far behind the 128-packet window is refused too. */
	n2 = make_rtp(copy, sizeof(copy), 8);
	CHECK_INT(srtp_sess_protect(tx, copy, &n2, sizeof(copy), false), 0);
	for (uint16_t seq = 9; seq < 300; seq++) {
		n = make_rtp(buf, sizeof(buf), seq);
		CHECK_INT(srtp_sess_protect(tx, buf, &n, sizeof(buf), false), 0);
		CHECK_INT(srtp_sess_unprotect(rx, buf, &n, false), SRTP_SESS_OK);
	}
	CHECK_INT(srtp_sess_unprotect(rx, copy, &n2, false), SRTP_SESS_REPLAY);
	srtp_sess_free(tx);
	srtp_sess_free(rx);
}

static void test_srtp_rejects_wrong_key(void)
{
	struct srtp_sess *tx, *rx;
	_Alignas(8) uint8_t buf[512];
	uint8_t k1[30] = { 1 }, k2[30] = { 2 };
	size_t n = make_rtp(buf, sizeof(buf), 1);

	CHECK_INT(srtp_sess_alloc(&tx, SUITE_AES_CM_128_HMAC_SHA1_80, k1, 30, true), 0);
	CHECK_INT(srtp_sess_alloc(&rx, SUITE_AES_CM_128_HMAC_SHA1_80, k2, 30, false), 0);
	CHECK_INT(srtp_sess_protect(tx, buf, &n, sizeof(buf), false), 0);
	CHECK_INT(srtp_sess_unprotect(rx, buf, &n, false), SRTP_SESS_AUTH);
	srtp_sess_free(tx);
	srtp_sess_free(rx);
}

static void test_srtp_refuses_bad_key_length_and_suite(void)
{
	struct srtp_sess *s = NULL;
	uint8_t key[46] = { 0 };

	CHECK(srtp_sess_alloc(&s, SUITE_AES_CM_128_HMAC_SHA1_80, key, 28, true) != 0);
	CHECK(srtp_sess_alloc(&s, SUITE_AEAD_AES_128_GCM, key, 30, true) != 0);
	CHECK(srtp_sess_alloc(&s, SUITE_NONE, key, 0, true) != 0);
	CHECK(s == NULL);
	CHECK_INT(srtp_suite_key_len(SUITE_AEAD_AES_128_GCM), 28);
	CHECK_INT(srtp_suite_from_name("aes_cm_128_hmac_sha1_32"), SUITE_AES_CM_128_HMAC_SHA1_32);
	CHECK_INT(srtp_suite_from_name("F8_128_HMAC_SHA1_80"), SUITE_NONE);
	CHECK_STR(srtp_suite_name(SUITE_AEAD_AES_128_GCM), "AEAD_AES_128_GCM");
}

static void test_base64_round_trips_sdes_keys(void)
{
	uint8_t key[30], back[46];
	char text[80];

	for (int i = 0; i < 30; i++)
		key[i] = (uint8_t)(i * 37 + 3);
	CHECK_INT(b64_encode(key, 30, text, sizeof(text)), 40);
	CHECK_INT(b64_decode(text, back, sizeof(back)), 30);
	CHECK(memcmp(key, back, 30) == 0);
	CHECK_INT(b64_encode(key, 28, text, sizeof(text)), 40);   /* GCM: 28 bytes, "=" pad */
	CHECK(text[39] == '=');
	CHECK_INT(b64_decode(text, back, sizeof(back)), 28);
	CHECK(memcmp(key, back, 28) == 0);
	CHECK_INT(b64_encode((const uint8_t *)"foobar", 6, text, sizeof(text)), 8);
	CHECK_STR(text, "Zm9vYmFy");
	CHECK_INT(b64_encode((const uint8_t *)"fo", 2, text, 4), -1);   /* no room */
	CHECK_INT(b64_decode("Zm9v!mFy", back, sizeof(back)), -1);
	CHECK_INT(b64_decode("Zg=x", back, sizeof(back)), -1);
	CHECK_INT(b64_decode("Zm9vYmFy", back, 5), -1);                 /* too long */
	CHECK_INT(b64_decode("Zg==", back, sizeof(back)), 1);
}

int main(void)
{
	RUN(test_srtp_round_trip_per_suite);
	RUN(test_srtcp_round_trip_per_suite);
	RUN(test_srtp_rejects_tampered_packet);
	RUN(test_srtp_rejects_replay);
	RUN(test_srtp_rejects_wrong_key);
	RUN(test_srtp_refuses_bad_key_length_and_suite);
	RUN(test_base64_round_trips_sdes_keys);
	return unit_done();
}
