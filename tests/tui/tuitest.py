"""Driving the terminal UI through tmux, for the tests in tests/tui.

A test gets a private tmux server (`tmux -L <unique socket>`), a shell in a window of a
given size, and ttyphone started in that shell with its own XDG_CONFIG_HOME. Keys go in
with send-keys, the screen comes out with capture-pane. A headless ttyphone can play the
other side of a call. Everything is stopped at exit, also when a check fails.

Exit codes follow automake: 0 pass, 77 skip (with the reason printed), 1 fail.
Standard library only.
"""

import atexit
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata

SKIP = 77


def width(text):
    """Columns text takes on a terminal (wide characters such as the lock take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else
               0 if unicodedata.combining(c) else 1 for c in text)


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def fail(msg, screen=None):
    print("FAIL: " + msg)
    if screen is not None:
        print("---- screen ----")
        print(screen)
        print("----------------")
    sys.exit(1)


def ttyphone_bin():
    path = os.environ.get("TTYPHONE_BIN")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "ttyphone")
    if not os.access(path, os.X_OK):
        skip("no ttyphone binary at %s (set TTYPHONE_BIN)" % path)
    return os.path.abspath(path)


def free_port():
    """A UDP+TCP port on 127.0.0.1 that is free now (outside the ephemeral range)."""
    for _ in range(200):
        port = random.randrange(10000, 19999)
        ok = True
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return port
    skip("no free port on 127.0.0.1")


_cleanups = []


def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception:  # cleaning up must go on
            pass


atexit.register(_run_cleanups)
for _sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(_sig, lambda *a: sys.exit(1))


def make_home(contacts=None, config=True, sip_port=None):
    """A temporary XDG_CONFIG_HOME with ttyphone/config.ini (null audio, loopback SIP) and
    optionally a contacts.ini."""
    home = tempfile.mkdtemp(prefix="ttytui-")
    if not os.environ.get("TTYTUI_KEEP"):
        _cleanups.append(lambda: shutil.rmtree(home, ignore_errors=True))
    d = os.path.join(home, "ttyphone")
    os.makedirs(d)
    if config:
        with open(os.path.join(d, "config.ini"), "w") as f:
            f.write("[sip]\nlisten = 127.0.0.1:%s\n\n[audio]\nbackend = null\n"
                    % (sip_port or 0))
        os.chmod(os.path.join(d, "config.ini"), 0o600)
    if contacts:
        with open(os.path.join(d, "contacts.ini"), "w") as f:
            f.write(contacts)
    return home


class Screen:
    """A tmux server with one window running a shell, where ttyphone is started."""

    def __init__(self, cols=80, rows=24):
        if not shutil.which("tmux"):
            skip("tmux is not installed")
        self.sock = "ttytui-%d-%d" % (os.getpid(), random.randrange(1 << 30))
        self.cols, self.rows = cols, rows
        _cleanups.append(self.kill)
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(cols),
                  "-y", str(rows), "env", "-i", "PATH=/usr/bin:/bin", "HOME=/tmp",
                  "LANG=C.UTF-8", "TERM=tmux-256color", "PS1=$ ", "sh")
        self.tmux("set-option", "-g", "status", "off")
        self.tmux("set-option", "-g", "escape-time", "0")
        self.tmux("resize-window", "-t", "t", "-x", str(cols), "-y", str(rows))

    def tmux(self, *args, check=True):
        r = subprocess.run(["tmux", "-L", self.sock] + list(args), capture_output=True,
                           text=True, timeout=10)
        if check and r.returncode != 0:
            fail("tmux %s: %s" % (" ".join(args), r.stderr.strip()))
        return r.stdout

    def kill(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True,
                       timeout=10)

    def start_ttyphone(self, home, extra=""):
        """Run ttyphone in the shell; its stderr goes to a file (shown on failure)."""
        self.errlog = os.path.join(home, "stderr.log")
        # Each run its own data folder: the history must not be shared between tests.
        cmd = "env XDG_CONFIG_HOME=%s XDG_DATA_HOME=%s/data %s %s 2>%s; echo TTYPHONE-EXIT=$?" % (
            home, home, ttyphone_bin(), extra, self.errlog)
        self.send_literal(cmd)
        self.keys("Enter")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def send_literal(self, text):
        self.tmux("send-keys", "-t", "t", "-l", text)

    def capture(self):
        return self.tmux("capture-pane", "-p", "-t", "t")

    def lines(self):
        return self.capture().split("\n")

    def fmt(self, what):
        return self.tmux("display-message", "-p", "-t", "t", what).strip()

    def alternate_on(self):
        return self.fmt("#{alternate_on}") == "1"

    def wait(self, pattern, timeout=10.0, what=None, absent=False):
        """Wait until the screen matches the regex (or no longer does, with absent)."""
        rx = re.compile(pattern, re.M)
        return self.wait_for(lambda screen: bool(rx.search(screen)) != absent, timeout,
                             ("no " if absent else "") + (what or repr(pattern)))

    def wait_for(self, ready, timeout=10.0, what="the screen"):
        """Wait until ready(screen) holds. A capture can catch a frame half drawn (the
        header already new, the rows below not yet): a test that reads rows waits for
        the whole frame it expects, not for its first line."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.capture()
            if ready(screen):
                return screen
            if time.monotonic() > deadline:
                err = ""
                if getattr(self, "errlog", None) and os.path.exists(self.errlog):
                    with open(self.errlog, errors="replace") as f:
                        err = f.read()[-2000:]
                fail("timed out waiting for %s (stderr: %s)" % (what, err.strip()), screen)
            time.sleep(0.1)

    def settled(self, timeout=3.0):
        """The screen once two captures 50 ms apart agree: a capture can catch a frame
        half written, and a test that reads rows must not read such a frame."""
        deadline = time.monotonic() + timeout
        last = self.capture()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.capture()
            if now == last:
                return now
            last = now
        return last

    def resize(self, cols, rows):
        self.cols, self.rows = cols, rows
        self.tmux("resize-window", "-t", "t", "-x", str(cols), "-y", str(rows))

    def pane_pid(self):
        return int(self.fmt("#{pane_pid}"))

    def ttyphone_pid(self, timeout=5.0):
        """The ttyphone running in the pane's shell (env execs it, so it is the child)."""
        deadline = time.monotonic() + timeout
        shell = self.pane_pid()
        while time.monotonic() < deadline:
            for pid in children(shell):
                try:
                    with open("/proc/%d/comm" % pid) as f:
                        if f.read().strip() == "ttyphone":
                            return pid
                except OSError:
                    pass
            time.sleep(0.05)
        fail("no ttyphone process under the pane's shell")


