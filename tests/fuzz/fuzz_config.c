/* fuzz_config.c: a config.ini as a person (or a broken editor) might leave it.
 *
 * The input is the file's text, loaded over the defaults with config_load_string, and its
 * diagnostics printed as --check-config does. Whatever the text, the result must stay
 * inside its fixed fields: bounded counts, NUL-terminated strings, codecs that exist, a
 * jitter range that is a range, the default account among the accounts, and a WebSocket
 * transport only with a socket list that parses. */
#include "fuzz.h"
#include "config.h"
#include "sip/ws_url.h"

static void sink(void *arg, const char *line)
{
	size_t *total = arg;

	*total += strlen(line);
}

#define TERMINATED(field) FUZZ_ASSERT(memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char *text = fuzz_cstr(data, size);
	size_t total = 0;
	const struct account_cfg *def;

	config_defaults(&cfg);
	bool ok = config_load_string(&cfg, "config.ini", text) == 0;
	FUZZ_ASSERT(cfg.naccounts <= CFG_MAX_ACCOUNTS);
	FUZZ_ASSERT(cfg.ndiags <= CFG_MAX_DIAGS);
	for (unsigned i = 0; i < cfg.ndiags; i++)
		TERMINATED(cfg.diags[i].text);
	for (unsigned i = 0; i < cfg.naccounts; i++) {
		const struct account_cfg *a = &cfg.accounts[i];

		TERMINATED(a->name);
		TERMINATED(a->uri);
		TERMINATED(a->authorization_user);
		TERMINATED(a->password);
		TERMINATED(a->realm);
		TERMINATED(a->display_name);
		TERMINATED(a->registrar);
		TERMINATED(a->outbound_proxy);
		FUZZ_ASSERT(a->transport <= TP_WSS);
		TERMINATED(a->socket);
		/* A socket that was kept is one the bridge can use. */
		if (a->socket[0]) {
			struct ws_url urls[WS_URL_MAX];
			char why[200];
			FUZZ_ASSERT(ws_url_list(a->socket, urls, WS_URL_MAX, why, sizeof(why)) >= 1);
		}
		/* After a load that succeeded, ws/wss and a socket go together. */
		if (ok)
			FUZZ_ASSERT((a->transport == TP_WS || a->transport == TP_WSS) ==
				    (a->socket[0] != '\0'));
		FUZZ_ASSERT(config_find_account(&cfg, a->name) != NULL);
	}
	TERMINATED(cfg.sip.listen);
	TERMINATED(cfg.sip.tls_listen);
	TERMINATED(cfg.sip.ca_file);
	TERMINATED(cfg.sip.user_agent);
	TERMINATED(cfg.audio.server);
	TERMINATED(cfg.audio.input);
	TERMINATED(cfg.audio.output);
	FUZZ_ASSERT(cfg.media.ncodecs <= CODEC_COUNT);
	for (unsigned i = 0; i < cfg.media.ncodecs; i++)
		FUZZ_ASSERT((unsigned)cfg.media.codecs[i] < CODEC_COUNT);
	FUZZ_ASSERT(cfg.media.jitter_min_ms <= cfg.media.jitter_max_ms);
	def = config_default_account(&cfg);
	FUZZ_ASSERT((def != NULL) == (cfg.naccounts > 0));
	if (def)
		FUZZ_ASSERT(def >= cfg.accounts && def < cfg.accounts + cfg.naccounts);
	config_report(&cfg, sink, &total);
	free(text);
	return 0;
}
