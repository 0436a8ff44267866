"""Contexts, devices as vLLM names them, and the allocator bridge (Python objects called
from C through ctypes callbacks)."""
from __future__ import annotations

import ctypes
import sys
import threading
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple

from . import _abi
from .errors import InvalidArgument, NoDevice, raise_for


class Context:
    """A membudget context: the machine (or a dump of one) and the backends probed on it.

    Args:
        sysroot: read /proc, /sys and /etc under this folder (default: $MEMBUDGET_SYSROOT,
            else "/"). Under a foreign root, allocation and binding are refused.
        backends: "cuda,-hip" style selection (default: $MEMBUDGET_BACKENDS, else all).

    The environment variables are read when the context is created, as in C. A context may
    be shared by threads. Raises UnknownBackend / InvalidArgument as mb_context_init does.
    """

    def __init__(self, sysroot: Optional[str] = None, backends: Optional[str] = None) -> None:
        lib = _abi.lib()
        self._lib = lib
        self._handle = ctypes.c_void_p()
        self._resolved: dict = {}  # resolve_device's cache (a dict is thread-safe enough)
        opts = _abi.mb_context_options.new()
        raise_for(lib.mb_context_options_init(ctypes.byref(opts), ctypes.sizeof(opts)),
                  "membudget context options")
        self._keep = (
            sysroot.encode() if sysroot is not None else None,
            backends.encode() if backends is not None else None,
        )
        opts.sysroot, opts.backends = self._keep
        raise_for(lib.mb_context_init(ctypes.byref(self._handle), ctypes.byref(opts)),
                  "membudget context")
        self._free = lib.mb_context_free

    @property
    def handle(self) -> ctypes.c_void_p:
        if not self._handle:
            raise InvalidArgument("membudget: this Context was closed", code=-1)
        return self._handle

    @property
    def sysroot(self) -> str:
        return _abi.text(self._lib.mb_context_sysroot(self.handle))

    def close(self) -> None:
        """Releases the context (not thread-safe with other uses of it)."""
        if self._handle:
            self._free(self._handle)
            self._handle = ctypes.c_void_p()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- devices --
    def device_count(self) -> int:
        n = self._lib.mb_device_count(self.handle)
        raise_for(n, "membudget devices")
        return int(n)

    def device_info(self, index: int) -> _abi.mb_device_info:
        info = _abi.mb_device_info.new()
        raise_for(self._lib.mb_device_get(self.handle, index, ctypes.byref(info)),
                  f"device {index}")
        return info

    def find(self, name: str) -> Optional[int]:
        """The index of the device named name ("cuda:0"), or None."""
        idx = ctypes.c_int(-1)
        rc = self._lib.mb_device_find(self.handle, name.encode(), ctypes.byref(idx))
        if rc == _abi.CODES["MB_ENODEV"]:
            return None
        raise_for(rc, f"device {name!r}")
        return int(idx.value)


_default_lock = threading.Lock()
_default: Optional[Context] = None


