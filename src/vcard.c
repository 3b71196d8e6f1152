/* vcard.c: the .vcf reader and the merge into contacts (see vcard.h).
 *
 *   bytes -> UTF-16 to UTF-8, BOM off -> physical lines (CRLF, LF, CR)
 *         -> logical lines (RFC 6350 folding: a break then a space or tab; quoted-printable
 *            soft breaks: "=" at the end) -> [group.]NAME;PARAMS:VALUE
 *         -> ENCODING (QP, base64) -> CHARSET to UTF-8 -> unescape -> the card
 *
 * Every buffer is fixed; a line longer than LINE_CAP (a photo) is cut, and only the
 * properties we use are decoded at all. */
#include "vcard.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define LINE_CAP 65536            /* a logical line; the rest of a longer one is dropped */
#define VALUE_MAX 4096            /* a decoded value we use */
#define CAND_MAX 16               /* addresses looked at in one card */
#define VCARD_MAX_FILE (64L * 1024 * 1024)

enum encoding { ENC_NONE, ENC_QP, ENC_B64 };

enum {
	T_PREF = 1, T_FAX = 2, T_PAGER = 4, T_VOICE = 8,
};

struct prop {
	char name[32];               /* upper case, group prefix removed */
	enum encoding enc;
	char charset[40];
	unsigned types;
	const char *value;           /* raw, inside the logical line */
	size_t vlen;
};

struct cand {
	char uri[CONTACT_URI];
	bool tel;
	bool pref;
};

struct parser {
	vcard_card_fn *fn;
	void *arg;
	vcard_diag_fn *diag;
	void *darg;
	unsigned cards;
	unsigned depth;              /* > 1: inside a nested card (2.1 AGENT) */
	struct vcard card;
	bool have_fn;
	char n_name[VCARD_NAME], org[VCARD_NAME], nick[VCARD_NAME];
	struct cand cand[CAND_MAX];
	unsigned ncand;
	char line[LINE_CAP];
	size_t len;
	bool cut;                    /* the logical line was longer than LINE_CAP */
	int lineno;                  /* first physical line of the logical one */
};

static void diag(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diag(struct parser *p, int line, const char *fmt, ...)
{
	char text[600], out[700];
	va_list ap;

	if (!p->diag)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "line %d: %s", line, text);
	p->diag(p->darg, out);
}

/* ---- bytes ---- */

static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], need, cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; }
		else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; }
		else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; }
		else return false;
		if (i + need >= n)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += need + 1;
	}
	return true;
}

/* Drop an incomplete UTF-8 sequence left at the end of s[0..*n) by a cut. */
static void utf8_cut(char *s, size_t *n)
{
	size_t i = *n, k = 0;

	while (i > 0 && k < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--, k++;
	if (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0xC0) {
		unsigned char c = (unsigned char)s[i - 1];
		size_t need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
		if (k < need)
			*n = i - 1;
	}
	s[*n] = '\0';
}

/* Convert in[n] from charset to UTF-8 into out; false if iconv does not know it or the
 * bytes are not in it. */
static bool to_utf8(const char *charset, const char *in, size_t n, char *out, size_t size)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	char *ip = (char *)in, *op = out;
	size_t il = n, ol = size - 1;
	bool ok;

	if (cd == (iconv_t)-1)
		return false;
	ok = iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 || errno == E2BIG;
	iconv_close(cd);
	*op = '\0';
	return ok;
}

/* ---- decoding one value ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = toupper(c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static size_t qp_decode(const char *in, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < size; i++) {
		int hi, lo;
		if (in[i] == '=' && i + 2 < n && (hi = hexval((unsigned char)in[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)in[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (in[i] == '=' && i + 1 == n) {
			/* a soft break left at the very end */
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return o;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static size_t b64_decode(const char *in, size_t n, char *out, size_t size)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < size; i++) {
		int v = b64val((unsigned char)in[i]);
		if (v < 0)
			continue; /* whitespace, padding, junk */
		acc = (acc << 6 | (unsigned)v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xFF);
		}
	}
	out[o] = '\0';
	return o;
}

