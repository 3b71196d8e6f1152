"""ttyphone instances driven through their headless interface.

    cfg = Phone.config_for(lab, "alice", transport="tcp")
    with Phone(cfg, name="alice") as a:
        a.wait_event(event="ready")
        a.send("register")
        a.wait_event(event="reg", state="registered", code=200)

`ttyphone --headless --config FILE` reads one command per line on stdin and writes one
JSON event per line on stdout (human logs on stderr, kept in a file). Every event is kept in
`events`; wait_event() scans from a cursor (just after the last event it returned) for the
first event whose fields match. A match value may be a plain value (==), a tuple/list/set
(membership) or a callable (predicate). Non-JSON stdout lines are protocol errors: they are
kept in `protocol_errors`, shown in timeouts, and assert_clean() fails on them.
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

from ttylab_core import LabError, Proc, debug, make_tempdir, tail

# Flat override keys accepted by config_for(), and the section each belongs to.
SIP_KEYS = {"listen", "tls_listen", "ca_file", "tls_verify", "user_agent", "auto_answer",
            "keepalive"}
ACCOUNT_KEYS = {"uri", "authorization_user", "password", "realm", "registrar",
                "outbound_proxy", "transport", "socket", "register", "register_expires"}
MEDIA_KEYS = {"codecs", "srtp", "rtp_ports", "rtp_timeout"}
AUDIO_KEYS = {"backend", "capture", "playback", "input", "output", "echo_cancel"}


def ttyphone_bin():
    """$TTYPHONE_BIN, else ./ttyphone in the source/build tree."""
    b = os.environ.get("TTYPHONE_BIN")
    if b:
        return b
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.environ.get("TTY_SRCDIR") or os.path.normpath(os.path.join(here, "..", ".."))
    return os.path.join(top, "ttyphone")


def have_ttyphone():
    b = ttyphone_bin()
    return os.path.isfile(b) and os.access(b, os.X_OK)


def require_ttyphone():
    """For standalone test scripts: exit 77 (automake's SKIP) if there is no binary."""
    if not have_ttyphone():
        print("SKIP: ttyphone binary not found at %s (set TTYPHONE_BIN or build it)"
              % ttyphone_bin())
        sys.stdout.flush()
        sys.exit(77)


def _ini_value(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return str(v)


def render_ini(sections):
    """[(section_name, {key: value})] -> INI text."""
    out = []
    for name, kv in sections:
        out.append("[%s]" % name)
        for k, v in kv.items():
            out.append("%s = %s" % (k, _ini_value(v)))
        out.append("")
    return "\n".join(out)


def _matches(ev, match):
    for k, want in match.items():
        if k not in ev:
            return False
        got = ev[k]
        if callable(want):
            if not want(got):
                return False
        elif isinstance(want, (tuple, list, set, frozenset)):
            if got not in want:
                return False
        elif got != want:
            return False
    return True


class Phone:
    """One ttyphone process. `config` is the INI text (see config_for)."""

    def __init__(self, config, name="phone", pulse_env=None, env=None, binary=None,
                 args=(), workdir=None, start=True, user=None, home=None):
        self.name = name
        self.config = config
        self.pulse_env = dict(pulse_env or {})
        self.extra_env = dict(env or {})
        self.binary = binary or ttyphone_bin()
        self.args = list(args)
        # user: the Unix user it runs as (the lab must be root). home: a folder holding
        # HOME and the XDG folders, shared by every phone given the same one (one user's
        # several ttyphones); by default each phone has its own, inside its workdir.
        self.user = user
        self.home = home
        self.dir = workdir or make_tempdir("ttylab-phone-%s-" % name)
        os.makedirs(self.dir, exist_ok=True)
        self.config_path = os.path.join(self.dir, "config.ini")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.events = []
        self.protocol_errors = []
        self.proc = None
        self._cursor = 0
        self._cond = threading.Condition()
        self._reader = None
        self._eof = False
        self._t_start = None
        if start:
            self.start()

    # --- config builder ---------------------------------------------------------------
    @staticmethod
    def config_for(lab, user, transport="udp", pulse=None, **overrides):
        """ttyphone config.ini text for `user` (a name or a list of names: one [account]
        each) at the lab's Kamailio over `transport` (udp, tcp, tls).

        `lab` is a Lab or a Kamailio. `pulse`: a phone name whose Pulse devices to use
        (backend = pulse, capture = NAME_src, playback = NAME_spk).
        Overrides: flat keys (password="x", codecs="pcma", auto_answer=True,
        tls_verify=False, backend="file", ...) go to their section (account keys to every
        account); or per section: sip={...}, media={...}, audio={...}, account={...},
        accounts={"bob": {...}}; extra_sections=[("name", {...})]. A value None leaves
        the key empty.
        """
        kam = getattr(lab, "kam", lab)
        users = [user] if isinstance(user, str) else list(user)
        sip = {"listen": "127.0.0.1:0", "tls_listen": "", "ca_file": "",
               "tls_verify": "yes", "user_agent": "ttyphone-lab", "auto_answer": "no"}
        if transport in ("tls", "wss"):
            sip["ca_file"] = kam.ca_file
        media = {"codecs": "opus, g722, pcma, pcmu", "srtp": "off",
                 "rtp_ports": "20000-20999", "rtp_timeout": 30}
        audio = {"backend": "null", "capture": "", "playback": "", "input": "",
                 "output": ""}
        if pulse:
            audio.update({"backend": "pulse", "capture": "%s_src" % pulse,
                          "playback": "%s_spk" % pulse})
        account_common = {}
        per_account = {}
        extra_sections = overrides.pop("extra_sections", [])
        for sect, target in (("sip", sip), ("media", media), ("audio", audio),
                             ("account", account_common)):
            if sect in overrides:
                target.update(overrides.pop(sect))
        per_account.update(overrides.pop("accounts", {}))
        for k, v in overrides.items():
            if k in SIP_KEYS:
                sip[k] = v
            elif k in ACCOUNT_KEYS:
                account_common[k] = v
            elif k in MEDIA_KEYS:
                media[k] = v
            elif k in AUDIO_KEYS:
                audio[k] = v
            else:
                raise ValueError("unknown ttyphone config key %r" % k)
        sections = [("sip", sip)]
        for u in users:
            ws = transport in ("ws", "wss")
            acc = {
                "uri": kam.aor(u),
                "authorization_user": u,
                "password": kam.users.get(u, ""),
                "realm": "",
                "registrar": "" if ws else kam.registrar(transport),
                "outbound_proxy": kam.registrar(transport) if transport in ("tcp", "tls")
                                  else "",
                "transport": transport,
                "register": "yes",
                "register_expires": 600,
            }
            if ws:
                acc["socket"] = kam.ws_url_for(transport)
            acc.update(account_common)
            acc.update(per_account.get(u, {}))
            sections.append(("account %s" % u, acc))
        sections += [("media", media), ("audio", audio)]
        sections += list(extra_sections)
        return render_ini(sections)

    # --- life cycle -------------------------------------------------------------------
    def _env(self):
        env = dict(os.environ)
        for k in ("PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE", "PULSE_CLIENTCONFIG",
                  "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH"):
            env.pop(k, None)
        base = self.home or self.dir
        home = os.path.join(base, "home")
        for sub in ("home", "config", "data", "state", "cache", "run"):
            d = os.path.join(base, sub)
            os.makedirs(d, mode=0o700, exist_ok=True)
            if self.user:
                shutil.chown(d, self.user, self.user)
        env.update({
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(base, "config"),
            "XDG_DATA_HOME": os.path.join(base, "data"),
            "XDG_STATE_HOME": os.path.join(base, "state"),
            "XDG_CACHE_HOME": os.path.join(base, "cache"),
            "XDG_RUNTIME_DIR": os.path.join(base, "run"),
        })
        if self.user:
            env["USER"] = env["LOGNAME"] = self.user
        env.update(self.pulse_env)
        env.update(self.extra_env)
        return env

    def start(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise LabError("ttyphone binary not found: %s" % self.binary)
        # The config holds passwords: 0600, as ttyphone expects.
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.config)
        os.chmod(self.config_path, 0o600)
        if self.user:
            for path in (self.dir, self.config_path):
                shutil.chown(path, self.user, self.user)
        argv = [self.binary, "--headless", "--config", self.config_path] + self.args
        self.proc = Proc("ttyphone:" + self.name, argv, env=self._env(), cwd=self.dir,
                         log_path=self.stderr_path, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, user=self.user)
        self._t_start = time.monotonic()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True,
                                        name="phone-%s-stdout" % self.name)
        self._reader.start()
        debug("phone %s: %s" % (self.name, " ".join(shlex.quote(a) for a in argv)))
        return self

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

    def alive(self):
        return bool(self.proc and self.proc.alive())

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def send(self, cmd):
        """Write one command line to the phone's stdin."""
        if not self.alive():
            raise LabError("phone %s is not running (rc %s); cannot send %r\n%s" % (
                self.name, self.proc.poll() if self.proc else None, cmd, self._context()))
        try:
            self.proc.popen.stdin.write((cmd.rstrip("\n") + "\n").encode())
            self.proc.popen.stdin.flush()
        except BrokenPipeError:
            raise LabError("phone %s closed its stdin; cannot send %r\n%s" % (
                self.name, cmd, self._context())) from None

    def quit(self, timeout=10.0):
        """Send `quit`, wait for exit (then SIGTERM, SIGKILL). Returns the exit code."""
        if not self.proc:
            return None
        if self.alive():
            try:
                self.send("quit")
            except LabError:
                pass
            try:
                self.proc.popen.stdin.close()
            except OSError:
                pass
            try:
                self.proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                debug("phone %s did not quit within %.0fs" % (self.name, timeout))
        rc = self.proc.stop(timeout=3.0)
        if self._reader:
            self._reader.join(2.0)
        # Also when it had exited by itself: its pipes are ours to close.
        for pipe in (self.proc.popen.stdin, self.proc.popen.stdout):
            try:
                if pipe and (pipe is self.proc.popen.stdin or not self._reader or
                             not self._reader.is_alive()):
                    pipe.close()
            except OSError:
                pass
        return rc

    def kill(self, sig=signal.SIGKILL):
        """Kill the phone abruptly (a crash, as seen by its peers)."""
        if self.proc:
            self.proc.stop(timeout=3.0, sig=sig)
        return self.proc.returncode if self.proc else None

    def wait_exit(self, timeout=10.0):
        return self.proc.wait(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()
        return False

    # --- events -----------------------------------------------------------------------
    def mark(self):
        """Index of the next event; pass it as since= to look only at newer events."""
        with self._cond:
            return len(self.events)

    def find_events(self, since=0, **match):
        with self._cond:
            return [e for e in self.events[since:] if _matches(e, match)]

    def wait_event(self, timeout=10.0, since=None, **match):
        """Return the first event after the cursor (or after index `since`) matching all
        of `match`, and move the cursor past it. Raises AssertionError on timeout, or if
        the phone exits first, with the recent events and the stderr tail."""
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
                left = deadline - time.monotonic()
                if self._eof and i >= len(self.events):
                    raise AssertionError(
                        "phone %s exited (rc %s) before event %s\n%s" % (
                            self.name, self.proc.poll(), _fmt_match(match), self._context()))
                if left <= 0:
                    raise AssertionError("phone %s: no event %s within %.1fs\n%s" % (
                        self.name, _fmt_match(match), timeout, self._context()))
                self._cond.wait(min(left, 0.5))

    def expect_no_event(self, within=2.0, since=None, **match):
        """Assert that no matching event arrives within `within` seconds."""
        start = self.mark() if since is None else since
        time.sleep(within)
        found = self.find_events(since=start, **match)
        if found:
            raise AssertionError("phone %s: unexpected event %s\n%s" % (
                self.name, _strip(found[0]), self._context()))

    def wait_ready(self, timeout=10.0):
        return self.wait_event(timeout=timeout, event="ready")

    def command(self, cmd, timeout=10.0, **match):
        """send(cmd) then wait_event(**match) among the events that follow."""
        since = self.mark()
        self.send(cmd)
        return self.wait_event(timeout=timeout, since=since, **match)

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
        """Fail if the phone wrote anything but JSON events on stdout."""
        if self.protocol_errors:
            raise AssertionError("phone %s wrote non-JSON lines on stdout:\n  %s" % (
                self.name, "\n  ".join(self.protocol_errors[:10])))

    def _context(self, n_events=15):
        with self._cond:
            recent = self.events[-n_events:]
            bad = list(self.protocol_errors[-5:])
        s = "recent events (%d total):\n" % len(self.events)
        # Each event with its arrival, in seconds since the phone started: a flake's order
        # and gaps (a failure that came late, a retry that never came) read from the dump.
        s += "\n".join("  %s %s" % (_since(e, self._t_start), json.dumps(_strip(e)))
                       for e in recent) or "  (none)"
        if bad:
            s += "\nNON-JSON stdout lines:\n" + "\n".join("  " + b for b in bad)
        s += "\nstderr tail (%s):\n%s" % (self.stderr_path, self.stderr_tail(30))
        return s

    def __repr__(self):
        return "<Phone %s pid=%s>" % (self.name, self.pid)


def _since(ev, t0):
    t = ev.get("_t")
    return "+%6.2fs" % (t - t0) if t is not None and t0 is not None else "  ?    "


def _strip(ev):
    return {k: v for k, v in ev.items() if k != "_t"}


def _fmt_match(match):
    return "{%s}" % ", ".join("%s=%s" % (k, getattr(v, "__name__", repr(v)))
                              for k, v in match.items())


__all__ = ["Phone", "ttyphone_bin", "have_ttyphone", "require_ttyphone", "render_ini"]
