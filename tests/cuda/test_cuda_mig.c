/*
 * tests/cuda/test_cuda_mig.c: MIG devices (the fake's "mig": an A100 40GB in MIG mode, split
 * into a 3g.20gb and a 2g.10gb MIG device). CUDA_VISIBLE_DEVICES names a MIG device as
 * NVIDIA writes it, MIG-<uuid> (or a prefix) or, as R450-R465 did, MIG-GPU-<parent
 * uuid>/<gi>/<ci>; membudget reports that MIG device, under its MIG- UUID, with its own
 * memory read from NVML on the MIG device's handle: no CUDA context is created, and the
 * parent GPU's 40 GiB (what a join by PCI id finds) never shows.
 */
#include "cuda_test.h"

#define MIB (1LL << 20)

static int setup(void **state)
{
    (void)state;
    load_fake();
    return 0;
}

/* A context on the fake "mig" under CUDA_VISIBLE_DEVICES=cvd; old_names: NVML names MIG
 * devices as R450-R465 did. */
static mb_context *mig_ctx(const char *cvd, int old_names)
{
    setenv("CUDA_VISIBLE_DEVICES", cvd, 1);
    assert_int_equal(FC.mbfake_cuda_setup("mig"), 0);
    FC.mbfake_cuda_set("mig_old_uuid", old_names);
    mb_context *ctx = open_ctx(NULL);
    unsetenv("CUDA_VISIBLE_DEVICES");
    return ctx;
}

/* Device ordinal is the MIG device of model, uuid and total; its snapshot comes from NVML
 * and is that device's free memory (less tenant bytes another process holds). */
static void is_mig(mb_context *ctx, int ordinal, const char *model, const char *uuid,
                   int64_t total)
{
    char name[16];
    snprintf(name, sizeof name, "cuda:%d", ordinal);
    int d = device(ctx, name);
    mb_device_info info = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, d, &info), MB_OK);
    assert_string_equal(info.model, model);
    assert_string_equal(info.uuid, uuid);
    assert_true(info.total_memory == total);
    assert_int_equal(FC.mbfake_cuda_tenant(ordinal, 1LL << 30), 0);
    mb_snapshot s = measure(ctx, d, NULL);
    if (s.source != MB_SOURCE_NVML)
        fail_msg("%s (%s): free memory from %s, not NVML on the MIG device", name, uuid,
                 mb_source_name(s.source));
    assert_true(s.total_memory == total);
    assert_true(s.free_memory == total - FAKE_MIG_BASE_USED - (1LL << 30));
    assert_int_equal(FC.mbfake_cuda_primary_refs(ordinal), 0); /* no context made */
}

static void test_new_names(void **state)
{
    (void)state;
    mb_context *ctx = mig_ctx(FAKE_MIG2_UUID, 0);
    assert_int_equal(backend(ctx, "cuda").device_count, 1);
    is_mig(ctx, 0, FAKE_MIG2_NAME, FAKE_MIG2_UUID, FAKE_MIG2_TOTAL);
    mb_context_free(ctx);
    /* a prefix, the way CUDA takes GPU-<uuid> prefixes */
    ctx = mig_ctx("MIG-3c200001-0007-4000-8000-0000000320", 0);
    is_mig(ctx, 0, FAKE_MIG3_NAME, FAKE_MIG3_UUID, FAKE_MIG3_TOTAL);
    mb_context_free(ctx);
}

/* R450-R465: MIG-GPU-<parent uuid prefix>/<gi>/<ci>, and NVML's names of that form: the
 * MIG device is found through its parent and its instance ids. */
static void test_old_names(void **state)
{
    (void)state;
    mb_context *ctx = mig_ctx("MIG-GPU-a1000040/5/0", 1);
    is_mig(ctx, 0, FAKE_MIG2_NAME, FAKE_MIG2_UUID, FAKE_MIG2_TOTAL);
    assert_true(FC.mbfake_cuda_count("nvmlDeviceGetMigDeviceHandleByIndex") > 0);
    assert_true(FC.mbfake_cuda_count("nvmlDeviceGetGpuInstanceId") > 0);
    mb_context_free(ctx);
    ctx = mig_ctx("MIG-GPU-a1000040-0007-4000-8000-000000000007/1/0", 1);
    is_mig(ctx, 0, FAKE_MIG3_NAME, FAKE_MIG3_UUID, FAKE_MIG3_TOTAL);
    mb_context_free(ctx);
}

/* Both MIG devices, one name of each form: each ordinal its own device. */
static void test_two_mig_devices(void **state)
{
    (void)state;
    mb_context *ctx = mig_ctx(FAKE_MIG2_UUID ",MIG-GPU-a1000040/1/0", 0);
    assert_int_equal(backend(ctx, "cuda").device_count, 2);
    is_mig(ctx, 0, FAKE_MIG2_NAME, FAKE_MIG2_UUID, FAKE_MIG2_TOTAL);
    is_mig(ctx, 1, FAKE_MIG3_NAME, FAKE_MIG3_UUID, FAKE_MIG3_TOTAL);
    mb_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_new_names, setup),
        cmocka_unit_test_setup(test_old_names, setup),
        cmocka_unit_test_setup(test_two_mig_devices, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
