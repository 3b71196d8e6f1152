#!/usr/bin/env python3
"""WebRTC media between two ttyphones (issue 14), without a browser: alice's account says
media = webrtc, so her INVITE offers UDP/TLS/RTP/SAVPF with ICE candidates, a DTLS
fingerprint and a=setup:actpass; bob (media = rtp, the default) answers the WebRTC offer
in its own kind. Through the lab's Kamailio over UDP: ICE connects on 127.0.0.1, DTLS
gives both the same SRTP suite, each speaker WAV has the other's microphone tone by
frequency and level; DTMF by RFC 4733 arrives; hold and resume go by re-INVITE on the same
ICE path and keys; hang-up ends both. An account with media = auto offers plain RTP over
UDP. The WebRTC module (with libnice) is mapped once a WebRTC call began. A broken config
value is refused with a reason."""

import json
import re
import select
import socket
import threading
import time

import ttylab
import ttylab_turn
from ttylab import analyze, write_tone

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")

ALICE_HZ = 1019.0
BOB_HZ = 743.0
CONNECT_TIMEOUT = 15     # gathering, INVITE through Kamailio, ICE checks, DTLS


class StunNat:
    """What a NAT does to a phone's STUN requests: they reach the server from another
    address (the NAT's `outside` socket), and the answers go back to the phone."""

    def __init__(self, server):
        self.server = server
        self.inside = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.inside.bind(("127.0.0.1", 0))
        self.outside = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.outside.bind(("127.0.0.1", 0))
        self.inside_port = self.inside.getsockname()[1]
        self.outside_port = self.outside.getsockname()[1]
        self.requests = 0
        self.phone = None
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop:
            r, _, _ = select.select([self.inside, self.outside], [], [], 0.1)
            for s in r:
                try:
                    data, src = s.recvfrom(65535)
                except OSError:
                    continue
                if s is self.inside:
                    self.phone = src
                    self.requests += 1
                    self.outside.sendto(data, self.server)
                elif self.phone and src == self.server:
                    self.inside.sendto(data, self.phone)

    def close(self):
        self._stop = True
        self._t.join(2)
        self.inside.close()
        self.outside.close()


