/* contacts.c: contacts.ini in and out (see contacts.h).
 * inih parses key = value lines; our reader in front of it counts lines (inih gives the
 * handler none), reports lines inih would silently cut or drop, and tracks sections itself,
 * because inih truncates section names at 50 bytes and never tells us about a section
 * with no keys. */
#include "ttyconf.h"
#include "contacts.h"
#include "filelock.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTACTS_MAX_FILE (4 * 1024 * 1024)
/* Longest line we write or accept, without its newline: inih's buffer is INI_MAX_LINE bytes
 * for the line, its newline and the NUL. */
#define LINE_LIMIT (INI_MAX_LINE - 2)

void contacts_init(struct contacts *c)
{
	memset(c, 0, sizeof(*c));
}

void contacts_free(struct contacts *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

void contacts_default_path(char *out, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(out, size, "%s/ttyphone/contacts.ini", xdg);
	else
		snprintf(out, size, "%s/.config/ttyphone/contacts.ini", home && *home ? home : ".");
}

/* ---- validation ---- */

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return true;
	return false;
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

static int check_name(const char *name, char *why, size_t whylen)
{
	if (!name[0])
		return str_fail(why, whylen, "a contact needs a name");
	if (strlen(name) >= CONTACT_NAME)
		return str_fail(why, whylen, "contact name too long (at most %d bytes)", CONTACT_NAME - 1);
	if (has_ctl(name) || strpbrk(name, "[]"))
		return str_fail(why, whylen, "contact name cannot contain control characters, [ or ]");
	/* Names are words on the command line: "call bob". */
	if (has_space(name))
		return str_fail(why, whylen, "contact name cannot contain spaces (it is used as a word: "
			    "call NAME)");
	if (name[0] == ';' || name[0] == '#')
		return str_fail(why, whylen, "contact name cannot start with ; or #");
	if (str_ieq(name, "echo"))
		return str_fail(why, whylen, "\"echo\" is the built-in echo test; pick another name");
	return 0;
}

static int check_uri(const char *uri, char *why, size_t whylen)
{
	const char *colon = strchr(uri, ':');

	if (strlen(uri) >= CONTACT_URI)
		return str_fail(why, whylen, "URI too long (at most %d bytes)", CONTACT_URI - 1);
	if (has_ctl(uri) || has_space(uri) || strpbrk(uri, ",<>\""))
		return str_fail(why, whylen, "a URI cannot contain spaces, commas, <, > or quotes");
	if (!colon || !(((colon - uri == 3) && !strncasecmp(uri, "sip", 3)) ||
			((colon - uri == 4) && !strncasecmp(uri, "sips", 4)) ||
			((colon - uri == 3) && !strncasecmp(uri, "tel", 3))))
		return str_fail(why, whylen, "URI must start with sip:, sips: or tel:");
	if (!colon[1])
		return str_fail(why, whylen, "URI has nothing after the scheme");
	return 0;
}

/* A value inih would read back differently: it strips surrounding spaces and cuts at
 * " ;" (inline comment). */
static int check_value(const char *what, const char *v, size_t max, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n >= max)
		return str_fail(why, whylen, "%s too long (at most %zu bytes)", what, max - 1);
	if (has_ctl(v))
		return str_fail(why, whylen, "%s cannot contain control characters", what);
	if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
		return str_fail(why, whylen, "%s cannot start or end with a space", what);
	if (v[0] == ';')
		return str_fail(why, whylen, "%s cannot start with ;", what);
	for (size_t i = 1; i < n; i++)
		if (v[i] == ';' && isspace((unsigned char)v[i - 1]))
			return str_fail(why, whylen, "%s cannot contain \" ;\" (it starts a comment)", what);
	return 0;
}

int contact_validate(const struct contact *ct, char *why, size_t whylen)
{
	if (check_name(ct->name, why, whylen) < 0)
		return -1;
	if (ct->nuri == 0)
		return str_fail(why, whylen, "contact \"%s\" needs at least one uri", ct->name);
	if (ct->nuri > CONTACT_MAX_URIS)
		return str_fail(why, whylen, "at most %d URIs a contact", CONTACT_MAX_URIS);
	for (unsigned i = 0; i < ct->nuri; i++)
		if (check_uri(ct->uri[i], why, whylen) < 0)
			return -1;
	if (check_value("account", ct->account, CONTACT_ACCOUNT, why, whylen) < 0)
		return -1;
	if (has_space(ct->account))
		return str_fail(why, whylen, "account name cannot contain spaces");
	return check_value("notes", ct->notes, CONTACT_NOTES, why, whylen);
}

