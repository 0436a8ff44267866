#!/usr/bin/env python3
"""Writes tests/kv/golden/plan_cases.json from vLLM's own planning code.

Run by hand, not in CI, in a virtual environment outside the repository that holds the
vllm==0.33.0 wheel (installed --no-deps), torch==2.14.0 and the few pure-Python packages
vLLM's planning modules import (the hybrid models' classes also need compressed-tensors and
loguru, installed --no-deps):

    /work/venv-vllm/bin/python tests/kv/gen_plan_goldens.py > tests/kv/golden/plan_cases.json

For every case it builds vLLM's KVCacheSpec objects layer by layer (FullAttentionSpec,
SlidingWindowSpec, MLAAttentionSpec from vllm/v1/kv_cache_interface.py) the way vLLM's
attention layers would for that config.json, splits the layers over pipeline stages with
vLLM's get_pp_indices (vllm/distributed/utils.py), and runs vLLM's planner:
get_global_kv_cache_groups and get_kv_cache_configs (vllm/v1/core/kv_cache_planning.py),
then get_kv_cache_capacity (vllm/v1/core/kv_cache_utils.py), which gives the "GPU KV cache
size" tokens and the concurrency vLLM logs. The VllmConfig is a stand-in carrying only the
fields those functions read; its max_in_flight_tokens is VllmConfig's own property.

Hybrid Mamba / linear-attention models (Qwen3-Next, Jamba, Granite 4, Nemotron-H) and
Llama 4's chunked local attention are built by gen_hybrid_specs.py, whose docstring says
which of their rules come from vLLM's own functions and which it reproduces. Layers without a
cache (Nemotron-H's MLP layers, Gemma 3n's shared-KV layers) get no spec, as vLLM's runner
builds none, but still count in get_pp_indices' split. Case keys beyond the planner's: "cc"
(the GPU's compute capability, for GDN's prefill backend), "prefix_caching" (False:
--no-enable-prefix-caching) and "num_speculative_tokens".

What this script decides by hand (and membudget decides the same way in C), each from
vLLM's model code: which layers slide (layer_types, else the model's
sliding_window; Qwen2's use_sliding_window false means none), MLA only for DeepSeek-family
model types (vllm/transformers_utils/model_arch_config_convertor.py is_deepseek_mla), KV
heads per rank (max(1, total // tp)), and the cache dtype under "auto" (the checkpoint's
kv_cache_quant_algo through vLLM's resolve_kv_cache_dtype_string).
"""
import json
import math
import os
import sys
import types
from dataclasses import replace

os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
import torch  # noqa: E402

import vllm  # noqa: E402
from vllm.config.vllm import VllmConfig  # noqa: E402
from vllm.distributed.utils import get_pp_indices  # noqa: E402
from vllm.utils.torch_utils import resolve_kv_cache_dtype_string  # noqa: E402
from vllm.v1.core import kv_cache_config_builder as kccb  # noqa: E402
from vllm.v1.core import kv_cache_planning as plan  # noqa: E402
from vllm.v1.core.kv_cache_utils import (  # noqa: E402
    generate_scheduler_kv_cache_config,
    get_kv_cache_capacity,
)
from vllm.v1.kv_cache_interface import (  # noqa: E402
    FullAttentionSpec,
    MambaSpec,
    MLAAttentionSpec,
    SlidingWindowSpec,
    get_kv_quant_mode,
)
from vllm.v1.kv_cache_layout import KVCacheLayout  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_hybrid_specs as hybrid  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "fixtures", "models")
GiB = 1 << 30

# The builder the CUDA platform selects is the default one; without a GPU this process's
# platform is "unspecified", so pick it directly.
kccb.get_kv_cache_config_builder = lambda vc: plan.DefaultKVCacheConfigBuilder()

ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "modernbert", "nomic_bert", "distilbert",
                 "electra", "deberta-v2", "new"}
DEEPSEEK_MLA_TYPES = {"deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2"}
STR_DTYPE = {
    "bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float16,
    "fp8": torch.float8_e4m3fn, "fp8_e4m3": torch.float8_e4m3fn,
    "fp8_e5m2": torch.float8_e5m2, "fp8_inc": torch.float8_e4m3fn,
    "fp8_ds_mla": torch.uint8,
}


