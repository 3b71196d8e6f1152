#!/usr/bin/env python3
"""CPU seconds per minute of an Opus call, and peak RSS during it.

Two ttyphones call each other through the lab's Kamailio, then two baresips do the same,
one pair after the other in the same run. Each end plays a looped 1019 Hz tone into its
microphone and throws away what it hears:
  ttyphone  [audio] backend = file, input = tone.wav, output = (empty: nothing written)
  baresip   audio_source aufile (the same tone), audio_player aubridge (opened, never
            pulled: see benchlib.BenchBaresip for why not ALSA null), mono Opus
Both: Opus at 32 kbit/s, 20 ms packets, no SRTP. A third pair runs baresip with
ttyphone's Opus encoder settings (VoIP application, in-band FEC, 10 % expected loss), since
baresip's defaults (application "audio", no FEC) are cheaper to encode.

Once the call is up and has run 2 s, utime+stime (/proc/PID/stat, every thread) of both
ends is taken over a window of 30 s (BENCH_SECONDS scales it), then VmHWM.
Figures: CPU s per call-minute for both ends together, and the larger VmHWM of the two
(baresip's minus the tone WAV its aufile module loads whole into memory; raw values in
the detail).

Fails if a call does not connect, is not Opus, ends during the window, or carries no
audio (ttyphone: packets received and a speaker level in its stats; baresip: a received
bit rate in its status line).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402

SETTLE_S = 2.0
# ttyphone's encoder (src/media/codec_opus.c): OPUS_APPLICATION_VOIP, in-band FEC, expected
# loss 10 %. baresip's defaults differ (application "audio", no FEC) and cost less CPU;
# a third pair runs baresip with these settings (BENCH_SKIP_MATCHED=1 skips it).
MATCHED_OPUS = "opus_application voip\nopus_inbandfec yes\nopus_packet_loss 10\n"


def ttyphone_call(lab, tone, secs):
    a = lab.phone("alice", codecs="opus", backend="file", input=tone, output="",
                  name="tty-caller")
    b = lab.phone("bob", codecs="opus", backend="file", input=tone, output="",
                  auto_answer=True, name="tty-callee")
    B.wait_registered_tty(a, b)
    a.send("call bob")
    est = a.wait_event(event="call", state="established", timeout=15)
    cid = est["id"]
    for p in (a, b):
        m = p.wait_event(event="media", since=0, timeout=5)
        B.check(m.get("codec") == "opus", "ttyphone %s: codec %r, not opus" % (
            p.name, m.get("codec")))
    t_est = est["_t"]
    time.sleep(SETTLE_S)

    def still_up():
        for p in (a, b):
            if p.find_events(event="call", state="ended"):
                B.fail("ttyphone %s: the call ended during the window" % p.name)

    marks = {p: p.mark() for p in (a, b)}
    d = B.measure([a.pid, b.pid], secs, alive_check=still_up)
    # Proof that audio flowed: a stats event after the window, with packets received at
    # ~50/s since the call came up and a speaker level.
    for p in (a, b):
        st = p.wait_event(event="stats", since=marks[p], timeout=7)
        expect = (st["_t"] - t_est) / 0.020
        B.check(st.get("recv", 0) >= 0.8 * expect,
                "ttyphone %s: received %s RTP packets, expected ~%.0f: %r" % (
                    p.name, st.get("recv"), expect, st))
        B.check(st.get("spk", 0) > 0.05,
                "ttyphone %s: no sound decoded (spk level %r)" % (p.name, st.get("spk")))
    a.send("hangup %d" % cid)
    b.wait_event(event="call", state="ended", timeout=10)
    for p in (a, b):
        p.quit()
    return d[a.pid], d[b.pid]


def baresip_call(lab, tone, secs, users=("carol", "dave"), extra_config=""):
    a = B.start_baresip(lab, users[0], audio="file", input_wav=tone,
                        codecs=B.BARESIP_OPUS, extra_config=extra_config)
    b = B.start_baresip(lab, users[1], audio="file", input_wav=tone,
                        codecs=B.BARESIP_OPUS, answermode="auto", extra_config=extra_config)
    a.wait_registered()
    b.wait_registered()
    a.dial(lab.kam.aor(users[1]))
    a.wait_event(type="CALL_ESTABLISHED", timeout=15)
    b.wait_event(type="CALL_ESTABLISHED", timeout=5)
    time.sleep(SETTLE_S)
    for p in (a, b):
        B.check(p.audio_decoders()[-1:] == ["opus"],
                "baresip %s: decoders %r, not opus" % (p.user, p.audio_decoders()))
    n0 = {p: len(p.events) for p in (a, b)}

    def still_up():
        for p in (a, b):
            if any(e.get("type") == "CALL_CLOSED" for e in p.events[n0[p]:]):
                B.fail("baresip %s: the call closed during the window:\n%s" % (
                    p.user, p.log_tail(10)))

    d = B.measure([a.pid, b.pid], secs, alive_check=still_up)
    for p in (a, b):
        br = p.rtp_bitrates()
        B.check(br and br[0] > 10000 and br[1] > 10000,
                "baresip %s: no audio both ways (status line bit rates %r)" % (p.user, br))
    for p in (a, b):
        d[p.pid].aufile_kb = p.aufile_bytes() / 1024.0
    a.hangup()
    b.wait_event(type="CALL_CLOSED", timeout=10)
    for p in (a, b):
        p.stop()
    return d[a.pid], d[b.pid]


def main():
    B.require_all()
    secs = B.window(30.0)
    B.header("Opus call: CPU and memory, window %.0f s" % secs)
    with ttylab.Lab() as lab:
        tone = B.tone_file(lab, secs + SETTLE_S + 20.0)
        tc, te = ttyphone_call(lab, tone, secs)
        bc, be = baresip_call(lab, tone, secs)
        if not os.environ.get("BENCH_SKIP_MATCHED"):
            mc, me = baresip_call(lab, tone, secs, users=("erin", "frank"),
                                  extra_config=MATCHED_OPUS)
        else:
            mc = me = None
    tty = (tc.cpu_s + te.cpu_s) * 60.0 / tc.seconds
    bar = (bc.cpu_s + be.cpu_s) * 60.0 / bc.seconds

    def side(d):
        return {"cpu_s": d.cpu_s, "window_s": round(d.seconds, 2),
                "cpu_s_per_min": round(d.cpu_s * 60.0 / d.seconds, 3),
                "wakeups_per_min": round(d.per_minute(d.vol), 0),
                "hwm_kb": d.hwm_kb, "threads": d.thread_summary()}

    detail = {"window_s": secs, "ttyphone": {"caller": side(tc), "callee": side(te)},
              "baresip": {"caller": side(bc), "callee": side(be)}}
    whos = ["ttyphone", "baresip"]
    if mc:
        detail["baresip_matched"] = {"caller": side(mc), "callee": side(me),
                                     "config": MATCHED_OPUS.strip().split("\n")}
        whos.append("baresip_matched")
    for who in whos:
        for role in ("caller", "callee"):
            s = detail[who][role]
            B.note("%-15s %-6s %.2f s CPU in %.1f s (%.3f s/min), %d wake-ups/min, "
                   "VmHWM %d kB" % (who, role, s["cpu_s"], s["window_s"], s["cpu_s_per_min"],
                                    s["wakeups_per_min"], s["hwm_kb"]))
    B.report("call_cpu", "cpu_s_per_min", "CPU per call-minute, both ends", "s/min",
             tty, bar, detail, digits=2)
    if mc:
        B.report("call_cpu", "cpu_s_per_min_matched",
                 "  same, baresip with ttyphone's Opus settings", "s/min", tty,
                 (mc.cpu_s + me.cpu_s) * 60.0 / mc.seconds, detail, digits=2)
    # baresip's aufile holds its whole input WAV in memory (ttyphone streams its input
    # through a 480-frame buffer): that buffer is the lab's tone, not baresip's own
    # memory, so it is taken off baresip's VmHWM (raw values in the detail).
    bc_adj = bc.hwm_kb - bc.aufile_kb
    be_adj = be.hwm_kb - be.aufile_kb
    B.note("baresip VmHWM minus aufile's in-memory tone (%.0f kB, %.0f kB): %.0f kB, %.0f kB"
           % (bc.aufile_kb, be.aufile_kb, bc_adj, be_adj))
    B.report("call_cpu", "peak_rss_mb", "peak RSS in call (VmHWM, larger end)", "MB",
             max(tc.hwm_kb, te.hwm_kb) / 1024.0, max(bc_adj, be_adj) / 1024.0,
             {"ttyphone_kb": [tc.hwm_kb, te.hwm_kb], "baresip_kb": [bc.hwm_kb, be.hwm_kb],
              "baresip_aufile_kb": [bc.aufile_kb, be.aufile_kb]},
             digits=1)


if __name__ == "__main__":
    B.run_main(main)
