/* config.c: config.ini through inih, with a diagnostic for every bad line.
 * inih (Debian's build) gives the handler no line number and reports only the first syntax
 * error, so we feed it through our own reader that counts lines and checks each line's
 * shape; the handler then knows the line it is called for. */
#include "ttyconf.h"
#include "config.h"
#include "sip/ws_url.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_MAX_FILE (1024 * 1024)

static const char *const codec_names[CODEC_COUNT] = { "opus", "g722", "pcma", "pcmu" };

const char *codec_config_name(enum codec_id id)
{
	return id < CODEC_COUNT ? codec_names[id] : "?";
}

int codec_from_config_name(const char *name, enum codec_id *out)
{
	for (int i = 0; i < CODEC_COUNT; i++) {
		if (str_ieq(name, codec_names[i])) {
			*out = (enum codec_id)i;
			return 0;
		}
	}
	return -1;
}

const char *transport_name(enum sip_transport tp)
{
	switch (tp) {
	case TP_UDP: return "udp";
	case TP_TCP: return "tcp";
	case TP_TLS: return "tls";
	case TP_WS: return "ws";
	case TP_WSS: return "wss";
	}
	return "?";
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sip.listen[0] = '\0';   /* any free port on the address that reaches the servers */
	cfg->sip.tls_verify = true;
	snprintf(cfg->sip.user_agent, sizeof(cfg->sip.user_agent), "ttyphone/%s", PACKAGE_VERSION);
	cfg->sip.dtmf = DTMF_RFC4733;
	cfg->sip.trusted_only = true;
	cfg->sip.keepalive = 30;
	for (int i = 0; i < CODEC_COUNT; i++)
		cfg->media.codecs[i] = (enum codec_id)i;
	cfg->media.ncodecs = CODEC_COUNT;
	cfg->media.srtp = SRTP_OPTIONAL;
	cfg->media.rtp_port_min = 16000;
	cfg->media.rtp_port_max = 16999;
	cfg->media.rtp_timeout = 30;
	cfg->media.jitter_min_ms = 20;
	cfg->media.jitter_max_ms = 200;
	cfg->media.opus_bitrate = 32000;
	cfg->media.opus_complexity = 5;
	cfg->media.realtime = true;
	cfg->audio.backend = AUDIO_PULSE;
	cfg->audio.ring_tone = true;
	cfg->ui.colors = true;
}

static void diag(struct config *cfg, int line, bool fatal, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void diag(struct config *cfg, int line, bool fatal, const char *fmt, ...)
{
	struct config_diag *d;
	va_list ap;

	if (cfg->ndiags == CFG_MAX_DIAGS) {
		cfg->ndiags_dropped++;
		return;
	}
	d = &cfg->diags[cfg->ndiags++];
	d->line = line;
	d->fatal = fatal;
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
}

struct parse_ctx {
	struct config *cfg;
	const char *text;       /* whole file */
	size_t pos, len;
	int line;               /* line the reader last returned */
	int section_line;       /* line of the last [section] header the reader saw */
	struct account_cfg *acc;/* current [account X] section, or NULL */
	char section[128];      /* current section as written */
	bool section_known;
	bool saw_default;
};

/* fgets-like reader over the in-memory file: counts lines and checks their shape. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	size_t n, take;
	const char *p, *nl;

	if (c->pos >= c->len || num < 2)
		return NULL;
	p = c->text + c->pos;
	nl = memchr(p, '\n', c->len - c->pos);
	n = nl ? (size_t)(nl - p) + 1 : c->len - c->pos;
	c->pos += n;
	c->line++;
	take = n;
	if (take > (size_t)num - 1) {
		diag(c->cfg, c->line, false, "line too long (at most %d characters): ignored",
		     num - 3);
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	memcpy(str, p, take);
	str[take] = '\0';
	if (memchr(p, '\0', take)) {
		diag(c->cfg, c->line, false, "line contains a NUL byte: ignored");
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	/* Shape check, since inih only reports its first syntax error. */
	{
		char tmp[512];
		str_ncopy(tmp, sizeof(tmp), str, take);
		str_trim(tmp);
		if (tmp[0] && tmp[0] != ';' && tmp[0] != '#' && tmp[0] != '[' &&
		    !strchr(tmp, '=') && !strchr(tmp, ':') &&
		    !(isspace((unsigned char)str[0]))) {
			diag(c->cfg, c->line, false, "expected \"key = value\" or \"[section]\", got \"%.60s\"",
			     tmp);
			str[0] = '\n';
			str[1] = '\0';
		} else if (tmp[0] == '[' && strchr(tmp, ']')) {
			c->section_line = c->line;
		} else if (tmp[0] == '[') {
			diag(c->cfg, c->line, false, "section header without \"]\"");
			str[0] = '\n';
			str[1] = '\0';
		}
	}
	return str;
}

