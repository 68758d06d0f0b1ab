#!/bin/sh
# Delivery, like for like, against the curl command line tool:
#   1. one webhook POST: `crier announce` to one webhook channel against
#      curl sending the same bytes (body and headers, taken from crier's
#      dry run) to the same loopback endpoint; crier with its journal on
#      tmpfs and on disk (two fsynced commits: the claim and the outcome;
#      what the journal's durability costs is the difference), and the
#      instructions of one run of each (callgrind, if installed); beside
#      them bench/floor.c, which sends the same bytes after opening
#      libcurl alone, then also the libraries crier opened for its POST
#      (read from the loader's log): what those libraries cost, and how
#      far crier's own work is from the least it could take; and floor.c
#      with the least journal that makes a POST happen once (-j: a
#      committed claim before it and a committed outcome after it, in
#      SQLite), on tmpfs and on disk: what exactly-once and durability
#      cost before any of crier's other work; and floor.c -s, the same
#      journal kept by a second process while the first opens libcurl:
#      what splitting the work over two processes could save;
#   2. a fan-out to 64 webhook endpoints on one host that each answer after
#      200 ms: crier with delivery.connections 64 (and with the default,
#      16) against curl --parallel --parallel-immediate sending the same
#      64 requests (--parallel-max 64, and curl's default of 50);
#   3. one mail through a real SMTP server: a private Postfix on loopback
#      (tests/conformance/postfix.sh: STARTTLS, AUTH PLAIN via Dovecot,
#      delivery to a Maildir), crier's mail channel against curl sending the
#      message crier sent (needs root, Postfix and Dovecot; skipped
#      otherwise);
#   4. Debian's apprise (if installed) for a JSON webhook (one POST, as
#      crier's) and a Matrix room with an access token (no login).
# Every row is run RUNS times (default 21), the commands of a table
# interleaved; printed: the median wall time (fastest–slowest), the median
# CPU time of the process, the median peak RSS, the ratio to the first row
# of the table, and the requests the endpoint received for one run.
# Needs: node (bench/servers.mjs), curl.
# Usage: bench/deliver.sh [BUILD_DIR]   (default build/bench, a release build)
# shellcheck disable=SC2086,SC2046 # word splitting of the lists is meant
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-21}
build=${1:-build/bench}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build"
shm=$(mktemp -d /dev/shm/crier-bench.XXXXXX)
pids=""
pf=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  if [ -n "$pf" ]; then sh tests/conformance/postfix.sh stop "$pf" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp" "$shm" ${pf:+"$pf"}
}
trap cleanup EXIT
cc -O2 -o "$tmp/measure" bench/measure.c
cc -O2 -o "$tmp/floor" bench/floor.c -ldl
export W=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw T=tok

start_servers() { # DELAY_MS → HTTP_PORT POLICY_PORT
  # a ports file of an earlier server would be read before the new one
  # truncates it
  rm -f "$tmp/ports.$1"
  DELAY_MS=$1 node bench/servers.mjs >"$tmp/ports.$1" &
  pids="$pids $!"
  for _ in $(seq 50); do [ -s "$tmp/ports.$1" ] && break; sleep 0.1; done
  HTTP_PORT=$(sed 's/.*"http":\([0-9]*\).*/\1/' "$tmp/ports.$1")
  POLICY_PORT=$(sed 's/.*"policy":\([0-9]*\).*/\1/' "$tmp/ports.$1")
}

site() { # DIR JOURNAL_DIR CONFIG_TAIL
  mkdir -p "$1/_posts"
  printf -- '---\ntitle: "Glühwein & Traits"\ndate: 2030-12-04 19:30\nlocation: hall\ntalks:\n- title: "Traits, all the way down"\n  speaker: "Ferris"\n  abstract: "What a trait object costs, and when a generic is better."\n---\nHello, and welcome.\n' \
    >"$1/_posts/2030-12-04-bench.md"
  mkdir -p "$1/_data"
  printf 'hall:\n  name: "Big Hall"\n  street: "Hauptstraße 1"\n  city: "Köln"\n' >"$1/_data/locations.yml"
  printf 'site:\n  url: https://bench.example.org\njournal: %s/j.db\n%s' "$2" "$3" >"$1/crier.yaml"
}

