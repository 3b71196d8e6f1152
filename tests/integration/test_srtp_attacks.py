#!/usr/bin/env python3
"""SRTP under attack in the media path. Kamailio routes the media of an SRTP call (srtp =
mandatory on both phones) through the lab's relay (tests/lib/ttylab_relay.py), which
attacks what alice sends to bob: first it flips one bit in 1 packet in 25 (`tamper`),
then it sends 1 packet in 25 a second time 200 ms later (`replay`).

bob must drop every attacked packet: its `stats` show srtp_dropped equal to what the
relay tampered with by the first stats event, then growing by what it replayed by the
second, while alice (not attacked) drops nothing. And nothing of the attack is heard:
bob's recording of alice's 1019 Hz tone keeps its frequency and level with no gap, the
energy left once the tone is removed (all that lies more than ~50 Hz from it) stays far
below the tone, and there are no clicks (no second difference of the waveform much
larger than the tone's own).

PCMA, because its concealment of a dropped packet is clean, so that anything let through
would stand out; the control test shows that the same checks do hear the tampered
packets when there is no SRTP to drop them.
"""

import os

import ttylab
from ttylab import analyze, read_wav, write_tone
from ttylab_relay import tone_damage

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")

TONE_HZ = 1019.0
TONE_DBFS = -9.0
EVERY = 25                  # attack 1 packet in 25 (2 a second)
CODEC = "pcma"
STATS_KEYS = ("recv", "lost", "late", "concealed_ms", "srtp_dropped", "jb_ms")
# The longest silence allowed in what either side heard (relaxed under ASan only,
# ttylab.max_gap_ms says why; seen there: 50 ms with bob's jitter buffer at 104 ms). The
# attack itself never makes a silence: it drops one packet in 25, concealed.
MAX_GAP_MS = ttylab.max_gap_ms(40.0)


