/*
 * tests/cuda/test_cuda_two.c: two GPUs (the fake's "two": an A100 40GB, then an L4).
 *  --visible1: CUDA_VISIBLE_DEVICES=1 (set by CTest). The driver shows the L4 alone, as
 *    cuda:0. NVML still lists both and in its own order, so its device must be found by
 *    UUID (or PCI id), never by index: a join by index would report the A100's memory.
 *  --all: both devices; the engine's context on one device does not answer for the other.
 */
#include "cuda_test.h"

static int setup(void **state)
{
    (void)state;
    load_fake();
    return FC.mbfake_cuda_setup("two");
}

static int64_t l4_free(void) { return FAKE_L4_TOTAL - FAKE_L4_BASE_USED; }
static int64_t a100_free(void) { return FAKE_A100_TOTAL - FAKE_A100_BASE_USED; }

static void test_visible1(void **state)
{
    (void)state;
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    assert_non_null(cvd);
    assert_string_equal(cvd, "1");
    mb_context *ctx = open_ctx(NULL);
    assert_int_equal(backend(ctx, "cuda").device_count, 1);
    int d = device(ctx, "cuda:0");
    mb_device_info info = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, d, &info), MB_OK);
    assert_string_equal(info.model, FAKE_L4_NAME);
    assert_string_equal(info.uuid, FAKE_L4_UUID);
    assert_string_equal(info.pci_bus_id, FAKE_L4_PCI);
    assert_true(info.total_memory == FAKE_L4_TOTAL);
    int idx;
    assert_int_equal(mb_device_find(ctx, "cuda:1", &idx), MB_ENODEV);
    mb_snapshot s = measure(ctx, d, NULL);
    assert_int_equal(s.source, MB_SOURCE_NVML);
    assert_true(s.free_memory == l4_free());
    assert_true(s.free_memory != a100_free());
    assert_int_equal(FC.mbfake_cuda_count("nvmlDeviceGetHandleByUUID"), 1);
    mb_context_free(ctx);
}

/* An NVML that cannot find devices by UUID (a MIG UUID, an old NVML): the PCI bus id. */
static void test_visible1_by_pci(void **state)
{
    (void)state;
    FC.mbfake_cuda_set("nvml_uuid", 0);
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    mb_snapshot s = measure(ctx, d, NULL);
    assert_int_equal(s.source, MB_SOURCE_NVML);
    assert_true(s.free_memory == l4_free());
    assert_int_equal(FC.mbfake_cuda_count("nvmlDeviceGetHandleByPciBusId_v2"), 1);
    mb_context_free(ctx);
}

/* NVML that fails to initialise: the primary context answers, and says so. */
static void test_visible1_nvml_init_fails(void **state)
{
    (void)state;
    FC.mbfake_cuda_set("nvml_init_fail", 9); /* NVML_ERROR_DRIVER_NOT_LOADED */
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    mb_snapshot s = measure(ctx, d, NULL);
    assert_int_equal(s.source, MB_SOURCE_CUDA_PRIMARY_CONTEXT);
    assert_true(s.free_memory == l4_free() - FAKE_CTX_OVERHEAD);
    mb_snapshot t = measure(ctx, d, NULL);
    assert_int_equal(t.source, MB_SOURCE_CUDA_PRIMARY_CONTEXT);
    assert_int_equal(FC.mbfake_cuda_count("nvmlInit_v2"), 1); /* not retried per snapshot */
    mb_context_free(ctx);
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
}

static void test_all(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    assert_int_equal(backend(ctx, "cuda").device_count, 2);
    int d0 = device(ctx, "cuda:0"), d1 = device(ctx, "cuda:1");
    mb_device_info i0 = MB_DEVICE_INFO_INIT, i1 = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, d0, &i0), MB_OK);
    assert_int_equal(mb_device_get(ctx, d1, &i1), MB_OK);
    assert_string_equal(i0.uuid, FAKE_A100_UUID);
    assert_string_equal(i1.uuid, FAKE_L4_UUID);
    assert_int_equal(i1.index, 1);
    int64_t smem;
    assert_int_equal(mb_device_max_shared_memory(ctx, d1, &smem), MB_OK);
    assert_int_equal(smem, FAKE_L4_SMEM);

    /* the engine's context is on cuda:1 */
    assert_int_equal(FC.mbfake_cuda_make_current(1), 0);
    mb_snapshot s0 = measure(ctx, d0, NULL), s1 = measure(ctx, d1, NULL);
    assert_int_equal(s0.source, MB_SOURCE_NVML);
    assert_true(s0.free_memory == a100_free());
    assert_int_equal(s1.source, MB_SOURCE_CUDA_CURRENT_CONTEXT);
    assert_true(s1.free_memory == l4_free() - FAKE_CTX_OVERHEAD);
    mb_snapshot diff;
    assert_int_equal(mb_snapshot_sub(&s1, &s0, &diff), MB_EMISMATCH);

    /* allocations land on the device asked for */
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, d0, 0), MB_OK);
    void *p;
    assert_int_equal(mb_tracker_allocate(t, GiB, &p), MB_OK);
    mb_snapshot a0 = measure(ctx, d0, NULL), a1 = measure(ctx, d1, NULL);
    /* the A100's primary context was created for the allocation */
    assert_true(a0.free_memory == a100_free() - GiB - FAKE_CTX_OVERHEAD);
    assert_true(a1.free_memory == s1.free_memory);
    assert_int_equal(FC.mbfake_cuda_depth(), 1); /* the engine's context is still current */
    mb_tracker_free(t);
    assert_int_equal(FC.mbfake_cuda_make_current(-1), 0);
    mb_context_free(ctx);
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
    assert_int_equal(FC.mbfake_cuda_primary_refs(1), 0);
    assert_int_equal(FC.mbfake_cuda_allocated(), 0);
}

int main(int argc, char **argv)
{
    int visible1 = argc == 2 && strcmp(argv[1], "--visible1") == 0;
    if (argc != 2 || (!visible1 && strcmp(argv[1], "--all") != 0)) {
        fprintf(stderr, "usage: %s --visible1 | --all\n", argv[0]);
        return 2;
    }
    const struct CMUnitTest v1[] = {
        cmocka_unit_test_setup(test_visible1, setup),
        cmocka_unit_test_setup(test_visible1_by_pci, setup),
        cmocka_unit_test_setup(test_visible1_nvml_init_fails, setup),
    };
    const struct CMUnitTest all[] = {
        cmocka_unit_test_setup(test_all, setup),
    };
    if (visible1)
        return cmocka_run_group_tests_name("cuda two GPUs, CUDA_VISIBLE_DEVICES=1", v1, NULL,
                                           NULL);
    if (getenv("CUDA_VISIBLE_DEVICES")) {
        fprintf(stderr, "--all needs CUDA_VISIBLE_DEVICES unset\n");
        return 1;
    }
    return cmocka_run_group_tests_name("cuda two GPUs", all, NULL, NULL);
}
