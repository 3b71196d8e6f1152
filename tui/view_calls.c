/* view_calls.c: the call panel. Every call: which is active, its state, the peer, a clock,
 * the codec, SRTP, the quality (jitter, loss, RTT and an estimated MOS) and mic/speaker
 * level meters. Read from the app at each draw; the meters keep a few samples of history,
 * taken on the tick (only while a call has media). When there is not room for every call
 * in full, the active/selected one gets three rows and the others one. */
#include "tui_int.h"
#include "draw.h"
#include "app.h"
#include "jsonget.h"
#include "quality.h"
#include "strutil.h"
#include "media/media.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static struct meter *meter_for(struct tui *t, unsigned id, bool create)
{
	struct meter *free_slot = NULL;

	for (size_t i = 0; i < sizeof(t->calls.meters) / sizeof(t->calls.meters[0]); i++) {
		struct meter *m = &t->calls.meters[i];
		if (m->call_id == id)
			return m;
		if (!m->call_id && !free_slot)
			free_slot = m;
	}
	if (!create)
		return NULL;
	if (!free_slot)
		free_slot = &t->calls.meters[0]; /* more calls with media than meters: reuse */
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->call_id = id;
	return free_slot;
}

void calls_sample_meters(struct tui *t)
{
	struct app_call_view cv;
	struct media_stats st;

	for (size_t i = 0; i < sizeof(t->calls.meters) / sizeof(t->calls.meters[0]); i++) {
		struct meter *m = &t->calls.meters[i];
		bool live = false;
		for (unsigned k = 0; m->call_id && app_call_view(t->app, k, &cv); k++)
			live |= cv.id == m->call_id && cv.state != CALL_ENDED;
		if (!live)
			m->call_id = 0;
	}
	for (unsigned i = 0; app_call_view(t->app, i, &cv); i++) {
		struct meter *m;
		if (!cv.media || cv.state == CALL_ENDED || !app_call_stats(t->app, cv.id, &st))
			continue;
		m = meter_for(t, cv.id, true);
		m->mic[m->pos] = (unsigned char)quality_level_step(cv.muted ? 0 : st.mic_level, 8);
		m->spk[m->pos] = (unsigned char)quality_level_step(st.spk_level, 8);
		m->pos = (m->pos + 1) % METER_HIST;
	}
}

void calls_note_ended(struct tui *t, const char *json)
{
	struct app_call_view cv;
	long long id = 0, code = 0;

	json_get_int(json, "id", &id);
	json_get_int(json, "code", &code);
	json_get_str(json, "peer", t->calls.last_peer, sizeof(t->calls.last_peer));
	json_get_str(json, "reason", t->calls.last_reason, sizeof(t->calls.last_reason));
	t->calls.last_code = (int)code;
	t->calls.last_secs = -1;
	for (unsigned i = 0; app_call_view(t->app, i, &cv); i++)
		if (cv.id == (unsigned)id && cv.answered)
			t->calls.last_secs = (long)(time(NULL) - cv.answered);
}

static void clock_text(long secs, char *out, size_t size)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 3600)
		snprintf(out, size, "%ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
	else
		snprintf(out, size, "%02ld:%02ld", secs / 60, secs % 60);
}

static const char *state_text(const struct app_call_view *cv)
{
	switch (cv->state) {
	case CALL_INCOMING: return "incoming";
	case CALL_CALLING: return "calling";
	case CALL_RINGING: return "ringing";
	case CALL_EARLY: return "early media";
	case CALL_ESTABLISHED: return "established";
	case CALL_HELD: return cv->local_hold ? "on hold" : "held by peer";
	case CALL_ENDED: return "ended";
	}
	return "?";
}

static enum role state_role(const struct app_call_view *cv)
{
	switch (cv->state) {
	case CALL_ESTABLISHED: return R_OK;
	case CALL_ENDED: return R_DIM;
	case CALL_HELD: return R_DIM;
	default: return R_WARN;
	}
}

