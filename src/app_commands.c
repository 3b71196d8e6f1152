/* app_commands.c: the text commands (app_exec): call, answer, hangup, hold, transfer,
 * DTMF, status, ... each checked and answered with an event or an error. Part of the
 * application state (app.c, app_priv.h). */
#include "ttyconf.h"
#include "app_priv.h"
#include "commands.h"
#include "contacts.h"
#include "strutil.h"
#include "sip/loop.h"

#include <errno.h>
#include <string.h>

static struct sipua_acc *acc_by_name(struct app *a, const char *name)
{
	for (unsigned i = 0; i < a->cfg->naccounts; i++)
		if (!strcmp(a->cfg->accounts[i].name, name))
			return a->accs[i];
	return NULL;
}

static struct sipua_acc *default_acc(struct app *a)
{
	const struct account_cfg *d = config_default_account(a->cfg);

	return d ? acc_by_name(a, d->name) : NULL;
}

static bool is_uri(const char *to)
{
	return !strncasecmp(to, "sip:", 4) || !strncasecmp(to, "sips:", 5) ||
	       !strncasecmp(to, "tel:", 4);
}

/* "call bob" / "msg bob": a contact's first address (and its account), read from
 * contacts.ini each time so edits made by hand or in the UI count at once. Anything that
 * is not a contact is left as it is (a user name completed with the account's domain). */
static void resolve_contact(const char *name, char *out, size_t size, char *account,
			    size_t account_size)
{
	struct contact ct;

	str_copy(out, size, name);
	if (account_size)
		account[0] = '\0';
	if (is_uri(name) || strchr(name, '@'))
		return;
	if (contacts_lookup_default(name, &ct)) {
		str_copy(out, size, ct.uri[0]);
		str_copy(account, account_size, ct.account);
	}
}

/* subscribe / unsubscribe <contact|uri> [presence|dialog] */
static void cmd_watch(struct app *a, const struct command_line *cl, bool on,
		      app_reply_fn *reply, void *rarg)
{
	const char *what = cl->argv[0], *pkg = cl->argc > 1 ? cl->argv[1] : NULL;
	char uri[CFG_STR], acc_name[64], why[200];
	const char *contact = what;
	struct sipua_acc *acc;
	unsigned i;
	bool pres, dlg, done = false;

	if (pkg && strcmp(pkg, "presence") && strcmp(pkg, "dialog")) {
		app_reply_error(reply, rarg, "%s: unknown event package \"%s\" (known: presence, "
				"dialog)", cl->def->name, pkg);
		return;
	}
	pres = !pkg || !strcmp(pkg, "presence");
	dlg = (pkg && !strcmp(pkg, "dialog")) || (!pkg && !on);
	resolve_contact(what, uri, sizeof(uri), acc_name, sizeof(acc_name));
	if (!strcmp(uri, what)) {
		/* not a contact: a SIP URI of its own */
		if (!is_uri(what) || !strchr(what, '@')) {
			app_reply_error(reply, rarg, "%s: \"%s\" is neither a contact nor a "
					"sip:user@host URI", cl->def->name, what);
			return;
		}
		contact = "";
	}
	if (!on) {
		if (pres)
			done |= app_presence_unwatch(a, contact, uri);
		if (dlg)
			done |= app_blf_unwatch(a, contact, uri);
		if (!done)
			app_reply_error(reply, rarg, "unsubscribe: %s is not watched", what);
		return;
	}
	acc = acc_name[0] ? acc_by_name(a, acc_name) : default_acc(a);
	if (!acc) {
		app_reply_error(reply, rarg, "subscribe: no account %s%s", acc_name[0] ? "named " :
				"to subscribe with", acc_name);
		return;
	}
	for (i = 0; i < a->cfg->naccounts && a->accs[i] != acc; i++)
		;
	if ((pres ? app_presence_watch(a, contact, uri, i, why, sizeof(why)) :
	     app_blf_watch(a, contact, uri, i, why, sizeof(why))) < 0) {
		app_reply_error(reply, rarg, "subscribe: %s", why);
		return;
	}
	app_emit_log(a, "%s of %s: subscribed%s", pres ? "presence" : "busy lamp", what,
		     a->reg[i] == REG_REGISTERED ? "" : " once the account is registered");
}