/* Append the URIs in "a, b, c" to ct. */
static int add_uris(struct contact *ct, const char *list, char *why, size_t whylen)
{
	const char *p = list;

	while (*p) {
		size_t n;
		char one[CONTACT_URI + 1];

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		n = strcspn(p, ",");
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (n >= sizeof(one))
			return str_fail(why, whylen, "URI too long (at most %d bytes)", CONTACT_URI - 1);
		memcpy(one, p, n);
		one[n] = '\0';
		if (check_uri(one, why, whylen) < 0)
			return -1;
		if (ct->nuri == CONTACT_MAX_URIS)
			return str_fail(why, whylen, "at most %d URIs a contact", CONTACT_MAX_URIS);
		str_copy(ct->uri[ct->nuri++], CONTACT_URI, one);
		p += strcspn(p, ",");
	}
	return 0;
}

int contact_set_uris(struct contact *ct, const char *list, char *why, size_t whylen)
{
	struct contact tmp = *ct;

	tmp.nuri = 0;
	if (add_uris(&tmp, list, why, whylen) < 0)
		return -1;
	if (tmp.nuri == 0)
		return str_fail(why, whylen, "give at least one URI (sip:user@host)");
	*ct = tmp;
	return 0;
}

/* One contact as one line of the UI's prompt: "NAME URI[, URI...] [account=ACCOUNT]
 * [blf=yes] [notes=TEXT]". Words are split on spaces; notes= takes the rest of the line, so notes may
 * hold spaces. Hand-written because it is a prompt's syntax, not a file format. */
int contact_parse_line(struct contact *ct, const char *line, char *why, size_t whylen)
{
	struct contact tmp;
	const char *p = line;
	size_t n;

	memset(&tmp, 0, sizeof(tmp));
	while (isspace((unsigned char)*p))
		p++;
	n = strcspn(p, " \t");
	if (n == 0)
		return str_fail(why, whylen, "give a name and a URI, e.g. bob sip:bob@example.org");
	if (n >= CONTACT_NAME)
		return str_fail(why, whylen, "contact name too long (at most %d bytes)", CONTACT_NAME - 1);
	memcpy(tmp.name, p, n);
	tmp.name[n] = '\0';
	p += n;
	for (;;) {
		char word[CONTACT_URI + CONTACT_NOTES];

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (!strncmp(p, "notes=", 6)) {
			const char *q = p + 6;
			size_t len;

			while (isspace((unsigned char)*q))
				q++;
			len = strlen(q);
			while (len && isspace((unsigned char)q[len - 1]))
				len--;
			if (len >= CONTACT_NOTES)
				return str_fail(why, whylen, "notes too long (at most %d bytes)",
					    CONTACT_NOTES - 1);
			memcpy(tmp.notes, q, len);
			tmp.notes[len] = '\0';
			break;
		}
		n = strcspn(p, " \t");
		if (n >= sizeof(word))
			return str_fail(why, whylen, "\"%.20s...\" is too long", p);
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (!strcmp(word, "blf=yes") || !strcmp(word, "blf=no")) {
			tmp.blf = word[4] == 'y';
		} else if (!strncmp(word, "account=", 8)) {
			if (strlen(word + 8) >= CONTACT_ACCOUNT)
				return str_fail(why, whylen, "account name too long (at most %d bytes)",
					    CONTACT_ACCOUNT - 1);
			str_copy(tmp.account, sizeof(tmp.account), word + 8);
		} else if (add_uris(&tmp, word, why, whylen) < 0) {
			return -1;
		}
	}
	if (tmp.nuri == 0)
		return str_fail(why, whylen, "give at least one URI after the name (sip:user@host)");
	if (contact_validate(&tmp, why, whylen) < 0)
		return -1;
	*ct = tmp;
	return 0;
}