/* "Bob <sip:bob@host>", or the contact's name, escaped. */
static void peer_text(struct tui *t, const struct app_call_view *cv, char *out, size_t size)
{
	char uri[300], name[200] = "";
	const struct contact *ct = contacts_find_uri(&t->book, cv->peer);

	if (!strncmp(cv->peer, "sip:echo@", 9)) {
		str_copy(out, size, "echo test");
		return;
	}
	str_escape_terminal(uri, sizeof(uri), cv->peer, strlen(cv->peer), false);
	if (ct)
		str_copy(name, sizeof(name), ct->name);
	else if (cv->display && cv->display[0])
		str_escape_terminal(name, sizeof(name), cv->display, strlen(cv->display), false);
	if (name[0])
		snprintf(out, size, "%s <%s>", name, uri);
	else
		str_copy(out, size, uri);
}

static void draw_meter(WINDOW *w, int y, int x, const unsigned char *hist, unsigned pos)
{
	char buf[METER_HIST * 4 + 1] = "";

	for (unsigned i = 0; i < METER_HIST; i++)
		strcat(buf, draw_meter_glyph(hist[(pos + i) % METER_HIST]));
	draw_role(w, y, x, METER_HIST, R_OK, buf);
}

/* One call in rows rows (1 or 3) from y; returns the rows used. */
static int draw_call(struct tui *t, WINDOW *w, int y, int width, const struct app_call_view *cv,
		     int rows, bool focused)
{
	struct media_stats st;
	bool have_stats = cv->media && app_call_stats(t->app, cv->id, &st);
	bool active = app_active_call(t->app) == cv->id, sel = t->calls.sel_id == cv->id;
	char peer[600], clock[32], right[64], line[256];
	int x = 1, rw;
	time_t now = time(NULL);

	/* row 1: active mark, id, state, peer ... clock, lock */
	clock_text((long)(now - (cv->answered ? cv->answered : cv->started)), clock, sizeof(clock));
	snprintf(right, sizeof(right), "%s%s%s", clock, cv->srtp ? " " : "",
		 cv->srtp ? draw_glyph(G_LOCK) : "");
	if (sel && focused)
		draw_fill(w, y, 1, width, R_SEL);
	x += draw_role(w, y, x, 2, active ? R_OK : R_NORMAL, active ? draw_glyph(G_ACTIVE) : " ");
	x += draw_textf(w, y, x, width - x, " %u ", cv->id);
	x += draw_role(w, y, x, width - x, sel && focused ? R_SEL : state_role(cv), state_text(cv));
	x += 2;
	rw = text_width(right);
	peer_text(t, cv, peer, sizeof(peer));
	if (x < width - rw - 1)
		draw_role(w, y, x, width - x - rw - 1, sel && focused ? R_SEL : R_TITLE, peer);
	draw_right(w, y, 1, width, sel && focused ? R_SEL : R_NORMAL, right);
	if (rows < 2)
		return 1;

	/* row 2: codec and quality, or why there is none yet (for WebRTC: until the keys,
	 * where ICE and DTLS stand) */
	if (have_stats && cv->webrtc[0] && st.keys_pending) {
		char status[200];

		/* the text may quote the peer's SDP: escaped like every peer-given text */
		str_escape_terminal(status, sizeof(status), cv->webrtc, strlen(cv->webrtc), false);
		snprintf(line, sizeof(line), "WebRTC: %s", status);
		draw_role(w, y + 1, 4, width - 4, R_DIM, line);
	} else if (have_stats) {
		double loss = st.loss_pct, mos;
		uint64_t expected = st.pkts_recv + st.pkts_lost;
		/* the worse of what the peer reports and what we see */
		if (expected && 100.0 * (double)st.pkts_lost / (double)expected > loss)
			loss = 100.0 * (double)st.pkts_lost / (double)expected;
		mos = quality_mos(loss, st.jitter_ms, st.rtt_ms);
		x = 4;
		x += draw_textf(w, y + 1, x, width - x, "%s/%u  jitter %.0f ms  loss %.1f %%",
				cv->codec, codec_sample_rate(st.codec), st.jitter_ms, loss);
		if (st.rtt_ms > 0)
			x += draw_textf(w, y + 1, x, width - x, "  RTT %.0f ms", st.rtt_ms);
		snprintf(line, sizeof(line), "  MOS %.1f", mos);
		x += draw_role(w, y + 1, x, width - x, mos >= 4.0 ? R_OK : mos >= 3.6 ? R_WARN : R_BAD,
			       line);
		if (cv->webrtc[0]) {       /* "WebRTC host->host": the pair's candidate types */
			const char *comma = strchr(cv->webrtc, ',');

			draw_textf(w, y + 1, x, width - x, "  WebRTC %.*s",
				   (int)(comma ? (size_t)(comma - cv->webrtc) : strlen(cv->webrtc)),
				   cv->webrtc);
		}
	} else {
		char reason[256];
		str_escape_terminal(reason, sizeof(reason), cv->reason, strlen(cv->reason), false);
		if (cv->code)
			snprintf(line, sizeof(line), "%d %s", cv->code, reason);
		else
			snprintf(line, sizeof(line), "%s", cv->state == CALL_INCOMING ? "a answers, h rejects" :
				 cv->state == CALL_CALLING ? "waiting for an answer" : reason);
		draw_role(w, y + 1, 4, width - 4, R_DIM, line);
	}
	if (rows < 3)
		return 2;

	/* row 3: level meters, flags, what the keys do */
	x = 4;
	if (have_stats) {
		struct meter *m = meter_for(t, cv->id, false);
		static const unsigned char silent[METER_HIST];
		x += draw_text(w, y + 2, x, width - x, "mic ");
		draw_meter(w, y + 2, x, m ? m->mic : silent, m ? m->pos : 0);
		x += METER_HIST;
		x += draw_text(w, y + 2, x, width - x, "  spk ");
		draw_meter(w, y + 2, x, m ? m->spk : silent, m ? m->pos : 0);
		x += METER_HIST;
	}
	if (have_stats && st.aec)  /* [audio] echo_cancel is working on the microphone */
		x += draw_role(w, y + 2, x, width - x, R_DIM, "  aec");
	if (cv->muted)
		x += draw_role(w, y + 2, x, width - x, R_WARN, "  muted");
	if (have_stats && !st.audio_ok)
		x += draw_role(w, y + 2, x, width - x, R_BAD, "  no audio device");
	if (width - x > 34) {
		const char *keys = cv->state == CALL_INCOMING ? "[a]nswer [h] reject" :
			cv->state == CALL_HELD ? "[h]ang up [H] resume [t]ransfer" :
			"[h]ang up [H]old [t]ransfer";
		draw_right(w, y + 2, x, width + 1 - x, R_DIM, keys);
	}
	return 3;
}

