/* sipua_register.c: accounts and their registration. Digest credentials are answered here
 * for every request (once per challenge, so a wrong password fails instead of looping);
 * registration is retried with back-off; the server's address and our connection to it are
 * learnt once it accepts us; a keep-alive OPTIONS notices a server that went away. */
#include "sipua_priv.h"

void sipua_uri_host(const char *uri, char *out, size_t size)
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
bool sipua_authenticate(struct sipua *ua, nua_handle_t *nh, struct sipua_acc *acc,
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
bool sipua_made_up_locally(const sip_t *sip)
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
	bool local = sipua_made_up_locally(sip) || status >= 900;
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
		sipua_uri_host(uris[i], host, sizeof(host));
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

bool sipua_same_addr(const struct sockaddr *a, const struct sockaddr *b, bool port)
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
void sipua_on_register(struct sipua *ua, struct sipua_acc *acc, nua_event_t event, int status,
		       char const *phrase, sip_t const *sip)
{
	char why[400];

	if (status < 200)
		return;
	if (status == 401 || status == 407) {
		if (event == nua_r_register &&
		    sipua_authenticate(ua, acc->nh, acc, &acc->auth_tries, status, sip, why, sizeof(why)))
			return;
		if (event == nua_r_unregister &&
		    sipua_authenticate(ua, acc->nh, acc, &acc->auth_tries, status, sip, why, sizeof(why)))
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
	/* Keep the registration handle: registering again on it refreshes the same binding
	 * (same Call-ID, higher CSeq). Destroying it would make nua send an un-REGISTER
	 * (Expires: 0) that is retransmitted into the dead network, and if one copy arrives
	 * after our new REGISTER once the network is back, the server drops the binding we
	 * just made while we show "registered" (seen in test_network under load). */
	acc->retry_ms = 0;
	sipua_retry_later(acc);
}

void sipua_on_keepalive(struct sipua *ua, struct sipua_acc *acc, int status, char const *phrase,
			sip_t const *sip)
{
	if (status < 200)
		return;
	acc->ka_pending = false;
	/* Any answer, even 404 or 405, proves the server is there; one made up locally means
	 * it is not. */
	if (sipua_made_up_locally(sip)) {
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
	sipua_uri_host(acc->registrar, acc->server_host, sizeof(acc->server_host));
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
