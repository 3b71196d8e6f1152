"""WAV generation and analysis for audio tests, standard library only (no numpy).

    write_tone("t.wav", 1000, seconds=2, rate=48000)
    a = analyze("rec.wav")          # {'rate':..., 'freq':..., 'rms_dbfs':..., ...}
    assert abs(a["freq"] - 1000) < 10

Samples are handled as lists of ints (-32768..32767), one list per channel. read_wav()
parses RIFF itself, so it reads the WAVE_FORMAT_EXTENSIBLE headers parecord writes for
more than two channels (Python 3.11's `wave` cannot), and recordings whose header was never
finalised (the data chunk then runs to the end of the file).
"""

import array
import cmath
import math
import struct
import sys

FULL_SCALE = 32768.0
SILENCE_DBFS = -120.0


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

def tone_samples(freq, seconds, rate=48000, amplitude=0.5, phase=0.0):
    """A sine tone as a list of int16 samples; amplitude is a fraction of full scale."""
    n = int(round(seconds * rate))
    a = amplitude * 32767.0
    w = 2.0 * math.pi * freq / rate
    return [int(round(a * math.sin(w * i + phase))) for i in range(n)]


def silence_samples(seconds, rate=48000):
    return [0] * int(round(seconds * rate))


def write_wav(path, samples, rate=48000, channels=1):
    """Write 16-bit PCM. `samples`: a list of ints (mono) or, for channels > 1, a list of
    per-channel lists of equal length."""
    if channels == 1:
        frames = array.array("h", samples)
    else:
        n = len(samples[0])
        frames = array.array("h", [0]) * (n * channels)
        for c in range(channels):
            frames[c::channels] = array.array("h", samples[c])
    if sys.byteorder != "little":
        frames.byteswap()
    data = frames.tobytes()
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ",
                         16, 1, channels, rate, rate * channels * 2, channels * 2, 16,
                         b"data", len(data))
    with open(path, "wb") as f:
        f.write(header)
        f.write(data)
    return path


def write_tone(path, freq=1000.0, seconds=1.0, rate=48000, amplitude=0.5, lead_silence=0.0,
               gap_at=None, gap_ms=0):
    """Mono 16-bit tone WAV. Optionally `lead_silence` seconds of silence first, and a gap
    of `gap_ms` of silence starting `gap_at` seconds into the tone."""
    s = silence_samples(lead_silence, rate) + tone_samples(freq, seconds, rate, amplitude)
    if gap_at is not None and gap_ms:
        start = int((lead_silence + gap_at) * rate)
        end = min(len(s), start + int(gap_ms * rate / 1000))
        for i in range(start, end):
            s[i] = 0
    return write_wav(path, s, rate)


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------

class Wav:
    def __init__(self, rate, channels, data):
        self.rate = rate
        self.channels = channels
        self.data = data            # list of per-channel lists of ints

    @property
    def samples(self):
        """Channel 0."""
        return self.data[0]

    @property
    def duration_ms(self):
        return 1000.0 * len(self.data[0]) / self.rate if self.rate else 0.0


