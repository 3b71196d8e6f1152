"""baresip (Debian baresip-core 1.0.0) as a reference SIP phone in the lab.

    with Baresip(kam, "bob", answermode="auto") as b:
        b.wait_registered()
        b.dial(kam.aor("carol"))                       # stdin: /dial ...
        b.wait_event(type="CALL_ESTABLISHED")
        b.hangup()

Commands go to baresip's stdin (the stdio module: "/dial sip:...", "/hangup", "/accept",
"/hold", "/resume", "/send_dtmf"... see `/help`), or to the ctrl_tcp socket
(command(name, params) returns baresip's JSON answer). Events come from ctrl_tcp as JSON
(type REGISTER_OK, CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED, ...); stdout
and stderr go to a log file.

Audio: "null" (ALSA's null device), "pulse" (ALSA's pulse plugin; pass the env from
Pulse.add_phone), or "file" (aufile source playing `input` WAV, ALSA null player).
"""

import json
import os
import queue
import socket
import subprocess
import threading
import time

from ttylab_core import (LOCALHOST, LabError, Proc, debug, free_ports, make_tempdir, tail,
                         wait_until, which)

MODULE_DIR = "/usr/lib/baresip/modules"

# In the accounts file baresip 1.0 matches audio_codecs as name/rate/channels with 8000/1
# as defaults: a bare "opus" or "g722" matches nothing and the account silently falls back
# to every codec (PCMU first). Spell them out.
CODEC_NAMES = {"opus": "opus/48000/2", "g722": "G722/16000/1", "pcma": "PCMA/8000/1",
               "pcmu": "PCMU/8000/1", "g711a": "PCMA/8000/1", "g711u": "PCMU/8000/1"}


def codec_list(codecs):
    """"opus, pcma" -> "opus/48000/2,PCMA/8000/1"."""
    items = codecs if isinstance(codecs, (list, tuple)) else codecs.split(",")
    return ",".join(CODEC_NAMES.get(c.strip().lower(), c.strip()) for c in items
                    if c.strip())


