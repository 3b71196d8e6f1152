/* sub_retry.c: see sub_retry.h. */
#include "presence/sub_retry.h"

#include <string.h>

static unsigned capped(unsigned s)
{
	return s > SUB_RETRY_MAX_S ? SUB_RETRY_MAX_S : s;
}

unsigned sub_retry_after(int code, const char *reason, unsigned retry_after)
{
	if (code == 0) {
		/* the server moved or let the subscription lapse: ask again at once */
		if (reason && (!strcmp(reason, "deactivated") || !strcmp(reason, "timeout")))
			return 1;
		/* it wants a rest first, or said nothing */
		if (!reason || !reason[0] || !strcmp(reason, "probation") ||
		    !strcmp(reason, "giveup"))
			return retry_after ? capped(retry_after) : SUB_RETRY_DEFAULT_S;
		/* rejected, noresource, invariant (and reasons we do not know): for good */
		return 0;
	}
	/* timeouts, a server or a transport in trouble: later */
	if (code == 408 || code == 480 || (code >= 500 && code < 600))
		return retry_after ? capped(retry_after) : SUB_RETRY_DEFAULT_S;
	/* 4xx (not there, forbidden, bad event, failed credentials) and 6xx: the same
	 * SUBSCRIBE would get the same answer */
	return 0;
}
