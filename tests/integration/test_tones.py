#!/usr/bin/env python3
"""Ring and ringback tones through PulseAudio: while a call rings, the callee's speaker plays
the ring tone (440+480 Hz) and the caller's the ringback (425 Hz); once it is answered both
stop."""

import time

import ttylab
from ttylab import analyze

ttylab.require_ttyphone()
ttylab.require_tools("kamailio", "pulseaudio", "parecord")


class Tones(ttylab.LabTestCase):
    lab_args = {"pulse": True}

    def record(self, phone, name, seconds):
        path = self.lab.path(name)
        rec = self.lab.pulse.record(phone, path)
        time.sleep(seconds)
        rec.stop()
        return analyze(path)

    def test_ring_and_ringback_while_ringing_then_silence(self):
        a = self.lab.phone("alice", audio=True)
        b = self.lab.phone("bob", audio=True)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        b.send("call alice")
        inc = a.wait_event(event="call", state="incoming")
        b.wait_event(event="call", state="ringing")
        # both at once, inside the first burst of each pattern (ring 2 s, ringback 1 s)
        time.sleep(0.2)
        ra = self.lab.pulse.record("alice", self.lab.path("alice-ring.wav"))
        rb = self.lab.pulse.record("bob", self.lab.path("bob-ringback.wav"))
        time.sleep(0.6)
        ring = analyze(ra.stop())
        ringback = analyze(rb.stop())
        self.assertIsNotNone(ring["onset_ms"], ring)
        self.assertTrue(430 <= ring["freq"] <= 490, ring)
        self.assertIsNotNone(ringback["onset_ms"], ringback)
        self.assertLess(abs(ringback["freq"] - 425) / 425, 0.01, ringback)
        a.send("answer %d" % inc["id"])
        b.wait_event(event="call", state="established")
        time.sleep(0.5)
        after = self.record("alice", "alice-after.wav", 1.0)
        self.assertLess(after["rms_dbfs"], -40, "ring tone still playing: %r" % after)
        after_b = self.record("bob", "bob-after.wav", 1.0)
        self.assertLess(after_b["rms_dbfs"], -40, "ringback still playing: %r" % after_b)
        b.send("hangup")
        a.wait_event(event="call", state="ended")


if __name__ == "__main__":
    ttylab.main()
