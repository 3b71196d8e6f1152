#!/usr/bin/env python3
"""What others send us: an incoming call shows a popup with the caller and is answered by
a key; a SIP MESSAGE whose body is full of terminal escape sequences is shown escaped
(visible as \\e[...) and changes nothing on the terminal; the chat view shows it too."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Headless, Screen, fail, free_port, make_home  # noqa: E402

# Clear the screen, set the window title, ring the bell, turn text red, a C1 CSI, and a
# backspace: each must arrive as visible text. (A carriage return cannot be sent: the
# headless command line ends there.)
HOSTILE = "\x1b[2J\x1b]0;pwned\x07RED\x1b[31mX\u009b1mY\x08Z"


def main():
    port = free_port()
    peer = Headless(make_home())
    home = make_home(sip_port=port,
                     contacts="[contact peer]\nuri = sip:p@%s\n" % peer.sip)
    s = Screen(80, 24)
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI")

    # An incoming call: the popup names the caller; 'a' answers.
    peer.send("call sip:tui@127.0.0.1:%d" % port)
    screen = s.wait(r"Incoming call", what="the incoming call popup")
    if "sip:" not in screen or "[a] answer" not in screen:
        fail("the popup does not show the caller and the keys", screen)
    s.keys("a")
    peer.wait_event(lambda e: e.get("event") == "call" and e.get("state") == "established",
                    10, "the call established at the caller")
    s.wait_for(lambda scr: "established" in scr and "Incoming call" not in scr,
               what="the call established in the call panel and the popup gone")
    peer.send("hangup")
    s.wait(r"No call", what="the call gone after the caller hung up")

    # A second call, rejected with r.
    peer.send("call sip:tui@127.0.0.1:%d" % port)
    s.wait(r"Incoming call", what="the popup again")
    s.keys("r")
    peer.wait_event(lambda e: e.get("event") == "call" and e.get("state") == "ended"
                    and e.get("code") == 486, 10, "the call rejected with 486")
    s.wait(r"Incoming call", absent=True, what="the popup gone after rejecting")

    # A hostile message.
    title_before = s.fmt("#{pane_title}")
    peer.send("msg sip:tui@127.0.0.1:%d %s" % (port, HOSTILE))
    peer.wait_event(lambda e: e.get("event") == "message_status", 10, "the message delivered")
    screen = s.wait(r"message from", what="the message on the status line")
    if "\\e[2J" not in screen or "\\e]0;pwned\\x07RED\\e[31mX" not in screen:
        fail("the escape sequences are not shown escaped on the status line", screen)
    if s.fmt("#{pane_title}") != title_before:
        fail("the message changed the terminal's title")
    if not screen.split("\n")[0].startswith("┌"):
        fail("the message disturbed the screen", screen)
    # The sender is listed with an unread mark; m opens the chat.
    s.keys("G")
    s.keys("m")
    screen = s.wait(r"Chat with", what="the chat view")
    if "\\e[2J" not in screen or "\\x08Z" not in screen or "\\xC2\\x9B" not in screen:
        fail("the chat does not show the body escaped", screen)
    s.keys("Escape")
    # A chat with a contact: what we type reaches the peer and shows as delivered.
    s.keys("g", "Down")
    s.keys("m")
    s.wait(r"Chat with peer", what="the chat with the contact")
    s.send_literal("hello back")
    s.keys("Enter")
    got = peer.wait_event(lambda e: e.get("event") == "message", 10, "our message at the peer")
    if got.get("body") != "hello back":
        fail("the peer got %r" % got.get("body"))
    s.wait(r"→ \(delivered\)[ │]*\n│ hello back", what="our message in the chat, delivered")
    s.keys("Escape")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="ttyphone exiting")
    print("ok")


if __name__ == "__main__":
    main()
