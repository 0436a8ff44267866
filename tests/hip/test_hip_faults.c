/* tests/hip/test_hip_faults.c: a failure on the Nth runtime call, for N = 1, 2, ... until a
 * whole workload runs without the fault firing, on the discrete board (probe, measure,
 * shared memory, the tracker) and on the APU (probe, measure, pressure release). Each
 * failure must surface as an error code (or a broken backend) whose detail names the call
 * that failed, and leave no device memory behind; every entry point of hip_syms.h must have
 * failed at least once. Then the library's own faults (file reads, the heap, the vtable)
 * on the APU workload. CTest runs this program again under valgrind for leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backends/hip/hip_syms.h"
#include "hiptest.h"
#include "platform/platform.h"

#define SYM_NAME(name, params, args) #name,
static const char *const entry_points[] = {MB_HIP_SYMBOLS(SYM_NAME)};
#undef SYM_NAME
#define NSYMS ((int)(sizeof entry_points / sizeof entry_points[0]))

static fake_ctl fake;
static int covered[NSYMS];
static char apu_root[4096];

static void cover(const char *name)
{
    for (int i = 0; i < NSYMS; i++)
        if (strcmp(entry_points[i], name) == 0)
            covered[i]++;
}

/* After one step: the fault fired iff the step failed, and the detail names the call. */
static int step(int rc, const char *what, long n)
{
    long fired = fake.fired();
    if (rc == MB_OK && fired == 0)
        return 0;
    if (rc == MB_OK)
        fail_msg("N=%ld: %s failed inside %s, but %s succeeded", n, fake.failed_name(), what,
                 what);
    if (fired == 0)
        fail_msg("N=%ld: %s failed with %s (%s) without an injected fault", n, what,
                 mb_error_name(rc), mb_error_detail());
    assert_true(rc < 0);
    const char *detail = mb_error_detail();
    if (!strstr(detail, fake.failed_name()))
        fail_msg("N=%ld: %s failed in %s, but the detail does not name it: %s", n,
                 fake.failed_name(), what, detail);
    return 1;
}

/* The probe: broken, naming the call, when the fault fired there. 1: stop the workload. */
static int probe_step(mb_context *ctx, long n)
{
    mb_backend_status st = ht_backend(ctx, "hip");
    if (fake.fired() == 0) {
        if (st.state != MB_BACKEND_PRESENT)
            fail_msg("N=%ld: hip is %s without a fault: %s", n,
                     mb_backend_state_name(st.state), st.reason);
        return 0;
    }
    if (st.state != MB_BACKEND_BROKEN)
        fail_msg("N=%ld: %s failed during probe but hip is %s: %s", n, fake.failed_name(),
                 mb_backend_state_name(st.state), st.reason);
    if (!strstr(st.reason, fake.failed_name()))
        fail_msg("N=%ld: the reason does not name %s: %s", n, fake.failed_name(), st.reason);
    assert_non_null(strstr(st.reason, "hipErrorUnknown (999)"));
    return 1;
}

/* The runtime's current device of this thread, read from the double itself. */
static int current_device(void)
{
    /* hipError_t is an enum, returned as an int; hipSuccess is 0 */
    int (*get)(int *) = (int (*)(int *))dlsym(fake.handle, "hipGetDevice");
    assert_non_null(get);
    long before = fake.fired();
    int d = -1;
    assert_int_equal(get(&d), 0);
    assert_int_equal(fake.fired(), before);
    return d;
}

/* scenario "discrete" (device 0, 192 GiB) or "two" (device 1, 64 GiB: every call makes
 * device 1 current and gives the caller device 0 back). Returns 1 when the fault fired. */
static int board_workload(const char *scenario, int dev, int64_t board, long n)
{
    fake.reset(scenario);
    fake.fail_at(n, 0);
    int expect_live = 0;
    mb_context *ctx = ht_ctx(NULL, "hip");
    mb_tracker *t = NULL;
    if (probe_step(ctx, n))
        goto out;
    mb_snapshot s;
    if (step(mb_snapshot_measure(ctx, dev, NULL, &s), "mb_snapshot_measure", n))
        goto out;
    int64_t smem;
    if (step(mb_device_max_shared_memory(ctx, dev, &smem), "mb_device_max_shared_memory", n))
        goto out;
    assert_int_equal(mb_tracker_init(&t, ctx, dev, 0), MB_OK);
    void *p = NULL;
    if (step(mb_tracker_allocate(t, (size_t)GiB, &p), "mb_tracker_allocate", n)) {
        assert_null(p);
        goto out;
    }
    if (step(mb_snapshot_measure(ctx, dev, NULL, &s), "mb_snapshot_measure", n)) {
        (void)mb_tracker_deallocate(t, p);
        goto out;
    }
    assert_int_equal(s.free_memory, board - GiB);
    if (step(mb_tracker_deallocate(t, p), "mb_tracker_deallocate", n)) {
        /* the runtime refused the free (or making the device current for it): the block
         * stays tracked and mb_tracker_free below gives it back; a failure giving the
         * caller its device back comes after the free, and the block is gone already (not
         * freed twice: the fake counts a second hipFree of it as an error) */
        goto out;
    }
out:
    mb_tracker_free(t);
    mb_context_free(ctx);
    int fired = fake.fired() > 0;
    if (fired)
        cover(fake.failed_name());
    if (fake.live_allocations() != expect_live)
        fail_msg("N=%ld (%s): %d allocations left on the device, want %d", n,
                 fake.failed_name(), fake.live_allocations(), expect_live);
    if (fake.bad_frees() != 0)
        fail_msg("N=%ld (%s): %ld frees of a pointer not (or no longer) allocated", n,
                 fake.failed_name(), fake.bad_frees());
    return fired;
}

