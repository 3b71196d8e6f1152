/* mwi.h: RFC 3842 message summaries (application/simple-message-summary, the
 * message-summary event package) read into the counts a status line shows. Pure function,
 * any thread; fuzzed and unit-tested with pidf.h. */
#ifndef TTY_MWI_H
#define TTY_MWI_H

#include <stdbool.h>
#include <stddef.h>

struct mwi_info {
	bool waiting;               /* Messages-Waiting: yes */
	unsigned new_msgs, old_msgs;   /* Voice-Message's, or the sum of every class given */
	unsigned urgent_new, urgent_old;
	char account[160];          /* Message-Account, when given */
};

/* 0, or -1 with why (no Messages-Waiting line, which RFC 3842 requires). */
int mwi_parse(const char *body, size_t len, struct mwi_info *out, char *why, size_t whylen);

#endif
