"""A real JsSIP user agent (the npm package web phones use) driven from Python tests.

    js = JsSip(name="alice")                        # node tests/node/jssip_driver.js
    js.start_ua(kam, "alice", transport="wss")      # or js.start_ua(uri=..., socket=...)
    js.wait_event("registered")
    js.message(kam.aor("bob"), "hello")
    js.wait_event("message_sent")
    ev = js.wait_event("message_in", timeout=10)    # {"event", "from", "body", ...}
    js.call(kam.aor("bob")); js.wait_event("call_failed", status=486)
    js.stop()

The Node script (tests/node/jssip_driver.js, its header lists every command and event)
reads one JSON command per line and writes one JSON event per line. Events are kept in
`events`; wait_event() scans from a cursor just after the last event it returned, with
the same matching as ttylab_phone.Phone (a value, a tuple of allowed values, or a
predicate). JsSIP's own log goes to stderr (its log file) when debug=True or
TTYLAB_VERBOSE=1. Calls carry no media (tests/node/fake_rtc.js).
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time

from ttylab_core import LabError, Proc, debug, env_flag, make_tempdir, tail
from ttylab_phone import _fmt_match, _matches, _strip

NODE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "..", "node"))
DRIVER = os.path.join(NODE_DIR, "jssip_driver.js")


def jssip_missing():
    """Why the JsSIP driver cannot run here (no node, no node_modules), or None."""
    if not shutil.which("node"):
        return "node is not installed (Debian: nodejs; .ci/deps test installs it)"
    for mod in ("jssip", "ws"):
        if not os.path.isfile(os.path.join(NODE_DIR, "node_modules", mod, "package.json")):
            return ("%s/node_modules/%s is missing (run: cd tests/node && npm install "
                    "--offline --no-audit --no-fund; .ci/deps test does it)" % (NODE_DIR, mod))
    return None


def require_jssip():
    """For standalone test scripts: exit 77 (automake's SKIP) when jssip_missing()."""
    why = jssip_missing()
    if why:
        print("SKIP: %s" % why)
        sys.stdout.flush()
        sys.exit(77)


class JsSip:
    """One JsSIP UA in a Node process. start=True starts the process and waits for its
    "ready" event; the UA itself starts with start_ua()."""

    def __init__(self, name="jssip", workdir=None, debug=None, start=True):
        self.name = name
        self.dir = workdir or make_tempdir("ttylab-jssip-%s-" % name)
        os.makedirs(self.dir, exist_ok=True)
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.debug = env_flag("TTYLAB_VERBOSE") if debug is None else debug
        self.events = []
        self.protocol_errors = []
        self.proc = None
        self.uri = None
        self._cursor = 0
        self._cond = threading.Condition()
        self._eof = False
        self._reader = None
        if start:
            self.start()

    # --- life cycle -------------------------------------------------------------------
    def start(self, timeout=15.0):
        why = jssip_missing()
        if why:
            raise LabError(why)
        argv = ["node", DRIVER] + (["--debug"] if self.debug else [])
        self.proc = Proc("jssip:" + self.name, argv, cwd=self.dir, log_path=self.stderr_path,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True,
                                        name="jssip-%s-stdout" % self.name)
        self._reader.start()
        self.wait_event("ready", timeout=timeout)
        return self

    def start_ua(self, kam=None, user=None, transport="ws", password=None, ca_file=None,
                 **fields):
        """Start the UA. With a Kamailio and a user: that user's account over its ws or
        wss socket (wss verifies kam.ca_file unless ca_file is given), password from
        kam.users unless given. Other fields go into the start command as they are
        (uri=, socket=, authorization_user=, register=False, config={...})."""
        cmd = {}
        if kam is not None:
            cmd = {"uri": kam.aor(user), "authorization_user": user,
                   "password": kam.users.get(user, "") if password is None else password,
                   "socket": kam.ws_url_for(transport)}
            if transport == "wss":
                cmd["ca_file"] = ca_file or kam.ca_file
        elif password is not None:
            cmd["password"] = password
        if ca_file and "ca_file" not in cmd:
            cmd["ca_file"] = ca_file
        cmd.update(fields)
        self.uri = cmd.get("uri")
        self.send("start", **cmd)
        return self

    def stop(self, timeout=10.0):
        """Un-register and exit ("stop"), then stop the process by its PID. Returns the
        exit code."""
        if not self.proc:
            return None
        if self.alive():
            try:
                self.send("stop")
                self.proc.popen.stdin.close()
            except (LabError, OSError):
                pass
            try:
                self.proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                debug("jssip %s did not stop within %.0fs" % (self.name, timeout))
        rc = self.proc.stop(timeout=3.0)
        if self._reader:
            self._reader.join(2.0)
        return rc

    def alive(self):
        return bool(self.proc and self.proc.alive())

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- commands ---------------------------------------------------------------------
    def send(self, cmd, **fields):
        """Write one command ({"cmd": cmd, **fields}) to the driver."""
        line = json.dumps(dict({"cmd": cmd}, **fields))
        if not self.alive():
            raise LabError("jssip %s is not running (rc %s); cannot send %s\n%s" % (
                self.name, self.proc.poll() if self.proc else None, line, self._context()))
        try:
            self.proc.popen.stdin.write((line + "\n").encode())
            self.proc.popen.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise LabError("jssip %s closed its stdin; cannot send %s\n%s" % (
                self.name, line, self._context())) from None

    def message(self, to, body, content_type="text/plain"):
        self.send("message", to=to, body=body, content_type=content_type)

    def call(self, to):
        """INVITE `to`; returns the call's id (from the call_out event)."""
        since = self.mark()
        self.send("call", to=to)
        return self.wait_event("call_out", since=since)["id"]

    def answer(self, id=None):
        self.send("answer", **({"id": id} if id else {}))

    def reject(self, status=486, id=None):
        self.send("reject", status=status, **({"id": id} if id else {}))

    def hangup(self, id=None):
        self.send("hangup", **({"id": id} if id else {}))

    # --- events -----------------------------------------------------------------------
    def _read_stdout(self):
        raw = open(self.stdout_path, "ab", buffering=0)
        try:
            for line in self.proc.popen.stdout:
                raw.write(line)
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if not text.strip():
                    continue
                try:
                    ev = json.loads(text)
                    if not isinstance(ev, dict) or "event" not in ev:
                        raise ValueError("not an event object")
                except ValueError:
                    with self._cond:
                        self.protocol_errors.append(text)
                        self._cond.notify_all()
                    continue
                ev["_t"] = time.monotonic()
                debug("jssip %s: %s" % (self.name, text))
                with self._cond:
                    self.events.append(ev)
                    self._cond.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            raw.close()
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    def mark(self):
        """Index of the next event; pass it as since= to look only at newer events."""
        with self._cond:
            return len(self.events)

    def find_events(self, event=None, since=0, **match):
        if event is not None:
            match["event"] = event
        with self._cond:
            return [e for e in self.events[since:] if _matches(e, match)]

    def wait_event(self, event=None, timeout=10.0, since=None, **match):
        """The first event after the cursor (or after index `since`) named `event` (a
        name or a tuple of names) whose fields match; moves the cursor past it. An
        "error" event (a command the driver refused) fails at once unless waited for.
        Raises AssertionError on timeout or exit, with the recent events and stderr."""
        if event is not None:
            match["event"] = event
        deadline = time.monotonic() + timeout
        with self._cond:
            i = self._cursor if since is None else since
            while True:
                while i < len(self.events):
                    ev = self.events[i]
                    i += 1
                    if _matches(ev, match):
                        self._cursor = i
                        return ev
                    if ev["event"] == "error":
                        raise AssertionError("jssip %s refused a command: %s\n%s" % (
                            self.name, json.dumps(_strip(ev)), self._context()))
                if self._eof:
                    raise AssertionError("jssip %s exited (rc %s) before event %s\n%s" % (
                        self.name, self.proc.poll(), _fmt_match(match), self._context()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("jssip %s: no event %s within %.1fs\n%s" % (
                        self.name, _fmt_match(match), timeout, self._context()))
                self._cond.wait(min(left, 0.5))

    def expect_no_event(self, event=None, within=2.0, since=None, **match):
        """Assert that no matching event arrives within `within` seconds."""
        start = self.mark() if since is None else since
        time.sleep(within)
        found = self.find_events(event, since=start, **match)
        if found:
            raise AssertionError("jssip %s: unexpected event %s\n%s" % (
                self.name, json.dumps(_strip(found[0])), self._context()))

    # --- diagnostics ------------------------------------------------------------------
    def stderr_text(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stderr_tail(self, lines=30):
        return tail(self.stderr_path, lines)

    def assert_clean(self):
        """Fail if the driver wrote anything but JSON events on stdout."""
        if self.protocol_errors:
            raise AssertionError("jssip %s wrote non-JSON lines on stdout:\n  %s" % (
                self.name, "\n  ".join(self.protocol_errors[:10])))

    def _context(self, n_events=15):
        with self._cond:
            recent = self.events[-n_events:]
            bad = list(self.protocol_errors[-5:])
        s = "recent events (%d total):\n" % len(self.events)
        s += "\n".join("  " + json.dumps(_strip(e)) for e in recent) or "  (none)"
        if bad:
            s += "\nNON-JSON stdout lines:\n" + "\n".join("  " + b for b in bad)
        s += "\nstderr tail (%s):\n%s" % (self.stderr_path, self.stderr_tail(30))
        return s

    def __repr__(self):
        return "<JsSip %s pid=%s>" % (self.name, self.pid)


__all__ = ["JsSip", "jssip_missing", "require_jssip", "NODE_DIR"]
