#!/usr/bin/env bash
# bench/python.sh: the Python package's benchmark (bench/python_bench.py): MemorySnapshot()
# and get_cpu_memory() against psutil.virtual_memory() in one run, and the binding's
# overhead over the C call. Installs the package from python/ into a virtual environment
# (build-bench/pyvenv) and writes the results into docs/python.md. ci/bench.sh runs it.
#
#   bash bench/python.sh           BENCH_QUICK=1 bash bench/python.sh (fewer rounds)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${PY_BENCH_VENV:-$here/build-bench/pyvenv}
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$here/python[bench]"
quick=()
[ -n "${BENCH_QUICK:-}" ] && quick=(--quick)
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || true)
cd "$here/bench"  # not python/src: the installed package is measured
"$venv/bin/python" "$here/bench/python_bench.py" --doc "$here/docs/python.md" \
  --command "${BENCH_COMMAND:-bash bench/python.sh}" --commit "$commit" "${quick[@]}"
