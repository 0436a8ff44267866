/*
 * tests/cuda/test_cuda_absent.c: no libcuda.so.1 anywhere (LD_LIBRARY_PATH names an empty
 * folder and this machine has no NVIDIA driver): the backend is absent, quietly, with the
 * loader's reason, and the CPU serves. On a machine with a driver installed this test
 * fails on purpose rather than pass without testing anything.
 */
#include "cuda_test.h"
#include "testutil.h"

static void test_absent(void **state)
{
    (void)state;
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    assert_null(h);
    h = dlopen("libcuda.so.1", RTLD_LAZY);
    if (h)
        fail_msg("a libcuda.so.1 is installed on this machine: this test needs one without");
    mb_context *ctx = open_ctx(NULL);
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_contains(st.reason, "libcuda.so.1 not found: no NVIDIA driver is installed");
    assert_contains(st.reason, "No such file");
    assert_int_equal(backend(ctx, "cpu").state, MB_BACKEND_PRESENT);
    mb_context_free(ctx);

    char *out, *err;
    int rc = tu_run_cli("LD_LIBRARY_PATH=" EMPTY_DIR, "devices", &out, &err);
    assert_int_equal(rc, 0);
    assert_contains(out, "absent");
    assert_contains(out, "libcuda.so.1 not found");
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_absent)};
    return cmocka_run_group_tests_name("cuda absent", tests, NULL, NULL);
}
