#!/usr/bin/env bash
# ci/test.sh [JOB...]: every test job that runs without a GPU, one after the other (or only the
# jobs named). This is the README's test command and what .ci/run calls; the pipelines
# (.github/workflows/ci.yml, .gitlab-ci.yml) run it once per job, in parallel.
#   bash ci/test.sh --list     the jobs, one per line (the pipelines' job lists must equal it)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jobs=(cpu abi asan tsan valgrind fuzz pipelines python)
if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${jobs[@]}"
  exit 0
fi
run=("$@")
((${#run[@]})) || run=("${jobs[@]}")
for job in "${run[@]}"; do
  case " ${jobs[*]} " in
    *" $job "*) ;;
    *) echo "ci/test.sh: unknown job '$job'; the jobs are: ${jobs[*]}" >&2; exit 2 ;;
  esac
done
for job in "${run[@]}"; do
  echo "==== ci/$job.sh"
  bash "$here/ci/$job.sh"
done
