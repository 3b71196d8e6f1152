/* test_media_jitter.c: the jitter buffer against a table of arrival patterns. A simulated
 * clock delivers packets at their arrival times and pops one frame every 20 ms; each case
 * says what must come out: frames in order and once, losses where packets were lost, the
 * level bounded when the sender's clock runs fast or slow. */
#include "unit.h"
#include "media/jitter.h"

#include <stdlib.h>

#define MAXP 4000

struct pkt {
	uint16_t seq;
	uint32_t ts;
	int64_t at_us;
};

struct outcome {
	unsigned frames, lost, underruns, empty, stretches, skips;
	unsigned dropped;             /* drift drops handed back by jb_dropped, in order */
	unsigned order_errors;        /* a frame not after the previous one */
	unsigned max_level_ms, max_target_ms;
	unsigned tail_level_ms;       /* level at the last pop */
};

static struct pkt P[MAXP];
static struct jitter JB;

static int cmp_arrival(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	return x->at_us < y->at_us ? -1 : x->at_us > y->at_us;
}

/* Deliver P[0..n) (sorted here by arrival) and pop every 20 ms (10 ms after the sender's
 * grid) until ticks pops have been made. */
static struct outcome run(size_t n, unsigned ticks, bool quiet)
{
	struct outcome o = { 0 };
	size_t next = 0;
	bool have_last = false;
	uint16_t last = 0;

	qsort(P, n, sizeof(P[0]), cmp_arrival);
	for (unsigned k = 0; k < ticks; k++) {
		int64_t now = 10000 + (int64_t)k * 20000;
		const struct jb_frame *f;

		for (; next < n && P[next].at_us <= now; next++) {
			uint8_t b = (uint8_t)P[next].seq;

			jb_put(&JB, P[next].seq, P[next].ts, 0, false, &b, 1, P[next].at_us);
		}
		enum jb_pop_result r = jb_pop(&JB, quiet, now, now, &f);
		const struct jb_frame *d = jb_dropped(&JB);

		if (d) {                          /* left out before f, for the decoder */
			o.dropped++;
			if ((have_last && (int16_t)(uint16_t)(d->seq - last) <= 0) ||
			    d->data[0] != (uint8_t)d->seq || (f && f->seq != (uint16_t)(d->seq + 1)))
				o.order_errors++;
			last = d->seq;
			have_last = true;
		}
		switch (r) {
		case JB_FRAME:
			o.frames++;
			if ((have_last && (int16_t)(uint16_t)(f->seq - last) <= 0) ||
			    f->data[0] != (uint8_t)f->seq)
				o.order_errors++;
			last = f->seq;
			have_last = true;
			break;
		case JB_LOST:
			o.lost++;
			last++;                   /* the lost one counts as played */
			break;
		case JB_UNDERRUN: o.underruns++; break;
		case JB_EMPTY: o.empty++; break;
		case JB_STRETCH: o.stretches++; break;
		case JB_SKIPPED: o.skips++; break;   /* only for a caller that waits */
		}
		if (jb_level_ms(&JB) > o.max_level_ms)
			o.max_level_ms = jb_level_ms(&JB);
		if (jb_target_ms(&JB) > o.max_target_ms)
			o.max_target_ms = jb_target_ms(&JB);
	}
	o.tail_level_ms = jb_level_ms(&JB);
	return o;
}

/* n packets from seq0, sent every period_us, arriving after delay_us. */
static size_t steady(uint16_t seq0, size_t n, int64_t period_us, int64_t delay_us)
{
	for (size_t i = 0; i < n; i++) {
		P[i].seq = (uint16_t)(seq0 + i);
		P[i].ts = (uint32_t)(160 * i);
		P[i].at_us = delay_us + (int64_t)i * period_us;
	}
	return n;
}

/* A network's jitter on the first n packets: each lands from_us to from_us + span_us
 * later than planned (rand, seeded, so every run is the same). */
