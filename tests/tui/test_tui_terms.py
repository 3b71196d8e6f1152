#!/usr/bin/env python3
"""The terminal UI under the terminals people have: TERM=xterm-256color, screen-256color,
tmux-256color, linux and vt100, each with LANG=C.UTF-8 and with LANG=C, inside tmux; and
inside GNU screen (skipped, with the reason, when screen is not installed).

For each: the start-up layout (the boxes fill the window, pane titles, the echo contact,
the status line last), a call to the echo test shows the call panel (state, peer, quality
line, level meters, the SRTP mark) and hangs up, and quitting gives the terminal back (no
alternate screen left on, no UI left on the screen, cursor visible, keypad mode off, the
same stty settings as before, stdin blocking again, no attribute stuck on the next output).

What "looks right" means here, read from tmux's cells (capture-pane -e shows attributes and
which cells are in the line-drawing character set):
  - LANG=C: nothing but ASCII on the screen: the boxes are the terminal's line-drawing set
    (DEC special graphics, 7-bit), the glyphs ASCII fallbacks (">", "[S]", "_" meters);
  - vt100: no color escape at all and no UTF-8 box characters, whatever the locale;
  - the other terminals: colors are used;
  - in GNU screen, which redraws everything on tmux in its own way: colors are used, and
    with LANG=C ttyphone's glyphs are ASCII (screen draws the line-drawing set as UTF-8).
Every TERM here is in Debian's ncurses-base (infocmp finds them); GNU screen is the
package screen.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tuitest import (Screen, _cleanups, check_frame, fail, make_home, skip,  # noqa: E402
                     ttyphone_bin)

TERMS = ["xterm-256color", "screen-256color", "tmux-256color", "linux", "vt100"]
LANGS = ["C.UTF-8", "C"]
NO_COLOR_TERMS = {"vt100"}

# DEC special graphics as tmux stores them (the letter, in the alternate character set).
ACS = {"l": "┌", "k": "┐", "m": "└", "j": "┘", "q": "─", "x": "│", "t": "├", "u": "┤",
       "w": "┬", "v": "┴", "n": "┼"}
BOX = re.compile("[\u2500-\u257f]")
SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def missing_terminfo(term):
    r = subprocess.run(["infocmp", term], capture_output=True)
    return r.returncode != 0


def cells(s):
    """The pane with attributes (capture-pane -e) turned into (text, colors, acs): the text
    with line-drawing cells shown as the box characters they draw, the color parameters
    of its SGR sequences, how many cells were in the line-drawing set."""
    raw = s.tmux("capture-pane", "-p", "-e", "-t", "t")
    out, colors, acs_cells, in_acs, i = [], [], 0, False, 0
    while i < len(raw):
        c = raw[i]
        if c == "\x1b":
            m = SGR.match(raw, i)
            if m:
                colors += color_params(m.group(1))
                i = m.end()
                continue
            i += 1                       # any other escape: skip its introducer
            continue
        if c == "\x0e":
            in_acs = True
        elif c == "\x0f":
            in_acs = False
        elif in_acs and c in ACS:
            out.append(ACS[c])
            acs_cells += 1
        else:
            out.append(c)
        i += 1
    return "".join(out), colors, acs_cells


def color_params(params):
    """The color settings among an SGR's parameters (39/49, the default colors, are none)."""
    found, p = [], [x for x in re.split("[;:]", params) if x != ""]
    k = 0
    while k < len(p):
        n = int(p[k])
        if 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 97 or 100 <= n <= 107:
            found.append(n)
        elif n in (38, 48):
            found.append(n)
            k += 2 if k + 1 < len(p) and p[k + 1] == "5" else 4
        k += 1
    return found


def start(s, home, term, lang):
    """Note the terminal's settings, then run ttyphone in the pane's shell with TERM (unless
    None: keep the multiplexer's) and LANG."""
    s.errlog = os.path.join(home, "stderr.log")
    env = "env %sLANG=%s XDG_CONFIG_HOME=%s XDG_DATA_HOME=%s/data XDG_STATE_HOME=%s/state" % (
        "TERM=%s " % term if term else "", lang, home, home, home)
    s.send_literal("stty -g >%s/stty.before; %s %s 2>%s; echo TTYPHONE-EXIT=$?" % (
        home, env, ttyphone_bin(), s.errlog))
    s.keys("Enter")


