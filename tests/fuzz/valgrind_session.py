#!/usr/bin/env python3
"""A headless ttyphone under valgrind, for `make check-valgrind`: it registers at the lab's
Kamailio (once over UDP, once over wss), takes a call from a second (plain) phone, exchanges
DTMF and a MESSAGE, is put on
hold and resumed, hangs up, calls the built-in echo service, and quits. valgrind's exit
status (--error-exitcode=1 --leak-check=full) is the phone's: any invalid access, use of
uninitialised memory or leak fails. The log is kept next to the phone's stderr.

Usage: valgrind_session.py [VALGRIND ARGS...]  (TTYPHONE_BIN names the binary)"""

import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ttylab  # noqa: E402

SLOW = 60   # seconds: valgrind makes everything 20-50 times slower


def main():
    ttylab.require_ttyphone()
    ttylab.require_tools("kamailio", "valgrind")
    vg_args = sys.argv[1:] or ["--error-exitcode=1", "--leak-check=full"]
    # Once over UDP, once over wss (alice, under valgrind: its WebSocket bridge thread,
    # TLS and framing) with bob over ws.
    for a_tp, b_tp in (("udp", "udp"), ("wss", "ws")):
        rc = session(vg_args, a_tp, b_tp)
        if rc:
            return rc
    return 0


def session(vg_args, a_tp, b_tp):
    with ttylab.Lab() as lab:
        log = lab.path("valgrind.log")
        wrapper = lab.path("ttyphone-under-valgrind")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec valgrind %s --log-file=%s %s \"$@\"\n" % (
                " ".join(vg_args), log, ttylab.ttyphone_bin()))
        os.chmod(wrapper, stat.S_IRWXU)
        a = ttylab.Phone(lab.config("alice", transport=a_tp), name="alice-valgrind",
                         binary=wrapper,
                         workdir=lab.path("alice-valgrind"))
        lab.phones.append(a)
        b = lab.phone("bob", transport=b_tp)
        a.wait_event(timeout=SLOW, event="reg", state="registered", code=200)
        b.wait_event(event="reg", state="registered", code=200)

        b.send("call alice")
        inc = a.wait_event(timeout=SLOW, event="call", state="incoming")
        a.send("answer %d" % inc["id"])
        a.wait_event(timeout=SLOW, event="call", state="established")
        b.wait_event(timeout=SLOW, event="call", state="established")
        a.wait_event(timeout=SLOW, since=0, event="media", id=inc["id"])
        b.send("dtmf 12#")
        a.wait_event(timeout=SLOW, event="dtmf")
        b.send("msg alice hello under valgrind")
        a.wait_event(timeout=SLOW, event="message")
        a.send("hold %d" % inc["id"])
        a.wait_event(timeout=SLOW, event="call", state="held")
        a.send("resume %d" % inc["id"])
        a.wait_event(timeout=SLOW, event="call", state="established", id=inc["id"])
        a.command("status", timeout=SLOW, event="status")
        a.send("hangup %d" % inc["id"])
        b.wait_event(timeout=SLOW, event="call", state="ended")
        a.wait_event(timeout=SLOW, event="call", state="ended", id=inc["id"])

        a.send("call echo")
        echo = a.wait_event(timeout=SLOW, event="call", state="established")
        a.send("hangup %d" % echo["id"])
        a.wait_event(timeout=SLOW, event="call", state="ended", id=echo["id"])

        rc = a.quit(timeout=SLOW * 2)
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        summary = [l for l in text.splitlines()
                   if "ERROR SUMMARY" in l or "definitely lost" in l or "possibly lost" in l
                   or "indirectly lost" in l]
        print("valgrind on a headless session over %s: exit %s" % (a_tp, rc))
        print("\n".join(summary))
        if rc != 0:
            print(text[-6000:])
            print("FAIL: valgrind found errors in the headless session (log: %s)" % log)
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
