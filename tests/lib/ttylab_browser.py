"""The browser lab: a real JsSIP web phone in Debian's headless Chromium, with WebRTC media,
driven from Python tests.

    b = Browser(name="alice", tone_hz=1123, trust_cert=kam.cert_file)  # Chromium is up
    b.start_ua(kam, "alice", transport="wss")       # JsSIP UA in the page, registers
    b.wait_event("registered")
    call_id = b.call(kam.aor("bob"))                # -> call_out, call_progress, ...
    b.wait_event("call_confirmed", id=call_id)
    m = b.wait_tone(1531, id=call_id)               # the remote audio, by content
    s = b.stats(call_id)                            # getStats() summary
    b.hangup(call_id); b.wait_event("call_ended", id=call_id)
    b.stop()                                        # un-REGISTER, Chromium closed

One Browser is one `node tests/node/browser_driver.js` process, which starts one Chromium
(in its process group, --remote-debugging-pipe, a profile dir inside this Browser's dir)
with one page (tests/node/browser_page.html, served by the driver on 127.0.0.1) running
one JsSIP UA. The microphone is Chromium's fake capture device playing a WAV of a sine at
tone_hz (written here, looped by Chromium). Two Browsers are two Chromiums: each has its
own microphone tone, so a test tells the directions apart by frequency.

Protocol as for ttylab_jssip.JsSip (JSON lines; the driver's and page's headers list every
command and event), with one addition: every command carries a "seq" and gets exactly one
reply, ok{seq,result} or error{seq,message}; request() waits for it and returns the result
or raises. Events are kept in `events`; wait_event() scans from a cursor with the matching
of ttylab_phone.Phone (a value, a tuple of allowed values, or a predicate).

The remote audio is measured in the page (a WebAudio analyser per call, browser_page.js):
measure() returns {rms_dbfs, freq (dominant), tones: {"<Hz>": {dbfs, share}}, ...} for the
last 0.68 s. RFC 4733 DTMF that the page receives is never an event (WebRTC does not
expose it); Chromium plays it out as the tone pair, which measure() hears.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time

from ttylab_audio import write_tone
from ttylab_core import LabError, Proc, debug, env_flag, make_tempdir, run, tail
from ttylab_phone import _fmt_match, _matches, _strip

NODE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "..", "node"))
DRIVER = os.path.join(NODE_DIR, "browser_driver.js")
# Debian's chromium: the binary behind the /usr/bin/chromium shell wrapper.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")

# The microphone's default tone: apart from ttyphone's call-progress tones (425, 440+480),
# the suite's other test tones (697, 733, 1000, 1019), every DTMF row and column
# (697-941, 1209-1633 Hz), and no whole number of cycles in 20 ms (see LAB-NOTES: a lost
# packet must not splice seamlessly).
DEFAULT_TONE_HZ = 1123.0

# Chromium's fake audio capture device (--use-fake-device-for-media-stream) works at this
# rate; a WAV of another rate is resampled, with glitches (see Browser.start).
FAKE_CAPTURE_RATE = 44100

START_TIMEOUT = 30.0    # Chromium + page: about 1.5 s here; 30 s only for a loaded machine


def chromium_path():
    """Debian's Chromium binary ($CHROMIUM first), or None."""
    env = os.environ.get("CHROMIUM")
    for c in ((env,) if env else ()) + CHROMIUM_CANDIDATES:
        if c and os.access(c, os.X_OK):
            return c
    return shutil.which("chromium")


def browser_missing():
    """Why the browser lab cannot run here (no node, no chromium, node_modules lacking a
    package), or None."""
    if not shutil.which("node"):
        return "node is not installed (Debian: nodejs; .ci/deps test installs it)"
    if not chromium_path():
        return "chromium is not installed (Debian: chromium; .ci/deps test installs it)"
    for mod in ("jssip", "puppeteer-core"):
        if not os.path.isfile(os.path.join(NODE_DIR, "node_modules", mod, "package.json")):
            return ("%s/node_modules/%s is missing (run: cd tests/node && "
                    "PUPPETEER_SKIP_DOWNLOAD=1 npm install --offline --no-audit --no-fund; "
                    ".ci/deps test does it)" % (NODE_DIR, mod))
    return None