void contact_format_line(const struct contact *ct, char *out, size_t size)
{
	size_t used;

	snprintf(out, size, "%s", ct->name);
	for (unsigned i = 0; i < ct->nuri && i < CONTACT_MAX_URIS; i++) {
		used = strlen(out);
		snprintf(out + used, size - used, "%s%s", i ? ", " : " ", ct->uri[i]);
	}
	used = strlen(out);
	if (ct->account[0])
		snprintf(out + used, size - used, " account=%s", ct->account);
	used = strlen(out);
	if (ct->blf)
		snprintf(out + used, size - used, " blf=yes");
	used = strlen(out);
	if (ct->notes[0])
		snprintf(out + used, size - used, " notes=%s", ct->notes);
}

/* ---- the list ---- */

const struct contact *contacts_find(const struct contacts *c, const char *name)
{
	for (unsigned i = 0; i < c->n; i++)
		if (str_ieq(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

bool contact_matches(const struct contact *ct, const char *text)
{
	if (!text[0] || str_casefind(ct->name, text) || str_casefind(ct->notes, text))
		return true;
	for (unsigned i = 0; i < ct->nuri; i++)
		if (str_casefind(ct->uri[i], text))
			return true;
	return false;
}

static int index_of(const struct contacts *c, const char *name)
{
	const struct contact *ct = contacts_find(c, name);

	return ct ? (int)(ct - c->v) : -1;
}

static int grow(struct contacts *c)
{
	struct contact *v;
	unsigned cap;

	if (c->n < c->cap)
		return 0;
	if (c->cap >= CONTACTS_MAX)
		return -1;
	cap = c->cap ? c->cap * 2 : 16;
	if (cap > CONTACTS_MAX)
		cap = CONTACTS_MAX;
	v = realloc(c->v, cap * sizeof(*v));
	if (!v)
		return -1;
	c->v = v;
	c->cap = cap;
	return 0;
}

int contacts_add(struct contacts *c, const struct contact *ct, char *why, size_t whylen)
{
	if (contact_validate(ct, why, whylen) < 0)
		return -1;
	if (contacts_find(c, ct->name))
		return str_fail(why, whylen, "there is already a contact called \"%s\"", ct->name);
	if (grow(c) < 0)
		return str_fail(why, whylen, c->cap >= CONTACTS_MAX ? "too many contacts (at most %d)" :
			    "out of memory (%d contacts)", c->n);
	c->v[c->n++] = *ct;
	return 0;
}

int contacts_edit(struct contacts *c, const char *name, const struct contact *ct, char *why,
		  size_t whylen)
{
	int i = index_of(c, name), j;

	if (i < 0)
		return str_fail(why, whylen, "no contact called \"%s\"", name);
	if (contact_validate(ct, why, whylen) < 0)
		return -1;
	j = index_of(c, ct->name);
	if (j >= 0 && j != i)
		return str_fail(why, whylen, "there is already a contact called \"%s\"", ct->name);
	c->v[i] = *ct;
	return 0;
}

int contacts_remove(struct contacts *c, const char *name)
{
	int i = index_of(c, name);

	if (i < 0)
		return -1;
	memmove(&c->v[i], &c->v[i + 1], (c->n - (unsigned)i - 1) * sizeof(c->v[0]));
	c->n--;
	return 0;
}

void contact_uri_key(const char *uri, char *out, size_t size)
{
	const char *p = uri, *lt = strchr(uri, '<'), *colon, *at;
	size_t n, o = 0;

	if (size == 0)
		return;
	if (lt)
		p = lt + 1;
	while (isspace((unsigned char)*p))
		p++;
	n = strcspn(p, ";?> \t");
	colon = memchr(p, ':', n);
	at = memchr(p, '@', n);
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		char ch = p[i];
		/* scheme and host are case-insensitive, the user part is not */
		if ((colon && p + i < colon) || (at && p + i > at) || (!at && colon && p + i > colon &&
									 strncasecmp(p, "tel:", 4)))
			ch = (char)tolower((unsigned char)ch);
		out[o++] = ch;
	}
	out[o] = '\0';
}

bool contact_uri_same(const char *a, const char *b)
{
	char ka[CONTACT_URI * 2], kb[CONTACT_URI * 2];

	contact_uri_key(a, ka, sizeof(ka));
	contact_uri_key(b, kb, sizeof(kb));
	return ka[0] && !strcmp(ka, kb);
}

const struct contact *contacts_find_uri(const struct contacts *c, const char *uri)
{
	for (unsigned i = 0; i < c->n; i++)
		for (unsigned k = 0; k < c->v[i].nuri; k++)
			if (contact_uri_same(c->v[i].uri[k], uri))
				return &c->v[i];
	return NULL;
}

bool contacts_lookup_default(const char *name, struct contact *out)
{
	struct contacts book;
	const struct contact *ct;
	char path[1024];
	bool found;

	contacts_init(&book);
	contacts_default_path(path, sizeof(path));
	contacts_load(&book, path, NULL, NULL); /* an unreadable book is an empty one */
	ct = contacts_find(&book, name);
	found = ct && ct->nuri;
	if (found)
		*out = *ct;
	contacts_free(&book);
	return found;
}

const char *contacts_resolve(const struct contacts *c, const char *name)
{
	const struct contact *ct = contacts_find(c, name);

	return ct && ct->nuri ? ct->uri[0] : NULL;
}

/* ---- loading ---- */

struct parse_ctx {
	struct contacts *c;
	const char *name;              /* file name in messages */
	contacts_diag_fn *diag;
	void *arg;
	const char *text;
	size_t len, pos;
	int line;
	struct contact cur;
	bool in_contact;               /* cur is being filled */
	bool in_bad_section;           /* keys here were reported once, at the section */
	int cur_line;
};

static void diag(struct parse_ctx *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diag(struct parse_ctx *p, int line, const char *fmt, ...)
{
	char text[400], out[1400];
	va_list ap;

	if (!p->diag)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(out, sizeof(out), "%s:%d: %s", p->name, line, text);
	else
		snprintf(out, sizeof(out), "%s: %s", p->name, text);
	p->diag(p->arg, out);
}

static void finish_contact(struct parse_ctx *p)
{
	char why[300];

	if (!p->in_contact)
		return;
	p->in_contact = false;
	if (p->cur.nuri == 0) {
		diag(p, p->cur_line, "contact \"%s\" has no uri: ignored", p->cur.name);
		return;
	}
	if (contacts_add(p->c, &p->cur, why, sizeof(why)) < 0)
		diag(p, p->cur_line, "%s: ignored", why);
}

/* A "[...]" line: start the next contact. */
static void enter_section(struct parse_ctx *p, const char *title)
{
	char why[300];

	finish_contact(p);
	p->in_bad_section = true;
	if (strncmp(title, "contact", 7) || (title[7] != ' ' && title[7] != '\0')) {
		diag(p, p->line, "unknown section [%s] (expected [contact NAME])", title);
		return;
	}
	memset(&p->cur, 0, sizeof(p->cur));
	{
		char name[256];
		str_copy(name, sizeof(name), title + 7);
		str_trim(name);
		if (check_name(name, why, sizeof(why)) < 0) {
			diag(p, p->line, "%s", why);
			return;
		}
		if (contacts_find(p->c, name)) {
			diag(p, p->line, "contact \"%s\" defined twice: this one is ignored", name);
			return;
		}
		str_copy(p->cur.name, sizeof(p->cur.name), name);
	}
	p->in_contact = true;
	p->in_bad_section = false;
	p->cur_line = p->line;
}

static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	const char *s, *nl;
	size_t n, body;
	char tmp[INI_MAX_LINE + 8];

	if (p->pos >= p->len || num < 2)
		return NULL;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) + 1 : p->len - p->pos;
	p->pos += n;
	p->line++;
	body = n - (nl ? 1 : 0);
	if (body && s[body - 1] == '\r')
		body--;
	/* An empty line keeps inih's count of lines in step with ours. */
	str[0] = '\n';
	str[1] = '\0';
	if (body > LINE_LIMIT || body + 2 > (size_t)num) {
		diag(p, p->line, "line too long (at most %d characters): ignored", LINE_LIMIT);
		return str;
	}
	if (memchr(s, '\0', body)) {
		diag(p, p->line, "line contains a NUL byte: ignored");
		return str;
	}
	memcpy(tmp, s, body);
	tmp[body] = '\0';
	str_trim(tmp);
	if (!tmp[0] || tmp[0] == ';' || tmp[0] == '#')
		return str;
	if (tmp[0] == '[') {
		char *end = strchr(tmp, ']');
		if (!end) {
			diag(p, p->line, "section title without ]: ignored");
			return str;
		}
		*end = '\0';
		enter_section(p, str_trim(tmp + 1));
		return str;  /* the section is ours; inih sees a blank line */
	}
	if (!strchr(tmp, '=') && !strchr(tmp, ':') && !isspace((unsigned char)s[0])) {
		diag(p, p->line, "expected \"key = value\" or \"[contact NAME]\", got \"%.60s\"", tmp);
		return str;
	}
	memcpy(str, s, body);
	str[body] = '\n';
	str[body + 1] = '\0';
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	char why[300];

	(void)section;
	if (!p->in_contact) {
		if (!p->in_bad_section)
			diag(p, p->line, "\"%s\" outside any [contact NAME] section", name);
		return 1;
	}
	if (!strcmp(name, "uri")) {
		if (add_uris(&p->cur, value, why, sizeof(why)) < 0)
			diag(p, p->line, "%s", why);
	} else if (!strcmp(name, "account")) {
		if (check_value("account", value, CONTACT_ACCOUNT, why, sizeof(why)) < 0 ||
		    (has_space(value) && str_fail(why, sizeof(why), "account name cannot contain spaces")))
			diag(p, p->line, "%s", why);
		else
			str_copy(p->cur.account, sizeof(p->cur.account), value);
	} else if (!strcmp(name, "notes")) {
		if (check_value("notes", value, CONTACT_NOTES, why, sizeof(why)) < 0)
			diag(p, p->line, "%s", why);
		else
			str_copy(p->cur.notes, sizeof(p->cur.notes), value);
	} else if (!strcmp(name, "blf")) {
		if (str_ieq(value, "yes") || str_ieq(value, "true") || !strcmp(value, "1"))
			p->cur.blf = true;
		else if (str_ieq(value, "no") || str_ieq(value, "false") || !strcmp(value, "0"))
			p->cur.blf = false;
		else
			diag(p, p->line, "blf must be yes or no, not \"%.40s\"", value);
	} else {
		diag(p, p->line, "unknown key \"%s\" (known: uri, account, notes, blf)", name);
	}
	return 1;
}

int contacts_load_string(struct contacts *c, const char *name, const char *text,
			 contacts_diag_fn *dfn, void *arg)
{
	struct parse_ctx p;
	int rc;

	c->n = 0;
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.name = name;
	p.diag = dfn;
	p.arg = arg;
	p.text = text;
	p.len = strlen(text);
	rc = ini_parse_stream(reader, &p, handler, &p);
	finish_contact(&p);
	if (rc == -2) {
		diag(&p, 0, "out of memory while reading");
		return -1;
	}
	return 0;
}

static void stamp_of(struct contacts_stamp *s, const struct stat *st)
{
	s->exists = true;
	s->dev = (unsigned long long)st->st_dev;
	s->ino = (unsigned long long)st->st_ino;
	s->size = (long long)st->st_size;
	s->mtime_sec = (long long)st->st_mtim.tv_sec;
	s->mtime_nsec = st->st_mtim.tv_nsec;
}

/* The file now, as a stamp; exists = false when there is none (or it cannot be seen). */
static void stamp_now(const char *path, struct contacts_stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) == 0)
		stamp_of(s, &st);
}

