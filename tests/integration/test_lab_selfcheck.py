#!/usr/bin/env python3
"""The test lab works on this machine, without ttyphone: Kamailio on UDP/TCP/TLS/WS/WSS with
digest auth (and as a presence, BLF and MWI server with presence=True), SIPp scenarios, a headless PulseAudio that carries a tone, two baresips calling
each other through Kamailio, the audio helpers, and no process left behind."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ttylab  # noqa: E402
from ttylab import Lab  # noqa: E402


class AudioHelpers(unittest.TestCase):
    def setUp(self):
        self.dir = ttylab.make_tempdir("ttylab-audio-")

    def test_generated_1000hz_tone_is_measured_at_1000hz(self):
        for rate in (8000, 16000, 48000):
            p = ttylab.write_tone(os.path.join(self.dir, "t%d.wav" % rate), 1000, 1.0, rate,
                                  amplitude=0.5)
            a = ttylab.analyze(p)
            self.assertEqual(a["rate"], rate)
            self.assertAlmostEqual(a["freq"], 1000, delta=10, msg="rate %d" % rate)
            self.assertAlmostEqual(a["rms_dbfs"], -9.03, delta=0.2)
            self.assertAlmostEqual(a["duration_ms"], 1000, delta=1)

    def test_other_frequencies_are_told_apart(self):
        for f in (440, 1019, 3000):
            p = ttylab.write_tone(os.path.join(self.dir, "f%d.wav" % f), f, 0.5, 48000)
            self.assertAlmostEqual(ttylab.analyze(p)["freq"], f, delta=f * 0.01)

    def test_inserted_gap_and_onset_are_found(self):
        p = ttylab.write_tone(os.path.join(self.dir, "gap.wav"), 1000, 2.0, 48000,
                              lead_silence=0.3, gap_at=1.0, gap_ms=80)
        a = ttylab.analyze(p)
        self.assertAlmostEqual(a["onset_ms"], 300, delta=2)
        self.assertAlmostEqual(a["longest_gap_ms"], 80, delta=10)
        self.assertEqual(len(a["gaps"]), 1)
        self.assertAlmostEqual(a["gaps"][0][0], 1300, delta=10)

    def test_silence_has_no_frequency_and_no_onset(self):
        p = ttylab.write_wav(os.path.join(self.dir, "s.wav"), [0] * 8000, 8000)
        a = ttylab.analyze(p)
        self.assertIsNone(a["freq"])
        self.assertIsNone(a["onset_ms"])
        self.assertLessEqual(a["rms_dbfs"], -100)

    def test_multichannel_wav_is_read(self):
        ch = [ttylab.tone_samples(f, 0.5, 16000) for f in (500, 1000, 1500, 2000)]
        p = ttylab.write_wav(os.path.join(self.dir, "4ch.wav"), ch, 16000, channels=4)
        w = ttylab.read_wav(p)
        self.assertEqual(w.channels, 4)
        for i, f in enumerate((500, 1000, 1500, 2000)):
            self.assertAlmostEqual(ttylab.dominant_frequency(w.data[i], 16000), f, delta=f * 0.01)


class Ports(unittest.TestCase):
    def test_free_ports_are_distinct_and_bindable_on_udp_and_tcp(self):
        import socket
        ports = ttylab.free_ports(5)
        self.assertEqual(len(set(ports)), 5)
        for p in ports:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                s.bind(("127.0.0.1", p))
                s.close()


class Leftovers(unittest.TestCase):
    """leftovers() names what the lab left running, and not a stranger's process group
    that got the number of one of ours after PIDs wrapped (pid_max is often 32768)."""

    def test_a_live_group_is_named_until_stopped_and_a_reused_number_is_not(self):
        import subprocess
        import ttylab_core
        p = ttylab.Proc("sleeper", ["sleep", "30"])
        self.assertIn("%d sleep" % p.pid, ttylab.leftovers(grace=0))
        p.stop()
        self.assertEqual(ttylab.leftovers(grace=0), [])
        self.assertNotIn(p.pid, ttylab_core._pgids, "a group seen empty is forgotten")
        # A stranger's group, entered as if it were ours under the same number but with
        # another start time (what a wrapped PID looks like), is not a leftover.
        stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
        try:
            started = ttylab_core._proc_stat(stranger.pid)[3]
            with ttylab_core._registry_lock:
                ttylab_core._pgids[stranger.pid] = started - 1
            self.assertEqual(ttylab.leftovers(grace=0), [])
            with ttylab_core._registry_lock:
                ttylab_core._pgids[stranger.pid] = started
            self.assertIn("%d sleep" % stranger.pid, ttylab.leftovers(grace=0))
        finally:
            with ttylab_core._registry_lock:
                ttylab_core._pgids.pop(stranger.pid, None)
            stranger.kill()
            stranger.wait()


class LabTest(unittest.TestCase):
    """Each test gets its own lab and must leave no process behind."""

    lab_args = {}

    def setUp(self):
        self.lab = Lab(**self.lab_args).start()

    def tearDown(self):
        self.lab.stop()
        ttylab.assert_no_leftovers()


class KamailioLab(LabTest):
    def test_kamailio_answers_options_on_udp_tcp_and_tls(self):
        k = self.lab.kam
        self.assertNotEqual(k.udp_port, k.tls_port)
        for tr in ("udp", "tcp", "tls"):
            st = k.ping(tr, ca_file=k.ca_file if tr == "tls" else None)
            self.assertEqual(st, "SIP/2.0 200 OK", tr)

    def test_tls_certificate_verifies_with_lab_ca_and_not_with_wrong_ca(self):
        import ssl
        k = self.lab.kam
        self.assertTrue(os.path.exists(k.ca_file) and os.path.exists(k.wrong_ca_file))
        self.assertEqual(k.ping("tls", ca_file=k.ca_file), "SIP/2.0 200 OK")
        with self.assertRaises(ssl.SSLError):
            k.ping("tls", ca_file=k.wrong_ca_file)

    def test_register_with_digest_auth_over_udp_tcp_tls(self):
        k = self.lab.kam
        for tr, user in (("udp", "alice"), ("tcp", "bob"), ("tls", "carol")):
            code, statuses = ttylab.sip_register("127.0.0.1", k.port_for(tr), k.domain, user,
                                                 k.users[user], tr, ca_file=k.ca_file)
            self.assertEqual(statuses[0].split()[1], "401", tr)
            self.assertEqual(code, 200, "%s: %s" % (tr, statuses))
            self.assertTrue(any(c.endswith("transport=%s" % tr) for c in k.contacts(user)),
                            k.locations())

    def test_websocket_listeners_upgrade_with_subprotocol_sip_on_ws_and_wss(self):
        import ssl
        k = self.lab.kam
        self.assertEqual(k.ws_url, "ws://127.0.0.1:%d/ws" % k.ws_port)
        self.assertEqual(k.wss_url, "wss://127.0.0.1:%d/ws" % k.wss_port)
        self.assertEqual(len({k.sip_port, k.tls_port, k.ws_port, k.wss_port}), 4)
        for url in (k.ws_url, k.wss_url):
            c = ttylab.WsClient(url, ca_file=k.ca_file)
            self.assertEqual(c.status_line.split()[1], "101", url)
            self.assertEqual(c.protocol, "sip", url)
            c.close()
        with self.assertRaises(ssl.SSLError):
            ttylab.WsClient(k.wss_url, ca_file=k.wrong_ca_file)
        # No upgrade on the SIP TCP port: HTTP there is refused.
        with self.assertRaises(ttylab.LabError):
            ttylab.WsClient("ws://127.0.0.1:%d/ws" % k.sip_port)

    def test_register_over_ws_and_wss_is_challenged_then_accepted(self):
        k = self.lab.kam
        for tr, user in (("ws", "alice"), ("wss", "bob")):
            code, statuses = ttylab.sip_register("127.0.0.1", k.port_for(tr), k.domain, user,
                                                 k.users[user], tr, ca_file=k.ca_file)
            self.assertEqual(statuses[0].split()[1], "401", tr)
            self.assertEqual(code, 200, "%s: %s" % (tr, statuses))
            self.assertTrue(any(".invalid;transport=%s" % tr in c for c in k.contacts(user)),
                            k.locations())

    def test_requests_reach_a_websocket_client_over_its_own_connection(self):
        # RFC 7118: the Contact host is "*.invalid"; Kamailio must send over the socket the
        # REGISTER came on. UDP -> ws and UDP -> wss, the client answers from Python.
        k = self.lab.kam
        for tr, user in (("ws", "carol"), ("wss", "dave")):
            c = ttylab.ws_client(k.ws_url_for(tr), ca_file=k.ca_file)
            try:
                code, st = ttylab.sip_register("127.0.0.1", k.port_for(tr), k.domain, user,
                                               k.users[user], tr, conn=c)
                self.assertEqual(code, 200, st)
                import threading
                result = {}
                t = threading.Thread(target=lambda: result.update(r=ttylab.sip_request(
                    "127.0.0.1", k.sip_port, "MESSAGE", k.aor(user),
                    "sip:stranger@127.0.0.1:9", body="hello over %s" % tr, timeout=5)))
                t.start()
                req = c.recv_text(timeout=5)
                self.assertIsNotNone(req, "no MESSAGE reached the %s client" % tr)
                self.assertTrue(req.startswith("MESSAGE sip:%s@%s" % (user, c.sip_host)), req)
                self.assertIn("hello over %s" % tr, req)
                c.send_text(ttylab.sip_response(req, 200, "OK"))
                t.join(10)
                self.assertEqual(result["r"][0], 200, result)
            finally:
                c.close()

    def test_without_presence_server_subscribe_goes_to_the_registered_phone(self):
        # presence=False (the default): a SUBSCRIBE is relayed like any request, so a phone
        # can answer it itself (peer-to-peer presence); here a WebSocket "phone" in Python.
        k = self.lab.kam
        self.assertFalse(k.presence)
        with open(k.cfg_path) as f:
            self.assertNotIn("presence.so", f.read())
        c = ttylab.ws_client(k.ws_url, ca_file=k.ca_file)
        try:
            code, st = ttylab.sip_register("127.0.0.1", k.ws_port, k.domain, "carol",
                                           k.users["carol"], "ws", conn=c)
            self.assertEqual(code, 200, st)
            with k.subscriber("alice", "carol", subscribe=False) as w:
                import threading
                got = {}
                t = threading.Thread(target=lambda: got.update(r=w.subscribe()))
                t.start()
                req = c.recv_text(timeout=5)
                self.assertIsNotNone(req, "no SUBSCRIBE reached carol's phone")
                self.assertTrue(req.startswith("SUBSCRIBE sip:carol@%s" % c.sip_host), req)
                self.assertRegex(req, r"(?im)^Event: presence\r$")
                c.send_text(ttylab.sip_response(req, 200, "OK"))
                t.join(10)
                self.assertEqual(got["r"][0], 200, got)
                # alice was challenged (407) before, as for INVITE and MESSAGE
                self.assertEqual([a.code for a in w.answers], [407, 200])
        finally:
            c.close()

    def test_sipp_register_with_auth_gets_200_over_udp_and_tcp(self):
        k = self.lab.kam
        for tr, user in (("udp", "dave"), ("tcp", "erin")):
            r = self.lab.sipp("uac_register_auth.xml", transport=tr, service=user,
                              auth=(user, k.users[user]), timeout=10).run()
            self.assertTrue(r.ok, r.describe())
            self.assertIn("SIP/2.0 200 OK", r.messages())
            k.wait_registered(user, timeout=5)

    def test_wrong_password_is_rejected(self):
        k = self.lab.kam
        r = self.lab.sipp("uac_register_auth.xml", service="frank", auth=("frank", "wrong"),
                          timeout=5).run(timeout=20)
        self.assertFalse(r.ok)
        msgs = r.messages()
        self.assertNotIn("SIP/2.0 200 OK", msgs)
        # The answer to the authenticated REGISTER (CSeq 2) is a 401 or 403 again.
        self.assertRegex(msgs, r"SIP/2.0 40[13] [^\n]*\n(?:[^\n]+\n)*?CSeq: 2 REGISTER")
        code, _ = ttylab.sip_register("127.0.0.1", k.sip_port, k.domain, "frank", "nope")
        self.assertIn(code, (401, 403))
        self.assertEqual(k.contacts("frank"), [])

    def test_requests_from_our_users_are_challenged_with_407(self):
        k = self.lab.kam
        for method in ("INVITE", "MESSAGE", "SUBSCRIBE"):
            code, reply = ttylab.sip_request("127.0.0.1", k.sip_port, method, k.aor("bob"),
                                             k.aor("alice"))
            self.assertEqual(code, 407, reply)
            self.assertIn('Proxy-Authenticate: Digest realm="%s"' % k.realm, reply)
        # A stranger (not our domain) is not challenged: bob is known but not registered.
        code, _ = ttylab.sip_request("127.0.0.1", k.sip_port, "MESSAGE", k.aor("bob"),
                                     "sip:stranger@127.0.0.1:9", body="hi")
        self.assertEqual(code, 480)
        code, _ = ttylab.sip_request("127.0.0.1", k.sip_port, "MESSAGE", k.aor("nobody"),
                                     "sip:stranger@127.0.0.1:9", body="hi")
        self.assertEqual(code, 404)

    def test_kamailio_killed_and_restarted_on_the_same_ports(self):
        k = self.lab.kam
        ports = (k.udp_port, k.tcp_port, k.tls_port)
        ttylab.sip_register("127.0.0.1", k.sip_port, k.domain, "alice", k.users["alice"])
        self.assertTrue(k.contacts("alice"))
        old_pid = k.proc.pid
        k.kill()
        self.assertIsNone(k.ping("udp", timeout=0.3))
        k.restart()
        self.assertNotEqual(k.proc.pid, old_pid)
        self.assertEqual((k.udp_port, k.tcp_port, k.tls_port), ports)
        for tr in ("udp", "tcp", "tls"):
            self.assertEqual(k.ping(tr), "SIP/2.0 200 OK", tr)
        self.assertEqual(k.contacts("alice"), [], "registrations are lost on restart")

    def test_static_location_routes_a_call_to_a_sipp_uas(self):
        # uas_486 answers busy: a SIPp caller through Kamailio sees the 486.
        uas = self.lab.sipp_uas("uas_486.xml", user="busy", timeout=10)
        self.assertIn("busy", self.lab.kam.locations())
        caller = self.lab.sipp("builtin:uac", service="busy", timeout=5).run(timeout=15)
        r = uas.wait(15)
        self.assertTrue(r.ok, r.describe())
        self.assertIn("486 Busy Here", caller.messages())


def _dialog_states(notify):
    """[(state, direction)] of the <dialog> elements of a dialog-info NOTIFY body."""
    import xml.etree.ElementTree as ET
    if not notify.body.strip():
        return []
    ns = "{urn:ietf:params:xml:ns:dialog-info}"
    root = ET.fromstring(notify.body)
    return [(d.findtext(ns + "state"), d.get("direction")) for d in root.findall(ns + "dialog")]


class PresenceLab(unittest.TestCase):
    """Kamailio(presence=True): PUBLISH/SUBSCRIBE for presence, dialog (BLF) and
    message-summary (MWI) are handled by Kamailio's own presence server; NOTIFYs reach
    watchers on every transport; calls through the proxy publish their dialog-info.
    One lab for the class (its start, test certificates included, is most of the time):
    each test watches and publishes presentities of its own."""

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(presence=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.lab.stop()
        ttylab.assert_no_leftovers()

    def _watchers(self, target, event, who):
        """{transport: SipSubscriber} subscribed (200 and the first NOTIFY seen)."""
        k = self.lab.kam
        ws = {}
        for tr, user in who:
            w = k.subscriber(user, target, event=event, transport=tr)
            self.addCleanup(w.close)
            self.assertEqual([a.code for a in w.answers], [407, 200], tr)
            first = w.wait_notify(timeout=5)
            self.assertIsNotNone(first, "no first NOTIFY over %s" % tr)
            self.assertEqual(first.header("event"), event, tr)
            self.assertTrue(first.header("subscription-state").startswith("active"),
                            first.text)
            ws[tr] = w
        return ws

    def test_pidf_published_by_alice_is_notified_to_watchers_on_every_transport(self):
        import sqlite3
        k = self.lab.kam
        tables = {r[0] for r in sqlite3.connect(k.db_path).execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        self.assertTrue({"version", "presentity", "active_watchers", "pua"} <= tables, tables)
        ws = self._watchers("alice", "presence", (("udp", "bob"), ("tcp", "carol"),
                                                  ("tls", "frank"), ("ws", "dave"),
                                                  ("wss", "erin")))
        code, answer = k.publish("alice", ttylab.pidf(k.aor("alice"), "open", "lunch"))
        self.assertEqual(code, 200, answer and answer.text)
        etag = answer.header("SIP-ETag")
        self.assertTrue(etag)
        for tr, w in ws.items():
            n = w.wait_notify(timeout=5)
            self.assertIsNotNone(n, "no NOTIFY of alice's PUBLISH over %s" % tr)
            self.assertEqual(n.header("content-type"), "application/pidf+xml", tr)
            self.assertRegex(n.body, r"<basic>open</basic>", tr)
            self.assertIn("<note>lunch</note>", n.body, tr)
            self.assertIn('entity="sip:alice@127.0.0.1', n.body, tr)
        # A modification of the same publication (SIP-If-Match): closed, a second NOTIFY.
        code, answer = k.publish("alice", ttylab.pidf(k.aor("alice"), "closed"), etag=etag)
        self.assertEqual(code, 200, answer and answer.text)
        for tr, w in ws.items():
            n = w.wait_notify(timeout=5)
            self.assertIsNotNone(n, "no second NOTIFY over %s" % tr)
            self.assertRegex(n.body, r"<basic>closed</basic>", tr)
            self.assertNotIn("lunch", n.body, tr)
        # In-dialog SUBSCRIBEs go to the server too: a refresh, then an unsubscribe.
        for tr, w in ws.items():
            code, _ = w.refresh()
            self.assertEqual(code, 200, tr)
            n = w.wait_notify(timeout=5)
            self.assertTrue(n.header("subscription-state").startswith("active"), tr)
            self.assertRegex(n.body, r"<basic>closed</basic>", tr)
            code, _ = w.unsubscribe()
            self.assertEqual(code, 200, tr)
            n = w.wait_notify(timeout=5)
            self.assertIsNotNone(n, "no last NOTIFY over %s" % tr)
            self.assertTrue(n.header("subscription-state").startswith("terminated"), tr)

    def test_publish_and_subscribe_need_credentials_of_the_right_user(self):
        k = self.lab.kam
        body = ttylab.pidf(k.aor("frank"), "open")
        # Not even a stranger's PUBLISH goes unchallenged; a wrong password is challenged
        # again; carol may not publish frank's presence, frank may.
        code, reply = ttylab.sip_request("127.0.0.1", k.sip_port, "PUBLISH", k.aor("frank"),
                                         "sip:stranger@127.0.0.1:9", body=body,
                                         content_type="application/pidf+xml",
                                         extra_headers="Event: presence\r\n")
        self.assertEqual(code, 407, reply)
        code, _ = ttylab.sip_publish("127.0.0.1", k.sip_port, k.domain, "frank", "wrong",
                                     body)
        self.assertEqual(code, 407)
        # (auth's identity check: a PUBLISH's credentials must be those of its To user,
        # so carol is challenged again rather than refused)
        code, _ = k.publish("carol", body, presentity="frank")
        self.assertEqual(code, 407)
        code, _ = k.publish("frank", body)
        self.assertEqual(code, 200)
        # Anyone of ours may watch frank, only bob his own voicemail; no such user: 404.
        with k.subscriber("carol", "bob", event="message-summary") as w:
            self.assertEqual(w.answers[-1].code, 403)
        with k.subscriber("carol", "nobody", event="presence") as w:
            self.assertEqual(w.answers[-1].code, 404)

    def test_message_summary_published_by_the_suite_is_notified_to_bobs_phones(self):
        k = self.lab.kam
        ws = self._watchers("bob", "message-summary", (("udp", "bob"), ("wss", "bob")))
        code, answer = k.publish("bob", ttylab.message_summary(3, 5),
                                 event="message-summary")
        self.assertEqual(code, 200, answer and answer.text)
        for tr, w in ws.items():
            n = w.wait_notify(timeout=5)
            self.assertIsNotNone(n, "no message-summary NOTIFY over %s" % tr)
            self.assertEqual(n.header("content-type"), "application/simple-message-summary")
            self.assertRegex(n.body, r"(?m)^Messages-Waiting: yes\r$")
            self.assertRegex(n.body, r"(?m)^Voice-Message: 3/5 \(0/0\)\r$")
        code, _ = k.publish("bob", ttylab.message_summary(0, 8), event="message-summary",
                            etag=answer.header("SIP-ETag"))
        self.assertEqual(code, 200)
        for tr, w in ws.items():
            n = w.wait_notify(timeout=5)
            self.assertRegex(n.body, r"(?m)^Messages-Waiting: no\r$", tr)
            self.assertRegex(n.body, r"(?m)^Voice-Message: 0/8 \(0/0\)\r$", tr)

    def test_a_call_through_the_proxy_lights_the_busy_lamps_of_caller_and_callee(self):
        # carol is a SIPp callee that answers at once (183 and 200 together: the case in
        # which pua's PUBLISHes would overlap), alice a SIPp caller with digest auth.
        lab, k = self.lab, self.lab.kam
        watch_carol = self._watchers("carol", "dialog", (("udp", "bob"),))["udp"]
        watch_alice = self._watchers("alice", "dialog", (("ws", "dave"),))["ws"]
        uas = lab.sipp_uas("uas_183_200.xml", user="carol", duration_ms=0, timeout=10)
        self.addCleanup(k.ul_rm, "carol")
        uac = lab.sipp("uac_invite_auth.xml", service="carol", keys={"caller": "alice"},
                       auth=("alice", k.users["alice"]), duration_ms=200, timeout=10).run()
        self.assertTrue(uac.ok, uac.describe())
        self.assertTrue(uas.wait(10).ok, uas.result.describe())
        for w, entity, direction in ((watch_carol, "carol", "recipient"),
                                     (watch_alice, "alice", "initiator")):
            seen = []
            while "terminated" not in seen:
                n = w.wait_notify(timeout=5)
                self.assertIsNotNone(n, "%s: NOTIFYs stopped after %s" % (entity, seen))
                self.assertEqual(n.header("content-type"), "application/dialog-info+xml")
                self.assertIn('entity="sip:%s@127.0.0.1' % entity, n.body)
                states = _dialog_states(n)
                self.assertEqual(len(states), 1, n.body)
                self.assertEqual(states[0][1], direction, n.body)
                seen.append(states[0][0])
            self.assertEqual(seen, ["trying", "early", "confirmed", "terminated"], entity)
        # The call itself went as before: authenticated, record-routed, BYE through us.
        self.assertIn("407", uac.messages())
        self.assertIn("lab: BYE", k.log_text())

    def test_other_events_and_messages_still_go_to_the_phone(self):
        # Event: talk is no package of this server: relayed to erin's phone, as a MESSAGE.
        import threading
        k = self.lab.kam
        c = ttylab.ws_client(k.wss_url, ca_file=k.ca_file)
        try:
            code, st = ttylab.sip_register("127.0.0.1", k.wss_port, k.domain, "erin",
                                           k.users["erin"], "wss", conn=c)
            self.assertEqual(code, 200, st)
            self.addCleanup(k.ul_rm, "erin")
            with k.subscriber("alice", "erin", event="talk", subscribe=False) as w:
                got = {}
                t = threading.Thread(target=lambda: got.update(r=w.subscribe()))
                t.start()
                req = c.recv_text(timeout=5)
                self.assertIsNotNone(req, "the SUBSCRIBE for talk did not reach erin")
                self.assertTrue(req.startswith("SUBSCRIBE sip:erin@%s" % c.sip_host), req)
                c.send_text(ttylab.sip_response(req, 200, "OK"))
                t.join(10)
                self.assertEqual(got["r"][0], 200, got)
            t = threading.Thread(target=lambda: got.update(m=ttylab.sip_request(
                "127.0.0.1", k.sip_port, "MESSAGE", k.aor("erin"),
                "sip:stranger@127.0.0.1:9", body="still here", timeout=5)))
            t.start()
            req = c.recv_text(timeout=5)
            self.assertTrue(req and req.startswith("MESSAGE sip:erin@"), req)
            c.send_text(ttylab.sip_response(req, 200, "OK"))
            t.join(10)
            self.assertEqual(got["m"][0], 200, got)
        finally:
            c.close()


class PulseLab(LabTest):
    lab_args = {"pulse": True, "kamailio": False}

    def test_tone_played_into_a_mic_is_recorded_back_at_the_right_frequency(self):
        pa = self.lab.pulse
        env_a = pa.add_phone("alice")
        env_b = pa.add_phone("bob")
        self.assertEqual(env_a["PULSE_SINK"], "alice_spk")
        self.assertEqual(env_b["PULSE_SOURCE"], "bob_src")
        self.assertTrue(env_a["PULSE_SERVER"].startswith("unix:"))
        for dev in ("alice_spk", "alice_mic", "bob_spk", "bob_mic"):
            self.assertIn(dev, pa.sinks())
        self.assertIn("alice_src", pa.sources())
        tone = ttylab.write_tone(self.lab.path("tone.wav"), 1000, 1.0, 48000, 0.5)
        rec = pa.record("alice_src", self.lab.path("mic.wav"))
        # pacat with 200 ms queued in the server, not the 20 ms a phone's test uses: what
        # is checked here is the lab's path (null sink, monitor, remap), and with 20 ms a
        # pacat that the machine did not schedule for longer (90 ms seen in CI while
        # another test's phones and a build ran on its 2 cores) underran into a gap.
        pa.play("alice", tone, latency_ms=200).wait(10)
        time.sleep(0.2)
        a = ttylab.analyze(rec.stop())
        self.assertAlmostEqual(a["freq"], 1000, delta=10, msg=a)
        self.assertGreater(a["rms_dbfs"], -15, a)
        # relaxed in a sanitized run (ttylab.max_gap_ms), where the ASan phones of the test
        # beside this one load the machine and PulseAudio itself glitched: 50 ms seen
        self.assertLess(a["longest_gap_ms"], ttylab.max_gap_ms(25), a)

    def test_loopback_carries_one_phones_mic_to_anothers_speaker(self):
        pa = self.lab.pulse
        pa.add_phone("alice")
        pa.add_phone("bob")
        pa.loopback("alice_src", "bob_spk", latency_ms=20)
        tone = ttylab.write_tone(self.lab.path("tone.wav"), 1019, 0.5, 48000, 0.5)
        rec = pa.record("bob", self.lab.path("bob.wav"))
        pa.play("alice", tone, loop=True)
        time.sleep(1.2)
        a = ttylab.analyze(rec.stop())
        self.assertAlmostEqual(a["freq"], 1019, delta=10, msg=a)
        self.assertGreater(a["duration_ms"], 1000)

    def test_tcp_only_daemon_serves_clients_over_loopback_tcp(self):
        extra = self.lab.extra_pulse("tcp")
        self.assertTrue(extra.server.startswith("tcp:127.0.0.1:"))
        self.assertFalse(os.path.exists(extra.socket))
        self.assertIn("Server Name", extra.pactl("info"))
        env = extra.add_phone("carol")
        self.assertEqual(env["PULSE_SERVER"], extra.server)


class BaresipLab(LabTest):
    def test_two_baresips_register_and_call_each_other_through_kamailio(self):
        lab = self.lab
        bob = lab.baresip("bob", answermode="manual")
        carol = lab.baresip("carol", answermode="auto")
        bob.wait_registered()
        carol.wait_registered()
        self.assertTrue(any(c.startswith("sip:bob") for c in lab.kam.contacts("bob")))
        self.assertTrue(any(c.startswith("sip:carol") for c in lab.kam.contacts("carol")))
        bob.dial(lab.kam.aor("carol"))
        bob.wait_event(type="CALL_ESTABLISHED")
        carol.wait_event(type="CALL_ESTABLISHED")
        bob.hangup()
        bob.wait_event(type="CALL_CLOSED")
        carol.wait_event(type="CALL_CLOSED")
        log = lab.kam.log_text()
        self.assertIn("lab: INVITE sip:carol@%s" % lab.kam.domain, log)
        self.assertIn("lab: BYE", log)

    def test_audio_flows_between_baresips_over_pulse_with_opus_and_srtp(self):
        lab = self.lab
        lab.pulse = ttylab.Pulse(workdir=lab.path("pulse")).start()
        lab.peers.append(lab.pulse)
        bob = lab.baresip("bob", audio="pulse", answermode="manual", codecs="opus",
                          mediaenc="srtp-mand")
        carol = lab.baresip("carol", audio="pulse", codecs="opus", mediaenc="srtp-mand")
        bob.wait_registered()
        carol.wait_registered()
        tone = ttylab.write_tone(lab.path("tone.wav"), 1019, 1.0, 48000, 0.5)
        lab.pulse.play("bob", tone, loop=True)
        bob.dial(lab.kam.aor("carol"))
        carol.wait_event(type="CALL_ESTABLISHED")
        time.sleep(0.5)
        rec = lab.pulse.record("carol", lab.path("carol.wav"))
        time.sleep(1.5)
        a = ttylab.analyze(rec.stop())
        bob.hangup()
        carol.wait_event(type="CALL_CLOSED")
        self.assertEqual(carol.audio_decoders()[-1:], ["opus"])
        self.assertIn("SRTP is Enabled", carol.log_text())
        self.assertAlmostEqual(a["freq"], 1019, delta=10, msg=a)
        self.assertGreater(a["rms_dbfs"], -20, a)

    def test_baresip_caller_meets_sipp_uas_scenarios(self):
        lab = self.lab
        bob = lab.baresip("bob")
        bob.wait_registered()
        # Busy callee.
        uas = lab.sipp_uas("uas_486.xml", user="busy", timeout=10)
        bob.dial(lab.kam.aor("busy"))
        ev = bob.wait_event(type="CALL_CLOSED")
        self.assertIn("486", ev.get("param", ""))
        self.assertTrue(uas.wait(10).ok, uas.result.describe())
        # A callee that hangs up first: its BYE follows the record-route back to bob.
        uas = lab.sipp_uas("uas_answer_then_bye.xml", user="byer", duration_ms=500,
                           timeout=10)
        bob.dial(lab.kam.aor("byer"))
        bob.wait_event(type="CALL_ESTABLISHED")
        bob.wait_event(type="CALL_CLOSED")
        self.assertTrue(uas.wait(10).ok, uas.result.describe())
        # A callee that puts bob on hold with a sendonly re-INVITE; bob hangs up after.
        uas = lab.sipp_uas("uas_reinvite_hold.xml", user="holder", duration_ms=300,
                           timeout=10)
        bob.dial(lab.kam.aor("holder"))
        bob.wait_event(type="CALL_ESTABLISHED")
        time.sleep(1.0)
        bob.hangup()
        bob.wait_event(type="CALL_CLOSED")
        self.assertTrue(uas.wait(10).ok, uas.result.describe())
        # Early media then answer.
        uas = lab.sipp_uas("uas_183_200.xml", user="early", duration_ms=300, timeout=10)
        bob.dial(lab.kam.aor("early"))
        bob.wait_event(type="CALL_ESTABLISHED")
        bob.hangup()
        bob.wait_event(type="CALL_CLOSED")
        self.assertTrue(uas.wait(10).ok, uas.result.describe())

    def test_sipp_caller_cancels_a_ringing_baresip(self):
        lab = self.lab
        carol = lab.baresip("carol", answermode="manual")
        carol.wait_registered()
        r = lab.sipp("uac_cancel_race.xml", service="carol", duration_ms=200,
                     timeout=10).run()
        self.assertTrue(r.ok, r.describe())
        self.assertIn("487 Request Terminated", r.messages())
        carol.wait_event(type="CALL_CLOSED")


def tearDownModule():
    ttylab.assert_no_leftovers()


if __name__ == "__main__":
    ttylab.require_tools("kamailio", "kamcmd", "openssl", "sipp", "pulseaudio", "pactl",
                         "pacat", "parecord", "baresip")
    ttylab.main()
