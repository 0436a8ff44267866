"""One budget for many ranks through the engine's own collectives (docs/cluster.md).

Each rank hands :func:`agree` its plan (or snapshot, or the error it met) and an
all-gather of bytes over the engine's process group; every rank gets the same
:class:`Agreement`: the blocks every rank must use (the minimum), the rank that limits
them and why. A rank that failed makes every rank raise that rank's error; a rank that
never arrives makes the all-gather time out, and every waiting rank raises that.

With torch.distributed (a gloo CPU group, so no device memory is touched)::

    def allgather(data: bytes, timeout: float) -> bytes:
        inp = torch.frombuffer(bytearray(data), dtype=torch.uint8)
        out = torch.empty(len(data) * world_size, dtype=torch.uint8)
        torch.distributed.all_gather_into_tensor(out, inp, group=cpu_group)
        return out.numpy().tobytes()

    a = membudget.cluster.agree(rank, world_size, allgather, plan=my_plan)
    num_blocks = a.num_blocks
"""
from __future__ import annotations

import ctypes
import socket
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from . import _abi
from ._vllm import to_c
from .errors import raise_for

AllGather = Callable[[bytes, float], bytes]
"""The engine's all-gather: this rank's bytes in, every rank's bytes out (rank order, the
same length each); raises (TimeoutError when the deadline passed) on failure."""


@dataclass(frozen=True)
class Agreement:
    """mb_agreement: what every rank of the group must use, and why."""

    world_size: int
    group: int
    group_size: int
    num_blocks: Optional[int]  # None for a snapshot exchange
    limiting_rank: int  # -1 without plans
    limiting_host: str
    limiting_device: str
    max_num_blocks: Optional[int]
    all_startup_ok: bool
    why: str  # "total memory", "container limit", ...
    reason: str
    hosts: int
    devices: int
    total_memory: int
    free_memory: int
    min_free_memory: Optional[int]
    min_free_rank: int


def _opt(v: int) -> Optional[int]:
    return None if v == _abi.MB_UNKNOWN else int(v)


def _num(d: Dict[str, Any], key: str) -> int:
    v = d.get(key)
    return _abi.MB_UNKNOWN if v is None else int(v)


def _snapshot_from_json(d: Dict[str, Any]) -> _abi.mb_snapshot:
    """The device object of `plan --json` as the C snapshot."""
    s = _abi.mb_snapshot()
    s.device = str(d.get("device", "")).encode()[: _abi.MB_NAME_MAX - 1]
    s.total_memory = _num(d, "total_memory")
    s.free_memory = _num(d, "free_memory")
    s.device_memory = _num(d, "used_memory")
    s.torch_peak = _num(d, "torch_peak")
    s.torch_memory = _num(d, "torch_memory")
    s.non_torch_memory = _num(d, "non_torch_memory")
    s.driver_free = _num(d, "driver_free_memory")
    lim = d.get("container_limit")
    s.limit = _abi.MB_UNLIMITED if lim in (None, "unlimited") else int(lim)
    s.flags = (1 if d.get("clamped") else 0) | (2 if d.get("limited_by_container") else 0) | (
        4 if d.get("host_fallback") else 0)
    s.timestamp = float(d.get("timestamp") or 0.0)
    name = s.device.decode()
    s.platform = b"rocm" if name.startswith("hip:") else (
        b"cuda" if name.startswith("cuda:") else b"cpu")
    return s


