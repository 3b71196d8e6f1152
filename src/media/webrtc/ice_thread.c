/* ice_thread.c: the ice thread of one agent. It owns a GMainContext and the NiceAgent in
 * it, and is the only thread that calls libnice (but for the control side's candidate
 * parser, see ice_agent.c): libnice emits its signals on the thread that calls into it,
 * and the hooks are promised to run here.
 *
 *   libnice socket -> on_recv (stamp: g_get_monotonic_time)
 *        -> first byte 128..191 (RTP/RTCP, RFC 7983) -> rx ring -> media thread
 *        -> 20..63 (DTLS) -> hooks.on_datagram
 *        -> else dropped (STUN never gets here: libnice answers it itself)
 *   tx ring eventfd -> on_tx -> nice_agent_send over the selected pair
 *   command eventfd -> on_cmd -> the queued control calls, in order
 *   libnice signals -> candidates, gathering done, states, selected pair -> hooks.on_event
 *   timers -> checks that take too long (FAILED), gathering that takes too long, the
 *             hooks' own timer, ice_agent_close's deadline
 *
 * Name lookups of STUN and TURN servers are ours (GResolver, asynchronous), done before
 * gathering, and libnice gets numeric addresses: libnice 0.1.21 resolves names itself but,
 * when a STUN server's name does not resolve, never signals candidate-gathering-done (seen
 * with "stun.invalid": gathering stayed open for good). */
#include "media/webrtc/ice_priv.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The agent whose ice thread this is: libnice's warnings (GLib log messages, process-wide)
 * are given to it as events. */
static _Thread_local struct ice_agent *tls_agent;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static bool stopping(struct ice_agent *a)
{
	return atomic_load_explicit(&a->stop, memory_order_relaxed);
}

__attribute__((format(printf, 4, 5)))
static void emit(struct ice_agent *a, enum ice_ev kind, const struct ice_pair *pair,
		 const char *fmt, ...)
{
	struct ice_event ev;

	/* Once free has begun, the caller's arg may be half gone: no more hooks. */
	if (stopping(a))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.generation = a->gen;
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
		va_end(ap);
	}
	if (pair)
		ev.pair = *pair;
	a->hooks.on_event(a->hooks.arg, &ev);
}

static void source_drop(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

/* A one-shot timer in our context; its callback must NULL *s (source_fired) first. */
static void timer_arm(struct ice_agent *a, GSource **s, unsigned ms, GSourceFunc fn)
{
	source_drop(s);
	*s = g_timeout_source_new(ms);
	g_source_set_callback(*s, fn, a, NULL);
	g_source_attach(*s, a->ctx);
}

/* In a timer's callback: forget the source (the context drops it when we return
 * G_SOURCE_REMOVE). */
static void source_fired(GSource **s)
{
	if (*s) {
		g_source_unref(*s);
		*s = NULL;
	}
}

/* "12" for 12000 ms, "2.5" for 2500. */
static const char *secs(unsigned ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%u", ms / 1000);
	else
		snprintf(buf, len, "%u.%u", ms / 1000, (ms % 1000) / 100);
	return buf;
}

/* ---- libnice's warnings ---- */

static gboolean flush_warnings(gpointer data)
{
	struct ice_agent *a = data;
	unsigned n = a->n_warn, dropped = a->warn_dropped;
	char w[ICE_WARNINGS][ICE_TEXT];

	source_fired(&a->warn_idle);
	memcpy(w, a->warn, sizeof(w));
	a->n_warn = 0;
	a->warn_dropped = 0;
	for (unsigned i = 0; i < n; i++)
		emit(a, ICE_EV_WARNING, NULL, "%s", w[i]);
	if (dropped)
		emit(a, ICE_EV_WARNING, NULL, "libnice: %u more warnings", dropped);
	return G_SOURCE_REMOVE;
}

/* GLib log handler for libnice's domains. It may run with libnice's agent lock held, so
 * the message waits for an idle moment to become an event (a hook may call libnice).
 * Debug and info messages are dropped: they are libnice's trace (NICE_DEBUG), and they
 * print ICE passwords. Messages logged on other threads (none seen) are dropped too,
 * since they cannot be tied to an agent; nothing goes to stderr under the terminal UI. */
static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg,
			gpointer unused)
{
	struct ice_agent *a = tls_agent;

	if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
		       G_LOG_LEVEL_MESSAGE)) || !a || stopping(a))
		return;
	if (a->n_warn == ICE_WARNINGS) {
		a->warn_dropped++;
		return;
	}
	snprintf(a->warn[a->n_warn++], ICE_TEXT, "libnice: %s", msg ? msg : "");
	if (!a->warn_idle) {
		a->warn_idle = g_idle_source_new();
		g_source_set_callback(a->warn_idle, flush_warnings, a, NULL);
		g_source_attach(a->warn_idle, a->ctx);
	}
}

