#!/usr/bin/env python3
"""Writes tests/kv/golden/cudagraph_cases.json from vLLM 0.33.0's own CUDA-graph code.

Run by hand, not in CI, in the virtual environment outside the repository that
gen_plan_goldens.py uses (vllm==0.33.0 installed --no-deps, torch==2.14.0):

    /work/venv-vllm/bin/python tests/kv/gen_cudagraph_goldens.py \
        > tests/kv/golden/cudagraph_cases.json

What it calls, each on a stand-in object carrying only the fields the function reads:
  - VllmConfig._set_cudagraph_sizes (vllm/config/vllm.py): the capture sizes, with
    speculative k and the sm_100 ceiling;
  - CompilationConfig.resolve_cudagraph_mode_and_sizes (vllm/config/compilation.py): the
    mode that runs for a requested mode and the backend's AttentionCGSupport, with V1's
    adjust_cudagraph_sizes_for_spec_decode (attention taken to be in the splitting ops,
    as under the default VLLM_COMPILE mode);
  - CudaGraphManager._init_candidates (vllm/v1/worker/gpu/cudagraph_utils.py): model
    runner V2's graphs per mode (0.33's default runner);
  - CudagraphDispatcher.initialize_cudagraph_keys and get_capture_descs
    (vllm/v1/cudagraph_dispatcher.py): model runner V1's graphs per mode;
  - _extrapolate_full_graph_memory (cudagraph_utils.py): V2's FULL-graph charge;
  - each importable attention backend's get_supported_kernel_block_sizes,
    supports_block_size and its metadata builder's _cudagraph_support
    (vllm/v1/attention/backends/...).
What it does not call: V1's charge (inside GPUModelRunner.profile_cudagraph_memory, which
needs a GPU): membudget reproduces it as max(first) + sum of (n - 1) x max(second, 1 MiB).
The backends that cannot be imported without a GPU or their kernels (FLASHINFER,
FLASH_ATTN_MLA, FLASHINFER_MLA, CUTLASS_MLA) are left out of backend_block_sizes.
"""
import importlib
import json
import os
import sys
import types

os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
import torch  # noqa: E402

import vllm  # noqa: E402
from vllm.config.compilation import CompilationConfig, CompilationMode, CUDAGraphMode  # noqa: E402
from vllm.config.vllm import VllmConfig  # noqa: E402
from vllm.v1.attention.backend import AttentionCGSupport  # noqa: E402
from vllm.v1.cudagraph_dispatcher import CudagraphDispatcher  # noqa: E402
from vllm.v1.worker.gpu import cudagraph_utils as cgu  # noqa: E402

ns = types.SimpleNamespace

# membudget's numbering (include/membudget/vllm.h mb_cudagraph_mode_kind)
MODES = {"NONE": 1, "PIECEWISE": 2, "FULL": 3, "FULL_DECODE_ONLY": 4, "FULL_AND_PIECEWISE": 5}
SUPPORTS = [AttentionCGSupport.NEVER, AttentionCGSupport.UNIFORM_SINGLE_TOKEN_DECODE,
            AttentionCGSupport.UNIFORM_BATCH, AttentionCGSupport.ALWAYS]
# (compute capability, max_num_seqs, max_num_batched_tokens, num_speculative_tokens)
CONFIGS = [(90, 256, 8192, 0), (90, 1024, 8192, 0), (100, 1024, 16384, 0), (90, 48, 2048, 0),
           (90, 256, 8192, 1), (90, 256, 8192, 3), (100, 128, 8192, 4), (90, 5, 5, 0),
           (90, 300, 2048, 2), (90, 64, 100, 7)]


def capture_sizes(cc, seqs, tokens, k, mode):
    """VllmConfig._set_cudagraph_sizes on a stand-in config."""
    from vllm.platforms import current_platform as cp

    class Fake:
        uniform_decode_query_len = property(VllmConfig.uniform_decode_query_len.fget)
        num_speculative_tokens = property(VllmConfig.num_speculative_tokens.fget)

    f = Fake()
    f.model_config = ns(enforce_eager=False)
    f.compilation_config = ns(cudagraph_mode=mode, max_cudagraph_capture_size=None,
                              cudagraph_capture_sizes=None,
                              post_init_cudagraph_sizes=lambda: None)
    f.scheduler_config = ns(max_num_seqs=seqs, max_num_batched_tokens=tokens)
    f.speculative_config = ns(num_speculative_tokens=k,
                              uses_dynamic_speculative_decoding=lambda: False) if k else None
    f.diffusion_config = None
    f.performance_mode = "balanced"
    cp.is_device_capability_family = lambda fam, *a, _c=cc, **kw: fam == _c
    VllmConfig._set_cudagraph_sizes(f)
    return list(f.compilation_config.cudagraph_capture_sizes), \
        f.compilation_config.max_cudagraph_capture_size


