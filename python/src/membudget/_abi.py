"""The one place that knows the C ABI: every struct mirror, every symbol and its prototype,
the error list, how the library is found, and the checks made before anything is called.

Everything else in the package goes through :func:`lib` and the names defined here, so an
ABI change (a renamed function, a new field) is adapted here and nowhere else.

Defining this module loads nothing: python/tools/gen_layout.py imports it at wheel build
time to list the structs for layout.c, which writes ``_native/layout.json`` (the sizes and
offsets the header gives). At first use, :func:`lib` loads the library and refuses it
unless its ``mb_version()`` is the version of that header and every mirror below has the
header's size and offsets.
"""
from __future__ import annotations

import ctypes
import json
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint,
    c_uint32,
    c_void_p,
)
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

MB_NAME_MAX = 32
MB_REASON_MAX = 512
MB_UNKNOWN = -(2**63)  # INT64_MIN: a figure nobody could determine
MB_UNLIMITED = 2**63 - 1  # INT64_MAX: a limit that does not exist
MB_TRACKER_CACHING = 1

# The C error list (include/membudget.h, MB_ERROR_LIST): code -> name. The import check
# asks mb_error_name() for each, so a renumbered list is caught.
ERRORS: Dict[int, str] = {
    -1: "MB_EINVAL",
    -2: "MB_ENOMEM",
    -3: "MB_ENODEV",
    -4: "MB_ENOTSUP",
    -5: "MB_EIO",
    -6: "MB_EPARSE",
    -7: "MB_EBACKEND",
    -8: "MB_EABSENT",
    -9: "MB_EMISMATCH",
    -10: "MB_EUNKNOWNBACKEND",
    -11: "MB_EFOREIGN",
    -12: "MB_ERANGE",
    -13: "MB_ESTATE",
    -14: "MB_ENOSPACE",
    -15: "MB_EENV",
    -16: "MB_ENOFIT",
    -17: "MB_EFAULT",
    -18: "MB_EGREW",
    -19: "MB_ETIMEOUT",
    -20: "MB_ECALLBACK",
}
CODES: Dict[str, int] = {v: k for k, v in ERRORS.items()}

BACKEND_STATES = {0: "present", 1: "absent", 2: "broken", 3: "excluded", 4: "not built"}


def _chars(n: int) -> Any:
    return c_char * n


class Sized(Structure):
    """A struct that may grow: its first field is the caller's sizeof (the header's
    MB_<NAME>_INIT), and the library reads and writes only that many bytes."""

    @classmethod
    def new(cls) -> Any:
        obj = cls()
        obj.size = ctypes.sizeof(cls)
        return obj


# ---- struct mirrors (field for field as the header declares them) -------------------


class mb_context_options(Sized):
    _fields_ = [("size", c_uint32), ("sysroot", c_char_p), ("backends", c_char_p), ("flags", c_uint),
                # from 1.2: NULL-terminated "NAME=value" strings that win over the environment
                ("environment", POINTER(c_char_p))]


class mb_backend_status(Sized):
    _fields_ = [
        ("size", c_uint32),
        ("name", _chars(16)),
        ("state", c_int32),
        ("reason", _chars(MB_REASON_MAX)),
        ("device_count", c_int),
    ]


class mb_device_info(Sized):
    _fields_ = [
        ("size", c_uint32),
        ("name", _chars(MB_NAME_MAX)),
        ("backend", _chars(16)),
        ("ops", _chars(16)),
        ("platform", _chars(8)),
        ("index", c_int),
        ("integrated", c_int),
        ("model", _chars(128)),
        ("pci_bus_id", _chars(32)),
        ("uuid", _chars(48)),
        ("numa_node", c_int),
        ("total_memory", c_int64),
        # from 1.2 (issue 14): the CUDA compute capability, 0.0 when unknown
        ("cc_major", c_int),
        ("cc_minor", c_int),
    ]


class mb_alloc_stats(Structure):
    _fields_ = [("allocated", c_int64), ("peak", c_int64), ("reserved", c_int64)]


