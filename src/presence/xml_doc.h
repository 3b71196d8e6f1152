/* xml_doc.h: the small part of XML reading the event packages share (PIDF, dialog-info):
 * expat with namespace processing, elements seen by namespace and local name, the text of
 * the current element collected up to a bound, a depth limit, and one why on failure.
 * Expat because these bodies come from anyone on the network: a streaming parser with no
 * DOM, no external entities (they are never loaded) and a small footprint (libxml2 would
 * bring ICU in). */
#ifndef TTY_XML_DOC_H
#define TTY_XML_DOC_H

#include <stdbool.h>
#include <stddef.h>

#define XML_DOC_TEXT 256
#define XML_DOC_DEPTH 24

struct xml_doc;
/* ns: the element's namespace URI ("" without one); name: its local name; attrs: pairs
 * of (local name, value), NULL-terminated. depth: 1 for the root. */
typedef void (xml_doc_start_fn)(struct xml_doc *d, void *arg, const char *ns,
				const char *name, const char **attrs, unsigned depth);
/* text: the element's own character data, trimmed, at most XML_DOC_TEXT-1 bytes. */
typedef void (xml_doc_end_fn)(struct xml_doc *d, void *arg, const char *ns, const char *name,
			      const char *text, unsigned depth);

/* Parse body, calling start and end for each element. 0, or -1 with why (malformed,
 * deeper than XML_DOC_DEPTH, a DOCTYPE: entity expansion is refused outright). */
int xml_doc_parse(const char *body, size_t len, xml_doc_start_fn *start, xml_doc_end_fn *end,
		  void *arg, char *why, size_t whylen);
/* The value of attribute name in attrs, or NULL. */
const char *xml_doc_attr(const char **attrs, const char *name);
/* Write s into out with &, <, >, " and ' escaped; the length, or -1 if out is too small. */
int xml_doc_escape(const char *s, char *out, size_t size);

#endif
