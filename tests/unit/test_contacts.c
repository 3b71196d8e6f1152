/* test_contacts.c: contacts.ini parsing, validation, lookups and atomic saving. */
#include "contacts.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char diags[4096];

static void collect(void *arg, const char *line)
{
	(void)arg;
	strncat(diags, line, sizeof(diags) - strlen(diags) - 2);
	strcat(diags, "\n");
}

static void test_loads_contacts_with_several_uris(void)
{
	struct contacts c;

	contacts_init(&c);
	diags[0] = '\0';
	CHECK_INT(contacts_load_string(&c, "contacts.ini",
				       "# my people\n"
				       "[contact bob]\n"
				       "uri = sip:bob@example.org, sips:bob@example.org;transport=tls\n"
				       "account = work\n"
				       "notes = desk phone\n"
				       "\n"
				       "[contact carol]\n"
				       "uri = sip:carol@example.org\n"
				       "uri = tel:+15550100\n", collect, NULL), 0);
	CHECK_STR(diags, "");
	CHECK_INT(c.n, 2);
	CHECK_STR(c.v[0].name, "bob");
	CHECK_INT(c.v[0].nuri, 2);
	CHECK_STR(c.v[0].uri[1], "sips:bob@example.org;transport=tls");
	CHECK_STR(c.v[0].account, "work");
	CHECK_STR(c.v[0].notes, "desk phone");
	CHECK_INT(c.v[1].nuri, 2);
	CHECK_STR(c.v[1].uri[1], "tel:+15550100");
	contacts_free(&c);
}

static void test_reports_bad_lines_with_line_numbers(void)
{
	struct contacts c;
	char longline[400];

	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "notes = ", 8);
	longline[300] = '\0';
	char text[1024];
	snprintf(text, sizeof(text),
		 "[contact bob]\n"           /* 1 */
		 "uri = http://bob\n"        /* 2: bad scheme */
		 "colour = blue\n"           /* 3: unknown key */
		 "%s\n"                      /* 4: too long */
		 "[contact bob]\n"           /* 5: no uri (the first bob) */
		 "uri = sip:b@x\n"           /* 6 */
		 "[contact bob]\n"           /* 7: twice */
		 "uri = sip:b2@x\n"          /* 8: inside an ignored section: silent */
		 "[phonebook]\n"             /* 9 */
		 "[contact echo]\n"          /* 10: reserved */
		 "just words\n",             /* 11 */
		 longline);
	contacts_init(&c);
	diags[0] = '\0';
	contacts_load_string(&c, "contacts.ini", text, collect, NULL);
	CHECK(strstr(diags, "contacts.ini:2: URI must start with sip:") != NULL);
	CHECK(strstr(diags, "contacts.ini:3: unknown key \"colour\"") != NULL);
	CHECK(strstr(diags, "contacts.ini:4: line too long") != NULL);
	CHECK(strstr(diags, "contacts.ini:1: contact \"bob\" has no uri") != NULL);
	CHECK(strstr(diags, "contacts.ini:7: contact \"bob\" defined twice") != NULL);
	CHECK(strstr(diags, "contacts.ini:9: unknown section [phonebook]") != NULL);
	CHECK(strstr(diags, "contacts.ini:10: \"echo\" is the built-in") != NULL);
	CHECK(strstr(diags, "contacts.ini:11: expected \"key = value\"") != NULL);
	CHECK_INT(c.n, 1);
	CHECK_STR(c.v[0].uri[0], "sip:b@x");
	contacts_free(&c);
}

static void test_validation_keeps_what_inih_could_not_read_back(void)
{
	struct contact ct;
	char why[300];

	memset(&ct, 0, sizeof(ct));
	strcpy(ct.name, "dave");
	CHECK_INT(contact_set_uris(&ct, "sip:dave@x, sip:d2@y", why, sizeof(why)), 0);
	CHECK_INT(ct.nuri, 2);
	CHECK_INT(contact_validate(&ct, why, sizeof(why)), 0);
	strcpy(ct.notes, "call after 5 ; not before");
	CHECK_INT(contact_validate(&ct, why, sizeof(why)), -1);
	CHECK(strstr(why, "comment") != NULL);
	strcpy(ct.notes, "ok;fine");
	CHECK_INT(contact_validate(&ct, why, sizeof(why)), 0);
	strcpy(ct.name, "dave smith");
	CHECK_INT(contact_validate(&ct, why, sizeof(why)), -1);
	strcpy(ct.name, "d[1]");
	CHECK_INT(contact_validate(&ct, why, sizeof(why)), -1);
	strcpy(ct.name, "dave");
	CHECK_INT(contact_set_uris(&ct, "sip:a b@x", why, sizeof(why)), -1);
	CHECK_INT(contact_set_uris(&ct, "  ,  ", why, sizeof(why)), -1);
	CHECK_INT(ct.nuri, 2); /* a failed set leaves the contact as it was */
	strcpy(ct.notes, "bell\x07");
	CHECK_INT(contact_validate(&ct, why, sizeof(why)), -1);
}

