#!/usr/bin/env python3
"""Many users on one SSH server (issue 18): twenty headless ttyphones, run as three Unix
users made by this test (several configs per user, sharing that user's HOME), with no
[sip] listen set, register at the lab's Kamailio and call each other in pairs at once;
each pair's audio is checked by content both ways (every phone sends its own frequency).
SIP ports, RTP ports, history and contacts files never collide; each user's history holds
the calls of all that user's phones; files and folders are the user's alone (modes).
And the control socket: one user's is refused to another user, by the file mode and, with
the mode loosened on purpose, by the peer's credentials; a second ttyphone does not take
over a live socket."""

import json
import os
import pwd
import shutil
import stat
import time

import ttylab
from ttylab import analyze, write_tone

ttylab.require_ttyphone()
ttylab.require_tools("kamailio", "useradd")

UNIX_USERS = ("ttylab-u1", "ttylab-u2", "ttylab-u3")
N_PHONES = 20
SIP_USERS = {"m%02d" % i: "m%02d-secret" % i for i in range(N_PHONES)}
CALL_SECONDS = 3.0

CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(json.dumps({"connect": type(e).__name__}))
    sys.exit(0)
# A refused client may find the connection closed before it writes: the refusal is in
# its receive queue all the same (Linux hands queued data out before the reset).
try:
    s.sendall(b"status\n")
except (BrokenPipeError, ConnectionResetError):
    pass
data = b""
try:
    while b"\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except (socket.timeout, ConnectionResetError):
    pass
