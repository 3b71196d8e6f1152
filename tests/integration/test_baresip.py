#!/usr/bin/env python3
"""baresip as a foreign softphone, through the lab's Kamailio: it calls us and we call it,
with Opus and with PCMA, plain and with SRTP."""

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio", "baresip")


class Baresip(ttylab.LabTestCase):

    def alice(self, **overrides):
        a = self.lab.phone("alice", **overrides)
        a.wait_event(event="reg", state="registered", code=200)
        return a

    def test_baresip_calls_us_with_opus(self):
        a = self.alice()
        b = self.lab.baresip("bob", codecs="opus/48000/2")
        b.wait_registered()
        b.dial(self.lab.kam.aor("alice"))
        inc = a.wait_event(event="call", state="incoming")
        self.assertIn("bob", inc["peer"])
        a.send("answer")
        a.wait_event(event="call", state="established")
        media = a.wait_event(event="media", id=inc["id"], since=0)
        self.assertEqual(media["codec"], "opus")
        b.wait_event(type="CALL_ESTABLISHED")
        a.send("hangup")
        b.wait_event(type="CALL_CLOSED")
        a.wait_event(event="call", state="ended")

    def test_we_call_baresip_with_pcma(self):
        a = self.alice(codecs="pcma, pcmu")
        b = self.lab.baresip("bob", codecs="pcma", answermode="auto")
        b.wait_registered()
        a.send("call bob")
        est = a.wait_event(event="call", state="established", timeout=15)
        media = a.wait_event(event="media", id=est["id"], since=0)
        self.assertEqual(media["codec"], "pcma")
        b.wait_event(type="CALL_ESTABLISHED")
        # baresip hangs up: we see it
        b.hangup()
        ended = a.wait_event(event="call", state="ended", id=est["id"])
        self.assertEqual(ended["reason"], "Hung up by peer")

    def test_srtp_with_baresip_both_ways(self):
        a = self.alice(srtp="optional")
        b = self.lab.baresip("bob", codecs="opus/48000/2", mediaenc="srtp")
        b.wait_registered()
        a.send("call bob")
        est = a.wait_event(event="call", state="established", timeout=15)
        media = a.wait_event(event="media", id=est["id"], since=0)
        self.assertTrue(media["srtp"], media)
        a.send("hangup")
        a.wait_event(event="call", state="ended")
        b.wait_event(type="CALL_CLOSED")
        b.dial(self.lab.kam.aor("alice"))
        inc = a.wait_event(event="call", state="incoming")
        a.send("answer %d" % inc["id"])
        media = a.wait_event(event="media", id=inc["id"])
        self.assertTrue(media["srtp"], media)
        self.assertEqual(media["codec"], "opus")
        a.send("hangup")
        a.wait_event(event="call", state="ended")


if __name__ == "__main__":
    ttylab.main()
