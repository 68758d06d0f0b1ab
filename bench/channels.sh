#!/bin/sh
# Benchmarks one announcement to every channel type at once: 'crier
# announce' to a Matrix room, a GitHub repository, mail over SMTP and
# through Postmark, a Meetup group, a webhook, Mastodon, Bluesky and a
# Discourse forum, all on loopback endpoints (bench/channels.mjs); then the
# same with endpoints that answer after 200 ms, and the HTTP types alone.
# Median of RUNS runs (default 11): wall time of the whole process and its
# peak resident memory.
# Needs: npm ci in tests/conformance (for smtp-server).
# measure prints "seconds kilobytes"; set -- splits them on purpose
# shellcheck disable=SC2046
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-11}
build=${1:-build/bench}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build"
cc -O2 -o "$tmp/measure" bench/measure.c
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

start_servers() { # DELAY_MS → sets HTTP_PORT SMTP_PORT
  DELAY_MS=$1 node bench/channels.mjs >"$tmp/ports.$1" &
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

http_types() { # BASE-URL
  cat <<EOC
  - {name: m, type: matrix, homeserver: '$1', room: '!r:x', access_token: {env: T}}
  - {name: g, type: github, repo: o/r, token: {env: T}, api_url: '$1', gap: 0}
  - {name: pm, type: mail, provider: postmark, api_url: '$1', api_key: {env: T}, from: a@example.org, to: [b@example.org]}
  - {name: mu, type: meetup, group: g, api_url: '$1/gql', auth: {access_token: {env: T}}}
  - {name: w, type: webhook, url: '$1/hook', secret: {env: W}}
  - {name: toot, type: mastodon, instance: '$1', access_token: {env: T}}
  - {name: sky, type: bluesky, pds: '$1', handle: b.bsky.social, app_password: {env: T}}
  - {name: forum, type: discourse, forum: '$1/forum', api_key: {env: T}, username: bench}
EOC
}

row() { printf "%-52s %9.1f ms %8.1f MiB\n" "$1" "$2" "$(echo "$3" | awk '{print $1/1024}')"; }
measure() { "$tmp/measure" "$runs" "$@"; }
export T=tok W=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

echo "every channel type at once, median of $runs runs ($(nproc) cores, $(uname -m))"
printf "%-52s %12s %12s\n" "what" "wall" "peak RSS"
start_servers 0
H=http://127.0.0.1:$HTTP_PORT
site "$tmp/all" "$(http_types "$H")
  - {name: s, type: mail, url: 'smtp://127.0.0.1:$SMTP_PORT', from: a@example.org, to: [b@example.org]}
"
site "$tmp/http" "$(http_types "$H")
"
set -- $(measure "$crier" -q -c "$tmp/all/crier.yaml" announce bench --force)
row "all 9 channels (8 types, SMTP too)" "$1" "$2"
set -- $(measure "$crier" -q -c "$tmp/http/crier.yaml" announce bench --force)
row "the 8 HTTP channels" "$1" "$2"
start_servers 200
H=http://127.0.0.1:$HTTP_PORT
site "$tmp/slow" "$(http_types "$H")
"
set -- $(measure "$crier" -q -c "$tmp/slow/crier.yaml" announce bench --force)
row "the 8 HTTP channels, each answer after 200 ms" "$1" "$2"
