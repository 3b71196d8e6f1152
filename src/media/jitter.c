/* jitter.c: the adaptive jitter buffer (see jitter.h for the contract).
 *
 * Sequence numbers are compared as 16-bit differences from `next`, so wraps need no special
 * case. The target delay is one packet plus a decaying peak of the RFC 3550 delay variation
 * D(i-1,i): differences between consecutive packets do not drift with the clocks, unlike
 * absolute transit times. The buffer level seen at each pop, smoothed, is what the drift
 * control compares with the target. That level counts time, not only whole frames: the
 * frames buffered, plus how long the newest has waited, plus how long playout would still
 * wait for a late packet (the pop's deadline, see jb_pop). A packet that came 15 ms before
 * its pop means the next is due 15 ms before it is needed: one frame buffered can then be
 * cushion enough, where counting frames alone would keep a second one (20 ms) for nothing.
 * And when the next packet is due before the deadline, even the one frame buffered can go
 * (JB_SKIPPED), so playout follows packets that come a little after its tick. */
#include "jitter.h"

#include <math.h>
#include <string.h>

#define DRIFT_MIN_POPS 25      /* at most one drift correction per half second... */
#define DRIFT_FAST_POPS 2      /* ... but while far above the target, a quiet frame may go
				* every other pop */
#define DRIFT_LOUD_POPS 5      /* ... and a loud one every fifth */
#define UNDERRUN_REFILL_MS 200 /* a silence this long: refill to the target before playing */
/* The target follows two peaks of the delay variation. A lone spike (the sender or the
 * network stalled once) is forgotten fast, so the delay it added drains within a second
 * or two; spikes that come back are held with a slow decay, so a network that stalls
 * every few seconds does not underrun each time. */
#define PEAK_DECAY_FAST 0.95   /* per packet: half-life about 0.27 s at 20 ms */
#define PEAK_DECAY 0.997       /* per packet: half-life about 4.6 s at 20 ms */
#define SPIKE_MS 40.0          /* a delay variation this large is a spike */
#define SPIKE_APART_US 1000000 /* spikes closer than this are one event */
#define SPIKE_MEMORY_US 10000000 /* a second spike within 10 s: they recur */
#define CUSHION_SPARE_US 5000  /* of the time counted beyond whole frames, this much is not */