class FakeVllmConfig:
    """The fields vLLM's planner reads, and VllmConfig's own derived properties."""

    max_concurrent_batches = property(VllmConfig.max_concurrent_batches.fget)
    max_in_flight_tokens = property(VllmConfig.max_in_flight_tokens.fget)

    def __init__(self, c, max_model_len, mamba_cache_mode="none"):
        ns = types.SimpleNamespace
        self.scheduler_config = ns(
            disable_hybrid_kv_cache_manager=False,
            max_num_batched_tokens=c["max_num_batched_tokens"],
            async_scheduling=c["async_scheduling"],
        )
        layout = KVCacheLayout.LBNHC  # _DEFAULT_LAYOUT_PREFERENCE[0], FlashAttention's
        self.cache_config = ns(
            num_gpu_blocks_override=c.get("num_gpu_blocks_override"),
            mamba_cache_mode=mamba_cache_mode,
            prefix_cache_retention_interval=None,
            kv_cache_layout=layout.name,
            get_resolved_kv_cache_layout=lambda: layout,
        )
        self.model_config = ns(
            max_model_len=max_model_len,
            original_max_model_len=c.get("max_model_len_arg", max_model_len),
            supports_kv_cache_grouping=False,
        )
        self.attention_config = ns(hisparse_config=None)
        self.parallel_config = ns(
            tensor_parallel_size=c["tp"], pipeline_parallel_size=c["pp"],
            decode_context_parallel_size=1,
        )
        self.speculative_config = None
        self.num_prefill_lookahead_tokens = 0
        self.device_config = ns(device_type="cuda")
        self.use_v2_model_runner = True  # 0.33's default (VllmConfig.use_v2_model_runner)


def text_config(cfg):
    return cfg.get("text_config") or cfg


def model_max_len(t):
    keys = ["max_position_embeddings", "n_positions", "max_seq_len", "seq_length",
            "model_max_length", "max_target_positions", "max_sequence_length",
            "max_seq_length", "seq_len"]
    vals = [t[k] for k in keys if isinstance(t.get(k), int)]
    return min(vals) if vals else 2048


