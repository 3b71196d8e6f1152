#!/usr/bin/env python3
"""The chat shows the stored conversation (issue 6: "none of it is ever lost"). Messages
exchanged with a headless ttyphone in one run of the UI (received, sent from the chat and
delivered, a hostile body, one sent with :msg to the contact's other address that fails)
are all in the chat with that contact after a restart, in order and with their states, the
hostile body escaped; a message that arrives before the chat is opened and one typed in it
show once, not twice; the history view's Enter opens the same conversation. Scrolling up
past the loaded messages reads older ones from the file, down to the first, with a date
line where the day changes. A damaged or locked history says so in the chat."""
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Headless, Screen, fail, free_port, make_home  # noqa: E402

HOSTILE = "\x1b[2J\x1b]0;pwned\x07RED\x1b[31mX"
HOSTILE_SHOWN = "\\e[2J\\e]0;pwned\\x07RED\\e[31mX"


def chat_lines(screen):
    """The conversation's rows: inside the chat box, above the line that holds the input."""
    out = []
    for line in screen.split("\n")[1:]:
        if line.startswith("├") or line.startswith("└") or re.match(r"│─+│", line):
            break
        out.append(line[1:].rstrip().rstrip("│").strip())
    return [l for l in out if l]


def event(kind, **match):
    return lambda e: e.get("event") == kind and all(e.get(k) == v for k, v in match.items())


def open_chat_with_pete(s):
    s.keys("Escape", "Home", "Down", "m")
    s.wait(r"Chat with pete", what="the chat with pete")
    return s.settled()


def quit_ui(s):
    s.keys("Escape", "q")
    s.wait(r"TTYPHONE-EXIT=0", what="ttyphone quitting")
    s.send_literal("clear")
    s.keys("Enter")
    s.wait(r"TTYPHONE-EXIT", absent=True, what="a clear screen")


def first_run(s, home, port, peer, dead):
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI")
    peer.send("msg sip:tui@127.0.0.1:%d one from pete" % port)
    s.wait(r"message from pete", what="pete's first message")
    time.sleep(1.1)
    open_chat_with_pete(s)
    s.send_literal("two from us")
    s.keys("Enter")
    peer.wait_event(event("message", body="two from us"), 10, "our message at pete")
    s.wait(r"→ \(delivered\)[ │]*\n│ two from us", what="ours delivered")
    s.keys("Escape")
    peer.send("msg sip:tui@127.0.0.1:%d %s" % (port, HOSTILE))
    s.wait(r"message from pete", what="the hostile message")
    # pete's other address, where nobody listens: sent with :msg, it fails
    s.keys(":")
    s.send_literal("msg sip:x@127.0.0.1:%d;transport=tcp three never arrives" % dead)
    s.keys("Enter")
    s.wait(r"not delivered", timeout=40, what="the message to the dead address failing")
    quit_ui(s)


def check_after_restart(s, home, port, peer):
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI after a restart")
    # a message before the chat is opened: read with the history, shown once
    peer.send("msg sip:tui@127.0.0.1:%d four, live" % port)
    s.wait(r"message from pete", what="pete's message after the restart")
    title = s.fmt("#{pane_title}")
    screen = open_chat_with_pete(s)
    got = chat_lines(screen)
    want = [r"^\d\d:\d\d ←$", r"^one from pete$",
            r"^\d\d:\d\d → \(delivered\)$", r"^two from us$",
            r"^\d\d:\d\d ←$", r"^" + re.escape(HOSTILE_SHOWN) + r"$",
            r"^\d\d:\d\d → \(not delivered: \d\d\d [^)]*\)$", r"^three never arrives$",
            r"^\d\d:\d\d ←$", r"^four, live$"]
    if len(got) != len(want) or any(not re.search(w, g) for w, g in zip(want, got)):
        fail("the conversation after a restart is not as expected:\n  %s" % "\n  ".join(want),
             screen)
    if "pwned" in s.fmt("#{pane_title}") or s.fmt("#{pane_title}") != title:
        fail("the hostile body reached the terminal", screen)
    # typed now: once, delivered
    s.send_literal("five, typed")
    s.keys("Enter")
    peer.wait_event(event("message", body="five, typed"), 10, "the new message at pete")
    screen = s.wait(r"→ \(delivered\)[ │]*\n│ five, typed", what="the new one delivered")
    for text in ("four, live", "five, typed", "one from pete"):
        if sum(1 for l in chat_lines(screen) if l == text) != 1:
            fail("%r is not shown exactly once" % text, screen)
    # Esc, and the history view's Enter on a message: the same conversation
    s.keys("Escape", "r")
    s.wait(r"History", what="the history view")
    s.keys("/")
    s.send_literal("one from")
    s.wait(r"1 of", what="the first message found")
    s.keys("Enter", "Enter")
    s.wait(r"Chat with pete", what="the chat from the history view")
    screen = s.settled()
    if chat_lines(screen)[1] != "one from pete" or chat_lines(screen)[-1] != "five, typed":
        fail("the chat from the history view is not the whole conversation", screen)
    s.keys("Escape", "Escape")
    quit_ui(s)