static void install_log_handler(void)
{
	static const char *const domains[] = { "libnice", "libnice-stun" };

	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		g_log_set_handler(domains[i], G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
				  G_LOG_FLAG_RECURSION, log_handler, NULL);
}

/* ---- candidates, pairs, states ---- */

static void addr_str(const NiceAddress *ad, char *out, size_t len)
{
	char ip[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(ad, ip);
	if (nice_address_ip_version(ad) == 6)
		snprintf(out, len, "[%s]:%u", ip, nice_address_get_port(ad));
	else
		snprintf(out, len, "%s:%u", ip, nice_address_get_port(ad));
}

static void fill_pair(struct ice_pair *p, const NiceCandidate *l, const NiceCandidate *r)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->local_type, sizeof(p->local_type), "%s", nice_candidate_type_to_string(l->type));
	snprintf(p->remote_type, sizeof(p->remote_type), "%s",
		 nice_candidate_type_to_string(r->type));
	addr_str(&l->addr, p->local, sizeof(p->local));
	addr_str(&r->addr, p->remote, sizeof(p->remote));
}

static bool same_pair(const struct ice_pair *x, const struct ice_pair *y)
{
	return strcmp(x->local, y->local) == 0 && strcmp(x->remote, y->remote) == 0 &&
		strcmp(x->local_type, y->local_type) == 0 &&
		strcmp(x->remote_type, y->remote_type) == 0;
}

/* One local candidate: into the control side's snapshot (if it is of the generation the
 * control side is at) and out as an event. */
static void give_local(struct ice_agent *a, NiceCandidate *c)
{
	gchar *sdp;
	const char *line;

	if (c->stream_id != a->stream_id || c->component_id != 1)
		return;
	sdp = nice_agent_generate_local_candidate_sdp(a->agent, c);
	if (!sdp)
		return;
	line = strncmp(sdp, "a=", 2) == 0 ? sdp + 2 : sdp;
	ice_lock(a);
	if (a->gen == a->ctl_gen && a->n_local < ICE_MAX_LOCAL)
		snprintf(a->local_lines[a->n_local++], ICE_TEXT, "%s", line);
	ice_unlock(a);
	emit(a, ICE_EV_CANDIDATE, NULL, "%s", line);
	g_free(sdp);
}

static void give_gathering_done(struct ice_agent *a)
{
	if (a->gathering_done)
		return;
	a->gathering_done = true;
	a->gather_finished = true;
	source_drop(&a->gather_timer);
	ice_lock(a);
	if (a->gen == a->ctl_gen)
		a->gathered = true;
	ice_unlock(a);
	emit(a, ICE_EV_GATHERING_DONE, NULL, NULL);
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
	give_local(data, c);
}

static void on_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
	struct ice_agent *a = data;

	if (stream_id == a->stream_id)
		give_gathering_done(a);
}

static void maybe_connected(struct ice_agent *a)
{
	NiceCandidate *l, *r;

	if (a->connected || a->failed || a->closing)
		return;
	/* the pair arrives by its own signal, before or after the state */
	if (!a->have_pair && nice_agent_get_selected_pair(a->agent, a->stream_id, 1, &l, &r)) {
		fill_pair(&a->pair, l, r);
		a->have_pair = true;
	}
	if (!a->have_pair)
		return;
	a->connected = true;
	source_drop(&a->fail_timer);
	emit(a, ICE_EV_CONNECTED, &a->pair, "ICE: connected, %s %s -> %s %s",
	     a->pair.local_type, a->pair.local, a->pair.remote_type, a->pair.remote);
}

