# ci/lib.sh: helpers sourced by the ci/ scripts (not run on its own).

# Sets CUDA_HOME to the CUDA Toolkit that holds include/cuda.h: $CUDA_HOME when it does,
# else the first of /usr/local/cuda, /opt/cuda, /usr/lib/cuda that does; empty when none.
find_cuda_home() {
  if [ -n "${CUDA_HOME:-}" ] && [ -f "$CUDA_HOME/include/cuda.h" ]; then
    return 0
  fi
  CUDA_HOME=""
  for c in /usr/local/cuda /opt/cuda /usr/lib/cuda; do
    if [ -f "$c/include/cuda.h" ]; then
      CUDA_HOME="$c"
      return 0
    fi
  done
}

# For the ci/*-hw.sh jobs. hw_start NAME: sets art to $MB_ARTIFACTS/NAME (default
# artifacts/NAME under the checkout), where the job keeps what it measured, and names the job
# for hw_fail. hw_fail MESSAGE...: one line "ci/NAME.sh: FAIL: MESSAGE" on stderr, exit 1.
hw_start() {
  hw_name=$1
  art=${MB_ARTIFACTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/artifacts}/$hw_name
  mkdir -p "$art"
}
hw_fail() {
  echo "ci/$hw_name.sh: FAIL: $*" >&2
  exit 1
}
