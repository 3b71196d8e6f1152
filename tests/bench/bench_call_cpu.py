#!/usr/bin/env python3
"""CPU seconds per minute of an Opus call, and peak memory during it.

Two ttyphones call each other through the lab's Kamailio, then two baresips do the same,
one pair after the other in the same run. Each end plays a looped 1019 Hz tone into its
microphone and throws away what it hears; then both pairs again with a voice-like signal
(benchlib.speechlike_file), since Opus codes a pure tone unusually cheaply in baresip's
default "audio" mode (CELT alone) and a call carries voice:
  ttyphone  [audio] backend = file, input = tone.wav, output = (empty: nothing written)
  baresip   audio_source aufile (the same tone), audio_player aubridge (opened, never
            pulled: see benchlib.BenchBaresip for why not ALSA null), mono Opus
Both: Opus at 32 kbit/s, 20 ms packets, no SRTP. With the voice-like signal two more pairs
run: baresip with ttyphone's Opus encoder settings (VoIP application, complexity 5, in-band
FEC allowed, no loss expected, as ttyphone starts every call), and ttyphone with
`opus_complexity = 10` (libopus's and baresip's default), so the effect of ttyphone's
default is in plain sight.

Once the call is up and has run 2 s, utime+stime (/proc/PID/stat, every thread) of both
ends is taken over a window of 30 s (BENCH_SECONDS scales it), then VmHWM.
Figures: CPU s per call-minute for both ends together; the larger VmHWM of the two
(baresip's minus the WAV its aufile module loads whole into memory; raw values in the
detail); and the larger peak USS (private memory: Private_Clean + Private_Dirty from
/proc/PID/smaps_rollup, polled twice a second), which leaves out the shared library pages
that RSS counts in full although other processes map the same ones.

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
# ttyphone's encoder (src/media/codec_opus.c, [media] defaults): OPUS_APPLICATION_VOIP,
# complexity 5, in-band FEC allowed with the expected loss at 0 % until the peer reports
# loss. baresip's defaults differ (application "audio", complexity 10, no FEC); a pair runs
# baresip with these settings (BENCH_SKIP_MATCHED=1 skips it, and the complexity-10 pair).
MATCHED_OPUS = ("opus_application voip\nopus_complexity 5\nopus_inbandfec yes\n"
                "opus_packet_loss 0\n")


def ttyphone_call(lab, tone, secs, tag="", media=None, cpu=None):
    """cpu: pin both phones (every thread) to this one CPU, with taskset, once the call is
    up."""
    media = dict({"codecs": "opus"}, **(media or {}))
    a = lab.phone("alice", media=media, backend="file", input=tone, output="",
                  name="tty-caller" + tag)
    b = lab.phone("bob", media=media, backend="file", input=tone, output="",
                  auto_answer=True, name="tty-callee" + tag)
    B.wait_registered_tty(a, b)
    a.send("call bob")
    est = a.wait_event(event="call", state="established", timeout=15)
    cid = est["id"]
    for p in (a, b):
        m = p.wait_event(event="media", since=0, timeout=5)
        B.check(m.get("codec") == "opus", "ttyphone %s: codec %r, not opus" % (
            p.name, m.get("codec")))
    t_est = est["_t"]
    if cpu is not None:
        pin([a.pid, b.pid], cpu)
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
        # The loudest speaker level of the window's stats. The meter falls fast and the
        # voice-like signal pauses, so a stats event may land in a pause (then ~0.02);
        # silence decodes to under 0.005.
        spk = max(e.get("spk", 0) for e in p.find_events(event="stats", since=marks[p]))
        B.check(spk > 0.01, "ttyphone %s: no sound decoded (spk level %r)" % (p.name, spk))
    for p in (a, b):
        d[p.pid].maps = B.rss_by_mapping(p.pid)
    a.send("hangup %d" % cid)
    b.wait_event(event="call", state="ended", timeout=10)
    for p in (a, b):
        p.quit()
    return d[a.pid], d[b.pid]


def pin(pids, cpu):
    """Every thread of these processes onto one CPU (taskset)."""
    for pid in pids:
        ttylab.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], timeout=5)


def baresip_call(lab, tone, secs, users=("carol", "dave"), extra_config="", cpu=None):
    a = B.start_baresip(lab, users[0], audio="file", input_wav=tone,
                        codecs=B.BARESIP_OPUS, extra_config=extra_config)
    b = B.start_baresip(lab, users[1], audio="file", input_wav=tone,
                        codecs=B.BARESIP_OPUS, answermode="auto", extra_config=extra_config)
    a.wait_registered()
    b.wait_registered()
    a.dial(lab.kam.aor(users[1]))
    a.wait_event(type="CALL_ESTABLISHED", timeout=15)
    b.wait_event(type="CALL_ESTABLISHED", timeout=5)
    if cpu is not None:
        pin([a.pid, b.pid], cpu)
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
        d[p.pid].maps = B.rss_by_mapping(p.pid)
    a.hangup()
    b.wait_event(type="CALL_CLOSED", timeout=10)
    for p in (a, b):
        p.stop()
    return d[a.pid], d[b.pid]


def main():
    B.require_all()
    secs = B.window(30.0)
    matched = not os.environ.get("BENCH_SKIP_MATCHED")
    B.header("Opus call: CPU and memory, window %.0f s" % secs)
    runs = {}
    with ttylab.Lab() as lab:
        tone = B.tone_file(lab, secs + SETTLE_S + 20.0)
        voice = B.speechlike_file(lab, secs + SETTLE_S + 20.0)
        runs["ttyphone"] = ttyphone_call(lab, tone, secs)
        runs["baresip"] = baresip_call(lab, tone, secs)
        runs["ttyphone_voice"] = ttyphone_call(lab, voice, secs, "-voice")
        runs["baresip_voice"] = baresip_call(lab, voice, secs)
        if matched:
            runs["baresip_voice_matched"] = baresip_call(
                lab, voice, secs, users=("erin", "frank"), extra_config=MATCHED_OPUS)
            runs["ttyphone_voice_c10"] = ttyphone_call(lab, voice, secs, "-c10",
                                                       media={"opus_complexity": 10})
            runs["ttyphone_voice_1cpu"] = ttyphone_call(lab, voice, secs, "-1cpu", cpu=0)
            runs["baresip_voice_1cpu"] = baresip_call(lab, voice, secs, cpu=0)

    def cpu(who):
        c, e = runs[who]
        return (c.cpu_s + e.cpu_s) * 60.0 / c.seconds

    def aufile_kb(d):
        return getattr(d, "aufile_kb", 0.0)

    def side(d):
        return {"cpu_s": d.cpu_s, "window_s": round(d.seconds, 2),
                "cpu_s_per_min": round(d.cpu_s * 60.0 / d.seconds, 3),
                "wakeups_per_min": round(d.per_minute(d.vol), 0),
                "hwm_kb": d.hwm_kb, "uss_peak_kb": d.uss_peak_kb,
                "aufile_kb": aufile_kb(d), "threads": d.thread_summary()}

    detail = {"window_s": secs, "matched_config": MATCHED_OPUS.strip().split("\n")}
    for who, (c, e) in runs.items():
        detail[who] = {"caller": side(c), "callee": side(e)}
        for role, s in (("caller", detail[who]["caller"]), ("callee", detail[who]["callee"])):
            B.note("%-21s %-6s %.2f s CPU in %.1f s (%.3f s/min), %d wake-ups/min, "
                   "VmHWM %d kB, USS %d kB" % (who, role, s["cpu_s"], s["window_s"],
                                               s["cpu_s_per_min"], s["wakeups_per_min"],
                                               s["hwm_kb"], s["uss_peak_kb"]))
    B.report("call_cpu", "cpu_s_per_min", "CPU per call-minute, both ends (tone)", "s/min",
             cpu("ttyphone"), cpu("baresip"), detail, digits=2)
    B.report("call_cpu", "cpu_s_per_min_voice", "  same, voice-like signal", "s/min",
             cpu("ttyphone_voice"), cpu("baresip_voice"), detail, digits=2)
    if matched:
        B.report("call_cpu", "cpu_s_per_min_1cpu",
                 "  voice, each pair on one CPU", "s/min",
                 cpu("ttyphone_voice_1cpu"), cpu("baresip_voice_1cpu"), detail, digits=2)
        B.report("call_cpu", "cpu_s_per_min_matched",
                 "  voice, baresip with ttyphone's Opus settings", "s/min",
                 cpu("ttyphone_voice"), cpu("baresip_voice_matched"), detail, digits=2)
        B.report("call_cpu", "cpu_s_per_min_c10",
                 "  voice, ttyphone at opus_complexity 10", "s/min",
                 cpu("ttyphone_voice_c10"), cpu("baresip_voice"), detail, digits=2)
    # baresip's aufile holds its whole input WAV in memory (ttyphone streams its input
    # through a 480-frame buffer): that buffer is the lab's tone, not baresip's own
    # memory, so it is taken off baresip's VmHWM and USS (raw values in the detail).
    tc, te = runs["ttyphone"]
    bc, be = runs["baresip"]
    B.note("baresip minus aufile's in-memory tone (%.0f kB, %.0f kB): VmHWM %.0f kB, %.0f kB; "
           "USS %.0f kB, %.0f kB" % (bc.aufile_kb, be.aufile_kb, bc.hwm_kb - bc.aufile_kb,
                                     be.hwm_kb - be.aufile_kb, bc.uss_peak_kb - bc.aufile_kb,
                                     be.uss_peak_kb - be.aufile_kb))
    # Where the resident memory is, kB RSS (private) per mapping, at the end of the window.
    for who, d in (("ttyphone caller", tc), ("baresip caller", bc)):
        B.note("%s: %s" % (who, B.rss_summary(d.maps)))
    # The part of ttyphone's RSS that comes with the libraries the project requires
    # (Sofia-SIP and the OpenSSL it links, SQLite, libopus, the C library).
    floor = sum(v[0] for k, v in tc.maps.items() if k.split(".so")[0] in (
        "libc", "ld-linux-x86-64", "libm", "libcrypto", "libssl", "libsofia-sip-ua",
        "libsqlite3", "libopus"))
    B.note("ttyphone caller: %d kB of its RSS is libc, libm, ld.so, Sofia-SIP, OpenSSL, "
           "SQLite and libopus alone" % floor)
    mem = {"ttyphone_kb": [tc.hwm_kb, te.hwm_kb], "baresip_kb": [bc.hwm_kb, be.hwm_kb],
           "ttyphone_uss_kb": [tc.uss_peak_kb, te.uss_peak_kb],
           "baresip_uss_kb": [bc.uss_peak_kb, be.uss_peak_kb],
           "baresip_aufile_kb": [bc.aufile_kb, be.aufile_kb],
           "ttyphone_required_libs_kb": floor}
    B.report("call_cpu", "peak_rss_mb", "peak RSS in call (VmHWM, larger end)", "MB",
             max(tc.hwm_kb, te.hwm_kb) / 1024.0,
             max(bc.hwm_kb - bc.aufile_kb, be.hwm_kb - be.aufile_kb) / 1024.0, mem, digits=1)
    B.report("call_cpu", "peak_uss_mb", "peak private memory in call (USS, larger end)", "MB",
             max(tc.uss_peak_kb, te.uss_peak_kb) / 1024.0,
             max(bc.uss_peak_kb - bc.aufile_kb, be.uss_peak_kb - be.aufile_kb) / 1024.0, mem,
             digits=1)


if __name__ == "__main__":
    B.run_main(main)