static void jitter_arrivals(size_t n, unsigned seed, int from_us, int span_us)
{
	srand(seed);
	for (size_t i = 0; i < n; i++)
		P[i].at_us += from_us + rand() % span_us;
}

static void fresh(void)
{
	jb_init(&JB, 8000, 40, 300);
}

static void test_jitter_in_order_plays_every_frame(void)
{
	struct outcome o;

	fresh();
	o = run(steady(1000, 200, 20000, 0), 210, false);
	CHECK_INT(o.frames, 200);
	CHECK_INT(o.lost, 0);
	CHECK_INT(o.order_errors, 0);
	CHECK_INT(o.underruns + o.empty, 10);  /* filling up, and after the last packet */
	CHECK_INT(o.skips, 0);
	CHECK(o.max_level_ms <= 60);
	CHECK_INT(JB.st.late + JB.st.dup + JB.st.drift_drops, 0);
}

static void test_jitter_reordered_pairs_come_out_in_order(void)
{
	struct outcome o;
	size_t n = steady(0, 200, 20000, 0);

	fresh();
	for (size_t i = 0; i + 1 < n; i += 2) {  /* 1 0 3 2 5 4 ...: each pair swapped */
		int64_t t = P[i].at_us;

		P[i].at_us = P[i + 1].at_us;
		P[i + 1].at_us = t;
	}
	o = run(n, 205, false);
	CHECK_INT(o.frames, 200);
	CHECK_INT(o.lost, 0);
	CHECK_INT(o.order_errors, 0);
	CHECK_INT(JB.st.late, 0);
}

static void test_jitter_duplicates_are_dropped_and_counted(void)
{
	struct outcome o;
	size_t n = steady(0, 100, 20000, 0);

	fresh();
	for (size_t i = 0; i < 100; i++) {
		P[n + i] = P[i];
		P[n + i].at_us += 3000;           /* the copy 3 ms later */
	}
	o = run(2 * n, 105, false);
	CHECK_INT(o.frames, 100);
	CHECK_INT(o.order_errors, 0);
	CHECK_INT(JB.st.dup + JB.st.late, 100);
	CHECK(JB.st.dup >= 90);
}

/* A network that duplicates: a copy of every 25th packet 200 ms later, long after the
 * original was played. The copies are duplicates, not late packets, and the target must not
 * grow for them (seen before the fix: from 20 to 200 ms). */
static void test_jitter_late_copies_are_duplicates_not_delay(void)
{
	struct outcome o;
	size_t n = steady(0, 250, 20000, 0), m = n;

	fresh();
	for (size_t i = 0; i < n; i += 25) {
		P[m] = P[i];
		P[m].at_us += 200000;
		m++;
	}
	o = run(m, 260, false);
	CHECK_INT(o.frames, 250);
	CHECK_INT(o.lost, 0);
	CHECK_INT(JB.st.late, 0);
	CHECK_INT(JB.st.dup, (long long)(m - n));
	CHECK(JB.target_ms <= 60);
}

static void test_jitter_reports_loss_and_offers_next_for_fec(void)
{
	size_t n = steady(500, 100, 20000, 0), m = 0;
	const struct jb_frame *f;
	bool fec_seen = false;

	fresh();
	for (size_t i = 0; i < n; i++)      /* lose 510, 511 and 540 */
		if (P[i].seq != 510 && P[i].seq != 511 && P[i].seq != 540)
			P[m++] = P[i];
	for (unsigned k = 0; k < 100; k++) {
		int64_t now = 10000 + (int64_t)k * 20000;

		for (size_t i = 0; i < m; i++)
			if (P[i].at_us <= now && P[i].at_us > now - 20000) {
				uint8_t b = 0;

				jb_put(&JB, P[i].seq, P[i].ts, 0, false, &b, 1, P[i].at_us);
			}
		if (jb_pop(&JB, false, now, now, &f) == JB_LOST) {
			const struct jb_frame *nx = jb_peek(&JB);

			if (nx && nx->seq == 541)
				fec_seen = true;
			CHECK(!nx || nx->seq == 512 || nx->seq == 541);
		}
	}
	CHECK_INT(JB.st.lost, 3);
	CHECK(fec_seen);
}

