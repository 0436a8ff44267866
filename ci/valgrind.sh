#!/usr/bin/env bash
# ci/valgrind.sh: every CLI subcommand under valgrind memcheck: zero errors, zero leaks, on
# this machine, on machine dumps, and on the CUDA and HIP test-double drivers.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh"
BUILD_TYPE=Debug bash "$here/ci/build.sh" "$here/build-valgrind"
b="$here/build-valgrind"
cli="$b/membudget"
dumps="$b/tests/dumps"
models="$here/tests/fixtures/models"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Each line: environment assignments (or -) | arguments | expected exit status.
cases=(
  "-|--help|0"
  "-|--version|0"
  "-|devices|0"
  "-|devices --json|0"
  "-|snapshot|0"
  "-|snapshot --json|0"
  "-|snapshot --device cpu:0 --json|0"
  "-|snapshot --device nope:0|1"
  "-|snapshot --bogus|2"
  "MEMBUDGET_BACKENDS=cpx|devices|1"
  "MEMBUDGET_SYSROOT=$dumps/16amd64-8n2c|snapshot --json|0"
  "MEMBUDGET_SYSROOT=$dumps/nvidia-dgx-gb10|devices --json|0"
  "MEMBUDGET_SYSROOT=$dumps/32amd64-4s2n4c-cgroup|snapshot|0"
  "-|plan --model $models/llama-3.1-8b.config.json --total-memory 80GiB --free-memory 80GiB --non-kv-memory 20GiB --json|0"
  "-|plan --model $models/deepseek-v2-lite.config.json --device cpu:0 --non-kv-memory 1GiB|0"
  "-|plan --model $models/llama-3.1-8b.config.json --gpu-memory-utilization 1.5 --total-memory 80GiB --free-memory 80GiB|2"
  "-|plan --model $models/llama-3.1-8b.config.json --total-memory 80GiB --free-memory 70GiB --non-kv-memory 20GiB --chart --svg $scratch/p.svg --png $scratch/p.png|0"
  "-|plan --model $models/llama-3.1-8b.config.json --gpu H100 --chart --svg $scratch/e.svg --png $scratch/e.png|0"
  "MEMBUDGET_SYSROOT=$dumps/32amd64-4s2n4c-cgroup|snapshot --chart --svg $scratch/s2.svg|0"
  "LC_ALL=C.UTF-8|snapshot --ascii --svg $scratch/s.svg --png $scratch/s.png|0"
  "-|kv-space --json|0"
  "VLLM_CPU_KVCACHE_SPACE=4.5|kv-space|1"
  "-|gather $scratch/dump|0"
  "LD_LIBRARY_PATH=$b/tests/cuda/fake/cuda:$b/tests/cuda/fake/nvml MB_FAKE_CUDA=discrete80|snapshot --json|0"
  "LD_LIBRARY_PATH=$b/tests/cuda/fake/cuda MB_FAKE_CUDA=two CUDA_VISIBLE_DEVICES=1|devices --json|0"
  "LD_LIBRARY_PATH=$b/tests/cuda/fake/cuda MB_FAKE_CUDA=uma MEMBUDGET_SYSROOT=$dumps/nvidia-dgx-gb10|snapshot --json|0"
  "LD_LIBRARY_PATH=$b/tests/cuda/stub|devices|0"
  "LD_LIBRARY_PATH=$b/tests/hip/fakehip FAKEHIP_SCENARIO=discrete MEMBUDGET_HIP_FORCE_RUNTIME=1 MEMBUDGET_BACKENDS=hip,cpu|snapshot --json|0"
  "LD_LIBRARY_PATH=$b/tests/hip/fakehip FAKEHIP_SCENARIO=apu MEMBUDGET_HIP_FORCE_RUNTIME=1 MEMBUDGET_BACKENDS=hip,cpu|devices|0"
  "LD_LIBRARY_PATH=$b/tests/cuda/fake/cuda MB_FAKE_CUDA=discrete80|plan --model $models/qwen2.5-7b.config.json --device cuda:0 --non-kv-memory 20GiB|0"
  "-|processes|0"
  "-|processes --json|0"
  "-|processes --device nope:0|1"
  "LD_LIBRARY_PATH=$b/tests/cuda/fake/cuda:$b/tests/cuda/fake/nvml MB_FAKE_CUDA=two|processes --json|0"
  "-|metrics|0"
  "-|metrics --textfile $scratch|0"
  "-|watch --json --count 3 --interval 0.1|0"
  "-|watch --poll --poll-interval 0.1 --count 2 --interval 0.1|0"
  "-|serve --listen 0.0.0.0:0|2"
)
fail=0
for c in "${cases[@]}"; do
  IFS='|' read -r envs args want <<<"$c"
  [ "$envs" = "-" ] && envs=""
  log="$scratch/vg.log"
  set +e
  # shellcheck disable=SC2086
  # Leaks are definite, indirect and possible ones; memory still reachable at exit (the
  # loader's records of driver libraries, which are never unloaded by design) is shown in
  # the log but is not a leak.
  env $envs valgrind --quiet --leak-check=full --show-leak-kinds=all \
      --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --log-file="$log" \
      "$cli" $args >/dev/null 2>"$scratch/err"
  rc=$?
  set -e
  # Errors and leaks make valgrind exit 99. Its log may also hold notes that are not errors:
  # valgrind 3.19 does not know openat2 (syscall 437) and says so; the library then falls
  # back to openat plus a check, which is what those runs exercise.
  if [ "$rc" = 99 ] || grep -q "definitely lost\|Invalid \|uninitialised" "$log"; then
    echo "valgrind: errors or leaks in: $envs membudget $args"; cat "$log"; fail=1
  elif [ "$rc" != "$want" ]; then
    echo "valgrind job: '$envs membudget $args' exited $rc, expected $want:"; cat "$scratch/err"; fail=1
  else
    echo "ok: $envs membudget $args (exit $rc, no errors, no leaks)"
  fi
done
exit $fail
