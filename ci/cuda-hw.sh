#!/usr/bin/env bash
# ci/cuda-hw.sh: the CUDA hardware job, for a runner with an NVIDIA GPU and its driver.
#
#   bash ci/cuda-hw.sh            (CUDA_VISIBLE_DEVICES picks the GPU; cuda:0 is measured)
#
# Builds membudget, prints the driver and the device, runs the seed's profiling scenario on
# the GPU through membudget's tracking allocator and the real libcuda.so.1, compares
# membudget's free and total with nvidia-smi (and with torch.cuda.mem_get_info() when torch
# can be imported), and runs the CUDA tests on the test doubles and NVIDIA's stub. It FAILS,
# never skips, when there is no GPU: a hardware job that cannot see its hardware has not
# tested anything.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/lib.sh"
hw_start cuda-hw
build=${BUILD_DIR:-$here/build-cuda-hw}

echo "==== the GPU"
command -v nvidia-smi >/dev/null 2>&1 ||
  hw_fail "nvidia-smi not found: this machine has no NVIDIA driver (run this job on a GPU runner)"
nvidia-smi -L | grep -q '^GPU ' || hw_fail "nvidia-smi lists no GPU: $(nvidia-smi -L 2>&1 | head -3)"
nvidia-smi
nvidia-smi --format=csv \
  --query-gpu=index,name,uuid,pci.bus_id,driver_version,memory.total,memory.used,memory.free

echo "==== build"
bash "$here/ci/setup.sh"
bash "$here/ci/build.sh" "$build"
mb=$build/membudget

echo "==== membudget devices"
"$mb" devices
devices=$("$mb" devices --json)
printf '%s\n' "$devices" >"$art/devices.json"
info=$(python3 "$here/ci/hw_device.py" "$art/devices.json" cuda:0 cuda) ||
  hw_fail "membudget does not serve the GPU"
uuid=$(printf '%s\n' "$info" | sed -n 2p)
printf '%s\n' "$info" | sed -n 1p
echo "cuda:0 is $uuid"

echo "==== the seed scenario on the GPU"
"$build/tests/cuda/cuda_hw_seed" cuda:0 | tee "$art/seed.out" || hw_fail "the seed scenario failed on the GPU"

echo "==== membudget vs nvidia-smi (and torch)"
snap=$("$mb" snapshot --json --device cuda:0)
smi=$(nvidia-smi --query-gpu=memory.total,memory.free,memory.used --format=csv,noheader,nounits \
  -i "$uuid")
printf '%s\n' "$snap" >"$art/snapshot.json"
printf '%s\n' "$smi" >"$art/smi.csv"
python3 - "$snap" "$smi" <<'EOF' || hw_fail "membudget's figures disagree with nvidia-smi or torch"
import json, subprocess, sys
MiB = 1 << 20
s = [x for x in json.loads(sys.argv[1])["snapshots"] if x["device"] == "cuda:0"][0]
smi_total, smi_free, smi_used = (int(v) * MiB for v in sys.argv[2].split(","))
total, free = s["total_memory"], s["free_memory"]
print("membudget: total %d free %d (source %s)" % (total, free, s["source"]))
print("nvidia-smi: total %d free %d used %d" % (smi_total, smi_free, smi_used))
ok = True
# NVML's total counts memory the driver reserves; CUDA's (cuDeviceTotalMem) leaves it out.
if not (0 <= smi_total - total <= max(1 << 30, smi_total // 32)):
    print("FAIL: total differs from nvidia-smi's by %d bytes" % (smi_total - total)); ok = False
if abs(smi_free - free) > 512 * MiB:
    print("FAIL: free differs from nvidia-smi's by %d bytes" % (smi_free - free)); ok = False
try:
    out = subprocess.run([sys.executable, "-c",
                          "import torch; f, t = torch.cuda.mem_get_info(0); print(f, t)"],
                         capture_output=True, text=True, timeout=300)
except Exception as e:  # no interpreter, a hang: say so, compare with nvidia-smi only
    out = None
    print("torch: not run (%s)" % e)
if out is not None and out.returncode == 0:
    tf, tt = (int(v) for v in out.stdout.split())
    print("torch.cuda.mem_get_info(): free %d total %d" % (tf, tt))
    if tt != total:
        print("FAIL: total differs from torch's"); ok = False
    # torch measures inside the context it just created, which membudget's figure predates
    if abs(tf - free) > 1 << 30:
        print("FAIL: free differs from torch's by %d bytes" % (tf - free)); ok = False
elif out is not None:
    print("torch: not importable here, compared with nvidia-smi only")
sys.exit(0 if ok else 1)
EOF

echo "==== the CUDA tests (test doubles and NVIDIA's stub)"
# test_cuda_absent needs a machine without libcuda.so.1: not this one.
(cd "$build" && ctest -L cuda -E '^test_cuda_absent$' --output-on-failure --no-tests=error)
echo "ci/cuda-hw.sh: PASS"
