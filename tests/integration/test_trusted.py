#!/usr/bin/env python3
"""Requests from outside our server while registered ([sip] trusted_only, on by default):
a scanner's INVITE, OPTIONS and MESSAGE get 403 and nothing rings; calls through the
registrar still ring; trusted_only = no lets them in; and with no account at all, two
phones call each other peer to peer by sip:user@host:port.

Over TCP and TLS a request is trusted only on the connection the phone opened to the
registrar, not because it comes from the registrar's host: here everything runs on
127.0.0.1, so a client that opens its own TCP connection to the phone is exactly "a second
program on the proxy's host" (or a scanner behind the same NAT) and must be refused, while
calls and messages that Kamailio sends back over the phone's own connection still arrive."""

import re
import socket

import ttylab

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


def sip_port(phone):
    return int(phone.find_events(event="ready")[0]["sip"].rsplit(":", 1)[1])


def scanner_request(method, port, transport, local_port, body):
    return ("%s sip:100@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK-scan-%s-%d;rport\r\n"
            "Max-Forwards: 70\r\nFrom: \"scanner\" <sip:100@192.0.2.9>;tag=s1\r\n"
            "To: <sip:100@127.0.0.1>\r\nCall-ID: scan-%s-%d\r\nCSeq: 1 %s\r\n"
            "User-Agent: friendly-scanner\r\nContact: <sip:100@127.0.0.1:%d>\r\n"
            "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
                method, port, transport.upper(), local_port, method, local_port, method,
                local_port, method, local_port, len(body.encode()), body)).encode()


def probe(port, method, body=""):
    """Send one out-of-dialog request over UDP as a scanner would; return the final
    status code."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
    s.sendto(scanner_request(method, port, "udp", s.getsockname()[1], body),
             ("127.0.0.1", port))
    try:
        while True:
            line = s.recvfrom(4000)[0].decode(errors="replace").splitlines()[0]
            code = int(line.split()[1])
            if code >= 200:
                return code
    finally:
        s.close()


def probe_tcp(port, method, body=""):
    """The same over a TCP connection of our own (from 127.0.0.1, the registrar's host);
    return the final status code, or None if the phone closed without one."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        s.sendall(scanner_request(method, port, "tcp", s.getsockname()[1], body))
        got = b""
        while True:
            for m in re.finditer(rb"^SIP/2\.0 (\d{3}) ", got, re.M):
                if int(m.group(1)) >= 200:
                    return int(m.group(1))
            chunk = s.recv(4000)
            if not chunk:
                return None
            got += chunk
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

    def scanner_over_tcp_while_registered_over(self, transport):
        a = self.lab.phone("alice", transport=transport)
        a.wait_event(event="reg", state="registered")
        port = sip_port(a)
        since = a.mark()
        for method, body in (("OPTIONS", ""), ("INVITE", ""), ("MESSAGE", "hi")):
            self.assertEqual(probe_tcp(port, method, body), 403,
                             "%s over a TCP connection of its own, phone registered over %s"
                             % (method, transport))
        a.expect_no_event(within=1.0, since=since, event="call")
        self.assertEqual(a.find_events(since=since, event="message"), [])
        self.assertTrue(a.find_events(since=since, event="log",
                                      text=lambda t: "refused OPTIONS from tcp 127.0.0.1" in t),
                        a.find_events(since=since, event="log"))
        # what Kamailio sends over the phone's own connection still arrives
        b = self.lab.phone("bob", transport=transport)
        b.wait_event(event="reg", state="registered")
        b.send("msg alice over the proxy")
        self.assertEqual(a.wait_event(event="message")["body"], "over the proxy")
        b.send("call alice")
        a.wait_event(event="call", state="incoming")

    def test_scanner_connection_refused_while_registered_over_tcp(self):
        self.scanner_over_tcp_while_registered_over("tcp")

    def test_scanner_connection_refused_while_registered_over_tls(self):
        self.scanner_over_tcp_while_registered_over("tls")

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
