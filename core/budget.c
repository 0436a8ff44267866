/*
 * core/budget.c: how much memory is left for the KV cache (vLLM's
 * vllm/v1/worker/gpu_worker.py Worker.determine_available_memory and
 * vllm/v1/worker/utils.py request_memory).
 *
 *  - requested = math.ceil(total x gpu_memory_utilization), and the start-up check
 *    free >= requested (request_memory);
 *  - kv_cache_memory_bytes, when set, is returned as is: vLLM skips the memory profiling
 *    and does not respect gpu_memory_utilization (vllm/config/cache.py);
 *  - available = requested - non_kv_cache_memory - the CUDA-graph estimate, the estimate
 *    being charged when VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS is on (the default since
 *    v0.19, per vLLM's own log message);
 *  - free memory must not grow during profiling (vLLM asserts
 *    init_snapshot.free_memory >= after_profile.free_memory; '>=' since vllm#33358). On
 *    ROCm vLLM counts what torch reserved for the process instead and warns (vllm#53591);
 *    vllm#56830 argues for that everywhere. Here it is the opt-in
 *    MB_BUDGET_FREE_GROWTH_FALLBACK.
 *  - non-KV: the seed's memory_profiling (weights + torch peak increase + non-torch
 *    increase), or vLLM 0.28's (the memory consumed according to free memory, plus the
 *    transient peak headroom: allocator peak - allocator current).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"


const char *mb_non_kv_formula_name(int32_t f)
{
    switch (f) {
    case MB_NON_KV_PROFILE:
        return "profile";
    case MB_NON_KV_CONSUMED:
        return "consumed";
    }
    return "unknown";
}

MB__API(mb_budget_requested, (int64_t total, double util, int64_t *out), (total, util, out))
{
    if (out)
        *out = 0;
    if (!out)
        return mb__error(MB_EINVAL, "mb_budget_requested: out is NULL");
    if (!(util > 0 && util <= 1))
        return mb__error(MB_EINVAL, "gpu_memory_utilization %g is out of range: give a "
                                    "fraction of the device's total memory above 0 and at "
                                    "most 1 (vLLM's default is 0.92)", util);
    if (total <= 0 || total == MB_UNKNOWN)
        return mb__error(MB_EINVAL, "the device's total memory (%lld bytes) is not a positive "
                                    "size", (long long)total);
    if (total > MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "the device's total memory (%lld bytes) is more than 1 "
                                    "PiB; check the figure", (long long)total);
    /* the same double arithmetic as Python's math.ceil(int * float) */
    *out = (int64_t)ceil((double)total * util);
    return MB_OK;
}

/* The largest utilization, in hundredths, whose request free can meet; 0 when none. */
static double passing_utilization(int64_t total, int64_t free)
{
    double u = floor((double)free / (double)total * 100.0) / 100.0;
    if (u > 1)
        u = 1;
    while (u > 0 && ceil((double)total * u) > (double)free)
        u = floor(u * 100.0 - 0.5) / 100.0;
    return u > 0 ? u : 0;
}

static int startup(const mb_snapshot *init, double util, int64_t *requested)
{
    int rc = mb_budget_requested(init->total_memory, util, requested);
    if (rc)
        return rc;
    if (init->free_memory < 0 || init->free_memory == MB_UNKNOWN)
        return mb__error(MB_EINVAL, "the free memory of %s is unknown; measure it again",
                         init->device);
    if (init->free_memory >= *requested)
        return MB_OK;
    char f[32], t[32], r[32], s[32];
    double u = passing_utilization(init->total_memory, init->free_memory);
    char hint[160];
    if (u > 0)
        mb__snprintf_c(hint, sizeof hint, "lower gpu_memory_utilization to %.2f or less, or ", u);
    else
        hint[0] = '\0';
    return mb__error(MB_ENOFIT, "%.*s has %s GiB free of %s GiB at start-up, less than the "
                                "%s GiB that gpu_memory_utilization %g requests; %sstop "
                                "other processes using %s GiB of it",
                     (int)sizeof init->device, init->device,
                     mb__gib(init->free_memory, f, sizeof f), mb__gib(init->total_memory, t, sizeof t),
                     mb__gib(*requested, r, sizeof r), util, hint,
                     mb__gib(*requested - init->free_memory, s, sizeof s));
}