# requests the HTTP endpoint received while CMD... ran once
requests() {
  n0=$(curl -s "http://127.0.0.1:$HTTP_PORT/count")
  "$@" >/dev/null 2>&1 || true
  n1=$(curl -s "http://127.0.0.1:$HTTP_PORT/count")
  echo $((n1 - n0 - 1))
}

table() { # NAME... -- -- CMD1... -- CMD2...: a row per name
  names=""
  while [ "$1" != -- ]; do
    names="$names $1"
    shift
  done
  shift
  "$tmp/measure" "$runs" "$@" >"$tmp/out"
  printf '%s\n' $names | paste -d' ' - "$tmp/out" |
    awk 'NR == 1 { first = $2 }
      { printf "  %-34s %8.2f ms (%7.2f–%8.2f) cpu %6.2f ms %6.1f MiB %5.2fx\n",
        $1, $2, $4, $5, $6, $3 / 1024, $2 / first }'
}

# the requests crier's dry run shows: one curl config entry each (URL,
# headers, the body in a file of its own)
curl_config() { # DRY_OUTPUT PREFIX → PREFIX.cfg, PREFIX.N.body
  awk -v p="$2" '
    /^=== / { if (n) { close(body) }; n++; state = "req"; next }
    state == "req" && /^(POST|PUT|GET|PATCH) / {
      printf "next\n" > (p ".cfg"); printf "url = \"%s\"\nrequest = \"%s\"\noutput = \"/dev/null\"\n", $2, $1 > (p ".cfg")
      body = p "." n ".body"; printf "data-binary = \"@%s\"\n", body > (p ".cfg")
      state = "head"; next }
    state == "head" && /^$/ { state = "body"; first = 1; next }
    state == "head" { gsub(/"/, "\\\"", $0); printf "header = \"%s\"\n", $0 > (p ".cfg"); next }
    state == "body" { printf "%s%s", first ? "" : "\n", $0 > body; first = 0 }' "$1"
  # the first entry needs no "next"
  sed -i '1{/^next$/d}' "$2.cfg"
}

# the first request of a dry run, for bench/floor.c
floor_files() { # DRY_OUTPUT DIR → DIR/url, DIR/headers, DIR/body
  mkdir -p "$2"
  awk -v d="$2" '
    /^=== / { if (n++) exit; next }
    state == "" && /^(POST|PUT|GET|PATCH) / { print $2 > (d "/url"); state = "head"; next }
    state == "head" && /^$/ { state = "body"; first = 1; next }
    state == "head" { print > (d "/headers"); next }
    state == "body" { printf "%s%s", first ? "" : "\n", $0 > (d "/body"); first = 0 }' "$1"
}

echo "delivery, median of $runs interleaved runs ($(nproc) cores, $(uname -m))"
echo "crier $("$crier" --version | cut -d' ' -f2), $(curl --version | head -1 | cut -d' ' -f1-2), node $(node --version)"

# --- 1. one webhook POST
start_servers 0
H=http://127.0.0.1:$HTTP_PORT
hook="channels:
  - {name: w, type: webhook, url: '$H/hook', secret: {env: W}}
"
site "$tmp/one" "$tmp/one" "$hook"
site "$tmp/oneshm" "$shm" "$hook"
"$crier" -c "$tmp/one/crier.yaml" announce bench --dry-run --force >"$tmp/one.dry" 2>/dev/null
curl_config "$tmp/one.dry" "$tmp/one"
floor_files "$tmp/one.dry" "$tmp/floor.req"
# the libraries crier opens for the POST besides libcurl, in its order
libs=$(LD_DEBUG=files "$crier" -q -c "$tmp/oneshm/crier.yaml" announce bench --force 2>&1 >/dev/null |
  sed -n 's/.*file=\([^ ]*\) .*dynamically loaded by .*crier .*/\1/p' | awk '!seen[$0]++' | grep -v '^libcurl\.' || true)
