#!/bin/sh
# Planning at size: 10,000 events (bench/gen-site.sh, four a day from 2030,
# before 2037) x 20 webhook channels, and a journal of 50,520 rows (2,498
# events announced on every channel, 560 reminders recorded as skipped),
# made by one catch-up `crier run` to an instant loopback endpoint
# (bench/servers.mjs). Then, a minute later with nothing due: `crier run`,
# `crier run --dry-run` and `crier list`, interleaved, RUNS times each
# (default 11): median wall time (fastest–slowest), CPU time, peak RSS.
# BASE=/path/to/another/crier measures that binary in the same rounds.
# CALLGRIND=1 also counts the instructions of each (slow: minutes).
# Usage: bench/plan.sh [BUILD_DIR]   (default build/bench, a release build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
runs=${RUNS:-11}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build"
bench_servers
cc -O2 -o "$tmp/measure" bench/measure.c
bench/gen-site.sh "$tmp/site" 10000 >/dev/null
{
  printf 'site:\n  events: _posts\n  locations: _data/locations.yml\n'
  printf '  timezone: Europe/Berlin\n  url: https://bench.example.org\n'
  printf 'journal: journal.db\n'
  printf 'schedule:\n  announce_lead: 625d\n' # 2,498 events due at once
  printf 'channels:\n'
  for i in $(seq 0 19); do
    printf '  - {name: w%d, type: webhook, url: "http://127.0.0.1:%s/hook%d", secret: {env: W}, lang: en}\n' "$i" "$port" "$i"
  done
} >"$tmp/site/crier.yaml"
export W=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
/usr/bin/time -f '%e %U %S %M' -o "$tmp/fill" \
  "$crier" -q -c "$tmp/site/crier.yaml" run --now 2029-12-31T12:00:00Z || true
rows=$(sqlite3 "$tmp/site/journal.db" "select count(*) from delivery")
read -r w u s m <"$tmp/fill"
echo "10,000 events x 20 channels; the journal: $rows rows, made by a catch-up run"
echo "  (the catch-up: $(sqlite3 "$tmp/site/journal.db" "select count(*) from delivery where status='sent'") deliveries in ${w} s, cpu $(echo "$u + $s" | bc) s, $((m / 1024)) MiB)"
now=2029-12-31T12:01:00Z
c="$tmp/site/crier.yaml"
set -- -- "$crier" -q -c "$c" run --now $now \
  -- "$crier" -q -c "$c" run --dry-run --now $now \
  -- "$crier" -q -c "$c" list --now $now
names="run run--dry-run list"
if [ -n "${BASE:-}" ]; then
  set -- "$@" -- "$BASE" -q -c "$c" run --now $now \
    -- "$BASE" -q -c "$c" run --dry-run --now $now \
    -- "$BASE" -q -c "$c" list --now $now
  names="$names base-run base-run--dry-run base-list"
fi
echo "nothing due, median of $runs interleaved runs ($(nproc) cores, $(uname -m)):"
"$tmp/measure" "$runs" "$@" >"$tmp/out"
# shellcheck disable=SC2086 # one name a word
printf "%s\n" $names | paste -d' ' - "$tmp/out" |
  awk '{ printf "  %-18s %8.1f ms (%7.1f–%8.1f) cpu %7.1f ms %6.1f MiB\n",
    $1, $2, $4, $5, $6, $3 / 1024 }'
if [ -n "${CALLGRIND:-}" ]; then
  echo "instructions (callgrind):"
  for args in "run" "run --dry-run" "list"; do
    # shellcheck disable=SC2086 # the arguments split on purpose
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      "$crier" -q -c "$c" $args --now $now 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
    printf '  %-18s %14s\n' "$args" "$n"
  done
fi
