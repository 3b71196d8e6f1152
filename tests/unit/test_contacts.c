/* test_contacts.c: contacts.ini parsing, validation, lookups and atomic saving. */
#include "contacts.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
				       "blf = yes\n"
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
	CHECK(c.v[0].blf);
	CHECK(!c.v[1].blf);
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
		 "just words\n"              /* 11 */
		 "[contact dave]\n"          /* 12 */
		 "uri = sip:d@x\n"           /* 13 */
		 "blf = sometimes\n",        /* 14 */
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
	CHECK(strstr(diags, "contacts.ini:14: blf must be yes or no") != NULL);
	CHECK_INT(c.n, 2);
	CHECK(!c.v[1].blf);
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
				     "tel:+1555 account=work blf=yes notes=  desk phone, 2nd floor  ",
				     why, sizeof(why)), 0);
	CHECK(ct.blf);
	CHECK_STR(ct.name, "bob");
	CHECK_INT(ct.nuri, 3);
	CHECK_STR(ct.uri[1], "sip:+1555@example.org");
	CHECK_STR(ct.uri[2], "tel:+1555");
	CHECK_STR(ct.account, "work");
	CHECK_STR(ct.notes, "desk phone, 2nd floor");
	contact_format_line(&ct, line, sizeof(line));
	CHECK_STR(line, "bob sip:bob@example.org, sip:+1555@example.org, tel:+1555 account=work "
		  "blf=yes notes=desk phone, 2nd floor");
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
	ct.blf = true;
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
	CHECK(back.v[1].blf);
	CHECK(!back.v[0].blf);
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

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fputs(text, f) >= 0);
	CHECK_INT(fclose(f), 0);
}

static struct contact make(const char *name, const char *uris)
{
	struct contact ct;
	char why[300];

	memset(&ct, 0, sizeof(ct));
	strcpy(ct.name, name);
	CHECK_INT(contact_set_uris(&ct, uris, why, sizeof(why)), 0);
	return ct;
}

/* The contacts filter of the UI: any case, in Latin, Greek and Cyrillic names, in notes
 * and URIs; what is not there is not found. */
static void test_filter_matches_any_case_in_any_script(void)
{
	struct contact j = make("Jürgen_Müller", "sip:juergen@example.de");
	struct contact e = make("Ελένη", "sip:eleni@example.gr");
	struct contact d = make("Дмитрий", "tel:+74951234567");

	strcpy(j.notes, "Café am Eck");
	CHECK(contact_matches(&j, "JÜRGEN"));
	CHECK(contact_matches(&j, "müller"));
	CHECK(contact_matches(&j, "CAFÉ"));
	CHECK(contact_matches(&j, "EXAMPLE.DE"));
	CHECK(contact_matches(&j, ""));
	CHECK(!contact_matches(&j, "jurgen"));  /* ü is not u */
	CHECK(contact_matches(&e, "ΕΛΈΝΗ"));
	CHECK(contact_matches(&e, "λέν"));
	CHECK(contact_matches(&d, "дмит"));
	CHECK(contact_matches(&d, "ДМИТРИЙ"));
	CHECK(contact_matches(&d, "+7495"));
	CHECK(!contact_matches(&d, "Ελ"));
}

/* A line the loader skips would vanish on the next save: changes are refused, naming it,
 * and the file keeps every byte until the person fixes it. */
static void test_a_bad_line_is_never_dropped_by_a_change(void)
{
	char dir[] = "/tmp/test_contacts.XXXXXX", path[256], why[300], text[512];
	const char *book = "[contact alice]\nuri = sip:alice@example.org\ncolour = red\n";
	struct contacts c;
	struct contact ct;
	FILE *f;
	size_t n;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/contacts.ini", dir);
	spit(path, book);
	contacts_init(&c);
	CHECK_INT(contacts_load(&c, path, NULL, NULL), 0);
	CHECK_INT(c.n, 1);
	ct = make("bob", "sip:bob@example.org");
	CHECK_INT(contacts_update(&c, CONTACTS_ADD, NULL, &ct, why, sizeof(why)), -1);
	CHECK(strstr(why, "fix contacts.ini:3 first (saving now would drop it): unknown key") ==
	      why);
	CHECK_INT(contacts_update(&c, CONTACTS_DELETE, "alice", NULL, why, sizeof(why)), -1);
	f = fopen(path, "r");
	CHECK(f != NULL);
	n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	CHECK_STR(text, book);
	/* fixed: the change goes through */
	spit(path, "[contact alice]\nuri = sip:alice@example.org\n");
	CHECK_INT(contacts_update(&c, CONTACTS_ADD, NULL, &ct, why, sizeof(why)), 1);
	CHECK_INT(c.n, 2);
	contacts_free(&c);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.contacts.ini.lock", dir);
	unlink(path);
	CHECK_INT(rmdir(dir), 0);
}

/* Two books read from one file (two ttyphones): each change is made to the file as it is
 * then, not to the reader's stale picture, and the reader gets the merged list back. */