static bool is_echo_target(const char *to)
{
	return !strcasecmp(to, "echo") || !strcasecmp(to, "sip:echo@local");
}

/* Whether an account's calls offer WebRTC media ([account] media). */
static bool offers_webrtc(const struct account_cfg *ac)
{
	return ac->media == ACC_MEDIA_WEBRTC ||
	       (ac->media == ACC_MEDIA_AUTO && ac->transport >= TP_WS);
}

static void cmd_call(struct app *a, const struct command_line *cl, app_reply_fn *reply,
		     void *rarg)
{
	const char *to = cl->argv[0];
	struct sipua_acc *acc = NULL;
	struct app_call *c;
	char sdp[APP_SDP_MAX], resolved[CFG_STR], contact_acc[64];
	bool direct;

	if (!is_echo_target(to)) {
		resolve_contact(to, resolved, sizeof(resolved), contact_acc, sizeof(contact_acc));
		to = resolved;
	} else {
		contact_acc[0] = '\0';
	}

	if (is_echo_target(to)) {
		if (!a->echo_ua) {
			app_reply_error(reply, rarg, "the echo service is not running");
			return;
		}
		to = a->echo_uri;
		direct = true;
	} else {
		/* sip:user@host:port with a host part but no account named: a direct call when
		 * there is no account at all. */
		direct = a->cfg->naccounts == 0;
	}
	if (cl->argc > 1 || contact_acc[0]) {
		const char *name = cl->argc > 1 ? cl->argv[1] : contact_acc;
		acc = acc_by_name(a, name);
		if (!acc) {
			app_reply_error(reply, rarg, "no account named \"%s\"", name);
			return;
		}
	} else if (!direct) {
		acc = default_acc(a);
	}
	if (!acc && !strchr(to, '@') && !is_uri(to) && !is_echo_target(cl->argv[0])) {
		app_reply_error(reply, rarg, "call %s: no account to complete it with; use sip:user@host",
			    to);
		return;
	}
	c = app_call_new(a);
	if (!c) {
		app_reply_error(reply, rarg, "too many calls");
		return;
	}
	c->outgoing = true;
	c->acc = acc;
	if (acc)
		str_copy(c->account, sizeof(c->account), sipua_acc_cfg(acc)->name);
	{
		/* Our media address: the one the kernel uses toward the first SIP hop. */
		char host[160];
		const char *h = acc ? sipua_acc_server_host(acc) : NULL;
		if (!h) {
			const char *at = strchr(to, '@');
			str_copy(host, sizeof(host), at ? at + 1 : "127.0.0.1");
			host[strcspn(host, ":;>")] = '\0';
			h = host;
		}
		app_local_addr_toward(a, h, c->local_addr, sizeof(c->local_addr));
	}
	if (media_session_alloc(&c->ms, &a->cfg->media, &a->cfg->audio, c->id, a->evq,
				c->local_addr) != 0) {
		app_reply_error(reply, rarg, "no free RTP port in %u-%u", a->cfg->media.rtp_port_min,
			    a->cfg->media.rtp_port_max);
		app_call_free(a, c);
		return;
	}
	if (acc && offers_webrtc(sipua_acc_cfg(acc))) {
		char why[300];

		if (app_webrtc_begin(a, c, true, why, sizeof(why)) < 0) {
			app_reply_error(reply, rarg, "cannot place the call to %s: %s", to, why);
			app_call_free(a, c);
			return;
		}
		/* The INVITE leaves when gathering is done (app_invite_now). */
		str_copy(c->invite_to, sizeof(c->invite_to), to);
		str_copy(c->peer, sizeof(c->peer), to);
		c->invite_when_gathered = true;
		a->active = c->id;
		app_set_state(a, c, CALL_CALLING, 0, "");
		return;
	}
	if (app_make_offer_sdp(a, c, MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0 ||
	    sipua_call_invite(a->ua, &c->sc, acc, to, sdp, NULL, NULL, NULL) != 0) {
		app_reply_error(reply, rarg, "cannot place the call to %s", to);
		app_call_free(a, c);
		return;
	}
	sipua_call_set_owner(c->sc, c);
	str_copy(c->peer, sizeof(c->peer), sipua_call_peer(c->sc));
	a->active = c->id;
	app_set_state(a, c, CALL_CALLING, 0, "");
}

void app_invite_now(struct app *a, struct app_call *c)
{
	char sdp[APP_SDP_MAX];

	if (app_make_offer_sdp(a, c, MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0 ||
	    sipua_call_invite(a->ua, &c->sc, c->acc, c->invite_to, sdp, NULL, NULL, NULL) != 0) {
		app_emit_log(a, "call %u: cannot place the call to %s", c->id, c->invite_to);
		c->sc = NULL;
		app_set_state(a, c, CALL_ENDED, 500, "cannot place the call");
		app_call_free(a, c);
		return;
	}
	sipua_call_set_owner(c->sc, c);
	str_copy(c->peer, sizeof(c->peer), sipua_call_peer(c->sc));
}

/* Our answer to the call's offer: plain, or WebRTC over the call's link. */
static int answer_offer(struct app *a, struct app_call *c, struct sdp_desc *answer, char *why,
			size_t whylen)
{
	int r;

	if (!c->wl)
		r = media_make_answer(&a->cfg->media, c->local_addr, media_session_port(c->ms),
				      &c->remote_offer, MEDIA_SENDRECV, answer, &c->params, why,
				      whylen);
	else
		r = app_webrtc_answer(a, c, &c->remote_offer, MEDIA_SENDRECV, NULL, answer,
				      &c->params, why, whylen);
	if (r >= 0)
		app_stamp_origin(c, answer);
	return r;
}

void app_answer_call(struct app *a, struct app_call *c, app_reply_fn *reply, void *rarg)
{
	struct sdp_desc answer;
	char why[300], sdp[APP_SDP_MAX];

	if (c->state != CALL_INCOMING) {
		app_reply_error(reply, rarg, "call %u is not ringing", c->id);
		return;
	}
	app_local_addr_toward(a, c->acc ? sipua_acc_server_host(c->acc) : sipua_call_peer_host(c->sc),
			  c->local_addr, sizeof(c->local_addr));
	if (!c->ms && media_session_alloc(&c->ms, &a->cfg->media, &a->cfg->audio, c->id, a->evq,
					  c->local_addr) != 0) {
		sipua_call_respond(c->sc, 500, "No RTP port", NULL);
		app_reply_error(reply, rarg, "no free RTP port");
		return;
	}
	if (!c->has_remote_offer) {
		/* No offer in the INVITE: we offer in the 200 and get the answer in the ACK. */
		if (app_make_offer_sdp(a, c, MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0) {
			sipua_call_respond(c->sc, 500, "Cannot make an offer", NULL);
			return;
		}
		sipua_call_respond(c->sc, 200, NULL, sdp);
		return;
	}
	if (c->wl && !c->wl_gathered) {
		/* Our SDP needs every candidate: answer when gathering is done (milliseconds
		 * for host candidates; app_webrtc.c). */
		c->answer_when_gathered = true;
		return;
	}
	if (answer_offer(a, c, &answer, why, sizeof(why)) < 0 ||
	    sdp_write_desc(&answer, sdp, sizeof(sdp)) < 0) {
		sipua_call_respond(c->sc, 488, "Not Acceptable Here", NULL);
		str_copy(c->reason, sizeof(c->reason), why);
		app_emit_log(a, "call %u: cannot answer: %s", c->id, why);
		app_reply_error(reply, rarg, "call %u: %s", c->id, why);
		return;
	}
	sipua_call_respond(c->sc, 200, NULL, sdp);
	app_start_media(a, c);
}

static void cmd_hold(struct app *a, struct app_call *c, bool hold, app_reply_fn *reply, void *rarg)
{
	char sdp[APP_SDP_MAX];

	if (c->state != CALL_ESTABLISHED && c->state != CALL_HELD) {
		app_reply_error(reply, rarg, "call %u is not established", c->id);
		return;
	}
	if (c->local_hold == hold) {
		app_reply_error(reply, rarg, "call %u is %s", c->id, hold ? "already on hold" :
			    "not on hold");
		return;
	}
	if (app_make_offer_sdp(a, c, hold ? MEDIA_SENDONLY : MEDIA_SENDRECV, sdp, sizeof(sdp)) < 0 ||
	    sipua_call_reinvite(c->sc, sdp) != 0) {
		app_reply_error(reply, rarg, "call %u: a re-INVITE is already under way", c->id);
		return;
	}
	c->local_hold = hold;
	if (!hold)
		a->active = c->id;
}

static void cmd_swap(struct app *a, app_reply_fn *reply, void *rarg)
{
	struct app_call *active = NULL, *held = NULL;

	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		struct app_call *c = &a->calls[i];
		if (!c->used)
			continue;
		if (c->state == CALL_ESTABLISHED && !active)
			active = c;
		else if (c->state == CALL_HELD && c->local_hold && !held)
			held = c;
	}
	if (!active || !held) {
		app_reply_error(reply, rarg, "swap needs an active call and a held one");
		return;
	}
	cmd_hold(a, active, true, reply, rarg);
	cmd_hold(a, held, false, reply, rarg);
}

static void cmd_dtmf(struct app *a, struct app_call *c, const char *digits, app_reply_fn *reply,
		     void *rarg)
{
	for (const char *d = digits; *d; d++) {
		if (!strchr("0123456789*#ABCDabcd", *d)) {
			app_reply_error(reply, rarg, "not a DTMF digit: '%c' (0-9 * # A-D)", *d);
			return;
		}
	}
	if (c->state != CALL_ESTABLISHED && c->state != CALL_EARLY) {
		app_reply_error(reply, rarg, "call %u is not established", c->id);
		return;
	}
	for (const char *d = digits; *d; d++) {
		if (a->cfg->sip.dtmf == DTMF_INFO || c->params.te_pt < 0 || !c->ms)
			sipua_call_info_dtmf(c->sc, *d);
		else if (media_session_dtmf(c->ms, *d) < 0)
			sipua_call_info_dtmf(c->sc, *d);
	}
}

static void reply_calls(struct app *a, app_reply_fn *reply, void *rarg, bool status)
{
	char buf[EVENT_MAX];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", status ? "status" : "calls");
	if (status) {
		jw_str(&w, "sip", app_local_contact(a));
		jw_str(&w, "version", PACKAGE_VERSION);
		jw_array_begin(&w, "accounts");
		for (unsigned i = 0; i < a->cfg->naccounts; i++) {
			jw_object_begin(&w, NULL);
			jw_str(&w, "name", a->cfg->accounts[i].name);
			jw_str(&w, "uri", a->cfg->accounts[i].uri);
			jw_str(&w, "state", reg_state_name(a->reg[i]));
			jw_int(&w, "code", a->reg_code[i]);
			jw_str(&w, "reason", a->reg_reason[i]);
			jw_object_end(&w);
		}
		jw_array_end(&w);
		jw_bool(&w, "echo", a->echo_ua != NULL);
	}
	jw_array_begin(&w, "calls");
	for (unsigned i = 0; i < APP_MAX_CALLS; i++) {
		struct app_call *c = &a->calls[i];
		if (!c->used)
			continue;
		jw_object_begin(&w, NULL);
		jw_int(&w, "id", c->id);
		jw_str(&w, "state", call_state_name(c->state));
		jw_str(&w, "peer", c->peer);
		jw_str(&w, "direction", c->outgoing ? "out" : "in");
		jw_bool(&w, "active", a->active == c->id);
		if (c->media_running) {
			jw_str(&w, "codec", codec_config_name(c->params.codec));
			jw_bool(&w, "srtp", c->params.suite != SUITE_NONE);
		}
		jw_object_end(&w);
	}
	jw_array_end(&w);
	if (jw_end(&w) && reply)
		reply(rarg, buf);
}

static void reply_help(app_reply_fn *reply, void *rarg)
{
	char buf[EVENT_MAX];
	struct jw w;

	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "event", "help");
	jw_array_begin(&w, "commands");
	for (unsigned i = 0; i < CMD_COUNT; i++) {
		jw_object_begin(&w, NULL);
		jw_str(&w, "name", command_table[i].name);
		jw_str(&w, "args", command_table[i].usage);
		jw_str(&w, "help", command_table[i].help);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	if (jw_end(&w) && reply)
		reply(rarg, buf);
}

static void for_accounts(struct app *a, const struct command_line *cl, bool reg,
			 app_reply_fn *reply, void *rarg)
{
	if (cl->argc) {
		struct sipua_acc *acc = acc_by_name(a, cl->argv[0]);
		if (!acc) {
			app_reply_error(reply, rarg, "no account named \"%s\"", cl->argv[0]);
			return;
		}
		reg ? sipua_register(acc) : sipua_unregister(acc);
		return;
	}
	if (!a->cfg->naccounts)
		app_reply_error(reply, rarg, "no account configured");
	for (unsigned i = 0; i < a->cfg->naccounts; i++)
		reg ? sipua_register(a->accs[i]) : sipua_unregister(a->accs[i]);
}

void app_exec(struct app *a, const char *line, app_reply_fn *reply, void *rarg)
{
	struct command_line cl;
	struct app_call *c;
	char why[300];

	if (command_parse(line, &cl, why, sizeof(why)) < 0) {
		if (strcmp(why, "empty command"))
			app_reply_error(reply, rarg, "%s", why);
		return;
	}
	switch (cl.def->id) {
	case CMD_register:
	case CMD_unregister:
		for_accounts(a, &cl, cl.def->id == CMD_register, reply, rarg);
		break;
	case CMD_call:
		cmd_call(a, &cl, reply, rarg);
		break;
	case CMD_answer:
		if ((c = app_pick_call(a, cl.argc ? cl.argv[0] : NULL, true, reply, rarg)))
			app_answer_call(a, c, reply, rarg);
		break;
	case CMD_reject: {
		unsigned long code = 486;
		if (cl.argc > 1 && str_parse_uint(cl.argv[1], 400, 699, &code) < 0) {
			app_reply_error(reply, rarg, "reject: code must be 400-699");
			break;
		}
		if (!(c = app_pick_call(a, cl.argc ? cl.argv[0] : NULL, true, reply, rarg)))
			break;
		if (c->state != CALL_INCOMING) {
			app_reply_error(reply, rarg, "call %u is not ringing", c->id);
			break;
		}
		sipua_call_respond(c->sc, (int)code, NULL, NULL);
		break;
	}
	case CMD_hangup:
		if ((c = app_pick_call(a, cl.argc ? cl.argv[0] : NULL, false, reply, rarg)))
			app_hangup_call(a, c, 200, "Hung up");
		break;
	case CMD_hold:
	case CMD_resume:
		if ((c = app_pick_call(a, cl.argc ? cl.argv[0] : NULL, false, reply, rarg)))
			cmd_hold(a, c, cl.def->id == CMD_hold, reply, rarg);
		break;
	case CMD_swap:
		cmd_swap(a, reply, rarg);
		break;
	case CMD_transfer:
		if (!(c = app_pick_call(a, cl.argc > 1 ? cl.argv[1] : NULL, false, reply, rarg)))
			break;
		if (c->state != CALL_ESTABLISHED && c->state != CALL_HELD) {
			app_reply_error(reply, rarg, "call %u is not established", c->id);
			break;
		}
		c->hangup_after_transfer = true;
		sipua_call_refer(c->sc, cl.argv[0], NULL);
		break;
	case CMD_atransfer: {
		struct app_call *c2;
		if (!(c = app_pick_call(a, cl.argv[0], false, reply, rarg)) ||
		    !(c2 = app_pick_call(a, cl.argv[1], false, reply, rarg)))
			break;
		if (c == c2 || !c->sc || !c2->sc) {
			app_reply_error(reply, rarg, "atransfer needs two different live calls");
			break;
		}
		c->hangup_after_transfer = true;
		sipua_call_refer(c->sc, c2->peer, c2->sc);
		break;
	}
	case CMD_dtmf:
		if ((c = app_pick_call(a, cl.argc > 1 ? cl.argv[1] : NULL, false, reply, rarg)))
			cmd_dtmf(a, c, cl.argv[0], reply, rarg);
		break;
	case CMD_mute:
		if ((c = app_pick_call(a, cl.argc ? cl.argv[0] : NULL, false, reply, rarg))) {
			c->muted = !c->muted;
			if (c->ms)
				media_session_mute(c->ms, c->muted);
			app_emit_log(a, "call %u: microphone %s", c->id, c->muted ? "muted" : "on");
		}
		break;
	case CMD_record:
		if ((c = app_pick_call(a, cl.argc > 1 ? cl.argv[1] : NULL, false, reply, rarg))) {
			bool off = !strcmp(cl.argv[0], "off");
			if (!c->ms || media_session_record(c->ms, off ? NULL : cl.argv[0]) < 0)
				app_reply_error(reply, rarg, "call %u: cannot record to %s: %s", c->id,
					    cl.argv[0], strerror(errno));
			else
				app_emit_log(a, "call %u: recording %s", c->id, off ? "stopped" : cl.argv[0]);
		}
		break;
	case CMD_msg: {
		struct sipua_acc *acc = default_acc(a);
		unsigned long cookie = ++a->next_msg_cookie;
		char buf[EVENT_MAX], to[CFG_STR], contact_acc[64];
		struct jw w;
		resolve_contact(cl.argv[0], to, sizeof(to), contact_acc, sizeof(contact_acc));
		if (contact_acc[0] && acc_by_name(a, contact_acc))
			acc = acc_by_name(a, contact_acc);
		/* sip:host:port has no user but is a whole address: an account-less peer's. */
		if (!acc && !strchr(to, '@') && !is_uri(to)) {
			app_reply_error(reply, rarg, "msg %s: no account; use sip:user@host", cl.argv[0]);
			break;
		}
		if (sipua_message(a->ua, acc, to, cl.argv[1], cookie) != 0) {
			app_reply_error(reply, rarg, "cannot send the message");
			break;
		}
		jw_begin(&w, buf, sizeof(buf));
		jw_str(&w, "event", "message_sent");
		jw_int(&w, "msg", (long long)cookie);
		jw_str(&w, "to", to);
		jw_str(&w, "body", cl.argv[1]);  /* the history records what was sent */
		app_emit_w(a, &w);
		break;
	}
	case CMD_presence:
		app_presence_command(a, cl.argv[0], cl.argc > 1 ? cl.argv[1] : NULL, reply, rarg);
		break;
	case CMD_subscribe:
	case CMD_unsubscribe:
		cmd_watch(a, &cl, cl.def->id == CMD_subscribe, reply, rarg);
		break;
	case CMD_pickup: {
		struct command_line call = { .def = command_find("call"), .argc = 2 };
		char pwhy[200];
		unsigned acc;

		if (app_blf_pickup_target(a, cl.argv[0], call.argv[0], sizeof(call.argv[0]), &acc,
					  pwhy, sizeof(pwhy)) < 0) {
			app_reply_error(reply, rarg, "%s", pwhy);
			break;
		}
		str_copy(call.argv[1], sizeof(call.argv[1]), a->cfg->accounts[acc].name);
		app_emit_log(a, "pickup of %s's call: dialling %s", cl.argv[0], call.argv[0]);
		cmd_call(a, &call, reply, rarg);
		break;
	}
	case CMD_calls:
		reply_calls(a, reply, rarg, false);
		break;
	case CMD_status:
		reply_calls(a, reply, rarg, true);
		break;
	case CMD_help:
		reply_help(reply, rarg);
		break;
	case CMD_history:
	case CMD_messages:
	case CMD_account:
		/* Handled outside app.c (history.c); see app_set_extension. */
		if (a->ext_fn)
			a->ext_fn(a->ext_arg, &cl, reply, rarg);
		else
			app_reply_error(reply, rarg, "%s: not available here", cl.def->name);
		break;
	case CMD_quit:
		a->quit = true;
		loop_quit(a->loop);
		break;
	case CMD_COUNT:
		break;
	}
}
