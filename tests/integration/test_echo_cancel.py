#!/usr/bin/env python3
"""Echo cancellation ([audio] echo_cancel) over a real acoustic path made of PulseAudio.

bob's speaker and microphone share one null sink, "room": bob plays into it and captures
its monitor, so everything bob plays comes straight back into bob's microphone (an ideal
acoustic echo, ~35-45 ms later). alice (WAV backend) says a 1019 Hz tone and records what
she hears, which is what bob sends: her own voice coming back, unless bob cancels it. After
7 s a near-end talker starts in bob's room: a 700 Hz tone played into the same sink, so
bob's microphone holds echo and near-end speech at once (double talk).

Each run calls twice, bob without and then with echo cancellation, and measures, in what
alice hears (Hann-windowed Goertzel levels over 200 ms windows, medians):
  - the echo (1019 Hz) from 2 s after the call is up until the near end starts (~5 s of
    windows): present without cancellation, down by at least ERLE_MIN_DB with it;
  - the near-end talker (700 Hz) during double talk: within NEAR_END_TOL_DB of its level
    without cancellation (the canceller does not eat the near end);
  - bob's media and stats events say "aec": false / true.
"""

import math
import statistics
import time

import ttylab
from ttylab import read_wav, write_tone

ttylab.require_ttyphone()
ttylab.require_tools("kamailio", "pulseaudio", "pactl", "pacat")

ECHO_HZ = 1019.0        # alice's voice, and its echo
NEAR_HZ = 700.0         # bob's near-end talker
WINDOW_S = 0.2
CONVERGE_S = 2.0        # echo measured from here on (after the call is up)
NEAR_AFTER_S = 7.0      # the near-end talker starts this long after the call is up
NEAR_S = 3.0
# Measured on the 2-core build machine (about 40 runs, load 2-6 from other suites): the
# echo comes back at -9 dBFS without cancellation; with it, 40-80 dB lower while the audio
# path stays put. At load 5-6 about one call in four had PulseAudio underruns that moved
# the echo path (its latency grew from 35 ms up to 370 ms within a call) during the window,
# and each move costs the filter a second or two of learning: 0-30 dB in those calls,
# hence a second call. The near end comes through -1 to +2 dB from its level without
# cancellation (Opus codes the lone tone about 1 dB louder than beside a loud echo).
ECHO_PRESENT_DBFS = -20.0
ERLE_MIN_DB = 25.0
NEAR_END_TOL_DB = 3.0


def tone_dbfs(samples, rate, freq):
    """RMS level in dBFS of the `freq` component of `samples` (Hann-windowed Goertzel: the
    other tone, 319 Hz away, leaks in at under -90 dB)."""
    n = len(samples)
    if n == 0:
        return -200.0
    w = 2.0 * math.pi * freq / rate
    coeff = 2.0 * math.cos(w)
    s1 = s2 = 0.0
    k = 2.0 * math.pi / (n - 1)
    for i, v in enumerate(samples):
        s0 = v * (0.5 - 0.5 * math.cos(k * i)) + coeff * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    amplitude = 4.0 * math.sqrt(max(power, 0.0)) / n      # the Hann window sums to n/2
    rms = amplitude / math.sqrt(2.0)
    return 20.0 * math.log10(rms / 32768.0) if rms > 0 else -200.0


def levels(path, freq):
    w = read_wav(path)
    x, rate = w.data[0], w.rate
    n = int(WINDOW_S * rate)
    return [(i / rate, tone_dbfs(x[i:i + n], rate, freq))
            for i in range(0, len(x) - n + 1, n)], len(x) / rate


def median_between(series, t0, t1):
    vals = [db for t, db in series if t0 <= t and t + WINDOW_S <= t1]
    if not vals:
        raise AssertionError("no window between %.1f s and %.1f s" % (t0, t1))
    return statistics.median(vals)


