#!/usr/bin/env python3
"""Call set-up time through the lab's Kamailio: N calls (BENCH_CALLS, default 10) from
one phone to another that answers at once, ttyphone to ttyphone and baresip to baresip.

  ttyphone  from writing `call bob` on the caller's stdin to reading its
            {"event":"call","state":"established"} line on stdout
  baresip   from writing `/dial sip:...` on its stdin to receiving CALL_ESTABLISHED
            on its ctrl_tcp socket

Both paths include the same work: INVITE, 407 and the authenticated INVITE through
Kamailio, the callee's answer (auto-answer, no ringing delay), 200 and ACK, and each
phone's own event reporting. Calls are hung up and both ends wait for the end before the
next one. Audio as in bench_call_cpu (tone file in, output discarded), Opus.
A third run repeats ttyphone's calls with its data directory (the SQLite call history it
fsyncs at every call event) on tmpfs. Figures: median, with min and max in the detail. Fails if a call does not connect.
"""

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402

PAUSE_S = 0.3
# ttyphone commits every call event to its SQLite history (synchronous=FULL: an fsync each)
# on the main thread before going on (src/history.c). A second ttyphone run keeps that
# file on tmpfs, where fsync costs nothing, to show what the disk adds
# (BENCH_SKIP_TMPFS=1 skips it).
SHM = "/dev/shm"


def ttyphone_setups(lab, tone, n, data_dirs=None, transport="udp"):
    envs = [{"XDG_DATA_HOME": d} for d in data_dirs] if data_dirs else [None, None]
    a = lab.phone("alice", transport=transport, codecs="opus", backend="file", input=tone,
                  output="", name="tty-caller-%s" % transport, env=envs[0])
    b = lab.phone("bob", transport=transport, codecs="opus", backend="file", input=tone,
                  output="", auto_answer=True, name="tty-callee-%s" % transport, env=envs[1])
    B.wait_registered_tty(a, b)
    time.sleep(1.0)
    out = []
    for i in range(n):
        since = a.mark()
        bsince = b.mark()
        t0 = time.monotonic()
        a.send("call bob")
        est = a.wait_event(event="call", state="established", since=since, timeout=15)
        out.append((est["_t"] - t0) * 1000.0)
        b.wait_event(event="call", state="established", since=bsince, timeout=5)
        a.send("hangup %d" % est["id"])
        a.wait_event(event="call", state="ended", id=est["id"], since=since, timeout=10)
        b.wait_event(event="call", state="ended", since=bsince, timeout=10)
        time.sleep(PAUSE_S)
    for p in (a, b):
        p.quit()
    return out


def baresip_setups(lab, tone, n):
    a = B.start_baresip(lab, "carol", audio="file", input_wav=tone, codecs=B.BARESIP_OPUS)
    b = B.start_baresip(lab, "dave", audio="file", input_wav=tone, codecs=B.BARESIP_OPUS,
                        answermode="auto")
    a.wait_registered()
    b.wait_registered()
    time.sleep(1.0)
    uri = lab.kam.aor("dave")
    out = []
    for i in range(n):
        t0 = time.monotonic()
        a.dial(uri)
        est = a.wait_event(type="CALL_ESTABLISHED", timeout=15)
        out.append((est["_t"] - t0) * 1000.0)
        b.wait_event(type="CALL_ESTABLISHED", timeout=5)
        a.hangup()
        a.wait_event(type="CALL_CLOSED", timeout=10)
        b.wait_event(type="CALL_CLOSED", timeout=10)
        time.sleep(PAUSE_S)
    for p in (a, b):
        p.stop()
    return out


def main():
    B.require_all()
    n = max(1, B.env_int("BENCH_CALLS", 10))
    B.header("Call set-up time through Kamailio, %d calls each" % n)
    with ttylab.Lab() as lab:
        tone = B.tone_file(lab, 3.0)     # calls last milliseconds; baresip
        # loads its aufile input at call start: keep it small
        tty = ttyphone_setups(lab, tone, n)
        bar = baresip_setups(lab, tone, n)
        shm = None
        if os.path.isdir(SHM) and not os.environ.get("BENCH_SKIP_TMPFS"):
            shm = tempfile.mkdtemp(prefix="ttyphone-bench-", dir=SHM)
            try:
                dirs = [os.path.join(shm, "caller"), os.path.join(shm, "callee")]
                for d in dirs:
                    os.mkdir(d, 0o700)
                tmpfs = ttyphone_setups(lab, tone, n, data_dirs=dirs)
            finally:
                shutil.rmtree(shm, ignore_errors=True)
    B.check(len(tty) == n and len(bar) == n, "not every call connected")

    def stats(xs):
        return {"median_ms": round(B.median(xs), 2), "min_ms": round(min(xs), 2),
                "max_ms": round(max(xs), 2), "all_ms": [round(x, 2) for x in xs]}

    detail = {"calls": n, "ttyphone": stats(tty), "baresip": stats(bar)}
    whos = ["ttyphone", "baresip"]
    if shm:
        detail["ttyphone_history_on_tmpfs"] = stats(tmpfs)
        whos.append("ttyphone_history_on_tmpfs")
    for who in whos:
        s = detail[who]
        B.note("%-8s median %.1f ms, min %.1f, max %.1f: %s" % (
            who, s["median_ms"], s["min_ms"], s["max_ms"],
            " ".join("%.1f" % x for x in s["all_ms"])))
    B.report("setup", "setup_ms", "call set-up, call -> established (median)", "ms",
             B.median(tty), B.median(bar), detail, digits=1)
    if shm:
        B.report("setup", "setup_ms_tmpfs", "  same, ttyphone's history on tmpfs", "ms",
                 B.median(tmpfs), B.median(bar), detail, digits=1)


if __name__ == "__main__":
    B.run_main(main)
