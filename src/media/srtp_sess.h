/* srtp_sess.h: SDES-SRTP through libsrtp2. One session protects everything we send (our key,
 * any outbound SSRC), another checks everything we receive (their key, any inbound SSRC).
 * Tampered and replayed packets are reported so the caller can drop and count them. */
#ifndef TTY_MEDIA_SRTP_SESS_H
#define TTY_MEDIA_SRTP_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "media.h"

/* Room a packet buffer needs past the packet for the SRTP/SRTCP trailer. Buffers handed to
 * protect/unprotect must also be 4-byte aligned. */
#define SRTP_SESS_TRAILER (16 + 128 + 4)

enum srtp_sess_verdict {
	SRTP_SESS_OK = 0,
	SRTP_SESS_AUTH = 1,        /* authentication failed: tampered or wrong key */
	SRTP_SESS_REPLAY = 2,      /* seen before, or too old for the replay window */
	SRTP_SESS_ERR = 3,         /* anything else (malformed) */
};

struct srtp_sess;

/* Loads libsrtp2 and starts it, once per process; 0, or -1 with the reason in why. May
 * block (negotiation calls it before a call's first SRTP session; never the media thread).
 * srtp_sess_alloc does it too, failing with EIO. */
int srtp_lib_load(char *why, size_t whylen);
/* key is key||salt of srtp_suite_key_len(suite) bytes. Returns 0 or an errno. */
int srtp_sess_alloc(struct srtp_sess **sp, enum srtp_suite suite, const uint8_t *key,
		    unsigned keylen, bool outbound);
void srtp_sess_free(struct srtp_sess *s);
/* In place; *len grows by the trailer. cap is the buffer size. Returns 0 or -1. */
int srtp_sess_protect(struct srtp_sess *s, uint8_t *pkt, size_t *len, size_t cap, bool rtcp);
/* In place; *len shrinks. Returns an srtp_sess_verdict. */
int srtp_sess_unprotect(struct srtp_sess *s, uint8_t *pkt, size_t *len, bool rtcp);

/* key||salt bytes for a suite (30 for AES-CM, 28 for AES-GCM), 0 for SUITE_NONE. */
unsigned srtp_suite_key_len(enum srtp_suite suite);
/* RFC 4568 / RFC 7714 name, and back (SUITE_NONE if unknown). */
const char *srtp_suite_name(enum srtp_suite suite);
enum srtp_suite srtp_suite_from_name(const char *name);
/* Fill buf with n bytes from the kernel's random source. Returns 0 or -1. */
int media_random(void *buf, size_t n);

#endif