/* The value of pp as UTF-8 text, still escaped. */
static void decode_value(const struct prop *pp, char *out, size_t size)
{
	static char raw[VALUE_MAX];
	size_t n, vlen = pp->vlen;

	if (vlen >= sizeof(raw))
		vlen = sizeof(raw) - 1;
	if (pp->enc == ENC_QP) {
		n = qp_decode(pp->value, vlen, raw, sizeof(raw));
	} else if (pp->enc == ENC_B64) {
		n = b64_decode(pp->value, vlen, raw, sizeof(raw));
	} else {
		memcpy(raw, pp->value, vlen);
		raw[vlen] = '\0';
		n = vlen;
	}
	/* A NUL from a decoding ends the text. */
	n = strnlen(raw, n);
	if (pp->charset[0] && strcasecmp(pp->charset, "UTF-8") && strcasecmp(pp->charset, "UTF8") &&
	    to_utf8(pp->charset, raw, n, out, size))
		return;
	if (utf8_valid((const unsigned char *)raw, n)) {
		str_ncopy(out, size, raw, n);
		return;
	}
	/* Not UTF-8 and no (known) charset: what Windows writes. */
	if (to_utf8("WINDOWS-1252", raw, n, out, size) ||
	    to_utf8("ISO-8859-1", raw, n, out, size))
		return;
	str_ncopy(out, size, raw, n);
}

/* Undo vCard escapes (\, \; \: \\ \n) in s[0..n) into out; stop at an unescaped `stop`
 * character (0: none). Returns the length read. Line ends become spaces. */
static size_t unescape(const char *s, size_t n, char stop, char *out, size_t size)
{
	size_t i = 0, o = 0;

	for (; i < n && s[i]; i++) {
		char c = s[i];
		if (c == stop)
			break;
		if (c == '\\' && i + 1 < n && s[i + 1]) {
			c = s[++i];
			if (c == 'n' || c == 'N')
				c = ' ';
		}
		if ((unsigned char)c < 0x20 || c == 0x7F)
			c = ' ';
		if (o + 1 < size)
			out[o++] = c;
	}
	if (size) {
		out[o] = '\0';
		utf8_cut(out, &o); /* never half a character at a cut */
	}
	return i;
}

