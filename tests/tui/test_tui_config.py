#!/usr/bin/env python3
"""[ui] settings reach the screen: calls_height and contacts_width shape the panes,
key_ACTION = KEY rebinds a key (the help overlay shows the new key, the old one no longer
acts), and a bad override is reported on the status line as config.ini:LINE."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Screen, fail, make_home  # noqa: E402


def main():
    home = make_home()
    path = os.path.join(home, "ttyphone", "config.ini")
    with open(path, "a") as f:
        f.write("\n[ui]\n"                 # line 7
                "calls_height = 10\n"      # 8
                "contacts_width = 40\n"    # 9
                "key_hangup = x\n"         # 10
                "key_nonsense = y\n")      # 11
    s = Screen(100, 30)
    s.start_ttyphone(home)
    screen = s.wait(r"F1 help\s*$", what="the UI")
    lines = screen.split("\n")
    # contacts pane: 40 columns; call panel: 10 rows (its bottom border on row 10)
    top = lines[0]
    corner = top.find("┐")
    if corner != 39:
        fail("contacts pane is %d columns wide, expected 40" % (corner + 1), screen)
    if "SIP log" not in lines[10]:
        fail("the SIP log pane does not start right under a 10-row call panel", screen)
    s.wait(r"config\.ini:11: .*no action \"nonsense\"", what="the bad override reported")
    # the help overlay shows x for hang up
    s.keys("F1")
    s.wait(r"\bx\s+hang up", what="x listed for hang up in the help")
    s.keys("Escape")
    # call echo, then h does nothing and x hangs up
    s.keys("Enter")
    s.wait(r"established", what="the echo call")
    s.keys("h")
    screen = s.wait(r"established", what="the call still up after h")
    s.keys("x")
    s.wait(r"established", absent=True, what="the call ended by x")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="ttyphone quitting")
    s.kill()
    print("ok")


if __name__ == "__main__":
    main()
