#!/usr/bin/env python3
"""Mouth-to-ear delay the two phones add, through the lab's real PulseAudio.

Every mouth and every ear is one channel of a single 4-channel null sink `bench`, so one
`parecord` of `bench.monitor` sees them all on one sample clock:

    channel 0 front-left   a_ear    the caller plays what it hears here   (remap sink)
    channel 1 front-right  b_ear    the callee plays here                  (remap sink)
    channel 2 rear-left    a_mouth  tone bursts for the caller go here     (remap sink)
    channel 3 rear-right   b_mouth  tone bursts for the callee go here     (remap sink)

and each phone captures its mouth channel through a remap source of `bench.monitor`
(a_mic, b_mic). A burst is "spoken" when the sink renders it on the mouth channel and
"heard" when the far phone's playback reaches the sink on its ear channel: the onset
difference is everything the two phones add (capture buffering, encoding, network, jitter
buffer, decoding, playback buffering), without the test player's own buffering.

Calibration first: a module-loopback of known latency (100 ms) from a_mic to b_ear stands
in for the phones; what the method measures for it is printed next to the target.
Then a call caller -> callee for ttyphone (pulse backend) and for baresip (ALSA's pulse
plugin, the only PulseAudio path in Debian's baresip-core), both Opus, auto-answer; bursts
(200 ms of 1019 Hz at -9 dBFS, one a second, BENCH_BURSTS of them, default 6) go into both
mouths, the callee's half a second after the caller's. Figures: the median delay per
direction, and the worst burst (the delay is not always steady within a call).
Fails if a call does not connect or a burst is not heard.

Then a round trip through a browser: ttyphone in a WebRTC call with JsSIP in Chromium,
whose page sends back what it receives; bursts into ttyphone's mouth come back to its ear
(one way into the browser is about half), printed beside ttyphone's quiet one-way delay
to another ttyphone. Skipped, with the reason, without the browser lab.

Each pair of phones makes three calls, one per condition:
- quiet: nothing else runs;
- under load: BENCH_LOAD_HOGS (default 2) busy processes at nice 0 run from before the call
  is placed to after the last burst, so on this 2-core machine the phones compete for CPU
  from their first packet;
- after a stall: once the call has settled, each phone process is stopped (SIGSTOP) for
  BENCH_STALL_MS (default 300) and continued, as if the machine had not run it for that
  long; the bursts start a second later. What is left of the stall's backlog (capture
  queued in PulseAudio, a jitter buffer that grew) is what this row shows.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402
from ttylab_audio import FULL_SCALE, silence_samples, tone_samples, write_wav  # noqa: E402

RATE = 48000
CH_MAP = {"a_ear": "front-left", "b_ear": "front-right",
          "a_mouth": "rear-left", "b_mouth": "rear-right"}
CH_INDEX = {"a_ear": 0, "b_ear": 1, "a_mouth": 2, "b_mouth": 3}
BURST_S = 0.2
PERIOD_S = 1.0
THRESHOLD_DBFS = -30.0      # the bursts are at -9 dBFS
QUIET_MS = 150.0            # silence needed before an onset counts as a new burst
SEARCH_S = 0.9              # an ear onset belongs to the mouth onset before it within this
MIN_SPACING_MS = 600.0      # bursts start PERIOD_S apart; closer onsets are glitches
PLAYER_LATENCY_MS = 200     # pacat's buffer: large, so a busy machine does not starve it
                            # (the delay is measured where the sink renders, after it)
CAL_LATENCY_MS = 100
SETTLE_S = 2.0
AFTER_STALL_S = 1.0
FRAME_MS = 20.0             # what a 20 ms packet's first sample waits for its last
OPUS_LOOKAHEAD_MS = 6.5     # libopus's encoder delay at 48 kHz (OPUS_GET_LOOKAHEAD)
TTY_STATS = {}
STATS_KEYS = ("jb_ms", "jb_level_ms", "playout_wait_ms", "capture_ms", "playback_ms",
              "jitter_ms", "late", "lost", "concealed_ms", "underruns", "playback_underruns",
              "recv")
CONDITIONS = tuple(c for c in os.environ.get("BENCH_DELAY_CONDITIONS",
                                            "quiet,load,stall").split(",") if c) or ("quiet",)
CONDITION_LABEL = {"quiet": "", "load": " under load", "stall": " after a stall"}


class Hogs:
    """n busy processes at nice 0 (a shell loop each), in their own process group, stopped
    by their ids."""

    def __init__(self, n):
        self.n = n
        self.procs = []

    def __enter__(self):
        import subprocess
        for _ in range(self.n):
            self.procs.append(subprocess.Popen(["sh", "-c", "while :; do :; done"],
                                               start_new_session=True))
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
        return False


def stall(pids, ms):
    """Stop every process for ms, then continue them all."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    time.sleep(ms / 1000.0)
    for pid in pids:
        os.kill(pid, signal.SIGCONT)


