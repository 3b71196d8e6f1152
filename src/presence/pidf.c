/* pidf.c: PIDF presence documents read and written (pidf.h). */
#include "ttyconf.h"
#include "presence/pidf.h"
#include "presence/xml_doc.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NS_PIDF "urn:ietf:params:xml:ns:pidf"
#define NS_RPID "urn:ietf:params:xml:ns:pidf:rpid"

static const char *const names[] = {
	[PRES_UNKNOWN] = "unknown", [PRES_ONLINE] = "online", [PRES_AWAY] = "away",
	[PRES_BUSY] = "busy", [PRES_OFFLINE] = "offline",
};

const char *pres_state_name(enum pres_state s)
{
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

int pres_state_parse(const char *n)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(n, names[i]))
			return (int)i;
	if (!strcasecmp(n, "open") || !strcasecmp(n, "available"))
		return PRES_ONLINE;
	if (!strcasecmp(n, "closed") || !strcasecmp(n, "invisible"))
		return PRES_OFFLINE;
	if (!strcasecmp(n, "dnd"))
		return PRES_BUSY;
	return -1;
}

struct reading {
	bool root_ok;
	unsigned tuples, open;
	bool busy, away;
	char person_note[PRES_NOTE], note[PRES_NOTE];
	bool in_person, in_activities;
};

/* RPID activities (RFC 4480 section 3.2) as the two states a list shows besides online. */
static void activity(struct reading *r, const char *name)
{
	static const char *const busy[] = { "busy", "on-the-phone", "meeting", "performance",
					    "presentation", "playing", "working" };
	static const char *const away[] = { "away", "vacation", "sleeping", "breakfast",
					    "lunch", "dinner", "meal", "holiday", "travel",
					    "appointment", "steering", "shopping", "spectator",
					    "looking-for-work", "in-transit", "permanent-absence" };

	for (unsigned i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		if (!strcmp(name, busy[i]))
			r->busy = true;
	for (unsigned i = 0; i < sizeof(away) / sizeof(away[0]); i++)
		if (!strcmp(name, away[i]))
			r->away = true;
}

static void on_start(struct xml_doc *d, void *arg, const char *ns, const char *name,
		     const char **attrs, unsigned depth)
{
	struct reading *r = arg;

	(void)d;
	(void)attrs;
	if (depth == 1) {
		r->root_ok = !strcmp(ns, NS_PIDF) && !strcmp(name, "presence");
		return;
	}
	if (depth == 2 && !strcmp(name, "person"))
		r->in_person = true;
	else if (!strcmp(ns, NS_RPID) && !strcmp(name, "activities"))
		r->in_activities = true;
	else if (r->in_activities && !strcmp(ns, NS_RPID))
		activity(r, name);
	else if (depth == 2 && !strcmp(ns, NS_PIDF) && !strcmp(name, "tuple"))
		r->tuples++;
}

static void on_end(struct xml_doc *d, void *arg, const char *ns, const char *name,
		   const char *text, unsigned depth)
{
	struct reading *r = arg;

	(void)d;
	(void)ns;
	if (!strcmp(name, "basic") && !strcmp(ns, NS_PIDF) && !strcasecmp(text, "open"))
		r->open++;
	else if (!strcmp(name, "note") && text[0]) {
		char *dst = r->in_person ? r->person_note : r->note;

		if (!dst[0])
			snprintf(dst, PRES_NOTE, "%s", text);
	} else if (!strcmp(name, "activities")) {
		r->in_activities = false;
	} else if (depth == 2 && !strcmp(name, "person")) {
		r->in_person = false;
	}
}

int pidf_parse(const char *body, size_t len, struct pres_info *out, char *why, size_t whylen)
{
	struct reading r;
	char err[200];
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	while (i < len && (body[i] == ' ' || body[i] == '\r' || body[i] == '\n' || body[i] == '\t'))
		i++;
	if (i == len) {
		out->state = PRES_OFFLINE;
		return 0;
	}
	if (xml_doc_parse(body, len, on_start, on_end, &r, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "PIDF: %s", err);
		return -1;
	}
	if (!r.root_ok) {
		snprintf(why, whylen, "PIDF: the document is not <presence> of %s", NS_PIDF);
		return -1;
	}
	if (!r.open)
		out->state = PRES_OFFLINE;
	else if (r.busy)
		out->state = PRES_BUSY;
	else if (r.away)
		out->state = PRES_AWAY;
	else
		out->state = PRES_ONLINE;
	snprintf(out->note, sizeof(out->note), "%s", r.person_note[0] ? r.person_note : r.note);
	return 0;
}

int pidf_write(const char *entity, const struct pres_info *in, bool in_call, char *out,
	       size_t size)
{
	char ent[600], note[PRES_NOTE * 6 + 1], act[96] = "";
	const char *basic = in->state == PRES_OFFLINE ? "closed" : "open";
	int n;

	if (xml_doc_escape(entity, ent, sizeof(ent)) < 0 ||
	    xml_doc_escape(in->note, note, sizeof(note)) < 0)
		return -1;
	if (in->state == PRES_BUSY)
		snprintf(act, sizeof(act), "<rp:activities><rp:%s/></rp:activities>",
			 in_call ? "on-the-phone" : "busy");
	else if (in->state == PRES_AWAY)
		snprintf(act, sizeof(act), "<rp:activities><rp:away/></rp:activities>");
	n = snprintf(out, size,
		     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
		     "<presence xmlns=\"" NS_PIDF "\" "
		     "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
		     "xmlns:rp=\"" NS_RPID "\" entity=\"%s\">\r\n"
		     "<tuple id=\"ttyphone\"><status><basic>%s</basic></status>%s%s%s</tuple>\r\n"
		     "<dm:person id=\"me\">%s%s%s%s</dm:person>\r\n"
		     "</presence>\r\n",
		     ent, basic, note[0] ? "<note>" : "", note, note[0] ? "</note>" : "",
		     act, note[0] ? "<dm:note>" : "", note, note[0] ? "</dm:note>" : "");
	return n < 0 || (size_t)n >= size ? -1 : n;
}
