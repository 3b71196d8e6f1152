/* sipmsg.c: see sipmsg.h. */
#include "sipmsg.h"
#include "lines.h"
#include "strutil.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

void sipmsg_time(const struct trace_msg *m, char *out, size_t size)
{
	struct tm tm;
	time_t s = m->when.tv_sec;

	if (!localtime_r(&s, &tm)) {
		snprintf(out, size, "--:--:--.---");
		return;
	}
	snprintf(out, size, "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(m->when.tv_nsec / 1000000));
}

void sipmsg_request_uri(const struct trace_msg *m, char *out, size_t size)
{
	const char *sp, *end;

	out[0] = '\0';
	if (!m->is_request || !m->text)
		return;
	sp = strchr(m->text, ' ');
	if (!sp)
		return;
	sp++;
	end = sp + strcspn(sp, " \r\n");
	str_ncopy(out, size, sp, (size_t)(end - sp));
}

static int attr_line(struct lines *out, int width, int role, const char *name, const char *raw)
{
	char safe[1024], line[1200];

	str_escape_terminal(safe, sizeof(safe), raw, strlen(raw), false);
	/* Aligned values read best; in a narrow column (the ladder's side) they would leave
	 * too little room, so there the value follows its name. */
	if (width >= 60) {
		snprintf(line, sizeof(line), "%-13s %s", name, safe);
		return lines_add_wrapped(out, role, line, width, 14);
	}
	snprintf(line, sizeof(line), "%s %s", name, safe);
	return lines_add_wrapped(out, role, line, width, 2);
}

int sipmsg_describe(const struct trace_msg *m, struct lines *out, int width, int attr_role,
		    int text_role)
{
	static const struct { const char *name, *label; char compact; } hdrs[] = {
		{ "CSeq", "CSeq:", 0 },
		{ "Call-ID", "Call-ID:", 'i' },
		{ "From", "From:", 'f' },
		{ "To", "To:", 't' },
		{ "Contact", "Contact:", 'm' },
		{ "Content-Type", "Content-Type:", 'c' },
	};
	char val[1024], *esc;
	size_t esc_size;
	int rc = 0;

	if (m->is_request) {
		rc |= attr_line(out, width, attr_role, "Method:", m->method);
		sipmsg_request_uri(m, val, sizeof(val));
		rc |= attr_line(out, width, attr_role, "Request-URI:", val);
	} else {
		snprintf(val, sizeof(val), "%d (%s)", m->status, m->method);
		rc |= attr_line(out, width, attr_role, "Status:", m->summary[0] ? m->summary : val);
	}
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		if (trace_header(m->text, hdrs[i].name, hdrs[i].compact, val, sizeof(val)))
			rc |= attr_line(out, width, attr_role, hdrs[i].label, val);
	snprintf(val, sizeof(val), "%s %s %s, %zu bytes", m->outgoing ? "sent to" : "received from",
		 m->transport, m->peer, m->len);
	rc |= attr_line(out, width, attr_role, "Wire:", val);
	rc |= lines_add(out, 0, "");
	/* The text: \r dropped (SIP lines end in CRLF), every other control made visible. */
	esc_size = m->len * 4 + 1;
	esc = malloc(esc_size);
	if (!esc)
		return -1;
	{
		char *plain = malloc(m->len + 1);
		size_t n = 0;
		if (!plain) {
			free(esc);
			return -1;
		}
		for (size_t i = 0; i < m->len; i++)
			if (!(m->text[i] == '\r' && i + 1 < m->len && m->text[i + 1] == '\n'))
				plain[n++] = m->text[i];
		str_escape_terminal(esc, esc_size, plain, n, true);
		free(plain);
	}
	/* A message ends with its empty line (or its body): no trailing blank rows. */
	{
		size_t n = strlen(esc);
		while (n && esc[n - 1] == '\n')
			esc[--n] = '\0';
	}
	rc |= lines_add_wrapped(out, text_role, esc, width, 2);
	free(esc);
	return rc ? -1 : 0;
}

int sipmsg_save(const struct trace *t, const char *path, bool (*keep)(void *arg,
		const struct trace_msg *m), void *arg, unsigned *count, char *why, size_t whylen)
{
	uint64_t first = trace_first_seq(t), last = trace_last_seq(t);
	unsigned n = 0;
	int fd, err = 0;
	FILE *f;

	*count = 0;
	/* O_EXCL: a typo must not replace some other file. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	for (uint64_t s = first; first && s <= last; s++) {
		const struct trace_msg *m = trace_get(t, s);
		struct tm tm;
		time_t sec;

		if (!m || (keep && !keep(arg, m)))
			continue;
		sec = m->when.tv_sec;
		localtime_r(&sec, &tm);
		if (fprintf(f, "%04d-%02d-%02d %02d:%02d:%02d.%03ld %s %s %s\n", tm.tm_year + 1900,
			    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			    (long)(m->when.tv_nsec / 1000000), m->outgoing ? "send to" : "recv from",
			    m->transport, m->peer) < 0 ||
		    fwrite(m->text, 1, m->len, f) != m->len || fputs("\n\n", f) < 0) {
			err = errno ? errno : EIO;
			break;
		}
		n++;
	}
	if (fflush(f) != 0 && !err)
		err = errno;
	if (fclose(f) != 0 && !err)
		err = errno;
	if (err) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(err));
		unlink(path);
		return -1;
	}
	*count = n;
	return 0;
}

bool sipmsg_contains(const struct trace_msg *m, const char *needle)
{
	size_t nl = strlen(needle);

	if (!nl)
		return false;
	for (size_t i = 0; i + nl <= m->len; i++)
		if (!strncasecmp(m->text + i, needle, nl))
			return true;
	return false;
}
