/* pidf.h: presence documents (RFC 3863 PIDF, with RFC 4480 RPID activities and notes),
 * read from a NOTIFY and written for our PUBLISH, as the state a contact list shows:
 * online, away, busy, offline (and unknown before anything is known). Pure functions,
 * any thread; fuzzed (tests/fuzz/fuzz_presence.c) and unit-tested (test_presence.c). */
#ifndef TTY_PIDF_H
#define TTY_PIDF_H

#include <stdbool.h>
#include <stddef.h>

enum pres_state { PRES_UNKNOWN = 0, PRES_ONLINE, PRES_AWAY, PRES_BUSY, PRES_OFFLINE };

#define PRES_NOTE 128

struct pres_info {
	enum pres_state state;
	char note[PRES_NOTE];      /* the first <note> (a person's before a tuple's), UTF-8 */
};

/* "online", "away", "busy", "offline", "unknown". */
const char *pres_state_name(enum pres_state s);
/* The state named (as above; "open"/"available" for online, "closed"/"invisible" for
 * offline, "dnd" for busy), or -1. */
int pres_state_parse(const char *name);

/* Read a PIDF document. An empty body is offline (a presence server with no publication
 * for the entity: RFC 3856 section 6.6.2). 0, or -1 with why (not XML, not PIDF);
 * out is then PRES_UNKNOWN. */
int pidf_parse(const char *body, size_t len, struct pres_info *out, char *why, size_t whylen);

/* Our state as PIDF for entity (a SIP URI): basic open (closed for offline), an RPID
 * activity for away and busy (on-the-phone when in_call), the note escaped. The length,
 * or -1 if out is too small. */
int pidf_write(const char *entity, const struct pres_info *in, bool in_call, char *out,
	       size_t size);

#endif
