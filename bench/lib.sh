# shellcheck shell=sh disable=SC2034 # crier, tmp, srv and port are for the callers
# Sourced by the benchmarks (from the repository's top directory).

# bench_build DIR: a release build of crier in DIR; sets crier (its
# absolute path) and tmp (a fresh directory for the run).
bench_build() {
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$1" -j"$(nproc)" >/dev/null
  crier=$(cd "$1" && pwd)/crier
  tmp=$(mktemp -d)
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
