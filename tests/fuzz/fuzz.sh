#!/bin/bash
# fuzz.sh: build and run the libFuzzer targets of tests/fuzz (see README.md there).
#
#   fuzz.sh build [TARGET...]          build with clang (ASan + UBSan + libFuzzer)
#   fuzz.sh run SECONDS [TARGET...]    fuzz each target SECONDS, keep the corpus, count crashes
#   fuzz.sh smoke SECONDS [TARGET...]  a short run from the seeds only, nothing kept
#   fuzz.sh replay [TARGET...]         run every file of regressions/TARGET/ once
#   fuzz.sh list                       the target names
#
# Run from the build directory (where ttyconf.h is); TTY_SRCDIR is the source tree (default:
# two levels above this script). FUZZ_CC picks the compiler (default clang), FUZZ_JOBS the
# parallel compiles. Binaries and objects go to tests/fuzz/ of the build directory, the
# growing corpus to tests/fuzz/fuzz_work/TARGET/, crash inputs to tests/fuzz/fuzz_crashes/
# TARGET/. The project's sources are compiled again with clang here: the autotools objects
# are gcc's and carry no fuzzer instrumentation.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=${TTY_SRCDIR:-$(cd "$here/../.." && pwd)}
top=$(pwd)
out=$top/tests/fuzz
obj=$out/fuzz_obj
cc=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Each target: its sources besides tests/fuzz/fuzz_NAME.c, and its pkg-config modules.
targets="sdp rtp rtcp srtp jitter config contacts commands trace ws webrtc_demux presence"
# spandsp and libsrtp2 are opened on first use (src/media/lib_load.c) and linked here too.
codecs="src/media/codec.c src/media/codec_g711.c src/media/codec_g722.c src/media/codec_opus.c
	src/media/lib_spandsp.c"
srtp="src/media/srtp.c src/media/lib_srtp.c"
srcs_sdp="src/sip/sdp_parse.c src/sip/sdp_frag.c src/media/negotiate.c src/media/negotiate_webrtc.c $codecs src/media/base64.c
	$srtp src/media/lib_load.c src/media/sdp_write.c src/strutil.c"
pkgs_sdp="sofia-sip-ua opus spandsp libsrtp2"
srcs_rtp="src/media/rtp.c src/media/dtmf.c $codecs src/media/lib_load.c"
pkgs_rtp="opus spandsp"
srcs_rtcp="src/media/rtcp.c"
pkgs_rtcp=""
srcs_srtp="$srtp src/media/lib_load.c"
pkgs_srtp="libsrtp2"
srcs_jitter="src/media/jitter.c"
pkgs_jitter=""
srcs_config="src/config.c src/strutil.c src/sip/ws_url.c"
pkgs_config="inih"
srcs_contacts="src/contacts.c src/filelock.c src/strutil.c"
pkgs_contacts="inih"
srcs_commands="src/commands.c src/strutil.c"
pkgs_commands=""
srcs_trace="src/trace.c src/strutil.c"
pkgs_trace=""
# wslay has no pkg-config file in Debian: its library is named in libs_ws.
srcs_ws="src/sip/ws_frame.c src/sip/ws_handshake.c src/sip/ws_url.c src/sip/ws_sip.c"
pkgs_ws="openssl"
libs_ws="-lwslay"
# dtls_cert.c keeps its file with filelock.c's atomic replace.
srcs_webrtc_demux="src/media/webrtc/demux.c src/media/webrtc/dtls_srtp.c
	src/media/webrtc/dtls_cert.c src/media/webrtc/dtls_fp.c src/media/webrtc/ossl_err.c
	src/filelock.c src/strutil.c"
pkgs_webrtc_demux="openssl"
srcs_presence="src/presence/xml_doc.c src/presence/pidf.c src/presence/dialog_info.c
	src/presence/mwi.c"
pkgs_presence="expat"

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
base_cflags="-std=c11 -g -O1 -D_GNU_SOURCE -pthread -Wall -Wextra -Wno-unused-parameter $san"

die() { echo "fuzz.sh: $*" >&2; exit 1; }

pick() {    # the targets named on the command line, or all
	if [ $# -eq 0 ]; then echo "$targets"; return; fi
	for t in "$@"; do
		t=${t#fuzz_}
		case " $targets " in *" $t "*) echo "$t" ;; *) die "no target $t (known: $targets)" ;; esac
	done
}

