#!/usr/bin/env python3
"""^Z and fg: the shell gets its terminal back exactly as it was (same stty settings, stdin
blocking again, out of the alternate screen), and fg brings the whole UI back, answering
keys. A SIGSTOP from outside, then fg, also ends with a repainted, working UI."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Screen, fail, make_home  # noqa: E402

FLAGS = ("python3 -c 'import fcntl,os; "
         "print(\"STDIN-\" + (\"NONBLOCK\" if fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK "
         "else \"BLOCKING\"))'")


def shell(s, line):
    s.send_literal(line)
    s.keys("Enter")


def main():
    home = make_home()
    before, after = os.path.join(home, "stty.before"), os.path.join(home, "stty.after")
    s = Screen(100, 30)
    shell(s, "stty -g > %s" % before)
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI")
    pid = s.ttyphone_pid()

    s.keys("C-z")
    s.wait(r"Stopped", what="the shell's job-stopped line")
    if s.alternate_on():
        fail("still in the alternate screen after ^Z", s.capture())
    shell(s, "clear; stty -g > %s; %s" % (after, FLAGS))
    screen = s.wait(r"STDIN-(NONBLOCK|BLOCKING)", what="stdin's flags")
    if "STDIN-BLOCKING" not in screen or "NDELAY" in screen:
        fail("the shell got stdin non-blocking", screen)
    with open(before) as f, open(after) as g:
        b, a = f.read().strip(), g.read().strip()
    if a != b:
        fail("terminal settings after ^Z differ: before %s, after %s" % (b, a))

    shell(s, "fg; echo FG-EXIT=$?")
    s.wait(r"┌─ Contacts", what="the UI repainted after fg")
    if not s.alternate_on():
        fail("fg did not go back to the alternate screen", s.capture())
    s.keys("F1")
    s.wait(r"Everywhere", what="the help overlay: keys work after fg")
    s.keys("Escape")
    s.wait(r"Everywhere", absent=True, what="help closed")

    # SIGSTOP from outside: no chance to tidy up, the shell takes the terminal and writes
    # over our screen; fg continues us (SIGCONT) and every cell is painted again
    os.kill(pid, signal.SIGSTOP)
    s.wait(r"Stopped", what="the shell's job-stopped line over the UI")
    s.send_literal("fg; echo FG2-EXIT=$?")
    s.keys("C-j")      # the terminal is still in our modes: no CR-to-NL, so Enter would not do
    s.wait(r"Stopped", absent=True, what="the UI repainted over the shell's text")
    s.wait(r"┌─ Contacts", what="the UI after SIGSTOP and fg")
    s.keys("F1")
    s.wait(r"Everywhere", what="the help overlay after SIGSTOP and fg")
    s.keys("Escape")
    s.keys("q")
    s.wait(r"FG2-EXIT=0", what="ttyphone quitting with status 0 after the second fg")
    if s.alternate_on():
        fail("still in the alternate screen after quitting", s.capture())
    print("ok")


if __name__ == "__main__":
    main()
