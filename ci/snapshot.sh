#!/usr/bin/env bash
# ci/snapshot.sh: the main job: build, then show what this machine has and measure it.
# Builds every backend this machine can (a machine without the CUDA Toolkit gets no CUDA
# backend, and says so in `membudget devices`); the test job requires them all.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh" --cuda-optional
WITH_CUDA=AUTO WITH_HIP=AUTO bash "$here/ci/build.sh" "$here/build" -DMEMBUDGET_TESTS=OFF
"$here/build/membudget" devices
"$here/build/membudget" snapshot