static void on_failed(struct ice_agent *a)
{
	int64_t took_ms = (g_get_monotonic_time() - a->checks_start_us) / 1000;

	if (a->closing)
		return;
	if (a->connected) {
		a->connected = false;
		a->failed = true;
		if (a->consent)
			emit(a, ICE_EV_CONSENT_LOST, NULL, "ICE: consent lost: the peer at %s "
			     "revoked it or stopped answering consent checks (RFC 7675)",
			     a->pair.remote);
		else
			emit(a, ICE_EV_CONSENT_LOST, NULL, "ICE: connection lost: the peer at %s "
			     "stopped answering keepalives", a->pair.remote);
		return;
	}
	if (a->failed || !a->remote_creds)
		return;
	a->failed = true;
	source_drop(&a->fail_timer);
	emit(a, ICE_EV_FAILED, NULL, "ICE: no candidate pair answered (%u remote "
	     "candidate%s, all failed after %lld.%lld s)", a->remote_cands,
	     a->remote_cands == 1 ? "" : "s", (long long)(took_ms / 1000),
	     (long long)(took_ms % 1000 / 100));
}

static void on_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
		     gpointer data)
{
	struct ice_agent *a = data;

	if (stream_id != a->stream_id || component_id != 1)
		return;
	a->nstate = (NiceComponentState)state;
	switch (state) {
	case NICE_COMPONENT_STATE_CONNECTING:
		if (!a->checking && !a->connected && !a->failed && !a->closing) {
			a->checking = true;
			emit(a, ICE_EV_CHECKING, NULL, NULL);
		}
		break;
	case NICE_COMPONENT_STATE_CONNECTED:
	case NICE_COMPONENT_STATE_READY:
		maybe_connected(a);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		on_failed(a);
		break;
	default:
		break;
	}
}

static void on_selected_pair(NiceAgent *agent, guint stream_id, guint component_id,
			     NiceCandidate *l, NiceCandidate *r, gpointer data)
{
	struct ice_agent *a = data;
	struct ice_pair p;

	if (stream_id != a->stream_id || component_id != 1 || !l || !r)
		return;
	fill_pair(&p, l, r);
	if (a->connected) {
		if (!same_pair(&p, &a->pair)) {
			a->pair = p;
			emit(a, ICE_EV_PAIR, &a->pair, "ICE: now %s %s -> %s %s", p.local_type,
			     p.local, p.remote_type, p.remote);
		}
		return;
	}
	a->pair = p;
	a->have_pair = true;
	if (a->nstate == NICE_COMPONENT_STATE_CONNECTED || a->nstate == NICE_COMPONENT_STATE_READY)
		maybe_connected(a);
}

/* ---- packets ---- */

static void on_recv(NiceAgent *agent, guint stream_id, guint component_id, guint len,
		    gchar *buf, gpointer data)
{
	struct ice_agent *a = data;
	int64_t t_us = g_get_monotonic_time();   /* first: the arrival, as near as we get */
	uint8_t b0;

	if (len == 0 || a->closing) {
		count(&a->rx_dropped);
		return;
	}
	b0 = (uint8_t)buf[0];
	if (b0 >= 128 && b0 <= 191) {
		uint8_t *slot;

		if (len > pkt_ring_slot_bytes(a->rx)) {
			count(&a->rx_dropped);
		} else if (!(slot = pkt_ring_reserve(a->rx))) {
			count(&a->rx_ring_full);
		} else {
			memcpy(slot, buf, len);
			/* counted before the commit publishes it: whoever has taken the packet
			 * sees it counted */
			count(&a->rx_media);
			pkt_ring_commit(a->rx, len, t_us);
		}
	} else if (b0 >= 20 && b0 <= 63 && a->hooks.on_datagram && !stopping(a)) {
		count(&a->rx_datagrams);
		a->hooks.on_datagram(a->hooks.arg, (const uint8_t *)buf, len, t_us);
	} else {
		count(&a->rx_dropped);
	}
}

