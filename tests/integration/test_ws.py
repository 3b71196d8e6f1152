#!/usr/bin/env python3
"""SIP over WebSocket (RFC 7118): ttyphones registering through the lab Kamailio's ws and
wss listeners (src/sip/ws_bridge.c), the whole call suite over wss, ws <-> udp, the SIP
log naming the WebSocket server, certificate failures and recovery after a restart."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import time

import ttylab
import test_calls
from ttylab import analyze, write_tone
from ttylab_ws import WsBadServer

ttylab.require_ttyphone()
ttylab.require_tools("kamailio")


class CallsOverWss(test_calls.Calls):
    """Every call feature test of test_calls.py, both phones over wss."""

    def phones(self, *users, **overrides):
        overrides.setdefault("transport", "wss")
        return super().phones(*users, **overrides)


class CallsOverWs(test_calls.Calls):
    """... and over plain ws."""

    def phones(self, *users, **overrides):
        overrides.setdefault("transport", "ws")
        return super().phones(*users, **overrides)


INTRUDER = "ttylab-u1"     # a Unix user of the shared machine (made by the test)
# Connects to the bridge's port as that user, sends a SIP request, and says what came back.
INTRUDE = r"""
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
data, closed = b"", False
try:   # the bridge may have closed before we write: that is a refusal too
    s.sendall(b"OPTIONS sip:alice@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKx\r\n"
              b"From: <sip:intruder@127.0.0.1>;tag=1\r\nTo: <sip:alice@127.0.0.1>\r\n"
              b"Call-ID: intruder\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
except (BrokenPipeError, ConnectionResetError):
    closed = True
try:
    while not closed:
        chunk = s.recv(4096)
        if not chunk:
            closed = True
            break
        data += chunk
except ConnectionResetError:
    closed = True
except socket.timeout:
    pass
print(json.dumps({"connected": True, "reply": data.decode(errors="replace"), "closed": closed}))
"""


class WebSocket(ttylab.LabTestCase):

    def registered(self, *phones):
        for p in phones:
            p.wait_event(event="reg", state="registered", code=200)

    def tone_call(self, caller, callee, caller_tp, callee_tp):
        """caller (over caller_tp) calls callee; each sends its own tone (file backend);
        returns the analysis of what each one heard."""
        tones = {caller: 1019.0, callee: 697.0}
        out = {}
        phones = []
        for user, tp in ((caller, caller_tp), (callee, callee_tp)):
            tone = self.lab.path("%s.wav" % user)
            write_tone(tone, freq=tones[user], seconds=5.0, rate=48000, amplitude=0.5)
            out[user] = self.lab.path("%s-heard.wav" % user)
            phones.append(self.lab.phone(user, transport=tp, backend="file", input=tone,
                                         output=out[user], codecs="opus",
                                         auto_answer=user == callee))
        a, b = phones
        self.registered(a, b)
        a.send("call %s" % callee)
        a.wait_event(event="call", state="established")
        time.sleep(2.0)
        a.send("hangup")
        b.wait_event(event="call", state="ended")
        b.quit()
        a.quit()
        # A WebSocket phone's requests all went over its WebSocket: INVITE, ACK, BYE and
        # keep-alives alike (Sofia once sent all but REGISTER over UDP).
        for user, tp in ((caller, caller_tp), (callee, callee_tp)):
            sent = self.lab.kam.requests_from(user)
            self.assertTrue(sent, user)
            self.assertEqual({t for _, t in sent}, {tp}, "%s over %s: %r" % (user, tp, sent))
        heard = {}
        for user, other in ((caller, callee), (callee, caller)):
            r = analyze(out[user])
            self.assertIsNotNone(r["onset_ms"], "%s heard silence" % user)
            self.assertLess(abs(r["freq"] - tones[other]) / tones[other], 0.01,
                            "%s should hear %s's tone: %r" % (user, other, r))
            heard[user] = r
        return heard

    def test_audio_both_ways_wss_to_udp_and_back(self):
        self.tone_call("alice", "bob", "wss", "udp")
        self.tone_call("bob", "alice", "udp", "wss")

    def test_audio_both_ways_ws_to_ws(self):
        self.tone_call("alice", "bob", "ws", "ws")

    def test_sip_log_names_the_websocket_server_and_masks_the_password(self):
        trace = self.lab.path("alice.trace")
        a = self.lab.phone("alice", transport="wss", args=["--sip-trace", trace])
        self.registered(a)
        a.quit()
        with open(trace, encoding="utf-8", errors="replace") as f:
            text = f.read()
        kam = self.lab.kam
        self.assertIn("wss 127.0.0.1:%d" % kam.wss_port, text)
        self.assertIn("REGISTER sip:", text)
        self.assertNotIn(kam.users["alice"], text)
        # The bridge's loopback port is not what the user talks to: never named.
        self.assertNotIn("tcp 127.0.0.1", text)

    def test_registrar_sees_a_websocket_client(self):
        # As JsSIP registers: Contact ;transport=ws, RFC 5626 ;ob, reg-id, +sip.instance,
        # on the lab's wss listener.
        a = self.lab.phone("alice", transport="wss")
        self.registered(a)
        dump = self.lab.kam.kamcmd("ul.dump")
        self.assertRegex(dump, r"Address: sip:[^\s]*;transport=ws")
        self.assertRegex(dump, r"Address: sip:[^\s]*;ob")
        self.assertRegex(dump, r"Instance: <urn:uuid:[0-9a-f-]{36}>")
        self.assertIn("Reg-Id: 1", dump)
        self.assertIn("Socket: tls:127.0.0.1:%d" % self.lab.kam.wss_port, dump)

    def test_wrong_certificate_fails_with_the_name_and_why(self):
        # No ca_file: the system's CAs do not know the lab's self-signed CA.
        a = self.lab.phone("alice", transport="wss", ca_file="")
        ev = a.wait_event(event="reg", state="failed")
        self.assertIn("certificate", ev["reason"])
        self.assertIn("127.0.0.1", ev["reason"])
        self.assertIn("retrying in", ev["reason"])
        self.assertTrue(a.alive())

    def test_server_restart_registers_again_by_itself(self):
        a = self.lab.phone("alice", transport="wss")
        b = self.lab.phone("bob", transport="ws")
        self.registered(a, b)
        mark_a, mark_b = a.mark(), b.mark()
        self.lab.kam.restart()
        lost = a.wait_event(event="reg", state="failed", since=mark_a)
        self.assertIn("websocket", lost["reason"])
        self.assertIn("reconnecting in 2 s", lost["reason"])
        # JsSIP's back-off: 2 s first, doubling to 30 s at most.
        a.wait_event(event="reg", state="registered", since=mark_a, timeout=20)
        b.wait_event(event="reg", state="registered", since=mark_b, timeout=20)
        a.send("call bob")
        inc = b.wait_event(event="call", state="incoming", since=mark_b)
        b.send("answer %d" % inc["id"])
        a.wait_event(event="call", state="established", since=mark_a)
        a.send("msg bob back again")
        self.assertEqual(b.wait_event(event="message", since=mark_b)["body"], "back again")

    def bad_server(self, mode, reason_part):
        srv = WsBadServer(mode)
        self.addCleanup(srv.close)
        a = self.lab.phone("alice", transport="ws", socket=srv.url)
        a.command("status", event="status")
        before = ttylab.rss_kb(a.pid)
        ev = a.wait_event(event="reg", state="failed", since=0)
        self.assertIn("websocket", ev["reason"])
        self.assertIn(reason_part, ev["reason"])
        self.assertIn("ws 127.0.0.1:%d" % srv.port, ev["reason"])
        # The phone is still there and answers.
        a.command("status", event="status")
        self.assertTrue(a.alive())
        return a, before

    def test_server_that_closes_at_once(self):
        self.bad_server("close", "closed the connection")

    def test_server_that_refuses_the_upgrade(self):
        self.bad_server("refuse", "403")

    def test_server_that_sends_a_10_mb_frame(self):
        a, before = self.bad_server("huge", "65536-byte limit")
        # Refused at the frame header: nothing near 10 MB was ever buffered.
        self.assertLess(ttylab.rss_kb(a.pid) - before, 4096)

    def test_server_that_sends_garbage_frames(self):
        self.bad_server("garbage", "websocket")

    def test_network_drop_mid_call_media_goes_on_registration_comes_back(self):
        # alice reaches the server's wss port through a path the test takes away without a
        # word (no FIN, no RST: a cable pulled, a Wi-Fi gone). Her call's media is direct
        # (udp to bob), so it must go on throughout; the dead WebSocket must be noticed
        # by keep-alive ([sip] keepalive = 2: a ping after 2 s of silence, dead 2 s later),
        # and once the path is back she registers again by herself and can still end
        # the call over the new connection.
        kam = self.lab.kam
        path = ttylab.TcpRelay(kam.wss_port)
        self.addCleanup(path.close)
        tones = {"alice": 1019.0, "bob": 697.0}
        heard, phones = {}, {}
        for user in ("alice", "bob"):
            tone = self.lab.path("%s.wav" % user)
            write_tone(tone, freq=tones[user], seconds=30.0, rate=48000, amplitude=0.5)
            heard[user] = self.lab.path("%s-heard.wav" % user)
            extra = {"transport": "wss", "sip": {"keepalive": 2},
                     "socket": "wss://127.0.0.1:%d/ws" % path.port} if user == "alice" else {}
            phones[user] = self.lab.phone(user, backend="file", input=tone,
                                          output=heard[user], codecs="opus",
                                          auto_answer=user == "bob", **extra)
        a, b = phones["alice"], phones["bob"]
        self.registered(a, b)
        a.send("call bob")
        est = a.wait_event(event="call", state="established")
        b.wait_event(event="call", state="established")
        time.sleep(1.0)
        mark = a.mark()
        path.down()
        lost = a.wait_event(event="reg", state="failed", since=mark, timeout=15)
        t_lost = time.monotonic()
        time.sleep(3.0)                         # the network stays away a while
        path.up()
        a.wait_event(event="reg", state="registered", since=mark, timeout=40)
        t_back = time.monotonic()
        self.assertGreaterEqual(path.connections, 2, "no new connection after the drop")
        # The call is still there on both sides, and it ends from alice's side over the
        # new connection.
        calls = a.command("status", event="status")["calls"]
        self.assertEqual([c["state"] for c in calls if c["id"] == est["id"]],
                         ["established"], calls)
        self.assertEqual(a.find_events(event="call", state="ended"), [])
        time.sleep(1.5)
        a.send("hangup")
        b.wait_event(event="call", state="ended", timeout=15)
        a.wait_event(event="call", state="ended", since=mark)
        for p in (a, b):
            p.quit()
        # Everything alice sent reached the server over her WebSocket, the BYE included.
        sent = kam.requests_from("alice")
        self.assertIn(("BYE", "wss"), sent)
        self.assertEqual({tp for _, tp in sent}, {"wss"}, sent)
        # Audio both ways after the path came back (the last 1.5 s): each hears the other.
        for user, other in (("alice", "bob"), ("bob", "alice")):
            w = ttylab.read_wav(heard[user])
            tail = w.samples[-int(1.5 * w.rate):]
            f = ttylab.dominant_frequency(tail, w.rate)
            what = "%s after the reconnect: %r Hz, %.1f dBFS (lost: %s; down %.1f s)" % (
                user, f, ttylab.rms_dbfs(tail), lost["reason"], t_back - t_lost)
            self.assertIsNotNone(f, what)
            self.assertLess(abs(f - tones[other]) / tones[other], 0.01, what)
            self.assertLess(ttylab.rms_dbfs(tail), -3.0, what)
            self.assertGreater(ttylab.rms_dbfs(tail), -20.0, what)

    def test_requests_through_the_websocket_reach_the_websocket_account(self):
        # One ttyphone with two accounts: alice over udp (the default) and carol over wss.
        # Sofia's outbound Contact for carol may have no user part, so the request URI
        # cannot say whose it is: what came through carol's WebSocket is carol's.
        kam = self.lab.kam
        x = self.lab.phone(["alice", "carol"], name="x", sip={"ca_file": kam.ca_file},
                           accounts={"carol": {"transport": "wss", "registrar": "",
                                               "socket": kam.wss_url}})
        for _ in range(2):
            x.wait_event(event="reg", state="registered", code=200)
        b = self.lab.phone("bob")
        self.registered(b)
        b.send("msg carol for carol")
        m = x.wait_event(event="message")
        self.assertEqual((m["account"], m["body"]), ("carol", "for carol"), m)
        b.send("msg alice for alice")
        m = x.wait_event(event="message")
        self.assertEqual((m["account"], m["body"]), ("alice", "for alice"), m)
        b.send("call carol")
        inc = x.wait_event(event="call", state="incoming")
        self.assertEqual(inc["account"], "carol", inc)
        self.assertTrue(inc["reason"].startswith("wss 127.0.0.1:%d" % kam.wss_port), inc)
        x.send("hangup %d" % inc["id"])
        b.wait_event(event="call", state="ended")

    def test_bridge_refuses_another_users_connection(self):
        # Sofia reaches the WebSocket bridge over a loopback TCP port that any local user
        # can connect to: what another user sends there must not ride on alice's
        # authenticated WebSocket.
        ttylab.ensure_unix_users((INTRUDER,), ttylab.skip)
        a = self.lab.phone("alice", transport="wss")
        self.registered(a)
        # The bridge: the port alice listens on and is connected to herself (Sofia).
        listening, connected = ttylab.tcp_ports(a.pid)
        bridge = sorted(listening & connected)
        self.assertEqual(len(bridge), 1, "alice: %r, %r" % (listening, connected))
        mark = a.mark()
        r = ttylab.python_as(INTRUDER, INTRUDE, str(bridge[0]))
        self.assertEqual(r, {"connected": True, "reply": "", "closed": True})
        refused = a.wait_event(event="log", since=mark,
                               text=lambda t: "refused a connection to the bridge" in t)
        self.assertIn("not ours", refused["text"])
        log = self.lab.kam.log_tail(400)
        self.assertNotIn("intruder", log)
        # alice's own flow is untouched: a request of hers still goes through
        b = self.lab.phone("bob")
        self.registered(b)
        a.send("msg bob still mine")
        self.assertEqual(b.wait_event(event="message")["body"], "still mine")

    def test_second_socket_is_tried_when_the_first_fails(self):
        srv = WsBadServer("close")
        self.addCleanup(srv.close)
        a = self.lab.phone("alice", transport="ws",
                           socket="%s, %s" % (srv.url, self.lab.kam.ws_url))
        self.registered(a)
        self.assertGreaterEqual(srv.connections, 1)


class WithJsSip(ttylab.LabTestCase):
    """ttyphone and a real JsSIP UA (npm jssip, tests/node) on the same Kamailio."""

    def setUp(self):
        from ttylab_jssip import jssip_missing
        why = jssip_missing()
        if why:
            self.skipTest(why)
        super().setUp()

    def test_message_both_ways_and_a_jssip_call_answered_and_refused(self):
        kam = self.lab.kam
        a = self.lab.phone("alice", transport="wss")
        a.wait_event(event="reg", state="registered", code=200)
        js = self.lab.jssip("bob", transport="ws")
        js.wait_event("registered")
        a.send("msg bob hello from a terminal")
        got = js.wait_event("message_in")
        self.assertEqual(got["body"], "hello from a terminal")
        self.assertIn("alice", got["from"])
        self.assertEqual(a.wait_event(event="message_status")["code"], 200)
        js.message(kam.aor("alice"), "hello from JsSIP")
        m = a.wait_event(event="message")
        self.assertEqual(m["body"], "hello from JsSIP")
        self.assertIn("bob", m["from"])
        # A JsSIP INVITE reaches ttyphone; refused with a reason JsSIP sees...
        js.call(kam.aor("alice"))
        inc = a.wait_event(event="call", state="incoming")
        self.assertIn("bob", inc["peer"])
        a.send("reject %d 486" % inc["id"])
        self.assertEqual(js.wait_event("call_failed")["status"], 486)
        # ... and answered, then hung up by JsSIP.
        js.call(kam.aor("alice"))
        inc = a.wait_event(event="call", state="incoming")
        a.send("answer %d" % inc["id"])
        js.wait_event("call_accepted")
        a.wait_event(event="call", state="established", id=inc["id"])
        js.hangup()
        ended = a.wait_event(event="call", state="ended", id=inc["id"])
        self.assertEqual(ended["reason"], "Hung up by peer")


if __name__ == "__main__":
    ttylab.main()
