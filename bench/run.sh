#!/bin/sh
# Benchmarks 'crier check': the shared Rust Cologne fixture site, and
# generated sites of 1,000, 5,000 and 10,000 events (to see that the cost
# grows linearly) in three shapes: Jekyll posts, Hugo page bundles (with
# translations) and YAML data files (bench/gen-site.sh), every site before
# 2037. The sites are measured interleaved (each once a round), RUNS rounds
# (default 11): the median wall time of the whole process (start to exit),
# the fastest and slowest run, and the median peak resident memory
# (wait4's rusage), by bench/measure.c.
# Usage: bench/run.sh [BUILD_DIR]   (default build/bench, a release build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
runs=${RUNS:-11}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build"
trap 'rm -rf "$tmp"' EXIT

cc -O2 -o "$tmp/measure" bench/measure.c
echo "crier check, median of $runs interleaved runs ($(nproc) cores, $(uname -m))"
printf "%-32s %11s %24s %12s\n" "site" "wall" "(fastest–slowest)" "peak RSS"
set --
names=""
shared=../shared/fixtures/rust-cologne
if [ -d "$shared" ]; then
  cat >"$tmp/shared.yaml" <<Y
site:
  events: $(cd "$shared" && pwd)/_posts
  locations: $(cd "$shared" && pwd)/_data/locations.yml
  timezone: Europe/Berlin
  url: http://rust.cologne
Y
  set -- -- "$crier" -q -c "$tmp/shared.yaml" check
  names="rust-cologne-fixtures-(61)"
else
  echo "(../shared is absent: the fixture site is not measured)"
fi
for shape in jekyll bundles data; do
  for n in 1000 5000 10000; do
    bench/gen-site.sh "$tmp/$shape$n" "$n" "$shape"
    set -- "$@" -- "$crier" -q -c "$tmp/$shape$n/crier.yaml" check
    names="$names $shape,-$n-events"
  done
done
# every site once a round: a machine that gets busier meanwhile slows all
"$tmp/measure" "$runs" "$@" >"$tmp/out"
# shellcheck disable=SC2086 # one name a word
printf '%s\n' $names | paste -d' ' - "$tmp/out" |
  awk '{ printf "%-32s %8.1f ms (%8.1f–%8.1f ms) %8.1f MiB\n", $1, $2, $4, $5, $3 / 1024 }'
