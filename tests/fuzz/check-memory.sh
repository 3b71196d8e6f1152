#!/bin/bash
# check-memory.sh: the second half of `make check` (check-local, when the whole plain
# suite passed and CHECK_SANITIZE is yes): the suite again, built with AddressSanitizer +
# UndefinedBehaviorSanitizer (+ LeakSanitizer) by check-sanitize.sh, then the unit tests
# and a headless session under valgrind by check-valgrind.sh. Prints the time each part
# took and one closing line over all three runs:
#   tests: N passed, N failed, N skipped
# where a sanitizer report, a sanitized build that fails, or a valgrind error counts as a
# failure. Exits 1 if anything failed.
#   check-memory.sh PLAIN_PASSED PLAIN_FAILED PLAIN_SKIPPED PLAIN_SECONDS
# Run from the build directory (UNIT_TESTS and TTYPHONE_BIN as for check-valgrind.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
p=${1:-0} f=${2:-0} s=${3:-0} plain_s=${4:-0}
t0=$(date +%s)

echo "== the suite under ASan + UBSan (make check-sanitize)"
bash "$here/check-sanitize.sh" 2>&1 | tee check-sanitize.log
san_rc=${PIPESTATUS[0]}
san_s=$(( $(date +%s) - t0 ))
line=$(sed -n 's/^sanitized: //p' check-sanitize.log | tail -n 1)
san_failed=0
if [ -n "$line" ]; then
	# "P passed, F failed, S skipped, R sanitizer reports": a report is a failure
	set -- $(echo "$line" | tr -dc '0-9 ')
	p=$((p + ${1:-0})) s=$((s + ${3:-0})) san_failed=$((${2:-0} + ${4:-0}))
fi
# a build that failed, or a failure the counts do not show, is one failure
[ "$san_rc" -ne 0 ] && [ "$san_failed" -eq 0 ] && san_failed=1
f=$((f + san_failed))

t1=$(date +%s)
echo "== unit tests and a headless session under valgrind (make check-valgrind)"
bash "$here/check-valgrind.sh" 2>&1 | tee check-valgrind.log
vg_rc=${PIPESTATUS[0]}
vg_s=$(( $(date +%s) - t1 ))
line=$(sed -n 's/^valgrind: //p' check-valgrind.log | tail -n 1)
vg_failed=0
if [ -n "$line" ]; then
	set -- $(echo "$line" | tr -dc '0-9 ')
	p=$((p + ${1:-0})) s=$((s + ${3:-0})) vg_failed=${2:-0}
fi
[ "$vg_rc" -ne 0 ] && [ "$vg_failed" -eq 0 ] && vg_failed=1
f=$((f + vg_failed))

echo "time: plain suite ${plain_s} s, sanitized build and suite ${san_s} s, valgrind ${vg_s} s," \
	"together $((plain_s + san_s + vg_s)) s"
echo "tests: $p passed, $f failed, $s skipped (plain, ASan+UBSan and valgrind runs)"
[ "$f" -eq 0 ]
