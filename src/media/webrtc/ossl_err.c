/* ossl_err.c: OpenSSL errors as reasons a person can read. */
#include "media/webrtc/ossl_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>

int ossl_why(char *why, size_t whylen, const char *fmt, ...)
{
	unsigned long e, first = 0;
	int shown = 0;
	size_t n;
	va_list ap;

	if (!why || whylen == 0) {
		ERR_clear_error();
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	/* The oldest error is the cause; the ones after it are the callers that passed it up,
	 * and usually say the same again: two distinct ones are plenty. */
	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);
		char code[32];

		if (shown == 2 || (shown && ERR_GET_REASON(e) == ERR_GET_REASON(first)))
			continue;
		if (!r) {
			snprintf(code, sizeof(code), "OpenSSL error %lx", e);
			r = code;
		}
		n = strlen(why);
		if (n < whylen)
			snprintf(why + n, whylen - n, "%s%s", shown ? "; " : ": ", r);
		if (!shown)
			first = e;
		shown++;
	}
	if (!shown) {
		n = strlen(why);
		if (n < whylen)
			snprintf(why + n, whylen - n, ": no details from OpenSSL");
	}
	return -1;
}
