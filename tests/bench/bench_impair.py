#!/usr/bin/env python3
"""Sound on a bad network, ttyphone beside baresip (issue 16).

The same call for each: caller and callee through Kamailio, the media through the lab's
impairing relay (tests/lib/ttylab_relay.py, seeded and reseeded before every call, so both
phones meet the same losses packet for packet), both phones on the lab's real PulseAudio
with the 4-channel set-up of bench_delay.py (every mouth and ear a channel of one sink,
recorded by one parecord: one sample clock). Each mouth gets BURSTS bursts of 700 ms of
1019 Hz at -9 dBFS, one a second (the callee's half a second after the caller's). Cases,
each way:
  (a) 5 % random loss, 0-40 ms uniform jitter (which also reorders)
  (b) 10 % loss in bursts of exactly 3 packets (60 ms)
  (c) 2 % random loss, 5 % of packets held back 30 ms (behind the next one or two), 5 %
      sent twice
and (0), a clean network, first: the reference the delays are added to. All of it for
Opus (32 kbit/s, mono) and for PCMA. Per case and phone, over both directions:
  - unclean windows: the share of 20 ms windows in the bursts' bodies (100 ms after the
    heard onset to 60 ms before the burst ends) whose residual after removing a fitted
    1019 Hz sine is within 20 dB of the tone (ttylab_relay.tone_windows: a lost and badly
    concealed packet, a gap, a stretch or a click; 1019 Hz is not whole cycles in 20 ms, so
    a skipped packet shows)
  - residual: all residual energy over all tone energy in those windows, dB
  - delay: the median mouth-to-ear delay of the bursts (the onset on the ear channel minus
    the onset on the mouth channel, as bench_delay measures it), ms; and the delay added:
    that minus the same phone's in the clean call (what the jitter buffer grew by)
  - ttyphone's concealment counters from its last `stats` event (lost, late,
    concealed_ms, jitter buffer underruns, playback underruns, jb_ms), summed over both
    ends; baresip 1.0 reports none through ctrl_tcp. The relay's counters (dropped,
    reordered, duplicated) show what the network did.

baresip: the lab's baresip through ALSA's pulse plugin (its only PulseAudio path), with
`module plc.so` (its spandsp packet loss concealment for codecs without their own, i.e.
G.711) and the lab's `jitter_buffer_delay 2-10`; Opus as shipped otherwise (no in-band
FEC), mono.

    TTYPHONE_BIN=$PWD/ttyphone python3 tests/bench/bench_impair.py          # ~2.5 min
    TTYPHONE_BIN=$PWD/ttyphone python3 tests/bench/bench_impair.py --quick  # (a) Opus only
    BENCH_IMPAIR_CASES=a,b BENCH_IMPAIR_CODECS=pcma BENCH_BURSTS=8 ...

Figures are printed, never judged. Fails when a call does not connect, has the wrong
codec, ends early, its media did not pass the relay, or a burst is not heard.
"""

import math
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402
import bench_delay as D  # noqa: E402  (the 4-channel PulseAudio set-up and onsets)
from ttylab_audio import silence_samples, tone_samples, write_wav  # noqa: E402
from ttylab_relay import tone_windows  # noqa: E402

RATE = D.RATE
TONE_HZ = 1019.0
BURST_S = 0.7
PERIOD_S = 1.0
SKIP_START_MS = 100.0       # the onset's own window and the first concealment settling
SKIP_END_MS = 60.0
UNCLEAN_DB = -20.0          # residual within 20 dB of the tone: a window one hears
SETTLE_S = 1.0
SEED = 16

CASES = {
    "0": ("(0) clean network", {}),
    "a": ("(a) 5% loss, 0-40 ms jitter", {"loss": 5, "jitter_ms": 40}),
    "b": ("(b) 10% loss in bursts of 3", {"loss": 10, "loss_burst": 3}),
    "c": ("(c) 2% loss, reorder+dup 5%", {"loss": 2, "reorder": 5, "reorder_ms": 30,
                                          "duplicate": 5}),
}
CODECS = {"opus": ("opus", B.BARESIP_OPUS), "pcma": ("pcma", "pcma")}
TTY_KEYS = ("lost", "late", "concealed_ms", "underruns", "playback_underruns")
RELAY_KEYS = ("in", "dropped", "reordered", "duplicated", "max_loss_run", "max_gap_in_ms",
              "max_late_ms")


