#!/usr/bin/env python3
"""Crash test of the history: alice sends and receives messages and places calls to bob
(who answers by himself) and is SIGKILLed at a random moment, many times over. After each
restart, everything alice had printed before the kill must be in her history:

- every message_sent (its body), every message_status (its code) and every incoming
  message (its body);
- every call she reported ended (its code and reason), and every call she reported
  established (answered is set).

The kill lands anywhere: during a commit, between a commit and the print, while idle, or
right after a message_status or a call's end was printed.
Seeded: TTY_CRASH_SEED=N and TTY_CRASH_ROUNDS=N repeat or stretch a run. Bounded to about
a minute whatever happens."""

import os
import random
import sys
import time

import ttylab
from ttylab import Phone

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")

SEED = int(os.environ.get("TTY_CRASH_SEED", "6061"))
ROUNDS = int(os.environ.get("TTY_CRASH_ROUNDS", "20"))
BUDGET_S = 50.0          # stop starting new rounds after this (the whole test stays < 60 s)


class Round:
    """What alice printed during one life, read from her events after the kill."""

    def __init__(self, events, first_call_row):
        self.first_call_row = first_call_row   # history ids above this are this round's
        self.sent = {}          # cookie -> body
        self.status = {}        # cookie -> code
        self.received = []      # bodies
        self.calls = []         # [{"established": bool, "ended": (code, reason) or None}]
        by_id = {}
        for ev in events:
            kind = ev["event"]
            if kind == "message_sent":
                self.sent[ev["msg"]] = ev["body"]
            elif kind == "message_status":
                self.status[ev["msg"]] = ev["code"]
            elif kind == "message":
                self.received.append(ev["body"])
            elif kind == "call":
                c = by_id.get(ev["id"])
                if c is None:
                    c = by_id[ev["id"]] = {"established": False, "ended": None}
                    self.calls.append(c)
                if ev["state"] == "established":
                    c["established"] = True
                elif ev["state"] == "ended":
                    c["ended"] = (ev["code"], ev["reason"])


class CrashHistory(ttylab.LabTestCase):

    def history_of(self, a):
        calls = a.command("history 1000", event="history", timeout=15)["calls"]
        msgs = a.command("messages bob 500", event="messages", timeout=15)["messages"]
        return sorted(calls, key=lambda c: c["id"]), msgs

    def check(self, rnd_no, r, calls, msgs, counts):
        """Everything round r printed is in the history read after the restart."""
        where = "round %d (seed %d)" % (rnd_no, SEED)
        out = {m["body"]: m for m in msgs if m["direction"] == "out"}
        inc = {m["body"] for m in msgs if m["direction"] == "in"}
        for cookie, body in r.sent.items():
            self.assertIn(body, out, "%s: sent message %r not in history" % (where, body))
            counts["sent"] += 1
        for cookie, code in r.status.items():
            row = out.get(r.sent.get(cookie))
            self.assertIsNotNone(row, "%s: message %d has a status but no row" % (where, cookie))
            self.assertEqual(row["code"], code, "%s: message %d: %r" % (where, cookie, row))
            counts["status"] += 1
        for body in r.received:
            self.assertIn(body, inc, "%s: received message %r not in history" % (where, body))
            counts["received"] += 1
        rows = [c for c in calls if c["id"] > r.first_call_row]
        # at most one call more than printed: started and committed, killed before the print
        self.assertIn(len(rows) - len(r.calls), (0, 1), "%s: %r vs %r" % (where, rows, r.calls))
        for row, printed in zip(rows, r.calls):
            if printed["established"]:
                self.assertIsNotNone(row["answered"], "%s: %r" % (where, row))
                counts["answered"] += 1
            if printed["ended"]:
                self.assertIsNotNone(row["ended"], "%s: %r" % (where, row))
                self.assertEqual((row["code"], row["reason"]), printed["ended"],
                                 "%s: %r" % (where, row))
                counts["ended"] += 1

    def test_everything_printed_before_a_kill_is_in_the_history(self):
        rnd = random.Random(SEED)
        t0 = time.monotonic()
        bob = self.lab.phone("bob", auto_answer=True, rtp_timeout=2)
        bob.wait_event(event="reg", state="registered")
        cfg = self.lab.config("alice")
        workdir = os.path.join(self.lab.dir, "phone-alice-crash")
        counts = dict(sent=0, status=0, received=0, answered=0, ended=0)
        pending = None          # (round number, Round) to check at the next start
        rounds = 0
        kills_mid_call = kills_on_event = 0
        while True:
            last = rounds >= ROUNDS or time.monotonic() - t0 > BUDGET_S
            self.lab.kam.ul_rm("alice")   # the dead alice's binding
            a = Phone(cfg, name="alice-%d" % rounds, workdir=workdir)
            self.lab.phones.append(a)
            a.wait_event(event="reg", state="registered")
            calls, msgs = self.history_of(a)
            self.assertNotIn("history:", a.stderr_text())
            if pending:
                self.check(pending[0], pending[1], calls, msgs, counts)
            if last:
                self.assertEqual(a.quit(), 0)
                a.assert_clean()
                break
            first_row = max([c["id"] for c in calls] or [0])
            mark = a.mark()
            kill_at = time.monotonic() + rnd.uniform(0.05, 1.5)
            n = 0
            in_call = False
            while time.monotonic() < kill_at:
                n += 1
                what = rnd.random()
                if what < 0.45:
                    a.send("msg bob r%d-out%d %s" % (rounds, n, "x" * rnd.randrange(0, 300)))
                elif what < 0.65:
                    bob.send("msg alice r%d-in%d" % (rounds, n))
                elif not in_call:
                    # one call at a time: a new one once the last one has ended
                    if not a.find_events(since=mark, event="call", state=("calling",)) or \
                            len(a.find_events(since=mark, event="call", state="ended")) == \
                            len(a.find_events(since=mark, event="call", state="calling")):
                        a.send("call bob")
                        in_call = True
                else:
                    a.send("hangup")
                    in_call = False
                time.sleep(rnd.uniform(0.0, 0.12))
            if rnd.random() < 0.3:
                # kill right on the heels of an event: the print just happened, so the
                # commit must already have
                now = a.mark()
                if in_call and rnd.random() < 0.5:
                    a.send("hangup")
                    in_call = False
                    match = dict(event="call", state="ended")
                else:
                    a.send("msg bob r%d-last" % rounds)
                    match = dict(event="message_status")
                try:
                    a.wait_event(timeout=3, since=now, **match)
                except AssertionError:
                    pass
                kills_on_event += 1
            kills_mid_call += in_call
            a.kill()
            a._reader.join(5)      # every line it printed before dying is read
            r = Round(a.events[mark:], first_row)
            self.assertTrue(a.protocol_errors == [], a.protocol_errors)
            pending = (rounds, r)
            rounds += 1
        total = sum(counts.values())
        sys.stderr.write("crash test: seed %d, %d rounds (%d killed mid-call, %d right after "
                         "an event) in %.1f s; records checked: %d (%s)\n" % (
                             SEED, rounds, kills_mid_call, kills_on_event,
                             time.monotonic() - t0, total,
                             ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
        self.assertGreaterEqual(rounds, min(ROUNDS, 10))
        self.assertGreater(counts["status"], 0)
        self.assertGreater(counts["ended"], 0)


if __name__ == "__main__":
    ttylab.main()
