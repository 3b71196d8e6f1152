"""The ttyphone test lab: real Kamailio, PulseAudio, SIPp, baresip and ttyphone processes
started by the test suite on 127.0.0.1 with free ports, and stopped by it.

    import ttylab
    with ttylab.Lab(pulse=True) as lab:
        alice = lab.phone("alice", transport="tls", audio=True)
        alice.wait_ready()
        alice.send("register")
        alice.wait_event(event="reg", state="registered", code=200)
        lab.kam.wait_registered("alice")
    # every process the lab started is stopped here; lab.assert_no_leftovers()

Pieces (each usable on its own, all re-exported here):
  ttylab_core      free ports, Proc (process groups, logs), cleanup at exit/signals,
                   leftovers()/assert_no_leftovers()
  ttylab_kamailio  Kamailio (registrar + proxy, UDP/TCP/TLS/WS/WSS, digest auth, test CAs;
                   presence=True: presence/BLF/MWI server), raw SIP helpers (sip_request,
                   sip_register, sip_publish, SipSubscriber)
  ttylab_ws        WsClient (a minimal RFC 6455 client with subprotocol sip, for checks)
  ttylab_pulse     Pulse (headless daemon, per-phone null sinks, play/record)
  ttylab_audio     tone WAVs and analysis (frequency, dBFS, gaps, onset)
  ttylab_sipp      Sipp (scenarios in tests/lab/sipp)
  ttylab_baresip   Baresip (reference phone)
  ttylab_phone     Phone (ttyphone --headless, JSON events), config builder
  ttylab_jssip     JsSip (a real JsSIP UA in Node, tests/node, JSON commands and events)
  ttylab_browser   Browser (a JsSIP web phone in headless Chromium, WebRTC media, tests/node)
  ttylab_users     other Unix users (made on demand), code run as them, a process's
                   memory and listening ports
Standard library only (Python 3.11).
"""

import os
import sys
import unittest

from ttylab_core import (LOCALHOST, LabError, Proc, assert_no_leftovers, debug, env_flag,
                         free_port, free_ports, leftovers, live_procs, make_tempdir, run,
                         stop_all, tail, wait_until, which)
from ttylab_kamailio import (DEFAULT_REALM, DEFAULT_USERS, EVENT_CONTENT_TYPES, Kamailio,
                             SipMessage, SipSubscriber, make_certs, message_summary, pidf,
                             sip_options, sip_publish, sip_register, sip_request,
                             sip_response, ws_client)
from ttylab_ws import TcpRelay, WsClient, WsClosed
from ttylab_pulse import Pulse, Recorder
from ttylab_audio import (analyze, dominant_frequency, goertzel_power, longest_gap_ms,
                          onset_ms, read_wav, rms_dbfs, silent_gaps, tone_samples, write_tone,
                          write_wav)
from ttylab_sipp import SCENARIO_DIR, Sipp, SippResult, scenario_path
from ttylab_baresip import Baresip
from ttylab_phone import Phone, have_ttyphone, render_ini, require_ttyphone, ttyphone_bin
from ttylab_relay import Relay
from ttylab_users import ensure_unix_users, python_as, rss_kb, tcp_ports
from ttylab_jssip import JsSip, jssip_missing, require_jssip
from ttylab_browser import (DEFAULT_TONE_HZ, Browser, browser_missing, require_browser,
                            tone_key)

SKIP = 77


def sanitized():
    """True when the ttyphone under test is built with AddressSanitizer (TTY_SANITIZED=1,
    set by make check in an --enable-asan build, so by make check-sanitize). Such a build
    runs 2-3 times slower: tests relax their real-time limits (gap lengths, deadlines) with
    it, each saying why, and never what they check (tone there, packets dropped and
    counted, no crash)."""
    return env_flag("TTY_SANITIZED")


