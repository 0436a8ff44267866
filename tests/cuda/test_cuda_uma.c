/*
 * tests/cuda/test_cuda_uma.c: an integrated GPU (the fake's "uma", GB10-like) whose driver
 * free is MemFree, under the real DGX Spark dump (MEMBUDGET_SYSROOT, set by CTest), under
 * made-up meminfo files (memory pressure, a hugetlb pool), and on this machine (the
 * caching tracker released under pressure).
 */
#include <unistd.h>

#include "cuda_test.h"
#include "testutil.h"

static char dump[4096];

static int setup(void **state)
{
    (void)state;
    load_fake();
    /* the fake reads MEMBUDGET_SYSROOT's meminfo: back to the dump before each test */
    setenv("MEMBUDGET_SYSROOT", dump, 1);
    return FC.mbfake_cuda_setup("uma");
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
    assert_int_equal(FC.mbfake_cuda_depth(), 0);
    assert_int_equal(FC.mbfake_cuda_allocated(), 0);
    return 0;
}

static int64_t dump_value(const char *key)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/proc/meminfo", dump);
    char *text = tu_slurp(path);
    assert_non_null(text);
    int64_t v = tu_meminfo(text, key);
    free(text);
    assert_true(v > 0);
    return v;
}

static void test_dgx_spark(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    assert_string_equal(mb_context_sysroot(ctx), dump);
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    assert_contains(st.reason, "integrated (UMA)");
    int d = device(ctx, "cuda:0");
    mb_device_info info = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, d, &info), MB_OK);
    assert_string_equal(info.ops, "cuda-uma");
    assert_int_equal(info.integrated, 1);
    assert_string_equal(info.model, FAKE_GB10_NAME);
    assert_true(info.total_memory == dump_value("MemTotal"));

    mb_snapshot s = measure(ctx, d, NULL);
    int64_t avail = dump_value("MemAvailable");
    assert_true(avail == 121737812LL * 1024); /* the dump this test is written against */
    assert_true(s.free_memory == avail);
    assert_true(s.total_memory == dump_value("MemTotal"));
    assert_int_equal(s.source, MB_SOURCE_UMA_HOST);
    /* NVML reports GB10 memory as not supported and no context is current: the driver's
     * own free is unknown, and no primary context was created just to ask for it (on a
     * UMA device a context takes host memory the engine would then not see) */
    assert_true(s.driver_free == MB_UNKNOWN);
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
    assert_true(s.limit == MB_UNLIMITED);
    assert_int_equal(s.flags & MB_SNAP_LIMITED, 0);
    /* NVML was asked once, then never again for this device */
    measure(ctx, d, NULL);
    assert_int_equal(FC.mbfake_cuda_count("nvmlDeviceGetMemoryInfo"), 1);
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
    /* with the engine's context current the driver's free sits beside the policy's */
    assert_int_equal(FC.mbfake_cuda_make_current(0), 0);
    s = measure(ctx, d, NULL);
    assert_true(s.free_memory == avail);
    assert_true(s.driver_free == dump_value("MemFree") - FAKE_CTX_OVERHEAD);
    assert_true(s.driver_free < s.free_memory);
    assert_int_equal(FC.mbfake_cuda_make_current(-1), 0);

    int64_t smem;
    assert_int_equal(mb_device_max_shared_memory(ctx, d, &smem), MB_OK);
    assert_int_equal(smem, FAKE_GB10_SMEM);
    /* no allocation on a machine dump */
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, d, 0), MB_EFOREIGN);
    mb_context_free(ctx);
}

/* An allocator that records empty_cache calls. */
typedef struct fake_alloc {
    mb_alloc_stats st;
    int emptied;
} fake_alloc;

static int fa_stats(void *u, mb_alloc_stats *out)
{
    *out = ((fake_alloc *)u)->st;
    return MB_OK;
}

static int fa_empty(void *u)
{
    fake_alloc *a = u;
    a->emptied++;
    a->st.reserved = a->st.allocated;
    return MB_OK;
}

static const char *pressure_root(void)
{
    static char root[4096];
    tu_fresh_dir("cuda-uma-pressure", root, sizeof root);
    char path[4200];
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    /* 100 GiB host, 10 GiB available: at vLLM's threshold (20%) this is pressure */
    tu_write(path, "MemTotal:       104857600 kB\n"
                   "MemFree:          5242880 kB\n"
                   "MemAvailable:    10485760 kB\n"
                   "HugePages_Total:       0\n"
                   "Hugepagesize:       2048 kB\n");
    return root;
}

