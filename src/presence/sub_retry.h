/* sub_retry.h: whether, and how soon, a subscription that ended is worth asking for
 * again (RFC 6665 section 4.1.3 for a terminated NOTIFY's reason, section 4.1.2.1 and
 * RFC 3261 for a refused SUBSCRIBE). Pure: the app keeps the timer and the back-off. */
#ifndef TTY_SUB_RETRY_H
#define TTY_SUB_RETRY_H

#define SUB_RETRY_DEFAULT_S 30u        /* when nothing says how soon */
#define SUB_RETRY_MAX_S     900u       /* the longest wait, backed off or asked for */

/* code: the SUBSCRIBE's final status (>= 300), or 0 for a NOTIFY that ended it;
 * reason: that NOTIFY's Subscription-State reason (NULL or "" if none);
 * retry_after: its retry-after parameter or the answer's Retry-After (0 if none).
 * Returns the seconds to wait before subscribing again, 0 for never (the server said
 * the resource is not there or not ours to watch: asking again would be refused again). */
unsigned sub_retry_after(int code, const char *reason, unsigned retry_after);

#endif
