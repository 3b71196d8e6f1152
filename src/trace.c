/* trace.c: the SIP message ring (see trace.h). */
#include "trace.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REASM_MAX (64 * 1024)

struct trace {
	struct trace_msg *ring;
	unsigned cap, head, count;
	size_t bytes, max_bytes;
	uint64_t next_seq;
	FILE *file;
	/* Reassembly of tport's log lines into one message. */
	enum { R_IDLE, R_STAMPED, R_BODY } rstate;
	bool r_out;
	char r_transport[8];
	char r_peer[72];
	char *rbuf;
	size_t rlen;
	bool r_overflow;
	char pending[4096];      /* a partial log line waiting for its newline */
	size_t plen;
	bool p_overflow;
	void (*notify)(void *arg); /* see trace_set_notify */
	struct { char tp[8], peer[72], as_tp[8], as_peer[72]; } alias[TRACE_ALIASES];
	unsigned naliases;
	void *notify_arg;
};

int trace_alloc(struct trace **tp, unsigned max_msgs, size_t max_bytes)
{
	struct trace *t = calloc(1, sizeof(*t));

	if (!t)
		return ENOMEM;
	t->ring = calloc(max_msgs, sizeof(*t->ring));
	t->rbuf = malloc(REASM_MAX);
	if (!t->ring || !t->rbuf) {
		free(t->ring);
		free(t->rbuf);
		free(t);
		return ENOMEM;
	}
	t->cap = max_msgs;
	t->max_bytes = max_bytes;
	t->next_seq = 1;
	*tp = t;
	return 0;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->count; i++)
		free(t->ring[(t->head + i) % t->cap].text);
	free(t->ring);
	free(t->rbuf);
	free(t);
}

void trace_set_file(struct trace *t, FILE *f)
{
	t->file = f;
}

static void drop_oldest(struct trace *t)
{
	struct trace_msg *m = &t->ring[t->head];

	t->bytes -= m->len;
	free(m->text);
	memset(m, 0, sizeof(*m));
	t->head = (t->head + 1) % t->cap;
	t->count--;
}

/* Case-insensitive prefix test at p. */
static bool starts_ci(const char *p, const char *word)
{
	return strncasecmp(p, word, strlen(word)) == 0;
}

/* Is the parameter name just before an '=' at in[eq] one whose value is a secret? The name
 * must start at a boundary, so "response=" matches but "xresponse=" does not. */
static bool secret_name_before(const char *in, size_t eq)
{
	static const char *const secret[] = { "response", "nonce", "cnonce", "password",
					      "passwd", "secret" };
	size_t t = eq;

	while (t > 0 && isalnum((unsigned char)in[t - 1]))
		t--;
	for (size_t k = 0; k < sizeof(secret) / sizeof(secret[0]); k++)
		if (eq - t == strlen(secret[k]) && strncasecmp(in + t, secret[k], eq - t) == 0)
			return true;
	return false;
}

/* Replace the values of secret parameters (quoted or token) with NOT SHOWN. Acts only at
 * '=' signs and copies the text between them in spans: every SIP message passes here, so it
 * must stay linear and cheap (a flood of 1000 requests a second goes through it). */
