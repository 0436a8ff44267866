/*
 * core/kv_hybrid.c: the layer specs vLLM 0.33.0 builds before it groups them (kv_groups.h):
 * the attention page, the Mamba / linear-attention state of hybrid models and the
 * block-size alignment that makes the two pages equal.
 *
 * Rules, with vLLM's file and function for each:
 *  - a state layer's page (MambaSpec.page_size_bytes, vllm/v1/kv_cache_interface.py) is the
 *    sum over its state tensors of their elements times their dtype's bytes; the shapes are
 *    MambaStateShapeCalculator's (vllm/model_executor/layers/mamba/mamba_utils.py), per rank:
 *      Mamba-1 (mamba1_state_shape): conv (d_conv - 1) x I/tp, ssm I/tp x d_state;
 *      Mamba-2 (mamba2_state_shape): groups g = n_groups, or tp when n_groups does not
 *        divide tp's shards (extra_groups_for_head_shards), conv (d_conv - 1 + k) x
 *        (I + 2 g d_state)/tp, ssm heads/tp x head_dim x d_state;
 *      Gated DeltaNet (gated_delta_net_state_shape): conv (d_conv - 1 + k) x
 *        (2 key_heads key_dim + value_heads value_dim)/tp, ssm value_heads/tp x value_dim x
 *        key_dim;
 *    with k speculative tokens; the conv state in the model's dtype and the SSM state in
 *    mamba_ssm_cache_dtype, which is the model's unless the config says (Nemotron-H:
 *    float32, NemotronHForCausalLMConfig, vllm/model_executor/models/config.py)
 *    (MambaStateDtypeCalculator._mamba_state_dtype);
 *  - the cache mode (MambaModelConfig.verify_and_update_config, models/config.py): prefix
 *    caching, on by default for generative hybrids (ModelConfig.is_prefix_caching_supported),
 *    makes it align with mamba_block_size = block_size; without it, none with
 *    mamba_block_size = max_model_len;
 *  - blocks one request holds in a state group (MambaSpec.max_memory_usage_bytes): none
 *    1 + k, align 2 + k + num_prefill_checkpoint_blocks; that is 1 for Mamba-2 layers
 *    (MambaMixer2.get_kv_cache_spec), 1 for Gated DeltaNet when its prefill runs on
 *    FlashInfer in align mode (GatedDeltaNetAttention.get_kv_cache_spec: sm_90, or sm_100 /
 *    sm_120 with 128-wide key heads, _resolve_gdn_prefill_backend, with CUDA 13), else 0;
 *  - the attention block size (Platform._align_hybrid_block_size, vllm/platforms/
 *    interface.py): alignment a = max(the backend's smallest kernel block, block_size)
 *    (FlashAttention's MultipleOf(16)), in align mode lcm(a, the state layers' prefill
 *    checkpoint alignment: 64 for GDN on FlashInfer, FLASHINFER_GDN_CHECKPOINT_ALIGNMENT);
 *    block = a x cdiv(state page, a x attention page of one token), rounded up to 16, and
 *    block_size is raised to it when smaller; the state page is padded to the attention
 *    page (mamba_page_size_padded), so every page is equal and vLLM's grouping sees one
 *    page size;
 *  - chunked local attention (Llama 4) keeps the attention page (ChunkedLocalAttentionSpec).
 * Pure arithmetic: no heap, no state.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "kv_groups.h"

static int64_t cdiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

static int64_t gcd(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int64_t lcm(int64_t a, int64_t b) { return a / gcd(a, b) * b; }

/* vllm.distributed.divide: a / tp, refused unless exact. */
static int divide(int64_t a, int tp, const char *what, int64_t *out)
{
    if (a % tp != 0)
        return mb__error(MB_EINVAL, "tensor_parallel_size %d does not divide the model's "
                                    "%s (%lld), as vLLM requires; use a divisor of it", tp,
                         what, (long long)a);
    *out = a / tp;
    return MB_OK;
}

