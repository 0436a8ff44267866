/*
 * tests/cuda/test_cuda_probe.c: how cuInit's answers and empty device lists map to absent
 * or broken, each with a reason a person can act on, and the CPU backend serving anyway.
 * One process; the fake is re-scripted (mbfake_cuda_setup) before each context.
 */
#include "cuda_test.h"
#include "platform/platform.h" /* mb__fault_arm: fail one chosen call */

/* Probes under scenario and returns the cuda backend's status; the CPU must serve. */
static mb_backend_status probe_as(const char *scenario)
{
    load_fake();
    assert_int_equal(FC.mbfake_cuda_setup(scenario), 0);
    mb_context *ctx = open_ctx(NULL);
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(backend(ctx, "cpu").state, MB_BACKEND_PRESENT);
    int n = mb_device_count(ctx);
    assert_true(n >= 1);
    mb_device_info info = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &info), MB_OK);
    if (st.state != MB_BACKEND_PRESENT) {
        assert_string_equal(info.backend, "cpu");
        assert_int_equal(st.device_count, 0);
    }
    mb_context_free(ctx);
    return st;
}

static void test_stub(void **state)
{
    (void)state;
    mb_backend_status st = probe_as("stub");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_contains(st.reason, "stub library, with no driver behind it");
    assert_contains(st.reason, "CUDA_ERROR_STUB_LIBRARY (34)");
    assert_contains(st.reason, "stubs/");
}

static void test_no_device(void **state)
{
    (void)state;
    mb_backend_status st = probe_as("init:100");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_contains(st.reason, "sees no CUDA device");
    assert_contains(st.reason, "CUDA_ERROR_NO_DEVICE (100)");
}

static void test_visible_devices_hide_all(void **state)
{
    (void)state;
    setenv("CUDA_VISIBLE_DEVICES", "7", 1);
    mb_backend_status st = probe_as("two");
    unsetenv("CUDA_VISIBLE_DEVICES");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_contains(st.reason, "CUDA_VISIBLE_DEVICES='7'");
}

static void test_insufficient_driver(void **state)
{
    (void)state;
    mb_backend_status st = probe_as("init:35");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_contains(st.reason, "(35)");
    assert_contains(st.reason, "update the NVIDIA driver");
}

static void test_driver_mismatch(void **state)
{
    (void)state;
    mb_backend_status st = probe_as("init:803");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_contains(st.reason, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803)");
    assert_contains(st.reason, "does not match the loaded NVIDIA kernel module");
    assert_contains(st.reason, "reboot");
}

static void test_unknown(void **state)
{
    (void)state;
    mb_backend_status st = probe_as("init:999");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_contains(st.reason, "CUDA_ERROR_UNKNOWN (999)");
    assert_contains(st.reason, "nvidia-uvm");
    st = probe_as("init:304");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_contains(st.reason, "/dev/nvidia");
    st = probe_as("init:222");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_contains(st.reason, "cuInit: CUDA error (222)");
}

static void test_zero_devices(void **state)
{
    (void)state;
    mb_backend_status st = probe_as("none");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_contains(st.reason, "reports no CUDA device");
}

static void test_present(void **state)
{
    (void)state;
    mb_backend_status st = probe_as("discrete80");
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    assert_int_equal(st.device_count, 1);
}

/* A device whose facts cannot be read makes the backend broken, naming the call. */
static void test_fact_fails(void **state)
{
    (void)state;
    load_fake();
    assert_int_equal(FC.mbfake_cuda_setup("discrete80"), 0);
    FC.mbfake_cuda_set("fault_code", 101); /* CUDA_ERROR_INVALID_DEVICE */
    FC.mbfake_cuda_set("fail_at", 5);      /* cuInit, version, count, cuDeviceGet, name */
    mb_context *ctx = open_ctx(NULL);
    mb_backend_status st = backend(ctx, "cuda");
    assert_string_equal(FC.mbfake_cuda_failed_call(), "cuDeviceGetName");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_contains(st.reason, "cuda:0: cuDeviceGetName failed: CUDA_ERROR_INVALID_DEVICE (101)");
    assert_contains(st.reason, "libcuda.so.1");
    mb_context_free(ctx);
}

/* A backend whose device_info slot fails is broken on its own: the context still opens
 * and the CPU serves. The fault counter is swept until the failing call is the cuda
 * backend's device_info (the first device_info called: cuda comes before cpu). */
static void test_device_info_fails(void **state)
{
    (void)state;
    load_fake();
    int hit = 0;
    for (long n = 1; n < 400 && !hit; n++) {
        assert_int_equal(FC.mbfake_cuda_setup("two"), 0);
        mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
        mb_context *ctx = NULL;
        mb__fault_arm(n);
        int rc = mb_context_init(&ctx, &o);
        if (rc == MB_OK)
            rc = mb_context_probe(ctx);
        int is_info = strcmp(mb__fault_site(), "backend.device_info") == 0;
        mb__fault_arm(0);
        if (is_info) {
            hit = 1;
            assert_int_equal(rc, MB_OK);
            mb_backend_status st = backend(ctx, "cuda");
            assert_int_equal(st.state, MB_BACKEND_BROKEN);
            assert_contains(st.reason, "device 0: device_info failed");
            assert_int_equal(st.device_count, 0);
            assert_int_equal(backend(ctx, "cpu").state, MB_BACKEND_PRESENT);
            int nd = mb_device_count(ctx);
            assert_true(nd >= 1);
            for (int i = 0; i < nd; i++) {
                mb_device_info info = MB_DEVICE_INFO_INIT;
                assert_int_equal(mb_device_get(ctx, i, &info), MB_OK);
                assert_string_equal(info.backend, "cpu");
            }
        }
        mb_context_free(ctx);
    }
    assert_true(hit);
    assert_int_equal(FC.mbfake_cuda_primary_refs(0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stub),
        cmocka_unit_test(test_no_device),
        cmocka_unit_test(test_visible_devices_hide_all),
        cmocka_unit_test(test_insufficient_driver),
        cmocka_unit_test(test_driver_mismatch),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_zero_devices),
        cmocka_unit_test(test_present),
        cmocka_unit_test(test_fact_fails),
        cmocka_unit_test(test_device_info_fails),
    };
    return cmocka_run_group_tests_name("cuda probe outcomes", tests, NULL, NULL);
}
