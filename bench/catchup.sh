#!/bin/sh
# Catch-up: N events each due on K webhook channels at once (a machine that
# was off), delivered by one 'crier run' to an instant loopback server
# (bench/servers.mjs). Prints, for each N, the deliveries, the wall time,
# crier's own CPU time (user + system) and its peak memory: the cost per
# delivery should stay flat (linear), the memory bounded.
# Usage: bench/catchup.sh [BUILD_DIR]  (N: SIZES, default "2000 5000 10000";
# K: CHANNELS, default 5)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/bench}
sizes=${SIZES:-2000 5000 10000}
k=${CHANNELS:-5}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
crier=$(pwd)/$build/crier
tmp=$(mktemp -d)
node bench/servers.mjs >"$tmp/ports" &
srv=$!
trap 'kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
while [ ! -s "$tmp/ports" ]; do sleep 0.1; done
port=$(sed 's/.*"http":\([0-9]*\).*/\1/' "$tmp/ports")
printf '%-8s %-11s %10s %10s %10s %12s\n' events deliveries wall cpu "cpu/deliv" "peak RSS"
for n in $sizes; do
  rm -rf "$tmp/site"
  bench/gen-site.sh "$tmp/site" "$n" >/dev/null
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
  start=$(date +%s.%N)
  W=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw CRIER_NOW=2029-12-31T10:00:00Z \
    /usr/bin/time -f '%U %S %M' -o "$tmp/time" \
    "$crier" -q -c "$tmp/site/crier.yaml" run >/dev/null 2>"$tmp/err" || true
  end=$(date +%s.%N)
  sent=$(sqlite3 "$tmp/site/journal.db" "select count(*) from delivery where status='sent'")
  read -r u s m <"$tmp/time"
  awk -v n="$n" -v d="$sent" -v w="$(echo "$end - $start" | bc)" -v u="$u" -v s="$s" -v m="$m" \
    'BEGIN { printf "%-8s %-11s %9.2fs %9.2fs %8.1fµs %9.1f MiB\n", n, d, w, u + s, (u + s) * 1e6 / d, m / 1024 }'
done
