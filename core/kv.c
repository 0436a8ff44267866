/*
 * core/kv.c: KV-cache geometry per rank, blocks over ranks, concurrency, and the check that
 * one request of max_model_len fits.
 *
 * vLLM's rules, and where they are:
 *  - page size (vllm/v1/kv_cache_interface.py): FullAttentionSpec.real_page_size_bytes =
 *    block_size x num_kv_heads x (head_size + head_size_v) x dtype size;
 *    MLAAttentionSpec = block_size x num_kv_heads x head_size x dtype size (one latent,
 *    no V), and block_size x 656 for the fp8_ds_mla cache dtype;
 *  - KV heads per rank (vllm/config/model.py get_num_kv_heads): max(1, total // tp), 1
 *    under MLA; the model must split evenly (QKVParallelLinear divides heads by tp, or tp
 *    by heads when it replicates them), and tp must divide the attention heads
 *    (ModelConfig.verify_with_parallel_config);
 *  - blocks (vllm/v1/core/kv_cache_utils.py get_num_blocks): available // page_size //
 *    num_layers, at least 0; get_kv_cache_configs then cuts every rank to the smallest;
 *  - concurrency (get_max_concurrency_for_kv_cache_config): num_blocks /
 *    cdiv(max_model_len, block_size);
 *  - check_enough_kv_cache_memory and estimate_max_model_len for mb_kv_spec_check.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int mul(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? MB_ERANGE : MB_OK;
}

static int cache_dtype_bytes(const char *name, int model_bytes, int *bytes)
{
    static const struct {
        const char *name;
        int bytes; /* 0: the model's */
    } table[] = {
        {"auto", 0},     {"float16", 2}, {"bfloat16", 2}, {"fp8", 1},        {"fp8_e4m3", 1},
        {"fp8_e5m2", 1}, {"fp8_inc", 1}, {"fp8_ds_mla", 1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            *bytes = table[i].bytes ? table[i].bytes : model_bytes;
            return MB_OK;
        }
    /* the rest of vLLM 0.33's CacheDType (vllm/config/cache.py): packed formats whose pages
     * their backends lay out (customize_spec); not modelled */
    static const char *const packed[] = {
        "nvfp4_ds_mla",        "turboquant_k8v4",     "turboquant_4bit_nc",
        "turboquant_k3v4_nc",  "turboquant_3bit_nc",  "octave_k3v4",
        "octave_k3v3",         "octave_k3v3_compact", "ultraquant_4bit",
        "int4_per_token_head", "int8_per_token_head", "fp8_per_token_head",
        "nvfp4",               "nvfp4_4over6"};
    for (size_t i = 0; i < sizeof packed / sizeof packed[0]; i++)
        if (strcmp(name, packed[i]) == 0)
            return mb__error(MB_ENOTSUP, "kv_cache_dtype %s is one of vLLM's packed cache "
                                         "formats, whose page size its backend decides; "
                                         "membudget does not model it yet (it plans auto, "
                                         "float16, bfloat16, fp8, fp8_e4m3, fp8_e5m2, "
                                         "fp8_inc, fp8_ds_mla)", name);
    return mb__error(MB_EINVAL, "kv_cache_dtype %s is not one of vLLM's cache dtypes: auto, "
                                "float16, bfloat16, fp8, fp8_e4m3, fp8_e5m2, fp8_inc, "
                                "fp8_ds_mla (and the packed nvfp4, turboquant_*, octave_*, "
                                "*_per_token_head formats, not modelled)", name);
}

