/* sipua.c: Sofia-SIP NUA behind sipua.h. Owns the nua instance, one registration handle per
 * account, one handle per call and per outgoing MESSAGE. Digest credentials are answered
 * here (once per challenge, so a wrong password fails instead of looping); registration is
 * retried with back-off; every message on the wire reaches the trace through su_log. */
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

static void uri_host(const char *uri, char *out, size_t size)
{
	char hp[160];
	char *colon;

	sipua_uri_hostport(uri, hp, sizeof(hp));
	if (hp[0] == '[') {
		char *end = strchr(hp, ']');
		if (end)
			*end = '\0';
		str_copy(out, size, hp + 1);
		return;
	}
	colon = strchr(hp, ':');
	if (colon)
		*colon = '\0';
	str_copy(out, size, hp);
}

static const char *tp_param(enum sip_transport tp)
{
	return tp == TP_TCP ? ";transport=tcp" : tp == TP_TLS ? ";transport=tls" : "";
}

void sipua_report_reg(struct sipua_acc *acc, enum sipua_reg_state st, int code,
		       const char *reason)
{
	acc->state = st;
	if (acc->ua->ev->reg)
		acc->ua->ev->reg(acc->ua->arg, acc, st, code, reason);
}

/* A challenge's realm, with its quotes (nua_authenticate needs them). */
static const char *challenge_realm(const sip_t *sip, int status, char *out, size_t size)
{
	msg_auth_t const *au = status == 401 ? (sip ? sip->sip_www_authenticate : NULL) :
		(sip ? sip->sip_proxy_authenticate : NULL);
	const char *realm;

	if (!au || !au->au_scheme)
		return NULL;
	realm = msg_params_find(au->au_params, "realm=");
	if (!realm)
		return NULL;
	str_copy(out, size, realm);
	return au->au_scheme;
}

/* Answer a 401/407 with the account's credentials. Returns true if we did. */
static bool authenticate(struct sipua *ua, nua_handle_t *nh, struct sipua_acc *acc,
			 unsigned *tries, int status, const sip_t *sip, char *why, size_t whylen)
{
	char realm[160], auth[600], bare[160];
	const char *scheme;

	if (!acc) {
		snprintf(why, whylen, "%d %s: no account to authenticate with", status,
			 status == 401 ? "Unauthorized" : "Proxy Authentication Required");
		return false;
	}
	scheme = challenge_realm(sip, status, realm, sizeof(realm));
	if (!scheme) {
		snprintf(why, whylen, "%d challenge without a realm", status);
		return false;
	}
	str_copy(bare, sizeof(bare), realm[0] == '"' ? realm + 1 : realm);
	if (bare[0] && bare[strlen(bare) - 1] == '"')
		bare[strlen(bare) - 1] = '\0';
	if (acc->cfg.realm[0] && strcmp(acc->cfg.realm, bare)) {
		snprintf(why, whylen, "challenged for realm \"%s\", account answers only \"%s\"",
			 bare, acc->cfg.realm);
		return false;
	}
	/* A stale nonce is a fresh challenge, not a refusal of our credentials. */
	if (*tries >= 1 && !msg_params_find((status == 401 ? sip->sip_www_authenticate :
					      sip->sip_proxy_authenticate)->au_params, "stale=true")) {
		/* We answered this challenge once already: the credentials are wrong. */
		snprintf(why, whylen, "%d %s: wrong user name or password for realm \"%s\"", status,
			 status == 401 ? "Unauthorized" : "Proxy Authentication Required", bare);
		return false;
	}
	if (realm[0] != '"')
		snprintf(auth, sizeof(auth), "%s:\"%s\":%s:%s", scheme, realm,
			 acc->cfg.authorization_user, acc->cfg.password);
	else
		snprintf(auth, sizeof(auth), "%s:%s:%s:%s", scheme, realm,
			 acc->cfg.authorization_user, acc->cfg.password);
	++*tries;
	nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
	explicit_bzero(auth, sizeof(auth));
	(void)ua;
	return true;
}

static void on_retry(su_root_magic_t *magic, su_timer_t *t, struct sipua_acc *acc)
{
	(void)magic;
	(void)t;
	if (acc->want_registered)
		sipua_register(acc);
}

void sipua_retry_later(struct sipua_acc *acc)
{
	if (!acc->want_registered)
		return;
	acc->retry_ms = acc->retry_ms ? acc->retry_ms * 2 : acc->retry_min_ms;
	if (acc->retry_ms > acc->retry_max_ms)
		acc->retry_ms = acc->retry_max_ms;
	su_timer_set_interval(acc->retry, on_retry, acc, acc->retry_ms);
}

/* A response that nua made up itself (timeout, ICMP unreachable, TLS failure) rather than
 * received. Sofia gives its own responses our Via and even a To tag, so look for what only
 * a server adds: received= or a filled rport= on our Via (we always ask for rport), or a
 * Server header. */
static bool made_up_locally(const sip_t *sip)
{
	const sip_via_t *v = sip ? sip->sip_via : NULL;

	if (!sip)
		return true;
	if (sip->sip_server)
		return false;
	return !v || (!v->v_received && !(v->v_rport && v->v_rport[0]));
}

/* Explain a failure that nua made up locally (no response from the network). */
static void reason_for(struct sipua_acc *acc, int status, const char *phrase, const sip_t *sip,
		       char *out, size_t size)
{
	bool local = made_up_locally(sip) || status >= 900;
	char host[160];

	sipua_uri_hostport(acc->registrar, host, sizeof(host));
	if (local && acc->cfg.transport >= TP_WS) {
		sipua_ws_why(acc);
		snprintf(out, size, "websocket: %s", acc->ws_why[0] ? acc->ws_why :
			 status == 408 ? "no answer in time" : "not connected");
	} else if (local && (status == 408 || status == 503 || status >= 900)) {
		if (acc->cfg.transport == TP_TLS && status == 408)
			snprintf(out, size, "no answer from %s over tls (is the server's certificate "
				 "signed by the CA in ca_file?)", host);
		else
			snprintf(out, size, "no answer from %s over %s (%d %s)", host,
				 transport_name(acc->cfg.transport), status, phrase);
	} else {
		snprintf(out, size, "%d %s from registrar", status, phrase);
	}
}

