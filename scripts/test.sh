#!/bin/sh
# The whole test suite: installs dependencies, builds with -Werror, runs
# every test, then builds again with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs every test a second time, and runs
# each libFuzzer target for a bounded time (FUZZ_SECONDS, default 60).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
echo "== reference implementations (npm ci)"
(cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error)
jobs=$(nproc 2>/dev/null || echo 2)
echo "== build (-Werror) and test"
cmake -S . -B build/ci -DCRIER_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/ci -j"$jobs"
(cd build/ci && ctest --output-on-failure -j"$jobs")
echo "== build with ASan+UBSan and test again"
cmake -S . -B build/asan -DCRIER_WERROR=ON -DCRIER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/asan -j"$jobs"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j"$jobs")
echo "== fuzz each target for ${FUZZ_SECONDS:-60} s"
FUZZ_BUILD=build/fuzz-ci FUZZ_CORPUS=build/fuzz-ci/corpus fuzz/run.sh "${FUZZ_SECONDS:-60}"