static void test_jitter_burst_late_is_waited_for_then_target_grows(void)
{
	struct outcome o;
	size_t n = steady(0, 300, 20000, 0);

	fresh();
	for (size_t i = 100; i < 108; i++)  /* a 160 ms stall: 100..108 arrive together */
		P[i].at_us = P[108].at_us;
	o = run(n, 320, false);
	CHECK_INT(o.order_errors, 0);
	CHECK_INT(o.lost, 0);                /* nothing skipped: late audio played late */
	CHECK(o.underruns > 0);
	CHECK(o.max_target_ms >= 120);
	CHECK_INT(o.frames + JB.st.drift_drops, 300);
	CHECK(JB.st.drift_drops > 0);
	CHECK_INT(o.dropped, JB.st.drift_drops);   /* each one given back to decode */
}

/* The sender stalls once for 300 ms (its packets then come all at once). The target grows,
 * but a lone spike is forgotten: 2.5 s later the delay it added has drained (in the quiet
 * moments a conversation has; loud frames only go while far above the target). */
static void test_jitter_lone_stall_drains_within_seconds(void)
{
	struct outcome o;
	size_t n = steady(0, 300, 20000, 0);

	fresh();
	for (size_t i = 100; i < 115; i++)
		P[i].at_us = P[115].at_us;
	o = run(n, 240, true);               /* to 2.5 s after the packets came back */
	printf("  lone stall: target peaked at %u ms, now %u ms, level %u ms, drops %llu\n",
	       o.max_target_ms, jb_target_ms(&JB), o.tail_level_ms,
	       (unsigned long long)JB.st.drift_drops);
	CHECK(o.max_target_ms >= 150);
	CHECK(jb_target_ms(&JB) <= 45);
	CHECK(o.tail_level_ms <= 60);
	CHECK_INT(o.lost, 0);
}

/* The network stalls for 150 ms every 3 s: spikes that come back hold the target up, so
 * later stalls find more in the buffer than the first did. */
static void test_jitter_recurring_spikes_hold_the_target(void)
{
	struct outcome o;
	size_t n = steady(0, 800, 20000, 0);

	fresh();
	for (size_t k = 100; k + 8 < n; k += 150)
		for (size_t i = k; i < k + 7; i++)
			P[i].at_us = P[k + 7].at_us;
	o = run(n, 760, false);
	printf("  recurring spikes: target now %u ms (peak %u), underruns %u\n",
	       jb_target_ms(&JB), o.max_target_ms, o.underruns);
	CHECK(jb_target_ms(&JB) >= 80);
}

/* Packets that come well before their pop (12-15 ms here): one frame buffered is cushion
 * enough, so a second one (left by a start with two packets at once) goes in the first
 * quiet moment. Packets that come just before the pop (2-5 ms) keep the second. Neither
 * runs dry. */
static void test_jitter_one_frame_is_enough_when_packets_come_early(void)
{
	for (int early = 0; early < 2; early++) {
		size_t n = steady(0, 500, 20000, early ? -5000 : 5000);
		struct outcome o;

		jb_init(&JB, 8000, 20, 300);
		jitter_arrivals(n, 3, 0, 3000);
		P[0].at_us = P[1].at_us;
		o = run(n, 490, true);
		printf("  packets %s: level after the last pop %u ms, target %u ms, drops %llu\n",
		       early ? "12-15 ms early" : "2-5 ms early", o.tail_level_ms, jb_target_ms(&JB),
		       (unsigned long long)JB.st.drift_drops);
		CHECK_INT(o.tail_level_ms, early ? 0 : 20);
		CHECK_INT(o.underruns, 0);
		CHECK_INT(o.lost, 0);
		CHECK_INT(o.order_errors, 0);
		CHECK_INT(o.frames + o.empty, 490);   /* every pop played a frame once it started */
	}
}