def check_looks(s, what, lang, colors_expected, no_utf8_boxes, screen, outer):
    """The screen's character set and colors for this TERM and LANG. Not outer (in GNU
    screen): screen draws the line-drawing set its own way on tmux (as UTF-8 lines)."""
    text, colors, acs = cells(s)
    plain = screen
    if lang == "C":
        odd = sorted(set(c for c in plain if ord(c) > 0x7e and (outer or not BOX.match(c))))
        if odd:
            fail("%s: non-ASCII characters with LANG=C: %s" % (what, " ".join(odd)), plain)
    if no_utf8_boxes and BOX.search(plain):
        fail("%s: UTF-8 box characters on a terminal without them" % what, plain)
    if colors_expected is False and colors:
        fail("%s: color escapes (SGR %s) on a terminal without colors" % (
            what, sorted(set(colors))), plain)
    if colors_expected and not colors:
        fail("%s: no colors on a color terminal" % what, plain)
    if not BOX.search(text):
        fail("%s: no box lines, neither UTF-8 nor line-drawing set" % what, plain)
    if lang == "C" and outer and acs == 0:
        fail("%s: with LANG=C the boxes are not in the line-drawing set" % what, plain)
    return text


def run_one(s, home, term, lang, label, colors_expected, no_utf8_boxes, outer=True):
    """Start-up, a call to echo, hang up, quit; s is a fresh pane with a shell. outer:
    ttyphone is tmux's own pane program (not in a screen in it), so tmux's flags (alternate
    screen, cursor, keypad) are ttyphone's."""
    utf8 = lang != "C"
    start(s, home, term, lang)
    s.wait(r"F1 help\s*$", what="%s: the status line" % label)
    screen = s.wait(r"SIP log", what="%s: the SIP log pane" % label)
    text = check_looks(s, label, lang, colors_expected, no_utf8_boxes, screen, outer)
    check_frame(text, s.cols, s.rows)
    lines = text.split("\n")
    if "Contacts" not in lines[0] or "Calls" not in lines[0]:
        fail("%s: the pane titles are not on the top row" % label, text)
    if not re.search(r"echo\s", lines[1]):
        fail("%s: the echo contact is not first" % label, text)
    if "demo mode" not in lines[s.rows - 1]:
        fail("%s: the status line does not say demo mode" % label, text)

    s.keys(":")
    s.send_literal("call echo")
    s.keys("Enter")
    s.wait(r"established", what="%s: the echo call established" % label)
    screen = s.wait(r"MOS \d", what="%s: the call's quality line" % label)
    text = check_looks(s, label + " in a call", lang, colors_expected, no_utf8_boxes, screen,
                       outer)
    check_frame(text, s.cols, s.rows)
    top = "\n".join(text.split("\n")[:8])
    mark, lock, bars = ("▶", "🔒", "▁▂▃▄▅▆▇█") if utf8 else (">", "[S]", "_.:\\-=+*#")
    if not re.search(re.escape(mark) + r" 1 established\s+echo test\s", top):
        fail("%s: the call panel lacks '%s 1 established  echo test'" % (label, mark), text)
    if lock not in top:
        fail("%s: the call panel lacks the SRTP mark %s" % (label, lock), text)
    if not re.search(r"mic [%s]{6}\s+spk [%s]{6}" % (bars, bars), top):
        fail("%s: the call panel lacks the level meters" % label, text)
    if not re.search(r"opus/48000\s+jitter \d+ ms\s+loss [\d.]+ %", top):
        fail("%s: the call panel lacks the quality line" % label, text)
    s.keys("h")
    s.wait(r"No call", what="%s: the call hung up" % label)

    s.keys("q")
    screen = s.wait(r"TTYPHONE-EXIT=\d+\s*$", what="%s: ttyphone exiting" % label)
    if "TTYPHONE-EXIT=0" not in screen:
        fail("%s: ttyphone did not exit with 0" % label, screen)
    check_restored(s, home, label, outer)


