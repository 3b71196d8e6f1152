/* dialog_info.c: RFC 4235 dialog-info into a busy lamp (dialog_info.h). */
#include "ttyconf.h"
#include "presence/dialog_info.h"
#include "presence/xml_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_DLG "urn:ietf:params:xml:ns:dialog-info"

struct reading {
	bool root_ok, full;
	long version;
	struct dlg_entry d[DLG_MAX];
	bool has_state[DLG_MAX];
	unsigned n;
	bool in_dialog, in_remote, skip;
};

static int phase_of(const char *t)
{
	static const char *const p[] = { "trying", "proceeding", "early", "confirmed",
					 "terminated" };

	for (unsigned i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (!strcasecmp(t, p[i]))
			return (int)i;
	return -1;
}

static void on_start(struct xml_doc *x, void *arg, const char *ns, const char *name,
		     const char **attrs, unsigned depth)
{
	struct reading *r = arg;
	const char *v;

	(void)x;
	if (depth == 1) {
		r->root_ok = !strcmp(ns, NS_DLG) && !strcmp(name, "dialog-info");
		v = xml_doc_attr(attrs, "state");
		r->full = !v || strcasecmp(v, "partial") != 0;
		v = xml_doc_attr(attrs, "version");
		r->version = v ? strtol(v, NULL, 10) : -1;
		return;
	}
	if (depth == 2 && !strcmp(name, "dialog") && !strcmp(ns, NS_DLG)) {
		struct dlg_entry *e;

		r->in_dialog = true;
		r->skip = r->n >= DLG_MAX || !(v = xml_doc_attr(attrs, "id")) || !v[0];
		if (r->skip)
			return;
		e = &r->d[r->n];
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s", v);
		if ((v = xml_doc_attr(attrs, "call-id")))
			snprintf(e->call_id, sizeof(e->call_id), "%s", v);
		if ((v = xml_doc_attr(attrs, "local-tag")))
			snprintf(e->local_tag, sizeof(e->local_tag), "%s", v);
		if ((v = xml_doc_attr(attrs, "remote-tag")))
			snprintf(e->remote_tag, sizeof(e->remote_tag), "%s", v);
		v = xml_doc_attr(attrs, "direction");
		e->recipient = v && !strcasecmp(v, "recipient");
		e->phase = DLG_TRYING;
		return;
	}
	if (r->in_dialog && depth == 3 && !strcmp(name, "remote"))
		r->in_remote = true;
}

static void on_end(struct xml_doc *x, void *arg, const char *ns, const char *name,
		   const char *text, unsigned depth)
{
	struct reading *r = arg;
	struct dlg_entry *e = r->in_dialog && !r->skip ? &r->d[r->n] : NULL;

	(void)x;
	(void)ns;
	if (depth == 2 && r->in_dialog) {
		r->in_dialog = false;
		if (e && r->has_state[r->n])
			r->n++;           /* a dialog without a <state> is not one */
		return;
	}
	if (!e)
		return;
	if (depth == 3 && !strcmp(name, "state")) {
		int p = phase_of(text);

		if (p >= 0) {
			e->phase = (enum dlg_phase)p;
			r->has_state[r->n] = true;
		}
	} else if (depth == 3 && !strcmp(name, "remote")) {
		r->in_remote = false;
	} else if (r->in_remote && !strcmp(name, "identity") && !e->peer[0]) {
		snprintf(e->peer, sizeof(e->peer), "%s", text);
	}
}

void dlg_set_init(struct dlg_set *s)
{
	memset(s, 0, sizeof(*s));
	s->version = -1;
}

static void drop(struct dlg_set *s, unsigned i)
{
	memmove(&s->d[i], &s->d[i + 1], (s->n - i - 1) * sizeof(s->d[0]));
	s->n--;
}

int dlg_set_apply(struct dlg_set *s, const char *body, size_t len, char *why, size_t whylen)
{
	struct reading *r = calloc(1, sizeof(*r));   /* ~5 kB: off the loop's stack */
	char err[200];

	if (!r) {
		snprintf(why, whylen, "dialog-info: out of memory");
		return -1;
	}
	if (xml_doc_parse(body, len, on_start, on_end, r, err, sizeof(err)) != 0 || !r->root_ok) {
		snprintf(why, whylen, "dialog-info: %s", r->root_ok ? err :
			 "the document is not <dialog-info> of " NS_DLG);
		free(r);
		return -1;
	}
	/* RFC 4235 section 4.1: versions only grow; a reordered older one is stale. A full
	 * document may restart them (a new subscription), so it is always taken. */
	if (!r->full && r->version >= 0 && s->version >= 0 && r->version <= s->version) {
		free(r);
		return 0;
	}
	if (r->full)
		s->n = 0;
	s->version = r->version;
	for (unsigned i = 0; i < r->n; i++) {
		const struct dlg_entry *e = &r->d[i];
		unsigned j;

		for (j = 0; j < s->n && strcmp(s->d[j].id, e->id); j++)
			;
		if (e->phase == DLG_TERMINATED) {
			if (j < s->n)
				drop(s, j);
			continue;
		}
		if (j == s->n) {
			if (s->n == DLG_MAX)
				continue;
			s->n++;
		}
		s->d[j] = *e;
	}
	free(r);
	return 0;
}

enum blf_state dlg_set_lamp(const struct dlg_set *s)
{
	bool ringing = false;

	for (unsigned i = 0; i < s->n; i++) {
		if (s->d[i].phase == DLG_CONFIRMED || !s->d[i].recipient)
			return BLF_INCALL;
		ringing = true;
	}
	return ringing ? BLF_RINGING : BLF_IDLE;
}

const struct dlg_entry *dlg_set_ringing(const struct dlg_set *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->d[i].recipient && s->d[i].phase != DLG_CONFIRMED)
			return &s->d[i];
	return NULL;
}

const char *blf_state_name(enum blf_state b)
{
	switch (b) {
	case BLF_IDLE: return "idle";
	case BLF_RINGING: return "ringing";
	case BLF_INCALL: return "in call";
	case BLF_UNKNOWN: break;
	}
	return "unknown";
}
