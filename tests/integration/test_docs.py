#!/usr/bin/env python3
"""The documentation covers what the program accepts (issue 6: "ttyphone.conf(5) documents
every key; ttyphone(1) documents options, keys and headless commands").

Names are read from the source, so a key, command, event or key action added without its
documentation fails here, naming what is missing:
  - every config key that src/config.c accepts: in ttyphone.conf(5) and in the annotated
    config/ttyphone.ini.example;
  - every headless command of src/commands.h: in ttyphone(1) and in the README;
  - every JSON event that src/ writes ("event", "NAME"): in ttyphone(1);
  - every terminal UI action of tui/keys.h: in ttyphone.conf(5), where key_ACTION is;
  - every command-line option main.c parses: in ttyphone(1);
  - every test script under tests/: listed in Makefile.am, so `make check` runs it;
  - every file of tests/bench: listed in Makefile.am, so the release tarball has it.
No lab is needed: this reads files only."""
import glob
import os
import re
import sys

SRC = os.environ.get("TTY_SRCDIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "..", "..")


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def roff_words(text):
    """The man page's text with font escapes and hyphen escapes removed."""
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\-", "-").replace("\\(em", "-")


problems = []


def missing(what, names, where_text, where, pattern=r"(?<![\w-]){}(?![\w-])"):
    for n in sorted(set(names)):
        if not re.search(pattern.format(re.escape(n)), where_text):
            problems.append("%s %r is not in %s" % (what, n, where))


def main():
    config_c = read("src/config.c")
    conf5 = roff_words(read("doc/ttyphone.conf.5"))
    man1 = roff_words(read("doc/ttyphone.1"))
    example = read("config/ttyphone.ini.example")
    readme = read("README.md")

    keys = re.findall(r'strcmp\(name, "([a-z_0-9]+)"\)', config_c)
    if len(keys) < 30:
        problems.append("found only %d config keys in src/config.c: the pattern is stale"
                        % len(keys))
    missing("config key", keys, conf5, "doc/ttyphone.conf.5")
    missing("config key", keys, example, "config/ttyphone.ini.example",
            pattern=r"(?m)^[;#]?\s*{}\s*=")

    commands = re.findall(r"^\s*X\((\w+),", read("src/commands.h"), re.M)
    if len(commands) < 15:
        problems.append("found only %d commands in src/commands.h" % len(commands))
    missing("headless command", commands, man1, "doc/ttyphone.1")
    missing("headless command", commands, readme, "README.md", pattern=r"`{}\b")

    events = set()
    for path in glob.glob(os.path.join(SRC, "src", "**", "*.c"), recursive=True):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        events.update(re.findall(r'jw_str\(&\w+, "event", "(\w+)"\)', text))
        for a, b in re.findall(r'"event", \w+ \? "(\w+)" : "(\w+)"', text):
            events.update((a, b))
    if len(events) < 10:
        problems.append("found only %d events in src/" % len(events))
    missing("JSON event", events, man1, "doc/ttyphone.1", pattern=r'"event":"{}"|\b{}\b event'
            .replace("{}", "{0}"))

    actions = [a.lower() for a in re.findall(r"^\s*X\((\w+)\s*,", read("tui/keys.h"), re.M)]
    if len(actions) < 20:
        problems.append("found only %d actions in tui/keys.h" % len(actions))
    missing("UI action (for key_ACTION)", actions, conf5, "doc/ttyphone.conf.5")

    options = re.findall(r'\{ "([a-z][a-z-]+)", (?:no|required|optional)_argument',
                         read("src/main.c"))
    if len(options) < 4:
        problems.append("found only %d options in src/main.c" % len(options))
    missing("option", ["--" + o for o in options], man1, "doc/ttyphone.1",
            pattern=r"(?<![\w-]){}(?![\w-])")

    makefile = read("Makefile.am")
    for path in sorted(glob.glob(os.path.join(SRC, "tests", "*", "test_*.py")) +
                       glob.glob(os.path.join(SRC, "tests", "unit", "test_*.c"))):
        rel = os.path.relpath(path, SRC)
        name = rel[:-2] if rel.endswith(".c") else rel
        if rel.startswith("tests/tui/test_tui_units"):
            name = rel[:-2]
        if name not in makefile and rel not in makefile:
            problems.append("test %s is not in Makefile.am, so make check never runs it" % rel)

    for path in sorted(glob.glob(os.path.join(SRC, "tests", "bench", "*"))):
        rel = os.path.relpath(path, SRC)
        if os.path.isfile(path) and rel not in makefile:
            problems.append("benchmark %s is not in Makefile.am, so the tarball lacks it" % rel)

    if problems:
        for p in problems:
            print("FAIL: " + p)
        sys.exit(1)
    print("ok: %d config keys, %d commands, %d events, %d UI actions, %d options documented"
          % (len(set(keys)), len(commands), len(events), len(actions), len(options)))


if __name__ == "__main__":
    main()