# The longest silence a test allows in a recording, in a sanitized run: ASan phones (2-3
# times slower) beside the lab's PulseAudio, Kamailio and SIPp on 2 cores make the media
# threads, and even PulseAudio itself (test_lab_selfcheck, no ttyphone involved), stall
# now and then: seen 50 ms gaps where 25-40 ms are allowed. A real-time limit only.
SANITIZED_MAX_GAP_MS = 150.0


def max_gap_ms(limit):
    """`limit` (ms), or SANITIZED_MAX_GAP_MS when sanitized() and that is larger."""
    return max(limit, SANITIZED_MAX_GAP_MS) if sanitized() else limit


def skip(reason):
    """Exit with automake's SKIP status."""
    print("SKIP: %s" % reason)
    sys.stdout.flush()
    sys.exit(SKIP)


def require_tools(*tools):
    """Exit 77 if one of the programs is missing (e.g. "kamailio", "sipp")."""
    missing = [t for t in tools if not which(t)]
    if missing:
        skip("missing programs: %s" % ", ".join(missing))


class Lab:
    """Kamailio (+ PulseAudio if pulse=True) and everything started through it.

    Attributes: kam (Kamailio), pulse (Pulse or None), dir (scratch dir), phones, peers.
    Methods start tracked parts; __exit__ stops all of them (phones get `quit` first).
    With strict=True (default) a clean exit also fails if a phone wrote non-JSON stdout.
    """

    def __init__(self, pulse=False, users=None, realm=DEFAULT_REALM, kamailio=True,
                 strict=True, qop=True, rtpproxy=None, presence=False):
        self.dir = make_tempdir("ttylab-")
        self.want_pulse = pulse
        self.want_kam = kamailio
        self.users = users
        self.realm = realm
        self.qop = qop
        self.strict = strict
        self.kam = None
        self.pulse = None
        self.phones = []
        self.peers = []          # Sipp, Baresip, extra Pulse daemons...
        # rtpproxy: True (a new Relay), a Relay, or "udp:127.0.0.1:PORT": Kamailio routes
        # media through it (ttylab_relay). lab.relay is the Relay (None otherwise).
        self.rtpproxy = rtpproxy
        # presence=True: the lab's Kamailio is also the presence server of its domain
        # (presence, BLF dialog-info, MWI message-summary; ttylab_kamailio PRESENCE_MODULES).
        self.presence = presence
        self.relay = Relay() if rtpproxy is True else (
            rtpproxy if isinstance(rtpproxy, Relay) else None)

    def start(self):
        try:
            rtpp = self.rtpproxy
            if self.relay:
                self.peers.append(self.relay.start())
                rtpp = self.relay.control
            if self.want_kam:
                self.kam = Kamailio(users=self.users, realm=self.realm, qop=self.qop,
                                    workdir=os.path.join(self.dir, "kamailio"),
                                    rtpproxy=rtpp, presence=self.presence).start()
            if self.want_pulse:
                self.pulse = Pulse(workdir=os.path.join(self.dir, "pulse")).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        errors = []
        for p in reversed(self.phones):
            try:
                p.quit(timeout=5.0)
            except Exception as e:
                errors.append("%r: %s" % (p, e))
        for x in reversed(self.peers):
            try:
                x.stop()
            except Exception as e:
                errors.append("%r: %s" % (x, e))
        if self.pulse:
            self.pulse.stop()
        if self.kam:
            self.kam.stop()
        if errors:
            sys.stderr.write("ttylab: errors while stopping:\n  %s\n" % "\n  ".join(errors))

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is None and self.strict:
            for p in self.phones:
                p.assert_clean()
        return False

    # --- parts ------------------------------------------------------------------------
    def path(self, name):
        """A path in the lab's scratch dir."""
        return os.path.join(self.dir, name)

    def config(self, user, transport="udp", **overrides):
        return Phone.config_for(self, user, transport=transport, **overrides)

    def phone(self, user, transport="udp", audio=False, config=None, name=None, env=None,
              args=(), run_as=None, home=None, binary=None, **overrides):
        """Start a ttyphone for `user` (or a list of users). audio=True gives it Pulse
        devices named after it (the lab must have pulse=True). `config` replaces the
        generated config text."""
        name = name or (user if isinstance(user, str) else "+".join(user))
        pulse_env = None
        if audio:
            if not self.pulse:
                raise LabError("audio=True needs Lab(pulse=True)")
            pulse_env = self.pulse.add_phone(name)
        if config is None:
            config = Phone.config_for(self, user, transport=transport,
                                      pulse=name if audio else None, **overrides)
        # run_as, home: a Unix user to run as and a folder of HOME/XDG dirs (ttylab_phone).
        p = Phone(config, name=name, pulse_env=pulse_env, env=env, args=args,
                  workdir=os.path.join(self.dir, "phone-%s-%d" % (name, len(self.phones))),
                  user=run_as, home=home, binary=binary)
        self.phones.append(p)
        return p

    def baresip(self, user, audio=None, **kw):
        """Start a baresip for `user`; audio="pulse" gives it Pulse devices named after
        the user."""
        if audio == "pulse":
            kw["pulse_env"] = self.pulse.add_phone(user)
            kw["audio"] = "pulse"
        elif audio:
            kw["audio"] = audio
        b = Baresip(self.kam, user, workdir=os.path.join(self.dir, "baresip-%s-%d" % (
            user, len(self.peers))), **kw)
        self.peers.append(b)
        return b.start()

    def jssip(self, user, transport="ws", name=None, debug=None, **kw):
        """Start a JsSIP UA for `user` over the lab Kamailio's ws or wss socket (wss
        verifying the lab CA); stopped at lab exit. kw: JsSip.start_ua fields."""
        name = name or user
        js = JsSip(name=name, debug=debug, workdir=os.path.join(
            self.dir, "jssip-%s-%d" % (name, len(self.peers))))
        self.peers.append(js)
        return js.start_ua(self.kam, user, transport=transport, **kw)

    def browser(self, user, transport="wss", name=None, tone_hz=None, debug=None,
                start_ua=True, **kw):
        """Start a Chromium with a JsSIP page for `user` over the lab Kamailio's wss (or
        ws) socket, trusting the lab's wss certificate; stopped at lab exit. tone_hz: its
        microphone's sine (default ttylab_browser.DEFAULT_TONE_HZ). kw: Browser.start_ua
        fields. start_ua=False: Chromium and the page only."""
        name = name or user
        b = Browser(name=name, debug=debug, trust_cert=self.kam.cert_file,
                    tone_hz=tone_hz or DEFAULT_TONE_HZ,
                    workdir=os.path.join(self.dir, "browser-%s-%d" % (name, len(self.peers))))
        self.peers.append(b)
        if start_ua:
            b.start_ua(self.kam, user, transport=transport, **kw)
        return b

    def sipp(self, scenario, **kw):
        """A Sipp (not started) whose logs go to the lab dir; target defaults to the lab's
        Kamailio (UDP/TCP port)."""
        kw.setdefault("target", self.kam.domain if self.kam else None)
        kw.setdefault("workdir", os.path.join(self.dir, "sipp"))
        s = Sipp(scenario, **kw)
        self.peers.append(s)
        return s

    def sipp_uas(self, scenario, user="sipp", **kw):
        """Start a SIPp UAS and put it in the location table as `user`, so that calls to
        sip:user@domain reach it. Returns the started Sipp."""
        kw["target"] = None
        s = self.sipp(scenario, **kw).start()
        self.kam.ul_add(user, s.uri(user))
        return s

    def extra_pulse(self, protocol="tcp", **kw):
        """A second PulseAudio (e.g. TCP-only for the SSH tunnel test)."""
        p = Pulse(protocol=protocol, workdir=os.path.join(
            self.dir, "pulse-%s-%d" % (protocol, len(self.peers))), **kw).start()
        self.peers.append(p)
        return p

    def assert_no_leftovers(self, grace=3.0):
        assert_no_leftovers(grace)


