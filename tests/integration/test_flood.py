#!/usr/bin/env python3
"""Load: a SIP flood from SIPp (OPTIONS and INVITEs straight at the phone, as scanners
send them) while it is in a call, and an RTP flood from a wrong source. Memory stays
bounded, every command is still answered, the call's audio goes on without gaps, nothing
rings, no wrong-source packet reaches the speaker, and calls work afterwards.
Figures (rates, RSS, command latency) are printed; they are not pass/fail. FLOOD_SECONDS
sets the flood's length (default 16 s, longer than Sofia's 8 s transaction lifetime so the
memory has to level off within it; FLOOD_SECONDS=60 FLOOD_RATE=2000 for the long run).

Memory: every refused request holds ~10 kB inside Sofia until its server transaction ends
(Timer J, 64*T1 = 8 s here), so memory levels off at about rate x 8 s x 10 kB and must not
grow after that."""

import os
import random
import re
import socket
import struct
import threading
import time

import ttylab
from ttylab import analyze, write_tone

ttylab.require_ttyphone()
ttylab.require_tools("kamailio", "sipp")

SECONDS = float(os.environ.get("FLOOD_SECONDS", "16"))
RATE = int(os.environ.get("FLOOD_RATE", "500"))    # requests per second per scenario
TONE_HZ = 1019.0
# The longest silence either end may hear during the flood (relaxed under ASan only,
# ttylab.max_gap_ms says why; seen there: 50 ms).
MAX_GAP_MS = ttylab.max_gap_ms(40.0)


def rtp_flood(host, port, seconds, stop):
    """RTP-looking packets (PCMU/Opus payload types, random SSRCs) from a port that is not
    the peer's."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    sent, seq, end = 0, 0, time.monotonic() + seconds
    rnd = random.Random(7)
    while time.monotonic() < end and not stop.is_set():
        for _ in range(100):
            seq = (seq + 1) & 0xFFFF
            hdr = struct.pack("!BBHII", 0x80, rnd.choice((0, 8, 111)), seq, seq * 160,
                              rnd.getrandbits(32))
            s.sendto(hdr + os.urandom(160), (host, port))
            sent += 1
        time.sleep(0.01)
    s.close()
    return sent


class Flood(ttylab.LabTestCase):

    def test_sip_and_rtp_flood_during_a_call(self):
        lab = self.lab
        tone = lab.path("tone.wav")
        write_tone(tone, freq=TONE_HZ, seconds=4.0, rate=48000, amplitude=0.5)
        heard_by_alice = lab.path("alice-heard.wav")
        heard_by_bob = lab.path("bob-heard.wav")
        a = lab.phone("alice", codecs="pcmu", backend="file", input=tone,
                      output=heard_by_alice)
        b = lab.phone("bob", codecs="pcmu", backend="file", input=tone, output=heard_by_bob,
                      auto_answer=True)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        a.send("call bob")
        est = a.wait_event(event="call", state="established")
        # bob's media event names alice's RTP address: the RTP flood's target
        bob_media = b.wait_event(event="media", since=0)
        rtp_host, rtp_port = bob_media["remote"].rsplit(":", 1)
        time.sleep(0.5)
        rss_before = ttylab.rss_kb(a.pid)

        target = a.find_events(event="ready")[0]["sip"]
        calls = max(1, int(RATE * SECONDS))
        floods = [lab.sipp(sc, target=target, service="alice", calls=calls, timeout=int(
            SECONDS * 4 + 30), extra=["-r", str(RATE), "-rp", "1000", "-l", "2000"]).start()
                  for sc in ("flood_options.xml", "flood_invite.xml")]
        stop = threading.Event()
        rtp_sent = []
        t = threading.Thread(target=lambda: rtp_sent.append(
            rtp_flood(rtp_host, int(rtp_port), SECONDS, stop)))
        t.start()
        latencies, rss_peak, samples = [], rss_before, []
        t0 = time.monotonic()
        while any(f.alive() for f in floods) and time.monotonic() - t0 < SECONDS * 4 + 30:
            s = time.monotonic()
            a.command("status", event="status", timeout=10)
            latencies.append(1000 * (time.monotonic() - s))
            samples.append((time.monotonic() - t0, ttylab.rss_kb(a.pid)))
            rss_peak = max(rss_peak, samples[-1][1])
            time.sleep(0.25)
        stop.set()
        t.join()
        results = [f.wait(timeout=60) for f in floods]
        elapsed = time.monotonic() - t0
        rss_after = ttylab.rss_kb(a.pid)
        latencies.sort()
        print("flood: %d OPTIONS + %d INVITE at %d/s each in %.1f s; %d RTP packets from a "
              "wrong source" % (calls, calls, RATE, elapsed, rtp_sent[0]))
        print("alice RSS: before %d kB, peak %d kB, after %d kB" % (
            rss_before, rss_peak, rss_after))
        print("status command latency: median %.1f ms, max %.1f ms over %d commands" % (
            latencies[len(latencies) // 2], latencies[-1], len(latencies)))
        for f, r in zip(floods, results):
            # rc 1 is SIPp's "some calls failed": a phone may leave part of a flood
            # unanswered when it cannot keep up; anything else is SIPp itself failing.
            self.assertIn(r.rc, (0, 1), r.describe(30))
            with open(f.stdout_path, errors="replace") as out:
                text = out.read()
            ok = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", text)
            bad = re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", text)
            print("%s: %s answered, %s unanswered" % (f.name, ok[-1] if ok else "?",
                                                     bad[-1] if bad else "?"))

        # bounded memory: level by 10 s into the flood, no growth from there to its end
        level = [kb for t_, kb in samples if t_ >= 10.0]
        self.assertTrue(level, "flood shorter than 10 s: %r" % samples)
        print("RSS from 10 s on: %d .. %d kB" % (level[0], level[-1]))
        # A leak at these rates adds ~10 kB a request, megabytes a second; levelling off
        # leaves only the allocator's steps (seen: +20 % over a minute at 2000/s).
        self.assertLess(level[-1] - level[0], 0.3 * level[0] + 8 * 1024,
                        "RSS kept growing: %r" % samples[::8])
        # nothing rang, the call is still up, and wrong-source RTP was dropped
        self.assertEqual(a.find_events(event="call", state="incoming"), [])
        self.assertEqual(a.find_events(event="call", state="ended"), [])
        a.send("hangup %d" % est["id"])
        b.wait_event(event="call", state="ended")
        stats = a.find_events(event="stats")
        self.assertTrue(stats, "no stats events from alice")
        self.assertGreater(stats[-1]["wrong_source_dropped"], 0, stats[-1])
        # registration survived
        self.assertEqual(a.find_events(event="reg", state="failed"), [])
        b.quit()
        a.quit()
        for who, path in (("bob", heard_by_bob), ("alice", heard_by_alice)):
            r = analyze(path)
            print("%s heard: %.1f Hz, %.1f dBFS, longest gap %.0f ms" % (
                who, r["freq"], r["rms_dbfs"], r["longest_gap_ms"]))
            self.assertLess(abs(r["freq"] - TONE_HZ) / TONE_HZ, 0.01, (who, r))
            self.assertLessEqual(r["longest_gap_ms"], MAX_GAP_MS, (who, r))

        # and calls work afterwards
        a2 = lab.phone("alice", name="alice-again")
        c = lab.phone("carol")
        for p in (a2, c):
            p.wait_event(event="reg", state="registered")
        c.send("call alice")
        a2.wait_event(event="call", state="incoming")


if __name__ == "__main__":
    ttylab.main()
