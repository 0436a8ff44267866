/*
 * core/plan.c: the plan `membudget plan` prints: a model on a device (measured or what-if),
 * through vLLM's budget (budget.c), geometry (kv.c) and CUDA-graph rules (cudagraph.c).
 *
 * What a plan cannot measure it takes from the options or bounds it, and says so:
 *  - the non-KV memory (weights, activation peak, non-torch memory) comes from a profiling
 *    run (non_kv_memory); without one the weights alone stand in (split evenly over the
 *    tensor-parallel ranks, as vLLM shards them), and the KV figures are an upper bound;
 *  - the CUDA-graph memory comes from measured captures per mode (FULL and PIECEWISE, as
 *    plan_cudagraph.c resolves them); without them, vLLM's own floor of 1 MiB per graph
 *    after the first (profile_cudagraph_memory) is charged;
 *  - every rank is taken to be a device like dev, so the minimum over ranks that vLLM takes
 *    (get_kv_cache_configs) is that one rank's figure.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "gpu_table.h"
#include "kv_groups.h"
#include "plan_cudagraph.h"

static int64_t cdiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }


const char *mb_non_kv_source_name(int32_t s)
{
    switch (s) {
    case MB_NON_KV_FROM_OPTION:
        return "option";
    case MB_NON_KV_FROM_WEIGHTS:
        return "weights";
    case MB_NON_KV_FROM_NOTHING:
        return "none";
    case MB_NON_KV_NOT_USED:
        return "not used";
    }
    return "unknown";
}

const char *mb_cudagraph_source_name(int32_t s)
{
    switch (s) {
    case MB_CUDAGRAPH_NONE:
        return "none";
    case MB_CUDAGRAPH_GIVEN:
        return "given";
    case MB_CUDAGRAPH_MEASURED:
        return "measured";
    case MB_CUDAGRAPH_FLOOR:
        return "floor";
    }
    return "unknown";
}

/* A byte option: MB_UNKNOWN, or 0 .. MB_SIZE_MAX (and not above the device when limit). */
static int size_option(const char *flag, int64_t v, int64_t limit, const char *limit_what)
{
    if (v == MB_UNKNOWN)
        return MB_OK;
    if (v < 0 || v > MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "%s %lld is out of range (0 to 1 PiB)", flag,
                         (long long)v);
    if (limit > 0 && v > limit) {
        char a[32], b[32];
        return mb__error(MB_ERANGE, "%s %s GiB is more than %s (%s GiB)", flag,
                         mb__gib(v, a, sizeof a), limit_what, mb__gib(limit, b, sizeof b));
    }
    return MB_OK;
}

