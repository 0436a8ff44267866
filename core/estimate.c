/*
 * core/estimate.c: the estimate of issue 15 put together: the options checked, vLLM
 * 0.33's scheduler defaults, the parts (core/estimate_parts.c, which has each part's
 * formula and the vLLM function it follows), the KV cache left and its tokens and
 * concurrency with the plan's KV groups (kv_groups.c), and the verdict.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estimate.h"
#include "kv_groups.h"

const char *mb_estimate_source_name(int32_t s)
{
    switch (s) {
    case MB_EST_UNKNOWN:
        return "unknown";
    case MB_EST_GIVEN:
        return "given";
    case MB_EST_MEASURED:
        return "measured";
    case MB_EST_SAFETENSORS:
        return "safetensors";
    case MB_EST_CONFIG:
        return "config";
    case MB_EST_ESTIMATED:
        return "estimated";
    case MB_EST_NONE:
        return "none";
    }
    return "unknown";
}

const char *mb_estimate_verdict_name(int32_t v)
{
    switch (v) {
    case MB_EST_FITS:
        return "fits";
    case MB_EST_MAY_NOT_FIT:
        return "may not fit";
    case MB_EST_DOES_NOT_FIT:
        return "does not fit";
    }
    return "unknown";
}

/* vLLM 0.33's scheduler defaults for `vllm serve` (engine/arg_utils.py
 * _set_default_max_num_seqs_and_batched_tokens_args, OPENAI_API_SERVER): 16384 tokens and
 * 1024 requests from 160 GiB, 8192 and 1024 from 70 GiB except A100s and GB10, else 2048
 * and 256. */
