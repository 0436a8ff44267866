/* tests/hip/test_hip_discrete.c: the HIP backend on the test double's discrete 192 GiB
 * board, loaded by the real loader from LD_LIBRARY_PATH (MEMBUDGET_HIP_FORCE_RUNTIME=1:
 * this machine's sysfs shows no AMD GPU). The soname is not pinned: the backend must try
 * .so.7 (missing), then take the double's .so.6 before Debian's real .so.5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hiptest.h"

static fake_ctl fake;

static int setup(void **state)
{
    (void)state;
    fake.reset(NULL);
    return 0;
}

static void test_probe_and_dlopen_order(void **state)
{
    (void)state;
    mb_context *ctx = ht_ctx(NULL, "hip");
    mb_backend_status st = ht_backend(ctx, "hip");
    if (st.state != MB_BACKEND_PRESENT)
        fail_msg("hip is %s: %s", mb_backend_state_name(st.state), st.reason);
    assert_non_null(strstr(st.reason, "through libamdhip64.so.6"));
    assert_non_null(strstr(st.reason, "1 device (0 APUs)"));
    /* Debian's runtime was not needed, so not loaded */
    assert_null(dlopen("libamdhip64.so.5", RTLD_NOW | RTLD_NOLOAD));
    assert_int_equal(mb_device_count(ctx), 1);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.name, "hip:0");
    assert_string_equal(d.backend, "hip");
    assert_string_equal(d.ops, "hip");
    assert_string_equal(d.platform, "rocm");
    assert_string_equal(d.model, "AMD Instinct MI300X");
    assert_string_equal(d.pci_bus_id, "0000:03:00.0");
    assert_int_equal(d.integrated, 0);
    assert_int_equal(d.numa_node, -1); /* no sysfs card on this machine */
    assert_int_equal(d.total_memory, 192 * GiB);
    mb_context_free(ctx);
}

static void test_meminfo(void **state)
{
    (void)state;
    mb_context *ctx = ht_ctx(NULL, "hip");
    fake.set_other(0, (size_t)(3 * GiB));
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_string_equal(s.device, "hip:0");
    assert_int_equal(s.source, MB_SOURCE_HIP);
    assert_int_equal(s.total_memory, 192 * GiB);
    assert_int_equal(s.free_memory, 189 * GiB);
    assert_int_equal(s.device_memory, 3 * GiB);
    assert_int_equal(s.flags, 0);
    assert_true(s.driver_free == MB_UNKNOWN);
    char text[512];
    mb_snapshot_format(&s, text, sizeof text);
    assert_non_null(strstr(text, "rocm_memory=3.0GiB"));

    /* a runtime that says free > total: clamped and flagged, never believed */
    fake.set_other(0, 0);
    fake.set_free_bonus(0, (long)GiB);
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, 192 * GiB);
    assert_true(s.flags & MB_SNAP_CLAMPED);
    mb_context_free(ctx);
}

static void test_shared_memory(void **state)
{
    (void)state;
    mb_context *ctx = ht_ctx(NULL, "hip");
    int64_t v = 0;
    assert_int_equal(mb_device_max_shared_memory(ctx, 0, &v), MB_OK);
    assert_int_equal(v, 160 * 1024); /* the opt-in figure */
    fake.set_optin(0, 0);             /* a runtime without it: hipErrorInvalidValue */
    assert_int_equal(mb_device_max_shared_memory(ctx, 0, &v), MB_OK);
    assert_int_equal(v, 64 * 1024); /* the plain figure */
    mb_context_free(ctx);
}

static void test_tracker(void **state)
{
    (void)state;
    mb_context *ctx = ht_ctx(NULL, "hip");
    mb_tracker *t = NULL;
    assert_int_equal(mb_tracker_init(&t, ctx, 0, MB_TRACKER_CACHING), MB_OK);
    void *p = NULL;
    assert_int_equal(mb_tracker_allocate(t, (size_t)GiB, &p), MB_OK);
    assert_non_null(p);
    assert_int_equal(fake.live_allocations(), 1);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, 191 * GiB);
    assert_int_equal(mb_tracker_deallocate(t, p), MB_OK);
    assert_int_equal(fake.live_allocations(), 1); /* cached, like torch */
    mb_allocator a;
    mb_tracker_get_allocator(t, &a);
    assert_int_equal(a.empty_cache(a.user), MB_OK);
    assert_int_equal(fake.live_allocations(), 0);
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, 192 * GiB);

    /* more than the board has: MB_ENOMEM naming the call and the runtime's answer */
    assert_int_equal(mb_tracker_allocate(t, (size_t)(200 * GiB), &p), MB_ENOMEM);
    assert_null(p);
    assert_non_null(strstr(mb_error_detail(), "hipMalloc"));
    assert_non_null(strstr(mb_error_detail(), "hipErrorOutOfMemory"));
    assert_int_equal(mb_tracker_allocate(t, (size_t)GiB, &p), MB_OK);
    mb_tracker_free(t); /* frees what is still held */
    assert_int_equal(fake.live_allocations(), 0);
    mb_context_free(ctx);
}

/* With a sysroot holding the card (forced runtime): matched by PCI bus id, numa_node from
 * sysfs, and the VRAM totals cross-checked. */
static void test_sysfs_cross_check(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_discrete_xcheck", root, sizeof root);
    ht_card(root, 0, "drm_dgpu", "0000:03:00.0"); /* says 64 GiB of VRAM, HIP says 192 */
    mb_context *ctx = ht_ctx(root, "hip");
    mb_backend_status st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    assert_non_null(strstr(st.reason, "1 matched to amdgpu sysfs"));
    assert_non_null(strstr(st.reason, "differs from card0 mem_info_vram_total 68702699520"));
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_int_equal(d.numa_node, 0);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.source, MB_SOURCE_HIP);
    mb_context_free(ctx);

    ht_card_mem(root, 0, "vram_total", 192 * GiB); /* now they agree */
    ctx = ht_ctx(root, "hip");
    st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    assert_null(strstr(st.reason, "differs"));
    mb_context_free(ctx);
}

static void test_pressure_release_is_for_apus(void **state)
{
    (void)state;
    mb_context *ctx = ht_ctx(NULL, "hip");
    mb_tracker *t = NULL;
    assert_int_equal(mb_tracker_init(&t, ctx, 0, MB_TRACKER_CACHING), MB_OK);
    mb_allocator a;
    mb_tracker_get_allocator(t, &a);
    mb_pressure_result r = MB_PRESSURE_RESULT_INIT;
    long before = fake.sync_calls();
    assert_int_equal(mb_pressure_release(ctx, 0, &a, NULL, &r), MB_OK);
    assert_int_equal(r.released, 0);
    assert_non_null(strstr(r.reason, "not an integrated GPU"));
    assert_int_equal(fake.sync_calls(), before);
    mb_tracker_free(t);
    mb_context_free(ctx);
}

int main(void)
{
    fake = fake_open();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_probe_and_dlopen_order, setup),
        cmocka_unit_test_setup(test_meminfo, setup),
        cmocka_unit_test_setup(test_shared_memory, setup),
        cmocka_unit_test_setup(test_tracker, setup),
        cmocka_unit_test_setup(test_sysfs_cross_check, setup),
        cmocka_unit_test_setup(test_pressure_release_is_for_apus, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
