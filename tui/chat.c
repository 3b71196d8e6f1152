/* chat.c: per-peer message rings (see chat.h). */
#include "chat.h"
#include "contacts.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

void chat_init(struct chat *c)
{
	memset(c, 0, sizeof(*c));
}

void chat_free(struct chat *c)
{
	for (unsigned i = 0; i < CHAT_MAX_PEERS; i++)
		free(c->peers[i].msgs);
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
		/* Full: forget the conversation that has been quiet the longest. */
		slot = &c->peers[0];
		for (unsigned i = 1; i < CHAT_MAX_PEERS; i++)
			if (c->peers[i].active < slot->active)
				slot = &c->peers[i];
		free(slot->msgs);
	}
	memset(slot, 0, sizeof(*slot));
	slot->msgs = calloc(CHAT_MAX_MSGS, sizeof(*slot->msgs));
	if (!slot->msgs)
		return NULL;
	slot->used = true;
	str_copy(slot->key, sizeof(slot->key), key);
	str_copy(slot->uri, sizeof(slot->uri), uri);
	slot->active = ++c->clock;
	return slot;
}

struct chat_msg *chat_add(struct chat *c, const char *uri, const char *display, bool out,
			  const char *text, time_t when)
{
	struct chat_peer *p = chat_peer(c, uri, true);
	struct chat_msg *m;

	if (!p)
		return NULL;
	if (display && display[0])
		str_copy(p->display, sizeof(p->display), display);
	if (p->count == CHAT_MAX_MSGS) {
		p->head = (p->head + 1) % CHAT_MAX_MSGS;
		p->count--;
	}
	m = &p->msgs[(p->head + p->count) % CHAT_MAX_MSGS];
	p->count++;
	memset(m, 0, sizeof(*m));
	m->when = when;
	m->out = out;
	/* A longer text is cut; the app already limits bodies to 4000 bytes. */
	str_copy(m->text, sizeof(m->text), text);
	if (!out && p->unread < 9999)
		p->unread++;
	p->active = ++c->clock;
	return m;
}

const struct chat_msg *chat_msg_at(const struct chat_peer *p, unsigned i)
{
	if (!p->msgs || i >= p->count)
		return NULL;
	return &p->msgs[(p->head + i) % CHAT_MAX_MSGS];
}

void chat_sent(struct chat *c, const char *to, unsigned long cookie)
{
	struct chat_peer *p = chat_peer(c, to, false);

	if (!p)
		return;
	for (unsigned i = p->count; i-- > 0;) {
		struct chat_msg *m = &p->msgs[(p->head + i) % CHAT_MAX_MSGS];
		if (m->out && m->cookie == 0) {
			m->cookie = cookie;
			return;
		}
	}
}

struct chat_peer *chat_status(struct chat *c, unsigned long cookie, int code, const char *reason)
{
	for (unsigned k = 0; k < CHAT_MAX_PEERS; k++) {
		struct chat_peer *p = &c->peers[k];
		if (!p->used)
			continue;
		for (unsigned i = 0; i < p->count; i++) {
			struct chat_msg *m = &p->msgs[(p->head + i) % CHAT_MAX_MSGS];
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
