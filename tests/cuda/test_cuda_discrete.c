/*
 * tests/cuda/test_cuda_discrete.c: one discrete 80 GiB GPU (the fake's discrete80), with
 * NVML (--nvml) or without it (--no-nvml): static facts, free memory from each source and
 * what each costs in driver calls, the seed's profiling scenario, the tracking allocator,
 * concurrency, and that every retain, push and allocation is given back.
 */
#include <pthread.h>

#include "cuda_test.h"

static int with_nvml; /* from argv: is the fake libnvidia-ml.so.1 on the path? */

static int setup(void **state)
{
    (void)state;
    load_fake();
    return FC.mbfake_cuda_setup("discrete80");
}

/* After every context is freed, the fake holds nothing for membudget. */
static int teardown(void **state)
{
    (void)state;
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
    assert_int_equal(FC.mbfake_cuda_depth(), 0);
    assert_int_equal(FC.mbfake_cuda_allocated(), 0);
    if (with_nvml) {
        void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW);
        int (*inits)(void) = h ? (int (*)(void))dlsym(h, "mbfake_nvml_inits") : NULL;
        assert_non_null(inits);
        assert_int_equal(inits(), 0);
    }
    return 0;
}

/* What a snapshot must say with nothing but the device's own base use, the primary
 * context's overhead counted when membudget had to retain it. */
static int64_t expected_free(int primary_retained)
{
    return FAKE_D80_TOTAL - FAKE_D80_BASE_USED - (primary_retained ? FAKE_CTX_OVERHEAD : 0);
}

static void test_lazy_probe(void **state)
{
    (void)state;
    mb_context *ctx;
    assert_int_equal(mb_context_init(&ctx, NULL), MB_OK);
    assert_int_equal(FC.mbfake_cuda_count("cuInit"), 0); /* nothing before the probe */
    assert_int_equal(mb_context_probe(ctx), MB_OK);
    assert_int_equal(FC.mbfake_cuda_count("cuInit"), 1);
    /* probing reads facts without a context and without NVML */
    assert_int_equal(FC.mbfake_cuda_count("cuDevicePrimaryCtxRetain"), 0);
    assert_int_equal(FC.mbfake_cuda_count("nvmlInit_v2"), 0);
    mb_context_free(ctx);

    assert_int_equal(setenv("MEMBUDGET_BACKENDS", "-cuda", 1), 0);
    ctx = open_ctx(NULL);
    unsetenv("MEMBUDGET_BACKENDS");
    assert_int_equal(FC.mbfake_cuda_count("cuInit"), 1); /* excluded: not touched */
    assert_int_equal(backend(ctx, "cuda").state, MB_BACKEND_EXCLUDED);
    mb_context_free(ctx);
}

static void test_facts(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    assert_int_equal(st.device_count, 1);
    assert_contains(st.reason, "driver 13.0");
    assert_contains(st.reason, "/fake/cuda/libcuda.so.1");
    if (with_nvml)
        assert_contains(st.reason, "/fake/nvml/libnvidia-ml.so.1");
    else
        assert_contains(st.reason, "NVML not loaded");
    int d = device(ctx, "cuda:0");
    assert_int_equal(d, 0); /* the accelerator comes before the CPU */
    mb_device_info info = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, d, &info), MB_OK);
    assert_string_equal(info.backend, "cuda");
    assert_string_equal(info.ops, "cuda");
    assert_string_equal(info.platform, "cuda");
    assert_string_equal(info.model, FAKE_D80_NAME);
    assert_string_equal(info.pci_bus_id, FAKE_D80_PCI);
    assert_string_equal(info.uuid, FAKE_D80_UUID);
    assert_int_equal(info.integrated, 0);
    assert_int_equal(info.index, 0);
    assert_true(info.total_memory == FAKE_D80_TOTAL);
    int64_t smem = 0;
    assert_int_equal(mb_device_max_shared_memory(ctx, d, &smem), MB_OK);
    assert_int_equal(smem, FAKE_D80_SMEM);
    /* the facts cost no context */
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
    mb_context_free(ctx);
}