def default_context() -> Context:
    """The process's context, created on first use from the environment."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Context()
    return _default


def reset_default_context() -> None:
    """Drops the process's context: the next call creates one from the environment as it
    is then (MEMBUDGET_SYSROOT, MEMBUDGET_BACKENDS). Not thread-safe with calls in flight."""
    global _default
    with _default_lock:
        _default = None  # freed when the last snapshot or tracker using it goes


# ---- devices ------------------------------------------------------------------------

_PLATFORM_OF_TYPE = {"cuda": "cuda", "hip": "rocm", "rocm": "rocm", "cpu": "cpu"}


@dataclass(frozen=True)
class Device:
    """A device as vLLM names it (type "cuda", index 0 -> "cuda:0"), used when torch is
    not imported; ``str()`` gives what ``str(torch.device(...))`` would."""

    type: str
    index: Optional[int] = None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


@dataclass(frozen=True)
class Resolved:
    vllm: Any  # torch.device when torch is imported, else Device
    name: str  # membudget's name: "cuda:0", "hip:0", "cpu:0"
    index: Optional[int]  # mb_device_get index; None when no such device here
    platform: str  # vLLM's device_name: "cuda", "rocm", "cpu"


def _torch() -> Any:
    return sys.modules.get("torch")


def _split(text: str) -> Tuple[str, Optional[int]]:
    kind, sep, idx = text.strip().partition(":")
    if not kind or (sep and not idx.isdigit()):
        raise InvalidArgument(
            f"membudget: device {text!r}: give 'cuda:N', 'hip:N', 'cpu', 'cpu:N', an int or "
            "a torch.device", code=-1)
    return kind.lower(), (int(idx) if sep else None)


def resolve_device(device: Any, ctx: Context) -> Resolved:
    """vLLM's device forms -> membudget's device. None is the current device (torch's
    current accelerator when torch is imported, else device 0: the first GPU, or cpu:0).
    An int is an accelerator ordinal (cuda:N, else hip:N, else cpu:N); "cuda:N" is served
    by hip:N on a ROCm machine, as torch names it.

    Explicit names and ints are cached per context (its devices never change after the
    probe), keyed also by whether torch is imported (which decides the type of .vllm)."""
    if type(device) in (str, int) and (type(device) is int or ":" in device
                                       or device.strip().lower() == "cpu"):
        key = (device, "torch" in sys.modules)
        hit = ctx._resolved.get(key)
        if hit is None:
            hit = _resolve(device, ctx)
            ctx._resolved[key] = hit
        return hit
    return _resolve(device, ctx)


def _resolve(device: Any, ctx: Context) -> Resolved:
    if device is None:
        torch = _torch()
        if torch is not None and _accelerator_ready(torch):
            device = int(torch.accelerator.current_device_index())
        else:
            device = 0 if ctx.device_count() else "cpu"
            if device == 0:
                info = ctx.device_info(0)
                device = _abi.text(info.name)
    if isinstance(device, Device):
        kind, idx = device.type, device.index
    elif isinstance(device, bool):
        raise InvalidArgument(f"membudget: device {device!r} is not a device", code=-1)
    elif isinstance(device, int):
        kind, idx = "", device
    elif isinstance(device, str):
        kind, idx = _split(device)
    elif type(device).__name__ == "device" and hasattr(device, "type"):
        kind, idx = str(device.type), device.index
    else:
        raise InvalidArgument(
            f"membudget: device {device!r}: give 'cuda:N', 'hip:N', 'cpu', an int or a "
            "torch.device", code=-1)

    if kind in ("cuda", "hip", "") and idx is None:
        torch = _torch()
        idx = int(torch.accelerator.current_device_index()) if (
            torch is not None and _accelerator_ready(torch)) else 0
    candidates = {
        "": [f"cuda:{idx}", f"hip:{idx}", f"cpu:{idx}"],
        "cuda": [f"cuda:{idx}", f"hip:{idx}"],
        "hip": [f"hip:{idx}"],
        "rocm": [f"hip:{idx}"],
        "cpu": [f"cpu:{idx if idx is not None else 0}"],
    }.get(kind)
    if candidates is None:
        raise InvalidArgument(
            f"membudget: device type {kind!r} is not one membudget serves: use cuda, hip "
            "or cpu", code=-1)
    found = None
    for name in candidates:
        i = ctx.find(name)
        if i is not None:
            found = (name, i)
            break
    if found is not None:
        info = ctx.device_info(found[1])
        platform = _abi.text(info.platform)
        mb_name = found[0]
    else:
        mb_name = candidates[0]
        platform = _PLATFORM_OF_TYPE.get(kind or "cuda", kind)
    vkind = kind or ("cpu" if mb_name.startswith("cpu") else "cuda")
    vdev: Any = Device(vkind, idx)
    torch = _torch()
    if torch is not None:
        try:
            vdev = torch.device(str(vdev))
        except (AttributeError, RuntimeError, TypeError, ValueError):
            pass
    return Resolved(vdev, mb_name, found[1] if found else None, platform)


def need_index(r: Resolved, ctx: Context) -> int:
    if r.index is None:
        names = [_abi.text(ctx.device_info(i).name) for i in range(ctx.device_count())]
        raise NoDevice(
            f"membudget: no device {r.name} (for {r.vllm}) on this machine; devices: "
            + (", ".join(names) or "none"), code=-3)
    return r.index


# ---- the allocator ------------------------------------------------------------------


def _accelerator_ready(torch: Any) -> bool:
    acc = getattr(torch, "accelerator", None)
    if acc is None or not hasattr(acc, "memory_stats"):
        return False
    try:
        if not acc.is_available():
            return False
        cuda = getattr(torch, "cuda", None)
        if cuda is not None and hasattr(cuda, "is_initialized") and not cuda.is_initialized():
            return False
    except Exception:
        return False
    return True


def default_allocator(r: Resolved) -> Any:
    """torch.accelerator when torch is already imported and an accelerator is initialised
    and the device is a GPU; None (no allocator: its figures are 0) otherwise. Never
    imports torch."""
    if r.platform == "cpu":
        return None
    torch = _torch()
    if torch is not None and _accelerator_ready(torch):
        return torch.accelerator
    return None


class _Stash(threading.local):
    error: Optional[BaseException] = None
    allocated: int = 0


_stash = _Stash()
_CALLBACK_FAILED = _abi.CODES["MB_EBACKEND"]


class Bridge:
    """An mb_allocator over a Python object with torch.accelerator's four methods:
    ``memory_stats(device) -> Mapping`` (keys ``allocated_bytes.all.current`` and
    ``allocated_bytes.all.peak``, missing keys are 0), ``memory_reserved(device) -> int``,
    ``reset_peak_memory_stats(device)`` and ``empty_cache()``.

    An exception raised by a method is kept (per thread), the C call is failed with
    MB_EBACKEND, and :meth:`call` raises that exception. A membudget Tracker is used
    natively (no callbacks)."""

    def __init__(self, allocator: Any, device: Any) -> None:
        self.allocator = allocator
        self.device = device
        self.struct: Optional[_abi.mb_allocator] = None
        if allocator is None:
            return
        native = getattr(allocator, "_mb_allocator", None)
        if native is not None:
            self.struct = native()
            return
        for method in ("memory_stats", "memory_reserved", "reset_peak_memory_stats",
                       "empty_cache"):
            if not callable(getattr(allocator, method, None)):
                raise InvalidArgument(
                    f"membudget: allocator {allocator!r} has no {method}(): give an object "
                    "with memory_stats, memory_reserved, reset_peak_memory_stats and "
                    "empty_cache (torch.accelerator's), a membudget.Tracker, or None",
                    code=-1)
        self._cbs = (_abi.STATS_FN(self._stats), _abi.HOOK_FN(self._reset),
                     _abi.HOOK_FN(self._empty))
        self.struct = _abi.mb_allocator(None, *self._cbs)

    # Callbacks run on the thread that called into C, with the GIL taken by ctypes.
    def _guard(self, fn: Any) -> int:
        try:
            fn()
            return 0
        except BaseException as e:  # KeyboardInterrupt too: it must not read as success
            if _stash.error is None:
                _stash.error = e
            return _CALLBACK_FAILED

    def _stats(self, user: Any, out: Any) -> int:
        def fill() -> None:
            stats: Mapping[str, Any] = self.allocator.memory_stats(self.device)
            allocated = int(stats.get("allocated_bytes.all.current", 0))
            peak = int(stats.get("allocated_bytes.all.peak", 0))
            reserved = int(self.allocator.memory_reserved(self.device))
            out[0].allocated, out[0].peak, out[0].reserved = allocated, peak, reserved
            _stash.allocated = allocated
        return self._guard(fill)

    def _reset(self, user: Any) -> int:
        return self._guard(lambda: self.allocator.reset_peak_memory_stats(self.device))

    def _empty(self, user: Any) -> int:
        return self._guard(self.allocator.empty_cache)

    def pointer(self) -> Any:
        return ctypes.byref(self.struct) if self.struct is not None else None

    def call(self, fn: Any, *args: Any) -> int:
        """Calls a C function that may call back; re-raises a callback's exception."""
        if not hasattr(self, "_cbs"):
            return int(fn(*args))  # no allocator, or a Tracker: no Python callback runs
        _stash.error = None
        _stash.allocated = 0
        try:
            rc = fn(*args)
        finally:
            err, _stash.error = _stash.error, None
        if err is not None:
            raise err
        return int(rc)

    def last_allocated(self) -> int:
        """allocated_bytes.all.current from the last stats call on this thread."""
        if self.allocator is None:
            return 0
        if not hasattr(self, "_cbs"):  # a Tracker, used natively
            return int(self.allocator._mb_allocated())
        return int(_stash.allocated)


