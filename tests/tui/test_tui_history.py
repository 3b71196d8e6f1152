#!/usr/bin/env python3
"""The history view (r, :history): calls and messages with a headless ttyphone on
127.0.0.1 (an answered call, one refused with 486 Busy Here, one missed, messages both
ways, one full of escape sequences) show newest first with the contact's name, the
duration or result and the codec; rows arrive while the view is open; / searches as you
type (n of m) and Esc clears; M keeps the missed calls; Enter on a call calls the peer
back and on a message opens the chat; the view survives a resize; a damaged or locked
history file is explained in the view."""
import os
import re
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Headless, Screen, check_frame, fail, free_port, make_home  # noqa: E402

HOSTILE = "\x1b[2J\x1b]0;pwned\x07RED\x1b[31mX"


def rows(screen):
    """The history's rows: the lines in the box that start with a time (not the search)."""
    out = []
    for line in screen.split("\n")[1:]:
        if line.startswith("└"):
            break
        out.append(line.strip("│ "))
    return [r for r in out if re.match(r"\d\d:\d\d ", r)]


def whole_view(s, header, nrows, what, cols=None):
    """The view once its frame is whole: the header matches, the box is closed below
    the rows and there are nrows of them (and the top line is cols wide)."""
    rx = re.compile(header, re.M)

    def ready(screen):
        lines = screen.split("\n")
        return (bool(rx.search(lines[0])) and any(l.startswith("└") for l in lines[1:])
                and len(rows(screen)) == nrows and (cols is None or len(lines[0]) == cols))
    return s.wait_for(ready, what=what)


def event(kind, **match):
    return lambda e: e.get("event") == kind and all(e.get(k) == v for k, v in match.items())


def tick():
    """The history keeps seconds: rows whose order is checked are a second apart."""
    time.sleep(1.1)


def make_history(s, port, peer):
    """Calls and messages between the UI and the peer, oldest first."""
    def ui_command(line):
        s.keys(":")
        s.send_literal(line)
        s.keys("Enter")

    # 1. we call, the peer answers, we hang up after a second or so
    ui_command("call sip:x@%s" % peer.sip)
    inc = peer.wait_event(event("call", state="incoming"), 10, "our call at the peer")
    peer.send("answer %d" % inc["id"])
    s.wait(r"established", what="the call established")
    time.sleep(1.2)
    s.keys("h")
    s.wait(r"No call", what="the call over")
    tick()
    # 2. we call, the peer is busy
    mark = len(peer.seen)
    ui_command("call sip:x@%s" % peer.sip)
    inc = peer.wait_event(lambda e: event("call", state="incoming")(e) and
                          e not in peer.seen[:mark], 10, "the second call at the peer")
    peer.send("reject %d 486" % inc["id"])
    s.wait(r"486", what="the busy call reported")
    tick()
    # 3. the peer calls and gives up before we answer: missed
    peer.send("call sip:tui@127.0.0.1:%d" % port)
    s.wait(r"Incoming call", what="the incoming call")
    peer.send("hangup")
    s.wait(r"Incoming call", absent=True, what="the popup gone")
    tick()
    # 4. a message from the peer, 5. one from us
    peer.send("msg sip:tui@127.0.0.1:%d hello from pete" % port)
    s.wait(r"message from", what="the message arriving")
    tick()
    ui_command("msg sip:x@%s on my way" % peer.sip)
    peer.wait_event(event("message", body="on my way"), 10, "our message at the peer")
    tick()


def check_damaged_and_locked():
    """History files that cannot be used: the view says why, in words."""
    for kind in ("damaged", "locked"):
        home = make_home()
        data = os.path.join(home, "data", "ttyphone")
        os.makedirs(data, mode=0o700)
        path = os.path.join(data, "history.sqlite")
        holder = None
        if kind == "damaged":
            with open(path, "wb") as f:
                f.write(b"this is not a database\n" * 400)
        else:
            db = sqlite3.connect(path, isolation_level=None)
            db.execute("CREATE TABLE t (x)")
            db.close()
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("PRAGMA locking_mode = EXCLUSIVE")
            holder.execute("BEGIN EXCLUSIVE")
        s = Screen(80, 24)
        s.start_ttyphone(home)
        s.wait(r"F1 help\s*$", timeout=15, what="the UI (%s history)" % kind)
        s.keys("r")
        screen = s.wait(r"No history this time", what="the %s history explained" % kind)
        said = " ".join(l.strip("│ ") for l in screen.split("\n"))
        want = ("not a SQLite database or it is damaged" if kind == "damaged" else
                "another program holds a lock")
        if want not in said or "history.sqlite" not in said:
            fail("the view does not say \"%s\" about the file" % want, screen)
        s.keys("q")
        s.keys("q")
        s.wait(r"TTYPHONE-EXIT=0", what="ttyphone exiting")
        s.kill()
        if holder:
            holder.execute("ROLLBACK")
            holder.close()
        elif open(path, "rb").read() != b"this is not a database\n" * 400:
            fail("the damaged file was changed")