static void test_snapshot_exact(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    mb_snapshot s = measure(ctx, d, NULL);
    assert_true(s.total_memory == FAKE_D80_TOTAL);
    assert_true(s.free_memory == expected_free(!with_nvml));
    assert_int_equal(s.source, with_nvml ? MB_SOURCE_NVML : MB_SOURCE_CUDA_PRIMARY_CONTEXT);
    assert_string_equal(s.device, "cuda:0");
    assert_string_equal(s.platform, "cuda");
    assert_true(s.driver_free == MB_UNKNOWN);
    assert_int_equal(s.flags, 0);
    /* another tenant takes 3 GiB: free drops by exactly that */
    assert_int_equal(FC.mbfake_cuda_tenant(0, 3 * GiB), 0);
    mb_snapshot t = measure(ctx, d, NULL);
    assert_true(s.free_memory - t.free_memory == 3 * GiB);
    assert_int_equal(FC.mbfake_cuda_tenant(0, -3 * GiB), 0);
    mb_context_free(ctx);
}

/* The engine's own context is current on this thread: it is used, whatever NVML says. */
static void test_current_context(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    assert_int_equal(FC.mbfake_cuda_make_current(0), 0);
    long before = FC.mbfake_cuda_count("cuMemGetInfo_v2");
    mb_snapshot s = measure(ctx, d, NULL);
    assert_int_equal(s.source, MB_SOURCE_CUDA_CURRENT_CONTEXT);
    assert_true(s.free_memory == expected_free(1)); /* the engine's context holds memory */
    assert_int_equal(FC.mbfake_cuda_count("cuMemGetInfo_v2") - before, 1);
    assert_int_equal(FC.mbfake_cuda_count("cuCtxPushCurrent_v2"), 0); /* no push needed */
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 1);               /* only the engine's */
    assert_int_equal(FC.mbfake_cuda_depth(), 1);
    assert_int_equal(FC.mbfake_cuda_make_current(-1), 0);
    mb_context_free(ctx);
}

/* Driver calls per snapshot on each path, after the first (docs/cuda.md quotes these). */
static void test_costs(void **state)
{
    (void)state;
    static const char *calls[] = {"cuCtxGetCurrent", "cuCtxGetDevice", "cuMemGetInfo_v2",
                                  "cuCtxPushCurrent_v2", "cuCtxPopCurrent_v2",
                                  "cuDevicePrimaryCtxRetain", "nvmlInit_v2",
                                  "nvmlDeviceGetMemoryInfo", "nvmlDeviceGetHandleByUUID"};
    enum { N = sizeof calls / sizeof *calls, K = 10 };
    long c0[N], c1[N];
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    measure(ctx, d, NULL); /* the first one pays the set-up */
    for (int i = 0; i < N; i++)
        c0[i] = FC.mbfake_cuda_count(calls[i]);
    for (int k = 0; k < K; k++)
        measure(ctx, d, NULL);
    for (int i = 0; i < N; i++)
        c1[i] = FC.mbfake_cuda_count(calls[i]) - c0[i];
    /* cuCtxGetCurrent each time; nothing else from CUDA on the NVML path */
    assert_int_equal(c1[0], K);
    assert_int_equal(c1[1], 0);
    assert_int_equal(c1[5], 0); /* retained once at most, never again */
    if (with_nvml) {
        assert_int_equal(c1[2], 0);
        assert_int_equal(c1[3], 0);
        assert_int_equal(c1[7], K);
        assert_int_equal(c0[6], 1); /* NVML initialised once, at the first snapshot */
        assert_int_equal(c0[8], 1); /* joined by UUID */
        assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0); /* no context at all */
    } else {
        assert_int_equal(c1[2], K);
        assert_int_equal(c1[3], K);
        assert_int_equal(c1[4], K);
        assert_int_equal(c0[5], 1);
        assert_int_equal(FC.mbfake_cuda_primary_refs(0), 1);
    }
    mb_context_free(ctx);
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
}

