"""The layer specs of hybrid Mamba / linear-attention models and of Llama 4's chunked local
attention, built with vLLM 0.33.0's own code, for tests/kv/gen_plan_goldens.py.

What comes from vLLM itself:
  - the state shapes and dtypes: each model class's get_mamba_state_shape_from_config and
    get_mamba_state_dtype_from_config (vllm/model_executor/models/{qwen3_next,jamba,
    granitemoehybrid,nemotron_h}.py, through MambaStateShapeCalculator and
    MambaStateDtypeCalculator of vllm/model_executor/layers/mamba/mamba_utils.py), Nemotron-H's
    float32 SSM default (NemotronHForCausalLMConfig.update_mamba_ssm_cache_dtype,
    vllm/model_executor/models/config.py);
  - the cache mode: MambaModelConfig.verify_and_update_config (align when prefix caching is
    on, mamba_block_size = block_size; none and max_model_len when it is off);
  - GDN's prefill backend: _resolve_gdn_prefill_backend (vllm/model_executor/layers/mamba/gdn/
    qwen_gdn_linear_attn.py) with the platform's device queries answered for the case's GPU;
  - the block-size alignment and Mamba page padding: Platform._align_hybrid_block_size
    (vllm/platforms/interface.py) run on a stand-in config;
  - the specs: MambaSpec and ChunkedLocalAttentionSpec (vllm/v1/kv_cache_interface.py), with
    the fields MambaBase.get_kv_cache_spec and the Mamba2 / GDN layers' get_kv_cache_spec give
    them (vllm/model_executor/layers/mamba/abstract.py, mamba_mixer2.py, gdn/
    qwen_gdn_linear_attn.py).

What is reproduced, because it needs a built model or a GPU (membudget does the same in C):
  - which layers are what: transformers' config classes (Qwen3NextConfig.layer_types,
    JambaConfig.layers_block_type, Llama4TextConfig.no_rope_layers) and the model code's
    reading of them (Nemotron-H's hybrid_override_pattern: M Mamba-2, * attention, - and E no
    KV cache; Granite 4's layer_types; Llama 4: a RoPE layer with attention_chunk_size is
    ChunkedLocalAttention, vllm/model_executor/models/llama4.py);
  - the attention backend: FlashAttention (its get_supported_kernel_block_sizes, MultipleOf(16)
    without a GPU config); _find_non_ssm_backends, set_current_vllm_config and
    ModelRegistry.resolve_model_cls are stubbed to that backend and the model class;
  - get_mamba_prefill_checkpoint_alignment (it walks the built layers): GDN with FlashInfer in
    align mode declares FLASHINFER_GDN_CHECKPOINT_ALIGNMENT, Mamba-1/Mamba-2 layers declare
    none;
  - the CUDA runtime is taken to be 13 (torch 2.14's CUDA wheels) where GDN's backend asks.
"""
import contextlib
import types
from dataclasses import replace

import torch

ns = types.SimpleNamespace
HYBRID_TYPES = ("qwen3_next", "jamba", "granitemoehybrid", "nemotron_h")


def model_class(mt):
    if mt == "qwen3_next":
        from vllm.model_executor.models.qwen3_next import Qwen3NextForCausalLM as c
    elif mt == "jamba":
        from vllm.model_executor.models.jamba import JambaForCausalLM as c
    elif mt == "granitemoehybrid":
        from vllm.model_executor.models.granitemoehybrid import GraniteMoeHybridForCausalLM as c
    else:
        from vllm.model_executor.models.nemotron_h import NemotronHForCausalLM as c
    return c


