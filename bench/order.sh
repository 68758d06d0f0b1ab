#!/bin/sh
# Writes src/hot-functions.txt: the functions of crier that a cron `run`
# with nothing due calls, then those `check` adds, then those `preview`
# adds, on the Rust Cologne fixture site, as callgrind saw them. The build
# links these first and side by side (CMakeLists.txt, CRIER_ORDER_FUNCTIONS):
# a short command then maps a few contiguous pages of crier's code instead
# of touching one function in every 64 KiB of it (the kernel maps the
# neighbours of each page it faults in). Run it after changes to what
# those commands call; a name that no longer exists is ignored, and one
# missing only costs memory. Needs valgrind.
# Both build types are profiled (the default RelWithDebInfo inlines less
# than Release), and their lists joined.
# Usage: bench/order.sh [BUILD_DIR]   (default build/order)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/order}
shared=../shared/fixtures/rust-cologne
if [ ! -d "$shared" ]; then
  echo "order.sh: $shared is absent: nothing to profile" >&2
  exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
  echo "order.sh: needs valgrind (apt-get install valgrind)" >&2
  exit 69
fi
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build"
trap 'rm -rf "$tmp"' EXIT
release=$crier
cmake -S . -B "$build-rd" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build-rd" -j"$(nproc)" >/dev/null
bench_fixture_config "$shared"
"$crier" -q -c "$tmp/crier.yaml" run
# called NAME CMD...: the names of crier's own functions CMD... runs, in
# either build (a clone such as f.part.0 counts as f), one a line, sorted,
# into $tmp/NAME
called() {
  name=$1
  shift
  for bin in "$release" "$(cd "$build-rd" && pwd)/crier"; do
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$bin" "$@" \
      >/dev/null 2>&1 || true
    callgrind_annotate --threshold=100 "$tmp/cg" |
      awk -v bin="[$bin]" '$NF == bin { f = $(NF - 1); sub(/.*:/, "", f);
        sub(/\..*/, "", f); if (f ~ /^[A-Za-z_]/) print f }'
  done | sort -u >"$tmp/$name"
}
called run -c "$tmp/crier.yaml" run
called check -c "$tmp/crier.yaml" check
event=$(ls "$shared/_posts" | tail -n 1)
called preview -c "$tmp/crier.yaml" preview "${event%.md}"
out=src/hot-functions.txt
{
  echo "# crier's functions in the order the linker places them first"
  echo "# (CMakeLists.txt); written by bench/order.sh, which says why."
  echo "# run, nothing due"
  cat "$tmp/run"
  echo "# check adds"
  comm -13 "$tmp/run" "$tmp/check"
  echo "# preview adds"
  sort -u "$tmp/run" "$tmp/check" | comm -13 - "$tmp/preview"
} >"$out"
echo "order.sh: $(grep -vc '^#' "$out") functions in $out"