static void trim_spaces(char *s)
{
	char *w = s;
	bool space = false;

	/* collapse runs of spaces, drop them at both ends */
	for (const char *r = s; *r; r++) {
		if (*r == ' ' || *r == '\t') {
			space = w != s;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
}

/* ---- one property line ---- */

static void set_type(struct prop *pp, const char *v, size_t n)
{
	static const struct { const char *name; unsigned bit; } types[] = {
		{ "PREF", T_PREF }, { "FAX", T_FAX }, { "PAGER", T_PAGER }, { "VOICE", T_VOICE },
	};

	while (n && (*v == '"' || *v == ' '))
		v++, n--;
	while (n && (v[n - 1] == '"' || v[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == n && !strncasecmp(v, types[i].name, n))
			pp->types |= types[i].bit;
}

static void param(struct prop *pp, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);

	if (!eq) {
		/* vCard 2.1: bare values ("TEL;CELL;PREF:", "N;QUOTED-PRINTABLE:") */
		if (n == 16 && !strncasecmp(s, "QUOTED-PRINTABLE", 16))
			pp->enc = ENC_QP;
		else if ((n == 6 && !strncasecmp(s, "BASE64", 6)) || (n == 1 && toupper(*s) == 'B'))
			pp->enc = ENC_B64;
		else
			set_type(pp, s, n);
		return;
	}
	{
		size_t kl = (size_t)(eq - s), vl = n - kl - 1;
		const char *v = eq + 1;

		if (kl == 8 && !strncasecmp(s, "ENCODING", 8)) {
			if (vl == 16 && !strncasecmp(v, "QUOTED-PRINTABLE", 16))
				pp->enc = ENC_QP;
			else if ((vl == 1 && toupper(*v) == 'B') || (vl == 6 && !strncasecmp(v, "BASE64", 6)))
				pp->enc = ENC_B64;
		} else if (kl == 7 && !strncasecmp(s, "CHARSET", 7)) {
			while (vl && *v == '"')
				v++, vl--;
			while (vl && v[vl - 1] == '"')
				vl--;
			str_ncopy(pp->charset, sizeof(pp->charset), v, vl);
		} else if (kl == 4 && !strncasecmp(s, "TYPE", 4)) {
			/* TYPE=work,voice or TYPE="work,voice" */
			while (vl) {
				size_t one = 0;
				while (one < vl && v[one] != ',')
					one++;
				set_type(pp, v, one);
				v += one;
				vl -= one;
				if (vl)
					v++, vl--;
			}
		} else if (kl == 4 && !strncasecmp(s, "PREF", 4)) {
			pp->types |= T_PREF; /* vCard 4.0: PREF=1..100 */
		}
	}
}

/* Split line into name, parameters and value; false if it is not a property. */
static bool parse_prop(const char *line, size_t len, struct prop *pp)
{
	size_t i = 0, name_start = 0, name_end;
	bool quoted = false;

	memset(pp, 0, sizeof(*pp));
	while (i < len && line[i] != ';' && line[i] != ':') {
		if (line[i] == '.')
			name_start = i + 1; /* "item1.TEL": the group goes */
		i++;
	}
	name_end = i;
	if (i >= len || name_end == name_start)
		return false;
	for (size_t k = name_start, o = 0; k < name_end && o + 1 < sizeof(pp->name); k++)
		pp->name[o++] = (char)toupper((unsigned char)line[k]), pp->name[o] = '\0';
	while (i < len && line[i] == ';') {
		size_t start = ++i;
		while (i < len && (quoted || (line[i] != ';' && line[i] != ':'))) {
			if (line[i] == '"')
				quoted = !quoted;
			i++;
		}
		param(pp, line + start, i - start);
	}
	if (i >= len || line[i] != ':')
		return false;
	pp->value = line + i + 1;
	pp->vlen = len - i - 1;
	return true;
}

/* ---- addresses ---- */

static bool has_bad_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7F || strchr(",<>\"", *s))
			return true;
	return false;
}

static void add_cand(struct parser *p, const char *uri, bool tel, bool pref)
{
	if (p->ncand == CAND_MAX) {
		p->card.ignored++;
		return;
	}
	str_copy(p->cand[p->ncand].uri, CONTACT_URI, uri);
	p->cand[p->ncand].tel = tel;
	p->cand[p->ncand].pref = pref;
	p->ncand++;
}

/* A sip:/sips: address from IMPP, X-SIP or URL; bare "user@host" when bare_ok. */
static void take_sip(struct parser *p, const struct prop *pp, const char *text, bool bare_ok)
{
	char v[VALUE_MAX], uri[CONTACT_URI + 8];
	const char *s;
	size_t n;

	unescape(text, strlen(text), 0, v, sizeof(v));
	trim_spaces(v);
	s = v;
	if (*s == '<')
		s++;
	n = strcspn(s, ">");
	if (n < 5)
		goto bad;
	if (!strncasecmp(s, "sip:", 4))
		snprintf(uri, sizeof(uri), "sip:%.*s", (int)(n - 4), s + 4);
	else if (!strncasecmp(s, "sips:", 5))
		snprintf(uri, sizeof(uri), "sips:%.*s", (int)(n - 5), s + 5);
	else if (bare_ok && memchr(s, '@', n) && !memchr(s, ':', (size_t)((const char *)memchr(s, '@', n) - s)))
		snprintf(uri, sizeof(uri), "sip:%.*s", (int)n, s);
	else
		return; /* another kind of address (xmpp:, https:, ...): not ours */
	if (strlen(uri) >= CONTACT_URI || has_bad_char(uri) || !uri[strcspn(uri, ":") + 1])
		goto bad;
	add_cand(p, uri, false, pp->types & T_PREF);
	return;
bad:
	p->card.ignored++;
	diag(p, p->lineno, "%s: not a usable SIP address, left out", pp->name);
}

static void take_tel(struct parser *p, const struct prop *pp, const char *text)
{
	char v[VALUE_MAX], num[CONTACT_URI], ext[32] = "", uri[CONTACT_URI + 40];
	const char *s;
	size_t o = 0;

	if ((pp->types & (T_FAX | T_PAGER)) && !(pp->types & T_VOICE)) {
		p->card.ignored++;
		return; /* one cannot call a fax */
	}
	unescape(text, strlen(text), 0, v, sizeof(v));
	s = v;
	while (*s == ' ')
		s++;
	if (!strncasecmp(s, "tel:", 4))
		s += 4;
	for (; *s; s++) {
		char c = *s;
		if (isdigit((unsigned char)c) || c == '*' || c == '#' || (c == '+' && o == 0)) {
			if (o + 1 < sizeof(num))
				num[o++] = c;
		} else if (strchr(" -.()/\t", c)) {
			continue; /* visual separators */
		} else if (!strncasecmp(s, ";ext=", 5) || !strncasecmp(s, "ext", 3) ||
			   tolower((unsigned char)c) == 'x') {
			/* an extension: ";ext=12" in a tel: URI, "x12" or "ext. 12" in text */
			size_t e = 0;
			s += strcspn(s, "0123456789");
			while (isdigit((unsigned char)*s) && e + 1 < sizeof(ext))
				ext[e++] = *s++;
			ext[e] = '\0';
			break;
		} else if (c == ';') {
			break; /* other tel: URI parameters */
		} else {
			o = 0; /* letters ("1-800-FLOWERS") or junk: not a number we can dial */
			break;
		}
	}
	num[o] = '\0';
	if (!o || (o == 1 && num[0] == '+')) {
		p->card.ignored++;
		diag(p, p->lineno, "TEL: not a phone number, left out");
		return;
	}
	snprintf(uri, sizeof(uri), "tel:%s%s%s", num, ext[0] ? ";ext=" : "", ext);
	if (strlen(uri) >= CONTACT_URI) {
		p->card.ignored++;
		return;
	}
	add_cand(p, uri, true, pp->types & T_PREF);
}

/* ---- cards ---- */

static void card_begin(struct parser *p)
{
	memset(&p->card, 0, sizeof(p->card));
	p->card.line = p->lineno;
	p->have_fn = false;
	p->n_name[0] = p->org[0] = p->nick[0] = '\0';
	p->ncand = 0;
}

static void card_end(struct parser *p)
{
	struct vcard *c = &p->card;

	if (!c->name[0])
		str_copy(c->name, sizeof(c->name), p->n_name[0] ? p->n_name :
			 p->org[0] ? p->org : p->nick);
	/* SIP before phone numbers, preferred first, file order otherwise; no repeats. */
	for (int pass = 0; pass < 4; pass++) {
		bool tel = pass >= 2, pref = pass % 2 == 0;
		for (unsigned i = 0; i < p->ncand; i++) {
			struct cand *k = &p->cand[i];
			bool dup = false;
			if (k->tel != tel || k->pref != pref)
				continue;
			for (unsigned j = 0; j < c->nuri && !dup; j++)
				dup = contact_uri_same(c->uri[j], k->uri);
			if (dup)
				continue;
			if (c->nuri == VCARD_MAX_URIS) {
				c->ignored++;
				continue;
			}
			str_copy(c->uri[c->nuri++], CONTACT_URI, k->uri);
		}
	}
	p->cards++;
	if (p->fn)
		p->fn(p->arg, c);
}

static void name_from_n(const char *v, char *out, size_t size)
{
	char parts[5][VCARD_NAME];
	size_t off = 0, len = strlen(v);

	memset(parts, 0, sizeof(parts));
	for (int i = 0; i < 5 && off <= len; i++) {
		off += unescape(v + off, len - off, ';', parts[i], sizeof(parts[i]));
		for (char *q = parts[i]; *q; q++)
			if (*q == ',')
				*q = ' '; /* more than one given name */
		if (off < len && v[off] == ';')
			off++;
		else
			break;
	}
	/* family;given;additional;prefix;suffix -> "given family" */
	snprintf(out, size, "%s %s", parts[1], parts[0]);
	trim_spaces(out);
}

static void property(struct parser *p, const struct prop *pp)
{
	static char v[VALUE_MAX];
	const char *n = pp->name;

	if (!strcmp(n, "FN") || !strcmp(n, "N") || !strcmp(n, "ORG") || !strcmp(n, "NICKNAME")) {
		char name[VCARD_NAME];
		decode_value(pp, v, sizeof(v));
		if (!strcmp(n, "N")) {
			name_from_n(v, p->n_name, sizeof(p->n_name));
			return;
		}
		unescape(v, strlen(v), !strcmp(n, "FN") ? 0 : !strcmp(n, "ORG") ? ';' : ',', name,
			 sizeof(name));
		trim_spaces(name);
		if (!strcmp(n, "FN") && !p->have_fn && name[0]) {
			str_copy(p->card.name, sizeof(p->card.name), name);
			p->have_fn = true;
		} else if (!strcmp(n, "ORG") && !p->org[0]) {
			str_copy(p->org, sizeof(p->org), name);
		} else if (!strcmp(n, "NICKNAME") && !p->nick[0]) {
			str_copy(p->nick, sizeof(p->nick), name);
		}
	} else if (!strcmp(n, "TEL")) {
		decode_value(pp, v, sizeof(v));
		take_tel(p, pp, v);
	} else if (!strcmp(n, "IMPP") || !strcmp(n, "URL")) {
		decode_value(pp, v, sizeof(v));
		take_sip(p, pp, v, false);
	} else if (!strncmp(n, "X-SIP", 5)) {
		decode_value(pp, v, sizeof(v));
		take_sip(p, pp, v, true);
	}
}

static bool value_is(const struct prop *pp, const char *what)
{
	size_t n = pp->vlen, w = strlen(what);

	while (n && (pp->value[n - 1] == ' ' || pp->value[n - 1] == '\t'))
		n--;
	return n == w && !strncasecmp(pp->value, what, w);
}

static void logical_line(struct parser *p)
{
	struct prop pp;

	if (!p->len)
		return;
	if (!parse_prop(p->line, p->len, &pp)) {
		if (p->depth == 1)
			diag(p, p->lineno, "not a vCard property, skipped");
		return;
	}
	if (!strcmp(pp.name, "BEGIN") && value_is(&pp, "VCARD")) {
		if (p->depth++ == 0)
			card_begin(p);
		return;
	}
	if (!strcmp(pp.name, "END") && value_is(&pp, "VCARD")) {
		if (p->depth && --p->depth == 0)
			card_end(p);
		return;
	}
	if (p->depth != 1)
		return; /* outside any card, or inside a nested one */
	if (p->cut && (!strcmp(pp.name, "FN") || !strcmp(pp.name, "TEL") ||
		       !strcmp(pp.name, "IMPP") || !strncmp(pp.name, "X-SIP", 5))) {
		diag(p, p->lineno, "%s: longer than %d bytes, skipped", pp.name, LINE_CAP);
		return;
	}
	property(p, &pp);
}

static void append(struct parser *p, const char *s, size_t n)
{
	if (p->len + n >= sizeof(p->line)) {
		n = sizeof(p->line) - 1 - p->len;
		p->cut = true;
	}
	memcpy(p->line + p->len, s, n);
	p->len += n;
	p->line[p->len] = '\0';
}

/* Does the logical line so far use quoted-printable (so "=" at its end continues it)? */
static bool line_is_qp(const struct parser *p)
{
	const char *colon = memchr(p->line, ':', p->len);
	size_t n = colon ? (size_t)(colon - p->line) : 0;

	for (size_t i = 0; i + 16 <= n; i++)
		if (!strncasecmp(p->line + i, "QUOTED-PRINTABLE", 16))
			return true;
	return false;
}

/* The next physical line of text[*pos..len): its start and length; false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **start,
		      size_t *n)
{
	size_t i = *pos;

	if (i >= len)
		return false;
	*start = text + i;
	while (i < len && text[i] != '\n' && text[i] != '\r')
		i++;
	*n = (size_t)(text + i - *start);
	/* CRLF, LF or a lone CR (old Macs) end a line */
	if (i < len && text[i] == '\r') {
		i++;
		if (i < len && text[i] == '\n')
			i++;
	} else if (i < len && text[i] == '\n') {
		i++;
	}
	*pos = i;
	return true;
}