static void describe_source(struct sipua *ua, char *out, size_t size);

/* Resolve the registrar (and outbound proxy) once it has accepted us. getaddrinfo may read
 * /etc/hosts and block briefly, but at this point the name has just been resolved. */
static void learn_server(struct sipua_acc *acc)
{
	const char *uris[2] = { acc->registrar, acc->cfg.outbound_proxy };

	acc->nserver = 0;
	acc->server_port_known = false;
	for (int i = 0; i < 2; i++) {
		char hp[160], host[160], port[16] = "";
		struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL, *ai;
		const char *colon;

		if (!uris[i][0])
			continue;
		sipua_uri_hostport(uris[i], hp, sizeof(hp));
		uri_host(uris[i], host, sizeof(host));
		colon = strrchr(hp, ':');
		if (colon && colon > strrchr(hp, ']') && strspn(colon + 1, "0123456789") ==
		    strlen(colon + 1) && colon[1]) {
			str_copy(port, sizeof(port), colon + 1);
			acc->server_port_known = true;
		}
		if (getaddrinfo(host, port[0] ? port : NULL, &hints, &res) != 0)
			continue;
		for (ai = res; ai && acc->nserver < 4; ai = ai->ai_next) {
			memcpy(&acc->server[acc->nserver], ai->ai_addr, ai->ai_addrlen);
			acc->nserver++;
		}
		freeaddrinfo(res);
	}
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b, bool port)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr && (!port || x->sin_port == y->sin_port);
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) &&
		       (!port || x->sin6_port == y->sin6_port);
	}
	return false;
}

/* Remember which connection the registrar answered on (called with its 2xx current).
 * Sofia gives a message the address of the far end of the connection it came in on
 * (tp_addr of the tport; IPPROTO_TCP for TCP and TLS alike), and a connection we opened
 * to the registrar has the registrar's listening address and port at its far end, even
 * when DNS SRV chose that port. */
static void learn_connection(struct sipua *ua, struct sipua_acc *acc)
{
	msg_t *resp = nua_current_request(ua->nua);   /* the response, while one is current */
	su_addrinfo_t *ai = resp ? msg_addrinfo(resp) : NULL;

	acc->conn_known = ai && ai->ai_addr && ai->ai_protocol == IPPROTO_TCP &&
			  ai->ai_addrlen <= sizeof(acc->conn);
	if (acc->conn_known)
		memcpy(&acc->conn, ai->ai_addr, ai->ai_addrlen);
}

/* With [sip] trusted_only, while registered through a server, a request from outside the
 * dialogs we have must come from that server: scanners probing our port get 403 and nothing
 * rings. Without a registration (peer-to-peer, demo) everything is accepted.
 * Over UDP: the server's address (and port, when the URI names it). Over TCP/TLS the source
 * port of a connection someone opens to us is ephemeral, so the host alone would let in a
 * second program on the proxy's host or a scanner behind the same NAT. Instead a request
 * must come in on the connection we opened to the registrar (where the server sends our
 * calls: fix_nated_register, outbound), recognised by its far end being the server's
 * listening address and port: a connection anyone else opens to us would need that as its
 * source, which the server holds while it listens. (Registered over UDP, no connection is
 * trusted: such a server sends to us over UDP.) */
static bool request_trusted(struct sipua *ua)
{
	msg_t *req = nua_current_request(ua->nua);
	su_addrinfo_t *ai = req ? msg_addrinfo(req) : NULL;
	bool any_registered = false, stream;

	if (!ua->cfg->sip.trusted_only || !ai || !ai->ai_addr)
		return true;
	stream = ai->ai_protocol == IPPROTO_TCP;
	for (unsigned i = 0; i < ua->naccs; i++) {
		struct sipua_acc *acc = ua->accs[i];
		if (acc->state != SIPUA_REG_REGISTERED || acc->nserver == 0)
			continue;
		any_registered = true;
		if (stream) {
			if (acc->conn_known &&
			    same_addr(ai->ai_addr, (struct sockaddr *)&acc->conn, true))
				return true;
			continue;
		}
		for (unsigned k = 0; k < acc->nserver; k++)
			if (same_addr(ai->ai_addr, (struct sockaddr *)&acc->server[k],
				      acc->server_port_known))
				return true;
	}
	return !any_registered;
}

static void refuse_untrusted(struct sipua *ua, nua_handle_t *nh, const char *what)
{
	char source[96];

	describe_source(ua, source, sizeof(source));
	nua_respond(nh, 403, "Forbidden", NUTAG_WITH_THIS(ua->nua), TAG_END());
	nua_handle_destroy(nh);
	/* Scanners send thousands: say it the first time, then every thousandth. */
	if (ua->refused++ % 1000 == 0)
		sipua_say(ua, "refused %s from %s: not our server (trusted_only); %lu so far", what, source,
		    ua->refused);
}

