#!/usr/bin/env python3
"""Presence in the contacts pane: a terminal ttyphone whose account says presence = yes
registers with the lab's Kamailio presence server and watches bob (contacts.ini); a
headless bob with presence says away with a note, then online: bob's row shows
"away: gone fishing", then "online" with the online mark; alice's own ':presence busy'
reaches bob as a presence event."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "lib"))
from tuitest import Screen, fail, make_home  # noqa: E402
import ttylab  # noqa: E402


def main():
    ttylab.require_tools("kamailio", "tmux")
    with ttylab.Lab(presence=True) as lab:
        kam = lab.kam
        d = os.path.join(lab.dir, "phone-bob-0", "config", "ttyphone")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "contacts.ini"), "w") as f:
            f.write("[contact alice]\nuri = %s\n" % kam.aor("alice"))
        bob = lab.phone("bob", account={"presence": "yes"})
        bob.wait_event(event="reg", state="registered", code=200)
        home = make_home(config=False,
                         contacts="[contact bob]\nuri = %s\n" % kam.aor("bob"))
        path = os.path.join(home, "ttyphone", "config.ini")
        with open(path, "w") as f:
            f.write(lab.config("alice", account={"presence": "yes"}))
        os.chmod(path, 0o600)
        s = Screen(100, 30)
        s.start_ttyphone(home)
        s.wait(r"F1 help\s*$", what="the UI")
        s.wait(r"bob\s+online", what="bob online in the contacts pane")
        bob.send("presence away gone fishing")
        s.wait(r"bob\s+away: gone fishing", what="bob away with his note")
        bob.send("presence online")
        screen = s.wait(r"bob\s+online", what="bob online again")
        row = next((r for r in screen.splitlines() if "bob" in r and "online" in r), "")
        if "●" not in row and "*" not in row:
            fail("bob's row has no online mark", screen)
        mark = bob.mark()
        s.keys(":")
        s.send_literal("presence busy in a meeting")
        s.keys("Enter")
        ev = bob.wait_event(event="presence", contact="alice", state="busy", since=mark,
                            timeout=10)
        if ev["note"] != "in a meeting":
            fail("alice's note did not reach bob: %r" % ev)
    print("PASS: presence shows in the contacts pane and :presence publishes ours")


if __name__ == "__main__":
    main()