def resolve(mode, support, q, v2, sizes, max_size):
    """CompilationConfig.resolve_cudagraph_mode_and_sizes on a stand-in config."""
    c = ns(cudagraph_mode=mode, mode=CompilationMode.VLLM_COMPILE,
           use_inductor_graph_partition=False, cudagraph_capture_sizes=list(sizes),
           max_cudagraph_capture_size=max_size)
    c.splitting_ops_contain_attention = lambda: True
    c.adjust_cudagraph_sizes_for_spec_decode = \
        lambda n: CompilationConfig.adjust_cudagraph_sizes_for_spec_decode(c, n)
    try:
        m = CompilationConfig.resolve_cudagraph_mode_and_sizes(
            c, support, "TEST_BACKEND", q, use_v2_model_runner=v2)
    except ValueError as e:
        return None, None, None, str(e)
    return m, c.cudagraph_capture_sizes, c.max_cudagraph_capture_size, None


def v2_graphs(mode, seqs, q, sizes, max_size):
    """CudaGraphManager._init_candidates on a stand-in manager."""
    m = object.__new__(cgu.CudaGraphManager)
    m.compilation_config = ns(cudagraph_capture_sizes=sizes, max_cudagraph_capture_size=max_size)
    m.cudagraph_mode = mode
    m.max_num_reqs = seqs
    m.decode_query_len = q
    m.varlen_decode = False
    m.lora_capture_cases = [0]
    m.vllm_config = ns(speculative_config=None, num_speculative_tokens=q - 1,
                       cache_config=ns(use_kda_recoverssm=False))
    m._maybe_ubatch_twin = lambda d: None
    m._capture_descs = {}
    m._candidates = {}
    m._init_candidates()
    d = m._capture_descs
    return ([x.num_tokens for x in d.get(CUDAGraphMode.PIECEWISE, [])],
            [x.num_tokens for x in d.get(CUDAGraphMode.FULL, [])])


def v1_graphs(mode, seqs, q, sizes, max_size):
    """CudagraphDispatcher.initialize_cudagraph_keys / get_capture_descs on a stand-in."""
    d = object.__new__(CudagraphDispatcher)
    cc = ns(cudagraph_capture_sizes=sizes, max_cudagraph_capture_size=max_size,
            compile_sizes=[], cudagraph_specialize_lora=False)
    d.vllm_config = ns(compilation_config=cc, scheduler_config=ns(max_num_seqs=seqs),
                       lora_config=None, num_speculative_tokens=q - 1)
    d.compilation_config = cc
    d.uniform_decode_query_len = q
    d.cudagraph_keys = {CUDAGraphMode.PIECEWISE: set(), CUDAGraphMode.FULL: set()}
    d.keys_initialized = False
    d.specialize_lora_count = False
    d.cudagraph_mode = CUDAGraphMode.NONE
    d.initialize_cudagraph_keys(mode, q)
    out = {CUDAGraphMode.PIECEWISE: [], CUDAGraphMode.FULL: []}
    for m, descs in d.get_capture_descs():
        out[m] = [x.num_tokens for x in descs]
    return out[CUDAGraphMode.PIECEWISE], out[CUDAGraphMode.FULL]


def mode_cases():
    cases = []
    for cc, seqs, tokens, k in CONFIGS:
        q = 1 + k
        for name, mid in MODES.items():
            mode = CUDAGraphMode[name]
            sizes, max_size = capture_sizes(cc, seqs, tokens, k, mode)
            for support in SUPPORTS:
                for v2 in (True, False):
                    case = {"compute_capability": cc, "max_num_seqs": seqs,
                            "max_num_batched_tokens": tokens, "num_speculative_tokens": k,
                            "mode": mid, "cg_support": support.value,
                            "v1_runner": 0 if v2 else 1}
                    m, rs, rmax, err = resolve(mode, support, q, v2, sizes, max_size)
                    if err:
                        case["error"] = err
                        cases.append(case)
                        continue
                    case["resolved"] = MODES[m.name]
                    case["sizes"] = list(rs)
                    if m == CUDAGraphMode.NONE:
                        pw, full = [], []
                    elif v2:
                        pw, full = v2_graphs(m, seqs, q, list(rs), rmax)
                    else:
                        pw, full = v1_graphs(m, seqs, q, list(rs), rmax)
                    case["piecewise"] = pw
                    case["full"] = full
                    cases.append(case)
    return cases


def extrapolations():
    MiB = 1 << 20
    out = []
    for samples, n in [([], 0), ([500 * MiB], 1), ([500 * MiB, 20 * MiB], 51),
                       ([300 * MiB, 4096], 35), ([MiB * 7, MiB], 2), ([0, 0], 67)]:
        out.append({"samples": samples, "graphs": n,
                    "bytes": cgu._extrapolate_full_graph_memory(samples, n)})
    return out


