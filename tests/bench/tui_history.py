#!/usr/bin/env python3
"""tui_history.py: how long the terminal UI's history view takes with a big history.

A history.sqlite of 10 000 rows (5000 calls, 5000 messages over the last 30 days, 300
peers) is written, then ttyphone's TUI runs on a pseudo-terminal (100x30,
xterm-256color, C.UTF-8, the same pty driver as tui_bytes.py) and:

  open    r pressed on the main screen until the view is drawn: the read of the
          newest 1000 rows and the whole frame                                   (x10)
  search  "/user17@" typed at once until the list with its count ("N of 10000")
          is drawn: a search over all 10 000 rows, case-insensitive              (x10)
  close   q until the main screen is back                                       (x10)

and the TUI's resident memory with the view open and after it closed. Wall-clock times
from the key written to the pty to the bytes read back, so they include curses and the
pty; a frame is drawn once 30 ms pass with no more output. Figures are never judged: exit 0 when everything was measured, 1 when the view
never showed (or showed the wrong count), 77 without a binary.

    TTYPHONE_BIN=./ttyphone tests/bench/tui_history.py [--rows 10000] [--repeat 10]

Standard library only.
"""

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402
from tui_bytes import TuiOnPty  # noqa: E402

WORDS = ("see you at five call me back later the meeting moved to room two lunch "
         "tomorrow running late sorry on my way thanks").split()


def make_history(binary, home, rows):
    """Let ttyphone create the file (its schema), then fill it in one transaction."""
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_CONFIG_HOME": home}
    r = subprocess.run([binary, "--headless"], input=b"quit\n", env=env, cwd=home,
                       capture_output=True, timeout=30)
    path = os.path.join(home, ".local", "share", "ttyphone", "history.sqlite")
    B.check(r.returncode == 0 and os.path.exists(path),
            "ttyphone did not create %s: %s" % (path, r.stderr.decode()[-500:]))
    rnd = random.Random(11)
    now = int(time.time())
    start = now - 30 * 86400
    step = 30 * 86400 // rows
    calls, msgs = [], []
    for i in range(rows):
        t = start + i * step
        peer = "sip:user%d@example.org" % rnd.randrange(300)
        if i % 2 == 0:
            answered = rnd.random() < 0.7
            inbound = rnd.random() < 0.5
            code = 200 if answered else rnd.choice((487, 486, 603, 480))
            calls.append(("in" if inbound else "out", peer, peer, "", "work", t,
                          t + 5 if answered else None, t + rnd.randrange(10, 900), code, "",
                          "opus" if answered else ""))
        else:
            body = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(2, 14)))
            inbound = rnd.random() < 0.5
            msgs.append(("in" if inbound else "out", peer, peer, "", "work", body, t,
                         "received" if inbound else "delivered", 0 if inbound else 202, ""))
    db = sqlite3.connect(path)
    with db:
        db.executemany("INSERT INTO calls (direction, peer, peer_key, display, account, "
                       "started, answered, ended, code, reason, codec) VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?)", calls)
        db.executemany("INSERT INTO messages (direction, peer, peer_key, display, account, "
                       "body, time, state, code, reason) VALUES (?,?,?,?,?,?,?,?,?,?)", msgs)
    db.close()
    return path


def timed(tui, key, marker, what, timeout=10.0):
    """ms from writing key to the terminal until the frame that shows marker (bytes) has
    been written whole: its last byte, once 30 ms pass with nothing more."""
    tui.pump(0.05)           # nothing pending from before
    tui.mark()
    t0 = time.monotonic()
    tui.keys(key)
    end = t0 + timeout
    while marker not in tui.seen:
        if time.monotonic() > end:
            B.fail("timed out waiting for %s (stderr: %s)" % (what, tui.stderr()))
        tui.pump(0.002)
    while True:
        size = len(tui.seen)
        tui.pump(0.03)
        if len(tui.seen) == size:
            break
    return (tui.last_read - t0) * 1000.0


def stats(xs):
    xs = sorted(xs)
    return "median %6.1f ms   min %6.1f   max %6.1f" % (B.median(xs), xs[0], xs[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    ttylab.require_ttyphone()
    binary = os.path.abspath(ttylab.ttyphone_bin())
    home = tempfile.mkdtemp(prefix="ttyhist-")
    tui = None
    try:
        os.makedirs(os.path.join(home, "ttyphone"))
        cfg = os.path.join(home, "ttyphone", "config.ini")
        with open(cfg, "w") as f:
            f.write("[sip]\nlisten = 127.0.0.1:0\n\n[audio]\nbackend = null\n")
        os.chmod(cfg, 0o600)
        t0 = time.monotonic()
        make_history(binary, home, args.rows)
        made_s = time.monotonic() - t0
        tui = TuiOnPty(binary, home, 100, 30, "xterm-256color", "C.UTF-8")
        tui.wait_for(b"F1 help", 10, "the main screen")
        tui.pump(0.5)
        total = b"%d" % args.rows
        opens, searches, closes = [], [], []
        rss_open = rss_closed = 0
        for _ in range(args.repeat):
            opens.append(timed(tui, b"r", b"q close", "the history view"))
            B.check(total in tui.seen, "the view did not count %d rows" % args.rows)
            tui.pump(0.05)
            rss_open = max(rss_open, B.vm_kb(tui.p.pid, "VmRSS"))
            searches.append(timed(tui, b"/user17@", b" of", "the search"))
            tui.keys(b"\x1b")                    # Esc ends the search, clears it
            tui.pump(0.05)
            closes.append(timed(tui, b"q", b"SIP log", "the main screen again"))
            tui.pump(0.05)
        rss_closed = B.vm_kb(tui.p.pid, "VmRSS")
        print("history view, %d rows (%d calls + %d messages; file written in %.1f s)" % (
            args.rows, (args.rows + 1) // 2, args.rows // 2, made_s))
        print("  open   (r -> view drawn)       %s" % stats(opens))
        print("  search (/user17@ -> n of m)    %s" % stats(searches))
        print("  close  (q -> main screen)      %s" % stats(closes))
        print("  RSS with the view open %d KB, after closing %d KB" % (rss_open, rss_closed))
        B.note("wall clock from the key to the bytes on the pty; one 2-core machine shared "
               "with other work")
        return 0
    finally:
        if tui:
            tui.stop()
        if not os.environ.get("TTYLAB_KEEP"):
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    B.run_main(main)
