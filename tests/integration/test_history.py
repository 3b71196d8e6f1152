#!/usr/bin/env python3
"""The history (history.sqlite) seen from outside: calls and messages between two
ttyphones through the lab's Kamailio show up in `history` and `messages`, survive a
restart, a damaged file is reported and kept; first run (demo mode) writes nothing until
`account add`; `--import-vcard` fills contacts.ini without duplicates."""

import json
import os
import shutil
import stat
import subprocess
import unittest

import ttylab
from ttylab import Phone, make_tempdir

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


def history_file(phone):
    return os.path.join(phone.dir, "data", "ttyphone", "history.sqlite")


class History(ttylab.LabTestCase):

    def phones(self, *users):
        ps = [self.lab.phone(u) for u in users]
        for p in ps:
            p.wait_event(event="reg", state="registered", code=200)
        return ps

    def call(self, a, b, callee, reject=None):
        mark = a.mark()
        a.send("call %s" % callee)
        inc = b.wait_event(event="call", state="incoming")
        a.wait_event(event="call", state="ringing")
        if reject:
            b.send("reject %d %d" % (inc["id"], reject))
        else:
            b.send("answer %d" % inc["id"])
            a.wait_event(event="call", state="established")
            a.wait_event(event="media", since=mark)   # may come before "established"
            a.send("hangup")
        a.wait_event(event="call", state="ended")
        b.wait_event(event="call", state="ended", id=inc["id"])

    def test_calls_and_messages_between_two_phones_are_in_history(self):
        a, b = self.phones("alice", "bob")
        self.call(a, b, "bob")
        self.call(a, b, "bob", reject=486)
        a.send("msg bob hello bob, ça va?")
        a.wait_event(event="message_status", code=lambda c: 200 <= c < 300)
        b.wait_event(event="message", body="hello bob, ça va?")
        b.send("msg alice fine, and you?")
        a.wait_event(event="message", body="fine, and you?")
        b.wait_event(event="message_status", code=lambda c: 200 <= c < 300)

        h = a.command("history", event="history")
        self.assertEqual(len(h["calls"]), 2, h)
        rejected, answered = h["calls"]          # newest first
        bob = self.lab.kam.aor("bob")
        self.assertEqual((answered["direction"], answered["peer"], answered["account"]),
                         ("out", bob, "alice"))
        self.assertEqual(answered["result"], "answered")
        self.assertEqual(answered["codec"], "opus")
        self.assertEqual(answered["reason"], "Hung up")
        self.assertTrue(answered["started"] <= answered["answered"] <= answered["ended"])
        self.assertEqual((rejected["code"], rejected["answered"], rejected["result"]),
                         (486, None, "not answered"))

        hb = b.command("history 1", event="history")
        self.assertEqual(len(hb["calls"]), 1)
        self.assertEqual((hb["calls"][0]["direction"], hb["calls"][0]["result"]),
                         ("in", "missed"))
        self.assertIn("alice", hb["calls"][0]["peer"])

        # "bob" is not a contact: it means bob at alice's account's domain
        m = a.command("messages bob", event="messages")
        self.assertEqual(m["peer"], "bob")
        self.assertEqual([(x["direction"], x["body"]) for x in m["messages"]],
                         [("out", "hello bob, ça va?"), ("in", "fine, and you?")])
        self.assertEqual(m["messages"][0]["state"], "delivered")
        self.assertTrue(200 <= m["messages"][0]["code"] < 300)
        self.assertEqual(m["messages"][1]["state"], "received")
        # a contact with that address, and the address itself, find the same messages
        cdir = os.path.join(a.dir, "config", "ttyphone")
        os.makedirs(cdir, exist_ok=True)
        with open(os.path.join(cdir, "contacts.ini"), "w") as f:
            f.write("[contact robert]\nuri = %s\n" % bob)
        for who in ("robert", bob):
            again = a.command("messages %s" % who, event="messages")
            self.assertEqual([x["body"] for x in again["messages"]],
                             [x["body"] for x in m["messages"]])
        self.assertEqual(a.command("messages sip:nobody@example.org", event="messages")
                         ["messages"], [])
        self.assertEqual(len(a.command("messages bob 1", event="messages")["messages"]), 1)
        err = a.command("history lots", event="error")
        self.assertIn("n must be a number", err["message"])
        for p in (a, b):
            p.assert_clean()
        # the file is private
        self.assertEqual(stat.S_IMODE(os.stat(history_file(a)).st_mode), 0o600)

    def test_history_survives_a_restart(self):
        a, b = self.phones("alice", "bob")
        self.call(a, b, "bob")
        a.send("msg bob before the restart")
        a.wait_event(event="message_status")
        self.assertEqual(a.quit(), 0)
        again = Phone(a.config, name="alice2", workdir=a.dir)
        self.lab.phones.append(again)
        again.wait_ready()
        h = again.command("history", event="history")
        self.assertEqual(len(h["calls"]), 1)
        m = again.command("messages bob", event="messages")
        self.assertEqual([x["body"] for x in m["messages"]], ["before the restart"])

    def test_damaged_history_is_reported_and_kept(self):
        cfg = self.lab.config("alice")
        p = Phone(cfg, name="alice", start=False,
                  workdir=os.path.join(self.lab.dir, "phone-damaged"))
        self.lab.phones.append(p)
        path = history_file(p)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        junk = b"SQLite format 3\x00" + b"\xde\xad\xbe\xef" * 2000
        with open(path, "wb") as f:
            f.write(junk)
        p.start()
        p.wait_event(event="reg", state="registered")
        err = p.command("history", event="error")
        self.assertIn("no history this time", err["message"])
        self.assertIn("history.sqlite", err["message"])
        self.assertIn("running without history", p.stderr_text())
        # the phone still works, and the file is exactly as it was
        p.send("call echo")
        p.wait_event(event="call", state="established")
        p.send("hangup")
        p.wait_event(event="call", state="ended")
        self.assertEqual(p.quit(), 0)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), junk)


