#!/usr/bin/env python3
"""Faults: the registrar killed and restarted (ttyphone notices, says why, re-registers by
itself and takes calls again), a peer killed mid-call (the RTP timeout ends the call with a
reason; no zombie call), and PulseAudio killed mid-call (the call stays up, the problem is
reported, audio returns when PulseAudio is back)."""

import signal
import time

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


class Faults(ttylab.LabTestCase):

    def test_registrar_killed_and_restarted_reregisters_by_itself(self):
        a = self.lab.phone("alice", sip={"keepalive": 2})
        a.wait_event(event="reg", state="registered")
        self.lab.kam.kill()
        failed = a.wait_event(event="reg", state="failed", timeout=10)
        self.assertIn("no answer from 127.0.0.1:%d over udp" % self.lab.kam.udp_port,
                      failed["reason"])
        time.sleep(1)
        self.lab.kam.start()     # same ports; its location table is empty again
        a.wait_event(event="reg", state="registered", timeout=20)
        self.lab.kam.wait_registered("alice")
        # and calls reach it again
        b = self.lab.phone("bob")
        b.wait_event(event="reg", state="registered")
        b.send("call alice")
        a.wait_event(event="call", state="incoming")

    def test_registration_is_refreshed_before_it_expires(self):
        trace = self.lab.path("alice.trace")
        a = self.lab.phone("alice", register_expires=30, args=["--sip-trace", trace])
        a.wait_event(event="reg", state="registered")
        # nua refreshes well before the 30 s run out; the server keeps the binding
        a.wait_event(event="reg", state="registered", timeout=29)
        with open(trace) as f:
            self.assertGreaterEqual(f.read().count("REGISTER sip:"), 3)
        self.lab.kam.wait_registered("alice")
        self.assertEqual(a.find_events(event="reg", state="failed"), [])

    def test_unreachable_registrar_gives_a_clear_reason_and_no_hang(self):
        dead = ttylab.free_port()
        a = self.lab.phone("alice", registrar="sip:127.0.0.1:%d" % dead)
        failed = a.wait_event(event="reg", state="failed", timeout=40)
        self.assertIn("no answer from 127.0.0.1:%d over udp" % dead, failed["reason"])
        # still responsive, and quits at once
        self.assertEqual(a.command("status", event="status")["accounts"][0]["state"],
                         "failed")
        t0 = time.monotonic()
        self.assertEqual(a.quit(), 0)
        self.assertLess(time.monotonic() - t0, 5)

    def test_peer_killed_mid_call_ends_by_rtp_timeout(self):
        a = self.lab.phone("alice", rtp_timeout=3)
        b = self.lab.phone("bob", auto_answer=True)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        a.send("call bob")
        est = a.wait_event(event="call", state="established")
        time.sleep(0.5)
        b.kill(signal.SIGKILL)
        ended = a.wait_event(event="call", state="ended", id=est["id"], timeout=15)
        self.assertEqual(ended["code"], 408)
        self.assertIn("no RTP from the peer for 3 s", ended["reason"])
        self.assertEqual(a.command("calls", event="calls")["calls"], [])


class PulseFaults(ttylab.LabTestCase):
    lab_args = {"pulse": True}

    def test_pulseaudio_killed_mid_call_call_stays_and_audio_returns(self):
        tone = self.lab.path("bob-tone.wav")
        ttylab.write_tone(tone, freq=733.0, seconds=6.0, rate=48000, amplitude=0.5)
        a = self.lab.phone("alice", audio=True)
        b = self.lab.phone("bob", backend="file", input=tone,
                           output=self.lab.path("bob-out.wav"), auto_answer=True)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        a.send("call bob")
        est = a.wait_event(event="call", state="established")
        time.sleep(1.0)
        self.lab.pulse.proc.kill()
        lost = a.wait_event(event="audio", id=est["id"], ok=False, timeout=10)
        self.assertTrue(lost["reason"])
        a.expect_no_event(within=2.0, event="call", state="ended")
        # PulseAudio comes back (same socket), with the phone's devices
        self.lab.pulse.phones.clear()
        self.lab.pulse.start()
        self.lab.pulse.add_phone("alice")
        a.wait_event(event="audio", id=est["id"], ok=True, timeout=15)
        time.sleep(1.0)
        heard = self.lab.path("alice-speaker.wav")
        rec = self.lab.pulse.record("alice", heard)
        time.sleep(2.0)
        rec.stop()
        r = ttylab.analyze(heard)
        self.assertLess(abs(r["freq"] - 733.0) / 733.0, 0.01, r)
        a.send("hangup")
        b.wait_event(event="call", state="ended")


if __name__ == "__main__":
    ttylab.main()