static size_t mask_params(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0, from = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep = "NOT SHOWN";
		size_t j, n, rl;

		if (in[i] != '=' || !secret_name_before(in, i))
			continue;
		j = i + 1;
		if (j < len && in[j] == '"') {
			rep = "\"NOT SHOWN\"";
			j++;
			while (j < len && in[j] != '"' && in[j] != '\n')
				j++;
			if (j < len && in[j] == '"')
				j++;
		} else {
			while (j < len && in[j] != ',' && in[j] != ';' && in[j] != '\r' &&
			       in[j] != '\n' && in[j] != ' ' && in[j] != '&')
				j++;
		}
		n = i + 1 - from;
		rl = strlen(rep);
		if (o + n + rl >= size) {
			from = len;   /* no room to mask it: end here, never copy the rest raw */
			break;
		}
		memcpy(out + o, in + from, n);
		o += n;
		memcpy(out + o, rep, rl);
		o += rl;
		from = j;
		i = j - 1;
	}
	if (from < len) {
		size_t n = len - from;
		if (o + n >= size)
			n = size - 1 - o; /* out was sized by the caller: only a bug gets here */
		memcpy(out + o, in + from, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

size_t trace_mask(const char *in, size_t len, char *out, size_t size)
{
	if (size == 0)
		return 0;
	return mask_params(in, len, out, size);
}

bool trace_header(const char *text, const char *name, char compact, char *out, size_t size)
{
	const char *p = text;
	size_t nl = strlen(name);

	/* Skip the start line; stop at the blank line that ends the headers. */
	p = strchr(p, '\n');
	while (p && p[1] && p[1] != '\r' && p[1] != '\n') {
		const char *h = p + 1, *colon, *end;
		bool match = false;

		colon = strchr(h, ':');
		end = strchr(h, '\n');
		if (!end)
			end = h + strlen(h);
		if (colon && colon < end) {
			size_t hn = (size_t)(colon - h);
			while (hn > 0 && (h[hn - 1] == ' ' || h[hn - 1] == '\t'))
				hn--;
			if (hn == nl && strncasecmp(h, name, nl) == 0)
				match = true;
			else if (compact && hn == 1 && tolower((unsigned char)h[0]) == compact)
				match = true;
		}
		if (match) {
			const char *v = colon + 1;
			size_t vl;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(end - v);
			while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			str_ncopy(out, size, v, vl);
			return true;
		}
		p = *end ? end : NULL;
	}
	if (size)
		out[0] = '\0';
	return false;
}

void trace_parse_summary(struct trace_msg *m)
{
	const char *t = m->text, *eol = strpbrk(t, "\r\n");
	size_t l1 = eol ? (size_t)(eol - t) : strlen(t);
	char cseq[64];

	str_ncopy(m->summary, sizeof(m->summary), t, l1);
	m->is_request = !starts_ci(t, "SIP/2.0 ");
	m->status = 0;
	m->method[0] = '\0';
	if (m->is_request) {
		size_t ml = strcspn(t, " \r\n");
		str_ncopy(m->method, sizeof(m->method), t, ml);
		/* "INVITE sip:bob@host SIP/2.0" -> drop the version */
		char *ver = strstr(m->summary, " SIP/2.0");
		if (ver)
			*ver = '\0';
	} else {
		m->status = atoi(t + 8);
		memmove(m->summary, m->summary + 8, strlen(m->summary + 8) + 1);
	}
	trace_header(t, "Call-ID", 'i', m->call_id, sizeof(m->call_id));
	m->cseq = 0;
	if (trace_header(t, "CSeq", 0, cseq, sizeof(cseq))) {
		char *sp;
		m->cseq = (unsigned)strtoul(cseq, &sp, 10);
		while (*sp == ' ')
			sp++;
		if (!m->is_request)
			str_copy(m->method, sizeof(m->method), sp);
	}
}

void trace_add(struct trace *t, bool outgoing, const char *transport, const char *peer,
	       const char *text, size_t len, const struct timespec *when)
{
	size_t cap = len + 256;
	char *masked = malloc(cap);
	struct trace_msg *m;

	if (!masked)
		return; /* out of memory: the trace loses a line, the phone goes on */
	len = trace_mask(text, len, masked, cap);
	while (t->count && (t->count == t->cap || t->bytes + len > t->max_bytes))
		drop_oldest(t);
	m = &t->ring[(t->head + t->count) % t->cap];
	memset(m, 0, sizeof(*m));
	m->seq = t->next_seq++;
	if (when)
		m->when = *when;
	else
		clock_gettime(CLOCK_REALTIME, &m->when);
	m->outgoing = outgoing;
	str_copy(m->transport, sizeof(m->transport), transport);
	str_copy(m->peer, sizeof(m->peer), peer);
	m->text = masked;
	m->len = len;
	trace_parse_summary(m);
	t->count++;
	t->bytes += len;
	if (t->file) {
		struct tm tm;
		localtime_r(&m->when.tv_sec, &tm);
		/* A failed write must not stop the phone; the next message tries again. */
		if (fprintf(t->file, "%04d-%02d-%02d %02d:%02d:%02d.%03ld %s %s %s\n%s\n\n",
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			    tm.tm_sec, m->when.tv_nsec / 1000000, outgoing ? "send to" : "recv from",
			    m->transport, m->peer, m->text) < 0 ||
		    fflush(t->file) != 0)
			clearerr(t->file);
	}
	if (t->notify)
		t->notify(t->notify_arg);
}

void trace_set_notify(struct trace *t, void (*fn)(void *arg), void *arg)
{
	t->notify = fn;
	t->notify_arg = arg;
}

/* "send 1041 bytes to udp/[127.0.0.1]:5080 at 19:27:32.838134:" */
static bool parse_stamp(struct trace *t, const char *line)
{
	const char *p;
	bool out;
	char addr[96];
	size_t n;

	if (strncmp(line, "send ", 5) == 0)
		out = true;
	else if (strncmp(line, "recv ", 5) == 0)
		out = false;
	else
		return false;
	p = strstr(line, out ? " bytes to " : " bytes from ");
	if (!p)
		return false;
	p += out ? 10 : 12;
	n = strcspn(p, " ");
	if (str_ncopy(addr, sizeof(addr), p, n) < 0)
		return false;
	/* addr: udp/[127.0.0.1]:5080 */
	char *slash = strchr(addr, '/');
	if (!slash)
		return false;
	*slash = '\0';
	str_copy(t->r_transport, sizeof(t->r_transport), addr);
	char *host = slash + 1, *o = t->r_peer;
	size_t left = sizeof(t->r_peer) - 1;
	for (; *host && left; host++) {
		if (*host == '[' || *host == ']')
			continue; /* IPv4 shown without brackets; IPv6 keeps them below */
		*o++ = *host;
		left--;
	}
	*o = '\0';
	if (strchr(t->r_peer, ':') != strrchr(t->r_peer, ':')) /* IPv6: keep brackets */
		str_copy(t->r_peer, sizeof(t->r_peer), slash + 1);
	for (unsigned i = 0; i < t->naliases; i++) {
		if (!strcmp(t->alias[i].tp, t->r_transport) && !strcmp(t->alias[i].peer, t->r_peer)) {
			str_copy(t->r_transport, sizeof(t->r_transport), t->alias[i].as_tp);
			str_copy(t->r_peer, sizeof(t->r_peer), t->alias[i].as_peer);
			break;
		}
	}
	t->r_out = out;
	return true;
}

int trace_alias(struct trace *t, const char *transport, const char *peer, const char *as_tp,
		const char *as_peer)
{
	if (!t || t->naliases == TRACE_ALIASES)
		return -1;
	str_copy(t->alias[t->naliases].tp, sizeof(t->alias[0].tp), transport);
	str_copy(t->alias[t->naliases].peer, sizeof(t->alias[0].peer), peer);
	str_copy(t->alias[t->naliases].as_tp, sizeof(t->alias[0].as_tp), as_tp);
	str_copy(t->alias[t->naliases].as_peer, sizeof(t->alias[0].as_peer), as_peer);
	t->naliases++;
	return 0;
}

static bool is_separator(const char *line)
{
	/* tport prints a row of dashes (preceded by spaces) */
	while (*line == ' ')
		line++;
	return strncmp(line, "-----", 5) == 0;
}

void trace_feed_line(struct trace *t, const char *line)
{
	size_t n;

	switch (t->rstate) {
	case R_IDLE:
		if (parse_stamp(t, line))
			t->rstate = R_STAMPED;
		return;
	case R_STAMPED:
		if (is_separator(line)) {
			t->rstate = R_BODY;
			t->rlen = 0;
			t->r_overflow = false;
		} else if (!parse_stamp(t, line)) {
			t->rstate = R_IDLE;
		}
		return;
	case R_BODY:
		if (is_separator(line)) {
			if (t->rlen && !t->r_overflow)
				trace_add(t, t->r_out, t->r_transport, t->r_peer, t->rbuf, t->rlen, NULL);
			t->rstate = R_IDLE;
			return;
		}
		/* Message lines come indented by three spaces, each ending in a newline. */
		if (strncmp(line, "   ", 3) == 0)
			line += 3;
		n = strlen(line);
		if (n && line[n - 1] == '\n')
			n--;
		if (t->rlen + n + 3 > REASM_MAX) {
			t->r_overflow = true;
			return;
		}
		memcpy(t->rbuf + t->rlen, line, n);
		t->rlen += n;
		t->rbuf[t->rlen++] = '\r';
		t->rbuf[t->rlen++] = '\n';
		t->rbuf[t->rlen] = '\0';
		return;
	}
}

void trace_feed_text(struct trace *t, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			t->pending[t->plen] = '\0';
			/* An over-long line cannot be a SIP header we could show: drop it whole. */
			trace_feed_line(t, t->p_overflow ? "" : t->pending);
			t->plen = 0;
			t->p_overflow = false;
		} else if (t->plen + 1 < sizeof(t->pending)) {
			t->pending[t->plen++] = *p;
		} else {
			t->p_overflow = true;
		}
	}
}

uint64_t trace_first_seq(const struct trace *t)
{
	return t->count ? t->ring[t->head].seq : 0;
}

uint64_t trace_last_seq(const struct trace *t)
{
	return t->count ? t->ring[(t->head + t->count - 1) % t->cap].seq : 0;
}

const struct trace_msg *trace_get(const struct trace *t, uint64_t seq)
{
	uint64_t first = trace_first_seq(t);

	if (!t->count || seq < first || seq > trace_last_seq(t))
		return NULL;
	return &t->ring[(t->head + (unsigned)(seq - first)) % t->cap];
}

unsigned trace_count(const struct trace *t)
{
	return t->count;
}
