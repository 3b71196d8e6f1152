#!/usr/bin/env python3
"""A real JsSIP user agent (npm jssip, in Node, tests/node) works against the lab's
Kamailio over ws and wss, as the web phones ttyphone must meet do (issue 13): it registers
(wss verifying the lab CA, refused with another CA), a wrong password fails with the
registrar's 401, MESSAGE goes both ways, a call is refused with 486 and another answered
and hung up. This checks the lab's JsSIP before ttyphone is tested against it. Without
ttyphone; skips (77) only without node or tests/node/node_modules."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ttylab  # noqa: E402

REG_TIMEOUT = 10    # a registration on loopback takes milliseconds


class JsSipLab(ttylab.LabTestCase):
    # --- helpers ----------------------------------------------------------------------
    def jssip(self, user, transport, **kw):
        js = self.lab.jssip(user, transport=transport, **kw)
        self.addCleanup(js.assert_clean)   # nothing but JSON events on its stdout
        return js

    def registered(self, user, transport):
        """A JsSIP UA for `user`, registered over `transport`, as Kamailio sees it."""
        js = self.jssip(user, transport)
        ev = js.wait_event(("registered", "registration_failed"), timeout=REG_TIMEOUT)
        self.assertEqual((ev["event"], ev.get("status")), ("registered", 200), ev)
        binding = self.lab.kam.bindings(user)
        self.assertEqual(len(binding), 1, binding)
        return js, binding[0]

    def pair(self):
        """alice over ws, bob over wss: every exchange crosses both transports."""
        alice, _ = self.registered("alice", "ws")
        bob, _ = self.registered("bob", "wss")
        return alice, bob

    # --- registration -----------------------------------------------------------------
    def test_register_over_ws_and_wss_as_a_websocket_client(self):
        k = self.lab.kam
        _, a = self.registered("alice", "ws")
        _, b = self.registered("bob", "wss")
        # RFC 7118 Contacts (host *.invalid), kept on the connection they came over: the
        # plain ws listener (tcp:) and the TLS one (tls:).
        self.assertRegex(a["address"], r"^sip:\w+@\w+\.invalid;transport=ws$")
        self.assertRegex(b["address"], r"^sip:\w+@\w+\.invalid;transport=ws$")
        self.assertEqual(a["socket"], "tcp:127.0.0.1:%d" % k.ws_port)
        self.assertEqual(b["socket"], "tls:127.0.0.1:%d" % k.wss_port)
        for bnd in (a, b):
            self.assertTrue(bnd["user-agent"].startswith("JsSIP 3."), bnd)
            self.assertNotEqual(bnd.get("instance", "[not set]"), "[not set]", bnd)
            self.assertEqual(bnd["reg-id"], "1", bnd)   # RFC 5626 outbound, as JsSIP sends

    def test_stop_unregisters(self):
        alice, _ = self.registered("alice", "wss")
        self.assertEqual(alice.stop(), 0)
        self.assertTrue(alice.find_events("unregistered", status=200), alice.events)
        self.assertEqual(self.lab.kam.contacts("alice"), [])

    def test_wrong_password_fails_registration_with_401(self):
        for user, transport in (("alice", "ws"), ("bob", "wss")):
            js = self.jssip(user, transport, password="not-the-password")
            ev = js.wait_event(("registered", "registration_failed"), timeout=REG_TIMEOUT)
            # The lab's Kamailio challenges a wrong answer again (401), see tests/README.md.
            self.assertEqual(ev["event"], "registration_failed", ev)
            self.assertEqual((ev["status"], ev["cause"]), (401, "Authentication Error"), ev)
            self.assertEqual(self.lab.kam.contacts(user), [])

    def test_wss_signed_by_another_ca_is_refused(self):
        js = self.jssip("alice", "wss", ca_file=self.lab.kam.wrong_ca_file)
        ev = js.wait_event("disconnected", timeout=REG_TIMEOUT)
        self.assertTrue(ev["error"], ev)
        self.assertIn("certificate", ev.get("reason", ""), ev)
        self.assertFalse(js.find_events("connected") or js.find_events("registered"),
                         js.events)
        self.assertEqual(self.lab.kam.contacts("alice"), [])

    # --- MESSAGE ----------------------------------------------------------------------
    def test_message_both_ways_between_ws_and_wss(self):
        k = self.lab.kam
        alice, bob = self.pair()
        for sender, sname, receiver, rname, body in (
                (alice, "alice", bob, "bob", "hello bob, over ws then wss"),
                (bob, "bob", alice, "alice", "h\u00e9llo alice \u2713 (UTF-8 over wss then ws)")):
            sender.message(k.aor(rname), body)
            ev = receiver.wait_event("message_in")
            self.assertEqual((ev["from"], ev["body"]), (k.aor(sname), body), ev)
            self.assertEqual(ev["content_type"], "text/plain", ev)
            self.assertEqual(sender.wait_event("message_sent")["status"], 200)

    def test_message_to_an_unregistered_user_fails_with_480(self):
        alice, _ = self.registered("alice", "ws")
        alice.message(self.lab.kam.aor("carol"), "anyone there?")
        ev = alice.wait_event(("message_sent", "message_failed"))
        self.assertEqual((ev["event"], ev["status"]), ("message_failed", 480), ev)

    # --- calls ------------------------------------------------------------------------
    def test_call_refused_with_486_is_seen_busy_by_the_caller(self):
        k = self.lab.kam
        alice, bob = self.pair()
        call_id = alice.call(k.aor("bob"))
        ev = bob.wait_event("call_in")
        self.assertEqual(ev["from"], k.aor("alice"))
        bob.reject(486)
        ev = alice.wait_event(("call_failed", "call_accepted", "call_ended"))
        self.assertEqual((ev["event"], ev["id"], ev["status"], ev["cause"]),
                         ("call_failed", call_id, 486, "Busy"), ev)
        ev = bob.wait_event(("call_failed", "call_ended"))
        self.assertEqual((ev["event"], ev["status"], ev["originator"]),
                         ("call_failed", 486, "local"), ev)

    def test_call_answered_then_hung_up_ends_on_both_sides(self):
        k = self.lab.kam
        alice, bob = self.pair()
        call_id = alice.call(k.aor("bob"))
        incoming = bob.wait_event("call_in")
        bob.answer()
        ev = alice.wait_event(("call_accepted", "call_failed"))
        self.assertEqual((ev["event"], ev["status"]), ("call_accepted", 200), ev)
        bob.wait_event("call_confirmed", id=incoming["id"])   # alice's ACK reached bob
        alice.hangup()
        ev = alice.wait_event("call_ended", id=call_id)
        self.assertEqual((ev["originator"], ev["cause"]), ("local", "Terminated"), ev)
        ev = bob.wait_event("call_ended", id=incoming["id"])
        self.assertEqual((ev["originator"], ev["cause"]), ("remote", "Terminated"), ev)
        log = k.log_text()
        self.assertIn("lab: INVITE sip:bob@%s" % k.domain, log)
        self.assertIn("lab: BYE", log)

    def test_offer_carries_a_pcmu_audio_line_on_a_real_port(self):
        # What the peer of a JsSIP call (ttyphone, later) gets from the stand-in for
        # WebRTC: a plain PCMU audio offer (tests/node/fake_rtc.js), no media behind it.
        alice, _ = self.registered("alice", "ws")
        sipp = self.lab.sipp_uas("uas_486.xml", user="busy", timeout=10)
        alice.call(self.lab.kam.aor("busy"))
        ev = alice.wait_event(("call_failed", "call_accepted"))
        self.assertEqual((ev["event"], ev["status"]), ("call_failed", 486), ev)
        r = sipp.wait(15)
        self.assertTrue(r.ok, r.describe())
        msgs = r.messages()
        self.assertRegex(msgs, r"m=audio [1-9]\d* RTP/AVP 0 101\r?\n")
        self.assertIn("a=rtpmap:0 PCMU/8000", msgs)
        self.assertIn("c=IN IP4 127.0.0.1", msgs)


def tearDownModule():
    ttylab.assert_no_leftovers()


if __name__ == "__main__":
    ttylab.require_tools("kamailio", "kamcmd", "openssl", "sipp")
    ttylab.require_jssip()
    ttylab.main()