static void scheduler_defaults(const mb_estimate_device *dev, int *seqs, int64_t *tokens)
{
    int64_t t = 2048;
    int s = 256;
    char lower[64];
    size_t i = 0;
    for (; dev->name[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(dev->name[i] >= 'A' && dev->name[i] <= 'Z' ? dev->name[i] + 32
                                                                     : dev->name[i]);
    lower[i] = '\0';
    int gb10 = dev->cc_major == 12 && dev->cc_minor == 1;
    if (dev->total_memory >= 160 * MB_GiB) {
        t = 16384;
        s = 1024;
    } else if (dev->total_memory >= 70 * MB_GiB && !strstr(lower, "a100") && !gb10) {
        t = 8192;
        s = 1024;
    }
    if (!*seqs)
        *seqs = s;
    if (!*tokens)
        *tokens = t;
}

static int check(const mb_arch *a, const mb_estimate_device *dev, const mb_estimate_options *o)
{
    if (!(o->gpu_memory_utilization > 0 && o->gpu_memory_utilization <= 1))
        return mb__error(MB_EINVAL, "gpu_memory_utilization %g: give a fraction above 0 "
                                    "and at most 1", o->gpu_memory_utilization);
    if (o->tensor_parallel_size < 1 || o->tensor_parallel_size > 1024)
        return mb__error(MB_EINVAL, "tensor_parallel_size %d: give 1 to 1024",
                         o->tensor_parallel_size);
    if (o->pipeline_parallel_size < 1 || o->pipeline_parallel_size > a->model.num_layers)
        return mb__error(MB_EINVAL, "pipeline_parallel_size %d: give 1 to the model's %d "
                                    "layers", o->pipeline_parallel_size,
                         a->model.num_layers);
    if (o->instances < 1 || o->instances > 64)
        return mb__error(MB_EINVAL, "mb_estimate_options.instances %d: give 1 to 64 engines "
                                    "per device", o->instances);
    if (o->sampler < MB_SAMPLER_KERNEL || o->sampler > MB_SAMPLER_FORCE_KERNEL)
        return mb__error(MB_EINVAL, "mb_estimate_options.sampler %d: give MB_SAMPLER_KERNEL "
                                    "(0), MB_SAMPLER_TORCH_SORT (1) or "
                                    "MB_SAMPLER_FORCE_KERNEL (2)", (int)o->sampler);
    if (o->max_num_seqs < 0 || o->max_num_batched_tokens < 0 || o->max_model_len < 0)
        return mb__error(MB_EINVAL, "max_num_seqs, max_num_batched_tokens and "
                                    "max_model_len must not be negative");
    if (dev->total_memory <= 0 || dev->total_memory > MB_SIZE_MAX)
        return mb__error(MB_EINVAL, "the device's total memory %lld is not a size; pass "
                                    "a device name (mb_estimate_device_find) or total_memory",
                         (long long)dev->total_memory);
    if (o->memory_cap != MB_UNKNOWN &&
        (o->memory_cap <= 0 || o->memory_cap * o->instances > dev->total_memory))
        return mb__error(MB_ERANGE, "memory_cap %lld bytes x %d mb_estimate_options.instances "
                                    "is not within the device's %lld bytes",
                         (long long)o->memory_cap, o->instances,
                         (long long)dev->total_memory);
    if ((o->weights_memory != MB_UNKNOWN && o->weights_memory <= 0) ||
        (o->non_kv_memory != MB_UNKNOWN && o->non_kv_memory < 0) ||
        (o->cudagraph_memory != MB_UNKNOWN && o->cudagraph_memory < 0))
        return mb__error(MB_EINVAL, "weights_memory must be above 0, non_kv_memory and "
                                    "cudagraph_memory 0 or more");
    return MB_OK;
}

/* Tokens and concurrency for an available figure, with the plan's own KV geometry
 * (kv_groups.c: vLLM 0.33's KV-cache groups, so that sliding-window and MLA layers count
 * as the plan counts them, and a block is a block of every group): the blocks of every
 * pipeline stage from avail, the "GPU KV cache size" tokens and the concurrency vLLM
 * logs. MB_UNKNOWN stays unknown; nothing left gives 0. */
static int capacity(const mb_arch *a, const mb_kv_spec *k, int pp, int64_t mnbt,
                    int64_t avail, int64_t max_len, int64_t *tokens, double *conc)
{
    if (avail == MB_UNKNOWN) {
        *tokens = MB_UNKNOWN;
        *conc = NAN;
        return MB_OK;
    }
    if (avail <= 0) {
        *tokens = 0;
        *conc = 0;
        return MB_OK;
    }
    int64_t per_stage[MB__KV_MAX_STAGES];
    if (pp > MB__KV_MAX_STAGES)
        return mb__error(MB_EINVAL, "pipeline_parallel_size %d: the KV plan takes at "
                                    "most %d stages", pp, MB__KV_MAX_STAGES);
    for (int r = 0; r < pp; r++)
        per_stage[r] = avail;
    /* the layers' specs as the plan builds them (kv_hybrid.c: state layers, chunked and
     * shared-KV layers, the hybrid block alignment; GDN's backend taken as Triton) */
    mb__kv_prep_in pi = {.block_size = k->block_size,
                         .tensor_parallel_size = k->tensor_parallel_size,
                         .kv_cache_dtype = k->cache_dtype,
                         .prefix_caching = 1,
                         .max_model_len = max_len};
    mb__kv_plan_in in;
    memset(&in, 0, sizeof in);
    mb_kv_spec spec;
    mb__kv_prep prep;
    int rc = mb__kv_prepare(&a->model, &pi, &spec, &in, &prep);
    if (rc)
        return rc;
    in.pipeline_parallel_size = pp;
    in.available = per_stage;
    in.max_model_len = max_len;
    in.auto_fit = 0;
    in.num_gpu_blocks_override = -1;
    /* VllmConfig.max_in_flight_tokens with 0.33's async scheduling: pp + 1 batches */
    in.max_in_flight_tokens = (int64_t)(pp + 1) * mnbt;
    mb__kv_plan_out out;
    rc = mb__kv_plan(&in, &out);
    if (rc)
        return rc;
    *tokens = out.kv_cache_tokens;
    *conc = out.max_concurrency;
    return MB_OK;
}

int mb__estimate_compute(const mb_arch *a, const mb_estimate_device *dev,
                         const mb_estimate_options *o, mb_estimate *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_estimate_compute: out is NULL");
    memset((char *)out + sizeof out->size, 0, sizeof *out - sizeof out->size);
    if (!a || !dev)
        return mb__error(MB_EINVAL, "mb_estimate_compute: arch or dev is NULL");
    static const mb_estimate_options def = MB_ESTIMATE_OPTIONS_INIT;
    if (!o)
        o = &def;
    int rc = check(a, dev, o);
    if (rc)
        return rc;
    mb__release_rules rr;
    if ((rc = mb__est_release_rules(a, dev, o, &rr)))
        return rc;
    mb_estimate e = MB_ESTIMATE_INIT;
    e.model_runner = rr.runner;
    e.sampler = rr.sampler;
    snprintf(e.rules, sizeof e.rules, "%s", rr.text);
    e.tensor_parallel_size = o->tensor_parallel_size;
    e.pipeline_parallel_size = o->pipeline_parallel_size;
    e.instances = o->instances;
    e.max_num_seqs = o->max_num_seqs;
    e.max_num_batched_tokens = o->max_num_batched_tokens;
    scheduler_defaults(dev, &e.max_num_seqs, &e.max_num_batched_tokens);
    e.max_model_len = o->max_model_len ? o->max_model_len : a->model.max_model_len;
    if (e.max_model_len <= 0)
        return mb__error(MB_EINVAL, "the model's config gives no max_position_embeddings; "
                                    "pass max_model_len");

    mb_kv_spec k;
    if ((rc = mb__kv_spec_init(&k, &a->model, o->block_size, o->tensor_parallel_size,
                               o->kv_cache_dtype)))
        return rc;
    e.bytes_per_token = k.bytes_per_token;

    /* the parts */
    mb__est_weights(a, o, &e.weights);
    if (o->non_kv_memory != MB_UNKNOWN) {
        /* a profile gives weights + activation + non-torch at once: carried by the
         * activation part, the other two count 0 */
        mb__est_part_given(&e.activation, o->non_kv_memory, MB_EST_GIVEN);
        snprintf(e.activation.reason, sizeof e.activation.reason,
                 "non_kv_memory: weights, activation peak and non-torch memory together");
        mb__est_part_given(&e.non_torch, 0, MB_EST_GIVEN);
        mb__est_part_given(&e.weights, 0, MB_EST_GIVEN);
        snprintf(e.weights.reason, sizeof e.weights.reason, "in non_kv_memory");
    } else {
        if (a->arch_reason[0]) {
            char why[192];
            snprintf(why, sizeof why, "%s: the activation peak needs it; pass "
                     "non_kv_memory from a profiling run", a->arch_reason);
            mb__est_part_unknown(&e.activation, why);
        } else {
            mb__est_activation(a, o, &rr, e.max_num_seqs, e.max_num_batched_tokens,
                               &e.activation);
        }
        mb__est_non_torch(a, dev, o, &rr, e.max_num_seqs, &e.non_torch);
    }
    if (a->arch_reason[0] && !o->enforce_eager && o->cudagraph_memory == MB_UNKNOWN &&
        o->cudagraph_first == MB_UNKNOWN && dev->vendor != MB_GPU_CPU) {
        char why[192];
        snprintf(why, sizeof why, "%s: the CUDA-graph estimate needs it; pass "
                 "cudagraph_first/cudagraph_second or cudagraph_memory", a->arch_reason);
        mb__est_part_unknown(&e.cudagraph, why);
    } else if ((rc = mb__est_cudagraphs(a, dev, o, &rr, e.max_num_seqs,
                                        e.max_num_batched_tokens, &e))) {
        return rc;
    }

    /* the budget per instance */
    e.context_memory = dev->context_memory != MB_UNKNOWN
                           ? dev->context_memory
                           : (dev->vendor == MB_GPU_AMD ? (int64_t)(1.0 * MB__GIB_F)
                              : dev->vendor == MB_GPU_CPU ? 0
                                                          : (int64_t)(0.5 * MB__GIB_F));
    int64_t cap;
    if (o->memory_cap != MB_UNKNOWN)
        cap = o->memory_cap;
    else if (o->instances > 1)
        cap = dev->total_memory / o->instances - e.context_memory;
    else
        cap = MB_UNKNOWN;
    if (cap == MB_UNKNOWN) {
        if ((rc = mb_budget_requested(dev->total_memory, o->gpu_memory_utilization,
                                      &e.requested_memory)))
            return rc;
        e.startup_ok = dev->total_memory - e.context_memory >= e.requested_memory;
    } else {
        e.requested_memory = cap;
        e.startup_ok = cap > 0 &&
                       (cap + e.context_memory) * (int64_t)o->instances <= dev->total_memory;
    }

    const mb_estimate_part *parts[] = {&e.weights, &e.activation, &e.non_torch, &e.cudagraph};
    const char *missing = NULL;
    double mid = 0, lo = 0, hi = 0;
    e.cudagraph_charged = rr.graphs_charged && e.cudagraph.source != MB_EST_NONE;
    for (size_t i = 0; i < 4; i++) {
        if (i == 3 && !e.cudagraph_charged)
            continue;
        if (parts[i]->source == MB_EST_UNKNOWN) {
            if (!missing)
                missing = parts[i]->reason;
            continue;
        }
        mid += (double)parts[i]->bytes;
        lo += (double)parts[i]->low;
        hi += (double)parts[i]->high;
    }
    double req = (double)e.requested_memory;
    if (missing) {
        e.available_kv_cache_memory = e.available_kv_cache_memory_low =
            e.available_kv_cache_memory_high = MB_UNKNOWN;
    } else {
        e.available_kv_cache_memory = (int64_t)(req - mid);
        e.available_kv_cache_memory_low = (int64_t)(req - hi);
        e.available_kv_cache_memory_high = (int64_t)(req - lo);
    }
    int pp = o->pipeline_parallel_size;
    int64_t mnbt = e.max_num_batched_tokens;
    if ((rc = capacity(a, &k, pp, mnbt, e.available_kv_cache_memory, e.max_model_len,
                       &e.kv_cache_tokens, &e.max_concurrency)) ||
        (rc = capacity(a, &k, pp, mnbt, e.available_kv_cache_memory_low, e.max_model_len,
                       &e.kv_cache_tokens_low, &e.max_concurrency_low)) ||
        (rc = capacity(a, &k, pp, mnbt, e.available_kv_cache_memory_high, e.max_model_len,
                       &e.kv_cache_tokens_high, &e.max_concurrency_high)))
        return rc;

    /* the verdict */
    char g1[32], g2[32];
    if (missing) {
        e.verdict = MB_EST_MAY_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "may not fit: a part is unknown "
                 "(%s)", missing);
    } else if (!e.startup_ok) {
        e.verdict = MB_EST_DOES_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "does not fit: vLLM's start-up check "
                 "needs %s GiB free besides the runtime context (~%s GiB); lower "
                 "gpu_memory_utilization or the number of instances",
                 mb__gib(e.requested_memory, g1, sizeof g1),
                 mb__gib(e.context_memory, g2, sizeof g2));
    } else if (a->model.encoder_only) {
        /* no layer keeps a KV cache (docs/plan.md, "Layer kinds"): vLLM plans no KV-cache
         * group and checks no KV memory, so only the non-KV parts must fit */
        e.verdict = e.available_kv_cache_memory_low >= 0    ? MB_EST_FITS
                    : e.available_kv_cache_memory_high >= 0 ? MB_EST_MAY_NOT_FIT
                                                            : MB_EST_DOES_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "%s: an encoder-only model needs no "
                 "KV cache (vLLM plans no KV-cache group); the weights, activations and CUDA "
                 "graphs %s the requested memory",
                 e.verdict == MB_EST_FITS ? "fits" : e.verdict == MB_EST_MAY_NOT_FIT
                                                         ? "may not fit" : "does not fit",
                 e.verdict == MB_EST_FITS ? "fit in" : e.verdict == MB_EST_MAY_NOT_FIT
                                                           ? "may exceed" : "exceed");
    } else if (e.max_concurrency_low >= 1) {
        e.verdict = MB_EST_FITS;
        snprintf(e.verdict_text, sizeof e.verdict_text, "fits: %lld to %lld KV tokens per "
                 "rank, %.2f to %.2f requests of %lld tokens at once",
                 (long long)e.kv_cache_tokens_low, (long long)e.kv_cache_tokens_high,
                 e.max_concurrency_low, e.max_concurrency_high, (long long)e.max_model_len);
    } else if (e.max_concurrency_high >= 1) {
        e.verdict = MB_EST_MAY_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "may not fit: %lld to %lld KV tokens "
                 "per rank for requests of %lld tokens; measure the non-KV memory (a "
                 "profiling run, non_kv_memory) or lower max_model_len to %lld",
                 (long long)(e.kv_cache_tokens_low > 0 ? e.kv_cache_tokens_low : 0),
                 (long long)e.kv_cache_tokens_high, (long long)e.max_model_len,
                 (long long)(e.kv_cache_tokens_low > 0 ? e.kv_cache_tokens_low : 0));
    } else {
        e.verdict = MB_EST_DOES_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "does not fit: at most %lld KV "
                 "tokens per rank, less than one request of %lld tokens; lower "
                 "max_model_len, use kv_cache_dtype fp8, or raise "
                 "tensor_parallel_size",
                 (long long)(e.kv_cache_tokens_high > 0 ? e.kv_cache_tokens_high : 0),
                 (long long)e.max_model_len);
    }
    if (!missing)
        mb__estimate_knobs(dev, &e, cap);
    *out = e;
    return MB_OK;
}
