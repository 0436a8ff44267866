/*
 * tests/cuda/test_cuda_faults.c: a failure on the Nth driver call, for N = 1, 2, ... until a
 * run goes through untouched, in every scenario (discrete80, two, uma) and with and
 * without the engine's own context current; with NVML (--nvml) or without (--no-nvml).
 *
 * Each run probes, then per CUDA device measures, allocates and frees through a tracker,
 * measures again and (integrated devices) releases under pressure. For every N:
 *  - no crash;
 *  - the injected failure surfaces as a negative mb_error whose detail names the failed
 *    call, or as a broken backend whose reason names it; only NVML's calls may be absorbed
 *    (NVML is optional: the snapshot falls back to a context), and the teardown's release
 *    calls, which have no one to report to;
 *  - afterwards membudget holds nothing in the driver: no primary-context retain, no pushed
 *    context, no device allocation, no NVML init, except what the failed call itself
 *    could not give back (a block whose free failed: the tracker forgets it).
 * Heap leaks are checked by running this under valgrind (docs/cuda.md gives the command).
 */
#include "cuda_test.h"

static int with_nvml;
static int (*nvml_inits)(void);

typedef struct run {
    int errors;       /* failures surfaced as an error code */
    int broken;       /* the backend was broken at probe */
    int in_free;      /* the failure came from freeing the 3 MiB block */
    char detail[1024];
} run;

static int fa_stats(void *u, mb_alloc_stats *out)
{
    (void)u;
    *out = (mb_alloc_stats){0, 0, GiB};
    return MB_OK;
}

/* Records rc; 1 when the run must stop. */
static int failed_with(run *r, int rc)
{
    if (rc == MB_OK)
        return 0;
    assert_true(rc < 0);
    r->errors++;
    snprintf(r->detail, sizeof r->detail, "%s", mb_error_detail());
    return 1;
}

static void one_run(int engine_current, run *r)
{
    memset(r, 0, sizeof *r);
    mb_context *ctx = open_ctx(NULL);
    mb_backend_status st = backend(ctx, "cuda");
    if (st.state != MB_BACKEND_PRESENT) {
        r->broken = 1;
        snprintf(r->detail, sizeof r->detail, "%s", st.reason);
        mb_context_free(ctx);
        return;
    }
    if (engine_current)
        assert_int_equal(FC.mbfake_cuda_make_current(0), 0);
    for (int i = 0; i < mb_device_count(ctx); i++) {
        mb_device_info info = MB_DEVICE_INFO_INIT;
        assert_int_equal(mb_device_get(ctx, i, &info), MB_OK);
        if (strcmp(info.backend, "cuda") != 0)
            continue;
        mb_snapshot s;
        int64_t smem;
        mb_tracker *t = NULL;
        void *p = NULL;
        if (failed_with(r, mb_snapshot_measure(ctx, i, NULL, &s)))
            break;
        assert_int_equal(mb_device_max_shared_memory(ctx, i, &smem), MB_OK);
        assert_int_equal(mb_tracker_init(&t, ctx, i, 0), MB_OK);
        int stop = failed_with(r, mb_tracker_allocate(t, 3 * MiB, &p));
        if (!stop && failed_with(r, mb_tracker_deallocate(t, p)))
            stop = r->in_free = 1;
        if (!stop)
            stop = failed_with(r, mb_snapshot_measure(ctx, i, NULL, &s));
        if (!stop && info.integrated) {
            mb_allocator a = {NULL, fa_stats, NULL, NULL};
            mb_pressure_options o = MB_PRESSURE_OPTIONS_INIT;
            o.pressure_threshold = 0.000001;
            mb_pressure_result pr = MB_PRESSURE_RESULT_INIT;
            stop = failed_with(r, mb_pressure_release(ctx, i, &a, &o, &pr));
            if (!stop)
                assert_int_equal(pr.released, 1);
        }
        mb_tracker_free(t);
        if (stop)
            break;
    }
    if (engine_current)
        assert_int_equal(FC.mbfake_cuda_make_current(-1), 0);
    mb_context_free(ctx);
}

static int tolerated(const char *call)
{
    return strncmp(call, "nvml", 4) == 0 || strcmp(call, "cuDevicePrimaryCtxRelease_v2") == 0;
}

