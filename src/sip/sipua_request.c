/* sipua_request.c: who sent a request: whether to trust it (the registrar or a configured
 * peer), where it came from (address and transport, also through a WebSocket bridge), which
 * of our accounts it is for, and the display name it carries. */
#include "sipua_priv.h"

bool sipua_request_trusted(struct sipua *ua)
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
			    sipua_same_addr(ai->ai_addr, (struct sockaddr *)&acc->conn, true))
				return true;
			continue;
		}
		for (unsigned k = 0; k < acc->nserver; k++)
			if (sipua_same_addr(ai->ai_addr, (struct sockaddr *)&acc->server[k],
				      acc->server_port_known))
				return true;
	}
	return !any_registered;
}

void sipua_refuse_untrusted(struct sipua *ua, nua_handle_t *nh, const char *what)
{
	char source[96];

	sipua_describe_source(ua, source, sizeof(source));
	nua_respond(nh, 403, "Forbidden", NUTAG_WITH_THIS(ua->nua), TAG_END());
	nua_handle_destroy(nh);
	/* Scanners send thousands: say it the first time, then every thousandth. */
	if (ua->refused++ % 1000 == 0)
		sipua_say(ua, "refused %s from %s: not our server (trusted_only); %lu so far", what, source,
		    ua->refused);
}

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
struct sipua_acc *sipua_acc_for_request(struct sipua *ua, const sip_t *sip)
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
void sipua_display_name(const char *raw, char *out, size_t size)
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

void sipua_describe_source(struct sipua *ua, char *out, size_t size)
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
