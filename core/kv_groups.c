/*
 * core/kv_groups.c: vLLM 0.33.0's KV-cache grouping and page arithmetic (kv_groups.h).
 *
 * Each step names its source in vllm/v1/core/kv_cache_planning.py unless noted:
 *  - groups (get_kv_cache_groups): one group when every layer's spec is equal
 *    (_get_kv_cache_groups_uniform_spec); otherwise the layers are bucketed by spec in
 *    order of first appearance, the group size is the smallest bucket (the largest when
 *    it is under 1.5 times the smallest), and each bucket splits into cdiv(n, size)
 *    groups taking layers[i::groups] (_get_kv_cache_groups_uniform_page_size). The specs
 *    are full (or MLA), sliding-window, chunked local and Mamba; a layer without a cache
 *    (MLP-only, shared KV, DeciLM's no_op, an encoder's) has no spec and is in no group;
 *    with no spec at all get_kv_cache_groups returns no group (is_kv_cache_type_attention_free)
 *    and get_kv_cache_config_from_groups gives the one null block. Layers of one kind
 *    whose pages differ (DeciLM's per-layer KV heads) are not one spec but one
 *    UniformTypeKVCacheSpecs (kv_cache_interface.py): one group of them all
 *    (_get_kv_cache_groups_uniform_type), whose page is the sum of its layers' pages;
 *    unequal pages among several kinds (unify_kv_cache_spec_page_size) are refused as not
 *    modelled. Otherwise pages are equal (a Mamba page is padded to the attention page by
 *    kv_hybrid.c), so the packed (block-outermost) path does not apply: vLLM resolves the
 *    layout to LBNHC, the first of _DEFAULT_LAYOUT_PREFERENCE (vllm/v1/attention/backends/
 *    utils.py);
 *  - pipeline stages own layers by get_pp_indices (vllm/distributed/utils.py) and see the
 *    global groups projected onto their layers (_project_kv_cache_groups_to_worker);
 *  - bytes per block (_get_kv_cache_bytes_per_block, layer-outer layout): the largest
 *    group's page sum on that stage (a UniformTypeKVCacheSpecs group's own layers' pages
 *    there: _project_kv_cache_groups_to_worker);
 *  - blocks per request per group (max_memory_usage_bytes / page, vllm/v1/
 *    kv_cache_interface.py): full and MLA cdiv(max_model_len, block_size); sliding
 *    cdiv(min(window - 1 + max_in_flight, max_model_len), block_size) + 1
 *    (SlidingWindowSpec.max_admission_blocks_per_request); chunked and Mamba in
 *    group_blocks below;
 *  - get_kv_cache_configs: num_gpu_blocks_override replaces the memory by override x bytes
 *    per block; the null block is held back (check memory = memory - bytes per block);
 *    auto-fit binary-searches 1 .. max_model_len per stage (_estimate_max_model_len_from_
 *    groups) and takes the smallest; _check_enough_kv_cache_memory refuses with vLLM's own
 *    text; every stage gets memory // bytes per block blocks and all are cut to the
 *    smallest;
 *  - capacity (get_kv_cache_capacity, kv_cache_utils.py): concurrency = blocks / the
 *    first stage's blocks per request summed over groups, tokens = int(concurrency x
 *    max_model_len).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "kv_groups.h"

static int64_t cdiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

/* vllm/distributed/utils.py get_pp_indices (no VLLM_PP_LAYER_PARTITION) */
static void pp_indices(int n, int rank, int pp, int *lo, int *hi)
{
    int part[MB__KV_MAX_STAGES];
    for (int i = 0; i < pp; i++)
        part[i] = n / pp;
    int rem = n % pp;
    for (int i = 2; i < rem + 2; i++)
        part[pp - i] += 1;
    int start = 0;
    for (int i = 0; i < rank; i++)
        start += part[i];
    *lo = start;
    *hi = start + part[rank];
}

typedef struct layout {
    int num_groups;
    int uniform_type; /* one UniformTypeKVCacheSpecs group (unequal pages) */
    mb__kv_kind kind[MB__KV_MAX_GROUPS];
    int window[MB__KV_MAX_GROUPS];
    /* group of each layer; -1: the layer has no cache (vLLM builds no spec for it) */
    short group_of[MB_MODEL_MAX_LAYERS];
} layout;

#define NKEYS 4 /* attention (full or MLA), sliding window, chunked local, Mamba */