bool contacts_changed_on_disk(const struct contacts *c)
{
	struct contacts_stamp now;

	if (!c->path[0])
		return false;
	stamp_now(c->path, &now);
	return now.exists != c->stamp.exists || now.dev != c->stamp.dev ||
	       now.ino != c->stamp.ino || now.size != c->stamp.size ||
	       now.mtime_sec != c->stamp.mtime_sec || now.mtime_nsec != c->stamp.mtime_nsec;
}

int contacts_load(struct contacts *c, const char *path, contacts_diag_fn *dfn, void *arg)
{
	const char *base = strrchr(path, '/');
	char line[1400];
	struct stat st;
	bool statted;
	char *text;
	FILE *f;
	size_t n;
	int rc;

	base = base ? base + 1 : path;
	c->n = 0;
	c->unreadable = false;
	str_copy(c->path, sizeof(c->path), path);
	/* What failed to load is stamped too: fixing the file is a change to notice. */
	stamp_now(path, &c->stamp);
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		c->unreadable = true;
		snprintf(line, sizeof(line), "%s: cannot open: %s", base, strerror(errno));
		if (dfn)
			dfn(arg, line);
		return -1;
	}
	statted = fstat(fileno(f), &st) == 0;
	if (statted)
		stamp_of(&c->stamp, &st); /* what is read, not what the path holds a moment later */
	if (!statted || !S_ISREG(st.st_mode) || st.st_size > CONTACTS_MAX_FILE) {
		fclose(f);
		c->unreadable = true;
		snprintf(line, sizeof(line), "%s: not a regular file of at most 4 MB", base);
		if (dfn)
			dfn(arg, line);
		return -1;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		fclose(f);
		c->unreadable = true;
		return -1;
	}
	n = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		snprintf(line, sizeof(line), "%s: read error: %s", base, strerror(errno));
		if (dfn)
			dfn(arg, line);
		fclose(f);
		free(text);
		c->unreadable = true;
		return -1;
	}
	fclose(f);
	text[n] = '\0';
	rc = contacts_load_string(c, base, text, dfn, arg);
	free(text);
	return rc;
}