def layer_kinds(t):
    """Per layer: 'full', 'mamba', ('chunked', size) or None (no KV cache)."""
    import transformers

    mt = t.get("model_type", "")
    keys = {k: v for k, v in t.items() if not k.startswith("_")}
    if mt == "qwen3_next":
        lt = t.get("layer_types") or transformers.Qwen3NextConfig(**keys).layer_types
        return ["full" if x == "full_attention" else "mamba" for x in lt]
    if mt == "jamba":
        lt = transformers.JambaConfig(**keys).layers_block_type
        return ["full" if x == "attention" else "mamba" for x in lt]
    if mt == "granitemoehybrid":
        return ["full" if x == "attention" else "mamba" for x in t["layer_types"]]
    if mt == "nemotron_h":
        return [{"M": "mamba", "*": "full"}.get(ch) for ch in t["hybrid_override_pattern"]]
    if mt == "llama4_text" and t.get("attention_chunk_size"):
        nope = transformers.Llama4TextConfig(**keys).no_rope_layers
        return [("chunked", t["attention_chunk_size"]) if r else "full" for r in nope]
    return None


@contextlib.contextmanager
def patched_platform(cc):
    """The CUDA platform's device queries answered for compute capability cc (90: sm_90)."""
    from vllm.platforms import current_platform as cp

    saved = {k: getattr(cp, k, None) for k in
             ("is_cuda", "is_rocm", "is_xpu", "is_cpu", "is_device_capability",
              "is_device_capability_family", "get_cuda_runtime_major")}
    cp.is_cuda = lambda *a, **k: True
    cp.is_rocm = lambda *a, **k: False
    cp.is_xpu = lambda *a, **k: False
    cp.is_cpu = lambda *a, **k: False
    cp.is_device_capability = lambda cap, *a, **k: cap == cc
    cp.is_device_capability_family = lambda fam, *a, **k: fam == cc // 10 * 10
    cp.get_cuda_runtime_major = lambda *a, **k: 13
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(cp, k, v)


