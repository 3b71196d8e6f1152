#!/usr/bin/env python3
"""Two and three ttyphone instances calling each other through the lab's Kamailio:
ring, answer, hang up from either side, reject, cancel, call waiting with hold and swap,
blind and attended transfer, DTMF, MESSAGE both ways."""

import os

import ttylab
from ttylab import Lab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


class Calls(ttylab.LabTestCase):

    def phones(self, *users, **overrides):
        ps = [self.lab.phone(u, **overrides) for u in users]
        for p in ps:
            p.wait_event(event="reg", state="registered", code=200)
        return ps

    def connect(self, a, b, callee_user):
        """a calls b; b answers; both established. Returns (a's call id, b's call id)."""
        a.send("call %s" % callee_user)
        inc = b.wait_event(event="call", state="incoming")
        a.wait_event(event="call", state="ringing", code=180)
        b.send("answer %d" % inc["id"])
        out = a.wait_event(event="call", state="established", code=200)
        b.wait_event(event="call", state="established")
        return out["id"], inc["id"]

    def test_call_answer_and_caller_hangs_up(self):
        a, b = self.phones("alice", "bob")
        ida, idb = self.connect(a, b, "bob")
        media = a.wait_event(event="media", id=ida, since=0)
        self.assertEqual(media["codec"], "opus")
        a.send("hangup")
        ended = b.wait_event(event="call", state="ended", id=idb)
        self.assertEqual(ended["reason"], "Hung up by peer")
        a.wait_event(event="call", state="ended", id=ida)

    def test_callee_hangs_up(self):
        a, b = self.phones("alice", "bob")
        ida, idb = self.connect(a, b, "bob")
        b.send("hangup %d" % idb)
        ended = a.wait_event(event="call", state="ended", id=ida)
        self.assertEqual(ended["reason"], "Hung up by peer")

    def test_reject_busy_and_decline(self):
        a, b = self.phones("alice", "bob")
        for code in (486, 603):
            a.send("call bob")
            inc = b.wait_event(event="call", state="incoming")
            b.send("reject %d %d" % (inc["id"], code))
            ended = a.wait_event(event="call", state="ended")
            self.assertEqual(ended["code"], code)
            self.assertTrue(ended["reason"])

    def test_cancel_while_ringing(self):
        a, b = self.phones("alice", "bob")
        a.send("call bob")
        inc = b.wait_event(event="call", state="incoming")
        a.wait_event(event="call", state="ringing")
        a.send("hangup")
        ended = b.wait_event(event="call", state="ended", id=inc["id"])
        self.assertEqual(ended["code"], 487)
        a.wait_event(event="call", state="ended")

    def test_do_not_disturb_rejects_without_ringing(self):
        a = self.lab.phone("alice")
        b = self.lab.phone("bob", sip={"dnd": "yes"})
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        a.send("call bob")
        ended = a.wait_event(event="call", state="ended")
        self.assertEqual(ended["code"], 486)
        self.assertEqual(b.find_events(event="call"), [])

    def test_call_to_unknown_user_fails_with_code(self):
        (a,) = self.phones("alice")
        a.send("call nobody")
        ended = a.wait_event(event="call", state="ended")
        self.assertEqual(ended["code"], 404)

    def test_call_waiting_hold_and_swap(self):
        a, b, c = self.phones("alice", "bob", "carol")
        ida, idb = self.connect(a, b, "bob")
        # carol calls bob while bob talks to alice: it rings
        c.send("call bob")
        inc2 = b.wait_event(event="call", state="incoming")
        self.assertNotEqual(inc2["id"], idb)
        b.send("hold %d" % idb)
        b.wait_event(event="call", state="held", id=idb, local_hold=True)
        a.wait_event(event="call", state="held", id=ida, remote_hold=True)
        b.send("answer %d" % inc2["id"])
        b.wait_event(event="call", state="established", id=inc2["id"])
        c.wait_event(event="call", state="established")
        # swap: carol goes on hold, alice comes back
        mark_b, mark_a = b.mark(), a.mark()
        b.send("swap")
        # the two re-INVITEs run at once: their answers come in either order
        b.wait_event(event="call", state="held", id=inc2["id"], local_hold=True, since=mark_b)
        b.wait_event(event="call", state="established", id=idb, since=mark_b)
        a.wait_event(event="call", state="established", id=ida, since=mark_a)
        calls = b.command("calls", event="calls")["calls"]
        self.assertEqual(sorted(x["state"] for x in calls), ["established", "held"])

    def test_blind_transfer(self):
        a, b, c = self.phones("alice", "bob", "carol")
        ida, idb = self.connect(a, b, "bob")
        # alice transfers bob to carol
        a.send("transfer carol %d" % ida)
        req = b.wait_event(event="transfer_request", id=idb)
        self.assertFalse(req["attended"])
        inc = c.wait_event(event="call", state="incoming")
        self.assertIn("bob", inc["peer"])
        c.send("answer")
        c.wait_event(event="call", state="established")
        done = a.wait_event(event="transfer", id=ida, code=200)
        self.assertEqual(done["reason"], "OK")
        ended = a.wait_event(event="call", state="ended", id=ida)
        self.assertEqual(ended["reason"], "transferred")
        b.wait_event(event="call", state="ended", id=idb)

    def test_attended_transfer(self):
        a, b, c = self.phones("alice", "bob", "carol")
        ida_b, idb = self.connect(a, b, "bob")
        a.send("hold %d" % ida_b)
        a.wait_event(event="call", state="held", id=ida_b)
        ida_c, idc = self.connect(a, c, "carol")
        # alice connects bob and carol: bob calls carol with Replaces
        a.send("atransfer %d %d" % (ida_b, ida_c))
        req = b.wait_event(event="transfer_request", id=idb)
        self.assertTrue(req["attended"])
        # carol's new call replaces her call with alice, answered without ringing her
        new = c.wait_event(event="call", state="established", direction="in")
        self.assertIn("bob", new["peer"])
        c.wait_event(event="call", state="ended", id=idc, since=0)
        a.wait_event(event="call", state="ended", id=ida_b, since=0)
        a.wait_event(event="call", state="ended", id=ida_c, since=0)
        calls = b.command("calls", event="calls")["calls"]
        self.assertEqual([x["state"] for x in calls], ["established"])
        self.assertIn("carol", calls[0]["peer"])

    def test_dtmf_rfc4733_and_info(self):
        a, b = self.phones("alice", "bob")
        ida, idb = self.connect(a, b, "bob")
        a.send("dtmf 19*#")
        got = [b.wait_event(event="dtmf", id=idb)["digit"] for _ in range(4)]
        self.assertEqual(got, list("19*#"))
        self.assertEqual(b.find_events(event="dtmf")[0]["via"], "rfc4733")
        a.send("hangup")
        b.wait_event(event="call", state="ended")

    def test_dtmf_info_when_configured(self):
        a = self.lab.phone("alice", sip={"dtmf": "info"})
        (b,) = self.phones("bob")
        a.wait_event(event="reg", state="registered")
        ida, idb = self.connect(a, b, "bob")
        a.send("dtmf 7")
        ev = b.wait_event(event="dtmf", id=idb)
        self.assertEqual((ev["digit"], ev["via"]), ("7", "info"))

    def test_message_both_ways_with_delivery_status(self):
        a, b = self.phones("alice", "bob")
        a.send("msg bob hello bob, ça va?")
        sent = a.wait_event(event="message_sent")
        m = b.wait_event(event="message")
        self.assertEqual(m["body"], "hello bob, ça va?")
        self.assertIn("alice", m["from"])
        st = a.wait_event(event="message_status", msg=sent["msg"])
        self.assertTrue(200 <= st["code"] < 300, st)
        b.send("msg alice fine")
        self.assertEqual(a.wait_event(event="message")["body"], "fine")
        self.assertTrue(200 <= b.wait_event(event="message_status")["code"] < 300)

    def test_message_to_unknown_user_reports_failure(self):
        (a,) = self.phones("alice")
        a.send("msg nobody hi")
        st = a.wait_event(event="message_status")
        self.assertEqual(st["code"], 404)

    def test_call_and_message_a_contact_by_name(self):
        a, b = self.phones("alice", "bob")
        book = os.path.join(a.dir, "config", "ttyphone", "contacts.ini")
        os.makedirs(os.path.dirname(book), exist_ok=True)
        with open(book, "w") as f:
            f.write("[contact Robert]\nuri = %s\naccount = alice\n" % self.lab.kam.aor("bob"))
        a.send("call Robert")
        inc = b.wait_event(event="call", state="incoming")
        self.assertIn("alice", inc["peer"])
        b.send("reject %d" % inc["id"])
        a.wait_event(event="call", state="ended")
        a.send("msg Robert by name")
        self.assertEqual(b.wait_event(event="message")["body"], "by name")
        sent = a.wait_event(event="message_sent", since=0)
        self.assertEqual(sent["to"], self.lab.kam.aor("bob"))

    def test_message_to_an_accountless_peer_by_host_and_port(self):
        cfg = ttylab.render_ini([("sip", {"listen": "127.0.0.1:0"}),
                                 ("audio", {"backend": "null"})])
        p = ttylab.Phone(cfg, name="p2p-x", workdir=self.lab.path("p2p-x"))
        q = ttylab.Phone(cfg, name="p2p-y", workdir=self.lab.path("p2p-y"))
        self.lab.phones += [p, q]
        p.wait_ready()
        rq = q.wait_ready()
        p.send("msg sip:%s hello there" % rq["sip"])
        self.assertEqual(q.wait_event(event="message")["body"], "hello there")
        self.assertEqual(p.wait_event(event="message_status")["code"], 200)

    def test_bad_commands_get_errors_and_change_nothing(self):
        (a,) = self.phones("alice")
        for cmd, needle in (("dial bob", "unknown command"), ("call", "missing argument"),
                            ("answer", "no ringing call"), ("hangup 99", "no call with id"),
                            ("dtmf 1x", "no call"), ("reject 1 200", "code must be")):
            err = a.command(cmd, event="error")
            self.assertIn(needle, err["message"], cmd)
        self.assertEqual(a.command("calls", event="calls")["calls"], [])


if __name__ == "__main__":
    ttylab.main()
