#!/usr/bin/env python3
"""The SIP log pane over a WebSocket: a terminal ttyphone whose account registers through
the lab Kamailio's wss listener shows REGISTER and its 200 with "wss 127.0.0.1:PORT" as
their transport and peer, exactly as it shows udp; a call from the terminal to a headless
phone (udp) goes out as an INVITE over wss, its 200 comes back over wss, and h hangs up."""
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "lib"))
from tuitest import Screen, fail, make_home  # noqa: E402
import ttylab  # noqa: E402


def main():
    ttylab.require_tools("kamailio", "tmux")
    with ttylab.Lab(users={"alice": "alicepw", "bob": "bobpw"}) as lab:
        kam = lab.kam
        bob = lab.phone("bob", auto_answer=True)
        bob.wait_event(event="reg", state="registered", code=200)
        home = make_home(config=False)
        path = os.path.join(home, "ttyphone", "config.ini")
        with open(path, "w") as f:
            f.write(lab.config("alice", transport="wss"))
        os.chmod(path, 0o600)
        peer = "wss 127.0.0.1:%d" % kam.wss_port
        s = Screen(100, 30)
        s.start_ttyphone(home)
        s.wait(r"F1 help\s*$", what="the UI")
        screen = s.wait(r"← 200 OK \(REGISTER\)", what="the REGISTER's 200 in the SIP log")
        for line in ("→ REGISTER", "← 200 OK (REGISTER)"):
            row = next((r for r in screen.splitlines() if line in r), "")
            if peer not in row:
                fail("the log line %r does not name %r" % (line, peer), screen)
        if re.search(r"\budp 127\.0\.0\.1:%d\b" % kam.udp_port, screen):
            fail("a message of the wss account shows udp", screen)

        s.keys(":")
        s.send_literal("call %s" % kam.aor("bob"))
        s.keys("Enter")
        screen = s.wait(r"← 200 OK \(INVITE\)", what="the INVITE's 200 in the SIP log")
        for line in ("→ INVITE sip:bob@", "← 200 OK (INVITE)"):
            row = next((r for r in screen.splitlines() if line in r), "")
            if peer not in row:
                fail("the log line %r does not name %r" % (line, peer), screen)
        s.wait(r"established", what="the call established in the call panel")
        s.keys("h")
        s.wait(r"→ BYE .*%s" % re.escape(peer), what="the BYE over wss in the SIP log")
        bob.wait_event(event="call", state="ended", timeout=10)
    print("PASS: the SIP log pane names wss 127.0.0.1:PORT for a WebSocket account")


if __name__ == "__main__":
    main()
