/* base64.h: RFC 4648 base64 for SDES keys (a=crypto ... inline:KEY). */
#ifndef TTY_MEDIA_BASE64_H
#define TTY_MEDIA_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encode n bytes; out gets a NUL-terminated string. Returns its length, or -1 if too small. */
int b64_encode(const uint8_t *in, size_t n, char *out, size_t outlen);
/* Decode a string (padding optional, no whitespace). Returns the byte count, or -1 if the
 * text is not base64 or does not fit in outlen. */
int b64_decode(const char *in, uint8_t *out, size_t outlen);

#endif