static int check_options(const mb_model *m, const mb_snapshot *dev, const mb_plan_options *o)
{
    int rc;
    if ((rc = size_option("kv_cache_memory_bytes", o->kv_cache_memory_bytes,
                          dev->total_memory, "the device's total memory")) ||
        (rc = size_option("non_kv_memory", o->non_kv_memory, dev->total_memory,
                          "the device's total memory")) ||
        (rc = size_option("weights_memory", o->weights_memory, 0, NULL)) ||
        (rc = size_option("cudagraph_memory", o->cudagraph_memory, dev->total_memory,
                          "the device's total memory")) ||
        (rc = size_option("cudagraph_first", o->cudagraph_first,
                          dev->total_memory, "the device's total memory")) ||
        (rc = size_option("cudagraph_second", o->cudagraph_second,
                          dev->total_memory, "the device's total memory")))
        return rc;
    if (o->weights_memory == 0)
        return mb__error(MB_EINVAL, "weights_memory 0: give the size of the model's weights "
                                    "(or leave it out)");
    if (o->cudagraph_second != MB_UNKNOWN && o->cudagraph_first == MB_UNKNOWN)
        return mb__error(MB_EINVAL, "a second CUDA-graph capture without a first; give both");
    if (o->max_model_len < -1)
        return mb__error(MB_EINVAL, "max_model_len %lld: give the longest request in tokens, "
                                    "or -1 (auto) for the longest that fits",
                         (long long)o->max_model_len);
    if (o->max_model_len > ((int64_t)1 << 40))
        return mb__error(MB_ERANGE, "max_model_len %lld is absurdly long",
                         (long long)o->max_model_len);
    /* _get_and_verify_max_len: longer than the derived length is refused unless the
     * config's model_max_length allows it or VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 */
    int64_t derived = m->derived_max_model_len > 0 ? m->derived_max_model_len : m->max_model_len;
    if (o->max_model_len > 0 && derived > 0 && o->max_model_len > derived &&
        !(m->model_max_length > 0 && o->max_model_len <= m->model_max_length) &&
        !o->allow_long_max_model_len)
        return mb__error(MB_ERANGE, "max_model_len %lld is more than the model's own %lld "
                                    "(max_position_embeddings and the like in its config%s); "
                                    "vLLM refuses that unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1",
                         (long long)o->max_model_len, (long long)derived,
                         m->rope_scaling_factor != 1.0 ? ", times its RoPE scaling factor" : "");
    if (o->max_model_len == 0 && m->max_model_len == 0)
        return mb__error(MB_EINVAL, "the model's config gives no max_position_embeddings; "
                                    "pass max_model_len");
    if (o->pipeline_parallel_size < 1 || o->pipeline_parallel_size > MB__KV_MAX_STAGES)
        return mb__error(MB_EINVAL, "pipeline_parallel_size %d: give the number of pipeline "
                                    "stages (1 to %d)", o->pipeline_parallel_size,
                         MB__KV_MAX_STAGES);
    if (o->pipeline_parallel_size > m->num_layers)
        return mb__error(MB_EINVAL, "pipeline_parallel_size %d is more than the model's %d "
                                    "layers", o->pipeline_parallel_size, m->num_layers);
    if (o->num_gpu_blocks_override < 0 || o->num_gpu_blocks_override > ((int64_t)1 << 40))
        return mb__error(MB_EINVAL, "num_gpu_blocks_override %lld: give a block count",
                         (long long)o->num_gpu_blocks_override);
    if (o->num_speculative_tokens < 0 || o->num_speculative_tokens > 64)
        return mb__error(MB_EINVAL, "num_speculative_tokens %d: give 0 to 64",
                         o->num_speculative_tokens);
    if (o->sync_scheduling != 0 && o->sync_scheduling != 1)
        return mb__error(MB_EINVAL, "sync_scheduling=%d: use 0 or 1", o->sync_scheduling);
    /* SchedulerConfig.__post_init__ (vllm/config/scheduler.py) refuses this, in these words */
    if (o->max_num_batched_tokens < o->max_num_seqs)
        return mb__error(MB_EINVAL, "max_num_batched_tokens (%lld) must be greater than or "
                                    "equal to max_num_seqs (%d). Raise "
                                    "max_num_batched_tokens or lower max_num_seqs",
                         (long long)o->max_num_batched_tokens, o->max_num_seqs);
    if (o->enforce_eager != 0 && o->enforce_eager != 1)
        return mb__error(MB_EINVAL, "enforce_eager=%d: use 0 or 1", o->enforce_eager);
    return MB_OK;
}

/* The plan's group kind names; docs/plan.md maps each to vLLM's KVCacheSpec class. */
static const char *group_kind(mb__kv_kind k)
{
    return k == MB__KV_SLIDING ? "sliding_window"
           : k == MB__KV_MLA   ? "mla"
           : k == MB__KV_CHUNKED ? "chunked_local_attention"
           : k == MB__KV_MAMBA ? "mamba"
                               : "full_attention";
}

/* The KV-cache groups, blocks, auto-fit and capacity of vLLM 0.33 (kv_groups.h), every
 * pipeline stage holding `available` (all ranks are taken to be like the device). */
