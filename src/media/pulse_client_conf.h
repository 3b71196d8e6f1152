/* pulse_client_conf.h: our PulseAudio connections without shared memory (why: the .c). */
#ifndef TTY_PULSE_CLIENT_CONF_H
#define TTY_PULSE_CLIENT_CONF_H

#include <stddef.h>

/* Write a client.conf that includes the one libpulse would read and turns shared memory
 * off, into dir (NULL: $XDG_RUNTIME_DIR, else /tmp), and point PULSE_CLIENTCONFIG at it.
 * Call it before any thread exists (it sets the environment); the file is removed at
 * exit. out (may be NULL) gets its path. 0, or -1 with why (nothing changed). */
int pulse_client_conf_no_shm(const char *dir, char *out, size_t outlen, char *why,
			     size_t whylen);

#endif