static void test_pressure(void **state)
{
    (void)state;
    /* no pressure in the dump: 116 of 120 GiB available */
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    fake_alloc fa = {{0, 0, GiB}, 0};
    mb_allocator a = {&fa, fa_stats, NULL, fa_empty};
    mb_pressure_result r = MB_PRESSURE_RESULT_INIT;
    assert_int_equal(mb_pressure_release(ctx, d, &a, NULL, &r), MB_OK);
    assert_int_equal(r.released, 0);
    assert_contains(r.reason, "no memory pressure");
    assert_int_equal(fa.emptied, 0);
    mb_context_free(ctx);

    /* pressure: synchronize the device (in the primary context), then empty the cache */
    const char *root = pressure_root();
    setenv("MEMBUDGET_SYSROOT", root, 1);
    ctx = open_ctx(NULL);
    d = device(ctx, "cuda:0");
    long syncs = FC.mbfake_cuda_syncs_in_primary();
    assert_int_equal(mb_pressure_release(ctx, d, &a, NULL, &r), MB_OK);
    assert_int_equal(r.released, 1);
    assert_true(r.releasable == GiB);
    assert_true(r.host_available == 10LL * GiB);
    assert_true(r.host_total == 100LL * GiB);
    assert_contains(r.reason, "released 1.0GiB");
    assert_int_equal(fa.emptied, 1);
    assert_int_equal(FC.mbfake_cuda_syncs_in_primary() - syncs, 1);
    assert_int_equal(FC.mbfake_cuda_depth(), 0);

    /* below the minimum: 256 MiB cached does not count */
    fa.st = (mb_alloc_stats){0, 0, 256 * MiB};
    assert_int_equal(mb_pressure_release(ctx, d, &a, NULL, &r), MB_OK);
    assert_int_equal(r.released, 0);
    assert_int_equal(fa.emptied, 1);
    /* ... unless the option says so */
    mb_pressure_options o = MB_PRESSURE_OPTIONS_INIT;
    o.min_release_bytes = 128 * MiB;
    assert_int_equal(mb_pressure_release(ctx, d, &a, &o, &r), MB_OK);
    assert_int_equal(r.released, 1);
    assert_int_equal(fa.emptied, 2);
    /* a stricter threshold: 10% available is not pressure at 0.95 */
    fa.st = (mb_alloc_stats){0, 0, GiB};
    o.pressure_threshold = 0.95;
    assert_int_equal(mb_pressure_release(ctx, d, &a, &o, &r), MB_OK);
    assert_int_equal(r.released, 0);
    mb_context_free(ctx);
}

