#!/bin/sh
# Benchmarks 'crier check': the shared Rust Cologne fixture site, and
# generated sites of 1,000, 5,000 and 10,000 events (to see that the cost
# grows linearly) in three shapes: Jekyll posts, Hugo page bundles (with
# translations) and YAML data files (bench/gen-site.sh). Each is run RUNS times (default 11); the median wall
# time of the whole process (start to exit) and the median peak resident
# memory (wait4's rusage) are printed, by bench/measure.c.
# Usage: bench/run.sh [BUILD_DIR]   (default build/bench, a release build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
runs=${RUNS:-11}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
crier=$build/crier
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bench() { # NAME CONFIG
  "$tmp/measure" "$runs" "$crier" -q -c "$2" check |
    awk -v name="$1" '{printf "%-32s %8.1f ms %8.1f MiB\n", name, $1, $2 / 1024}'
}

cc -O2 -o "$tmp/measure" bench/measure.c
echo "crier check, median of $runs runs ($(nproc) cores, $(uname -m))"
printf "%-32s %11s %12s\n" "site" "wall" "peak RSS"
shared=../shared/fixtures/rust-cologne
if [ -d "$shared" ]; then
  cat >"$tmp/shared.yaml" <<Y
site:
  events: $(cd "$shared" && pwd)/_posts
  locations: $(cd "$shared" && pwd)/_data/locations.yml
  timezone: Europe/Berlin
  url: http://rust.cologne
Y
  bench "rust-cologne fixtures (61)" "$tmp/shared.yaml"
else
  echo "(../shared is absent: the fixture site is not measured)"
fi
for shape in jekyll bundles data; do
  for n in 1000 5000 10000; do
    bench/gen-site.sh "$tmp/$shape$n" "$n" "$shape"
    bench "$shape, $n events" "$tmp/$shape$n/crier.yaml"
    rm -rf "${tmp:?}/$shape$n"
  done
done
