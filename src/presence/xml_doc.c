/* xml_doc.c: expat with namespaces, for the event packages' bodies (xml_doc.h). */
#include "ttyconf.h"
#include "presence/xml_doc.h"

#include <expat.h>
#include <stdio.h>
#include <string.h>

#define NS_SEP '\x01'

struct xml_doc {
	XML_Parser p;
	xml_doc_start_fn *start;
	xml_doc_end_fn *end;
	void *arg;
	unsigned depth;
	char text[XML_DOC_TEXT];
	size_t tlen;
	char why[160];
};

static void stop(struct xml_doc *d, const char *why)
{
	if (!d->why[0])
		snprintf(d->why, sizeof(d->why), "%s", why);
	XML_StopParser(d->p, XML_FALSE);
}

/* "uri\x01local" -> ns "uri", name "local" (into the caller's buffers). */
static void split(const char *qname, char *ns, size_t nsz, char *name, size_t namesz)
{
	const char *sep = strchr(qname, NS_SEP);

	if (sep) {
		size_t n = (size_t)(sep - qname);

		snprintf(ns, nsz, "%.*s", (int)(n < nsz ? n : nsz - 1), qname);
		snprintf(name, namesz, "%s", sep + 1);
	} else {
		ns[0] = '\0';
		snprintf(name, namesz, "%s", qname);
	}
}

static void XMLCALL on_start(void *ud, const XML_Char *qname, const XML_Char **atts)
{
	struct xml_doc *d = ud;
	char ns[160], name[64];
	const char *attrs[2 * 16 + 1];
	char anames[16][64];
	unsigned n = 0;

	if (++d->depth > XML_DOC_DEPTH) {
		stop(d, "nested too deep");
		return;
	}
	d->tlen = 0;
	d->text[0] = '\0';
	split(qname, ns, sizeof(ns), name, sizeof(name));
	for (unsigned i = 0; atts[i] && atts[i + 1] && n < 16; i += 2) {
		char ans[160];

		split(atts[i], ans, sizeof(ans), anames[n], sizeof(anames[n]));
		attrs[2 * n] = anames[n];
		attrs[2 * n + 1] = atts[i + 1];
		n++;
	}
	attrs[2 * n] = NULL;
	if (d->start)
		d->start(d, d->arg, ns, name, attrs, d->depth);
}

static void XMLCALL on_end(void *ud, const XML_Char *qname)
{
	struct xml_doc *d = ud;
	char ns[160], name[64];
	char *t = d->text, *e;

	split(qname, ns, sizeof(ns), name, sizeof(name));
	while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')
		t++;
	e = t + strlen(t);
	while (e > t && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	if (d->end)
		d->end(d, d->arg, ns, name, t, d->depth);
	d->depth--;
	d->tlen = 0;
	d->text[0] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_doc *d = ud;
	size_t room = sizeof(d->text) - 1 - d->tlen, n = len > 0 ? (size_t)len : 0;

	if (n > room)
		n = room;            /* longer text is cut: a note is shown, not archived */
	memcpy(d->text + d->tlen, s, n);
	d->tlen += n;
	d->text[d->tlen] = '\0';
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal;
	stop(ud, "a DOCTYPE (entities are not taken)");
}

int xml_doc_parse(const char *body, size_t len, xml_doc_start_fn *start, xml_doc_end_fn *end,
		  void *arg, char *why, size_t whylen)
{
	struct xml_doc d;
	enum XML_Status st;
	int rc = 0;

	memset(&d, 0, sizeof(d));
	if (len > 65536) {
		snprintf(why, whylen, "the body is %zu bytes (more than 64 kB)", len);
		return -1;
	}
	d.p = XML_ParserCreateNS("UTF-8", NS_SEP);
	if (!d.p) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	d.start = start;
	d.end = end;
	d.arg = arg;
	XML_SetUserData(d.p, &d);
	XML_SetElementHandler(d.p, on_start, on_end);
	XML_SetCharacterDataHandler(d.p, on_text);
	XML_SetStartDoctypeDeclHandler(d.p, on_doctype);
	st = XML_Parse(d.p, body ? body : "", (int)len, XML_TRUE);
	if (st != XML_STATUS_OK || d.why[0]) {
		if (d.why[0])
			snprintf(why, whylen, "%s", d.why);
		else
			snprintf(why, whylen, "not XML: %s at line %lu",
				 XML_ErrorString(XML_GetErrorCode(d.p)),
				 (unsigned long)XML_GetCurrentLineNumber(d.p));
		rc = -1;
	}
	XML_ParserFree(d.p);
	return rc;
}

const char *xml_doc_attr(const char **attrs, const char *name)
{
	for (unsigned i = 0; attrs && attrs[i]; i += 2)
		if (!strcmp(attrs[i], name))
			return attrs[i + 1];
	return NULL;
}

int xml_doc_escape(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (; *s; s++) {
		const char *rep = NULL;
		char one[2] = { *s, 0 };
		size_t n;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default:
			/* control characters are not XML 1.0: a space */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				one[0] = ' ';
			rep = one;
			break;
		}
		n = strlen(rep);
		if (o + n >= size)
			return -1;
		memcpy(out + o, rep, n);
		o += n;
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return (int)o;
}
