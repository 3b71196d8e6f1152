/* srtp.c: libsrtp2 wrapper. libsrtp is loaded when negotiation first settles on SRTP
 * (lib_srtp.h: Debian's build brings NSS with it), and its global state is set up once
 * for the process with pthread_once, since media sessions (threads) come and go; it is
 * never shut down. */
#include "srtp_sess.h"
#include "lib_srtp.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <stdio.h>
#include <srtp2/srtp.h>

struct srtp_sess {
	srtp_t ctx;
	const struct lib_srtp *lib;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status;

static void srtp_lib_init(void)
{
	init_status = lib_srtp(NULL, 0)->init();
}

/* libsrtp2's functions once it is loaded and started, or NULL with why. */
static const struct lib_srtp *started_lib(char *why, size_t whylen)
{
	const struct lib_srtp *lib = lib_srtp(why, whylen);

	if (!lib)
		return NULL;
	pthread_once(&init_once, srtp_lib_init);
	if (init_status != srtp_err_status_ok) {
		snprintf(why, whylen, "libsrtp2 does not start (srtp_init: error %d)",
			 (int)init_status);
		return NULL;
	}
	return lib;
}

int srtp_lib_load(char *why, size_t whylen)
{
	return started_lib(why, whylen) ? 0 : -1;
}

static const struct {
	enum srtp_suite suite;
	const char *name;
	unsigned key_len;
} suites[] = {
	{ SUITE_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 30 },
	{ SUITE_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 30 },
	{ SUITE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 28 },
};

unsigned srtp_suite_key_len(enum srtp_suite suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == suite)
			return suites[i].key_len;
	return 0;
}

const char *srtp_suite_name(enum srtp_suite suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == suite)
			return suites[i].name;
	return "none";
}

enum srtp_suite srtp_suite_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (name && strcasecmp(suites[i].name, name) == 0)
			return suites[i].suite;
	return SUITE_NONE;
}

int media_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int srtp_sess_alloc(struct srtp_sess **sp, enum srtp_suite suite, const uint8_t *key,
		    unsigned keylen, bool outbound)
{
	const struct lib_srtp *lib = started_lib(NULL, 0);
	struct srtp_sess *s;
	srtp_policy_t pol;
	uint8_t keybuf[46];

	if (!lib)
		return EIO;
	if (keylen != srtp_suite_key_len(suite) || keylen == 0 || keylen > sizeof(keybuf))
		return EINVAL;
	memset(&pol, 0, sizeof(pol));
	switch (suite) {
	case SUITE_AES_CM_128_HMAC_SHA1_80:
		lib->policy_aes_cm_80(&pol.rtp);
		lib->policy_aes_cm_80(&pol.rtcp);
		break;
	case SUITE_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568: the short tag is for SRTP only; SRTCP keeps the 80-bit tag. */
		lib->policy_aes_cm_32(&pol.rtp);
		lib->policy_aes_cm_80(&pol.rtcp);
		break;
	case SUITE_AEAD_AES_128_GCM:
		lib->policy_aes_gcm_128(&pol.rtp);
		lib->policy_aes_gcm_128(&pol.rtcp);
		break;
	default:
		return EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	memcpy(keybuf, key, keylen);
	pol.key = keybuf;
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.window_size = 128;
	pol.allow_repeat_tx = 0;
	pol.next = NULL;
	s->lib = lib;
	if (lib->create(&s->ctx, &pol) != srtp_err_status_ok) {
		memset(keybuf, 0, sizeof(keybuf));
		free(s);
		return EINVAL;
	}
	/* libsrtp derived its session keys: the master key need not linger on the stack. */
	memset(keybuf, 0, sizeof(keybuf));
	*sp = s;
	return 0;
}

void srtp_sess_free(struct srtp_sess *s)
{
	if (!s)
		return;
	s->lib->dealloc(s->ctx);
	free(s);
}

int srtp_sess_protect(struct srtp_sess *s, uint8_t *pkt, size_t *len, size_t cap, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t st;

	if (*len > 8192 || cap < *len + SRTP_SESS_TRAILER)
		return -1;
	st = rtcp ? s->lib->protect_rtcp(s->ctx, pkt, &n) : s->lib->protect(s->ctx, pkt, &n);
	if (st != srtp_err_status_ok || n < 0 || (size_t)n > cap)
		return -1;
	*len = (size_t)n;
	return 0;
}

int srtp_sess_unprotect(struct srtp_sess *s, uint8_t *pkt, size_t *len, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t st;

	if (*len > 8192)
		return SRTP_SESS_ERR;
	st = rtcp ? s->lib->unprotect_rtcp(s->ctx, pkt, &n) :
		    s->lib->unprotect(s->ctx, pkt, &n);
	switch (st) {
	case srtp_err_status_ok:
		if (n < 0 || (size_t)n > *len)
			return SRTP_SESS_ERR;
		*len = (size_t)n;
		return SRTP_SESS_OK;
	case srtp_err_status_auth_fail:
		return SRTP_SESS_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return SRTP_SESS_REPLAY;
	default:
		return SRTP_SESS_ERR;
	}
}