# Why this machine cannot build fuzzers, or nothing.
why_not() {
	command -v "$cc" >/dev/null 2>&1 || { echo "$cc not found (apt-get install clang)"; return; }
	command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config not found"; return; }
	local probe=$obj/probe
	mkdir -p "$obj"
	printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		>"$probe.c"
	"$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1 ||
		{ echo "$cc cannot link -fsanitize=fuzzer,address,undefined" \
			"(apt-get install libclang-rt-14-dev libfuzzer-14-dev): $(tail -n 1 "$probe.log")"; return; }
}

# A ttyconf.h for a source tree that was never configured: the version, and the SONAMEs
# src/media/lib_load.c opens, read from the libraries as configure.ac does.
stub_ttyconf() {
	local m l so
	echo '#define PACKAGE_VERSION "fuzz"'
	for m in PULSE_SIMPLE:pulse-simple SRTP:srtp2 SPANDSP:spandsp SNDFILE:sndfile; do
		l=${m#*:}
		so=$(objdump -p "$("$cc" -print-file-name="lib$l.so")" 2>/dev/null |
			sed -n 's/^ *SONAME *//p')
		echo "#define TTY_SONAME_${m%%:*} \"${so:-lib$l.so}\""
	done
}

# Compile one source file to its object if it (or any header) changed.
compile() {    # compile SRC PKGS
	local s=$1 pkgs=$2 o flags
	o=$obj/$(echo "$s" | tr '/' '_')
	o=${o%.c}.o
	if [ -f "$o" ] && [ "$o" -nt "$src/$s" ] && [ "$o" -nt "$obj/headers.stamp" ]; then
		return 0
	fi
	flags="$base_cflags -fsanitize=fuzzer-no-link -I$src/src -I$obj/inc -I$top"
	[ -n "$pkgs" ] && flags="$flags $(pkg-config --cflags $pkgs)"
	echo "  CC (fuzz) $s"
	# shellcheck disable=SC2086
	"$cc" $flags -c "$src/$s" -o "$o.tmp" && mv "$o.tmp" "$o"
}

build() {
	local why t s pkgs list=""
	why=$(why_not)
	[ -z "$why" ] || die "cannot build fuzzers: $why"
	mkdir -p "$obj/inc"
	# ttyconf.h comes from configure; outside a build directory a stub does.
	[ -f "$top/ttyconf.h" ] || [ -f "$obj/inc/ttyconf.h" ] || stub_ttyconf >"$obj/inc/ttyconf.h"
	# Any newer header (or a new compiler flag set) rebuilds every object.
	if [ ! -f "$obj/headers.stamp" ] || [ "$(cat "$obj/flags" 2>/dev/null)" != "$cc $base_cflags" ] ||
	   [ -n "$(find "$src/src" "$src/tests/fuzz" -name '*.h' -newer "$obj/headers.stamp" 2>/dev/null | head -n 1)" ]; then
		echo "$cc $base_cflags" >"$obj/flags"
		touch "$obj/headers.stamp"
		rm -f "$obj"/*.o
	fi
	for t in "$@"; do
		eval "s=\$srcs_$t; pkgs=\$pkgs_$t"
		for f in tests/fuzz/fuzz_$t.c $s; do
			list="$list$f|$pkgs
"
		done
	done
	# Unique sources, compiled $jobs at a time.
	export -f compile
	export src obj top cc base_cflags
	printf '%s' "$list" | sort -u -t'|' -k1,1 | grep -v '^$' |
		xargs -P "$jobs" -I{} bash -c 'compile "${1%%|*}" "${1#*|}"' _ {} ||
		die "compiling failed"
	for t in "$@"; do
		eval "s=\$srcs_$t; pkgs=\$pkgs_$t"
		local objs="" bin=$out/fuzz_$t
		for f in tests/fuzz/fuzz_$t.c $s; do
			f=$obj/$(echo "$f" | tr '/' '_')
			objs="$objs ${f%.c}.o"
		done
		local stale=1
		if [ -f "$bin" ]; then
			stale=0
			for f in $objs; do [ "$f" -nt "$bin" ] && stale=1; done
		fi
		[ $stale = 1 ] || continue
		echo "  LD (fuzz) tests/fuzz/fuzz_$t"
		# shellcheck disable=SC2086
		"$cc" -fsanitize=fuzzer,address,undefined -pthread $objs -o "$bin" \
			$( [ -n "$pkgs" ] && pkg-config --libs $pkgs ) $(eval echo "\${libs_$t:-}") -lm || die "linking fuzz_$t failed"
	done
}

# libFuzzer options common to every run. Inputs are kept small: messages, not files.
fuzz_opts() {    # fuzz_opts TARGET
	local o="-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1"
	[ -f "$here/dicts/$1.dict" ] && o="$o -dict=$here/dicts/$1.dict"
	echo "$o"
}

# Fuzz one target for $secs seconds with corpus dir $work; crashes into $crashes.
# Prints "fuzz_T: N executions in S s, C crashes" and returns the crash count.
campaign() {    # campaign TARGET SECONDS WORK CRASHES
	local t=$1 secs=$2 work=$3 crashes=$4 bin=$out/fuzz_$1
	local start now left runs=0 n ncrash=0 log rc
	mkdir -p "$work" "$crashes"
	log=$out/fuzz_$t.log
	: >"$log"
	start=$(date +%s)
	left=$secs
	# A crash stops libFuzzer: note it and go on with the time that is left.
	while [ "$left" -gt 0 ]; do
		# shellcheck disable=SC2046
		"$bin" $(fuzz_opts "$t") -max_total_time="$left" -artifact_prefix="$crashes/" \
			"$work" "$here/corpus/fuzz_$t" >"$log.run" 2>&1
		rc=$?
		cat "$log.run" >>"$log"
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.run" | tail -n 1)
		runs=$((runs + ${n:-0}))
		if [ $rc -ne 0 ]; then
			ncrash=$((ncrash + 1))
			# The same bug tends to be found again at once: show the first few.
			if [ $ncrash -le 3 ]; then
				grep -E '(==ERROR|^SUMMARY|fuzz property failed|runtime error)' "$log.run" |
					head -n 2 | sed "s/^/  fuzz_$t: /"
				grep 'Test unit written to' "$log.run" | sed "s/^.*Test unit written to /  fuzz_$t: input: /"
			fi
			grep -q 'Test unit written to' "$log.run" ||
				{ echo "  fuzz_$t: exited $rc without a crash input (see $log)"; rm -f "$log.run"; break; }
		fi
		rm -f "$log.run"
		now=$(date +%s)
		left=$((secs - (now - start)))
		[ $rc -eq 0 ] && break
	done
	echo "fuzz_$t: $runs executions in $(( $(date +%s) - start )) s, $ncrash crashes" \
		"(log: tests/fuzz/fuzz_$t.log$( [ $ncrash -gt 0 ] && echo ", inputs: ${crashes#$top/}/"))"
	return $ncrash
}

replay() {    # replay TARGET: every regression input once; returns the failure count
	local t=$1 bad=0 f dir=$here/regressions/fuzz_$t
	[ -d "$dir" ] || return 0
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		if ! "$out/fuzz_$t" -runs=1 "$f" >"$out/fuzz_$t.replay.log" 2>&1; then
			echo "fuzz_$t: regression ${f#$src/} crashes again:"
			grep -E 'ERROR|SUMMARY|property failed|runtime error' "$out/fuzz_$t.replay.log" | head -n 3
			bad=$((bad + 1))
		fi
	done
	echo "fuzz_$t: $(ls "$dir" | wc -l) regression inputs replayed, $bad failing"
	return $bad
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
list)
	for t in $targets; do echo "fuzz_$t"; done ;;
build)
	build $(pick "$@") ;;
run|smoke)
	secs=${1:-}
	case "$secs" in ''|*[!0-9]*) die "usage: fuzz.sh $cmd SECONDS [TARGET...]" ;; esac
	shift
	ts=$(pick "$@")
	build $ts
	total=0
	for t in $ts; do
		if [ "$cmd" = run ]; then
			campaign "$t" "$secs" "$out/fuzz_work/fuzz_$t" "$out/fuzz_crashes/fuzz_$t"
		else
			w=$(mktemp -d "${TMPDIR:-/tmp}/ttyfuzz-$t-XXXXXX")
			campaign "$t" "$secs" "$w/corpus" "$out/fuzz_crashes/fuzz_$t"
			c=$?
			rm -rf "$w"
			(exit $c)
		fi
		total=$((total + $?))
	done
	for t in $ts; do
		replay "$t" || total=$((total + 1))
	done
	echo "fuzz: $total crashes or failing regressions"
	[ $total -eq 0 ] ;;
replay)
	ts=$(pick "$@")
	build $ts
	bad=0
	for t in $ts; do replay "$t" || bad=$((bad + 1)); done
	[ $bad -eq 0 ] ;;
why-not)
	why_not ;;
*)
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	[ -z "$cmd" ] || exit 2 ;;
esac