static void draw(struct tui *t, struct view *v)
{
	WINDOW *w = v->win;
	int h = getmaxy(w) - 2, width = getmaxx(w) - 2, y = 1, n = 0, room;
	bool focused = t->focus == PANE_CALLS && !tui_top(t);
	struct app_call_view cv;
	unsigned focus_id = t->calls.sel_id ? t->calls.sel_id : app_active_call(t->app);
	char right[32];

	for (unsigned i = 0; app_call_view(t->app, i, &cv); i++)
		n += cv.state != CALL_ENDED;
	snprintf(right, sizeof(right), n ? "%d" : "idle", n);
	draw_box(w, "Calls", right, focused);
	memset(t->calls.row_id, 0, sizeof(t->calls.row_id));
	if (n == 0) {
		draw_text(w, 1, 2, width - 2, "No call. Enter on a contact calls it;");
		draw_text(w, 2, 2, width - 2, "the echo test plays back what you say.");
		if (t->calls.last_peer[0] && h >= 4) {
			char peer[300], reason[200], line[600], clock[32] = "";
			str_escape_terminal(peer, sizeof(peer), t->calls.last_peer,
					    strlen(t->calls.last_peer), false);
			str_escape_terminal(reason, sizeof(reason), t->calls.last_reason,
					    strlen(t->calls.last_reason), false);
			if (t->calls.last_secs >= 0)
				clock_text(t->calls.last_secs, clock, sizeof(clock));
			snprintf(line, sizeof(line), "last: %s, %s%s%s",
				 strncmp(t->calls.last_peer, "sip:echo@", 9) ? peer : "echo test",
				 reason[0] ? reason : "ended", clock[0] ? ", " : "", clock);
			draw_role(w, 4, 2, width - 2, R_DIM, line);
		}
		return;
	}
	/* Room for every call in full? Otherwise full rows for the focus call only. */
	room = h >= n * 3 ? 3 : 0;
	for (unsigned i = 0; y <= h && app_call_view(t->app, i, &cv); i++) {
		int rows = room ? room : cv.id == focus_id ? 3 : 1;
		if (cv.state == CALL_ENDED)
			continue;
		if (y + rows - 1 > h)
			rows = h - y + 1;
		for (int r = 0; r < rows && y + r < CALLS_ROW_IDS; r++)
			t->calls.row_id[y + r] = cv.id;
		y += draw_call(t, w, y, width, &cv, rows, focused);
	}
}

