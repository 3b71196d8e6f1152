#!/usr/bin/env python3
"""SIP over WebSocket against UDP, ttyphone against itself (baresip is not the reference
here: the figure is what the WebSocket bridge, src/sip/ws_bridge.c, adds). The column
headed "baresip" holds ttyphone over UDP in the same run; the ratio is wss / udp.

  registration  from the phone's "registering" event to its "registered" event (fresh
                phone each time: over wss that includes TCP connect, TLS handshake and the
                WebSocket upgrade, done by the bridge thread), BENCH_REGS (default 5)
  call set-up   `call bob` -> established between two phones on the same transport,
                bench_setup's own measurement (ttyphone_setups), BENCH_CALLS (default 10)
  idle          voluntary context switches per minute of a registered phone with no call
                (default keep-alive: OPTIONS every 30 s; the bridge adds its own thread,
                which sleeps until traffic or its 25 s ping), window as bench_idle

Figures are printed, never judged. Fails only if something does not register or connect.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from bench_setup import ttyphone_setups  # noqa: E402
from benchlib import ttylab  # noqa: E402

def registration_ms(lab, transport, n):
    out = []
    for i in range(n):
        p = lab.phone("alice", transport=transport, name="reg-%s-%d" % (transport, i))
        start = p.wait_event(event="reg", state="registering", since=0, timeout=15)
        done = p.wait_event(event="reg", state="registered", since=0, timeout=15)
        out.append((done["_t"] - start["_t"]) * 1000.0)
        p.quit()
    return out


def main():
    B.require_all(need_baresip=False)
    nreg = max(1, B.env_int("BENCH_REGS", 5))
    ncall = max(1, B.env_int("BENCH_CALLS", 10))
    secs = B.window(60.0)
    B.header("SIP over wss against udp (reference column: ttyphone over udp)")
    with ttylab.Lab() as lab:
        tone = B.tone_file(lab, 3.0)
        reg = {tp: registration_ms(lab, tp, nreg) for tp in ("udp", "wss")}
        setup = {tp: ttyphone_setups(lab, tone, ncall, transport=tp) for tp in ("udp", "wss")}
        idle_w = lab.phone("alice", transport="wss", name="idle-wss")
        idle_u = lab.phone("bob", transport="udp", name="idle-udp")
        B.wait_registered_tty(idle_w, idle_u)
        time.sleep(3.0)
        d = B.measure([idle_w.pid, idle_u.pid], secs)
        B.check(idle_w.alive() and idle_u.alive(), "a phone died during the idle window")
    dw, du = d[idle_w.pid], d[idle_u.pid]
    detail = {"registration_ms": reg, "setup_ms": setup, "idle_window_s": secs,
              "idle_threads": {"wss": dw.thread_summary(), "udp": du.thread_summary()}}
    for name, xs in (("registration", reg), ("call set-up", setup)):
        for tp in ("udp", "wss"):
            B.note("%-12s %-3s median %.1f ms: %s" % (name, tp, B.median(xs[tp]),
                                                      " ".join("%.1f" % x for x in xs[tp])))
    B.report("ws", "register_ms", "registration over wss (udp beside)", "ms",
             B.median(reg["wss"]), B.median(reg["udp"]), detail, digits=1)
    B.report("ws", "setup_ms", "call set-up over wss (udp beside)", "ms",
             B.median(setup["wss"]), B.median(setup["udp"]), detail, digits=1)
    B.report("ws", "idle_wakeups_per_min", "idle wake-ups over wss (udp beside)", "/min",
             dw.per_minute(dw.vol), du.per_minute(du.vol), detail, digits=1)


if __name__ == "__main__":
    B.run_main(main)
