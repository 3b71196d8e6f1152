#!/usr/bin/env python3
"""SIPp scenarios as the peer, through the lab's Kamailio: a callee that answers 486, one
with early media (183 then 200), one that puts us on hold with a re-INVITE, one that hangs
up first, a caller that cancels while we ring, and one whose CANCEL crosses our 200."""

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio", "sipp")


class SippPeers(ttylab.LabTestCase):

    def alice(self):
        a = self.lab.phone("alice")
        a.wait_event(event="reg", state="registered", code=200)
        return a

    def finish(self, sipp):
        res = sipp.wait(timeout=30)
        self.assertEqual(res.rc, 0, res.describe())

    def test_callee_answers_486(self):
        a = self.alice()
        s = self.lab.sipp_uas("uas_486.xml", user="sippbusy")
        a.send("call sippbusy")
        ended = a.wait_event(event="call", state="ended")
        self.assertEqual(ended["code"], 486)
        self.finish(s)

    def test_early_media_then_answer(self):
        a = self.alice()
        s = self.lab.sipp_uas("uas_183_200.xml", user="sippearly", duration_ms=1500)
        a.send("call sippearly")
        early = a.wait_event(event="call", state="early", code=183)
        media = a.wait_event(event="media", id=early["id"], since=0)
        self.assertEqual(media["codec"], "pcmu")   # SIPp offers 0 8 101 only
        self.assertFalse(media["srtp"])
        a.wait_event(event="call", state="established", code=200)
        a.send("hangup")
        a.wait_event(event="call", state="ended")
        self.finish(s)

    def test_peer_puts_us_on_hold_with_reinvite(self):
        a = self.alice()
        s = self.lab.sipp_uas("uas_reinvite_hold.xml", user="sipphold", duration_ms=1000)
        a.send("call sipphold")
        est = a.wait_event(event="call", state="established")
        held = a.wait_event(event="call", state="held", id=est["id"])
        self.assertTrue(held["remote_hold"])
        self.assertFalse(held["local_hold"])
        media = a.wait_event(event="media", id=est["id"], direction="recvonly", since=0)
        self.assertEqual(media["codec"], "pcmu")
        # let SIPp send the ACK of its re-INVITE before our BYE crosses it
        a.expect_no_event(within=0.5, event="call", state="ended")
        a.send("hangup")
        a.wait_event(event="call", state="ended")
        self.finish(s)

    def test_peer_hangs_up_first(self):
        a = self.alice()
        s = self.lab.sipp_uas("uas_answer_then_bye.xml", user="sippbye", duration_ms=1000)
        a.send("call sippbye")
        est = a.wait_event(event="call", state="established")
        ended = a.wait_event(event="call", state="ended", id=est["id"])
        self.assertEqual(ended["reason"], "Hung up by peer")
        self.finish(s)
        self.assertEqual(a.command("calls", event="calls")["calls"], [])

    def test_cancel_crossing_our_200_leaves_the_call_up(self):
        # Straight to an account-less phone that answers at once: the CANCEL leaves SIPp
        # only after our 200 arrived (a proxy would answer such a late CANCEL itself).
        cfg = ttylab.render_ini([("sip", {"listen": "127.0.0.1:0", "auto_answer": "yes"}),
                                 ("media", {"rtp_ports": "25000-25999"}),
                                 ("audio", {"backend": "null"})])
        a = ttylab.Phone(cfg, name="p2p", workdir=self.lab.path("p2p"))
        self.lab.phones.append(a)
        ready = a.wait_ready()
        s = self.lab.sipp("uac_cancel_after_200.xml", target=ready["sip"],
                          service="alice").start()
        inc = a.wait_event(event="call", state="incoming")
        a.wait_event(event="call", state="established", id=inc["id"])
        ended = a.wait_event(event="call", state="ended", id=inc["id"], timeout=15)
        self.assertEqual(ended["reason"], "Hung up by peer")
        self.finish(s)
        self.assertEqual(a.command("calls", event="calls")["calls"], [])

    def test_cancel_before_answer_wins(self):
        a = self.alice()
        s = self.lab.sipp("uac_cancel_race.xml", service="alice", duration_ms=0).start()
        inc = a.wait_event(event="call", state="incoming")
        ended = a.wait_event(event="call", state="ended", id=inc["id"], timeout=15)
        self.assertEqual(ended["code"], 487)
        # answering a call the caller already cancelled is refused, nothing breaks
        err = a.command("answer %d" % inc["id"], event="error")
        self.assertIn("no call with id", err["message"])
        self.finish(s)


if __name__ == "__main__":
    ttylab.main()
