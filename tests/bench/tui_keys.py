#!/usr/bin/env python3
"""tui_keys.py: how fast the terminal UI answers a key, quiet and during a SIP flood (the
figure issue 7 asks for: "the UI keeps answering keys" under a scanner's flood).

ttyphone's TUI runs in tmux (100x30), registered at the lab's Kamailio over UDP (so
trusted_only is on) and in a call to the built-in echo service, so the call panel and its
meters redraw all the time. A key with a visible effect goes in with tmux send-keys and
the time until tmux's copy of the screen (capture-pane) shows the effect is measured: `?`
until the help overlay is there, then `q` until it is gone, KEY_ROUNDS times each (default
50, so 100 samples), first with nothing else going on, then while SIPp floods the phone's
SIP port with OPTIONS and INVITEs (tests/lab/sipp/flood_*.xml, as tests/bench/flood does)
at FLOOD_RATE requests a second each (default 1000). It prints median, 95th percentile and
maximum of each, with the rate SIPp achieved and how many requests the phone refused.
(Esc closes the overlay too, but curses waits ESCDELAY, 25 ms here (tui/term.c), to tell a
lone Esc from the start of an escape sequence: that would be measured, not the program.)

tmux is driven through one control-mode client (tmux -C), so sending a key and reading the
screen cost no process start: a capture-pane takes well under a millisecond, which is the
resolution of the figures. The time includes tmux's own work: reading ttyphone's output
and updating its copy of the screen.

    TTYPHONE_BIN=./ttyphone tests/bench/tui_keys.py [--rounds 50] [--rate 1000]

Figures are never judged: exit 0 when both runs were measured, 1 when something did not
happen (the UI never showed, a key got no answer in 10 s, the call or the registration
dropped, the flood did not reach the phone, the phone died), 77 without ttyphone, tmux,
kamailio or sipp. Standard library only.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tui"))
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402
import tuitest  # noqa: E402

HELP_TEXT = "show this help"       # a line of the help overlay (tui/keys.h)
KEY_TIMEOUT = 10.0


class Control:
    """A tmux control-mode client on the Screen's session: commands in, their output
    back, without starting a process per command."""

    def __init__(self, screen):
        self.p = subprocess.Popen(
            ["tmux", "-L", screen.sock, "-C", "attach-session", "-t", "t",
             "-f", "no-output,ignore-size"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.block()                  # attaching answers with an empty block

    def block(self):
        out, inside = [], False
        while True:
            line = self.p.stdout.readline()
            if not line:
                B.fail("the tmux control client went away")
            line = line.decode(errors="replace").rstrip("\n")
            if line.startswith("%begin"):
                out, inside = [], True
            elif inside and (line.startswith("%end") or line.startswith("%error")):
                if line.startswith("%error"):
                    B.fail("tmux: %s" % " ".join(out))
                return out
            elif inside:
                out.append(line)
            # anything else is a notification (%session-changed, ...): ignored

    def cmd(self, command):
        self.p.stdin.write((command + "\n").encode())
        return self.block()

    def screen(self):
        return "\n".join(self.cmd("capture-pane -p -t t"))

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()


def key_latency(ctl, key, shown):
    """Send `key`; poll the screen until HELP_TEXT is there (shown) or gone; seconds."""
    t0 = time.monotonic()
    ctl.cmd("send-keys -t t %s" % key)
    while True:
        if (HELP_TEXT in ctl.screen()) == shown:
            return time.monotonic() - t0
        if time.monotonic() - t0 > KEY_TIMEOUT:
            B.fail("no answer to %s within %.0f s:\n%s" % (key, KEY_TIMEOUT, ctl.screen()))


def rounds(ctl, n):
    """n times: ? (help opens), q (help closes). Returns the latencies in ms."""
    opened, closed = [], []
    for _ in range(n):
        opened.append(1000 * key_latency(ctl, "?", True))
        time.sleep(0.05)
        closed.append(1000 * key_latency(ctl, "q", False))
        time.sleep(0.05)
    return opened, closed


def summary(ms):
    s = sorted(ms)
    return "median %6.1f ms  p95 %6.1f ms  max %6.1f ms  (%d keys)" % (
        statistics.median(s), s[min(len(s) - 1, int(0.95 * len(s)))], s[-1], len(s))


def sipp_stat(path):
    """The last line of a SIPp statistics file (-trace_stat -fd 1), as {column: value}."""
    try:
        with open(path, errors="replace") as f:
            lines = [ln.rstrip("\n") for ln in f if ln.strip()]
    except OSError:
        return {}
    if len(lines) < 2:
        return {}
    return dict(zip(lines[0].split(";"), lines[-1].split(";")))


def flood_counts(stat_paths):
    """Requests sent and answered so far, summed over the floods."""
    sent = answered = 0
    for path in stat_paths:
        st = sipp_stat(path)
        sent += int(st.get("OutgoingCall(C)", 0) or 0)
        answered += int(st.get("SuccessfulCall(C)", 0) or 0)
    return sent, answered


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=B.env_int("KEY_ROUNDS", 50))
    ap.add_argument("--rate", type=int, default=B.env_int("FLOOD_RATE", 1000),
                    help="requests a second of each of OPTIONS and INVITE")
    args = ap.parse_args()
    ttylab.require_ttyphone()
    ttylab.require_tools("kamailio", "sipp", "tmux")
    os.environ["TTYPHONE_BIN"] = os.path.abspath(ttylab.ttyphone_bin())

    lab = ttylab.Lab()
    lab.start()
    screen = ctl = None
    floods = []
    try:
        port = ttylab.free_port()
        home = tuitest.make_home(config=False)
        os.makedirs(os.path.join(home, "ttyphone"), exist_ok=True)
        cfg = os.path.join(home, "ttyphone", "config.ini")
        with open(cfg, "w") as f:
            f.write(ttylab.Phone.config_for(lab, "alice", sip={
                "listen": "127.0.0.1:%d" % port}))
        os.chmod(cfg, 0o600)

        print("ttyphone TUI key response: %s, 100x30 in tmux, registered over UDP, in an "
              "echo call" % os.environ["TTYPHONE_BIN"])
        print("  %s" % B.machine_note())
        screen = tuitest.Screen(100, 30)
        screen.start_ttyphone(home)
        screen.wait(r"F1 help\s*$", what="the UI")
        screen.wait(r"registered", what="the registration")
        screen.send_literal(":call echo")
        screen.keys("Enter")
        screen.wait(r"established", what="the echo call")
        pid = screen.ttyphone_pid()
        ctl = Control(screen)
        time.sleep(1.0)

        quiet = rounds(ctl, args.rounds)

        target = "127.0.0.1:%d" % port
        seconds = 600                 # longer than the keys take; stopped after them
        stats = [os.path.join(lab.dir, "flood-%s.csv" % sc) for sc in ("options", "invite")]
        # SIPp writes its counters every second (-fd 1): read before and after the keys.
        floods = [lab.sipp("flood_%s.xml" % sc, target=target, service="alice",
                           calls=args.rate * seconds, timeout=seconds + 30,
                           extra=["-r", str(args.rate), "-rp", "1000", "-l", "2000",
                                  "-trace_stat", "-fd", "1", "-stf", path]).start()
                  for sc, path in zip(("options", "invite"), stats)]
        time.sleep(3.0)               # let the flood reach its rate
        sent0, answered0 = flood_counts(stats)
        cpu0, t0 = B.proc_cpu_ticks(pid), time.monotonic()
        flooded = rounds(ctl, args.rounds)
        cpu = (B.proc_cpu_ticks(pid) - cpu0) / B.CLK_TCK
        elapsed = time.monotonic() - t0
        time.sleep(1.1)               # the next counters line
        sent, answered = flood_counts(stats)
        span = time.monotonic() - t0
        B.check(all(f.alive() for f in floods), "a SIPp flood ended early")
        for f in floods:
            f.stop()
        after = ctl.screen()
        B.check("established" in after, "the echo call did not survive the flood:\n" + after)
        B.check(answered > answered0, "the flood got no answers from the phone")

        print("  %-26s %s" % ("quiet, ? opens help:", summary(quiet[0])))
        print("  %-26s %s" % ("quiet, q closes it:", summary(quiet[1])))
        print("  %-26s %s" % ("flood, ? opens help:", summary(flooded[0])))
        print("  %-26s %s" % ("flood, q closes it:", summary(flooded[1])))
        print("  flood: OPTIONS + INVITE at %d/s each asked; while the keys were measured "
              "(about %.0f s) SIPp sent %.0f requests/s in all and got %.0f answers/s (403); "
              "ttyphone used %.0f %% of a core" % (
                  args.rate, span, (sent - sent0) / span, (answered - answered0) / span,
                  100 * cpu / elapsed))
        sys.stdout.flush()
    finally:
        for f in floods:
            f.stop()
        if ctl:
            ctl.close()
        if screen:
            screen.keys("q")
            time.sleep(0.3)
            screen.keys("y")
            time.sleep(0.5)
            screen.kill()
        lab.stop()


if __name__ == "__main__":
    B.run_main(main)
