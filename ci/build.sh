#!/usr/bin/env bash
# ci/build.sh DIR [cmake args...]: configures and builds membudget into DIR, warnings as
# errors. Every backend is required (ON) unless WITH_CUDA / WITH_HIP say AUTO or OFF (the
# main job builds what the machine allows). Used by every job.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/lib.sh"
dir=${1:?usage: ci/build.sh DIR [cmake args]}
shift
find_cuda_home
cuda_root=()
[ -n "$CUDA_HOME" ] && cuda_root=(-DCUDAToolkit_ROOT="$CUDA_HOME")
cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
      -DMEMBUDGET_WERROR=ON "${cuda_root[@]}" \
      -DMEMBUDGET_WITH_CUDA=${WITH_CUDA:-ON} -DMEMBUDGET_WITH_HIP=${WITH_HIP:-ON} \
      -DMEMBUDGET_WITH_HWLOC=ON -DMEMBUDGET_WITH_NUMA=ON -DMEMBUDGET_WITH_MPI=${WITH_MPI:-ON} \
      -DMEMBUDGET_WITH_CAIRO=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