class WebrtcCalls(ttylab.LabTestCase):

    def pair(self, alice_media="webrtc", bob_media=None, media=None):
        """alice and bob with WAV microphones and speakers, bob answering by himself."""
        tones = {}
        for user, hz in (("alice", ALICE_HZ), ("bob", BOB_HZ)):
            tones[user] = self.lab.path("%s-tone.wav" % user)
            write_tone(tones[user], freq=hz, seconds=3.0, rate=48000, amplitude=0.5)
        self.heard = {u: self.lab.path("%s-heard.wav" % u) for u in ("alice", "bob")}
        extra = {"media": media} if media else {}
        a = self.lab.phone("alice", account={"media": alice_media}, backend="file",
                           input=tones["alice"], output=self.heard["alice"],
                           args=["--sip-trace", self.lab.path("alice.trace")], **extra)
        b = self.lab.phone("bob", account={"media": bob_media} if bob_media else {},
                           backend="file", input=tones["bob"], output=self.heard["bob"],
                           auto_answer=True, **extra)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        return a, b

    def trace(self):
        with open(self.lab.path("alice.trace"), encoding="utf-8", errors="replace") as f:
            return f.read()

    def assert_heard(self, user, hz):
        r = analyze(self.heard[user])
        self.assertIsNotNone(r["onset_ms"], "%s heard silence: %r" % (user, r))
        self.assertLess(abs(r["freq"] - hz) / hz, 0.01, "%s: %r" % (user, r))
        self.assertLess(abs(r["rms_dbfs"] - (-9.0)), 3.0, "%s: %r" % (user, r))

    def test_two_ttyphones_talk_over_webrtc_with_dtmf_hold_and_hangup(self):
        a, b = self.pair()
        a.send("call bob")
        est = a.wait_event(event="call", state="established", timeout=CONNECT_TIMEOUT)
        ida = est["id"]
        idb = b.wait_event(event="call", state="established")["id"]
        # Both keyed by DTLS, the same suite; both media events say webrtc with SRTP.
        suites = []
        for p, cid in ((a, ida), (b, idb)):
            ice = p.wait_event(event="webrtc", id=cid, state="ice-connected",
                               timeout=CONNECT_TIMEOUT)
            self.assertIn("127.0.0.1:", ice["text"])
            conn = p.wait_event(event="webrtc", id=cid, state="connected",
                                timeout=CONNECT_TIMEOUT)
            suites.append(re.search(r"SRTP (\S+)", conn["text"]).group(1))
            m = p.wait_event(event="media", id=cid, srtp=True)
            self.assertEqual((m["codec"], m["transport"]), ("opus", "webrtc"))
        self.assertEqual(suites[0], suites[1])
        self.assertEqual(suites[0], "AEAD_AES_128_GCM")     # the DTLS server's first choice
        # libnice came with the WebRTC module, opened for this call (webrtc_api.h).
        for p in (a, b):
            with open("/proc/%d/maps" % p.pid) as f:
                maps = f.read()
            self.assertIn("ttyphone-webrtc.so", maps)
            self.assertIn("libnice.so", maps)
        # What alice offered and bob answered.
        t = self.trace()
        self.assertRegex(t, r"m=audio \d+ UDP/TLS/RTP/SAVPF ")
        for line in ("a=setup:actpass", "a=setup:active", "a=rtcp-mux", "a=group:BUNDLE 0",
                     "a=fingerprint:sha-256 ", "a=end-of-candidates"):
            self.assertIn(line, t)
        self.assertNotIn("a=crypto", t)
        # DTMF by RFC 4733 over the SRTP path.
        a.send("dtmf 4#")
        got = [b.wait_event(event="dtmf", id=idb)["digit"] for _ in range(2)]
        self.assertEqual(got, ["4", "#"])
        self.assertEqual(b.find_events(event="dtmf")[0]["via"], "rfc4733")
        # Hold and resume: re-INVITEs on the same link and keys (no second connected).
        a.send("hold %d" % ida)
        a.wait_event(event="call", state="held", id=ida, local_hold=True)
        b.wait_event(event="call", state="held", id=idb, remote_hold=True)
        mark_a = a.mark()
        a.send("resume %d" % ida)
        a.wait_event(event="call", state="established", id=ida, since=mark_a)
        time.sleep(1.5)
        self.assertEqual(len(a.find_events(event="webrtc", state="connected")), 1)
        self.assertEqual(len(b.find_events(event="webrtc", state="connected")), 1)
        self.assertFalse(a.find_events(event="webrtc", state="failed"))
        a.send("hangup %d" % ida)
        b.wait_event(event="call", state="ended", id=idb)
        a.wait_event(event="call", state="ended", id=ida)
        self.assert_heard("bob", ALICE_HZ)
        self.assert_heard("alice", BOB_HZ)
        # Both still usable: a plain call afterwards (bob offers RTP: media = rtp).
        b.send("call alice")
        inc = a.wait_event(event="call", state="incoming", since=mark_a)
        a.send("answer %d" % inc["id"])
        m = a.wait_event(event="media", id=inc["id"], since=0)
        self.assertNotIn("transport", m)
        mark_b = b.mark()
        a.send("hangup %d" % inc["id"])
        b.wait_event(event="call", state="ended", since=mark_b)

    def test_relay_only_calls_go_through_the_turn_server(self):
        """[media] ice_policy = relay with coturn on 127.0.0.1: both offer relayed
        candidates only, the pair in use is relay -> relay, the tones cross both ways
        through the relay (coturn logs both allocations), and the TURN password is in no
        SIP message, event or log line."""
        why = ttylab_turn.turn_missing()
        if why:
            self.skipTest(why)
        turn = ttylab_turn.Turn(self.lab.dir).start()
        self.addCleanup(turn.stop)
        media = {"turn_server": turn.server, "turn_user": turn.user,
                 "turn_password": turn.password, "ice_policy": "relay"}
        a, b = self.pair(media=media)
        a.send("call bob")
        est = a.wait_event(event="call", state="established", timeout=CONNECT_TIMEOUT)
        idb = b.wait_event(event="call", state="established")["id"]
        for p, cid in ((a, est["id"]), (b, idb)):
            ice = p.wait_event(event="webrtc", id=cid, state="ice-connected",
                               timeout=CONNECT_TIMEOUT)
            self.assertRegex(ice["text"], r"^relay 127\.0\.0\.1:\d+ -> relay 127\.0\.0\.1:\d+$")
            p.wait_event(event="media", id=cid, srtp=True, timeout=CONNECT_TIMEOUT)
        time.sleep(1.0)              # a second of each tone through the relay
        a.send("hangup")
        b.wait_event(event="call", state="ended")
        a.wait_event(event="call", state="ended")
        self.assert_heard("bob", ALICE_HZ)
        self.assert_heard("alice", BOB_HZ)
        t = self.trace()
        cands = re.findall(r"^a=candidate:.*$", t, re.M)
        self.assertTrue(cands)
        for c in cands:
            self.assertIn(" typ relay ", c)
        log = turn.log_text()
        self.assertGreaterEqual(len(re.findall(r"user <%s>: incoming packet ALLOCATE "
                                               r"processed, success" % turn.user, log)),
                                2, log[-3000:])
        for p in (a, b):
            self.assertNotIn(turn.password, json.dumps(p.find_events()) + p.stderr_text())
        self.assertNotIn(turn.password, t)

    def test_a_stun_server_gives_the_address_a_nat_maps_us_to(self):
        """[media] stun_server: alice's STUN server (coturn) is reached through a NAT (a
        UDP relay of the test that sends from its own socket), so coturn sees alice at
        the NAT's address: alice's offer carries that server-reflexive candidate (typ
        srflx, raddr/rport her host candidate's), and the call connects."""
        why = ttylab_turn.turn_missing()
        if why:
            self.skipTest(why)
        turn = ttylab_turn.Turn(self.lab.dir).start()
        self.addCleanup(turn.stop)
        nat = StunNat(("127.0.0.1", turn.port))
        self.addCleanup(nat.close)
        a, b = self.pair(media={"stun_server": "127.0.0.1:%d" % nat.inside_port})
        a.send("call bob")
        est = a.wait_event(event="call", state="established", timeout=CONNECT_TIMEOUT)
        a.wait_event(event="media", id=est["id"], srtp=True, timeout=CONNECT_TIMEOUT)
        m = re.search(r"^a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 (\d+) typ srflx raddr "
                      r"127\.0\.0\.1 rport (\d+)", self.trace(), re.M | re.I)
        self.assertIsNotNone(m, "no server-reflexive candidate in alice's offer")
        self.assertEqual(int(m.group(1)), nat.outside_port)
        self.assertGreater(nat.requests, 0)
        a.send("hangup")
        b.wait_event(event="call", state="ended")

    def test_media_auto_offers_plain_rtp_over_udp(self):
        a, b = self.pair(alice_media="auto")
        a.send("call bob")
        est = a.wait_event(event="call", state="established", timeout=CONNECT_TIMEOUT)
        m = a.wait_event(event="media", id=est["id"], since=0)
        self.assertNotIn("transport", m)
        self.assertRegex(self.trace(), r"m=audio \d+ RTP/AVP ")
        self.assertFalse(a.find_events(event="webrtc"))
        a.send("hangup")
        b.wait_event(event="call", state="ended")

    def test_unknown_media_value_is_refused_with_the_known_ones(self):
        path = self.lab.path("bad.ini")
        with open(path, "w", encoding="utf-8") as f:
            f.write("[account x]\nuri = sip:x@127.0.0.1\nmedia = srtp\n")
        r = ttylab.run([ttylab.ttyphone_bin(), "--check-config", "-c", path], check=False)
        self.assertIn('unknown media "srtp" (known: rtp, webrtc, auto)',
                      r.stdout + r.stderr)


if __name__ == "__main__":
    ttylab.main()
