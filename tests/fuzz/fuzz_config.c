/* fuzz_config.c: a config.ini as a person (or a broken editor) might leave it.
 *
 * The input is the file's text, loaded over the defaults with config_load_string, and its
 * diagnostics printed as --check-config does. Whatever the text, the result must stay
 * inside its fixed fields: bounded counts, NUL-terminated strings, codecs that exist, a
 * jitter range that is a range, and the default account among the accounts. */
#include "fuzz.h"
#include "config.h"

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
	(void)config_load_string(&cfg, "config.ini", text);
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
		FUZZ_ASSERT(a->transport == TP_UDP || a->transport == TP_TCP || a->transport == TP_TLS);
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
