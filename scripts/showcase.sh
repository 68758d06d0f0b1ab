#!/bin/sh
# The showcase: five texts crier makes from real event files of the Rust
# Cologne meetup (../shared/fixtures/rust-cologne-2025), as they go out —
# the announcement in English and in German, a reminder, an update, a
# cancellation — written into examples/showcase/.
#
#   scripts/showcase.sh CRIER [SHARED]          writes them
#   scripts/showcase.sh --check CRIER [SHARED]  compares, exit 1 when stale
#
# CRIER is the binary, SHARED the shared folder (default ../shared beside
# the repository). The golden case tests/golden/showcase runs --check, so
# the files cannot go stale: a change to a template or to the rule that
# changes them fails the tests until this script is run again.
set -eu
check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
[ $# -ge 1 ] || {
  echo "usage: scripts/showcase.sh [--check] CRIER [SHARED]" >&2
  exit 64
}
CRIER=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${2:-$ROOT/../shared}
FX=$SHARED/fixtures
OUT=$ROOT/examples/showcase
if [ ! -d "$FX/rust-cologne-2025/_posts" ]; then
  echo "showcase: $FX is absent" >&2
  exit 66
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The site as its own _config.yml has it; the 2025-26 events describe
# their program in the body.
cat >"$T/crier.yaml" <<EOF
site:
  name: Rust Cologne
  events: $FX/rust-cologne-2025/_posts
  locations: $FX/rust-cologne/_data/locations.yml
  timezone: Europe/Berlin
  url: http://rust.cologne
  permalink: /:year/:month/:day/:title.html
  talks_missing: description
journal: $T/crier.db
EOF
# For the update: the July meetup as if it had been announced a week
# earlier, at the Coworking Cologne.
sed -e 's/^date: 2026-07-01 /date: 2026-06-24 /' \
  -e 's/^location: c4$/location: coworking-cologne/' \
  "$FX/rust-cologne-2025/_posts/2026-07-01-slices.md" >"$T/as-announced.md"

C="$CRIER -c $T/crier.yaml"
NOW=2025-07-01T12:00:00+02:00
mkdir -p "$T/out"
# each text as preview shows it: the subject, a blank line, the Markdown
$C preview 2025-08-06-dependencies --lang en --now $NOW >"$T/out/announce-en.md"
$C preview 2025-08-06-dependencies --lang de --now $NOW >"$T/out/announce-de.md"
$C preview 2026-07-01-slices --notice reminder-1d --lang de --now $NOW >"$T/out/reminder-de.md"
$C preview 2026-07-01-slices --notice update --old "$T/as-announced.md" --lang en \
  --now 2026-06-10T12:00:00+02:00 >"$T/out/update-en.md"
$C preview 2026-07-01-slices --notice cancel --lang de \
  --now 2026-06-20T12:00:00+02:00 >"$T/out/cancel-de.md"

if [ $check = 1 ]; then
  stale=0
  for f in "$T"/out/*.md; do
    n=$(basename "$f")
    if ! cmp -s "$f" "$OUT/$n"; then
      echo "showcase: examples/showcase/$n is stale (scripts/showcase.sh writes it):"
      diff -u "$OUT/$n" "$f" | head -20 || true
      stale=1
    fi
  done
  [ $stale = 0 ] && echo "showcase: 5 texts up to date"
  exit $stale
fi
mkdir -p "$OUT"
cp "$T"/out/*.md "$OUT/"
echo "showcase: wrote 5 texts into examples/showcase/"
