/* tests/hip/test_hip_env.c: a bad value of a variable the HIP backend honours is an error
 * with the value and what is accepted, as the README promises, not read as "unset"
 * (MEMBUDGET_HIP_FORCE_RUNTIME=yes used to be ignored silently). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"

static void test_force_runtime_bad_value(void **state)
{
    (void)state;
    setenv("MEMBUDGET_HIP_FORCE_RUNTIME", "yes", 1);
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.backends = "hip,cpu";
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    (void)mb_context_probe(ctx);
    int found = 0;
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        mb_backend_status st = MB_BACKEND_STATUS_INIT;
        assert_int_equal(mb_backend_get(ctx, i, &st), MB_OK);
        if (strcmp(st.name, "hip") != 0)
            continue;
        found = 1;
        assert_int_equal(st.state, MB_BACKEND_BROKEN);
        assert_non_null(strstr(st.reason, "MEMBUDGET_HIP_FORCE_RUNTIME='yes' is not 0 or 1"));
    }
    assert_true(found);
    mb_context_free(ctx);
    /* 0 and 1 stay accepted */
    setenv("MEMBUDGET_HIP_FORCE_RUNTIME", "0", 1);
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    (void)mb_context_probe(ctx);
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        mb_backend_status st = MB_BACKEND_STATUS_INIT;
        assert_int_equal(mb_backend_get(ctx, i, &st), MB_OK);
        if (strcmp(st.name, "hip") == 0)
            assert_null(strstr(st.reason, "is not 0 or 1"));
    }
    mb_context_free(ctx);
    unsetenv("MEMBUDGET_HIP_FORCE_RUNTIME");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_force_runtime_bad_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
