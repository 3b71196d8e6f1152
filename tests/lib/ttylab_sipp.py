"""SIPp runs for the lab: scenarios live in tests/lab/sipp/.

    r = Sipp("uac_register_auth.xml", target=kam.domain, service="alice",
             auth=("alice", kam.users["alice"])).run()
    assert r.ok, r.describe()

    uas = Sipp("uas_486.xml").start()     # background callee on a free port
    ... a phone calls uas.uri("carol") ...
    r = uas.wait(20)

SIPp 3.6 on Debian has no TLS (-t l1): use UDP (u1) or TCP (t1).
"""

import os
import subprocess

from ttylab_core import (LOCALHOST, LabError, Proc, free_ports, make_tempdir, tail,
                         wait_until, which, _port_is_free)

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO_DIR = os.path.normpath(os.path.join(HERE, "..", "lab", "sipp"))
TRANSPORT_FLAG = {"udp": "u1", "tcp": "t1", "tls": "l1"}


def scenario_path(name):
    """Absolute path of a scenario: a bare name is looked up in tests/lab/sipp/;
    "builtin:uac" names one of SIPp's built-in scenarios (-sn)."""
    if name.startswith("builtin:"):
        return name
    if os.path.isabs(name) or os.path.exists(name):
        return os.path.abspath(name)
    p = os.path.join(SCENARIO_DIR, name)
    if not os.path.exists(p) and not name.endswith(".xml"):
        p += ".xml"
    if not os.path.exists(p):
        raise LabError("no SIPp scenario %s in %s" % (name, SCENARIO_DIR))
    return p


class SippResult:
    def __init__(self, sipp, rc):
        self.sipp = sipp
        self.rc = rc
        self.ok = rc == 0
        self.stdout_path = sipp.stdout_path
        self.messages_path = sipp.messages_path
        self.errors_path = sipp.errors_path
        self.log_path = sipp.log_path

    def messages(self):
        try:
            with open(self.messages_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def describe(self, lines=60):
        return ("sipp %s rc=%s\n--- stdout tail ---\n%s\n--- errors ---\n%s\n"
                "--- messages tail ---\n%s" % (
                    os.path.basename(self.sipp.scenario), self.rc,
                    tail(self.stdout_path, 25), tail(self.errors_path, 20),
                    tail(self.messages_path, lines)))

    def __repr__(self):
        return "<SippResult %s rc=%s>" % (os.path.basename(self.sipp.scenario), self.rc)


class Sipp:
    """One SIPp process running one scenario.

    target: "host:port" to send to (None for a UAS that only waits);
    service: the [service] user (-s); auth: (user, password) for -au/-ap;
    duration_ms: -d, used by <pause/> elements; calls: -m; timeout: SIPp's global
    -timeout (seconds, with -timeout_error so a stuck scenario fails);
    keys: {name: value} for -key; extra: more argv.
    """

    def __init__(self, scenario, target=None, transport="udp", service=None, auth=None,
                 local_port=None, media_port=None, duration_ms=None, calls=1, timeout=20,
                 keys=None, extra=(), workdir=None, name=None):
        if not which("sipp"):
            raise LabError("sipp (Debian package sip-tester) is not installed")
        if transport not in TRANSPORT_FLAG:
            raise ValueError(transport)
        self.scenario = scenario_path(scenario)
        self.target = target
        self.transport = transport
        self.service = service
        self.auth = auth
        self.local_port = local_port or free_ports(1)[0]
        self.media_port = media_port or free_ports(2, consecutive=True)[0]
        self.duration_ms = duration_ms
        self.calls = calls
        self.timeout = timeout
        self.keys = dict(keys or {})
        self.extra = list(extra)
        self.name = name or os.path.splitext(
            os.path.basename(self.scenario.replace("builtin:", "")))[0]
        self.dir = workdir or make_tempdir("ttylab-sipp-")
        os.makedirs(self.dir, exist_ok=True)
        base = os.path.join(self.dir, "%s-%d" % (self.name, self.local_port))
        self.stdout_path = base + ".out"
        self.messages_path = base + "_messages.log"
        self.errors_path = base + "_errors.log"
        self.log_path = base + "_logs.log"
        self.proc = None
        self.result = None

    @property
    def address(self):
        """host:port SIPp listens on."""
        return "%s:%d" % (LOCALHOST, self.local_port)

    def uri(self, user="sipp"):
        """A URI reaching this SIPp directly (e.g. for ul_add or a direct call)."""
        u = "sip:%s@%s" % (user, self.address)
        if self.transport != "udp":
            u += ";transport=%s" % self.transport
        return u

    def argv(self):
        a = [which("sipp")]
        if self.target:
            a.append(self.target)
        if self.scenario.startswith("builtin:"):
            a += ["-sn", self.scenario.split(":", 1)[1]]
        else:
            a += ["-sf", self.scenario]
        a += ["-i", LOCALHOST, "-p", str(self.local_port),
              "-mi", LOCALHOST, "-mp", str(self.media_port),
              "-t", TRANSPORT_FLAG[self.transport], "-m", str(self.calls),
              "-timeout", "%ds" % self.timeout, "-timeout_error", "-nostdin",
              "-default_behaviors", "all,-bye",
              "-trace_msg", "-message_file", self.messages_path,
              "-trace_err", "-error_file", self.errors_path,
              "-trace_logs", "-log_file", self.log_path]
        if self.service:
            a += ["-s", self.service]
        if self.auth:
            a += ["-au", self.auth[0], "-ap", self.auth[1]]
        if self.duration_ms is not None:
            a += ["-d", str(int(self.duration_ms))]
        for k, v in self.keys.items():
            a += ["-key", str(k), str(v)]
        return a + self.extra

    def start(self):
        """Start in the background; returns self once SIPp listens on its port."""
        self.proc = Proc("sipp:" + self.name, self.argv(), cwd=self.dir,
                         log_path=self.stdout_path)
        tcp = self.transport != "udp"
        try:
            wait_until(lambda: not self.proc.alive() or
                       not _port_is_free(self.local_port, udp=not tcp, tcp=tcp),
                       timeout=5, what="sipp listening on %d" % self.local_port)
        except LabError:
            self.stop()
            raise
        # A SIPp that already exited (a quick UAC, or a start-up error) is reported by
        # wait() with its output.
        return self

    def wait(self, timeout=None):
        """Wait for the scenario to finish; returns a SippResult (rc 0 = all calls ok)."""
        if timeout is None:
            timeout = self.timeout + 10
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.stop()
            rc = "timeout"
        self.result = SippResult(self, rc)
        return self.result

    def run(self, timeout=None):
        """Run in the foreground to completion and return a SippResult."""
        return self.start().wait(timeout)

    def stop(self):
        if self.proc:
            self.proc.stop(timeout=3)
        return self

    def alive(self):
        return bool(self.proc and self.proc.alive())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


__all__ = ["Sipp", "SippResult", "scenario_path", "SCENARIO_DIR"]
