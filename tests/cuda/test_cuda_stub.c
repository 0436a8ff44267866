/*
 * tests/cuda/test_cuda_stub.c: NVIDIA's real stub libcuda.so from the CUDA Toolkit, reached
 * as libcuda.so.1 through LD_LIBRARY_PATH (a symlink in a folder of its own: CTest sets it
 * for this process; the CLI case makes its own temporary folder). The stub answers
 * CUDA_ERROR_STUB_LIBRARY: the CUDA backend is absent with that reason, the CPU serves and
 * `membudget devices` exits 0. CI builds with the CUDA backend ON, so a toolkit without
 * the stub fails here instead of skipping.
 */
#include <errno.h>
#include <unistd.h>

#include "cuda_test.h"
#include "testutil.h"

static void need_stub(void)
{
    if (!MB_CUDA_STUB[0])
        fail_msg("the CUDA Toolkit's stub libcuda.so was not found at configure time (looked "
                 "at: %s); install the toolkit or set CUDA_HOME, then reconfigure",
                 MB_CUDA_STUB_LOOKED);
    if (access(MB_CUDA_STUB, R_OK) != 0)
        fail_msg("%s: %s", MB_CUDA_STUB, strerror(errno));
}

static void test_in_process(void **state)
{
    (void)state;
    need_stub();
    mb_context *ctx = open_ctx(NULL);
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_contains(st.reason, STUB_DIR "/libcuda.so.1 is NVIDIA's stub library, with no "
                               "driver behind it");
    assert_contains(st.reason, "CUDA_ERROR_STUB_LIBRARY (34)");
    assert_int_equal(backend(ctx, "cpu").state, MB_BACKEND_PRESENT);
    mb_device_info info = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &info), MB_OK);
    assert_string_equal(info.backend, "cpu");
    mb_context_free(ctx);
}

static void test_cli(void **state)
{
    (void)state;
    need_stub();
    char dir[4096], link[4200];
    tu_fresh_dir("cuda-stub-cli", dir, sizeof dir);
    snprintf(link, sizeof link, "%s/libcuda.so.1", dir);
    assert_int_equal(symlink(MB_CUDA_STUB, link), 0);
    char env[4300];
    snprintf(env, sizeof env, "LD_LIBRARY_PATH=%s", dir);
    char *out, *err;
    int rc = tu_run_cli(env, "devices", &out, &err);
    assert_int_equal(rc, 0);
    assert_contains(out, "cuda   absent");
    assert_contains(out, "stub library, with no driver behind it");
    assert_contains(out, "CUDA_ERROR_STUB_LIBRARY (34)");
    assert_contains(out, "cpu    present");
    assert_contains(out, "cpu:");
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_process),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("NVIDIA's stub libcuda", tests, NULL, NULL);
}