def hybrid_specs(cfg, c, t, kinds, model_dtype, kv_dtype, cache_dtype, quant, max_model_len):
    """The per-layer specs of a hybrid model (None for layers without a cache), and facts
    about them for the golden file."""
    import vllm.config.vllm as vcfg
    import vllm.model_executor.layers.mamba.abstract as mabs
    from vllm.model_executor.layers.mamba.gdn.qwen_gdn_linear_attn import (
        _resolve_gdn_prefill_backend,
    )
    from vllm.model_executor.models import ModelRegistry
    from vllm.model_executor.models.config import (
        MambaModelConfig,
        NemotronHForCausalLMConfig,
    )
    from vllm.platforms.interface import Platform
    from vllm.v1.attention.backends.flash_attn import FlashAttentionBackend
    from vllm.v1.attention.backends.gdn_attn import FLASHINFER_GDN_CHECKPOINT_ALIGNMENT
    from vllm.v1.kv_cache_interface import FullAttentionSpec, MambaSpec

    mt = t["model_type"]
    cls = model_class(mt)
    tp = c["tp"]
    k = c.get("num_speculative_tokens", 0)
    hf = ns(**{kk: v for kk, v in t.items() if not kk.startswith("_")})
    heads = t["num_attention_heads"]
    kv_total = t.get("num_key_value_heads") or heads
    head = t.get("head_dim") or t["hidden_size"] // heads
    per_rank = max(1, kv_total // tp)
    cache_config = ns(
        cache_dtype=cache_dtype, block_size=c["block_size"], mamba_page_size_padded=None,
        kv_cache_dtype_skip_layers=[], mamba_cache_mode="none", mamba_block_size=None,
        enable_prefix_caching=c.get("prefix_caching", True), mamba_cache_dtype="auto",
        mamba_ssm_cache_dtype="auto", use_replayssm=False, user_specified_block_size=True,
        prefix_match_unit=None)
    model_config = ns(
        dtype=model_dtype, hf_config=hf, hf_text_config=hf, use_mla=False,
        architecture=cfg["architectures"][0], max_model_len=max_model_len, is_hybrid=True,
        get_num_kv_heads=lambda pc: per_rank, get_head_size=lambda: head)
    vc = ns(model_config=model_config, cache_config=cache_config,
            parallel_config=ns(tensor_parallel_size=tp),
            scheduler_config=ns(enable_chunked_prefill=True),
            speculative_config=ns(num_speculative_tokens=k) if k else None,
            num_speculative_tokens=k, additional_config={})
    if mt == "nemotron_h":
        NemotronHForCausalLMConfig.update_mamba_ssm_cache_dtype(cache_config=cache_config,
                                                                hf_config=hf)
    MambaModelConfig.verify_and_update_config(vc)  # align mode and mamba_block_size
    shapes = cls.get_mamba_state_shape_from_config(vc)
    dtypes = cls.get_mamba_state_dtype_from_config(vc)
    kind = {"qwen3_next": "gdn", "jamba": "mamba1"}.get(mt, "mamba2")
    gdn_backend = None
    align = None
    if kind == "gdn":
        with patched_platform(c.get("cc", 90)):
            gdn_backend = _resolve_gdn_prefill_backend(vc)[1]
        if cache_config.mamba_cache_mode == "align" and gdn_backend == "flashinfer":
            align = FLASHINFER_GDN_CHECKPOINT_ALIGNMENT

    saved = (Platform._find_non_ssm_backends, vcfg.set_current_vllm_config,
             mabs.get_mamba_prefill_checkpoint_alignment, ModelRegistry.resolve_model_cls)
    Platform._find_non_ssm_backends = classmethod(lambda cls_, v: [FlashAttentionBackend])
    vcfg.set_current_vllm_config = lambda v: contextlib.nullcontext()
    mabs.get_mamba_prefill_checkpoint_alignment = lambda v: align
    ModelRegistry.resolve_model_cls = lambda arch, model_config=None: (cls, arch)
    try:
        Platform._align_hybrid_block_size(vc, FlashAttentionBackend)
    finally:
        (Platform._find_non_ssm_backends, vcfg.set_current_vllm_config,
         mabs.get_mamba_prefill_checkpoint_alignment, ModelRegistry.resolve_model_cls) = saved

    mamba = MambaSpec(shapes=tuple(shapes), dtypes=tuple(dtypes),
                      block_size=cache_config.mamba_block_size,
                      page_size_padded=cache_config.mamba_page_size_padded,
                      mamba_cache_mode=cache_config.mamba_cache_mode,
                      num_speculative_blocks=k)
    if kind == "mamba2":  # MambaMixer2.get_kv_cache_spec
        mamba = replace(mamba, num_prefill_checkpoint_blocks=1, prefill_checkpoint_alignment=1)
    elif kind == "gdn" and align is not None:  # GatedDeltaNetAttention.get_kv_cache_spec
        mamba = replace(mamba, num_prefill_checkpoint_blocks=1,
                        prefill_checkpoint_alignment=cache_config.mamba_block_size)
    attn = FullAttentionSpec(block_size=cache_config.block_size, num_kv_heads=per_rank,
                             head_size=head, head_size_v=head, dtype=kv_dtype,
                             kv_quant_mode=quant)
    specs = [None if x is None else attn if x == "full" else mamba for x in kinds]
    facts = {
        "mamba_kind": kind,
        "mamba_cache_mode": cache_config.mamba_cache_mode,
        "mamba_state_shapes": [list(s) for s in shapes],
        "mamba_state_dtypes": [str(d).replace("torch.", "") for d in dtypes],
        "mamba_state_bytes": mamba.state_content_size_bytes,
        "mamba_page_bytes": mamba.page_size_bytes,
        "mamba_block_size": cache_config.mamba_block_size,
        "gdn_prefill_backend": gdn_backend,
    }
    return specs, facts


def chunked_specs(kinds, bs, per_rank, head, kv_dtype, quant):
    from vllm.v1.kv_cache_interface import ChunkedLocalAttentionSpec, FullAttentionSpec

    out = []
    for x in kinds:
        if x == "full":
            out.append(FullAttentionSpec(block_size=bs, num_kv_heads=per_rank, head_size=head,
                                         head_size_v=head, dtype=kv_dtype, kv_quant_mode=quant))
        else:  # ChunkedLocalAttention.get_kv_cache_spec
            out.append(ChunkedLocalAttentionSpec(block_size=bs, num_kv_heads=per_rank,
                                                 head_size=head, dtype=kv_dtype,
                                                 kv_quant_mode=quant,
                                                 attention_chunk_size=x[1]))
    return out


__all__ = ["HYBRID_TYPES", "layer_kinds", "hybrid_specs", "chunked_specs", "torch"]
