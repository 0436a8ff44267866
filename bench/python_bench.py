"""bench/python_bench.py: the Python package against psutil, and the binding's overhead
over the C call, in one run. Writes the results between the BENCH markers of
docs/python.md. Run by bench/python.sh (from ci/bench.sh) with the venv's interpreter,
where membudget and psutil are installed.

Timing: time.perf_counter_ns around batches of calls; in each round every contender runs
one batch, in an order that rotates from round to round, so a burst of load from another
process hits all of them. Results are the median per-call time over the rounds, with the
10th and 90th percentiles as the spread. The C floor (bench/py_floor.c, built here against
the wheel's own library and headers) times the same two C calls natively in the same way.

    python bench/python_bench.py --doc docs/python.md --command "bash ci/bench.sh" [--quick]
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import psutil

import membudget
from membudget import _abi, mem_utils, mem_utils_v033

HERE = Path(__file__).resolve().parent


class Fake:
    """A Python allocator with torch.accelerator's four methods (constant figures)."""

    stats = {"allocated_bytes.all.current": 1 << 30, "allocated_bytes.all.peak": 2 << 30}

    def memory_stats(self, device=None):
        return self.stats

    def memory_reserved(self, device=None):
        return 3 << 30

    def reset_peak_memory_stats(self, device=None):
        pass

    def empty_cache(self):
        pass


def contenders() -> Dict[str, Callable[[], object]]:
    ctx = membudget.default_context()
    lib = _abi.lib()
    snap = _abi.mb_snapshot()
    total = ctypes.c_int64()
    measure, host_total = lib.mb_snapshot_measure, lib.mb_host_memory_total
    h, ps, pt = ctx.handle, ctypes.byref(snap), ctypes.byref(total)
    fake = Fake()
    return {
        "membudget.MemorySnapshot()": lambda: mem_utils.MemorySnapshot(device="cpu"),
        "membudget.mem_utils_v033.MemorySnapshot()":
            lambda: mem_utils_v033.MemorySnapshot(device="cpu"),
        "MemorySnapshot() with a Python allocator":
            lambda: mem_utils.MemorySnapshot(device="cpu", allocator=fake),
        "membudget.get_cpu_memory()": membudget.get_cpu_memory,
        "psutil.virtual_memory()": psutil.virtual_memory,
        "psutil.virtual_memory().total": lambda: psutil.virtual_memory().total,
        "ctypes: mb_snapshot_measure": lambda: measure(h, 0, None, ps),
        "ctypes: mb_host_memory_total": lambda: host_total(h, pt),
    }


def run_python(rounds: int, batch: int) -> Dict[str, List[float]]:
    cs = contenders()
    names = list(cs)
    per: Dict[str, List[float]] = {n: [] for n in names}
    for n in names:  # warm up
        for _ in range(batch):
            cs[n]()
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            fn = cs[n]
            t0 = time.perf_counter_ns()
            for _ in range(batch):
                fn()
            per[n].append((time.perf_counter_ns() - t0) / batch)
    return per


def run_floor(rounds: int, batch: int) -> Dict[str, List[float]]:
    # the wheel carries no headers: the C floor is built against the checkout's, which the
    # installed library was built from (the package's layout check holds them to it)
    include = HERE.parent / "include"
    lib = Path(_abi.library_path())
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "py_floor"
        subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", f"-I{include}",
                        str(HERE / "py_floor.c"), str(lib), f"-Wl,-rpath,{lib.parent}",
                        "-o", str(exe)], check=True)
        out = subprocess.run([str(exe), str(rounds), str(batch)], check=True,
                             capture_output=True, text=True)
    doc = json.loads(out.stdout)
    return {"C: mb_snapshot_measure": doc["snapshot_ns"],
            "C: mb_host_memory_total": doc["host_total_ns"]}


def pct(xs: List[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        osname = platform.freedesktop_os_release().get("PRETTY_NAME", "Linux")
    except (OSError, AttributeError):
        osname = "Linux"
    gpu = [d.name for d in membudget.devices() if not d.name.startswith("cpu")]
    return (f"{cpus}-core {osname} ({model or platform.machine()}), "
            f"{'GPUs: ' + ', '.join(gpu) if gpu else 'no GPU'}")


def table(per: Dict[str, List[float]]) -> List[str]:
    med = {n: statistics.median(v) for n, v in per.items()}
    ps = med["psutil.virtual_memory()"]
    rows = ["| call | median µs/call | p10–p90 µs | vs psutil.virtual_memory() |",
            "|---|---:|---:|---:|"]
    for n, v in per.items():
        rows.append(f"| `{n}` | {us(med[n])} | {us(pct(v, 0.1))}–{us(pct(v, 0.9))} | "
                    f"{med[n] / ps:.2f}x |")
    over_snap = med["membudget.MemorySnapshot()"] - med["C: mb_snapshot_measure"]
    over_host = med["membudget.get_cpu_memory()"] - med["C: mb_host_memory_total"]
    ctypes_snap = med["ctypes: mb_snapshot_measure"] - med["C: mb_snapshot_measure"]
    rows += [
        "",
        f"- The binding's overhead over the C call: `MemorySnapshot()` costs {us(over_snap)} µs "
        f"more than `mb_snapshot_measure` called from C ({us(med['C: mb_snapshot_measure'])} µs), "
        f"of which {us(ctypes_snap)} µs is the bare ctypes call; `get_cpu_memory()` costs "
        f"{us(over_host)} µs more than `mb_host_memory_total` "
        f"({us(med['C: mb_host_memory_total'])} µs).",
        f"- `MemorySnapshot()` against `psutil.virtual_memory()`: "
        f"{med['membudget.MemorySnapshot()'] / ps:.2f}x; `get_cpu_memory()` against "
        f"`psutil.virtual_memory().total` (what vLLM's get_cpu_memory does): "
        f"{med['membudget.get_cpu_memory()'] / med['psutil.virtual_memory().total']:.2f}x.",
    ]
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--doc", required=True)
    ap.add_argument("--command", default="bash ci/bench.sh")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--commit", default="")
    args = ap.parse_args()
    rounds, batch = (21, 50) if args.quick else (201, 200)
    per = run_python(rounds, batch)
    per.update(run_floor(rounds, batch))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "<!-- BENCH:BEGIN (written by bench/python_bench.py; do not edit by hand) -->",
        f"Command: `{args.command}`" + (" (quick: fewer rounds)" if args.quick else ""),
        f"Machine: {machine()}; Python {platform.python_version()}, psutil "
        f"{psutil.__version__}, membudget library {membudget.library_version()}"
        + (f" at {args.commit}" if args.commit else "") + f". Date: {now}.",
        f"{rounds} rounds of {batch} calls per contender, the order rotating each round; "
        "every snapshot is of `cpu` (the CPU backend: /proc/meminfo and the cgroup files).",
        "",
        *table(per),
        "<!-- BENCH:END -->",
    ]
    doc = Path(args.doc)
    text = doc.read_text(encoding="utf-8")
    block = "\n".join(lines)
    pattern = re.compile(r"<!-- BENCH:BEGIN.*?<!-- BENCH:END -->", re.S)
    if not pattern.search(text):
        print(f"python_bench.py: {doc} has no BENCH markers", file=sys.stderr)
        return 1
    doc.write_text(pattern.sub(lambda m: block, text), encoding="utf-8")
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
