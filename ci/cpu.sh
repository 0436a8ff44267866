#!/usr/bin/env bash
# ci/cpu.sh: the CPU job: build, then every test on this machine (math, platform on machine
# dumps, backends on test-double drivers, the real vendor libraries with no device, the CLI).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh"
bash "$here/ci/build.sh" "$here/build-ci"
cd "$here/build-ci"
ctest --output-on-failure -j"$(nproc)" --no-tests=error --timeout 600
