#!/bin/sh
# The whole test suite: installs dependencies, runs the static checks
# (scripts/lint.sh), builds with -Werror, runs
# every test, then builds again with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs every test a second time, and runs
# each libFuzzer target for a bounded time (FUZZ_SECONDS, default 60)
# from a fixed seed (FUZZ_SEED, default 1), so that the inputs CI tries are
# the ones a run here tried: a red CI comes from a change, not from luck.
# Finding new inputs is the long run's work (fuzz/README.md).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
echo "== static checks"
scripts/lint.sh
echo "== reference implementations (npm ci)"
(cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error)
jobs=$(nproc 2>/dev/null || echo 2)
# ctest in DIR; its log is kept, and one line says how many suites ran,
# passed, failed and were skipped (in CI a skipped suite fails: see
# tests/CMakeLists.txt)
suites() {
  log=$1/suites.log
  status=0
  (cd "$1" && ctest --output-on-failure -j"$jobs") >"$log" 2>&1 || status=$?
  cat "$log"
  # grep -c prints 0 and fails when nothing matches: that is no error here
  total=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#' "$log" || true)
  passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#.* Passed' "$log" || true)
  skipped=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#.*\*\*\*(Skipped|Not Run)' "$log" || true)
  echo "$2: $total suites run: $passed passed, $((total - passed - skipped)) failed, $skipped skipped"
  return $status
}
echo "== build (-Werror) and test"
cmake -S . -B build/ci -DCRIER_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/ci -j"$jobs"
suites build/ci "suites (-Werror build)"
echo "== build with ASan+UBSan and test again"
cmake -S . -B build/asan -DCRIER_WERROR=ON -DCRIER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/asan -j"$jobs"
(
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  suites build/asan "suites (ASan+UBSan build)"
)
echo "== fuzz each target for ${FUZZ_SECONDS:-60} s (seed ${FUZZ_SEED:-1})"
rm -rf build/fuzz-ci/corpus # the seeds only, as on a fresh clone
FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_BUILD=build/fuzz-ci FUZZ_CORPUS=build/fuzz-ci/corpus fuzz/run.sh "${FUZZ_SECONDS:-60}"
