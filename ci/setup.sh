#!/usr/bin/env bash
# ci/setup.sh [--cuda-optional]: installs what membudget needs to build and test on a
# fresh Debian 12 machine (non-interactive). Safe to run again: it installs only what is
# missing. The CUDA Toolkit is required unless --cuda-optional (the main job, which builds
# without the CUDA backend when the toolkit is absent).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/lib.sh"

pkgs=(build-essential cmake pkg-config git libcjson-dev libcmocka-dev libhwloc-dev hwloc
      libnuma-dev numactl libamdhip64-dev valgrind clang libclang-rt-dev hyperfine
      python3 python3-psutil python3-venv locales abigail-tools
      libopenmpi-dev openmpi-bin libmicrohttpd-dev prometheus
      libcairo2-dev librsvg2-bin libxml2-utils fonts-dejavu-core bsdutils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ci/setup.sh: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The CUDA Toolkit (headers and the stub libcuda.so) is not in Debian's main archive; the
# machines this project runs on have it under /usr/local/cuda. Say so plainly if not.
find_cuda_home
if [ -z "$CUDA_HOME" ]; then
  if [ "${1:-}" = "--cuda-optional" ]; then
    echo "ci/setup.sh: no CUDA Toolkit (cuda.h) found: building without the CUDA backend" >&2
  else
    echo "ci/setup.sh: the CUDA Toolkit's cuda.h was not found (looked in \$CUDA_HOME," \
         "/usr/local/cuda, /opt/cuda, /usr/lib/cuda); install the toolkit or set CUDA_HOME" >&2
    exit 1
  fi
fi
