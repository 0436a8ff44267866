#!/usr/bin/env bash
# ci/snapshot.sh: the main job: build, then show what this machine has and measure it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh"
bash "$here/ci/build.sh" "$here/build" -DMEMBUDGET_TESTS=OFF
"$here/build/membudget" devices
"$here/build/membudget" snapshot