def backend_block_sizes():
    mods = {"FLASH_ATTN": ("flash_attn", "FlashAttentionBackend"),
            "TRITON_ATTN": ("triton_attn", "TritonAttentionBackend"),
            "FLEX_ATTENTION": ("flex_attention", "FlexAttentionBackend"),
            "FLASHMLA": ("mla.flashmla", "FlashMLABackend"),
            "TRITON_MLA": ("mla.triton_mla", "TritonMLABackend"),
            "ROCM_ATTN": ("rocm_attn", "RocmAttentionBackend"),
            "CPU_ATTN": ("cpu_attn", "CPUAttentionBackend"),
            "CPU_MLA": ("mla.cpu_mla", "CPUMLABackend")}
    out = []
    for name, (mod, cls_name) in mods.items():
        cls = getattr(importlib.import_module("vllm.v1.attention.backends." + mod), cls_name)
        sizes = [getattr(s, "base", s) for s in cls.get_supported_kernel_block_sizes()]
        out.append({"backend": name, "multiples": sizes, "is_mla": cls.is_mla(),
                    "cg_support": cls.get_builder_cls()._cudagraph_support.value,
                    "accepts": {str(b): cls.supports_block_size(b)
                                for b in (1, 8, 16, 24, 32, 48, 64, 96, 128, 256)}})
    return out


def speculative_sliding():
    """A sliding-window group's blocks per request under speculative decoding:
    VllmConfig.num_prefill_lookahead_tokens, max_concurrent_batches and max_in_flight_tokens
    (vllm/config/vllm.py) on a stand-in config, SpeculativeConfig.use_eagle and
    use_multi_module_mtp (vllm/config/speculative.py) on a stand-in speculative config, then
    SlidingWindowSpec.max_admission_blocks_per_request (vllm/v1/kv_cache_interface.py) with
    the extra_retained_tokens get_global_kv_cache_groups gives it. The window and length are
    gpt-oss-20b's (tests/fixtures/models/gpt-oss-20b.config.json)."""
    from vllm.config.speculative import SpeculativeConfig
    from vllm.v1.kv_cache_interface import SlidingWindowSpec
    here = os.path.dirname(os.path.abspath(__file__))
    cfg = json.load(open(os.path.join(here, "..", "fixtures", "models",
                                      "gpt-oss-20b.config.json")))
    window, max_len = cfg["sliding_window"], cfg["max_position_embeddings"]
    out = []
    for method, k, nextn, v2, tokens, async_sched in [
            (None, 0, 1, True, 8192, True), ("mtp", 3, 3, True, 8192, True),
            ("mtp", 3, 1, True, 8192, True), ("mtp", 2, 4, True, 2048, True),
            ("eagle", 4, 1, True, 8192, True), ("eagle3", 2, 1, False, 8192, True),
            ("ngram", 5, 1, True, 8192, True), ("mtp", 4, 4, False, 4096, True),
            ("mtp", 3, 3, True, 8192, False), ("draft_model", 3, 1, True, 1024, True)]:
        spec = None
        if method:
            spec = ns(method=method, num_speculative_tokens=k,
                      draft_model_config=ns(hf_config=ns(num_nextn_predict_layers=nextn)))
            spec.use_eagle = lambda s=spec: SpeculativeConfig.use_eagle(s)
            spec.use_multi_module_mtp = lambda s=spec: SpeculativeConfig.use_multi_module_mtp(s)
        vc = ns(speculative_config=spec, diffusion_config=None,
                scheduler_config=ns(max_num_batched_tokens=tokens, async_scheduling=async_sched),
                parallel_config=ns(pipeline_parallel_size=1), use_v2_model_runner=v2)
        vc.num_speculative_tokens = VllmConfig.num_speculative_tokens.fget(vc)
        lookahead = VllmConfig.num_prefill_lookahead_tokens.fget(vc)
        vc.max_concurrent_batches = VllmConfig.max_concurrent_batches.fget(vc)
        in_flight = VllmConfig.max_in_flight_tokens.fget(vc)
        sw = SlidingWindowSpec(block_size=16, num_kv_heads=8, head_size=64, head_size_v=64,
                               dtype=torch.bfloat16, sliding_window=window,
                               extra_retained_tokens=max(0, lookahead - 1))
        out.append({"speculative_method": method, "num_speculative_tokens": k,
                    "num_nextn_predict_layers": nextn, "v1_runner": 0 if v2 else 1,
                    "max_num_batched_tokens": tokens, "async_scheduling": async_sched,
                    "sliding_window": window, "max_model_len": max_len, "block_size": 16,
                    "lookahead": lookahead, "max_in_flight_tokens": in_flight,
                    "blocks_per_request": sw.max_admission_blocks_per_request(in_flight,
                                                                              max_len)})
    return out


def main():
    doc = {
        "generator": "tests/kv/gen_cudagraph_goldens.py",
        "command": "/work/venv-vllm/bin/python tests/kv/gen_cudagraph_goldens.py > "
                   "tests/kv/golden/cudagraph_cases.json",
        "vllm_version": vllm.__version__,
        "torch_version": torch.__version__,
        "modes": mode_cases(),
        "full_extrapolation": extrapolations(),
        "backends": backend_block_sizes(),
        "speculative_sliding": speculative_sliding(),
    }
    text = json.dumps(doc, indent=1)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