/* ---- saving ---- */

static int write_contact(FILE *f, const struct contact *ct)
{
	char line[INI_MAX_LINE * 2];
	size_t len = 0;

	if (fprintf(f, "\n[contact %s]\n", ct->name) < 0)
		return -1;
	/* As many URIs a line as fit under inih's limit; a repeated "uri" key appends. */
	for (unsigned i = 0; i < ct->nuri; i++) {
		size_t add = strlen(ct->uri[i]);
		if (len && len + 2 + add > LINE_LIMIT) {
			if (fprintf(f, "%s\n", line) < 0)
				return -1;
			len = 0;
		}
		if (!len)
			len = (size_t)snprintf(line, sizeof(line), "uri = %s", ct->uri[i]);
		else
			len += (size_t)snprintf(line + len, sizeof(line) - len, ", %s", ct->uri[i]);
	}
	if (len && fprintf(f, "%s\n", line) < 0)
		return -1;
	if (ct->account[0] && fprintf(f, "account = %s\n", ct->account) < 0)
		return -1;
	if (ct->notes[0] && fprintf(f, "notes = %s\n", ct->notes) < 0)
		return -1;
	if (ct->blf && fprintf(f, "blf = yes\n") < 0)
		return -1;
	return 0;
}

/* Where saving writes: path itself, or where it points if it is a symbolic link (an address
 * book kept in a dotfiles repository stays a link). -1 with why for a dangling link. */