/* One state layer's bytes per rank (MambaSpec.state_content_size_bytes). */
static int state_bytes(const mb_model *m, int tp, int k, int64_t *out)
{
    int64_t conv_b = m->dtype_bytes;
    int64_t ssm_b = m->mamba_ssm_dtype_bytes > 0 ? m->mamba_ssm_dtype_bytes : conv_b;
    int64_t conv_dim = 0, heads = 0;
    int rc = MB_OK;
    int64_t len = m->mamba_conv_kernel - 1;
    switch (m->mamba_kind) {
    case MB_MAMBA_1:
        if ((rc = divide(m->mamba_intermediate_size, tp, "Mamba inner size (mamba_expand x "
                                                         "hidden_size)", &conv_dim)))
            return rc;
        *out = len * conv_dim * conv_b + conv_dim * m->mamba_state_size * ssm_b;
        return MB_OK;
    case MB_MAMBA_2: {
        int64_t g = m->mamba_n_groups;
        if (g % tp != 0)
            g += tp - g; /* extra_groups_for_head_shards */
        if ((rc = divide(m->mamba_intermediate_size + 2 * g * m->mamba_state_size, tp,
                         "Mamba-2 conv width", &conv_dim)) ||
            (rc = divide(m->mamba_num_heads, tp, "Mamba-2 heads", &heads)))
            return rc;
        *out = (len + k) * conv_dim * conv_b +
               heads * m->mamba_head_dim * m->mamba_state_size * ssm_b;
        return MB_OK;
    }
    case MB_MAMBA_GDN:
        if ((rc = divide((int64_t)m->mamba_head_k_dim * m->mamba_num_k_heads * 2 +
                             (int64_t)m->mamba_head_dim * m->mamba_num_heads,
                         tp, "linear-attention conv width", &conv_dim)) ||
            (rc = divide(m->mamba_num_heads, tp, "linear_num_value_heads", &heads)))
            return rc;
        *out = (len + k) * conv_dim * conv_b +
               heads * m->mamba_head_dim * m->mamba_head_k_dim * ssm_b;
        return MB_OK;
    }
    return mb__error(MB_EINVAL, "%s: state layers of an unknown kind %d", m->model_type,
                     (int)m->mamba_kind);
}

/* _resolve_gdn_prefill_backend on CUDA: FlashInfer on sm_90, and on sm_100 / sm_120 with
 * 128-wide key heads (CUDA 13 taken); Triton otherwise (and when the GPU is unknown). */
static int gdn_flashinfer(const mb_model *m, int cc)
{
    if (cc == 90)
        return 1;
    return (cc / 10 == 10 || cc / 10 == 12) && m->mamba_head_k_dim == 128;
}

/* DeciLM's per-layer KV heads (mb_model.layer_kv_heads): each layer's page per rank, its
 * heads split or replicated over tp as LlamaAttention does it for that layer's own count
 * (total >= tp: total / tp, divisible; else one, tp a multiple of total). per_layer_pages
 * stays 0 when every caching layer's page is the same (vLLM then has one FullAttentionSpec). */
static int layer_pages(const mb_model *m, int tp, const mb_kv_spec *spec, mb__kv_prep *out)
{
    int any = 0;
    for (int i = 0; i < m->num_layers; i++)
        any |= m->layer_kv_heads[i] != 0;
    if (!any)
        return MB_OK;
    int64_t per_head = spec->page_bytes / spec->num_kv_heads; /* one head of one layer */
    int64_t first = 0;
    int differ = 0;
    for (int i = 0; i < m->num_layers; i++) {
        out->layer_page_bytes[i] = 0;
        if (m->layer_kind[i] != MB_LAYER_ATTENTION)
            continue;
        int total = m->layer_kv_heads[i] ? m->layer_kv_heads[i] : m->num_kv_heads, heads;
        if (total >= tp) {
            if (total % tp != 0)
                return mb__error(MB_EINVAL, "tensor_parallel_size %d does not divide layer "
                                            "%d's %d KV heads (num_attention_heads // "
                                            "n_heads_in_group), as vLLM requires; use a "
                                            "divisor of %d", tp, i, total, total);
            heads = total / tp;
        } else {
            if (tp % total != 0)
                return mb__error(MB_EINVAL, "tensor_parallel_size %d is more than layer %d's "
                                            "%d KV heads but not a multiple of them, so vLLM "
                                            "cannot replicate them evenly", tp, i, total);
            heads = 1;
        }
        out->layer_page_bytes[i] = per_head * heads;
        if (!first)
            first = out->layer_page_bytes[i];
        differ |= out->layer_page_bytes[i] != first;
    }
    out->per_layer_pages = differ;
    return MB_OK;
}