def burst_wav(path, n, lead_s):
    s = silence_samples(lead_s, RATE)
    for _ in range(n):
        s += tone_samples(TONE_HZ, BURST_S, RATE, 0.5)
        s += silence_samples(PERIOD_S - BURST_S, RATE)
    s += silence_samples(0.5, RATE)
    return write_wav(path, s, RATE)


def play_and_record(lab, n, tag):
    """Both mouths play their bursts while bench.monitor is recorded; returns the Wav."""
    pa = lab.pulse
    rec_path = lab.path("impair-%s.wav" % tag)
    wa = burst_wav(lab.path("impair-a.wav"), n, 0.5)
    wb = burst_wav(lab.path("impair-b.wav"), n, 0.5 + PERIOD_S / 2)
    rec = D.record4(pa, rec_path)
    time.sleep(0.2)
    players = [pa.play("a_mouth", wa, latency_ms=D.PLAYER_LATENCY_MS),
               pa.play("b_mouth", wb, latency_ms=D.PLAYER_LATENCY_MS)]
    deadline = time.monotonic() + n * PERIOD_S + 10
    for p in players:
        while p.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        B.check(not p.alive(), "pacat did not finish playing")
    time.sleep(0.6)                 # the last burst's tail through the slower phone
    rec.stop(timeout=3.0, sig=signal.SIGINT)
    w = ttylab.read_wav(rec_path)
    B.check(w.channels == 4, "recording has %d channels, not 4" % w.channels)
    return w


def analyse(w, mouth, ear, n):
    """One direction: [delay_ms per burst] and [(tone_rms, residual_rms) per window]."""
    m = D.burst_starts(D.onsets(w.data[D.CH_INDEX[mouth]]))
    B.check(len(m) == n, "%s: %d bursts in the recording, expected %d (onsets %r)" % (
        mouth, len(m), n, [round(x) for x in m]))
    e_on = D.onsets(w.data[D.CH_INDEX[ear]])
    ch = w.data[D.CH_INDEX[ear]]
    delays, wins = [], []
    for t in m:
        heard = [x for x in e_on if t < x <= t + 900.0]
        B.check(heard, "burst at %.0f ms on %s never reached %s (ear onsets %r)" % (
            t, mouth, ear, [round(x) for x in e_on]))
        delays.append(heard[0] - t)
        a = int((heard[0] + SKIP_START_MS) * RATE / 1000)
        b = int((heard[0] + BURST_S * 1000 - SKIP_END_MS) * RATE / 1000)
        wins += tone_windows(ch[a:b], RATE, TONE_HZ)
    return delays, wins


def quality(wins):
    """(unclean share in %, residual dB) of a list of (tone_rms, residual_rms)."""
    bad = sum(1 for t, r in wins
              if 20.0 * math.log10(max(r, 1e-6) / max(t, 1e-6)) > UNCLEAN_DB)
    tone_e = sum(t * t for t, _ in wins)
    res_e = sum(r * r for _, r in wins)
    return (100.0 * bad / len(wins),
            10.0 * math.log10(max(res_e, 1e-9) / max(tone_e, 1e-9)))


def prepare_relay(relay, settings):
    relay.clear()
    relay.reseed(SEED)
    relay.reset_counters()
    relay.set(**settings)


def check_relay(relay, who, settings):
    c = relay.counters()
    for d in ("a2b", "b2a"):
        B.check(c[d]["in"] > 0 and (c[d]["dropped"] > 0 or not settings.get("loss")),
                "%s: the media did not pass the impairing relay %s\n%s" % (
                    who, d, relay.describe()))
    return c