STATS_FN = CFUNCTYPE(c_int, c_void_p, POINTER(mb_alloc_stats))
HOOK_FN = CFUNCTYPE(c_int, c_void_p)


class mb_allocator(Structure):
    _fields_ = [
        ("user", c_void_p),
        ("stats", STATS_FN),
        ("reset_peak", HOOK_FN),
        ("empty_cache", HOOK_FN),
    ]


class mb_snapshot(Structure):
    _fields_ = [
        ("torch_peak", c_int64),
        ("free_memory", c_int64),
        ("total_memory", c_int64),
        ("device_memory", c_int64),
        ("torch_memory", c_int64),
        ("non_torch_memory", c_int64),
        ("timestamp", c_double),
        ("auto_measure", c_int),
        ("device", _chars(MB_NAME_MAX)),
        ("platform", _chars(8)),
        ("source", c_int32),
        ("flags", c_uint32),
        ("driver_free", c_int64),
        ("limit", c_int64),
    ]


class mb_profile(Structure):
    _fields_ = [
        ("non_kv_cache_memory", c_int64),
        ("torch_peak_increase", c_int64),
        ("non_torch_increase", c_int64),
        ("weights_memory", c_int64),
        ("before_create", mb_snapshot),
        ("before_profile", mb_snapshot),
        ("after_profile", mb_snapshot),
        ("profile_time", c_double),
        ("ctx_", c_void_p),
        ("device_", c_int),
        ("alloc_", mb_allocator),
        ("state_", c_int),
    ]


class mb_host_memory(Structure):
    _fields_ = [("total", c_int64), ("available", c_int64), ("free", c_int64)]


class mb_pressure_options(Sized):
    _fields_ = [("size", c_uint32), ("min_release_bytes", c_int64), ("pressure_threshold", c_double)]


class mb_pressure_result(Sized):
    _fields_ = [
        ("size", c_uint32),
        ("released", c_int),
        ("releasable", c_int64),
        ("host_available", c_int64),
        ("host_total", c_int64),
        ("reason", _chars(160)),
    ]


class mb_cpu_rank(Structure):
    _fields_ = [
        ("local_rank", c_int),
        ("bind", c_int32),
        ("node", c_int),
        ("device", c_int),
        ("cpus", _chars(128)),
        ("reason", _chars(MB_REASON_MAX)),
    ]


class mb_cpu_kv_options(Sized):
    _fields_ = [("size", c_uint32), ("local_rank", c_int), ("utilization", c_double),
                # from 1.2 (issue 14): vLLM's --kv-cache-memory-bytes, 0 for none
                ("kv_cache_memory_bytes", c_int64)]


class mb_cpu_kv_space(Sized):
    _fields_ = [
        ("size", c_uint32),
        ("explicit_size", c_int),
        ("bytes", c_int64),
        ("rank", mb_cpu_rank),
        ("node_total", c_int64),
        ("node_available", c_int64),
        ("container_limit", c_int64),
        ("utilization", c_double),
        ("requested", c_int64),
        ("resident", c_int64),
        ("reason", _chars(MB_REASON_MAX)),
    ]


# Every mirror, in the order layout.c measures them.
# ---- the cluster agreement (include/membudget/cluster.h, docs/cluster.md) ------------

MB_RECORD_BYTES = 512
MB_RECORD_HOST_MAX = 64
MB_RECORD_ERROR_MAX = 240
MB_RECORD_SNAPSHOT = 1
MB_RECORD_PLAN = 2


class mb_rank_record(Structure):
    _fields_ = [
        ("rank", c_int32),
        ("world_size", c_int32),
        ("status", c_int32),
        ("group", c_int32),
        ("stage", c_int32),
        ("what", c_uint32),
        ("host", _chars(MB_RECORD_HOST_MAX)),
        ("snapshot", mb_snapshot),
        ("requested_memory", c_int64),
        ("non_kv_memory", c_int64),
        ("cudagraph_memory", c_int64),
        ("available_kv_cache_memory", c_int64),
        ("block_bytes", c_int64),
        ("num_blocks", c_int64),
        ("startup_ok", c_int32),
        ("fits", c_int32),
        ("error", _chars(MB_RECORD_ERROR_MAX)),
    ]


