/* tests/hip/test_hip_sysfs.c: the HIP backend without a runtime: devices of a machine dump
 * from amdgpu sysfs alone, the pre-check on this machine (no AMD GPU: the runtime is not
 * even loaded), and the reasons given when the runtime is missing or misnamed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "hiptest.h"

/* A fixture file's number (the tests compare with what the fixture says, not constants). */
static int64_t fixture_i64(const char *fixture, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", ILLU, fixture, file);
    char *t = tu_slurp(path);
    assert_non_null(t);
    int64_t v = strtoll(t, NULL, 10);
    free(t);
    return v;
}

/* 1 when this process has a HIP runtime loaded (any soname). */
static int runtime_loaded(void)
{
    static const char *const names[] = {"libamdhip64.so.7", "libamdhip64.so.6",
                                        "libamdhip64.so.5"};
    for (int i = 0; i < 3; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_NOLOAD);
        if (h) {
            dlclose(h); /* drops only the reference NOLOAD took */
            return 1;
        }
    }
    return 0;
}

static void test_dump_discrete(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_dump_dgpu", root, sizeof root);
    ht_card(root, 0, "drm_dgpu", "0000:03:00.0");
    mb_context *ctx = ht_ctx(root, "hip");
    mb_backend_status st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    assert_non_null(strstr(st.reason, "amdgpu sysfs"));
    assert_int_equal(st.device_count, 1);
    assert_int_equal(runtime_loaded(), 0);

    int i = ht_find(ctx, "hip:0");
    assert_int_equal(i, 0);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, i, &d), MB_OK);
    assert_string_equal(d.ops, "hip");
    assert_string_equal(d.platform, "rocm");
    assert_int_equal(d.integrated, 0);
    assert_string_equal(d.pci_bus_id, "0000:03:00.0");
    assert_int_equal(d.numa_node, (int)fixture_i64("drm_dgpu", "numa_node"));
    int64_t total = fixture_i64("drm_dgpu", "mem_info_vram_total");
    int64_t used = fixture_i64("drm_dgpu", "mem_info_vram_used");
    assert_int_equal(d.total_memory, total);

    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, i, NULL, &s), MB_OK);
    assert_int_equal(s.source, MB_SOURCE_AMDGPU_SYSFS);
    assert_int_equal(s.total_memory, total);
    assert_int_equal(s.free_memory, total - used);
    assert_int_equal(s.flags, 0);
    assert_string_equal(s.platform, "rocm");

    /* dynamic: a later read sees the driver's new figure */
    ht_card_mem(root, 0, "vram_used", 10 * GiB);
    assert_int_equal(mb_snapshot_measure(ctx, i, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, total - 10 * GiB);
    /* used above total (a driver race): free is 0, flagged */
    ht_card_mem(root, 0, "vram_used", total + GiB);
    assert_int_equal(mb_snapshot_measure(ctx, i, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, 0);
    assert_true(s.flags & MB_SNAP_CLAMPED);

    /* a dump has no runtime: no shared-memory figure, no allocation */
    int64_t smem = -1;
    assert_int_equal(mb_device_max_shared_memory(ctx, i, &smem), MB_ENOTSUP);
    assert_int_equal(smem, 0);
    mb_tracker *t = NULL;
    assert_int_equal(mb_tracker_init(&t, ctx, i, 0), MB_EFOREIGN);
    assert_null(t);
    mb_context_free(ctx);
    assert_int_equal(runtime_loaded(), 0);
}

static void test_dump_apu(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_dump_apu", root, sizeof root);
    /* card0 is a BMC's display (ASPEED), card1 the APU */
    ht_put(root, "/sys/class/drm/card0/device/vendor", "0x1a03\n");
    ht_card(root, 1, "drm_apu_lowcarveout", "0000:c5:00.0");
    ht_meminfo(root, 128 * GiB, 100 * GiB);
    mb_context *ctx = ht_ctx(root, "hip");
    assert_int_equal(mb_device_count(ctx), 1);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.name, "hip:0");
    assert_string_equal(d.ops, "hip-apu");
    assert_int_equal(d.integrated, 1);
    assert_int_equal(d.numa_node, -1);
    const char *fx = "drm_apu_lowcarveout";
    int64_t vt = fixture_i64(fx, "mem_info_vram_total"), vu = fixture_i64(fx, "mem_info_vram_used");
    int64_t gt = fixture_i64(fx, "mem_info_gtt_total"), gu = fixture_i64(fx, "mem_info_gtt_used");
    assert_int_equal(d.total_memory, vt + gt);

    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.source, MB_SOURCE_UMA_HOST);
    assert_int_equal(s.total_memory, vt + gt);
    assert_int_equal(s.driver_free, (vt - vu) + (gt - gu));
    assert_int_equal(s.free_memory, 100 * GiB); /* host MemAvailable is the smaller */

    /* host has more available than the GPU's pools leave: the driver's free wins */
    ht_meminfo(root, 256 * GiB, 200 * GiB);
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_int_equal(s.free_memory, (vt - vu) + (gt - gu));
    assert_true(s.free_memory <= s.total_memory);
    mb_context_free(ctx);
}