/*
 * The seed's scenario, as vLLM's test_memory_profiling runs it: another tenant holds
 * 512 MiB before the baseline; the engine loads 512 MiB of weights; inside the profile a
 * 1 GiB spike is allocated and freed through the tracked allocator and 256 MiB are
 * allocated outside it. engine_current: the engine's context is current (as torch's is);
 * otherwise the engine's first allocation creates membudget's primary context before the
 * baseline (vLLM measures its baseline after CUDA is initialised).
 */
static void seed_scenario(int engine_current, mb_source want)
{
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    assert_int_equal(FC.mbfake_cuda_tenant(0, 512 * MiB), 0);
    if (engine_current)
        assert_int_equal(FC.mbfake_cuda_make_current(0), 0);
    mb_tracker *torch, *outside;
    assert_int_equal(mb_tracker_init(&torch, ctx, d, MB_TRACKER_CACHING), MB_OK);
    assert_int_equal(mb_tracker_init(&outside, ctx, d, 0), MB_OK);
    mb_allocator alloc;
    mb_tracker_get_allocator(torch, &alloc);
    void *p;
    assert_int_equal(mb_tracker_allocate(torch, 2 * MiB, &p), MB_OK); /* CUDA init */
    assert_int_equal(mb_tracker_deallocate(torch, p), MB_OK);
    assert_int_equal(alloc.empty_cache(alloc.user), MB_OK);

    mb_snapshot baseline = measure(ctx, d, &alloc);
    assert_int_equal(baseline.source, want);
    void *weights, *spike, *other;
    assert_int_equal(mb_tracker_allocate(torch, 512 * MiB, &weights), MB_OK);
    mb_profile prof;
    assert_int_equal(mb_profile_begin(&prof, ctx, d, &alloc, &baseline, 512 * MiB), MB_OK);
    assert_int_equal(mb_tracker_allocate(torch, GiB, &spike), MB_OK);
    assert_int_equal(mb_tracker_deallocate(torch, spike), MB_OK);
    assert_int_equal(mb_tracker_allocate(outside, 256 * MiB, &other), MB_OK);
    assert_int_equal(mb_profile_end(&prof), MB_OK);

    assert_true(prof.torch_peak_increase == GiB);
    int64_t dev = prof.non_torch_increase - 256 * MiB;
    if (dev < 0)
        dev = -dev;
    if (dev > 256 * MiB / 20)
        fail_msg("non_torch_increase %lld is not within 5%% of 256 MiB",
                 (long long)prof.non_torch_increase);
    assert_true(prof.non_kv_cache_memory ==
                512 * MiB + prof.torch_peak_increase + prof.non_torch_increase);
    assert_int_equal(prof.after_profile.source, want);
    char text[512];
    assert_true(mb_profile_format(&prof, text, sizeof text) > 0);
    assert_contains(text, "torch peak memory increase: 1.0GiB");
    assert_contains(text, "non-torch forward increase memory: 0.25GiB");

    assert_int_equal(mb_tracker_deallocate(outside, other), MB_OK);
    assert_int_equal(mb_tracker_deallocate(torch, weights), MB_OK);
    mb_tracker_free(outside);
    mb_tracker_free(torch);
    assert_int_equal(FC.mbfake_cuda_allocated(), 0);
    if (engine_current)
        assert_int_equal(FC.mbfake_cuda_make_current(-1), 0);
    assert_int_equal(FC.mbfake_cuda_tenant(0, -512 * MiB), 0);
    mb_context_free(ctx);
}

static void test_seed_engine_context(void **state)
{
    (void)state;
    seed_scenario(1, MB_SOURCE_CUDA_CURRENT_CONTEXT);
}

static void test_seed_without_context(void **state)
{
    (void)state;
    seed_scenario(0, with_nvml ? MB_SOURCE_NVML : MB_SOURCE_CUDA_PRIMARY_CONTEXT);
}