/* The spec bucket of layer i, or -1 for a layer without a cache. */
static int key_of(const mb__kv_plan_in *in, int i)
{
    int k = in->layer_kind ? in->layer_kind[i] : MB_LAYER_ATTENTION;
    if (k == MB_LAYER_NONE)
        return -1;
    if (k == MB_LAYER_STATE)
        return 3;
    if (k == MB_LAYER_CHUNKED)
        return 2;
    return in->sliding[i] ? 1 : 0;
}

static int64_t page_of(const mb__kv_plan_in *in, int i)
{
    return in->layer_page_bytes ? in->layer_page_bytes[i] : in->page_bytes;
}

static mb__kv_kind kind_of_key(const mb__kv_plan_in *in, int key)
{
    static const mb__kv_kind kinds[NKEYS] = {MB__KV_FULL, MB__KV_SLIDING, MB__KV_CHUNKED,
                                             MB__KV_MAMBA};
    return key == 0 && in->is_mla ? MB__KV_MLA : kinds[key];
}

static int make_groups(const mb__kv_plan_in *in, layout *g)
{
    memset(g, 0, sizeof *g);
    int n = in->num_layers;
    /* buckets by spec, in order of first appearance (same_type_layers' insertion order) */
    int nb = 0, bucket_key[NKEYS] = {0}, count[NKEYS] = {0}, bucket_of_key[NKEYS];
    for (int k = 0; k < NKEYS; k++)
        bucket_of_key[k] = -1;
    for (int i = 0; i < n; i++) {
        int k = key_of(in, i);
        if (k < 0)
            continue;
        if (bucket_of_key[k] < 0) {
            bucket_of_key[k] = nb;
            bucket_key[nb++] = k;
        }
        count[bucket_of_key[k]]++;
    }
    if (nb == 0) { /* is_kv_cache_type_attention_free: no group */
        for (int i = 0; i < n; i++)
            g->group_of[i] = -1;
        return MB_OK;
    }
    int unequal = 0;
    int64_t page0 = -1;
    for (int i = 0; i < n && in->layer_page_bytes; i++) {
        if (key_of(in, i) < 0)
            continue;
        if (page0 < 0)
            page0 = page_of(in, i);
        unequal |= page_of(in, i) != page0;
    }
    if (unequal && nb > 1)
        return mb__error(MB_ENOTSUP, "layers of different kinds with unequal pages (vLLM's "
                                     "unify_kv_cache_spec_page_size) are not modelled");
    g->uniform_type = unequal;
    if (nb == 1) { /* uniform (or UniformTypeKVCacheSpecs): one group of every caching layer */
        g->num_groups = 1;
        g->kind[0] = kind_of_key(in, bucket_key[0]);
        g->window[0] = bucket_key[0] == 1 ? in->sliding_window : 0;
        for (int i = 0; i < n; i++)
            g->group_of[i] = (short)(key_of(in, i) < 0 ? -1 : 0);
        return MB_OK;
    }
    int min = count[0], max = count[0];
    for (int b = 1; b < nb; b++) {
        min = count[b] < min ? count[b] : min;
        max = count[b] > max ? count[b] : max;
    }
    int size = (double)max < (double)min * 1.5 ? max : min;
    int first[NKEYS], groups_of[NKEYS];
    for (int b = 0; b < nb; b++) {
        int groups = (int)cdiv(count[b], size);
        first[b] = g->num_groups;
        groups_of[b] = groups;
        if (g->num_groups + groups > MB__KV_MAX_GROUPS)
            return mb__error(MB_EINVAL, "this model would need more than %d KV-cache groups "
                                        "(%d layers of one kind against %d of another)",
                             MB__KV_MAX_GROUPS, max, min);
        for (int j = 0; j < groups; j++) {
            g->kind[g->num_groups] = kind_of_key(in, bucket_key[b]);
            g->window[g->num_groups] = bucket_key[b] == 1 ? in->sliding_window : 0;
            g->num_groups++;
        }
    }
    /* the j-th layer of bucket b goes to group j % groups (layers[i::groups]) */
    int seen[NKEYS] = {0};
    for (int i = 0; i < n; i++) {
        int k = key_of(in, i);
        if (k < 0) {
            g->group_of[i] = -1;
            continue;
        }
        int b = bucket_of_key[k];
        g->group_of[i] = (short)(first[b] + seen[b]++ % groups_of[b]);
    }
    return MB_OK;
}