/* The sysfs APU heuristic's edges: the memory vendor file marks a discrete board. */
static void test_apu_heuristic(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_heuristic", root, sizeof root);
    ht_card(root, 0, "drm_apu_lowcarveout", "0000:c5:00.0"); /* small VRAM, huge GTT */
    ht_card(root, 1, "drm_apu_lowcarveout", "0000:03:00.0");
    ht_put(root, "/sys/class/drm/card1/device/mem_info_vram_vendor", "samsung\n");
    ht_card(root, 2, "drm_dgpu", "0000:83:00.0"); /* 64 GiB VRAM: not a carve-out */
    ht_card(root, 3, "drm_apu_lowcarveout", "0000:84:00.0");
    ht_card_mem(root, 3, "gtt_total", 2 * GiB); /* GTT not much larger than VRAM */
    ht_meminfo(root, 128 * GiB, 100 * GiB);
    mb_context *ctx = ht_ctx(root, "hip");
    assert_int_equal(mb_device_count(ctx), 4);
    static const int want[4] = {1, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        mb_device_info d = MB_DEVICE_INFO_INIT;
        assert_int_equal(mb_device_get(ctx, i, &d), MB_OK);
        if (d.integrated != want[i])
            fail_msg("card%d: integrated=%d, want %d", i, d.integrated, want[i]);
        assert_string_equal(d.ops, want[i] ? "hip-apu" : "hip");
    }
    mb_context_free(ctx);
}

static void test_dump_without_gpu(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_dump_empty", root, sizeof root);
    ht_meminfo(root, 16 * GiB, 8 * GiB);
    mb_context *ctx = ht_ctx(root, "hip,cpu");
    mb_backend_status st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_non_null(strstr(st.reason, "no amdgpu card"));
    assert_int_equal(ht_backend(ctx, "cpu").state, MB_BACKEND_PRESENT);
    mb_context_free(ctx);

    /* KFD lists a GPU but DRM shows no card: absent, and the reason says what KFD saw */
    ht_kfd(root);
    ctx = ht_ctx(root, "hip,cpu");
    st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_non_null(strstr(st.reason, "KFD topology lists GPUs"));
    mb_context_free(ctx);
    assert_int_equal(runtime_loaded(), 0);
}

static void test_unreadable_sysfs_is_broken(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_dump_bad", root, sizeof root);
    ht_card(root, 0, "drm_dgpu", "0000:03:00.0");
    ht_put(root, "/sys/class/drm/card0/device/mem_info_vram_total", "lots\n");
    mb_context *ctx = ht_ctx(root, "hip,cpu");
    mb_backend_status st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_non_null(strstr(st.reason, "/sys/class/drm/card0/device/mem_info_vram_total"));
    assert_non_null(strstr(st.reason, "'lots'"));
    mb_context_free(ctx);
}

/* This machine: no /sys/class/drm AMD card, no /dev/kfd. The runtime is never loaded. */
static void test_live_precheck(void **state)
{
    (void)state;
    if (access("/dev/kfd", F_OK) == 0)
        fail_msg("this test expects a machine without an AMD GPU, but /dev/kfd exists");
    mb_context *ctx = ht_ctx(NULL, "hip,cpu");
    mb_backend_status st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_non_null(strstr(st.reason, "no AMD GPU"));
    assert_non_null(strstr(st.reason, "the HIP runtime was not loaded"));
    assert_int_equal(ht_backend(ctx, "cpu").state, MB_BACKEND_PRESENT);
    assert_true(mb_device_count(ctx) >= 1);
    mb_context_free(ctx);
    assert_int_equal(runtime_loaded(), 0);
}

/* sysfs shows an AMD GPU, the runtime is not installed: absent, and the reason says both.
 * (Debian's .so.5 is installed here, so MEMBUDGET_HIP_SONAME names one that is not.) */
static void test_runtime_missing_but_sysfs_shows_gpu(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_dump_noruntime", root, sizeof root);
    ht_card(root, 0, "drm_dgpu", "0000:03:00.0");
    setenv("MEMBUDGET_HIP_FORCE_RUNTIME", "1", 1);
    setenv("MEMBUDGET_HIP_SONAME", "libamdhip64.so.4", 1);
    mb_context *ctx = ht_ctx(root, "hip");
    mb_backend_status st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_non_null(strstr(st.reason, "sysfs shows 1 AMD GPU (card0 (0000:03:00.0))"));
    assert_non_null(strstr(st.reason, "libamdhip64.so.4"));
    assert_non_null(strstr(st.reason, "not installed"));
    mb_context_free(ctx);

    /* a soname that is not the runtime's is refused loudly, and nothing is loaded */
    setenv("MEMBUDGET_HIP_SONAME", "/tmp/libamdhip64.so.6", 1);
    ctx = ht_ctx(root, "hip");
    st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_non_null(strstr(st.reason, "MEMBUDGET_HIP_SONAME='/tmp/libamdhip64.so.6'"));
    mb_context_free(ctx);
    unsetenv("MEMBUDGET_HIP_FORCE_RUNTIME");
    unsetenv("MEMBUDGET_HIP_SONAME");
    assert_int_equal(runtime_loaded(), 0);
}

int main(void)
{
    unsetenv("MEMBUDGET_HIP_FORCE_RUNTIME");
    unsetenv("MEMBUDGET_HIP_SONAME");
    unsetenv("MEMBUDGET_SYSROOT");
    unsetenv("MEMBUDGET_BACKENDS");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_discrete),
        cmocka_unit_test(test_dump_apu),
        cmocka_unit_test(test_apu_heuristic),
        cmocka_unit_test(test_dump_without_gpu),
        cmocka_unit_test(test_unreadable_sysfs_is_broken),
        cmocka_unit_test(test_live_precheck),
        cmocka_unit_test(test_runtime_missing_but_sysfs_shows_gpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
