# shellcheck shell=sh disable=SC2034 # crier, tmp, srv and port are for the callers
# Sourced by the benchmarks (from the repository's top directory).

# bench_build DIR: a release build of crier in DIR; sets crier (its
# absolute path) and tmp (a fresh directory for the run).
bench_build() {
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$1" -j"$(nproc)" >/dev/null
  crier=$(cd "$1" && pwd)/crier
  tmp=$(mktemp -d)
  # Every binary measured reads this checkout's templates: a BASE build
  # would read its own source tree's, and where those lie counts. The same
  # binary's `check` took 0.9 ms longer with /work/main/templates than with
  # a copy of them in /tmp (bench/README.md, 2026-12-02, late morning).
  CRIER_TEMPLATES_DIR=$(pwd)/templates
  export CRIER_TEMPLATES_DIR
}

# bench_servers: the loopback endpoints (bench/servers.mjs), ended with
# the script, and $tmp with them; sets srv (their PID) and port (HTTP).
bench_servers() {
  node bench/servers.mjs >"$tmp/ports" &
  srv=$!
  trap 'kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
  while [ ! -s "$tmp/ports" ]; do sleep 0.1; done
  port=$(sed 's/.*"http":\([0-9]*\).*/\1/' "$tmp/ports")
}

# bench_fixture_config DIR: $tmp/crier.yaml for the Rust Cologne fixture
# site in DIR (61 events; a Matrix room, a webhook and a mailing list),
# its journal in $tmp.
bench_fixture_config() {
  s=$(cd "$1" && pwd)
  cat >"$tmp/crier.yaml" <<Y
site:
  events: $s/_posts
  locations: $s/_data/locations.yml
  timezone: Europe/Berlin
  url: https://rust.cologne
  permalink: /:year/:month/:day/:title.html
journal: $tmp/journal.db
channels:
  - {name: matrix, type: matrix, homeserver: "https://matrix.example.net", room: "#rust:example.net", access_token: {env: BENCH_TOKEN}, lang: [de, en]}
  - {name: hook, type: webhook, url: "https://hooks.example.net/crier", secret: {env: BENCH_SECRET}}
  - {name: mail, type: mail, url: "smtps://mail.example.net", from: crier@example.net, to: [list@example.net], lang: de}
Y
}