class LabTestCase(unittest.TestCase):
    """unittest base: one Lab per test method (self.lab), stopped in tearDown, with a
    leftover-process check. Set lab_args = {"pulse": True} in a subclass to change it."""

    lab_args = {}

    def setUp(self):
        self.lab = Lab(**self.lab_args).start()
        self.addCleanup(self._stop_lab)

    def _stop_lab(self):
        if self._failed_so_far():
            self._dump_lab()
        self.lab.__exit__(None, None, None)
        self.lab.assert_no_leftovers()

    def _failed_so_far(self):
        # unittest resets outcome.success for each cleanup: look at what the result holds.
        result = getattr(getattr(self, "_outcome", None), "result", None)
        return any(t is self or getattr(t, "test_case", None) is self
                   for t, _ in getattr(result, "failures", []) + getattr(result, "errors", []))

    def _dump_lab(self):
        """After a failure, on stderr (automake keeps it in the .log): every phone's last
        events and the registrar's log, so that a failure seen once in CI can be read
        without running it again."""
        out = ["ttylab: %s failed; the lab as it was:" % self.id()]
        for p in self.lab.phones:
            out.append("== phone %s: %s" % (p.name, p._context(n_events=25)))
        for x in self.lab.peers:     # JsSip, Browser: their last events and stderr
            if isinstance(x, (JsSip, Browser)):
                out.append("== %r: %s" % (x, x._context()))
        if self.lab.kam:
            # its workers' lines: the main process's start-up report says nothing here
            lines = [l for l in self.lab.kam.log_tail(400).splitlines()
                     if not l.lstrip().startswith("0(")]
            out.append("== kamailio log (%s), workers:\n%s" % (
                self.lab.kam.log_path, "\n".join(lines[-40:]) or "  (nothing)"))
        sys.stderr.write("\n".join(out) + "\n")


