/* test_webrtc_ring.c: the SPSC packet ring between the media thread and the ice thread.
 * A producer and a consumer thread pass a million packets of varying length through a
 * 64-slot ring: none is lost, duplicated, reordered or changed, the consumer sleeps on the
 * eventfd and is never left asleep with a packet waiting, and a full ring refuses a packet
 * at once (the producer counts the refusals and tries again) instead of blocking. */
#include "unit.h"
#include "media/webrtc/pkt_ring.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define SLOTS 64
#define SLOT_BYTES 1700
#define NPKT 1000000u

/* Packet n: n itself in its first 4 bytes, then bytes that depend on n, of a length that
 * varies with n (and every 1000th fills a whole slot). */
static size_t pkt_len(uint32_t n)
{
	return n % 1000 == 999 ? SLOT_BYTES : 4 + (n * 7u) % 180;
}

static void fill(uint8_t *p, uint32_t n)
{
	size_t len = pkt_len(n);

	memcpy(p, &n, 4);
	for (size_t i = 4; i < len; i++)
		p[i] = (uint8_t)(n + i * 13);
}

static bool same(const uint8_t *p, size_t len, uint32_t n)
{
	uint32_t got;

	if (len != pkt_len(n))
		return false;
	memcpy(&got, p, 4);
	if (got != n)
		return false;
	for (size_t i = 4; i < len; i++)
		if (p[i] != (uint8_t)(n + i * 13))
			return false;
	return true;
}

struct run {
	struct pkt_ring *r;
	uint64_t refused;          /* pushes the full ring refused (the producer retried) */
};

static void *producer(void *arg)
{
	struct run *run = arg;
	uint8_t buf[SLOT_BYTES];

	for (uint32_t n = 0; n < NPKT; n++) {
		int rc;

		fill(buf, n);
		/* alternately the copying push and the zero-copy reserve/commit */
		if (n & 1) {
			while ((rc = pkt_ring_push(run->r, buf, pkt_len(n), (int64_t)n)) == ENOBUFS) {
				run->refused++;
				sched_yield();
			}
			if (rc != 0)
				return NULL;
		} else {
			uint8_t *slot;

			while (!(slot = pkt_ring_reserve(run->r))) {
				run->refused++;
				sched_yield();
			}
			memcpy(slot, buf, pkt_len(n));
			pkt_ring_commit(run->r, pkt_len(n), (int64_t)n);
		}
	}
	return NULL;
}

