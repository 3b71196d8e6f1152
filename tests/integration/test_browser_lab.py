#!/usr/bin/env python3
"""The browser lab (issue 14): real JsSIP web phones in Debian's headless Chromium, with
WebRTC media (ICE, DTLS-SRTP, Opus), registered over the lab Kamailio's wss listener.

Two browsers (two Chromiums: each has its own microphone tone) call each other: the call
confirms; each hears the other's fake-microphone tone by frequency (a WebAudio analyser on
the remote track); getStats shows inbound packets growing over DTLS-SRTP on 127.0.0.1;
DTMF by SIP INFO arrives as an event and by RFC 4733 as the tone pair (Chromium plays the
telephone-events out); hold silences both ways and unhold brings the audio back; hang-up
from either side ends the call on both; a refusal reaches the caller with its cause.

Then ttyphone, registered over wss to the same Kamailio, calls and is called by a browser
with WebRTC media (ICE, DTLS-SRTP, rtcp-mux): each hears the other's tone by frequency,
the browser's stats show DTLS-SRTP, and both stay usable after the call.

The browsers are started once per class (Chromium start-up is the costly part; it is
printed); each test starts with no call open. Skips (77) without node, chromium or
tests/node/node_modules."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ttylab  # noqa: E402

# The microphones: apart from each other, from ttyphone's tones, the suite's test tones
# and DTMF (ttylab_browser.DEFAULT_TONE_HZ says why 1123).
ALICE_HZ = 1123.0
BOB_HZ = 1531.0
CAROL_HZ = 887.0     # ttyphone's microphone
DTMF_5 = (770.0, 1336.0)     # row, column

REG_TIMEOUT = 15    # the UA's first REGISTER waits for the page's WebSocket; ms on loopback
CALL_TIMEOUT = 15   # INVITE to ACK: ICE gathering, 180/200 through Kamailio
MEDIA_TIMEOUT = 10  # ICE + DTLS, then the analyser's 0.68 s window filling
FAILURE_TIMEOUT = 20  # ICE or DTLS giving up (10 s deadlines), through a busy machine


def local_addresses():
    """This machine's own IPv4 addresses (ip -4 -o addr): where ICE may send from."""
    out = ttylab.run(["ip", "-4", "-o", "addr", "show"]).stdout
    return {line.split()[3].split("/")[0] for line in out.splitlines()} | {"127.0.0.1"}


def dtmf_5_probe(voice_hz):
    """(the frequencies to measure, a predicate on a measure): DTMF 5 heard, each of its
    frequencies 15 dB over its mirror across the voice tone (same distance from voice_hz;
    see test_dtmf_by_info_and_rfc4733_then_callee_hangs_up for why)."""
    k = ttylab.tone_key
    mirror = {f: 2 * voice_hz - f for f in DTMF_5}

    def heard(m):
        return all(m["tones"][k(f)]["dbfs"] > -40.0 and
                   m["tones"][k(f)]["dbfs"] > m["tones"][k(mirror[f])]["dbfs"] + 15.0
                   for f in DTMF_5)
    return DTMF_5 + tuple(mirror.values()), heard


def log(msg):
    sys.stderr.write("test_browser_lab: %s\n" % msg)
    sys.stderr.flush()


class SharedLab(ttylab.LabTestCase):
    """One Lab and its browsers for the whole class (setUpClass); after each test, no call
    is left open and each browser's cursor is past everything so far. A failed test dumps
    the lab (phones, browsers, Kamailio) as LabTestCase does."""

    users = ()          # (user, tone) for a browser each
    lab_args = {}

    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        cls.shared = ttylab.Lab(**cls.lab_args).start()
        cls.browsers = {}
        try:
            for user, hz in cls.users:
                b = cls.shared.browser(user, tone_hz=hz)
                cls.browsers[user] = b
                log("chromium for %s: launch %d ms + page %d ms (%s)" % (
                    user, b.startup_ms["launch"], b.startup_ms["page"],
                    b.ready["chromium"]))
            for user, b in cls.browsers.items():
                ev = b.wait_event(("registered", "registration_failed", "disconnected"),
                                  timeout=REG_TIMEOUT)
                if ev["event"] != "registered":
                    raise AssertionError("%s did not register: %r\n%s" % (
                        user, ev, b._context()))
        except BaseException:
            cls.shared.stop()
            raise
        log("%s: lab and %d browsers up in %.1f s" % (cls.__name__, len(cls.browsers),
                                                       time.monotonic() - t0))

    @classmethod
    def tearDownClass(cls):
        cls.shared.__exit__(None, None, None)
        for b in cls.browsers.values():
            b.assert_clean()       # JSON only, no page errors, no process left behind
        cls.shared.assert_no_leftovers()

    def setUp(self):
        self.lab = self.shared
        for b in self.browsers.values():
            b.catch_up()
        self.addCleanup(self._after_test)

    def _after_test(self):
        if self._failed_so_far():
            self._dump_lab()
        for b in self.browsers.values():
            if not b.alive():
                continue
            for c in b.calls():
                b.hangup(c["id"])
                b.wait_event(("call_ended", "call_failed"), id=c["id"], since=0)

    def call_between(self, caller, callee):
        """caller calls callee, callee answers; both confirmed. Returns (caller's id,
        callee's id)."""
        a, b = self.browsers[caller], self.browsers[callee]
        out_id = a.call(self.lab.kam.aor(callee))
        inc = b.wait_event("call_in", timeout=CALL_TIMEOUT)
        self.assertEqual(inc["from"], self.lab.kam.aor(caller))
        b.answer(inc["id"])
        a.wait_event("call_confirmed", id=out_id, timeout=CALL_TIMEOUT)
        b.wait_event("call_confirmed", id=inc["id"], timeout=CALL_TIMEOUT)
        return out_id, inc["id"]


