#!/usr/bin/env bash
# ci/cpu-numa-hw.sh: the hardware job for the CPU backend on a machine with two or more NUMA
# nodes (a dual-socket server, or a single socket in NPS2/NPS4 or SNC mode).
#
#   bash ci/cpu-numa-hw.sh
#
# Builds membudget, compares its CPU devices and each node's total and free memory with hwloc's
# view of this machine (`lstopo-no-graphics --of xml`, an independent reader of the same sysfs),
# then checks binding: memory the tracking allocator takes for cpu:N lies on node N, page by
# page, as move_pages(2) reports (tests/numa/numa_hw_bind.c), with `numastat -m` printed beside.
# It FAILS, never skips, on a machine with fewer than two NUMA nodes that have memory and CPUs
# this process may use. What it measured is printed and kept under $MB_ARTIFACTS (default
# artifacts/cpu-numa-hw/): devices.json, snapshot.json, lstopo.xml, bind.out.
# With MEMBUDGET_SYSROOT set to a machine dump, the comparison runs on the dump (lstopo --input)
# and the job then fails at the binding step, which needs the real machine: a way to check the
# script itself, never a pass.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/lib.sh"
hw_start cpu-numa-hw
build=${BUILD_DIR:-$here/build-cpu-numa-hw}

echo "==== the NUMA nodes"
root=${MEMBUDGET_SYSROOT:-}
online=$(cat "$root/sys/devices/system/node/online" 2>/dev/null) ||
  hw_fail "$root/sys/devices/system/node/online is missing: this kernel exposes no NUMA nodes"
echo "online nodes: $online"
case "$online" in
  *[,-]*) ;;
  *) hw_fail "one NUMA node online ($online): run this job on a runner with two or more nodes" ;;
esac

echo "==== build"
bash "$here/ci/setup.sh" --cuda-optional
WITH_CUDA=AUTO WITH_HIP=AUTO bash "$here/ci/build.sh" "$build"
mb=$build/membudget
if [ -z "$root" ] && command -v numactl >/dev/null; then numactl --hardware; fi

echo "==== membudget against lstopo"
MEMBUDGET_BACKENDS=cpu "$mb" devices
MEMBUDGET_BACKENDS=cpu "$mb" devices --json >"$art/devices.json"
MEMBUDGET_BACKENDS=cpu "$mb" snapshot --json >"$art/snapshot.json"
input=()
[ -n "$root" ] && input=(--input "$root")
lstopo-no-graphics "${input[@]}" --of xml --whole-system --force "$art/lstopo.xml" ||
  hw_fail "lstopo-no-graphics could not describe this machine"
python3 - "$art" <<'EOF' || hw_fail "membudget's NUMA view disagrees with lstopo"
import json, sys
import xml.etree.ElementTree as ET
art = sys.argv[1]
devices = json.load(open(art + "/devices.json"))["devices"]
snap = json.load(open(art + "/snapshot.json"))
ours = {n["node"]: n for n in snap["nodes"]}
hw = {}
for obj in ET.parse(art + "/lstopo.xml").iter("object"):
    if obj.get("type") == "NUMANode":
        hw[int(obj.get("os_index"))] = int(obj.get("local_memory", "0"))
print("lstopo nodes:   ", {k: v for k, v in sorted(hw.items())})
print("membudget nodes:", {k: ours[k]["total_memory"] for k in sorted(ours)})
bad = []
for node, total in sorted(hw.items()):
    if node not in ours:
        bad.append("node %d is in lstopo but not in membudget's snapshot" % node)
        continue
    mine = ours[node]["total_memory"]
    # hwloc adds the node's hugepage pools to local_memory where membudget reads MemTotal
    # (docs/reliability.md's dump table): 1% covers the pools of a node configured for serving
    if total and abs(mine - total) > total // 100:
        bad.append("node %d: membudget %d, lstopo %d bytes" % (node, mine, total))
cpu_devs = [d for d in devices if d["backend"] == "cpu"]
for d in cpu_devs:
    print("%s: node %d total %d (%s)" % (d["device"], d["index"], d["total_memory"], d["model"]))
usable = [n for n in ours.values() if n["allowed"] and n["cpus_allowed"] > 0 and n["total_memory"] > 0]
if len(cpu_devs) != len(usable):
    bad.append("%d CPU devices for %d nodes with memory and allowed CPUs" % (len(cpu_devs), len(usable)))
if len(cpu_devs) < 2:
    bad.append("membudget serves %d CPU device(s); this job needs two or more" % len(cpu_devs))
if bad:
    sys.exit("; ".join(bad))
print("agree")
EOF

echo "==== binding: pages of cpu:N on node N"
[ -z "$root" ] || hw_fail "MEMBUDGET_SYSROOT=$root is a machine dump: binding needs the real machine"
"$build/tests/numa/numa_hw_bind" 64 | tee "$art/bind.out" || hw_fail "an allocation was not on its node"
if command -v numastat >/dev/null; then
  numastat -m | head -8
fi
echo "ci/cpu-numa-hw.sh: PASS"