int mb__kv_prepare(const mb_model *m, const mb__kv_prep_in *pi, mb_kv_spec *spec,
                   mb__kv_plan_in *in, mb__kv_prep *out)
{
    memset(out, 0, sizeof *out);
    int rc = mb__kv_spec_init(spec, m, pi->block_size, pi->tensor_parallel_size,
                              pi->kv_cache_dtype);
    if (rc)
        return rc;
    out->requested_block_size = spec->block_size;
    int attn_layers = 0;
    for (int i = 0; i < m->num_layers; i++)
        attn_layers += m->layer_kind[i] == MB_LAYER_ATTENTION ||
                       m->layer_kind[i] == MB_LAYER_CHUNKED;
    int64_t page1 = spec->page_bytes / spec->block_size; /* one token of one layer */
    int bs = spec->block_size;
    int k = pi->num_speculative_tokens;
    in->mamba_blocks = 0;
    in->mamba_block_size = 0;
    if (m->num_state_layers > 0) {
        if (pi->is_cpu)
            return mb__error(MB_ENOTSUP, "%s: a hybrid Mamba / linear-attention model on a CPU "
                                         "device: vLLM's CPU platform aligns its blocks its "
                                         "own way, which membudget does not model",
                             m->model_type);
        if (m->is_mla)
            return mb__error(MB_ENOTSUP, "%s: MLA next to state layers is not modelled",
                             m->model_type);
        if ((rc = state_bytes(m, pi->tensor_parallel_size, k, &out->mamba_state_bytes)))
            return rc;
        out->align_mode = pi->prefix_caching != 0;
        out->gdn_flashinfer = m->mamba_kind == MB_MAMBA_GDN &&
                              gdn_flashinfer(m, pi->compute_capability);
        int ckpt_align = 1;
        if (m->mamba_kind == MB_MAMBA_2)
            out->mamba_checkpoint_blocks = 1;
        else if (out->gdn_flashinfer && out->align_mode) {
            out->mamba_checkpoint_blocks = 1;
            ckpt_align = 64; /* FLASHINFER_GDN_CHECKPOINT_ALIGNMENT */
        }
        int64_t a = bs > 16 ? bs : 16; /* FlashAttention's MultipleOf(16) */
        if (out->align_mode)
            a = lcm(a, ckpt_align);
        int64_t want = a * cdiv(out->mamba_state_bytes, a * page1);
        want = 16 * cdiv(want, 16);
        if (want > (1 << 24))
            return mb__error(MB_ERANGE, "%s: the state page (%lld bytes) would need an "
                                        "attention block of %lld tokens",
                             m->model_type, (long long)out->mamba_state_bytes,
                             (long long)want);
        if (bs < want)
            bs = (int)want;
        out->mamba_page_bytes = (int64_t)bs * page1;
        in->mamba_blocks = out->align_mode ? 2 + k + out->mamba_checkpoint_blocks : 1 + k;
        in->mamba_block_size = out->align_mode ? bs : (int)pi->max_model_len;
        snprintf(out->rule, sizeof out->rule,
                 "state layers of %lld bytes per rank (mamba_cache_mode %s%s): the attention "
                 "block is "
                 "raised from %d to %d tokens so its page (%lld bytes) holds one state, "
                 "aligned to %lld tokens (Platform._align_hybrid_block_size)",
                 (long long)out->mamba_state_bytes,
                 out->align_mode ? "align: prefix caching" : "none: no prefix caching",
                 m->mamba_kind != MB_MAMBA_GDN ? ""
                 : out->gdn_flashinfer        ? "; GDN prefill on FlashInfer"
                 : pi->compute_capability     ? "; GDN prefill on Triton"
                                              : "; GDN prefill taken as Triton: give "
                                                "compute_capability",
                 out->requested_block_size, bs, (long long)out->mamba_page_bytes, (long long)a);
    }
    spec->block_size = bs;
    spec->page_bytes = (int64_t)bs * page1;
    spec->num_layers = attn_layers;
    spec->block_bytes = spec->page_bytes * attn_layers;
    in->layer_page_bytes = NULL;
    if ((rc = layer_pages(m, pi->tensor_parallel_size, spec, out)))
        return rc;
    if (out->per_layer_pages) {
        spec->block_bytes = 0;
        for (int i = 0; i < m->num_layers; i++)
            spec->block_bytes += out->layer_page_bytes[i];
        in->layer_page_bytes = out->layer_page_bytes;
    }
    spec->bytes_per_token = spec->block_bytes / bs;

    in->num_layers = m->num_layers;
    in->sliding = m->layer_sliding;
    in->is_mla = m->is_mla;
    in->sliding_window = m->sliding_window;
    in->page_bytes = spec->page_bytes;
    in->block_size = bs;
    in->layer_kind = m->layer_kind;
    in->chunk_size = m->attention_chunk_size;
    return MB_OK;
}
