#!/bin/sh
# fuzz/run.sh [SECONDS [TARGET...]]
# Builds the libFuzzer targets with clang and runs each (or the TARGETs
# named) for SECONDS (default 30) on a seed corpus made from the project's
# own fixtures and, where present, ../shared's. A crash ends that target's
# run: the input is saved in fuzz/crashes/, its report and the input are
# printed, and the script exits 1 (turn it into a regression test).
# Prints each target's executions. FUZZ_RUNS=N also ends a target after N
# executions (the long run: FUZZ_RUNS=10000000); FUZZ_MAX_LEN bounds the
# input size (default 65536); FUZZ_SEED=N fixes libFuzzer's random seed
# (default 0: a new one each run).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-30}
[ $# -gt 0 ] && shift
runs=${FUZZ_RUNS:--1}
max_len=${FUZZ_MAX_LEN:-65536}
build=${FUZZ_BUILD:-build/fuzz}
CC=clang cmake -S . -B "$build" -DCRIER_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
corpus=${FUZZ_CORPUS:-$build/corpus}
mkdir -p "$corpus" fuzz/crashes
seed() { # TARGET FILES...
  t=$1
  shift
  mkdir -p "$corpus/$t"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$corpus/$t/$(echo "$f" | tr '/' '_')"
  done
  true
}
events=$(ls tests/golden/site/_posts/*.md examples/site/_posts/*.md ../shared/fixtures/rust-cologne/_posts/*.md 2>/dev/null || true)
events="$events $(find tests/golden/shapes -name '*.md' 2>/dev/null)"
seed fuzz_yaml $events config/crier.example.yaml tests/golden/site/crier.yaml tests/golden/site/_data/locations.yml \
  examples/site/crier.yaml templates/*/language.yaml
# front matters alone (what the fast reader sees most), and the shapes it
# must read as libyaml does: block scalars, escapes, lists of maps
for f in $events; do
  sed -n '2,/^---$/p' "$f" | sed '$d' >"$corpus/fuzz_yaml/fm_$(echo "$f" | tr '/' '_')"
done
printf 'a: |-\n  x\n\n  y\nb: >+\n  p\n   q\n\n  r\n\nc: |\n\n  z\n' >"$corpus/fuzz_yaml/block"
printf 'a: "t\\u00e9\\x41\\"\\\\\\n\\t x\n  y"\nb: '"'"'it'"''"'s\n\n  z'"'"'\nc: [x, "y", {k: v}]\n' >"$corpus/fuzz_yaml/quoted"
printf 'talks:\n- title: T\n  speaker:\n    name: N\n- - a\n-\n  - b: 1\n    c: [d]\nx:\n  - {e: f}\n  -\n' >"$corpus/fuzz_yaml/lists"
seed fuzz_event $events
seed fuzz_config config/crier.example.yaml tests/golden/site/crier.yaml examples/site/crier.yaml
# shellcheck disable=SC2046 # template paths have no spaces
seed fuzz_tpl $(find templates -name '*.mustache')
seed fuzz_md $events
# fuzz_render: a template and partials p0, p1, … separated by NUL bytes
seed fuzz_render tests/regress/fuzz_render-*
{ cat templates/en/announce.md.mustache; printf '{{> p0}}{{> p1}}\0'
  cat templates/en/partials/facts.mustache; printf '{{> p1}}\0'
  cat templates/en/partials/talks.mustache; } >"$corpus/fuzz_render/builtin"
mkdir -p "$corpus/fuzz_date" "$corpus/fuzz_sig" "$corpus/fuzz_mail" "$corpus/fuzz_http"
for d in "2024-09-11 19:15:00 MESZ" "2024-10-27 02:30 +01:00" "2024-03-31 02:30" "2030-12-04T19:30:00+01:00" "1d12h" \
    "Tuesday, March 24th, 2015 6:30 PM CDT" "24. März 2015 18:30 UTC+1" "11.09.2031 19:00:00.000" \
    "2031-06-12 9:15 PM - 10 PM" "2024-09-11 18:30 America/Chicago"; do
  printf '%s' "$d" >"$corpus/fuzz_date/$(printf '%s' "$d" | md5sum | cut -c1-8)"
done
printf 'msg_1\nv1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=\n{"test": 2432232314}\nwhpk_AAAA' >"$corpus/fuzz_sig/a"
printf 'Glühwein & Lifetimes – Köln "Zitat" 🎄 <a@b>' >"$corpus/fuzz_mail/a"
# fuzz_http: byte 0 is the status (100 + b % 500: 'd' = 200), byte 3 the
# channel (b % 6) and the notice (b / 6 % 4); one seed for each pair
for i in $(seq 0 23); do
  printf "d00\\$(printf %03o $((48 + i))): x\r\nretry-after: 1\r\nlink: <http://127.0.0.1:1/x?page=2>; rel=\"next\"\r\n\r\n{\"room_id\":\"!r:x\",\"event_id\":\"\$e\",\"number\":1,\"html_url\":\"u\",\"data\":{\"createEvent\":{\"event\":{\"id\":\"1\"}}},\"errors\":[{\"message\":\"m\"}]}" >"$corpus/fuzz_http/a$i"
done
printf '[{"body":"<!-- crier:key=aaaa -->","number":3}]' >"$corpus/fuzz_http/b"
# an SMTP dialogue for the mail channel (byte 3: '4')
printf 'd004: x\r\n< 220 mx\r\n> EHLO a.b\r\n< 250-mx\r\n< 250 AUTH PLAIN\r\n> RCPT TO:<a@b>\r\n< 550 5.1.1 <a@b>: no\r\n> DATA\r\n< 354 go\r\n< 451 4.3.0 later\r\n\r\n' >"$corpus/fuzz_http/smtp"
status=0
targets=${*:-$(cd "$build/fuzz" && ls -d fuzz_*)}
for name in $targets; do
  t=$build/fuzz/$name
  [ -x "$t" ] || { echo "no fuzz target $name" >&2; exit 2; }
  mkdir -p "$corpus/$name"
  log=$(mktemp)
  if ! "$t" -max_total_time="$secs" -runs="$runs" -seed="${FUZZ_SEED:-0}" -timeout=10 \
      -rss_limit_mb=2048 -max_len="$max_len" \
      -artifact_prefix="fuzz/crashes/$name-" "$corpus/$name" >"$log" 2>&1; then
    echo "$name: CRASH (see fuzz/crashes/)"
    # the report with its stack, so that a CI log alone shows the bug
    sed -n '/ERROR\|runtime error/,/SUMMARY/p' "$log" | head -40
    for f in fuzz/crashes/"$name"-*; do # the input, to replay it anywhere
      [ -f "$f" ] && echo "input $f (base64):" && base64 "$f" | head -40
    done
    status=1
  else
    tail -n 20 "$log" | grep -E '^Done|^#[0-9]+.*DONE' | tail -1 |
      sed "s/^/$name: /"
  fi
  rm -f "$log"
done
exit $status
