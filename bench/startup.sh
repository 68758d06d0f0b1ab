#!/bin/sh
# Start-up: what a cron `crier run` with nothing due and a `crier check`
# cost on the Rust Cologne fixture site (../shared/fixtures/rust-cologne,
# 61 events, three channels), and `crier --version` against a dynamically
# linked hello world. The commands run interleaved, RUNS times each
# (default 31); printed: the median wall time (and the fastest and slowest
# run), the median CPU time, the median peak RSS, and the ratio to the
# hello world. BASE=/path/to/another/crier measures that binary in the same
# rounds (the release before, say). With valgrind, the instructions each
# command runs (callgrind), which a busy machine does not disturb.
# Usage: bench/startup.sh [BUILD_DIR]   (default build/bench, a release build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
runs=${RUNS:-31}
shared=../shared/fixtures/rust-cologne
if [ ! -d "$shared" ]; then
  echo "startup.sh: $shared is absent: nothing to measure" >&2
  exit 77
fi
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build"
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/measure" bench/measure.c
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$tmp/hello.c"
cc -O2 -o "$tmp/hello" "$tmp/hello.c"
bench_fixture_config "$shared"
# the journal a cron job finds (every event of the fixtures is past: nothing
# is due now)
"$crier" -q -c "$tmp/crier.yaml" run
set -- -- "$tmp/hello" \
  -- "$crier" --version \
  -- "$crier" -q -c "$tmp/crier.yaml" check \
  -- "$crier" -q -c "$tmp/crier.yaml" run
names="hello-world crier--version crier-check crier-run"
if [ -n "${BASE:-}" ]; then
  "$BASE" -q -c "$tmp/crier.yaml" run
  set -- "$@" -- "$BASE" --version -- "$BASE" -q -c "$tmp/crier.yaml" check \
    -- "$BASE" -q -c "$tmp/crier.yaml" run
  names="$names base--version base-check base-run"
fi
echo "start-up, median of $runs interleaved runs ($(nproc) cores, $(uname -m)); crier $("$crier" --version | cut -d' ' -f2)"
"$tmp/measure" "$runs" "$@" >"$tmp/out"
printf '%s\n' $names | paste -d' ' - "$tmp/out" |
  awk 'NR == 1 { hello = $2 }
    { printf "%-16s %7.2f ms (%6.2f–%7.2f) cpu %6.2f ms %6.1f MiB %6.2fx hello\n",
      $1, $2, $4, $5, $6, $3 / 1024, $2 / hello }'
if command -v valgrind >/dev/null 2>&1; then
  echo "instructions (callgrind):"
  count() { # NAME CMD...
    name=$1
    shift
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
      sed -n 's/.*Collected : //p')
    printf '%-16s %12s\n' "$name" "$n"
  }
  count hello-world "$tmp/hello"
  count crier--version "$crier" --version
  count crier-check "$crier" -q -c "$tmp/crier.yaml" check
  count crier-run "$crier" -q -c "$tmp/crier.yaml" run
  if [ -n "${BASE:-}" ]; then
    count base--version "$BASE" --version
    count base-check "$BASE" -q -c "$tmp/crier.yaml" check
    count base-run "$BASE" -q -c "$tmp/crier.yaml" run
  fi
fi