print(json.dumps({"connect": "ok", "line": data.decode(errors="replace").strip()}))
"""


class ManyUsers(ttylab.LabTestCase):
    lab_args = {"users": SIP_USERS}

    def setUp(self):
        ttylab.ensure_unix_users(UNIX_USERS, ttylab.skip)
        super().setUp()
        # Other users must reach their own folders inside the lab dir (traverse only) and
        # run a copy of the binary that they can read.
        os.chmod(self.lab.dir, 0o711)
        self.shared = self.lab.path("shared")
        os.makedirs(self.shared, mode=0o755)
        self.binary = os.path.join(self.shared, "ttyphone")
        shutil.copy2(ttylab.ttyphone_bin(), self.binary)
        os.chmod(self.binary, 0o755)
        self.homes = {}
        for u in UNIX_USERS:
            h = self.lab.path("home-" + u)
            os.makedirs(h, mode=0o700)
            shutil.chown(h, u, u)
            self.homes[u] = h

    def phone(self, i, user, **overrides):
        sip_user = "m%02d" % i
        return self.lab.phone(sip_user, name="%s-%s" % (user, sip_user), run_as=user,
                              home=self.homes[user], binary=self.binary, **overrides)

    def as_user(self, user, code, *args):
        return ttylab.python_as(user, code, *args)

    def test_twenty_phones_of_three_users_register_and_call_in_pairs(self):
        phones, tones, recs = [], {}, {}
        for i in range(N_PHONES):
            user = UNIX_USERS[i % len(UNIX_USERS)]
            freq = 500.0 + 61.0 * i
            tone = os.path.join(self.shared, "tone-%02d.wav" % i)
            write_tone(tone, freq=freq, seconds=CALL_SECONDS + 4.0, rate=48000, amplitude=0.5)
            os.chmod(tone, 0o644)
            tones[i] = freq
            # Each phone writes its recording in its own folder (owned by its user).
            p = self.phone(i, user, sip={"listen": None}, backend="file", input=tone,
                           output="rec.wav", auto_answer=(i % 2 == 1))
            recs[i] = os.path.join(p.dir, "rec.wav")
            phones.append(p)
        ports = set()
        for p in phones:
            ready = p.wait_ready(timeout=20)
            self.assertEqual(ready["listen"], "any", ready)
            self.assertNotEqual(ready["sip"].rsplit(":", 1)[1], "5060", ready)
            ports.add(ready["sip"])
        self.assertEqual(len(ports), N_PHONES, "two phones share a SIP port: %r" % ports)
        for p in phones:
            p.wait_event(event="reg", state="registered", code=200, timeout=20)
        self.assertEqual(sorted({b["aor"] for b in self.lab.kam.bindings()}), sorted(SIP_USERS))

        for i in range(0, N_PHONES, 2):
            phones[i].send("call m%02d" % (i + 1))
        media = {}
        for i in range(0, N_PHONES, 2):
            est = phones[i].wait_event(event="call", state="established", timeout=20)
            media[i] = phones[i].wait_event(event="media", id=est["id"], since=0)
            phones[i + 1].wait_event(event="call", state="established", timeout=20)
        rtp = [m["remote"] for m in media.values()]     # each callee's RTP address
        self.assertEqual(len(set(rtp)), len(rtp), "two calls share an RTP port: %r" % rtp)
        time.sleep(CALL_SECONDS)
        for i in range(0, N_PHONES, 2):
            phones[i].send("hangup")
        for p in phones:
            p.wait_event(event="call", state="ended", timeout=20)

        # History: each user's one file holds every call of that user's phones.
        for u in UNIX_USERS:
            mine = [i for i in range(N_PHONES) if UNIX_USERS[i % len(UNIX_USERS)] == u]
            h = phones[mine[0]].command("history 100", event="history")
            peers = " ".join(c["peer"] for c in h["calls"])
            for i in mine:
                partner = i + 1 if i % 2 == 0 else i - 1
                self.assertIn("m%02d@" % partner, peers, "%s's history: %r" % (u, h["calls"]))
            data = os.path.join(self.homes[u], "data", "ttyphone")
            st = os.stat(os.path.join(data, "history.sqlite"))
            self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, u)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
            self.assertEqual(stat.S_IMODE(os.stat(data).st_mode), 0o700)

        for p in phones:
            p.quit()
        # Audio by content, both ways: each recording has the partner's frequency.
        for i in range(N_PHONES):
            partner = i + 1 if i % 2 == 0 else i - 1
            r = analyze(recs[i])
            what = "m%02d hearing m%02d (%.0f Hz): %r" % (i, partner, tones[partner], r)
            self.assertIsNotNone(r["onset_ms"], what)
            self.assertLess(abs(r["freq"] - tones[partner]) / tones[partner], 0.01, what)
            self.assertLess(abs(r["rms_dbfs"] + 9.0), 3.0, what)

    def test_control_socket_is_its_users_alone(self):
        owner, other = UNIX_USERS[0], UNIX_USERS[1]
        path = os.path.join(self.homes[owner], "run", "ttyphone.sock")
        a = self.phone(0, owner, args=["--ctl-socket", path])
        a.wait_event(event="reg", state="registered", timeout=20)
        st = os.lstat(path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, owner)

        # Its own user drives it.
        r = self.as_user(owner, CLIENT, path)
        self.assertEqual(r["connect"], "ok", r)
        self.assertEqual(json.loads(r["line"])["event"], "status", r)

        # Another user cannot even reach it (the run folder is 0700, the socket 0600)...
        r = self.as_user(other, CLIENT, path)
        self.assertEqual(r["connect"], "PermissionError", r)
        # ...and with both loosened on purpose, the peer's uid still keeps them out.
        for d in (self.homes[owner], os.path.dirname(path)):
            os.chmod(d, 0o711)
        os.chmod(path, 0o666)
        r = self.as_user(other, CLIENT, path)
        self.assertEqual(r["connect"], "ok", r)
        refusal = json.loads(r["line"])
        self.assertEqual(refusal["event"], "error", r)
        self.assertIn("may not drive it", refusal["message"])
        self.assertEqual(a.find_events(event="status"), [])

        # A second ttyphone of the same user, told the same path, leaves the live one alone.
        b = self.phone(2, owner, args=["--ctl-socket", path])
        self.assertNotEqual(b.wait_exit(timeout=20), 0)
        self.assertIn("in use by another ttyphone", b.stderr_text())
        r = self.as_user(owner, CLIENT, path)
        self.assertEqual(json.loads(r["line"])["event"], "status", r)
        b.quit()
        self.lab.phones.remove(b)


if __name__ == "__main__":
    ttylab.main()
