/*
 * tests/cuda/cuda_hw_seed.c: the seed's profiling scenario on a real NVIDIA GPU, through the
 * real libcuda.so.1 and membudget's tracking allocator (run by ci/cuda-hw.sh; not a CTest
 * entry, since CI has no GPU).
 *
 *   cuda_hw_seed [DEVICE]      (default cuda:0)
 *
 * Another tenant (a second tracker, outside the profiled allocator) holds 512 MiB before
 * the baseline; the engine loads 512 MiB of weights; inside the profile a 1 GiB spike is
 * allocated and freed through the profiled (caching) tracker and 256 MiB are allocated
 * outside it. Passes when torch_peak_increase is exactly 1 GiB and non_torch_increase is
 * within 5% of 256 MiB, as vLLM's test_memory_profiling asserts. Exit 0 pass, 1 fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membudget.h"

#define MiB MB_MiB
#define GiB MB_GiB

static int failed(const char *what, int rc)
{
    fprintf(stderr, "cuda_hw_seed: %s: %s: %s\n", what, mb_error_message(rc), mb_error_detail());
    return 1;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "cuda:0";
    mb_context *ctx;
    int rc = mb_context_init(&ctx, NULL);
    if (rc)
        return failed("mb_context_init", rc);
    if ((rc = mb_context_probe(ctx)))
        return failed("probe", rc);
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        mb_backend_status st = MB_BACKEND_STATUS_INIT;
        if (mb_backend_get(ctx, i, &st) == MB_OK && strcmp(st.name, "cuda") == 0) {
            printf("cuda backend: %s: %s\n", mb_backend_state_name(st.state), st.reason);
            if (st.state != MB_BACKEND_PRESENT) {
                fprintf(stderr, "cuda_hw_seed: no usable NVIDIA GPU\n");
                return 1;
            }
        }
    }
    int dev;
    if ((rc = mb_device_find(ctx, name, &dev)))
        return failed(name, rc);
    mb_device_info info = MB_DEVICE_INFO_INIT;
    mb_device_get(ctx, dev, &info);
    int64_t smem = 0;
    mb_device_max_shared_memory(ctx, dev, &smem);
    printf("%s: %s, pci %s, %s, ops %s, total %lld bytes, max shared memory per block "
           "(opt-in) %lld bytes\n", info.name, info.model, info.pci_bus_id, info.uuid, info.ops,
           (long long)info.total_memory, (long long)smem);

    mb_tracker *torch, *outside;
    if ((rc = mb_tracker_init(&torch, ctx, dev, MB_TRACKER_CACHING)) ||
        (rc = mb_tracker_init(&outside, ctx, dev, 0)))
        return failed("mb_tracker_init", rc);
    mb_allocator alloc;
    mb_tracker_get_allocator(torch, &alloc);
    void *tenant, *warm, *weights, *spike, *other;
    /* another tenant, then the engine's CUDA initialisation, before the baseline */
    if ((rc = mb_tracker_allocate(outside, (size_t)(512 * MiB), &tenant)))
        return failed("tenant 512 MiB", rc);
    if ((rc = mb_tracker_allocate(torch, (size_t)(2 * MiB), &warm)) ||
        (rc = mb_tracker_deallocate(torch, warm)) || (rc = alloc.empty_cache(alloc.user)))
        return failed("warm-up", rc);
    mb_snapshot baseline;
    if ((rc = mb_snapshot_measure(ctx, dev, &alloc, &baseline)))
        return failed("baseline", rc);
    printf("baseline source: %s\n", mb_source_name(baseline.source));
    if ((rc = mb_tracker_allocate(torch, (size_t)(512 * MiB), &weights)))
        return failed("weights 512 MiB", rc);
    mb_profile p;
    if ((rc = mb_profile_begin(&p, ctx, dev, &alloc, &baseline, 512 * MiB)))
        return failed("mb_profile_begin", rc);
    if ((rc = mb_tracker_allocate(torch, (size_t)GiB, &spike)) ||
        (rc = mb_tracker_deallocate(torch, spike)))
        return failed("spike 1 GiB", rc);
    if ((rc = mb_tracker_allocate(outside, (size_t)(256 * MiB), &other)))
        return failed("outside 256 MiB", rc);
    if ((rc = mb_profile_end(&p)))
        return failed("mb_profile_end", rc);
    char text[1024];
    mb_profile_format(&p, text, sizeof text);
    printf("%s\n", text);
    printf("torch_peak_increase=%lld non_torch_increase=%lld non_kv_cache_memory=%lld\n",
           (long long)p.torch_peak_increase, (long long)p.non_torch_increase,
           (long long)p.non_kv_cache_memory);
    int ok = 1;
    if (p.torch_peak_increase != GiB) {
        fprintf(stderr, "FAIL: torch_peak_increase %lld != 1 GiB\n",
                (long long)p.torch_peak_increase);
        ok = 0;
    }
    int64_t dev256 = llabs((long long)(p.non_torch_increase - 256 * MiB));
    if (dev256 > 256 * MiB / 20) {
        fprintf(stderr, "FAIL: non_torch_increase %lld is not within 5%% of 256 MiB\n",
                (long long)p.non_torch_increase);
        ok = 0;
    }
    mb_tracker_free(outside);
    mb_tracker_free(torch);
    mb_context_free(ctx);
    printf("seed scenario: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