/* max_memory_usage_bytes / page_size_bytes of one group's spec (vllm/v1/
 * kv_cache_interface.py): full and MLA cdiv(len, block); sliding
 * SlidingWindowSpec.max_admission_blocks_per_request; chunked
 * ChunkedLocalAttentionSpec.max_admission_blocks_per_request, cdiv(min(chunk +
 * in-flight, len), block); Mamba MambaSpec.max_memory_usage_bytes, a fixed count. */
static int64_t group_blocks(const mb__kv_plan_in *in, mb__kv_kind kind, int window,
                            int64_t len)
{
    if (kind == MB__KV_SLIDING) {
        int64_t t = window - 1 + in->extra_retained_tokens + in->max_in_flight_tokens;
        if (t > len)
            t = len;
        return cdiv(t, in->block_size) + 1;
    }
    if (kind == MB__KV_CHUNKED) {
        int64_t t = in->chunk_size + in->max_in_flight_tokens;
        return cdiv(t < len ? t : len, in->block_size);
    }
    if (kind == MB__KV_MAMBA)
        return in->mamba_blocks;
    return cdiv(len, in->block_size);
}

static int64_t total_blocks(const mb__kv_plan_in *in, const layout *g, int64_t len)
{
    int64_t sum = 0;
    for (int j = 0; j < g->num_groups; j++)
        sum += group_blocks(in, g->kind[j], g->window[j], len);
    return sum;
}