static void set_str(struct parse_ctx *c, char *dst, size_t size, const char *name, const char *v)
{
	if (str_copy(dst, size, v) < 0)
		diag(c->cfg, c->line, false, "value of %s too long (at most %zu characters)", name,
		     size - 1);
}

static bool set_bool(struct parse_ctx *c, bool *dst, const char *name, const char *v)
{
	if (str_parse_bool(v, dst) < 0) {
		diag(c->cfg, c->line, false, "%s must be yes or no, not \"%s\"", name, v);
		return false;
	}
	return true;
}

static bool set_uint(struct parse_ctx *c, unsigned *dst, const char *name, const char *v,
		     unsigned long min, unsigned long max)
{
	unsigned long x;

	if (str_parse_uint(v, min, max, &x) < 0) {
		diag(c->cfg, c->line, false, "%s must be a number from %lu to %lu, not \"%s\"", name,
		     min, max, v);
		return false;
	}
	*dst = (unsigned)x;
	return true;
}

static bool is_sip_uri(const char *v)
{
	return strncasecmp(v, "sip:", 4) == 0 || strncasecmp(v, "sips:", 5) == 0;
}

static int parse_transport(const char *v, enum sip_transport *tp)
{
	if (str_ieq(v, "udp"))
		*tp = TP_UDP;
	else if (str_ieq(v, "tcp"))
		*tp = TP_TCP;
	else if (str_ieq(v, "tls"))
		*tp = TP_TLS;
	else if (str_ieq(v, "ws"))
		*tp = TP_WS;
	else if (str_ieq(v, "wss"))
		*tp = TP_WSS;
	else
		return -1;
	return 0;
}

static void unknown_key(struct parse_ctx *c, const char *name, const char *known)
{
	diag(c->cfg, c->line, false, "unknown key \"%s\" in [%s] (known: %s)", name, c->section,
	     known);
}