static gboolean on_tx(gint fd, GIOCondition cond, gpointer data)
{
	struct ice_agent *a = data;
	const uint8_t *p;
	size_t len;

	pkt_ring_clear_wake(a->tx);
	while ((p = pkt_ring_peek(a->tx, &len, NULL))) {
		if (!a->closing &&
		    nice_agent_send(a->agent, a->stream_id, 1, (guint)len, (const gchar *)p) ==
		    (gint)len)
			count(&a->tx_media);
		else
			count(&a->tx_failed);
		pkt_ring_pop(a->tx);
	}
	return G_SOURCE_CONTINUE;
}

int ice_agent_send_datagram(struct ice_agent *a, const uint8_t *pkt, size_t len)
{
	if (a->closing || len == 0 || len > ICE_PKT_MAX ||
	    nice_agent_send(a->agent, a->stream_id, 1, (guint)len, (const gchar *)pkt) !=
	    (gint)len)
		return -1;
	count(&a->tx_datagrams);
	return 0;
}

/* ---- timers ---- */

/* libnice declares a component failed once it has been idle (no check in progress) for
 * its idle-timeout, 5 s by default. For the controlling side that is the end: it
 * nominates as soon as a pair works, so idle means every pair failed, and a peer that
 * said end-of-candidates is given up early. The controlled side cannot tell that from a
 * working pair the peer has not chosen yet, and the choice is the peer's: Chromium after
 * restarting ICE keeps its old pair until that stops answering (5 s or more) before it
 * nominates a new one, and libnice would give up just then. So while controlled the
 * grace is our own bound, and our bound (on_check_timeout) ends the checks. The role
 * can change under us (libnice settles role conflicts by tie-breaker, RFC 8445 section
 * 7.3.1.1, and says nothing), hence a look at it four times a second while checking. */
#define NICE_IDLE_DEFAULT_MS 5000u
#define ROLE_LOOK_MS 250u

static gboolean controlling_now(struct ice_agent *a)
{
	gboolean controlling = TRUE;

	g_object_get(a->agent, "controlling-mode", &controlling, NULL);
	return controlling;
}

static void grace_follow_role(struct ice_agent *a)
{
	unsigned want = NICE_IDLE_DEFAULT_MS;

	if (!controlling_now(a))
		want = a->check_timeout_ms > 60000 ? 60000 :   /* libnice's maximum */
		       a->check_timeout_ms > want ? a->check_timeout_ms : want;
	if (want != a->nice_idle_ms) {
		g_object_set(a->agent, "idle-timeout", (guint)want, NULL);
		a->nice_idle_ms = want;
	}
}

static gboolean on_role_look(gpointer data)
{
	struct ice_agent *a = data;

	if (a->connected || a->failed || a->closing) {
		source_fired(&a->role_timer);
		return G_SOURCE_REMOVE;
	}
	grace_follow_role(a);
	return G_SOURCE_CONTINUE;
}

static void role_watch_start(struct ice_agent *a)
{
	source_drop(&a->role_timer);
	grace_follow_role(a);
	a->role_timer = g_timeout_source_new(ROLE_LOOK_MS);
	g_source_set_callback(a->role_timer, on_role_look, a, NULL);
	g_source_attach(a->role_timer, a->ctx);
}

static gboolean on_check_timeout(gpointer data)
{
	struct ice_agent *a = data;
	char s[16];

	source_fired(&a->fail_timer);
	if (a->connected || a->failed || a->closing)
		return G_SOURCE_REMOVE;
	a->failed = true;
	secs(a->check_timeout_ms, s, sizeof(s));
	if (a->remote_cands == 0)
		emit(a, ICE_EV_FAILED, NULL, "ICE: the peer gave no candidates in %s s", s);
	else if (controlling_now(a))
		emit(a, ICE_EV_FAILED, NULL, "ICE: no candidate pair answered in %s s (%u remote "
		     "candidate%s)", s, a->remote_cands, a->remote_cands == 1 ? "" : "s");
	else
		emit(a, ICE_EV_FAILED, NULL, "ICE: no candidate pair answered and was chosen by "
		     "the peer (the controlling side) in %s s (%u remote candidate%s)", s,
		     a->remote_cands, a->remote_cands == 1 ? "" : "s");
	return G_SOURCE_REMOVE;
}

