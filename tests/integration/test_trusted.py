#!/usr/bin/env python3
"""Requests from outside our server while registered ([sip] trusted_only, on by default):
a scanner's INVITE, OPTIONS and MESSAGE get 403 and nothing rings; calls through the
registrar still ring; trusted_only = no lets them in; and with no account at all, two
phones call each other peer to peer by sip:user@host:port."""

import socket

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


def sip_port(phone):
    return int(phone.find_events(event="ready")[0]["sip"].rsplit(":", 1)[1])


def probe(port, method, body=""):
    """Send one out-of-dialog request as a scanner would; return the final status code."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
    lp = s.getsockname()[1]
    msg = ("%s sip:100@127.0.0.1:%d SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-scan-%s;rport\r\n"
           "Max-Forwards: 70\r\nFrom: \"scanner\" <sip:100@192.0.2.9>;tag=s1\r\n"
           "To: <sip:100@127.0.0.1>\r\nCall-ID: scan-%s-%d\r\nCSeq: 1 %s\r\n"
           "User-Agent: friendly-scanner\r\nContact: <sip:100@127.0.0.1:%d>\r\n"
           "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
               method, port, lp, method, method, lp, method, lp, len(body), body))
    s.sendto(msg.encode(), ("127.0.0.1", port))
    try:
        while True:
            line = s.recvfrom(4000)[0].decode(errors="replace").splitlines()[0]
            code = int(line.split()[1])
            if code >= 200:
                return code
    finally:
        s.close()


class Trusted(ttylab.LabTestCase):

    def test_scanner_requests_are_refused_while_registered(self):
        a = self.lab.phone("alice")
        a.wait_event(event="reg", state="registered")
        port = sip_port(a)
        self.assertEqual(probe(port, "OPTIONS"), 403)
        self.assertEqual(probe(port, "INVITE"), 403)
        self.assertEqual(probe(port, "MESSAGE", "hi"), 403)
        a.expect_no_event(within=1.0, event="call")
        self.assertEqual(a.find_events(event="message"), [])
        # a real call through the registrar still rings
        b = self.lab.phone("bob")
        b.wait_event(event="reg", state="registered")
        b.send("call alice")
        a.wait_event(event="call", state="incoming")

    def test_trusted_only_off_lets_direct_requests_in(self):
        a = self.lab.phone("alice", sip={"trusted_only": "no"})
        a.wait_event(event="reg", state="registered")
        self.assertEqual(probe(sip_port(a), "MESSAGE", "direct"), 200)
        self.assertEqual(a.wait_event(event="message")["body"], "direct")

    def test_peer_to_peer_call_without_accounts(self):
        cfg = ttylab.render_ini([("sip", {"listen": "127.0.0.1:0"}),
                                 ("media", {"rtp_ports": "25000-25999"}),
                                 ("audio", {"backend": "null"})])
        a = ttylab.Phone(cfg, name="p2p-a", workdir=self.lab.path("p2p-a"))
        b = ttylab.Phone(cfg, name="p2p-b", workdir=self.lab.path("p2p-b"))
        self.lab.phones += [a, b]
        a.wait_ready()
        rb = b.wait_ready()
        a.send("call sip:bob@%s" % rb["sip"])
        inc = b.wait_event(event="call", state="incoming")
        b.send("answer %d" % inc["id"])
        a.wait_event(event="call", state="established")
        b.send("hangup")
        a.wait_event(event="call", state="ended")


if __name__ == "__main__":
    ttylab.main()