/* A caller that waits up to wait_us past each tick for the packet due (as the media thread
 * does): deliver P[0..n) (sorted) and pop every 20 ms (10 ms after the sender's grid),
 * pop_us after taking in what had arrived (what comes in between stays in the socket).
 * Returns how long, on average, the frames of the last `tail` ticks waited between their
 * arrival and their pop (us). */
static int64_t run_waiting(size_t n, unsigned ticks, unsigned tail, int64_t wait_us,
			   int64_t pop_us, struct outcome *o)
{
	size_t next = 0;
	int64_t waited = 0;
	unsigned played = 0;

	qsort(P, n, sizeof(P[0]), cmp_arrival);
	memset(o, 0, sizeof(*o));
	for (unsigned k = 0; k < ticks; k++) {
		int64_t tick = 10000 + (int64_t)k * 20000, now = tick, due = tick + wait_us;
		const struct jb_frame *f;
		enum jb_pop_result r;

		for (bool again = true; again;) {
			/* what arrived by now; then, while the next is missing, wait for packets
			 * until the deadline */
			for (; next < n && P[next].at_us <= now; next++) {
				uint8_t b = (uint8_t)P[next].seq;

				jb_put(&JB, P[next].seq, P[next].ts, 0, false, &b, 1, P[next].at_us);
			}
			if (JB.state != JB_IDLE && !jb_peek(&JB) && next < n && P[next].at_us <= due) {
				now = P[next].at_us;
				continue;
			}
			r = jb_pop(&JB, true, now + pop_us, due, &f);
			again = r == JB_SKIPPED;
		}
		switch (r) {
		case JB_FRAME:
			o->frames++;
			if (k + tail >= ticks) {
				waited += now + pop_us - f->arrival_us;
				played++;
			}
			break;
		case JB_LOST: o->lost++; break;
		case JB_UNDERRUN: o->underruns++; break;
		case JB_EMPTY: o->empty++; break;
		case JB_STRETCH: o->stretches++; break;
		case JB_SKIPPED: break;
		}
	}
	o->tail_level_ms = jb_level_ms(&JB);
	return played ? waited / played : -1;
}

/* Packets that come 5 ms (give or take 1.5) after the tick that is to play them, which
 * waits up to 15 ms: each plays when it comes, not 15 ms later at the next tick, even when
 * the start left two frames buffered (one is left out in a quiet moment). A caller that
 * does not wait plays every one a tick later. Neither runs dry. */
static void test_jitter_waits_for_a_packet_due_within_the_tick(void)
{
	for (int wait = 0; wait < 2; wait++) {
		size_t n = steady(0, 500, 20000, 15000);
		struct outcome o;
		int64_t w;

		jb_init(&JB, 8000, 20, 300);
		jitter_arrivals(n, 5, -1500, 3000);
		P[0].at_us = P[1].at_us;
		w = run_waiting(n, 480, 200, wait ? 15000 : 0, 0, &o);
		printf("  packets 5 ms after the tick, waiting %s: the last 200 waited %.1f ms "
		       "on average, drops %llu\n", wait ? "15 ms" : "not", w / 1000.0,
		       (unsigned long long)JB.st.drift_drops);
		CHECK(wait ? w < 1000 : w > 13000);
		CHECK_INT(o.underruns, 0);
		CHECK_INT(o.lost, 0);
		CHECK_INT(o.frames + o.empty, 480);
	}
}

/* Packets that come a hair after the socket was read but before the pop (a peer that
 * ticks with us, its packet landing while we encode ours): at the pop, the newest packet
 * buffered, the one before, has waited a little more than a frame. Its successor is then
 * "late" by a fraction of a millisecond, not gone: the buffer still leaves the frame it
 * holds out, and playout waits for that successor (seen before: counted as gone, a whole
 * frame, 20 ms, stayed buffered for good). */