def setup_devices(pa):
    """The 4-channel sink, the remap sinks (mouths, ears) and sources (mics)."""
    pa.load_module("module-null-sink", "sink_name=bench", "rate=%d" % RATE, "channels=4",
                   "channel_map=front-left,front-right,rear-left,rear-right",
                   "format=s16le", "sink_properties=device.description=bench")
    # A silent low-latency stream keeps the null sink rendering in small blocks (see
    # ttylab_pulse: null sinks start with 2-second blocks).
    pa.load_module("module-loopback", "source=lab_silence", "sink=bench", "latency_msec=20",
                   "source_dont_move=true", "sink_dont_move=true")
    pa.pactl("suspend-sink", "bench", "1")
    pa.pactl("suspend-sink", "bench", "0")
    for name, ch in CH_MAP.items():
        pa.load_module("module-remap-sink", "sink_name=" + name, "master=bench",
                       "channels=1", "master_channel_map=" + ch, "channel_map=mono",
                       "remix=no", "sink_properties=device.description=" + name)
    for who in ("a", "b"):
        pa.load_module("module-remap-source", "source_name=%s_mic" % who,
                       "master=bench.monitor", "channels=1",
                       "master_channel_map=" + CH_MAP["%s_mouth" % who],
                       "channel_map=mono", "remix=no",
                       "source_properties=device.description=%s_mic" % who)


def phone_env(pa, who):
    env = dict(pa.env)
    env.update({"PULSE_SINK": "%s_ear" % who, "PULSE_SOURCE": "%s_mic" % who})
    return env


def burst_wav(path, n, lead_s):
    """`lead_s` of silence, then n bursts of BURST_S every PERIOD_S, then 0.5 s."""
    s = silence_samples(lead_s, RATE)
    for _ in range(n):
        s += tone_samples(1019.0, BURST_S, RATE, 0.5)
        s += silence_samples(PERIOD_S - BURST_S, RATE)
    s += silence_samples(0.5, RATE)
    return write_wav(path, s, RATE)


def onsets(samples, rate=RATE):
    """Times (ms) where the signal first exceeds THRESHOLD_DBFS after >= QUIET_MS under
    it, to the sample."""
    amp = FULL_SCALE * 10 ** (THRESHOLD_DBFS / 20.0)
    quiet_need = int(QUIET_MS * rate / 1000)
    out = []
    last_loud = -quiet_need - 1
    for i, v in enumerate(samples):
        if v >= amp or -v >= amp:
            if i - last_loud > quiet_need:
                out.append(1000.0 * i / rate)
            last_loud = i
    return out


def burst_starts(on):
    """The onsets that start a burst: at least MIN_SPACING_MS after the previous burst's
    start. A player that underruns inside a burst (a busy machine) makes a gap there and
    a second onset, which is not a new burst."""
    out = []
    for t in on:
        if not out or t - out[-1] >= MIN_SPACING_MS:
            out.append(t)
    return out


