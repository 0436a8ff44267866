#!/usr/bin/env python3
"""Writes tests/kv/golden/cpu_plan_cases.json from vLLM 0.33.0's own CPU-worker code.

Run by hand, not in CI, in the virtual environment outside the repository that
gen_plan_goldens.py uses (vllm==0.33.0 installed --no-deps, torch==2.14.0):

    /work/venv-vllm/bin/python tests/kv/gen_cpu_goldens.py > tests/kv/golden/cpu_plan_cases.json

What it calls, with the machine replaced by the figures of each case:
  - get_memory_node_info (vllm/utils/cpu_resource_utils.py), reading a node meminfo written
    from the case (MemTotal, MemFree, Active(file), Inactive(file), SReclaimable) and the
    case's cgroup limit and usage (get_cgroup_memory_limit / _usage replaced);
  - CPUWorker.determine_available_memory (vllm/v1/worker/cpu_worker.py) on a stand-in
    worker (get_allowed_cpu_list, get_memory_node_info and psutil.Process replaced) for the
    KV-cache size, or its ValueError, word for word;
  - CPUAttentionBackend.get_preferred_block_size and supports_block_size
    (vllm/v1/attention/backends/cpu_attn.py) for the default block size.
What it reproduces instead (one line each, checked against the source text below):
  - requested_cpu_memory = math.ceil(total x gpu_memory_utilization) (CPUWorker.__init__);
  - VLLM_CPU_KVCACHE_SPACE GiB -> cache_config.kv_cache_memory_bytes, overriding
    --kv-cache-memory-bytes (CpuPlatform.check_and_update_config, vllm/platforms/cpu.py);
  - the 128 that CpuPlatform.update_block_size_for_backend hands the backend.
"""
import builtins
import inspect
import io
import json
import math
import os
import sys
import types

os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
import torch  # noqa: E402

import vllm  # noqa: E402
from vllm.config.vllm import VllmConfig  # noqa: E402,F401  (import order: config first)
from vllm.platforms.cpu import CpuPlatform  # noqa: E402
from vllm.utils import cpu_resource_utils as cru  # noqa: E402
from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend  # noqa: E402
from vllm.v1.worker import cpu_worker as cw  # noqa: E402

GiB = 1 << 30
MiB = 1 << 20
ns = types.SimpleNamespace

# the source lines reproduced, so that a vLLM that changes them fails here
assert "math.ceil(\n            memory_status.total_memory * memory_fraction" in \
    inspect.getsource(cw.CPUWorker.__init__)
assert "kv_cache_space * GiB_bytes" in inspect.getsource(CpuPlatform.check_and_update_config)
assert "backend_classes, 128, vllm_config" in \
    inspect.getsource(CpuPlatform.update_block_size_for_backend)

# (name, MemTotal, MemFree, file+reclaimable, cgroup limit or None, cgroup usage, utilization,
#  rss, --kv-cache-memory-bytes or None, VLLM_CPU_KVCACHE_SPACE or None)
CASES = [
    ("auto", 64 * GiB, 40 * GiB, 10 * GiB, None, 0, 0.92, 3 * GiB, None, None),
    ("auto-half", 64 * GiB, 40 * GiB, 10 * GiB, None, 0, 0.5, 3 * GiB, None, None),
    ("auto-odd", 67108863 * 1024, 30 * GiB, 12345678 * 1024, None, 0, 0.9, 1234567890, None, None),
    ("auto-above-available", 64 * GiB, 20 * GiB, 5 * GiB, None, 0, 0.92, 3 * GiB, None, None),
    ("auto-rss-fills", 16 * GiB, 12 * GiB, 1 * GiB, None, 0, 0.1, 2 * GiB, None, None),
    ("container-clamps-total", 128 * GiB, 100 * GiB, 10 * GiB, 32 * GiB, 4 * GiB, 0.8,
     2 * GiB, None, None),
    ("container-room", 128 * GiB, 100 * GiB, 10 * GiB, 32 * GiB, 20 * GiB, 0.8, 2 * GiB,
     None, None),
    ("container-above-total", 64 * GiB, 40 * GiB, 10 * GiB, 256 * GiB, 0, 0.92, 3 * GiB,
     None, None),
    ("flag", 64 * GiB, 40 * GiB, 10 * GiB, None, 0, 0.92, 3 * GiB, 20 * GiB, None),
    ("flag-too-big", 64 * GiB, 40 * GiB, 10 * GiB, None, 0, 0.92, 3 * GiB, 60 * GiB, None),
    ("env", 64 * GiB, 40 * GiB, 10 * GiB, None, 0, 0.92, 3 * GiB, None, "12"),
    ("env-over-flag", 64 * GiB, 40 * GiB, 10 * GiB, None, 0, 0.92, 3 * GiB, 20 * GiB, "8"),
    ("env-too-big", 16 * GiB, 8 * GiB, 1 * GiB, None, 0, 0.92, 1 * GiB, None, "13"),
    ("env-in-container", 128 * GiB, 100 * GiB, 10 * GiB, 16 * GiB, 6 * GiB, 0.92, 1 * GiB,
     None, "12"),
]


