#!/usr/bin/env bash
# ci/cuda-toolkit.sh: puts the parts of the CUDA Toolkit that membudget builds and tests with
# (cuda.h, nvcc for CMake's FindCUDAToolkit, and the stub libcuda.so that a test loads) on a
# fresh Debian 12 machine that has none, from NVIDIA's apt repository for Debian 12 (the
# toolkit is not in Debian's main archive). A machine that already has cuda.h (see
# find_cuda_home in ci/lib.sh) is left as it is. The pipelines run this before ci/test.sh on
# hosted runners; .ci/run's machine has the toolkit already.
#   CUDA_PKG_VERSION  the toolkit's package suffix (default 13-0, i.e. /usr/local/cuda-13.0)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/lib.sh"
find_cuda_home
if [ -n "$CUDA_HOME" ]; then
  echo "ci/cuda-toolkit.sh: the CUDA Toolkit is at $CUDA_HOME"
  exit 0
fi
ver=${CUDA_PKG_VERSION:-13-0}
arch=$(dpkg --print-architecture)
case "$arch" in
  amd64) repo=x86_64 ;;
  arm64) repo=sbsa ;;
  *) echo "ci/cuda-toolkit.sh: no NVIDIA repository for Debian 12 on $arch" >&2; exit 1 ;;
esac
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends ca-certificates curl >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL -o "$tmp/keyring.deb" \
  "https://developer.download.nvidia.com/compute/cuda/repos/debian12/$repo/cuda-keyring_1.1-1_all.deb"
$SUDO dpkg -i "$tmp/keyring.deb" >/dev/null
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "cuda-nvcc-$ver" "cuda-cudart-dev-$ver" \
  "cuda-driver-dev-$ver" >/dev/null
find_cuda_home
[ -n "$CUDA_HOME" ] || CUDA_HOME=/usr/local/cuda-${ver/-/.}
[ -f "$CUDA_HOME/include/cuda.h" ] ||
  { echo "ci/cuda-toolkit.sh: installed, but $CUDA_HOME/include/cuda.h is missing" >&2; exit 1; }
echo "ci/cuda-toolkit.sh: the CUDA Toolkit is at $CUDA_HOME"