def delays(wav, mouth, ear, expect):
    """[(mouth_onset_ms, delay_ms)] for each burst on `mouth` heard on `ear`."""
    m = burst_starts(onsets(wav.data[CH_INDEX[mouth]]))
    e = onsets(wav.data[CH_INDEX[ear]])
    B.check(len(m) == expect, "%s: %d bursts in the recording, expected %d (onsets %r)" % (
        mouth, len(m), expect, [round(x) for x in m]))
    out = []
    for t in m:
        heard = [x for x in e if t < x <= t + SEARCH_S * 1000]
        B.check(heard, "burst at %.0f ms on %s never reached %s (ear onsets %r)" % (
            t, mouth, ear, [round(x) for x in e]))
        out.append((t, heard[0] - t))
    # What was heard must be the burst: check the tone of the first one.
    ch = wav.data[CH_INDEX[ear]]
    i = int((m[0] + out[0][1]) * RATE / 1000) + RATE // 50
    f = ttylab.dominant_frequency(ch[i:i + int(RATE * (BURST_S - 0.04))], RATE)
    B.check(f is not None and abs(f - 1019.0) < 20.0,
            "%s: heard %r Hz on %s, not the 1019 Hz burst" % (mouth, f, ear))
    return out


def record4(pa, path):
    """parecord of bench.monitor with its own channel map spelled out: parecord's default
    map for 4 channels is not the sink's (FL,FC,FR,RC here), and PulseAudio would remix."""
    proc = ttylab.Proc("parecord:bench", [
        ttylab.which("parecord"), "--record", "--file-format=wav", "--format=s16le",
        "--rate=%d" % RATE, "--channels=4",
        "--channel-map=front-left,front-right,rear-left,rear-right",
        "--latency-msec=20", "-d", "bench.monitor", path],
        env=pa.full_env(), log_path=os.path.join(pa.dir, "parecord-bench.log"))
    ttylab.wait_until(lambda: not proc.alive() or (
        os.path.exists(path) and os.path.getsize(path) >= 44), timeout=5,
        what="parecord bench.monitor")
    B.check(proc.alive(), "parecord exited: %s" % proc.log_tail())
    return proc


def run_bursts(lab, n, tag, both=True):
    """Record bench.monitor while bursts play into a_mouth (and b_mouth half a period
    later); returns the Wav."""
    pa = lab.pulse
    rec_path = lab.path("delay-%s.wav" % tag)
    wa = burst_wav(lab.path("bursts-a.wav"), n, 0.5)
    wb = burst_wav(lab.path("bursts-b.wav"), n, 0.5 + PERIOD_S / 2)
    rec = record4(pa, rec_path)
    time.sleep(0.3)
    players = [pa.play("a_mouth", wa, latency_ms=PLAYER_LATENCY_MS)]
    if both:
        players.append(pa.play("b_mouth", wb, latency_ms=PLAYER_LATENCY_MS))
    total = 0.5 + PERIOD_S / 2 + n * PERIOD_S + 0.5 + 1.0
    deadline = time.monotonic() + total + 10
    for p in players:
        while p.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        B.check(not p.alive(), "pacat did not finish playing")
    time.sleep(1.0)
    rec.stop(timeout=3.0, sig=signal.SIGINT)     # SIGINT: parecord writes the header
    w = ttylab.read_wav(rec_path)
    B.check(w.channels == 4, "recording has %d channels, not 4" % w.channels)
    return w


def summarize(ds):
    vals = [d for _, d in ds]
    return {"median_ms": round(B.median(vals), 1), "min_ms": round(min(vals), 1),
            "max_ms": round(max(vals), 1), "all_ms": [round(v, 1) for v in vals]}


def calibrate(lab, n):
    idx = lab.pulse.load_module("module-loopback", "source=a_mic", "sink=b_ear",
                                "latency_msec=%d" % CAL_LATENCY_MS, "source_dont_move=true",
                                "sink_dont_move=true")
    time.sleep(SETTLE_S)
    try:
        w = run_bursts(lab, n, "calibration", both=False)
    finally:
        lab.pulse.unload_module(idx)
    return summarize(delays(w, "a_mouth", "b_ear", n))


def prepare(cond, pids):
    """What the condition does once the call has settled, before the bursts."""
    if cond == "stall":
        stall(pids, B.env_int("BENCH_STALL_MS", 300))
        time.sleep(AFTER_STALL_S)