static bool request(struct tui *t, struct view *v, enum request req, int key)
{
	struct app_call_view cv;
	unsigned ids[32], n = 0;
	int cur = -1;
	char line[64];

	(void)key;
	for (unsigned i = 0; n < 32 && app_call_view(t->app, i, &cv); i++) {
		if (cv.state == CALL_ENDED)
			continue;
		if (cv.id == t->calls.sel_id)
			cur = (int)n;
		ids[n++] = cv.id;
	}
	switch (req) {
	case REQ_UP:
	case REQ_PAGE_UP:
	case REQ_FIRST:
		if (n)
			t->calls.sel_id = ids[req == REQ_UP && cur > 0 ? cur - 1 : 0];
		break;
	case REQ_DOWN:
	case REQ_PAGE_DOWN:
	case REQ_LAST:
		if (n) {
			int next = (int)n - 1;
			if (req == REQ_DOWN)
				next = cur < 0 ? 0 : cur + 1 < (int)n ? cur + 1 : cur;
			t->calls.sel_id = ids[next];
		}
		break;
	case REQ_SELECT_CALL:
		if (cur < 0)
			return true;
		for (unsigned i = 0; app_call_view(t->app, i, &cv); i++) {
			if (cv.id != t->calls.sel_id)
				continue;
			if (cv.state == CALL_INCOMING) {
				snprintf(line, sizeof(line), "answer %u", cv.id);
				tui_exec(t, line);
			} else if (cv.state == CALL_HELD && cv.local_hold) {
				/* make it the active one: the others wait on hold */
				struct app_call_view o;
				for (unsigned k = 0; app_call_view(t->app, k, &o); k++) {
					if (o.id != cv.id && o.state == CALL_ESTABLISHED) {
						snprintf(line, sizeof(line), "hold %u", o.id);
						tui_exec(t, line);
					}
				}
				snprintf(line, sizeof(line), "resume %u", cv.id);
				tui_exec(t, line);
			}
			break;
		}
		break;
	default:
		return false;
	}
	v->dirty = true;
	tui_dirty(t, D_CALLS);
	return true;
}

/* The rows each call took in the last draw (a call takes one or three). */
static bool click(struct tui *t, struct view *v, int row)
{
	(void)v;
	if (row < 0 || row >= CALLS_ROW_IDS || !t->calls.row_id[row])
		return false;
	t->calls.sel_id = t->calls.row_id[row];
	tui_dirty(t, D_CALLS);
	return true;
}

const struct view_ops calls_ops = {
	.name = "calls",
	.scopes = SCOPE(SC_CALLS) | SCOPE(SC_MOVE),
	.draw = draw,
	.request = request,
	.click = click,
};