static void test_ring_passes_a_million_packets_in_order_between_threads(void)
{
	struct run run = { 0 };
	pthread_t th;
	uint32_t next = 0;
	unsigned bad = 0, sleeps = 0, lost_wakeups = 0;

	CHECK_INT(pkt_ring_alloc(&run.r, SLOTS, SLOT_BYTES), 0);
	if (!run.r)
		return;
	CHECK_INT(pthread_create(&th, NULL, producer, &run), 0);
	while (next < NPKT) {
		size_t len;
		int64_t t;
		const uint8_t *p = pkt_ring_peek(run.r, &len, &t);

		if (!p) {
			/* How the media thread and the ice thread wait: clear, look again,
			 * sleep on the fd. A lost wake-up would sleep the whole timeout. */
			struct pollfd pfd = { .fd = pkt_ring_fd(run.r), .events = POLLIN };

			pkt_ring_clear_wake(run.r);
			if (pkt_ring_peek(run.r, NULL, NULL))
				continue;
			sleeps++;
			if (poll(&pfd, 1, 5000) == 0)
				lost_wakeups++;
			continue;
		}
		if (!same(p, len, next) || t != (int64_t)next)
			bad++;
		pkt_ring_pop(run.r);
		next++;
	}
	CHECK_INT(pthread_join(th, NULL), 0);
	CHECK_INT(next, NPKT);
	CHECK_INT(bad, 0);
	CHECK_INT(lost_wakeups, 0);
	CHECK(pkt_ring_peek(run.r, NULL, NULL) == NULL);
	/* every refusal was counted as a drop, and none was a packet lost */
	CHECK_INT(pkt_ring_dropped(run.r), run.refused);
	printf("     %u packets, %llu refusals while full, consumer slept %u times\n", NPKT,
	       (unsigned long long)run.refused, sleeps);
	pkt_ring_free(run.r);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_full_ring_refuses_at_once_and_takes_again_after_a_pop(void)
{
	struct pkt_ring *r;
	uint8_t b[16] = { 1, 2, 3 };
	double t0;
	size_t len;
	int64_t t;
	const uint8_t *p;

	CHECK_INT(pkt_ring_alloc(&r, 8, 100), 0);
	if (!r)
		return;
	for (int i = 0; i < 8; i++) {
		b[0] = (uint8_t)i;
		CHECK_INT(pkt_ring_push(r, b, sizeof(b), i), 0);
	}
	CHECK_INT(pkt_ring_count(r), 8);
	t0 = now_s();
	CHECK_INT(pkt_ring_push(r, b, sizeof(b), 8), ENOBUFS);
	CHECK(pkt_ring_reserve(r) == NULL);
	CHECK(now_s() - t0 < 0.1);         /* refused, not waited */
	CHECK_INT(pkt_ring_dropped(r), 2);
	p = pkt_ring_peek(r, &len, &t);
	CHECK(p && p[0] == 0 && len == sizeof(b) && t == 0);
	pkt_ring_pop(r);
	b[0] = 99;
	CHECK_INT(pkt_ring_push(r, b, sizeof(b), 99), 0);
	for (int i = 1; i < 8; i++) {
		p = pkt_ring_peek(r, &len, &t);
		CHECK(p && p[0] == i && t == i);
		pkt_ring_pop(r);
	}
	p = pkt_ring_peek(r, &len, &t);
	CHECK(p && p[0] == 99 && t == 99);
	pkt_ring_pop(r);
	CHECK(pkt_ring_peek(r, NULL, NULL) == NULL);
	pkt_ring_pop(r);                   /* a pop of nothing does nothing */
	CHECK_INT(pkt_ring_count(r), 0);
	pkt_ring_free(r);
}

static void test_packet_longer_than_a_slot_is_refused(void)
{
	struct pkt_ring *r;
	uint8_t b[101] = { 0 };

	CHECK_INT(pkt_ring_alloc(&r, 4, 100), 0);
	if (!r)
		return;
	CHECK_INT(pkt_ring_slot_bytes(r), 100);
	CHECK_INT(pkt_ring_push(r, b, sizeof(b), 0), EMSGSIZE);
	CHECK_INT(pkt_ring_push(r, b, 100, 0), 0);
	CHECK_INT(pkt_ring_dropped(r), 1);
	CHECK_INT(pkt_ring_count(r), 1);
	pkt_ring_free(r);
}

static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0);
}

static void test_fd_is_readable_from_a_commit_until_cleared(void)
{
	struct pkt_ring *r;
	uint8_t b[4] = { 0 };

	CHECK_INT(pkt_ring_alloc(&r, 4, 8), 0);
	if (!r)
		return;
	CHECK_INT(readable(pkt_ring_fd(r)), 0);
	CHECK_INT(pkt_ring_push(r, b, sizeof(b), 0), 0);
	CHECK_INT(pkt_ring_push(r, b, sizeof(b), 0), 0);
	CHECK_INT(readable(pkt_ring_fd(r)), 1);
	pkt_ring_clear_wake(r);
	CHECK_INT(readable(pkt_ring_fd(r)), 0);
	pkt_ring_clear_wake(r);            /* clearing a clear fd is harmless */
	CHECK_INT(pkt_ring_count(r), 2);   /* clearing the wake leaves the packets */
	pkt_ring_free(r);
}

static void test_alloc_refuses_bad_sizes(void)
{
	struct pkt_ring *r = (struct pkt_ring *)&r;

	CHECK_INT(pkt_ring_alloc(&r, 0, 100), EINVAL);
	CHECK(r == NULL);
	CHECK_INT(pkt_ring_alloc(&r, 1, 100), EINVAL);
	CHECK_INT(pkt_ring_alloc(&r, 48, 100), EINVAL);
	CHECK_INT(pkt_ring_alloc(&r, PKT_RING_MAX_SLOTS * 2, 100), EINVAL);
	CHECK_INT(pkt_ring_alloc(&r, 64, 0), EINVAL);
	CHECK_INT(pkt_ring_alloc(&r, 64, PKT_RING_MAX_BYTES + 1), EINVAL);
	pkt_ring_free(NULL);
}

int main(void)
{
	RUN(test_ring_passes_a_million_packets_in_order_between_threads);
	RUN(test_full_ring_refuses_at_once_and_takes_again_after_a_pop);
	RUN(test_packet_longer_than_a_slot_is_refused);
	RUN(test_fd_is_readable_from_a_commit_until_cleared);
	RUN(test_alloc_refuses_bad_sizes);
	return unit_done();
}