static void test_add_edit_remove_and_lookups(void)
{
	struct contacts c;
	struct contact ct;
	char why[300];

	contacts_init(&c);
	memset(&ct, 0, sizeof(ct));
	strcpy(ct.name, "Alice");
	contact_set_uris(&ct, "sip:alice@Example.ORG;transport=tcp", why, sizeof(why));
	CHECK_INT(contacts_add(&c, &ct, why, sizeof(why)), 0);
	CHECK_INT(contacts_add(&c, &ct, why, sizeof(why)), -1); /* same name twice */
	CHECK(contacts_find(&c, "alice") != NULL);
	CHECK_STR(contacts_resolve(&c, "ALICE"), "sip:alice@Example.ORG;transport=tcp");
	CHECK(contacts_resolve(&c, "nobody") == NULL);
	CHECK(contacts_find_uri(&c, "\"Al\" <sip:alice@example.org>;tag=1") != NULL);
	CHECK(contacts_find_uri(&c, "sip:ALICE@example.org") == NULL); /* user part is exact */
	strcpy(ct.name, "al");
	CHECK_INT(contacts_edit(&c, "alice", &ct, why, sizeof(why)), 0);
	CHECK(contacts_find(&c, "alice") == NULL);
	CHECK(contacts_find(&c, "al") != NULL);
	CHECK_INT(contacts_remove(&c, "al"), 0);
	CHECK_INT(contacts_remove(&c, "al"), -1);
	CHECK_INT(c.n, 0);
	contacts_free(&c);
}

/* The TUI's add/edit prompt: one line in, the same line out; a bad line changes nothing. */
static void test_one_line_form_parses_and_formats_back(void)
{
	struct contact ct, back;
	char why[300], line[CONTACT_LINE];

	memset(&ct, 0, sizeof(ct));
	CHECK_INT(contact_parse_line(&ct, "  bob sip:bob@example.org,sip:+1555@example.org "
				     "tel:+1555 account=work notes=  desk phone, 2nd floor  ",
				     why, sizeof(why)), 0);
	CHECK_STR(ct.name, "bob");
	CHECK_INT(ct.nuri, 3);
	CHECK_STR(ct.uri[1], "sip:+1555@example.org");
	CHECK_STR(ct.uri[2], "tel:+1555");
	CHECK_STR(ct.account, "work");
	CHECK_STR(ct.notes, "desk phone, 2nd floor");
	contact_format_line(&ct, line, sizeof(line));
	CHECK_STR(line, "bob sip:bob@example.org, sip:+1555@example.org, tel:+1555 account=work "
		  "notes=desk phone, 2nd floor");
	memset(&back, 0, sizeof(back));
	CHECK_INT(contact_parse_line(&back, line, why, sizeof(why)), 0);
	CHECK(!memcmp(&back, &ct, sizeof(ct)));

	/* each kind of mistake, and ct untouched by all of them */
	CHECK_INT(contact_parse_line(&ct, "", why, sizeof(why)), -1);
	CHECK_INT(contact_parse_line(&ct, "carol", why, sizeof(why)), -1);
	CHECK(strstr(why, "URI") != NULL);
	CHECK_INT(contact_parse_line(&ct, "carol http://x", why, sizeof(why)), -1);
	CHECK(strstr(why, "sip:") != NULL);
	CHECK_INT(contact_parse_line(&ct, "echo sip:e@x", why, sizeof(why)), -1);
	CHECK_INT(contact_parse_line(&ct, "d[1] sip:d@x", why, sizeof(why)), -1);
	CHECK_INT(contact_parse_line(&ct, "carol sip:c@x notes=a ;b", why, sizeof(why)), -1);
	CHECK_INT(contact_parse_line(&ct, "carol sip:1@x sip:2@x sip:3@x sip:4@x sip:5@x", why,
				     sizeof(why)), -1);
	CHECK_STR(ct.name, "bob");
	CHECK_INT(ct.nuri, 3);
}