class mb_agreement(Structure):
    _fields_ = [
        ("world_size", c_int32),
        ("group", c_int32),
        ("group_size", c_int32),
        ("num_blocks", c_int64),
        ("limiting_rank", c_int32),
        ("limiting_host", _chars(MB_RECORD_HOST_MAX)),
        ("limiting_device", _chars(MB_NAME_MAX)),
        ("max_num_blocks", c_int64),
        ("all_startup_ok", c_int32),
        ("why", c_int32),
        ("reason", _chars(512)),
        ("hosts", c_int32),
        ("devices", c_int32),
        ("total_memory", c_int64),
        ("free_memory", c_int64),
        ("min_free_memory", c_int64),
        ("min_free_rank", c_int32),
    ]


# (user, send, recv, bytes, timeout_s, why, why_size)
ALLGATHER_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_void_p, c_size_t, c_double, c_void_p,
                         c_size_t)


class mb_collective(Structure):
    _fields_ = [
        ("rank", c_int32),
        ("world_size", c_int32),
        ("allgather", ALLGATHER_FN),
        ("user", c_void_p),
        ("timeout_s", c_double),
    ]


STRUCTS: List[Any] = [
    mb_context_options,
    mb_backend_status,
    mb_device_info,
    mb_alloc_stats,
    mb_allocator,
    mb_snapshot,
    mb_profile,
    mb_host_memory,
    mb_pressure_options,
    mb_pressure_result,
    mb_cpu_rank,
    mb_cpu_kv_options,
    mb_cpu_kv_space,
    mb_rank_record,
    mb_agreement,
    mb_collective,
]

_ctx = c_void_p  # mb_context *
_P = POINTER

# ---- symbols: name -> (restype, argtypes) -------------------------------------------
PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
    "mb_version": (c_uint32, []),
    "mb_version_string": (c_char_p, []),
    "mb_error_message": (c_char_p, [c_int]),
    "mb_error_name": (c_char_p, [c_int]),
    "mb_error_detail": (c_char_p, []),
    "mb_context_options_init": (c_int, [_P(mb_context_options), c_size_t]),
    "mb_context_init": (c_int, [_P(c_void_p), _P(mb_context_options)]),
    "mb_context_free": (None, [_ctx]),
    "mb_context_probe": (c_int, [_ctx]),
    "mb_context_sysroot": (c_char_p, [_ctx]),
    "mb_backend_count": (c_int, [_ctx]),
    "mb_backend_get": (c_int, [_ctx, c_int, _P(mb_backend_status)]),
    "mb_device_count": (c_int, [_ctx]),
    "mb_device_get": (c_int, [_ctx, c_int, _P(mb_device_info)]),
    "mb_device_find": (c_int, [_ctx, c_char_p, _P(c_int)]),
    "mb_tracker_init": (c_int, [_P(c_void_p), _ctx, c_int, c_uint]),
    "mb_tracker_free": (None, [c_void_p]),
    "mb_tracker_allocate": (c_int, [c_void_p, c_size_t, _P(c_void_p)]),
    "mb_tracker_deallocate": (c_int, [c_void_p, c_void_p]),
    "mb_tracker_get_allocator": (None, [c_void_p, _P(mb_allocator)]),
    "mb_source_name": (c_char_p, [c_int32]),
    "mb_snapshot_measure": (c_int, [_ctx, c_int, _P(mb_allocator), _P(mb_snapshot)]),
    "mb_snapshot_format": (c_int, [_P(mb_snapshot), c_char_p, c_size_t]),
    "mb_profile_begin": (
        c_int,
        [_P(mb_profile), _ctx, c_int, _P(mb_allocator), _P(mb_snapshot), c_int64],
    ),
    "mb_profile_end": (c_int, [_P(mb_profile)]),
    "mb_profile_compute": (c_int, [_P(mb_profile)]),
    "mb_profile_format": (c_int, [_P(mb_profile), c_char_p, c_size_t]),
    "mb_host_memory_get": (c_int, [_ctx, _P(mb_host_memory)]),
    "mb_host_memory_total": (c_int, [_ctx, _P(c_int64)]),
    "mb_device_max_shared_memory": (c_int, [_ctx, c_int, _P(c_int64)]),
    "mb_pressure_options_init": (c_int, [_P(mb_pressure_options), c_size_t]),
    "mb_pressure_release": (
        c_int,
        [_ctx, c_int, _P(mb_allocator), _P(mb_pressure_options), _P(mb_pressure_result)],
    ),
    "mb_cpu_kv_options_init": (c_int, [_P(mb_cpu_kv_options), c_size_t]),
    "mb_cpu_kv_space_get": (c_int, [_ctx, _P(mb_cpu_kv_options), _P(mb_cpu_kv_space)]),
    "mb_rank_record_init": (c_int, [_P(mb_rank_record), c_int, c_int]),
    "mb_rank_record_set_snapshot": (None, [_P(mb_rank_record), _P(mb_snapshot)]),
    "mb_rank_record_set_error": (None, [_P(mb_rank_record), c_int, c_char_p]),
    "mb_rank_record_encode": (c_int, [_P(mb_rank_record), c_void_p, c_size_t]),
    "mb_rank_record_decode": (c_int, [c_void_p, c_size_t, _P(mb_rank_record)]),
    "mb_cluster_agree": (
        c_int,
        [_P(mb_collective), _P(mb_rank_record), _P(mb_rank_record), c_int, _P(mb_agreement)],
    ),
    "mb_cluster_reduce": (c_int, [_P(mb_rank_record), c_int, c_int, _P(mb_agreement)]),
    "mb_limit_reason_name": (c_char_p, [c_int32]),
}