def layer_kinds(t):
    """'full' or ('sliding', window) per layer, as vLLM's attention layers take them."""
    n = t["num_hidden_layers"]
    mt = t.get("model_type", "")
    window = t.get("sliding_window")
    if t.get("use_sliding_window") is False:
        window = None
    types_ = t.get("layer_types")
    if types_ is None and mt in ("gemma2",):
        types_ = ["sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(n)]
    if types_ is None and mt in ("gemma3_text", "gemma3"):
        pat = t.get("sliding_window_pattern", 6)
        types_ = ["sliding_attention" if (i + 1) % pat else "full_attention" for i in range(n)]
    if types_ is not None:
        return [("sliding", window) if x == "sliding_attention" and window else "full"
                for x in types_]
    return [("sliding", window) if window else "full"] * n


def build_specs(cfg, c):
    t = text_config(cfg)
    mt = t.get("model_type", "")
    tp = c["tp"]
    dtype_name = t.get("torch_dtype") or t.get("dtype") or cfg.get("torch_dtype") or "float32"
    model_dtype = STR_DTYPE[dtype_name]
    qc = cfg.get("quantization_config")
    model_config = types.SimpleNamespace(hf_config=types.SimpleNamespace(quantization_config=qc))
    cache_dtype = resolve_kv_cache_dtype_string(c.get("kv_cache_dtype", "auto"), model_config)
    kv_dtype = model_dtype if cache_dtype == "auto" else STR_DTYPE[cache_dtype]
    quant = get_kv_quant_mode(cache_dtype)
    bs = c["block_size"]
    specs = []
    if mt in DEEPSEEK_MLA_TYPES and t.get("kv_lora_rank"):
        head = t["kv_lora_rank"] + t["qk_rope_head_dim"]
        for _ in range(t["num_hidden_layers"]):
            if cache_dtype == "fp8_ds_mla":
                # FlashMLA's sparse fp8 format: 656 bytes per token (vllm/v1/attention/
                # backends/mla/flashmla_sparse.py), a uint8 cache of head size 656
                specs.append(MLAAttentionSpec(block_size=bs, num_kv_heads=1, head_size=656,
                                              dtype=torch.uint8, cache_dtype_str=cache_dtype))
            else:
                specs.append(MLAAttentionSpec(block_size=bs, num_kv_heads=1, head_size=head,
                                              dtype=kv_dtype, kv_quant_mode=quant,
                                              cache_dtype_str=cache_dtype))
        return specs, cache_dtype, {}
    heads = t["num_attention_heads"]
    kv = t.get("num_key_value_heads") or heads
    if t.get("block_configs"):
        # DeciLM / Nemotron-NAS (vllm/model_executor/models/nemotron_nas.py,
        # DeciLMDecoderLayer): a no_op attention builds no attention layer (no spec); the
        # others have num_attention_heads // n_heads_in_group KV heads of their own
        head = t.get("head_dim") or t["hidden_size"] // heads
        for bc in t["block_configs"]:
            a = bc["attention"]
            if a["no_op"]:
                specs.append(None)
                continue
            specs.append(FullAttentionSpec(block_size=bs,
                                           num_kv_heads=max(1, heads // a["n_heads_in_group"] // tp),
                                           head_size=head, head_size_v=head, dtype=kv_dtype,
                                           kv_quant_mode=quant))
        return specs, cache_dtype, {}
    if mt in ENCODER_TYPES or t.get("is_causal") is False:
        # encoder-only attention: Attention.get_kv_cache_spec returns None for
        # AttentionType.ENCODER_ONLY (vllm/model_executor/layers/attention/attention.py)
        return [None] * t["num_hidden_layers"], cache_dtype, {}
    kinds = hybrid.layer_kinds(t)
    if mt in hybrid.HYBRID_TYPES:
        specs, facts = hybrid.hybrid_specs(cfg, c, t, kinds, model_dtype, kv_dtype, cache_dtype,
                                           quant, c["_max_model_len"])
        return specs, cache_dtype, facts
    if kinds is not None:  # Llama 4: chunked local attention on its RoPE layers
        head = t.get("head_dim") or t["hidden_size"] // heads
        return (hybrid.chunked_specs(kinds, bs, max(1, kv // tp), head, kv_dtype, quant),
                cache_dtype, {})
    if mt == "minicpm3":
        head = t["qk_nope_head_dim"] + t["qk_rope_head_dim"]
        kv = heads
        head_v = head
    else:
        head = t.get("head_dim") or t["hidden_size"] // heads
        head_v = head
    per_rank = max(1, kv // tp)
    kinds = layer_kinds(t)
    if mt.startswith("gemma3n") and t.get("num_kv_shared_layers"):
        # Gemma3nAttention (vllm/model_executor/models/gemma3n.py): the last
        # num_kv_shared_layers layers read the last cached layer of their kind
        # (kv_sharing_target_layer_name) and build no spec of their own
        first = t["num_hidden_layers"] - t["num_kv_shared_layers"]
        kinds = [None if i >= first and first - (2 if k != "full" else 1) >= 0 else k
                 for i, k in enumerate(kinds)]
    for kind in kinds:
        if kind is None:
            specs.append(None)
            continue
        if kind == "full":
            specs.append(FullAttentionSpec(block_size=bs, num_kv_heads=per_rank,
                                           head_size=head, head_size_v=head_v,
                                           dtype=kv_dtype, kv_quant_mode=quant))
        else:
            specs.append(SlidingWindowSpec(block_size=bs, num_kv_heads=per_rank,
                                           head_size=head, head_size_v=head_v,
                                           dtype=kv_dtype, kv_quant_mode=quant,
                                           sliding_window=kind[1]))
    return specs, cache_dtype, {}


def run_case(c):
    cfg = json.load(open(os.path.join(MODELS, c["model"])))
    t = text_config(cfg)
    mlen_model = model_max_len(t)
    arg = c.get("max_model_len")
    max_model_len = mlen_model if arg in (None, -1) else arg
    c = dict(c)
    c["max_model_len_arg"] = -1 if arg == -1 else max_model_len
    c["_max_model_len"] = max_model_len
    specs, cache_dtype, facts = build_specs(cfg, c)
    del c["_max_model_len"]
    vc = FakeVllmConfig(c, max_model_len, facts.get("mamba_cache_mode", "none"))
    if c.get("num_speculative_tokens"):
        # an MTP drafter (not EAGLE): no EAGLE block drop
        vc.speculative_config = types.SimpleNamespace(
            num_speculative_tokens=c["num_speculative_tokens"],
            use_eagle_block_drop=lambda: False, use_eagle=lambda: False)
    n = len(specs)  # every layer, those without a KV cache too (get_pp_indices splits them)
    workers = []
    for r in range(c["pp"]):
        lo, hi = get_pp_indices(n, r, c["pp"])
        workers.append({f"model.layers.{i}.attn": specs[i] for i in range(lo, hi)
                        if specs[i] is not None})
    out = {"cache_dtype": cache_dtype}
    out.update(facts)
    try:
        groups = plan.get_global_kv_cache_groups(vc, workers)
        avail = c["available"]
        avail = avail if isinstance(avail, list) else [avail] * c["pp"]
        if not any(workers):
            # EngineCore._initialize_kv_caches (vllm/v1/engine/core.py): a model without a
            # KV cache spec is not profiled, every worker gets 0 bytes, and the capacity
            # (update_kv_cache_capacity) is neither computed nor logged
            avail = [0] * c["pp"]
        configs = plan.get_kv_cache_configs(vc, workers, avail, groups)
        sched = generate_scheduler_kv_cache_config(configs)
        tokens, conc = (get_kv_cache_capacity(vc, sched) if sched.kv_cache_groups
                        else (None, None))
        out.update(
            fits=True,
            num_blocks=configs[0].num_blocks,
            kv_cache_tokens=tokens,
            max_concurrency=None if conc is None else round(conc, 2),
            max_model_len=vc.model_config.max_model_len,
            # the attention layers' block size (a Mamba group's is mamba_block_size)
            # (an encoder-only model has no group: None)
            block_size=next((g.kv_cache_spec.block_size for g in sched.kv_cache_groups
                             if not isinstance(g.kv_cache_spec, MambaSpec)), None),
            # the first worker's groups: a UniformTypeKVCacheSpecs group (layers of one
            # kind but unequal pages, DeciLM) keeps its class and its page sum here, where
            # the scheduler's copy holds only its first layer's spec
            groups=[{
                "kind": type(g.kv_cache_spec).__name__,
                "block_size": g.kv_cache_spec.block_size,
                "layers": len(g.layer_names),
                "page_bytes": g.kv_cache_spec.page_size_bytes,
                "blocks_per_request": math.ceil(
                    g.kv_cache_spec.max_memory_usage_bytes(vc) / g.kv_cache_spec.page_size_bytes),
            } for g in configs[0].kv_cache_groups],
        )
    except ValueError as e:
        out.update(fits=False, error=str(e))
    return out


def case(name, model, **kw):
    c = dict(name=name, model=model, tp=1, pp=1, block_size=16,
             max_num_batched_tokens=8192, async_scheduling=True, available=40 * GiB)
    c.update(kw)
    return c


CASES = [
    case("llama-dense", "llama-3.1-8b.config.json"),
    case("llama-tp2", "llama-3.1-8b.config.json", tp=2, available=30 * GiB),
    case("llama-tp4", "llama-3.1-8b.config.json", tp=4, available=20 * GiB),
    case("llama-tp8", "llama-3.1-8b.config.json", tp=8, available=10 * GiB),
    case("llama-tp16-replicated", "llama-3.1-8b.config.json", tp=16, available=10 * GiB),
    case("llama-pp2", "llama-3.1-8b.config.json", pp=2, available=[20 * GiB, 18 * GiB]),
    case("llama-fp8", "llama-3.1-8b.config.json", kv_cache_dtype="fp8"),
    case("llama-fp8-e5m2", "llama-3.1-8b.config.json", kv_cache_dtype="fp8_e5m2"),
    case("llama-block32", "llama-3.1-8b.config.json", block_size=32),
    case("llama-block64", "llama-3.1-8b.config.json", block_size=64, available=7 * GiB),
    case("llama-auto-len", "llama-3.1-8b.config.json", max_model_len=-1, available=8 * GiB),
    case("llama-auto-len-full", "llama-3.1-8b.config.json", max_model_len=-1),
    case("llama-too-long", "llama-3.1-8b.config.json", available=8 * GiB),
    case("llama-no-memory", "llama-3.1-8b.config.json", available=0),
    # one request of 131072 tokens is 8192 blocks of 2 MiB: with the null block held back
    # 8193 blocks' worth fits and 8192 does not
    case("llama-null-block-fits", "llama-3.1-8b.config.json", available=8193 * 2 * 1024 * 1024),
    case("llama-null-block-short", "llama-3.1-8b.config.json", available=8192 * 2 * 1024 * 1024),
    case("llama-override", "llama-3.1-8b.config.json", num_gpu_blocks_override=10000),
    case("llama-override-too-few", "llama-3.1-8b.config.json", num_gpu_blocks_override=4000),
    case("llama-short-len", "llama-3.1-8b.config.json", max_model_len=4096, available=3 * GiB),
    case("llama-modelopt-fp8", "llama-3.1-8b-modelopt-fp8.config.json"),
    case("qwen2.5-dense", "qwen2.5-7b.config.json"),
    case("qwen2.5-tp4", "qwen2.5-7b.config.json", tp=4, available=12 * GiB),
    case("qwen3-235b-fp8-weights-tp8", "qwen3-235b-a22b-fp8.config.json", tp=8, available=20 * GiB),
    case("mistral-v0.3", "mistral-7b-v0.3.config.json"),
    case("mistral-v0.1-sliding", "mistral-7b-v0.1.config.json"),
    case("mistral-v0.1-sliding-sync", "mistral-7b-v0.1.config.json", async_scheduling=False),
    case("mistral-v0.1-sliding-2k", "mistral-7b-v0.1.config.json", max_num_batched_tokens=2048),
    case("gemma2-9b", "gemma-2-9b.config.json", available=20 * GiB),
    case("gemma2-9b-tp2", "gemma-2-9b.config.json", tp=2, available=10 * GiB),
    case("gemma2-9b-pp2", "gemma-2-9b.config.json", pp=2, available=[10 * GiB, 10 * GiB]),
    case("gemma3-12b", "gemma-3-12b-it.config.json", available=20 * GiB),
    case("gemma3-12b-fp8", "gemma-3-12b-it.config.json", kv_cache_dtype="fp8", available=20 * GiB),
    case("gemma3-12b-auto-len", "gemma-3-12b-it.config.json", max_model_len=-1, available=4 * GiB),
    case("gemma3-12b-too-long", "gemma-3-12b-it.config.json", available=3 * GiB),
    case("gpt-oss-20b", "gpt-oss-20b.config.json", available=30 * GiB),
    case("gpt-oss-20b-tp2", "gpt-oss-20b.config.json", tp=2, available=30 * GiB),
    case("gpt-oss-120b-tp4", "gpt-oss-120b.config.json", tp=4, available=30 * GiB),
    case("gpt-oss-120b-pp2", "gpt-oss-120b.config.json", pp=2, available=[20 * GiB, 25 * GiB]),
    case("deepseek-v2-lite-mla", "deepseek-v2-lite.config.json"),
    case("deepseek-v2-lite-mla-fp8", "deepseek-v2-lite.config.json", kv_cache_dtype="fp8"),
    case("deepseek-v2-lite-mla-block64", "deepseek-v2-lite.config.json", block_size=64),
    case("deepseek-v3-mla-tp8", "deepseek-v3.config.json", tp=8, block_size=64, available=30 * GiB),
    case("deepseek-v3-fp8-ds-mla", "deepseek-v3.config.json", tp=8, block_size=64,
         kv_cache_dtype="fp8_ds_mla", available=30 * GiB),
    case("deepseek-v3-pp2", "deepseek-v3.config.json", pp=2, tp=8, block_size=64,
         available=[30 * GiB, 30 * GiB]),
    case("minicpm3-not-mla", "minicpm3-4b.config.json", available=20 * GiB),
    # hybrid Mamba / linear attention (MambaSpec) and chunked local attention; "cc" is the
    # GPU's compute capability (GDN's prefill backend), "prefix_caching" False is
    # --no-enable-prefix-caching (mamba_cache_mode none instead of align)
    case("qwen3-next-gdn", "qwen3-next-80b-a3b.config.json", cc=90, available=30 * GiB),
    case("qwen3-next-gdn-no-prefix", "qwen3-next-80b-a3b.config.json", cc=90,
         prefix_caching=False, available=30 * GiB),
    case("qwen3-next-gdn-a100", "qwen3-next-80b-a3b.config.json", cc=80, available=30 * GiB),
    case("qwen3-next-gdn-b200", "qwen3-next-80b-a3b.config.json", cc=100, available=30 * GiB),
    case("qwen3-next-gdn-tp4", "qwen3-next-80b-a3b.config.json", cc=90, tp=4,
         available=20 * GiB),
    case("qwen3-next-gdn-pp2", "qwen3-next-80b-a3b.config.json", cc=90, pp=2,
         available=[20 * GiB, 20 * GiB]),
    case("qwen3-next-gdn-auto-len", "qwen3-next-80b-a3b.config.json", cc=90, max_model_len=-1,
         available=2 * GiB),
    case("qwen3-next-gdn-mtp2", "qwen3-next-80b-a3b.config.json", cc=90,
         num_speculative_tokens=2, available=30 * GiB),
    case("jamba-mamba1", "jamba-1.5-mini.config.json", cc=90, available=30 * GiB),
    case("jamba-mamba1-no-prefix", "jamba-1.5-mini.config.json", cc=90, prefix_caching=False,
         available=30 * GiB),
    case("jamba-mamba1-tp2", "jamba-1.5-mini.config.json", cc=90, tp=2, available=20 * GiB),
    case("jamba-mamba1-8g", "jamba-1.5-mini.config.json", cc=90, available=8 * GiB),
    case("granite4-h-small", "granite-4.0-h-small.config.json", cc=90, available=30 * GiB),
    case("granite4-h-small-no-prefix", "granite-4.0-h-small.config.json", cc=90,
         prefix_caching=False, available=30 * GiB),
    case("granite4-h-small-tp2", "granite-4.0-h-small.config.json", cc=90, tp=2,
         available=20 * GiB),
    case("granite4-h-small-pp2", "granite-4.0-h-small.config.json", cc=90, pp=2,
         available=[15 * GiB, 15 * GiB]),
    case("granite4-h-small-fp8", "granite-4.0-h-small.config.json", cc=90,
         kv_cache_dtype="fp8", available=30 * GiB),
    case("nemotron-h-8b", "nemotron-h-8b-base-8k.config.json", cc=90, available=20 * GiB),
    case("nemotron-h-8b-no-prefix", "nemotron-h-8b-base-8k.config.json", cc=90,
         prefix_caching=False, available=20 * GiB),
    case("nemotron-h-8b-tp4", "nemotron-h-8b-base-8k.config.json", cc=90, tp=4,
         available=10 * GiB),
    case("nemotron-h-8b-tp8", "nemotron-h-8b-base-8k.config.json", cc=90, tp=8,
         available=5 * GiB),
    case("nemotron-h-8b-pp2", "nemotron-h-8b-base-8k.config.json", cc=90, pp=2,
         available=[10 * GiB, 10 * GiB]),
    case("nemotron-h-8b-spec1", "nemotron-h-8b-base-8k.config.json", cc=90,
         num_speculative_tokens=1, available=20 * GiB),
    case("llama4-scout-chunked", "llama-4-scout-17b-16e-instruct.config.json",
         max_model_len=131072, available=30 * GiB),
    case("llama4-scout-chunked-tp4", "llama-4-scout-17b-16e-instruct.config.json", tp=4,
         max_model_len=262144, available=20 * GiB),
    case("llama4-scout-chunked-pp2", "llama-4-scout-17b-16e-instruct.config.json", pp=2,
         max_model_len=131072, available=[20 * GiB, 20 * GiB]),
    case("llama4-scout-auto-len", "llama-4-scout-17b-16e-instruct.config.json",
         max_model_len=-1, available=20 * GiB),
    # shared KV (kv_sharing_target_layer_name): Gemma 3n's last 15 layers cache nothing
    case("gemma3n-e4b-shared-kv", "gemma-3n-e4b-it.config.json", available=10 * GiB),
    case("gemma3n-e4b-shared-kv-tp2", "gemma-3n-e4b-it.config.json", tp=2, available=5 * GiB),
    case("jamba-mamba1-refused", "jamba-1.5-mini.config.json", cc=90, available=2 * GiB),
    # DeciLM / Nemotron-NAS block_configs: no_op attention layers cache nothing; each other
    # layer has num_attention_heads // n_heads_in_group KV heads of its own
    case("nemotron-super-49b", "llama-3.3-nemotron-super-49b-v1.config.json", available=30 * GiB),
    case("nemotron-super-49b-tp4", "llama-3.3-nemotron-super-49b-v1.config.json", tp=4,
         available=20 * GiB),
    case("nemotron-super-49b-pp2", "llama-3.3-nemotron-super-49b-v1.config.json", pp=2,
         available=[20 * GiB, 20 * GiB]),
    case("nemotron-super-49b-auto-len", "llama-3.3-nemotron-super-49b-v1.config.json",
         max_model_len=-1, available=10 * GiB),
    case("nemotron-super-49b-too-long", "llama-3.3-nemotron-super-49b-v1.config.json",
         available=10 * GiB),
    # per-layer KV heads that differ: one UniformTypeKVCacheSpecs group of unequal pages
    case("decilm-mixed-kv-heads", "decilm-mixed-kv-heads.config.json", available=10 * GiB),
    case("decilm-mixed-kv-heads-tp2", "decilm-mixed-kv-heads.config.json", tp=2,
         available=10 * GiB),
    case("decilm-mixed-kv-heads-tp8", "decilm-mixed-kv-heads.config.json", tp=8,
         available=10 * GiB),
    case("decilm-mixed-kv-heads-pp2", "decilm-mixed-kv-heads.config.json", pp=2,
         available=[5 * GiB, 5 * GiB]),
    case("decilm-mixed-kv-heads-auto-len", "decilm-mixed-kv-heads.config.json",
         max_model_len=-1, available=1 * GiB),
    case("decilm-mixed-kv-heads-override", "decilm-mixed-kv-heads.config.json",
         num_gpu_blocks_override=5000),
    # encoder-only: no layer has a KV cache spec
    case("bert-encoder-only", "bert-base-uncased.config.json", available=1 * GiB),
]


GB = 10**9  # a datasheet's decimal gigabyte

# The named GPUs of core/gpus.c: name, total in bytes as the table carries it (the runtime's
# figure from a published log, else the datasheet's capacity), compute capability (AMD:
# None). get_batch_defaults reads the total only against its 70 and 160 GiB thresholds.
GPUS = [
    ("A10", round(22.05 * GiB), (8, 6)), ("A100-40GB", round(39.50 * GiB), (8, 0)),
    ("A100-80GB", round(79.15 * GiB), (8, 0)), ("L4", round(22.03 * GiB), (8, 9)),
    ("L40S", round(44.42 * GiB), (8, 9)), ("H100", round(79.19 * GiB), (9, 0)),
    ("H100-NVL", 99961274368, (9, 0)), ("H200", round(139.80 * GiB), (9, 0)),
    ("B200", round(178.35 * GiB), (10, 0)),
    ("GB10", round(121.69 * GiB), (12, 1)), ("GH200", 96 * GB, (9, 0)),
    ("RTX-4090", round(23.55 * GiB), (8, 9)), ("RTX-5090", round(31.37 * GiB), (12, 0)),
    ("Jetson-AGX-Orin-64GB", 64 * GB, (8, 7)), ("MI300X", round(191.98 * GiB), None),
    ("MI325X", 256 * GB, None),
]


def gpu_defaults():
    """EngineArgs.get_batch_defaults (vllm/engine/arg_utils.py) for each named GPU, with the
    platform's device queries answered for that GPU, and the block sizes the backends
    prefer (get_preferred_block_size of FlashMLA and CPU_ATTN)."""
    import importlib

    from vllm.engine.arg_utils import EngineArgs
    from vllm.platforms import current_platform as cp
    from vllm.usage.usage_lib import UsageContext

    out = []
    for name, total, cc in GPUS:
        cp.get_device_total_memory = lambda *a, _t=total, **k: _t
        cp.get_device_name = lambda *a, _n=name, **k: _n
        cp.is_device_capability = lambda cap, *a, _c=cc, **k: _c == tuple(cap)
        tokens, seqs = EngineArgs.get_batch_defaults(1)
        out.append({
            "gpu": name, "total_memory": total,
            "serve": {"max_num_seqs": seqs[UsageContext.OPENAI_API_SERVER],
                      "max_num_batched_tokens": tokens[UsageContext.OPENAI_API_SERVER]},
            "llm": {"max_num_seqs": seqs[UsageContext.LLM_CLASS],
                    "max_num_batched_tokens": tokens[UsageContext.LLM_CLASS]},
        })
    blocks = {}
    for mod, cls in [("vllm.v1.attention.backends.mla.flashmla", "FlashMLABackend"),
                     ("vllm.v1.attention.backends.cpu_attn", "CPUAttentionBackend")]:
        blocks[cls] = getattr(importlib.import_module(mod), cls).get_preferred_block_size(16)
    return out, blocks


def capture_sizes():
    """VllmConfig._set_cudagraph_sizes (vllm/config/vllm.py) on a stand-in config for a
    range of max_num_seqs / max_num_batched_tokens / speculative k, on sm_90 and sm_100."""
    from vllm.config.compilation import CUDAGraphMode
    from vllm.platforms import current_platform as cp

    class Fake:
        uniform_decode_query_len = property(VllmConfig.uniform_decode_query_len.fget)
        num_speculative_tokens = property(VllmConfig.num_speculative_tokens.fget)

    out = []
    for cc in (90, 100):
        for seqs, tokens, k in [(256, 8192, 0), (1024, 8192, 0), (1024, 16384, 0), (300, 2048, 0),
                                (128, 100, 0), (64, 8192, 0), (256, 8192, 1), (256, 8192, 3),
                                (48, 2048, 2), (1024, 16384, 4), (700, 900, 0), (5, 5, 0)]:
            f = Fake()
            ns = types.SimpleNamespace
            f.model_config = ns(enforce_eager=False)
            f.compilation_config = ns(cudagraph_mode=CUDAGraphMode.FULL_AND_PIECEWISE,
                                      max_cudagraph_capture_size=None,
                                      cudagraph_capture_sizes=None,
                                      post_init_cudagraph_sizes=lambda: None)
            f.scheduler_config = ns(max_num_seqs=seqs, max_num_batched_tokens=tokens)
            f.speculative_config = ns(num_speculative_tokens=k,
                                      uses_dynamic_speculative_decoding=lambda: False) if k else None
            f.diffusion_config = None
            f.performance_mode = "balanced"
            cp.is_device_capability_family = lambda fam, *a, _c=cc, **kw: fam == _c
            VllmConfig._set_cudagraph_sizes(f)
            out.append({"compute_capability": cc, "max_num_seqs": seqs,
                        "max_num_batched_tokens": tokens, "num_speculative_tokens": k,
                        "sizes": f.compilation_config.cudagraph_capture_sizes})
    return out


def main():
    results = []
    for c in CASES:
        r = run_case(c)
        results.append({"case": c, "vllm": r})
    defaults, block_sizes = gpu_defaults()
    captures = capture_sizes()
    doc = {
        "generator": "tests/kv/gen_plan_goldens.py",
        "command": "/work/venv-vllm/bin/python tests/kv/gen_plan_goldens.py > "
                   "tests/kv/golden/plan_cases.json",
        "vllm_version": vllm.__version__,
        "torch_version": torch.__version__,
        "cases": results,
        "gpu_defaults": defaults,
        "backend_block_sizes": block_sizes,
        "cudagraph_capture_sizes": captures,
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
