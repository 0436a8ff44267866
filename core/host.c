/* core/host.c: host helpers (get_cpu_memory, get_max_shared_memory_bytes) and vLLM's
 * release_device_memory_under_pressure, with its thresholds as options. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

MB__API(mb_host_memory_get, (mb_context *ctx, mb_host_memory *out), (ctx, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_host_memory_get: out is NULL");
    memset(out, 0, sizeof *out);
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_host_memory_get: ctx is NULL");
    return mb__plat_host_memory(&ctx->plat, out);
}

MB__API(mb_host_memory_total, (mb_context *ctx, int64_t *out), (ctx, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_host_memory_total: out is NULL");
    *out = 0;
    mb_host_memory h;
    int rc = mb_host_memory_get(ctx, &h);
    if (rc == MB_OK)
        *out = h.total;
    return rc;
}

MB__API(mb_device_max_shared_memory, (mb_context *ctx, int device, int64_t *out),
        (ctx, device, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_device_max_shared_memory: out is NULL");
    *out = 0;
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_device_max_shared_memory: ctx is NULL");
    mb_device_entry *e;
    int rc = mb__device_entry(ctx, device, &e);
    if (rc)
        return rc;
    rc = mb__vt_max_shared_memory(e->backend, e->local, out);
    if (rc == MB_ENOTSUP)
        return mb__error(MB_ENOTSUP, "%s has no shared memory per thread block; "
                                     "get_max_shared_memory_bytes applies to GPUs",
                         e->info.name);
    if (rc == MB_OK && *out <= 0) { /* vLLM asserts max_shared_mem > 0 */
        *out = 0;
        return mb__error(MB_EBACKEND, "%s reports %s shared memory per block; a GPU must "
                                      "report more than zero", e->info.name, "zero");
    }
    return rc;
}


int mb__pressure_release(mb_context *ctx, int device, const mb_allocator *alloc,
                         const mb_pressure_options *opts, mb_pressure_result *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_pressure_release: out is NULL");
    memset(out, 0, sizeof *out);
    if (!ctx || !alloc || !alloc->stats)
        return mb__error(MB_EINVAL, "mb_pressure_release: ctx or allocator (with stats) "
                                    "is NULL");
    mb_pressure_options o = MB_PRESSURE_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (!(o.pressure_threshold > 0 && o.pressure_threshold < 1) || o.min_release_bytes < 0)
        return mb__error(MB_EINVAL, "pressure options: threshold %g must lie in (0, 1) and "
                                    "min_release_bytes %lld must be >= 0",
                         o.pressure_threshold, (long long)o.min_release_bytes);
    mb_device_entry *e;
    int rc = mb__device_entry(ctx, device, &e);
    if (rc)
        return rc;
    if (!e->info.integrated) {
        snprintf(out->reason, sizeof out->reason, "%s is not an integrated GPU", e->info.name);
        return MB_OK;
    }
    mb_alloc_stats st = {0, 0, 0};
    rc = alloc->stats(alloc->user, &st);
    if (rc)
        return mb__error(MB_ECALLBACK, "the allocator's stats callback failed with %d on %s "
                                       "(the callback's own code, not a membudget error)",
                         rc, e->info.name);
    out->releasable = st.reserved - st.allocated;
    if (out->releasable < o.min_release_bytes) {
        snprintf(out->reason, sizeof out->reason,
                 "only %lld bytes releasable, below the %lld-byte minimum",
                 (long long)out->releasable, (long long)o.min_release_bytes);
        return MB_OK;
    }
    mb_host_memory h;
    rc = mb__plat_host_memory(&ctx->plat, &h);
    if (rc)
        return rc;
    out->host_available = h.available;
    out->host_total = h.total;
    if ((double)h.available > (1.0 - o.pressure_threshold) * (double)h.total) {
        snprintf(out->reason, sizeof out->reason,
                 "no memory pressure: %lld of %lld bytes available", (long long)h.available,
                 (long long)h.total);
        return MB_OK;
    }
    if ((rc = mb__vt_synchronize(e->backend, e->local)))
        return rc;
    if (alloc->empty_cache && (rc = alloc->empty_cache(alloc->user)))
        return mb__error(MB_ECALLBACK, "the allocator's empty_cache callback failed with %d "
                                       "on %s (the callback's own code, not a membudget "
                                       "error)", rc, e->info.name);
    out->released = 1;
    char g[48];
    mb_size_format_gib(out->releasable, g, sizeof g);
    snprintf(out->reason, sizeof out->reason,
             "released %sGiB of cached device memory under memory pressure", g);
    return MB_OK;
}
