/* test_vcard.c: .vcf files as phones, mail programs and address books write them, and
 * what the import makes of them; garbage never crashes the reader. */
#include "vcard.h"
#include "unit.h"

#include <stdlib.h>

#define MAX_CARDS 16

struct got {
	struct vcard cards[MAX_CARDS];
	unsigned n;
	unsigned diags;
};

static void on_card(void *arg, const struct vcard *c)
{
	struct got *g = arg;

	if (g->n < MAX_CARDS)
		g->cards[g->n] = *c;
	g->n++;
}

static void on_diag(void *arg, const char *line)
{
	struct got *g = arg;

	(void)line;
	g->diags++;
}

static unsigned parse(const char *text, struct got *g)
{
	memset(g, 0, sizeof(*g));
	return vcard_parse(text, strlen(text), on_card, g, on_diag, g);
}

static void test_v3_card_with_types_escapes_and_sip(void)
{
	struct got g;
	const char *text =
		"BEGIN:VCARD\r\n"
		"VERSION:3.0\r\n"
		"N:Smith;Bob;;Dr.;\r\n"
		"FN:Bob Smith\\, Jr.\r\n"
		"ORG:ACME\\, Inc.;Sales\r\n"
		"TEL;TYPE=work,voice:+1 (555) 010-0200\r\n"
		"TEL;TYPE=FAX:+1 555 0100 999\r\n"
		"TEL;TYPE=cell,pref:+44 20 7946 0018\r\n"
		"item1.X-SIP:bob@sip.example.org\r\n"
		"IMPP;TYPE=work:sip:bob.smith@example.org\r\n"
		"IMPP:xmpp:bob@jabber.example.org\r\n"
		"END:VCARD\r\n";

	CHECK_INT(parse(text, &g), 1);
	CHECK_STR(g.cards[0].name, "Bob Smith, Jr.");
	CHECK_INT(g.cards[0].nuri, 4);
	/* SIP first (file order), then phone numbers, the preferred one first; no fax */
	CHECK_STR(g.cards[0].uri[0], "sip:bob@sip.example.org");
	CHECK_STR(g.cards[0].uri[1], "sip:bob.smith@example.org");
	CHECK_STR(g.cards[0].uri[2], "tel:+442079460018");
	CHECK_STR(g.cards[0].uri[3], "tel:+15550100200");
	CHECK(g.cards[0].ignored >= 1);
}

static void test_v4_card_with_tel_uris_pref_and_quoted_types(void)
{
	struct got g;
	const char *text =
		"BEGIN:VCARD\n"
		"VERSION:4.0\n"
		"FN:Carol Jones\n"
		"TEL;VALUE=uri;TYPE=\"voice,home\":tel:+1-555-555-5555;ext=5555\n"
		"TEL;VALUE=uri;PREF=1;TYPE=\"voice,work\":tel:+1-201-555-0123\n"
		"IMPP;PREF=1:SIP:carol@Example.COM\n"
		"URL:sips:carol@secure.example.com\n"
		"URL:https://example.com/carol\n"
		"END:VCARD\n";

	CHECK_INT(parse(text, &g), 1);
	CHECK_STR(g.cards[0].name, "Carol Jones");
	CHECK_INT(g.cards[0].nuri, 4);
	CHECK_STR(g.cards[0].uri[0], "sip:carol@Example.COM");
	CHECK_STR(g.cards[0].uri[1], "sips:carol@secure.example.com");
	CHECK_STR(g.cards[0].uri[2], "tel:+12015550123");
	CHECK_STR(g.cards[0].uri[3], "tel:+15555555555;ext=5555");
}

static void test_folded_lines_are_joined(void)
{
	struct got g;
	/* RFC 6350 3.2: a line break then one space or tab continues the line */
	const char *text =
		"BEGIN:VCARD\r\nVERSION:4.0\r\n"
		"FN:Alexandra Maria\r\n  von Longname-Wi\r\n\tth-Tabs\r\n"
		"IMPP:sip:alexandra.maria@\r\n example.org\r\n"
		"NOTE:This is a long note that goes on\r\n and on\r\n"
		"END:VCARD\r\n";

	CHECK_INT(parse(text, &g), 1);
	CHECK_STR(g.cards[0].name, "Alexandra Maria von Longname-With-Tabs");
	CHECK_INT(g.cards[0].nuri, 1);
	CHECK_STR(g.cards[0].uri[0], "sip:alexandra.maria@example.org");
}

