"""A headless PulseAudio daemon per test (works as root, no session bus).

    with Pulse() as pa:
        env = pa.add_phone("alice")          # PULSE_SERVER, PULSE_SINK, PULSE_SOURCE, ...
        pa.play("alice", "tone.wav")         # into alice's microphone
        rec = pa.record("alice", "out.wav")  # alice's speaker
        ...
        rec.stop()

Each phone gets a null sink `<name>_spk` (what the phone plays; record its .monitor), a
null sink `<name>_mic` fed by pacat, and `<name>_src`, a remap of `<name>_mic.monitor`
that the phone captures from (some clients ignore .monitor sources).

Pulse(protocol="tcp") starts a daemon that serves ONLY the native protocol over TCP on a
loopback port (for an "audio over an SSH tunnel" test); its env uses tcp:127.0.0.1:PORT.
"""

import os
import signal
import subprocess
import time

from ttylab_core import (LOCALHOST, LabError, Proc, debug, free_port, make_tempdir, run,
                         tail, wait_until, which)

DEFAULT_RATE = 48000


class Pulse:
    def __init__(self, workdir=None, protocol="unix", tcp_port=None, rate=DEFAULT_RATE,
                 log_level="notice"):
        if protocol not in ("unix", "tcp"):
            raise ValueError(protocol)
        self.dir = workdir or make_tempdir("ttylab-pulse-")
        os.makedirs(self.dir, exist_ok=True)
        self.protocol = protocol
        self.rate = rate
        self.log_level = log_level
        self.runtime = os.path.join(self.dir, "run")
        self.state = os.path.join(self.dir, "state")
        self.socket = os.path.join(self.dir, "native")
        self.script = os.path.join(self.dir, "lab.pa")
        self.client_conf = os.path.join(self.dir, "client.conf")
        self.log_path = os.path.join(self.dir, "pulseaudio.log")
        self.tcp_port = None
        if protocol == "tcp":
            self.tcp_port = tcp_port or free_port(udp=False)
            self.server = "tcp:%s:%d" % (LOCALHOST, self.tcp_port)
        else:
            self.server = "unix:" + self.socket
        self.proc = None
        self.phones = {}
        self._players = []
        self._recorders = []

    # --- environment ------------------------------------------------------------------
    @property
    def env(self):
        """Variables a libpulse client needs to reach this daemon (no devices chosen)."""
        return {
            "PULSE_SERVER": self.server,
            "PULSE_CLIENTCONFIG": self.client_conf,
            "PULSE_RUNTIME_PATH": self.runtime,
            "PULSE_STATE_PATH": self.state,
        }

    def full_env(self, extra=None):
        e = dict(os.environ)
        e.update(self.env)
        e.update(extra or {})
        return e

    # --- life cycle -------------------------------------------------------------------
    def start(self, timeout=10.0):
        if self.proc and self.proc.alive():
            return self
        exe = which("pulseaudio")
        if not exe:
            raise LabError("pulseaudio is not installed")
        for d in (self.runtime, self.state, os.path.join(self.dir, "home")):
            os.makedirs(d, mode=0o700, exist_ok=True)
        with open(self.client_conf, "w") as f:
            f.write("autospawn = no\n")
        lines = [".fail"]
        if self.protocol == "tcp":
            lines.append("load-module module-native-protocol-tcp auth-anonymous=1 "
                         "listen=%s port=%d" % (LOCALHOST, self.tcp_port))
        else:
            lines.append("load-module module-native-protocol-unix auth-anonymous=1 "
                         "socket=%s" % self.socket)
        # A default sink keeps clients that do not name a device from failing.
        lines.append("load-module module-null-sink sink_name=lab_default rate=%d "
                     "sink_properties=device.description=lab_default" % self.rate)
        # Null sinks render in 2-second blocks until a client asks for less, and a new
        # low-latency client waits for the block in progress. A silent low-latency
        # loopback into every sink ("keeper") keeps them at ~20 ms from the start.
        lines.append("load-module module-null-source source_name=lab_silence rate=%d "
                     "channels=1 max_latency_msec=10" % self.rate)
        lines.append("set-default-sink lab_default")
        lines.append("set-default-source lab_default.monitor")
        with open(self.script, "w") as f:
            f.write("\n".join(lines) + "\n")
        env = dict(os.environ)
        env.update({"HOME": os.path.join(self.dir, "home"), "XDG_RUNTIME_DIR": self.runtime,
                    "PULSE_RUNTIME_PATH": self.runtime, "PULSE_STATE_PATH": self.state,
                    "PULSE_CLIENTCONFIG": self.client_conf})
        for k in ("DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE"):
            env.pop(k, None)
        self.proc = Proc("pulseaudio", [
            exe, "-n", "--file=" + self.script, "--exit-idle-time=-1", "--daemonize=no",
            "--use-pid-file=no", "--system=false", "--disallow-exit=yes",
            "--disallow-module-loading=no", "--log-target=stderr",
            "--log-level=" + self.log_level, "--realtime=no", "--high-priority=no",
            # Audio crosses the socket, not shared memory: PulseAudio 16.1 aborted twice
            # in the lab in its import of clients' shared blocks (memblock.c
            # memblock_replace_import, n_imported assertion; tests/bench/README.md), and
            # a few kB a second copied cost the lab nothing it measures.
            "--disable-shm=yes"],
            env=env, cwd=self.dir, log_path=self.log_path)
        deadline = time.monotonic() + timeout
        while True:
            if not self.proc.alive():
                raise LabError("pulseaudio exited at start-up (rc %s):\n%s" % (
                    self.proc.poll(), self.log_tail()))
            if self._ready():
                break
            if time.monotonic() > deadline:
                t = self.log_tail()
                self.stop()
                raise LabError("pulseaudio not ready within %.0fs:\n%s" % (timeout, t))
            time.sleep(0.05)
        debug("pulseaudio up: %s dir %s" % (self.server, self.dir))
        return self

    def _ready(self):
        if self.protocol == "unix" and not os.path.exists(self.socket):
            return False
        r = subprocess.run([which("pactl") or "pactl", "info"], env=self.full_env(),
                           capture_output=True, text=True, timeout=5)
        return r.returncode == 0

    def stop(self):
        for p in self._players + self._recorders:
            p.stop()
        self._players.clear()
        self._recorders.clear()
        if self.proc:
            self.proc.stop(timeout=5.0)
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

    # --- devices ----------------------------------------------------------------------
    def pactl(self, *args, check=True):
        r = run([which("pactl") or "pactl"] + list(args), env=self.full_env(), timeout=10,
                check=False)
        if check and r.returncode != 0:
            raise LabError("pactl %s failed: %s%s\npulseaudio log:\n%s" % (
                " ".join(args), r.stdout, r.stderr, self.log_tail(15)))
        return r.stdout

    def load_module(self, name, *args):
        """Load a module; returns its index (int)."""
        return int(self.pactl("load-module", name, *args).strip())

    def unload_module(self, index):
        self.pactl("unload-module", str(index))

    def sinks(self):
        return [l.split("\t")[1] for l in self.pactl("list", "short", "sinks").splitlines()
                if "\t" in l]

    def sources(self):
        return [l.split("\t")[1] for l in
                self.pactl("list", "short", "sources").splitlines() if "\t" in l]

    def add_phone(self, name, rate=None, channels=1):
        """Create name_spk, name_mic, name_src; return the env for that phone's libpulse
        client (PULSE_SERVER, PULSE_SINK, PULSE_SOURCE, PULSE_CLIENTCONFIG, ...)."""
        if name in self.phones:
            return dict(self.phones[name]["env"])
        rate = rate or self.rate
        mods = []
        for sink in ("%s_spk" % name, "%s_mic" % name):
            mods.append(self.load_module(
                "module-null-sink", "sink_name=" + sink, "rate=%d" % rate,
                "channels=%d" % channels, "format=s16le",
                "sink_properties=device.description=" + sink))
            mods.append(self._keeper(sink))
        mods.append(self.load_module(
            "module-remap-source", "master=%s_mic.monitor" % name,
            "source_name=%s_src" % name, "channels=%d" % channels,
            "source_properties=device.description=%s_src" % name))
        env = dict(self.env)
        env.update({"PULSE_SINK": "%s_spk" % name, "PULSE_SOURCE": "%s_src" % name})
        self.phones[name] = {"modules": mods, "env": env}
        return dict(env)

    def _keeper(self, sink):
        idx = self.load_module("module-loopback", "source=lab_silence", "sink=" + sink,
                               "latency_msec=20", "source_dont_move=true",
                               "sink_dont_move=true")
        # Suspend/resume restarts the sink's timer, so the 2 s block it started with is
        # dropped and the low latency applies at once.
        self.pactl("suspend-sink", sink, "1")
        self.pactl("suspend-sink", sink, "0")
        return idx

    def add_sink(self, name, rate=None, channels=1):
        """A plain null sink (kept at low latency); returns its name."""
        self.load_module("module-null-sink", "sink_name=" + name,
                         "rate=%d" % (rate or self.rate), "channels=%d" % channels,
                         "format=s16le", "sink_properties=device.description=" + name)
        self._keeper(name)
        return name

    def phone_env(self, name):
        return dict(self.phones[name]["env"])

    def loopback(self, source, sink, latency_ms=20):
        """module-loopback from `source` to `sink`; returns the module index."""
        return self.load_module("module-loopback", "source=" + source, "sink=" + sink,
                                "latency_msec=%d" % latency_ms,
                                "source_dont_move=true", "sink_dont_move=true")

    # --- playing and recording --------------------------------------------------------
    def play(self, phone_or_sink, wav, loop=False, latency_ms=20):
        """Play a WAV into a phone's microphone (`alice` -> sink alice_mic) or into a named
        sink. Returns a Proc; stop() it (or let it end for loop=False)."""
        sink = phone_or_sink if (phone_or_sink.endswith(("_mic", "_spk")) or
                                 phone_or_sink not in self.phones) \
            else "%s_mic" % phone_or_sink
        argv = [which("pacat") or "pacat", "--playback", "--file-format=wav",
                "--latency-msec=%d" % latency_ms, "-d", sink, wav]
        if loop:
            argv = ["/bin/sh", "-c", 'while "$@"; do :; done', "ttylab-loop"] + argv
        p = Proc("pacat:" + sink, argv, env=self.full_env(),
                 log_path=os.path.join(self.dir, "pacat-%s.log" % sink))
        self._players.append(p)
        return p

    def record(self, phone_or_source, wav, rate=None, channels=1, latency_ms=20):
        """Record a phone's speaker (`alice` -> alice_spk.monitor) or a named source into a
        16-bit WAV. Returns a Recorder; stop() finalises the file."""
        src = phone_or_source
        if phone_or_source in self.phones:
            src = "%s_spk.monitor" % phone_or_source
        r = Recorder(self, src, wav, rate or self.rate, channels, latency_ms)
        self._recorders.append(r)
        return r


class Recorder:
    def __init__(self, pulse, source, path, rate, channels, latency_ms):
        self.source = source
        self.path = path
        self.proc = Proc("parecord:" + source, [
            which("parecord") or "parecord", "--record", "--file-format=wav",
            "--format=s16le", "--rate=%d" % rate, "--channels=%d" % channels,
            "--latency-msec=%d" % latency_ms, "-d", source, path],
            env=pulse.full_env(), log_path=os.path.join(pulse.dir, "parecord.log"))
        self.started = time.monotonic()
        # The file appears once the stream is connected.
        try:
            wait_until(lambda: not self.proc.alive() or
                       (os.path.exists(path) and os.path.getsize(path) >= 44),
                       timeout=5, what="parecord %s" % source)
        except LabError:
            pass
        if not self.proc.alive():
            raise LabError("parecord %s exited:\n%s" % (source, self.proc.log_tail()))

    def stop(self):
        """SIGINT lets parecord finish the WAV header; returns the path."""
        if self.proc.alive():
            self.proc.stop(timeout=3.0, sig=signal.SIGINT)
        return self.path

    def alive(self):
        return self.proc.alive()


__all__ = ["Pulse", "Recorder"]
