/* tests/platform: an allocator callback that fails with its own negative code (here -3,
 * which is also MB_ENODEV) is reported as MB_ECALLBACK with the callback's value in the
 * detail, never passed off as a membudget error ("no such device"). On the live CPU
 * backend, so no driver is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "testutil.h"

static int failing_stats(void *user, mb_alloc_stats *out)
{
    (void)user;
    (void)out;
    return -3;
}
static int failing_cache(void *user)
{
    (void)user;
    return -3;
}

static void test_callback_code_is_not_membudgets(void **state)
{
    (void)state;
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.backends = "cpu";
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    mb_allocator a = {NULL, failing_stats, failing_cache, failing_cache};
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, &a, &s), MB_ECALLBACK);
    assert_non_null(strstr(mb_error_detail(), "stats callback failed with -3"));
    assert_string_equal(mb_error_name(MB_ECALLBACK), "MB_ECALLBACK");
    mb_snapshot base;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &base), MB_OK);
    mb_profile p;
    mb_allocator b = {NULL, failing_stats, failing_cache, failing_cache};
    assert_int_equal(mb_profile_begin(&p, ctx, 0, &b, &base, 0), MB_ECALLBACK);
    assert_non_null(strstr(mb_error_detail(), "callback failed with -3"));
    mb_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_callback_code_is_not_membudgets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