static gboolean on_gather_timeout(gpointer data)
{
	struct ice_agent *a = data;
	char s[16], who[2 * ICE_HOST_MAX + 64] = "";

	source_fired(&a->gather_timer);
	if (a->gathering_done)
		return G_SOURCE_REMOVE;
	if (a->stun_ok)
		snprintf(who, sizeof(who), "STUN server %s:%u", a->stun_host, a->stun_port);
	if (a->turn_ok)
		snprintf(who + strlen(who), sizeof(who) - strlen(who), "%sTURN server %s:%u",
			 *who ? ", " : "", a->turn_host, a->turn_port);
	emit(a, ICE_EV_WARNING, NULL, "ICE: gathering did not finish in %s s (%s did not "
	     "answer): going on with the candidates found",
	     secs(a->gather_timeout_ms, s, sizeof(s)), *who ? who : "no server");
	give_gathering_done(a);
	return G_SOURCE_REMOVE;
}

static gboolean on_user_timer(gpointer data)
{
	struct ice_agent *a = data;

	source_fired(&a->user_timer);
	if (a->hooks.on_timer && !stopping(a))
		a->hooks.on_timer(a->hooks.arg, g_get_monotonic_time() / 1000);
	return G_SOURCE_REMOVE;
}

void ice_agent_set_timer(struct ice_agent *a, int ms)
{
	source_drop(&a->user_timer);
	if (ms >= 0 && a->hooks.on_timer)
		timer_arm(a, &a->user_timer, (unsigned)ms, on_user_timer);
}

static void close_done(struct ice_agent *a)
{
	if (a->closed)
		return;
	a->closed = true;
	source_drop(&a->close_timer);
	emit(a, ICE_EV_CLOSED, NULL, NULL);
}

static void on_closed(GObject *src, GAsyncResult *res, gpointer data)
{
	close_done(data);
}

static gboolean on_close_timeout(gpointer data)
{
	struct ice_agent *a = data;

	source_fired(&a->close_timer);
	close_done(a);
	return G_SOURCE_REMOVE;
}

/* ---- gathering ---- */

static void gather_begin(struct ice_agent *a);

static void run_cmds(struct ice_agent *a);

static void resolved(struct ice_agent *a, GObject *src, GAsyncResult *res, bool turn)
{
	GError *err = NULL;
	GList *addrs = g_resolver_lookup_by_name_finish(G_RESOLVER(src), res, &err);
	const char *host = turn ? a->turn_host : a->stun_host;
	GInetAddress *pick = NULL;

	if (!addrs) {
		bool cancelled = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);

		if (!cancelled)
			emit(a, ICE_EV_WARNING, NULL, "ICE: %s server %s: %s; no %s candidate",
			     turn ? "TURN" : "STUN", host, err ? err->message : "not found",
			     turn ? "relayed" : "server-reflexive");
		g_clear_error(&err);
		if (cancelled)
			return;        /* stopping: nothing more to do */
	}
	/* IPv4 first: the host candidates libnice pairs a server with are mostly IPv4 */
	for (GList *i = addrs; i; i = i->next)
		if (g_inet_address_get_family(i->data) == G_SOCKET_FAMILY_IPV4) {
			pick = i->data;
			break;
		}
	if (!pick && addrs)
		pick = addrs->data;
	if (pick) {
		gchar *ip = g_inet_address_to_string(pick);

		snprintf(turn ? a->turn_ip : a->stun_ip, sizeof(a->stun_ip), "%s", ip);
		if (turn)
			a->turn_ok = true;
		else
			a->stun_ok = true;
		g_free(ip);
	}
	g_resolver_free_addresses(addrs);
	if (--a->resolving == 0 && !stopping(a))
		gather_begin(a);
}

static void on_stun_resolved(GObject *src, GAsyncResult *res, gpointer data)
{
	resolved(data, src, res, false);
}

static void on_turn_resolved(GObject *src, GAsyncResult *res, gpointer data)
{
	resolved(data, src, res, true);
}

