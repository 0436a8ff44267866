"""membudget: measure and budget device memory for LLM inference engines, with vLLM's
``mem_utils`` names and semantics, over the membudget C library.

    import membudget
    snap = membudget.MemorySnapshot(device="cuda:0")   # vLLM's MemorySnapshot
    with membudget.memory_profiling(snap, weights_memory=w) as result:
        run_a_forward_pass()
    print(result)  # vLLM's MemoryProfilingResult text

The names at the top level are the seed's vLLM (:mod:`membudget.mem_utils`); vLLM 0.33's
are in :mod:`membudget.mem_utils_v033` (or ``membudget.mem_utils_for("0.33")``). All
figures are bytes. Failures of the C library raise :class:`membudget.Error` subclasses
carrying the C error name and the library's detail message.

Importing checks the library (its ``mb_version()`` and the size of every struct the
package mirrors) and raises ``membudget.LibraryMismatch`` (an ImportError) for a library
that is not the one the package was built for.
"""
from __future__ import annotations

from types import ModuleType

from . import _abi
from ._core import Context, Device, Tracker, default_context, reset_default_context
from .errors import (
    BackendAbsent,
    BackendError,
    BufferTooSmall,
    CommandError,
    DeviceMismatch,
    DoesNotFit,
    EnvironmentValueError,
    Error,
    ForeignSysroot,
    FreeMemoryGrew,
    InjectedFault,
    InvalidArgument,
    LibraryMismatch,
    NoDevice,
    NotSupported,
    OutOfMemory,
    OutOfOrder,
    OutOfRange,
    ParseError,
    SystemFileError,
    UnknownBackend,
)
from .mem_utils import (
    AUTO,
    MemoryProfilingResult,
    MemorySnapshot,
    format_gib,
    get_cpu_memory,
    get_max_shared_memory_bytes,
    memory_profiling,
    release_device_memory_under_pressure,
)
from .ops import (
    BackendStatus,
    CpuKvSpace,
    DeviceInfo,
    DeviceSnapshot,
    Plan,
    backends,
    devices,
    kv_space,
    plan,
    snapshot,
)

_abi.lib()  # the version and layout check, at import

__version__ = "0.1.0"


def library_version() -> str:
    """The loaded C library's mb_version_string()."""
    return _abi.text(_abi.lib().mb_version_string())


def mem_utils_for(version: str) -> ModuleType:
    """The mem_utils flavour of a vLLM version: "0.33" (or later) -> mem_utils_v033,
    "seed" or an older version -> mem_utils."""
    from . import mem_utils, mem_utils_v033

    if version == "seed":
        return mem_utils
    try:
        parts = tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        raise InvalidArgument(
            f"membudget: vLLM version {version!r}: give 'seed' or a version such as '0.33'",
            code=-1) from None
    return mem_utils_v033 if parts >= (0, 33) else mem_utils


__all__ = [
    "AUTO", "Context", "Device", "Tracker", "default_context", "reset_default_context",
    "MemorySnapshot", "MemoryProfilingResult", "memory_profiling", "get_cpu_memory",
    "get_max_shared_memory_bytes", "release_device_memory_under_pressure", "format_gib",
    "BackendStatus", "CpuKvSpace", "DeviceInfo", "DeviceSnapshot", "Plan", "backends",
    "devices", "kv_space", "plan", "snapshot", "library_version", "mem_utils_for",
    "Error", "LibraryMismatch", "InvalidArgument", "OutOfMemory", "NoDevice",
    "NotSupported", "SystemFileError", "ParseError", "BackendError", "BackendAbsent",
    "DeviceMismatch", "UnknownBackend", "ForeignSysroot", "OutOfRange", "OutOfOrder",
    "BufferTooSmall", "EnvironmentValueError", "DoesNotFit", "InjectedFault",
    "FreeMemoryGrew", "CommandError",
]