static void test_changes_keep_what_others_saved(void)
{
	char dir[] = "/tmp/test_contacts.XXXXXX", path[256], why[300];
	struct contacts a, b, back;
	struct contact ct;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/contacts.ini", dir);
	spit(path, "[contact alice]\nuri = sip:alice@example.org\n"
		   "[contact bob]\nuri = sip:bob@example.org\n");
	contacts_init(&a);
	contacts_init(&b);
	CHECK_INT(contacts_load(&a, path, NULL, NULL), 0);
	CHECK_INT(contacts_load(&b, path, NULL, NULL), 0);
	ct = make("carol", "sip:carol@example.org");
	CHECK_INT(contacts_update(&b, CONTACTS_ADD, NULL, &ct, why, sizeof(why)), 1);
	CHECK_INT(contacts_update(&b, CONTACTS_DELETE, "bob", NULL, why, sizeof(why)), 1);
	/* a still believes in bob and knows no carol */
	CHECK_INT(a.n, 2);
	ct = make("dave", "sip:dave@example.org");
	CHECK_INT(contacts_update(&a, CONTACTS_ADD, NULL, &ct, why, sizeof(why)), 1);
	CHECK_INT(a.n, 3);
	CHECK(contacts_find(&a, "carol") != NULL);
	CHECK(contacts_find(&a, "bob") == NULL);
	/* a change to a contact a never saw; and bob, deleted by b, is simply gone */
	ct = make("caroline", "sip:carol@example.org");
	CHECK_INT(contacts_update(&a, CONTACTS_EDIT, "carol", &ct, why, sizeof(why)), 1);
	CHECK_INT(contacts_update(&a, CONTACTS_DELETE, "bob", NULL, why, sizeof(why)), 0);
	ct = make("bobby", "sip:bob@example.org");
	CHECK_INT(contacts_update(&b, CONTACTS_EDIT, "bob", &ct, why, sizeof(why)), -1);
	CHECK(strstr(why, "no contact called \"bob\"") != NULL);
	/* a refused change leaves the file and the list as they were */
	ct = make("alice", "sip:other@example.org");
	CHECK_INT(contacts_update(&b, CONTACTS_ADD, NULL, &ct, why, sizeof(why)), -1);
	CHECK(strstr(why, "already") != NULL);
	contacts_init(&back);
	CHECK_INT(contacts_load(&back, path, NULL, NULL), 0);
	CHECK_INT(back.n, 3);
	CHECK_STR(back.v[0].name, "alice");
	CHECK_STR(back.v[1].name, "caroline");
	CHECK_STR(back.v[2].name, "dave");
	contacts_free(&a);
	contacts_free(&b);
	contacts_free(&back);
	{
		/* only the lock is left beside the file, hidden */
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s | tr '\\n' ' ')\" = "
			 "'.contacts.ini.lock contacts.ini '", dir);
		CHECK_INT(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_INT(system(cmd), 0);
	}
}

/* Many programs changing the book at once, each from its own stale picture (ttyphones,
 * --import-vcard): without the lock each saves its own list and the last rename drops
 * the others' changes. Every round starts WRITERS processes together: each adds one
 * contact; one of them also edits and one deletes a contact that was there. */
#define WRITERS 12
static void test_concurrent_changes_lose_nothing(void)
{
	char dir[] = "/tmp/test_contacts.XXXXXX", path[256], why[300];
	int lost = 0, failed = 0;

	CHECK(mkdtemp(dir) != NULL);
	for (int round = 0; round < 10; round++) {
		pid_t pids[WRITERS];
		int gate[2];
		struct contacts back;

		snprintf(path, sizeof(path), "%s/r%d/contacts.ini", dir, round);
		if (round == 0) {
			/* the first round also creates the folder and the file */
		} else {
			char d[256];
			snprintf(d, sizeof(d), "%s/r%d", dir, round);
			CHECK_INT(mkdir(d, 0700), 0);
			spit(path, "[contact old]\nuri = sip:old@example.org\n"
				   "[contact gone]\nuri = sip:gone@example.org\n");
		}
		CHECK_INT(pipe(gate), 0);
		for (int i = 0; i < WRITERS; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct contacts mine;
				struct contact ct;
				char name[16], uri[64], go;
				int rc;

				close(gate[1]);
				contacts_init(&mine);
				if (contacts_load(&mine, path, NULL, NULL) < 0)
					_exit(2);
				/* everyone has read the file before anyone writes */
				if (read(gate[0], &go, 1) < 0)
					_exit(2);
				snprintf(name, sizeof(name), "p%d", i);
				snprintf(uri, sizeof(uri), "sip:p%d@race.example", i);
				ct = make(name, uri);
				rc = contacts_update(&mine, CONTACTS_ADD, NULL, &ct, why, sizeof(why));
				if (rc == 1 && round && i == 1) {
					ct = make("renamed", "sip:old@example.org");
					rc = contacts_update(&mine, CONTACTS_EDIT, "old", &ct, why,
							     sizeof(why));
				}
				if (rc == 1 && round && i == 2)
					rc = contacts_update(&mine, CONTACTS_DELETE, "gone", NULL, why,
							     sizeof(why));
				_exit(rc == 1 ? 0 : 1);
			}
		}
		close(gate[0]);
		close(gate[1]); /* opens the gate */
		for (int i = 0; i < WRITERS; i++) {
			int st = 0;
			if (pids[i] > 0 && waitpid(pids[i], &st, 0) == pids[i] &&
			    (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
				failed++;
		}
		contacts_init(&back);
		diags[0] = '\0';
		CHECK_INT(contacts_load(&back, path, collect, NULL), 0);
		CHECK_STR(diags, "");
		for (int i = 0; i < WRITERS; i++) {
			char name[16];
			snprintf(name, sizeof(name), "p%d", i);
			lost += contacts_find(&back, name) == NULL;
		}
		if (round) {
			lost += contacts_find(&back, "renamed") == NULL;
			lost += contacts_find(&back, "old") != NULL;
			lost += contacts_find(&back, "gone") != NULL;
		}
		CHECK_INT(back.n, WRITERS + (round ? 1 : 0));
		contacts_free(&back);
	}
	if (lost || failed)
		fprintf(stderr, "  %d changes lost, %d changes failed in 10 rounds of %d\n", lost,
			failed, WRITERS);
	CHECK_INT(lost, 0);
	CHECK_INT(failed, 0);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_INT(system(cmd), 0);
	}
}

