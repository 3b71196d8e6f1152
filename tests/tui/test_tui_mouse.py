#!/usr/bin/env python3
"""[ui] mouse = yes: a click selects the row under the pointer in the pane under it, a double
click does what Enter does there (calls the contact, opens the message), the wheel scrolls
the pane under the pointer. With the default (mouse = no) a click changes nothing.

The clicks are xterm's X10 mouse reports (ESC [ M b x y) typed into the pane, as a terminal
sends them for tmux-256color, whose kmous is ESC [ M."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Screen, fail, make_home  # noqa: E402

BOOK = """[contact alice]
uri = sip:alice@example.org

[contact bob]
uri = sip:bob@example.org
"""


def mouse(s, button, x, y):
    """One X10 report: button 0 = left press, 3 = release, 64/65 = wheel up/down."""
    if x > 90 or y > 90:
        fail("X10 reports only reach column/row 94")
    s.send_literal("\x1b[M" + chr(32 + button) + chr(33 + x) + chr(33 + y))


def click(s, x, y):
    mouse(s, 0, x, y)
    mouse(s, 3, x, y)


def home_with(mouse_on):
    home = make_home(contacts=BOOK)
    if mouse_on:
        with open(os.path.join(home, "ttyphone", "config.ini"), "a") as f:
            f.write("\n[ui]\nmouse = yes\n")
    return home


def row_of(screen, text):
    for y, line in enumerate(screen.split("\n")):
        if text in line:
            return y
    fail("%r is not on the screen" % text, screen)


def main():
    # mouse off (the default): a click is no key, and selects nothing
    s = Screen(100, 30)
    s.start_ttyphone(home_with(False))
    screen = s.wait(r"│  bob ", what="the contacts")
    click(s, 5, row_of(screen, "│  bob "))
    s.keys("E")
    s.wait(r"select a contact of the book to edit it", what="E on echo: the click did nothing")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="quit")
    s.kill()

    s = Screen(100, 30)
    s.start_ttyphone(home_with(True))
    screen = s.wait(r"│  bob ", what="the contacts")
    click(s, 5, row_of(screen, "│  bob "))
    s.keys("E")
    s.wait(r"edit contact: bob sip:bob@example\.org", what="bob selected by a click")
    s.keys("Escape")
    s.wait(r"edit contact", absent=True, what="the prompt closed")

    # a double click on echo calls it
    y = row_of(screen, "│  echo ")
    click(s, 5, y)
    click(s, 5, y)
    s.wait(r"established", timeout=15, what="the echo call placed by a double click")
    screen = s.wait(r"│.*→ INVITE sip:", what="the INVITE in the SIP log")

    # the wheel over the log stops following; a double click on a row opens that message
    log_y = row_of(screen, "SIP log")
    mouse(s, 64, 40, log_y + 3)
    s.wait(r"SIP log.*following", absent=True, what="the log paused by the wheel")
    screen = s.capture()
    y = row_of(screen, "INVITE sip:")
    click(s, 40, y)
    click(s, 40, y)
    s.wait(r"Call-ID: ", what="the message opened by a double click")
    s.keys("Escape")
    s.wait(r"Call-ID: ", absent=True, what="the message closed")

    # a click on the call panel selects the call; a single click does not hang up or hold
    screen = s.capture()
    click(s, 40, row_of(screen, "established"))
    time.sleep(0.5)
    s.wait(r"established", what="the call still up after a click on it")
    s.keys("h")
    s.wait(r"established", absent=True, what="the call hung up")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="quit")
    print("ok")


if __name__ == "__main__":
    main()
