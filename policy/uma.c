/*
 * platform/uma.c: the memory policy of integrated GPUs (NVIDIA Jetson and GB10 through
 * cuda-uma, AMD APUs through hip-apu). The driver's free counts reclaimable page cache as
 * used, so free is the host's MemAvailable, never above what the container limit leaves
 * (every limited cgroup level) nor above total. The driver's free is only recorded beside
 * it; a backend whose vendor asks for min(driver, host), as HIP on APUs, applies that
 * itself. See NVIDIA's "CUDA
 * for Tegra" app note (estimating total allocatable device memory on an integrated GPU)
 * and vLLM's MemorySnapshot.measure.
 */
#include <string.h>

#include "policy.h"

int mb__uma_meminfo(const mb_platform *plat, int64_t driver_free, int64_t driver_total,
                    mb_meminfo *out)
{
    memset(out, 0, sizeof *out);
    mb_host_memory host;
    int rc = mb__plat_host_memory(plat, &host);
    if (rc)
        return rc;
    out->total = driver_total > 0 ? driver_total : host.total;
    out->free = host.available;
    out->driver_free = driver_free;
    out->source = MB_SOURCE_UMA_HOST;
    return mb__container_bound(plat, out);
}
