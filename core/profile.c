/* core/profile.c: the profiling lifecycle (vLLM's memory_profiling context manager). */
#include <string.h>

#include "internal.h"

enum { PROFILE_IDLE = 0, PROFILE_RUNNING = 0x6d627072, PROFILE_DONE = 0x6d626470 };

static int alloc_call(const mb_allocator *a, int (*fn)(void *), const char *what,
                      const char *dev)
{
    if (!fn)
        return MB_OK;
    int rc = fn(a->user);
    if (rc)
        return mb__error(MB_ECALLBACK, "the allocator's %s callback failed with %d on %s "
                                       "(the callback's own code, not a membudget error)",
                         what, rc, dev);
    return MB_OK;
}

MB__API(mb_profile_compute, (mb_profile *p), (p))
{
    if (!p)
        return mb__error(MB_EINVAL, "mb_profile_compute: p is NULL");
    mb_snapshot diff_profile, diff_create;
    int rc = mb_snapshot_sub(&p->after_profile, &p->before_profile, &diff_profile);
    if (rc)
        return rc;
    rc = mb_snapshot_sub(&p->after_profile, &p->before_create, &diff_create);
    if (rc)
        return rc;
    p->torch_peak_increase = diff_profile.torch_peak;
    p->non_torch_increase = diff_create.non_torch_memory;
    p->profile_time = diff_profile.timestamp;
    int64_t sum;
    if (p->non_torch_increase == MB_UNKNOWN || p->torch_peak_increase == MB_UNKNOWN) {
        p->non_kv_cache_memory = MB_UNKNOWN;
        return MB_OK;
    }
    if (mb__add_overflows(p->non_torch_increase, p->torch_peak_increase, &sum) ||
        mb__add_overflows(sum, p->weights_memory, &sum)) {
        int64_t nt = p->non_torch_increase, tp = p->torch_peak_increase, w = p->weights_memory;
        p->non_kv_cache_memory = 0;
        return mb__error(MB_ERANGE, "mb_profile_compute: non-torch increase %lld + torch peak "
                                    "increase %lld + weights %lld does not fit in 64 bits; "
                                    "the profile's snapshots or weights_memory hold figures "
                                    "no device has", (long long)nt, (long long)tp,
                         (long long)w);
    }
    p->non_kv_cache_memory = sum;
    return MB_OK;
}

MB__API(mb_profile_begin, (mb_profile *p, mb_context *ctx, int device, const mb_allocator *alloc,
                     const mb_snapshot *baseline, int64_t weights_memory),
        (p, ctx, device, alloc, baseline, weights_memory))
{
    if (!p)
        return mb__error(MB_EINVAL, "mb_profile_begin: p is NULL");
    memset(p, 0, sizeof *p);
    if (!ctx || !baseline)
        return mb__error(MB_EINVAL, "mb_profile_begin: ctx or baseline is NULL");
    if (weights_memory < 0)
        return mb__error(MB_EINVAL, "weights_memory=%lld is negative; pass the bytes the "
                                    "weights took (0 when unknown)", (long long)weights_memory);
    if (alloc && !alloc->stats)
        return mb__error(MB_EINVAL, "mb_profile_begin: the allocator has no stats callback");
    mb_device_entry *e;
    int rc = mb__device_entry(ctx, device, &e);
    if (rc)
        return rc;
    if (strncmp(baseline->device, e->info.name, sizeof baseline->device) != 0)
        return mb__error(MB_EMISMATCH, "the baseline snapshot is from %.*s but profiling is "
                                       "on %s; measure the baseline on the same device",
                         (int)sizeof baseline->device, baseline->device, e->info.name);
    if (alloc) {
        /* gc.collect(); empty_cache(); reset_peak_memory_stats() */
        if ((rc = alloc_call(alloc, alloc->empty_cache, "empty_cache", e->info.name)) ||
            (rc = alloc_call(alloc, alloc->reset_peak, "reset_peak", e->info.name)))
            return rc;
    }
    mb_profile r;
    memset(&r, 0, sizeof r);
    r.before_create = *baseline;
    r.weights_memory = weights_memory;
    rc = mb_snapshot_measure(ctx, device, alloc, &r.before_profile);
    if (rc)
        return rc;
    r.before_profile.auto_measure = 0; /* vLLM builds it with auto_measure=False */
    r.ctx_ = ctx;
    r.device_ = device;
    if (alloc)
        r.alloc_ = *alloc;
    r.state_ = PROFILE_RUNNING;
    *p = r;
    return MB_OK;
}

MB__API(mb_profile_end, (mb_profile *p), (p))
{
    if (!p)
        return mb__error(MB_EINVAL, "mb_profile_end: p is NULL");
    if (p->state_ != PROFILE_RUNNING)
        return mb__error(MB_ESTATE, "mb_profile_end without a successful mb_profile_begin "
                                    "(or called twice); call mb_profile_begin first");
    const mb_allocator *alloc = p->alloc_.stats ? &p->alloc_ : NULL;
    int rc;
    if (alloc && (rc = alloc_call(alloc, alloc->empty_cache, "empty_cache",
                                  p->before_profile.device)))
        return rc;
    rc = mb_snapshot_measure(p->ctx_, p->device_, alloc, &p->after_profile);
    if (rc)
        return rc;
    p->after_profile.auto_measure = 0;
    mb_profile q = *p; /* the result lands only when every step succeeded */
    rc = mb_profile_compute(&q);
    if (rc) {
        memset(&p->after_profile, 0, sizeof p->after_profile);
        return rc;
    }
    *p = q;
    p->state_ = PROFILE_DONE;
    return MB_OK;
}
