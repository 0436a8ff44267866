#!/usr/bin/env bash
# ci/hip-apu-hw.sh [BUILD_DIR]: the hardware job for an AMD APU (Strix Halo, Phoenix, MI300A:
# the GPU's memory is system memory through GTT, beside a small BIOS carve-out of "VRAM").
#
# Builds with the HIP backend required, requires that hip:0 is served by the `hip-apu` ops,
# prints the carve-out (VRAM) and the GTT pool apart, as amdgpu's sysfs and rocm-smi state them,
# and checks the UMA rule against /proc/meminfo read just before and just after the snapshot:
# free = min(HIP's free, the host's MemAvailable lowered by the container limit), clamped to the
# total, with HIP's own free kept as driver_free; total <= VRAM + GTT. Then runs vLLM's profiling
# example (the seed scenario) on hip:0. It FAILS, never skips, when there is no AMD APU, no
# rocm-smi or no HIP runtime. Kept under $MB_ARTIFACTS (default artifacts/hip-apu-hw/):
# devices.json, snapshot.json, smi.json, meminfo before and after, seed.out.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/lib.sh"
hw_start hip-apu-hw
dir=${1:-$here/build-hip-apu-hw}

echo "==== rocm-smi"
command -v rocm-smi >/dev/null || hw_fail "rocm-smi is not installed: this job needs a ROCm machine with an APU"
rocm-smi || hw_fail "rocm-smi failed: no AMD GPU, or the amdgpu driver is not loaded"
rocm-smi --showmeminfo vram gtt --showbus --json >"$art/smi.json" ||
  hw_fail "rocm-smi --showmeminfo vram gtt --showbus --json failed"

echo "==== build (HIP backend required)"
bash "$here/ci/setup.sh" --cuda-optional
WITH_CUDA=AUTO WITH_HIP=ON bash "$here/ci/build.sh" "$dir"
mb=$dir/membudget

echo "==== membudget devices"
"$mb" devices
"$mb" devices --json >"$art/devices.json"
python3 "$here/ci/hw_device.py" "$art/devices.json" hip:0 hip-apu ||
  hw_fail "membudget does not serve an AMD APU through HIP"

echo "==== VRAM and GTT apart, and the UMA rule"
root=${MEMBUDGET_SYSROOT:-} # a machine dump: checks this script on it, never a pass (see docs/ci.md)
cp "$root/proc/meminfo" "$art/meminfo.before"
"$mb" snapshot --json --device hip:0 >"$art/snapshot.json"
cp "$root/proc/meminfo" "$art/meminfo.after"
python3 - "$art" "$root" <<'EOF' || hw_fail "the APU's figures do not hold together"
import glob, json, os, sys
art, root = sys.argv[1], sys.argv[2]
def meminfo(path):
    return {l.split(":")[0]: int(l.split(":")[1].split()[0]) * 1024 for l in open(path)}
before, after = meminfo(art + "/meminfo.before"), meminfo(art + "/meminfo.after")
dev = [x for x in json.load(open(art + "/devices.json"))["devices"] if x["device"] == "hip:0"][0]
s = [x for x in json.load(open(art + "/snapshot.json"))["snapshots"] if x["device"] == "hip:0"][0]
pools = None
for card in sorted(glob.glob(root + "/sys/class/drm/card*/device")):
    bus = os.path.basename(os.path.realpath(card))
    try:  # the PCI address as the kernel names the device (uevent), else the folder's name
        bus = [l.split("=", 1)[1].strip() for l in open(card + "/uevent")
               if l.startswith("PCI_SLOT_NAME=")][0]
    except (OSError, IndexError):
        pass
    bus = bus.lower()
    if bus == dev["pci_bus_id"].lower():
        rd = lambda n: int(open("%s/mem_info_%s" % (card, n)).read())
        pools = {n: rd(n) for n in ("vram_total", "vram_used", "gtt_total", "gtt_used")}
if pools is None:
    sys.exit("no /sys/class/drm card has PCI bus %s" % dev["pci_bus_id"])
print("sysfs: VRAM (carve-out) total %(vram_total)d used %(vram_used)d; "
      "GTT total %(gtt_total)d used %(gtt_used)d" % pools)
smi = {k: v for k, v in json.load(open(art + "/smi.json")).items() if k.startswith("card")}
for name, c in sorted(smi.items()):
    print("rocm-smi %s: VRAM total %s, GTT total %s" % (name, c.get("VRAM Total Memory (B)"),
                                                        c.get("GTT Total Memory (B)")))
total, free, dfree = s["total_memory"], s["free_memory"], s["driver_free_memory"]
print("membudget hip:0: total %d free %d driver_free %s source %s"
      % (total, free, dfree, s["source"]))
lo = min(before["MemAvailable"], after["MemAvailable"])
hi = max(before["MemAvailable"], after["MemAvailable"])
print("/proc/meminfo: MemAvailable %d..%d" % (lo, hi))
bad = []
slack = 64 << 20  # other processes allocate between the reads
if s["source"] != "uma-host-available":
    bad.append("source is %r, not uma-host-available" % s["source"])
if not 0 <= free <= total:
    bad.append("free %d is not within [0, total %d]" % (free, total))
if total > pools["vram_total"] + pools["gtt_total"]:
    bad.append("total %d exceeds VRAM + GTT %d" % (total, pools["vram_total"] + pools["gtt_total"]))
limit = s["container_limit"]
host = hi if not isinstance(limit, int) else min(hi, limit)
if free > host + slack:
    bad.append("free %d exceeds MemAvailable (bounded by the container) %d" % (free, host))
if dfree is not None and not s["clamped"] and free > dfree + slack:
    bad.append("free %d exceeds HIP's own free %d" % (free, dfree))
if dfree is not None and not s["clamped"] and not s["limited_by_container"] \
        and free + slack < min(dfree, lo):
    bad.append("free %d is below min(HIP's free %d, MemAvailable %d)" % (free, dfree, lo))
if bad:
    sys.exit("; ".join(bad))
print("the UMA rule holds")
EOF

echo "==== seed scenario on hip:0"
MB_SEED_SMI_JSON="$art/smi_peak.json" "$dir/tests/hip/test_hip_seed" --hw 2>&1 | tee "$art/seed.out" ||
  hw_fail "the seed scenario did not pass on the APU"
echo "ci/hip-apu-hw.sh: PASS"