static int save_target(const char *path, char *out, size_t size, char *why, size_t whylen)
{
	char real[PATH_MAX];
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!realpath(path, real))
			return str_fail(why, whylen, "%s: a link to nowhere (%s)", path, strerror(errno));
		path = real;
	}
	if (str_copy(out, size, path) < 0)
		return str_fail(why, whylen, "path too long: %s", path);
	return 0;
}

int contacts_save(const struct contacts *c, char *why, size_t whylen)
{
	char dir[1024], target[1024];
	struct stat st;
	mode_t mode = 0600;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ok, rc;

	if (!c->path[0])
		return str_fail(why, whylen, "no contacts file to save to");
	if (c->unreadable)
		return str_fail(why, whylen, "%s could not be read, so it is not overwritten",
				c->path);
	if (save_target(c->path, target, sizeof(target), why, whylen) < 0)
		return -1;
	file_dir_of(target, dir, sizeof(dir));
	if (file_make_dirs(dir, why, whylen) < 0)
		return -1;
	if (stat(target, &st) == 0)
		mode = st.st_mode & 0777;
	/* The whole text first (a few hundred kB at most), then one atomic replace. */
	if (!(f = open_memstream(&text, &len)))
		return str_fail(why, whylen, "cannot save %s: %s", target, strerror(errno));
	ok = fprintf(f, "# ttyphone contacts: one [contact NAME] section each, see "
		     "ttyphone.conf(5).\n# uri = one or more SIP URIs, comma separated; account = "
		     "which account calls them; notes = free text; blf = yes shows its busy "
		     "lamp.\n") >= 0;
	for (unsigned i = 0; ok && i < c->n; i++)
		ok = write_contact(f, &c->v[i]) == 0;
	if (fclose(f) != 0)
		ok = false;
	rc = ok ? file_replace(target, text, len, mode, why, whylen) :
		  str_fail(why, whylen, "cannot save %s: out of memory", target);
	free(text);
	return rc;
}

