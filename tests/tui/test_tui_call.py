#!/usr/bin/env python3
"""A call from the terminal UI to a headless ttyphone on 127.0.0.1: the call panel goes
through its states, the SIP log fills with INVITE, 180 and 200, the INVITE's detail shows
its Call-ID, the ladder draws the call, a resize in the middle of the call redraws cleanly,
DTMF goes out, and h hangs up."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Headless, Screen, check_frame, fail, make_home  # noqa: E402


def call_id_of_invite(trace_path):
    with open(trace_path, errors="replace") as f:
        text = f.read()
    m = re.search(r"^INVITE .*?^Call-ID:\s*(\S+)", text, re.M | re.S)
    return m.group(1) if m else None


def main():
    peer_home = make_home()
    trace = os.path.join(peer_home, "peer-trace.txt")
    peer = Headless(peer_home, sip_trace=trace)
    home = make_home()
    s = Screen(80, 24)
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI")

    # Place the call from the command line.
    s.keys(":")
    s.send_literal("call sip:x@%s" % peer.sip)
    s.keys("Enter")
    inc = peer.wait_event(lambda e: e.get("event") == "call" and e.get("state") == "incoming",
                          10, "the incoming call")
    screen = s.wait(r"(calling|ringing)", what="the call panel showing the call going out")
    s.wait(r"← 180 Ringing", what="180 Ringing in the SIP log")
    peer.send("answer %d" % inc["id"])
    screen = s.wait(r"established", what="the call established in the call panel")
    screen = s.wait(r"← 200 OK \(INVITE\)", what="200 OK in the SIP log")
    if not re.search(r"→ INVITE sip:x@", screen):
        fail("the INVITE is not in the log", screen)
    if not re.search(r"\d\d:\d\d:\d\d\.\d\d\d [→←]", screen):
        fail("log lines do not start with a HH:MM:SS.mmm time", screen)
    s.wait(r"00:0[1-9]", what="the call clock running")

    # H holds and resumes.
    s.keys("H")
    peer.wait_event(lambda e: e.get("event") == "call" and e.get("state") == "held", 10,
                    "the call held at the peer")
    s.wait(r"on hold", what="the call panel showing the hold")
    s.keys("H")
    peer.wait_event(lambda e: e.get("event") == "call" and e.get("state") == "established"
                    and e is not inc, 10, "the call resumed at the peer")
    s.wait(r"established", what="the call panel showing the call resumed")

    # DTMF from the digit keys reaches the peer.
    s.keys("5")
    peer.wait_event(lambda e: e.get("event") == "dtmf" and e.get("digit") == "5", 10,
                    "DTMF 5 at the peer")

    # The INVITE's detail: Tab to the log, find it, Enter.
    s.keys("Tab", "Tab")
    s.keys("/")
    s.send_literal("INVITE sip:x")
    s.keys("Enter")
    s.keys("Enter")
    screen = s.wait(r"Call-ID:", what="the message detail")
    cid = call_id_of_invite(trace)
    if not cid:
        fail("no INVITE with a Call-ID in the peer's trace")
    if not re.search(r"Call-ID:\s+" + re.escape(cid[:40]), screen):
        fail("the detail does not show the INVITE's Call-ID %s" % cid, screen)
    if "Request-URI:" not in screen or "Method:" not in screen:
        fail("the detail lacks its attributes", screen)

    # The ladder of that call.
    s.keys("l")
    screen = s.wait(r"Ladder: call", what="the ladder")
    if "INVITE" not in screen or "200 OK" not in screen or not re.search(r"─+>", screen):
        fail("the ladder lacks INVITE, 200 OK or an arrow", screen)
    s.keys("Down", "Down")
    screen = s.wait(r"Status:\s+180 Ringing|Status:\s+100 Trying|Status:\s+200 OK",
                    what="the focused response's detail beside the ladder")
    s.keys("q", "q")
    s.wait(r"SIP log", what="the main screen again")

    # s saves the log (as filtered) to a file named in a prompt.
    saved = os.path.join(home, "saved-log.txt")
    s.keys("s")
    s.wait(r"save the log to: ttyphone-log-", what="the save prompt with a file name")
    s.keys("C-u")
    s.send_literal(saved)
    s.keys("Enter")
    s.wait(r"saved \d+ messages to", what="the log saved")
    with open(saved, errors="replace") as f:
        text = f.read()
    if not re.search(r"^INVITE sip:x@", text, re.M) or "SIP/2.0 200 OK" not in text:
        fail("the saved log lacks the INVITE or the 200 OK")

    # Resize in the middle of the call, bigger then smaller.
    s.resize(120, 40)
    screen = s.wait(r"^┌.{118}┐$", what="the layout at 120 columns")
    screen = s.wait(r"F1 help\s*$", what="the status line at the bottom")
    check_frame(screen, 120, 40)
    s.resize(80, 24)
    screen = s.wait(r"^┌.{78}┐$", what="the layout back at 80 columns")
    check_frame(screen, 80, 24)
    if "established" not in screen:
        fail("the call panel lost the call after resizing", screen)

    # Hang up with h.
    s.keys("h")
    peer.wait_event(lambda e: e.get("event") == "call" and e.get("state") == "ended", 10,
                    "the call ended at the peer")
    s.wait(r"No call", what="the call panel empty again")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="ttyphone exiting")
    print("ok")


if __name__ == "__main__":
    main()
