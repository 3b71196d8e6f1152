/* jitter.h: adaptive jitter buffer over a fixed array of slots (nothing allocated per
 * packet). Packets go in by sequence number as they arrive; the playout clock takes one
 * packet per pop. The target delay follows the measured delay variation between
 * jitter_min_ms and jitter_max_ms, and the difference between the sender's clock and the
 * sound card's is absorbed by dropping a frame (buffer running full) or concealing one
 * (running empty), preferably when the caller says the audio is quiet.
 * jb_put accepts any sequence numbers and timestamps (a fuzz target). */
#ifndef TTY_MEDIA_JITTER_H
#define TTY_MEDIA_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_SLOTS 64            /* power of two; 1.28 s of 20 ms packets */
#define JB_MAX_PAYLOAD 1500
#define JB_FAR 1000            /* a sequence jump this large is a restart, not reordering */

struct jb_frame {
	uint16_t seq;
	uint32_t ts;
	uint8_t pt;
	bool marker;
	uint16_t len;
	int64_t arrival_us;        /* when it came, as given to jb_put */
	uint8_t data[JB_MAX_PAYLOAD];
};

enum jb_put_result {
	JB_PUT_OK,
	JB_PUT_LATE,               /* its playout time has passed: dropped */
	JB_PUT_DUP,                /* already buffered: dropped */
	JB_PUT_BAD,                /* too large: dropped */
	JB_PUT_STRAY,              /* far from the stream: held back unless the next follows it */
	JB_PUT_RESYNC,             /* the stream restarted here: buffer flushed, packet taken */
};

enum jb_pop_result {
	JB_FRAME,                  /* *out is the next packet: decode it */
	JB_LOST,                   /* this packet is missing but later ones are here: conceal,
				    * or recover it from jb_peek() with FEC */
	JB_UNDERRUN,               /* playing, but nothing has arrived: conceal */
	JB_EMPTY,                  /* not playing yet (filling up): play silence */
	JB_STRETCH,                /* running below target: conceal one frame, consume nothing */
	JB_SKIPPED,                /* a frame was left out to cut delay and the next is due
				    * before the deadline: wait for it, then pop again */
};

struct jb_stats {
	uint64_t late, dup, lost, overflow, drift_drops, stretches, underruns, resyncs;
};

struct jitter {
	struct jb_slot {
		bool used;
		struct jb_frame f;
	} slot[JB_SLOTS];
	unsigned clock;            /* RTP clock rate */
	unsigned min_ms, max_ms;
	enum { JB_IDLE, JB_BUFFERING, JB_PLAYING } state;
	uint16_t next;             /* sequence number to play next */
	uint16_t high;             /* highest sequence number buffered (if count) */
	unsigned count;            /* slots in use */
	uint64_t played;           /* bit i: next-1-i arrived in time (tells a duplicate from a
				    * late packet once its slot is gone) */

	unsigned frame_ms;         /* packet duration, learned from the timestamps */
	unsigned frame_ms_candidate, frame_ms_votes;
	int timing_pt;             /* only this payload type feeds the timing, -1 = any */
	bool have_last;            /* the last accepted packet, for the delay variation */
	uint16_t last_seq;
	uint32_t last_ts;
	int64_t last_arrival_us;
	double peak_ms;            /* fast-decaying peak of the delay variation */
	double held_ms;            /* slow-decaying height of spikes that came back */
	bool have_spike;
	double last_spike_ms;
	int64_t last_spike_us;
	unsigned target_ms;

	double avg_level_ms;       /* smoothed buffer level at pop time */
	unsigned since_adjust;     /* pops since the last drift drop or stretch */
	unsigned underrun_ms;      /* length of the current run of underruns */

	bool stray;                /* a far packet is on probation */
	uint16_t stray_next;
	const struct jb_frame *dropped; /* see jb_dropped */

	struct jb_stats st;
};

void jb_init(struct jitter *jb, unsigned clock_rate, unsigned min_ms, unsigned max_ms);
/* Forget all packets and timing (new source, new codec). Keeps the stats. */
void jb_reset(struct jitter *jb, unsigned clock_rate);
/* A new codec (re-INVITE): its RTP clock, and its payload type, the only one that feeds the
 * delay variation and the packet duration from now on (-1: any), since timestamps of two
 * codecs do not compare. Keeps the packets, the target and the playout position, so
 * what is buffered still plays. */
void jb_set_timing(struct jitter *jb, unsigned clock_rate, int pt);
/* arrival_us: receive time on any monotonic-enough microsecond clock. */
enum jb_put_result jb_put(struct jitter *jb, uint16_t seq, uint32_t ts, uint8_t pt, bool marker,
			  const uint8_t *payload, size_t len, int64_t arrival_us);
/* Take the next 20 ms (or one packet's worth). quiet: the audio just played was near
 * silence, so a drift correction now would not be heard. now_us: the time of this pop, on
 * the clock of jb_put's arrival_us (how long the newest packet has waited tells how soon
 * the next is due). due_us (>= now_us): until when the caller would wait for a packet
 * that is not here yet, putting what arrives; now_us if it would not. *out stays valid
 * until the next jb_put or jb_reset. */
enum jb_pop_result jb_pop(struct jitter *jb, bool quiet, int64_t now_us, int64_t due_us,
			  const struct jb_frame **out);
/* The packet the last jb_pop left out to cut delay (a drift drop), if it had arrived;
 * NULL otherwise. The caller decodes it and throws the sound away: a decoder that predicts
 * from its own past (Opus's SILK and CELT, G.722's ADPCM) and never sees a packet the
 * encoder sent drifts from the encoder's state; on a steady tone Opus then overshot to
 * full scale for a quarter of a second and beat for half a second more. Valid until the
 * next jb_pop, jb_put or jb_reset. */
const struct jb_frame *jb_dropped(const struct jitter *jb);
/* The packet that will be played next, if buffered (for FEC after JB_LOST). */
const struct jb_frame *jb_peek(const struct jitter *jb);
unsigned jb_target_ms(const struct jitter *jb);
/* The sequence number that would follow everything buffered or played (to queue a new
 * source's packets behind the old one's). */
uint16_t jb_end_seq(const struct jitter *jb);
unsigned jb_level_ms(const struct jitter *jb);
unsigned jb_frame_ms(const struct jitter *jb);

#endif
