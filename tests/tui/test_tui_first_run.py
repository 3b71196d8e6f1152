#!/usr/bin/env python3
"""First run in the terminal UI (issue 6): no config file, so demo mode with the echo test
selected, nothing written, and the status line says how to add an account. ":account add"
then creates config.ini with mode 0600, says where, and starts the account at once; the
password is drawn as stars while typed and is never kept for recall (Up) or shown anywhere
on screen."""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Screen, fail, make_home  # noqa: E402

SECRET = "s3cr3t-pw"


def main():
    home = make_home(config=False)
    conf_dir = os.path.join(home, "ttyphone")
    s = Screen(120, 30)
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI")
    # the audio check may speak first; the hint about accounts stays once it has faded
    s.wait(r":account add", timeout=20, what="how to add an account")
    if os.listdir(conf_dir):
        fail("the first run wrote %r without being asked" % os.listdir(conf_dir))

    # a registrar that never answers, so "registering" stays on screen for a while
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    s.keys(":")
    s.send_literal("account add work sip:me@127.0.0.1:%d %s" % (port, SECRET))
    screen = s.wait(r":account add work sip:me@127\.0\.0\.1:%d \*{%d}" % (port, len(SECRET)),
                    what="the password drawn as stars")
    if SECRET in screen:
        fail("the password is on screen while typed", screen)
    s.keys("Enter")
    path = os.path.join(conf_dir, "config.ini")
    # a server on this machine is reachable from demo mode's 127.0.0.1: it starts at once
    screen = s.wait(r"account work added to .*config\.ini and registering",
                    what="where it went, and the account started")
    if SECRET in screen:
        fail("the password is on screen", screen)
    if os.stat(path).st_mode & 0o777 != 0o600:
        fail("config.ini has mode %o" % (os.stat(path).st_mode & 0o777))
    with open(path) as f:
        text = f.read()
    if "[account work]" not in text or "uri = sip:me@127.0.0.1:%d" % port not in text or \
            SECRET not in text:
        fail("config.ini after account add:\n" + text)

    s.wait(r"demo mode", absent=True, what="demo mode over once an account runs")

    # Up recalls earlier commands, but not the one holding a password
    s.keys(":")
    s.send_literal("status")
    s.keys("Enter")
    s.wait(r"\d+ calls?, \d+ accounts?", what="the status reply")
    s.keys(":", "Up")
    screen = s.wait(r":status", what="the recalled command")
    s.keys("Up")
    screen = s.capture()
    if SECRET in screen or "account add" in screen:
        fail("Up recalled the line with the password", screen)
    s.keys("Escape")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="quit")

    # the next start reads the new account: no demo mode any more
    s.send_literal("clear")
    s.keys("Enter")
    s.start_ttyphone(home)
    screen = s.wait(r"F1 help\s*$", what="the UI again")
    if "demo mode" in screen.split("\n")[-2]:
        fail("still demo mode with an account configured", screen)
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="quit again")
    print("ok")


if __name__ == "__main__":
    main()
