/* fuzz_jitter.c: the jitter buffer fed by a hostile or broken sender.
 *
 * The input is a script. Three bytes set the clock rate and the min/max delay, then each
 * operation starts with one byte:
 *   low two bits 0 or 1: a packet arrives (jb_put) - sequence number and timestamp as a
 *       small step from the last ones or as absolute values, a payload length (sometimes
 *       beyond JB_MAX_PAYLOAD), marker, payload type, and how much later it arrived;
 *   2: the playout clock takes a frame (jb_pop, "quiet" from a bit), and maybe jb_peek;
 *   3: a new source (jb_reset) when the other bits are all set, else a pop.
 * Each payload starts with its own sequence number, so a frame handed out under the wrong
 * number is caught. After every operation the buffer's bookkeeping must add up. */
#include "fuzz.h"
#include "media/jitter.h"

static void check(const struct jitter *jb)
{
	unsigned used = 0;

	for (unsigned i = 0; i < JB_SLOTS; i++) {
		if (!jb->slot[i].used)
			continue;
		used++;
		FUZZ_ASSERT(jb->slot[i].f.seq % JB_SLOTS == i);
		FUZZ_ASSERT(jb->slot[i].f.len <= JB_MAX_PAYLOAD);
	}
	FUZZ_ASSERT(used == jb->count);
	FUZZ_ASSERT(jb->count <= JB_SLOTS);
	FUZZ_ASSERT(jb_target_ms(jb) >= jb->min_ms && jb_target_ms(jb) <= jb->max_ms);
	FUZZ_ASSERT(jb_frame_ms(jb) >= 10 && jb_frame_ms(jb) <= 120);
	(void)jb_level_ms(jb);
}

static void check_frame(const struct jb_frame *f, uint16_t expect_seq)
{
	FUZZ_ASSERT(f->seq == expect_seq);
	FUZZ_ASSERT(f->len <= JB_MAX_PAYLOAD);
	if (f->len >= 2)
		FUZZ_ASSERT(f->data[0] == (uint8_t)(f->seq >> 8) && f->data[1] == (uint8_t)f->seq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned clocks[4] = { 8000, 16000, 48000, 0 };
	static struct jitter jb;
	static uint8_t payload[JB_MAX_PAYLOAD + 16];
	struct fuzz_in in = { data, size };
	uint16_t seq = 0;
	uint32_t ts = 0;
	int64_t arrival = 0;
	unsigned ops = 0;

	jb_init(&jb, clocks[fuzz_u8(&in) & 3], fuzz_u8(&in) * 4u, fuzz_u8(&in) * 4u);
	check(&jb);
	while (in.n && ops++ < 5000) {
		uint8_t op = fuzz_u8(&in);
		const struct jb_frame *f;

		if ((op & 3) < 2) {
			size_t len;
			uint8_t pt = fuzz_u8(&in);

			if (op & 4) {
				seq = fuzz_u16(&in);
				ts = fuzz_u32(&in);
			} else {
				seq = (uint16_t)(seq + (int8_t)fuzz_u8(&in));
				ts += (uint32_t)(int32_t)(int8_t)fuzz_u8(&in) * 160u;
			}
			len = (op & 8) ? (size_t)fuzz_u16(&in) % (JB_MAX_PAYLOAD + 16) : fuzz_u8(&in);
			arrival += (int64_t)fuzz_u8(&in) * 1000 - ((op & 16) ? 50000 : 0);
			memset(payload, (int)pt, sizeof(payload));
			payload[0] = (uint8_t)(seq >> 8);
			payload[1] = (uint8_t)seq;
			enum jb_put_result r = jb_put(&jb, seq, ts, pt & 0x7f, op & 32,
						      len ? payload : NULL, len, arrival);
			if (len > JB_MAX_PAYLOAD)
				FUZZ_ASSERT(r == JB_PUT_BAD);
		} else if ((op & 3) == 3 && (op >> 2) == 0x3f) {
			jb_reset(&jb, clocks[fuzz_u8(&in) & 3]);
		} else {
			const struct jb_frame *peek = jb_peek(&jb);
			uint16_t next = jb.next;
			/* popped up to 7 ms after the last arrival, willing to wait up to 21 ms */
			int64_t now = arrival + ((op >> 3) & 7) * 1000;
			enum jb_pop_result r = jb_pop(&jb, op & 4, now, now + (op >> 6) * 7000, &f);

			if (peek)
				check_frame(peek, next);
			if (r == JB_FRAME) {
				FUZZ_ASSERT(f != NULL);
				/* `next`, or the one after it when a drift drop came first */
				FUZZ_ASSERT(f->seq == next || f->seq == (uint16_t)(next + 1));
				check_frame(f, f->seq);
			} else {
				FUZZ_ASSERT(f == NULL);
			}
			/* a drift drop that had arrived is handed back: `next`, before f */
			if (jb_dropped(&jb)) {
				FUZZ_ASSERT(jb_dropped(&jb)->seq == next);
				check_frame(jb_dropped(&jb), next);
				FUZZ_ASSERT(r != JB_FRAME || f->seq == (uint16_t)(next + 1));
			}
			/* a frame left out for a successor due by the deadline: only if waiting */
			if (r == JB_SKIPPED)
				FUZZ_ASSERT((op >> 6) != 0 && jb_peek(&jb) == NULL);
		}
		check(&jb);
	}
	return 0;
}