def tty_media_overrides():
    """BENCH_TTY_MEDIA: [media] keys for experiments, ";"-separated, e.g. "realtime=no"."""
    out = {}
    for item in os.environ.get("BENCH_TTY_MEDIA", "").split(";"):
        k, sep, v = item.partition("=")
        if sep and k.strip():
            out[k.strip()] = v.strip()
    return out


def ttyphone_call(lab, n, cond="quiet"):
    pa = lab.pulse
    tag = "" if cond == "quiet" else "-" + cond
    media = dict({"codecs": "opus"}, **tty_media_overrides())
    a = lab.phone("alice", media=media, backend="pulse", capture="a_mic",
                  playback="a_ear", env=phone_env(pa, "a"), name="tty-caller" + tag)
    b = lab.phone("bob", media=media, backend="pulse", capture="b_mic",
                  playback="b_ear", env=phone_env(pa, "b"), auto_answer=True,
                  name="tty-callee" + tag)
    B.wait_registered_tty(a, b)
    a.send("call bob")
    est = a.wait_event(event="call", state="established", timeout=15)
    for p in (a, b):
        m = p.wait_event(event="media", since=0, timeout=5)
        B.check(m.get("codec") == "opus", "ttyphone %s: codec %r" % (p.name, m.get("codec")))
    time.sleep(SETTLE_S)
    prepare(cond, [a.pid, b.pid])
    marks = {p: p.mark() for p in (a, b)}
    w = run_bursts(lab, n, "ttyphone" + tag)
    B.check(not a.find_events(event="call", state="ended"), "ttyphone: the call ended early")
    # The phones' own view, to tell jitter-buffer delay from audio-device buffering.
    for p, role in ((a, "caller"), (b, "callee")):
        st = p.find_events(event="stats", since=marks[p])
        if st:
            s = st[-1]
            TTY_STATS.setdefault(cond, {})[role] = {k: s.get(k) for k in STATS_KEYS}
            B.note("ttyphone %s%s stats: jitter buffer target %s ms, holds %s ms, packets "
                   "waited %s ms from arrival to playout; queued in PulseAudio: capture %s "
                   "ms, playback %s ms; jitter %s ms, late %s, concealed %s ms, jitter "
                   "buffer underruns %s, playback underruns %s" % (
                       role, CONDITION_LABEL[cond], s.get("jb_ms"), s.get("jb_level_ms"),
                       s.get("playout_wait_ms"), s.get("capture_ms"), s.get("playback_ms"),
                       s.get("jitter_ms"), s.get("late"), s.get("concealed_ms"),
                       s.get("underruns"), s.get("playback_underruns")))
    a.send("hangup %d" % est["id"])
    b.wait_event(event="call", state="ended", timeout=10)
    for p in (a, b):
        p.quit()
    return w


def breakdown(cond, direction, measured_ms):
    """Where ttyphone's delay one way went, from the two phones' last stats: the packet's
    20 ms, Opus's look-ahead, the sender's capture queued beyond a frame when it read, the
    receiver's wait from a packet's arrival to its playout (socket and jitter buffer) and
    its playback queue ahead of each frame written. What is left is the lab's own: the
    null sink renders ahead in blocks (a few ms), the network, and the stats being a
    snapshot. None when a figure is missing (a binary without these stats)."""
    st = TTY_STATS.get(cond, {})
    tx, rx = (st.get("caller"), st.get("callee")) if direction == "a_to_b" else \
        (st.get("callee"), st.get("caller"))
    if not tx or not rx or any(v is None for v in (tx.get("capture_ms"),
                                                   rx.get("playout_wait_ms"),
                                                   rx.get("playback_ms"))):
        return None
    parts = {"frame_ms": FRAME_MS, "opus_lookahead_ms": OPUS_LOOKAHEAD_MS,
             "capture_beyond_frame_ms": max(0.0, tx["capture_ms"] - FRAME_MS),
             "arrival_to_playout_ms": float(rx["playout_wait_ms"]),
             "playback_queue_ms": float(rx["playback_ms"])}
    parts["rest_ms"] = round(measured_ms - sum(parts.values()), 1)
    return parts