/* What the UI compares before each redraw: an edit by hand, a new file, a removed one are
 * changes; the book's own save is not. */
static void test_changes_on_disk_are_noticed(void)
{
	char dir[] = "/tmp/test_contacts.XXXXXX", path[256], why[300];
	struct contacts c;
	struct contact ct;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/contacts.ini", dir);
	contacts_init(&c);
	CHECK_INT(contacts_load(&c, path, NULL, NULL), 0);
	CHECK(!contacts_changed_on_disk(&c));
	spit(path, "[contact alice]\nuri = sip:alice@example.org\n");
	CHECK(contacts_changed_on_disk(&c));
	CHECK_INT(contacts_load(&c, path, NULL, NULL), 0);
	CHECK(!contacts_changed_on_disk(&c));
	ct = make("bob", "sip:bob@example.org");
	CHECK_INT(contacts_update(&c, CONTACTS_ADD, NULL, &ct, why, sizeof(why)), 1);
	CHECK(!contacts_changed_on_disk(&c));
	/* the same size written in place is still seen (the modification time) */
	{
		struct timespec pause = { 0, 20 * 1000000L };
		FILE *f;
		nanosleep(&pause, NULL);
		f = fopen(path, "r+");
		CHECK(f != NULL);
		if (f) {
			CHECK_INT(fputs("#", f) >= 0, 1);
			CHECK_INT(fclose(f), 0);
		}
	}
	CHECK(contacts_changed_on_disk(&c));
	CHECK_INT(contacts_load(&c, path, NULL, NULL), 0);
	CHECK_INT(unlink(path), 0);
	CHECK(contacts_changed_on_disk(&c));
	contacts_free(&c);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_INT(system(cmd), 0);
	}
}

/* An address book kept in a dotfiles repository: saving writes where the link points and
 * the link stays a link. */
static void test_a_symlink_stays_a_symlink(void)
{
	char dir[] = "/tmp/test_contacts.XXXXXX", real[256], link[256], why[300];
	struct contacts c;
	struct contact ct;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(real, sizeof(real), "%s/real.ini", dir);
	snprintf(link, sizeof(link), "%s/contacts.ini", dir);
	spit(real, "[contact alice]\nuri = sip:alice@example.org\n");
	CHECK_INT(symlink("real.ini", link), 0);
	contacts_init(&c);
	CHECK_INT(contacts_load(&c, link, NULL, NULL), 0);
	ct = make("bob", "sip:bob@example.org");
	CHECK_INT(contacts_update(&c, CONTACTS_ADD, NULL, &ct, why, sizeof(why)), 1);
	CHECK_INT(lstat(link, &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK(!contacts_changed_on_disk(&c));
	contacts_free(&c);
	contacts_init(&c);
	CHECK_INT(contacts_load(&c, real, NULL, NULL), 0);
	CHECK_INT(c.n, 2);
	contacts_free(&c);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_INT(system(cmd), 0);
	}
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
	RUN(test_filter_matches_any_case_in_any_script);
	RUN(test_changes_keep_what_others_saved);
	RUN(test_a_bad_line_is_never_dropped_by_a_change);
	RUN(test_concurrent_changes_lose_nothing);
	RUN(test_changes_on_disk_are_noticed);
	RUN(test_a_symlink_stays_a_symlink);
	return unit_done();
}
