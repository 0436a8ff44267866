#!/usr/bin/env bash
# ci/test.sh: every test job that runs without a GPU, one after the other. This is the
# README's test command and what .ci/run calls.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
for job in cpu asan tsan valgrind fuzz; do
  echo "==== ci/$job.sh"
  bash "$here/ci/$job.sh"
done