def baresip_call(lab, n, cond="quiet"):
    pa = lab.pulse
    tag = "" if cond == "quiet" else "-" + cond
    a = B.start_baresip(lab, "carol", audio="pulse", pulse_env=phone_env(pa, "a"),
                        codecs=B.BARESIP_OPUS)
    b = B.start_baresip(lab, "dave", audio="pulse", pulse_env=phone_env(pa, "b"),
                        codecs=B.BARESIP_OPUS, answermode="auto")
    a.wait_registered()
    b.wait_registered()
    a.dial(lab.kam.aor("dave"))
    try:
        a.wait_event(type="CALL_ESTABLISHED", timeout=15)
        b.wait_event(type="CALL_ESTABLISHED", timeout=5)
    except ttylab.LabError as e:
        B.fail("baresip call did not connect: %s\ncallee %s log tail:\n%s" % (
            e, b.user, b.log_tail(30)))
    for p in (a, b):
        B.check(p.audio_decoders()[-1:] == ["opus"],
                "baresip %s: decoders %r" % (p.user, p.audio_decoders()))
    n0 = len(a.events)
    time.sleep(SETTLE_S)
    prepare(cond, [a.pid, b.pid])
    w = run_bursts(lab, n, "baresip" + tag)
    B.check(not any(e.get("type") == "CALL_CLOSED" for e in a.events[n0:]),
            "baresip: the call closed early")
    a.hangup()
    b.wait_event(type="CALL_CLOSED", timeout=10)
    for p in (a, b):
        p.stop()
    return w


def browser_round_trip(lab, n):
    """ttyphone (media = webrtc, pulse on a_mic/a_ear) answers JsSIP in Chromium over wss;
    the page sends back what it hears (browser_page.js echo). Bursts into a_mouth come
    back on a_ear: ttyphone's capture, encoding and sending, the browser's NetEq and its
    encoder, ttyphone's jitter buffer and playback. Returns summarize() or why not."""
    why = ttylab.browser_missing()
    if why:
        return why
    pa = lab.pulse
    p = lab.phone("carol", transport="wss", account={"media": "webrtc"},
                  media={"codecs": "opus"}, backend="pulse", capture="a_mic",
                  playback="a_ear", env=phone_env(pa, "a"), auto_answer=True,
                  name="tty-with-browser")
    p.wait_event(event="reg", state="registered", timeout=15)
    br = lab.browser("alice", tone_hz=1123.0)
    br.wait_event("registered", timeout=15)
    cid = br.call(lab.kam.aor("carol"))
    br.wait_event("call_confirmed", id=cid, timeout=20)
    p.wait_event(event="media", srtp=True, timeout=20)
    br.wait_event("track", id=cid, since=0, timeout=10)
    br.echo(cid)
    time.sleep(SETTLE_S)
    w = run_bursts(lab, n, "browser", both=False)
    br.hangup(cid)
    p.wait_event(event="call", state="ended", timeout=10)
    p.quit()
    return summarize(delays(w, "a_mouth", "a_ear", n))


