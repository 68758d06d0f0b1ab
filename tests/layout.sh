#!/bin/sh
# The functions a cron run with nothing due calls (the first part of
# src/hot-functions.txt) lie side by side in crier (CMakeLists.txt,
# CRIER_ORDER_FUNCTIONS): the distance from the first to the end of the
# last is less than twice their total size. Linked in the usual order they
# spread over the whole binary (about four times that).
# Usage: tests/layout.sh CRIER HOT_FUNCTIONS_TXT
set -eu
crier=$1
list=$2
# the names before the heading of those check adds (bench/order.sh)
awk '/^# check adds/ { exit } /^#/ { next } { print }' "$list" | sort -u >"${TMPDIR:-/tmp}/layout.$$"
trap 'rm -f "${TMPDIR:-/tmp}/layout.$$"' EXIT
nm -S "$crier" | awk -v names="${TMPDIR:-/tmp}/layout.$$" '
  BEGIN { while ((getline n <names) > 0) want[n] = 1 }
  ($3 == "t" || $3 == "T") && NF == 4 {
    f = $4; sub(/\..*/, "", f)
    if (!(f in want)) next
    a = hex($1); s = hex($2)
    if (!count++ || a < lo) lo = a
    if (a + s > hi) hi = a + s
    total += s
  }
  function hex(x,   i, v) {
    v = 0
    for (i = 1; i <= length(x); i++)
      v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
    return v
  }
  END {
    if (count < 50) { printf "layout: only %d listed functions found\n", count; exit 1 }
    printf "layout: %d functions, %d bytes, spread over %d bytes\n", count, total, hi - lo
    if (hi - lo >= 2 * total) { print "layout: FAIL: they are not side by side"; exit 1 }
  }'
