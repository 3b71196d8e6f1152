#!/usr/bin/env python3
"""Presence between ttyphones through the lab's Kamailio with its presence server
(Lab(presence=True): presence, presence_xml on SQLite): an account with presence = yes
subscribes to its contacts' presence (PIDF) and PUBLISHes ours. Two phones see each other
online, then each other's away with its note, busy while in a call (presence_in_call) and
online after it, not busy with presence_in_call = no; a contact nobody publishes for is
offline; a PIDF another program PUBLISHes (the suite, as a desk phone would) shows with
its note; a message summary PUBLISHed for alice (presence_mwi) reaches her phone (mwi =
yes) as an mwi event with the counts, new and then none; a bad presence
command is refused and changes nothing. The time from a presence command to the
watcher's event is printed."""

import os
import re
import time

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


class Presence(ttylab.LabTestCase):
    lab_args = {"presence": True}

    def phone(self, user, contacts, args=None, **account):
        """A phone with presence = yes whose contacts.ini lists contacts ({name: user})."""
        k = self.lab.kam
        d = os.path.join(self.lab.dir, "phone-%s-%d" % (user, len(self.lab.phones)),
                         "config", "ttyphone")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "contacts.ini"), "w", encoding="utf-8") as f:
            for name, who in contacts.items():
                f.write("[contact %s]\nuri = %s\n" % (
                    name, who if who.startswith("sip:") else k.aor(who)))
        acc = {"presence": "yes"}
        acc.update(account)
        p = self.lab.phone(user, account=acc, args=args or ())
        p.wait_event(event="reg", state="registered", code=200)
        return p

    def test_two_phones_see_each_other_online_then_away_with_the_note(self):
        a = self.phone("alice", {"bob": "bob"})
        b = self.phone("bob", {"alice": "alice"})
        a.wait_event(event="presence", contact="bob", state="online", since=0)
        b.wait_event(event="presence", contact="alice", state="online", since=0)
        mark = a.mark()
        t0 = time.monotonic()
        b.send("presence away gone fishing")
        mine = b.wait_event(event="presence", contact="")
        self.assertEqual((mine["state"], mine["note"], mine["published"]),
                         ("away", "gone fishing", 1))
        ev = a.wait_event(event="presence", contact="bob", state="away", since=mark)
        print("presence: bob's away reached alice in %.1f ms"
              % ((time.monotonic() - t0) * 1000))
        self.assertEqual(ev["note"], "gone fishing")
        self.assertIn("sip:bob@", ev["uri"])
        b.send("presence busy")
        self.assertEqual(a.wait_event(event="presence", contact="bob", state="busy")["note"],
                         "")
        b.send("presence offline")
        a.wait_event(event="presence", contact="bob", state="offline")
        b.send("presence online back")
        self.assertEqual(a.wait_event(event="presence", contact="bob",
                                      state="online")["note"], "back")

    def test_busy_in_a_call_and_online_after_it(self):
        a = self.phone("alice", {"bob": "bob", "carol": "carol"})
        b = self.phone("bob", {"alice": "alice"})
        c = self.phone("carol", {"alice": "alice"}, presence_in_call="no")
        for who in ("bob", "carol"):
            a.wait_event(event="presence", contact=who, state="online", since=0)
        mark = a.mark()
        b.send("call carol")
        inc = c.wait_event(event="call", state="incoming")
        c.send("answer %d" % inc["id"])
        b.wait_event(event="call", state="established")
        ev = a.wait_event(event="presence", contact="bob", state="busy", since=mark)
        self.assertEqual(ev["note"], "on the phone")
        b.send("hangup")
        c.wait_event(event="call", state="ended")
        a.wait_event(event="presence", contact="bob", state="online", since=mark)
        # carol said presence_in_call = no: no busy from her the whole time
        self.assertFalse(a.find_events(event="presence", contact="carol", state="busy",
                                       since=mark))

    def test_a_contact_nobody_publishes_for_is_offline(self):
        a = self.phone("alice", {"ghost": "dave"})   # dave never registers
        ev = a.wait_event(event="presence", contact="ghost", since=0)
        self.assertEqual(ev["state"], "offline")

    def publish(self, user, body, event="presence", etag=None):
        """PUBLISH as the suite (another program of user's); returns the SIP-ETag."""
        k = self.lab.kam
        code, answer = ttylab.sip_publish("127.0.0.1", k.sip_port, k.domain, user,
                                          k.users[user], body=body, event=event, etag=etag)
        self.assertEqual(code, 200, "the suite's PUBLISH for %s" % user)
        return answer.header("SIP-ETag")

    def test_a_foreign_publication_shows_with_its_note(self):
        k = self.lab.kam
        a = self.phone("alice", {"dave": "dave"})
        a.wait_event(event="presence", contact="dave", state="offline", since=0)
        etag = self.publish("dave", ttylab.pidf(k.aor("dave"), basic="open",
                                                note="desk phone"))
        ev = a.wait_event(event="presence", contact="dave", state="online")
        self.assertEqual(ev["note"], "desk phone")
        self.publish("dave", ttylab.pidf(k.aor("dave"), basic="closed"), etag=etag)
        a.wait_event(event="presence", contact="dave", state="offline")

    def test_message_waiting_counts_reach_the_phone(self):
        a = self.phone("alice", {}, mwi="yes", voicemail="sip:*97@%s" % self.lab.kam.domain)
        # the first NOTIFY (nothing published yet) first: a summary published before
        # it would come twice, in that NOTIFY and in the one the PUBLISH makes
        a.wait_event(event="log", since=0,
                     text=lambda t: t == "voicemail of alice: subscribed, no summary yet")
        mark = a.mark()
        self.publish("alice", ttylab.message_summary(3, 5, urgent_new=1),
                     event="message-summary")
        ev = a.wait_event(event="mwi", since=mark)
        self.assertEqual((ev["account"], ev["waiting"], ev["new"], ev["old"],
                          ev["urgent_new"]), ("alice", True, 3, 5, 1), ev)
        # (a malformed summary is refused by Kamailio's presence_mwi with 500, so it
        # never reaches a phone from there: test_presence.c and fuzz_presence cover ours)
        mark = a.mark()
        self.publish("alice", ttylab.message_summary(0, 8), event="message-summary")
        ev = a.wait_event(event="mwi", since=mark)
        self.assertEqual((ev["waiting"], ev["new"], ev["old"]), (False, 0, 8), ev)
        self.assertTrue(a.alive())

    def test_a_long_contact_list_subscribes_at_most_16_at_a_time(self):
        """80 contacts (79 of them no user of the server, which answers 404): every one
        gets its answer, and the phone's SIP trace never has more than 16 initial
        SUBSCRIBEs unanswered at once (a digest challenge and its retry count as one)."""
        import re
        contacts = {"bob": "bob"}
        contacts.update({"x%02d" % i: "nobody%02d" % i for i in range(79)})
        trace = os.path.join(self.lab.dir, "alice-long.trace")
        t0 = time.monotonic()
        a = self.phone("alice", contacts, args=["--sip-trace", trace])
        for name in contacts:
            a.wait_event(event="presence", contact=name, since=0)
        print("presence: 80 contacts answered %.2f s after start"
              % (time.monotonic() - t0))
        self.assertEqual(a.find_events(event="presence", contact="x05", since=0)[0]["state"],
                         "unknown")
        with open(trace, encoding="utf-8", errors="replace") as f:
            text = f.read()
        parts = re.split(r"(?m)^\d{4}-\d\d-\d\d \S+ (send to|recv from) [^\n]*\n", text)
        out, most, initial = set(), 0, 0
        for way, msg in zip(parts[1::2], parts[2::2]):
            cseq = re.search(r"(?mi)^CSeq: *\d+ +(\S+)", msg)
            cid = re.search(r"(?mi)^Call-ID: *(\S+)", msg)
            if not cseq or cseq.group(1) != "SUBSCRIBE" or not cid:
                continue
            to = re.search(r"(?mi)^To:[^\n]*", msg).group(0)
            if way == "send to" and msg.startswith("SUBSCRIBE ") and ";tag=" not in to:
                if cid.group(1) not in out:
                    initial += 1
                out.add(cid.group(1))
                most = max(most, len(out))
            elif way == "recv from" and msg.startswith("SIP/2.0 "):
                code = int(msg.split()[1])
                if code >= 200 and code not in (401, 407):
                    out.discard(cid.group(1))
        print("presence: %d initial SUBSCRIBEs, at most %d unanswered at once"
              % (initial, most))
        self.assertEqual(initial, 80)
        self.assertEqual(most, 16)

    def test_a_subscription_the_server_deactivates_comes_back_and_noresource_ends_it(self):
        """A presence server (SIPp) ends bob's subscription with reason=deactivated:
        bob is unknown with the reason (not offline: the NOTIFY had no body), the phone
        subscribes again and bob is online again; then reason=noresource: unknown, and
        no SUBSCRIBE follows (RFC 6665 4.1.3)."""
        uas = self.lab.sipp("uas_presence_deactivate.xml", target=None, timeout=30).start()
        a = self.phone("alice", {"bob": uas.uri("bob")}, mwi="no")
        a.wait_event(event="presence", contact="bob", state="online")
        off = a.wait_event(event="presence", contact="bob")
        self.assertEqual((off["state"], off.get("reason")),
                         ("unknown", "the subscription ended (deactivated): subscribing again"),
                         off)
        a.wait_event(event="presence", contact="bob", state="online")
        off = a.wait_event(event="presence", contact="bob")
        self.assertEqual((off["state"], off.get("reason")),
                         ("unknown", "the subscription ended (noresource)"), off)
        r = uas.wait(20)
        self.assertTrue(r.ok, r.describe())
        # two SUBSCRIBEs (a retransmission has the same Via branch; nua's second one
        # has the first one's CSeq)
        subs = re.findall(r"(?ms)^SUBSCRIBE sip:.*?^Via:[^\n]*branch=([^;\s]+)", r.messages())
        self.assertEqual(len(set(subs)), 2, r.describe())
        self.assertFalse(a.find_events(event="log", since=0,
                                       text=lambda t: t.startswith("subscriptions:")))
        self.assertTrue(a.alive())

    def test_a_subscription_that_timed_out_is_asked_for_again_backing_off(self):
        """A presence server (SIPp) that ends each subscription with reason=timeout
        (RFC 6665: the client may subscribe again at once): bob goes unknown with the
        reason and comes back online by a new SUBSCRIBE 1 s later; the second end waits
        2 s (a server that keeps ending subscriptions is not met with a storm)."""
        uas = self.lab.sipp("uas_presence_timeout.xml", target=None, calls=2,
                            timeout=30).start()
        a = self.phone("alice", {"bob": uas.uri("bob")}, mwi="no")
        for wait_s in (1, 2):          # events in order, each after the one before
            a.wait_event(event="presence", contact="bob", state="online")
            off = a.wait_event(event="presence", contact="bob")
            self.assertEqual((off["state"], off.get("reason")),
                             ("unknown", "the subscription ended (timeout)"), off)
            a.wait_event(event="log",
                         text=lambda t, s=wait_s: t == "subscriptions: asking again in %d s" % s)
        r = uas.wait(20)
        self.assertTrue(r.ok, r.describe())
        self.assertTrue(a.alive())

    def test_a_bad_presence_command_is_refused_and_changes_nothing(self):
        a = self.phone("alice", {"bob": "bob"})
        b = self.phone("bob", {"alice": "alice"})
        b.wait_event(event="presence", contact="alice", state="online", since=0)
        mark = b.mark()
        err = a.command("presence sideways", event="error")
        self.assertIn("unknown state", err["message"])
        a.send("presence away")
        b.wait_event(event="presence", contact="alice", state="away", since=mark)
        self.assertEqual(len(b.find_events(event="presence", contact="alice", since=mark)),
                         1, "only the good command's change reached bob")
        self.assertTrue(a.alive() and b.alive())


if __name__ == "__main__":
    ttylab.main()
