#!/bin/bash
# check-valgrind.sh: `make check-valgrind`. Every C unit test, then a headless ttyphone
# session (valgrind_session.py: registration, a call with DTMF, MESSAGE, hold, the echo
# service, quit), each under valgrind --error-exitcode=1 --leak-check=full. Run from the
# build directory with the unit tests and ttyphone built; UNIT_TESTS lists the tests
# (the Makefile passes its list), VALGRIND_UNIT_SKIP names any to leave out. Tests that
# measure real-time audio (VALGRIND_REALTIME, default test_media_loopback and
# test_media_pulse) miss their timing under valgrind's 20-50x slowdown: for them only
# valgrind's verdict counts (no error, nothing definitely lost), not their own checks.
# Logs: tests/valgrind/NAME.log (output) and NAME.vg.log (valgrind).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${TTY_SRCDIR:-$(cd "$here/../.." && pwd)}
top=$(pwd)
# valgrind.supp: threads alive at exit by design (each entry says why).
vgopts="--error-exitcode=1 --leak-check=full --track-origins=yes --suppressions=$here/valgrind.supp"
vg="valgrind $vgopts"
logs=$top/tests/valgrind
command -v valgrind >/dev/null 2>&1 || { echo "valgrind not found (apt-get install valgrind)"; exit 1; }
mkdir -p "$logs"
pass=0 fail=0 skip=0
for t in ${UNIT_TESTS:-}; do
	name=$(basename "$t")
	case " ${VALGRIND_UNIT_SKIP:-} " in *" $name "*)
		echo "SKIP $name (VALGRIND_UNIT_SKIP)"; skip=$((skip + 1)); continue ;;
	esac
	start=$(date +%s)
	(cd "$top" && TTY_SRCDIR=$src $vg --log-file="$logs/$name.vg.log" "./$t") >"$logs/$name.log" 2>&1
	rc=$?
	realtime=no
	case " ${VALGRIND_REALTIME:-test_media_loopback test_media_pulse} " in *" $name "*) realtime=yes ;; esac
	if [ $rc -ne 0 ] && [ $realtime = yes ] &&
	   grep -q 'ERROR SUMMARY: 0 errors' "$logs/$name.vg.log" &&
	   ! grep -Eq 'definitely lost: [1-9]' "$logs/$name.vg.log"; then
		echo "PASS $name ($(( $(date +%s) - start )) s; valgrind clean, its own timing checks:" \
			"$(tail -n 1 "$logs/$name.log"))"
		pass=$((pass + 1))
	elif [ $rc -eq 0 ]; then
		echo "PASS $name ($(( $(date +%s) - start )) s)"
		pass=$((pass + 1))
	else
		echo "FAIL $name: $(grep -E 'ERROR SUMMARY|definitely lost' "$logs/$name.vg.log" | tr -s ' ' | cut -d' ' -f2- | tr '\n' ' ')"
		echo "     (valgrind log: ${logs#$top/}/$name.vg.log, output: ${logs#$top/}/$name.log)"
		fail=$((fail + 1))
	fi
done
start=$(date +%s)
if TTYPHONE_BIN=${TTYPHONE_BIN:-$top/ttyphone} TTY_SRCDIR=$src PYTHONDONTWRITEBYTECODE=1 \
	python3 "$here/valgrind_session.py" $vgopts \
	>"$logs/headless-session.log" 2>&1; then
	echo "PASS headless session ($(( $(date +%s) - start )) s): $(grep -E 'ERROR SUMMARY' "$logs/headless-session.log" | tr -s ' ' | cut -d' ' -f2-)"
	pass=$((pass + 1))
else
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "SKIP headless session: $(tail -n 1 "$logs/headless-session.log")"; skip=$((skip + 1))
	else
		echo "FAIL headless session (log: ${logs#$top/}/headless-session.log)"
		tail -n 25 "$logs/headless-session.log"
		fail=$((fail + 1))
	fi
fi
echo "valgrind: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