static unsigned clampu(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void update_target(struct jitter *jb)
{
	double peak = jb->peak_ms > jb->held_ms ? jb->peak_ms : jb->held_ms;

	jb->target_ms = clampu(jb->frame_ms + (unsigned)lround(peak), jb->min_ms, jb->max_ms);
}

static void flush_slots(struct jitter *jb)
{
	for (unsigned i = 0; i < JB_SLOTS; i++)
		jb->slot[i].used = false;
	jb->count = 0;
	jb->played = 0;
	jb->dropped = NULL;
}

void jb_reset(struct jitter *jb, unsigned clock_rate)
{
	flush_slots(jb);
	jb->clock = clock_rate ? clock_rate : 8000;
	jb->state = JB_IDLE;
	jb->frame_ms = 20;
	jb->frame_ms_candidate = 0;
	jb->frame_ms_votes = 0;
	jb->have_last = false;
	jb->peak_ms = 0;
	jb->held_ms = 0;
	jb->have_spike = false;
	jb->avg_level_ms = 0;
	jb->since_adjust = 0;
	jb->underrun_ms = 0;
	jb->stray = false;
	update_target(jb);
}

void jb_init(struct jitter *jb, unsigned clock_rate, unsigned min_ms, unsigned max_ms)
{
	unsigned cap = (JB_SLOTS - 4) * 20;   /* leave slots for the packets beyond target */

	memset(&jb->st, 0, sizeof(jb->st));
	jb->min_ms = clampu(min_ms ? min_ms : 40, 20, cap);
	jb->max_ms = clampu(max_ms ? max_ms : 300, jb->min_ms, cap);
	jb->timing_pt = -1;
	jb_reset(jb, clock_rate);
}

void jb_set_timing(struct jitter *jb, unsigned clock_rate, int pt)
{
	jb->clock = clock_rate ? clock_rate : 8000;
	jb->timing_pt = pt;
	jb->have_last = false;
	jb->frame_ms_candidate = 0;
	jb->frame_ms_votes = 0;
}

static unsigned frames_buffered(const struct jitter *jb)
{
	return jb->count ? (unsigned)(uint16_t)(jb->high - jb->next) + 1 : 0;
}

unsigned jb_level_ms(const struct jitter *jb)
{
	return frames_buffered(jb) * jb->frame_ms;
}

uint16_t jb_end_seq(const struct jitter *jb)
{
	return jb->count ? (uint16_t)(jb->high + 1) : jb->next;
}

unsigned jb_target_ms(const struct jitter *jb)
{
	return jb->target_ms;
}

unsigned jb_frame_ms(const struct jitter *jb)
{
	return jb->frame_ms;
}

/* Learn the packet duration from consecutive packets; three agreeing votes change it, so a
 * timestamp jump (silence suppression) does not. */
static void learn_frame_ms(struct jitter *jb, uint16_t seq, uint32_t ts)
{
	uint32_t dts;
	unsigned ms;

	if (!jb->have_last || seq != (uint16_t)(jb->last_seq + 1))
		return;
	dts = ts - jb->last_ts;
	if (dts == 0 || dts > jb->clock / 1000 * 120)
		return;
	ms = (unsigned)((uint64_t)dts * 1000 / jb->clock);
	if (ms < 10 || ms == jb->frame_ms) {
		jb->frame_ms_votes = 0;
		return;
	}
	if (ms != jb->frame_ms_candidate) {
		jb->frame_ms_candidate = ms;
		jb->frame_ms_votes = 0;
	}
	if (++jb->frame_ms_votes >= 3) {
		jb->frame_ms = ms;
		jb->frame_ms_votes = 0;
	}
}

static void track_peaks(struct jitter *jb, double d_ms, int64_t arrival_us)
{
	jb->peak_ms *= PEAK_DECAY_FAST;
	jb->held_ms *= PEAK_DECAY;
	if (d_ms > jb->peak_ms)
		jb->peak_ms = d_ms;
	if (d_ms < SPIKE_MS)
		return;
	if (jb->have_spike && arrival_us - jb->last_spike_us < SPIKE_APART_US) {
		if (d_ms > jb->last_spike_ms)  /* the same event */
			jb->last_spike_ms = d_ms;
		return;
	}
	if (jb->have_spike && arrival_us - jb->last_spike_us < SPIKE_MEMORY_US) {
		/* A second one: hold the smaller of the two, slowly forgotten. */
		double h = d_ms < jb->last_spike_ms ? d_ms : jb->last_spike_ms;

		if (h > jb->held_ms)
			jb->held_ms = h;
	}
	jb->have_spike = true;
	jb->last_spike_ms = d_ms;
	jb->last_spike_us = arrival_us;
}

static void update_timing(struct jitter *jb, uint16_t seq, uint32_t ts, uint8_t pt,
			  int64_t arrival_us)
{
	if (jb->timing_pt >= 0 && pt != jb->timing_pt)
		return;               /* another codec's clock: its timestamps do not compare */
	learn_frame_ms(jb, seq, ts);
	if (jb->have_last) {
		double d_ms = (double)(arrival_us - jb->last_arrival_us) / 1000.0 -
			(double)(int32_t)(ts - jb->last_ts) * 1000.0 / jb->clock;

		/* Beyond two seconds it is a timestamp jump or a clock step, not network jitter. */
		if (fabs(d_ms) < 2000.0)
			track_peaks(jb, fabs(d_ms), arrival_us);
	}
	jb->have_last = true;
	jb->last_seq = seq;
	jb->last_ts = ts;
	jb->last_arrival_us = arrival_us;
	update_target(jb);
}

static void store(struct jitter *jb, uint16_t seq, uint32_t ts, uint8_t pt, bool marker,
		  const uint8_t *payload, size_t len, int64_t arrival_us)
{
	struct jb_slot *s = &jb->slot[seq % JB_SLOTS];

	s->used = true;
	s->f.seq = seq;
	s->f.ts = ts;
	s->f.pt = pt;
	s->f.marker = marker;
	s->f.len = (uint16_t)len;
	s->f.arrival_us = arrival_us;
	if (len)
		memcpy(s->f.data, payload, len);
	if (jb->count == 0 || (int16_t)(seq - jb->high) > 0)
		jb->high = seq;
	jb->count++;
}

/* Frames buffered, plus how long the newest has waited and playout would still wait (see
 * the top of this file). Once the newest has waited more than a frame, its successor is
 * late, and each ms it is late is one less to count: it may come any moment (a tick's
 * jitter), or not for a while (the peer fell silent), when nothing beyond the frames
 * should count. */
static unsigned cushion_level_ms(const struct jitter *jb, int64_t now_us, int64_t due_us)
{
	int64_t frame_us = (int64_t)jb->frame_ms * 1000, waited, more;

	if (!jb->count)
		return 0;
	waited = now_us - jb->slot[jb->high % JB_SLOTS].f.arrival_us;
	if (waited < 0)
		waited = 0;
	else if (waited > frame_us)
		waited = waited < 2 * frame_us ? 2 * frame_us - waited : 0;
	more = waited + (due_us > now_us ? due_us - now_us : 0) - CUSHION_SPARE_US;
	return jb_level_ms(jb) + (more > 0 ? (unsigned)(more / 1000) : 0);
}

/* Release the slot of `next` (if buffered) and move on. */
static void advance(struct jitter *jb)
{
	struct jb_slot *s = &jb->slot[jb->next % JB_SLOTS];
	bool had = s->used && s->f.seq == jb->next;

	if (had) {
		s->used = false;
		jb->count--;
	}
	jb->played = (jb->played << 1) | had;
	jb->next++;
}

static void restart_at(struct jitter *jb, uint16_t seq)
{
	flush_slots(jb);
	jb->next = seq;
	jb->state = JB_BUFFERING;
	jb->underrun_ms = 0;
}

enum jb_put_result jb_put(struct jitter *jb, uint16_t seq, uint32_t ts, uint8_t pt, bool marker,
			  const uint8_t *payload, size_t len, int64_t arrival_us)
{
	int d;
	enum jb_put_result res = JB_PUT_OK;

	jb->dropped = NULL;        /* its slot may take this packet */
	if (len > JB_MAX_PAYLOAD || (len && !payload))
		return JB_PUT_BAD;
	if (jb->state == JB_IDLE)
		restart_at(jb, seq);
	d = (int16_t)(uint16_t)(seq - jb->next);

	if (d >= JB_FAR || d <= -JB_FAR) {
		/* A restarted sender, or garbage: believe it when the next packet follows it. */
		if (!jb->stray || seq != jb->stray_next) {
			jb->stray = true;
			jb->stray_next = (uint16_t)(seq + 1);
			return JB_PUT_STRAY;
		}
		jb->st.resyncs++;
		restart_at(jb, seq);
		jb->have_last = false;
		d = 0;
		res = JB_PUT_RESYNC;
	}
	jb->stray = false;

	if (jb->state == JB_BUFFERING && jb->count == 0 && d != 0) {
		/* Nothing waiting: start (or restart after a silence) at this packet. */
		jb->next = seq;
		d = 0;
	} else if (d < 0) {
		/* Before `next`. While filling up, an early packet that arrived late just moves
		 * the start back, if it still fits. */
		if (jb->state == JB_BUFFERING &&
		    (unsigned)(uint16_t)(jb->high - seq) < JB_SLOTS - 1) {
			jb->next = seq;
			d = 0;
		} else {
			unsigned back = (uint16_t)(jb->next - 1 - seq);

			/* A copy of a packet we already played (networks duplicate): not a sign
			 * of delay, so it must not grow the target (seen: 10 copies pushed it from
			 * 20 to 200 ms). */
			if (back < 64 && (jb->played >> back) & 1) {
				jb->st.dup++;
				return JB_PUT_DUP;
			}
			/* Too late to play, but its delay tells the target to grow. */
			jb->st.late++;
			update_timing(jb, seq, ts, pt, arrival_us);
			return JB_PUT_LATE;
		}
	}
	if (d >= JB_SLOTS) {
		/* Too far ahead for the window (a burst after a long stall): let the oldest go. */
		while ((int16_t)(uint16_t)(seq - jb->next) >= JB_SLOTS) {
			if (jb->count && jb->slot[jb->next % JB_SLOTS].used)
				jb->st.overflow++;
			advance(jb);
		}
	}
	{
		struct jb_slot *s = &jb->slot[seq % JB_SLOTS];

		if (s->used && s->f.seq == seq) {
			jb->st.dup++;
			return JB_PUT_DUP;
		}
		if (s->used) {        /* cannot happen inside the window; stay consistent */
			s->used = false;
			jb->count--;
		}
	}
	store(jb, seq, ts, pt, marker, payload, len, arrival_us);
	update_timing(jb, seq, ts, pt, arrival_us);
	return res;
}

const struct jb_frame *jb_dropped(const struct jitter *jb)
{
	return jb->dropped;
}

const struct jb_frame *jb_peek(const struct jitter *jb)
{
	const struct jb_slot *s = &jb->slot[jb->next % JB_SLOTS];

	return jb->count && s->used && s->f.seq == jb->next ? &s->f : NULL;
}

enum jb_pop_result jb_pop(struct jitter *jb, bool quiet, int64_t now_us, int64_t due_us,
			  const struct jb_frame **out)
{
	struct jb_slot *s;
	unsigned level;
	double target;
	bool far;

	*out = NULL;
	jb->dropped = NULL;
	if (jb->state == JB_IDLE)
		return JB_EMPTY;
	level = cushion_level_ms(jb, now_us, due_us);
	if (jb->state == JB_BUFFERING) {
		if (level == 0 || level < jb->target_ms)
			return JB_EMPTY;
		jb->state = JB_PLAYING;
		jb->avg_level_ms = level;
		jb->since_adjust = 0;
	}
	jb->avg_level_ms += ((double)level - jb->avg_level_ms) / 32.0;
	jb->since_adjust++;
	target = jb->target_ms;

	/* Drift, or a stall's backlog: running full. Drop a frame when it is quiet, or anyway
	 * when far above (then also more often: that much delay should not stay long). The
	 * only frame buffered goes too when the next is due before the deadline: the caller
	 * waits for it and pops again. */
	far = jb->avg_level_ms > target + 3.0 * jb->frame_ms;
	if (jb->since_adjust >= (!far ? DRIFT_MIN_POPS : quiet ? DRIFT_FAST_POPS : DRIFT_LOUD_POPS) &&
	    (jb_level_ms(jb) >= 2 * jb->frame_ms || (jb->count && due_us > now_us)) &&
	    jb->avg_level_ms > target + jb->frame_ms && (quiet || far)) {
		s = &jb->slot[jb->next % JB_SLOTS];
		if (s->used && s->f.seq == jb->next)
			jb->dropped = &s->f;   /* advance frees the slot; its bytes stay */
		advance(jb);
		jb->st.drift_drops++;
		jb->avg_level_ms -= jb->frame_ms;
		jb->since_adjust = 0;
		if (!jb_peek(jb) && due_us > now_us)
			return JB_SKIPPED;
	}
	/* Drift: running empty. Stretch by one concealed frame, only when it is quiet (if it
	 * never is, the underrun that follows does the same). The thresholds differ by more
	 * than a frame, so a level that flips between two counts does not set off both. */
	if (jb->since_adjust >= DRIFT_MIN_POPS && quiet && level > 0 &&
	    jb->avg_level_ms + jb->frame_ms / 2.0 < target) {
		jb->st.stretches++;
		jb->avg_level_ms += jb->frame_ms;
		jb->since_adjust = 0;
		return JB_STRETCH;
	}

	s = &jb->slot[jb->next % JB_SLOTS];
	if (jb->count && s->used && s->f.seq == jb->next) {
		*out = &s->f;
		advance(jb);
		jb->underrun_ms = 0;
		return JB_FRAME;
	}
	if (jb->count) {
		jb->st.lost++;
		advance(jb);
		jb->underrun_ms = 0;
		return JB_LOST;
	}
	/* Nothing here: wait for `next` rather than skip it (it may just be late). */
	jb->st.underruns++;
	jb->underrun_ms += jb->frame_ms;
	if (jb->underrun_ms >= UNDERRUN_REFILL_MS)
		jb->state = JB_BUFFERING;
	return JB_UNDERRUN;
}
