#!/usr/bin/env python3
"""Busy lamps (RFC 4235, the dialog event package) between ttyphones through the lab's
Kamailio as presence server (Lab(presence=True): presence_dialoginfo, and pua_dialoginfo
publishing the dialog-info of the calls it proxies). A contact with blf = yes is watched
once the account registers: alice's lamp for carol goes idle, ringing (with bob as the
caller), in call, idle during bob's call to carol. pickup (and Enter on a ringing lamp)
dials the account's pickup code and the watched user ("**carol"); without a code, or
with nothing ringing, it is refused. subscribe and unsubscribe add and drop lamps and
presence watches at run time, and bad arguments are refused. The time from carol's
phone ringing to alice's lamp is printed."""

import os
import time

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


class BusyLamps(ttylab.LabTestCase):
    lab_args = {"presence": True}

    def phone(self, user, contacts=None, **account):
        """A phone whose contacts.ini lists contacts ({name: (user, blf)})."""
        k = self.lab.kam
        d = os.path.join(self.lab.dir, "phone-%s-%d" % (user, len(self.lab.phones)),
                         "config", "ttyphone")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "contacts.ini"), "w", encoding="utf-8") as f:
            for name, (who, blf) in (contacts or {}).items():
                f.write("[contact %s]\nuri = %s\n%s" % (name, k.aor(who),
                                                          "blf = yes\n" if blf else ""))
        p = self.lab.phone(user, account=account)
        p.wait_event(event="reg", state="registered", code=200)
        return p

    def ring_carol(self, b, c):
        """bob calls carol; returns carol's incoming call event."""
        b.send("call carol")
        return c.wait_event(event="call", state="incoming")

    def test_a_lamp_goes_ringing_in_call_and_idle_during_a_third_phones_call(self):
        a = self.phone("alice", {"carol": ("carol", True), "bob": ("bob", False)})
        b = self.phone("bob")
        c = self.phone("carol")
        first = a.wait_event(event="dialog", contact="carol", since=0)
        self.assertEqual((first["state"], first["dialogs"]), ("idle", 0), first)
        self.assertIn("sip:carol@", first["uri"])
        self.assertFalse(a.find_events(event="dialog", contact="bob"), "bob has no lamp")
        mark = a.mark()
        inc = self.ring_carol(b, c)
        t0 = time.monotonic()
        ev = a.wait_event(event="dialog", contact="carol", state="ringing", since=mark)
        print("busy lamp: carol's ringing reached alice in %.0f ms"
              % ((time.monotonic() - t0) * 1000))
        self.assertIn("bob", ev.get("peer", ""), ev)
        c.send("answer %d" % inc["id"])
        b.wait_event(event="call", state="established")
        a.wait_event(event="dialog", contact="carol", state="in call", since=mark)
        b.send("hangup")
        a.wait_event(event="dialog", contact="carol", state="idle", since=mark)
        states = [e["state"] for e in a.find_events(event="dialog", contact="carol",
                                                     since=mark)]
        self.assertEqual(states, ["ringing", "in call", "idle"])
        self.assertTrue(a.alive() and b.alive() and c.alive())

    def test_pickup_dials_the_code_and_the_ringing_user(self):
        a = self.phone("alice", {"carol": ("carol", True)}, pickup="**")
        b = self.phone("bob")
        c = self.phone("carol")
        a.wait_event(event="dialog", contact="carol", state="idle", since=0)
        err = a.command("pickup carol", event="error")
        self.assertIn("nothing rings at carol", err["message"])
        mark = a.mark()
        inc = self.ring_carol(b, c)
        a.wait_event(event="dialog", contact="carol", state="ringing", since=mark)
        a.send("pickup carol")
        out = a.wait_event(event="call", state="calling", since=mark)
        self.assertIn("**carol", out["peer"])
        # the lab's Kamailio has no pickup service: it answers that no such user is here
        ended = a.wait_event(event="call", id=out["id"], state="ended", since=mark)
        self.assertEqual(ended["code"], 404, ended)
        self.assertEqual(c.find_events(event="call", id=inc["id"], state="ended"), [],
                         "carol's call rings on")
        b.send("hangup")
        c.wait_event(event="call", id=inc["id"], state="ended")
        err = a.command("pickup nobody", event="error")
        self.assertIn("no busy lamp", err["message"])

    def test_pickup_without_a_code_is_refused(self):
        a = self.phone("alice", {"carol": ("carol", True)})
        b = self.phone("bob")
        c = self.phone("carol")
        a.wait_event(event="dialog", contact="carol", state="idle", since=0)
        inc = self.ring_carol(b, c)
        a.wait_event(event="dialog", contact="carol", state="ringing")
        err = a.command("pickup carol", event="error")
        self.assertIn("no pickup code", err["message"])
        self.assertFalse(a.find_events(event="call"), "nothing was dialled")
        c.send("reject %d" % inc["id"])
        a.wait_event(event="dialog", contact="carol", state="idle")

    def test_subscribe_and_unsubscribe_at_run_time(self):
        k = self.lab.kam
        a = self.phone("alice")
        b = self.phone("bob", presence="yes")
        c = self.phone("carol")
        carol = k.aor("carol")
        a.send("subscribe %s dialog" % carol)
        ev = a.wait_event(event="dialog", uri=carol, state="idle", since=0)
        self.assertEqual(ev["contact"], "")
        a.send("subscribe %s" % k.aor("bob"))     # presence, the default
        a.wait_event(event="presence", uri=k.aor("bob"), state="online", since=0)
        mark = a.mark()
        a.send("unsubscribe %s dialog" % carol)
        ev = a.wait_event(event="dialog", uri=carol, since=mark)
        self.assertEqual((ev["state"], ev.get("reason")), ("unknown", "unsubscribed"))
        mark = a.mark()
        inc = self.ring_carol(b, c)
        c.send("reject %d" % inc["id"])
        b.wait_event(event="call", state="ended")
        time.sleep(0.5)      # what a lamp still subscribed would have shown by now
        self.assertEqual(a.find_events(event="dialog", since=mark), [],
                         "no lamp after unsubscribe")
        err = a.command("unsubscribe %s dialog" % carol, event="error")
        self.assertIn("is not watched", err["message"])
        err = a.command("subscribe %s voicemail" % carol, event="error")
        self.assertIn("unknown event package", err["message"])
        err = a.command("subscribe nobody", event="error")
        self.assertIn("neither a contact nor", err["message"])
        # and again: a lamp dropped can be asked for anew
        a.send("subscribe %s dialog" % carol)
        a.wait_event(event="dialog", uri=carol, state="idle", since=mark)
        self.assertTrue(a.alive())


if __name__ == "__main__":
    ttylab.main()
