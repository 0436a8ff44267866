#!/usr/bin/env bash
# ci/asan.sh: the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (leaks included: LeakSanitizer runs at exit of every test process and CLI run).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh"
CC=${CC:-clang} BUILD_TYPE=Debug bash "$here/ci/build.sh" "$here/build-asan" \
  -DMEMBUDGET_SANITIZE=address,undefined
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Vendor runtimes we load but do not own (Debian's HIP runtime, NVIDIA's stub) keep
# allocations for the life of the process; their leaks are theirs, listed in this file.
export LSAN_OPTIONS=suppressions=$here/ci/lsan.supp:print_suppressions=0
cd "$here/build-asan"
ctest --output-on-failure -j"$(nproc)" --no-tests=error --timeout 600
