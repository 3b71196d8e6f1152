#!/bin/sh
# smoke.sh: the quick fuzz test of `make check`. Builds every libFuzzer target with clang
# (ASan + UBSan), fuzzes each from its seed corpus for FUZZ_SMOKE_SECONDS (default 3) and
# replays every input under regressions/. Skips (77) with the reason when this machine
# cannot build fuzzers. The long runs are `make fuzz FUZZ_SECONDS=N` (README.md here).
here=$(cd "$(dirname "$0")" && pwd)
# The fuzz targets are built with ASan + UBSan whatever the build: in the sanitized pass
# (check-sanitize.sh) this would be the plain pass's run again, a minute of CI for nothing.
if [ "${TTY_SANITIZED:-}" = 1 ]; then
	echo "SKIP: the fuzz targets are ASan + UBSan builds already; the plain make check runs them"
	exit 77
fi
why=$(bash "$here/fuzz.sh" why-not)
if [ -n "$why" ]; then
	echo "SKIP: cannot build fuzzers: $why"
	exit 77
fi
exec bash "$here/fuzz.sh" smoke "${FUZZ_SMOKE_SECONDS:-3}"