# ---- finding and checking the library ------------------------------------------------

LIBRARY_ENV = "MEMBUDGET_LIBRARY"
NATIVE_DIR = Path(__file__).resolve().parent / "_native"


class LibraryMismatch(ImportError):
    """The library found is not the one this package's mirrors were checked against."""


def library_path() -> str:
    """The library to load: $MEMBUDGET_LIBRARY, else the copy the wheel carries."""
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return env
    for pattern in ("lib*/libmembudget.so.*", "lib*/*/libmembudget.so.*"):
        found = sorted(NATIVE_DIR.glob(pattern), key=lambda p: len(p.name))
        if found:
            return str(found[0])
    raise LibraryMismatch(
        f"membudget: no libmembudget.so under {NATIVE_DIR} (the wheel's copy) and "
        f"{LIBRARY_ENV} is not set; reinstall the package with `pip install ./python` "
        f"from a checkout, or set {LIBRARY_ENV} to a libmembudget.so.1"
    )


def cli_path() -> str:
    """The `membudget` command the wheel carries ($MEMBUDGET_CLI overrides it)."""
    env = os.environ.get("MEMBUDGET_CLI")
    if env:
        return env
    path = NATIVE_DIR / "bin" / "membudget"
    if not path.is_file():
        raise FileNotFoundError(
            f"membudget: the command is not at {path}; reinstall the package, or set "
            "MEMBUDGET_CLI to a `membudget` executable"
        )
    return str(path)


def layout_path() -> Path:
    return Path(os.environ.get("MEMBUDGET_LAYOUT", str(NATIVE_DIR / "layout.json")))