static void test_jitter_a_hair_late_is_not_gone(void)
{
	size_t n = steady(0, 500, 20000, 10100);
	struct outcome o;
	int64_t w;

	jb_init(&JB, 8000, 20, 300);
	jitter_arrivals(n, 9, 0, 150);
	w = run_waiting(n, 480, 200, 15000, 300, &o);
	printf("  packets a hair after the read: the last 200 waited %.1f ms on average, drops %llu\n",
	       w / 1000.0, (unsigned long long)JB.st.drift_drops);
	CHECK(w < 1000);
	CHECK_INT(o.underruns, 0);
	CHECK_INT(o.lost, 0);
}

static void test_jitter_survives_seq_wrap(void)
{
	struct outcome o;

	fresh();
	o = run(steady(65500, 150, 20000, 0), 155, false);
	CHECK_INT(o.frames, 150);
	CHECK_INT(o.lost, 0);
	CHECK_INT(o.order_errors, 0);
}

static void test_jitter_fast_sender_clock_stays_bounded(void)
{
	for (int q = 0; q < 2; q++) {
		struct outcome o;

		fresh();
		/* 1 % fast: 3000 packets in 2970 ticks' time. */
		o = run(steady(0, 3000, 19800, 0), 2975, q == 1);
		CHECK_INT(o.order_errors, 0);
		CHECK(o.max_level_ms <= jb_target_ms(&JB) + 100);
		CHECK(JB.st.drift_drops >= 20 && JB.st.drift_drops <= 45);
		CHECK(o.lost == 0);
		printf("  fast%s: drops %llu, max level %u ms, target %u ms\n", q ? " (quiet)" : "",
		       (unsigned long long)JB.st.drift_drops, o.max_level_ms, jb_target_ms(&JB));
	}
}

static void test_jitter_slow_sender_clock_stays_bounded(void)
{
	for (int q = 0; q < 2; q++) {
		struct outcome o;

		fresh();
		/* 1 % slow: 3000 packets in 3030 ticks' time. */
		o = run(steady(0, 3000, 20200, 0), 3040, q == 1);
		CHECK_INT(o.order_errors, 0);
		CHECK_INT(o.frames, 3000);
		CHECK(o.max_level_ms <= jb_target_ms(&JB) + 60);
		CHECK(o.underruns + o.stretches >= 20 && o.underruns + o.stretches <= 45);
		if (q == 1)                       /* quiet: stretched before running dry */
			CHECK(o.stretches > o.underruns);
		printf("  slow%s: stretches %u, underruns %u, max level %u ms\n", q ? " (quiet)" : "",
		       o.stretches, o.underruns, o.max_level_ms);
	}
}

static void test_jitter_target_follows_jitter_and_relaxes(void)
{
	size_t n = steady(0, 1500, 20000, 0);
	struct outcome o;

	fresh();
	jitter_arrivals(500, 7, 0, 60000);     /* 10 s of 0..60 ms random delay */
	o = run(n, 1510, false);
	CHECK(o.max_target_ms >= 60 && o.max_target_ms <= 140);
	CHECK(JB.st.late < 10);
	CHECK(jb_target_ms(&JB) <= 45);      /* 20 s of calm brings it back */
	printf("  target peaked at %u ms, late %llu, back to %u ms\n", o.max_target_ms,
	       (unsigned long long)JB.st.late, jb_target_ms(&JB));
}

static void test_jitter_restarted_stream_is_resynced(void)
{
	struct outcome o;
	size_t n = steady(100, 100, 20000, 0);

	fresh();
	for (size_t i = 50; i < n; i++)      /* the sender restarts at 40000 */
		P[i].seq = (uint16_t)(40000 + i);
	o = run(n, 110, false);
	CHECK_INT(JB.st.resyncs, 1);
	CHECK(o.frames >= 95);
	CHECK_INT(o.order_errors, 1);        /* the restart itself goes "back" */
}

/* A re-INVITE from Opus (48 kHz clock, pt 111) to PCMU (8 kHz, pt 0) with two Opus packets
 * still in flight: every packet of both plays, in order, with no gap, and the clocks that do
 * not compare do not grow the target. */