echo
echo "one webhook POST ($(wc -c <"$tmp/one.1.body") bytes of JSON, signed), an instant loopback endpoint (ratios to curl):"
echo "  (floor: bench/floor.c, the same bytes; crier's libraries:" $libs")"
echo "  (floor+journal: the same, with the least exactly-once journal: bench/floor.c -j;"
echo "   split: that journal kept by a second process while the first opens libcurl: -s)"
mkdir -p "$tmp/floorj" "$shm/floorj" "$tmp/floors" "$shm/floors"
table curl,same-request floor,libcurl floor,crier-libraries floor+journal,on-tmpfs floor+journal,on-disk floor+journal,split,on-tmpfs floor+journal,split,on-disk crier-announce,journal-on-tmpfs crier-announce,journal-on-disk -- \
  -- curl -s -K "$tmp/one.cfg" \
  -- "$tmp/floor" "$tmp/floor.req" \
  -- "$tmp/floor" "$tmp/floor.req" $libs \
  -- "$tmp/floor" -j "$shm/floorj/j.db" "$tmp/floor.req" $libs \
  -- "$tmp/floor" -j "$tmp/floorj/j.db" "$tmp/floor.req" $libs \
  -- "$tmp/floor" -s "$shm/floors/j.db" "$tmp/floor.req" $libs \
  -- "$tmp/floor" -s "$tmp/floors/j.db" "$tmp/floor.req" $libs \
  -- "$crier" -q -c "$tmp/oneshm/crier.yaml" announce bench --force \
  -- "$crier" -q -c "$tmp/one/crier.yaml" announce bench --force
echo "  requests per run: crier $(requests "$crier" -q -c "$tmp/one/crier.yaml" announce bench --force), curl $(requests curl -s -K "$tmp/one.cfg")"
if command -v valgrind >/dev/null 2>&1; then
  # what a busy machine does not change: the instructions of one run each,
  # summed over its processes (crier's announce and its transport, floor.c
  # -s and its journal's process: valgrind follows a fork)
  instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
      sed -n 's/.*Collected : //p' | awk '{ n += $1 } END { print n }'
  }
  ci=$(instructions "$crier" -q -c "$tmp/oneshm/crier.yaml" announce bench --force)
  cu=$(instructions curl -s -K "$tmp/one.cfg")
  cf=$(instructions "$tmp/floor" -j "$shm/floorj/j.db" "$tmp/floor.req" $libs)
  awk -v a="$ci" -v b="$cu" -v f="$cf" 'BEGIN { printf "  instructions (callgrind): crier, journal on tmpfs %.1f M, curl %.1f M: %.2fx; floor+journal %.1f M: %.2fx\n", a / 1e6, b / 1e6, a / b, f / 1e6, f / b }'
fi

# --- 2. fan-out to 64 endpoints on one host, 200 ms each
start_servers 200
H=http://127.0.0.1:$HTTP_PORT
ch="channels:
"
for i in $(seq 0 63); do
  ch="$ch  - {name: w$i, type: webhook, url: '$H/hook$i', secret: {env: W}}
"
done
site "$tmp/fan" "$tmp/fan" "delivery:
  connections: 64
$ch"
site "$tmp/fan16" "$tmp/fan16" "$ch"
"$crier" -c "$tmp/fan/crier.yaml" announce bench --dry-run --force >"$tmp/fan.dry" 2>/dev/null
curl_config "$tmp/fan.dry" "$tmp/fan"
echo
echo "fan-out: 64 webhook endpoints on one host, each answering after 200 ms:"
table crier,connections:64 curl--parallel-max-64 crier,connections:16-default curl--parallel,default-50 -- \
  -- "$crier" -q -c "$tmp/fan/crier.yaml" announce bench --force \
  -- curl -s --parallel --parallel-immediate --parallel-max 64 -K "$tmp/fan.cfg" \
  -- "$crier" -q -c "$tmp/fan16/crier.yaml" announce bench --force \
  -- curl -s --parallel --parallel-immediate -K "$tmp/fan.cfg"