static void test_v21_quoted_printable_with_charset_and_soft_breaks(void)
{
	struct got g;
	const char *text =
		"BEGIN:VCARD\r\n"
		"VERSION:2.1\r\n"
		"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen\r\n"
		"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BC=\r\n"
		"ller\r\n"
		"TEL;CELL;PREF:0171 1234567\r\n"
		"TEL;FAX:0171 7654321\r\n"
		"END:VCARD\r\n"
		"BEGIN:VCARD\r\n"
		"VERSION:2.1\r\n"
		"N;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Fran=E7ois;Ren=E9\r\n"
		"TEL;HOME;VOICE:+33 1 23 45 67 89\r\n"
		"END:VCARD\r\n";

	CHECK_INT(parse(text, &g), 2);
	CHECK_STR(g.cards[0].name, "J\xc3\xbcrgen M\xc3\xbcller");
	CHECK_INT(g.cards[0].nuri, 1);
	CHECK_STR(g.cards[0].uri[0], "tel:01711234567");
	/* no FN: the name comes from N ("given family"), converted from Latin-1 */
	CHECK_STR(g.cards[1].name, "Ren\xc3\xa9 Fran\xc3\xa7ois");
	CHECK_STR(g.cards[1].uri[0], "tel:+33123456789");
}

static void test_odd_encodings(void)
{
	struct got g;
	/* base64 (vCard 2.1/3.0), Latin-1 bytes with no charset, a BOM, lone CR line ends */
	const char *b64 =
		"\xef\xbb\xbf" "BEGIN:VCARD\rVERSION:3.0\r"
		"FN;ENCODING=b;CHARSET=UTF-8:w4VzYSDDlnN0ZXJiZXJn\r"
		"TEL:+46 8 123 456\r"
		"END:VCARD\r"
		"BEGIN:VCARD\nFN:Jos\xe9 Garc\xed" "a\nTEL:+34 91 123 45 67\nEND:VCARD\n";
	/* UTF-16LE with its BOM, as Outlook writes */
	static const char utf16[] =
		"\xff\xfe" "B\0E\0G\0I\0N\0:\0V\0C\0A\0R\0D\0\r\0\n\0"
		"F\0N\0:\0Z\0o\0\xeb\0\r\0\n\0"
		"T\0E\0L\0:\0" "1\0" "2\0" "3\0\r\0\n\0"
		"E\0N\0D\0:\0V\0C\0A\0R\0D\0\r\0\n\0";

	CHECK_INT(parse(b64, &g), 2);
	CHECK_STR(g.cards[0].name, "\xc3\x85sa \xc3\x96sterberg");
	CHECK_STR(g.cards[0].uri[0], "tel:+468123456");
	CHECK_STR(g.cards[1].name, "Jos\xc3\xa9 Garc\xc3\xad" "a");
	memset(&g, 0, sizeof(g));
	CHECK_INT(vcard_parse(utf16, sizeof(utf16) - 1, on_card, &g, on_diag, &g), 1);
	CHECK_STR(g.cards[0].name, "Zo\xc3\xab");
	CHECK_STR(g.cards[0].uri[0], "tel:123");
}

static void test_names_from_n_org_and_nickname(void)
{
	struct got g;
	const char *text =
		"BEGIN:VCARD\nN:Doe;Jane,Mary;;;\nTEL:1\nEND:VCARD\n"
		"BEGIN:VCARD\nORG:Front Desk\\; Lobby;Building 2\nTEL:2\nEND:VCARD\n"
		"BEGIN:VCARD\nNICKNAME:Jimbo,Jim\nTEL:3\nEND:VCARD\n"
		"BEGIN:VCARD\nTEL:4\nEND:VCARD\n";

	CHECK_INT(parse(text, &g), 4);
	CHECK_STR(g.cards[0].name, "Jane Mary Doe");
	CHECK_STR(g.cards[1].name, "Front Desk; Lobby");
	CHECK_STR(g.cards[2].name, "Jimbo");
	CHECK_STR(g.cards[3].name, "");
}

static void test_nested_agent_card_and_missing_end(void)
{
	struct got g;
	const char *text =
		"BEGIN:VCARD\nVERSION:2.1\nFN:Boss\nTEL:100\n"
		"AGENT:\nBEGIN:VCARD\nFN:Assistant\nTEL:200\nEND:VCARD\n"
		"TEL:101\nEND:VCARD\n"
		"BEGIN:VCARD\nFN:Unfinished\nTEL:300\n";

	CHECK_INT(parse(text, &g), 2);
	CHECK_STR(g.cards[0].name, "Boss");
	CHECK_INT(g.cards[0].nuri, 2);
	CHECK_STR(g.cards[0].uri[1], "tel:101");
	CHECK_STR(g.cards[1].name, "Unfinished");
	CHECK(g.diags >= 1);
}

