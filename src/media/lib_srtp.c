/* lib_srtp.c: the functions ttyphone uses of libsrtp2, looked up on first use. */
#include "lib_srtp.h"
#include "lib_load.h"
#include "ttyconf.h"

#define S(field, name) LIB_SYM(struct lib_srtp, field, name)
static const struct lib_sym syms[] = {
	S(init, "srtp_init"),
	S(create, "srtp_create"),
	S(dealloc, "srtp_dealloc"),
	S(protect, "srtp_protect"),
	S(unprotect, "srtp_unprotect"),
	S(protect_rtcp, "srtp_protect_rtcp"),
	S(unprotect_rtcp, "srtp_unprotect_rtcp"),
	S(policy_aes_cm_80, "srtp_crypto_policy_set_rtp_default"),
	S(policy_aes_cm_32, "srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32"),
	S(policy_aes_gcm_128, "srtp_crypto_policy_set_aes_gcm_128_16_auth"),
};

LIB_LAZY_DEFINE(lib_srtp, TTY_SONAME_SRTP, syms)