static void sweep(const char *scenario, int engine_current)
{
    load_fake();
    long n;
    int surfaced = 0, absorbed = 0;
    for (n = 1; n < 1000; n++) {
        assert_int_equal(FC.mbfake_cuda_setup(scenario), 0);
        FC.mbfake_cuda_set("fail_at", n);
        run r;
        one_run(engine_current, &r);
        const char *failed = FC.mbfake_cuda_failed_call();
        if (!failed[0]) { /* the fault was never reached: a clean run */
            if (r.errors || r.broken)
                fail_msg("%s: a run without fault failed: %s", scenario, r.detail);
            break;
        }
        if (r.errors || r.broken) {
            if (!strstr(r.detail, failed))
                fail_msg("%s N=%ld: %s failed but the %s does not name it: %s", scenario, n,
                         failed, r.broken ? "reason" : "detail", r.detail);
            surfaced++;
        } else {
            if (!tolerated(failed))
                fail_msg("%s N=%ld: the failure of %s was swallowed", scenario, n, failed);
            absorbed++;
        }
        /* nothing held in the driver: a block whose free failed stayed tracked, and
         * mb_tracker_free gave it back */
        long long held = FC.mbfake_cuda_allocated();
        if (held)
            fail_msg("%s N=%ld (%s): %lld bytes still allocated", scenario, n, failed, held);
        for (int o = 0; o < 2; o++) {
            int refs = FC.mbfake_cuda_primary_refs(o);
            if (refs > 0 && !(strcmp(failed, "cuDevicePrimaryCtxRelease_v2") == 0 && refs == 1))
                fail_msg("%s N=%ld (%s): %d primary retains left on device %d", scenario, n,
                         failed, refs, o);
        }
        int depth = FC.mbfake_cuda_depth();
        /* a failed pop leaves membudget's context on the stack, above the engine's */
        if (depth && !(strcmp(failed, "cuCtxPopCurrent_v2") == 0 && depth <= 1 + engine_current))
            fail_msg("%s N=%ld (%s): %d contexts left pushed", scenario, n, failed, depth);
        if (nvml_inits && nvml_inits() != 0 && strcmp(failed, "nvmlShutdown") != 0)
            fail_msg("%s N=%ld (%s): NVML left initialised", scenario, n, failed);
        while (nvml_inits && nvml_inits() > 0) /* the fake's count is per process */
            ((int (*)(void))dlsym(dlopen("libnvidia-ml.so.1", RTLD_NOW), "nvmlShutdown"))();
    }
    assert_true(n < 1000);
    assert_true(surfaced > 0);
    print_message("%s%s: %ld calls, %d failures surfaced, %d absorbed by a fallback\n",
                  scenario, engine_current ? " (engine context current)" : "", n - 1, surfaced,
                  absorbed);
}

static void test_discrete(void **state)
{
    (void)state;
    sweep("discrete80", 0);
}
static void test_discrete_current(void **state)
{
    (void)state;
    sweep("discrete80", 1);
}
static void test_two(void **state)
{
    (void)state;
    sweep("two", 0);
}
static void test_two_current(void **state)
{
    (void)state;
    sweep("two", 1);
}
static void test_uma(void **state)
{
    (void)state;
    sweep("uma", 0);
}
static void test_uma_current(void **state)
{
    (void)state;
    sweep("uma", 1);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "--nvml") != 0 && strcmp(argv[1], "--no-nvml") != 0)) {
        fprintf(stderr, "usage: %s --nvml | --no-nvml\n", argv[0]);
        return 2;
    }
    with_nvml = strcmp(argv[1], "--nvml") == 0;
    if (getenv("MEMBUDGET_SYSROOT") || getenv("CUDA_VISIBLE_DEVICES")) {
        fprintf(stderr, "run with MEMBUDGET_SYSROOT and CUDA_VISIBLE_DEVICES unset\n");
        return 1;
    }
    if (with_nvml) {
        void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW);
        nvml_inits = h ? (int (*)(void))dlsym(h, "mbfake_nvml_inits") : NULL;
        if (!nvml_inits) {
            fprintf(stderr, "--nvml: the fake libnvidia-ml.so.1 is not on LD_LIBRARY_PATH\n");
            return 1;
        }
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discrete), cmocka_unit_test(test_discrete_current),
        cmocka_unit_test(test_two),      cmocka_unit_test(test_two_current),
        cmocka_unit_test(test_uma),      cmocka_unit_test(test_uma_current),
    };
    return cmocka_run_group_tests_name(with_nvml ? "cuda faults, NVML" : "cuda faults, no NVML",
                                       tests, NULL, NULL);
}
