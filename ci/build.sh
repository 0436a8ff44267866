#!/usr/bin/env bash
# ci/build.sh DIR [cmake args...]: configures and builds membudget into DIR with every
# backend required (ON), warnings as errors. Used by every job.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: ci/build.sh DIR [cmake args]}
shift
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
      -DMEMBUDGET_WERROR=ON -DCUDAToolkit_ROOT="$CUDA_HOME" \
      -DMEMBUDGET_WITH_CUDA=${WITH_CUDA:-ON} -DMEMBUDGET_WITH_HIP=${WITH_HIP:-ON} \
      -DMEMBUDGET_WITH_HWLOC=ON -DMEMBUDGET_WITH_NUMA=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
