"""Process, port and temp-dir plumbing shared by the ttyphone test lab.

Every process the lab starts goes through `Proc`: it runs in its own session (so its
process group id equals its PID and its children can be stopped with it), its output goes
to a log file, and it is remembered in a registry so that context exits, `atexit` and
SIGTERM/SIGINT all stop it. `leftovers()` lists anything still alive in a process group the
lab created, which is how tests prove that they left nothing running.

Standard library only (Python 3.11).
"""

import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

LOCALHOST = "127.0.0.1"

# Ports handed out are drawn from a range that is neither the kernel's ephemeral range
# (32768-60999 here, used by connect() and bind(port 0)) nor ttyphone's default RTP range
# (20000-20999), so that a port we picked is unlikely to be taken before it is used.
PORT_RANGE = (10000, 19999)


class LabError(Exception):
    """Something in the lab itself went wrong (a part failed to start, a timeout...)."""


def env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "yes", "true", "on")


def debug(msg):
    """Progress line on stderr when TTYLAB_VERBOSE=1 (automake keeps it in the .log)."""
    if env_flag("TTYLAB_VERBOSE"):
        sys.stderr.write("[ttylab %.3f] %s\n" % (time.monotonic(), msg))
        sys.stderr.flush()


# ---------------------------------------------------------------------------------------
# Free ports
# ---------------------------------------------------------------------------------------

_ports_lock = threading.Lock()
_ports_given = set()


def _port_is_free(port, host=LOCALHOST, udp=True, tcp=True):
    socks = []
    try:
        if tcp:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((host, port))
        if udp:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_port(host=LOCALHOST, udp=True, tcp=True):
    """A port on `host` that is free for both UDP and TCP (bind-tested), never handed out
    twice by this process."""
    return free_ports(1, host=host, udp=udp, tcp=tcp)[0]


def free_ports(count, host=LOCALHOST, udp=True, tcp=True, consecutive=False):
    """`count` distinct free ports (UDP and TCP bind-tested). With consecutive=True they
    are N, N+1, ... (useful for RTP/RTCP pairs)."""
    lo, hi = PORT_RANGE
    rng = random.Random(os.getpid() ^ int(time.time() * 1000))
    with _ports_lock:
        for _ in range(2000):
            if consecutive:
                base = rng.randrange(lo, hi - count)
                cand = list(range(base, base + count))
                if any(p in _ports_given for p in cand):
                    continue
                if all(_port_is_free(p, host, udp, tcp) for p in cand):
                    _ports_given.update(cand)
                    return cand
            else:
                got = []
                for _ in range(200):
                    p = rng.randrange(lo, hi)
                    if p in _ports_given or p in got:
                        continue
                    if _port_is_free(p, host, udp, tcp):
                        got.append(p)
                        if len(got) == count:
                            _ports_given.update(got)
                            return got
        raise LabError("no free ports found in %d-%d" % PORT_RANGE)


def wait_port_listening(port, host=LOCALHOST, timeout=10.0):
    """Wait until a TCP connect() to host:port succeeds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Poll `predicate` until it returns a true value; return that value or raise LabError."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise LabError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---------------------------------------------------------------------------------------
# Temp dirs
# ---------------------------------------------------------------------------------------

_tempdirs = []


def make_tempdir(prefix="ttylab-"):
    """A fresh temp dir, removed at exit unless TTYLAB_KEEP=1 (then its path is printed)."""
    d = tempfile.mkdtemp(prefix=prefix)
    _tempdirs.append(d)
    return d


def _remove_tempdirs():
    keep = env_flag("TTYLAB_KEEP")
    while _tempdirs:
        d = _tempdirs.pop()
        if keep:
            sys.stderr.write("ttylab: kept %s\n" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)


def tail(path, lines=40):
    """The last `lines` lines of a text file ('' if it does not exist)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------

_registry_lock = threading.RLock()
_live = {}          # pid -> Proc still to be stopped
# Every process group the lab created and that may still have members (for leftovers()):
# pgid -> the leader's start time (/proc/PID/stat field 22). With pid_max at 32768 a whole
# suite wraps PIDs, and another test's group can get the number of one of ours that has
# long been empty: the start time tells the two apart, and a group seen empty is dropped.
_pgids = {}
_handlers_installed = False


