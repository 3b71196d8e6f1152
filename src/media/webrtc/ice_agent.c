/* ice_agent.c: an ICE agent's life and controls, on the caller's (control) thread.
 *
 *   control thread                     ice thread (one per agent)           media thread
 *   --------------                     --------------------------           ------------
 *   alloc ── pthread_create ─────────▶ set-up (agent, stream), gather
 *   set_remote_credentials ─┐          libnice signals ──▶ hooks.on_event
 *   add_remote_candidate ───┼ cmds ──▶ nice_agent_* (checks, consent)
 *   restart, close, invoke ─┘ +eventfd
 *                                      socket ─▶ RTP/RTCP ─▶ rx ring ──eventfd─▶ peek/pop
 *                                              └ DTLS ─▶ hooks.on_datagram
 *                                      nice_agent_send ◀─ tx ring ◀─eventfd── push
 *   free ── stop + join ─────────────▶ teardown (agent unref) and exit
 *
 * Commands go through a bounded queue under a mutex that only the control side and the
 * ice thread take (never the media thread), so the control side never waits for libnice:
 * libnice emits its signals on whichever thread calls into it, and the hooks must run on
 * the ice thread. The one libnice function called here is the candidate parser, which
 * reads nothing but its text (0.1.21: nice_agent_parse_remote_candidate_sdp takes no lock
 * and touches no agent state), so that a bad line is refused at once with a reason. */