static int kv_groups(const mb_model *m, const mb_plan_options *o, mb_plan *p,
                     int64_t available, mb__kv_plan_in in)
{
    int pp = o->pipeline_parallel_size;
    int64_t avail[MB__KV_MAX_STAGES];
    for (int r = 0; r < pp; r++)
        avail[r] = available;
    int64_t mnbt = o->max_num_batched_tokens;
    /* VllmConfig.max_concurrent_batches: async scheduling holds pp + 1 batches under model
     * runner V2, 2 (pp 1) or pp under V1; synchronous, pp */
    int batches = o->sync_scheduling ? pp : o->model_runner_v1 && pp > 1 ? pp : pp + 1;
    p->max_in_flight_tokens = batches * mnbt;
    /* get_global_kv_cache_groups (kv_cache_planning.py): sliding windows retain
     * max(0, num_prefill_lookahead_tokens - 1) more tokens; the lookahead is k for a
     * multi-module MTP drafter (min(num_nextn_predict_layers, k) > 1), 1 for the other
     * EAGLE-family ones, 0 otherwise (VllmConfig.num_prefill_lookahead_tokens) */
    int64_t lookahead = 0;
    const char *sm = o->speculative_method;
    if (sm && o->num_speculative_tokens > 0) {
        int mods = o->num_nextn_predict_layers > 0 ? o->num_nextn_predict_layers : 1;
        if (strcmp(sm, "mtp") == 0 &&
            (mods < o->num_speculative_tokens ? mods : o->num_speculative_tokens) > 1)
            lookahead = o->num_speculative_tokens;
        else if (strcmp(sm, "eagle") == 0 || strcmp(sm, "eagle3") == 0 ||
                 strcmp(sm, "mtp") == 0 || strcmp(sm, "dflash") == 0 ||
                 strcmp(sm, "dspark") == 0)
            lookahead = 1;
    }
    in.pipeline_parallel_size = pp;
    in.available = avail;
    in.max_model_len = o->max_model_len > 0 ? o->max_model_len : m->max_model_len;
    in.auto_fit = o->max_model_len == -1;
    in.num_gpu_blocks_override = o->num_gpu_blocks_override > 0 ? o->num_gpu_blocks_override
                                                                : -1;
    in.max_in_flight_tokens = p->max_in_flight_tokens;
    in.extra_retained_tokens = lookahead > 1 ? lookahead - 1 : 0;
    mb__kv_plan_out k;
    int rc = mb__kv_plan(&in, &k);
    if (rc)
        return rc;
    p->pipeline_parallel_size = pp;
    p->num_groups = k.num_groups;
    for (int j = 0; j < k.num_groups && j < MB_PLAN_MAX_GROUPS; j++) {
        snprintf(p->groups[j].kind, sizeof p->groups[j].kind, "%s",
                 k.group[j].uniform_type ? "uniform_type" : group_kind(k.group[j].kind));
        p->groups[j].sliding_window = k.group[j].window;
        p->groups[j].layers = k.group[j].layers;
        p->groups[j].page_bytes = k.group[j].page_bytes;
        p->groups[j].blocks_per_request = k.group[j].blocks_per_request;
        p->group_block_size[j] = k.group[j].block_size;
    }
    p->bytes_per_block = k.bytes_per_block;
    p->num_blocks = k.num_blocks;
    p->kv_cache_tokens = k.kv_cache_tokens;
    p->kv_cache_bytes = k.num_blocks * k.bytes_per_block;
    p->max_model_len = k.max_model_len;
    p->blocks_per_request = k.blocks_per_request;
    p->max_concurrency = k.max_concurrency;
    p->longest_request = k.longest_request;
    if (!k.fits)
        snprintf(p->refusal, sizeof p->refusal, "%s", k.error);
    return MB_OK;
}

/* vLLM's defaults that depend on the device, into a copy of the options, each with the
 * rule it came from (EngineArgs.get_batch_defaults; the backend's block size). */