/* Saving writes only what loaded: a line the loader skipped (a typo, an unknown key) would
 * vanish from the file on the next change. So a change is refused while the file has such
 * a line, naming it; the person fixes it, and nothing they wrote is ever dropped. */
struct diag_count {
	contacts_diag_fn *fn;
	void *arg;
	unsigned n;
	char first[300];
};

static void count_diag(void *arg, const char *line)
{
	struct diag_count *d = arg;

	if (d->n++ == 0)
		str_copy(d->first, sizeof(d->first), line);
	if (d->fn)
		d->fn(d->arg, line);
}

int contacts_change(struct contacts *c, contacts_change_fn *fn, void *arg,
		    contacts_diag_fn *dfn, void *darg, char *why, size_t whylen)
{
	struct contacts fresh;
	struct diag_count diags = { dfn, darg, 0, "" };
	char target[1024];
	int lockfd, rc;

	if (!c->path[0])
		return str_fail(why, whylen, "no contacts file to save to");
	/* The lock goes beside the file really written, whichever link led to it. */
	if (save_target(c->path, target, sizeof(target), why, whylen) < 0 ||
	    (lockfd = file_lock(target, why, whylen)) < 0)
		return -1;
	contacts_init(&fresh);
	if (contacts_load(&fresh, c->path, count_diag, &diags) < 0) {
		rc = str_fail(why, whylen, "%s could not be read, so it is not changed", c->path);
		goto out;
	}
	if (diags.n) {
		/* "contacts.ini:3: unknown key ..." -> "fix contacts.ini:3 first ...: unknown key":
		 * what to do first, as a status line may be cut */
		const char *msg = strstr(diags.first, ": ");
		int loc = msg ? (int)(msg - diags.first) : (int)strlen(diags.first);

		rc = str_fail(why, whylen, "fix %.*s first%s (saving now would drop it)%s%s", loc,
			  diags.first, diags.n > 1 ? " and the other bad lines" : "",
			  msg ? ": " : "", msg ? msg + 2 : "");
		goto out;
	}
	rc = fn(&fresh, arg, why, whylen);
	if (rc > 0) {
		if (contacts_save(&fresh, why, whylen) < 0)
			rc = -1;
		else
			stamp_now(fresh.path, &fresh.stamp); /* ours: not a change to reload */
	}
	if (rc >= 0) {
		contacts_free(c);
		*c = fresh;
		contacts_init(&fresh);
	}
out:
	close(lockfd); /* unlocks */
	contacts_free(&fresh);
	return rc < 0 ? -1 : rc;
}

struct update {
	enum contacts_op op;
	const char *name;
	const struct contact *ct;
};

static int apply_update(struct contacts *book, void *arg, char *why, size_t whylen)
{
	const struct update *u = arg;

	switch (u->op) {
	case CONTACTS_ADD:
		return contacts_add(book, u->ct, why, whylen) < 0 ? -1 : 1;
	case CONTACTS_EDIT:
		return contacts_edit(book, u->name, u->ct, why, whylen) < 0 ? -1 : 1;
	case CONTACTS_DELETE:
		return contacts_remove(book, u->name) == 0 ? 1 : 0; /* gone already: done */
	}
	return str_fail(why, whylen, "unknown change");
}

int contacts_update(struct contacts *c, enum contacts_op op, const char *name,
		    const struct contact *ct, char *why, size_t whylen)
{
	struct update u = { op, name, ct };

	return contacts_change(c, apply_update, &u, NULL, NULL, why, whylen);
}