static void test_jitter_codec_change_keeps_the_queue_and_the_target(void)
{
	const struct jb_frame *f;
	unsigned frames = 0, other = 0, order_errors = 0;
	uint16_t last = 0;
	uint32_t ts = 0;
	uint8_t b = 0;

	jb_init(&JB, 48000, 40, 300);
	jb_set_timing(&JB, 48000, 111);
	for (unsigned i = 0; i < 200; i++) {
		int64_t at = (int64_t)i * 20000;
		uint8_t pt = i < 100 ? 111 : 0;

		if (i == 98)                 /* the new codec is installed; 98 and 99 still come */
			jb_set_timing(&JB, 8000, 0);
		CHECK_INT(jb_put(&JB, (uint16_t)(5000 + i), ts, pt, false, &b, 1, at), JB_PUT_OK);
		ts += i < 100 ? 960 : 160;
		switch (jb_pop(&JB, false, at, at, &f)) {
		case JB_FRAME:
			if (frames++ && f->seq != (uint16_t)(last + 1))
				order_errors++;
			last = f->seq;
			break;
		case JB_EMPTY:
			if (frames)
				other++;
			break;
		default:
			other++;
		}
	}
	printf("  codec change: %u frames, %u gaps, target %u ms\n", frames, other,
	       jb_target_ms(&JB));
	CHECK(frames >= 197);                /* all but the last, still queued at the end */
	CHECK_INT(other, 0);
	CHECK_INT(order_errors, 0);
	CHECK(jb_target_ms(&JB) <= 45);
}

static void test_jitter_takes_any_input_without_breaking(void)
{
	const struct jb_frame *f;
	uint8_t junk[JB_MAX_PAYLOAD + 1] = { 0 };

	fresh();
	srand(1);
	for (int i = 0; i < 200000; i++) {
		uint16_t seq = (uint16_t)rand();
		uint32_t ts = (uint32_t)rand() * 2654435761u;

		if (i % 3)
			seq = (uint16_t)(JB.next + rand() % 80 - 10);
		jb_put(&JB, seq, ts, (uint8_t)rand(), rand() & 1, junk, (size_t)(rand() % 1502),
		       (int64_t)i * 7000 + rand() % 100000);
		if (i % 2)
			jb_pop(&JB, rand() & 1, (int64_t)i * 7000, (int64_t)i * 7000 + rand() % 20000, &f);
		CHECK(JB.count <= JB_SLOTS);
		if (JB.count > JB_SLOTS)
			break;
	}
	CHECK_INT(jb_put(&JB, 1, 1, 0, false, junk, JB_MAX_PAYLOAD + 1, 0), JB_PUT_BAD);
	CHECK(jb_target_ms(&JB) >= 40 && jb_target_ms(&JB) <= 300);
}

int main(void)
{
	RUN(test_jitter_in_order_plays_every_frame);
	RUN(test_jitter_reordered_pairs_come_out_in_order);
	RUN(test_jitter_duplicates_are_dropped_and_counted);
	RUN(test_jitter_late_copies_are_duplicates_not_delay);
	RUN(test_jitter_reports_loss_and_offers_next_for_fec);
	RUN(test_jitter_burst_late_is_waited_for_then_target_grows);
	RUN(test_jitter_lone_stall_drains_within_seconds);
	RUN(test_jitter_recurring_spikes_hold_the_target);
	RUN(test_jitter_one_frame_is_enough_when_packets_come_early);
	RUN(test_jitter_waits_for_a_packet_due_within_the_tick);
	RUN(test_jitter_a_hair_late_is_not_gone);
	RUN(test_jitter_survives_seq_wrap);
	RUN(test_jitter_fast_sender_clock_stays_bounded);
	RUN(test_jitter_slow_sender_clock_stays_bounded);
	RUN(test_jitter_target_follows_jitter_and_relaxes);
	RUN(test_jitter_restarted_stream_is_resynced);
	RUN(test_jitter_codec_change_keeps_the_queue_and_the_target);
	RUN(test_jitter_takes_any_input_without_breaking);
	return unit_done();
}