def main():
    port = free_port()
    peer = Headless(make_home())
    contacts = "[contact pete]\nuri = sip:x@%s, sip:%s\n" % (peer.sip, peer.sip)
    home = make_home(sip_port=port, contacts=contacts)
    with open(os.path.join(home, "ttyphone", "config.ini"), "a") as f:
        f.write("\n[ui]\nmouse = yes\n")
    s = Screen(100, 30)
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI")
    make_history(s, port, peer)

    # r opens the view: newest first, names from contacts.ini, results, the codec.
    s.keys("Escape")
    s.keys("r")
    screen = whole_view(s, r"History .* 5 ─", 5, "the history view with 5 rows")
    got = rows(screen)
    expect = [
        r"^\d\d:\d\d ✉→ pete\s+on my way\s+delivered$",
        r"^\d\d:\d\d ✉← pete\s+hello from pete\s+received$",
        r"^\d\d:\d\d  ↚ pete\s+missed$",
        r"^\d\d:\d\d  → pete\s+busy 486$",
        r"^\d\d:\d\d  → pete\s+0:0[1-3]\s+\w+$",
    ]
    if len(got) < 5 or any(not re.search(rx, row) for rx, row in zip(expect, got)):
        fail("the rows are not as expected:\n  " + "\n  ".join(expect), screen)

    # Live: a message and a missed call arrive while the view is open.
    peer.send("msg sip:tui@127.0.0.1:%d %s" % (port, HOSTILE))
    screen = whole_view(s, r"History .* 6 ─", 6, "the hostile message appearing in the open view")
    title = s.fmt("#{pane_title}")
    top = rows(screen)[0]
    if "\\e[2J\\e]0;pwned\\x07RED\\e[31mX" not in top:
        fail("the hostile body is not shown escaped", screen)
    if "pwned" in title or not screen.startswith("┌"):
        fail("the hostile body reached the terminal", screen)
    tick()
    peer.send("call sip:tui@127.0.0.1:%d" % port)
    screen = s.wait(r"Incoming call", what="the popup over the history")
    if not re.search(r"← pete\s+ringing", rows(screen)[0]):
        fail("the ringing call is not the newest row", screen)
    peer.send("hangup")
    s.wait_for(lambda scr: re.search(r"┐\n│\d\d:\d\d  ↚ pete +missed", scr) and
               "─ 7 ─" in scr.split("\n")[0] and "Incoming call" not in scr,
               what="the call just missed at the top of 7 rows, the popup gone")

    # / searches as you type, case-insensitive, n of m; Esc clears.
    s.keys("/")
    s.send_literal("BUSY")
    screen = whole_view(s, r"1 of 7", 1, "the search narrowing to one row")
    got = rows(screen)
    if not re.search(r"busy 486", got[0]) or any("missed" in r for r in got):
        fail("the search did not keep only the busy call", screen)
    s.keys("Escape")
    screen = s.wait(r"History .* 7 ─", what="Esc clearing the search")
    # a contact's name finds its rows; an address with no rows finds nothing
    s.keys("/")
    s.send_literal("pete")
    s.wait(r"7 of 7", what="the contact's name matching every row")
    s.keys("C-u")
    s.send_literal("nobody-here")
    s.wait(r"Nothing matches", what="a search that matches nothing")
    s.keys("Escape")
    # M keeps the missed calls
    s.keys("M")
    screen = whole_view(s, r"History: missed calls .* 2 of 7", 2, "the missed calls only")
    if any("missed" not in r for r in rows(screen)):
        fail("M did not keep just the two missed calls", screen)
    s.keys("M")
    s.wait(r"History .* 7 ─", what="everything again")

    # A resize with the view open redraws it whole.
    s.resize(120, 40)
    whole_view(s, r"^┌─ History ─.{100,}┐$", 7, "the whole view at 120 columns", cols=120)
    s.resize(100, 30)
    whole_view(s, r"^┌─ History ─+ 7 ─┐$", 7, "the whole view back at 100 columns", cols=100)

    # Enter on a message row opens the chat with its peer.
    s.keys("/")
    s.send_literal("hello from")
    s.wait(r"1 of 7", what="the message found")
    s.keys("Enter", "Enter")
    s.wait(r"Chat with pete", what="the chat with the message's sender")
    s.keys("Escape")
    s.wait(r"History", what="back in the history")

    # Enter on a call row calls the peer back: the peer sees our call.
    s.keys("Escape")           # the search
    s.wait(r"History .* 7 ─", what="the whole list")
    s.keys("/")
    s.send_literal("busy")
    s.wait(r"1 of 7", what="the busy call found")
    s.keys("Enter")            # ends the search
    mark = len(peer.seen)
    s.keys("Enter")            # calls back
    inc = peer.wait_event(lambda e: event("call", state="incoming")(e) and
                          e not in peer.seen[:mark], 10, "the call back at the peer")
    if "x@" not in inc.get("peer", "") and "127.0.0.1" not in inc.get("peer", ""):
        fail("the peer saw a call from %r" % inc.get("peer"))
    screen = s.wait(r"(calling|ringing)", what="the call panel showing the call back")
    if "─ History" in screen:
        fail("the history stayed over the call panel", screen)
    peer.send("reject %d 486" % inc["id"])
    s.wait(r"No call", what="the call back over")

    # :history TEXT opens the view searching for TEXT; a double click on a row calls back.
    s.keys(":")
    s.send_literal("history missed")
    s.keys("Enter")
    whole_view(s, r"2 of 8", 2, ":history missed listing the two missed calls")
    mark = len(peer.seen)
    for _ in range(2):
        s.send_literal("\x1b[M" + chr(32) + chr(33 + 20) + chr(33 + 2))   # press, row 2
        s.send_literal("\x1b[M" + chr(35) + chr(33 + 20) + chr(33 + 2))   # release
    inc = peer.wait_event(lambda e: event("call", state="incoming")(e) and
                          e not in peer.seen[:mark], 10, "the double click's call at the peer")
    peer.send("reject %d 486" % inc["id"])
    s.wait(r"No call", what="that call over")
    s.keys("r")
    s.wait(r"History .* 9 ─", what="the history again, with the two calls back")
    s.keys("q")
    s.wait(r"SIP log", what="the main screen")
    check_frame(s.capture(), 100, 30)
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="ttyphone exiting")
    s.kill()

    check_damaged_and_locked()
    print("ok")


if __name__ == "__main__":
    main()
