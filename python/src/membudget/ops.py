"""The operator functions: devices(), backends(), snapshot(), kv_space() over the C
library, and plan() over the `membudget plan --json` command the wheel carries."""
from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _abi
from ._core import Context, default_context, need_index, resolve_device
from .errors import CommandError, InvalidArgument, raise_for


def _known(value: int) -> Optional[int]:
    """None for MB_UNKNOWN, the value otherwise."""
    return None if value == _abi.MB_UNKNOWN else int(value)


def _limit(value: int) -> Optional[int]:
    """None for MB_UNLIMITED / MB_UNKNOWN, the value otherwise."""
    return None if value in (_abi.MB_UNLIMITED, _abi.MB_UNKNOWN) else int(value)


@dataclass(frozen=True)
class BackendStatus:
    """A backend as probed: state is "present", "absent", "broken", "excluded" or
    "not built"; reason says why."""

    name: str
    state: str
    reason: str
    device_count: int


@dataclass(frozen=True)
class DeviceInfo:
    """A device's static facts (total_memory in bytes, read at probe time)."""

    name: str
    backend: str
    ops: str
    platform: str
    index: int
    integrated: bool
    model: str
    pci_bus_id: str
    uuid: str
    numa_node: Optional[int]
    total_memory: int
    # from 1.2 (issue 14): (major, minor) of a CUDA device, None when unknown
    compute_capability: Optional[Tuple[int, int]] = None


@dataclass(frozen=True)
class DeviceSnapshot:
    """A device's memory now (bytes; None where unknown or unlimited), and where the
    figures came from (source: "nvml", "proc-meminfo", ...)."""

    device: str
    platform: str
    free_memory: int
    total_memory: int
    used_memory: int
    source: str
    clamped: bool
    limited: bool
    host_fallback: bool
    driver_free: Optional[int]
    limit: Optional[int]
    timestamp: float


def backends(context: Optional[Context] = None) -> List[BackendStatus]:
    """Every backend this build knows, probed (what `membudget devices` lists first)."""
    ctx = context or default_context()
    lib = _abi.lib()
    out = []
    for i in range(lib.mb_backend_count(ctx.handle)):
        st = _abi.mb_backend_status.new()
        raise_for(lib.mb_backend_get(ctx.handle, i, ctypes.byref(st)), f"backend {i}")
        out.append(BackendStatus(_abi.text(st.name), _abi.BACKEND_STATES.get(st.state, "?"),
                                 _abi.text(st.reason), int(st.device_count)))
    return out


def devices(context: Optional[Context] = None) -> List[DeviceInfo]:
    """The devices served, in membudget's order (GPUs first, then CPU NUMA nodes)."""
    ctx = context or default_context()
    out = []
    for i in range(ctx.device_count()):
        d = ctx.device_info(i)
        out.append(DeviceInfo(
            _abi.text(d.name), _abi.text(d.backend), _abi.text(d.ops), _abi.text(d.platform),
            int(d.index), bool(d.integrated), _abi.text(d.model), _abi.text(d.pci_bus_id),
            _abi.text(d.uuid), None if d.numa_node < 0 else int(d.numa_node),
            int(d.total_memory),
            (int(d.cc_major), int(d.cc_minor)) if d.cc_major > 0 else None))
    return out


def _snapshot_one(ctx: Context, idx: int) -> DeviceSnapshot:
    lib = _abi.lib()
    s = _abi.mb_snapshot()
    raise_for(lib.mb_snapshot_measure(ctx.handle, idx, None, ctypes.byref(s)),
              f"snapshot of device {idx}")
    return DeviceSnapshot(
        _abi.text(s.device), _abi.text(s.platform), int(s.free_memory), int(s.total_memory),
        int(s.device_memory), _abi.text(lib.mb_source_name(s.source)), bool(s.flags & 1),
        bool(s.flags & 2), bool(s.flags & 4), _known(s.driver_free), _limit(s.limit),
        float(s.timestamp))


def snapshot(device: Any = None, context: Optional[Context] = None) -> List[DeviceSnapshot]:
    """Free and total memory of every device now (device=None), or of one device given as
    vLLM names it ("cuda:0", "cpu", an int, a torch.device) or as membudget does."""
    ctx = context or default_context()
    if device is None:
        return [_snapshot_one(ctx, i) for i in range(ctx.device_count())]
    return [_snapshot_one(ctx, need_index(resolve_device(device, ctx), ctx))]