static void test_unusable_addresses_are_left_out(void)
{
	struct got g;
	const char *text =
		"BEGIN:VCARD\nFN:Odd\n"
		"TEL:1-800-FLOWERS\n"
		"TEL:\n"
		"X-SIP:no-at-sign\n"
		"IMPP:sip:\"quoted\"@example.org\n"
		"TEL:555 0100 x 42\n"
		"END:VCARD\n";

	CHECK_INT(parse(text, &g), 1);
	CHECK_INT(g.cards[0].nuri, 1);
	CHECK_STR(g.cards[0].uri[0], "tel:5550100;ext=42");
}

/* Random bytes, cut cards, absurd lines: the reader must only ever return. */
static void test_garbage_never_crashes(void)
{
	static const char *const pieces[] = {
		"BEGIN:VCARD", "END:VCARD", "FN:", "N:;;;;;;;;", "TEL;", "=", "=\r\n", "\r", "\n",
		" ", "\t", ";", ":", "\\", "\\,", "\"", "ENCODING=QUOTED-PRINTABLE", "=C3",
		"=ZZ", "CHARSET=NOPE-42", "CHARSET=UTF-16", "ENCODING=B", "////", "\xff\xfe",
		"\xc3", "\xe2\x82", "IMPP:sip:", "X-SIP:", "item.", ".", "TYPE=\"", "\x00",
	};
	struct got g;
	char *buf = malloc(200000);
	unsigned seed = 12345;

	for (int round = 0; round < 3000; round++) {
		size_t len = 0, target = (size_t)(seed % 400);
		while (len < target) {
			seed = seed * 1103515245u + 12345u;
			if (seed >> 16 & 1) {
				const char *p = pieces[(seed >> 17) % (sizeof(pieces) / sizeof(pieces[0]))];
				size_t n = strlen(p);
				memcpy(buf + len, p, n);
				len += n ? n : 1;
				if (!n)
					buf[len - 1] = '\0';
			} else {
				buf[len++] = (char)(seed >> 20);
			}
		}
		memset(&g, 0, sizeof(g));
		vcard_parse(buf, len, on_card, &g, on_diag, &g);
		for (unsigned i = 0; i < g.n && i < MAX_CARDS; i++) {
			CHECK(strlen(g.cards[i].name) < VCARD_NAME);
			CHECK(g.cards[i].nuri <= VCARD_MAX_URIS);
		}
	}
	/* one enormous line (a photo) inside a card, and an odd-length UTF-16 file */
	{
		size_t n = 0;
		n += (size_t)sprintf(buf, "BEGIN:VCARD\nFN:Pic\nPHOTO;ENCODING=b:");
		memset(buf + n, 'A', 150000);
		n += 150000;
		n += (size_t)sprintf(buf + n, "\nTEL:9\nEND:VCARD\n");
		memset(&g, 0, sizeof(g));
		CHECK_INT(vcard_parse(buf, n, on_card, &g, on_diag, &g), 1);
		CHECK_STR(g.cards[0].uri[0], "tel:9");
		memset(&g, 0, sizeof(g));
		vcard_parse("\xff\xfe" "B\0E\0G", 7, on_card, &g, on_diag, &g);
		vcard_parse("", 0, on_card, &g, on_diag, &g);
	}
	free(buf);
}