def node_info(total, free, reclaim, limit, usage):
    """get_memory_node_info(0) on a node meminfo and cgroup of these figures."""
    active = reclaim // 2
    text = (f"Node 0 MemTotal:       {total // 1024} kB\n"
            f"Node 0 MemFree:        {free // 1024} kB\n"
            f"Node 0 Active(file):   {active // 1024} kB\n"
            f"Node 0 Inactive(file): {(reclaim - active) // 2 // 1024} kB\n"
            f"Node 0 SReclaimable:   {(reclaim - active - (reclaim - active) // 2) // 1024} kB\n")
    real_open, real_exists = builtins.open, os.path.exists
    path = "/sys/devices/system/node/node0/meminfo"
    builtins.open = lambda p, *a, **k: io.StringIO(text) if p == path else real_open(p, *a, **k)
    os.path.exists = lambda p: True if p == path else real_exists(p)
    cru.get_cgroup_memory_limit = lambda: limit
    cru.get_cgroup_memory_usage = lambda: usage if limit is not None else None
    try:
        return cru.get_memory_node_info(0), text
    finally:
        builtins.open, os.path.exists = real_open, real_exists


def run(case):
    name, total, free, reclaim, limit, usage, util, rss, flag, env = case
    info, meminfo = node_info(total, free, reclaim, limit, usage)
    kv_bytes = flag
    if env:  # CpuPlatform.check_and_update_config's legacy setting, over the flag
        kv_bytes = int(env) * GiB
    worker = ns(
        _should_warm_up_model=lambda: False,
        cache_config=ns(kv_cache_memory_bytes=kv_bytes),
        requested_cpu_memory=math.ceil(info.total_memory * util),
    )
    cw.get_allowed_cpu_list = lambda: [ns(numa_node=0)]
    cw.get_memory_node_info = lambda node: info
    cw.psutil = ns(Process=lambda pid: ns(memory_info=lambda: ns(rss=rss)))
    out = {"name": name, "meminfo": meminfo, "cgroup_limit": limit, "cgroup_usage": usage,
           "utilization": util, "rss": rss, "kv_cache_memory_bytes": flag,
           "VLLM_CPU_KVCACHE_SPACE": env, "node_total": info.total_memory,
           "node_available": info.available_memory}
    try:
        out["kv_cache_bytes"] = cw.CPUWorker.determine_available_memory(worker)
    except ValueError as e:
        out["error"] = str(e)
    return out


def main():
    doc = {
        "generator": "tests/kv/gen_cpu_goldens.py",
        "command": "/work/venv-vllm/bin/python tests/kv/gen_cpu_goldens.py > "
                   "tests/kv/golden/cpu_plan_cases.json",
        "vllm_version": vllm.__version__,
        "torch_version": torch.__version__,
        "cases": [run(c) for c in CASES],
        "block_size": {
            "default": CPUAttentionBackend.get_preferred_block_size(128),
            "accepts": {str(b): CPUAttentionBackend.supports_block_size(b)
                        for b in (16, 32, 48, 64, 96, 128, 256)},
        },
    }
    sys.stdout.write(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