def main():
    """unittest.main() that maps 'no test ran but skipped' to exit 77 for automake."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if r.wasSuccessful():
        if r.testsRun and len(r.skipped) == r.testsRun:
            sys.exit(SKIP)
        sys.exit(0)
    sys.exit(1)


__all__ = [
    # core
    "LOCALHOST", "LabError", "Proc", "assert_no_leftovers", "debug", "env_flag", "sanitized",
    "max_gap_ms", "free_port",
    "free_ports", "leftovers", "live_procs", "make_tempdir", "run", "stop_all", "tail",
    "wait_until", "which",
    # servers and peers
    "DEFAULT_REALM", "DEFAULT_USERS", "Kamailio", "make_certs", "sip_options",
    "sip_register", "sip_request", "sip_response", "ws_client", "sip_publish",
    "SipMessage", "SipSubscriber", "pidf", "message_summary", "EVENT_CONTENT_TYPES", "Pulse", "Recorder", "SCENARIO_DIR", "Sipp",
    "SippResult", "scenario_path", "Baresip", "Relay",
    # other users and processes
    "ensure_unix_users", "python_as", "rss_kb", "tcp_ports",
    # audio
    "analyze", "dominant_frequency", "goertzel_power", "longest_gap_ms", "onset_ms",
    "read_wav", "rms_dbfs", "silent_gaps", "tone_samples", "write_tone", "write_wav",
    # ttyphone
    "Phone", "have_ttyphone", "render_ini", "require_ttyphone", "ttyphone_bin",
    # JsSIP
    "JsSip", "jssip_missing", "require_jssip",
    # the browser lab
    "Browser", "browser_missing", "require_browser", "DEFAULT_TONE_HZ", "tone_key",
    # this module
    "Lab", "LabTestCase", "main", "require_tools", "skip", "SKIP",
]