class SrtpAttacks(ttylab.LabTestCase):
    lab_args = {"rtpproxy": True}

    def tone(self):
        path = self.lab.path("tone.wav")
        if not os.path.exists(path):
            write_tone(path, freq=TONE_HZ, seconds=5.0, rate=48000, amplitude=0.5)
        return path

    def phones(self, srtp, attempt):
        rec = {u: self.lab.path("%s-%s-%d.wav" % (u, srtp, attempt))
               for u in ("alice", "bob")}
        a = self.lab.phone("alice", codecs=CODEC, srtp=srtp, backend="file",
                           input=self.tone(), output=rec["alice"])
        b = self.lab.phone("bob", codecs=CODEC, srtp=srtp, backend="file",
                           input=self.tone(), output=rec["bob"], auto_answer=True)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        return a, b, rec

    def call(self, a, b, srtp):
        a.send("call bob")
        est = a.wait_event(event="call", state="established")
        inc = b.wait_event(event="call", state="established")
        for p, cid in ((a, est["id"]), (b, inc["id"])):
            media = p.wait_event(event="media", id=cid, since=0)
            self.assertEqual(media["codec"], CODEC, media)
            self.assertEqual(media["srtp"], srtp, media)
        self.lab.relay.wait_flowing(packets=5)
        return est["id"], inc["id"]

    def hang_up(self, a, b):
        a.send("hangup")
        b.wait_event(event="call", state="ended")
        for p in (b, a):
            p.quit()
        self.lab.phones.clear()

    def attacked_call(self, attempt):
        relay = self.lab.relay
        relay.clear()
        relay.reset_counters()
        a, b, rec = self.phones("mandatory", attempt)
        relay.set("a2b", tamper=EVERY)
        aid, bid = self.call(a, b, True)
        # stats come every 5 s: the first while tampering, the second while replaying
        s1 = b.wait_event(event="stats", id=bid, timeout=12)
        c1 = relay.counters("a2b")
        relay.set("a2b", tamper=0, replay=EVERY, replay_delay_ms=200)
        s2 = b.wait_event(event="stats", id=bid, timeout=12)
        c2 = relay.counters("a2b")
        relay.clear()
        alice_stats = a.find_events(event="stats", id=aid)
        self.hang_up(a, b)
        return {"s1": {k: s1[k] for k in STATS_KEYS}, "c1": c1,
                "s2": {k: s2[k] for k in STATS_KEYS}, "c2": c2,
                "alice": [{k: s[k] for k in STATS_KEYS} for s in alice_stats],
                "rec": rec, "stalls": relay.stalls(), "describe": relay.describe()}

    def test_tampered_then_replayed_packets_are_dropped_and_not_heard(self):
        for attempt in (1, 2):
            m = self.attacked_call(attempt)
            try:
                self.check(m)
                return
            except AssertionError as e:
                # A machine that stalled (measured by the relay) may be what the checks
                # saw: then once more. Under ASan the stalls are mostly inside the phones,
                # where the relay cannot see them: there, once more in any case.
                if attempt == 2 or not (m["stalls"] or ttylab.sanitized()):
                    raise
                print("note: call %d failed while this machine stalled (%s): %s\n"
                      "trying again" % (attempt, m["stalls"], str(e).splitlines()[0]))

    def check(self, m):
        s1, c1, s2, c2 = m["s1"], m["c1"], m["s2"], m["c2"]
        print("bob while tampered: %s; relay: tampered %d" % (s1, c1["tampered"]))
        print("bob while replayed: %s; relay: tampered %d replayed %d" % (
            s2, c2["tampered"], c2["replayed"]))
        print("alice: %s" % m["alice"])
        what = "\nbob's stats: tampering %s, replaying %s\nalice's stats %s\n%s%s" % (
            s1, s2, m["alice"], m["describe"],
            "\nmachine stalls: " + m["stalls"] if m["stalls"] else "")
        # tamper: every altered packet fails authentication
        self.assertGreater(c1["tampered"], 0, "the relay altered nothing" + what)
        self.assertGreater(s1["srtp_dropped"], 0, "tampered packets not dropped" + what)
        self.assertLessEqual(abs(s1["srtp_dropped"] - c1["tampered"]), 2,
                             "srtp_dropped does not match the tampered packets" + what)
        # replay: every copy is refused, the count grows with the attack
        self.assertGreater(c2["replayed"], 0, "the relay replayed nothing" + what)
        self.assertGreater(s2["srtp_dropped"], s1["srtp_dropped"],
                           "srtp_dropped did not grow with the replays" + what)
        self.assertLessEqual(abs(s2["srtp_dropped"] - c2["tampered"] - c2["replayed"]), 2,
                             "srtp_dropped does not match tampered + replayed" + what)
        # a dropped tampered packet is a lost one; a dropped replay is not
        self.assertLessEqual(abs(s2["lost"] - c2["tampered"]), 2, what)
        self.assertGreater(s2["concealed_ms"], 0, what)
        # the other direction was not attacked
        self.assertTrue(m["alice"], "alice reported no stats" + what)
        self.assertEqual(max(s["srtp_dropped"] for s in m["alice"]), 0,
                         "alice dropped packets nobody attacked" + what)
        # nothing of the attack is heard
        for user, path in m["rec"].items():
            a = analyze(path)
            w = read_wav(path)
            dmg = tone_damage(w.samples, w.rate, TONE_HZ)
            print("%s heard: %s; %s" % (user, {k: (round(v, 1) if isinstance(v, float)
                                                   else v) for k, v in a.items()
                                               if k != "gaps"}, dmg))
            heard = "%s's recording %s: %s gaps %s\ndamage %s%s" % (
                user, path, {k: v for k, v in a.items() if k != "gaps"}, a["gaps"], dmg,
                what)
            self.assertLess(abs(a["freq"] - TONE_HZ) / TONE_HZ, 0.01, heard)
            self.assertLess(abs(a["rms_dbfs"] - TONE_DBFS), 3.0, heard)
            self.assertLessEqual(a["longest_gap_ms"], MAX_GAP_MS, heard)
            if user == "alice" and ttylab.sanitized():
                # Under ASan the caller's media starts ~300 ms after the callee's (its 200 OK
                # handling is that much slower), so alice's jitter buffer begins with a
                # backlog and, as designed, drops one 20 ms frame each 500 ms to catch up:
                # a phase jump in the tone each time, which these two checks hear. That is
                # the direction nobody attacks (alice's srtp_dropped is 0, checked above);
                # bob's ear, the one under attack, keeps every check.
                continue
            self.assertLess(dmg["residual_db"], -20.0,
                            "energy away from the tone: garbage got through: " + heard)
            self.assertLess(dmg["click_ratio"], 3.0, "clicks: " + heard)

    def test_control_without_srtp_the_tampering_is_heard(self):
        """The checks above are not blind: on plain RTP the same tampering (one flipped
        bit, the sign of one A-law sample) reaches bob's ear as clicks."""
        relay = self.lab.relay
        a, b, rec = self.phones("off", 1)
        relay.set("a2b", tamper=EVERY)
        aid, bid = self.call(a, b, False)
        st = b.wait_event(event="stats", id=bid, timeout=12)
        c = relay.counters("a2b")
        self.hang_up(a, b)
        w = read_wav(rec["bob"])
        dmg = tone_damage(w.samples, w.rate, TONE_HZ)
        print("plain RTP, tampered %d: bob %s heard %s" % (
            c["tampered"], {k: st[k] for k in STATS_KEYS}, dmg))
        self.assertGreater(c["tampered"], 0, relay.describe())
        self.assertEqual(st["srtp_dropped"], 0, st)
        self.assertGreater(dmg["click_ratio"], 3.0,
                           "tampered packets played without SRTP, yet no click found: "
                           "%s\n%s" % (dmg, relay.describe()))


if __name__ == "__main__":
    ttylab.main()