static void test_tracker(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, d, 0), MB_OK);
    void *a, *b;
    assert_int_equal(mb_tracker_allocate(t, 3 * MiB, &a), MB_OK);
    assert_int_equal(mb_tracker_allocate(t, 5 * MiB, &b), MB_OK);
    assert_non_null(a);
    assert_ptr_not_equal(a, b);
    assert_true(FC.mbfake_cuda_allocated() == 8 * MiB);
    assert_int_equal(FC.mbfake_cuda_depth(), 0); /* every push was popped */
    assert_int_equal(mb_tracker_deallocate(t, a), MB_OK);
    assert_true(FC.mbfake_cuda_allocated() == 5 * MiB);
    /* more than the device has: the driver's error, named */
    void *big;
    assert_int_equal(mb_tracker_allocate(t, (size_t)(100 * GiB), &big), MB_ENOMEM);
    assert_null(big);
    assert_contains(mb_error_detail(), "cuda:0: cuMemAlloc_v2 failed");
    assert_contains(mb_error_detail(), "CUDA_ERROR_OUT_OF_MEMORY");
    mb_tracker_free(t); /* frees b */
    assert_int_equal(FC.mbfake_cuda_allocated(), 0);
    mb_context_free(ctx);
}

static void test_not_integrated(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, d, MB_TRACKER_CACHING), MB_OK);
    void *p;
    assert_int_equal(mb_tracker_allocate(t, GiB, &p), MB_OK);
    assert_int_equal(mb_tracker_deallocate(t, p), MB_OK);
    mb_allocator a;
    mb_tracker_get_allocator(t, &a);
    mb_pressure_options o = MB_PRESSURE_OPTIONS_INIT;
    o.pressure_threshold = 0.000001; /* pressure whatever the host has */
    mb_pressure_result r = MB_PRESSURE_RESULT_INIT;
    long syncs = FC.mbfake_cuda_syncs_in_primary();
    assert_int_equal(mb_pressure_release(ctx, d, &a, &o, &r), MB_OK);
    assert_int_equal(r.released, 0);
    assert_contains(r.reason, "not an integrated GPU");
    assert_int_equal(FC.mbfake_cuda_syncs_in_primary(), syncs);
    assert_true(FC.mbfake_cuda_allocated() == GiB); /* still cached */
    mb_tracker_free(t);
    mb_context_free(ctx);
}

typedef struct worker {
    mb_context *ctx;
    int dev;
    int failures;
    int depth;
} worker;

static void *measure_loop(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 200; i++) {
        mb_snapshot s;
        if (mb_snapshot_measure(w->ctx, w->dev, NULL, &s) != MB_OK ||
            s.total_memory != FAKE_D80_TOTAL)
            w->failures++;
    }
    w->depth = FC.mbfake_cuda_depth();
    return NULL;
}

/* Four threads measure at once: the lazy primary context is retained once, every thread's
 * context stack ends empty. */
static void test_threads(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){ctx, device(ctx, "cuda:0"), 0, -1};
        assert_int_equal(pthread_create(&th[i], NULL, measure_loop, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].depth, 0);
    }
    assert_int_equal(FC.mbfake_cuda_count("cuDevicePrimaryCtxRetain"), with_nvml ? 0 : 1);
    assert_int_equal(FC.mbfake_cuda_count("nvmlInit_v2"), with_nvml ? 1 : 0);
    mb_context_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "--nvml") != 0 && strcmp(argv[1], "--no-nvml") != 0)) {
        fprintf(stderr, "usage: %s --nvml | --no-nvml\n", argv[0]);
        return 2;
    }
    with_nvml = strcmp(argv[1], "--nvml") == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lazy_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_facts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_current_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_costs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_engine_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_without_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_integrated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests_name(with_nvml ? "cuda discrete, NVML" : "cuda discrete, no NVML",
                                       tests, NULL, NULL);
}