class Proc:
    """A child process in its own session/process group, logged to a file.

    stdin: None (-> /dev/null), or subprocess.PIPE. stdout: None (-> the log file, merged
    with stderr) or subprocess.PIPE (then stderr alone goes to the log file).
    """

    def __init__(self, name, argv, env=None, cwd=None, log_path=None, stdin=None,
                 stdout=None, pass_fds=(), user=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        self.returncode = None
        _install_handlers()
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        try:
            self.popen = subprocess.Popen(
                self.argv, env=env, cwd=cwd,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=stdout if stdout is not None else log,
                stderr=log, start_new_session=True, pass_fds=pass_fds,
                bufsize=0 if stdout is None else -1,
                # user: run as this Unix user (its own group, no supplementary groups).
                **({"user": user, "group": user, "extra_groups": []} if user else {}))
        except OSError as e:
            raise LabError("cannot start %s (%s): %s" % (name, self.argv[0], e)) from e
        finally:
            if log_path:
                log.close()
        self.pid = self.popen.pid
        st = _proc_stat(self.pid)
        with _registry_lock:
            _live[self.pid] = self
            _pgids[self.pid] = st[3] if st else None
        debug("started %s pid %d: %s" % (name, self.pid, " ".join(self.argv)))

    def alive(self):
        return self.popen.poll() is None

    def poll(self):
        return self.popen.poll()

    def wait(self, timeout=None):
        """Wait for exit; returns the exit code or raises subprocess.TimeoutExpired."""
        rc = self.popen.wait(timeout)
        self._forget()
        return rc

    def send_signal(self, sig):
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout=5.0, sig=signal.SIGTERM):
        """SIGTERM (or `sig`) to the whole process group, wait, then SIGKILL. Returns the
        exit code (negative = killed by that signal)."""
        if self.alive():
            _killpg(self.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                debug("%s pid %d ignored signal %d: SIGKILL" % (self.name, self.pid, sig))
                _killpg(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        # Children of the leader that outlived it (same process group): kill them too.
        if _group_members(self.pid):
            _killpg(self.pid, signal.SIGKILL)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream:
                try:
                    stream.close()
                except OSError:
                    pass
        self._forget()
        self.returncode = self.popen.returncode
        return self.returncode

    def kill(self):
        """SIGKILL at once (a crash, as seen by peers)."""
        return self.stop(timeout=5.0, sig=signal.SIGKILL)

    def log_tail(self, lines=40):
        return tail(self.log_path, lines) if self.log_path else ""

    def detach(self):
        """Leave the process running after this interpreter exits (tests/lab/up): it is
        no longer stopped by stop_all()/atexit/signals nor listed by leftovers()."""
        self._forget()
        with _registry_lock:
            _pgids.pop(self.pid, None)
        # Popen would otherwise warn that the child is still running.
        self.popen.returncode = 0

    def cmdline(self):
        try:
            with open("/proc/%d/cmdline" % self.pid, "rb") as f:
                return f.read().split(b"\0")[0].decode("utf-8", "replace")
        except OSError:
            return ""

    def _forget(self):
        with _registry_lock:
            _live.pop(self.pid, None)

    def __repr__(self):
        return "<Proc %s pid=%d %s>" % (self.name, self.pid,
                                        "alive" if self.alive() else "exited")


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        pass


def _proc_stat(pid):
    """(state, ppid, pgid, starttime) of /proc/<pid>, or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("latin-1")
    except OSError:
        return None
    rest = data[data.rfind(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[2]), int(rest[19])


def _reused_group(pgid, started):
    """True when `pgid` now names someone else's group: its leader is alive and started at
    another time than ours did."""
    st = _proc_stat(pgid)
    return bool(st and started is not None and st[2] == pgid and st[3] != started)


def _group_members(pgid):
    """Live (non-zombie) PIDs in process group `pgid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = _proc_stat(int(entry))
        if st and st[2] == pgid and st[0] != "Z":
            out.append(int(entry))
    return out


def leftovers(grace=3.0):
    """Processes still alive in any process group the lab started: a list of
    "pid name" strings (empty = clean). Waits up to `grace` seconds for stragglers."""
    with _registry_lock:
        known = dict(_pgids)
    groups = {g for g, started in known.items() if not _reused_group(g, started)}
    deadline = time.monotonic() + grace
    while True:
        found = []
        occupied = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            st = _proc_stat(pid)
            if not st or st[2] not in groups:
                continue
            if st[0] == "Z":
                # A zombie still waiting for *us* to reap it counts; one orphaned to
                # init is already dead.
                if st[1] != os.getpid():
                    continue
                try:
                    os.waitpid(pid, os.WNOHANG)
                    continue
                except ChildProcessError:
                    continue
            try:
                with open("/proc/%d/comm" % pid) as f:
                    comm = f.read().strip()
            except OSError:
                comm = "?"
            found.append("%d %s" % (pid, comm))
            occupied.add(st[2])
        if not found or time.monotonic() >= deadline:
            # An empty group stays empty (or its number goes to someone else): forget it.
            with _registry_lock:
                for g in set(known) - occupied:
                    _pgids.pop(g, None)
            return found
        time.sleep(0.1)


def assert_no_leftovers(grace=3.0):
    left = leftovers(grace)
    if left:
        raise AssertionError("lab processes still running: %s" % ", ".join(left))


def live_procs():
    with _registry_lock:
        return list(_live.values())


def stop_all():
    """Stop every process the lab started that is still registered (newest first)."""
    with _registry_lock:
        procs = list(_live.values())
    for p in reversed(procs):
        try:
            p.stop(timeout=3.0)
        except Exception as e:  # cleanup must go on
            sys.stderr.write("ttylab: stopping %r: %s\n" % (p, e))


def _cleanup_at_exit():
    stop_all()
    _remove_tempdirs()


def _on_signal(signum, frame):
    sys.stderr.write("ttylab: signal %d, stopping lab processes\n" % signum)
    _cleanup_at_exit()
    signal.signal(signum, signal.SIG_DFL)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    os.kill(os.getpid(), signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_cleanup_at_exit)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            try:
                if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler,
                                             None):
                    signal.signal(sig, _on_signal)
            except (ValueError, OSError):
                pass


def run(argv, timeout=30, check=True, **kw):
    """subprocess.run with captured text output and a LabError carrying the output."""
    try:
        r = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                           timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        raise LabError("%s timed out after %ss" % (argv[0], timeout)) from e
    if check and r.returncode != 0:
        raise LabError("%s failed (rc %d):\n%s%s" % (" ".join(map(str, argv)), r.returncode,
                                                    r.stdout, r.stderr))
    return r


def which(prog):
    return shutil.which(prog) or shutil.which(prog, path="/usr/sbin:/sbin:/usr/bin:/bin")


__all__ = [
    "LOCALHOST", "LabError", "Proc", "free_port", "free_ports", "wait_until",
    "wait_port_listening", "make_tempdir", "tail", "leftovers", "assert_no_leftovers",
    "stop_all", "live_procs", "run", "which", "debug", "env_flag",
]