static void device_defaults(const mb_model *m, const mb_snapshot *dev, mb_plan_options *o,
                            mb_plan *p)
{
    int is_cpu = strncmp(dev->device, "cpu:", 4) == 0;
    int cc = o->compute_capability;
    const char *why;
    if (o->max_num_seqs == 0 || o->max_num_batched_tokens == 0) {
        int seqs;
        int64_t tokens;
        mb__gpu_batch_defaults(dev->total_memory, dev->device, cc == 121, is_cpu,
                               o->tensor_parallel_size * o->pipeline_parallel_size,
                               o->usage_context_llm, &seqs, &tokens, &why);
        snprintf(p->batch_rule, sizeof p->batch_rule, "%s (usage_context_llm %d%s)", why,
                 o->usage_context_llm ? 1 : 0,
                 strcmp(dev->device, "what-if") == 0
                     ? "; a what-if device without a GPU name (compute_capability) is taken "
                       "by its memory alone, as neither an A100 nor a GB10"
                     : "");
        if (o->max_num_seqs == 0)
            o->max_num_seqs = seqs;
        if (o->max_num_batched_tokens == 0)
            o->max_num_batched_tokens = tokens;
    } else {
        snprintf(p->batch_rule, sizeof p->batch_rule,
                 "given with max_num_seqs and max_num_batched_tokens");
    }
    if (o->block_size == 0) {
        const char *cd = o->kv_cache_dtype && *o->kv_cache_dtype ? o->kv_cache_dtype : "auto";
        if (strcmp(cd, "auto") == 0 && m->checkpoint_kv_cache_dtype[0])
            cd = m->checkpoint_kv_cache_dtype;
        int fp8 = strncmp(cd, "fp8", 3) == 0;
        if (is_cpu) {
            /* CpuPlatform (vllm/platforms/cpu.py): update_block_size_for_backend asks the
             * backend for its preferred size from 128 (CPU_ATTN takes multiples of 32, so
             * 128); check_and_update_config forces 16 for the reference CPU MLA kernel */
            o->block_size = m->is_mla ? 16 : 128;
            why = m->is_mla ? "the CPU MLA kernel runs 16-token blocks only "
                              "(CpuPlatform.check_and_update_config)"
                            : "the CPU backend's preferred size from 128 "
                              "(CpuPlatform.update_block_size_for_backend; CPU_ATTN takes "
                              "multiples of 32)";
        } else {
            o->block_size = mb__gpu_default_block_size(cc / 10, is_cpu, m->is_mla, fp8, &why);
        }
        snprintf(p->block_size_rule, sizeof p->block_size_rule, "%s%s", why,
                 cc || is_cpu ? "" : " (compute capability unknown: give compute_capability)");
    } else {
        snprintf(p->block_size_rule, sizeof p->block_size_rule, "given with block_size");
    }
    if (is_cpu) /* "async scheduling is not required on CPU": off (check_and_update_config) */
        o->sync_scheduling = 1;
    p->max_num_seqs = o->max_num_seqs;
    p->max_num_batched_tokens = o->max_num_batched_tokens;
}

