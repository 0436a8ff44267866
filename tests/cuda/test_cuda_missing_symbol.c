/*
 * tests/cuda/test_cuda_missing_symbol.c: a libcuda.so.1 that loads but lacks an entry
 * point (the fake built with cuMemGetInfo_v2 hidden) is "broken", and the reason names
 * the symbol and the file; the CPU serves, and neither cuInit nor anything else was called.
 */
#include "cuda_test.h"
#include "testutil.h"

static void test_broken_names_symbol(void **state)
{
    (void)state;
    load_fake();
    mb_context *ctx = open_ctx(NULL);
    mb_backend_status st = backend(ctx, "cuda");
    assert_int_equal(st.state, MB_BACKEND_BROKEN);
    assert_contains(st.reason, FAKE_DIR "/cuda-missing/libcuda.so.1 lacks cuMemGetInfo_v2");
    assert_contains(st.reason, "update the NVIDIA driver");
    assert_int_equal(backend(ctx, "cpu").state, MB_BACKEND_PRESENT);
    mb_device_info info = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &info), MB_OK);
    assert_string_equal(info.backend, "cpu");
    assert_int_equal(FC.mbfake_cuda_count("cuInit"), 0); /* refused before any call */
    /* the library really has the others: only the one symbol is missing */
    void *h = dlopen("libcuda.so.1", RTLD_NOW);
    assert_non_null(dlsym(h, "cuInit"));
    assert_null(dlsym(h, "cuMemGetInfo_v2"));
    mb_context_free(ctx);
}

/* The command says the same and still exits 0: the CPU serves. */
static void test_cli(void **state)
{
    (void)state;
    char *out, *err;
    int rc = tu_run_cli("LD_LIBRARY_PATH=" FAKE_DIR "/cuda-missing", "devices", &out, &err);
    assert_int_equal(rc, 0);
    assert_contains(out, "broken");
    assert_contains(out, "lacks cuMemGetInfo_v2");
    assert_contains(out, "cpu:");
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_names_symbol),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("cuda library missing a symbol", tests, NULL, NULL);
}
