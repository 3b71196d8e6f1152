/* Config validation: a good file, and each kind of bad line reported as file:line. */
#include "config.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static struct config cfg;

static bool has_diag(int line, const char *needle)
{
	for (unsigned i = 0; i < cfg.ndiags; i++)
		if (cfg.diags[i].line == line && strstr(cfg.diags[i].text, needle))
			return true;
	for (unsigned i = 0; i < cfg.ndiags; i++)
		fprintf(stderr, "  diag %d: %s\n", cfg.diags[i].line, cfg.diags[i].text);
	return false;
}

static void test_good_file_parses_every_section(void)
{
	config_defaults(&cfg);
	int rc = config_load_string(&cfg, "config.ini",
		"[sip]\nlisten = 127.0.0.1:0\nuser_agent = t/1\nauto_answer = yes\n"
		"[account alice]\nuri = sip:alice@example.org\npassword = secret ; comment\n"
		"transport = tls\nregister_expires = 300\n"
		"[account bob]\nuri = sip:bob@example.org\nauthorization_user = b0b\ndefault = yes\nregister = no\n"
		"[media]\ncodecs = pcma, opus\nsrtp = mandatory\nrtp_ports = 20000-20100\n"
		"[audio]\nbackend = file\ninput = /tmp/in.wav\n[ui]\ncolors = no\ncalls_height = 9\n"
		"key_hangup = x\n");
	CHECK_INT(rc, 0);
	CHECK_INT(cfg.ndiags, 0);
	CHECK_INT(cfg.naccounts, 2);
	CHECK_STR(cfg.accounts[0].name, "alice");
	CHECK_STR(cfg.accounts[0].authorization_user, "alice");
	CHECK_STR(cfg.accounts[0].password, "secret");
	CHECK_INT(cfg.accounts[0].transport, TP_TLS);
	CHECK_INT(cfg.accounts[0].register_expires, 300);
	CHECK_STR(cfg.accounts[1].authorization_user, "b0b");
	CHECK_STR(config_default_account(&cfg)->name, "bob");
	CHECK_INT(cfg.media.ncodecs, 2);
	CHECK_INT(cfg.media.codecs[0], CODEC_PCMA);
	CHECK_INT(cfg.media.codecs[1], CODEC_OPUS);
	CHECK_INT(cfg.media.srtp, SRTP_MANDATORY);
	CHECK_INT(cfg.media.rtp_port_min, 20000);
	CHECK_INT(cfg.audio.backend, AUDIO_FILE);
	CHECK(cfg.sip.auto_answer);
	CHECK(!cfg.ui.colors);
	CHECK_INT(cfg.ui.calls_height, 9);
	CHECK_INT(cfg.ui.nkeys, 1);
	CHECK_STR(cfg.ui.keys[0].action, "hangup");
	CHECK_STR(cfg.ui.keys[0].key, "x");
	CHECK_INT(cfg.ui.keys[0].line, 25);
}

static void test_unknown_codec_is_reported_with_line_and_known_list(void)
{
	config_defaults(&cfg);
	config_load_string(&cfg, "config.ini", "[media]\n\ncodecs = opuss, pcmu\n");
	CHECK(has_diag(3, "unknown codec \"opuss\" (known: opus, g722, pcma, pcmu)"));
	CHECK_INT(cfg.media.ncodecs, 1);
	CHECK_INT(cfg.media.codecs[0], CODEC_PCMU);
}

static void test_ice_policy_relay_needs_a_turn_server(void)
{
	config_defaults(&cfg);
	CHECK(!cfg.media.ice_relay_only);                 /* all, by default */
	config_load_string(&cfg, "config.ini", "[media]\nice_policy = relay\n"
			   "turn_server = turn.example.org\nturn_user = u\nturn_password = p\n");
	CHECK(cfg.media.ice_relay_only);
	CHECK_INT(cfg.ndiags, 0);
	config_defaults(&cfg);
	config_load_string(&cfg, "config.ini", "[media]\nice_policy = relay\n");
	CHECK(has_diag(0, "ice_policy = relay needs a turn_server: using all candidates"));
	CHECK(!cfg.media.ice_relay_only);
	config_defaults(&cfg);
	config_load_string(&cfg, "config.ini", "[media]\n\nice_policy = stun\n");
	CHECK(has_diag(3, "ice_policy must be all or relay, not \"stun\""));
}

