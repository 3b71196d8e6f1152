"""A TURN server for the lab: Debian's coturn (turnserver) on 127.0.0.1, long-term
credentials (one user), relaying on 127.0.0.1 from a block of free ports, loopback peers
allowed (every phone of the lab is on 127.0.0.1, which coturn refuses by default). No TLS,
no CLI, no database but a file in the lab dir, no /etc config (-c /dev/null), its log
(every allocation and permission) in the lab dir.

    turn = Turn(lab_dir).start()
    phone config: [media] turn_server = turn.server, turn_user = turn.user,
                  turn_password = turn.password
    turn.log_text(), turn.stop()
"""

import os
import shutil
import socket

from ttylab_core import LOCALHOST, LabError, Proc, free_ports, wait_until

RELAY_PORTS = 40        # each call leg allocates one; the lab makes a few
START_TIMEOUT = 10.0


def turn_missing():
    """Why the TURN server cannot run here (None if it can)."""
    if not shutil.which("turnserver"):
        return "coturn is not installed (turnserver; apt-get install coturn)"
    return None


class Turn:
    def __init__(self, lab_dir, user="labturn", password="lab-turn-secret-9x"):
        self.dir = os.path.join(lab_dir, "turn")
        os.makedirs(self.dir, exist_ok=True)
        self.user, self.password = user, password
        self.port = None
        self.proc = None

    @property
    def server(self):
        return "%s:%d" % (LOCALHOST, self.port)

    def start(self):
        why = turn_missing()
        if why:
            raise LabError(why)
        self.port = free_ports(1)[0]
        relay = free_ports(RELAY_PORTS, tcp=False, consecutive=True)
        self.log_path = os.path.join(self.dir, "turnserver.log")
        argv = ["turnserver", "-c", "/dev/null", "-n", "-v",
                "--listening-ip=%s" % LOCALHOST, "--listening-port=%d" % self.port,
                "--relay-ip=%s" % LOCALHOST,
                "--min-port=%d" % relay[0], "--max-port=%d" % relay[-1],
                "--lt-cred-mech", "--user=%s:%s" % (self.user, self.password),
                "--realm=ttylab", "--allow-loopback-peers", "--no-tls", "--no-dtls",
                "--no-cli", "--no-tcp-relay", "--log-file=stdout", "--simple-log",
                "--pidfile=%s" % os.path.join(self.dir, "turnserver.pid"),
                "--userdb=%s" % os.path.join(self.dir, "turndb")]
        self.proc = Proc("turnserver", argv, log_path=self.log_path)
        wait_until(self._answers, timeout=START_TIMEOUT,
                   what="turnserver answering STUN on %s" % self.server)
        return self

    def _answers(self):
        """A STUN Binding request (RFC 5389) gets a success response."""
        if not self.proc.alive():
            raise LabError("turnserver exited: %s" % self.log_text()[-2000:])
        req = bytes.fromhex("0001 0000 2112a442".replace(" ", "")) + os.urandom(12)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(0.2)
            s.sendto(req, (LOCALHOST, self.port))
            data = s.recv(2048)
            return data[:2] == b"\x01\x01" and data[8:20] == req[8:20]
        except OSError:
            return False
        finally:
            s.close()

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
