#!/usr/bin/env python3
"""The lab relay's random impairments have the statistics they claim, and repeat exactly
for a seed (tests/lib/ttylab_relay.py, Impairer: the part that decides each packet's fate,
without sockets or clocks; tests/bench/bench_impair.py compares phones under them).

Each check runs 10 000 packets under a fixed seed, so its outcome is the same on every
run: the bounds are what a correct generator gives for any seed, not room for chance.
A share p of n = 10 000 packets has standard deviation sqrt(n p (1 - p)); the bounds are
4.5 of those either side of the mean (a correct generator falls outside for 1 seed in
about 150 000), so a wrong formula or a wrong generator fails and a right one never does.
"""

import math
import unittest

import ttylab  # noqa: F401  (puts tests/lib on the path like the other tests)
from ttylab_relay import Impairer, default_impairments

N = 10000
SEED = 7


def run(n=N, seed=SEED, direction="a2b", **settings):
    imp = default_impairments()
    imp.update(settings)
    fate = Impairer(seed, direction)
    return [fate.rtp(imp) for _ in range(n)]


def bound(p, n=N, sigmas=4.5):
    """(low, high) for the count of events of probability p in n tries."""
    sd = math.sqrt(n * p * (1.0 - p))
    return n * p - sigmas * sd, n * p + sigmas * sd


def loss_runs(fates):
    runs, cur = [], 0
    for dropped, _, _, _ in fates:
        if dropped:
            cur += 1
        elif cur:
            runs.append(cur)
            cur = 0
    if cur:
        runs.append(cur)
    return runs


class RelayStatistics(unittest.TestCase):
    def test_independent_loss_is_binomial(self):
        fates = run(loss=10)
        lost = sum(1 for f in fates if f[0])
        lo, hi = bound(0.10)                       # 865 .. 1135
        self.assertTrue(lo <= lost <= hi, "%d of %d lost at 10 %%, expected %.0f-%.0f"
                        % (lost, N, lo, hi))
        # Independent, not bursts: two in a row happen (about N p^2 = 100 times).
        runs = loss_runs(fates)
        self.assertGreater(max(runs), 1, "10 %% independent loss never lost two in a row")

    def test_burst_loss_is_runs_of_exactly_k_at_the_asked_share(self):
        for k in (2, 3, 5):
            fates = run(loss=10, loss_burst=k)
            runs = loss_runs(fates)
            self.assertEqual(set(runs), {k}, "loss_burst=%d gave runs %s" % (
                k, sorted(set(runs))))
            # Bursts start with p = L / (K (1 - L)) among the packets that may start one;
            # their count is binomial in those packets (about N - lost - bursts of them).
            p = Impairer.start_probability(10, k)
            eligible = N - len(runs) * (k + 1)
            lo, hi = bound(p, eligible)
            self.assertTrue(lo <= len(runs) <= hi, "loss_burst=%d: %d bursts, expected "
                            "%.0f-%.0f" % (k, len(runs), lo, hi))
            share = 100.0 * sum(runs) / N        # follows from the two checks above
            self.assertTrue(8.0 <= share <= 12.0, "loss_burst=%d lost %.1f %%, asked 10"
                            % (k, share))

    def test_start_probability_gives_the_asked_share(self):
        # The expected share of the renewal process (K lost, one passes, geometric wait).
        for loss in (1, 5, 10, 30):
            for k in (1, 2, 3, 8):
                p = Impairer.start_probability(loss, k)
                share = p if k == 1 else k * p / (k * p + 1.0)
                self.assertAlmostEqual(100.0 * share, loss, places=9, msg=(loss, k))

    def test_jitter_is_uniform_in_its_range(self):
        delays = [f[1] for f in run(jitter_ms=40)]
        self.assertGreaterEqual(min(delays), 0.0)
        self.assertLessEqual(max(delays), 40.0)
        # Uniform 0..40: mean 20, sd 40/sqrt(12); the mean of N within 4.5 sd / sqrt(N).
        tol = 4.5 * (40.0 / math.sqrt(12.0)) / math.sqrt(N)
        mean = sum(delays) / N
        self.assertLess(abs(mean - 20.0), tol, "mean jitter %.2f ms" % mean)
        # Each tenth of the range holds about a tenth of the packets.
        for b in range(10):
            n = sum(1 for d in delays if 4.0 * b <= d < 4.0 * (b + 1))
            lo, hi = bound(0.1)
            self.assertTrue(lo <= n <= hi, "%d packets in %d-%d ms" % (n, 4 * b, 4 * b + 4))

    def test_reorder_and_duplicate_shares_are_binomial(self):
        fates = run(loss=2, reorder=5, reorder_ms=30, duplicate=3)
        passed = [f for f in fates if not f[0]]
        held = [f for f in passed if f[2]]
        dup = [f for f in passed if f[3] is not None]
        for what, got, p in (("held back", len(held), 0.05), ("duplicated", len(dup), 0.03)):
            lo, hi = bound(p, len(passed))
            self.assertTrue(lo <= got <= hi, "%s: %d of %d, expected %.0f-%.0f" % (
                what, got, len(passed), lo, hi))
        self.assertTrue(all(f[1] == 30.0 for f in held), "held back by other than 30 ms")
        self.assertTrue(all(f[1] == 0.0 for f in passed if not f[2]))

    def test_same_seed_same_fates_whatever_else_is_on(self):
        a = run(loss=5, jitter_ms=40)
        self.assertEqual(a, run(loss=5, jitter_ms=40), "a seed does not repeat")
        # Reordering and duplicates draw from their own sequences: turning them on does
        # not move the loss pattern. (Loss, jitter and RTCP share one generator, as the
        # relay always had, so the seeded integration tests keep their packet fates.)
        lost = [f[0] for f in run(loss=5)]
        self.assertEqual(lost, [f[0] for f in run(loss=5, reorder=10, duplicate=10)])
        self.assertNotEqual(lost, [f[0] for f in run(loss=5, seed=SEED + 1)])
        self.assertNotEqual(lost, [f[0] for f in run(loss=5, direction="b2a")],
                            "the two directions lose the same packets")


if __name__ == "__main__":
    unittest.main()