class Tracker:
    """membudget's own tracking allocator on a device (cuMemAlloc, hipMalloc, or mmap on a
    NUMA node), for engines without torch. It has torch.accelerator's four methods, so it
    can be passed as ``allocator=``; membudget then uses it natively, without callbacks.

    Args:
        device: as vLLM names it ("cuda:0", "cpu", an int, a torch.device).
        caching: keep freed blocks reserved until empty_cache(), as torch does.

    Raises ForeignSysroot under a machine dump (MEMBUDGET_SYSROOT). Thread-safe.
    """

    def __init__(self, device: Any = None, *, caching: bool = True,
                 context: Optional[Context] = None) -> None:
        self._ctx = context or default_context()
        self._lib = _abi.lib()
        r = resolve_device(device, self._ctx)
        self.device = r.vllm
        self._handle = ctypes.c_void_p()
        raise_for(self._lib.mb_tracker_init(ctypes.byref(self._handle), self._ctx.handle,
                                            need_index(r, self._ctx),
                                            _abi.MB_TRACKER_CACHING if caching else 0),
                  f"tracker on {r.name}")
        self._struct = _abi.mb_allocator()
        self._lib.mb_tracker_get_allocator(self._handle, ctypes.byref(self._struct))
        self._free = self._lib.mb_tracker_free

    def _mb_allocator(self) -> _abi.mb_allocator:
        return self._struct

    def _stats(self) -> _abi.mb_alloc_stats:
        st = _abi.mb_alloc_stats()
        raise_for(self._struct.stats(self._struct.user, ctypes.byref(st)), "tracker stats")
        return st

    def _mb_allocated(self) -> int:
        return int(self._stats().allocated)

    def allocate(self, nbytes: int) -> int:
        """Allocates nbytes on the device; returns the block's address (an int)."""
        ptr = ctypes.c_void_p()
        raise_for(self._lib.mb_tracker_allocate(self._handle, nbytes, ctypes.byref(ptr)),
                  f"allocate {nbytes} bytes")
        return int(ptr.value or 0)

    def deallocate(self, address: int) -> None:
        """Frees a block from allocate() (cached, under caching=True)."""
        raise_for(self._lib.mb_tracker_deallocate(self._handle, ctypes.c_void_p(address)),
                  "deallocate")

    def memory_stats(self, device: Any = None) -> dict:
        st = self._stats()
        return {"allocated_bytes.all.current": st.allocated,
                "allocated_bytes.all.peak": st.peak, "reserved_bytes.all.current": st.reserved}

    def memory_reserved(self, device: Any = None) -> int:
        return int(self._stats().reserved)

    def memory_allocated(self, device: Any = None) -> int:
        return int(self._stats().allocated)

    def reset_peak_memory_stats(self, device: Any = None) -> None:
        raise_for(self._struct.reset_peak(self._struct.user), "reset peak")

    def empty_cache(self) -> None:
        raise_for(self._struct.empty_cache(self._struct.user), "empty cache")

    def close(self) -> None:
        if self._handle:
            self._free(self._handle)
            self._handle = ctypes.c_void_p()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