/* Look the servers' names up (numeric ones need none), then gather. */
static void lookups_begin(struct ice_agent *a)
{
	GResolver *r = NULL;
	bool stun_name = *a->stun_host && !g_hostname_is_ip_address(a->stun_host);
	bool turn_name = *a->turn_host && !g_hostname_is_ip_address(a->turn_host);

	if (*a->stun_host && !stun_name) {
		snprintf(a->stun_ip, sizeof(a->stun_ip), "%s", a->stun_host);
		a->stun_ok = true;
	}
	if (*a->turn_host && !turn_name) {
		snprintf(a->turn_ip, sizeof(a->turn_ip), "%s", a->turn_host);
		a->turn_ok = true;
	}
	if (!stun_name && !turn_name) {
		gather_begin(a);
		return;
	}
	/* GLib's resolver answers in the thread-default context: ours (pushed in main) */
	r = g_resolver_get_default();
	a->resolving = (unsigned)stun_name + (unsigned)turn_name;
	if (stun_name)
		g_resolver_lookup_by_name_async(r, a->stun_host, a->cancel, on_stun_resolved, a);
	if (turn_name)
		g_resolver_lookup_by_name_async(r, a->turn_host, a->cancel, on_turn_resolved, a);
	g_object_unref(r);
}

static void gather_begin(struct ice_agent *a)
{
	if (a->stun_ok)
		g_object_set(a->agent, "stun-server", a->stun_ip, "stun-server-port",
			     (guint)a->stun_port, NULL);
	if (a->turn_ok &&
	    !nice_agent_set_relay_info(a->agent, a->stream_id, 1, a->turn_ip, a->turn_port,
				       a->turn_user, a->turn_pass, NICE_RELAY_TYPE_TURN_UDP))
		emit(a, ICE_EV_WARNING, NULL, "ICE: libnice refused TURN server %s:%u",
		     a->turn_host, a->turn_port);
	/* before gathering: libnice may finish it inside the call (host candidates only) */
	timer_arm(a, &a->gather_timer, a->gather_timeout_ms, on_gather_timeout);
	if (!nice_agent_gather_candidates(a->agent, a->stream_id)) {
		source_drop(&a->gather_timer);
		a->failed = true;
		if (a->port_min)
			emit(a, ICE_EV_FAILED, NULL, "ICE: no local candidate: no usable address "
			     "%s, or no free UDP port in %u-%u", *a->local_addr ? a->local_addr : "",
			     a->port_min, a->port_max);
		else
			emit(a, ICE_EV_FAILED, NULL, "ICE: no local candidate: no usable local "
			     "address %s", *a->local_addr ? a->local_addr : "");
	}
	a->gather_started = true;
	run_cmds(a);               /* what the control side queued meanwhile */
}

/* ---- commands ---- */

static void restart(struct ice_agent *a, const struct ice_cmd *c)
{
	GSList *l;

	if (!nice_agent_restart_stream(a->agent, a->stream_id) ||
	    !nice_agent_set_local_credentials(a->agent, a->stream_id, c->ufrag, c->pwd))
		emit(a, ICE_EV_WARNING, NULL, "ICE: libnice refused the restart");
	a->gen++;
	a->checking = a->connected = a->failed = false;
	a->remote_creds = a->eoc = false;
	a->remote_cands = 0;
	a->have_pair = false;
	a->gathering_done = false;
	source_drop(&a->fail_timer);
	/* libnice keeps its local candidates over a restart: give them again, for the new
	 * offer or answer, and gathering is done if it was */
	l = nice_agent_get_local_candidates(a->agent, a->stream_id, 1);
	for (GSList *i = l; i; i = i->next) {
		give_local(a, i->data);
		nice_candidate_free(i->data);
	}
	g_slist_free(l);
	if (a->gather_finished)
		give_gathering_done(a);
}

