#!/bin/sh
# Benchmarks 'crier calendar': the feed of the shared Rust Cologne fixture
# site and of a generated site of 10,000 events (bench/gen-site.sh), every
# event in the window (calendar.past: 20000d). "first" runs start from an
# empty journal (every entry's state is new and written); "again" runs
# find every state in the journal (nothing written: the steady state of a
# site build or a CI run). Each is run RUNS times (default 11); median wall
# time of the whole process and median peak resident memory, by
# bench/measure.c. The time is pinned (--now) so that every run sees the
# same feed.
# Usage: bench/calendar.sh [BUILD_DIR]   (default build/bench, a release build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
runs=${RUNS:-11}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build"
trap 'rm -rf "$tmp"' EXIT
now=2030-01-01T12:00:00Z

cc -O2 -o "$tmp/measure" bench/measure.c

bench() { # NAME CONFIG [ARGS...]
  name=$1 cfg=$2
  shift 2
  journal=$(sed -n 's/^journal: //p' "$cfg")
  # first: an empty journal each time
  # shellcheck disable=SC2016 # the inner shell expands them
  "$tmp/measure" "$runs" /bin/sh -c 'rm -f "$1" "$1-wal" "$1-shm"; shift; exec "$@"' \
    sh "$journal" "$crier" -q -c "$cfg" --now "$now" calendar "$@" |
    awk -v name="$name, first" '{printf "%-40s %8.1f ms %8.1f MiB\n", name, $1, $2 / 1024}'
  "$crier" -q -c "$cfg" --now "$now" calendar "$@" >"$tmp/feed.ics" 2>/dev/null
  "$tmp/measure" "$runs" "$crier" -q -c "$cfg" --now "$now" calendar "$@" |
    awk -v name="$name, again" '{printf "%-40s %8.1f ms %8.1f MiB\n", name, $1, $2 / 1024}'
  printf "%-40s %d events, %d bytes\n" "" \
    "$(grep -c '^BEGIN:VEVENT' "$tmp/feed.ics" || true)" "$(wc -c <"$tmp/feed.ics")"
}

echo "crier calendar, median of $runs runs ($(nproc) cores, $(uname -m))"
printf "%-40s %11s %12s\n" "site" "wall" "peak RSS"
shared=../shared/fixtures/rust-cologne
if [ -d "$shared" ]; then
  cat >"$tmp/shared.yaml" <<Y
site:
  events: $(cd "$shared" && pwd)/_posts
  locations: $(cd "$shared" && pwd)/_data/locations.yml
  timezone: Europe/Berlin
  url: http://rust.cologne
journal: $tmp/shared.db
calendar:
  past: 20000d
Y
  bench "rust-cologne fixtures" "$tmp/shared.yaml"
else
  echo "(../shared is absent: the fixture site is not measured)"
fi
bench/gen-site.sh "$tmp/site" 10000
printf 'journal: %s\ncalendar:\n  past: 20000d\n' "$tmp/site.db" >>"$tmp/site/crier.yaml"
bench "generated, 10,000 events" "$tmp/site/crier.yaml"
# for comparison: loading and checking the same site, nothing else
"$tmp/measure" "$runs" "$crier" -q -c "$tmp/site/crier.yaml" check |
  awk '{printf "%-40s %8.1f ms %8.1f MiB\n", "(crier check, the same site)", $1, $2 / 1024}'
sed 's/^  past: 20000d$/  past: 20000d\n  times: utc/' "$tmp/site/crier.yaml" >"$tmp/utc.yaml"
sed -i "s#^journal: .*#journal: $tmp/utc.db#" "$tmp/utc.yaml"
sed -i "s#^  events: _posts#  events: $tmp/site/_posts#; s#^  locations: _data#  locations: $tmp/site/_data#" "$tmp/utc.yaml"
bench "generated, 10,000 events, UTC" "$tmp/utc.yaml"