def check_restored(s, home, label, outer):
    screen = s.capture()
    text = cells(s)[0]
    if outer and s.alternate_on():
        fail("%s: the alternate screen is still on after quitting" % label, screen)
    if BOX.search(text) or "F1 help" in text:
        fail("%s: the UI is still on the screen after quitting" % label, screen)
    flags = s.fmt("#{cursor_flag} #{keypad_flag} #{insert_flag}")
    if outer and flags != "1 0 0":
        fail("%s: cursor visible, keypad, insert mode are %s after quitting, not 1 0 0" % (
            label, flags), screen)
    # quoted, so that the command line itself (maybe wrapped) does not match
    s.send_literal("stty -g | cmp -s - %s/stty.before && echo STTY-\"SAME\" || "
                   "echo STTY-\"CHANGED\"" % home)
    s.keys("Enter")
    screen = s.wait(r"^STTY-(SAME|CHANGED)", what="%s: the stty comparison" % label)
    if re.search(r"^STTY-CHANGED", screen, re.M):
        fail("%s: the terminal's stty settings changed" % label, screen)
    s.send_literal("echo back-$((40+2))")
    s.keys("Enter")
    s.wait(r"^back-42", what="%s: the shell working after quitting" % label)
    screen = s.capture()
    if "NDELAY" in screen:               # dash: "sh: turning off NDELAY mode"
        fail("%s: the shell found stdin left non-blocking" % label, screen)
    raw = s.tmux("capture-pane", "-p", "-e", "-t", "t")
    line = next(l for l in raw.split("\n") if "back-42" in l and "echo" not in l)
    if "\x1b" in line or "\x0e" in line:
        fail("%s: an attribute is still on after quitting: %r" % (label, line), screen)


def test_terms_in_tmux():
    for term in TERMS:
        if missing_terminfo(term):
            fail("no terminfo entry for %s (Debian: ncurses-base or ncurses-term)" % term)
        for lang in LANGS:
            label = "TERM=%s LANG=%s" % (term, lang)
            s = Screen(80, 24)
            home = make_home()
            run_one(s, home, term, lang, label, term not in NO_COLOR_TERMS,
                    term in NO_COLOR_TERMS or lang == "C")
            s.kill()
            print("ok   %s in tmux" % label)
            sys.stdout.flush()


def test_in_gnu_screen():
    """GNU screen in the tmux pane, ttyphone in screen (TERM=screen-256color from -T)."""
    if not shutil.which("screen"):
        return False
    for lang in LANGS:
        label = "GNU screen, LANG=%s" % lang
        s = Screen(80, 24)
        home = make_home()
        sdir = tempfile.mkdtemp(prefix="ttyscreen-")
        os.chmod(sdir, 0o700)
        session = "ttytui%d" % os.getpid()
        rc = os.path.join(sdir, "screenrc")
        with open(rc, "w") as f:
            # no banner to dismiss; a hang-up (tmux killed) ends screen instead of leaving
            # it detached with ttyphone inside; honour the alternate screen as xterm does
            f.write("startup_message off\nautodetach off\naltscreen on\nvbell off\n")

        def stop_screen(sdir=sdir, session=session):
            subprocess.run(["screen", "-S", session, "-X", "quit"], capture_output=True,
                           env=dict(os.environ, SCREENDIR=sdir), timeout=10)
            shutil.rmtree(sdir, ignore_errors=True)

        _cleanups.append(stop_screen)
        s.send_literal("env SCREENDIR=%s SHELL=/bin/sh screen -c %s -S %s -T screen-256color"
                       % (sdir, rc, session))
        s.keys("Enter")
        s.send_literal("echo IN-SCREEN-$TERM")
        s.keys("Enter")
        s.wait(r"IN-SCREEN-screen-256color\s*$", what="%s: a shell in screen" % label)
        run_one(s, home, None, lang, label, True, False, outer=False)
        s.send_literal("exit")
        s.keys("Enter")
        s.wait(r"screen is terminating", what="%s: screen ending" % label)
        s.kill()
        print("ok   %s" % label)
        sys.stdout.flush()
    return True


def main():
    test_terms_in_tmux()
    if not test_in_gnu_screen():
        skip("GNU screen is not installed (Debian package: screen); the tmux part passed")
    print("ok")


if __name__ == "__main__":
    main()