static void test_save_is_atomic_and_round_trips(void)
{
	char dir[] = "/tmp/test_contacts.XXXXXX", path[256], why[300];
	struct contacts c, back;
	struct contact ct;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	/* A directory that does not exist yet: saving creates it. */
	snprintf(path, sizeof(path), "%s/ttyphone/contacts.ini", dir);
	contacts_init(&c);
	CHECK_INT(contacts_load(&c, path, collect, NULL), 0); /* missing: empty, not an error */
	memset(&ct, 0, sizeof(ct));
	strcpy(ct.name, "long");
	/* Four long URIs cannot share one 200-byte line: they are split over "uri" lines. */
	for (int i = 0; i < 4; i++) {
		memset(ct.uri[i], 'a' + i, CONTACT_URI - 1);
		memcpy(ct.uri[i], "sip:", 4);
		ct.uri[i][CONTACT_URI - 1] = '\0';
	}
	ct.nuri = 4;
	strcpy(ct.notes, "x");
	CHECK_INT(contacts_add(&c, &ct, why, sizeof(why)), 0);
	memset(&ct, 0, sizeof(ct));
	strcpy(ct.name, "short");
	contact_set_uris(&ct, "sip:s@h, sip:t@h", why, sizeof(why));
	strcpy(ct.account, "work");
	CHECK_INT(contacts_add(&c, &ct, why, sizeof(why)), 0);
	CHECK_INT(contacts_save(&c, why, sizeof(why)), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	contacts_init(&back);
	diags[0] = '\0';
	CHECK_INT(contacts_load(&back, path, collect, NULL), 0);
	CHECK_STR(diags, "");
	CHECK_INT(back.n, 2);
	CHECK_INT(back.v[0].nuri, 4);
	CHECK_STR(back.v[0].uri[3], c.v[0].uri[3]);
	CHECK_STR(back.v[1].uri[1], "sip:t@h");
	CHECK_STR(back.v[1].account, "work");
	{
		/* no temporary file left behind */
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "test $(ls -A %s/ttyphone | wc -l) -eq 1", dir);
		CHECK_INT(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_INT(system(cmd), 0);
	}
	contacts_free(&c);
	contacts_free(&back);
}

static void test_unreadable_file_is_never_overwritten(void)
{
	char dir[] = "/tmp/test_contacts.XXXXXX", path[256], why[300];
	struct contacts c;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/contacts.ini", dir);
	CHECK_INT(mkdir(path, 0700), 0); /* a directory where the file should be */
	contacts_init(&c);
	CHECK_INT(contacts_load(&c, path, NULL, NULL), -1);
	CHECK_INT(contacts_save(&c, why, sizeof(why)), -1);
	CHECK(strstr(why, "not overwritten") != NULL);
	rmdir(path);
	rmdir(dir);
	contacts_free(&c);
}

/* The example shipped in config/ loads without a complaint (run by make check, which
 * tells us where the sources are). */
static void test_shipped_example_is_valid(void)
{
	const char *src = getenv("TTY_SRCDIR");
	char path[1024];
	struct contacts c;

	if (!src)
		return;
	snprintf(path, sizeof(path), "%s/config/contacts.ini.example", src);
	contacts_init(&c);
	diags[0] = '\0';
	CHECK_INT(contacts_load(&c, path, collect, NULL), 0);
	CHECK_STR(diags, "");
	CHECK(c.n >= 1);
	contacts_free(&c);
}

int main(void)
{
	RUN(test_loads_contacts_with_several_uris);
	RUN(test_reports_bad_lines_with_line_numbers);
	RUN(test_validation_keeps_what_inih_could_not_read_back);
	RUN(test_add_edit_remove_and_lookups);
	RUN(test_one_line_form_parses_and_formats_back);
	RUN(test_save_is_atomic_and_round_trips);
	RUN(test_unreadable_file_is_never_overwritten);
	RUN(test_shipped_example_is_valid);
	return unit_done();
}