/* A hugetlb pool cannot back device allocations: free <= driver total - pool. */
static void test_hugetlb(void **state)
{
    (void)state;
    static char root[4096];
    tu_fresh_dir("cuda-uma-hugetlb", root, sizeof root);
    char path[4200];
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    /* 64 GiB, 16 GiB of it in 2 MiB huge pages; MemAvailable as some kernels in guests
     * report it, above what the pool leaves */
    tu_write(path, "MemTotal:       67108864 kB\n"
                   "MemFree:        41943040 kB\n"
                   "MemAvailable:   62914560 kB\n"
                   "HugePages_Total:    8192\n"
                   "HugePages_Free:     8192\n"
                   "Hugepagesize:       2048 kB\n");
    setenv("MEMBUDGET_SYSROOT", root, 1);
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    mb_snapshot s = measure(ctx, d, NULL);
    assert_true(s.total_memory == 64 * GiB);
    assert_true(s.free_memory == 48 * GiB);
    mb_context_free(ctx);

    /* "Hugetlb:" (every page size) wins over HugePages_Total x Hugepagesize */
    tu_write(path, "MemTotal:       67108864 kB\n"
                   "MemFree:        41943040 kB\n"
                   "MemAvailable:   62914560 kB\n"
                   "HugePages_Total:       0\n"
                   "Hugepagesize:       2048 kB\n"
                   "Hugetlb:        33554432 kB\n");
    ctx = open_ctx(NULL);
    d = device(ctx, "cuda:0");
    s = measure(ctx, d, NULL);
    assert_true(s.free_memory == 32 * GiB);
    mb_context_free(ctx);

    /* the per-size sysfs counts, when the machine has them, win over /proc/meminfo and
     * are read at every snapshot: 4096 x 2 MiB + 8 x 1 GiB = 16 GiB */
    char pool2m[4300], pool1g[4300];
    snprintf(pool2m, sizeof pool2m, "%s/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
             root);
    snprintf(pool1g, sizeof pool1g,
             "%s/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", root);
    tu_write(pool2m, "4096\n");
    tu_write(pool1g, "8\n");
    ctx = open_ctx(NULL);
    d = device(ctx, "cuda:0");
    s = measure(ctx, d, NULL);
    assert_true(s.free_memory == 48 * GiB); /* 64 - 16; meminfo's Hugetlb: 32 GiB unused */
    tu_write(pool1g, "0\n");
    s = measure(ctx, d, NULL);
    assert_true(s.free_memory == 56 * GiB); /* 60 GiB available, capped at 64 - 8 */
    tu_write(pool2m, "0\n");
    s = measure(ctx, d, NULL);
    assert_true(s.free_memory == 60 * GiB);
    mb_context_free(ctx);
    unlink(pool2m);
    unlink(pool1g);
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/sys/kernel/mm/hugepages/hugepages-2048kB", root);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/sys/kernel/mm/hugepages/hugepages-1048576kB", root);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/sys/kernel/mm/hugepages", root);
    rmdir(dir);

    /* no pool: MemAvailable as it is */
    tu_write(path, "MemTotal:       67108864 kB\n"
                   "MemFree:        41943040 kB\n"
                   "MemAvailable:   52428800 kB\n"
                   "HugePages_Total:       0\n"
                   "Hugepagesize:       2048 kB\n");
    ctx = open_ctx(NULL);
    d = device(ctx, "cuda:0");
    s = measure(ctx, d, NULL);
    assert_true(s.free_memory == 50 * GiB);
    mb_context_free(ctx);
}

/* This machine, a caching tracker: under pressure (a threshold this host always meets)
 * the cached blocks go back to the driver. */
static void test_release_tracker_live(void **state)
{
    (void)state;
    unsetenv("MEMBUDGET_SYSROOT");
    mb_context *ctx = open_ctx(NULL);
    assert_string_equal(mb_context_sysroot(ctx), "/");
    int d = device(ctx, "cuda:0");
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, d, MB_TRACKER_CACHING), MB_OK);
    void *p, *q;
    assert_int_equal(mb_tracker_allocate(t, 600 * MiB, &p), MB_OK);
    assert_int_equal(mb_tracker_allocate(t, 64 * MiB, &q), MB_OK);
    assert_int_equal(mb_tracker_deallocate(t, p), MB_OK);
    assert_true(FC.mbfake_cuda_allocated() == 664 * MiB); /* cached */
    mb_allocator a;
    mb_tracker_get_allocator(t, &a);
    mb_pressure_options o = MB_PRESSURE_OPTIONS_INIT;
    o.pressure_threshold = 0.000001;
    mb_pressure_result r = MB_PRESSURE_RESULT_INIT;
    assert_int_equal(mb_pressure_release(ctx, d, &a, &o, &r), MB_OK);
    assert_int_equal(r.released, 1);
    assert_true(r.releasable == 600 * MiB);
    assert_true(FC.mbfake_cuda_allocated() == 64 * MiB);
    mb_snapshot s = measure(ctx, d, &a);
    assert_int_equal(s.source, MB_SOURCE_UMA_HOST);
    assert_true(s.torch_memory == 64 * MiB);
    assert_true(s.driver_free == MB_UNKNOWN); /* no context current, none made to ask */
    mb_tracker_free(t);
    mb_context_free(ctx);
}

int main(void)
{
    const char *root = getenv("MEMBUDGET_SYSROOT");
    if (!root || !*root) {
        fprintf(stderr, "MEMBUDGET_SYSROOT must name the DGX Spark dump\n");
        return 1;
    }
    if (!realpath(root, dump)) {
        fprintf(stderr, "%s: not found\n", root);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dgx_spark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hugetlb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_tracker_live, setup, teardown),
    };
    return cmocka_run_group_tests_name("cuda integrated (UMA)", tests, NULL, NULL);
}
