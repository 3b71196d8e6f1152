/* mwi.c: RFC 3842 message summaries (mwi.h). Lines of "Name: value"; the message classes
 * (Voice-Message, Fax-Message, ...) read as "new/old (urgent new/urgent old)". Written by
 * hand: a few header-like lines, which no library here reads. */
#include "ttyconf.h"
#include "presence/mwi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "2/8 (0/2)" -> counts; false if it is not that shape. */
static bool counts(const char *v, unsigned c[4])
{
	char *end;
	unsigned long x;

	memset(c, 0, 4 * sizeof(c[0]));
	for (int i = 0; i < 4; i++) {
		while (*v == ' ' || *v == '\t' || (i == 2 && *v == '('))
			v++;
		if (i == 2 && !*v)
			return true;            /* the urgent part is optional */
		if (*v < '0' || *v > '9')
			return false;
		x = strtoul(v, &end, 10);
		c[i] = x > 1000000 ? 1000000 : (unsigned)x;
		v = end;
		while (*v == ' ' || *v == '\t')
			v++;
		if (i == 0 || i == 2) {
			if (*v != '/')
				return false;
			v++;
		}
	}
	return true;
}

int mwi_parse(const char *body, size_t len, struct mwi_info *out, char *why, size_t whylen)
{
	bool have_waiting = false, have_voice = false;
	unsigned sum[4] = { 0 };
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	while (body && pos < len) {
		char line[256], *colon, *v;
		size_t end = pos, l;

		while (end < len && body[end] != '\n' && body[end] != '\r')
			end++;
		l = end - pos;
		if (l < sizeof(line) && !memchr(body + pos, '\0', l)) {
			memcpy(line, body + pos, l);
			line[l] = '\0';
			if ((colon = strchr(line, ':')) != NULL) {
				*colon = '\0';
				v = colon + 1;
				while (*v == ' ' || *v == '\t')
					v++;
				if (!strcasecmp(line, "Messages-Waiting")) {
					have_waiting = true;
					out->waiting = !strncasecmp(v, "yes", 3);
				} else if (!strcasecmp(line, "Message-Account")) {
					snprintf(out->account, sizeof(out->account), "%s", v);
				} else if (strlen(line) > 8 &&
					   !strcasecmp(line + strlen(line) - 8, "-Message")) {
					unsigned c[4];

					if (counts(v, c)) {
						if (!strcasecmp(line, "Voice-Message")) {
							have_voice = true;
							out->new_msgs = c[0];
							out->old_msgs = c[1];
							out->urgent_new = c[2];
							out->urgent_old = c[3];
						}
						for (int i = 0; i < 4; i++)
							if ((sum[i] += c[i]) > 1000000)
								sum[i] = 1000000;
					}
				}
			}
		}
		pos = end;
		while (pos < len && (body[pos] == '\n' || body[pos] == '\r'))
			pos++;
	}
	if (!have_waiting) {
		memset(out, 0, sizeof(*out));
		snprintf(why, whylen, "message-summary: no Messages-Waiting line (RFC 3842)");
		return -1;
	}
	if (!have_voice) {
		out->new_msgs = sum[0];
		out->old_msgs = sum[1];
		out->urgent_new = sum[2];
		out->urgent_old = sum[3];
	}
	return 0;
}