MB__API(mb_budget_check_startup, (const mb_snapshot *init, double util, int64_t *requested),
        (init, util, requested))
{
    if (requested)
        *requested = 0;
    if (!init || !requested)
        return mb__error(MB_EINVAL, "mb_budget_check_startup: init or requested is NULL");
    int64_t r;
    int rc = startup(init, util, &r);
    if (rc)
        return rc;
    *requested = r;
    return MB_OK;
}

static int options_ok(const mb_budget_options *o)
{
    if (o->kv_cache_memory_bytes < 0 || o->kv_cache_memory_bytes > MB_SIZE_MAX)
        return mb__error(MB_EINVAL, "kv_cache_memory_bytes %lld is out of range: give the "
                                    "KV cache size in bytes (0 to budget from the "
                                    "utilization)", (long long)o->kv_cache_memory_bytes);
    if (o->cudagraph_memory < 0 || o->cudagraph_memory > MB_SIZE_MAX)
        return mb__error(MB_EINVAL, "the CUDA-graph estimate %lld bytes is out of range",
                         (long long)o->cudagraph_memory);
    if (o->formula != MB_NON_KV_PROFILE && o->formula != MB_NON_KV_CONSUMED)
        return mb__error(MB_EINVAL, "non-KV formula %d is unknown: use MB_NON_KV_PROFILE or "
                                    "MB_NON_KV_CONSUMED", (int)o->formula);
    if (o->flags & ~MB_BUDGET_FREE_GROWTH_FALLBACK)
        return mb__error(MB_EINVAL, "budget flags 0x%x include unknown bits", o->flags);
    return MB_OK;
}

/* Fills the part shared by both entry points: the start-up check and the explicit size.
 * Returns 1 in *done when the explicit size settled the budget. */
static int begin(const mb_snapshot *init, const mb_budget_options *o, mb_budget *b, int *done)
{
    *done = 0;
    int rc = options_ok(o);
    if (rc)
        return rc;
    memset(b, 0, sizeof *b);
    memcpy(b->device, init->device, sizeof b->device);
    b->device[sizeof b->device - 1] = '\0';
    b->total_memory = init->total_memory;
    b->free_memory = init->free_memory;
    b->gpu_memory_utilization = o->gpu_memory_utilization;
    b->formula = o->formula;
    if ((rc = startup(init, o->gpu_memory_utilization, &b->requested_memory)))
        return rc;
    if (o->kv_cache_memory_bytes > 0) {
        if (o->kv_cache_memory_bytes > init->total_memory) {
            char k[32], t[32];
            return mb__error(MB_ERANGE, "kv_cache_memory_bytes %lld (%s GiB) is more than "
                                        "%s's total memory (%s GiB)",
                             (long long)o->kv_cache_memory_bytes,
                             mb__gib(o->kv_cache_memory_bytes, k, sizeof k), b->device,
                             mb__gib(init->total_memory, t, sizeof t));
        }
        b->available_kv_cache_memory = o->kv_cache_memory_bytes;
        b->flags |= MB_BUDGET_EXPLICIT;
        *done = 1;
    }
    return MB_OK;
}