static void test_each_bad_line_is_reported(void)
{
	config_defaults(&cfg);
	int rc = config_load_string(&cfg, "config.ini",
		"[sip]\n"                    /* 1 */
		"listen = nowhere\n"         /* 2 */
		"bogus = 1\n"                /* 3 */
		"just some words\n"          /* 4 */
		"[nonsense]\n"               /* 5 */
		"x = 1\n"                    /* 6 */
		"[media]\n"                  /* 7 */
		"srtp = maybe\n"             /* 8 */
		"rtp_ports = 5-3\n"          /* 9 */
		"rtp_timeout = -1\n"         /* 10 */
		"[account a]\n"              /* 11 */
		"uri = alice\n"              /* 12 */
		"transport = sctp\n"         /* 13 */
		"register = perhaps\n"       /* 14 */
		"[audio]\nbackend = alsa\n"  /* 15, 16 */
		"[sip\n"                     /* 17 */
		"[account b]\n"              /* 18 */
		"uri = sip:b@example.org\n"  /* 19 */
		"pickup = *8; drop table\n"); /* 20 */
	CHECK(has_diag(2, "listen must be address:port"));
	CHECK(has_diag(3, "unknown key \"bogus\" in [sip]"));
	CHECK(has_diag(4, "expected \"key = value\""));
	CHECK(has_diag(5, "unknown section [nonsense]"));
	CHECK(has_diag(8, "unknown srtp mode \"maybe\""));
	CHECK(has_diag(9, "rtp_ports must be a range"));
	CHECK(has_diag(10, "rtp_timeout must be a number"));
	CHECK(has_diag(12, "uri must look like sip:user@domain"));
	CHECK(has_diag(13, "unknown transport \"sctp\""));
	CHECK(has_diag(14, "register must be yes or no"));
	CHECK(has_diag(16, "unknown audio backend \"alsa\""));
	CHECK(has_diag(17, "section header without"));
	CHECK(has_diag(20, "pickup must be a dial code of digits, * and #"));
	CHECK_STR(cfg.accounts[1].pickup, "");
	/* the account has no usable uri: fatal */
	CHECK(has_diag(11, "has no uri"));
	CHECK_INT(rc, -1);
}

static void test_long_line_is_reported_not_split(void)
{
	char text[600];
	config_defaults(&cfg);
	memset(text, 0, sizeof(text));
	strcpy(text, "[sip]\nuser_agent = ");
	memset(text + strlen(text), 'x', 300);
	strcat(text, "\nauto_answer = yes\n");
	config_load_string(&cfg, "config.ini", text);
	CHECK(has_diag(2, "line too long"));
	CHECK(cfg.sip.auto_answer);
	CHECK_INT(cfg.ndiags, 1);
}

static void test_report_formats_file_and_line(void)
{
	char out[512] = "";
	config_defaults(&cfg);
	config_load_string(&cfg, "/home/u/.config/ttyphone/config.ini", "[media]\ncodecs = x\n");
	void collect(void *arg, const char *line);
	config_report(&cfg, collect, out);
	CHECK(strstr(out, "config.ini:2: unknown codec \"x\"") != NULL);
}

void collect(void *arg, const char *line)
{
	strncat(arg, line, 400);
}

static void test_missing_file_is_fatal_with_reason(void)
{
	config_defaults(&cfg);
	CHECK_INT(config_load(&cfg, "/nonexistent/ttyphone.ini"), -1);
	CHECK(has_diag(0, "cannot open"));
}

static void test_pickup_code_is_kept(void)
{
	config_defaults(&cfg);
	CHECK_INT(config_load_string(&cfg, "config.ini", "[account a]\nuri = sip:a@example.org\n"
				     "pickup = **\n"), 0);
	CHECK_STR(cfg.accounts[0].pickup, "**");
	config_defaults(&cfg);
	CHECK_INT(config_load_string(&cfg, "config.ini", "[account a]\nuri = sip:a@example.org\n"),
		  0);
	CHECK_STR(cfg.accounts[0].pickup, "");
}

static void test_websocket_accounts(void)
{
	config_defaults(&cfg);
	config_load_string(&cfg, "config.ini",
		"[account a]\nuri = sip:a@example.org\npassword = x\n"       /* 1-3 */
		"socket = wss://ws.example.org:8443/ws, ws://[::1]/sip\n"      /* 4 */
		"[account b]\nuri = sip:b@example.org\npassword = x\n"       /* 5-7 */
		"transport = ws\n"                                             /* 8 */
		"[account c]\nuri = sip:c@example.org\npassword = x\n"       /* 9-11 */
		"socket = http://example.org/ws\n"                             /* 12 */
		"[account d]\nuri = sip:d@example.org\npassword = x\n"       /* 13-15 */
		"transport = tls\nsocket = ws://example.org/ws\n");           /* 16, 17 */
	/* socket alone: the transport follows the first URL. */
	CHECK_INT(cfg.accounts[0].transport, TP_WSS);
	CHECK_STR(cfg.accounts[0].socket, "wss://ws.example.org:8443/ws, ws://[::1]/sip");
	/* ws without a socket has nowhere to go: said, and udp used. */
	CHECK(has_diag(5, "transport = ws needs socket"));
	CHECK_INT(cfg.accounts[1].transport, TP_UDP);
	CHECK(has_diag(12, "socket: "));
	CHECK_STR(cfg.accounts[2].socket, "");
	CHECK(has_diag(13, "socket is for transport = ws or wss, not tls"));
	CHECK_INT(cfg.accounts[3].transport, TP_WS);
	CHECK_STR(transport_name(TP_WSS), "wss");
}

int main(void)
{
	RUN(test_websocket_accounts);
	RUN(test_pickup_code_is_kept);
	RUN(test_good_file_parses_every_section);
	RUN(test_unknown_codec_is_reported_with_line_and_known_list);
	RUN(test_each_bad_line_is_reported);
	RUN(test_ice_policy_relay_needs_a_turn_server);
	RUN(test_long_line_is_reported_not_split);
	RUN(test_report_formats_file_and_line);
	RUN(test_missing_file_is_fatal_with_reason);
	return unit_done();
}
