#!/usr/bin/env python3
"""CPU per minute of call that echo cancellation ([audio] echo_cancel) costs.

The set-up of tests/integration/test_echo_cancel.py: the callee plays into a PulseAudio
null sink "room" and captures its monitor, so its speaker echoes into its microphone; the
caller (WAV backend) says a looped 1019 Hz tone. The same call runs twice, the callee with
echo_cancel = no and then yes, and utime+stime of the callee's process (/proc, every
thread) is taken over a 30 s window (BENCH_SECONDS scales it) from 2 s after the call is
up. Figures: the callee's CPU per call-minute each way, and the difference, which is what
the canceller costs. baresip 1.0 in Debian has no echo canceller (speex_pp is noise
suppression and AGC only), so its column is empty.

Fails if a call does not connect, ends during the window, carries no audio, or reports
"aec" other than asked in its media event.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402

SETTLE_S = 2.0


def callee_cpu(lab, tone, secs, callee, aec):
    a = lab.phone("alice", codecs="opus", backend="file", input=tone, output="",
                  name="caller-aec-" + aec)
    b = lab.phone(callee, codecs="opus", backend="pulse", capture="room.monitor",
                  playback="room", echo_cancel=aec, auto_answer=True, env=lab.pulse.env,
                  name="callee-aec-" + aec)
    B.wait_registered_tty(a, b)
    a.send("call %s" % callee)
    est = a.wait_event(event="call", state="established", timeout=15)
    m = b.wait_event(event="media", since=0, timeout=5)
    B.check(m.get("aec") is (aec == "yes"), "callee: media event %r with echo_cancel=%s"
            % (m, aec))
    time.sleep(SETTLE_S)

    def still_up():
        for p in (a, b):
            if p.find_events(event="call", state="ended"):
                B.fail("%s: the call ended during the window" % p.name)

    mark = b.mark()
    d = B.measure([b.pid], secs, alive_check=still_up)[b.pid]
    st = b.wait_event(event="stats", since=mark, timeout=7)
    B.check(st.get("audio_ok") and st.get("spk", 0) > 0.05,
            "callee: no sound through PulseAudio: %r" % st)
    a.send("hangup %d" % est["id"])
    b.wait_event(event="call", state="ended", timeout=10)
    for p in (a, b):
        p.quit()
    return d


def main():
    B.require_all(need_baresip=False, need_pulse=True)
    secs = B.window(30.0)
    B.header("Echo cancellation: the callee's CPU, window %.0f s" % secs)
    with ttylab.Lab(pulse=True) as lab:
        lab.pulse.add_sink("room")
        tone = B.tone_file(lab, secs + SETTLE_S + 20.0)
        off = callee_cpu(lab, tone, secs, "bob", "no")
        on = callee_cpu(lab, tone, secs, "carol", "yes")
    per_min = {k: d.cpu_s * 60.0 / d.seconds for k, d in (("off", off), ("on", on))}
    detail = {"window_s": secs,
              "off": {"cpu_s": off.cpu_s, "threads": off.thread_summary()},
              "on": {"cpu_s": on.cpu_s, "threads": on.thread_summary()}}
    for k, d in (("off", off), ("on", on)):
        B.note("echo_cancel %-3s %.2f s CPU in %.1f s; threads %r" % (
            k, d.cpu_s, d.seconds, d.thread_summary()))
    B.report("aec", "callee_cpu_off", "callee on PulseAudio, CPU/call-minute, no AEC",
             "s/min", per_min["off"], None, detail)
    B.report("aec", "callee_cpu_on", "  same, echo_cancel = yes", "s/min", per_min["on"],
             None, detail)
    B.report("aec", "aec_cpu", "  echo cancellation's own cost", "s/min",
             per_min["on"] - per_min["off"], None, detail)


if __name__ == "__main__":
    B.run_main(main)