/* available = requested - non-KV - CUDA graphs, MB_ENOFIT when nothing is left. */
static int finish(mb_budget *b, const mb_budget_options *o)
{
    b->cudagraph_memory = o->cudagraph_memory;
    int64_t left;
    if (mb__sub_overflows(b->requested_memory, b->non_kv_cache_memory, &left) ||
        mb__sub_overflows(left, b->cudagraph_memory, &left))
        return mb__error(MB_ERANGE, "%s: requested %lld - non-KV %lld - CUDA graphs %lld bytes "
                                    "does not fit in 64 bits; the profile holds figures no "
                                    "device has", b->device, (long long)b->requested_memory,
                         (long long)b->non_kv_cache_memory, (long long)b->cudagraph_memory);
    b->available_kv_cache_memory = left;
    if (b->available_kv_cache_memory > 0)
        return MB_OK;
    char r[32], n[32], c[32], a[32], t[32];
    double u = (double)(b->non_kv_cache_memory + b->cudagraph_memory) /
               (double)b->total_memory;
    char hint[200];
    if (u < 1)
        mb__snprintf_c(hint, sizeof hint, "raise gpu_memory_utilization above %.3f, ", u);
    else
        snprintf(hint, sizeof hint, "no utilization is enough: ");
    return mb__error(MB_ENOFIT, "nothing is left for the KV cache on %s: requested %s GiB "
                                "(gpu_memory_utilization %g of %s GiB) - non-KV %s GiB - "
                                "CUDA graphs %s GiB = %s GiB; %ssplit the model over more "
                                "devices (tensor_parallel_size), or drop the CUDA graphs "
                                "(enforce_eager)",
                     b->device, mb__gib(b->requested_memory, r, sizeof r),
                     b->gpu_memory_utilization, mb__gib(b->total_memory, t, sizeof t),
                     mb__gib(b->non_kv_cache_memory, n, sizeof n),
                     mb__gib(b->cudagraph_memory, c, sizeof c),
                     mb__gib(b->available_kv_cache_memory, a, sizeof a), hint);
}

int mb__budget_compute_from_non_kv(const mb_snapshot *init, int64_t non_kv,
                                   const mb_budget_options *o, mb_budget *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_budget_compute_from_non_kv: out is NULL");
    memset(out, 0, sizeof *out);
    if (!init)
        return mb__error(MB_EINVAL, "mb_budget_compute_from_non_kv: init is NULL");
    mb_budget_options def = MB_BUDGET_OPTIONS_INIT;
    if (!o) {
        o = &def;
    }
    if (non_kv < 0 || non_kv > MB_SIZE_MAX)
        return mb__error(MB_EINVAL, "non_kv_memory %lld is out of range: give the bytes a "
                                    "profiling run measured (0 or more)", (long long)non_kv);
    mb_budget b;
    int done, rc = begin(init, o, &b, &done);
    if (rc == MB_OK && !done) {
        b.non_kv_cache_memory = non_kv;
        rc = finish(&b, o);
    }
    if (rc == MB_OK)
        *out = b;
    return rc;
}