static void account_key(struct parse_ctx *c, const char *name, const char *v)
{
	struct account_cfg *a = c->acc;

	if (!strcmp(name, "uri")) {
		if (!is_sip_uri(v) || !strchr(v, '@'))
			diag(c->cfg, c->line, false, "uri must look like sip:user@domain, not \"%s\"", v);
		else
			set_str(c, a->uri, sizeof(a->uri), name, v);
	} else if (!strcmp(name, "authorization_user")) {
		set_str(c, a->authorization_user, sizeof(a->authorization_user), name, v);
	} else if (!strcmp(name, "password")) {
		set_str(c, a->password, sizeof(a->password), name, v);
	} else if (!strcmp(name, "realm")) {
		set_str(c, a->realm, sizeof(a->realm), name, v);
	} else if (!strcmp(name, "display_name")) {
		set_str(c, a->display_name, sizeof(a->display_name), name, v);
	} else if (!strcmp(name, "registrar")) {
		if (*v && !is_sip_uri(v))
			diag(c->cfg, c->line, false, "registrar must be a sip: URI, not \"%s\"", v);
		else
			set_str(c, a->registrar, sizeof(a->registrar), name, v);
	} else if (!strcmp(name, "outbound_proxy")) {
		if (*v && !is_sip_uri(v))
			diag(c->cfg, c->line, false, "outbound_proxy must be a sip: URI, not \"%s\"", v);
		else
			set_str(c, a->outbound_proxy, sizeof(a->outbound_proxy), name, v);
	} else if (!strcmp(name, "transport")) {
		if (parse_transport(v, &a->transport) < 0)
			diag(c->cfg, c->line, false,
			     "unknown transport \"%s\" (known: udp, tcp, tls, ws, wss)", v);
	} else if (!strcmp(name, "socket")) {
		struct ws_url urls[WS_URL_MAX];
		char why[200];
		if (ws_url_list(v, urls, WS_URL_MAX, why, sizeof(why)) < 0)
			diag(c->cfg, c->line, false, "socket: %s (want ws://host:port/path or "
			     "wss://..., comma-separated)", why);
		else
			set_str(c, a->socket, sizeof(a->socket), name, v);
	} else if (!strcmp(name, "media")) {
		if (str_ieq(v, "rtp"))
			a->media = ACC_MEDIA_RTP;
		else if (str_ieq(v, "webrtc"))
			a->media = ACC_MEDIA_WEBRTC;
		else if (str_ieq(v, "auto"))
			a->media = ACC_MEDIA_AUTO;
		else
			diag(c->cfg, c->line, false,
			     "unknown media \"%s\" (known: rtp, webrtc, auto)", v);
	} else if (!strcmp(name, "presence")) {
		set_bool(c, &a->presence, name, v);
	} else if (!strcmp(name, "presence_in_call")) {
		set_bool(c, &a->presence_in_call, name, v);
	} else if (!strcmp(name, "mwi")) {
		set_bool(c, &a->mwi, name, v);
	} else if (!strcmp(name, "voicemail")) {
		if (*v && !is_sip_uri(v))
			diag(c->cfg, c->line, false, "voicemail must be a sip: URI, not \"%s\"", v);
		else
			set_str(c, a->voicemail, sizeof(a->voicemail), name, v);
	} else if (!strcmp(name, "pickup")) {
		if (strspn(v, "0123456789*#") != strlen(v))
			diag(c->cfg, c->line, false, "pickup must be a dial code of digits, * and #, "
			     "not \"%s\"", v);
		else
			set_str(c, a->pickup, sizeof(a->pickup), name, v);
	} else if (!strcmp(name, "register")) {
		set_bool(c, &a->do_register, name, v);
	} else if (!strcmp(name, "register_expires")) {
		set_uint(c, &a->register_expires, name, v, 30, 86400);
	} else if (!strcmp(name, "default")) {
		if (set_bool(c, &a->is_default, name, v) && a->is_default) {
			if (c->saw_default)
				diag(c->cfg, c->line, false, "more than one account has default = yes");
			c->saw_default = true;
		}
	} else {
		unknown_key(c, name, "uri, authorization_user, password, realm, display_name, "
			    "registrar, outbound_proxy, transport, socket, media, register, "
			    "register_expires, default");
	}
}

static void parse_listen(struct parse_ctx *c, char *dst, size_t size, const char *name,
			 const char *v)
{
	const char *colon = strrchr(v, ':');
	unsigned long port;

	if (*v == '\0') {
		dst[0] = '\0';
		return;
	}
	if (!colon || colon == v ||
	    (strcmp(colon + 1, "*") && str_parse_uint(colon + 1, 0, 65535, &port) < 0)) {
		diag(c->cfg, c->line, false, "%s must be address:port (port 0 or * = any), not \"%s\"",
		     name, v);
		return;
	}
	set_str(c, dst, size, name, v);
}