@dataclass(frozen=True)
class CpuKvSpace:
    """The CPU KV-cache size of a local rank (bytes) and why (VLLM_CPU_KVCACHE_SPACE,
    else ceil(node_total x utilization) - resident)."""

    bytes: int
    explicit: bool
    local_rank: int
    node: int
    device: str
    node_total: int
    node_available: int
    container_limit: Optional[int]
    utilization: float
    requested: int
    resident: int
    reason: str
    rank_reason: str


def kv_space(local_rank: int = 0, utilization: Optional[float] = None,
             context: Optional[Context] = None) -> CpuKvSpace:
    """vLLM's CPU KV-cache size for local_rank (what `membudget kv-space` prints). Raises
    EnvironmentValueError for a bad VLLM_CPU_KVCACHE_SPACE / VLLM_CPU_OMP_THREADS_BIND /
    CPU_VISIBLE_MEMORY_NODES, DoesNotFit when it exceeds what the node has."""
    ctx = context or default_context()
    lib = _abi.lib()
    opts = _abi.mb_cpu_kv_options.new()
    raise_for(lib.mb_cpu_kv_options_init(ctypes.byref(opts), ctypes.sizeof(opts)),
              "kv_space options")
    opts.local_rank = local_rank
    if utilization is not None:
        opts.utilization = utilization
    out = _abi.mb_cpu_kv_space.new()
    raise_for(lib.mb_cpu_kv_space_get(ctx.handle, ctypes.byref(opts), ctypes.byref(out)),
              f"kv_space(local_rank={local_rank})")
    dev = ""
    if out.rank.device >= 0:
        dev = _abi.text(ctx.device_info(out.rank.device).name)
    return CpuKvSpace(
        int(out.bytes), bool(out.explicit_size), int(out.rank.local_rank), int(out.rank.node),
        dev, int(out.node_total), int(out.node_available), _limit(out.container_limit),
        float(out.utilization), int(out.requested), int(out.resident), _abi.text(out.reason),
        _abi.text(out.rank.reason))


# ---- the plan -----------------------------------------------------------------------


@dataclass
class Plan:
    """What `membudget plan --json` prints, one field per key (bytes for memory; model and
    device are the JSON objects as dicts). Keys a newer command adds and this class does
    not name yet are kept in ``extra``; ``to_dict()`` gives the JSON back. Fields the
    command did not print are None."""

    model: Dict[str, Any]
    device: Dict[str, Any]
    gpu_memory_utilization: float
    requested_memory: Optional[int]
    startup_ok: bool
    non_kv_memory: Optional[int]
    non_kv_source: str
    weights_memory: Optional[int]
    cudagraph_memory: Optional[int]
    cudagraph_source: str
    num_cudagraphs: int
    available_kv_cache_memory: Optional[int]
    block_size: int
    tensor_parallel_size: int
    kv_cache_dtype: str
    kv_heads_per_rank: int
    page_bytes: int
    block_bytes: int
    bytes_per_token: int
    num_blocks: int
    kv_cache_tokens: int
    kv_cache_bytes: int
    max_model_len: int
    blocks_per_request: int
    max_concurrency: float
    longest_request: int
    fits: bool
    verdict: str
    note: Optional[str] = None
    # vLLM 0.33's planner: its groups, the named GPU and the defaults that came from it
    kv_cache_groups: Optional[List[Dict[str, Any]]] = None
    gpu: Optional[Dict[str, Any]] = None
    max_num_seqs: Optional[int] = None
    max_num_batched_tokens: Optional[int] = None
    pipeline_parallel_size: Optional[int] = None
    max_in_flight_tokens: Optional[int] = None
    bytes_per_block: Optional[int] = None
    not_modelled: Optional[str] = None
    vllm_error: Optional[str] = None
    # vLLM 0.33's attention backend and CUDA-graph modes (issue 14): mode, model_runner,
    # rule, estimate, charged, and piecewise / full with count, first, per_graph, bytes
    attention_backend: Optional[str] = None
    cudagraph_modes: Optional[Dict[str, Any]] = None
    # the estimate (plan --gpu NAME or --estimate): its parts and the ranges they give
    estimate: Optional[Dict[str, Any]] = None
    estimate_verdict: Optional[str] = None
    available_kv_cache_memory_low: Optional[int] = None
    available_kv_cache_memory_high: Optional[int] = None
    kv_cache_tokens_low: Optional[int] = None
    kv_cache_tokens_high: Optional[int] = None
    max_concurrency_low: Optional[float] = None
    max_concurrency_high: Optional[float] = None
    extra: Dict[str, Any] = field(default_factory=dict)
    keys: List[str] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def from_json(cls, doc: Dict[str, Any]) -> "Plan":
        names = {f.name for f in dataclasses.fields(cls)} - {"extra", "keys"}
        known = {k: v for k, v in doc.items() if k in names}
        missing = [f.name for f in dataclasses.fields(cls)
                   if f.name in names and f.name not in known
                   and f.default is dataclasses.MISSING]
        if missing:
            raise CommandError(
                "membudget plan --json lacks " + ", ".join(missing)
                + ": the command and the package come from different versions; reinstall")
        return cls(**known, extra={k: v for k, v in doc.items() if k not in names},
                   keys=list(doc))

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object the command printed, keys in its order."""
        return {k: self.extra[k] if k in self.extra else getattr(self, k) for k in self.keys}


def _flag_args(flags: Dict[str, Any]) -> List[str]:
    args: List[str] = []
    for key, value in flags.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, str(value)]
    return args


def run_cli(args: Sequence[str], context: Optional[Context] = None,
            timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Runs the bundled `membudget` command; a context's sysroot is handed down as
    MEMBUDGET_SYSROOT."""
    env = dict(os.environ)
    if context is not None:
        env["MEMBUDGET_SYSROOT"] = context.sysroot
    return subprocess.run([_abi.cli_path(), *args], capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)