def _check_layout(layout: Dict[str, Any], where: str) -> None:
    structs = layout.get("structs", {})
    problems = []
    for struct in STRUCTS:
        name = struct.__name__
        want = structs.get(name)
        if want is None:
            problems.append(f"{name} is not in {where}")
            continue
        if ctypes.sizeof(struct) != want["size"]:
            problems.append(
                f"{name} is {want['size']} bytes in the header, the mirror has "
                f"{ctypes.sizeof(struct)}"
            )
        for fname, *_ in struct._fields_:
            offset = getattr(struct, fname).offset
            if want["fields"].get(fname) != offset:
                problems.append(
                    f"{name}.{fname} is at offset {want['fields'].get(fname)} in the "
                    f"header, {offset} in the mirror"
                )
        for fname in want["fields"]:
            if not any(f[0] == fname for f in struct._fields_):
                problems.append(f"{name}.{fname} is in the header but not in the mirror")
    if problems:
        raise LibraryMismatch(
            "membudget: the package's struct mirrors do not match the header it was built "
            f"against ({where}): " + "; ".join(problems)
            + ". Rebuild the package from the same checkout as the library."
        )


def _bind(handle: ctypes.CDLL, path: str) -> None:
    missing = []
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(handle, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise LibraryMismatch(
            f"membudget: {path} does not export {', '.join(missing)}: it is not the "
            "library this package binds (built from another version of membudget?). "
            f"Unset {LIBRARY_ENV} or point it at the library built with this package."
        )


def version_number(major: int, minor: int, patch: int) -> int:
    """MEMBUDGET_VERSION's encoding: major x 10000 + minor x 100 + patch."""
    return major * 10000 + minor * 100 + patch


def check(handle: ctypes.CDLL, path: str, layout: Dict[str, Any]) -> None:
    """Refuses handle unless it is a library this package's mirrors fit: mb_version() of
    the same major version (the soname's ABI) and not older than the header the mirrors
    were checked against (it knows every field they carry), every symbol present, every
    mirror the header's size and offsets, the error list unchanged."""
    want_str = layout.get("version_string")
    major, minor, patch = layout.get("version", [0, 0, 0])
    want = version_number(major, minor, patch)
    hint = (f"reinstall the package from the checkout the library came from, or unset "
            f"{LIBRARY_ENV} (or point it at a {major}.x library of version {want_str} or "
            "later)")
    try:
        vfn, sfn = handle.mb_version, handle.mb_version_string
    except AttributeError:
        raise LibraryMismatch(
            f"membudget: {path} has no mb_version()/mb_version_string(): it predates the "
            f"ABI this package binds (version {want_str}); {hint}") from None
    vfn.restype, vfn.argtypes = c_uint32, []
    sfn.restype, sfn.argtypes = c_char_p, []
    got, got_str = int(vfn()), (sfn() or b"").decode()
    if got // 10000 != major or got < want:
        raise LibraryMismatch(
            f"membudget: {path} is version {got_str!r} (mb_version() {got}), this package "
            f"was built for {want_str!r} ({want}): "
            + ("another major version, another ABI" if got // 10000 != major
               else "an older library lacks fields the package passes")
            + f"; {hint}")
    _bind(handle, path)
    _check_layout(layout, str(layout_path()))
    for code, name in ERRORS.items():
        got_name = (handle.mb_error_name(code) or b"").decode()
        if got_name != name:
            raise LibraryMismatch(
                f"membudget: {path} names error {code} {got_name!r}, the package "
                f"expects {name!r}: the error list changed; rebuild the package"
            )


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def lib() -> ctypes.CDLL:
    """The checked library handle (loaded and checked once, thread-safely)."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            path = library_path()
            try:
                layout = json.loads(layout_path().read_text(encoding="utf-8"))
            except OSError as e:
                raise LibraryMismatch(
                    f"membudget: cannot read {layout_path()} ({e.strerror}), the layout "
                    "the package checks the library against; reinstall the package"
                ) from None
            try:
                handle = ctypes.CDLL(path)
            except OSError as e:
                raise LibraryMismatch(f"membudget: cannot load {path}: {e}") from None
            check(handle, path, layout)
            _lib = handle
    return _lib


def text(raw: Any) -> str:
    """A C char array or char* as str."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return bytes(raw).split(b"\0", 1)[0].decode("utf-8", "replace")
