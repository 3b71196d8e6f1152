/* chat.c: per-peer conversations, this session's merged with the history's (see chat.h). */
#include "chat.h"
#include "contacts.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

void chat_init(struct chat *c)
{
	memset(c, 0, sizeof(*c));
}

static void free_msgs(struct chat_peer *p)
{
	for (unsigned i = 0; i < p->count; i++)
		free(p->msgs[i].text);
	free(p->msgs);
	p->msgs = NULL;
	p->count = p->cap = 0;
	p->bytes = 0;
}

void chat_free(struct chat *c)
{
	for (unsigned i = 0; i < CHAT_MAX_PEERS; i++)
		free_msgs(&c->peers[i]);
	memset(c, 0, sizeof(*c));
}

struct chat_peer *chat_peer(struct chat *c, const char *uri, bool create)
{
	char key[CHAT_URI];
	struct chat_peer *slot = NULL;

	contact_uri_key(uri, key, sizeof(key));
	if (!key[0])
		return NULL;
	for (unsigned i = 0; i < CHAT_MAX_PEERS; i++) {
		struct chat_peer *p = &c->peers[i];
		if (p->used && !strcmp(p->key, key))
			return p;
		if (!p->used && !slot)
			slot = p;
	}
	if (!create)
		return NULL;
	if (!slot) {
		/* Full: forget the conversation that has been quiet the longest (it is in the
		 * history file, and read again if it comes back). */
		slot = &c->peers[0];
		for (unsigned i = 1; i < CHAT_MAX_PEERS; i++)
			if (c->peers[i].active < slot->active)
				slot = &c->peers[i];
		free_msgs(slot);
	}
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	str_copy(slot->key, sizeof(slot->key), key);
	str_copy(slot->uri, sizeof(slot->uri), uri);
	slot->active = ++c->clock;
	return slot;
}

/* Drop the oldest messages past the limits; what was in the history can be read again. */
static void trim(struct chat_peer *p)
{
	unsigned drop = 0;
	size_t bytes = p->bytes;

	while (p->count - drop > 1 &&
	       (p->count - drop > CHAT_MAX_MSGS || bytes > CHAT_MAX_BYTES)) {
		struct chat_msg *m = &p->msgs[drop++];
		bytes -= strlen(m->text) + 1;
		if (m->hist_id)
			p->older = true;
		free(m->text);
	}
	if (!drop)
		return;
	memmove(p->msgs, p->msgs + drop, (p->count - drop) * sizeof(*p->msgs));
	p->count -= drop;
	p->bytes = bytes;
}

static char *copy_text(const char *text)
{
	size_t n = strnlen(text, CHAT_TEXT_MAX - 1);
	char *s = malloc(n + 1);

	if (s) {
		/* A longer text is cut; the app already limits bodies to 4000 bytes. */
		memcpy(s, text, n);
		s[n] = '\0';
	}
	return s;
}

struct chat_msg *chat_add(struct chat *c, const char *uri, const char *display, bool out,
			  const char *text, time_t when)
{
	struct chat_peer *p = chat_peer(c, uri, true);
	struct chat_msg *m;
	char *copy;

	if (!p)
		return NULL;
	if (display && display[0])
		str_copy(p->display, sizeof(p->display), display);
	if (p->count == p->cap) {
		unsigned cap = p->cap ? p->cap * 2 : 16;
		struct chat_msg *v = realloc(p->msgs, (size_t)cap * sizeof(*v));
		if (!v)
			return NULL;
		p->msgs = v;
		p->cap = cap;
	}
	if (!(copy = copy_text(text)))
		return NULL;
	m = &p->msgs[p->count++];
	memset(m, 0, sizeof(*m));
	m->when = when;
	m->out = out;
	m->text = copy;
	p->bytes += strlen(copy) + 1;
	if (!out && p->unread < 9999)
		p->unread++;
	p->active = ++c->clock;
	trim(p);
	return &p->msgs[p->count - 1];
}

const struct chat_msg *chat_msg_at(const struct chat_peer *p, unsigned i)
{
	if (!p->msgs || i >= p->count)
		return NULL;
	return &p->msgs[i];
}

/* The newest message of this session to `to` that has no id from the app yet. */
static struct chat_msg *waiting(struct chat *c, const char *to)
{
	struct chat_peer *p = chat_peer(c, to, false);

	for (unsigned i = p ? p->count : 0; i-- > 0;) {
		struct chat_msg *m = &p->msgs[i];
		if (m->out && m->cookie == 0 && m->status == 0 && !m->hist_id)
			return m;
	}
	return NULL;
}

bool chat_sent(struct chat *c, const char *to, unsigned long cookie)
{
	struct chat_msg *m = waiting(c, to);

	if (m)
		m->cookie = cookie;
	return m != NULL;
}

void chat_not_sent(struct chat *c, const char *to, const char *reason)
{
	struct chat_msg *m = waiting(c, to);

	if (m) {
		m->status = CHAT_NOT_SENT;
		str_copy(m->reason, sizeof(m->reason), reason);
	}
}