#include "media/webrtc/ice_priv.h"
#include "ttyconf.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* why may be NULL with whylen 0. */
__attribute__((format(printf, 4, 5)))
static int bad(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

static int take_opts(struct ice_agent *a, const struct ice_opts *o, char *why, size_t whylen)
{
	a->controlling = o->controlling;
	a->consent = !o->no_consent_freshness;
	a->relay_only = o->relay_only;
	if (o->relay_only && !(o->turn_server && *o->turn_server))
		return bad(why, whylen, EINVAL, "ICE: relayed candidates only, but no turn_server "
			   "to relay by");
	if (o->stun_server && *o->stun_server &&
	    ice_split_hostport(o->stun_server, 3478, a->stun_host, sizeof(a->stun_host),
			       &a->stun_port) != 0)
		return bad(why, whylen, EINVAL, "ICE: stun_server \"%.100s\" is not host[:port]",
			   o->stun_server);
	if (o->turn_server && *o->turn_server) {
		if (ice_split_hostport(o->turn_server, 3478, a->turn_host, sizeof(a->turn_host),
				       &a->turn_port) != 0)
			return bad(why, whylen, EINVAL, "ICE: turn_server \"%.100s\" is not host[:port]",
				   o->turn_server);
		if (!o->turn_user || !*o->turn_user || !o->turn_password)
			return bad(why, whylen, EINVAL, "ICE: turn_server %.100s needs turn_user and "
				   "turn_password", o->turn_server);
		if (strlen(o->turn_user) >= sizeof(a->turn_user) ||
		    strlen(o->turn_password) >= sizeof(a->turn_pass))
			return bad(why, whylen, EINVAL, "ICE: turn_user or turn_password of %s is "
				   "longer than 256 bytes", o->turn_server);
		copy_str(a->turn_user, sizeof(a->turn_user), o->turn_user);
		copy_str(a->turn_pass, sizeof(a->turn_pass), o->turn_password);
	}
	if (o->local_addr && strlen(o->local_addr) >= sizeof(a->local_addr))
		return bad(why, whylen, EINVAL, "ICE: local address \"%.64s...\" is too long",
			   o->local_addr);
	copy_str(a->local_addr, sizeof(a->local_addr), o->local_addr);
	if ((o->port_min || o->port_max) &&
	    (o->port_min == 0 || o->port_max < o->port_min))
		return bad(why, whylen, EINVAL, "ICE: port range: need 0 < port_min <= port_max");
	a->port_min = o->port_min;
	a->port_max = o->port_max;
	a->check_timeout_ms = o->check_timeout_ms ? o->check_timeout_ms : ICE_CHECK_TIMEOUT_MS;
	a->gather_timeout_ms = o->gather_timeout_ms ? o->gather_timeout_ms
		: ICE_GATHER_TIMEOUT_MS;
	return 0;
}

/* libnice and Sofia-SIP 1.12.11 both export stun_message_length (each its own STUN
 * code, different message structs), and libnice calls its own through the PLT (33 calls
 * in 0.1.21). In a process where Sofia is found first in the global lookup order (linked
 * before libnice, or preloaded), libnice gets Sofia's: every STUN message it builds has
 * length 0, no check ever leaves ("conncheck created 0"), and ICE fails without a word.
 * Seen in the ASan build, which links every library (no --as-needed). Refuse to start
 * then, with the fix. Checks the ordinary lookup (RTLD_DEFAULT); a libnice opened with
 * RTLD_DEEPBIND binds to itself and would need no check. 0, or ELIBBAD with why. */
static int check_stun_symbol(char *why, size_t whylen)
{
#if defined(TTY_WEBRTC_MODULE) && !defined(TTY_ASAN)
	/* ttyphone-webrtc.so is opened with RTLD_DEEPBIND (webrtc_api.c): libnice binds to
	 * its own, while the global lookup below would find ttyphone's Sofia-SIP. (The ASan
	 * build links libnice first instead: the check holds there.) */
	(void)why;
	(void)whylen;
	return 0;
#else
	void *h = dlopen(TTY_SONAME_NICE, RTLD_LAZY | RTLD_NOLOAD);
	void *own, *global;
	Dl_info who;

	if (!h)
		return 0;          /* not loaded under that name: nothing to compare */
	own = dlsym(h, "stun_message_length");
	global = dlsym(RTLD_DEFAULT, "stun_message_length");
	dlclose(h);
	if (!own || !global || own == global)
		return 0;
	return bad(why, whylen, ELIBBAD, "ICE: %s is found before %s and takes its "
		   "stun_message_length (both export one): libnice's STUN would be empty. "
		   "Link libnice before it", dladdr(global, &who) && who.dli_fname ?
		   who.dli_fname : "another library", TTY_SONAME_NICE);
#endif
}

static void wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

/* Everything alloc made, in reverse; the thread is not running. */
static void release(struct ice_agent *a)
{
	for (unsigned i = 0; i < a->cmd_n; i++) {
		struct ice_cmd *c = &a->cmds[(a->cmd_first + i) % ICE_CMDS];

		if (c->cand)
			nice_candidate_free(c->cand);
	}
	if (a->loop)
		g_main_loop_unref(a->loop);
	if (a->ctx)
		g_main_context_unref(a->ctx);
	if (a->cmd_fd >= 0)
		close(a->cmd_fd);
	pkt_ring_free(a->rx);
	pkt_ring_free(a->tx);
	pthread_cond_destroy(&a->started_cond);
	pthread_mutex_destroy(&a->lock);
	wipe(a, sizeof(*a));       /* the TURN password, credentials */
	free(a);
}

int ice_agent_alloc(struct ice_agent **ap, const struct ice_opts *opts,
		    const struct ice_hooks *hooks, char *why, size_t whylen)
{
	struct ice_agent *a;
	int e;

	*ap = NULL;
	if (why && whylen)
		*why = '\0';
	if (!opts || !hooks || !hooks->on_event)
		return bad(why, whylen, EINVAL, "ICE: no options or no event hook");
	e = check_stun_symbol(why, whylen);
	if (e)
		return e;
	a = calloc(1, sizeof(*a));
	if (!a)
		return bad(why, whylen, ENOMEM, "ICE: out of memory");
	a->cmd_fd = -1;
	a->hooks = *hooks;
	atomic_init(&a->stop, false);
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		return bad(why, whylen, ENOMEM, "ICE: no mutex");
	}
	if (pthread_cond_init(&a->started_cond, NULL) != 0) {
		pthread_mutex_destroy(&a->lock);
		free(a);
		return bad(why, whylen, ENOMEM, "ICE: no condition variable");
	}
	e = take_opts(a, opts, why, whylen);
	if (e == 0 && (e = ice_make_credentials(a->ufrag, a->pwd)) != 0)
		snprintf(why, whylen, "ICE: no random credentials: %s", strerror(e));
	if (e == 0 && ((e = pkt_ring_alloc(&a->rx, ICE_RING_SLOTS, ICE_PKT_MAX)) != 0 ||
		       (e = pkt_ring_alloc(&a->tx, ICE_RING_SLOTS, ICE_PKT_MAX)) != 0))
		snprintf(why, whylen, "ICE: packet rings: %s", strerror(e));
	if (e == 0 && (a->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		e = errno;
		snprintf(why, whylen, "ICE: eventfd: %s", strerror(e));
	}
	if (e) {
		release(a);
		return e;
	}
	a->ctx = g_main_context_new();
	a->loop = g_main_loop_new(a->ctx, FALSE);
	e = pthread_create(&a->thread, NULL, ice_thread_main, a);
	if (e) {
		snprintf(why, whylen, "ICE: no thread: %s", strerror(e));
		release(a);
		return e;
	}
	/* The set-up does no I/O (names are looked up later, asynchronously): this waits
	 * for object creation and socket-less configuration only. */
	ice_lock(a);
	while (!a->started)
		if (pthread_cond_wait(&a->started_cond, &a->lock) != 0)
			abort();
	e = a->start_err;
	if (e)
		snprintf(why, whylen, "%s", a->start_why);
	ice_unlock(a);
	if (e) {
		/* the thread tore its set-up down and returned */
		if (pthread_join(a->thread, NULL) != 0)
			abort();
		release(a);
		return e;
	}
	*ap = a;
	return 0;
}

static void wake(struct ice_agent *a)
{
	uint64_t one = 1;

	if (write(a->cmd_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, so the fd is readable anyway */
	}
}

void ice_agent_free(struct ice_agent *a)
{
	if (!a)
		return;
	atomic_store(&a->stop, true);
	wake(a);
	if (pthread_join(a->thread, NULL) != 0)
		abort();           /* our own joinable thread: cannot fail */
	release(a);
}

struct pkt_ring *ice_agent_rx_ring(struct ice_agent *a)
{
	return a->rx;
}

struct pkt_ring *ice_agent_tx_ring(struct ice_agent *a)
{
	return a->tx;
}

void ice_agent_local_credentials(struct ice_agent *a, char *ufrag, char *pwd)
{
	ice_lock(a);
	memcpy(ufrag, a->ufrag, ICE_CRED_BUF);
	memcpy(pwd, a->pwd, ICE_CRED_BUF);
	ice_unlock(a);
}

unsigned ice_agent_local_candidates(struct ice_agent *a, char (*lines)[ICE_TEXT],
				    unsigned max, bool *complete)
{
	unsigned n;

	ice_lock(a);
	n = a->n_local < max ? a->n_local : max;
	for (unsigned i = 0; i < n; i++)
		memcpy(lines[i], a->local_lines[i], ICE_TEXT);
	if (complete)
		*complete = a->gathered;
	ice_unlock(a);
	return n;
}

/* Under lock: the next free command, or NULL when the queue is full. */
static struct ice_cmd *cmd_slot(struct ice_agent *a, enum ice_cmd_op op)
{
	struct ice_cmd *c;

	if (a->cmd_n == ICE_CMDS)
		return NULL;
	c = &a->cmds[(a->cmd_first + a->cmd_n) % ICE_CMDS];
	memset(c, 0, sizeof(*c));
	c->op = op;
	return c;
}

static void cmd_post(struct ice_agent *a)
{
	a->cmd_n++;
	ice_unlock(a);
	wake(a);
}

int ice_agent_set_remote_credentials(struct ice_agent *a, const char *ufrag,
				     const char *pwd, char *why, size_t whylen)
{
	struct ice_cmd *c;

	if (!ice_cred_ok(ufrag, ICE_UFRAG_MIN))
		return bad(why, whylen, EINVAL, "ICE: the peer's ice-ufrag is not 4-256 "
			   "ice-chars (RFC 8839)");
	if (!ice_cred_ok(pwd, ICE_PWD_MIN))
		return bad(why, whylen, EINVAL, "ICE: the peer's ice-pwd is not 22-256 "
			   "ice-chars (RFC 8839)");
	ice_lock(a);
	c = cmd_slot(a, ICE_CMD_REMOTE_CREDS);
	if (!c) {
		ice_unlock(a);
		return bad(why, whylen, ENOBUFS, "ICE: command queue full");
	}
	copy_str(c->ufrag, sizeof(c->ufrag), ufrag);
	copy_str(c->pwd, sizeof(c->pwd), pwd);
	a->ctl_remote_creds = true;
	cmd_post(a);
	return 0;
}

int ice_agent_add_remote_candidate(struct ice_agent *a, const char *line, char *why,
				   size_t whylen)
{
	char sdp[ICE_LINE_MAX + 1];
	NiceCandidate *cand;
	struct ice_cmd *c;
	int e = ice_candidate_sdp(line, sdp, sizeof(sdp), why, whylen);

	if (e)
		return e;
	cand = nice_agent_parse_remote_candidate_sdp(a->agent, a->stream_id, sdp);
	if (!cand)
		return bad(why, whylen, EINVAL, "ICE: candidate not understood: \"%.200s\"",
			   sdp + 2);
	if (cand->transport != NICE_CANDIDATE_TRANSPORT_UDP) {
		nice_candidate_free(cand);
		return bad(why, whylen, EPROTONOSUPPORT, "ICE: TCP candidate skipped (ICE-TCP is off): "
			   "\"%.200s\"", sdp + 2);
	}
	if (cand->component_id != 1) {
		e = bad(why, whylen, EPROTONOSUPPORT, "ICE: candidate for component %u skipped "
			"(rtcp-mux: only 1): \"%.200s\"", cand->component_id, sdp + 2);
		nice_candidate_free(cand);
		return e;
	}
	ice_lock(a);
	if (!a->ctl_remote_creds)
		e = bad(why, whylen, EINVAL, "ICE: a remote candidate before the peer's "
			"credentials");
	else if (a->ctl_remote_cands >= ICE_MAX_REMOTE)
		e = bad(why, whylen, ENOBUFS, "ICE: more than %d remote candidates: the rest "
			"are skipped", ICE_MAX_REMOTE);
	else if (!(c = cmd_slot(a, ICE_CMD_REMOTE_CAND)))
		e = bad(why, whylen, ENOBUFS, "ICE: command queue full");
	if (e) {
		ice_unlock(a);
		nice_candidate_free(cand);
		return e;
	}
	c->cand = cand;
	a->ctl_remote_cands++;
	cmd_post(a);
	return 0;
}

static int simple_cmd(struct ice_agent *a, enum ice_cmd_op op, void (*fn)(void *), void *arg)
{
	struct ice_cmd *c;

	ice_lock(a);
	c = cmd_slot(a, op);
	if (!c) {
		ice_unlock(a);
		return ENOBUFS;
	}
	c->fn = fn;
	c->arg = arg;
	cmd_post(a);
	return 0;
}

int ice_agent_end_of_candidates(struct ice_agent *a)
{
	return simple_cmd(a, ICE_CMD_END_OF_CANDS, NULL, NULL);
}

int ice_agent_restart(struct ice_agent *a, char *ufrag, char *pwd)
{
	char u[ICE_CRED_BUF], p[ICE_CRED_BUF];
	struct ice_cmd *c;
	int e = ice_make_credentials(u, p);

	if (e)
		return e;
	ice_lock(a);
	c = cmd_slot(a, ICE_CMD_RESTART);
	if (!c) {
		ice_unlock(a);
		return ENOBUFS;
	}
	copy_str(c->ufrag, sizeof(c->ufrag), u);
	copy_str(c->pwd, sizeof(c->pwd), p);
	/* The new generation starts for the control side now: what it reads from here on
	 * (credentials, candidates) is the new one's, and the peer's candidates wait for the
	 * peer's new credentials. */
	copy_str(a->ufrag, sizeof(a->ufrag), u);
	copy_str(a->pwd, sizeof(a->pwd), p);
	a->n_local = 0;
	a->gathered = false;
	a->ctl_gen++;
	a->ctl_remote_creds = false;
	a->ctl_remote_cands = 0;
	cmd_post(a);
	memcpy(ufrag, u, ICE_CRED_BUF);
	memcpy(pwd, p, ICE_CRED_BUF);
	return 0;
}

int ice_agent_revoke_consent(struct ice_agent *a)
{
	return simple_cmd(a, ICE_CMD_REVOKE, NULL, NULL);
}

int ice_agent_close(struct ice_agent *a)
{
	return simple_cmd(a, ICE_CMD_CLOSE, NULL, NULL);
}

int ice_agent_invoke(struct ice_agent *a, void (*fn)(void *arg), void *arg)
{
	if (!fn)
		return EINVAL;
	return simple_cmd(a, ICE_CMD_INVOKE, fn, arg);
}

void ice_agent_get_stats(struct ice_agent *a, struct ice_stats *out)
{
	out->rx_media = atomic_load_explicit(&a->rx_media, memory_order_relaxed);
	out->rx_ring_full = atomic_load_explicit(&a->rx_ring_full, memory_order_relaxed);
	out->rx_datagrams = atomic_load_explicit(&a->rx_datagrams, memory_order_relaxed);
	out->rx_dropped = atomic_load_explicit(&a->rx_dropped, memory_order_relaxed);
	out->tx_media = atomic_load_explicit(&a->tx_media, memory_order_relaxed);
	out->tx_failed = atomic_load_explicit(&a->tx_failed, memory_order_relaxed);
	out->tx_refused = pkt_ring_dropped(a->tx);
	out->tx_datagrams = atomic_load_explicit(&a->tx_datagrams, memory_order_relaxed);
}

const char *ice_ev_name(enum ice_ev kind)
{
	switch (kind) {
	case ICE_EV_CANDIDATE: return "candidate";
	case ICE_EV_GATHERING_DONE: return "gathering-done";
	case ICE_EV_CHECKING: return "checking";
	case ICE_EV_CONNECTED: return "connected";
	case ICE_EV_PAIR: return "pair";
	case ICE_EV_FAILED: return "failed";
	case ICE_EV_CONSENT_LOST: return "consent-lost";
	case ICE_EV_WARNING: return "warning";
	case ICE_EV_CLOSED: return "closed";
	}
	return "?";
}