static void test_import_merges_without_duplicates(void)
{
	struct contacts book;
	struct vcard_import_result r;
	char why[300];
	const struct contact *ct;
	const char *existing =
		"[contact bob]\nuri = sip:bob@example.org\n"
		"[contact Bob_Smith]\nuri = sip:other@example.org\n";
	const char *vcf =
		"BEGIN:VCARD\nFN:Bob Smith\nIMPP:sip:bob@EXAMPLE.ORG\nTEL:+1 555 0100\nEND:VCARD\n"
		"BEGIN:VCARD\nFN:Bob Smith\nIMPP:sip:bob.smith@example.org\nEND:VCARD\n"
		"BEGIN:VCARD\nFN:Echo\nTEL:1234\nEND:VCARD\n"
		"BEGIN:VCARD\nFN:Dup\nIMPP:sip:other@example.org\nEND:VCARD\n"
		"BEGIN:VCARD\nFN:Nobody\nEMAIL:nobody@example.org\nEND:VCARD\n"
		"BEGIN:VCARD\nFN:Semi ; colon [x]\nTEL:777\nEND:VCARD\n"
		"BEGIN:VCARD\nTEL:tel:+49301234\nEND:VCARD\n"
		"BEGIN:VCARD\nFN:Bob Smith\nIMPP:sip:bob.smith@example.org\nEND:VCARD\n";

	contacts_init(&book);
	CHECK_INT(contacts_load_string(&book, "contacts.ini", existing, NULL, NULL), 0);
	vcard_import(vcf, strlen(vcf), &book, &r, NULL, NULL);
	CHECK_INT(r.cards, 8);
	CHECK_INT(r.imported, 4);     /* Bob_Smith_2, Echo_2, Semi_colon_x, +49301234 */
	CHECK_INT(r.updated, 1);      /* bob got the phone number */
	CHECK_INT(r.duplicates, 2);   /* Dup, and the second bob.smith */
	CHECK_INT(r.unusable, 1);     /* Nobody */
	ct = contacts_find(&book, "bob");
	CHECK(ct && ct->nuri == 2 && !strcmp(ct->uri[1], "tel:+15550100"));
	ct = contacts_find(&book, "Bob_Smith_2");
	CHECK(ct && !strcmp(ct->uri[0], "sip:bob.smith@example.org"));
	CHECK(ct && !strcmp(ct->notes, "Bob Smith"));
	CHECK(contacts_find(&book, "Echo_2") != NULL);
	ct = contacts_find(&book, "Semi_colon_x");
	CHECK(ct != NULL);
	CHECK(contacts_find(&book, "+49301234") != NULL);
	for (unsigned i = 0; i < book.n; i++)
		CHECK_INT(contact_validate(&book.v[i], why, sizeof(why)), 0);
	contacts_free(&book);
}

static void test_import_saves_a_book_that_loads_back(void)
{
	char dir[] = "/tmp/test_vcard-XXXXXX", path[128], vcf[128], why[300];
	struct contacts book, again;
	struct vcard_import_result r;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/sub/contacts.ini", dir);
	snprintf(vcf, sizeof(vcf), "%s/in.vcf", dir);
	f = fopen(vcf, "w");
	fputs("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Z\xc3\xb6\x65 Q\r\nTEL;TYPE=CELL:+1 555 0199\r\n"
	      "X-SIP:zoe@example.org\r\nEND:VCARD\r\n", f);
	fclose(f);
	contacts_init(&book);
	CHECK_INT(contacts_load(&book, path, NULL, NULL), 0);
	CHECK_INT(vcard_import_file(vcf, &book, &r, NULL, NULL, why, sizeof(why)), 0);
	CHECK_INT(r.imported, 1);
	CHECK_INT(contacts_save(&book, why, sizeof(why)), 0);
	contacts_init(&again);
	CHECK_INT(contacts_load(&again, path, NULL, NULL), 0);
	CHECK_INT(again.n, 1);
	if (again.n) {
		CHECK_STR(again.v[0].name, "Z\xc3\xb6\x65_Q");
		CHECK_INT(again.v[0].nuri, 2);
		CHECK_STR(again.v[0].uri[0], "sip:zoe@example.org");
		CHECK_STR(again.v[0].notes, "Z\xc3\xb6\x65 Q");
	}
	CHECK(vcard_import_file("/nonexistent/x.vcf", &book, &r, NULL, NULL, why, sizeof(why)) < 0);
	CHECK(strstr(why, "cannot open") != NULL);
	contacts_free(&book);
	contacts_free(&again);
	{
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
}

int main(void)
{
	RUN(test_v3_card_with_types_escapes_and_sip);
	RUN(test_v4_card_with_tel_uris_pref_and_quoted_types);
	RUN(test_folded_lines_are_joined);
	RUN(test_v21_quoted_printable_with_charset_and_soft_breaks);
	RUN(test_odd_encodings);
	RUN(test_names_from_n_org_and_nickname);
	RUN(test_nested_agent_card_and_missing_end);
	RUN(test_unusable_addresses_are_left_out);
	RUN(test_garbage_never_crashes);
	RUN(test_import_merges_without_duplicates);
	RUN(test_import_saves_a_book_that_loads_back);
	return unit_done();
}
