#!/bin/sh
# tui_idle_cpu.sh: how much CPU the terminal UI uses doing nothing. Starts ttyphone (demo
# mode, null audio) in a private tmux server at 80x24, lets it sit for SECONDS (default 30)
# and prints the CPU seconds it used (utime + stime from /proc/PID/stat). A figure to watch,
# not a pass/fail test: an idle UI should be near 0.00 (it only wakes for keys, events and,
# during calls, its clock).
#   usage: tests/bench/tui_idle_cpu.sh [path/to/ttyphone] [seconds]
set -eu
bin=${1:-${TTYPHONE_BIN:-./ttyphone}}
secs=${2:-30}
[ -x "$bin" ] || { echo "no ttyphone at $bin" >&2; exit 2; }
command -v tmux >/dev/null || { echo "tmux is not installed" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
home=$(mktemp -d)
sock=ttybench-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$home"' EXIT INT TERM
mkdir -p "$home/ttyphone"
printf '[sip]\nlisten = 127.0.0.1:0\n\n[audio]\nbackend = null\n' >"$home/ttyphone/config.ini"
chmod 600 "$home/ttyphone/config.ini"
tmux -L "$sock" -f /dev/null new-session -d -x 80 -y 24 \
	"env XDG_CONFIG_HOME=$home LANG=C.UTF-8 $bin 2>$home/err"
pid=
for _ in $(seq 50); do
	shell=$(tmux -L "$sock" display-message -p '#{pane_pid}')
	if [ "$(cat /proc/"$shell"/comm 2>/dev/null)" = ttyphone ]; then pid=$shell; break; fi
	for p in $(cat /proc/"$shell"/task/*/children 2>/dev/null); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = ttyphone ] && pid=$p
	done
	[ -n "$pid" ] && break
	sleep 0.1
done
[ -n "$pid" ] || { echo "ttyphone did not start: $(cat "$home/err")" >&2; exit 1; }
sleep 1  # start-up is not idle
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat; }
hz=$(getconf CLK_TCK)
before=$(ticks "$pid")
sleep "$secs"
after=$(ticks "$pid")
awk -v a="$after" -v b="$before" -v hz="$hz" -v s="$secs" \
	'BEGIN { printf "ttyphone idle for %d s in an 80x24 tmux: %.2f CPU seconds\n", s, (a - b) / hz }'
tmux -L "$sock" send-keys q
