"""The machinery behind membudget.mem_utils (the seed's vLLM) and membudget.mem_utils_v033
(vLLM 0.33): measuring, subtracting and profiling through the C library. The classes
themselves live in those two modules, field for field as each vLLM declares them."""
from __future__ import annotations

import contextlib
import ctypes
import gc
from typing import Any, Callable, Generator, Optional, Tuple

from . import _abi
from ._core import (
    Bridge,
    Context,
    Resolved,
    default_allocator,
    default_context,
    need_index,
    resolve_device,
)
from .errors import raise_for

GiB_bytes = 1 << 30
MiB_bytes = 1 << 20

#: ``allocator=AUTO`` (the default): torch.accelerator when torch is already imported and
#: an accelerator is initialised (GPU devices only), else no allocator (its figures are 0).
AUTO = "auto"


KiB_bytes = 1 << 10


def format_kib(b: int) -> str:
    """vLLM's format_kib: bytes as KiB rounded to 2 decimals."""
    return f"{round(b / KiB_bytes, 2)}"


def format_mib(b: int) -> str:
    """vLLM's format_mib: bytes as MiB rounded to 2 decimals."""
    return f"{round(b / MiB_bytes, 2)}"


def format_gib(b: int) -> str:
    """vLLM's format_gib: bytes as GiB rounded to 2 decimals, as Python's round() gives
    them ("1.0", "0.25", "-0.5")."""
    return f"{round(b / GiB_bytes, 2)}"


def context_of(obj: Any) -> Context:
    return obj.context if obj.context is not None else default_context()


def post_init(snap: Any) -> None:
    """vLLM's __post_init__: resolve the device (device_), then measure if asked."""
    r = resolve_device(snap.device, context_of(snap))
    snap._mb = r
    snap._c = None
    if snap.auto_measure:
        snap.measure()


def resolved(snap: Any) -> Resolved:
    """The snapshot's device, resolved by __post_init__."""
    return snap._mb  # type: ignore[no-any-return]


def allocator_for(snap: Any, r: Resolved) -> Any:
    return default_allocator(r) if isinstance(snap.allocator, str) and \
        snap.allocator == AUTO else snap.allocator


def measure(snap: Any) -> None:
    """Fills snap from mb_snapshot_measure on its device with its allocator.

    Raises NoDevice when the device is not on this machine, the allocator's own exception
    when one of its methods raised, or the Error subclass of the C failure."""
    ctx = snap.context if snap.context is not None else default_context()
    r: Resolved = snap._mb
    idx = r.index if r.index is not None else need_index(r, ctx)
    bridge = Bridge(allocator_for(snap, r), snap.device_)
    out = _abi.mb_snapshot()
    rc = bridge.call(_abi.lib().mb_snapshot_measure, ctx.handle, idx, bridge.pointer(),
                     ctypes.byref(out))
    raise_for(rc, f"measuring {r.name}")
    fill(snap, out, bridge.last_allocated())


def fill(snap: Any, c: _abi.mb_snapshot, allocated: int) -> None:
    snap.torch_peak = int(c.torch_peak)
    if hasattr(snap, "torch_allocated"):
        snap.torch_allocated = int(allocated)
    snap.free_memory = int(c.free_memory)
    snap.total_memory = int(c.total_memory)
    snap.cuda_memory = int(c.device_memory)
    snap.torch_memory = int(c.torch_memory)
    snap.non_torch_memory = int(c.non_torch_memory)
    snap.timestamp = float(c.timestamp)
    snap._c = c


def to_c(snap: Any) -> _abi.mb_snapshot:
    """snap as the C struct (the profile's baseline)."""
    c = _abi.mb_snapshot()
    if snap._c is not None:
        ctypes.pointer(c)[0] = snap._c
    c.torch_peak = snap.torch_peak
    c.free_memory = snap.free_memory
    c.total_memory = snap.total_memory
    c.device_memory = snap.cuda_memory
    c.torch_memory = snap.torch_memory
    c.non_torch_memory = snap.non_torch_memory
    c.timestamp = snap.timestamp
    c.auto_measure = 1 if snap.auto_measure else 0
    c.device = snap._mb.name.encode()
    c.platform = snap._mb.platform.encode()
    return c


def sub(a: Any, b: Any, names: tuple) -> Any:
    """vLLM's __sub__, with its ValueError for two devices."""
    if a.device_ != b.device_:
        raise ValueError(
            "The two snapshots should be from the same device! "
            f"Found: {a.device_} vs. {b.device_}"
        )
    diffs = {n: getattr(a, n) - getattr(b, n) for n in names}
    return type(a)(**diffs, device=a.device_, auto_measure=False, allocator=a.allocator,
                   context=a.context)


def sibling(base: Any) -> Any:
    """An unmeasured snapshot of base's device (the result's before/after_profile)."""
    return type(base)(device=base.device_, auto_measure=False, allocator=base.allocator,
                      context=base.context)