def _record(rank: int, world_size: int, plan: Any, snapshot: Any,
            error: Optional[BaseException], host: Optional[str], group: int,
            stage: int) -> _abi.mb_rank_record:
    lib = _abi.lib()
    rec = _abi.mb_rank_record()
    raise_for(lib.mb_rank_record_init(ctypes.byref(rec), rank, world_size), "agree")
    rec.host = (host if host is not None else socket.gethostname()).encode()[
        : _abi.MB_RECORD_HOST_MAX - 1]
    rec.group, rec.stage = group, stage
    if error is not None:
        code = getattr(error, "code", None)
        if not isinstance(code, int) or code >= 0:
            code = _abi.CODES["MB_EIO"]
        text = (str(error) or type(error).__name__).encode()[: _abi.MB_RECORD_ERROR_MAX - 1]
        lib.mb_rank_record_set_error(ctypes.byref(rec), code, text)
    elif plan is not None:
        d = plan.to_dict() if hasattr(plan, "to_dict") else dict(plan)
        snap = _snapshot_from_json(d["device"])
        lib.mb_rank_record_set_snapshot(ctypes.byref(rec), ctypes.byref(snap))
        for key in ("requested_memory", "non_kv_memory", "cudagraph_memory",
                    "available_kv_cache_memory", "block_bytes", "num_blocks"):
            setattr(rec, key, _num(d, key))
        rec.startup_ok = 1 if d.get("startup_ok") else 0
        rec.fits = 1 if d.get("fits") else 0
        rec.what |= _abi.MB_RECORD_PLAN
    elif snapshot is not None:
        snap = to_c(snapshot)
        lib.mb_rank_record_set_snapshot(ctypes.byref(rec), ctypes.byref(snap))
    return rec


def agree(rank: int, world_size: int, allgather: AllGather, *, plan: Any = None,
          snapshot: Any = None, error: Optional[BaseException] = None,
          host: Optional[str] = None, group: int = 0, stage: int = 0,
          timeout: float = 60.0) -> Agreement:
    """Exchanges this rank's record through ``allgather`` and reduces every rank's.

    Give one of ``plan`` (a :class:`membudget.Plan`, or the dict of `plan --json`),
    ``snapshot`` (a MemorySnapshot) or ``error`` (what this rank met: it still takes part,
    so that every rank learns why). ``group`` is the data-parallel replica (agreement is per
    group), ``stage`` the pipeline stage; ``timeout`` is passed to ``allgather``.

    Raises the membudget Error of the failed rank's code ("rank R (HOST, DEVICE) failed:
    ..."), TimeoutError-derived membudget errors when ``allgather`` timed out, or the
    error for a malformed exchange.
    """
    rec = _record(rank, world_size, plan, snapshot, error, host, group, stage)
    caught: List[BaseException] = []

    def c_allgather(user: Any, send: Any, recv: Any, nbytes: int, timeout_s: float,
                    why: Any, why_size: int) -> int:
        try:
            out = allgather(ctypes.string_at(send, nbytes), timeout_s)
            if len(out) != nbytes * world_size:
                raise ValueError(f"the all-gather returned {len(out)} bytes, not "
                                 f"{world_size} x {nbytes}")
            ctypes.memmove(recv, out, len(out))
            return 0
        except BaseException as e:  # never across the C frame
            caught.append(e)
            msg = (str(e) or type(e).__name__).encode()[: max(why_size - 1, 0)]
            ctypes.memmove(why, msg + b"\0", len(msg) + 1)
            timed_out = isinstance(e, TimeoutError)
            return _abi.CODES["MB_ETIMEOUT" if timed_out else "MB_EBACKEND"]

    fn = _abi.ALLGATHER_FN(c_allgather)
    coll = _abi.mb_collective(rank=rank, world_size=world_size, allgather=fn, user=None,
                              timeout_s=timeout)
    out = _abi.mb_agreement()
    lib = _abi.lib()
    rc = lib.mb_cluster_agree(ctypes.byref(coll), ctypes.byref(rec), None, 0,
                              ctypes.byref(out))
    raise_for(rc, f"rank {rank}: agreement")
    why = _abi.text(lib.mb_limit_reason_name(out.why))
    return Agreement(
        world_size=out.world_size, group=out.group, group_size=out.group_size,
        num_blocks=_opt(out.num_blocks), limiting_rank=out.limiting_rank,
        limiting_host=out.limiting_host.decode(), limiting_device=out.limiting_device.decode(),
        max_num_blocks=_opt(out.max_num_blocks), all_startup_ok=bool(out.all_startup_ok),
        why=why, reason=out.reason.decode(), hosts=out.hosts, devices=out.devices,
        total_memory=out.total_memory, free_memory=out.free_memory,
        min_free_memory=_opt(out.min_free_memory), min_free_rank=out.min_free_rank)
