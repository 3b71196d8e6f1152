/* sipua_ws.c: accounts with transport = ws or wss. Each gets a ws_bridge (see its header
 * for why a bridge); here the account is pointed at it and the bridge's news is turned
 * into what the user sees: log lines, and a registration that says it is down and when
 * it retries. Main thread only. */
#include "sipua_priv.h"

#include "ws_bridge.h"

/* JsSIP's connection_recovery_min_interval / max_interval defaults (2 s, 30 s): a web
 * phone's server is usually close and restarts quickly. */
#define WS_RETRY_MIN_MS 2000
#define WS_RETRY_MAX_MS 30000

static void on_notes(void *arg, int fd)
{
	struct sipua *ua = arg;
	struct evq_event ev;

	(void)fd;
	while (evq_take(ua->ws_notes, &ev)) {
		struct sipua_acc *acc = ev.call_id < ua->naccs ? ua->accs[ev.call_id] : NULL;

		if (!acc)
			continue;
		switch (ev.kind) {
		case EVQ_WS_UP:
			acc->ws_why[0] = '\0';
			sipua_say(ua, "account %s: websocket %s", acc->cfg.name, ev.text);
			break;
		case EVQ_WS_DOWN:
			str_copy(acc->ws_why, sizeof(acc->ws_why), ev.text);
			sipua_say(ua, "account %s: websocket: %s", acc->cfg.name, ev.text);
			if (acc->want_registered && acc->state == SIPUA_REG_REGISTERED) {
				/* The server's registration rides on the lost connection (RFC 5626
				 * flow): register again on a new one, soon. */
				char why[400];
				if (acc->nh) {
					nua_handle_destroy(acc->nh);
					acc->nh = NULL;
				}
				acc->retry_ms = 0;
				sipua_retry_later(acc);
				snprintf(why, sizeof(why), "websocket: %s; reconnecting in %u s", ev.text,
					 acc->retry_ms / 1000);
				sipua_report_reg(acc, SIPUA_REG_FAILED, 503, why);
			} else if (acc->want_registered && acc->state == SIPUA_REG_REGISTERING &&
				   acc->nh) {
				/* Every socket of the round failed (a wrong certificate, a server
				 * that is not there): the REGISTER in flight waits for a connection
				 * that will not come, and nua would say so only when it times out,
				 * 8 s later, as a bare 408. Say why now; retry with the back-off. */
				char why[400];

				nua_handle_destroy(acc->nh);
				acc->nh = NULL;
				sipua_retry_later(acc);
				snprintf(why, sizeof(why), "websocket: %s; retrying in %u s", ev.text,
					 acc->retry_ms / 1000);
				sipua_say(ua, "account %s: registration failed: %s", acc->cfg.name,
					  why);
				sipua_report_reg(acc, SIPUA_REG_FAILED, 503, why);
			}
			break;
		case EVQ_WS_INFO:
			sipua_say(ua, "account %s: websocket: %s", acc->cfg.name, ev.text);
			break;
		default:
			break;
		}
	}
}

static int notes_start(struct sipua *ua)
{
	if (ua->ws_notes)
		return 0;
	if (evq_alloc(&ua->ws_notes, 32) < 0)
		return -1;
	ua->ws_watch = loop_watch_fd(ua->loop, evq_fd(ua->ws_notes), on_notes, ua);
	if (ua->ws_watch < 0) {
		evq_free(ua->ws_notes);
		ua->ws_notes = NULL;
		return -1;
	}
	return 0;
}