int mb__kv_spec_init(mb_kv_spec *out, const mb_model *m, int block_size, int tp,
                     const char *kv_cache_dtype)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_kv_spec_init: out is NULL");
    memset(out, 0, sizeof *out);
    if (!m)
        return mb__error(MB_EINVAL, "mb_kv_spec_init: m is NULL");
    if (m->num_layers < 1 || m->num_attention_heads < 1 || m->num_kv_heads < 1 ||
        m->head_size < 1 || m->head_size_v < 0 || m->dtype_bytes < 1)
        return mb__error(MB_EINVAL, "mb_kv_spec_init: the model has %d layers, %d attention "
                                    "heads, %d KV heads, head size %d/%d and %d-byte dtype; "
                                    "fill it with mb_model_parse or mb_model_load",
                         m->num_layers, m->num_attention_heads, m->num_kv_heads, m->head_size,
                         m->head_size_v, m->dtype_bytes);
    /* vLLM 0.33's CacheConfig.block_size is any int > 0 (vllm/config/cache.py: Field(gt=0));
     * which sizes run is the attention backend's to say (the plan asks it: attn_backend.c) */
    if (block_size < 1 || block_size > (1 << 20))
        return mb__error(MB_EINVAL, "block_size %d: give the tokens per KV-cache block, 1 or "
                                    "more (vLLM's default is 16 on GPUs; the attention backend "
                                    "decides which sizes run)", block_size);
    if (tp < 1 || tp > 1024)
        return mb__error(MB_EINVAL, "tensor_parallel_size %d: give the number of devices "
                                    "the model is split over (1 to 1024)", tp);
    if (m->num_attention_heads % tp != 0)
        return mb__error(MB_EINVAL, "tensor_parallel_size %d does not divide the model's %d "
                                    "attention heads, as vLLM requires; use a divisor of %d",
                         tp, m->num_attention_heads, m->num_attention_heads);
    int heads;
    if (m->is_mla) {
        heads = 1; /* the latent is replicated on every rank */
    } else if (tp <= m->num_kv_heads) {
        if (m->num_kv_heads % tp != 0)
            return mb__error(MB_EINVAL, "tensor_parallel_size %d does not divide the "
                                        "model's %d KV heads evenly; use a divisor of %d",
                             tp, m->num_kv_heads, m->num_kv_heads);
        heads = m->num_kv_heads / tp;
    } else {
        if (tp % m->num_kv_heads != 0)
            return mb__error(MB_EINVAL, "tensor_parallel_size %d is more than the model's %d "
                                        "KV heads but not a multiple of them, so vLLM cannot "
                                        "replicate them evenly", tp, m->num_kv_heads);
        heads = 1; /* replicated: tp / kv_heads ranks hold each head */
    }
    const char *cd = kv_cache_dtype && *kv_cache_dtype ? kv_cache_dtype : "auto";
    if (strcmp(cd, "auto") == 0 && m->checkpoint_kv_cache_dtype[0])
        cd = m->checkpoint_kv_cache_dtype; /* resolve_kv_cache_dtype_string: the checkpoint's */
    int bytes = 0;
    int rc = cache_dtype_bytes(cd, m->dtype_bytes, &bytes);
    if (rc)
        return rc;
    int ds_mla = strcmp(cd, "fp8_ds_mla") == 0;
    if (ds_mla && !m->is_mla)
        return mb__error(MB_EINVAL, "kv_cache_dtype fp8_ds_mla is only for MLA models "
                                    "(DeepSeek-V3.2 style); this model has %d KV heads",
                         m->num_kv_heads);
    mb_kv_spec s;
    memset(&s, 0, sizeof s);
    s.block_size = block_size;
    s.tensor_parallel_size = tp;
    /* only the layers with an attention cache (vLLM builds no spec for the others; a state
     * layer's page is kv_hybrid.c's) */
    s.num_layers = 0;
    for (int i = 0; i < m->num_layers; i++)
        s.num_layers += m->layer_kind[i] == MB_LAYER_ATTENTION ||
                        m->layer_kind[i] == MB_LAYER_CHUNKED;
    s.num_kv_heads = heads;
    s.head_size = m->head_size;
    s.head_size_v = m->is_mla ? 0 : m->head_size_v;
    s.dtype_bytes = bytes;
    snprintf(s.cache_dtype, sizeof s.cache_dtype, "%s", cd);
    int64_t page;
    if (ds_mla) {
        page = (int64_t)block_size * 656; /* flashmla_sparse's fixed 656-byte entry */
    } else if ((rc = mul((int64_t)block_size * heads, (int64_t)(s.head_size + s.head_size_v),
                         &page)) ||
               (rc = mul(page, bytes, &page))) {
        return mb__error(MB_ERANGE, "the model's KV page size overflows 64 bits; check "
                                    "head_dim and the head counts in its config");
    }
    if ((rc = mul(page, s.num_layers, &s.block_bytes)))
        return mb__error(MB_ERANGE, "the model's KV block size overflows 64 bits; check "
                                    "num_hidden_layers in its config");
    s.page_bytes = page;
    s.bytes_per_token = s.block_bytes / block_size;
    *out = s;
    return MB_OK;
}