def require_browser():
    """For standalone test scripts: exit 77 (automake's SKIP) when browser_missing()."""
    why = browser_missing()
    if why:
        print("SKIP: %s" % why)
        sys.stdout.flush()
        sys.exit(77)


def spki_sha256(cert_file):
    """base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate: what Chromium's
    --ignore-certificate-errors-spki-list takes."""
    pem = run(["openssl", "x509", "-in", cert_file, "-pubkey", "-noout"]).stdout
    body = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    return base64.b64encode(hashlib.sha256(base64.b64decode(body)).digest()).decode()


def _pids_naming(text):
    """Live (non-zombie) processes whose command line contains `text`: "pid comm"."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as f:
                stat = f.read().decode("latin-1")
            if stat[stat.rfind(")") + 2:stat.rfind(")") + 3] == "Z":
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                if text.encode() not in f.read():
                    continue
            with open("/proc/%s/comm" % entry) as f:
                out.append("%s %s" % (entry, f.read().strip()))
        except OSError:
            continue
    return out


class Browser:
    """One Chromium with one JsSIP page. start=True starts it and waits for "ready".

    tone_hz: the microphone's sine (or audio_wav: a WAV of your own, looped; best at
    FAKE_CAPTURE_RATE, 44.1 kHz, else Chromium resamples it with glitches).
    trust_cert: a PEM certificate whose key Chromium accepts although no CA it knows
    signed it (the lab Kamailio's wss certificate, kam.cert_file); any other certificate
    error stays an error. insecure=True: accept every certificate."""

    def __init__(self, name="browser", tone_hz=DEFAULT_TONE_HZ, audio_wav=None,
                 trust_cert=None, insecure=False, workdir=None, debug=None, start=True,
                 chromium=None):
        self.name = name
        self.dir = workdir or make_tempdir("ttylab-browser-%s-" % name)
        os.makedirs(self.dir, exist_ok=True)
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.profile_dir = os.path.join(self.dir, "chromium-profile")
        self.tone_hz = float(tone_hz) if tone_hz else None
        self.audio_wav = audio_wav
        self.trust_cert = trust_cert
        self.insecure = insecure
        self.chromium = chromium
        self.debug = env_flag("TTYLAB_VERBOSE") if debug is None else debug
        self.events = []
        self.protocol_errors = []
        self.orphans = []       # processes naming our profile dir still alive after stop()
        self.ready = None       # the "ready" event: versions, startup_ms {launch, page}
        self.proc = None
        self.uri = None
        self._seq = 0
        self._cursor = 0
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._eof = False
        self._reader = None
        if start:
            self.start()

    # --- life cycle -------------------------------------------------------------------
    def start(self, timeout=START_TIMEOUT):
        why = browser_missing()
        if why:
            raise LabError(why)
        if not self.audio_wav and self.tone_hz:
            # At 44.1 kHz, the rate Chromium's fake capture device runs at: a 48 kHz file
            # is resampled with a glitch at every loop and now and then between (broadband
            # bursts near -47 dBFS under a -9 dBFS tone, every 1-2 s). 2 s of an integer
            # frequency is a whole number of cycles: the loop is seamless.
            self.audio_wav = write_tone(os.path.join(self.dir, "mic-%g.wav" % self.tone_hz),
                                        freq=self.tone_hz, seconds=2.0,
                                        rate=FAKE_CAPTURE_RATE, amplitude=0.5)
        argv = ["node", DRIVER, "--profile", self.profile_dir]
        if self.audio_wav:
            argv += ["--audio", self.audio_wav]
        if self.trust_cert:
            argv += ["--trust-spki", spki_sha256(self.trust_cert)]
        if self.insecure:
            argv.append("--insecure")
        if self.chromium or chromium_path():
            argv += ["--chromium", self.chromium or chromium_path()]
        if self.debug:
            argv.append("--debug")
        self.proc = Proc("browser:" + self.name, argv, cwd=self.dir,
                         log_path=self.stderr_path, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True,
                                        name="browser-%s-stdout" % self.name)
        self._reader.start()
        self.ready = self.wait_event(("ready", "error"), timeout=timeout)
        if self.ready["event"] == "error":
            raise LabError("browser %s did not start: %s\n%s" % (
                self.name, self.ready.get("message"), self._context()))
        debug("browser %s up: %s" % (self.name, json.dumps(_strip(self.ready))))
        return self

    @property
    def startup_ms(self):
        """{"launch": ms to a connected Chromium, "page": ms more to the loaded page}."""
        return (self.ready or {}).get("startup_ms")

    def stop(self, timeout=15.0):
        """Un-register, end calls, close Chromium ("stop"), then stop the process group.
        Anything still naming the profile dir (a Chromium helper, a crash handler) is
        killed and listed in self.orphans. Returns the driver's exit code."""
        if not self.proc:
            return None
        if self.alive():
            try:
                with self._send_lock:
                    self.proc.popen.stdin.write(b'{"cmd":"stop"}\n')
                    self.proc.popen.stdin.flush()
                    self.proc.popen.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                self.proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                debug("browser %s did not stop within %.0fs" % (self.name, timeout))
        rc = self.proc.stop(timeout=3.0)
        if self._reader:
            self._reader.join(2.0)
        deadline = time.monotonic() + 3.0
        while True:
            left = _pids_naming(self.profile_dir)
            if not left or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        if left:
            self.orphans = left
            for entry in left:
                try:
                    os.kill(int(entry.split()[0]), 9)
                except OSError:
                    pass
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
        """Write one command; returns its seq (its reply is ok/error with that seq)."""
        with self._send_lock:
            self._seq += 1
            seq = self._seq
            line = json.dumps(dict({"cmd": cmd, "seq": seq}, **fields))
            if not self.alive():
                raise LabError("browser %s is not running (rc %s); cannot send %s\n%s" % (
                    self.name, self.proc.poll() if self.proc else None, line,
                    self._context()))
            try:
                self.proc.popen.stdin.write((line + "\n").encode())
                self.proc.popen.stdin.flush()
            except (BrokenPipeError, ValueError):
                raise LabError("browser %s closed its stdin; cannot send %s\n%s" % (
                    self.name, line, self._context())) from None
        return seq

    def request(self, cmd, timeout=10.0, **fields):
        """Send a command and wait for its reply: returns the result, raises
        AssertionError on an error reply (with the driver's message and context)."""
        seq = self.send(cmd, **fields)
        ev = self.wait_event(("ok", "error"), timeout=timeout, since=0, seq=seq,
                             move=False)
        if ev["event"] == "error":
            raise AssertionError("browser %s: %s %s failed: %s\n%s" % (
                self.name, cmd, json.dumps(fields), ev.get("message"), self._context()))
        return ev.get("result")

    def start_ua(self, kam=None, user=None, transport="wss", password=None, **fields):
        """Start the page's UA. With a Kamailio and a user: that user's account over the
        lab's ws or wss socket, password from kam.users unless given. Other fields go into
        the start command as they are (uri=, socket=, register=False, auto_answer=True,
        loopback_only=False, audio_processing=True, config={...JsSIP UA config})."""
        cmd = {}
        if kam is not None:
            cmd = {"uri": kam.aor(user), "authorization_user": user,
                   "password": kam.users.get(user, "") if password is None else password,
                   "socket": kam.ws_url_for(transport)}
        elif password is not None:
            cmd["password"] = password
        cmd.update(fields)
        self.uri = cmd.get("uri")
        return self.request("start", **cmd)

    def register(self):
        self.request("register")

    def unregister(self):
        self.request("unregister")

    def call(self, to, **fields):
        """INVITE `to` (fields: extra_headers=[...], video=True); returns the call's id."""
        return self.request("call", to=to, **fields)["id"]

    def _id(self, id):
        return {"id": id} if id else {}

    def answer(self, id=None):
        return self.request("answer", **self._id(id))["id"]

    def reject(self, status=486, id=None, reason=None):
        self.request("reject", status=status, reason=reason, **self._id(id))

    def hangup(self, id=None):
        self.request("hangup", **self._id(id))

    def hold(self, id=None):
        self.request("hold", **self._id(id))

    def unhold(self, id=None):
        self.request("unhold", **self._id(id))

    def mute(self, id=None):
        self.request("mute", **self._id(id))

    def unmute(self, id=None):
        self.request("unmute", **self._id(id))

    def dtmf(self, tones, transport="RFC2833", duration=None, gap=None, id=None):
        """JsSIP's sendDTMF: transport "RFC2833" (RTP telephone-events through the
        browser's RTCDTMFSender; dtmf_tone events as each starts) or "INFO"."""
        fields = dict(tones=tones, transport=transport, **self._id(id))
        if duration:
            fields["duration"] = duration
        if gap:
            fields["gap"] = gap
        self.request("dtmf", **fields)

    def message(self, to, body, content_type="text/plain"):
        self.request("message", to=to, body=body, content_type=content_type)

    def info(self, body, content_type="text/plain", id=None):
        self.request("info", body=body, content_type=content_type, **self._id(id))

    def measure(self, freqs=(), which="remote", id=None):
        """The last 0.68 s of a call's remote audio (which="local": the microphone):
        {rate, window_ms, age_ms, rms_dbfs, freq, peak_db, tones: {"<Hz>": {dbfs, share,
        min_share, max_share}}, track: true} with a tones entry for each of `freqs` (share:
        of the window's power; min/max: in its weakest/strongest 85 ms block, one under
        -70 dBFS counting 0); before the call has a remote track: {track: false,
        rms_dbfs: -120, freq: None, tones: silent}."""
        return self.request("measure", freqs=[float(f) for f in freqs], which=which,
                            **self._id(id))

    def wait_measure(self, predicate, freqs=(), timeout=10.0, id=None, which="remote",
                     interval=0.1, what="audio condition"):
        """Poll measure(freqs) until predicate(measurement) is true; returns that
        measurement. AssertionError with the last five on timeout."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            m = self.measure(freqs, which=which, id=id)
            seen = (seen + [m])[-5:]
            if predicate(m):
                return m
            if time.monotonic() >= deadline:
                raise AssertionError("browser %s: no %s in the %s audio within %.1fs; last "
                                     "measurements:\n  %s\n%s" % (
                                         self.name, what, which, timeout,
                                         "\n  ".join(json.dumps(x) for x in seen),
                                         self._context()))
            time.sleep(interval)

    def wait_tone(self, freq, timeout=10.0, id=None, which="remote", min_share=0.5):
        """Wait until `freq` (a number, or a tuple: each of them, e.g. a DTMF pair) holds
        at least `min_share` of the power of every 85 ms block of the window (it fills the
        whole 0.68 s, so the measurement's freq and dbfs are the tone's own). Returns that
        measurement."""
        want = [float(f) for f in (freq if isinstance(freq, (tuple, list)) else (freq,))]
        return self.wait_measure(
            lambda m: all(m["tones"][tone_key(f)]["min_share"] >= min_share for f in want),
            want, timeout=timeout, id=id, which=which,
            what="%s Hz (share >= %.2f)" % ("+".join("%g" % f for f in want), min_share))

    def wait_no_tone(self, freq, timeout=10.0, id=None, which="remote", max_share=0.05):
        """Wait until `freq` holds at most `max_share` of the power of every 85 ms block
        of the window (a block under -70 dBFS holds none). Returns that measurement."""
        return self.wait_measure(
            lambda m: m["tones"][tone_key(freq)]["max_share"] <= max_share,
            [freq], timeout=timeout, id=id, which=which,
            what="end of %g Hz (share <= %.2f or silence)" % (freq, max_share))

    def stats(self, id=None):
        """A summary of the call's getStats(): inbound {packetsReceived, bytesReceived,
        packetsLost, jitter, audioLevel, codec...}, outbound {packetsSent, bytesSent,
        codec}, remote_inbound, transport {dtlsState, iceState, srtpCipher, ...}, pair
        (selected candidate pair: state, local/remote {candidateType, address, port,
        protocol}), connection_state, ice_state, signaling_state."""
        return self.request("stats", **self._id(id))

    def wait_stats(self, predicate, timeout=10.0, id=None, what="stats condition"):
        """Poll stats() until predicate(stats) is true; returns those stats."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats(id)
            if predicate(s):
                return s
            if time.monotonic() >= deadline:
                raise AssertionError("browser %s: no %s within %.1fs; last stats: %s\n%s" % (
                    self.name, what, timeout, json.dumps(s), self._context()))
            time.sleep(0.2)

    def sdp(self, id=None):
        """{"local": ..., "remote": ...}: the call's RTCPeerConnection descriptions."""
        return self.request("sdp", **self._id(id))

    def calls(self):
        return self.request("calls")

    def restart_ice(self, id=None):
        """A re-INVITE that restarts ICE (browser_page.js restart_ice)."""
        return self.request("restart_ice", **self._id(id))

    def echo(self, id=None):
        """The call sends back what it receives (browser_page.js echo)."""
        return self.request("echo", **self._id(id))

    def tamper(self, fingerprint=False, ice_pwd=False, setup=None):
        """What the next calls send in their SDP: a fingerprint one byte off, a wrong
        ice-pwd, another a=setup (browser_page.js). tamper() undoes."""
        return self.request("tamper", fingerprint=fingerprint, ice_pwd=ice_pwd,
                            setup=setup or "")

    def eval(self, expr, timeout=10.0):
        """Evaluate JavaScript in the page (a debugging aid); returns its (awaited,
        JSON-able) value."""
        return self.request("eval", timeout=timeout, expr=expr)

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
                debug("browser %s: %s" % (self.name, text[:300]))
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

    def catch_up(self):
        """Move the cursor past every event so far (a test that shares a Browser with
        earlier ones starts here)."""
        with self._cond:
            self._cursor = len(self.events)

    def find_events(self, event=None, since=0, **match):
        if event is not None:
            match["event"] = event
        with self._cond:
            return [e for e in self.events[since:] if _matches(e, match)]

    def wait_event(self, event=None, timeout=10.0, since=None, move=True, **match):
        """The first event after the cursor (or after index `since`) named `event` (a
        name or a tuple of names) whose fields match; moves the cursor past it unless
        move=False. Command replies (ok/error) are skipped unless waited for. Raises
        AssertionError on timeout or exit, with the recent events and stderr."""
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
                        if move:
                            self._cursor = max(self._cursor, i)
                        return ev
                if self._eof:
                    raise AssertionError("browser %s exited (rc %s) before event %s\n%s" % (
                        self.name, self.proc.poll(), _fmt_match(match), self._context()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("browser %s: no event %s within %.1fs\n%s" % (
                        self.name, _fmt_match(match), timeout, self._context()))
                self._cond.wait(min(left, 0.5))

    def expect_no_event(self, event=None, within=2.0, since=None, **match):
        """Assert that no matching event arrives within `within` seconds."""
        start = self.mark() if since is None else since
        time.sleep(within)
        found = self.find_events(event, since=start, **match)
        if found:
            raise AssertionError("browser %s: unexpected event %s\n%s" % (
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
        """Fail if the driver wrote anything but JSON events on stdout, the page threw
        an uncaught exception, or Chromium left a process behind."""
        if self.protocol_errors:
            raise AssertionError("browser %s wrote non-JSON lines on stdout:\n  %s" % (
                self.name, "\n  ".join(self.protocol_errors[:10])))
        errors = self.find_events("page_error")
        if errors:
            raise AssertionError("browser %s: uncaught errors in the page:\n  %s" % (
                self.name, "\n  ".join(e.get("message", "") for e in errors[:10])))
        if self.orphans:
            raise AssertionError("browser %s left processes behind (killed): %s" % (
                self.name, ", ".join(self.orphans)))

    def _context(self, n_events=20):
        with self._cond:
            recent = [e for e in self.events if e["event"] != "ok"][-n_events:]
            bad = list(self.protocol_errors[-5:])
        s = "recent events of browser %s (%d total, command replies left out):\n" % (
            self.name, len(self.events))
        s += "\n".join("  " + _short(e) for e in recent) or "  (none)"
        if bad:
            s += "\nNON-JSON stdout lines:\n" + "\n".join("  " + b for b in bad)
        s += "\nstderr tail (%s):\n%s" % (self.stderr_path, self.stderr_tail(30))
        return s

    def __repr__(self):
        return "<Browser %s pid=%s>" % (self.name, self.pid)


def tone_key(f):
    """The key of a frequency in measure()'s "tones": JavaScript's String(number)."""
    f = float(f)
    return "%d" % f if f == int(f) else repr(f)


def _short(ev, limit=400):
    """An event as one line, long fields (SDP bodies) cut."""
    text = json.dumps(_strip(ev))
    return text if len(text) <= limit else text[:limit] + "... (%d chars)" % len(text)


__all__ = ["Browser", "browser_missing", "require_browser", "chromium_path", "spki_sha256",
           "tone_key", "DEFAULT_TONE_HZ", "FAKE_CAPTURE_RATE"]
