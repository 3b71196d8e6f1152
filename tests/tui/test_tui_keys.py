#!/usr/bin/env python3
"""Call keys beyond answer and hang-up: R records the call to a WAV file (the prompt offers
a name in $HOME), and S swaps calls (with one call it says what swap needs)."""
import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Screen, fail, make_home  # noqa: E402


def main():
    home = make_home()
    before = set(glob.glob("/tmp/ttyphone-*.wav"))   # the Screen's shell has HOME=/tmp
    s = Screen(100, 30)
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI")
    s.keys("Enter")
    s.wait(r"established", what="the echo call")
    s.keys("S")
    s.wait(r"swap needs an active call and a held one", what="swap's answer with one call")
    s.keys("R")
    s.wait(r"record call \d+ to \(off stops\): /tmp/ttyphone-\d{8}-\d{6}\.wav",
           what="the record prompt with a default name")
    s.keys("Enter")
    s.wait(r"recording /tmp/ttyphone-", what="recording confirmed")
    time.sleep(1.0)
    s.keys("h")
    s.wait(r"established", absent=True, what="the call ended")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="ttyphone quitting")
    s.kill()
    made = set(glob.glob("/tmp/ttyphone-*.wav")) - before
    if len(made) != 1:
        fail("expected one new recording, found %r" % sorted(made))
    path = made.pop()
    size = os.path.getsize(path)
    os.unlink(path)
    if size < 48000:            # a second of 48 kHz stereo is far more; the header alone 44
        fail("the recording holds %d bytes" % size)
    print("ok")


if __name__ == "__main__":
    main()