static int spec_ok(const mb_kv_spec *s, const char *fn)
{
    if (!s || s->block_size < 1 || s->page_bytes < 1 || s->num_layers < 1 ||
        s->block_bytes != s->page_bytes * s->num_layers)
        return mb__error(MB_EINVAL, "%s: the spec is not initialised; fill it with "
                                    "mb_kv_spec_init", fn);
    return MB_OK;
}

MB__API(mb_kv_spec_num_blocks, (const mb_kv_spec *s, const int64_t *available, int nranks,
                          int64_t *num_blocks, int *min_rank),
        (s, available, nranks, num_blocks, min_rank))
{
    if (num_blocks)
        *num_blocks = 0;
    if (min_rank)
        *min_rank = 0;
    int rc = spec_ok(s, "mb_kv_spec_num_blocks");
    if (rc)
        return rc;
    if (!num_blocks || !available || nranks < 1)
        return mb__error(MB_EINVAL, "mb_kv_spec_num_blocks: give num_blocks and one available "
                                    "figure per rank (nranks=%d)", nranks);
    int64_t best = INT64_MAX;
    int at = 0;
    for (int r = 0; r < nranks; r++) {
        if (available[r] == MB_UNKNOWN || available[r] == MB_UNLIMITED)
            return mb__error(MB_EINVAL, "mb_kv_spec_num_blocks: rank %d's available memory is %s",
                             r, available[r] == MB_UNKNOWN ? "unknown" : "unlimited");
        /* Python's // floors; a negative figure gives no blocks (max(num_blocks, 0)) */
        int64_t b = available[r] > 0 ? available[r] / s->page_bytes / s->num_layers : 0;
        if (b < best) {
            best = b;
            at = r;
        }
    }
    *num_blocks = best;
    if (min_rank)
        *min_rank = at;
    return MB_OK;
}

static int64_t cdiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

MB__API(mb_kv_spec_max_concurrency, (const mb_kv_spec *s, int64_t num_blocks, int64_t max_model_len,
                               double *out), (s, num_blocks, max_model_len, out))
{
    if (out)
        *out = 0;
    int rc = spec_ok(s, "mb_kv_spec_max_concurrency");
    if (rc)
        return rc;
    if (!out || num_blocks < 0 || max_model_len < 1)
        return mb__error(MB_EINVAL, "mb_kv_spec_max_concurrency: num_blocks=%lld, "
                                    "max_model_len=%lld; both must be positive",
                         (long long)num_blocks, (long long)max_model_len);
    *out = (double)num_blocks / (double)cdiv(max_model_len, s->block_size);
    return MB_OK;
}

MB__API(mb_kv_spec_check, (const mb_kv_spec *s, int64_t available, int64_t max_model_len),
        (s, available, max_model_len))
{
    int rc = spec_ok(s, "mb_kv_spec_check");
    if (rc)
        return rc;
    if (max_model_len < 1)
        return mb__error(MB_EINVAL, "max_model_len=%lld: give the longest request in tokens "
                                    "(at least 1)", (long long)max_model_len);
    char a[32], n[32];
    if (available <= 0)
        return mb__error(MB_ENOFIT, "no memory is available for the KV cache blocks "
                                    "(available %s GiB); increase gpu_memory_utilization, "
                                    "or free memory", mb__gib(available, a, sizeof a));
    int64_t blocks = cdiv(max_model_len, s->block_size), need;
    if (mul(blocks, s->block_bytes, &need) != MB_OK || need > available) {
        int64_t longest = available / s->block_bytes * s->block_size;
        char tail[160] = "";
        if (longest > 0)
            snprintf(tail, sizeof tail, "; the longest max_model_len that fits is %lld",
                     (long long)longest);
        else
            snprintf(tail, sizeof tail, "; not even one block of %s GiB fits",
                     mb__gib(s->block_bytes, n, sizeof n));
        return mb__error(MB_ENOFIT, "max_model_len=%lld needs %s GiB of KV cache for one "
                                    "request, more than the %s GiB available%s; decrease "
                                    "max_model_len, or increase gpu_memory_utilization",
                         (long long)max_model_len,
                         need > 0 ? mb__gib(need, n, sizeof n) : "more than 8 EiB",
                         mb__gib(available, a, sizeof a), tail);
    }
    return MB_OK;
}
