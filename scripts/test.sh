#!/usr/bin/env bash
# Runs every test: a warnings-as-errors build with all tests (unit, CLI and end-to-end with the
# official SDKs), then the unit tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer. This is the README's test command and what CI
# runs (.ci/run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh

jobs="$(nproc)"
echo "== build (warnings as errors)"
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DLOCAI_WERROR=ON
echo "== tests"
ctest --test-dir build/release --output-on-failure -j"$jobs"

echo "== build (ASan + UBSan)"
# Warnings are already errors in the build above; GCC's instrumented builds add false positives
# (maybe-uninitialized inside std::variant), so this one reports them without failing.
scripts/build.sh build/asan -DCMAKE_BUILD_TYPE=Debug -DLOCAI_SANITIZE=ON \
  -DLOCAI_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-O1
echo "== tests under sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j"$jobs" -LE "e2e|cli"