class Baresip:
    def __init__(self, kam, user, password=None, transport="udp", answermode="auto",
                 audio="null", pulse_env=None, input_wav=None, codecs="pcma",
                 mediaenc=None, register=True, regint=600, workdir=None, extra_config=""):
        if not which("baresip"):
            raise LabError("baresip is not installed (Debian package baresip-core)")
        self.kam = kam
        self.user = user
        self.password = password if password is not None else kam.users.get(user, "")
        self.transport = transport
        self.answermode = answermode
        self.audio = audio
        self.pulse_env = dict(pulse_env or {})
        self.input_wav = input_wav
        self.codecs = codecs
        self.mediaenc = mediaenc
        self.register = register
        self.regint = regint
        self.extra_config = extra_config
        self.dir = workdir or make_tempdir("ttylab-baresip-%s-" % user)
        os.makedirs(self.dir, exist_ok=True)
        self.sip_port, self.ctrl_port = free_ports(2)
        self.rtp_ports = free_ports(20, consecutive=True)
        self.log_path = os.path.join(self.dir, "baresip.log")
        self.proc = None
        self.events = []
        self._cursor = 0
        self._cond = threading.Condition()
        self._ctrl = None
        self._reader = None
        self._responses = queue.Queue()
        self._token = 0

    # --- config -----------------------------------------------------------------------
    @property
    def aor(self):
        return self.kam.aor(self.user)

    def _file_source(self):
        """aufile plays a WAV only at the codec's rate and channel count (opus: 48000 Hz
        stereo, G.722: 16000 mono, G.711: 8000 mono): write a converted copy."""
        from ttylab_audio import read_wav, write_wav
        first = codec_list(self.codecs).split(",")[0].split("/")
        rate = int(first[1]) if len(first) > 1 else 8000
        chans = int(first[2]) if len(first) > 2 else 1
        w = read_wav(self.input_wav)
        src = w.data[0]
        if w.rate != rate:
            n = int(len(src) * rate / w.rate)
            step = w.rate / float(rate)
            out = []
            for i in range(n):
                x = i * step
                j = int(x)
                f = x - j
                b = src[j + 1] if j + 1 < len(src) else src[j]
                out.append(int(round(src[j] * (1 - f) + b * f)))
            src = out
        path = os.path.join(self.dir, "aufile-input.wav")
        if chans == 1:
            write_wav(path, src, rate)
        else:
            write_wav(path, [src] * chans, rate, channels=chans)
        return path

    def _audio_lines(self):
        if self.audio == "pulse":
            return ("audio_player alsa,pulse\naudio_source alsa,pulse\n"
                    "audio_alert alsa,null\n")
        if self.audio == "file":
            if not self.input_wav:
                raise LabError("audio='file' needs input_wav")
            return ("audio_player alsa,null\naudio_source aufile,%s\n"
                    "audio_alert alsa,null\n" % self._file_source())
        return "audio_player alsa,null\naudio_source alsa,null\naudio_alert alsa,null\n"

    def write_config(self):
        kam = self.kam
        cfg = [
            "poll_method epoll",
            "sip_listen %s:%d" % (LOCALHOST, self.sip_port),
            "call_local_timeout 120",
            "call_max_calls 4",
            self._audio_lines().rstrip("\n"),
            "audio_buffer 20-160",
            "rtp_ports %d-%d" % (self.rtp_ports[0], self.rtp_ports[-1]),
            "rtp_timeout 0",
            "jitter_buffer_delay 2-10",
            "module_path " + MODULE_DIR,
            "module stdio.so",
            "module g711.so",
            "module g722.so",
            "module opus.so",
            "module alsa.so",
            "module aufile.so",
            "module srtp.so",
            "module_tmp uuid.so",
            "module_tmp account.so",
            "module_app menu.so",
            "module_app ctrl_tcp.so",
            "ctrl_tcp_listen %s:%d" % (LOCALHOST, self.ctrl_port),
            "opus_bitrate 32000",
        ]
        if kam.ca_file:
            cfg.append("sip_cafile " + kam.ca_file)
        if self.extra_config:
            cfg.append(self.extra_config.rstrip("\n"))
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("\n".join(cfg) + "\n")
        if self.transport == "udp":
            uri = "<sip:%s@%s>" % (self.user, kam.domain)
        elif self.transport == "tcp":
            uri = "<sip:%s@%s;transport=tcp>" % (self.user, kam.domain)
        else:
            uri = "<sip:%s@%s;transport=tls>" % (self.user, kam.tls_domain)
        params = ['auth_pass=%s' % self.password,
                  'outbound="%s"' % kam.registrar(self.transport),
                  "answermode=%s" % self.answermode,
                  "regint=%d" % (self.regint if self.register else 0),
                  "audio_codecs=%s" % codec_list(self.codecs)]
        if self.mediaenc:
            params.append("mediaenc=%s" % self.mediaenc)
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("%s;%s\n" % (uri, ";".join(params)))
        open(os.path.join(self.dir, "contacts"), "w").close()

    # --- life cycle -------------------------------------------------------------------
    def start(self, timeout=10.0):
        self.write_config()
        env = dict(os.environ)
        env.update(self.pulse_env)
        self.proc = Proc("baresip:" + self.user,
                         [which("baresip"), "-n", LOCALHOST, "-f", self.dir],
                         env=env, cwd=self.dir, log_path=self.log_path,
                         stdin=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while True:
            if not self.proc.alive():
                raise LabError("baresip %s exited at start-up:\n%s" % (self.user,
                                                                      self.log_tail()))
            try:
                self._ctrl = socket.create_connection((LOCALHOST, self.ctrl_port),
                                                      timeout=0.5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise LabError("baresip %s: no ctrl_tcp on %d:\n%s" % (
                        self.user, self.ctrl_port, self.log_tail()))
                time.sleep(0.05)
        self._ctrl.settimeout(None)
        self._reader = threading.Thread(target=self._read_ctrl, daemon=True,
                                        name="baresip-%s-ctrl" % self.user)
        self._reader.start()
        debug("baresip %s up: sip %d ctrl %d dir %s" % (self.user, self.sip_port,
                                                       self.ctrl_port, self.dir))
        return self

    def stop(self):
        if self.proc and self.proc.alive():
            try:
                self.send("/quit")
                self.proc.wait(3)
            except Exception:
                pass
        if self.proc:
            self.proc.stop(timeout=3)
        if self._ctrl:
            try:
                self._ctrl.close()
            except OSError:
                pass
        return self

    def alive(self):
        return bool(self.proc and self.proc.alive())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def log_tail(self, lines=40):
        return tail(self.log_path, lines)

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def audio_decoders(self):
        """Codecs baresip decoded with, in order, from its log (e.g. ["opus"])."""
        out = []
        for line in self.log_text().splitlines():
            if "Set audio decoder:" in line:
                out.append(line.split("Set audio decoder:", 1)[1].split()[0])
        return out

    # --- commands ---------------------------------------------------------------------
    def send(self, line):
        """One stdin line for the stdio UI, e.g. "/dial sip:..." or "/hangup"."""
        if not self.alive():
            raise LabError("baresip %s is not running:\n%s" % (self.user, self.log_tail()))
        self.proc.popen.stdin.write((line.rstrip("\n") + "\n").encode())
        self.proc.popen.stdin.flush()

    def command(self, name, params="", timeout=5.0):
        """A ctrl_tcp command; returns baresip's answer dict ({"ok": ..., "data": ...})."""
        self._token += 1
        tok = "t%d" % self._token
        msg = json.dumps({"command": name, "params": params, "token": tok}).encode()
        self._ctrl.sendall(b"%d:%s," % (len(msg), msg))
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = self._responses.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise LabError("baresip %s: no answer to %s" % (self.user, name))
            if r.get("token") == tok:
                return r

    def dial(self, uri):
        self.send("/dial " + uri)

    def hangup(self):
        self.send("/hangup")

    def accept(self):
        self.send("/accept")

    # --- events -----------------------------------------------------------------------
    def _read_ctrl(self):
        buf = b""
        while True:
            try:
                data = self._ctrl.recv(65536)
            except OSError:
                break
            if not data:
                break
            buf += data
            while True:
                colon = buf.find(b":")
                if colon < 0:
                    break
                try:
                    n = int(buf[:colon])
                except ValueError:
                    buf = b""
                    break
                if len(buf) < colon + 1 + n + 1:
                    break
                payload = buf[colon + 1:colon + 1 + n]
                buf = buf[colon + 1 + n + 1:]
                try:
                    obj = json.loads(payload.decode("utf-8", "replace"))
                except ValueError:
                    continue
                if obj.get("response"):
                    self._responses.put(obj)
                    continue
                obj["_t"] = time.monotonic()
                with self._cond:
                    self.events.append(obj)
                    self._cond.notify_all()

    def wait_event(self, timeout=10.0, **match):
        """First event since the last one consumed whose fields equal `match` (e.g.
        type="CALL_ESTABLISHED")."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                while self._cursor < len(self.events):
                    ev = self.events[self._cursor]
                    self._cursor += 1
                    if all(ev.get(k) == v for k, v in match.items()):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    recent = "\n".join(json.dumps({k: v for k, v in e.items() if k != "_t"})
                                       for e in self.events[-10:])
                    raise LabError("baresip %s: no event %s within %.0fs\nrecent events:\n%s"
                                   "\nlog tail:\n%s" % (self.user, match, timeout, recent,
                                                        self.log_tail(25)))
                self._cond.wait(left)

    def wait_registered(self, timeout=10.0):
        """Registered: a REGISTER_OK event or a binding in Kamailio's location table."""
        def ok():
            if any(e.get("type") == "REGISTER_OK" for e in self.events):
                return True
            try:
                return any(c.startswith("sip:%s" % self.user)
                           for c in self.kam.contacts(self.user))
            except LabError:
                return False
        try:
            wait_until(ok, timeout=timeout, interval=0.1, what="baresip %s registered" %
                       self.user)
        except LabError as e:
            raise LabError("%s\nlog tail:\n%s" % (e, self.log_tail(25))) from None
        return True


__all__ = ["Baresip"]
