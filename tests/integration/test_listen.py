#!/usr/bin/env python3
"""Where SIP listens (issue 18). With [sip] listen unset, a phone takes any free port on the
address that reaches its registrar, says which, and registers and receives calls there,
even while a stranger holds the port it would once have used. A configured port that is
taken stops the start with a message naming who holds it, as `ss -lnp` would."""

import os
import socket

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


def squat(port=0):
    """Hold a UDP and a TCP port (the same number) on 0.0.0.0, as a stranger would."""
    for _ in range(20):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", port))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("0.0.0.0", u.getsockname()[1]))
        except OSError:
            u.close()
            t.close()
            continue
        t.listen(1)
        return u, t
    raise RuntimeError("no port free for UDP and TCP")


class Listen(ttylab.LabTestCase):

    def test_unset_listen_takes_a_free_port_on_the_registrars_side_and_says_so(self):
        a = self.lab.phone("alice", sip={"listen": None})
        b = self.lab.phone("bob", sip={"listen": None}, auto_answer=True)
        for p in (a, b):
            ready = p.wait_ready()
            self.assertEqual(ready["listen"], "any")
            # the registrar is on 127.0.0.1: that is the address that reaches it
            self.assertTrue(ready["sip"].startswith("127.0.0.1:"), ready)
            log = p.wait_event(event="log", since=0)
            self.assertIn("SIP listens on %s" % ready["sip"], log["text"])
            self.assertIn("any free port", log["text"])
            p.wait_event(event="reg", state="registered", code=200)
        contact = self.lab.kam.bindings("bob")[0]["address"]
        self.assertIn(b.find_events(event="ready")[0]["sip"], contact)
        a.send("call bob")
        a.wait_event(event="call", state="established")
        a.send("hangup")
        b.wait_event(event="call", state="ended")

    def test_a_taken_port_that_was_configured_names_its_holder(self):
        u, t = squat()
        self.addCleanup(u.close)
        self.addCleanup(t.close)
        port = u.getsockname()[1]
        p = self.lab.phone("alice", sip={"listen": "127.0.0.1:%d" % port})
        self.assertEqual(p.wait_exit(timeout=15), 1)
        err = p.stderr_text()
        self.assertIn("cannot listen on 127.0.0.1:%d" % port, err)
        self.assertIn("UDP port %d is in use" % port, err)
        self.assertIn("(pid %d, user root)" % os.getpid(), err)
        self.assertIn("Leave listen unset", err)
        self.lab.phones.remove(p)

    def test_a_squatted_port_does_not_stop_an_unset_listen(self):
        # The stranger holds a port on every address; our phone never asked for it.
        u, t = squat()
        self.addCleanup(u.close)
        self.addCleanup(t.close)
        p = self.lab.phone("alice", sip={"listen": None})
        ready = p.wait_ready()
        self.assertNotEqual(ready["sip"].rsplit(":", 1)[1], str(u.getsockname()[1]))
        p.wait_event(event="reg", state="registered", code=200)


if __name__ == "__main__":
    ttylab.main()
