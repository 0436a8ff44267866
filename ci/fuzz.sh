#!/usr/bin/env bash
# ci/fuzz.sh: every libFuzzer target for FUZZ_SECONDS (default 60) each, two at a time,
# starting from the seed corpus in tests/fuzz/corpus/<name>. A crash fails the job and
# leaves its input in build-fuzz/artifacts/: add that file to tests/fuzz/corpus/<name>/
# so the replay test (run by ctest in every build) keeps it as a regression.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh"
secs=${FUZZ_SECONDS:-60}
b="$here/build-fuzz"
CC=clang BUILD_TYPE=Debug bash "$here/ci/build.sh" "$b" -DMEMBUDGET_FUZZ=ON \
  -DMEMBUDGET_SANITIZE=address,undefined,fuzzer-no-link
mkdir -p "$b/artifacts" "$b/logs"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
targets=()
for f in "$b"/tests/fuzz/fuzz_*; do [ -x "$f" ] && targets+=("$f"); done
((${#targets[@]})) || { echo "ci/fuzz.sh: no fuzz targets were built" >&2; exit 1; }
run_one() {
  local t=$1 name; name=$(basename "$t"); name=${name#fuzz_}
  local work="$b/corpus/$name"
  rm -rf "$work"; mkdir -p "$work"
  cp "$here/tests/fuzz/corpus/$name"/* "$work"/ 2>/dev/null || true
  if "$t" "$work" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$b/artifacts/$name-" -print_final_stats=1 >"$b/logs/$name.log" 2>&1; then
    echo "fuzz $name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$b/logs/$name.log" | grep -o '[0-9]*$') runs in ${secs}s, $(ls "$work" | wc -l) corpus inputs, no crash"
  else
    echo "fuzz $name: FAILED (see $b/logs/$name.log, input in $b/artifacts/)"; tail -40 "$b/logs/$name.log"; return 1
  fi
}
fail=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run_one "${targets[i]}" & p1=$!
  p2=
  if ((i + 1 < ${#targets[@]})); then run_one "${targets[i+1]}" & p2=$!; fi
  wait $p1 || fail=1
  [ -z "$p2" ] || wait $p2 || fail=1
done
exit $fail
