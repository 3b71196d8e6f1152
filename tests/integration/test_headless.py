#!/usr/bin/env python3
"""The headless protocol beyond stdin: the control socket serves several clients (a
command's reply goes to its sender only, events go to everyone), over-long and binary lines
are refused with an error and change nothing, and OPTIONS is answered with our
capabilities."""

import json
import os
import socket
import time

import ttylab

ttylab.require_ttyphone()


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(0.2)
        self.buf = b""
        self.events = []

    def send(self, line):
        self.s.sendall(line.encode() + b"\n")

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            self.buf += data
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                self.events.append(json.loads(line))

    def wait(self, seconds=5, **match):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for e in self.events:
                if all(e.get(k) == v for k, v in match.items()):
                    return e
            self.pump(0.2)
        raise AssertionError("no %r in %r" % (match, self.events))


def account_less(lab, name, **sip):
    sect = {"listen": "127.0.0.1:0"}
    sect.update(sip)
    cfg = ttylab.render_ini([("sip", sect), ("media", {"rtp_ports": "26000-26999"}),
                             ("audio", {"backend": "null"})])
    path = lab.path("%s.sock" % name)
    p = ttylab.Phone(cfg, name=name, workdir=lab.path(name), args=["--ctl-socket", path])
    lab.phones.append(p)
    return p, path


class Headless(ttylab.LabTestCase):
    lab_args = {"kamailio": False}

    def test_control_socket_serves_several_clients(self):
        a, path = account_less(self.lab, "ctl")
        ready = a.wait_ready()
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        c1, c2 = Client(path), Client(path)
        self.addCleanup(c1.s.close)
        self.addCleanup(c2.s.close)
        c1.send("status")
        st = c1.wait(event="status")
        self.assertEqual(st["sip"], ready["sip"])
        c2.pump(0.5)
        self.assertEqual([e for e in c2.events if e["event"] == "status"], [])
        c2.send("bogus")
        self.assertIn("unknown command", c2.wait(event="error")["message"])
        # an event (a call placed from client 1) reaches both clients and stdout
        c1.send("call echo")
        for c in (c1, c2):
            c.wait(event="call", state="established")
        a.wait_event(event="call", state="established")
        c2.send("hangup")
        for c in (c1, c2):
            c.wait(event="call", state="ended")

    def test_overlong_and_binary_lines_are_refused(self):
        a, _ = account_less(self.lab, "long")
        a.wait_ready()
        a.send("msg sip:x@127.0.0.1:9 " + "x" * 5000)
        self.assertIn("too long", a.wait_event(event="error")["message"])
        a.send("call \x1b[2J\x07\xff\xfe")
        err = a.wait_event(event="error")
        self.assertNotIn("\x1b", err["message"])
        self.assertEqual(a.command("calls", event="calls")["calls"], [])
        self.assertEqual(a.protocol_errors, [])

    def test_hangup_right_after_dialling_ends_the_call(self):
        # The echo service answers at once, so our CANCEL crosses its 200: the user's
        # hang-up must still win (a BYE follows) and nothing may linger.
        a, _ = account_less(self.lab, "quick")
        a.wait_ready()
        for _ in range(3):
            mark = a.mark()
            a.send("call echo")
            a.send("hangup")
            ended = a.wait_event(event="call", state="ended", since=mark, timeout=10)
            self.assertEqual(ended["reason"], "Hung up")
            self.assertEqual(a.command("calls", event="calls")["calls"], [])

    def test_options_is_answered_with_our_capabilities(self):
        a, _ = account_less(self.lab, "opt")
        port = int(a.wait_ready()["sip"].rsplit(":", 1)[1])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.settimeout(3)
        lp = s.getsockname()[1]
        s.sendto(("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-opt1;rport\r\n"
                  "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=o1\r\n"
                  "To: <sip:127.0.0.1:%d>\r\nCall-ID: opt-1\r\nCSeq: 1 OPTIONS\r\n"
                  "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n" % (
                      port, lp, port)).encode(), ("127.0.0.1", port))
        resp = s.recvfrom(4000)[0].decode()
        self.assertTrue(resp.startswith("SIP/2.0 200"), resp)
        allow = [l for l in resp.split("\r\n") if l.lower().startswith("allow:")]
        self.assertTrue(allow, resp)
        for method in ("INVITE", "MESSAGE", "REFER", "INFO"):
            self.assertIn(method, allow[0])


if __name__ == "__main__":
    ttylab.main()
