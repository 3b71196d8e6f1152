/* pkt_ring.c: the SPSC datagram ring. Indices run freely (unsigned wrap-around) and are
 * masked into the slot array: head is written by the producer only, tail by the consumer
 * only, each on its own cache line so that the two threads do not bounce one line at every
 * packet. A slot's contents are published by the release store of head and handed back by
 * the release store of tail; the other side reads the index with acquire.
 *
 * Waking: every commit adds 1 to a non-blocking eventfd. That costs the producer one
 * write(2) per packet (50 a second each way in a call), and is correct without a second
 * thought: the consumer clears the fd before draining, so whatever is committed after the
 * drain's last look leaves the fd readable. Waking only on "ring was empty" would save the
 * syscall but needs a store-load fence on both sides (the producer's empty test and the
 * consumer's last look can each miss the other's store). */
#include "media/webrtc/pkt_ring.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CACHE_LINE 64

struct slot_hdr {
	uint32_t len;
	int64_t t_us;
};

struct pkt_ring {
	/* Set at alloc, read-only after. */
	unsigned mask;
	size_t slot_bytes;         /* payload room per slot */
	size_t stride;             /* header + payload, rounded up to a cache line */
	uint8_t *slots;
	int efd;

	/* Producer's line. */
	alignas(CACHE_LINE) atomic_uint head;
	unsigned tail_seen;        /* the consumer's tail as last read: a full-looking ring
				    * is checked again, an empty-looking one is not */
	atomic_uint_fast64_t dropped;

	/* Consumer's line. */
	alignas(CACHE_LINE) atomic_uint tail;
	unsigned head_seen;
};

static struct slot_hdr *hdr_at(const struct pkt_ring *r, unsigned i)
{
	return (struct slot_hdr *)(r->slots + (size_t)(i & r->mask) * r->stride);
}

static uint8_t *data_at(const struct pkt_ring *r, unsigned i)
{
	return (uint8_t *)hdr_at(r, i) + sizeof(struct slot_hdr);
}

int pkt_ring_alloc(struct pkt_ring **rp, unsigned slots, size_t slot_bytes)
{
	struct pkt_ring *r;
	size_t stride;

	*rp = NULL;
	if (slots < 2 || slots > PKT_RING_MAX_SLOTS || (slots & (slots - 1)) != 0 ||
	    slot_bytes == 0 || slot_bytes > PKT_RING_MAX_BYTES)
		return EINVAL;
	stride = (sizeof(struct slot_hdr) + slot_bytes + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
	r = aligned_alloc(CACHE_LINE, (sizeof(*r) + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1));
	if (!r)
		return ENOMEM;
	memset(r, 0, sizeof(*r));
	r->mask = slots - 1;
	r->slot_bytes = slot_bytes;
	r->stride = stride;
	r->slots = aligned_alloc(CACHE_LINE, stride * slots);
	if (!r->slots) {
		free(r);
		return ENOMEM;
	}
	/* Touch every slot now, so the first packets do not fault pages in on the media
	 * thread. */
	memset(r->slots, 0, stride * slots);
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0) {
		int e = errno;

		free(r->slots);
		free(r);
		return e;
	}
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	*rp = r;
	return 0;
}

void pkt_ring_free(struct pkt_ring *r)
{
	if (!r)
		return;
	if (r->efd >= 0)
		close(r->efd);
	free(r->slots);
	free(r);
}

uint8_t *pkt_ring_reserve(struct pkt_ring *r)
{
	unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (h - r->tail_seen > r->mask) {
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h - r->tail_seen > r->mask) {
			atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
			return NULL;
		}
	}
	return data_at(r, h);
}

void pkt_ring_commit(struct pkt_ring *r, size_t len, int64_t t_us)
{
	unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct slot_hdr *s = hdr_at(r, h);
	uint64_t one = 1;

	s->len = (uint32_t)(len <= r->slot_bytes ? len : r->slot_bytes);
	s->t_us = t_us;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	if (write(r->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is at its maximum, so the fd is readable anyway. The fd
		 * is ours and the buffer 8 bytes: nothing else can fail. */
	}
}

int pkt_ring_push(struct pkt_ring *r, const void *pkt, size_t len, int64_t t_us)
{
	uint8_t *d;

	if (len > r->slot_bytes) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return EMSGSIZE;
	}
	d = pkt_ring_reserve(r);
	if (!d)
		return ENOBUFS;
	memcpy(d, pkt, len);
	pkt_ring_commit(r, len, t_us);
	return 0;
}

const uint8_t *pkt_ring_peek(struct pkt_ring *r, size_t *len, int64_t *t_us)
{
	unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	const struct slot_hdr *s;

	if (t == r->head_seen) {
		r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
		if (t == r->head_seen)
			return NULL;
	}
	s = hdr_at(r, t);
	if (len)
		*len = s->len;
	if (t_us)
		*t_us = s->t_us;
	return data_at(r, t);
}

void pkt_ring_pop(struct pkt_ring *r)
{
	unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (t != r->head_seen)
		atomic_store_explicit(&r->tail, t + 1, memory_order_release);
}

int pkt_ring_fd(const struct pkt_ring *r)
{
	return r->efd;
}

void pkt_ring_clear_wake(struct pkt_ring *r)
{
	uint64_t n;

	/* One read takes the whole counter. */
	if (read(r->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing was committed since the last clear. */
	}
}

size_t pkt_ring_slot_bytes(const struct pkt_ring *r)
{
	return r->slot_bytes;
}

unsigned pkt_ring_count(const struct pkt_ring *r)
{
	unsigned t = atomic_load_explicit(&r->tail, memory_order_acquire);
	unsigned h = atomic_load_explicit(&r->head, memory_order_acquire);

	/* tail is read first, so the producer may have refilled what was popped since:
	 * never more than the ring holds. */
	return h - t <= r->mask + 1 ? h - t : r->mask + 1;
}

uint64_t pkt_ring_dropped(const struct pkt_ring *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}