int mb__budget_compute(const mb_profile *p, const mb_budget_options *o, mb_budget *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_budget_compute: out is NULL");
    memset(out, 0, sizeof *out);
    if (!p)
        return mb__error(MB_EINVAL, "mb_budget_compute: p is NULL");
    mb_budget_options def = MB_BUDGET_OPTIONS_INIT;
    if (!o) {
        o = &def;
    }
    mb_budget b;
    int done, rc = begin(&p->before_create, o, &b, &done);
    if (rc)
        return rc;
    if (done) {
        *out = b;
        return MB_OK;
    }
    /* the profile's arithmetic, recomputed from its snapshots (checks one device) */
    mb_profile q = *p;
    if ((rc = mb_profile_compute(&q)))
        return rc;
    const mb_snapshot *init = &q.before_create, *after = &q.after_profile;
    char f0[32], f1[32];
    int grew = after->free_memory > init->free_memory;
    if (grew) {
        if (!(o->flags & MB_BUDGET_FREE_GROWTH_FALLBACK))
            return mb__error(MB_EGREW, "free memory on %s grew during profiling, from %s GiB "
                                       "at start-up to %s GiB after: another process released "
                                       "memory meanwhile, so this engine's use cannot be "
                                       "measured; profile again while nothing else starts "
                                       "or stops on the device, or set "
                                       "MB_BUDGET_FREE_GROWTH_FALLBACK to go on with a lower "
                                       "bound of it",
                             b.device, mb__gib(init->free_memory, f0, sizeof f0),
                             mb__gib(after->free_memory, f1, sizeof f1));
        b.flags |= MB_BUDGET_FELL_BACK;
    }
    if (o->formula == MB_NON_KV_PROFILE) {
        b.weights_memory = q.weights_memory;
        b.torch_peak_increase = q.torch_peak_increase;
        /* free memory that grew hides the non-torch increase: count none rather than a
         * negative figure (a lower bound, as vllm#53591 says of its own fallback) */
        b.non_torch_increase = grew && q.non_torch_increase < 0 ? 0 : q.non_torch_increase;
        int64_t s;
        if (b.torch_peak_increase == MB_UNKNOWN || b.non_torch_increase == MB_UNKNOWN)
            return mb__error(MB_EINVAL, "the profile of %s holds unknown figures (MB_UNKNOWN) "
                                        "where the non-KV memory needs numbers; measure its "
                                        "snapshots with mb_snapshot_measure", b.device);
        if (mb__add_overflows(b.weights_memory, b.torch_peak_increase, &s) ||
            mb__add_overflows(s, b.non_torch_increase, &b.non_kv_cache_memory))
            return mb__error(MB_ERANGE, "%s: weights %lld + torch peak increase %lld + "
                                        "non-torch increase %lld bytes does not fit in 64 "
                                        "bits; the profile holds figures no device has",
                             b.device, (long long)b.weights_memory,
                             (long long)b.torch_peak_increase, (long long)b.non_torch_increase);
    } else {
        if (grew ? mb__sub_overflows(after->torch_memory, init->torch_memory,
                                     &b.consumed_memory)
                 : mb__sub_overflows(init->free_memory, after->free_memory, &b.consumed_memory))
            return mb__error(MB_ERANGE, "%s: the memory consumed between the profile's "
                                        "snapshots does not fit in 64 bits; they hold "
                                        "figures no device has", b.device);
        int64_t current = o->torch_current;
        if (current != MB_UNKNOWN && (current < 0 || current > after->torch_peak))
            return mb__error(MB_EINVAL, "torch_current=%lld is outside 0 .. the allocator "
                                        "peak %lld after profiling; pass the allocator's "
                                        "allocated bytes (allocated_bytes.all.current)",
                             (long long)current, (long long)after->torch_peak);
        if (current == MB_UNKNOWN)
            current = after->torch_memory; /* reserved >= allocated: a lower headroom */
        b.transient_memory = after->torch_peak > current ? after->torch_peak - current : 0;
        if (mb__add_overflows(b.consumed_memory, b.transient_memory, &b.non_kv_cache_memory))
            return mb__error(MB_ERANGE, "%s: consumed %lld + transient %lld bytes does not fit "
                                        "in 64 bits", b.device, (long long)b.consumed_memory,
                             (long long)b.transient_memory);
    }
    if ((rc = finish(&b, o)))
        return rc;
    *out = b;
    return MB_OK;
}

MB__API(mb_snapshot_what_if, (int64_t total, int64_t free, mb_snapshot *out), (total, free, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_snapshot_what_if: out is NULL");
    memset(out, 0, sizeof *out);
    if (free == MB_UNKNOWN)
        free = total;
    char t[32], f[32];
    if (total > MB_SIZE_MAX || free > MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "total_memory %lld / free_memory %lld: a device of "
                                    "more than 1 PiB is not a real device",
                         (long long)total, (long long)free);
    if (total <= 0)
        return mb__error(MB_EINVAL, "total_memory %lld: give the device's memory, e.g. "
                                    "80GiB", (long long)total);
    if (free < 0 || free > total)
        return mb__error(MB_EINVAL, "free_memory %s GiB is more than total_memory %s GiB "
                                    "(or negative); free memory is part of the total",
                         mb__gib(free, f, sizeof f), mb__gib(total, t, sizeof t));
    snprintf(out->device, sizeof out->device, "what-if");
    snprintf(out->platform, sizeof out->platform, "cuda");
    out->total_memory = total;
    out->free_memory = free;
    out->device_memory = total - free;
    out->non_torch_memory = total - free;
    out->timestamp = mb__clock_wall();
    out->source = MB_SOURCE_VALUES;
    out->driver_free = MB_UNKNOWN;
    out->limit = MB_UNLIMITED;
    return MB_OK;
}
