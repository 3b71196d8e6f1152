#!/usr/bin/env python3
"""tui_bytes.py: how many bytes the terminal UI writes to its terminal per second, the
figure that matters over a slow link (SSH over a phone line, a serial console).

ttyphone's TUI runs on a pseudo-terminal of a fixed size (100x30, TERM=xterm-256color,
LANG=C.UTF-8; no config account, so demo mode, file audio backend) and every byte it
writes is counted, in three states:

  idle   the main screen, nothing happening                             (20 s)
  call   a call to the built-in echo test with a speech-like microphone
         file, so the level meters and the quality line move            (20 s)
  burst  the same call while a headless ttyphone sends it SIP MESSAGEs
         (50 a second): log, chat and status line all busy              (10 s)

Start-up and the first frame after each change of state are not counted (a settle time
before each window). The aim from the SSH issue: idle near 0, a call under 2 KB/s.

    TTYPHONE_BIN=./ttyphone tests/bench/tui_bytes.py [--size 100x30] [--term xterm-256color]
        [--lang C.UTF-8] [--rate 50] [--dump DIR]

Beside bytes/s it prints updates/s: bursts of output (reads less than 10 ms apart), about
one per curses doupdate. --dump DIR keeps each window's raw terminal output
(DIR/STATE.raw) to see what is sent.
BENCH_SECONDS scales the windows like the other benchmarks (30 = the default). Figures
are never judged: exit 0 when the three states were measured, 1 when one of them did not
happen (no frame, the call did not connect, no message arrived), 77 without a binary.
Standard library only.
"""

import argparse
import fcntl
import math
import os
import random
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402