static unsigned parse_utf8(const char *text, size_t len, struct parser *p)
{
	size_t pos = 0;
	const char *s;
	size_t n;
	int lineno = 0;
	bool have = false;

	while (next_line(text, len, &pos, &s, &n)) {
		lineno++;
		if (have && n && (s[0] == ' ' || s[0] == '\t')) {
			append(p, s + 1, n - 1); /* RFC 6350 3.2: the break and one blank go */
			continue;
		}
		if (have && p->len && p->line[p->len - 1] == '=' && line_is_qp(p)) {
			p->len--; /* quoted-printable soft break */
			append(p, s, n);
			continue;
		}
		if (have)
			logical_line(p);
		p->len = 0;
		p->line[0] = '\0';
		p->cut = false;
		p->lineno = lineno;
		append(p, s, n);
		have = true;
	}
	if (have)
		logical_line(p);
	if (p->depth) {
		diag(p, p->card.line, "card without END:VCARD; taken as it is");
		p->depth = 1;
		card_end(p);
	}
	return p->cards;
}

unsigned vcard_parse(const char *data, size_t len, vcard_card_fn *fn, void *arg,
		     vcard_diag_fn *dfn, void *darg)
{
	struct parser *p = calloc(1, sizeof(*p));
	const unsigned char *u = (const unsigned char *)data;
	char *conv = NULL, *clean;
	unsigned cards = 0;

	if (!p)
		return 0;
	p->fn = fn;
	p->arg = arg;
	p->diag = dfn;
	p->darg = darg;
	if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
		/* UTF-16 (Outlook, old Windows tools): to UTF-8, at most 3 bytes per unit. */
		size_t size = len / 2 * 3 + 1;
		conv = malloc(size);
		if (!conv || !to_utf8(u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE", data + 2, len - 2, conv,
				      size)) {
			diag(p, 0, "UTF-16 text that cannot be read");
			goto out;
		}
		data = conv;
		len = strlen(conv);
	} else if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		data += 3;
		len -= 3;
	}
	/* A NUL byte would end strings early: make it a space. */
	clean = malloc(len + 1);
	if (!clean)
		goto out;
	for (size_t i = 0; i < len; i++)
		clean[i] = data[i] ? data[i] : ' ';
	clean[len] = '\0';
	cards = parse_utf8(clean, len, p);
	free(clean);
