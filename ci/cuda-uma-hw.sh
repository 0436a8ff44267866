#!/usr/bin/env bash
# ci/cuda-uma-hw.sh: the hardware job for an NVIDIA integrated GPU (Jetson Orin, DGX Spark /
# GB10: one memory pool shared with the CPU), served by membudget's `cuda-uma` ops.
#
#   bash ci/cuda-uma-hw.sh          (CUDA_VISIBLE_DEVICES picks the GPU; cuda:0 is measured)
#
# Builds membudget, requires that cuda:0 is an integrated device (`ops` = cuda-uma), checks the
# UMA rule (free = the host's MemAvailable, lowered by the container limit, clamped to the total;
# total = the driver's cuDeviceTotalMem, asked again here through ctypes; the driver's own free
# reported beside it) against /proc/meminfo read just before and just after the snapshot, runs the seed's profiling scenario
# through the real driver and membudget's tracker, and the CUDA tests on the test doubles.
# It FAILS, never skips, without an NVIDIA integrated GPU. What it measured is printed and kept
# under $MB_ARTIFACTS (default artifacts/cuda-uma-hw/): devices.json, snapshot.json, meminfo.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/lib.sh"
hw_start cuda-uma-hw
build=${BUILD_DIR:-$here/build-cuda-uma-hw}

echo "==== the integrated GPU"
# Jetson's L4T writes /etc/nv_tegra_release; GB10 has nvidia-smi (which reports its memory as
# "Not Supported"). Either is a sign; membudget's own verdict below is what counts.
if [ -r /etc/nv_tegra_release ]; then
  echo "Jetson: $(head -1 /etc/nv_tegra_release)"
elif command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi -L | grep -q '^GPU ' || hw_fail "nvidia-smi lists no GPU: $(nvidia-smi -L 2>&1 | head -3)"
  nvidia-smi --format=csv --query-gpu=index,name,uuid,driver_version,memory.total,memory.used || true
else
  hw_fail "neither /etc/nv_tegra_release nor nvidia-smi: this machine has no NVIDIA integrated GPU" \
       "(run this job on a Jetson or DGX Spark runner)"
fi
[ -r /proc/meminfo ] || hw_fail "/proc/meminfo is not readable: the UMA rule cannot be checked"

echo "==== build"
bash "$here/ci/setup.sh"
WITH_HIP=AUTO bash "$here/ci/build.sh" "$build"
mb=$build/membudget

echo "==== membudget devices"
"$mb" devices
"$mb" devices --json >"$art/devices.json"
python3 "$here/ci/hw_device.py" "$art/devices.json" cuda:0 cuda-uma ||
  hw_fail "membudget does not serve an integrated NVIDIA GPU"

echo "==== the UMA rule against /proc/meminfo"
cp /proc/meminfo "$art/meminfo.before"
"$mb" snapshot --json --device cuda:0 >"$art/snapshot.json"
cp /proc/meminfo "$art/meminfo.after"
python3 - "$art" <<'EOF' || hw_fail "the UMA rule does not hold"
import json, sys
art = sys.argv[1]
def meminfo(path):
    out = {}
    for line in open(path):
        k, v = line.split(":", 1)
        out[k] = int(v.split()[0]) * 1024
    return out
before, after = meminfo(art + "/meminfo.before"), meminfo(art + "/meminfo.after")
doc = json.load(open(art + "/snapshot.json"))
s = [x for x in doc["snapshots"] if x["device"] == "cuda:0"][0]
total, free, dfree = s["total_memory"], s["free_memory"], s["driver_free_memory"]
print("membudget cuda:0: total %d free %d driver_free %s source %s container_limit %s"
      % (total, free, dfree, s["source"], s["container_limit"]))
lo = min(before["MemAvailable"], after["MemAvailable"])
hi = max(before["MemAvailable"], after["MemAvailable"])
print("/proc/meminfo: MemTotal %d MemAvailable %d..%d MemFree %d"
      % (after["MemTotal"], lo, hi, after["MemFree"]))
bad = []
if s["source"] != "uma-host-available":
    bad.append("source is %r, not uma-host-available" % s["source"])
if not 0 <= free <= total:
    bad.append("free %d is not within [0, total %d]" % (free, total))
# The driver's total is the host's memory less what the kernel keeps (carve-outs, firmware):
# it can never exceed MemTotal by more than a page-rounding slack.
if total > after["MemTotal"] + (64 << 20):
    bad.append("total %d exceeds MemTotal %d" % (total, after["MemTotal"]))
slack = 64 << 20  # other processes allocate between the three reads
limit = s["container_limit"]
expect_hi = hi if not isinstance(limit, int) else min(hi, limit)
if free > min(expect_hi, total) + slack:
    bad.append("free %d exceeds MemAvailable (bounded by the container) %d" % (free, expect_hi))
if not s["limited_by_container"] and not s["clamped"] and free < lo - slack:
    bad.append("free %d is below MemAvailable %d with no container bound" % (free, lo))
# total must be the driver's cuDeviceTotalMem_v2, asked here without membudget (ctypes)
import ctypes
cuda = ctypes.CDLL("libcuda.so.1")
dev, tot = ctypes.c_int(), ctypes.c_size_t()
for call, args in (("cuInit", (0,)), ("cuDeviceGet", (ctypes.byref(dev), 0)),
                   ("cuDeviceTotalMem_v2", (ctypes.byref(tot), dev))):
    rc = getattr(cuda, call)(*args)
    if rc != 0:
        sys.exit("%s failed with CUresult %d" % (call, rc))
print("cuDeviceTotalMem_v2(ordinal 0): %d" % tot.value)
if tot.value != total:
    bad.append("total %d is not the driver's cuDeviceTotalMem_v2 %d" % (total, tot.value))
if dfree is None:
    print("driver_free: not reported (no CUDA context was current; membudget creates none on UMA)")
elif not 0 <= dfree <= total:
    bad.append("driver_free %d is not within [0, total]" % dfree)
if bad:
    sys.exit("; ".join(bad))
print("the UMA rule holds")
EOF

echo "==== the seed scenario on the integrated GPU"
"$build/tests/cuda/cuda_hw_seed" cuda:0 | tee "$art/seed.out" ||
  hw_fail "the seed scenario failed on the integrated GPU"

echo "==== the CUDA tests (test doubles and NVIDIA's stub)"
(cd "$build" && ctest -L cuda -E '^test_cuda_absent$' --output-on-failure --no-tests=error)
echo "ci/cuda-uma-hw.sh: PASS"