class BrowserToBrowser(SharedLab):
    users = (("alice", ALICE_HZ), ("bob", BOB_HZ))

    def test_registered_over_wss_as_web_phones(self):
        k = self.lab.kam
        for user in ("alice", "bob"):
            bnd = k.bindings(user)
            self.assertEqual(len(bnd), 1, bnd)
            self.assertEqual(bnd[0]["socket"], "tls:127.0.0.1:%d" % k.wss_port)
            self.assertRegex(bnd[0]["address"], r"^sip:\w+@\w+\.invalid;transport=ws$")
            self.assertTrue(bnd[0]["user-agent"].startswith("JsSIP 3."), bnd)
            # its microphone is the fake capture device playing its own tone
            m = self.browsers[user].wait_tone(dict(self.users)[user], which="local")
            self.assertLess(abs(m["freq"] - dict(self.users)[user]), 3.0, m)

    def test_call_audio_both_ways_by_frequency_then_caller_hangs_up(self):
        a, b = self.browsers["alice"], self.browsers["bob"]
        out_id, in_id = self.call_between("alice", "bob")
        # Each hears the other's tone, and not its own.
        for who, call_id, hz, own in ((b, in_id, ALICE_HZ, BOB_HZ),
                                      (a, out_id, BOB_HZ, ALICE_HZ)):
            m = who.wait_tone(hz, id=call_id, timeout=MEDIA_TIMEOUT)
            self.assertLess(abs(m["freq"] - hz), 3.0, m)
            self.assertLess(m["tones"][ttylab.tone_key(hz)]["dbfs"], -3.0, m)   # a real level
            self.assertGreater(m["tones"][ttylab.tone_key(hz)]["dbfs"], -30.0, m)
            self.assertLess(who.measure([own], id=call_id)["tones"][ttylab.tone_key(own)]["share"],
                            0.05)
        # Media by the stats: DTLS-SRTP over a selected candidate pair on this machine,
        # Opus, inbound packets growing in both browsers. Each page offers its 127.0.0.1
        # candidate only, but Chromium checks from all its host candidates, so the pair
        # may be 192.0.2.x -> 127.0.0.1, or 127.0.0.1 -> the peer's such address, which
        # it learnt as peer-reflexive and hides in getStats (address "").
        here = local_addresses()
        for who, call_id in ((a, out_id), (b, in_id)):
            s1 = who.stats(call_id)
            self.assertEqual(s1["connection_state"], "connected", s1)
            self.assertEqual(s1["transport"]["dtlsState"], "connected", s1)
            self.assertTrue(s1["transport"]["srtpCipher"], s1)
            self.assertEqual(s1["pair"]["state"], "succeeded", s1)
            self.assertIn(s1["pair"]["local"]["address"], here, s1)
            self.assertIn(s1["pair"]["remote"]["address"], here | {""}, s1)
            self.assertEqual(s1["pair"]["local"]["protocol"], "udp", s1)
            self.assertEqual(s1["inbound"]["codec"], "audio/opus/48000/2", s1)
            n1 = s1["inbound"]["packetsReceived"]
            s2 = who.wait_stats(lambda s: s["inbound"]["packetsReceived"] >= n1 + 25,
                                id=call_id, what="25 more inbound packets (0.5 s of 20 ms)")
            self.assertGreater(s2["outbound"]["packetsSent"], s1["outbound"]["packetsSent"])
            self.assertEqual(s2["inbound"]["packetsLost"], 0, s2)
        a.hangup(out_id)
        ev = a.wait_event("call_ended", id=out_id)
        self.assertEqual((ev["originator"], ev["cause"]), ("local", "Terminated"), ev)
        ev = b.wait_event("call_ended", id=in_id)
        self.assertEqual((ev["originator"], ev["cause"]), ("remote", "Terminated"), ev)
        self.assertEqual(a.calls(), [])
        self.assertEqual(b.calls(), [])

    def test_dtmf_by_info_and_rfc4733_then_callee_hangs_up(self):
        a, b = self.browsers["alice"], self.browsers["bob"]
        out_id, in_id = self.call_between("alice", "bob")
        b.wait_tone(ALICE_HZ, id=in_id, timeout=MEDIA_TIMEOUT)
        # SIP INFO (application/dtmf-relay): an event in the other page.
        a.dtmf("7", transport="INFO", id=out_id)
        ev = b.wait_event("dtmf_in", id=in_id)
        self.assertEqual(ev["tone"], "7", ev)
        # RFC 4733 telephone-events (the browser's RTCDTMFSender): no event reaches the
        # other page (WebRTC exposes none); its NetEq plays the tone pair out, mixed with
        # the concealed voice some 12 dB under it (-23 to -31 dBFS seen). Each DTMF
        # frequency is compared with its mirror across the voice tone (same distance from
        # 1123 Hz): the jitter buffer's time-stretching, busy at a call's start and on a
        # loaded machine, smears the voice into both alike (bursts up to -47 dBFS seen),
        # DTMF raises one only.
        probe, dtmf_5_heard = dtmf_5_probe(ALICE_HZ)       # mirrors 1476, 910 Hz
        before = b.measure(probe, id=in_id)
        self.assertFalse(dtmf_5_heard(before), before)
        a.dtmf("5", transport="RFC2833", duration=1500, id=out_id)
        self.assertEqual(a.wait_event("dtmf_tone", id=out_id)["tone"], "5")
        b.wait_measure(dtmf_5_heard, probe, id=in_id, timeout=3.0,
                       what="DTMF 5 (770+1336 Hz, 15 dB over 1476+910 Hz)")
        a.wait_event("dtmf_tone", id=out_id, tone="", timeout=5)
        self.assertFalse(b.find_events("dtmf_in", tone="5"), "RFC 4733 is not an event")
        b.hangup(in_id)
        ev = b.wait_event("call_ended", id=in_id)
        self.assertEqual((ev["originator"], ev["cause"]), ("local", "Terminated"), ev)
        ev = a.wait_event("call_ended", id=out_id)
        self.assertEqual((ev["originator"], ev["cause"]), ("remote", "Terminated"), ev)

    def test_hold_silences_both_ways_and_unhold_brings_the_audio_back(self):
        a, b = self.browsers["alice"], self.browsers["bob"]
        out_id, in_id = self.call_between("bob", "alice")    # this time bob calls
        a.wait_tone(BOB_HZ, id=in_id, timeout=MEDIA_TIMEOUT)
        b.wait_tone(ALICE_HZ, id=out_id, timeout=MEDIA_TIMEOUT)
        a.hold(in_id)
        self.assertEqual(a.wait_event("hold", id=in_id)["originator"], "local")
        self.assertEqual(b.wait_event("hold", id=out_id)["originator"], "remote")
        # JsSIP mutes the holder's microphone and sends a=sendonly; the held side answers
        # recvonly and stops sending.
        b.wait_no_tone(ALICE_HZ, id=out_id)
        a.wait_no_tone(BOB_HZ, id=in_id)
        n1 = a.stats(in_id)["inbound"]["packetsReceived"]
        time.sleep(0.5)
        n2 = a.stats(in_id)["inbound"]["packetsReceived"]
        self.assertEqual(n1, n2, "bob sends no RTP while held (recvonly)")
        a.unhold(in_id)
        self.assertEqual(a.wait_event("unhold", id=in_id)["originator"], "local")
        self.assertEqual(b.wait_event("unhold", id=out_id)["originator"], "remote")
        a.wait_tone(BOB_HZ, id=in_id, timeout=MEDIA_TIMEOUT)
        b.wait_tone(ALICE_HZ, id=out_id, timeout=MEDIA_TIMEOUT)
        b.hangup(out_id)
        a.wait_event("call_ended", id=in_id)
        b.wait_event("call_ended", id=out_id)

    def test_refused_call_fails_busy_and_messages_go_both_ways(self):
        k = self.lab.kam
        a, b = self.browsers["alice"], self.browsers["bob"]
        out_id = a.call(k.aor("bob"))
        inc = b.wait_event("call_in", timeout=CALL_TIMEOUT)
        b.reject(486, id=inc["id"])
        ev = a.wait_event(("call_failed", "call_confirmed"), id=out_id, timeout=CALL_TIMEOUT)
        self.assertEqual((ev["event"], ev["status"], ev["cause"]),
                         ("call_failed", 486, "Busy"), ev)
        for sender, rname, receiver, body in ((a, "bob", b, "hello bob \u2713"),
                                              (b, "alice", a, "hello alice")):
            sender.message(k.aor(rname), body)
            self.assertEqual(receiver.wait_event("message_in")["body"], body)
            self.assertEqual(sender.wait_event("message_sent")["status"], 200)