out:
	free(conv);
	free(p);
	return cards;
}

/* ---- merging into the address book ---- */

struct import_ctx {
	struct contacts *c;
	struct vcard_import_result *res;
	vcard_diag_fn *diag;
	void *darg;
};

static void import_diag(struct import_ctx *x, const struct vcard *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void import_diag(struct import_ctx *x, const struct vcard *v, const char *fmt, ...)
{
	char text[600], out[800];
	va_list ap;

	if (!x->diag)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "line %d: %s%s%s", v->line, v->name[0] ? v->name : "",
		 v->name[0] ? ": " : "", text);
	x->diag(x->darg, out);
}

/* A contact name is one word on the command line: "Bob Smith" -> "Bob_Smith"; no [ ] (it
 * is a section title) and no ; (inih comments). */
static void word_name(const char *full, char *out, size_t size)
{
	size_t o = 0;

	for (const char *s = full; *s && o + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7F || c == '[' || c == ']')
			continue;
		if (isspace(c) || c == ';') {
			if (o && out[o - 1] != '_')
				out[o++] = '_';
			continue;
		}
		if (o == 0 && (c == ';' || c == '#'))
			continue;
		out[o++] = (char)c;
	}
	while (o && out[o - 1] == '_')
		o--;
	out[o] = '\0';
	utf8_cut(out, &o);
}

