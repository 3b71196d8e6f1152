/* sipua.c: Sofia-SIP NUA behind sipua.h. Owns the nua instance and its life (alloc, shutdown,
 * free), the trace sink every message on the wire reaches through su_log, and the one NUA
 * callback, which hands each event to its concern: registration and keep-alive
 * (sipua_register.c), calls (sipua_call.c), MESSAGE (sipua_message.c), and who sent a
 * request (sipua_request.c). WebSocket accounts: sipua_ws.c. */
#include "sipua_priv.h"

/* The trace sink is process-wide because su_log_default is. */
static struct trace *trace_sink;
/* A stack whose shutdown did not complete in time (a BYE to a peer that died waits for
 * its 32 s timeout): nua_destroy refuses to free it, and we are about to exit. Kept here,
 * main thread only, so that it is memory we knowingly hold (LeakSanitizer and valgrind
 * count it as reachable) rather than a leak that hides real ones. */
static nua_t *volatile abandoned_nua;     /* volatile: written, never read */

void sipua_say(struct sipua *ua, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (ua->ev->log)
		ua->ev->log(ua->arg, line);
}

/* su_log callback: tport's message dumps arrive here one line per call. */
static void su_logger(void *stream, char const *fmt, va_list ap)
{
	char line[4096];

	(void)stream;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (trace_sink)
		trace_feed_text(trace_sink, line);
}

