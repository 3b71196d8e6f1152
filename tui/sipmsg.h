/* sipmsg.h: what the log views show and save of one SIP message from the trace ring: its
 * time stamp, its attributes (method, request URI, CSeq, Call-ID, From, To, Contact,
 * Content-Type) and its text, all made safe for the terminal. No curses here. */
#ifndef TTY_TUI_SIPMSG_H
#define TTY_TUI_SIPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace;
struct trace_msg;
struct lines;

/* "12:01:03.114", local time. */
void sipmsg_time(const struct trace_msg *m, char *out, size_t size);
/* The request URI of a request ("" for a response). Not escaped. */
void sipmsg_request_uri(const struct trace_msg *m, char *out, size_t size);
/* Append the attributes, a separator and the whole text, escaped and wrapped to width. */
int sipmsg_describe(const struct trace_msg *m, struct lines *out, int width, int attr_role,
		    int text_role);
/* Write the messages for which keep(arg, m) is true (all when keep is NULL) to a new file
 * path (never overwriting one); the count goes to *count. -1 with why. */
int sipmsg_save(const struct trace *t, const char *path, bool (*keep)(void *arg,
		const struct trace_msg *m), void *arg, unsigned *count, char *why, size_t whylen);
/* Case-insensitive search for needle in the message's text. */
bool sipmsg_contains(const struct trace_msg *m, const char *needle);

#endif
