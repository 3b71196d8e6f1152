#!/usr/bin/env python3
"""Hostile SIP straight at a phone's SIP port: the RFC 4475-style torture messages of
tests/lab/torture (long values, escaped URIs, unknown schemes, bad Content-Length, missing
headers, huge headers, NUL bytes, folding, several bodies, bad CSeq, garbage...), each sent
over UDP and over TCP to a registered headless ttyphone that is in a call with another
phone. The phone must never crash (it still answers `status`), must answer what can be
answered with the status code in EXPECT below (what Sofia-SIP 1.12.11 underneath really
answers, observed by running), must stay registered (no failed `reg` event) and keep its
call (no `ended` event). Also a scanner: OPTIONS, INVITE and REGISTER from an unknown port
with User-Agent friendly-scanner ring nothing while [sip] trusted_only is on (the default),
and do ring with trusted_only = no.

TORTURE_SURVEY=1 prints what the phone answers to every message instead of asserting: the
way to refresh EXPECT after a Sofia upgrade."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ttylab  # noqa: E402

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")

TORTURE_DIR = os.path.join(os.environ.get("TTY_SRCDIR") or
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."),
                           "tests", "lab", "torture")

# What a phone with trusted_only = no answers to each message (every status code it
# sends back, provisional ones too, in order), per transport. None: nothing comes back.
# Filled from a TORTURE_SURVEY=1 run; tests/lab/torture/README.md says what each message is.
EXPECT = {
    'bad_request_line': {"udp": None, "tcp": None},  # dropped: the request line does not parse
    'bad_sip_version': {"udp": [505], "tcp": [505]},  # Version Not Supported
    'bad_uri': {"udp": None, "tcp": None},  # dropped, not 400: Sofia cannot parse the Request-URI
    'bad_via_host': {"udp": None, "tcp": None},  # dropped: no usable Via to answer to
    'bye_unknown_dialog': {"udp": [481], "tcp": [481]},
    'cancel_unknown': {"udp": [481], "tcp": [481]},
    'case_and_spaces': {"udp": [200], "tcp": [200]},
    'compact_forms': {"udp": [200], "tcp": [200]},
    'content_length_negative': {"udp": [400], "tcp": [400]},
    'content_length_overflow': {"udp": [400], "tcp": [400]},
    'content_length_too_big': {"udp": [400], "tcp": None},  # TCP: still waiting for the promised body
    'content_length_twice': {"udp": [400], "tcp": [400]},
    'cseq_garbage': {"udp": [400], "tcp": [400]},
    'cseq_method_mismatch': {"udp": [400], "tcp": [400]},
    'cseq_overflow': {"udp": [400], "tcp": [400]},
    'empty_lines': {"udp": None, "tcp": None},  # keep-alive CRLFs: nothing to answer
    'escaped_uri': {"udp": [200], "tcp": [200]},
    'garbage': {"udp": None, "tcp": None},  # not SIP
    'huge_header': {"udp": [200], "tcp": [200]},
    'invite_bad_sdp': {"udp": [100, 488], "tcp": [100, 488]},  # 488, in milliseconds: the SDP guard (fuzz_sdp)
    'invite_garbage_sdp': {"udp": [100, 488], "tcp": [100, 488]},
    'invite_no_contact': {"udp": [100, 400], "tcp": [100, 400]},  # RFC 3261 12.1.1: a dialog needs a Contact
    'lf_only': {"udp": [200], "tcp": [200]},
    'line_folding': {"udp": [200], "tcp": [200]},
    'long_values': {"udp": [200], "tcp": [200]},
    'many_headers': {"udp": [200], "tcp": [200]},
    'max_forwards_zero': {"udp": [200], "tcp": [200]},
    'message_huge_body': {"udp": [200], "tcp": [200]},
    'missing_call_id': {"udp": [400], "tcp": [400]},
    'missing_cseq': {"udp": [400], "tcp": [400]},
    'missing_from_to': {"udp": [400], "tcp": [400]},
    'missing_via': {"udp": None, "tcp": None},  # nowhere to answer
    'multipart_body': {"udp": [200], "tcp": [200]},
    'no_content_length': {"udp": [200], "tcp": [400]},  # legal over UDP only (RFC 3261 18.3)
    'nul_bytes': {"udp": [400], "tcp": None},  # TCP: the stream parser stops at the NUL and waits
    'options_plain': {"udp": [200], "tcp": [200]},
    'register_to_phone': {"udp": [405], "tcp": [405]},  # a phone is no registrar
    'require_unknown': {"udp": [420], "tcp": [420]},  # Bad Extension
    'scanner_invite': {"udp": [100, 180], "tcp": [100, 180]},
    'scanner_options': {"udp": [200], "tcp": [200]},
    'scanner_register': {"udp": [405], "tcp": [405]},  # a phone is no registrar
    'stray_ack': {"udp": None, "tcp": None},  # ACK is never answered
    'stray_response': {"udp": None, "tcp": None},  # a response to nothing is dropped
    'two_in_one': {"udp": [200], "tcp": [200, 200]},  # UDP: one message per datagram, the second is ignored
    'unknown_method': {"udp": [501], "tcp": [501]},  # Not Implemented
    'unknown_scheme_ruri': {"udp": [416], "tcp": [416]},  # Unsupported URI Scheme
    'unknown_scheme_to': {"udp": [200], "tcp": [200]},
    'unterminated_quote': {"udp": [400], "tcp": [400]},
    'utf8_and_binary_text': {"udp": [200], "tcp": [200]},
}

# The messages Sofia hands to the application (the rest it answers or drops itself): with
# trusted_only on, over UDP from a stranger's port or over a TCP connection that is not the
# one the phone opened to its registrar, these get 403 instead.
REACHES_APP = {
    'case_and_spaces',
    'compact_forms',
    'escaped_uri',
    'huge_header',
    'invite_bad_sdp',
    'invite_garbage_sdp',
    'invite_no_contact',
    'lf_only',
    'line_folding',
    'long_values',
    'many_headers',
    'max_forwards_zero',
    'message_huge_body',
    'multipart_body',
    'no_content_length',
    'options_plain',
    'scanner_invite',
    'scanner_options',
    'two_in_one',
    'unknown_scheme_to',
    'utf8_and_binary_text',
}
# Over TCP Sofia itself refuses a request without Content-Length (RFC 3261 18.3).
REACHES_APP_TCP = REACHES_APP - {'no_content_length'}


def refused(codes):
    """What trusted_only answers instead: 403 (one per request: two_in_one over TCP is
    two), after 100 Trying for an INVITE."""
    trying = [100] if codes[0] == 100 else []
    return trying + [403] * max(1, len([c for c in codes if c >= 200]))


ANSWER_WAIT = 1.5    # seconds to wait for an answer that is expected
SILENCE_WAIT = 0.7   # seconds of silence that count as "no answer"


def sip_port(phone):
    ev = phone.find_events(event="ready")[0]
    return int(ev["sip"].rsplit(":", 1)[1])


def torture_names():
    return sorted(f[:-4] for f in os.listdir(TORTURE_DIR) if f.endswith(".sip"))


def render(name, port, lport, transport, token):
    """The message `name` with its placeholders filled in, as bytes."""
    with open(os.path.join(TORTURE_DIR, name + ".sip"), "rb") as f:
        raw = f.read()
    for k, v in ((b"@PORT@", port), (b"@LPORT@", lport), (b"@TP@", transport.upper()),
                 (b"@tp@", transport), (b"@ID@", token)):
        raw = raw.replace(k, str(v).encode())
    if b"@LEN@" in raw:
        for sep in (b"\r\n\r\n", b"\n\n"):
            head, found, body = raw.partition(sep)
            if found:
                break
        raw = raw.replace(b"@LEN@", str(len(body)).encode())
    return raw


def status_codes(data):
    """Status codes of the responses in a byte stream (start lines only)."""
    codes = []
    for line in data.split(b"\n"):
        if line.startswith(b"SIP/2.0 ") and len(line) >= 11 and line[8:11].isdigit():
            codes.append(int(line[8:11]))
    return codes


def final(codes):
    return [c for c in codes if c >= 200]


class Sender:
    """Sends raw messages to 127.0.0.1:port and collects what comes back."""

    def __init__(self, port):
        self.port = port
        self.n = 0

    def token(self, name):
        self.n += 1
        return "%s-%d-%d" % (name.replace("_", "-"), os.getpid(), self.n)

    def udp(self, name, wait):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", 0))
            msg = render(name, self.port, s.getsockname()[1], "udp", self.token(name))
            s.sendto(msg, ("127.0.0.1", self.port))
            return self._collect(s, wait, lambda: s.recvfrom(65535)[0])
        finally:
            s.close()

    def tcp(self, name, wait):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=3)
        try:
            msg = render(name, self.port, s.getsockname()[1], "tcp", self.token(name))
            s.sendall(msg)
            return self._collect(s, wait, lambda: s.recv(65535))
        finally:
            s.close()

    @staticmethod
    def _collect(s, wait, recv):
        """Read until a final response has come and `wait` more seconds passed quietly, or
        until `wait` seconds of silence."""
        data = b""
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                chunk = recv()
            except (socket.timeout, ConnectionError, OSError):
                break
            if not chunk:
                break
            data += chunk
            if final(status_codes(data)):
                deadline = min(deadline, time.monotonic() + 0.3)
        return status_codes(data)


class Torture(ttylab.LabTestCase):

    def phones_in_a_call(self, **alice_overrides):
        """alice (the target) and bob registered, bob calling alice, answered. Returns the
        phones and their call ids."""
        a = self.lab.phone("alice", **alice_overrides)
        b = self.lab.phone("bob")
        for p in (a, b):
            p.wait_event(event="reg", state="registered", code=200)
        b.send("call alice")
        inc = a.wait_event(event="call", state="incoming")
        a.send("answer %d" % inc["id"])
        a.wait_event(event="call", state="established", id=inc["id"])
        out = b.wait_event(event="call", state="established")
        return a, b, inc["id"], out["id"]

    def barrage(self, a, expect):
        """Every torture message over UDP then TCP; returns {(name, tp): codes or None}."""
        send = Sender(sip_port(a))
        survey = os.environ.get("TORTURE_SURVEY")
        seen = {}
        for name in torture_names():
            for tp in ("udp", "tcp"):
                want = expect.get(name, {}).get(tp, "any")
                codes = getattr(send, tp)(name, SILENCE_WAIT if want is None else ANSWER_WAIT)
                seen[(name, tp)] = codes or None
                if survey:
                    continue
                with self.subTest(message=name, transport=tp):
                    self.assertTrue(a.alive(), "%s over %s killed the phone\n%s" % (
                        name, tp, a.stderr_tail()))
                    if want != "any":
                        self.assertEqual(seen[(name, tp)], want, "%s over %s: answered %s" % (
                            name, tp, seen[(name, tp)]))
        if survey:
            for name in torture_names():
                print("    %r: {\"udp\": %r, \"tcp\": %r}," % (
                    name, seen[(name, "udp")], seen[(name, "tcp")]))
        return seen

    def still_fine(self, a, b, ida, idb, since_a, since_b):
        """alice alive and answering status, still registered, the call still up on both
        sides and still a working dialog (hang-up by alice reaches bob)."""
        self.assertTrue(a.alive(), a.stderr_tail())
        a.command("status", event="status", timeout=5)
        self.assertEqual(a.find_events(since=since_a, event="reg", state="failed"), [])
        self.assertEqual(a.find_events(since=since_a, event="call", state="ended", id=ida), [])
        self.assertEqual(b.find_events(since=since_b, event="call", state="ended", id=idb), [])
        self.assertTrue(self.lab.kam.is_registered("alice"))
        a.send("hangup %d" % ida)
        ended = b.wait_event(event="call", state="ended", id=idb)
        self.assertEqual(ended["reason"], "Hung up by peer")

    def test_barrage_while_registered_and_in_a_call(self):
        """Default config: trusted_only refuses (403) what reaches the application over
        UDP from a port that is not Kamailio's, and over TCP on a connection of the sender's
        own, although it comes from Kamailio's host (only the connection the phone opened to
        register is trusted; tests/integration/test_trusted.py)."""
        a, b, ida, idb = self.phones_in_a_call()
        since_a, since_b = a.mark(), b.mark()
        expect = {name: {"udp": refused(e["udp"]) if name in REACHES_APP else e["udp"],
                         "tcp": refused(e["tcp"]) if name in REACHES_APP_TCP else e["tcp"]}
                  for name, e in EXPECT.items()}
        self.barrage(a, expect)
        self.still_fine(a, b, ida, idb, since_a, since_b)

    def test_barrage_with_trusted_only_off(self):
        """The same messages all reach the application layer (the SDP parser included)."""
        a, b, ida, idb = self.phones_in_a_call(sip={"trusted_only": "no"})
        since_a, since_b = a.mark(), b.mark()
        self.barrage(a, EXPECT)
        self.still_fine(a, b, ida, idb, since_a, since_b)

    def test_scanner_rings_nothing(self):
        """SIPVicious-style OPTIONS, INVITE and REGISTER over UDP from a port that is not
        Kamailio's: with trusted_only on (the default) OPTIONS and INVITE get 403, REGISTER
        405 (a phone is no registrar), and no call event appears."""
        a = self.lab.phone("alice")
        a.wait_event(event="reg", state="registered", code=200)
        send = Sender(sip_port(a))
        since = a.mark()
        self.assertEqual(send.udp("scanner_options", ANSWER_WAIT), [403])
        self.assertEqual(send.udp("scanner_invite", ANSWER_WAIT), [100, 403])
        self.assertEqual(send.udp("scanner_register", ANSWER_WAIT), [405])
        a.expect_no_event(within=1.0, since=since, event="call")
        self.assertEqual(a.find_events(since=since, event="call"), [])
        self.assertTrue(self.lab.kam.is_registered("alice"))

    def test_scanner_rings_with_trusted_only_off(self):
        a = self.lab.phone("alice", sip={"trusted_only": "no"})
        a.wait_event(event="reg", state="registered", code=200)
        send = Sender(sip_port(a))
        self.assertEqual(send.udp("scanner_options", ANSWER_WAIT), [200])
        self.assertEqual(send.udp("scanner_invite", ANSWER_WAIT), [100, 180])
        inc = a.wait_event(event="call", state="incoming")
        self.assertIn("sip:100@", inc["peer"])
        self.assertEqual(send.udp("scanner_register", ANSWER_WAIT), [405])


if __name__ == "__main__":
    ttylab.main()
