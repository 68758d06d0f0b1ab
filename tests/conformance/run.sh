#!/bin/sh
# Runs one conformance test file with node's test runner. Without the
# reference implementations (npm ci in this folder) or node, the suite is
# skipped (77) — except in CI (CI=true), where a skip is a failure: a suite
# that did not run proves nothing. Likewise a test inside the file that
# skipped (../shared absent, no root for mounts) fails the suite in CI.
here=$(cd "$(dirname "$0")" && pwd)
skip() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $1 (in CI a skipped suite is a failure)"
    exit 1
  fi
  echo "SKIP: $1"
  exit 77
}
[ -d "$here/node_modules/standardwebhooks" ] ||
  skip "run 'npm ci' in $here to install the reference implementations"
command -v node >/dev/null 2>&1 || skip "node is not installed"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
CRIER=$1 node --test --test-reporter=tap "$here/$2" >"$out" 2>&1
status=$?
cat "$out"
skipped=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$out" | tail -n 1)
if [ "$status" = 0 ] && [ "${skipped:-0}" -gt 0 ] && [ "${CI:-}" = true ]; then
  echo "FAIL: $skipped test(s) skipped (in CI a skip is a failure):"
  grep -E '^ *ok .*# SKIP' "$out" | grep -v 'test name does not match' | sed 's/^ */  /'
  exit 1
fi
exit "$status"