echo "  requests per run: crier $(requests "$crier" -q -c "$tmp/fan/crier.yaml" announce bench --force), curl $(requests curl -s --parallel --parallel-immediate --parallel-max 64 -K "$tmp/fan.cfg")"

# --- 3. mail through a private Postfix
echo
if why=$(sh tests/conformance/postfix.sh check); then
  set -- $(python3 -c 'import socket
s = [socket.socket() for _ in range(5)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
  # Postfix's processes must reach their directories
  pf=$(mktemp -d /tmp/crier-bench-postfix.XXXXXX)
  chmod 755 "$pf"
  sh tests/conformance/postfix.sh start "$pf" "$POLICY_PORT" "$@"
  submit=$1
  export P=smtp-pass
  mail="channels:
  - {name: m, type: mail, url: 'smtp://127.0.0.1:$submit', username: crier, password: {env: P}, ca_file: '$pf/tls/ca.pem', from: bench@crier.test, to: [list@crier.test]}
"
  site "$tmp/mail" "$tmp/mail" "$mail"
  "$crier" -q -c "$tmp/mail/crier.yaml" announce bench --force
  box=$pf/mail/crier.test/list/new
  for _ in $(seq 50); do ls "$box"/* >/dev/null 2>&1 && break; sleep 0.1; done
  # the message as crier sent it: what Postfix added on top goes
  f=$(ls "$box"/* | head -1)
  awk 'body || !/^(Return-Path|Delivered-To|Received|X-Original-To):|^[ \t]/ { body = 1 } body' "$f" |
    sed 's/$/\r/' >"$tmp/mail.eml"
  echo "one mail ($(wc -c <"$tmp/mail.eml") bytes: STARTTLS, AUTH PLAIN) through Postfix $(postconf -d -h mail_version 2>/dev/null):"
  table crier-announce curl,same-message -- \
    -- "$crier" -q -c "$tmp/mail/crier.yaml" announce bench --force \
    -- curl -s --url "smtp://127.0.0.1:$submit/crier.test" --ssl-reqd --cacert "$pf/tls/ca.pem" \
    --user crier:smtp-pass --mail-from bench@crier.test --mail-rcpt list@crier.test -T "$tmp/mail.eml"
  echo "  delivered to the Maildir: $(ls "$box" | wc -l) messages"
else
  echo "(mail: $why; skipped)"
fi

# --- 4. apprise
echo
if command -v apprise >/dev/null 2>&1; then
  start_servers 0
  H=http://127.0.0.1:$HTTP_PORT
  site "$tmp/ap" "$tmp/ap" "channels:
  - {name: w, type: webhook, url: '$H/hook', secret: {env: W}}
"
  site "$tmp/apm" "$tmp/apm" "channels:
  - {name: m, type: matrix, homeserver: '$H', room: '!r:x', access_token: {env: T}}
"
  echo "apprise $(apprise --version 2>/dev/null | head -1 | sed 's/^Apprise v//; s/ .*//'), an instant loopback endpoint:"
  table crier,webhook apprise,json-webhook crier,matrix apprise,matrix-with-token -- \
    -- "$crier" -q -c "$tmp/ap/crier.yaml" announce bench --force \
    -- apprise -t title -b body "json://127.0.0.1:$HTTP_PORT/hook" \
    -- "$crier" -q -c "$tmp/apm/crier.yaml" announce bench --force \
    -- apprise -t title -b body "matrix://tok@127.0.0.1:$HTTP_PORT/!r:x?mode=matrix"
  echo "  requests per run: crier webhook $(requests "$crier" -q -c "$tmp/ap/crier.yaml" announce bench --force), apprise json $(requests apprise -t title -b body "json://127.0.0.1:$HTTP_PORT/hook"), crier matrix $(requests "$crier" -q -c "$tmp/apm/crier.yaml" announce bench --force), apprise matrix $(requests apprise -t title -b body "matrix://tok@127.0.0.1:$HTTP_PORT/!r:x?mode=matrix")"
else
  echo "(apprise is not installed: apt-get install apprise)"
fi
