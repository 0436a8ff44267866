#!/usr/bin/env bash
# ci/hip-hw.sh [BUILD_DIR]: the job for a machine with a real AMD GPU and ROCm. Prints what
# rocm-smi sees, builds with the HIP backend required, checks that membudget serves the GPU
# through the HIP runtime, runs vLLM's profiling example (the seed scenario) on hip:0 and
# compares membudget's figures at the peak with rocm-smi's, read at the same moment.
# It FAILS, never skips, when there is no AMD GPU, no rocm-smi or no HIP runtime: a job that
# cannot test the hardware has not passed. Needs: ROCm (rocm-smi, libamdhip64), python3,
# and what ci/setup.sh installs (the CUDA toolkit is not needed here).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/lib.sh"
hw_start hip-hw
dir=${1:-$here/build-hip-hw}

echo "==== rocm-smi"
command -v rocm-smi >/dev/null || hw_fail "rocm-smi is not installed: this job needs a ROCm machine"
rocm-smi || hw_fail "rocm-smi failed: no AMD GPU, or the amdgpu driver is not loaded"
rocm-smi --showmeminfo vram gtt --showbus --json >"$art/smi.json" ||
  hw_fail "rocm-smi --showmeminfo vram gtt --showbus --json failed"
ngpu=$(python3 -c 'import json,sys; print(sum(1 for k in json.load(open(sys.argv[1])) if k.startswith("card")))' "$art/smi.json")
[ "$ngpu" -ge 1 ] || hw_fail "rocm-smi lists no GPU"
echo "rocm-smi lists $ngpu GPU(s)"

echo "==== build (HIP backend required)"
WITH_CUDA=AUTO WITH_HIP=ON bash "$here/ci/build.sh" "$dir"

echo "==== membudget devices"
"$dir/membudget" devices
"$dir/membudget" devices --json >"$art/devices.json"
python3 - "$art/devices.json" <<'EOF' || hw_fail "membudget does not serve the AMD GPU through HIP"
import json, sys
d = json.load(open(sys.argv[1]))
hip = [b for b in d["backends"] if b["name"] == "hip"][0]
devs = [x for x in d["devices"] if x["backend"] == "hip"]
if hip["state"] != "present" or not devs:
    print(f"hip is {hip['state']}: {hip['reason']}", file=sys.stderr)
    sys.exit(1)
for x in devs:
    print(f"{x['device']}: {x['ops']} {x['model']} pci {x['pci_bus_id']} total {x['total_memory']}")
EOF
"$dir/membudget" snapshot
"$dir/membudget" snapshot --json --device hip:0 >"$art/snapshot.json"

echo "==== seed scenario on hip:0 (other tenant 512 MiB, weights 512 MiB, spike 1 GiB, outside 256 MiB)"
MB_SEED_SMI_JSON="$art/smi_peak.json" "$dir/tests/hip/test_hip_seed" --hw 2>&1 | tee "$art/seed.out" ||
  hw_fail "the seed scenario did not pass"

echo "==== membudget vs rocm-smi at the peak"
python3 - "$art/seed.out" "$art/smi_peak.json" "$art/devices.json" <<'EOF' || hw_fail "membudget and rocm-smi disagree"
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith("MB_SEED_SNAPSHOT ")][0]
ours = json.loads(line.split(" ", 1)[1])
smi = json.load(open(sys.argv[2]))
devs = {x["device"]: x for x in json.load(open(sys.argv[3]))["devices"]}
ops = devs[ours["device"]]["ops"]

def num(card, *keys):
    for k in keys:
        if k in card:
            return int(card[k])
    raise KeyError(f"none of {keys} in rocm-smi's output: {sorted(card)}")

cards = {k: v for k, v in smi.items() if k.startswith("card")}
card = None
for k, v in cards.items():
    bus = str(v.get("PCI Bus", "")).lower()
    if bus and bus == ours["pci_bus_id"].lower():
        card = (k, v)
if card is None:
    if len(cards) != 1:
        sys.exit(f"no rocm-smi card has PCI bus {ours['pci_bus_id']}")
    card = next(iter(cards.items()))
name, c = card
vram_total = num(c, "VRAM Total Memory (B)")
vram_used = num(c, "VRAM Total Used Memory (B)")
print(f"membudget {ours['device']} ({ops}): total {ours['total']} used {ours['used']} free {ours['free']}")
print(f"rocm-smi  {name}: VRAM total {vram_total} used {vram_used}")
if ops == "hip":
    # sysfs's used counts the kernel driver's own buffers too (page tables, firmware),
    # which hipMemGetInfo may not: allow 0.5% of the board, at least 512 MiB
    tol = max(vram_total // 200, 512 << 20)
    bad = []
    if abs(ours["total"] - vram_total) > vram_total // 100:
        bad.append(f"totals differ by more than 1%: {ours['total']} vs {vram_total}")
    if abs(ours["used"] - vram_used) > tol:
        bad.append(f"used differs by more than {tol} bytes: {ours['used']} vs {vram_used}")
    if bad:
        sys.exit("; ".join(bad))
else:
    # An APU: rocm-smi's VRAM is the BIOS carve-out; the pool is system memory through GTT,
    # which membudget bounds by the host's MemAvailable. Check what must hold.
    gtt_total = num(c, "GTT Total Memory (B)")
    print(f"rocm-smi  {name}: GTT total {gtt_total}")
    if not (0 <= ours["free"] <= ours["total"]):
        sys.exit(f"free {ours['free']} is not within [0, total {ours['total']}]")
    if ours["total"] > vram_total + gtt_total:
        sys.exit(f"total {ours['total']} exceeds VRAM + GTT {vram_total + gtt_total}")
print("agree")
EOF
echo "ci/hip-hw.sh: OK"