static void run_cmd(struct ice_agent *a, struct ice_cmd *c)
{
	GSList one = { 0 };

	switch (c->op) {
	case ICE_CMD_REMOTE_CREDS:
		if (!nice_agent_set_remote_credentials(a->agent, a->stream_id, c->ufrag, c->pwd))
			emit(a, ICE_EV_WARNING, NULL, "ICE: libnice refused the peer's credentials");
		a->remote_creds = true;
		a->checks_start_us = g_get_monotonic_time();
		if (!a->connected && !a->failed && !a->closing) {
			timer_arm(a, &a->fail_timer, a->check_timeout_ms, on_check_timeout);
			role_watch_start(a);
		}
		break;
	case ICE_CMD_REMOTE_CAND:
		one.data = c->cand;
		if (nice_agent_set_remote_candidates(a->agent, a->stream_id, 1, &one) < 1) {
			char addr[80];

			addr_str(&c->cand->addr, addr, sizeof(addr));
			emit(a, ICE_EV_WARNING, NULL, "ICE: libnice did not take candidate %s "
			     "(a duplicate?)", addr);
		} else {
			a->remote_cands++;
		}
		nice_candidate_free(c->cand);
		c->cand = NULL;
		break;
	case ICE_CMD_END_OF_CANDS:
		a->eoc = true;
		nice_agent_peer_candidate_gathering_done(a->agent, a->stream_id);
		break;
	case ICE_CMD_RESTART:
		restart(a, c);
		break;
	case ICE_CMD_REVOKE:
		if (!a->consent || !nice_agent_consent_lost(a->agent, a->stream_id, 1))
			emit(a, ICE_EV_WARNING, NULL, "ICE: consent freshness is off: nothing to "
			     "revoke");
		break;
	case ICE_CMD_CLOSE:
		if (a->closing)
			break;
		a->closing = true;
		source_drop(&a->fail_timer);
		source_drop(&a->gather_timer);
		source_drop(&a->role_timer);
		timer_arm(a, &a->close_timer, ICE_CLOSE_TIMEOUT_MS, on_close_timeout);
		nice_agent_close_async(a->agent, on_closed, a);
		break;
	case ICE_CMD_INVOKE:
		c->fn(c->arg);
		break;
	}
}

static void run_cmds(struct ice_agent *a)
{
	while (!stopping(a)) {
		struct ice_cmd c;

		ice_lock(a);
		if (a->cmd_n == 0) {
			ice_unlock(a);
			return;
		}
		c = a->cmds[a->cmd_first];
		a->cmds[a->cmd_first].cand = NULL;   /* ours now */
		a->cmd_first = (a->cmd_first + 1) % ICE_CMDS;
		a->cmd_n--;
		ice_unlock(a);
		run_cmd(a, &c);
		explicit_bzero(c.pwd, sizeof(c.pwd));
	}
}

static gboolean on_cmd(gint fd, GIOCondition cond, gpointer data)
{
	struct ice_agent *a = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: woken for commands already taken */
	}
	if (stopping(a))
		g_main_loop_quit(a->loop);
	else if (a->gather_started)
		run_cmds(a);
	return G_SOURCE_CONTINUE;
}

/* ---- life ---- */

__attribute__((format(printf, 3, 4)))
static int setup_fail(struct ice_agent *a, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->start_why, sizeof(a->start_why), fmt, ap);
	va_end(ap);
	return err;
}

static GSource *fd_source(struct ice_agent *a, int fd, gint priority, GUnixFDSourceFunc fn)
{
	GSource *s = g_unix_fd_source_new(fd, G_IO_IN);

	g_source_set_priority(s, priority);
	g_source_set_callback(s, G_SOURCE_FUNC(fn), a, NULL);
	g_source_attach(s, a->ctx);
	return s;
}