def make_memory_profiling(v033: bool, result_type: Callable[[], Any]) -> Callable[..., Any]:
    """vLLM's memory_profiling context manager over mb_profile_begin/mb_profile_end;
    result_type() gives the result class (resolved at call time)."""

    def memory_profiling(baseline_snapshot: Any,
                         weights_memory: int = 0) -> Generator[Any, None, None]:
        base = baseline_snapshot
        ctx = context_of(base)
        r: Resolved = base._mb
        idx = need_index(r, ctx)
        bridge = Bridge(allocator_for(base, r), base.device_)
        lib = _abi.lib()
        gc.collect()
        prof = _abi.mb_profile()
        c_base = to_c(base)
        rc = bridge.call(lib.mb_profile_begin, ctypes.byref(prof), ctx.handle, idx,
                         bridge.pointer(), ctypes.byref(c_base), int(weights_memory))
        raise_for(rc, f"memory_profiling on {r.name}")
        result = result_type()(before_create=base, weights_memory=weights_memory)
        fill(result.before_profile, prof.before_profile, bridge.last_allocated())

        yield result

        gc.collect()
        rc = bridge.call(lib.mb_profile_end, ctypes.byref(prof))
        raise_for(rc, f"memory_profiling on {r.name} (end)")
        after = result.after_profile
        fill(after, prof.after_profile, bridge.last_allocated())
        result.torch_peak_increase = int(prof.torch_peak_increase)
        result.non_torch_increase = int(prof.non_torch_increase)
        result.profile_time = float(prof.profile_time)
        if v033:
            # vLLM 0.33: consumption from free memory, plus the transient peak headroom
            result.total_consumed = base.free_memory - after.free_memory
            result.transient_peak_headroom = after.torch_peak - after.torch_allocated
            result.non_kv_cache_memory = result.total_consumed + result.transient_peak_headroom
        else:
            result.non_kv_cache_memory = int(prof.non_kv_cache_memory)

    return contextlib.contextmanager(memory_profiling)


def get_cpu_memory(context: Optional[Context] = None) -> int:
    """vLLM's get_cpu_memory(): the host's total memory in bytes (/proc/meminfo MemTotal
    under the sysroot)."""
    ctx = context or default_context()
    out = ctypes.c_int64()
    raise_for(_abi.lib().mb_host_memory_total(ctx.handle, ctypes.byref(out)), "get_cpu_memory")
    return int(out.value)


def max_shared_memory_bytes(gpu: Any = 0, context: Optional[Context] = None) -> int:
    ctx = context or default_context()
    r = resolve_device(gpu, ctx)
    out = ctypes.c_int64()
    raise_for(_abi.lib().mb_device_max_shared_memory(ctx.handle, need_index(r, ctx),
                                                     ctypes.byref(out)),
              f"get_max_shared_memory_bytes({gpu!r})")
    return int(out.value)


def release_under_pressure(device: Any, allocator: Any = AUTO,
                           context: Optional[Context] = None) -> bool:
    ctx = context or default_context()
    r = resolve_device(device, ctx)
    if r.index is None:
        return False  # vLLM: not a device this machine has an integrated GPU for
    alloc = default_allocator(r) if isinstance(allocator, str) and allocator == AUTO \
        else allocator
    bridge = Bridge(alloc, r.vllm)
    if bridge.struct is None:
        return False  # no allocator (a CPU device, or torch not in use): no cache to release
    res = _abi.mb_pressure_result.new()
    rc = bridge.call(_abi.lib().mb_pressure_release, ctx.handle, r.index,
                     bridge.pointer(), None, ctypes.byref(res))
    raise_for(rc, f"release_device_memory_under_pressure({device!r})")
    return bool(res.released)


class SnapshotMethods:
    """What both versions' MemorySnapshot do; each dataclass brings its own fields, its
    ``_FIELDS`` (the figures subtraction takes apart) and its repr."""

    _FIELDS: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        post_init(self)

    @property
    def device_(self) -> Any:
        """The device as vLLM holds it: a torch.device when torch is imported, else a
        membudget.Device (they print alike: "cuda:0", "cpu")."""
        return resolved(self).vllm

    def measure(self) -> None:
        """Measures the device now (mb_snapshot_measure) with the snapshot's allocator."""
        measure(self)

    def __sub__(self, other: Any) -> Any:
        return sub(self, other, type(self)._FIELDS)


class ProfilingResultMethods:
    """What both versions' MemoryProfilingResult do: before_profile and after_profile are
    measured by memory_profiling, siblings of before_create until then."""

    before_create: Any

    def __post_init__(self) -> None:
        self._profiles = [sibling(self.before_create), sibling(self.before_create)]

    @property
    def before_profile(self) -> Any:
        """Measured on entering memory_profiling."""
        return self._profiles[0]

    @before_profile.setter
    def before_profile(self, value: Any) -> None:
        self._profiles[0] = value

    @property
    def after_profile(self) -> Any:
        """Measured on leaving memory_profiling."""
        return self._profiles[1]

    @after_profile.setter
    def after_profile(self, value: Any) -> None:
        self._profiles[1] = value