def ttyphone_call(lab, codec, settings, n, tag):
    pa = lab.pulse
    media = {"codecs": codec}
    prepare_relay(lab.relay, settings)
    a = lab.phone("alice", media=media, backend="pulse", capture="a_mic",
                  playback="a_ear", env=D.phone_env(pa, "a"), name="tty-a-" + tag)
    b = lab.phone("bob", media=media, backend="pulse", capture="b_mic",
                  playback="b_ear", env=D.phone_env(pa, "b"), auto_answer=True,
                  name="tty-b-" + tag)
    B.wait_registered_tty(a, b)
    a.send("call bob")
    est = a.wait_event(event="call", state="established", timeout=15)
    for p in (a, b):
        m = p.wait_event(event="media", since=0, timeout=5)
        B.check(m.get("codec") == codec, "ttyphone %s: codec %r" % (p.name, m.get("codec")))
    time.sleep(SETTLE_S)
    w = play_and_record(lab, n, "tty-" + tag)
    B.check(not a.find_events(event="call", state="ended"), "ttyphone: the call ended early")
    # The counters after the last burst: the next stats event (every 5 s) of each end.
    marks = {p: p.mark() for p in (a, b)}
    stats = {}
    for p, role in ((a, "caller"), (b, "callee")):
        s = p.wait_event(event="stats", since=marks[p], timeout=7)
        stats[role] = {k: s.get(k) for k in TTY_KEYS + ("jb_ms", "jitter_ms", "recv")}
    relay = check_relay(lab.relay, "ttyphone", settings)
    a.send("hangup %d" % est["id"])
    b.wait_event(event="call", state="ended", timeout=10)
    for p in (a, b):
        p.quit()
    return w, stats, relay


def baresip_call(lab, codec, settings, n, tag):
    pa = lab.pulse
    prepare_relay(lab.relay, settings)
    a = B.start_baresip(lab, "carol", audio="pulse", pulse_env=D.phone_env(pa, "a"),
                        codecs=codec, extra_config="module plc.so\n")
    b = B.start_baresip(lab, "dave", audio="pulse", pulse_env=D.phone_env(pa, "b"),
                        codecs=codec, answermode="auto", extra_config="module plc.so\n")
    a.wait_registered()
    b.wait_registered()
    a.dial(lab.kam.aor("dave"))
    try:
        a.wait_event(type="CALL_ESTABLISHED", timeout=15)
        b.wait_event(type="CALL_ESTABLISHED", timeout=5)
    except ttylab.LabError as e:
        B.fail("baresip call did not connect: %s\ncallee log tail:\n%s" % (
            e, b.log_tail(30)))
    want = "opus" if codec.startswith("opus") else codec.upper()
    for p in (a, b):
        dec = p.audio_decoders()
        B.check(dec[-1:] and dec[-1].lower() == want.lower(),
                "baresip %s: decoders %r, expected %s" % (p.user, dec, want))
    n0 = len(a.events)
    time.sleep(SETTLE_S)
    w = play_and_record(lab, n, "baresip-" + tag)
    B.check(not any(e.get("type") == "CALL_CLOSED" for e in a.events[n0:]),
            "baresip: the call closed early")
    relay = check_relay(lab.relay, "baresip", settings)
    a.hangup()
    b.wait_event(type="CALL_CLOSED", timeout=10)
    for p in (a, b):
        p.stop()
    return w, None, relay


def figures(w, n):
    d1, w1 = analyse(w, "a_mouth", "b_ear", n)
    d2, w2 = analyse(w, "b_mouth", "a_ear", n)
    unclean, residual = quality(w1 + w2)
    u1, _ = quality(w1)
    u2, _ = quality(w2)
    return {"unclean_pct": round(unclean, 1), "residual_db": round(residual, 1),
            "delay_ms": round(B.median(d1 + d2), 1), "windows": len(w1) + len(w2),
            "unclean_pct_a2b": round(u1, 1), "unclean_pct_b2a": round(u2, 1),
            "delays_ms": [round(x) for x in d1 + d2]}


def pick(env, default, known):
    v = [x.strip().lower() for x in os.environ.get(env, "").split(",") if x.strip()]
    bad = [x for x in v if x not in known]
    if bad:
        B.fail("%s: unknown %s (known: %s)" % (env, ", ".join(bad), ", ".join(known)))
    return v or default


