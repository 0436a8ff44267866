/* tests/hip/test_hip_apu.c: the test double's APU (512 MiB carve-out, 96 GiB GTT) with a
 * sysroot that holds its amdgpu card and the host's /proc/meminfo: ops hip-apu, free =
 * min(HIP's free, the UMA policy's free), free above total clamped, the sysfs heuristic
 * when the runtime does not say "integrated", and pressure release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hiptest.h"

static fake_ctl fake;
static char root[4096];

static int setup(void **state)
{
    (void)state;
    fake.reset(NULL);
    tu_fresh_dir("hip_apu", root, sizeof root);
    ht_card(root, 0, "drm_apu_lowcarveout", "0000:c5:00.0");
    ht_card_mem(root, 0, "gtt_total", 96 * GiB);
    ht_meminfo(root, 128 * GiB, 40 * GiB);
    return 0;
}

static void test_apu_device(void **state)
{
    (void)state;
    mb_context *ctx = ht_ctx(root, "hip");
    mb_backend_status st = ht_backend(ctx, "hip");
    if (st.state != MB_BACKEND_PRESENT)
        fail_msg("hip is %s: %s", mb_backend_state_name(st.state), st.reason);
    assert_non_null(strstr(st.reason, "1 device (1 APU)"));
    assert_non_null(strstr(st.reason, "1 matched"));
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.ops, "hip-apu");
    assert_int_equal(d.integrated, 1);
    assert_string_equal(d.pci_bus_id, "0000:c5:00.0");
    assert_int_equal(d.total_memory, 96 * GiB);
    mb_context_free(ctx);
}

static void test_free_is_the_smaller(void **state)
{
    (void)state;
    mb_context *ctx = ht_ctx(root, "hip");
    mb_snapshot s;
    /* HIP: 96 GiB free; host: 40 GiB available -> 40 */
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.source, MB_SOURCE_UMA_HOST);
    assert_int_equal(s.total_memory, 96 * GiB);
    assert_int_equal(s.free_memory, 40 * GiB);
    assert_int_equal(s.driver_free, 96 * GiB);
    assert_int_equal(s.flags, 0);
    /* HIP: 26 GiB free (70 GiB used by others); host 40 -> 26 */
    fake.set_other(0, (size_t)(70 * GiB));
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, 26 * GiB);
    assert_int_equal(s.driver_free, 26 * GiB);
    assert_int_equal(s.device_memory, 70 * GiB);
    mb_context_free(ctx);
}

/* Strix Halo field reports: HIP's free above its total. Clamped and flagged. */
static void test_free_above_total(void **state)
{
    (void)state;
    fake.set_free_bonus(0, (long)(2 * GiB));
    ht_meminfo(root, 128 * GiB, 120 * GiB);
    mb_context *ctx = ht_ctx(root, "hip");
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.driver_free, 98 * GiB);
    assert_int_equal(s.free_memory, 96 * GiB);
    assert_true(s.free_memory <= s.total_memory);
    assert_true(s.flags & MB_SNAP_CLAMPED);
    /* host now the smaller; HIP's free still above its total: still flagged */
    ht_meminfo(root, 128 * GiB, 40 * GiB);
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, 40 * GiB);
    assert_true(s.flags & MB_SNAP_CLAMPED);
    mb_context_free(ctx);
}

/* The runtime says "not integrated" (older runtimes on some APUs): sysfs alone decides;
 * a card that names its memory maker stays discrete. */
static void test_apu_from_sysfs_alone(void **state)
{
    (void)state;
    fake.set_integrated(0, 0);
    mb_context *ctx = ht_ctx(root, "hip");
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.ops, "hip-apu");
    assert_int_equal(d.integrated, 1);
    mb_context_free(ctx);

    ht_put(root, "/sys/class/drm/card0/device/mem_info_vram_vendor", "micron\n");
    ctx = ht_ctx(root, "hip");
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.ops, "hip");
    assert_int_equal(d.integrated, 0);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.source, MB_SOURCE_HIP);
    mb_context_free(ctx);
}

/* An engine's allocator: 1 GiB live, 3 GiB reserved (2 GiB releasable). */
typedef struct stub {
    mb_alloc_stats st;
    int emptied;
} stub;
static int stub_stats(void *u, mb_alloc_stats *out)
{
    *out = ((stub *)u)->st;
    return 0;
}
static int stub_empty(void *u)
{
    stub *s = u;
    s->emptied++;
    s->st.reserved = s->st.allocated;
    return 0;
}

static void test_pressure_release(void **state)
{
    (void)state;
    stub su = {{1 * GiB, 1 * GiB, 3 * GiB}, 0};
    mb_allocator a = {&su, stub_stats, NULL, stub_empty};
    mb_pressure_result r = MB_PRESSURE_RESULT_INIT;

    ht_meminfo(root, 128 * GiB, 64 * GiB); /* half available: no pressure */
    mb_context *ctx = ht_ctx(root, "hip");
    long syncs = fake.sync_calls();
    assert_int_equal(mb_pressure_release(ctx, 0, &a, NULL, &r), MB_OK);
    assert_int_equal(r.released, 0);
    assert_non_null(strstr(r.reason, "no memory pressure"));
    assert_int_equal(fake.sync_calls(), syncs);
    assert_int_equal(su.emptied, 0);

    ht_meminfo(root, 128 * GiB, 10 * GiB); /* under 20% available: release */
    assert_int_equal(mb_pressure_release(ctx, 0, &a, NULL, &r), MB_OK);
    assert_int_equal(r.released, 1);
    assert_int_equal(r.releasable, 2 * GiB);
    assert_int_equal(r.host_available, 10 * GiB);
    assert_int_equal(fake.sync_calls(), syncs + 1); /* hipDeviceSynchronize, then empty */
    assert_int_equal(su.emptied, 1);
    assert_non_null(strstr(r.reason, "released 2.0GiB"));

    /* nothing left to release */
    assert_int_equal(mb_pressure_release(ctx, 0, &a, NULL, &r), MB_OK);
    assert_int_equal(r.released, 0);
    assert_int_equal(fake.sync_calls(), syncs + 1);
    mb_context_free(ctx);
}

int main(void)
{
    fake = fake_open();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_apu_device, setup),
        cmocka_unit_test_setup(test_free_is_the_smaller, setup),
        cmocka_unit_test_setup(test_free_above_total, setup),
        cmocka_unit_test_setup(test_apu_from_sysfs_alone, setup),
        cmocka_unit_test_setup(test_pressure_release, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