void sipua_ws_acc_setup(struct sipua_acc *acc)
{
	struct sipua *ua = acc->ua;
	const struct config *cfg = ua->cfg;
	struct ws_bridge_cfg bc;
	char why[300], peer[80], hp[160];

	if (acc->cfg.transport != TP_WS && acc->cfg.transport != TP_WSS)
		return;
	acc->retry_min_ms = WS_RETRY_MIN_MS;
	acc->retry_max_ms = WS_RETRY_MAX_MS;
	/* No preloaded Route: the socket is the way to the server (JsSIP sends none either),
	 * and a Route naming our loopback bridge would send the server after it. */
	acc->route[0] = '\0';
	memset(&bc, 0, sizeof(bc));
	str_copy(bc.name, sizeof(bc.name), acc->cfg.name);
	bc.nurls = ws_url_list(acc->cfg.socket, bc.urls, WS_URL_MAX, why, sizeof(why));
	if (bc.nurls < 0) {
		snprintf(acc->ws_why, sizeof(acc->ws_why), "socket: %s", why);
		return;
	}
	bc.link.tls_verify = cfg->sip.tls_verify;
	bc.link.ca_file = cfg->sip.ca_file;
	bc.link.user_agent = cfg->sip.user_agent;
	bc.link.ping_ms = cfg->sip.keepalive * 1000;
	str_copy(bc.sofia_host, sizeof(bc.sofia_host),
		 strchr(ua->listen.host, '.') && strcmp(ua->listen.host, "0.0.0.0") ?
		 ua->listen.host : "127.0.0.1");
	bc.sofia_port = ua->listen.port;
	if (notes_start(ua) < 0) {
		snprintf(acc->ws_why, sizeof(acc->ws_why), "cannot watch the websocket bridge");
		return;
	}
	if (ws_bridge_start(&acc->ws, &bc, ua->ws_notes, ua->naccs - 1, why, sizeof(why)) < 0) {
		acc->ws = NULL;
		str_copy(acc->ws_why, sizeof(acc->ws_why), why);
		sipua_say(ua, "account %s: %s", acc->cfg.name, why);
		return;
	}
	snprintf(acc->proxy, sizeof(acc->proxy), "sip:127.0.0.1:%u;transport=tcp",
		 ws_bridge_port(acc->ws));
	/* The SIP log names the server, not the bridge: "wss 203.0.113.5:8443". */
	snprintf(peer, sizeof(peer), "127.0.0.1:%u", ws_bridge_port(acc->ws));
	snprintf(hp, sizeof(hp), strchr(bc.urls[0].host, ':') ? "[%s]:%u" : "%s:%u",
		 bc.urls[0].host, bc.urls[0].port);
	(void)trace_alias(ua->trace, "tcp", peer, bc.urls[0].secure ? "wss" : "ws", hp);
}

struct sipua_acc *sipua_ws_acc_at(const struct sipua *ua, const char *host, unsigned port)
{
	if (strcmp(host, "127.0.0.1"))
		return NULL;
	for (unsigned i = 0; i < ua->naccs; i++) {
		struct sipua_acc *acc = ua->accs[i];
		if (acc->ws && ws_bridge_port(acc->ws) == port)
			return acc;
	}
	return NULL;
}

bool sipua_ws_source(const struct sipua *ua, const char *host, unsigned port, char *out,
		     size_t size)
{
	const struct sipua_acc *acc = sipua_ws_acc_at(ua, host, port);

	if (acc)
		ws_bridge_server_name(acc->ws, out, size);
	return acc != NULL;
}

void sipua_ws_why(struct sipua_acc *acc)
{
	char why[sizeof(acc->ws_why)];

	if (acc->ws && ws_bridge_why(acc->ws, why, sizeof(why)))
		str_copy(acc->ws_why, sizeof(acc->ws_why), why);
}

void sipua_ws_acc_free(struct sipua_acc *acc)
{
	ws_bridge_stop(acc->ws);
	acc->ws = NULL;
}

void sipua_ws_free(struct sipua *ua)
{
	if (!ua->ws_notes)
		return;
	loop_unwatch(ua->loop, ua->ws_watch);
	evq_free(ua->ws_notes);
	ua->ws_notes = NULL;
}

void sipua_ws_route(nua_handle_t *nh, const struct sipua_acc *acc)
{
	if (nh && acc && acc->ws)
		nua_set_hparams(nh, NUTAG_PROXY(acc->proxy), TAG_END());
}
