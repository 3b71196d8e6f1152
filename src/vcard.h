/* vcard.h: reading address books exported as .vcf (vCard 2.1, 3.0 and 4.0) for
 * `ttyphone --import-vcard`. Only what a phone needs comes out of a card: a name (FN, else
 * N, ORG or NICKNAME) and the addresses one can call (sip:/sips: from IMPP, X-SIP and URL;
 * tel: from TEL). The parser takes whatever it is given: folded lines, quoted-printable,
 * base64, CHARSET=, UTF-16 and byte-order marks, CRLF/LF/CR, escapes; a garbled line is
 * skipped, never fatal. No curses, no allocation per card. */
#ifndef TTY_VCARD_H
#define TTY_VCARD_H

#include <stdbool.h>
#include <stddef.h>
#include "contacts.h"

#define VCARD_NAME 256
#define VCARD_MAX_URIS 8

struct vcard {
	char name[VCARD_NAME];             /* UTF-8, may hold spaces; "" if the card has none */
	char uri[VCARD_MAX_URIS][CONTACT_URI]; /* SIP first, then phone numbers; preferred first */
	unsigned nuri;
	unsigned ignored;                  /* addresses left out (fax, unusable, too many) */
	int line;                          /* line of its BEGIN:VCARD */
};

/* One card, as soon as its END:VCARD is read. */
typedef void (vcard_card_fn)(void *arg, const struct vcard *card);
/* A problem a person may want to know about, already "LINE: text". */
typedef void (vcard_diag_fn)(void *arg, const char *line);

/* Parse a whole .vcf held in memory. Returns the number of cards. */
unsigned vcard_parse(const char *data, size_t len, vcard_card_fn *fn, void *arg,
		     vcard_diag_fn *diag, void *darg);

struct vcard_import_result {
	unsigned cards;       /* cards read */
	unsigned imported;    /* new contacts */
	unsigned updated;     /* existing contacts that got new addresses */
	unsigned duplicates;  /* every address already in the book: skipped */
	unsigned unusable;    /* no address to call, or refused by the book: skipped */
};

/* Merge the cards of data into c (not saved): a card none of whose addresses is known
 * becomes a contact (its name made a command-line word: "Bob Smith" -> "Bob_Smith", unique;
 * the full name goes to notes); a card sharing an address with a contact adds its other
 * addresses to it; a card whose addresses are all known is a duplicate. */
void vcard_import(const char *data, size_t len, struct contacts *c,
		  struct vcard_import_result *res, vcard_diag_fn *diag, void *darg);
/* The same from a file (at most 64 MB). -1 with why if it cannot be read. */
int vcard_import_file(const char *path, struct contacts *c, struct vcard_import_result *res,
		      vcard_diag_fn *diag, void *darg, char *why, size_t whylen);

#endif