static void on_register(struct sipua *ua, struct sipua_acc *acc, nua_event_t event, int status,
			char const *phrase, sip_t const *sip)
{
	char why[400];

	if (status < 200)
		return;
	if (status == 401 || status == 407) {
		if (event == nua_r_register &&
		    authenticate(ua, acc->nh, acc, &acc->auth_tries, status, sip, why, sizeof(why)))
			return;
		if (event == nua_r_unregister &&
		    authenticate(ua, acc->nh, acc, &acc->auth_tries, status, sip, why, sizeof(why)))
			return;
		acc->auth_tries = 0;
		if (event == nua_r_unregister) {
			sipua_report_reg(acc, SIPUA_REG_UNREGISTERED, status, why);
			return;
		}
		sipua_say(ua, "account %s: %s", acc->cfg.name, why);
		sipua_report_reg(acc, SIPUA_REG_FAILED, status == 401 ? 401 : 407, why);
		/* Wrong credentials will not fix themselves: retry slowly, in case they were
		 * changed on the server. */
		acc->retry_ms = acc->retry_max_ms / 2;
		sipua_retry_later(acc);
		return;
	}
	acc->auth_tries = 0;
	if (event == nua_r_unregister) {
		sipua_report_reg(acc, SIPUA_REG_UNREGISTERED, status, phrase);
		return;
	}
	if (status < 300) {
		acc->retry_ms = 0;
		nua_defer_registered(ua->root, sip, acc->cfg.register_expires);
		if (acc->nserver == 0)
			learn_server(acc);
		learn_connection(ua, acc);
		if (acc->state != SIPUA_REG_REGISTERED)
			sipua_say(ua, "account %s: registered at %s", acc->cfg.name, acc->registrar);
		sipua_report_reg(acc, SIPUA_REG_REGISTERED, status, phrase);
		return;
	}
	reason_for(acc, status, phrase, sip, why, sizeof(why));
	/* nua stops refreshing after a failure: drop the handle and retry with back-off. */
	nua_handle_destroy(acc->nh);
	acc->nh = NULL;
	sipua_retry_later(acc);
	if (acc->cfg.transport >= TP_WS && acc->want_registered) {
		size_t n = strlen(why);
		snprintf(why + n, sizeof(why) - n, "; retrying in %u s", acc->retry_ms / 1000);
	}
	sipua_say(ua, "account %s: registration failed: %s", acc->cfg.name, why);
	sipua_report_reg(acc, SIPUA_REG_FAILED, status, why);
}

static struct sipua_call *call_new(struct sipua *ua, struct sipua_acc *acc)
{
	struct sipua_call *c = calloc(1, sizeof(union sipua_hnd));

	if (!c)
		return NULL;
	c->kind = HND_CALL;
	c->ua = ua;
	c->acc = acc;
	c->next = ua->calls;
	ua->calls = c;
	return c;
}

static bool call_alive(struct sipua *ua, const struct sipua_call *c)
{
	for (const struct sipua_call *x = ua->calls; x; x = x->next)
		if (x == c)
			return true;
	return false;
}

/* Report a transfer's progress to the transferor with a sipfrag NOTIFY (RFC 3515).
 * Done here rather than with NUTAG_NOTIFY_REFER: Sofia 1.12 turns the 407 challenge that a
 * proxy sends before we authenticate into a final "503" NOTIFY. */
static void notify_referrer(struct sipua_call *c, int status, const char *phrase)
{
	struct sipua_call *old = c->notify_to;
	char frag[160];

	if (!old || !call_alive(c->ua, old) || !old->nh || !old->refer_event)
		return;
	snprintf(frag, sizeof(frag), "SIP/2.0 %03d %s\r\n", status, phrase ? phrase : "");
	nua_notify(old->nh, SIPTAG_EVENT(old->refer_event),
		   SIPTAG_SUBSCRIPTION_STATE_STR(status < 200 ? "active" : "terminated;reason=noresource"),
		   SIPTAG_CONTENT_TYPE_STR("message/sipfrag"), SIPTAG_PAYLOAD_STR(frag), TAG_END());
	if (status >= 200)
		c->notify_to = NULL;
}

static void call_report_end(struct sipua_call *c)
{
	if (c->ended_reported)
		return;
	c->ended_reported = true;
	if (c->ua->ev->ended)
		c->ua->ev->ended(c->ua->arg, c, c->last_code ? c->last_code : 200,
				 c->last_reason[0] ? c->last_reason : "OK", c->by_peer);
}

static void call_destroy(struct sipua_call *c)
{
	for (struct sipua_call **pp = &c->ua->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (struct sipua_call *x = c->ua->calls; x; x = x->next)
		if (x->notify_to == c)
			x->notify_to = NULL;
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
	}
	free(c);
}

static bool is_sdp(const sip_t *sip)
{
	return sip && sip->sip_payload && sip->sip_payload->pl_len &&
	       (!sip->sip_content_type || !sip->sip_content_type->c_type ||
		!strcasecmp(sip->sip_content_type->c_type, "application/sdp"));
}

/* Where the request being handled came from (its packet's address, as Sofia got it). */
static bool request_source(struct sipua *ua, char *host, size_t hostlen, unsigned *port,
			   bool *tcp)
{
	msg_t *req = nua_current_request(ua->nua);
	su_addrinfo_t *ai = req ? msg_addrinfo(req) : NULL;

	if (!ai || !ai->ai_addr)
		return false;
	if (ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, host,
			  (socklen_t)hostlen);
	else if (ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, host,
			  (socklen_t)hostlen);
	else
		return false;
	*port = ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port);
	*tcp = ai->ai_protocol == IPPROTO_TCP;
	return true;
}

/* The account whose user the request is addressed to; else the WebSocket account whose
 * bridge it came through (Sofia's outbound Contact there has no user part, so the request
 * URI names nobody); else the default. */
static struct sipua_acc *acc_for_request(struct sipua *ua, const sip_t *sip)
{
	char host[64];
	unsigned port;
	bool tcp;
	struct sipua_acc *ws;

	if (sip && sip->sip_request && sip->sip_request->rq_url->url_user) {
		for (unsigned i = 0; i < ua->naccs; i++) {
			const char *u = ua->accs[i]->cfg.uri;
			const char *user = strchr(u, ':') + 1;
			size_t ul = strcspn(user, "@");
			if (strlen(sip->sip_request->rq_url->url_user) == ul &&
			    !strncmp(user, sip->sip_request->rq_url->url_user, ul))
				return ua->accs[i];
		}
	}
	if (request_source(ua, host, sizeof(host), &port, &tcp) &&
	    (ws = sipua_ws_acc_at(ua, host, port)) != NULL)
		return ws;
	for (unsigned i = 0; i < ua->naccs; i++)
		if (ua->accs[i]->cfg.is_default)
			return ua->accs[i];
	return ua->naccs ? ua->accs[0] : NULL;
}