static void sip_key(struct parse_ctx *c, const char *name, const char *v)
{
	struct sip_cfg *s = &c->cfg->sip;

	if (!strcmp(name, "listen")) {
		parse_listen(c, s->listen, sizeof(s->listen), name, v);
	} else if (!strcmp(name, "tls_listen")) {
		parse_listen(c, s->tls_listen, sizeof(s->tls_listen), name, v);
	} else if (!strcmp(name, "ca_file")) {
		set_str(c, s->ca_file, sizeof(s->ca_file), name, v);
	} else if (!strcmp(name, "tls_verify")) {
		set_bool(c, &s->tls_verify, name, v);
	} else if (!strcmp(name, "user_agent")) {
		set_str(c, s->user_agent, sizeof(s->user_agent), name, v);
	} else if (!strcmp(name, "auto_answer")) {
		set_bool(c, &s->auto_answer, name, v);
	} else if (!strcmp(name, "dnd")) {
		set_bool(c, &s->dnd, name, v);
	} else if (!strcmp(name, "trusted_only")) {
		set_bool(c, &s->trusted_only, name, v);
	} else if (!strcmp(name, "keepalive")) {
		set_uint(c, &s->keepalive, name, v, 0, 3600);
	} else if (!strcmp(name, "dtmf")) {
		if (str_ieq(v, "rfc4733"))
			s->dtmf = DTMF_RFC4733;
		else if (str_ieq(v, "info"))
			s->dtmf = DTMF_INFO;
		else
			diag(c->cfg, c->line, false, "unknown dtmf mode \"%s\" (known: rfc4733, info)", v);
	} else {
		unknown_key(c, name, "listen, tls_listen, ca_file, tls_verify, user_agent, "
			    "auto_answer, dnd, dtmf, trusted_only, keepalive");
	}
}

static void parse_codecs(struct parse_ctx *c, const char *v)
{
	struct media_cfg *m = &c->cfg->media;
	char list[256], *save = NULL, *tok;
	enum codec_id got[CODEC_COUNT];
	unsigned n = 0;

	if (str_copy(list, sizeof(list), v) < 0) {
		diag(c->cfg, c->line, false, "codecs list too long");
		return;
	}
	for (tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		enum codec_id id;
		bool dup = false;

		if (codec_from_config_name(tok, &id) < 0) {
			diag(c->cfg, c->line, false,
			     "unknown codec \"%s\" (known: opus, g722, pcma, pcmu)", tok);
			continue;
		}
		for (unsigned i = 0; i < n; i++)
			dup |= got[i] == id;
		if (dup) {
			diag(c->cfg, c->line, false, "codec \"%s\" listed twice", tok);
			continue;
		}
		got[n++] = id;
	}
	if (n == 0) {
		diag(c->cfg, c->line, false, "no usable codec in \"%s\": keeping the default list", v);
		return;
	}
	memcpy(m->codecs, got, n * sizeof(got[0]));
	m->ncodecs = n;
}

static void media_key(struct parse_ctx *c, const char *name, const char *v)
{
	struct media_cfg *m = &c->cfg->media;

	if (!strcmp(name, "codecs")) {
		parse_codecs(c, v);
	} else if (!strcmp(name, "srtp")) {
		if (str_ieq(v, "off") || str_ieq(v, "no"))
			m->srtp = SRTP_OFF;
		else if (str_ieq(v, "optional"))
			m->srtp = SRTP_OPTIONAL;
		else if (str_ieq(v, "mandatory"))
			m->srtp = SRTP_MANDATORY;
		else
			diag(c->cfg, c->line, false,
			     "unknown srtp mode \"%s\" (known: off, optional, mandatory)", v);
	} else if (!strcmp(name, "rtp_ports")) {
		unsigned long lo, hi;
		char a[16], *dash;
		if (str_copy(a, sizeof(a), v) == 0 && (dash = strchr(a, '-')) != NULL) {
			*dash = '\0';
			if (str_parse_uint(str_trim(a), 1024, 65534, &lo) == 0 &&
			    str_parse_uint(str_trim(dash + 1), 1025, 65535, &hi) == 0 && hi > lo + 2) {
				m->rtp_port_min = (uint16_t)lo;
				m->rtp_port_max = (uint16_t)hi;
				return;
			}
		}
		diag(c->cfg, c->line, false,
		     "rtp_ports must be a range like 16000-16999 (ports 1024-65535), not \"%s\"", v);
	} else if (!strcmp(name, "rtp_timeout")) {
		set_uint(c, &m->rtp_timeout, name, v, 0, 3600);
	} else if (!strcmp(name, "jitter_min")) {
		set_uint(c, &m->jitter_min_ms, name, v, 0, 1000);
	} else if (!strcmp(name, "jitter_max")) {
		set_uint(c, &m->jitter_max_ms, name, v, 20, 2000);
	} else if (!strcmp(name, "opus_bitrate")) {
		set_uint(c, &m->opus_bitrate, name, v, 6000, 510000);
	} else if (!strcmp(name, "opus_dtx")) {
		set_bool(c, &m->opus_dtx, name, v);
	} else if (!strcmp(name, "opus_complexity")) {
		set_uint(c, &m->opus_complexity, name, v, 0, 10);
	} else if (!strcmp(name, "realtime")) {
		set_bool(c, &m->realtime, name, v);
	} else if (!strcmp(name, "stun_server")) {
		set_str(c, m->stun_server, sizeof(m->stun_server), name, v);
	} else if (!strcmp(name, "turn_server")) {
		set_str(c, m->turn_server, sizeof(m->turn_server), name, v);
	} else if (!strcmp(name, "turn_user")) {
		set_str(c, m->turn_user, sizeof(m->turn_user), name, v);
	} else if (!strcmp(name, "turn_password")) {
		set_str(c, m->turn_password, sizeof(m->turn_password), name, v);
	} else if (!strcmp(name, "ice_policy")) {
		/* named after RTCConfiguration.iceTransportPolicy: "all" or "relay" */
		if (str_ieq(v, "all"))
			m->ice_relay_only = false;
		else if (str_ieq(v, "relay"))
			m->ice_relay_only = true;
		else
			diag(c->cfg, c->line, false, "ice_policy must be all or relay, not \"%s\"", v);
	} else {
		unknown_key(c, name, "codecs, srtp, rtp_ports, rtp_timeout, jitter_min, jitter_max, "
			    "opus_bitrate, opus_dtx, opus_complexity, realtime, stun_server, "
			    "turn_server, turn_user, turn_password, ice_policy");
	}
}

