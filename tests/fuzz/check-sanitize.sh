#!/bin/bash
# check-sanitize.sh: `make check-sanitize`. Configures a separate build with --enable-asan
# (AddressSanitizer + UndefinedBehaviorSanitizer, and LeakSanitizer with it) in
# _build/sanitize of the build directory, builds it and runs the whole suite there: unit
# tests, and integration tests whose ttyphone processes are the sanitized binary too.
# Every sanitizer report of every process goes to _build/sanitize/reports/ (log_path), so a
# report from a phone that a test did not look at still fails the run.
#
# The source tree: when it has been configured in place (./configure in the clone, as the
# README does), autoconf refuses a second build from it, so the files git knows (tracked
# and new, not ignored) and the generated build system are copied to _build/sanitize/src
# first. SAN_JOBS (default 1) runs that many tests at once: one, because a test's ASan
# processes already need about what two plain tests do, and two such tests side by side on
# 2 cores starved each other's media threads into audible gaps (the build uses 2 jobs).
# SAN_TESTS limits the run
# (same syntax as TESTS); SAN_CC picks the compiler (default: the one configure finds);
# ASAN_EXTRA adds ASan options. Leaks inside libraries we do not own are suppressed in
# lsan.supp beside this script, each with its reason.
# The ASan build's Makefile gives its tests TTY_SANITIZED=1 (ttylab.sanitized()): tests
# that measure real time relax those limits only, each saying why. The last lines are
#   sanitized: N passed, N failed, N skipped, N sanitizer reports
# (read by check-memory.sh, which make check runs) and the reports, if any.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${TTY_SRCDIR:-$(cd "$here/../.." && pwd)}
top=$(pwd)
san=$top/_build/sanitize
jobs=${SAN_JOBS:-1}
reports=$san/reports

say() { echo "check-sanitize: $*"; }

mkdir -p "$san"
if [ -f "$src/config.status" ]; then
	git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
		{ say "$src is configured in place and is not a git checkout: run 'make distclean' there, or build elsewhere"; exit 1; }
	say "copying the source tree to ${san#$top/}/src (it is configured in place)"
	mkdir -p "$san/src"
	(cd "$src" && { git ls-files -co --exclude-standard;
		ls -d configure Makefile.in aclocal.m4 ttyconf.h.in build-aux m4 2>/dev/null; } |
		sort -u | while read -r f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | (cd "$san/src" && tar -xpf -) || { say "copy failed"; exit 1; }
	# npm's packages are ignored by git, not copied: the JsSIP and browser labs use the
	# tree's own (a link, so that the sanitized run does not skip them).
	if [ -d "$src/tests/node/node_modules" ] && [ ! -e "$san/src/tests/node/node_modules" ] &&
	   [ ! -L "$san/src/tests/node/node_modules" ]; then
		ln -s "$src/tests/node/node_modules" "$san/src/tests/node/node_modules" ||
			{ say "cannot link tests/node/node_modules"; exit 1; }
	fi
	srcdir=$san/src
else
	srcdir=$src
fi

mkdir -p "$san/build"
cd "$san/build" || exit 1
if [ ! -f Makefile ] || [ "$srcdir/configure" -nt config.status ]; then
	say "configuring with --enable-asan"
	"$srcdir/configure" --enable-asan ${SAN_CC:+CC="$SAN_CC"} >configure.log 2>&1 ||
		{ tail -n 20 configure.log; say "configure failed (log: ${san#$top/}/build/configure.log)"; exit 1; }
fi
say "building"
start=$(date +%s)
# test_json too: the LeakSanitizer probe below runs it
{ make -j2 && make tests/unit/test_json; } >build.log 2>&1 ||
	{ grep -E 'error|Error' build.log | head -n 20; say "build failed (log: ${san#$top/}/build/build.log)"; exit 1; }
say "built in $(( $(date +%s) - start )) s"

# LeakSanitizer needs ptrace-like stop-the-world; where it cannot run (some containers),
# it says so at the first exit: then run without it and say that too.
leaks=1
probe=$(ASAN_OPTIONS=detect_leaks=1 ./tests/unit/test_json 2>&1 >/dev/null | grep -i 'LeakSanitizer has encountered a fatal error\|does not work under ptrace')
if [ -n "$probe" ]; then
	say "LeakSanitizer cannot run here ($probe): leaks are not checked"
	leaks=0
fi

rm -rf "$reports"
mkdir -p "$reports"
# fast_unwind_on_malloc=0: the system libraries have no frame pointers, and without it a
# leak's stack stops inside Sofia or OpenSSL before reaching our code. quarantine_size_mb:
# freed memory held back to catch use-after-free; the default 256 MB makes test_flood's
# "RSS stops growing" check fail for the quarantine's sake alone.
export ASAN_OPTIONS="detect_leaks=$leaks:log_path=$reports/asan:fast_unwind_on_malloc=0:quarantine_size_mb=32:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1${ASAN_EXTRA:+:$ASAN_EXTRA}"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
say "running the suite (ASAN_OPTIONS=$ASAN_OPTIONS)"
start=$(date +%s)
rm -f test-suite.log
# CHECK_SANITIZE=no: this make check is the sanitized run; it must not start another.
make -j"$jobs" check CHECK_SANITIZE=no ${SAN_TESTS:+TESTS="$SAN_TESTS"} >check.log 2>&1
rc=$?
grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' check.log
# Why each failed test failed: the end of its log (unittest's summary of failures is last).
sed -n 's/^\(FAIL\|ERROR\): //p' check.log | while read -r t; do
	log=${t%.py}.log      # tests/x.py logs to tests/x.log, tests/unit/y to y.log
	echo "--- end of $log:"
	tail -n 40 "$log" 2>/dev/null | sed 's/^/  /'
done
say "suite took $(( $(date +%s) - start )) s, exit $rc (log: ${san#$top/}/build/check.log)"

n=$(find "$reports" -type f | wc -l)
# One line for check-memory.sh and people, from the suite's own log (a run that failed
# before any test leaves none: then every count is 0 and the exit status says it).
count() { local v; v=$(sed -n "s/^# $1: *//p" test-suite.log 2>/dev/null | tail -n 1); echo "${v:-0}"; }
echo "sanitized: $(count PASS) passed, $(( $(count FAIL) + $(count ERROR) )) failed," \
	"$(count SKIP) skipped, $n sanitizer reports"
if [ "$n" -gt 0 ]; then
	say "$n sanitizer report(s) in ${reports#$top/}:"
	for f in "$reports"/*; do
		echo "--- ${f#$top/}: $(grep -E 'ERROR:|runtime error' "$f" | head -n 1 | sed 's/^==[0-9]*==//')"
		grep -E 'SUMMARY' "$f"
		# the frames in our own code, most frequent first: where to look
		grep -E '^ +#[0-9]+ .* in [A-Za-z_0-9]+ .*/(src|tui|tests)/[^ ]*:[0-9]+' "$f" |
			sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //' | sort | uniq -c | sort -rn | head -n 6
	done
	exit 1
fi
say "no sanitizer report"
exit $rc
