#!/usr/bin/env python3
"""Idle cost while registered: CPU and wake-ups of a phone that sits registered at the
lab's Kamailio with no call, ttyphone and baresip side by side (measured at the same
time, they do not talk to each other).

Window: 60 s (BENCH_SECONDS scales it: BENCH_SECONDS=30 is the default, 10 gives 20 s),
starting 3 s after both registered.
  CPU      schedstat run time summed over the live threads (/proc/PID/task/*/schedstat,
           ns; utime+stime ticks of 10 ms are too coarse here and are in the detail)
  wake-ups voluntary context switches summed over the threads
           (/proc/PID/task/*/status voluntary_ctxt_switches): each is a sleep that ended
  SIP      requests each phone sent in the window, from Kamailio's log (keep-alive
           OPTIONS, REGISTER refreshes): the wake-ups a phone cannot avoid

Both use UDP and the lab's registration expiry (600 s, so no refresh falls in a window
under ~5 min); ttyphone keeps its default keep-alive (OPTIONS every 30 s), baresip has
none. A second ttyphone with `keepalive = 0`, measured in the same window, shows what
ttyphone wakes for beyond its keep-alive (the row "without keep-alive"). Fails if a phone
is not registered or dies.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402

SETTLE_S = 3.0


def main():
    B.require_all()
    secs = B.window(60.0)
    B.header("Idle while registered, window %.0f s" % secs)
    with ttylab.Lab() as lab:
        tone = B.tone_file(lab, 2.0)
        t = lab.phone("alice", codecs="opus", backend="file", input=tone, output="",
                      name="tty-idle")
        q = lab.phone("bob", codecs="opus", backend="file", input=tone, output="",
                      keepalive=0, name="tty-idle-noka")
        b = B.start_baresip(lab, "carol", audio="file", input_wav=tone,
                            codecs=B.BARESIP_OPUS)
        B.wait_registered_tty(t, q)
        b.wait_registered()
        lab.kam.wait_registered("alice")
        lab.kam.wait_registered("carol")
        tport = B.sip_port_of(t)
        time.sleep(SETTLE_S)
        log = B.KamLog(lab.kam).start()
        d = B.measure([t.pid, q.pid, b.pid], secs)
        time.sleep(0.3)     # let Kamailio log the last request of the window
        reqs = {"ttyphone": log.requests(tport), "baresip": log.requests(b.sip_port)}
        B.check(t.alive() and q.alive() and b.alive(), "a phone died during the window")
        B.check(lab.kam.is_registered("alice") and lab.kam.is_registered("carol"),
                "a phone lost its registration during the window")
    dt, dq, db = d[t.pid], d[q.pid], d[b.pid]
    detail = {"window_s": secs}
    for who, x in (("ttyphone", dt), ("baresip", db)):
        nreq = sum(reqs[who].values())
        detail[who] = {
            "sched_cpu_ms": round(x.sched_cpu_s * 1000, 3), "ticks_cpu_s": x.cpu_s,
            "wakeups": x.vol, "involuntary": x.invol,
            "wakeups_per_min": round(x.per_minute(x.vol), 1),
            "sip_requests": reqs[who], "threads": x.thread_summary(),
            "threads_gone": len(x.gone_threads), "rss_kb": x.rss_kb}
        B.note("%-8s %.2f ms CPU (%.2f s in ticks), %d wake-ups (%.1f/min), %d SIP "
               "requests %s, threads: %s" % (
                   who, x.sched_cpu_s * 1000, x.cpu_s, x.vol, x.per_minute(x.vol), nreq,
                   reqs[who] or "", ", ".join(
                       "%s x%d %.1f wake/min" % (n, g["threads"], g["wakeups_per_min"])
                       for n, g in x.thread_summary().items())))
        if x.gone_threads:
            B.note("%s: %d thread(s) ended during the window (their time is not counted "
                   "in the schedstat figure)" % (who, len(x.gone_threads)))
    B.report("idle", "cpu_ms_per_min", "idle CPU while registered", "ms/min",
             dt.per_minute(dt.sched_cpu_s * 1000), db.per_minute(db.sched_cpu_s * 1000),
             detail, digits=2)
    B.report("idle", "wakeups_per_min", "idle wake-ups (voluntary ctx switches)", "/min",
             dt.per_minute(dt.vol), db.per_minute(db.vol), detail, digits=1)
    detail["ttyphone_keepalive_0"] = {
        "sched_cpu_ms": round(dq.sched_cpu_s * 1000, 3), "wakeups": dq.vol,
        "wakeups_per_min": round(dq.per_minute(dq.vol), 1), "threads": dq.thread_summary()}
    B.note("ttyphone with keepalive = 0: %.2f ms CPU, %d wake-ups (%.1f/min)" % (
        dq.sched_cpu_s * 1000, dq.vol, dq.per_minute(dq.vol)))
    B.report("idle", "wakeups_per_min_noka", "  same, ttyphone without keep-alive", "/min",
             dq.per_minute(dq.vol), db.per_minute(db.vol), detail, digits=1)
    B.report("idle", "sip_per_min", "idle SIP requests sent (keep-alives)", "/min",
             dt.per_minute(sum(reqs["ttyphone"].values())),
             db.per_minute(sum(reqs["baresip"].values())), detail, digits=1)


if __name__ == "__main__":
    B.run_main(main)
