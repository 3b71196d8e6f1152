#!/usr/bin/env python3
"""The terminal UI's screens without a call: the layout at 80x24 and at 200x50, the demo
mode's echo contact, filtering contacts as you type, the : command line's completion, the
help overlay, and quitting with the terminal given back."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import Screen, check_frame, fail, make_home  # noqa: E402

CONTACTS = """[contact alice]
uri = sip:alice@example.org
notes = work

[contact bob]
uri = sip:bob@example.org

[contact bobby]
uri = sip:bobby@example.org
"""


def test_startup_layout_80x24_demo_mode():
    home = make_home(config=False)          # no config at all: demo mode
    s = Screen(80, 24)
    s.start_ttyphone(home)
    screen = s.wait(r"SIP log", what="the SIP log pane")
    screen = s.wait(r"F1 help\s*$", what="the status line")
    check_frame(screen, 80, 24)
    lines = screen.split("\n")
    if "Contacts" not in lines[0] or "Calls" not in lines[0]:
        fail("contacts and call panes are not side by side on top", screen)
    if "echo" not in lines[1]:
        fail("the built-in echo contact is not first", screen)
    if "demo mode" not in screen:
        # With no audio server (as in this bare shell) the start-up audio warning holds
        # the status line first; "demo mode" shows once it fades.
        screen = s.wait(r"demo mode", timeout=20, what="demo mode said on the status line")
    if not s.alternate_on():
        fail("ttyphone does not use the alternate screen")
    return s


def test_help_overlay(s):
    s.keys("F1")
    screen = s.wait(r"Help", what="the help overlay")
    for text in ("Everywhere", "answer the ringing call", "Main screen"):
        if text not in screen:
            fail("help lacks %r" % text, screen)
    s.keys("G")                              # the end: the command table
    screen = s.wait(r"atransfer", what="the commands in the help")
    s.keys("q")
    s.wait(r"Contacts", what="the main screen after closing help")


def test_command_line_completes_commands(s):
    s.keys(":")
    s.send_literal("hel")
    s.keys("Tab")
    s.wait(r"^:help\s", what="':hel<Tab>' completed to ':help '")
    s.keys("Escape")
    s.wait(r"^:help", absent=True, what="the command line closed")


def test_quit_restores_terminal(s):
    s.keys("q")
    screen = s.wait(r"TTYPHONE-EXIT=0", what="ttyphone exiting with 0")
    if s.alternate_on():
        fail("the alternate screen is still on after quitting", screen)
    if "┌" in screen:
        fail("the UI is still on the screen after quitting", screen)


def test_filter_contacts_and_wide_layout():
    home = make_home(contacts=CONTACTS)
    s = Screen(200, 50)
    s.start_ttyphone(home)
    screen = s.wait(r"bobby", what="the contacts from contacts.ini")
    check_frame(screen, 200, 50)
    lines = screen.split("\n")
    log_top = next(i for i, l in enumerate(lines) if "SIP log" in l)
    if 50 - log_top < 30:
        fail("the log pane has only %d rows on a 50-row screen" % (50 - log_top), screen)
    # filter as you type
    s.keys("/")
    s.send_literal("bob")
    screen = s.wait(r"/bob", what="the filter line")
    top = "\n".join(screen.split("\n")[:log_top])
    if "alice" in top or "bobby" not in top or "bob " not in top:
        fail("filter 'bob' does not show just bob and bobby", screen)
    s.send_literal("b")
    screen = s.wait(r"/bobb", what="the filter line")
    top = "\n".join(screen.split("\n")[:log_top])
    if "bob " in top or "bobby" not in top:
        fail("filter 'bobb' does not show just bobby", screen)
    s.keys("Escape")
    screen = s.wait(r"alice", what="all contacts back after Esc")
    s.keys("q")
    s.wait(r"TTYPHONE-EXIT=0", what="ttyphone exiting")


def test_signals_restore_terminal():
    """SIGTERM quits in order; a crash (SIGSEGV, SIGABRT) still gives the terminal back."""
    home = make_home()
    s = Screen(80, 24)
    # A crash ends with the signal's code, or 1 when a sanitizer reports it first.
    for sig, code in ((signal.SIGTERM, "0"), (signal.SIGSEGV, "(%d|1)" % (128 + signal.SIGSEGV)),
                      (signal.SIGABRT, "(%d|1)" % (128 + signal.SIGABRT))):
        s.keys("clear", "Enter")
        s.start_ttyphone(home)
        s.wait(r"F1 help\s*$", what="the UI")
        os.kill(s.ttyphone_pid(), sig)
        screen = s.wait(r"TTYPHONE-EXIT=%s$" % code, what="ttyphone ending on %s" % sig.name)
        if s.alternate_on() or "┌" in screen:
            fail("the terminal is not restored after %s" % sig.name, screen)
        # the terminal is usable again: the shell echoes what we type
        s.send_literal("echo back-$((40+2))")
        s.keys("Enter")
        s.wait(r"^back-42", what="the shell working after %s" % sig.name)
        s.wait(r"echo back-\$\(\(40\+2\)\)", what="the terminal echoing input again")
    s.kill()


def main():
    s = test_startup_layout_80x24_demo_mode()
    test_help_overlay(s)
    test_command_line_completes_commands(s)
    test_quit_restores_terminal(s)
    s.kill()
    test_filter_contacts_and_wide_layout()
    test_signals_restore_terminal()
    print("ok")


if __name__ == "__main__":
    main()