int mb__plan_compute(const mb_model *m, const mb_snapshot *dev, const mb_plan_options *o_in,
                     mb_plan *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_plan_compute: out is NULL");
    memset(out, 0, sizeof *out);
    if (!m || !dev)
        return mb__error(MB_EINVAL, "mb_plan_compute: m or dev is NULL");
    mb_plan_options def = MB_PLAN_OPTIONS_INIT;
    if (o_in)
        def = *o_in;
    mb_plan p = MB_PLAN_INIT;
    if (def.pipeline_parallel_size == 0)
        def.pipeline_parallel_size = 1; /* zero means as in 1.0: one stage */
    device_defaults(m, dev, &def, &p);
    const mb_plan_options *o = &def;
    int rc;
    int64_t requested;
    if ((rc = mb_budget_requested(dev->total_memory, o->gpu_memory_utilization, &requested)))
        return rc;
    if (dev->free_memory < 0 || dev->free_memory > dev->total_memory)
        return mb__error(MB_EINVAL, "%s: free memory %lld is not within its total %lld",
                         dev->device, (long long)dev->free_memory,
                         (long long)dev->total_memory);
    /* the layers' specs: attention page, state page, hybrid block alignment (kv_hybrid.c) */
    mb__kv_prep_in pi = {
        .block_size = o->block_size,
        .tensor_parallel_size = o->tensor_parallel_size,
        .kv_cache_dtype = o->kv_cache_dtype,
        .compute_capability = o->compute_capability,
        .prefix_caching = !o->no_prefix_caching,
        .num_speculative_tokens = o->num_speculative_tokens,
        .max_model_len = o->max_model_len > 0 ? o->max_model_len : m->max_model_len,
        .is_cpu = strncmp(dev->device, "cpu:", 4) == 0,
    };
    mb__kv_plan_in kin;
    memset(&kin, 0, sizeof kin);
    mb__kv_prep prep;
    if ((rc = mb__kv_prepare(m, &pi, &p.spec, &kin, &prep)) ||
        (rc = check_options(m, dev, o)))
        return rc;
    p.mamba_state_bytes = prep.mamba_state_bytes;
    if (m->num_state_layers > 0) {
        snprintf(p.mamba_cache_mode, sizeof p.mamba_cache_mode, "%s",
                 prep.align_mode ? "align" : "none");
        snprintf(p.hybrid_rule, sizeof p.hybrid_rule, "%s", prep.rule);
        if (p.spec.block_size != prep.requested_block_size) {
            char was[sizeof p.block_size_rule];
            snprintf(was, sizeof was, "%s", p.block_size_rule);
            snprintf(p.block_size_rule, sizeof p.block_size_rule,
                     "raised from %d for the state layers (see hybrid); %s",
                     prep.requested_block_size, was);
        }
    }
    /* the attention backend (refusing a block size it cannot run) and its CUDA graphs
     * (plan_cudagraph.c) */
    int cg_support = 0;
    if ((rc = mb__plan_backend(m, dev, o, &cg_support, &p)) ||
        (rc = mb__plan_cudagraphs(o, dev, cg_support, m->encoder_only, &p)))
        return rc;
    p.compute_capability = o->compute_capability;

    /* the non-KV part, per rank */
    int tp = o->tensor_parallel_size;
    p.weights_memory = o->weights_memory != MB_UNKNOWN ? o->weights_memory : m->weights_bytes;
    int64_t non_kv = 0;
    if (o->kv_cache_memory_bytes > 0) {
        p.non_kv_source = MB_NON_KV_NOT_USED;
    } else if (o->non_kv_memory != MB_UNKNOWN) {
        p.non_kv_source = MB_NON_KV_FROM_OPTION;
        non_kv = o->non_kv_memory;
    } else if (p.weights_memory != MB_UNKNOWN) {
        p.non_kv_source = MB_NON_KV_FROM_WEIGHTS;
        non_kv = cdiv(p.weights_memory, (int64_t)tp * o->pipeline_parallel_size);
        if (non_kv > dev->total_memory) {
            char w[32], t[32];
            return mb__error(MB_ERANGE, "the weights, %s GiB per rank, are more than %s's "
                                        "total memory (%s GiB); raise "
                                        "tensor_parallel_size", mb__gib(non_kv, w, sizeof w),
                             dev->device, mb__gib(dev->total_memory, t, sizeof t));
        }
    } else {
        p.non_kv_source = MB_NON_KV_FROM_NOTHING;
    }

    /* the budget; a failure to fit is a verdict, not an error */
    mb_budget_options bo = MB_BUDGET_OPTIONS_INIT;
    bo.gpu_memory_utilization = o->gpu_memory_utilization;
    bo.kv_cache_memory_bytes = o->kv_cache_memory_bytes;
    bo.cudagraph_memory = p.budget.cudagraph_memory;
    mb_budget b;
    char why[sizeof p.verdict] = "";
    rc = mb__budget_compute_from_non_kv(dev, non_kv, &bo, &b);
    if (rc == MB_ENOFIT) {
        snprintf(why, sizeof why, "%s", mb_error_detail());
        memset(&b, 0, sizeof b);
        memcpy(b.device, dev->device, sizeof b.device);
        b.device[sizeof b.device - 1] = '\0';
        b.total_memory = dev->total_memory;
        b.free_memory = dev->free_memory;
        b.gpu_memory_utilization = o->gpu_memory_utilization;
        b.requested_memory = requested;
        if (o->kv_cache_memory_bytes > 0) {
            b.available_kv_cache_memory = o->kv_cache_memory_bytes;
            b.flags = MB_BUDGET_EXPLICIT;
        } else {
            b.non_kv_cache_memory = non_kv;
            b.cudagraph_memory = bo.cudagraph_memory;
            b.available_kv_cache_memory = requested - non_kv - bo.cudagraph_memory;
        }
    } else if (rc) {
        return rc;
    }
    if (p.non_kv_source == MB_NON_KV_FROM_WEIGHTS)
        b.weights_memory = non_kv;
    p.budget = b;
    p.startup_ok = dev->free_memory >= requested;

    /* blocks and what they hold: vLLM 0.33's grouping and page arithmetic (kv_groups.c) */
    if ((rc = kv_groups(m, o, &p, b.available_kv_cache_memory, kin)))
        return rc;
    int64_t avail = b.available_kv_cache_memory;
    int explicit_too_big = o->kv_cache_memory_bytes > dev->free_memory;
    p.fits = p.startup_ok && !why[0] && !explicit_too_big && !p.refusal[0];

    /* the verdict */
    char g1[32], g2[32], g3[32];
    if (p.num_groups == 0) {
        /* no layer keeps a KV cache (an encoder-only model): EngineCore._initialize_kv_caches
         * (vllm/v1/engine/core.py) does not profile for a KV cache and skips
         * check_enough_kv_cache_memory; only start-up and the weights must fit */
        p.fits = p.startup_ok && !explicit_too_big && non_kv <= requested;
        snprintf(p.verdict, sizeof p.verdict, "%s",
                 !p.startup_ok || explicit_too_big
                     ? "does not fit: vLLM's start-up check needs the requested memory free"
                 : !p.fits ? "does not fit: the weights alone are more than the requested memory"
                           : "fits: no KV cache is needed (no layer keeps one: vLLM plans no "
                             "KV-cache group, holds only its null block and does not check "
                             "KV-cache memory); the weights are what must fit");
    } else if (why[0]) { /* the start-up check, or nothing left for the KV cache */
        snprintf(p.verdict, sizeof p.verdict, "does not fit: %s", why);
    } else if (explicit_too_big) {
        snprintf(p.verdict, sizeof p.verdict, "does not fit: kv_cache_memory_bytes %s GiB "
                 "is more than the %s GiB free on %s, before any weights; lower it",
                 mb__gib(o->kv_cache_memory_bytes, g1, sizeof g1),
                 mb__gib(dev->free_memory, g2, sizeof g2), dev->device);
    } else if (!p.fits) {
        int64_t need = p.blocks_per_request * p.bytes_per_block;
        char alt[200] = "";
        if (p.spec.dtype_bytes > 1)
            snprintf(alt, sizeof alt, ", use kv_cache_dtype fp8 (%d times smaller)",
                     p.spec.dtype_bytes);
        char longest[96];
        if (p.longest_request > 0)
            snprintf(longest, sizeof longest, "the longest that fits is %lld tokens: lower "
                     "max_model_len to %lld", (long long)p.longest_request,
                     (long long)p.longest_request);
        else
            snprintf(longest, sizeof longest, "not even one block fits: lower the non-KV "
                     "memory");
        snprintf(p.verdict, sizeof p.verdict, "does not fit: max_model_len %lld needs %s GiB "
                 "of KV cache for one request (%lld blocks), more than the %s GiB (%lld "
                 "blocks, one of them vLLM's null block) available per rank; %s%s, raise "
                 "gpu_memory_utilization, or split the model over more devices "
                 "(tensor_parallel_size)",
                 (long long)p.max_model_len, mb__gib(need, g1, sizeof g1),
                 (long long)p.blocks_per_request, mb__gib(avail, g2, sizeof g2),
                 (long long)p.num_blocks, longest, alt);
    } else {
        const char *bound = "";
        if (p.non_kv_source == MB_NON_KV_FROM_WEIGHTS)
            bound = "; an upper bound: the non-KV memory is the weights alone, so pass "
                    "non_kv_memory from a profiling run for the real figure";
        else if (p.non_kv_source == MB_NON_KV_FROM_NOTHING)
            bound = "; an upper bound: the non-KV memory is unknown and counted as 0, so pass "
                    "non_kv_memory (or weights_memory)";
        mb__snprintf_c(p.verdict, sizeof p.verdict, "fits: %lld blocks of %d tokens (%lld tokens, "
                 "%s GiB per rank) hold %.2f requests of %lld tokens at once%s",
                 (long long)p.num_blocks, p.spec.block_size, (long long)p.kv_cache_tokens,
                 mb__gib(p.kv_cache_bytes, g3, sizeof g3), p.max_concurrency,
                 (long long)p.max_model_len, bound);
    }
    *out = p;
    return MB_OK;
}
