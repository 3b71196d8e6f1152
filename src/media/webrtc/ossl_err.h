/* ossl_err.h: OpenSSL's error queue turned into a sentence. OpenSSL reports failures as
 * packed codes on a per-thread queue; a person wants "cannot read the certificate: bad
 * base64 decode". */
#ifndef TTY_WEBRTC_OSSL_ERR_H
#define TTY_WEBRTC_OSSL_ERR_H

#include <stddef.h>

/* Write "WHAT: REASON[; REASON]" into why (what from fmt), REASON being the text of the
 * first two errors on this thread's OpenSSL queue ("no details from OpenSSL" when it is
 * empty), and empty the queue. Returns -1, so that a failure path can end with it. */
int ossl_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