def check_older_pages(s):
    """450 messages over three days: the chat reads the last 200, then older pages as one
    scrolls up, down to the first message, each once and in order."""
    home = make_home(contacts="[contact old]\nuri = sip:old@192.0.2.1\n")
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI (creating its history)")
    quit_ui(s)
    path = os.path.join(home, "data", "ttyphone", "history.sqlite")
    start = int(time.time()) - 3 * 86400
    rows = [("in" if i % 2 else "out", "sip:old@192.0.2.1", "sip:old@192.0.2.1",
             "msg %03d" % i, start + i * 600, "received" if i % 2 else "delivered",
             0 if i % 2 else 200) for i in range(450)]
    db = sqlite3.connect(path)
    with db:
        db.executemany("INSERT INTO messages (direction, peer, peer_key, body, time, state, "
                       "code) VALUES (?,?,?,?,?,?,?)", rows)
    db.close()
    s.start_ttyphone(home)
    s.wait(r"F1 help\s*$", what="the UI with 450 old messages")
    s.keys("Home", "Down", "m")
    s.wait(r"Chat with old", what="the chat with old")
    # the frame may be caught half drawn: wait for the chat's input line, then look
    s.wait(r"msg 449", what="the newest message")
    screen = s.settled()
    if chat_lines(screen)[-1] != "msg 449":
        fail("the newest message is not at the bottom", screen)
    seen = []
    for _ in range(60):
        screen = s.settled()
        seen = [l for l in chat_lines(screen) if l.startswith("msg ")] + seen
        if "msg 000" in screen:
            break
        s.keys("PPage")
        time.sleep(0.05)
    else:
        fail("scrolling up never reached the first message", screen)
    lines = chat_lines(screen)
    if lines[0] != "─ %s ─" % time.strftime("%a %Y-%m-%d", time.localtime(start)) or \
            not re.match(r"\d\d:\d\d →", lines[1]) or lines[2] != "msg 000":
        fail("the top of the conversation: a date line, then the first message", screen)
    if "Older messages" in screen:
        fail("the first message reached, yet older ones announced", screen)
    numbers = sorted(set(int(l[4:]) for l in seen))
    if numbers != list(range(450)):
        missing = sorted(set(range(450)) - set(numbers))
        fail("scrolling up skipped messages: %r" % missing[:20], screen)
    s.keys("Escape")
    quit_ui(s)


def check_unusable_history(s):
    """A history that cannot be read: the chat says why in a line, and still works."""
    for kind in ("damaged", "locked"):
        home = make_home(contacts="[contact pete]\nuri = sip:x@127.0.0.1:9\n")
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
        s.start_ttyphone(home)
        s.wait(r"F1 help\s*$", timeout=15, what="the UI (%s history)" % kind)
        screen = open_chat_with_pete(s)
        lines = chat_lines(screen)
        want = ("not a SQLite database or it is damaged" if kind == "damaged" else
                "another program holds a lock")
        if not lines or not lines[0].startswith("History: ") or want not in lines[0]:
            fail("the chat does not say \"%s\" in its first line" % want, screen)
        if "No messages yet" not in screen:
            fail("the chat is not usable without its history", screen)
        quit_ui(s)
        if holder:
            holder.execute("ROLLBACK")
            holder.close()


def main():
    port = free_port()
    dead = free_port()
    peer = Headless(make_home())
    # pete writes from sip:HOST:PORT (no account), is written to at sip:x@HOST:PORT, and has
    # a third address where nobody listens
    contacts = "[contact pete]\nuri = sip:x@%s, sip:%s, sip:x@127.0.0.1:%d;transport=tcp\n" % (
        peer.sip, peer.sip, dead)
    home = make_home(sip_port=port, contacts=contacts)
    s = Screen(100, 30)
    first_run(s, home, port, peer, dead)
    check_after_restart(s, home, port, peer)
    check_older_pages(s)
    check_unusable_history(s)
    s.kill()
    print("ok")


if __name__ == "__main__":
    main()