def children(ppid):
    """PIDs whose parent is ppid, from /proc."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        # the command may hold spaces and parentheses: fields start after the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == ppid:
            out.append(int(name))
    return out


def check_frame(screen, cols, rows):
    """The layout fills the window exactly: boxes closed on both sides, the status line
    last, nothing left over from an older size."""
    lines = screen.split("\n")
    if len(lines) < rows:
        fail("only %d lines on a %d-row screen" % (len(lines), rows), screen)
    top = lines[0]
    if not top.startswith("┌") or not top.rstrip().endswith("┐"):
        fail("the first row is not the top of the boxes", screen)
    if width(top.rstrip()) != cols:
        fail("the boxes are %d columns wide on a %d-column screen" % (width(top.rstrip()), cols),
             screen)
    for i in range(1, rows - 2):
        row = lines[i].rstrip()
        if not (row.startswith("│") or row.startswith("┌") or row.startswith("└")):
            fail("row %d does not start with a box border" % i, screen)
        if width(row) != cols:
            fail("row %d is %d columns, not %d" % (i, width(row), cols), screen)
    if "F1 help" not in lines[rows - 1]:
        fail("the status line is not the last row", screen)


class Headless:
    """A ttyphone --headless: commands in, JSON events out (read by a thread)."""

    def __init__(self, home, sip_trace=None):
        argv = [ttyphone_bin(), "--headless", "--config",
                os.path.join(home, "ttyphone", "config.ini")]
        if sip_trace:
            argv += ["--sip-trace", sip_trace]
        # Its own data folder too: its history stays out of the tester's home.
        env = dict(os.environ, XDG_CONFIG_HOME=home, XDG_DATA_HOME=os.path.join(home, "data"))
        self.log = open(os.path.join(home, "headless.err"), "w")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.log, env=env, text=True, bufsize=1,
                                  start_new_session=True)
        _cleanups.append(self.stop)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.wait_event(lambda e: e.get("event") == "ready", 10, "ready")
        self.sip = ready["sip"]

    def _read(self):
        for line in self.p.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def wait_event(self, pred, timeout=10.0, what="an event"):
        deadline = time.monotonic() + timeout
        for e in self.seen:
            if pred(e):
                return e
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                fail("headless peer: timed out waiting for %s (saw %s)" % (
                    what, json.dumps(self.seen[-8:])))
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(e)
            if pred(e):
                return e

    def stop(self):
        if self.p.poll() is None:
            try:
                self.send("quit")
                self.p.wait(timeout=5)
            except Exception:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()