static int setup(struct ice_agent *a)
{
	NiceAgentOption flags = NICE_AGENT_OPTION_ICE_TRICKLE |
		NICE_AGENT_OPTION_REGULAR_NOMINATION;
	char ufrag[ICE_CRED_BUF], pwd[ICE_CRED_BUF];
	bool creds_ok;

	/* Trickle always: libnice then waits for end-of-candidates before failing, and a
	 * full SDP is "every candidate, then end-of-candidates". Regular nomination: the
	 * only kind RFC 8445 keeps. */
	if (a->consent)
		flags |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;
	a->agent = nice_agent_new_full(a->ctx, NICE_COMPATIBILITY_RFC5245, flags);
	if (!a->agent)
		return setup_fail(a, ENOMEM, "ICE: libnice made no agent");
	/* libnice's defaults: ICE-TCP on, and UPnP port mapping on (it multicasts to the
	 * LAN's routers and may delay gathering for it) */
	g_object_set(a->agent, "controlling-mode", (gboolean)a->controlling, "ice-tcp", FALSE,
		     "ice-udp", TRUE, "upnp", FALSE, "force-relay", (gboolean)a->relay_only, NULL);
	if (*a->local_addr) {
		NiceAddress ad;

		nice_address_init(&ad);
		if (!nice_address_set_from_string(&ad, a->local_addr))
			return setup_fail(a, EINVAL, "ICE: local address \"%s\" is not an IP "
					  "address", a->local_addr);
		if (!nice_agent_add_local_address(a->agent, &ad))
			return setup_fail(a, ENOMEM, "ICE: libnice refused local address %s",
					  a->local_addr);
	}
	a->stream_id = nice_agent_add_stream(a->agent, 1);
	if (a->stream_id == 0)
		return setup_fail(a, ENOMEM, "ICE: libnice made no stream");
	if (!nice_agent_set_stream_name(a->agent, a->stream_id, "audio"))
		return setup_fail(a, EINVAL, "ICE: libnice refused the stream's name");
	ice_lock(a);
	memcpy(ufrag, a->ufrag, sizeof(ufrag));
	memcpy(pwd, a->pwd, sizeof(pwd));
	ice_unlock(a);
	creds_ok = nice_agent_set_local_credentials(a->agent, a->stream_id, ufrag, pwd);
	explicit_bzero(pwd, sizeof(pwd));
	if (!creds_ok)
		return setup_fail(a, EINVAL, "ICE: libnice refused our credentials");
	if (a->port_min)
		nice_agent_set_port_range(a->agent, a->stream_id, 1, a->port_min, a->port_max);
	g_signal_connect(a->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), a);
	g_signal_connect(a->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), a);
	g_signal_connect(a->agent, "component-state-changed", G_CALLBACK(on_state), a);
	g_signal_connect(a->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), a);
	if (!nice_agent_attach_recv(a->agent, a->stream_id, 1, a->ctx, on_recv, a))
		return setup_fail(a, EINVAL, "ICE: libnice refused the receive callback");
	a->cancel = g_cancellable_new();
	a->cmd_src = fd_source(a, a->cmd_fd, G_PRIORITY_DEFAULT, on_cmd);
	/* media first: an outgoing packet is not held up behind checks or commands */
	a->tx_src = fd_source(a, pkt_ring_fd(a->tx), G_PRIORITY_HIGH, on_tx);
	return 0;
}

static void teardown(struct ice_agent *a)
{
	/* A close under way finishes first (bounded by its own timer): that is what the
	 * caller asked for by calling ice_agent_close. */
	while (a->closing && !a->closed)
		g_main_context_iteration(a->ctx, TRUE);
	source_drop(&a->fail_timer);
	source_drop(&a->gather_timer);
	source_drop(&a->user_timer);
	source_drop(&a->close_timer);
	source_drop(&a->role_timer);
	source_drop(&a->warn_idle);
	source_drop(&a->cmd_src);
	source_drop(&a->tx_src);
	if (a->cancel)
		g_cancellable_cancel(a->cancel);
	if (a->agent) {
		if (a->stream_id)
			nice_agent_attach_recv(a->agent, a->stream_id, 1, a->ctx, NULL, NULL);
		g_signal_handlers_disconnect_by_data(a->agent, a);
		g_object_unref(a->agent);
	}
	/* What the unref and the cancel left in the context (cancelled lookups' callbacks,
	 * libnice's idle sources) runs now, while a is still valid. */
	for (int i = 0; i < 100 && g_main_context_iteration(a->ctx, FALSE); i++)
		;
	if (a->cancel)
		g_object_unref(a->cancel);
	a->cancel = NULL;
}

void *ice_thread_main(void *arg)
{
	struct ice_agent *a = arg;
	int e;

	tls_agent = a;
	if (pthread_once(&log_once, install_log_handler) != 0)
		abort();
	/* GIO's asynchronous calls (the resolver) answer in the thread-default context */
	g_main_context_push_thread_default(a->ctx);
	e = setup(a);
	ice_lock(a);
	a->started = true;
	a->start_err = e;
	pthread_cond_signal(&a->started_cond);
	ice_unlock(a);
	if (e == 0) {
		lookups_begin(a);
		g_main_loop_run(a->loop);
	}
	teardown(a);
	g_main_context_pop_thread_default(a->ctx);
	tls_agent = NULL;
	return NULL;
}
