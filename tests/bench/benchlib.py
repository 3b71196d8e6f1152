"""Shared plumbing for the ttyphone benchmarks (tests/bench): process accounting from
/proc, window lengths, the result format, and loud failures.

Every benchmark script prints human lines on stdout and, when BENCH_RESULTS names a file,
appends one JSON object per figure to it:

    {"bench": "call_cpu", "figure": "cpu_s_per_min", "label": "...", "unit": "s/min",
     "ttyphone": 1.23, "baresip": 2.34, "detail": {...}}

tests/bench/run_all collects those into one table. Benchmarks never judge timing: they
exit 0 whatever the figures are, and exit 1 (with the reason) when the thing they measure
did not happen (a call that never connected, no audio, a process that died). Exit 77
means a prerequisite is missing (no ttyphone binary, no kamailio, no baresip).

Standard library only (Python 3.11).
"""

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.normpath(os.path.join(HERE, "..", "lib"))
if LIB not in sys.path:
    sys.path.insert(0, LIB)

import ttylab  # noqa: E402  (the lab library, tests/lib)

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class BenchFailure(Exception):
    """The measured thing did not happen: the benchmark must fail."""


def fail(msg):
    raise BenchFailure(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def scale():
    """BENCH_SECONDS / 30: the factor every window is multiplied by (1.0 by default)."""
    v = os.environ.get("BENCH_SECONDS", "").strip()
    if not v:
        return 1.0
    try:
        s = float(v)
    except ValueError:
        sys.stderr.write("bench: ignoring BENCH_SECONDS=%r (not a number)\n" % v)
        return 1.0
    return max(0.05, s / 30.0)


def window(default_s, minimum=2.0):
    """A measuring window of `default_s` seconds at the default scale, scaled by
    BENCH_SECONDS (BENCH_SECONDS=30 is the default; 10 makes every window a third)."""
    return max(minimum, default_s * scale())


def env_int(name, default):
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


# ---------------------------------------------------------------------------------------
# /proc accounting
# ---------------------------------------------------------------------------------------

def _read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def proc_cpu_ticks(pid):
    """utime + stime of the whole process (every thread, dead ones included) in clock
    ticks, from /proc/PID/stat."""
    s = _read("/proc/%d/stat" % pid)
    fields = s[s.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15.
    return int(fields[11]) + int(fields[12])


def _status(path):
    out = {}
    for line in _read(path).splitlines():
        k, _, v = line.partition(":")
        out[k.strip()] = v.strip()
    return out


def proc_status(pid):
    return _status("/proc/%d/status" % pid)


def vm_kb(pid, key):
    """VmHWM / VmRSS / ... of a process in kB."""
    v = proc_status(pid).get(key, "")
    return int(v.split()[0]) if v else None


def threads(pid):
    """{tid: {"name", "vol", "invol", "ns"}} for the live threads of a process:
    voluntary/non-voluntary context switches and CPU time in ns (schedstat)."""
    out = {}
    base = "/proc/%d/task" % pid
    try:
        tids = os.listdir(base)
    except OSError:
        return out
    for t in tids:
        try:
            st = _status("%s/%s/status" % (base, t))
            ns = int(_read("%s/%s/schedstat" % (base, t)).split()[0])
        except (OSError, ValueError, IndexError):
            continue
        out[int(t)] = {"name": st.get("Name", "?"),
                       "vol": int(st.get("voluntary_ctxt_switches", 0)),
                       "invol": int(st.get("nonvoluntary_ctxt_switches", 0)),
                       "ns": ns}
    return out


def uss_kb(pid):
    """The process's private memory (USS: Private_Clean + Private_Dirty, from
    /proc/PID/smaps_rollup): pages no other process maps, so what ending it would give
    back. RSS also counts every shared library page it touched, shared or not."""
    kb = 0
    for line in _read("/proc/%d/smaps_rollup" % pid).splitlines():
        k, _, v = line.partition(":")
        if k in ("Private_Clean", "Private_Dirty"):
            kb += int(v.split()[0])
    return kb


def rss_by_mapping(pid):
    """{name: [rss_kB, private_kB]} from /proc/PID/smaps: shared objects by base name,
    anonymous memory as [heap], [stack], [anon]."""
    out = {}
    cur = None
    for line in _read("/proc/%d/smaps" % pid).splitlines():
        f = line.split()
        if f and "-" in f[0] and not f[0].endswith(":"):
            cur = os.path.basename(f[5]) if len(f) > 5 else "[anon]"
            out.setdefault(cur, [0, 0])
        elif cur and f and f[0] == "Rss:":
            out[cur][0] += int(f[1])
        elif cur and f and f[0] in ("Private_Clean:", "Private_Dirty:"):
            out[cur][1] += int(f[1])
    return out


def rss_summary(by_map, top=10):
    """The largest resident mappings, one line: "libc.so.6 1624 (24 private), ..."."""
    rows = sorted(by_map.items(), key=lambda kv: -kv[1][0])
    libs = sum(1 for k in by_map if ".so" in k)
    return "%d shared objects; largest: %s" % (libs, ", ".join(
        "%s %d (%d)" % (k, v[0], v[1]) for k, v in rows[:top] if v[0] > 0))


class Sample:
    """A snapshot of one process: CPU ticks, per-thread counters, memory, at a time."""

    def __init__(self, pid):
        self.pid = pid
        self.t = time.monotonic()
        try:
            self.ticks = proc_cpu_ticks(pid)
            self.threads = threads(pid)
            st = proc_status(pid)
            self.uss_kb = uss_kb(pid)
        except OSError as e:
            raise BenchFailure("process %d vanished while being measured: %s" % (pid, e))
        self.hwm_kb = int(st.get("VmHWM", "0 kB").split()[0])
        self.rss_kb = int(st.get("VmRSS", "0 kB").split()[0])


class Delta:
    """What a process did between two Samples."""

    def __init__(self, a, b):
        self.seconds = b.t - a.t
        self.cpu_s = (b.ticks - a.ticks) / float(CLK_TCK)
        self.hwm_kb = b.hwm_kb
        self.rss_kb = b.rss_kb
        self.uss_peak_kb = max(a.uss_kb, b.uss_kb)
        per = {}
        for tid, tb in b.threads.items():
            ta = a.threads.get(tid, {"vol": 0, "invol": 0, "ns": 0, "name": tb["name"]})
            per[tid] = {"name": tb["name"], "vol": tb["vol"] - ta["vol"],
                        "invol": tb["invol"] - ta["invol"], "ns": tb["ns"] - ta["ns"],
                        "new": tid not in a.threads}
        self.per_thread = per
        self.vol = sum(p["vol"] for p in per.values())
        self.invol = sum(p["invol"] for p in per.values())
        self.sched_cpu_s = sum(p["ns"] for p in per.values()) / 1e9
        self.gone_threads = sorted(set(a.threads) - set(b.threads))

    def per_minute(self, v):
        return v * 60.0 / self.seconds if self.seconds > 0 else float("nan")

    def thread_summary(self):
        """'main 12 wake/min 1.2 ms/min, media 3000 ...' grouped by thread name."""
        by = {}
        for p in self.per_thread.values():
            g = by.setdefault(p["name"], {"n": 0, "vol": 0, "invol": 0, "ns": 0})
            g["n"] += 1
            g["vol"] += p["vol"]
            g["invol"] += p["invol"]
            g["ns"] += p["ns"]
        return {name: {"threads": g["n"],
                       "wakeups_per_min": round(self.per_minute(g["vol"]), 1),
                       "cpu_ms_per_min": round(self.per_minute(g["ns"] / 1e6), 2)}
                for name, g in sorted(by.items())}


def measure(pids, seconds, alive_check=None, poll=0.5):
    """Sample every pid, wait `seconds` (checking that every process stays alive and that
    alive_check(), if given, stays true), sample again. Returns {pid: Delta}."""
    first = {p: Sample(p) for p in pids}
    uss_peak = {p: first[p].uss_kb for p in pids}
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(poll, left))
        for p in pids:
            if not os.path.exists("/proc/%d" % p):
                fail("process %d died during the measuring window" % p)
            try:
                uss_peak[p] = max(uss_peak[p], uss_kb(p))
            except OSError:
                pass
        if alive_check:
            alive_check()
    out = {p: Delta(first[p], Sample(p)) for p in pids}
    for p, d in out.items():       # USS has no kernel high-water mark: the polls' peak
        d.uss_peak_kb = max(d.uss_peak_kb, uss_peak[p])
    return out


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------

def ratio(t, b):
    if t is None or b is None:
        return None
    if b == 0:
        return None if t == 0 else float("inf")
    return t / b


def fmt(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v == float("inf"):
            return "inf"
        if abs(v) >= 1000:
            return "%.0f" % v
        return ("%%.%df" % digits) % v
    return str(v)


def report(bench, figure, label, unit, tty, bare, detail=None, digits=2):
    """Print one figure (ttyphone, baresip, ratio) and append it to $BENCH_RESULTS."""
    r = ratio(tty, bare)
    print("  %-44s %10s %10s %8s  %s" % (label, fmt(tty, digits), fmt(bare, digits),
                                          fmt(r, 2) if r is not None else "-", unit))
    sys.stdout.flush()
    rec = {"bench": bench, "figure": figure, "label": label, "unit": unit,
           "ttyphone": tty, "baresip": bare, "ratio": r, "digits": digits,
           "detail": detail or {}}
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
    return rec


def header(title):
    print("== %s" % title)
    print("  %-44s %10s %10s %8s  %s" % ("figure", "ttyphone", "baresip", "ratio", "unit"))
    sys.stdout.flush()


def note(msg):
    print("  . %s" % msg)
    sys.stdout.flush()


def median(xs):
    return statistics.median(xs) if xs else None


def machine_note():
    """'2 cores, Intel(R) Xeon(R) ..., Linux 6.1' for the record."""
    model = "?"
    try:
        for line in _read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    u = os.uname()
    load = os.getloadavg()
    return "%d cores, %s, Linux %s, load %.2f %.2f %.2f" % (
        os.cpu_count() or 0, model, u.release, load[0], load[1], load[2])


def require_all(need_baresip=True, need_pulse=False):
    """Exit 77 (automake's SKIP) if a program the benchmark needs is missing."""
    ttylab.require_ttyphone()
    tools = ["kamailio"]
    if need_baresip:
        tools.append("baresip")
    if need_pulse:
        tools += ["pulseaudio", "pactl", "parecord", "pacat"]
    ttylab.require_tools(*tools)


def run_main(fn):
    """Run fn() and map failures to exit codes: BenchFailure / lab errors / assertion
    errors -> 1 with a 'BENCH FAILED' line, success -> 0."""
    try:
        fn()
    except BenchFailure as e:
        print("BENCH FAILED: %s" % e)
        sys.stdout.flush()
        sys.exit(1)
    except (ttylab.LabError, AssertionError) as e:
        print("BENCH FAILED: %s: %s" % (type(e).__name__, e))
        sys.stdout.flush()
        sys.exit(1)
    sys.exit(0)


# ---------------------------------------------------------------------------------------
# Phones for benchmarks
# ---------------------------------------------------------------------------------------

class BenchBaresip(ttylab.Baresip):
    """The lab's baresip with a player that does not spin, and mono Opus like ttyphone.

    With audio="file" the lab plays the received audio into ALSA's `null` device, whose
    writes never block: baresip's player thread then spins at 100 % of a core for the whole
    call (seen with gdb: alsa.so's thread looping in aubuf_read/snd_pcm_writei). That would
    be the lab's cost, not baresip's, so for CPU figures the player is an `aubridge` device
    with no partner: it is opened and never pulled, while decoding still happens in the
    receive path (opus_decode shows in perf). BENCH_BARESIP_PLAYER=alsa restores the lab's
    ALSA null player, to see the spin.

    Opus: `opus_stereo no` and `opus_sprop_stereo no`, so baresip encodes and asks for
    mono as ttyphone does (baresip's default is stereo); everything else is baresip's
    default (complexity, application) and the lab's 32 kbit/s.
    """

    def __init__(self, kam, user, **kw):
        extra = kw.pop("extra_config", "")
        # BENCH_BARESIP_CONFIG: more config lines for experiments, ";"-separated, e.g.
        # "opus_application voip;opus_inbandfec yes;opus_packet_loss 10".
        more = "\n".join(x.strip() for x in
                         os.environ.get("BENCH_BARESIP_CONFIG", "").split(";") if x.strip())
        kw["extra_config"] = ("module aubridge.so\nopus_stereo no\nopus_sprop_stereo no\n"
                              + (more + "\n" if more else "") + extra)
        super().__init__(kam, user, **kw)

    def _audio_lines(self):
        player = os.environ.get("BENCH_BARESIP_PLAYER", "aubridge").strip().lower()
        if self.audio == "file" and player != "alsa":
            return ("audio_player aubridge,bench-spk-%s\naudio_source aufile,%s\n"
                    "audio_alert aubridge,bench-alert-%s\n" % (
                        self.user, self._file_source(), self.user))
        return super()._audio_lines()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def aufile_bytes(self):
        """Size of the WAV data aufile holds in memory (it loads the whole input file at
        call start), from its "aufile: loaded N bytes" log line; 0 if none."""
        n = 0
        for line in self.log_text().splitlines():
            i = line.find("aufile: loaded ")
            if i >= 0:
                try:
                    n = int(line[i + 15:].split()[0])
                except ValueError:
                    pass
        return n

    def rtp_bitrates(self):
        """(tx, rx) bit/s from the last status line of baresip's stdio UI
        ("[0:00:10] audio=32324/32540 (bit/s)"), or None."""
        last = None
        for line in self.log_text().replace("\r", "\n").splitlines():
            i = line.find("audio=")
            if i >= 0 and "(bit/s)" in line:
                try:
                    tx, rx = line[i + 6:].split()[0].split("/")
                    last = (int(tx), int(rx))
                except ValueError:
                    continue
        return last


# With `opus_stereo no` baresip 1.0 registers its Opus codec as opus/48000/1 (and an
# accounts file naming opus/48000/2 then matches nothing: the call falls back to PCMU).
BARESIP_OPUS = "opus/48000/1"


def start_baresip(lab, user, **kw):
    """A BenchBaresip tracked by the lab (stopped at lab exit), started."""
    b = BenchBaresip(lab.kam, user, workdir=lab.path("baresip-%s-%d" % (
        user, len(lab.peers))), **kw)
    lab.peers.append(b)
    return b.start()


def speechlike_file(lab, seconds, name="speechlike.wav"):
    """A mono 48 kHz voice-like signal lasting `seconds`, the same on every run: a voiced
    source (24 harmonics of a pitch gliding between 100 and 160 Hz, shaped by three fixed
    formants near 700, 1800 and 2800 Hz) in syllables of ~250 ms with pauses, and a hiss
    (a fricative) every 1.3 s. Codecs spend their effort on it as on speech: unlike a pure
    tone, which Opus in its "audio" mode codes with CELT alone at a fraction of the cost."""
    import math
    rate = 48000
    table_n = 2048
    harm = []
    for h in range(1, 25):
        f = 130.0 * h
        w = (math.exp(-((f - 700) / 300.0) ** 2) + 0.5 * math.exp(-((f - 1800) / 400.0) ** 2)
             + 0.2 * math.exp(-((f - 2800) / 500.0) ** 2) + 0.02) / h
        harm.append(w)
    table = [sum(w * math.sin(2 * math.pi * (h + 1) * i / table_n) for h, w in enumerate(harm))
             for i in range(table_n)]
    peak = max(abs(v) for v in table)
    table = [v / peak for v in table]
    out = [0] * int(seconds * rate)
    phase = 0.0
    seed = 12345
    for i in range(len(out)):
        t = i / rate
        f0 = 130.0 + 30.0 * math.sin(2 * math.pi * 0.7 * t)
        phase = (phase + f0 / rate) % 1.0
        env = max(0.0, math.sin(2 * math.pi * 2.0 * t))
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        noise = (seed >> 15) / 32768.0 - 1.0
        v = 0.45 * env * table[int(phase * table_n)]
        if (t % 1.3) < 0.15:
            v += 0.08 * noise
        v += 0.001 * noise
        out[i] = int(max(-1.0, min(1.0, v)) * 32767)
    path = lab.path(name)
    ttylab.write_wav(path, out, rate)
    return path


def tone_file(lab, seconds, name="tone.wav", freq=1019.0):
    """A mono 48 kHz tone at -9 dBFS (amplitude 0.5) lasting `seconds`."""
    path = lab.path(name)
    ttylab.write_tone(path, freq=freq, seconds=seconds, rate=48000, amplitude=0.5)
    return path


def wait_registered_tty(*phones, timeout=15.0):
    for p in phones:
        p.wait_event(event="reg", state="registered", timeout=timeout)


def sip_port_of(phone):
    """The SIP port a ttyphone listens on, from its ready event."""
    ev = phone.wait_event(event="ready", since=0)
    return int(str(ev["sip"]).rsplit(":", 1)[1])


class KamLog:
    """Requests Kamailio saw from given source ports between two points in time, from its
    `lab: METHOD r-uri from ip:port/proto` log lines."""

    def __init__(self, kam):
        self.kam = kam
        self.pos = 0

    def start(self):
        try:
            self.pos = os.path.getsize(self.kam.log_path)
        except OSError:
            self.pos = 0
        return self

    def requests(self, port):
        """{method: count} for requests from 127.0.0.1:port since start()."""
        with open(self.kam.log_path, "rb") as f:
            f.seek(self.pos)
            text = f.read().decode("utf-8", "replace")
        out = {}
        needle = " from 127.0.0.1:%d/" % port
        for line in text.splitlines():
            i = line.find("lab: ")
            if i < 0 or needle not in line:
                continue
            method = line[i + 5:].split()[0]
            out[method] = out.get(method, 0) + 1
        return out
