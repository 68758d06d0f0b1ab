#!/bin/sh
# Benchmarks delivery: 'crier announce' to four loopback endpoints (Matrix,
# GitHub, a webhook, SMTP) against the same four requests made by the curl
# command line tool and against Debian's apprise for the channels it
# supports (Matrix, JSON webhook, mail); and a fan-out of 8 webhooks that
# each answer after 200 ms. Median of RUNS runs (default 11): wall time of
# the whole process and its peak resident memory.
# Needs: npm ci in tests/conformance (for smtp-server), curl, apprise.
# measure prints "seconds kilobytes"; set -- splits them on purpose
# shellcheck disable=SC2046
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-11}
build=${1:-build/bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
crier=$(pwd)/$build/crier
tmp=$(mktemp -d)
cc -O2 -o "$tmp/measure" bench/measure.c
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

start_servers() { # DELAY_MS → sets HTTP_PORT SMTP_PORT
  DELAY_MS=$1 node bench/servers.mjs >"$tmp/ports.$1" &
  pids="$pids $!"
  for _ in $(seq 50); do [ -s "$tmp/ports.$1" ] && break; sleep 0.1; done
  HTTP_PORT=$(sed 's/.*"http":\([0-9]*\).*/\1/' "$tmp/ports.$1")
  SMTP_PORT=$(sed 's/.*"smtp":\([0-9]*\).*/\1/' "$tmp/ports.$1")
}

site() { # DIR CHANNELS
  mkdir -p "$1/_posts"
  printf -- '---\ntitle: "Glühwein & Traits"\ndate: 2030-12-04 19:30\ntalks: false\n---\nHello.\n' \
    >"$1/_posts/2030-12-04-bench.md"
  printf 'site:\n  url: https://bench.example.org\njournal: %s/j.db\nchannels:\n%s' "$1" "$2" >"$1/crier.yaml"
}

row() { printf "%-44s %9.1f ms %8.1f MiB\n" "$1" "$2" "$(echo "$3" | awk '{print $1/1024}')"; }
measure() { "$tmp/measure" "$runs" "$@"; }

start_servers 0
H=http://127.0.0.1:$HTTP_PORT
site "$tmp/four" "  - {name: m, type: matrix, homeserver: '$H', room: '!r:x', access_token: {env: T}}
  - {name: g, type: github, repo: o/r, token: {env: T}, api_url: '$H', gap: 0}
  - {name: w, type: webhook, url: '$H/hook', secret: {env: W}}
  - {name: s, type: mail, url: 'smtp://127.0.0.1:$SMTP_PORT', from: a@example.org, to: [b@example.org]}
"
export T=tok W=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
printf 'body\n' >"$tmp/msg.txt"
printf 'From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\nbody\r\n' >"$tmp/mail.txt"
cat >"$tmp/curl.sh" <<EOS
curl -s -o /dev/null -X PUT -H 'Authorization: Bearer tok' -H 'Content-Type: application/json' -d '{"msgtype":"m.notice","body":"x"}' $H/_matrix/client/v3/rooms/%21r%3Ax/send/m.room.message/t\$\$
curl -s -o /dev/null -X POST -H 'Authorization: Bearer tok' -H 'Accept: application/vnd.github+json' -d '{"title":"t","body":"b"}' $H/repos/o/r/issues
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H 'webhook-id: x' -d '{"a":1}' $H/hook
curl -s -o /dev/null --mail-from a@example.org --mail-rcpt b@example.org -T $tmp/mail.txt smtp://127.0.0.1:$SMTP_PORT
EOS
echo "delivery, median of $runs runs ($(nproc) cores, $(uname -m))"
printf "%-44s %12s %12s\n" "what" "wall" "peak RSS"
set -- $(measure "$crier" -q -c "$tmp/four/crier.yaml" announce bench --force)
row "crier announce, 4 channels (6 requests)" "$1" "$2"
set -- $(measure sh "$tmp/curl.sh")
row "curl CLI, the same 4 deliveries" "$1" "$2"
site "$tmp/three" "  - {name: m, type: matrix, homeserver: '$H', room: '!r:x', access_token: {env: T}}
  - {name: w, type: webhook, url: '$H/hook', secret: {env: W}}
  - {name: s, type: mail, url: 'smtp://127.0.0.1:$SMTP_PORT', from: a@example.org, to: [b@example.org]}
"
set -- $(measure "$crier" -q -c "$tmp/three/crier.yaml" announce bench --force)
row "crier announce, matrix+webhook+mail" "$1" "$2"
site "$tmp/http" "  - {name: m, type: matrix, homeserver: '$H', room: '!r:x', access_token: {env: T}}
  - {name: w, type: webhook, url: '$H/hook', secret: {env: W}}
"
set -- $(measure "$crier" -q -c "$tmp/http/crier.yaml" announce bench --force)
row "crier announce, matrix+webhook" "$1" "$2"
head -1 "$tmp/curl.sh" >"$tmp/curl2.sh"
sed -n 3p "$tmp/curl.sh" >>"$tmp/curl2.sh"
set -- $(measure sh "$tmp/curl2.sh")
row "curl CLI, matrix+webhook" "$1" "$2"
if command -v apprise >/dev/null 2>&1; then
  set -- $(measure apprise -t title -b body \
    "matrix://bench:pw@127.0.0.1:$HTTP_PORT/!r:x" "json://127.0.0.1:$HTTP_PORT/hook")
  row "apprise, matrix+webhook" "$1" "$2"
  set -- $(measure apprise -t title -b body \
    "matrix://bench:pw@127.0.0.1:$HTTP_PORT/!r:x" "json://127.0.0.1:$HTTP_PORT/hook" \
    "mailto://a:b@example.org:$SMTP_PORT?smtp=127.0.0.1&from=a@example.org&to=b@example.org")
  row "apprise, matrix+webhook+mail" "$1" "$2"
else
  echo "(apprise is not installed: apt-get install apprise)"
fi
start_servers 200
H=http://127.0.0.1:$HTTP_PORT
ch=""
for i in 1 2 3 4 5 6 7 8; do
  ch="$ch  - {name: w$i, type: webhook, url: '$H/hook$i', secret: {env: W}}
"
done
site "$tmp/fan" "$ch"
set -- $(measure "$crier" -q -c "$tmp/fan/crier.yaml" announce bench --force)
row "fan-out: 8 webhooks answering after 200 ms" "$1" "$2"