def read_wav(path):
    """Read a 16-bit (or 32-bit float / 32-bit int) PCM WAV into a Wav."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError("%s: not a RIFF/WAVE file" % path)
    pos = 12
    fmt = None
    data = None
    while pos + 8 <= len(raw):
        cid, size = struct.unpack_from("<4sI", raw, pos)
        body = pos + 8
        if cid == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", raw, body)
            if tag == 0xFFFE and size >= 40:
                tag = struct.unpack_from("<H", raw, body + 24)[0]
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            if size == 0 or size == 0xFFFFFFFF or body + size > len(raw):
                size = len(raw) - body
            data = raw[body:body + size]
            break
        pos = body + size + (size & 1)
    if fmt is None or data is None:
        raise ValueError("%s: no fmt/data chunk" % path)
    tag, channels, rate, bits = fmt
    if tag == 1 and bits == 16:
        frames = array.array("h")
        frames.frombytes(data[:len(data) - len(data) % 2])
        if sys.byteorder != "little":
            frames.byteswap()
    elif tag == 1 and bits == 32:
        frames = array.array("i")
        frames.frombytes(data[:len(data) - len(data) % 4])
        if sys.byteorder != "little":
            frames.byteswap()
        frames = array.array("h", (v >> 16 for v in frames))
    elif tag == 3 and bits == 32:
        fl = array.array("f")
        fl.frombytes(data[:len(data) - len(data) % 4])
        if sys.byteorder != "little":
            fl.byteswap()
        frames = array.array("h", (max(-32768, min(32767, int(v * 32767))) for v in fl))
    else:
        raise ValueError("%s: unsupported WAV format tag %d, %d bits" % (path, tag, bits))
    n = len(frames) // channels
    chans = [frames[c:n * channels:channels].tolist() for c in range(channels)]
    return Wav(rate, channels, chans)


def load(path_or_samples, rate=None, channel=0):
    """(samples, rate) from a path or from (samples, rate)."""
    if isinstance(path_or_samples, str):
        w = read_wav(path_or_samples)
        return w.data[channel], w.rate
    if rate is None:
        raise ValueError("rate is required with raw samples")
    return path_or_samples, rate


# ---------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------

def rms(samples):
    if not samples:
        return 0.0
    return math.sqrt(sum(v * v for v in samples) / len(samples))


def to_dbfs(value):
    return 20.0 * math.log10(value / FULL_SCALE) if value > 0 else SILENCE_DBFS


def rms_dbfs(samples):
    """RMS level in dBFS (a full-scale square wave is 0, a full-scale sine about -3)."""
    return to_dbfs(rms(samples))


def _window_levels(samples, rate, window_ms):
    n = max(1, int(rate * window_ms / 1000.0))
    out = []
    for i in range(0, len(samples) - n + 1, n):
        seg = samples[i:i + n]
        out.append(to_dbfs(math.sqrt(sum(v * v for v in seg) / n)))
    return out, n


def onset_ms(samples, rate, threshold_dbfs=-30.0, window_ms=5.0):
    """Time in ms of the first sound: the first window over the threshold, refined to the
    first sample in it whose magnitude exceeds the threshold's peak amplitude. None if the
    whole signal stays under the threshold."""
    levels, n = _window_levels(samples, rate, window_ms)
    amp = FULL_SCALE * 10 ** (threshold_dbfs / 20.0)
    for k, lv in enumerate(levels):
        if lv >= threshold_dbfs:
            start = max(0, (k - 1) * n)
            for i in range(start, min(len(samples), (k + 1) * n)):
                if abs(samples[i]) >= amp:
                    return 1000.0 * i / rate
            return 1000.0 * k * n / rate
    return None


def silent_gaps(samples, rate, threshold_dbfs=-40.0, window_ms=5.0, include_trailing=False):
    """[(start_ms, length_ms)] of runs of windows under the threshold after the first sound
    (and, unless include_trailing, before the last one)."""
    levels, n = _window_levels(samples, rate, window_ms)
    loud = [lv >= threshold_dbfs for lv in levels]
    if True not in loud:
        return []
    first = loud.index(True)
    last = len(loud) - 1 - loud[::-1].index(True)
    end = len(loud) if include_trailing else last + 1
    gaps = []
    run_start = None
    for k in range(first, end):
        if not loud[k]:
            if run_start is None:
                run_start = k
        elif run_start is not None:
            gaps.append((run_start, k - run_start))
            run_start = None
    if run_start is not None:
        gaps.append((run_start, end - run_start))
    step = 1000.0 * n / rate
    return [(s * step, ln * step) for s, ln in gaps]


def longest_gap_ms(samples, rate, threshold_dbfs=-40.0, window_ms=5.0,
                   include_trailing=False):
    """Longest silent gap (ms) between sounds; 0.0 if there is none."""
    gaps = silent_gaps(samples, rate, threshold_dbfs, window_ms, include_trailing)
    return max((g[1] for g in gaps), default=0.0)


def _fft(x):
    """In-place iterative radix-2 FFT of a list of complex numbers (len a power of 2)."""
    n = len(x)
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            x[i], x[j] = x[j], x[i]
    size = 2
    while size <= n:
        half = size // 2
        wstep = cmath.exp(-2j * math.pi / size)
        for start in range(0, n, size):
            w = 1.0 + 0j
            for k in range(start, start + half):
                t = w * x[k + half]
                x[k + half] = x[k] - t
                x[k] = x[k] + t
                w *= wstep
        size *= 2
    return x


def spectrum(samples, rate, n=None, segments=4):
    """Averaged magnitude spectrum (Hann window, Welch over up to `segments` evenly spread
    segments of the loudest part). Returns (magnitudes[0..n/2], bin_hz)."""
    if n is None:
        n = 8192 if rate > 16000 else 4096
    while n > len(samples) and n > 256:
        n //= 2
    if len(samples) < n:
        samples = list(samples) + [0] * (n - len(samples))
    hann = [0.5 - 0.5 * math.cos(2 * math.pi * i / (n - 1)) for i in range(n)]
    starts = [0] if len(samples) == n else [
        int(k * (len(samples) - n) / max(1, segments - 1)) for k in range(segments)]
    acc = [0.0] * (n // 2 + 1)
    for s in sorted(set(starts)):
        seg = samples[s:s + n]
        x = [complex(seg[i] * hann[i], 0.0) for i in range(n)]
        _fft(x)
        for k in range(n // 2 + 1):
            acc[k] += abs(x[k])
    return acc, rate / float(n)


def dominant_frequency(samples, rate, fmin=50.0, fmax=None):
    """Frequency (Hz) of the strongest spectral peak between fmin and fmax, refined by
    parabolic interpolation on log magnitudes. None for silence."""
    if not samples or rms(samples) == 0:
        return None
    # Analyse where there is sound: skip leading/trailing silence.
    on = onset_ms(samples, rate, threshold_dbfs=-50.0)
    if on is not None:
        samples = samples[int(on * rate / 1000):]
    mags, bin_hz = spectrum(samples, rate)
    fmax = fmax or rate / 2.0
    lo = max(1, int(fmin / bin_hz))
    hi = min(len(mags) - 2, int(fmax / bin_hz))
    k = max(range(lo, hi + 1), key=lambda i: mags[i])
    a, b, c = (math.log(mags[k - 1] + 1e-9), math.log(mags[k] + 1e-9),
               math.log(mags[k + 1] + 1e-9))
    denom = a - 2 * b + c
    delta = 0.5 * (a - c) / denom if denom else 0.0
    return (k + delta) * bin_hz


def goertzel_power(samples, rate, freq):
    """Relative power of `freq` in `samples` (Goertzel), normalised by length."""
    w = 2.0 * math.pi * freq / rate
    coeff = 2.0 * math.cos(w)
    s1 = s2 = 0.0
    for v in samples:
        s0 = v + coeff * s1 - s2
        s2, s1 = s1, s0
    p = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return p / (len(samples) ** 2) if samples else 0.0


def analyze(path_or_samples, rate=None, channel=0, threshold_dbfs=-40.0, window_ms=5.0):
    """Everything at once: rate, duration_ms, rms_dbfs (of the part after the onset),
    freq, onset_ms, longest_gap_ms, gaps."""
    samples, rate = load(path_or_samples, rate, channel)
    on = onset_ms(samples, rate, threshold_dbfs=threshold_dbfs, window_ms=window_ms)
    body = samples[int(on * rate / 1000):] if on is not None else samples
    return {
        "rate": rate,
        "duration_ms": 1000.0 * len(samples) / rate if rate else 0.0,
        "onset_ms": on,
        "rms_dbfs": rms_dbfs(body),
        "freq": dominant_frequency(samples, rate),
        "longest_gap_ms": longest_gap_ms(samples, rate, threshold_dbfs, window_ms),
        "gaps": silent_gaps(samples, rate, threshold_dbfs, window_ms),
    }


__all__ = ["write_wav", "write_tone", "tone_samples", "silence_samples", "read_wav", "Wav",
           "rms", "rms_dbfs", "to_dbfs", "onset_ms", "silent_gaps", "longest_gap_ms",
           "spectrum", "dominant_frequency", "goertzel_power", "analyze"]
