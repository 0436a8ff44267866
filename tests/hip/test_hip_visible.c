/* tests/hip/test_hip_visible.c: two boards (0000:03:00.0, 192 GiB; 0000:83:00.0, 64 GiB)
 * and the runtime's device filters. The test double filters as HIP does; the backend must
 * number what the runtime shows (hip:0 is the runtime's ordinal 0) and still match each
 * device to its own sysfs card by PCI bus id. argv[1] says what CTest set:
 *   all     no filter: two devices
 *   second  HIP_VISIBLE_DEVICES=1 or ROCR_VISIBLE_DEVICES=1: only the second board
 *   none    HIP_VISIBLE_DEVICES=5: no device; hip is absent and the reason names the filter */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hiptest.h"

static const char *mode = "";
static char root[4096];

static void make_root(void)
{
    /* one folder per CTest entry: _hip and _rocr run the same mode at once under ctest -j */
    char name[64];
    snprintf(name, sizeof name, "hip_vis_%s%s", mode,
             getenv("ROCR_VISIBLE_DEVICES") ? "_rocr" : "");
    tu_fresh_dir(name, root, sizeof root);
    ht_card(root, 0, "drm_dgpu", "0000:03:00.0");
    ht_card_mem(root, 0, "vram_total", 192 * GiB);
    ht_card(root, 1, "drm_dgpu", "0000:83:00.0");
    ht_card_mem(root, 1, "vram_total", 64 * GiB);
    ht_put(root, "/sys/class/drm/card1/device/numa_node", "1\n");
}

static void expect_dev(mb_context *ctx, int i, const char *pci, int64_t total, int numa)
{
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, i, &d), MB_OK);
    char name[16];
    snprintf(name, sizeof name, "hip:%d", i);
    assert_string_equal(d.name, name);
    assert_string_equal(d.pci_bus_id, pci);
    assert_int_equal(d.total_memory, total);
    assert_int_equal(d.numa_node, numa);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, i, NULL, &s), MB_OK);
    assert_int_equal(s.total_memory, total);
}

static void test_visible(void **state)
{
    (void)state;
    make_root();
    mb_context *ctx = ht_ctx(root, "hip,cpu");
    mb_backend_status st = ht_backend(ctx, "hip");
    if (strcmp(mode, "all") == 0) {
        assert_int_equal(st.state, MB_BACKEND_PRESENT);
        assert_int_equal(st.device_count, 2);
        assert_non_null(strstr(st.reason, "2 matched"));
        expect_dev(ctx, 0, "0000:03:00.0", 192 * GiB, 0);
        expect_dev(ctx, 1, "0000:83:00.0", 64 * GiB, 1);
    } else if (strcmp(mode, "second") == 0) {
        assert_int_equal(st.state, MB_BACKEND_PRESENT);
        assert_int_equal(st.device_count, 1);
        assert_non_null(strstr(st.reason, "1 matched"));
        assert_non_null(strstr(st.reason, "VISIBLE_DEVICES='1'"));
        expect_dev(ctx, 0, "0000:83:00.0", 64 * GiB, 1);
        assert_int_equal(ht_find(ctx, "hip:1"), -1);
    } else if (strcmp(mode, "none") == 0) {
        assert_int_equal(st.state, MB_BACKEND_ABSENT);
        assert_non_null(strstr(st.reason, "sees no AMD GPU"));
        assert_non_null(strstr(st.reason, "HIP_VISIBLE_DEVICES='5'"));
        assert_non_null(strstr(st.reason, "card0 (0000:03:00.0), card1 (0000:83:00.0)"));
    } else {
        fail_msg("usage: test_hip_visible all|second|none (got '%s')", mode);
    }
    mb_context_free(ctx);
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "";
    (void)fake_open(); /* aborts unless the double is the runtime found */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
