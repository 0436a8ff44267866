"""Writes vllm-0.33.0.json: the reprs of vLLM 0.33.0's own MemorySnapshot and
MemoryProfilingResult (vllm/utils/mem_utils.py) for the values in cases.py, and the text
of the ValueError its __sub__ raises for two devices.

Made once, by hand, in a virtual environment with vllm==0.33.0 and torch==2.14.0 (CPU is
enough: nothing is measured, every snapshot has auto_measure=False):

    /work/venv-vllm/bin/python python/tests/golden/gen_vllm033.py python/tests/golden/vllm-0.33.0.json

The only thing set from outside is the platform's name: vLLM's repr prints
current_platform.device_name ("cuda", "rocm", "cpu"), which on a machine without a GPU is
unset, so mem_utils.current_platform is replaced by an object carrying that one name.
"""
import json
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402

import vllm  # noqa: E402
import vllm.utils.mem_utils as mu  # noqa: E402

SNAP = ("torch_peak", "torch_allocated", "free_memory", "total_memory", "cuda_memory",
        "torch_memory", "non_torch_memory", "timestamp", "auto_measure")
PROF = ("non_kv_cache_memory", "torch_peak_increase", "non_torch_increase", "total_consumed",
        "transient_peak_headroom", "weights_memory", "profile_time")


def main() -> None:
    out = {"vllm": vllm.__version__, "command": " ".join([sys.executable] + sys.argv),
           "snapshots": [], "profiles": [], "mismatch": []}
    for c in cases.snapshot_cases():
        mu.current_platform = types.SimpleNamespace(device_name=c["device_name"])
        s = mu.MemorySnapshot(**{k: c[k] for k in SNAP if k != "auto_measure"},
                              device=c["vllm_device"], auto_measure=False)
        s.auto_measure = c["auto_measure"]  # auto_measure=True would measure
        out["snapshots"].append({**c, "repr": repr(s)})
    for c in cases.profile_cases():
        mu.current_platform = types.SimpleNamespace(device_name=c["device_name"])
        base = mu.MemorySnapshot(device=c["vllm_device"], auto_measure=False)
        r = mu.MemoryProfilingResult(**{k: c[k] for k in PROF}, before_create=base)
        out["profiles"].append({**c, "repr": repr(r)})
    for a, b in cases.MISMATCH:
        try:
            mu.MemorySnapshot(device=a, auto_measure=False) - \
                mu.MemorySnapshot(device=b, auto_measure=False)
        except ValueError as e:
            out["mismatch"].append({"a": a, "b": b, "message": str(e)})
        else:
            raise SystemExit(f"vLLM did not refuse {a} - {b}")
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
