/*
 * tests/cuda/test_cuda_dump.c: a dump is a dump. Under a foreign sysroot the CUDA backend
 * asks no driver (the fake libcuda on LD_LIBRARY_PATH must see no cuInit) unless
 * MEMBUDGET_CUDA_FORCE_DRIVER=1; the GPUs of the dump come from its
 * /proc/driver/nvidia/gpus/<bus>/information files and PCI numa_node; the files slots of
 * the backends list every such file (and the AMD sysfs files), and a copy of exactly those
 * files replays the same GPUs.
 */
#include <sys/stat.h>

#include "cuda_test.h"
#include "testutil.h"

static char tree[1024];

static void put(const char *root, const char *rel, const char *text)
{
    char p[2048];
    snprintf(p, sizeof p, "%s%s", root, rel);
    tu_write(p, text);
}

static void make_tree(void)
{
    tu_fresh_dir("cuda-dump", tree, sizeof tree);
    put(tree, "/proc/meminfo", "MemTotal: 65536000 kB\nMemFree: 32768000 kB\n"
                               "MemAvailable: 49152000 kB\n");
    put(tree, "/proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  "
                                             "550.54.15\n");
    put(tree, "/proc/driver/nvidia/gpus/0000:0a:00.0/information",
        "Model: \t\t NVIDIA L4\nIRQ:   \t\t 45\nGPU UUID: \t GPU-bbbbbbbb-2222-3333-4444-"
        "555555555555\nBus Type: \t PCIe\nBus Location: \t 0000:0a:00.0\nDevice Minor: \t 1\n");
    put(tree, "/proc/driver/nvidia/gpus/0000:07:00.0/information",
        "Model: \t\t NVIDIA A100-SXM4-40GB\nIRQ:   \t\t 44\nGPU UUID: \t GPU-aaaaaaaa-1111-"
        "2222-3333-444444444444\nBus Type: \t PCIe\nBus Location: \t 0000:07:00.0\n"
        "Device Minor: \t 0\n");
    put(tree, "/sys/bus/pci/devices/0000:07:00.0/numa_node", "1\n");
    put(tree, "/sys/bus/pci/devices/0000:0a:00.0/numa_node", "-1\n");
    /* an AMD card's sysfs, as the HIP backend reads it */
    static const char *const drm[] = {"vendor", "mem_info_vram_total", "mem_info_vram_used",
                                      "mem_info_gtt_total", "mem_info_gtt_used", "numa_node",
                                      "mem_info_vis_vram_total", "mem_info_vis_vram_used"};
    for (size_t k = 0; k < sizeof drm / sizeof *drm; k++) {
        char src[1200], dst[1200];
        snprintf(src, sizeof src, "%s/illustrative/drm_dgpu/%s", MB_FIXTURES, drm[k]);
        snprintf(dst, sizeof dst, "%s/sys/class/drm/card1/device/%s", tree, drm[k]);
        tu_copy(src, dst);
    }
}

static mb_context *open_tree(const char *root)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    return ctx;
}

static int setup(void **state)
{
    (void)state;
    load_fake();
    unsetenv("MEMBUDGET_CUDA_FORCE_DRIVER");
    make_tree();
    return FC.mbfake_cuda_setup("discrete80");
}

static void test_no_driver_under_sysroot(void **state)
{
    (void)state;
    char bare[1024];
    tu_fresh_dir("cuda-dump-bare", bare, sizeof bare);
    put(bare, "/proc/meminfo", "MemTotal: 1024000 kB\nMemFree: 512000 kB\n");
    mb_context *ctx = open_tree(bare);
    assert_int_equal(mb_context_probe(ctx), MB_OK); /* the CPU answers */
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_non_null(strstr(st.reason, "holds no NVIDIA GPU"));
    assert_non_null(strstr(st.reason, "MEMBUDGET_CUDA_FORCE_DRIVER=1"));
    assert_int_equal(FC.mbfake_cuda_count("cuInit"), 0);
    mb_context_free(ctx);
}

