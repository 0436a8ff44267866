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