def main():
    B.require_all(need_pulse=True)
    n = max(2, B.env_int("BENCH_BURSTS", 6))
    hogs = B.env_int("BENCH_LOAD_HOGS", 2)
    B.header("Mouth-to-ear delay through PulseAudio, %d bursts each way: quiet, under load "
             "(%d busy processes), after a %d ms stall" % (n, hogs,
                                                          B.env_int("BENCH_STALL_MS", 300)))
    waves = {}
    with ttylab.Lab(pulse=True) as lab:
        setup_devices(lab.pulse)
        cal = calibrate(lab, n)
        B.note("calibration: module-loopback latency_msec=%d measures %.1f ms (min %.1f, "
               "max %.1f)" % (CAL_LATENCY_MS, cal["median_ms"], cal["min_ms"],
                              cal["max_ms"]))
        for cond in CONDITIONS:
            for who, call in (("ttyphone", ttyphone_call), ("baresip", baresip_call)):
                if cond == "load":
                    with Hogs(hogs):
                        waves[(who, cond)] = call(lab, n, cond)
                else:
                    waves[(who, cond)] = call(lab, n, cond)
        browser = browser_round_trip(lab, n)
    res = {}
    for (who, cond), w in waves.items():
        r = res.setdefault(cond, {})[who] = {
            "a_to_b": summarize(delays(w, "a_mouth", "b_ear", n)),
            "b_to_a": summarize(delays(w, "b_mouth", "a_ear", n))}
        for d in ("a_to_b", "b_to_a"):
            s = r[d]
            B.note("%-8s %s%s: median %.1f ms, min %.1f, max %.1f: %s" % (
                who, d.replace("_", " "), CONDITION_LABEL[cond], s["median_ms"],
                s["min_ms"], s["max_ms"], " ".join("%.0f" % x for x in s["all_ms"])))
            parts = breakdown(cond, d, s["median_ms"]) if who == "ttyphone" else None
            if parts:
                s["breakdown"] = parts
                B.note("  where it went: %.0f ms packet + %.1f ms Opus look-ahead + %.0f ms "
                       "capture queued beyond a frame + %.0f ms from arrival to playout + "
                       "%.0f ms playback queue; the lab's rest %.1f ms" % (
                           parts["frame_ms"], parts["opus_lookahead_ms"],
                           parts["capture_beyond_frame_ms"], parts["arrival_to_playout_ms"],
                           parts["playback_queue_ms"], parts["rest_ms"]))
    detail = {"bursts": n, "load_hogs": hogs, "stall_ms": B.env_int("BENCH_STALL_MS", 300),
              "calibration": dict(cal, target_ms=CAL_LATENCY_MS),
              "ttyphone_stats": TTY_STATS, **res}
    for cond in CONDITIONS:
        suffix = "" if cond == "quiet" else "_" + cond
        # Short enough for run_all's table: "under load: mouth-to-ear caller -> callee".
        pre = {"quiet": "mouth-to-ear, ", "load": "under load: mouth-to-ear ",
               "stall": "after stall: mouth-to-ear "}[cond]
        post = " (median)" if cond == "quiet" else ""
        r = res[cond]
        B.report("delay", "m2e_caller_to_callee_ms" + suffix,
                 "%scaller -> callee%s" % (pre, post), "ms",
                 r["ttyphone"]["a_to_b"]["median_ms"], r["baresip"]["a_to_b"]["median_ms"],
                 detail, digits=1)
        B.report("delay", "m2e_callee_to_caller_ms" + suffix,
                 "%scallee -> caller%s" % (pre, post), "ms",
                 r["ttyphone"]["b_to_a"]["median_ms"], r["baresip"]["b_to_a"]["median_ms"],
                 detail, digits=1)
        worst = {who: max(r[who][d]["max_ms"] for d in ("a_to_b", "b_to_a")) for who in r}
        B.report("delay", "m2e_worst_ms" + suffix, "%sworst burst" % pre, "ms",
                 worst["ttyphone"], worst["baresip"], detail, digits=1)
    B.report("delay", "calibration_ms", "calibration: loopback of %d ms measures"
             % CAL_LATENCY_MS, "ms", cal["median_ms"], None, detail, digits=1)
    if isinstance(browser, str):
        B.note("round trip through a browser: skipped: %s" % browser)
        return
    B.note("round trip through a browser (WebRTC, its echo): median %.1f ms, min %.1f, max "
           "%.1f: %s; ttyphone -> ttyphone one way, quiet: %.1f ms" % (
               browser["median_ms"], browser["min_ms"], browser["max_ms"],
               " ".join("%.0f" % x for x in browser["all_ms"]),
               res["quiet"]["ttyphone"]["a_to_b"]["median_ms"] if "quiet" in res else -1))
    # One way into the browser is about half of this (the browser's side of the trip is
    # its NetEq and its encoder, no sound card). No baresip column: it speaks no WebRTC.
    B.report("delay", "browser_round_trip_ms", "round trip via a browser's echo (WebRTC)",
             "ms", browser["median_ms"], None, dict(detail, browser=browser), digits=1)


if __name__ == "__main__":
    B.run_main(main)
