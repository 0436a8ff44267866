/* core/snapshot.c: measuring a device, and snapshot arithmetic (vLLM's MemorySnapshot). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *mb_source_name(int32_t s)
{
    switch (s) {
    case MB_SOURCE_NONE:
        return "none";
    case MB_SOURCE_NODE_MEMINFO:
        return "node-meminfo";
    case MB_SOURCE_PROC_MEMINFO:
        return "proc-meminfo";
    case MB_SOURCE_CUDA_CURRENT_CONTEXT:
        return "cuda-current-context";
    case MB_SOURCE_NVML:
        return "nvml";
    case MB_SOURCE_CUDA_PRIMARY_CONTEXT:
        return "cuda-primary-context";
    case MB_SOURCE_UMA_HOST:
        return "uma-host-available";
    case MB_SOURCE_HIP:
        return "hip";
    case MB_SOURCE_AMDGPU_SYSFS:
        return "amdgpu-sysfs";
    case MB_SOURCE_VALUES:
        return "values";
    }
    return "unknown";
}

static void snapshot_clear(mb_snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->driver_free = MB_UNKNOWN;
    s->limit = MB_UNLIMITED;
}

MB__API(mb_snapshot_measure, (mb_context *ctx, int device, const mb_allocator *alloc,
                        mb_snapshot *out), (ctx, device, alloc, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_snapshot_measure: out is NULL");
    snapshot_clear(out);
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_snapshot_measure: ctx is NULL");
    if (alloc && !alloc->stats)
        return mb__error(MB_EINVAL, "mb_snapshot_measure: the allocator has no stats "
                                    "callback; set mb_allocator.stats");
    mb_device_entry *e;
    int rc = mb__device_entry(ctx, device, &e);
    if (rc)
        return rc;
    mb_snapshot s;
    snapshot_clear(&s);
    if (alloc) {
        mb_alloc_stats st = {0, 0, 0};
        rc = alloc->stats(alloc->user, &st);
        if (rc)
            return mb__error(MB_ECALLBACK, "the allocator's stats callback failed with %d on "
                                           "%s (the callback's own code, not a membudget "
                                           "error)", rc, e->info.name);
        s.torch_peak = st.peak;
        s.torch_memory = st.reserved;
    }
    mb_meminfo mi;
    rc = mb__vt_mem_info(e->backend, e->local, &mi);
    if (rc)
        return rc;
    s.free_memory = mi.free;
    s.total_memory = mi.total;
    s.device_memory = mi.total - mi.free;
    s.non_torch_memory = s.device_memory - s.torch_memory;
    s.timestamp = mb__clock_wall();
    s.auto_measure = 1;
    memcpy(s.device, e->info.name, sizeof s.device);
    memcpy(s.platform, e->info.platform, sizeof s.platform);
    s.source = mi.source;
    s.flags = mi.flags;
    s.driver_free = mi.driver_free;
    s.limit = mi.limit;
    *out = s;
    return MB_OK;
}

MB__API(mb_snapshot_sub, (const mb_snapshot *a, const mb_snapshot *b, mb_snapshot *out),
        (a, b, out))
{
    if (!a || !b || !out) {
        if (out)
            snapshot_clear(out);
        return mb__error(MB_EINVAL, "mb_snapshot_sub: a, b or out is NULL");
    }
    if (strncmp(a->device, b->device, sizeof a->device) != 0) {
        int rc = mb__error(MB_EMISMATCH, "the two snapshots should be from the same device: "
                                         "found %.*s vs. %.*s", (int)sizeof a->device,
                           a->device, (int)sizeof b->device, b->device);
        snapshot_clear(out);
        return rc;
    }
    mb_snapshot r;
    snapshot_clear(&r);
    /* an unknown operand makes the difference unknown; a difference that does not fit
     * int64 is refused (no device holds such figures) */
    const int64_t *fa[6] = {&a->torch_peak, &a->free_memory, &a->total_memory,
                            &a->device_memory, &a->torch_memory, &a->non_torch_memory};
    const int64_t *fb[6] = {&b->torch_peak, &b->free_memory, &b->total_memory,
                            &b->device_memory, &b->torch_memory, &b->non_torch_memory};
    int64_t *fr[6] = {&r.torch_peak, &r.free_memory, &r.total_memory,
                      &r.device_memory, &r.torch_memory, &r.non_torch_memory};
    static const char *const names[6] = {"torch_peak", "free_memory", "total_memory",
                                         "device_memory", "torch_memory", "non_torch_memory"};
    for (int k = 0; k < 6; k++) {
        if (*fa[k] == MB_UNKNOWN || *fb[k] == MB_UNKNOWN) {
            *fr[k] = MB_UNKNOWN;
            continue;
        }
        if (mb__sub_overflows(*fa[k], *fb[k], fr[k])) {
            snapshot_clear(out);
            return mb__error(MB_ERANGE, "mb_snapshot_sub: %s %lld - %lld does not fit in 64 "
                                        "bits; the snapshots hold figures no device has",
                             names[k], (long long)*fa[k], (long long)*fb[k]);
        }
    }
    r.timestamp = a->timestamp - b->timestamp;
    r.auto_measure = 0;
    memcpy(r.device, a->device, sizeof r.device);
    memcpy(r.platform, a->platform, sizeof r.platform);
    r.source = a->source;
    r.flags = a->flags | b->flags;
    *out = r;
    return MB_OK;
}