def main():
    quick = "--quick" in sys.argv[1:]
    B.require_all(need_pulse=True)
    cases = pick("BENCH_IMPAIR_CASES", ["a"] if quick else list(CASES), CASES)
    cases.sort()                    # the clean reference first: delays are added to it
    codecs = pick("BENCH_IMPAIR_CODECS", ["opus"] if quick else list(CODECS), CODECS)
    n = max(2, B.env_int("BENCH_BURSTS", 3 if quick else 5))
    B.header("Tone bursts through the impairing relay (seed %d), %d bursts of %.0f ms each "
             "way, both phones on PulseAudio" % (SEED, n, BURST_S * 1000))
    res = {}
    with ttylab.Lab(pulse=True, rtpproxy=True) as lab:
        D.setup_devices(lab.pulse)
        for codec in codecs:
            tty_codec, bare_codec = CODECS[codec]
            for case in cases:
                label, settings = CASES[case]
                tag = "%s-%s" % (codec, case)
                r = res[(codec, case)] = {}
                for who, call, c in (("ttyphone", ttyphone_call, tty_codec),
                                     ("baresip", baresip_call, bare_codec)):
                    t0 = time.monotonic()
                    w, stats, relay = call(lab, c, settings, n, tag)
                    f = figures(w, n)
                    f["stats"] = stats
                    f["relay"] = {d: {k: relay[d][k] for k in RELAY_KEYS} for d in relay}
                    r[who] = f
                    B.note("%s %s %s: unclean %.1f %% of %d windows (a->b %.1f, b->a %.1f), "
                           "residual %.1f dB, delay %.0f ms (%s), relay dropped %d/%d, "
                           "reordered %d/%d, duplicated %d/%d; %.0f s" % (
                               who, codec, label, f["unclean_pct"], f["windows"],
                               f["unclean_pct_a2b"], f["unclean_pct_b2a"], f["residual_db"],
                               f["delay_ms"], " ".join(str(x) for x in f["delays_ms"]),
                               relay["a2b"]["dropped"], relay["b2a"]["dropped"],
                               relay["a2b"]["reordered"], relay["b2a"]["reordered"],
                               relay["a2b"]["duplicated"], relay["b2a"]["duplicated"],
                               time.monotonic() - t0))
                    if stats:
                        B.note("  ttyphone stats (caller / callee): " + ", ".join(
                            "%s %s/%s" % (k, stats["caller"].get(k), stats["callee"].get(k))
                            for k in TTY_KEYS + ("jb_ms", "jitter_ms")))
                    stalls = lab.relay.stalls()
                    if stalls:
                        B.note("  this machine stalled during the call: " + stalls)
    print()
    B.header("Per case, both directions together (ratio = ttyphone / baresip)")
    for (codec, case), r in res.items():
        label = CASES[case][0]
        t, b = r["ttyphone"], r["baresip"]
        detail = {"case": label, "codec": codec, "settings": CASES[case][1], "seed": SEED,
                  "bursts": n, "ttyphone": t, "baresip": b}
        ref = res.get((codec, "0"))
        for who, f in r.items():
            f["added_delay_ms"] = (round(f["delay_ms"] - ref[who]["delay_ms"], 1)
                                   if ref and case != "0" else None)
        rows = [("unclean_pct", "unclean 20 ms windows", "%", 1),
                ("residual_db", "residual", "dB", 1), ("delay_ms", "mouth-to-ear", "ms", 0)]
        if t["added_delay_ms"] is not None:
            rows.append(("added_delay_ms", "delay added to clean", "ms", 0))
        for key, fig, unit, digits in rows:
            B.report("impair", "%s_%s_%s" % (key, codec, case),
                     "%s %s: %s" % (label.split(")")[0] + ")", codec, fig), unit,
                     t[key], b[key], detail, digits=digits)
        sums = {k: sum((t["stats"][role].get(k) or 0) for role in ("caller", "callee"))
                for k in TTY_KEYS}
        B.report("impair", "concealed_ms_%s_%s" % (codec, case), "%s %s: concealed, both "
                 "ends" % (label.split(")")[0] + ")", codec), "ms", sums["concealed_ms"],
                 None, detail, digits=0)
        B.note("%s %s: ttyphone concealment, both ends: %s" % (
            label, codec, ", ".join("%s %s" % kv for kv in sums.items())))


if __name__ == "__main__":
    B.run_main(main)