class FirstRun(unittest.TestCase):
    """No config file: demo mode, nothing written until asked."""

    def setUp(self):
        self.dir = make_tempdir("ttylab-firstrun-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.env = dict(os.environ, HOME=os.path.join(self.dir, "home"),
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        os.makedirs(self.env["HOME"])

    def run_phone(self, commands, args=("--headless",)):
        r = subprocess.run([ttylab.ttyphone_bin()] + list(args), env=self.env, cwd=self.dir,
                           input="".join(c + "\n" for c in commands).encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        events = [json.loads(l) for l in r.stdout.decode().splitlines() if l.startswith("{")]
        return r, events

    def files(self):
        out = []
        for root, _, names in os.walk(self.dir):
            out += [os.path.relpath(os.path.join(root, n), self.dir) for n in names]
        return sorted(out)

    def test_demo_mode_writes_nothing_until_account_add(self):
        r, ev = self.run_phone(["history", "status", "quit"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(ev[0]["demo"])
        err = [e for e in ev if e["event"] == "error"][0]
        self.assertIn("demo mode", err["message"])
        self.assertEqual(self.files(), [])

        r, ev = self.run_phone(["account add alice sip:alice@127.0.0.1 pass word",
                                "account add alice sip:other@127.0.0.1",
                                "account add bad name sip:x@y",
                                "account list", "quit"])
        added = [e for e in ev if e["event"] == "account"]
        self.assertEqual(len(added), 1, ev)
        # a loopback account starts at once, even in demo mode (which listens on 127.0.0.1)
        self.assertEqual((added[0]["name"], added[0]["password"], added[0]["restart"]),
                         ("alice", True, False))
        self.assertIn({"event": "reg", "account": "alice", "state": "registering", "code": 0,
                       "reason": "registering"}, ev)
        self.assertNotIn("pass word", r.stdout.decode())
        errors = [e["message"] for e in ev if e["event"] == "error"]
        self.assertEqual(len(errors), 3, errors)
        self.assertIn("already an account", errors[0])
        cfg = os.path.join(self.dir, "config", "ttyphone", "config.ini")
        # (and the lock that serialises writers, see test_concurrent_account_adds_lose_nothing)
        self.assertEqual(self.files(), ["config/ttyphone/.config.ini.lock",
                                        "config/ttyphone/config.ini"])
        self.assertEqual(stat.S_IMODE(os.stat(cfg).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(cfg)).st_mode), 0o700)
        with open(cfg) as f:
            self.assertEqual(f.read(), "[account alice]\nuri = sip:alice@127.0.0.1\n"
                                       "password = pass word\n")
        # the next start reads it: no demo, and now a history
        r, ev = self.run_phone(["history", "quit"])
        self.assertFalse(ev[0]["demo"])
        self.assertEqual(ev[0]["accounts"], 1)
        self.assertEqual([e for e in ev if e["event"] == "history"][0]["calls"], [])
        self.assertIn("data/ttyphone/history.sqlite", self.files())

    def test_account_add_in_demo_mode_for_a_remote_server_waits_for_a_restart(self):
        """Demo mode listens on 127.0.0.1, which reaches no server elsewhere: the account is
        written, not started, and the reply says why."""
        r, ev = self.run_phone(["account add work sip:me@example.org pw", "status", "quit"])
        added = [e for e in ev if e["event"] == "account"]
        self.assertEqual(len(added), 1, ev)
        self.assertTrue(added[0]["restart"])
        self.assertIn("SIP listens on 127.0.0.1", added[0]["why"])
        self.assertIn("restart ttyphone to register work", added[0]["why"])
        status = [e for e in ev if e["event"] == "status"][0]
        self.assertEqual(status["accounts"], [])
        self.assertEqual([e for e in ev if e["event"] == "reg"], [])

    def test_concurrent_account_adds_lose_nothing(self):
        """Two ttyphones adding accounts to one config.ini at the same moment: each reads
        the file, adds its section and renames a new file over it, so without the lock one
        of them loses the other's sections."""
        cfg = os.path.join(self.dir, "shared.ini")
        per_phone = 4                                  # two phones: CFG_MAX_ACCOUNTS (8)
        for rnd in range(5):
            with open(cfg, "w") as f:
                f.write("[sip]\nlisten = 127.0.0.1:0\n\n[audio]\nbackend = null\n")
            os.chmod(cfg, 0o600)
            phones = [subprocess.Popen([ttylab.ttyphone_bin(), "--headless", "--config", cfg],
                                       env=self.env, cwd=self.dir, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                      for _ in range(2)]
            try:
                for p in phones:                       # both up before either writes
                    self.assertIn(b'"event":"ready"', p.stdout.readline())
                for i, p in enumerate(phones):
                    p.stdin.write("".join("account add r%d_p%d_%d sip:a%d@127.0.0.1 pw\n" %
                                          (rnd, i, k, k) for k in range(per_phone)).encode())
                for p in phones:
                    p.stdin.flush()
                outs = [p.communicate(b"quit\n", timeout=30)[0].decode() for p in phones]
            finally:
                for p in phones:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
            for out in outs:
                ev = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
                self.assertEqual(len([e for e in ev if e["event"] == "account"]), per_phone, ev)
                self.assertEqual([e for e in ev if e["event"] == "error"], [])
            with open(cfg) as f:
                text = f.read()
            want = ["r%d_p%d_%d" % (rnd, i, k) for i in range(2) for k in range(per_phone)]
            missing = [n for n in want if "[account %s]" % n not in text]
            self.assertEqual(missing, [], "round %d lost sections:\n%s" % (rnd, text))
            r = subprocess.run([ttylab.ttyphone_bin(), "--check-config", "--config", cfg],
                               env=self.env, capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(stat.S_IMODE(os.stat(cfg).st_mode), 0o600)

    def test_import_vcard_merges_into_contacts(self):
        vcf = os.path.join(self.dir, "people.vcf")
        with open(vcf, "wb") as f:
            f.write(b"\xef\xbb\xbfBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Smith\r\n"
                    b"TEL;TYPE=cell:+1 555 0100\r\nIMPP:sip:bob@example.org\r\nEND:VCARD\r\n"
                    b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:"
                    b"M=C3=BCller;J=C3=BC=\r\nrgen\r\nTEL;WORK:+49 30 1234\r\nEND:VCARD\r\n"
                    b"BEGIN:VCARD\r\nFN:No Number\r\nEMAIL:x@example.org\r\nEND:VCARD\r\n")
        r, _ = self.run_phone([], args=("--import-vcard", vcf))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertIn("3 cards: 2 imported, 0 updated, 1 skipped", out)
        self.assertIn("No Number", r.stderr.decode())
        book = os.path.join(self.dir, "config", "ttyphone", "contacts.ini")
        with open(book, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("[contact Bob_Smith]", text)
        self.assertIn("sip:bob@example.org", text)
        self.assertIn("tel:+15550100", text)
        self.assertIn("[contact Jürgen_Müller]", text)
        # again: nothing new
        r, _ = self.run_phone([], args=("--import-vcard", vcf))
        self.assertIn("0 imported, 0 updated, 3 skipped (2 already in contacts", r.stdout.decode())
        with open(book, encoding="utf-8") as f:
            self.assertEqual(f.read(), text)
        r, _ = self.run_phone([], args=("--import-vcard", os.path.join(self.dir, "none.vcf")))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot open", r.stderr.decode())


if __name__ == "__main__":
    ttylab.main()