struct chat_peer *chat_status(struct chat *c, unsigned long cookie, int code, const char *reason)
{
	for (unsigned k = 0; k < CHAT_MAX_PEERS; k++) {
		struct chat_peer *p = &c->peers[k];
		if (!p->used)
			continue;
		for (unsigned i = 0; i < p->count; i++) {
			struct chat_msg *m = &p->msgs[i];
			if (m->out && m->cookie == cookie) {
				m->status = code;
				str_copy(m->reason, sizeof(m->reason), reason ? reason : "");
				return p;
			}
		}
	}
	return NULL;
}

unsigned chat_unread_total(const struct chat *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CHAT_MAX_PEERS; i++)
		if (c->peers[i].used)
			n += c->peers[i].unread;
	return n;
}

/* ---- the history's rows ---- */

int chat_stored_status(const char *state, int code)
{
	if (!strcmp(state, "delivered"))
		return code >= 200 && code < 300 ? code : 200;
	if (!strcmp(state, "failed"))
		return code >= 300 ? code : CHAT_NOT_SENT;
	if (!strcmp(state, "sending"))
		return CHAT_UNCONFIRMED; /* ttyphone stopped before the answer came */
	return 0;                        /* received */
}

long long chat_oldest_id(const struct chat_peer *p)
{
	long long oldest = 0;

	for (unsigned i = 0; i < p->count; i++)
		if (p->msgs[i].hist_id && (!oldest || p->msgs[i].hist_id < oldest))
			oldest = p->msgs[i].hist_id;
	return oldest;
}

bool chat_full(const struct chat_peer *p)
{
	return p->count >= CHAT_MAX_MSGS || p->bytes >= CHAT_MAX_BYTES;
}

static bool same_message(const struct chat_msg *m, const struct chat_stored *r)
{
	time_t d = m->when > r->when ? m->when - r->when : r->when - m->when;

	return m->out == r->out && d <= CHAT_SAME_SECS && !strcmp(m->text, r->text);
}

/* Does session message m (its history row id, or 0) come before row r? */
static bool goes_before(const struct chat_msg *m, long long id, const struct chat_stored *r)
{
	return id ? id < r->id : m->when <= r->when;
}

int chat_merge(struct chat_peer *p, const struct chat_stored *rows, unsigned n,
	       bool match_session)
{
	long long *ids = calloc(p->count + 1, sizeof(*ids));  /* each message's row, after */
	char **texts = calloc(n + 1, sizeof(*texts));         /* copies of the rows to add */
	struct chat_msg *v = NULL;
	unsigned nadd = 0, total, i, j, k;
	size_t bytes = p->bytes;
	int rc = -1;

	if (!ids || !texts)
		goto out;
	for (i = 0; i < p->count; i++)
		ids[i] = p->msgs[i].hist_id;
	for (j = 0; j < n; j++) {
		bool here = false;
		for (i = 0; i < p->count && !here; i++)
			here = ids[i] == rows[j].id;
		/* this session's copy of the row: the first one not matched yet, so that a
		 * text said twice pairs up in order */
		for (i = 0; i < p->count && !here && match_session; i++) {
			if (!ids[i] && same_message(&p->msgs[i], &rows[j])) {
				ids[i] = rows[j].id;
				here = true;
			}
		}
		if (here)
			continue;
		if (!(texts[j] = copy_text(rows[j].text)))
			goto out;
		nadd++;
	}
	total = p->count + nadd;
	if (!(v = calloc(total + 1, sizeof(*v))))
		goto out;
	/* Two ordered lists merged: the messages here and the rows to add. */
	for (i = j = k = 0; k < total; k++) {
		while (j < n && !texts[j])
			j++;
		if (j >= n || (i < p->count && goes_before(&p->msgs[i], ids[i], &rows[j]))) {
			v[k] = p->msgs[i];
			v[k].hist_id = ids[i];
			/* still sending here, but the history has its answer already */
			if (v[k].out && v[k].status == 0 && ids[i])
				for (unsigned r = 0; r < n; r++)
					if (rows[r].id == ids[i] && rows[r].status != CHAT_UNCONFIRMED) {
						v[k].status = rows[r].status;
						str_copy(v[k].reason, sizeof(v[k].reason),
							 rows[r].reason ? rows[r].reason : "");
					}
			i++;
			continue;
		}
		v[k].when = rows[j].when;
		v[k].out = rows[j].out;
		v[k].hist_id = rows[j].id;
		v[k].status = rows[j].out ? rows[j].status : 0;
		str_copy(v[k].reason, sizeof(v[k].reason), rows[j].reason ? rows[j].reason : "");
		v[k].text = texts[j];
		texts[j] = NULL; /* v's now */
		bytes += strlen(v[k].text) + 1;
		j++;
	}
	free(p->msgs);
	p->msgs = v;
	p->count = p->cap = total;
	p->bytes = bytes;
	trim(p);
	rc = 0;
out:
	for (j = 0; texts && j < n; j++)
		free(texts[j]);
	free(texts);
	free(ids);
	return rc;
}
