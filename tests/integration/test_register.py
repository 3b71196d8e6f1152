#!/usr/bin/env python3
"""ttyphone registers at the lab's Kamailio: digest auth over UDP, TCP and TLS, failures
that end (wrong password, TLS server signed by another CA), several accounts, the binding
removed when the phone quits, and refreshed in time by an idle phone (whose Sofia-SIP
housekeeping timer only runs when something wakes it, or after a bounded delay). Skips
(77) without a ttyphone binary."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ttylab  # noqa: E402
from ttylab import Lab  # noqa: E402

REG_TIMEOUT = 10        # a registration on loopback takes milliseconds
TLS_FAIL_TIMEOUT = 45   # a TLS handshake refused by the phone may only end in a 408 (~32 s)


class Register(unittest.TestCase):
    def setUp(self):
        self.lab = Lab().start()
        self.kam = self.lab.kam

    def tearDown(self):
        try:
            self.lab.__exit__(None, None, None)   # quits phones; fails on non-JSON stdout
        finally:
            ttylab.assert_no_leftovers()

    # --- helpers ----------------------------------------------------------------------
    def start_phone(self, user="alice", transport="udp", **overrides):
        p = self.lab.phone(user, transport=transport, **overrides)
        p.wait_ready()
        return p

    def assert_registered(self, phone, account, transport):
        ev = phone.wait_event(timeout=REG_TIMEOUT, event="reg", account=account,
                              state=("registered", "failed"))
        self.assertEqual(ev["state"], "registered", ev)
        self.assertEqual(ev.get("code"), 200, ev)
        self.kam.wait_registered(account, timeout=5)
        sockets = [b.get("socket", "") for b in self.kam.bindings(account)]
        self.assertTrue(any(s.startswith(transport + ":") for s in sockets),
                        "%s should be bound over %s: %s" % (account, transport, sockets))
        return ev

    # --- tests ------------------------------------------------------------------------
    def test_register_udp_with_digest_auth(self):
        p = self.start_phone("alice", "udp")
        self.assert_registered(p, "alice", "udp")
        log = self.kam.log_text()
        self.assertIn("lab: REGISTER", log)

    def test_register_tcp_with_digest_auth(self):
        p = self.start_phone("alice", "tcp")
        self.assert_registered(p, "alice", "tcp")

    def test_register_tls_verifying_the_lab_ca(self):
        p = self.start_phone("alice", "tls", ca_file=self.kam.ca_file, tls_verify=True)
        self.assert_registered(p, "alice", "tls")

    def test_wrong_password_fails_with_401_or_403_and_does_not_hang(self):
        p = self.start_phone("alice", "udp", password="not-the-password")
        t0 = time.monotonic()
        ev = p.wait_event(timeout=REG_TIMEOUT, event="reg", account="alice",
                          state=("registered", "failed"))
        self.assertEqual(ev["state"], "failed", ev)
        self.assertIn(ev.get("code"), (401, 403), ev)
        self.assertLess(time.monotonic() - t0, REG_TIMEOUT)
        self.assertEqual(self.kam.contacts("alice"), [])
        # No retry storm: a handful of REGISTERs at most over the next two seconds.
        time.sleep(2)
        n = self.kam.log_text().count("lab: REGISTER sip:%s" % self.kam.domain)
        self.assertLessEqual(n, 6, "too many REGISTER attempts after a wrong password")
        self.assertTrue(p.alive(), "phone died after a failed registration")
        self.assertEqual(p.quit(), 0)

    def test_tls_with_the_wrong_ca_fails(self):
        p = self.start_phone("alice", "tls", ca_file=self.kam.wrong_ca_file, tls_verify=True)
        ev = p.wait_event(timeout=TLS_FAIL_TIMEOUT, event="reg", account="alice",
                          state=("registered", "failed"))
        self.assertEqual(ev["state"], "failed", ev)
        self.assertEqual(self.kam.contacts("alice"), [])
        self.assertTrue(p.alive())

    def test_two_accounts_in_one_config_both_register(self):
        p = self.start_phone(["alice", "bob"], "udp")
        seen = {}
        since = 0
        for _ in range(2):
            ev = p.wait_event(timeout=REG_TIMEOUT, since=since, event="reg",
                              account=lambda a: a in ("alice", "bob") and a not in seen,
                              state=("registered", "failed"))
            seen[ev["account"]] = ev
        for acc in ("alice", "bob"):
            self.assertEqual(seen[acc]["state"], "registered", seen[acc])
            self.assertEqual(seen[acc].get("code"), 200, seen[acc])
            self.kam.wait_registered(acc, timeout=5)

    def test_idle_phone_refreshes_a_short_registration_in_time(self):
        # 30 s granted (the shortest the config takes), no keep-alive: nothing but NUA's
        # deferred timer wakes the phone, and it must still refresh before each deadline
        # (nua_defer.c keeps the deferral at an eighth of the granted time). Kamailio's
        # view, once a second for 50 s: the binding's time left never runs out.
        p = self.start_phone("alice", "udp", register_expires=30, sip={"keepalive": 0})
        self.assert_registered(p, "alice", "udp")
        lefts = []
        for _ in range(50):
            b = self.kam.bindings("alice")
            lefts.append(min(int(str(x.get("expires")).split()[0]) for x in b) if b else -1)
            time.sleep(1.0)
        refreshed = sum(1 for a, b in zip(lefts, lefts[1:]) if b > a + 5)
        self.assertGreaterEqual(refreshed, 1, lefts)
        self.assertGreaterEqual(min(lefts), 2, "the binding ran out before a refresh: %r"
                                % lefts)
        self.assertFalse(p.find_events(event="reg", state=("failed", "unregistered")))

    def test_unregister_on_quit(self):
        p = self.start_phone("alice", "udp")
        self.assert_registered(p, "alice", "udp")
        self.assertEqual(p.quit(timeout=10), 0)
        self.kam.wait_unregistered("alice", timeout=5)

    def test_unregister_and_register_commands(self):
        p = self.start_phone("alice", "tcp")
        self.assert_registered(p, "alice", "tcp")
        p.send("unregister alice")
        p.wait_event(timeout=REG_TIMEOUT, event="reg", account="alice", state="unregistered")
        self.kam.wait_unregistered("alice", timeout=5)
        p.send("register alice")
        self.assert_registered(p, "alice", "tcp")


if __name__ == "__main__":
    ttylab.require_ttyphone()
    ttylab.require_tools("kamailio", "kamcmd", "openssl")
    ttylab.main()
