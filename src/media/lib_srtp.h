/* lib_srtp.h: libsrtp2, loaded when a call first encrypts its media (lib_load.c says why). */
#ifndef TTY_LIB_SRTP_H
#define TTY_LIB_SRTP_H

#include <stddef.h>
#include <srtp2/srtp.h>

struct lib_srtp {
	__typeof__(srtp_init) *init;
	__typeof__(srtp_create) *create;
	__typeof__(srtp_dealloc) *dealloc;
	__typeof__(srtp_protect) *protect;
	__typeof__(srtp_unprotect) *unprotect;
	__typeof__(srtp_protect_rtcp) *protect_rtcp;
	__typeof__(srtp_unprotect_rtcp) *unprotect_rtcp;
	__typeof__(srtp_crypto_policy_set_rtp_default) *policy_aes_cm_80;
	__typeof__(srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32) *policy_aes_cm_32;
	__typeof__(srtp_crypto_policy_set_aes_gcm_128_16_auth) *policy_aes_gcm_128;
};

/* The functions, or NULL with the reason in why. Any thread. */
const struct lib_srtp *lib_srtp(char *why, size_t whylen);

#endif