class BrowserAndTtyphone(SharedLab):
    """ttyphone and a browser on the same Kamailio, both over wss, in WebRTC calls: ICE on
    127.0.0.1, DTLS-SRTP, rtcp-mux, Opus. ttyphone's microphone is a WAV tone (CAROL_HZ)
    and its speaker a WAV file, read after each call; the browser's analyser hears
    ttyphone's tone."""

    users = (("alice", ALICE_HZ),)

    @classmethod
    def setUpClass(cls):
        if not ttylab.have_ttyphone():
            raise unittest.SkipTest("no ttyphone binary at %s (set TTYPHONE_BIN or build it)"
                                    % ttylab.ttyphone_bin())
        super().setUpClass()
        try:
            cls.trace = cls.shared.path("carol.trace")
            cls.tone = cls.shared.path("carol-tone.wav")
            cls.heard = cls.shared.path("carol-heard.wav")
            ttylab.write_tone(cls.tone, freq=CAROL_HZ, seconds=3.0, rate=48000,
                              amplitude=0.5)
            cls.phone = cls.shared.phone("carol", transport="wss",
                                         args=["--sip-trace", cls.trace],
                                         account={"media": "webrtc"},
                                         backend="file", input=cls.tone, output=cls.heard)
            cls.phone.wait_event(event="reg", state="registered", code=200)
        except BaseException:
            cls.tearDownClass()
            raise

    def setUp(self):
        super().setUp()
        self.since = self.phone.mark()     # the phone's events of this test

    def trace_text(self):
        with open(self.trace, encoding="utf-8", errors="replace") as f:
            return f.read()

    def browser_calls_carol(self, **call_opts):
        """The browser calls carol, who answers: (the browser's call id, carol's incoming
        call event), once the browser saw the call confirmed."""
        a, p = self.browsers["alice"], self.phone
        out_id = a.call(self.lab.kam.aor("carol"), **call_opts)
        inc = p.wait_event(event="call", state="incoming", since=self.since,
                           timeout=CALL_TIMEOUT)
        p.send("answer %d" % inc["id"])
        a.wait_event("call_confirmed", id=out_id, timeout=CALL_TIMEOUT)
        return out_id, inc

    def assert_both_usable(self):
        """MESSAGE both ways, both still registered: neither was hurt by the call."""
        k = self.lab.kam
        a, p = self.browsers["alice"], self.phone
        mark = p.mark()
        a.message(k.aor("carol"), "still there?")
        self.assertEqual(p.wait_event(event="message", since=mark)["body"],
                         "still there?")
        self.assertEqual(a.wait_event("message_sent")["status"], 200)
        p.send("msg alice still here")
        self.assertEqual(a.wait_event("message_in")["body"], "still here")
        self.assertTrue(k.is_registered("alice") and k.is_registered("carol"))
        self.assertTrue(p.alive())

    def assert_audio_both_ways(self, bid, pid):
        """The browser hears carol's tone; carol's connected event names DTLS-SRTP, and
        her media event says srtp; the browser's stats show DTLS-SRTP inbound growing."""
        a, p = self.browsers["alice"], self.phone
        conn = p.wait_event(event="webrtc", id=pid, state="connected", since=self.since,
                            timeout=MEDIA_TIMEOUT)
        self.assertIn("DTLS: connected", conn["text"])
        media = p.wait_event(event="media", id=pid, srtp=True, since=self.since)
        self.assertEqual(media["codec"], "opus")
        m = a.wait_tone(CAROL_HZ, id=bid, timeout=MEDIA_TIMEOUT)
        self.assertLess(abs(m["freq"] - CAROL_HZ), 3.0, m)
        self.assertGreater(m["tones"][ttylab.tone_key(CAROL_HZ)]["dbfs"], -30.0, m)
        s1 = a.stats(bid)
        self.assertEqual(s1["transport"]["dtlsState"], "connected", s1)
        self.assertTrue(s1["transport"]["srtpCipher"], s1)
        self.assertEqual(s1["inbound"]["codec"], "audio/opus/48000/2", s1)
        n1 = s1["inbound"]["packetsReceived"]
        a.wait_stats(lambda s: s["inbound"]["packetsReceived"] >= n1 + 25, id=bid,
                     what="25 more inbound packets (0.5 s of 20 ms)")
        time.sleep(1.0)          # carol's speaker file gets a second of alice's tone

    def assert_carol_heard_alice(self):
        """After the call (the WAV is closed then): alice's tone, at its level, whole."""
        r = ttylab.analyze(self.heard)
        self.assertIsNotNone(r["onset_ms"], r)
        self.assertLess(abs(r["freq"] - ALICE_HZ) / ALICE_HZ, 0.01, r)
        self.assertGreater(r["rms_dbfs"], -40.0, r)

    def test_browser_calls_ttyphone_over_webrtc_and_both_hear_each_other(self):
        a, p = self.browsers["alice"], self.phone
        out_id, inc = self.browser_calls_carol()
        self.assertIn("sip:alice@", inc["peer"])
        p.wait_event(event="call", id=inc["id"], state="established", since=self.since)
        self.assert_audio_both_ways(out_id, inc["id"])
        # What went over SIP: the browser's WebRTC offer and our WebRTC answer.
        trace = self.trace_text()
        self.assertRegex(trace, r"m=audio \d+ UDP/TLS/RTP/SAVPF 111 ")
        self.assertIn("a=setup:active", trace)            # ours: we are the DTLS client
        self.assertRegex(trace, r"a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 \d+ typ host")
        a.hangup(out_id)
        ended = p.wait_event(event="call", id=inc["id"], state="ended", since=self.since)
        self.assertIn("peer", ended["reason"].lower() + " peer")
        self.assert_carol_heard_alice()
        self.assert_both_usable()

    def test_dtmf_both_ways_and_hold_from_each_side_keep_one_dtls_link(self):
        """DTMF: the browser's RFC 4733 (RTCDTMFSender) and INFO digits reach carol as
        dtmf events; carol's RFC 4733 digit is played out by the browser's NetEq. MESSAGE
        both ways during the call. Hold:
        carol holds and resumes, then the browser does; each re-INVITE keeps the ICE path
        and the DTLS keys (one connected event, no failure), and the audio comes back
        both ways after each."""
        a, p = self.browsers["alice"], self.phone
        out_id, inc = self.browser_calls_carol()
        pid = inc["id"]
        self.assert_audio_both_ways(out_id, pid)
        # Browser -> carol: RFC 4733 over SRTP, then INFO.
        a.dtmf("3", transport="RFC2833", id=out_id)
        ev = p.wait_event(event="dtmf", id=pid, since=self.since)
        self.assertEqual((ev["digit"], ev["via"]), ("3", "rfc4733"), ev)
        a.dtmf("9", transport="INFO", id=out_id)
        ev = p.wait_event(event="dtmf", id=pid, via="info", since=self.since)
        self.assertEqual(ev["digit"], "9", ev)
        # carol -> browser: RFC 4733, which the browser plays out (no event in WebRTC).
        # Each DTMF frequency against its mirror across carol's tone (see BrowserToBrowser).
        probe, dtmf_5_heard = dtmf_5_probe(CAROL_HZ)       # mirrors 1004, 438 Hz
        self.assertFalse(dtmf_5_heard(a.measure(probe, id=out_id)))
        p.send("dtmf 5555 %d" % pid)       # four digits back to back: 0.4 s and more
        a.wait_measure(dtmf_5_heard, probe, id=out_id, timeout=3.0,
                       what="carol's DTMF 5 (770+1336 Hz, 15 dB over 1004+438 Hz)")
        self.assert_both_usable()          # MESSAGE both ways during the call
        # carol holds: the browser is told (its hold event) and stops sending (recvonly).
        mark = p.mark()
        p.send("hold %d" % pid)
        p.wait_event(event="call", id=pid, state="held", local_hold=True, since=mark)
        self.assertEqual(a.wait_event("hold", id=out_id)["originator"], "remote")
        a.wait_stats(lambda s: s["inbound"]["packetsReceived"] > 0, id=out_id)
        n1 = a.stats(out_id)["outbound"]["packetsSent"]
        time.sleep(0.5)
        self.assertEqual(a.stats(out_id)["outbound"]["packetsSent"], n1,
                         "the held browser sends nothing (recvonly)")
        p.send("resume %d" % pid)
        p.wait_event(event="call", id=pid, state="established", since=mark)
        self.assertEqual(a.wait_event("unhold", id=out_id)["originator"], "remote")
        a.wait_stats(lambda s: s["outbound"]["packetsSent"] >= n1 + 25, id=out_id,
                     what="the browser sending again after carol's resume")
        a.wait_tone(CAROL_HZ, id=out_id, timeout=MEDIA_TIMEOUT)
        # The browser holds: carol is held by her peer, then resumed.
        mark = p.mark()
        a.hold(out_id)
        p.wait_event(event="call", id=pid, state="held", remote_hold=True, since=mark)
        a.wait_no_tone(CAROL_HZ, id=out_id)     # carol answered recvonly: she is silent
        a.unhold(out_id)
        ev = p.wait_event(event="call", id=pid, state="established", since=mark)
        self.assertEqual(ev["reason"], "resumed by peer", ev)
        a.wait_tone(CAROL_HZ, id=out_id, timeout=MEDIA_TIMEOUT)
        # One DTLS handshake for the whole call, nothing failed.
        self.assertEqual(len(p.find_events(event="webrtc", id=pid, state="connected",
                                           since=self.since)), 1)
        self.assertFalse(p.find_events(event="webrtc", id=pid, state="failed",
                                       since=self.since))
        self.assertEqual(a.stats(out_id)["transport"]["dtlsState"], "connected")
        a.hangup(out_id)
        p.wait_event(event="call", id=pid, state="ended", since=self.since)
        self.assert_carol_heard_alice()
        self.assert_both_usable()

    def test_an_ice_restart_from_the_browser_keeps_the_call_and_its_keys(self):
        """carol calls the browser (so carol is the DTLS server: the browser answered
        active), then the browser restarts ICE by re-INVITE: carol answers with new
        ice-ufrag/ice-pwd and still a=setup:passive, ICE connects again, the DTLS
        association and keys stay (one connected event), and the audio goes on both
        ways."""
        a, p = self.browsers["alice"], self.phone
        p.send("call alice")
        inc = a.wait_event("call_in", timeout=CALL_TIMEOUT)
        a.answer(inc["id"])
        a.wait_event("call_confirmed", id=inc["id"], timeout=CALL_TIMEOUT)
        est = p.wait_event(event="call", state="established", since=self.since,
                           timeout=CALL_TIMEOUT)
        pid = est["id"]
        self.assert_audio_both_ways(inc["id"], pid)
        first = a.sdp(inc["id"])["remote"]
        ufrag1 = re.search(r"a=ice-ufrag:(\S+)", first).group(1)
        mark = p.mark()
        bmark = a.mark()
        a.restart_ice(inc["id"])
        ans = a.wait_event("sdp", id=inc["id"], originator="remote", since=bmark,
                           timeout=CALL_TIMEOUT)
        ufrag2 = re.search(r"a=ice-ufrag:(\S+)", ans["sdp"]).group(1)
        self.assertNotEqual(ufrag1, ufrag2, "carol's answer to the restart: new credentials")
        self.assertIn("a=setup:passive", ans["sdp"], "carol stays the DTLS server")
        p.wait_event(event="webrtc", id=pid, state="ice-connected", since=mark,
                     timeout=MEDIA_TIMEOUT)
        time.sleep(1.0)
        a.wait_tone(CAROL_HZ, id=inc["id"], timeout=MEDIA_TIMEOUT)
        n1 = a.stats(inc["id"])["outbound"]["packetsSent"]
        a.wait_stats(lambda s: s["outbound"]["packetsSent"] >= n1 + 25, id=inc["id"],
                     what="the browser still sending after the restart")
        self.assertEqual(len(p.find_events(event="webrtc", id=pid, state="connected",
                                           since=self.since)), 1)
        self.assertFalse(p.find_events(event="webrtc", id=pid, state="failed",
                                       since=self.since))
        self.assertEqual(a.stats(inc["id"])["transport"]["dtlsState"], "connected")
        p.send("hangup %d" % pid)
        a.wait_event("call_ended", id=inc["id"])
        p.wait_event(event="call", id=pid, state="ended", since=self.since)
        self.assert_carol_heard_alice()
        self.assert_both_usable()

    def test_an_ice_restart_with_carol_controlled_waits_for_the_browsers_choice(self):
        """The browser calls carol, so it is the controlling ICE agent and carol the
        controlled one, who only answers checks and waits for the browser to nominate a
        pair. After the browser's ICE restart Chromium keeps its old pair (a lower
        network cost than the loopback candidate it offers anew) until that stops
        answering, some 5 s, and only then nominates a new one: carol must not give up
        before (libnice's own grace is 5 s), and the call goes on with its keys."""
        a, p = self.browsers["alice"], self.phone
        bmark = a.mark()
        out_id, inc = self.browser_calls_carol()
        pid = inc["id"]
        p.wait_event(event="webrtc", id=pid, state="connected", since=self.since,
                     timeout=MEDIA_TIMEOUT)
        self.assert_audio_both_ways(out_id, pid)
        first = a.wait_event("sdp", id=out_id, originator="remote", since=bmark)["sdp"]
        mark = p.mark()
        bmark = a.mark()
        a.restart_ice(out_id)
        ans = a.wait_event("sdp", id=out_id, originator="remote", since=bmark,
                           timeout=CALL_TIMEOUT)["sdp"]
        self.assertNotEqual(re.search(r"a=ice-ufrag:(\S+)", first).group(1),
                            re.search(r"a=ice-ufrag:(\S+)", ans).group(1))
        # one o= line for the call (RFC 3264 section 8): carol's answer to the restart
        # keeps her first answer's session id, one version up
        o1 = re.search(r"(?m)^o=\S+ (\d+) (\d+) ", first).groups()
        o2 = re.search(r"(?m)^o=\S+ (\d+) (\d+) ", ans).groups()
        self.assertEqual((o2[0], int(o2[1])), (o1[0], int(o1[1]) + 1), (first, ans))
        p.wait_event(event="webrtc", id=pid, state="ice-connected", since=mark,
                     timeout=MEDIA_TIMEOUT)
        self.assertFalse(p.find_events(event="webrtc", id=pid, state="failed",
                                       since=self.since))
        n1 = a.stats(out_id)["outbound"]["packetsSent"]
        a.wait_stats(lambda s: s["outbound"]["packetsSent"] >= n1 + 25, id=out_id,
                     what="the browser still sending after the restart")
        a.wait_tone(CAROL_HZ, id=out_id, timeout=MEDIA_TIMEOUT)
        self.assertEqual(len(p.find_events(event="webrtc", id=pid, state="connected",
                                           since=self.since)), 1, "the DTLS keys stayed")
        p.send("hangup %d" % pid)
        a.wait_event("call_ended", id=out_id)
        p.wait_event(event="call", id=pid, state="ended", since=self.since)
        self.assert_both_usable()

    def test_a_browser_that_trickles_its_candidates_by_info_gets_its_call(self):
        """RFC 8840 half trickle: the browser's INVITE has no candidate, carol's answer
        reaches the browser without carol's, and the browser's candidates come in an
        INFO after the call is confirmed. Neither side has anything to check until carol
        takes the INFO's candidates: the call's ICE connecting shows she did."""
        a, p = self.browsers["alice"], self.phone
        bmark = a.mark()
        out_id, inc = self.browser_calls_carol(trickle=True)
        offer = a.wait_event("sdp", id=out_id, originator="local", since=bmark)
        self.assertNotIn("a=candidate", offer["sdp"], "what the INVITE carried")
        answer = a.wait_event("sdp", id=out_id, originator="remote", since=bmark)
        self.assertNotIn("a=candidate", answer["sdp"], "what the browser was given")
        sent = a.wait_event("trickle_sent", id=out_id, timeout=CALL_TIMEOUT)
        self.assertEqual(sent["status"], 200, sent)
        self.assertGreaterEqual(sent["candidates"], 1, sent)
        tr = p.wait_event(event="webrtc", id=inc["id"], state="trickle", since=self.since)
        m = re.match(r"(\d+) of (\d+) trickled candidates? taken, end of candidates$",
                     tr["text"])
        self.assertTrue(m, tr)
        self.assertGreaterEqual(int(m.group(1)), 1, tr)
        self.assertEqual(int(m.group(2)), sent["candidates"], tr)
        ice = p.wait_event(event="webrtc", id=inc["id"], state="ice-connected",
                           since=self.since, timeout=MEDIA_TIMEOUT)
        self.assertRegex(ice["text"], r"-> host 127\.0\.0\.1:\d+$",
                         "carol's pair is with the trickled host candidate")
        self.assert_audio_both_ways(out_id, inc["id"])
        trace = self.trace_text()
        self.assertIn("Content-Type: application/trickle-ice-sdpfrag", trace)
        self.assertIn("Recv-Info: trickle-ice", trace)
        self.assertRegex(trace, r"Supported: [^\r\n]*trickle-ice")
        a.hangup(out_id)
        p.wait_event(event="call", id=inc["id"], state="ended", since=self.since)
        self.assert_carol_heard_alice()
        self.assert_both_usable()

    def browser_calls_tampered(self, **tamper):
        """The browser calls carol with its SDP altered (Browser.tamper), carol answers:
        carol must give up on the media with a webrtc failed event, end the call (BYE),
        and stay usable. Returns the failed event."""
        k = self.lab.kam
        a, p = self.browsers["alice"], self.phone
        a.tamper(**tamper)
        try:
            out_id = a.call(k.aor("carol"))
            inc = p.wait_event(event="call", state="incoming", since=self.since,
                               timeout=CALL_TIMEOUT)
        finally:
            a.tamper()
        p.send("answer %d" % inc["id"])
        a.wait_event("call_confirmed", id=out_id, timeout=CALL_TIMEOUT)
        # ICE's and DTLS's deadlines are 10 s each (ice_agent.h, dtls_srtp.h).
        failed = p.wait_event(event="webrtc", id=inc["id"], state="failed",
                              since=self.since, timeout=FAILURE_TIMEOUT)
        p.wait_event(event="call", id=inc["id"], state="ended", since=self.since)
        ev = a.wait_event("call_ended", id=out_id)
        self.assertEqual(ev["originator"], "remote", ev)
        self.assertFalse(p.find_events(event="media", id=inc["id"], srtp=True,
                                       since=self.since), "no keys, no media")
        self.assert_both_usable()
        return failed

    def test_a_fingerprint_that_does_not_match_ends_the_call(self):
        failed = self.browser_calls_tampered(fingerprint=True)
        self.assertIn("does not match the fingerprint", failed["text"])
        self.assertTrue(self.phone.find_events(event="webrtc", state="ice-connected",
                                               since=self.since), "ICE itself worked")

    def test_ice_that_never_connects_ends_the_call(self):
        # The browser's ice-pwd is wrong in its SDP: carol's checks fail its integrity
        # check, so no pair of carol's ever works (the browser's own checks to carol do).
        failed = self.browser_calls_tampered(ice_pwd=True)
        self.assertIn("ICE", failed["text"])
        self.assertFalse(self.phone.find_events(event="webrtc", state="ice-connected",
                                                since=self.since))

    def test_dtls_that_never_completes_ends_the_call(self):
        # carol offers actpass; the browser answers active (it will be the DTLS client)
        # but its SDP says passive, so carol is a client too: two ClientHellos, no server.
        k = self.lab.kam
        a, p = self.browsers["alice"], self.phone
        p.send("call alice")
        inc = a.wait_event("call_in", timeout=CALL_TIMEOUT)
        a.tamper(setup="passive")
        try:
            a.answer(inc["id"])
            a.wait_event("call_confirmed", id=inc["id"], timeout=CALL_TIMEOUT)
        finally:
            a.tamper()
        est = p.wait_event(event="call", state="established", since=self.since)
        p.wait_event(event="webrtc", id=est["id"], state="ice-connected", since=self.since,
                     timeout=MEDIA_TIMEOUT)
        failed = p.wait_event(event="webrtc", id=est["id"], state="failed",
                              since=self.since, timeout=FAILURE_TIMEOUT)
        self.assertIn("DTLS", failed["text"])
        p.wait_event(event="call", id=est["id"], state="ended", since=self.since)
        a.wait_event("call_ended", id=inc["id"])
        self.assertFalse(p.find_events(event="media", id=est["id"], srtp=True,
                                       since=self.since))
        self.assertTrue(k.is_registered("carol"))
        self.assert_both_usable()

    def test_a_video_line_from_the_browser_is_declined_and_the_audio_goes_on(self):
        a, p = self.browsers["alice"], self.phone
        out_id, inc = self.browser_calls_carol(video=True)
        offer = a.sdp(out_id)["local"]
        self.assertRegex(offer, r"m=video \d+ UDP/TLS/RTP/SAVPF")
        answer = a.sdp(out_id)["remote"]
        self.assertRegex(answer, r"(?m)^m=video 0 UDP/TLS/RTP/SAVPF")
        self.assertRegex(answer, r"(?m)^a=group:BUNDLE 0\r?$")   # video is not bundled
        self.assert_audio_both_ways(out_id, inc["id"])
        a.hangup(out_id)
        p.wait_event(event="call", id=inc["id"], state="ended", since=self.since)
        self.assert_both_usable()

    def test_ttyphone_calls_the_browser_over_webrtc_and_hangs_up(self):
        a, p = self.browsers["alice"], self.phone
        p.send("call alice")
        inc = a.wait_event("call_in", timeout=CALL_TIMEOUT)
        self.assertIn("carol", inc["from"])
        self.assertRegex(inc["sdp"], r"m=audio \d+ UDP/TLS/RTP/SAVPF ")
        self.assertIn("a=setup:actpass", inc["sdp"])
        a.answer(inc["id"])
        a.wait_event("call_confirmed", id=inc["id"], timeout=CALL_TIMEOUT)
        est = p.wait_event(event="call", state="established", since=self.since,
                           timeout=CALL_TIMEOUT)
        self.assert_audio_both_ways(inc["id"], est["id"])
        p.send("hangup %d" % est["id"])
        ev = a.wait_event("call_ended", id=inc["id"])
        self.assertEqual(ev["originator"], "remote", ev)
        p.wait_event(event="call", id=est["id"], state="ended", since=self.since)
        self.assert_carol_heard_alice()
        self.assert_both_usable()


def tearDownModule():
    ttylab.assert_no_leftovers()


if __name__ == "__main__":
    ttylab.require_tools("kamailio", "kamcmd", "openssl", "ip")
    ttylab.require_browser()
    ttylab.main()