class EchoCancel(ttylab.LabTestCase):
    lab_args = {"pulse": True}

    def setUp(self):
        super().setUp()
        self.lab.pulse.add_sink("room")
        self.voice = self.lab.path("voice.wav")
        write_tone(self.voice, freq=ECHO_HZ, seconds=10.0, rate=48000, amplitude=0.5)
        self.near = self.lab.path("near.wav")
        write_tone(self.near, freq=NEAR_HZ, seconds=NEAR_S, rate=48000, amplitude=0.1)

    def call(self, callee, aec):
        """alice calls `callee` (in the room, echo_cancel = aec); returns what alice heard
        and the callee's media event and last stats event."""
        heard = self.lab.path("alice-hears-%s.wav" % callee)
        a = self.lab.phone("alice", name="alice-to-" + callee, backend="file",
                           input=self.voice, output=heard)
        b = self.lab.phone(callee, backend="pulse", capture="room.monitor", playback="room",
                           echo_cancel=aec, auto_answer=True, env=self.lab.pulse.env)
        for p in (a, b):
            p.wait_event(event="reg", state="registered")
        a.send("call %s" % callee)
        est = a.wait_event(event="call", state="established")
        media = b.wait_event(event="media", since=0)
        time.sleep(NEAR_AFTER_S)
        player = self.lab.pulse.play("room", self.near)
        time.sleep(NEAR_S + 0.3)
        player.stop()
        stats = b.find_events(event="stats")
        self.assertTrue(stats, "%s: no stats event" % callee)
        a.send("hangup %d" % est["id"])
        b.wait_event(event="call", state="ended")
        a.quit()
        b.quit()
        return heard, media, stats[-1]

    def measure(self, heard, what):
        echo, length = levels(heard, ECHO_HZ)
        near, _ = levels(heard, NEAR_HZ)
        # The near end's onset, by content: the first window it is clearly there.
        onset = next((t for t, db in near if db > -40.0), None)
        self.assertIsNotNone(onset, "%s: the near-end talker never reached alice" % what)
        self.assertGreater(onset, CONVERGE_S + 1.0, "%s: near end too early" % what)
        m = {
            "echo": median_between(echo, CONVERGE_S, onset - 0.2),
            "near": median_between(near, onset + 0.4, min(onset + NEAR_S - 0.2, length)),
            "echo_double_talk": median_between(echo, onset + 0.4,
                                               min(onset + NEAR_S - 0.2, length)),
        }
        print("%s: echo %.1f dBFS, near end %.1f dBFS, echo during double talk %.1f dBFS "
              "(near end from %.1f s)" % (what, m["echo"], m["near"], m["echo_double_talk"],
                                           onset))
        return m

    def test_echo_is_cancelled_and_the_near_end_talker_is_not(self):
        heard, media, stats = self.call("bob", "no")
        self.assertIs(media["aec"], False, media)
        self.assertIs(stats["aec"], False, stats)
        off = self.measure(heard, "echo_cancel = no")
        # 1. Without cancellation alice hears herself: the echo the test is about exists.
        self.assertGreater(off["echo"], ECHO_PRESENT_DBFS, off)

        # Two calls at most with cancellation: on this 2-core machine, with other suites
        # running, PulseAudio's streams underrun now and then, each underrun moves the echo
        # path, and the filter needs a second or two to learn it again (seen at load 5:
        # one call in eight). A real defect shows in both calls.
        for attempt, callee in ((1, "carol"), (2, "dave")):
            heard, media, stats = self.call(callee, "yes")
            # 4. The events say it runs.
            self.assertIs(media["aec"], True, media)
            self.assertIs(stats["aec"], True, stats)
            self.assertTrue(stats["audio_ok"], stats)
            on = self.measure(heard, "echo_cancel = yes (call %d)" % attempt)
            erle = off["echo"] - on["echo"]
            erle_dt = off["echo_double_talk"] - on["echo_double_talk"]
            near_change = on["near"] - off["near"]
            print("ERLE %.1f dB after %.0f s (%.1f dB during double talk); near end %+.1f dB"
                  % (erle, CONVERGE_S, erle_dt, near_change))
            if attempt == 2 or (erle >= ERLE_MIN_DB and abs(near_change) <= NEAR_END_TOL_DB):
                break
            print("call 1 missed the mark, measuring once more")
        # 2. The echo is gone after the canceller has converged.
        self.assertGreaterEqual(erle, ERLE_MIN_DB, (off, on))
        # 3. The near-end talker still gets through at about the same level.
        self.assertLessEqual(abs(near_change), NEAR_END_TOL_DB, (off, on))


if __name__ == "__main__":
    ttylab.main()
