/* fuzz_contacts.c: a contacts.ini as a person (or another program) might leave it.
 *
 * The input is the file's text, loaded with contacts_load_string. contacts.h promises
 * that what is loaded is valid, and that whatever we save loads back the same: so every
 * loaded contact must pass contact_validate, be found by its name and by each of its URIs,
 * and the list saved with contacts_save (to a scratch file on tmpfs when there is one) and
 * loaded again must be the same list. The UI's one-line form must round-trip too: each
 * loaded contact formatted and parsed back is the same contact, and the raw input, when it
 * parses as a line, gives a valid contact that formats and parses back to itself. */
#include "fuzz.h"
#include "contacts.h"

#include <unistd.h>

static char path[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/ttyphone-fuzz-contacts-%ld.ini", dir ? dir : "/tmp",
		 (long)getpid());
	return 0;
}

static void quiet(void *arg, const char *line)
{
	(void)arg;
	FUZZ_ASSERT(strlen(line) < 4096);
}

static bool same(const struct contact *a, const struct contact *b)
{
	if (strcmp(a->name, b->name) || a->nuri != b->nuri || strcmp(a->account, b->account) ||
	    strcmp(a->notes, b->notes))
		return false;
	for (unsigned i = 0; i < a->nuri; i++)
		if (strcmp(a->uri[i], b->uri[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct contacts c, back;
	char *text = fuzz_cstr(data, size);
	char why[300];

	contacts_init(&c);
	contacts_init(&back);
	(void)contacts_load_string(&c, "contacts.ini", text, quiet, NULL);
	FUZZ_ASSERT(c.n <= CONTACTS_MAX && c.n <= c.cap);
	for (unsigned i = 0; i < c.n; i++) {
		const struct contact *ct = &c.v[i];
		char key[CONTACT_URI];

		if (contact_validate(ct, why, sizeof(why)) != 0) {
			fprintf(stderr, "loaded contact %u does not validate: %s\n", i, why);
			abort();
		}
		FUZZ_ASSERT(ct->nuri >= 1 && ct->nuri <= CONTACT_MAX_URIS);
		FUZZ_ASSERT(contacts_find(&c, ct->name) == ct);
		FUZZ_ASSERT(contacts_resolve(&c, ct->name) == ct->uri[0]);
		{
			char line[CONTACT_LINE];
			struct contact again;

			contact_format_line(ct, line, sizeof(line));
			if (contact_parse_line(&again, line, why, sizeof(why)) != 0 ||
			    !same(ct, &again)) {
				fprintf(stderr, "contact %u's line does not parse back: %s\n", i, line);
				abort();
			}
		}
		for (unsigned u = 0; u < ct->nuri; u++) {
			FUZZ_ASSERT(contacts_find_uri(&c, ct->uri[u]) != NULL);
			FUZZ_ASSERT(contact_uri_same(ct->uri[u], ct->uri[u]));
			contact_uri_key(ct->uri[u], key, sizeof(key));
		}
	}
	{
		struct contact one, again;
		char line[CONTACT_LINE];

		if (contact_parse_line(&one, text, why, sizeof(why)) == 0) {
			FUZZ_ASSERT(contact_validate(&one, why, sizeof(why)) == 0);
			contact_format_line(&one, line, sizeof(line));
			FUZZ_ASSERT(contact_parse_line(&again, line, why, sizeof(why)) == 0);
			FUZZ_ASSERT(same(&one, &again));
		}
	}
	if (c.n > 0) {
		snprintf(c.path, sizeof(c.path), "%s", path);
		if (contacts_save(&c, why, sizeof(why)) != 0) {
			fprintf(stderr, "saving loaded contacts failed: %s\n", why);
			abort();
		}
		FUZZ_ASSERT(contacts_load(&back, path, quiet, NULL) == 0);
		FUZZ_ASSERT(back.n == c.n);
		for (unsigned i = 0; i < c.n; i++)
			if (!same(&c.v[i], &back.v[i])) {
				fprintf(stderr, "contact %u changed on save and load: [%s] -> [%s]\n", i,
					c.v[i].name, back.v[i].name);
				abort();
			}
		unlink(path);
	}
	contacts_free(&back);
	contacts_free(&c);
	free(text);
	return 0;
}
