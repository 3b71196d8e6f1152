/* pkt_ring.h: a single-producer, single-consumer ring of datagrams between two threads,
 * over slots allocated once (nothing allocated, no lock taken, nothing waited for per
 * packet), with an eventfd that becomes readable when a packet was committed, so that the
 * consumer can sleep in poll/ppoll or a GMainContext until there is work.
 *
 * One thread produces (reserve/commit or push), one consumes (peek/pop): these may be
 * different threads from one call to the next only if the caller orders the hand-over
 * (a thread join does). A full ring refuses the packet and counts it: the producer never
 * waits for the consumer. Each packet carries the time it arrived (the producer's clock;
 * for the ICE rings CLOCK_MONOTONIC in microseconds). */
#ifndef TTY_WEBRTC_PKT_RING_H
#define TTY_WEBRTC_PKT_RING_H

#include <stddef.h>
#include <stdint.h>

#define PKT_RING_MAX_SLOTS 4096
#define PKT_RING_MAX_BYTES 65535   /* largest slot: a UDP datagram */

struct pkt_ring;

/* A ring of slots (a power of two, 2..PKT_RING_MAX_SLOTS) packets of up to slot_bytes
 * (1..PKT_RING_MAX_BYTES) each. Returns 0, or EINVAL, ENOMEM, or the eventfd's errno. */
int pkt_ring_alloc(struct pkt_ring **rp, unsigned slots, size_t slot_bytes);
/* Once neither side uses it any more. NULL is fine. */
void pkt_ring_free(struct pkt_ring *r);

/* Producer: the next free slot (pkt_ring_slot_bytes() long) to write a packet into, or
 * NULL when the ring is full (the packet is counted as dropped). Reserving again without
 * a commit returns the same slot. */
uint8_t *pkt_ring_reserve(struct pkt_ring *r);
/* Producer: publish the reserved slot as a packet of len bytes (<= slot bytes) that arrived
 * at t_us, and wake the consumer. */
void pkt_ring_commit(struct pkt_ring *r, size_t len, int64_t t_us);
/* Producer: copy pkt[len] in and commit. 0, ENOBUFS (full: dropped and counted) or
 * EMSGSIZE (longer than a slot: dropped and counted). */
int pkt_ring_push(struct pkt_ring *r, const void *pkt, size_t len, int64_t t_us);

/* Consumer: the oldest packet (its length and arrival time in *len and *t_us, either may
 * be NULL), valid until pkt_ring_pop; NULL when the ring is empty. */
const uint8_t *pkt_ring_peek(struct pkt_ring *r, size_t *len, int64_t *t_us);
/* Consumer: let the slot that peek returned go back to the producer. */
void pkt_ring_pop(struct pkt_ring *r);
/* Consumer: the eventfd, readable once a packet has been committed since the last
 * pkt_ring_clear_wake. Watch it for POLLIN; never read it directly. */
int pkt_ring_fd(const struct pkt_ring *r);
/* Consumer: make the fd unreadable again. Call it before draining the ring, never after:
 * a packet committed after the drain then leaves the fd readable, so no wake-up is lost. */
void pkt_ring_clear_wake(struct pkt_ring *r);

size_t pkt_ring_slot_bytes(const struct pkt_ring *r);
/* Any thread: packets waiting (a snapshot), and packets refused so far (full, too long). */
unsigned pkt_ring_count(const struct pkt_ring *r);
uint64_t pkt_ring_dropped(const struct pkt_ring *r);

#endif