/* What inih reads back the same in "notes = ...": no " ;", no blanks at the ends. */
static void note_text(const char *full, char *out, size_t size)
{
	size_t o = 0;

	for (const char *s = full; *s && o + 1 < size; s++)
		out[o++] = *s == ';' ? ',' : ((unsigned char)*s < 0x20 ? ' ' : *s);
	out[o] = '\0';
	utf8_cut(out, &o);
	trim_spaces(out);
}

static void import_card(void *arg, const struct vcard *v)
{
	struct import_ctx *x = arg;
	const struct contact *owner = NULL;
	struct contact ct;
	char why[300];
	unsigned fresh[VCARD_MAX_URIS], nfresh = 0;

	x->res->cards++;
	if (!v->nuri) {
		x->res->unusable++;
		import_diag(x, v, "no SIP address or phone number: skipped");
		return;
	}
	for (unsigned i = 0; i < v->nuri; i++) {
		const struct contact *o = contacts_find_uri(x->c, v->uri[i]);
		if (o && !owner)
			owner = o;
		if (!o)
			fresh[nfresh++] = i;
	}
	if (owner) {
		unsigned added = 0;
		ct = *owner;
		for (unsigned i = 0; i < nfresh && ct.nuri < CONTACT_MAX_URIS; i++, added++)
			str_copy(ct.uri[ct.nuri++], CONTACT_URI, v->uri[fresh[i]]);
		if (!added) {
			x->res->duplicates++;
			import_diag(x, v, "already in contacts as \"%s\": skipped", owner->name);
			return;
		}
		if (contacts_edit(x->c, owner->name, &ct, why, sizeof(why)) < 0) {
			x->res->unusable++;
			import_diag(x, v, "%s: skipped", why);
			return;
		}
		x->res->updated++;
		return;
	}
	memset(&ct, 0, sizeof(ct));
	word_name(v->name, ct.name, sizeof(ct.name));
	if (!ct.name[0]) {
		/* no name at all: the user part of the first address */
		const char *u = strchr(v->uri[0], ':') + 1;
		char user[CONTACT_NAME];
		str_ncopy(user, sizeof(user), u, strcspn(u, "@;"));
		word_name(user, ct.name, sizeof(ct.name));
	}
	{
		char base[CONTACT_NAME - 8];
		str_copy(base, sizeof(base), ct.name);
		for (unsigned k = 2; contacts_find(x->c, ct.name) || str_ieq(ct.name, "echo"); k++)
			snprintf(ct.name, sizeof(ct.name), "%s_%u", base, k);
	}
	if (strcmp(ct.name, v->name) && v->name[0])
		note_text(v->name, ct.notes, sizeof(ct.notes));
	for (unsigned i = 0; i < v->nuri && ct.nuri < CONTACT_MAX_URIS; i++)
		str_copy(ct.uri[ct.nuri++], CONTACT_URI, v->uri[i]);
	if (contacts_add(x->c, &ct, why, sizeof(why)) < 0) {
		x->res->unusable++;
		import_diag(x, v, "%s: skipped", why);
		return;
	}
	x->res->imported++;
}

static void pass_diag(void *arg, const char *line)
{
	struct import_ctx *x = arg;

	if (x->diag)
		x->diag(x->darg, line);
}

void vcard_import(const char *data, size_t len, struct contacts *c,
		  struct vcard_import_result *res, vcard_diag_fn *dfn, void *darg)
{
	struct import_ctx x = { c, res, dfn, darg };

	memset(res, 0, sizeof(*res));
	vcard_parse(data, len, import_card, &x, pass_diag, &x);
}

int vcard_import_file(const char *path, struct contacts *c, struct vcard_import_result *res,
		      vcard_diag_fn *dfn, void *darg, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *data;
	size_t n;

	memset(res, 0, sizeof(*res));
	if (!f) {
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > VCARD_MAX_FILE) {
		snprintf(why, whylen, "%s: not a regular file of at most 64 MB", path);
		fclose(f);
		return -1;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		snprintf(why, whylen, "out of memory");
		fclose(f);
		return -1;
	}
	n = fread(data, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	vcard_import(data, n, c, res, dfn, darg);
	free(data);
	return 0;
}