/* The TLS client needs a certificate directory holding cafile.pem (SOFIA-NOTES). */
static int prepare_certdir(struct sipua *ua, char *why, size_t whylen)
{
	const char *ca = ua->cfg->sip.ca_file[0] ? ua->cfg->sip.ca_file :
		"/etc/ssl/certs/ca-certificates.crt";
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char path[CFG_PATH + 32];
	FILE *in, *out;
	char buf[4096];
	size_t n;
	int rc = 0;

	snprintf(ua->certdir, sizeof(ua->certdir), "%s/ttyphone-tls-%ld",
		 rt && *rt ? rt : "/tmp", (long)getpid());
	if (mkdir(ua->certdir, 0700) < 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", ua->certdir, strerror(errno));
		return -1;
	}
	in = fopen(ca, "r");
	if (!in) {
		snprintf(why, whylen, "cannot read CA file %s: %s", ca, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/cafile.pem", ua->certdir);
	out = fopen(path, "w");
	if (!out) {
		fclose(in);
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (ferror(in))
		rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	if (rc < 0)
		snprintf(why, whylen, "cannot copy CA file %s", ca);
	return rc;
}

static void remove_certdir(struct sipua *ua)
{
	char path[CFG_PATH + 32];

	if (!ua->certdir[0])
		return;
	snprintf(path, sizeof(path), "%s/cafile.pem", ua->certdir);
	unlink(path);
	rmdir(ua->certdir);
}

/* The domain (host[:port]) of a sip: URI, without user, params or headers. */
void sipua_uri_hostport(const char *uri, char *out, size_t size)
{
	const char *p = strchr(uri, ':'), *at;
	size_t n;

	p = p ? p + 1 : uri;
	at = strchr(p, '@');
	if (at)
		p = at + 1;
	n = strcspn(p, ";?>");
	str_ncopy(out, size, p, n);
}

static void nua_callback(nua_event_t event, int status, char const *phrase, nua_t *nua,
			 struct sipua *ua, nua_handle_t *nh, union sipua_hnd *h, sip_t const *sip,
			 tagi_t tags[])
{
	(void)nua;
	if (event == nua_r_shutdown) {
		if (status >= 200)
			ua->shutdown_done = true;
		return;
	}
	if (h && h->kind == HND_ACC) {
		if (event == nua_r_register || event == nua_r_unregister)
			sipua_on_register(ua, &h->acc, event, status, phrase, sip);
		return;
	}
	if (h && h->kind == HND_KA) {
		if (event == nua_r_options)
			sipua_on_keepalive(ua, ((struct sipua_acc *)((char *)h - offsetof(struct sipua_acc, ka))),
				     status, phrase, sip);
		return;
	}
	if (h && h->kind == HND_SUB) {
		sipua_on_sub_event(ua, &h->sub, event, status, phrase, sip, tags);
		return;
	}
	if (h && h->kind == HND_PUB) {
		if (event == nua_r_publish || event == nua_r_unpublish)
			sipua_on_publish(ua, ((struct sipua_acc *)((char *)h - offsetof(struct sipua_acc, pub))),
					 status, phrase, sip);
		return;
	}
	if (h && h->kind == HND_MSG) {
		if (event == nua_r_message)
			sipua_on_message_out(ua, &h->msg, status, phrase, sip);
		return;
	}
	if (h && h->kind == HND_CALL) {
		sipua_on_call_event(ua, &h->call, event, status, phrase, sip, tags);
		return;
	}
	/* Events on handles we do not own yet: new requests from the network. */
	switch (event) {
	case nua_i_invite:
		if (!sipua_request_trusted(ua))
			sipua_refuse_untrusted(ua, nh, "INVITE");
		else
			sipua_on_incoming_invite(ua, nh, sip);
		break;
	case nua_i_message:
		if (!sipua_request_trusted(ua))
			sipua_refuse_untrusted(ua, nh, "MESSAGE");
		else
			sipua_on_message_in(ua, nh, sip);
		break;
	case nua_i_options:
		/* OPTIONS is ours to answer (NUTAG_APPL_METHOD) so probes learn nothing. */
		if (!sipua_request_trusted(ua)) {
			sipua_refuse_untrusted(ua, nh, "OPTIONS");
		} else {
			nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
			nua_handle_destroy(nh);
		}
		break;
	case nua_i_outbound:
		break;
	default:
		/* Unowned handles that nua created for the network (OPTIONS, stray NOTIFY...):
		 * release them so they do not pile up. */
		if (nh && !h && (event == nua_i_terminated || event == nua_i_options ||
				 event == nua_i_notify || event == nua_i_subscribe ||
				 event == nua_i_publish || event == nua_i_info ||
				 event == nua_i_refer))
			nua_handle_destroy(nh);
		break;
	}
}

int sipua_alloc(struct sipua **uap, struct loop *loop, const struct config *cfg,
		struct trace *trace, const struct sipua_events *ev, void *arg, char *why,
		size_t whylen)
{
	struct sipua *ua = calloc(1, sizeof(*ua));
	char url[200], sips_url[200] = "";
	const char *host;
	unsigned port;
	bool want_tls = cfg->sip.tls_listen[0] != '\0';

	if (!ua)
		return ENOMEM;
	su_home_init(ua->home);
	ua->loop = loop;
	ua->root = loop_su_root(loop);
	ua->cfg = cfg;
	ua->trace = trace;
	ua->ev = ev;
	ua->arg = arg;
	if (sip_listen_pick(cfg, &ua->listen, why, whylen) < 0)
		goto fail;
	host = ua->listen.host;
	port = ua->listen.port;
	snprintf(url, sizeof(url), strchr(host, ':') ? "sip:[%s]:%u" : "sip:%s:%u", host, port);
	snprintf(ua->contact, sizeof(ua->contact), strchr(host, ':') ? "[%s]:%u" : "%s:%u",
		 !strcmp(host, "0.0.0.0") ? "127.0.0.1" : host, port);
	for (unsigned i = 0; i < cfg->naccounts; i++)
		want_tls |= cfg->accounts[i].transport == TP_TLS;
	if (want_tls) {
		unsigned tport_no = 0;
		char thost[128];
		if (prepare_certdir(ua, why, whylen) < 0)
			goto fail;
		if (cfg->sip.tls_listen[0]) {
			struct sip_listen tl;
			if (sip_listen_parse(cfg->sip.tls_listen, &tl, why, whylen) < 0)
				goto fail;
			str_copy(thost, sizeof(thost), tl.host);
			tport_no = tl.port;
		} else {
			/* A TLS client still needs a TLS transport: bind one on a free port. */
			str_copy(thost, sizeof(thost), host);
			if (sip_listen_free_port(thost, &tport_no) < 0) {
				snprintf(why, whylen, "no free port for TLS");
				goto fail;
			}
		}
		snprintf(sips_url, sizeof(sips_url), "sips:%s:%u", thost, tport_no);
	}
	if (trace) {
		trace_sink = trace;
		su_log_redirect(NULL, su_logger, NULL);
		su_log_set_level(NULL, 0);
	}
	nua_defer_init(ua->root);
	ua->nua = nua_create(ua->root, nua_callback, ua,
			     NUTAG_URL(url),
			     TAG_IF(sips_url[0], NUTAG_SIPS_URL(sips_url)),
			     TAG_IF(sips_url[0], NUTAG_CERTIFICATE_DIR(ua->certdir)),
			     TAG_IF(sips_url[0], TPTAG_TLS_VERIFY_POLICY(cfg->sip.tls_verify ?
					     TPTLS_VERIFY_OUT : TPTLS_VERIFY_NONE)),
			     SIPTAG_USER_AGENT_STR(cfg->sip.user_agent),
			     /* nua's own two, and RFC 8840's: a peer may trickle its ICE
			      * candidates to us in INFO (app_webrtc.c takes them) */
			     SIPTAG_SUPPORTED_STR("timer, 100rel, trickle-ice"),
			     NUTAG_MEDIA_ENABLE(0),
			     NUTAG_AUTOALERT(0),
			     NUTAG_AUTOANSWER(0),
			     NUTAG_AUTOACK(1),
			     NUTAG_ENABLEMESSAGE(1),
			     NUTAG_APPL_METHOD("OPTIONS, MESSAGE"),
			     NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, REFER, NOTIFY, INFO"),
			     NUTAG_OUTBOUND("no-options-keepalive no-validate"),
			     /* 64*T1 is how long a server transaction lives after our answer (Timer J)
			      * and how long a request waits for any answer (Timers B, F). 8 s instead
			      * of 32 s: a scanner's flood pins a quarter of the memory (each refused
			      * request holds ~10 kB until then), and a dead server is reported
			      * sooner. Requests that were answered at all are unaffected. */
			     NTATAG_SIP_T1X64(8000),
			     /* RFC 4028's floor. Sofia's default Min-SE of 120 s answered JsSIP's
			      * INVITEs (Session-Expires: 90) with 422, which JsSIP does not retry. */
			     NUTAG_MIN_SE(90),
			     TPTAG_LOG(trace != NULL),
			     /* Sofia answers STUN on the SIP port by default and leaks 12 bytes per
			      * request doing it; we do not serve STUN. */
			     TPTAG_STUN_SERVER(0),
#ifdef NUTAG_DEFERRABLE_TIMERS
			     /* NUA's once-a-second housekeeping timer then runs when something
			      * else wakes us, not on its own: idle wake-ups 66/min -> ~4
			      * (nua_defer.c keeps how late it may be safe). Debian's 1.12.11 has
			      * the tag; FreeSWITCH's fork does not. */
			     NUTAG_DEFERRABLE_TIMERS(1),
#endif
			     TAG_END());
	if (!ua->nua) {
		snprintf(why, whylen, "cannot listen on %s%s%s (address in use or not ours?)", url,
			 sips_url[0] ? " and " : "", sips_url);
		goto fail;
	}
	*uap = ua;
	return 0;
fail:
	remove_certdir(ua);
	su_home_deinit(ua->home);
	free(ua);
	return EINVAL;
}

void sipua_shutdown(struct sipua *ua, unsigned timeout_ms)
{
	su_time_t start = su_now();

	if (!ua || !ua->nua)
		return;
	for (unsigned i = 0; i < ua->naccs; i++) {
		struct sipua_acc *acc = ua->accs[i];

		acc->want_registered = false;
		su_timer_reset(acc->retry);
		su_timer_reset(acc->ka_timer);
		/* A registration that failed or is still trying (wrong password, a TLS server we
		 * refuse) has nothing to take back; its handle would keep nua_shutdown waiting
		 * for a transaction that cannot succeed, past our timeout. */
		if (acc->nh && acc->state != SIPUA_REG_REGISTERED) {
			nua_handle_bind(acc->nh, NULL);
			nua_handle_destroy(acc->nh);
			acc->nh = NULL;
		}
		if (acc->ka_nh) {
			nua_handle_bind(acc->ka_nh, NULL);
			nua_handle_destroy(acc->ka_nh);
			acc->ka_nh = NULL;
		}
	}
	nua_shutdown(ua->nua);
	/* Real time, not steps: a busy loop returns from each step at once. nua_destroy does
	 * nothing (and the whole stack leaks) unless the shutdown has completed. */
	while (!ua->shutdown_done && su_duration(su_now(), start) < (su_duration_t)timeout_ms)
		loop_step(ua->loop, 50);
	if (!ua->shutdown_done && ua->ev->log)
		ua->ev->log(ua->arg, "SIP shutdown did not complete in time");
}

void sipua_free(struct sipua *ua)
{
	if (!ua)
		return;
	for (unsigned i = 0; i < ua->naccs; i++) {
		sipua_ws_acc_free(ua->accs[i]);
		su_timer_destroy(ua->accs[i]->retry);
		su_timer_destroy(ua->accs[i]->ka_timer);
		free(ua->accs[i]);
	}
	/* Calls and messages still under way at quit: nua_destroy takes their handles, the
	 * memory behind them is ours. */
	while (ua->calls) {
		struct sipua_call *c = ua->calls;
		ua->calls = c->next;
		if (c->nh)
			nua_handle_bind(c->nh, NULL);
		free(c);
	}
	while (ua->msgs) {
		struct sipua_msg *m = ua->msgs;
		ua->msgs = m->next;
		nua_handle_bind(m->nh, NULL);
		free(m);
	}
	sipua_subs_free(ua);
	if (ua->nua && ua->shutdown_done)
		nua_destroy(ua->nua);
	else if (ua->nua)
		abandoned_nua = ua->nua;
	if (trace_sink == ua->trace) {
		su_log_redirect(NULL, NULL, NULL);
		trace_sink = NULL;
	}
	sipua_ws_free(ua);
	remove_certdir(ua);
	su_home_deinit(ua->home);
	free(ua);
}

const char *sipua_local_contact(const struct sipua *ua)
{
	return ua->contact;
}

const struct sip_listen *sipua_listen(const struct sipua *ua)
{
	return &ua->listen;
}
