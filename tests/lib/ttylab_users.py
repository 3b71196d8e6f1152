"""Other Unix users and other processes, as a shared SSH server has them: lab users made on
demand (root only), a Python snippet run as one of them, and what the kernel says about a
process of ours (its resident memory, the TCP ports it listens on)."""

import json
import os
import pwd
import subprocess

from ttylab_core import run

# A Python that every user may run (the one running the tests may live under /root).
SYSTEM_PYTHON = "/usr/bin/python3"


def ensure_unix_users(names, skip):
    """Create the system users `names` (no home, no login) unless they exist. Without root
    there is no way to: skip(reason) is called."""
    if os.geteuid() != 0:
        skip("needs root: the test creates Unix users to run as")
    for u in names:
        try:
            pwd.getpwnam(u)
        except KeyError:
            run(["useradd", "--system", "--no-create-home", "--user-group",
                 "--shell", "/usr/sbin/nologin", u], timeout=20)


def python_as(user, code, *args, timeout=20):
    """Run `code` with SYSTEM_PYTHON as `user` (its own group only); it prints one JSON
    value, returned. Raises AssertionError with its stderr when it fails."""
    r = subprocess.run([SYSTEM_PYTHON, "-c", code] + list(args), user=user, group=user,
                       extra_groups=[], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("python as %s failed (%d): %s" % (user, r.returncode, r.stderr))
    return json.loads(r.stdout)


def rss_kb(pid):
    """Resident memory of a live process, in kB (VmRSS), 0 if it has none."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tcp_ports(pid):
    """(listening, connected_to): the IPv4 TCP ports the process `pid` listens on, and the
    remote ports of its established connections (its sockets' inodes looked up in
    /proc/net/tcp). A port in both is one the process talks to itself over."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening, connected = set(), set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if cols[9] not in inodes:
                continue
            if cols[3] == "0A":                             # LISTEN
                listening.add(int(cols[1].rsplit(":", 1)[1], 16))
            elif cols[3] == "01":                           # ESTABLISHED
                connected.add(int(cols[2].rsplit(":", 1)[1], 16))
    return listening, connected