/* A display name as a person reads it: "Bob \"B\" Smith" -> Bob "B" Smith. */
static void display_name(const char *raw, char *out, size_t size)
{
	size_t n = strlen(raw), o = 0;

	if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"') {
		for (size_t i = 1; i + 1 < n && o + 1 < size; i++) {
			if (raw[i] == '\\' && i + 2 < n)
				i++;
			out[o++] = raw[i];
		}
		out[o] = '\0';
		return;
	}
	str_copy(out, size, raw);
}

static void describe_source(struct sipua *ua, char *out, size_t size)
{
	char host[64];
	unsigned port;
	bool tcp;

	out[0] = '\0';
	if (!request_source(ua, host, sizeof(host), &port, &tcp))
		return;
	/* Through an account's WebSocket bridge: the source is that account's server. */
	if (sipua_ws_source(ua, host, port, out, size))
		return;
	snprintf(out, size, "%s %s:%u", tcp ? "tcp" : "udp", host, port);
}

static void on_incoming_invite(struct sipua *ua, nua_handle_t *nh, sip_t const *sip)
{
	struct sipua_acc *acc = acc_for_request(ua, sip);
	struct sipua_call *c, *replaces = NULL;
	struct sipua_incoming in;
	char from[CFG_STR], to[CFG_STR], display[128], referred_by[CFG_STR], source[96];
	char ua_name[128];

	if (!sip->sip_contact) {
		/* Nowhere to send our answer's ACK or a BYE: RFC 3261 12.1.1 requires it.
		 * Checked before call_new, which links the call into ua->calls. */
		nua_respond(nh, 400, "Missing Contact", NUTAG_WITH_THIS(ua->nua), TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c = call_new(ua, acc);
	if (!c) {
		nua_respond(nh, 500, "Out of memory", TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c->nh = nh;
	nua_handle_bind(nh, (union sipua_hnd *)c);
	sipua_ws_route(nh, acc);
	memset(&in, 0, sizeof(in));
	from[0] = to[0] = display[0] = referred_by[0] = ua_name[0] = '\0';
	if (sip->sip_from) {
		url_e(from, sizeof(from), sip->sip_from->a_url);
		if (sip->sip_from->a_display)
			display_name(sip->sip_from->a_display, display, sizeof(display));
	}
	if (sip->sip_to)
		url_e(to, sizeof(to), sip->sip_to->a_url);
	from[sizeof(from) - 1] = to[sizeof(to) - 1] = '\0';
	str_copy(c->peer, sizeof(c->peer), from);
	if (sip->sip_from && sip->sip_from->a_url->url_host)
		str_copy(c->peer_host, sizeof(c->peer_host), sip->sip_from->a_url->url_host);
	if (sip->sip_replaces) {
		nua_handle_t *old = nua_handle_by_replaces(ua->nua, sip->sip_replaces);
		if (old) {
			union sipua_hnd *h = nua_handle_magic(old);
			if (h && h->kind == HND_CALL)
				replaces = &h->call;
			nua_handle_unref(old);
		}
	}
	if (sip->sip_referred_by) {
		url_e(referred_by, sizeof(referred_by), sip->sip_referred_by->b_url);
		referred_by[sizeof(referred_by) - 1] = '\0';
	}
	if (sip->sip_user_agent && sip->sip_user_agent->g_string)
		str_copy(ua_name, sizeof(ua_name), sip->sip_user_agent->g_string);
	describe_source(ua, source, sizeof(source));
	in.from_uri = from;
	in.from_display = display[0] ? display : NULL;
	in.to_uri = to;
	if (is_sdp(sip)) {
		in.sdp = sip->sip_payload->pl_data;
		in.sdp_len = sip->sip_payload->pl_len;
		c->got_offer = true;
	}
	in.replaces = replaces;
	in.referred_by = referred_by[0] ? referred_by : NULL;
	in.source = source;
	in.user_agent = ua_name[0] ? ua_name : NULL;
	if (ua->ev->incoming)
		ua->ev->incoming(ua->arg, c, acc, &in);
}

static void on_call_event(struct sipua *ua, struct sipua_call *c, nua_event_t event, int status,
			  char const *phrase, sip_t const *sip, tagi_t tags[])
{
	char why[400];

	switch (event) {
	case nua_i_invite: /* re-INVITE on an existing dialog */
		if (status < 200 && ua->ev->reoffer)
			ua->ev->reoffer(ua->arg, c, is_sdp(sip) ? sip->sip_payload->pl_data : NULL,
					is_sdp(sip) ? sip->sip_payload->pl_len : 0);
		break;
	case nua_r_invite:
		if (status == 401 || status == 407) {
			if (authenticate(ua, c->nh, c->acc, &c->auth_tries, status, sip, why,
					 sizeof(why)))
				break;
			c->last_code = status;
			str_copy(c->last_reason, sizeof(c->last_reason), why);
			if (c->notify_to)
				notify_referrer(c, status, phrase);
			nua_cancel(c->nh, TAG_END());
			break;
		}
		if (status >= 200)
			c->auth_tries = 0;
		if (c->notify_to && status > 100)
			notify_referrer(c, status, phrase);
		if (status >= 300 && !c->reinvite_out) {
			c->last_code = status;
			if ((status == 408 || status == 503) && made_up_locally(sip))
				snprintf(c->last_reason, sizeof(c->last_reason), "no answer from %s",
					 c->peer_host[0] ? c->peer_host : "the peer");
			else
				str_copy(c->last_reason, sizeof(c->last_reason), phrase);
		}
		if (status >= 200 && status < 300)
			c->answered = true;
		{
			bool re = c->reinvite_out;
			if (status >= 200)
				c->reinvite_out = false;
			if (ua->ev->response)
				ua->ev->response(ua->arg, c, status, phrase,
						 is_sdp(sip) ? sip->sip_payload->pl_data : NULL,
						 is_sdp(sip) ? sip->sip_payload->pl_len : 0, re);
		}
		break;
	case nua_i_message: { /* in-dialog chat: answer it, hand it on like any message */
		char from[CFG_STR] = "";
		nua_respond(c->nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
		if (sip && sip->sip_from) {
			url_e(from, sizeof(from), sip->sip_from->a_url);
			from[sizeof(from) - 1] = '\0';
		}
		if (ua->ev->message)
			ua->ev->message(ua->arg, c->acc, from, NULL,
					sip && sip->sip_content_type && sip->sip_content_type->c_type ?
					sip->sip_content_type->c_type : "text/plain",
					sip && sip->sip_payload ? sip->sip_payload->pl_data : "",
					sip && sip->sip_payload ? sip->sip_payload->pl_len : 0);
		break;
	}
	case nua_i_options: /* in-dialog: a keep-alive of the peer's */
		nua_respond(c->nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
		break;
	case nua_i_ack:
		if (ua->ev->ack)
			ua->ev->ack(ua->arg, c, is_sdp(sip) ? sip->sip_payload->pl_data : NULL,
				    is_sdp(sip) ? sip->sip_payload->pl_len : 0);
		break;
	case nua_i_cancel:
		c->by_peer = true;
		c->last_code = 487;
		str_copy(c->last_reason, sizeof(c->last_reason), "Cancelled by caller");
		break;
	case nua_i_bye:
		c->by_peer = true;
		c->last_code = 200;
		str_copy(c->last_reason, sizeof(c->last_reason), "Hung up by peer");
		break;
	case nua_r_bye:
		if (!c->last_code) {
			c->last_code = 200;
			str_copy(c->last_reason, sizeof(c->last_reason), "Hung up");
		}
		break;
	case nua_r_cancel:
		break;
	case nua_i_state: {
		int cs = -1;
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs == nua_callstate_terminated) {
			if (!c->last_code && status >= 300) {
				c->last_code = status;
				str_copy(c->last_reason, sizeof(c->last_reason), phrase);
			}
			call_report_end(c);
			call_destroy(c);
		}
		break;
	}
	case nua_i_terminated:
		call_report_end(c);
		call_destroy(c);
		break;
	case nua_i_refer: {
		char to[CFG_STR * 2] = "", by[CFG_STR] = "", rep[CFG_STR] = "";
		sip_event_t const *rev = NULL;
		tl_gets(tags, NUTAG_REFER_EVENT_REF(rev), TAG_END());
		if (rev)
			c->refer_event = sip_event_dup(nua_handle_home(c->nh), rev);
		if (sip && sip->sip_refer_to) {
			url_t u = *sip->sip_refer_to->r_url;
			const char *hdrs = u.url_headers;
			/* An attended transfer carries ?Replaces=<escaped value> in the URI. */
			if (hdrs) {
				const char *r = strcasestr(hdrs, "Replaces=");
				if (r) {
					str_ncopy(rep, sizeof(rep), r + 9, strcspn(r + 9, "&"));
					url_unescape(rep, rep);
				}
			}
			u.url_headers = NULL;
			url_e(to, sizeof(to), &u);
			to[sizeof(to) - 1] = '\0';
		}
		if (sip && sip->sip_referred_by) {
			url_e(by, sizeof(by), sip->sip_referred_by->b_url);
			by[sizeof(by) - 1] = '\0';
		}
		if (ua->ev->refer && to[0])
			ua->ev->refer(ua->arg, c, to, by[0] ? by : NULL, rep[0] ? rep : NULL);
		break;
	}
	case nua_r_refer:
		if (status == 401 || status == 407) {
			if (authenticate(ua, c->nh, c->acc, &c->auth_tries, status, sip, why,
					 sizeof(why)))
				break;
		}
		if (status >= 300 && ua->ev->transfer_status)
			ua->ev->transfer_status(ua->arg, c, status, phrase);
		break;
	case nua_i_notify:
		if (sip && sip->sip_payload && sip->sip_content_type &&
		    !strcasecmp(sip->sip_content_type->c_type, "message/sipfrag")) {
			const char *b = sip->sip_payload->pl_data;
			size_t n = sip->sip_payload->pl_len;
			char frag[128];
			str_ncopy(frag, sizeof(frag), b, n);
			if (!strncmp(frag, "SIP/2.0 ", 8) && ua->ev->transfer_status) {
				char *r = frag + 12, *eol;
				int code = atoi(frag + 8);
				if (strlen(frag) < 12)
					r = frag + strlen(frag);
				eol = strpbrk(r, "\r\n");
				if (eol)
					*eol = '\0';
				ua->ev->transfer_status(ua->arg, c, code, r);
			}
		}
		break;
	case nua_i_info:
		if (sip && sip->sip_payload && sip->sip_content_type && ua->ev->info_dtmf) {
			const char *ct = sip->sip_content_type->c_type;
			char body[256], *p;
			str_ncopy(body, sizeof(body), sip->sip_payload->pl_data,
				  sip->sip_payload->pl_len);
			if (!strcasecmp(ct, "application/dtmf-relay")) {
				p = strcasestr(body, "Signal=");
				if (p) {
					p += 7;
					while (*p == ' ')
						p++;
					if (*p)
						ua->ev->info_dtmf(ua->arg, c, *p);
				}
			} else if (!strcasecmp(ct, "application/dtmf") && body[0]) {
				p = str_trim(body);
				ua->ev->info_dtmf(ua->arg, c, p[0]);
			}
		}
		break;
	default:
		break;
	}
}

static void on_message_in(struct sipua *ua, nua_handle_t *nh, sip_t const *sip)
{
	char from[CFG_STR] = "", display[128] = "";
	const char *ct = "text/plain";

	if (sip && sip->sip_from) {
		url_e(from, sizeof(from), sip->sip_from->a_url);
		from[sizeof(from) - 1] = '\0';
		if (sip->sip_from->a_display)
			display_name(sip->sip_from->a_display, display, sizeof(display));
	}
	if (sip && sip->sip_content_type && sip->sip_content_type->c_type)
		ct = sip->sip_content_type->c_type;
	/* MESSAGE is an application method (so untrusted ones can be refused): answer it. */
	nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
	if (ua->ev->message)
		ua->ev->message(ua->arg, acc_for_request(ua, sip), from, display[0] ? display : NULL, ct,
				sip && sip->sip_payload ? sip->sip_payload->pl_data : "",
				sip && sip->sip_payload ? sip->sip_payload->pl_len : 0);
	nua_handle_destroy(nh);
}

static void on_message_out(struct sipua *ua, struct sipua_msg *m, int status, char const *phrase,
			   sip_t const *sip)
{
	char why[400];

	if (status < 200)
		return;
	if ((status == 401 || status == 407) &&
	    authenticate(ua, m->nh, m->acc, &m->auth_tries, status, sip, why, sizeof(why)))
		return;
	if (ua->ev->message_status)
		ua->ev->message_status(ua->arg, m->cookie, m->to, status,
				       (status == 401 || status == 407) ? why : phrase);
	nua_handle_bind(m->nh, NULL);
	nua_handle_destroy(m->nh);
	for (struct sipua_msg **pp = &ua->msgs; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	free(m);
}

static void keepalive_arm(struct sipua_acc *acc);

static void keepalive_lost(struct sipua *ua, struct sipua_acc *acc, int status,
			   char const *phrase, sip_t const *sip)
{
	char why[300];

	if (acc->ka_lost || !acc->want_registered)
		return;
	acc->ka_lost = true;
	reason_for(acc, status, phrase, sip, why, sizeof(why));
	sipua_say(ua, "account %s: server lost: %s", acc->cfg.name, why);
	sipua_report_reg(acc, SIPUA_REG_FAILED, status, why);
	if (acc->nh) {
		nua_handle_destroy(acc->nh);
		acc->nh = NULL;
	}
	acc->retry_ms = 0;
	sipua_retry_later(acc);
}

static void on_keepalive(struct sipua *ua, struct sipua_acc *acc, int status, char const *phrase,
			 sip_t const *sip)
{
	if (status < 200)
		return;
	acc->ka_pending = false;
	/* Any answer, even 404 or 405, proves the server is there; one made up locally means
	 * it is not. */
	if (made_up_locally(sip)) {
		keepalive_lost(ua, acc, status, phrase, sip);
	} else if (acc->ka_lost) {
		acc->ka_lost = false;
		if (acc->want_registered && acc->state != SIPUA_REG_REGISTERED) {
			sipua_say(ua, "account %s: server is back: registering again", acc->cfg.name);
			sipua_register(acc);
		}
	}
}

static void on_keepalive_timer(su_root_magic_t *magic, su_timer_t *t, struct sipua_acc *acc)
{
	char target[CFG_STR + 40];

	(void)magic;
	(void)t;
	if (!acc->want_registered)
		return;
	if (acc->ka_pending) {
		/* No answer within a whole interval: waiting for the transaction's own 32 s
		 * timeout would leave us "registered" at a dead server that long. */
		keepalive_lost(acc->ua, acc, 408, "Request Timeout", NULL);
		nua_handle_bind(acc->ka_nh, NULL);
		nua_handle_destroy(acc->ka_nh);
		acc->ka_nh = NULL;
		acc->ka_pending = false;
	}
	if (!acc->ka_nh) {
		/* The request URI is the registrar itself, so it answers rather than routes. */
		str_copy(target, sizeof(target), acc->registrar);
		acc->ka_nh = nua_handle(acc->ua->nua, (union sipua_hnd *)&acc->ka,
					NUTAG_URL(target), SIPTAG_FROM_STR(acc->from),
					SIPTAG_TO_STR(acc->from), TAG_END());
		sipua_ws_route(acc->ka_nh, acc);
		if (!acc->ka_nh) {
			keepalive_arm(acc);
			return;
		}
	}
	acc->ka_pending = true;
	nua_options(acc->ka_nh, TAG_END());
	keepalive_arm(acc);
}

static void keepalive_arm(struct sipua_acc *acc)
{
	unsigned secs = acc->ua->cfg->sip.keepalive;

	if (secs && acc->want_registered)
		su_timer_set_interval(acc->ka_timer, on_keepalive_timer, acc, secs * 1000);
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
			on_register(ua, &h->acc, event, status, phrase, sip);
		return;
	}
	if (h && h->kind == HND_KA) {
		if (event == nua_r_options)
			on_keepalive(ua, ((struct sipua_acc *)((char *)h - offsetof(struct sipua_acc, ka))),
				     status, phrase, sip);
		return;
	}
	if (h && h->kind == HND_MSG) {
		if (event == nua_r_message)
			on_message_out(ua, &h->msg, status, phrase, sip);
		return;
	}
	if (h && h->kind == HND_CALL) {
		on_call_event(ua, &h->call, event, status, phrase, sip, tags);
		return;
	}
	/* Events on handles we do not own yet: new requests from the network. */
	switch (event) {
	case nua_i_invite:
		if (!request_trusted(ua))
			refuse_untrusted(ua, nh, "INVITE");
		else
			on_incoming_invite(ua, nh, sip);
		break;
	case nua_i_message:
		if (!request_trusted(ua))
			refuse_untrusted(ua, nh, "MESSAGE");
		else
			on_message_in(ua, nh, sip);
		break;
	case nua_i_options:
		/* OPTIONS is ours to answer (NUTAG_APPL_METHOD) so probes learn nothing. */
		if (!request_trusted(ua)) {
			refuse_untrusted(ua, nh, "OPTIONS");
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

int sipua_acc_alloc(struct sipua *ua, struct sipua_acc **accp, const struct account_cfg *cfg)
{
	struct sipua_acc *acc;
	char domain[160];

	if (ua->naccs == CFG_MAX_ACCOUNTS)
		return ENOSPC;
	acc = calloc(1, sizeof(union sipua_hnd));
	if (!acc)
		return ENOMEM;
	acc->kind = HND_ACC;
	acc->ua = ua;
	acc->cfg = *cfg;
	if (cfg->display_name[0])
		snprintf(acc->from, sizeof(acc->from), "\"%s\" <%s>", cfg->display_name, cfg->uri);
	else
		snprintf(acc->from, sizeof(acc->from), "<%s>", cfg->uri);
	sipua_uri_hostport(cfg->uri, domain, sizeof(domain));
	if (cfg->registrar[0])
		snprintf(acc->registrar, sizeof(acc->registrar), "%s%s", cfg->registrar,
			 strstr(cfg->registrar, "transport=") ? "" : tp_param(cfg->transport));
	else
		snprintf(acc->registrar, sizeof(acc->registrar), "sip:%s%s", domain,
			 tp_param(cfg->transport));
	if (cfg->outbound_proxy[0])
		snprintf(acc->route, sizeof(acc->route), "<%s;lr>", cfg->outbound_proxy);
	else
		snprintf(acc->route, sizeof(acc->route), "<%s;lr>", acc->registrar);
	uri_host(acc->registrar, acc->server_host, sizeof(acc->server_host));
	acc->retry_min_ms = RETRY_MIN_MS;
	acc->retry_max_ms = RETRY_MAX_MS;
	acc->ka.kind = HND_KA;
	acc->ka.acc = acc;
	acc->retry = su_timer_create(su_root_task(ua->root), 0);
	acc->ka_timer = su_timer_create(su_root_task(ua->root), 0);
	if (!acc->retry || !acc->ka_timer) {
		su_timer_destroy(acc->retry);
		su_timer_destroy(acc->ka_timer);
		free(acc);
		return ENOMEM;
	}
	ua->accs[ua->naccs++] = acc;
	*accp = acc;
	sipua_ws_acc_setup(acc);
	return 0;
}

const struct account_cfg *sipua_acc_cfg(const struct sipua_acc *acc)
{
	return &acc->cfg;
}

const char *sipua_acc_server_host(const struct sipua_acc *acc)
{
	return acc->server_host;
}

int sipua_register(struct sipua_acc *acc)
{
	char expires[16];

	acc->want_registered = true;
	su_timer_reset(acc->retry);
	if (!acc->nh) {
		acc->nh = nua_handle(acc->ua->nua, (union sipua_hnd *)acc, SIPTAG_FROM_STR(acc->from),
				     SIPTAG_TO_STR(acc->from), TAG_END());
		if (!acc->nh)
			return ENOMEM;
	}
	snprintf(expires, sizeof(expires), "%u", acc->cfg.register_expires);
	acc->auth_tries = 0;
	if (acc->cfg.transport >= TP_WS && !acc->ws) {
		sipua_report_reg(acc, SIPUA_REG_FAILED, 0, acc->ws_why);
		return 0;
	}
	sipua_report_reg(acc, SIPUA_REG_REGISTERING, 0, "registering");
	if (!su_timer_is_set(acc->ka_timer))
		keepalive_arm(acc);
	nua_register(acc->nh, NUTAG_REGISTRAR(acc->registrar),
		     TAG_IF(acc->ws, NUTAG_PROXY(acc->proxy)),
		     TAG_IF(!acc->ws && acc->cfg.outbound_proxy[0],
			    NUTAG_PROXY(acc->cfg.outbound_proxy)),
		     SIPTAG_EXPIRES_STR(expires), TAG_END());
	return 0;
}

int sipua_unregister(struct sipua_acc *acc)
{
	acc->want_registered = false;
	su_timer_reset(acc->retry);
	su_timer_reset(acc->ka_timer);
	if (!acc->nh || acc->state != SIPUA_REG_REGISTERED) {
		sipua_report_reg(acc, SIPUA_REG_UNREGISTERED, 0, "not registered");
		return 0;
	}
	nua_unregister(acc->nh, NUTAG_REGISTRAR(acc->registrar), TAG_END());
	return 0;
}

/* Complete a target: "bob" -> sip:bob@account-domain; add the account's transport. */
static void complete_target(const struct sipua_acc *acc, const char *to, char *out, size_t size)
{
	char domain[160];

	if (!strncasecmp(to, "sip:", 4) || !strncasecmp(to, "sips:", 5) ||
	    !strncasecmp(to, "tel:", 4)) {
		str_copy(out, size, to);
		return;
	}
	if (!acc) {
		snprintf(out, size, "sip:%s", to);
		return;
	}
	sipua_uri_hostport(acc->cfg.uri, domain, sizeof(domain));
	if (strchr(to, '@'))
		snprintf(out, size, "sip:%s", to);
	else
		snprintf(out, size, "sip:%s@%s", to, domain);
}

int sipua_call_invite(struct sipua *ua, struct sipua_call **callp, struct sipua_acc *acc,
		      const char *to, const char *sdp, const char *replaces, const char *referred_by,
		      struct sipua_call *notify_refer)
{
	struct sipua_call *c = call_new(ua, acc);
	char target[CFG_STR * 2], to_hdr[CFG_STR * 2 + 4];

	if (!c)
		return ENOMEM;
	complete_target(acc, to, target, sizeof(target));
	/* To carries the URI without ?headers (a Replaces from a Refer-To goes in the request). */
	snprintf(to_hdr, sizeof(to_hdr), "<%.*s>", (int)strcspn(target, "?"), target);
	str_ncopy(c->peer, sizeof(c->peer), target, strcspn(target, "?"));
	uri_host(c->peer, c->peer_host, sizeof(c->peer_host));
	c->outgoing = true;
	c->nh = nua_handle(ua->nua, (union sipua_hnd *)c, NUTAG_URL(target), SIPTAG_TO_STR(to_hdr),
			   TAG_IF(acc, SIPTAG_FROM_STR(acc ? acc->from : NULL)),
			   TAG_END());
	sipua_ws_route(c->nh, acc);
	if (!c->nh) {
		call_destroy(c);        /* unlinks it from ua->calls */
		return ENOMEM;
	}
	nua_invite(c->nh,
		   TAG_IF(acc && acc->route[0], SIPTAG_ROUTE_STR(acc ? acc->route : NULL)),
		   TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		   TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)),
		   TAG_IF(replaces, SIPTAG_REPLACES_STR(replaces)),
		   TAG_IF(referred_by, SIPTAG_REFERRED_BY_STR(referred_by)),
		   TAG_END());
	c->notify_to = notify_refer;
	*callp = c;
	return 0;
}

int sipua_call_respond(struct sipua_call *c, int code, const char *reason, const char *sdp)
{
	if (!c->nh)
		return EINVAL;
	if (code >= 200 && code < 300)
		c->answered = true;
	if (code >= 300) {
		c->last_code = code;
		str_copy(c->last_reason, sizeof(c->last_reason), reason ? reason : sip_status_phrase(code));
	}
	nua_respond(c->nh, code, reason ? reason : sip_status_phrase(code),
		    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
	return 0;
}

int sipua_call_reinvite(struct sipua_call *c, const char *sdp)
{
	if (!c->nh || !c->answered || c->reinvite_out)
		return EBUSY;
	c->reinvite_out = true;
	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
		   TAG_END());
	return 0;
}

int sipua_call_hangup(struct sipua_call *c)
{
	if (!c->nh)
		return EINVAL;
	if (c->answered) {
		nua_bye(c->nh, TAG_END());
	} else if (c->outgoing) {
		c->last_code = 487;
		str_copy(c->last_reason, sizeof(c->last_reason), "Cancelled");
		nua_cancel(c->nh, TAG_END());
	} else {
		sipua_call_respond(c, 486, "Busy Here", NULL);
	}
	return 0;
}

int sipua_call_refer(struct sipua_call *c, const char *to, struct sipua_call *replaces)
{
	char target[CFG_STR * 2], refer_to[CFG_STR * 4];

	complete_target(c->acc, to, target, sizeof(target));
	if (replaces && replaces->nh) {
		su_home_t home[1] = { SU_HOME_INIT(home) };
		sip_replaces_t *rp = nua_handle_make_replaces(replaces->nh, home, 0);
		char *rs = rp ? sip_header_as_string(home, (sip_header_t *)rp) : NULL;
		char esc[CFG_STR * 2];

		if (!rs) {
			su_home_deinit(home);
			return EINVAL;
		}
		/* The Replaces value goes into the Refer-To URI as an escaped header. */
		url_escape(esc, rs, URL_RESERVED_CHARS);
		snprintf(refer_to, sizeof(refer_to), "<%s?Replaces=%s>", target, esc);
		su_home_deinit(home);
	} else {
		snprintf(refer_to, sizeof(refer_to), "<%s>", target);
	}
	nua_refer(c->nh, SIPTAG_REFER_TO_STR(refer_to),
		  TAG_IF(c->acc, SIPTAG_REFERRED_BY_STR(c->acc ? c->acc->from : NULL)), TAG_END());
	return 0;
}

int sipua_call_info_dtmf(struct sipua_call *c, char digit)
{
	char body[64];

	snprintf(body, sizeof(body), "Signal=%c\r\nDuration=160\r\n", digit);
	nua_info(c->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"), SIPTAG_PAYLOAD_STR(body),
		 TAG_END());
	return 0;
}

void sipua_call_set_owner(struct sipua_call *c, void *owner)
{
	c->owner = owner;
}

void *sipua_call_owner(const struct sipua_call *c)
{
	return c->owner;
}

const char *sipua_call_peer(const struct sipua_call *c)
{
	return c->peer;
}

const char *sipua_call_peer_host(const struct sipua_call *c)
{
	return c->peer_host;
}

int sipua_message(struct sipua *ua, struct sipua_acc *acc, const char *to, const char *text,
		  unsigned long cookie)
{
	struct sipua_msg *m = calloc(1, sizeof(union sipua_hnd));
	char target[CFG_STR * 2], to_hdr[CFG_STR * 2 + 4];

	if (!m)
		return ENOMEM;
	m->kind = HND_MSG;
	m->ua = ua;
	m->acc = acc;
	m->cookie = cookie;
	complete_target(acc, to, target, sizeof(target));
	str_copy(m->to, sizeof(m->to), target);
	snprintf(to_hdr, sizeof(to_hdr), "<%s>", target);
	m->nh = nua_handle(ua->nua, (union sipua_hnd *)m, NUTAG_URL(target), SIPTAG_TO_STR(to_hdr),
			   TAG_IF(acc, SIPTAG_FROM_STR(acc ? acc->from : NULL)),
			   TAG_END());
	sipua_ws_route(m->nh, acc);
	if (!m->nh) {
		free(m);
		return ENOMEM;
	}
	m->next = ua->msgs;
	ua->msgs = m;
	nua_message(m->nh, TAG_IF(acc && acc->route[0], SIPTAG_ROUTE_STR(acc ? acc->route : NULL)),
		    SIPTAG_CONTENT_TYPE_STR("text/plain;charset=UTF-8"), SIPTAG_PAYLOAD_STR(text),
		    TAG_END());
	return 0;
}
