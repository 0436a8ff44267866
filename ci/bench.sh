#!/usr/bin/env bash
# ci/bench.sh: the benchmarks (issue 7): snapshot, host query, probe, CLI, scale and CUDA
# driver calls, measured against their floor and their peers in one run; writes
# docs/benchmarks.md. Runs from a fresh clone. Not a test: ci/test.sh does not call it.
#
#   bash ci/bench.sh            setup, Release build into build-bench/, measure, write the doc
#   BENCH_QUICK=1 bash ci/bench.sh    fewer rounds (to try it out; do not commit that doc)
#   BENCH_JOBS=1 BENCH_BUILD=DIR      build with one job / into another folder
#   BENCH_ONLY=pictures bash ci/bench.sh   only the pictures (docs/pictures.md, docs/img/)
#
# The pictures in docs/ (bench/pictures.py) are drawn with matplotlib, installed from PyPI
# into the job's own virtual environment (BUILD/venv), never into the system's Python.
#
# The build configures the tests too (the CUDA part runs on the fake libcuda.so.1 that
# tests/cuda builds) but builds only the targets the benchmark needs. Backends are AUTO:
# the benchmark measures what the tree builds, and docs/benchmarks.md lists each backend's
# state (WITH_CUDA=ON / WITH_HIP=ON make a missing one an error instead).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh"

# strace counts system calls (the per-snapshot and CLI rows); the rest comes from setup.sh
# (hyperfine, valgrind, python3-psutil, libhwloc-dev, numactl).
if ! command -v strace >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends strace \
    >/dev/null || echo "ci/bench.sh: strace not installed; its rows will say so" >&2
fi

dir=${BENCH_BUILD:-$here/build-bench}
. "$here/ci/lib.sh"
find_cuda_home
cuda_root=()
[ -n "$CUDA_HOME" ] && cuda_root=(-DCUDAToolkit_ROOT="$CUDA_HOME")
cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DMEMBUDGET_WERROR=ON \
      "${cuda_root[@]}" \
      -DMEMBUDGET_WITH_CUDA=${WITH_CUDA:-AUTO} -DMEMBUDGET_WITH_HIP=${WITH_HIP:-AUTO} \
      -DMEMBUDGET_WITH_HWLOC=ON -DMEMBUDGET_WITH_NUMA=ON -DMEMBUDGET_WITH_CAIRO=ON \
      -DMEMBUDGET_TESTS=ON -DMEMBUDGET_BENCH=ON >/dev/null
cmake --build "$dir" -j"${BENCH_JOBS:-$(nproc)}" --target membudget_cli mb_bench mb_bench_trace

# Debian's interpreter: python3-psutil is installed for it (a pyenv python3 may lack it).
quick=()
[ -n "${BENCH_QUICK:-}" ] && quick=(--quick --wait-quiet 0)
if [ "${BENCH_ONLY:-}" != pictures ]; then
  /usr/bin/python3 "$here/bench/run.py" --build "$dir" --out "$here/docs/benchmarks.md" \
    --command "bash ci/bench.sh" "${quick[@]}"

  # The Python package against psutil, and the binding's overhead (docs/python.md).
  BENCH_COMMAND="bash ci/bench.sh" bash "$here/bench/python.sh"

  # The estimate's accuracy against published vLLM start-ups (issue 15): docs/estimate.md
  /usr/bin/python3 "$here/bench/estimate.py" --cli "$dir/membudget" \
    --doc "$here/docs/estimate.md" --command "bash ci/bench.sh"

  # The cluster agreement against MPI_Allreduce (issue 17): writes its section of
  # docs/cluster.md.
  if [ -e "$dir/libmembudget_mpi.so" ]; then
    bash "$here/bench/cluster.sh" "$dir"
  else
    echo "ci/bench.sh: no MPI adapter in $dir (install libopenmpi-dev): docs/cluster.md" \
         "keeps its old figures" >&2
  fi

  # issue 18: the idle cost of `membudget watch`, PSI triggers against a 1-second loop
  /usr/bin/python3 "$here/bench/watch_idle.py" --cli "$dir/membudget" \
    --out "$here/docs/bench-watch.md" --command "bash ci/bench.sh" \
    --seconds "${BENCH_WATCH_SECONDS:-60}"
fi

# The pictures of docs/pictures.md (issue 21), matplotlib in the job's own environment
venv="$dir/venv"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/python" -c "import matplotlib" 2>/dev/null ||
  "$venv/bin/pip" install -q --disable-pip-version-check "matplotlib==3.9.2"
"$venv/bin/python" "$here/bench/pictures.py" --build "$dir" \
  --command "${BENCH_ONLY:+BENCH_ONLY=$BENCH_ONLY }bash ci/bench.sh"
