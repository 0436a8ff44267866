#!/usr/bin/env bash
# bench/cluster.sh [BUILD_DIR]: the cost of one cluster agreement at 2, 4 and 8 ranks next
# to one MPI_Allreduce (and one MPI_Allgather) of the same 512 bytes, under mpirun on this
# machine; rewrites the measured section of docs/cluster.md. ci/bench.sh runs it after its
# own benchmarks (BUILD_DIR is its Release build, configured with -DMEMBUDGET_BENCH=ON).
#
#   CLUSTER_ROUNDS=N   rounds per rank count (default 2000)
#   CLUSTER_RANKS="2 4 8"
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$here/build-bench}
cmake --build "$dir" --target mb_cluster_bench >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_btl=self,vader
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for n in ${CLUSTER_RANKS:-2 4 8}; do
  # more ranks than cores: ranks yield when idle instead of spinning on each other
  mpirun --oversubscribe --mca mpi_yield_when_idle 1 -np "$n" \
    "$dir/bench/mb_cluster_bench" "${CLUSTER_ROUNDS:-2000}" >>"$out"
done
/usr/bin/python3 - "$out" "$here/docs/cluster.md" "$(mpirun --version | head -1)" <<'PY'
import json, os, platform, re, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
doc_path, ompi = sys.argv[2], sys.argv[3]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), platform.machine())
osname = next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release")
               if l.startswith("PRETTY_NAME=")), "Linux")
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
lines = [
    f"Measured {date} with `bash bench/cluster.sh` (the step of `bash ci/bench.sh` that "
    f"writes this section) on a {os.cpu_count()}-core {osname} VM ({cpu}, no GPU, load "
    f"average {open('/proc/loadavg').read().split()[0]} at the end: the machine is shared), "
    f"{ompi}, shared-memory transport "
    f"(btl self,vader), ranks oversubscribed on those cores with `mpi_yield_when_idle`; "
    f"{rows[0]['rounds']} rounds per rank count, each after a barrier, a round's time being "
    f"its slowest rank's. Every agreement agreed (the limiting rank was the expected one).",
    "",
    "| ranks | one agreement (median, p10-p90) | MPI_Allreduce 512 B | MPI_Allgather 512 B/rank | agreement / allreduce |",
    "|------:|---------------------------------|---------------------|--------------------------|----------------------:|",
]
for r in rows:
    a, ar, ag = r["agreement"], r["allreduce"], r["allgather"]
    f = lambda o: f"{o['median_us']:.1f} us ({o['p10_us']:.1f}-{o['p90_us']:.1f})"
    assert r["agreed"], r
    lines.append(f"| {r['ranks']} | {f(a)} | {f(ar)} | {f(ag)} | "
                 f"{a['median_us'] / ar['median_us']:.1f}x |")
text = open(doc_path).read()
begin, end = "<!-- cluster-bench:begin -->", "<!-- cluster-bench:end -->"
if begin not in text or end not in text:
    sys.exit(f"{doc_path}: the markers {begin} / {end} are missing")
new = text[:text.index(begin) + len(begin)] + "\n" + "\n".join(lines) + "\n" + text[text.index(end):]
open(doc_path, "w").write(new)
print("\n".join(lines))
PY
