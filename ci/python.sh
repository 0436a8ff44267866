#!/usr/bin/env bash
# ci/python.sh: the Python package's job. Creates a fresh virtual environment, installs
# the package from python/ with pip (scikit-build-core builds the C library into the
# wheel), checks its type hints with mypy and runs its pytest suite against the installed
# copy. pytest's exit status 5 (no tests collected) is a failure, not a pass.
#
#   bash ci/python.sh              setup, fresh venv in build-python/venv, install, pytest
#   PY_VENV=DIR bash ci/python.sh  the venv elsewhere
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh" --cuda-optional

venv=${PY_VENV:-$here/build-python/venv}
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$here/python[test]"

# From a folder where python/src is not importable: the tests use the installed package.
cd "$here/python/tests"
echo "==== mypy (the installed package's type hints, py.typed)"
"$venv/bin/python" -m mypy --no-incremental -p membudget
echo "==== pytest"
set +e
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/python/tests"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "ci/python.sh: pytest collected no tests (exit 5): failing" >&2
  exit 1
fi
exit "$rc"
