#!/usr/bin/env python3
"""WebRTC media (ICE, DTLS-SRTP) against plain RTP, ttyphone against itself: the column
headed "baresip" holds the same figure for a plain RTP call (no SRTP) in the same run, so
the ratio is what WebRTC adds. Then, when the browser lab can run, a Chromium web phone.

  call set-up       `call bob` -> bob's media event with "srtp": true (WebRTC: ICE
                    gathering, INVITE, ICE checks, DTLS handshake) or bob's established
                    event (plain), two ttyphones through the lab's Kamailio over UDP,
                    BENCH_CALLS (default 5); bob answers by himself
  CPU per minute    utime+stime of both ends over a window (BENCH_SECONDS scales 20 s) of
                    an established Opus call carrying a tone each way
  USS               the larger peak private memory of the two ends during that window
  browser set-up    JsSIP in Chromium calls ttyphone (auto answer): from the page's call
                    to the page's analyser hearing ttyphone's tone (first audio), and to
                    ttyphone's webrtc "connected" event; BENCH_CALLS times

Figures are printed, never judged. Fails only if a call does not connect."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
from benchlib import ttylab  # noqa: E402

TTY_HZ = 887.0


def pair(lab, tone, media, tag):
    acc = {"media": media}
    a = lab.phone("alice", account=acc, codecs="opus", backend="file", input=tone, output="",
                  name="caller-%s" % tag)
    b = lab.phone("bob", codecs="opus", backend="file", input=tone, output="",
                  auto_answer=True, name="callee-%s" % tag)
    B.wait_registered_tty(a, b)
    time.sleep(1.0)
    return a, b


def setups(a, b, webrtc, n):
    out = []
    for _ in range(n):
        since, bsince = a.mark(), b.mark()
        t0 = time.monotonic()
        a.send("call bob")
        if webrtc:
            done = b.wait_event(event="media", srtp=True, since=bsince, timeout=20)
        else:
            done = b.wait_event(event="call", state="established", since=bsince, timeout=15)
        out.append((done["_t"] - t0) * 1000.0)
        est = a.wait_event(event="call", state="established", since=since, timeout=15)
        a.send("hangup %d" % est["id"])
        a.wait_event(event="call", state="ended", id=est["id"], since=since, timeout=10)
        b.wait_event(event="call", state="ended", since=bsince, timeout=10)
        time.sleep(0.3)
    return out


def call_cpu(a, b, webrtc, secs):
    since, bsince = a.mark(), b.mark()
    a.send("call bob")
    if webrtc:
        b.wait_event(event="media", srtp=True, since=bsince, timeout=20)
    est = a.wait_event(event="call", state="established", since=since, timeout=15)
    time.sleep(2.0)
    d = B.measure([a.pid, b.pid], secs)
    B.check(not a.find_events(event="call", state="ended", since=since),
            "the call ended during the window")
    a.send("hangup %d" % est["id"])
    a.wait_event(event="call", state="ended", id=est["id"], since=since, timeout=10)
    da, db = d[a.pid], d[b.pid]
    return ((da.cpu_s + db.cpu_s) * 60.0 / da.seconds,
            max(da.uss_peak_kb, db.uss_peak_kb) / 1024.0)


def browser_setups(lab, tone, n):
    why = ttylab.browser_missing()
    if why:
        return why
    p = lab.phone("carol", transport="wss", backend="file", input=tone, output="",
                  auto_answer=True, name="carol-browser")
    p.wait_event(event="reg", state="registered", timeout=15)
    br = lab.browser("alice", tone_hz=1123.0)
    br.wait_event("registered", timeout=15)
    first_audio, connected = [], []
    for _ in range(n):
        since = p.mark()
        t0 = time.monotonic()
        cid = br.call(lab.kam.aor("carol"))
        br.wait_tone(TTY_HZ, id=cid, timeout=20)
        first_audio.append((time.monotonic() - t0) * 1000.0)
        conn = p.wait_event(event="webrtc", state="connected", since=since, timeout=20)
        connected.append((conn["_t"] - t0) * 1000.0)
        br.hangup(cid)
        br.wait_event(("call_ended", "call_failed"), id=cid)
        p.wait_event(event="call", state="ended", since=since, timeout=10)
        time.sleep(0.3)
    return first_audio, connected


def main():
    B.require_all(need_baresip=False)
    n = max(1, B.env_int("BENCH_CALLS", 5))
    secs = B.window(20.0)
    B.header("WebRTC media against plain RTP (reference column: ttyphone plain RTP)")
    with ttylab.Lab() as lab:
        tone = B.tone_file(lab, 3.0, freq=TTY_HZ)
        res = {}
        for media, webrtc in (("webrtc", True), ("rtp", False)):
            a, b = pair(lab, tone, media, media)
            res[media] = {"setup_ms": setups(a, b, webrtc, n)}
            res[media]["cpu"], res[media]["uss_mb"] = call_cpu(a, b, webrtc, secs)
            a.quit()
            b.quit()
        br = browser_setups(lab, tone, n)
    for media in ("webrtc", "rtp"):
        B.note("set-up %-6s median %.1f ms: %s" % (
            media, B.median(res[media]["setup_ms"]),
            " ".join("%.1f" % x for x in res[media]["setup_ms"])))
    B.report("webrtc", "setup_ms", "call set-up to keyed media (plain beside)", "ms",
             B.median(res["webrtc"]["setup_ms"]), B.median(res["rtp"]["setup_ms"]), res,
             digits=1)
    B.report("webrtc", "cpu_s_per_min", "CPU per call-minute, both ends", "s/min",
             res["webrtc"]["cpu"], res["rtp"]["cpu"], res, digits=3)
    B.report("webrtc", "uss_mb", "peak USS of one end in a call", "MB",
             res["webrtc"]["uss_mb"], res["rtp"]["uss_mb"], res, digits=1)
    if isinstance(br, str):
        B.note("browser set-up: skipped: %s" % br)
        return
    first_audio, connected = br
    B.note("browser first audio: %s ms" % " ".join("%.0f" % x for x in first_audio))
    B.report("webrtc", "browser_first_audio_ms", "browser calls us: first audio heard",
             "ms", B.median(first_audio), None, {"first_audio_ms": first_audio},
             digits=0)
    B.report("webrtc", "browser_keyed_ms", "browser calls us: DTLS keys in", "ms",
             B.median(connected), None, {"connected_ms": connected}, digits=0)


if __name__ == "__main__":
    B.run_main(main)