static void test_dump_gpus_static_facts(void **state)
{
    (void)state;
    mb_context *ctx = open_tree(tree);
    assert_int_equal(mb_context_probe(ctx), MB_OK);
    assert_int_equal(FC.mbfake_cuda_count("cuInit"), 0);
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    assert_int_equal(st.device_count, 2);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, device(ctx, "cuda:0"), &d), MB_OK);
    assert_string_equal(d.model, "NVIDIA A100-SXM4-40GB"); /* PCI order: 07 before 0a */
    assert_string_equal(d.uuid, "GPU-aaaaaaaa-1111-2222-3333-444444444444");
    assert_string_equal(d.pci_bus_id, "0000:07:00.0");
    assert_int_equal(d.numa_node, 1);
    assert_int_equal(mb_device_get(ctx, device(ctx, "cuda:1"), &d), MB_OK);
    assert_string_equal(d.model, "NVIDIA L4");
    assert_int_equal(d.numa_node, -1);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, device(ctx, "cuda:0"), NULL, &s), MB_ENOTSUP);
    assert_non_null(strstr(mb_error_detail(), "state no memory figures"));
    mb_context_free(ctx);
}

static void test_force_asks_driver(void **state)
{
    (void)state;
    setenv("MEMBUDGET_CUDA_FORCE_DRIVER", "1", 1);
    mb_context *ctx = open_tree(tree);
    assert_int_equal(mb_context_probe(ctx), MB_OK);
    assert_true(FC.mbfake_cuda_count("cuInit") > 0);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, device(ctx, "cuda:0"), &d), MB_OK);
    assert_string_equal(d.model, FAKE_D80_NAME); /* the (fake) driver's device */
    mb_context_free(ctx);
    setenv("MEMBUDGET_CUDA_FORCE_DRIVER", "yes", 1);
    ctx = open_tree(tree);
    (void)mb_context_probe(ctx);
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_non_null(strstr(st.reason, "MEMBUDGET_CUDA_FORCE_DRIVER='yes' is not 0 or 1"));
    mb_context_free(ctx);
    unsetenv("MEMBUDGET_CUDA_FORCE_DRIVER");
}

typedef struct copy_ctx {
    const char *from, *to;
    int n, nvidia, pci, drm;
} copy_ctx;

static int copy_one(void *user, const char *path)
{
    copy_ctx *c = user;
    char src[2048], dst[2048];
    snprintf(src, sizeof src, "%s%s", c->from, path);
    snprintf(dst, sizeof dst, "%s%s", c->to, path);
    tu_copy(src, dst);
    c->n++;
    c->nvidia += strstr(path, "/proc/driver/nvidia/gpus/") != NULL;
    c->pci += strstr(path, "/sys/bus/pci/devices/") != NULL;
    c->drm += strstr(path, "/sys/class/drm/card1/device/mem_info_") != NULL;
    return 0;
}

static void test_files_slots_replay(void **state)
{
    (void)state;
    char copy[1024];
    tu_fresh_dir("cuda-dump-copy", copy, sizeof copy);
    mb_context *ctx = open_tree(tree);
    copy_ctx c = {tree, copy, 0, 0, 0, 0};
    assert_int_equal(mb_context_list_files(ctx, copy_one, &c), MB_OK);
    assert_int_equal(c.nvidia, 2);
    assert_int_equal(c.pci, 2);
#ifdef MEMBUDGET_TEST_HIP
    assert_int_equal(c.drm, 6);
#endif
    mb_context *again = open_tree(copy);
    assert_int_equal(mb_context_probe(ctx), MB_OK);
    assert_int_equal(mb_context_probe(again), MB_OK);
    assert_int_equal(mb_device_count(again), mb_device_count(ctx));
    for (int i = 0; i < mb_device_count(ctx); i++) {
        mb_device_info a = MB_DEVICE_INFO_INIT, b = MB_DEVICE_INFO_INIT;
        assert_int_equal(mb_device_get(ctx, i, &a), MB_OK);
        assert_int_equal(mb_device_get(again, i, &b), MB_OK);
        assert_string_equal(a.name, b.name);
        assert_string_equal(a.model, b.model);
        assert_string_equal(a.uuid, b.uuid);
        assert_string_equal(a.pci_bus_id, b.pci_bus_id);
        assert_int_equal(a.numa_node, b.numa_node);
    }
    mb_context_free(again);
    mb_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_driver_under_sysroot, setup),
        cmocka_unit_test_setup(test_dump_gpus_static_facts, setup),
        cmocka_unit_test_setup(test_force_asks_driver, setup),
        cmocka_unit_test_setup(test_files_slots_replay, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
