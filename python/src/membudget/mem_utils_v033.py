"""vLLM 0.33's ``vllm.utils.mem_utils`` (MemorySnapshot with ``torch_allocated``;
MemoryProfilingResult with ``total_consumed`` and ``transient_peak_headroom``; non-KV
memory = free memory consumed since before_create + the transient peak headroom), over
the membudget C library. All figures are bytes.

    from membudget.mem_utils_v033 import MemorySnapshot, memory_profiling

The seed's (older vLLM's) fields and formula are in :mod:`membudget.mem_utils`. Beyond vLLM's
fields, a snapshot takes ``allocator=`` (default AUTO: torch.accelerator when torch is
already imported and initialised; None: no allocator; or any object with
torch.accelerator's four methods, or a membudget.Tracker) and ``context=`` (a
membudget.Context; default: the process's, from the environment).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Optional

from . import _vllm
from . import mem_utils as _mem_utils
from ._core import Context
from ._vllm import (AUTO, GiB_bytes, KiB_bytes, MiB_bytes, format_gib, format_kib, format_mib,
                    get_cpu_memory)

__all__ = [
    "AUTO", "GiB_bytes", "MiB_bytes", "MemorySnapshot", "MemoryProfilingResult",
    "memory_profiling", "get_cpu_memory", "get_max_shared_memory_bytes",
    "release_device_memory_under_pressure", "format_gib", "format_kib", "format_mib",
    "KiB_bytes",
]


@dataclass
class MemorySnapshot(_vllm.SnapshotMethods):
    """Memory snapshot of one device (vLLM's fields; bytes, timestamp in seconds).

    ``cuda_memory`` is total - free whatever the vendor; ``torch_*`` are the allocator's
    (``torch_allocated``: allocated_bytes.all.current).
    Measures on construction unless ``auto_measure=False``. Raises NoDevice for a device
    this machine does not have (only when measuring), the allocator's own exception when
    one of its methods raises, else a membudget.Error subclass.
    """

    torch_peak: int = 0
    torch_allocated: int = 0
    free_memory: int = 0
    total_memory: int = 0
    cuda_memory: int = 0
    torch_memory: int = 0
    non_torch_memory: int = 0
    timestamp: float = 0.0

    device: Any = None
    auto_measure: bool = True
    allocator: Any = field(default=AUTO, compare=False, repr=False)
    context: Optional[Context] = field(default=None, compare=False, repr=False)

    _FIELDS = ("torch_peak", "torch_allocated", "free_memory", "total_memory", "cuda_memory",
               "torch_memory", "non_torch_memory", "timestamp")

    def __repr__(self) -> str:
        return (
            f"torch_peak={format_gib(self.torch_peak)}GiB, "
            f"torch_allocated={format_gib(self.torch_allocated)}GiB, "
            f"free_memory={format_gib(self.free_memory)}GiB, "
            f"total_memory={format_gib(self.total_memory)}GiB, "
            f"{_vllm.resolved(self).platform}_memory={format_gib(self.cuda_memory)}GiB, "
            f"torch_memory={format_gib(self.torch_memory)}GiB, "
            f"non_torch_memory={format_gib(self.non_torch_memory)}GiB, "
            f"timestamp={self.timestamp}, "
            f"auto_measure={self.auto_measure}"
        )


@dataclass
class MemoryProfilingResult(_vllm.ProfilingResultMethods):
    """Memory profiling result. All numbers are in bytes (profile_time in seconds)."""

    non_kv_cache_memory: int = 0
    torch_peak_increase: int = 0
    non_torch_increase: int = 0
    total_consumed: int = 0
    transient_peak_headroom: int = 0
    weights_memory: int = 0
    before_create: MemorySnapshot = field(default_factory=MemorySnapshot)
    profile_time: float = 0.0

    def __repr__(self) -> str:
        return (
            f"Memory profiling takes {self.profile_time:.2f} seconds. "
            f"Total non KV cache memory: "
            f"{format_gib(self.non_kv_cache_memory)}GiB; "
            f"torch peak memory increase: "
            f"{format_gib(self.torch_peak_increase)}GiB; "
            f"total consumed (from mem_get_info): "
            f"{format_gib(self.total_consumed)}GiB; "
            f"weights memory: {format_gib(self.weights_memory)}GiB."
        )


_memory_profiling = _vllm.make_memory_profiling(True, lambda: MemoryProfilingResult)


def memory_profiling(baseline_snapshot: MemorySnapshot, weights_memory: int = 0
                     ) -> "contextlib._GeneratorContextManager[MemoryProfilingResult]":
    """vLLM's memory_profiling: on entry empties the allocator's cache, resets its peak and
    measures ``before_profile``; on exit empties the cache, measures ``after_profile`` and
    sets total_consumed = before_create.free_memory - after_profile.free_memory,
    transient_peak_headroom = after_profile.torch_peak - after_profile.torch_allocated and
    non_kv_cache_memory = their sum (bytes; weights_memory is reported, not added). The allocator and context are the baseline's."""
    return _memory_profiling(baseline_snapshot, weights_memory)


# One cache and one rule for both versions (vLLM 0.33 did not change these two).
get_max_shared_memory_bytes = _mem_utils.get_max_shared_memory_bytes
release_device_memory_under_pressure = _mem_utils.release_device_memory_under_pressure
