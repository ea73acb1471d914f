#!/usr/bin/env bash
# Installs what the tests need, builds Vigil twice (normal, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test in both.
# Tests that need ../shared (conformance corpus, rule sets, benchmark
# generator) run when it is there and are skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
echo "== tests (normal build)"
# The million-alert query check (label million) is run on its own: ctest -L million.
(cd build && ctest --output-on-failure -j2 --timeout 1500 -LE million)
# The sanitizer build leaves out the benchmark programs: the tests that use
# them measure speed and are labelled slow, which this build does not run.
bash scripts/build.sh build-asan -DVIGIL_SANITIZE=ON -DVIGIL_BENCH=OFF
echo "== tests (ASan+UBSan build; the long data-set checks run in the normal build only)"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j2 --timeout 1500 -LE slow)