typedef struct stub {
    mb_alloc_stats st;
} stub;
static int stub_stats(void *u, mb_alloc_stats *out)
{
    *out = ((stub *)u)->st;
    return 0;
}
static int stub_empty(void *u)
{
    ((stub *)u)->st.reserved = ((stub *)u)->st.allocated;
    return 0;
}

/* The APU under memory pressure. lib_faults: arm the library's own fault counter instead
 * (the double then never fails). Returns 1 when a fault fired. */
static int apu_workload(long n, int lib_faults)
{
    fake.reset("apu");
    if (lib_faults)
        mb__fault_arm(n);
    else
        fake.fail_at(n, 0);
    mb_context *ctx = NULL;
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = apu_root;
    o.backends = "hip";
    int rc = mb_context_init(&ctx, &o);
    if (rc) {
        assert_true(lib_faults);
        assert_null(ctx);
        goto out;
    }
    if (lib_faults) {
        mb_snapshot s;
        mb_pressure_result r = MB_PRESSURE_RESULT_INIT;
        stub su = {{GiB, GiB, 3 * GiB}};
        mb_allocator a = {&su, stub_stats, NULL, stub_empty};
        if (mb_device_count(ctx) == 1 && mb_snapshot_measure(ctx, 0, NULL, &s) == MB_OK)
            (void)mb_pressure_release(ctx, 0, &a, NULL, &r);
        goto out;
    }
    if (probe_step(ctx, n))
        goto out;
    mb_snapshot s;
    if (step(mb_snapshot_measure(ctx, 0, NULL, &s), "mb_snapshot_measure", n))
        goto out;
    assert_string_equal(s.device, "hip:0");
    stub su = {{GiB, GiB, 3 * GiB}};
    mb_allocator a = {&su, stub_stats, NULL, stub_empty};
    mb_pressure_result r = MB_PRESSURE_RESULT_INIT;
    if (step(mb_pressure_release(ctx, 0, &a, NULL, &r), "mb_pressure_release", n))
        goto out;
    assert_int_equal(r.released, 1);
out:
    mb_context_free(ctx);
    int fired;
    if (lib_faults) {
        fired = mb__fault_site()[0] != '\0';
        mb__fault_arm(0);
    } else {
        fired = fake.fired() > 0;
        if (fired)
            cover(fake.failed_name());
    }
    assert_int_equal(fake.live_allocations(), 0);
    return fired;
}

/* Measuring, allocating, freeing and synchronizing on hip:1 leave the caller's current
 * device (0) as it was, and a caller whose current device is 1 keeps 1. */
static void test_caller_device_kept(void **state)
{
    (void)state;
    fake.reset("two");
    mb_context *ctx = ht_ctx(NULL, "hip");
    assert_int_equal(mb_device_count(ctx), 2);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 1, NULL, &s), MB_OK);
    assert_int_equal(current_device(), 0);
    mb_tracker *t;
    void *p;
    assert_int_equal(mb_tracker_init(&t, ctx, 1, 0), MB_OK);
    assert_int_equal(mb_tracker_allocate(t, (size_t)GiB, &p), MB_OK);
    assert_int_equal(current_device(), 0);
    assert_int_equal(mb_snapshot_measure(ctx, 1, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, 63 * GiB); /* the block landed on board 1 */
    assert_int_equal(mb_tracker_deallocate(t, p), MB_OK);
    assert_int_equal(current_device(), 0);
    int (*set)(int) = (int (*)(int))dlsym(fake.handle, "hipSetDevice");
    assert_non_null(set);
    assert_int_equal(set(1), 0);
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(current_device(), 1);
    mb_tracker_free(t);
    mb_context_free(ctx);
    assert_int_equal(fake.live_allocations(), 0);
}

static void test_runtime_faults(void **state)
{
    (void)state;
    long n = 1;
    while (board_workload("discrete", 0, 192 * GiB, n))
        if (++n > 1000)
            fail_msg("the discrete workload still fails after 1000 calls");
    assert_true(n > 5);
    long k = 1;
    while (board_workload("two", 1, 64 * GiB, k))
        if (++k > 1000)
            fail_msg("the second-board workload still fails after 1000 calls");
    assert_true(k > 5);
    long m = 1;
    while (apu_workload(m, 0))
        if (++m > 1000)
            fail_msg("the APU workload still fails after 1000 calls");
    assert_true(m > 5);
    for (int i = 0; i < NSYMS; i++)
        if (!covered[i])
            fail_msg("no workload made %s fail; every entry point must be exercised",
                     entry_points[i]);
    printf("runtime faults: %ld positions on the discrete board, %ld on the second of two "
           "boards, %ld on the APU, all %d entry points failed at least once\n", n - 1, k - 1,
           m - 1, NSYMS);
}

static void test_library_faults(void **state)
{
    (void)state;
    long n = 1;
    while (apu_workload(n, 1))
        if (++n > 5000)
            fail_msg("the APU workload still fails after 5000 library calls");
    assert_true(n > 10);
    printf("library faults: %ld positions on the APU workload\n", n - 1);
}

int main(void)
{
    fake = fake_open();
    setenv("MEMBUDGET_HIP_FORCE_RUNTIME", "1", 1);
    tu_fresh_dir("hip_faults_apu", apu_root, sizeof apu_root);
    ht_card(apu_root, 0, "drm_apu_lowcarveout", "0000:c5:00.0");
    ht_card_mem(apu_root, 0, "gtt_total", 96 * GiB);
    ht_meminfo(apu_root, 128 * GiB, 10 * GiB); /* under pressure */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caller_device_kept),
        cmocka_unit_test(test_runtime_faults),
        cmocka_unit_test(test_library_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