_DEVICE_FORMS = ("cuda", "hip", "cpu", "rocm")


def _cli_error_code(line: str) -> int:
    """The library error behind the command's failure line ("membudget: WHAT: MESSAGE: detail",
    tools/common.c's cli_fail_rc), found by the library's own mb_error_message texts; the
    longest one that matches wins. 0 when the line names none (a check of the command's own)."""
    lib = _abi.lib()
    best, best_len = 0, 0
    for code in _abi.ERRORS:
        text = _abi.text(lib.mb_error_message(code))
        if text and f": {text}" in line and len(text) > best_len:
            best, best_len = code, len(text)
    return best


def plan(model: str, gpu: Any = None, *, context: Optional[Context] = None,
         **vllm_flags: Any) -> Plan:
    """How big the KV cache of ``model`` (a config.json or the folder holding one) can be,
    by vLLM's rules: `membudget plan --model MODEL --json` and its flags.

    Args:
        gpu: the device to measure, as vLLM names it ("cuda:0", an int, a torch.device,
            "cpu") or as membudget does ("hip:0"); any other text is passed as
            ``--gpu NAME`` (a named what-if GPU, where the command has them). None: the
            command's default device.
        vllm_flags: vLLM's engine arguments with underscores (``max_model_len=8192``,
            ``tensor_parallel_size=2``, ``enforce_eager=True``, ``total_memory="80GiB"``);
            True adds the bare flag, False and None leave it out.

    Returns the Plan (fits or not: ``fits`` and ``verdict`` say). Raises CommandError with
    the command's message when it refuses the input or the request cannot fit at all.
    """
    args = ["plan", "--model", os.fspath(model), "--json"]
    if gpu is not None:
        is_device = not isinstance(gpu, str) or gpu.split(":")[0].lower() in _DEVICE_FORMS
        if is_device:
            ctx = context or default_context()
            args += ["--device", need_index_name(resolve_device(gpu, ctx), ctx)]
        else:
            args += ["--gpu", gpu]
    args += _flag_args(vllm_flags)
    res = run_cli(args, context)
    if res.returncode != 0:
        message = res.stderr.strip() or f"membudget plan exited with {res.returncode}"
        if res.returncode == 2:
            raise CommandError(message, code=_abi.CODES["MB_EINVAL"], detail=message)
        raise CommandError(message, code=_cli_error_code(message) or None, detail=message)
    try:
        doc = json.loads(res.stdout)
    except ValueError as e:
        raise CommandError(f"membudget plan printed no JSON ({e}): {res.stdout[:200]!r}")
    return Plan.from_json(doc)


def need_index_name(r: Any, ctx: Context) -> str:
    need_index(r, ctx)
    return str(r.name)


__all__ = ["BackendStatus", "DeviceInfo", "DeviceSnapshot", "CpuKvSpace", "Plan",
           "backends", "devices", "snapshot", "kv_space", "plan", "run_cli",
           "InvalidArgument"]
