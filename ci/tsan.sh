#!/usr/bin/env bash
# ci/tsan.sh: the concurrency tests under ThreadSanitizer (8 threads sharing a context,
# thousands of snapshots and profiling lifecycles; a tracker shared by 8 threads).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh"
CC=${CC:-clang} BUILD_TYPE=Debug bash "$here/ci/build.sh" "$here/build-tsan" \
  -DMEMBUDGET_SANITIZE=thread
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
cd "$here/build-tsan"
ctest --output-on-failure --no-tests=error --timeout 600 -R 'test_threads|test_cluster'
