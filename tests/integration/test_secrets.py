#!/usr/bin/env python3
"""Secrets never appear in any output: registration (with a wrong password too), an
authenticated call and message through the proxy, with the SIP trace file on; then every
event, log line, trace and file the phones wrote is searched for the passwords and for
digest responses and nonces in clear."""

import glob
import os
import re

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


class Secrets(ttylab.LabTestCase):

    def test_no_output_contains_a_password_or_digest_secret(self):
        lab = self.lab
        trace_a = lab.path("alice.trace")
        trace_b = lab.path("bob.trace")
        a = lab.phone("alice", args=["--sip-trace", trace_a])
        b = lab.phone("bob", args=["--sip-trace", trace_b])
        wrong = lab.phone("carol", password="carol-WRONG-pass")
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        wrong.wait_event(event="reg", state="failed")
        a.send("call bob")
        inc = b.wait_event(event="call", state="incoming")
        b.send("answer %d" % inc["id"])
        a.wait_event(event="call", state="established")
        a.send("msg bob secret-free text")
        b.wait_event(event="message")
        a.send("status")
        a.wait_event(event="status")
        a.send("hangup")
        b.wait_event(event="call", state="ended")
        for p in (a, b, wrong):
            p.quit()

        secrets = list(lab.kam.users.values()) + ["carol-WRONG-pass"]
        outputs = {}
        for p in (a, b, wrong):
            with open(p.stdout_path, encoding="utf-8", errors="replace") as f:
                outputs[p.stdout_path] = f.read()
            outputs[p.stderr_path] = p.stderr_text()
            # everything the phone wrote in its home, data and state folders
            for path in glob.glob(os.path.join(p.dir, "**", "*"), recursive=True):
                if os.path.isfile(path) and path != p.config_path:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        outputs[path] = f.read()
        for path in (trace_a, trace_b):
            with open(path, encoding="utf-8", errors="replace") as f:
                outputs[path] = f.read()

        # the trace really holds the authenticated requests, masked
        self.assertRegex(outputs[trace_a], r"Authorization: Digest")
        self.assertIn('response="NOT SHOWN"', outputs[trace_a])
        self.assertIn("INVITE sip:bob@", outputs[trace_a])
        for path, text in outputs.items():
            for s in secrets:
                self.assertNotIn(s, text, "password found in %s" % path)
            for m in re.finditer(r'\b(response|nonce|cnonce)="([^"]*)"', text):
                self.assertEqual(m.group(2), "NOT SHOWN",
                                 "%s in clear in %s: %s" % (m.group(1), path, m.group(0)))


if __name__ == "__main__":
    ttylab.main()
