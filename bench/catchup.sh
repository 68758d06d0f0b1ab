#!/bin/sh
# Catch-up: N events each due on K webhook channels at once (a machine that
# was off), delivered by one 'crier run' to an instant loopback endpoint
# (bench/servers.mjs). Prints, for each N, the deliveries, the wall time,
# crier's own CPU time (user + system), the CPU time per delivery and the
# peak memory: the cost per delivery should stay flat (linear), the memory
# bounded. With valgrind, the instructions of the smaller runs (SLOPE
# sizes, default "200 400 800" events): the instructions each delivery
# adds (from one size to the next) are the slope, without the noise of a
# shared machine.
# Usage: bench/catchup.sh [BUILD_DIR]  (N: SIZES, default "2000 4000 10000",
# that is 10,000, 20,000 and 50,000 deliveries; K: CHANNELS, default 5)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
sizes=${SIZES:-2000 4000 10000}
slope=${SLOPE:-200 400 800}
k=${CHANNELS:-5}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build"
bench_servers
export W=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
site() { # N
  rm -rf "$tmp/site"
  bench/gen-site.sh "$tmp/site" "$1" >/dev/null
  {
    printf 'site:\n  events: _posts\n  locations: _data/locations.yml\n'
    printf '  timezone: Europe/Berlin\n  url: https://bench.example.org\n'
    printf 'journal: journal.db\n'
    printf 'schedule:\n  announce_lead: 80000d\n' # every announcement due now
    printf 'channels:\n'
    i=0
    while [ $i -lt "$k" ]; do
      printf '  - {name: w%d, type: webhook, url: "http://127.0.0.1:%s/hook%d", secret: {env: W}, lang: en}\n' "$i" "$port" "$i"
      i=$((i + 1))
    done
  } >"$tmp/site/crier.yaml"
}
sent() { sqlite3 "$tmp/site/journal.db" "select count(*) from delivery where status='sent'"; }
echo "catch-up to an instant loopback endpoint, $k channels ($(nproc) cores, $(uname -m))"
printf '%-8s %-11s %10s %10s %10s %12s\n' events deliveries wall cpu "cpu/deliv" "peak RSS"
for n in $sizes; do
  site "$n"
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S %M' -o "$tmp/time" \
    "$crier" -q -c "$tmp/site/crier.yaml" run --now 2029-12-31T10:00:00Z >/dev/null 2>"$tmp/err" || true
  end=$(date +%s.%N)
  d=$(sent)
  read -r u s m <"$tmp/time"
  awk -v n="$n" -v d="$d" -v w="$(echo "$end - $start" | bc)" -v u="$u" -v s="$s" -v m="$m" \
    'BEGIN { printf "%-8s %-11s %9.2fs %9.2fs %8.1fµs %9.1f MiB\n", n, d, w, u + s, (u + s) * 1e6 / d, m / 1024 }'
done
if command -v valgrind >/dev/null 2>&1; then
  echo "instructions (callgrind): the same runs, smaller"
  printf '%-8s %-11s %16s %16s %18s\n' events deliveries instructions "per delivery" "added per delivery"
  pd=0 pi=0
  for n in $slope; do
    site "$n"
    i=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      "$crier" -q -c "$tmp/site/crier.yaml" run --now 2029-12-31T10:00:00Z 2>&1 >/dev/null |
      sed -n 's/.*Collected : //p')
    d=$(sent)
    awk -v n="$n" -v d="$d" -v i="$i" -v pd="$pd" -v pi="$pi" 'BEGIN {
      printf "%-8s %-11s %16.0f %16.0f", n, d, i, i / d
      if (pd) printf " %18.0f", (i - pi) / (d - pd)
      printf "\n" }'
    pd=$d pi=$i
  done
fi
