"""Writes seed.json: the reprs of the seed's MemorySnapshot and MemoryProfilingResult (the
older vLLM whose mem_utils the seed text /work/shared/seeds/000_*.txt reproduces) for the
values in cases.py, and the ValueError text of its __sub__.

The two classes are taken from the seed text itself (their source, as the seed prints it)
and executed as they are. What the seed does not define is supplied:
  - format_gib: vLLM's definition, f"{round(b / GiB_bytes, 2)}" (vllm/utils/mem_utils.py;
    the same in 0.33.0),
  - torch.device: a stub that keeps the type and index and prints as torch does
    ("cuda:0", "cpu"); it is only the input of the repr and the ValueError text,
  - current_platform: an object with the platform's device_name.
Nothing is measured (auto_measure=False). Made once, by hand, with Debian's python3 in a
plain virtual environment (no torch, no vllm):

    python3 -m venv /tmp/seed-venv
    /tmp/seed-venv/bin/python python/tests/golden/gen_seed.py \
        /work/shared/seeds/000_eb25e533261652d2.txt python/tests/golden/seed.json
"""
import json
import os
import re
import sys
import types
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402

SNAP = ("torch_peak", "free_memory", "total_memory", "cuda_memory", "torch_memory",
        "non_torch_memory", "timestamp")
PROF = ("non_kv_cache_memory", "torch_peak_increase", "non_torch_increase", "weights_memory",
        "profile_time")


def class_source(text: str, name: str) -> str:
    """The seed's '@dataclass / class NAME' block: up to the first unindented line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line == f"class {name}:" and lines[i - 1] == "@dataclass") - 1
    body = [lines[start], lines[start + 1]]
    for line in lines[start + 2:]:
        if line.strip() and not line[0].isspace():
            break
        body.append(line)
    return "\n".join(body) + "\n"


class _Device:
    """torch.device for the texts: type and index, printed as torch prints them."""

    def __init__(self, spec):
        if isinstance(spec, _Device):
            self.type, self.index = spec.type, spec.index
            return
        kind, sep, idx = str(spec).partition(":")
        self.type, self.index = kind, (int(idx) if sep else None)

    def __eq__(self, other):
        return isinstance(other, _Device) and (self.type, self.index) == (other.type, other.index)

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


def main() -> None:
    seed_path, out_path = sys.argv[1], sys.argv[2]
    text = open(seed_path, encoding="utf-8").read()
    torch = types.ModuleType("torch")
    torch.device = _Device
    torch.types = types.SimpleNamespace(Device=object)
    ns = {"dataclass": dataclass, "field": field, "torch": torch,
          "GiB_bytes": 1 << 30, "current_platform": None}
    exec("def format_gib(b: int) -> str:\n    return f\"{round(b / GiB_bytes, 2)}\"\n", ns)
    sources = {n: class_source(text, n) for n in ("MemorySnapshot", "MemoryProfilingResult")}
    for src in sources.values():
        exec(src, ns)
    Snap, Result = ns["MemorySnapshot"], ns["MemoryProfilingResult"]
    out = {"source": os.path.basename(seed_path),
           "command": " ".join([sys.executable] + sys.argv),
           "classes": sources, "snapshots": [], "profiles": [], "mismatch": []}
    for c in cases.snapshot_cases():
        ns["current_platform"] = types.SimpleNamespace(device_name=c["device_name"])
        s = Snap(**{k: c[k] for k in SNAP}, device=c["vllm_device"], auto_measure=False)
        s.auto_measure = c["auto_measure"]
        row = {k: v for k, v in c.items() if k != "torch_allocated"}
        out["snapshots"].append({**row, "repr": repr(s)})
    for c in cases.profile_cases():
        ns["current_platform"] = types.SimpleNamespace(device_name=c["device_name"])
        base = Snap(device=c["vllm_device"], auto_measure=False)
        r = Result(**{k: c[k] for k in PROF}, before_create=base)
        row = {k: v for k, v in c.items()
               if k not in ("total_consumed", "transient_peak_headroom")}
        out["profiles"].append({**row, "repr": repr(r)})
    for a, b in cases.MISMATCH:
        try:
            Snap(device=a, auto_measure=False) - Snap(device=b, auto_measure=False)
        except ValueError as e:
            out["mismatch"].append({"a": a, "b": b, "message": str(e)})
        else:
            raise SystemExit(f"the seed's class did not refuse {a} - {b}")
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
