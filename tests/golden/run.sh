#!/bin/sh
# Golden tests: each directory here with a 'cmd' file is a case. cmd is one
# shell command line using $CRIER (the binary), $SITE (the test site beside
# this script), $EXAMPLES (examples/) and $SHARED (../shared). The case
# passes when stdout equals 'stdout', stderr equals 'stderr' (if that file
# exists) and the exit status equals 'status' (default 0). A case with a
# 'needs-shared' file is skipped when the shared folder is absent.
# UPDATE=1 rewrites the expected files from the current output.
CRIER=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${3:-$HERE/../../../shared}
[ -d "$SHARED" ] && SHARED=$(cd "$SHARED" && pwd)
SITE=$HERE/site
EXAMPLES=$HERE/../../examples
export CRIER SHARED SITE EXAMPLES LC_ALL=C TZ=UTC
unset CRIER_NOW GITHUB_ACTIONS
pass=0 fail=0 skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in "$HERE"/*/; do
  case=$(basename "$dir")
  [ -f "$dir/cmd" ] || continue
  if [ -f "$dir/needs-shared" ] && [ ! -d "$SHARED/fixtures" ]; then
    echo "SKIP $case: $SHARED/fixtures is absent"
    skip=$((skip + 1))
    continue
  fi
  (cd "$dir" && eval "$(cat cmd)") >"$tmp/out" 2>"$tmp/err"
  status=$?
  # paths in messages: make them independent of where the tree is
  sed -i "s#$HERE/##g; s#$SHARED/#SHARED/#g" "$tmp/out" "$tmp/err"
  want_status=0
  [ -f "$dir/status" ] && want_status=$(cat "$dir/status")
  if [ -n "$UPDATE" ]; then
    cp "$tmp/out" "$dir/stdout"
    [ -f "$dir/stderr" ] && cp "$tmp/err" "$dir/stderr"
    [ "$status" != 0 ] && echo "$status" >"$dir/status"
    [ "$status" = 0 ] && rm -f "$dir/status"
    echo "UPDATED $case (status $status)"
    continue
  fi
  ok=1
  if ! cmp -s "$tmp/out" "$dir/stdout"; then
    ok=0
    echo "FAIL $case: stdout differs"
    diff -u "$dir/stdout" "$tmp/out" | head -40
  fi
  if [ -f "$dir/stderr" ] && ! cmp -s "$tmp/err" "$dir/stderr"; then
    ok=0
    echo "FAIL $case: stderr differs"
    diff -u "$dir/stderr" "$tmp/err" | head -40
  fi
  if [ "$status" != "$want_status" ]; then
    ok=0
    echo "FAIL $case: exit status $status, want $want_status"
    head -5 "$tmp/err"
  fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "golden: $pass passed, $fail failed, $skip skipped"
if [ "$skip" != 0 ] && [ "${CI:-}" = true ]; then
  echo "golden: in CI a skipped case is a failure"
  exit 1
fi
[ $fail = 0 ]
