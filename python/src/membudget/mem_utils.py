"""vLLM's ``vllm.utils.mem_utils`` as the seed describes it (MemorySnapshot without
``torch_allocated``; non-KV memory = weights + torch peak increase + non-torch increase),
over the membudget C library. All figures are bytes.

An engine imports this instead of ``vllm.utils.mem_utils``::

    from membudget.mem_utils import MemorySnapshot, memory_profiling

vLLM 0.33's fields and formula are in :mod:`membudget.mem_utils_v033`. Beyond vLLM's
fields, a snapshot takes ``allocator=`` (default AUTO: torch.accelerator when torch is
already imported and initialised; None: no allocator; or any object with
torch.accelerator's four methods, or a membudget.Tracker) and ``context=`` (a
membudget.Context; default: the process's, from the environment).
"""
from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from typing import Any, Optional

from . import _vllm
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

    ``cuda_memory`` is total - free whatever the vendor; ``torch_*`` are the allocator's.
    Measures on construction unless ``auto_measure=False``. Raises NoDevice for a device
    this machine does not have (only when measuring), the allocator's own exception when
    one of its methods raises, else a membudget.Error subclass.
    """

    torch_peak: int = 0
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

    _FIELDS = ("torch_peak", "free_memory", "total_memory", "cuda_memory", "torch_memory",
               "non_torch_memory", "timestamp")

    def __repr__(self) -> str:
        return (
            f"torch_peak={format_gib(self.torch_peak)}GiB, "
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
            f"non-torch forward increase memory: "
            f"{format_gib(self.non_torch_increase)}GiB; "
            f"weights memory: {format_gib(self.weights_memory)}GiB."
        )


_memory_profiling = _vllm.make_memory_profiling(False, lambda: MemoryProfilingResult)


def memory_profiling(baseline_snapshot: MemorySnapshot, weights_memory: int = 0
                     ) -> "contextlib._GeneratorContextManager[MemoryProfilingResult]":
    """vLLM's memory_profiling: on entry empties the allocator's cache, resets its peak and
    measures ``before_profile``; on exit empties the cache, measures ``after_profile`` and
    sets non_kv_cache_memory = weights_memory + torch_peak_increase + non_torch_increase
    (bytes). The allocator and context are the baseline's."""
    return _memory_profiling(baseline_snapshot, weights_memory)


@functools.lru_cache(maxsize=None)
def get_max_shared_memory_bytes(gpu: int = 0) -> int:
    """The maximum shared memory per thread block of GPU ``gpu``, in bytes (cached, as in
    vLLM). Raises NotSupported on a CPU device, NoDevice when there is no such GPU."""
    return _vllm.max_shared_memory_bytes(gpu)


def release_device_memory_under_pressure(device: Any, allocator: Any = AUTO) -> bool:
    """On an integrated GPU under host memory pressure (available <= 20% of total) with at
    least 512 MiB cached, synchronizes and empties the allocator's cache. True when it
    released; False otherwise (a discrete GPU, a CPU, no pressure)."""
    return _vllm.release_under_pressure(device, allocator)