/* _estimate_max_model_len_from_groups: the longest length whose need fits in mem. */
static int64_t estimate_len(const mb__kv_plan_in *in, const layout *g, int64_t bpb,
                            int64_t mem, int64_t upto)
{
    int64_t lo = 1, hi = upto, best = 1;
    if (bpb * total_blocks(in, g, 1) > mem)
        return 0;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        if (bpb * total_blocks(in, g, mid) <= mem) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

static const char *const DOCS = "See https://docs.vllm.ai/en/latest/configuration/"
                                "conserving_memory/ for more details.";

int mb__kv_plan(const mb__kv_plan_in *in, mb__kv_plan_out *out)
{
    memset(out, 0, sizeof *out);
    int pp = in->pipeline_parallel_size;
    if (in->num_layers < 1 || in->num_layers > MB_MODEL_MAX_LAYERS || in->page_bytes < 1 ||
        in->block_size < 1 || pp < 1 || pp > MB__KV_MAX_STAGES || in->max_model_len < 1 ||
        in->mamba_blocks < 0 || in->chunk_size < 0)
        return mb__error(MB_EINVAL, "mb__kv_plan: layers, page, block size, stages or length "
                                    "out of range");
    if (pp > in->num_layers)
        return mb__error(MB_EINVAL, "pipeline_parallel_size %d is more than the model's %d "
                                    "layers", pp, in->num_layers);
    layout g;
    int rc = make_groups(in, &g);
    if (rc)
        return rc;
    if (g.num_groups == 0) {
        /* no KV cache (an encoder-only model): EngineCore._initialize_kv_caches (vllm/v1/
         * engine/core.py) skips the profile and gives every worker 0 bytes;
         * check_enough_kv_cache_memory returns at once for an empty spec, and
         * get_kv_cache_config_from_groups gives num_blocks 1 (BlockPool's null block); no
         * capacity is computed or logged (update_kv_cache_capacity needs a group) */
        out->num_blocks = 1;
        out->fits = 1;
        out->max_model_len = in->max_model_len;
        out->longest_request = in->max_model_len;
        for (int r = 0; r < pp; r++)
            out->stage_blocks[r] = 1;
        return MB_OK;
    }
    for (int i = 0; i < in->num_layers; i++)
        if (g.group_of[i] >= 0 && page_of(in, i) < 1)
            return mb__error(MB_EINVAL, "mb__kv_plan: layer %d has a page of %lld bytes", i,
                             (long long)page_of(in, i));

    /* per stage: layers of each group, bytes per block */
    int64_t mem[MB__KV_MAX_STAGES], check[MB__KV_MAX_STAGES];
    for (int r = 0; r < pp; r++) {
        int lo, hi, per[MB__KV_MAX_GROUPS] = {0};
        int64_t sum[MB__KV_MAX_GROUPS] = {0};
        pp_indices(in->num_layers, r, pp, &lo, &hi);
        for (int i = lo; i < hi; i++)
            if (g.group_of[i] >= 0) {
                per[g.group_of[i]]++;
                sum[g.group_of[i]] += page_of(in, i);
            }
        int64_t bpb = 0;
        for (int j = 0; j < g.num_groups; j++) {
            if (sum[j] > bpb)
                bpb = sum[j];
            if (r == 0) {
                out->group[j].layers = per[j];
                out->group[j].page_bytes = g.uniform_type ? sum[j] : in->page_bytes;
            }
            out->group[j].layers_total += per[j];
        }
        out->stage_bytes_per_block[r] = bpb;
        mem[r] = in->available[r];
        if (in->num_gpu_blocks_override >= 0)
            mem[r] = in->num_gpu_blocks_override * bpb;
        check[r] = mem[r] - bpb; /* the null block BlockPool holds back */
    }
    out->num_groups = g.num_groups;
    out->bytes_per_block = out->stage_bytes_per_block[0];

    int64_t len = in->max_model_len;
    out->fits = 1;
    if (in->auto_fit) { /* _auto_fit_max_model_len */
        int64_t fit = len;
        for (int r = 0; r < pp; r++) {
            int64_t m = estimate_len(in, &g, out->stage_bytes_per_block[r], check[r],
                                     in->max_model_len);
            if (m < fit)
                fit = m;
        }
        if (fit <= 0) {
            out->fits = 0;
            snprintf(out->error, sizeof out->error,
                     "Cannot auto-fit max_model_len: not enough GPU memory available to "
                     "serve even a single token. Try increasing `gpu_memory_utilization`.");
        } else {
            len = fit;
        }
    }
    out->max_model_len = len;
    for (int r = 0; r < pp && out->fits; r++) { /* _check_enough_kv_cache_memory */
        int64_t bpb = out->stage_bytes_per_block[r];
        if (check[r] <= 0) {
            out->fits = 0;
            snprintf(out->error, sizeof out->error,
                     "No available memory for the cache blocks. Try increasing "
                     "`gpu_memory_utilization` when initializing the engine (this flag also "
                     "controls CPU memory reservation on the CPU backend, despite its name). "
                     "%s", DOCS);
            break;
        }
        int64_t need = bpb * total_blocks(in, &g, len);
        if (need > check[r]) {
            out->fits = 0;
            int64_t est = estimate_len(in, &g, bpb, check[r], len);
            char n1[32], n2[32], e[128] = "";
            if (est > 0)
                snprintf(e, sizeof e, "Based on the available memory, the estimated maximum "
                         "model length is %lld. ", (long long)est);
            snprintf(out->error, sizeof out->error,
                     "To serve at least one request with the model's max seq len (%lld), "
                     "(%s GiB KV cache is needed, which is larger than the available KV "
                     "cache memory (%s GiB). %sTry increasing `gpu_memory_utilization` "
                     "(which also controls CPU memory on the CPU backend) or decreasing "
                     "`max_model_len` when initializing the engine. %s",
                     (long long)len, mb__gib(need, n1, sizeof n1),
                     mb__gib(check[r], n2, sizeof n2), e, DOCS);
        }
    }

    /* blocks: every stage's, cut to the smallest */
    out->num_blocks = -1;
    for (int r = 0; r < pp; r++) {
        int64_t bpb = out->stage_bytes_per_block[r];
        out->stage_blocks[r] = bpb > 0 ? (mem[r] > 0 ? mem[r] / bpb : 0) : 1;
        if (out->num_blocks < 0 || out->stage_blocks[r] < out->num_blocks) {
            out->num_blocks = out->stage_blocks[r];
            out->limiting_stage = r;
        }
    }
    out->longest_request = estimate_len(in, &g, out->bytes_per_block, check[0],
                                        in->max_model_len);
    for (int r = 1; r < pp; r++) {
        int64_t m = estimate_len(in, &g, out->stage_bytes_per_block[r], check[r],
                                 in->max_model_len);
        if (m < out->longest_request)
            out->longest_request = m;
    }
    for (int j = 0; j < g.num_groups; j++) {
        out->group[j].kind = g.kind[j];
        out->group[j].window = g.window[j];
        out->group[j].uniform_type = g.uniform_type;
        out->group[j].block_size = g.kind[j] == MB__KV_MAMBA ? in->mamba_block_size
                                                              : in->block_size;
        out->group[j].blocks_per_request = group_blocks(in, g.kind[j], g.window[j], len);
        out->blocks_per_request += out->group[j].blocks_per_request;
    }
    out->max_concurrency = (double)out->num_blocks / (double)out->blocks_per_request;
    out->kv_cache_tokens = (int64_t)(out->max_concurrency * (double)len);
    return MB_OK;
}