static void audio_key(struct parse_ctx *c, const char *name, const char *v)
{
	struct audio_cfg *a = &c->cfg->audio;

	if (!strcmp(name, "backend")) {
		if (str_ieq(v, "pulse"))
			a->backend = AUDIO_PULSE;
		else if (str_ieq(v, "file"))
			a->backend = AUDIO_FILE;
		else if (str_ieq(v, "null"))
			a->backend = AUDIO_NULL;
		else
			diag(c->cfg, c->line, false,
			     "unknown audio backend \"%s\" (known: pulse, file, null)", v);
	} else if (!strcmp(name, "server")) {
		set_str(c, a->server, sizeof(a->server), name, v);
	} else if (!strcmp(name, "capture")) {
		set_str(c, a->capture, sizeof(a->capture), name, v);
	} else if (!strcmp(name, "playback")) {
		set_str(c, a->playback, sizeof(a->playback), name, v);
	} else if (!strcmp(name, "input")) {
		set_str(c, a->input, sizeof(a->input), name, v);
	} else if (!strcmp(name, "output")) {
		set_str(c, a->output, sizeof(a->output), name, v);
	} else if (!strcmp(name, "echo_cancel")) {
		set_bool(c, &a->echo_cancel, name, v);
	} else if (!strcmp(name, "ring_tone")) {
		set_bool(c, &a->ring_tone, name, v);
	} else {
		unknown_key(c, name, "backend, server, capture, playback, input, output, "
			    "echo_cancel, ring_tone");
	}
}

static void ui_key(struct parse_ctx *c, const char *name, const char *v)
{
	struct ui_cfg *u = &c->cfg->ui;

	if (!strcmp(name, "colors")) {
		set_bool(c, &u->colors, name, v);
	} else if (!strcmp(name, "mouse")) {
		set_bool(c, &u->mouse, name, v);
	} else if (!strcmp(name, "calls_height")) {
		set_uint(c, &u->calls_height, name, v, 0, 200);
	} else if (!strcmp(name, "contacts_width")) {
		set_uint(c, &u->contacts_width, name, v, 0, 500);
	} else if (!strncmp(name, "key_", 4) && name[4]) {
		/* The action names belong to the UI (tui/keys.h): it checks them at start and
		 * reports an unknown one with this line. */
		struct ui_key_override *k;
		if (u->nkeys == CFG_MAX_KEY_OVERRIDES) {
			diag(c->cfg, c->line, false, "too many key_ overrides (at most %d)",
			     CFG_MAX_KEY_OVERRIDES);
			return;
		}
		k = &u->keys[u->nkeys];
		if (str_copy(k->action, sizeof(k->action), name + 4) < 0 ||
		    str_copy(k->key, sizeof(k->key), v) < 0 || !v[0]) {
			diag(c->cfg, c->line, false, "%s: a key such as x, ^x, F5, Tab or Enter", name);
			return;
		}
		k->line = c->line;
		u->nkeys++;
	} else {
		unknown_key(c, name, "colors, mouse, calls_height, contacts_width, key_ACTION");
	}
}