class TuiOnPty:
    """ttyphone's TUI on a pty of a given size; reads everything it writes, counting."""

    def __init__(self, binary, home, cols, rows, term, lang):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_CONFIG_HOME": home,
               "TERM": term, "LANG": lang}
        self.errpath = os.path.join(home, "tui-stderr.log")
        self.err = open(self.errpath, "w")

        def ctty():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.p = subprocess.Popen([binary], stdin=slave, stdout=slave, stderr=self.err,
                                  env=env, cwd=home, preexec_fn=ctty, close_fds=True)
        os.close(slave)
        self.total = 0
        self.updates = 0         # bursts of output (reads less than 10 ms apart): screen updates
        self.last_read = 0.0
        self.seen = b""          # the recent output, to wait for text on the screen
        self.dump = None

    def pump(self, seconds):
        """Read (and count) the output for `seconds`."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.master], [], [], left)
            if not r:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:           # EIO: the program closed the terminal
                data = b""
            if not data:
                if self.p.poll() is not None:
                    B.fail("ttyphone exited (%s): %s" % (self.p.returncode, self.stderr()))
                time.sleep(0.05)
                continue
            now = time.monotonic()
            self.total += len(data)
            if now - self.last_read > 0.010:
                self.updates += 1
            self.last_read = now
            self.seen = (self.seen + data)[-200000:]
            if self.dump:
                self.dump.write(data)

    def wait_for(self, text, timeout, what):
        """Pump until `text` (bytes) has been written since the last mark()."""
        end = time.monotonic() + timeout
        while text not in self.seen:
            if time.monotonic() > end:
                B.fail("timed out waiting for %s on the terminal (stderr: %s)" % (
                    what, self.stderr()))
            self.pump(0.1)

    def mark(self):
        self.seen = b""

    def keys(self, data):
        os.write(self.master, data)

    def stderr(self):
        try:
            with open(self.errpath, errors="replace") as f:
                return f.read()[-1500:].strip()
        except OSError:
            return ""

    def stop(self):
        if self.p.poll() is None:
            try:
                self.keys(b"q")
                self.pump(0.5)
                self.keys(b"y")           # "a call is up, hang up and quit?"
                deadline = time.monotonic() + 5
                while self.p.poll() is None and time.monotonic() < deadline:
                    self.pump(0.1)
            except B.BenchFailure:
                pass
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        os.close(self.master)
        self.err.close()


def speech_like_wav(path, seconds=8.0, rate=16000):
    """A mono WAV that sounds (to a level meter) like talk: 150-300 Hz voiced bursts of a
    few hundred ms at varying loudness, with pauses. Fixed seed: the same every run."""
    rnd = random.Random(7)
    out = []
    while len(out) < seconds * rate:
        n = int(rate * rnd.uniform(0.12, 0.45))
        if rnd.random() < 0.25:
            out.extend([0] * n)             # a pause
            continue
        amp = 32767 * 10 ** (rnd.uniform(-30, -3) / 20)
        f = rnd.uniform(150, 300)
        for i in range(n):
            env = math.sin(math.pi * i / n)  # a syllable's rise and fall
            out.append(int(amp * env * math.sin(2 * math.pi * f * i / rate)))
    ttylab.write_wav(path, out, rate=rate)
    return path


def window(tui, name, seconds, dump_dir, during=None):
    """Count the bytes written in `seconds`; returns (bytes/s, updates/s)."""
    if dump_dir:
        tui.dump = open(os.path.join(dump_dir, name + ".raw"), "wb")
    t0, u0 = tui.total, tui.updates
    start = time.monotonic()
    if during:
        during(start + seconds)
    left = start + seconds - time.monotonic()
    if left > 0:
        tui.pump(left)
    elapsed = time.monotonic() - start
    if tui.dump:
        tui.dump.close()
        tui.dump = None
    return (tui.total - t0) / elapsed, (tui.updates - u0) / elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="100x30")
    ap.add_argument("--term", default="xterm-256color")
    ap.add_argument("--lang", default="C.UTF-8", help="LANG (C: ASCII lines and meters)")
    ap.add_argument("--rate", type=float, default=50.0, help="MESSAGEs a second in the burst")
    ap.add_argument("--dump", metavar="DIR", help="keep each window's raw output here")
    args = ap.parse_args()
    ttylab.require_ttyphone()
    binary = os.path.abspath(ttylab.ttyphone_bin())
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    idle_s, call_s, burst_s = B.window(20), B.window(20), B.window(10)
    if args.dump:
        os.makedirs(args.dump, exist_ok=True)

    home = tempfile.mkdtemp(prefix="ttybytes-")
    tui = peer = None
    try:
        port = ttylab.free_port()
        wav = speech_like_wav(os.path.join(home, "talk.wav"))
        os.makedirs(os.path.join(home, "ttyphone"))
        cfg = os.path.join(home, "ttyphone", "config.ini")
        with open(cfg, "w") as f:
            f.write("[sip]\nlisten = 127.0.0.1:%d\n\n[audio]\nbackend = file\n"
                    "input = %s\noutput = %s\n" % (port, wav, os.path.join(home, "spk.wav")))
        os.chmod(cfg, 0o600)

        print("ttyphone TUI bytes to the terminal: %s, %dx%d, TERM=%s, LANG=%s" % (
            binary, cols, rows, args.term, args.lang))
        print("  %s" % B.machine_note())
        tui = TuiOnPty(binary, home, cols, rows, args.term, args.lang)
        tui.wait_for(b"F1 help", 10, "the first frame")
        tui.mark()
        # Start-up lasts until the demo-mode note on the status line has faded (6 s).
        tui.wait_for(b"Enter call", 15, "the demo-mode note fading")
        tui.pump(1.0)
        startup = tui.total
        idle, idle_w = window(tui, "idle", idle_s, args.dump)

        tui.mark()
        tui.keys(b":call echo\r")
        tui.wait_for(b"established", 10, "the echo call established")
        tui.wait_for(b"MOS", 10, "the call's quality line")
        tui.pump(2.0)
        call, call_w = window(tui, "call", call_s, args.dump)

        peer = ttylab.Phone("[sip]\nlisten = 127.0.0.1:0\n\n[audio]\nbackend = null\n",
                            name="bytes-peer")
        peer.wait_ready()
        target = "sip:x@127.0.0.1:%d" % port
        sent = [0]

        def send_burst(until):
            gap = 1.0 / args.rate
            nxt = time.monotonic()
            while nxt < until:
                peer.send("msg %s burst message %d from the benchmark" % (target, sent[0]))
                sent[0] += 1
                nxt += gap
                left = nxt - time.monotonic()
                if left > 0:
                    tui.pump(left)           # keep reading: a full pty would stall it

        tui.mark()
        burst, burst_w = window(tui, "burst", burst_s, args.dump, during=send_burst)
        tui.wait_for(b"burst message", 5, "a burst message on the screen")
        answered = len(peer.find_events(event="message_status", code=200))

        rows_out = [("start-up, until the demo note fades", startup, "bytes", ""),
                    ("idle, %.0f s" % idle_s, idle, "B/s", "%.1f updates/s" % idle_w),
                    ("echo call with meters, %.0f s" % call_s, call, "B/s",
                     "%.1f updates/s" % call_w),
                    ("call + %g MESSAGE/s, %.0f s" % (args.rate, burst_s), burst, "B/s",
                     "%.1f updates/s, %d sent, %d answered 200" % (burst_w, sent[0],
                                                                   answered))]
        for label, value, unit, more in rows_out:
            print("  %-40s %8s %-5s  %s" % (label, "%.0f" % value if value >= 100 else
                                              "%.1f" % value, unit, more))
        print("  aim (SSH issue): idle near 0 B/s, a call under 2048 B/s")
        sys.stdout.flush()
    finally:
        if tui:
            tui.stop()
        if peer:
            peer.quit()
        if not os.environ.get("TTYLAB_KEEP"):
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    B.run_main(main)