/* Called when the section name changes (inih reports sections only through keys). */
static void enter_section(struct parse_ctx *c, const char *section)
{
	/* inih reports a section only with its first key: point messages at the header. */
	int line = c->section_line ? c->section_line : c->line;

	str_copy(c->section, sizeof(c->section), section);
	c->acc = NULL;
	c->section_known = true;
	if (!strncmp(section, "account", 7) && (section[7] == ' ' || section[7] == '\0')) {
		char name[128];
		str_copy(name, sizeof(name), section + 7);
		str_trim(name);
		if (!name[0]) {
			diag(c->cfg, line, false, "account section needs a name: [account NAME]");
			c->section_known = false;
			return;
		}
		if (config_find_account(c->cfg, name)) {
			diag(c->cfg, line, false, "account \"%s\" defined twice", name);
			c->section_known = false;
			return;
		}
		if (c->cfg->naccounts == CFG_MAX_ACCOUNTS) {
			diag(c->cfg, line, false, "too many accounts (at most %d)", CFG_MAX_ACCOUNTS);
			c->section_known = false;
			return;
		}
		c->acc = &c->cfg->accounts[c->cfg->naccounts++];
		memset(c->acc, 0, sizeof(*c->acc));
		if (str_copy(c->acc->name, sizeof(c->acc->name), name) < 0)
			diag(c->cfg, line, false, "account name too long");
		c->acc->transport = TP_UDP;
		c->acc->do_register = true;
		c->acc->presence_in_call = true;
		c->acc->register_expires = 600;
		c->acc->line = line;
	} else if (strcmp(section, "sip") && strcmp(section, "media") && strcmp(section, "audio") &&
		   strcmp(section, "ui")) {
		diag(c->cfg, line, false,
		     "unknown section [%s] (known: [account NAME], [sip], [media], [audio], [ui])",
		     section);
		c->section_known = false;
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;

	if (strcmp(section, c->section) || c->line == 0)
		enter_section(c, section);
	if (!section[0]) {
		diag(c->cfg, c->line, false, "key \"%s\" outside any section", name);
		return 1;
	}
	if (!c->section_known)
		return 1; /* already reported once at the section */
	if (c->acc)
		account_key(c, name, value);
	else if (!strcmp(section, "sip"))
		sip_key(c, name, value);
	else if (!strcmp(section, "media"))
		media_key(c, name, value);
	else if (!strcmp(section, "audio"))
		audio_key(c, name, value);
	else if (!strcmp(section, "ui"))
		ui_key(c, name, value);
	return 1;
}

/* socket alone is enough, as in JsSIP: the transport follows its first URL's scheme. A
 * WebSocket transport without a socket has nowhere to go. */
static void ws_transport_check(struct config *cfg, struct account_cfg *a)
{
	bool ws = a->transport == TP_WS || a->transport == TP_WSS;

	if (a->socket[0] && !ws) {
		if (a->transport != TP_UDP)
			diag(cfg, a->line, false, "account \"%s\": socket is for transport = ws or wss, "
			     "not %s: using the socket", a->name, transport_name(a->transport));
		a->transport = strncasecmp(a->socket + strspn(a->socket, " \t"), "wss:", 4) ? TP_WS
											  : TP_WSS;
	} else if (!a->socket[0] && ws) {
		diag(cfg, a->line, false, "account \"%s\": transport = %s needs socket = "
		     "%s://host:port/path: using udp", a->name, transport_name(a->transport),
		     transport_name(a->transport));
		a->transport = TP_UDP;
	}
}

/* Checks that need the whole file: defaults derived from other keys, unusable accounts. */
static int finish(struct config *cfg)
{
	int rc = 0;

	for (unsigned i = 0; i < cfg->naccounts; i++) {
		struct account_cfg *a = &cfg->accounts[i];

		if (!a->uri[0]) {
			char text[128];
			snprintf(text, sizeof(text), "account \"%s\" has no uri", a->name);
			diag(cfg, a->line, true, "%s", text);
			rc = -1;
			continue;
		}
		if (!a->authorization_user[0]) {
			const char *u = strchr(a->uri, ':') + 1, *at = strchr(u, '@');
			str_ncopy(a->authorization_user, sizeof(a->authorization_user), u,
				  (size_t)(at - u));
		}
		ws_transport_check(cfg, a);
		if (a->do_register && !a->password[0])
			diag(cfg, a->line, false, "account \"%s\" registers but has no password", a->name);
	}
	if (cfg->media.jitter_min_ms > cfg->media.jitter_max_ms) {
		diag(cfg, 0, false, "jitter_min is above jitter_max: using %u for both",
		     cfg->media.jitter_max_ms);
		cfg->media.jitter_min_ms = cfg->media.jitter_max_ms;
	}
	if (cfg->media.ice_relay_only && !cfg->media.turn_server[0]) {
		/* Else every WebRTC call would fail at its first step: say it once, here. */
		diag(cfg, 0, false, "ice_policy = relay needs a turn_server: using all candidates");
		cfg->media.ice_relay_only = false;
	}
	return rc;
}

int config_load_string(struct config *cfg, const char *name, const char *text)
{
	struct parse_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.text = text;
	c.len = strlen(text);
	str_copy(cfg->path, sizeof(cfg->path), name);
	rc = ini_parse_stream(reader, &c, handler, &c);
	if (rc == -2) {
		diag(cfg, 0, true, "out of memory while reading");
		return -1;
	}
	/* rc > 0 is a syntax error inih saw; our reader already reported each bad line. */
	return finish(cfg);
}

int config_load(struct config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	char *text;
	size_t n;
	int rc;

	str_copy(cfg->path, sizeof(cfg->path), path);
	if (!f) {
		diag(cfg, 0, true, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || st.st_size > CONFIG_MAX_FILE) {
		diag(cfg, 0, true, "not a readable config file of at most 1 MB");
		fclose(f);
		return -1;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		fclose(f);
		diag(cfg, 0, true, "out of memory");
		return -1;
	}
	n = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		diag(cfg, 0, true, "read error: %s", strerror(errno));
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	text[n] = '\0';
	rc = config_load_string(cfg, path, text);
	free(text);
	if (st.st_mode & 077) {
		bool has_password = false;
		for (unsigned i = 0; i < cfg->naccounts; i++)
			has_password |= cfg->accounts[i].password[0] != '\0';
		if (has_password)
			diag(cfg, 0, false,
			     "holds passwords but is readable by others (mode %03o): chmod 600 %s",
			     (unsigned)(st.st_mode & 0777), path);
	}
	return rc;
}

void config_report(const struct config *cfg, void (*out)(void *arg, const char *line), void *arg)
{
	char line[CFG_PATH + 400];
	const char *base = strrchr(cfg->path, '/');

	base = base ? base + 1 : cfg->path;
	for (unsigned i = 0; i < cfg->ndiags; i++) {
		const struct config_diag *d = &cfg->diags[i];
		if (d->line > 0)
			snprintf(line, sizeof(line), "%s:%d: %s", base, d->line, d->text);
		else
			snprintf(line, sizeof(line), "%s: %s", base, d->text);
		out(arg, line);
	}
	if (cfg->ndiags_dropped) {
		snprintf(line, sizeof(line), "%s: %u more problems not shown", base, cfg->ndiags_dropped);
		out(arg, line);
	}
}

const struct account_cfg *config_default_account(const struct config *cfg)
{
	for (unsigned i = 0; i < cfg->naccounts; i++)
		if (cfg->accounts[i].is_default)
			return &cfg->accounts[i];
	return cfg->naccounts ? &cfg->accounts[0] : NULL;
}

const struct account_cfg *config_find_account(const struct config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->naccounts; i++)
		if (!strcmp(cfg->accounts[i].name, name))
			return &cfg->accounts[i];
	return NULL;
}
