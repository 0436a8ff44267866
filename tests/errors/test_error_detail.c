/* tests/errors: the detail's lifetime (docs/errors.md, mb_error_detail in membudget.h).
 * Every exported function that can fail empties the detail when it is entered, so after
 * it succeeds the detail is "", never a stale text of an earlier failure nor the text of a
 * failure it met and handled inside (a backend found broken while probing); after it fails
 * the detail is its own failure's. Functions that cannot fail (names, versions) leave the
 * detail alone, so it can be read after mb_error_name(rc). On the live CPU backend and
 * with pure functions: no driver needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/numa.h"
#include "membudget/vllm.h"
#include "testutil.h"

/* A failure that leaves a detail mentioning "stale-input". */
static void make_stale(void)
{
    int64_t v;
    assert_int_equal(mb_size_parse("stale-input", &v) < 0, 1);
    assert_non_null(strstr(mb_error_detail(), "stale-input"));
}

#define CLEARS(call)                                                                         \
    do {                                                                                     \
        make_stale();                                                                        \
        int rc_ = (call);                                                                    \
        if (rc_ < 0)                                                                         \
            fail_msg("%s failed: %s", #call, mb_error_detail());                             \
        if (mb_error_detail()[0])                                                            \
            fail_msg("after %s succeeded the detail still reads '%s'", #call,               \
                     mb_error_detail());                                                     \
    } while (0)

static void test_success_empties_the_detail(void **state)
{
    (void)state;
    int64_t v;
    char buf[64];
    CLEARS(mb_size_parse("1GiB", &v));
    CLEARS(mb_size_format_gib(1 << 30, buf, sizeof buf));
    mb_context_options co;
    CLEARS(mb_context_options_init(&co, sizeof co));
    co.backends = "cpu";
    mb_context *ctx = NULL;
    CLEARS(mb_context_init(&ctx, &co));
    CLEARS(mb_context_probe(ctx));
    CLEARS(mb_device_count(ctx));
    CLEARS(mb_backend_count(ctx));
    mb_device_info d = MB_DEVICE_INFO_INIT;
    CLEARS(mb_device_get(ctx, 0, &d));
    int idx;
    CLEARS(mb_device_find(ctx, d.name, &idx));
    mb_backend_status bs = MB_BACKEND_STATUS_INIT;
    CLEARS(mb_backend_get(ctx, 0, &bs));
    mb_snapshot a, b, diff;
    CLEARS(mb_snapshot_measure(ctx, 0, NULL, &a));
    CLEARS(mb_snapshot_measure(ctx, 0, NULL, &b));
    CLEARS(mb_snapshot_sub(&b, &a, &diff));
    CLEARS(mb_snapshot_format(&a, buf, sizeof buf) < 0 ? -1 : 0);
    int64_t total;
    CLEARS(mb_host_memory_total(ctx, &total));
    mb_host_memory hm;
    CLEARS(mb_host_memory_get(ctx, &hm));
    mb_container_info cm = MB_CONTAINER_INFO_INIT;
    CLEARS(mb_container_memory_get(ctx, &cm));
    CLEARS(mb_numa_node_count(ctx));
    mb_budget_options bo;
    CLEARS(mb_budget_options_init(&bo, sizeof bo));
    mb_plan_options po;
    CLEARS(mb_plan_options_init(&po, sizeof po));
    mb_cudagraph_options cgo;
    CLEARS(mb_cudagraph_options_init(&cgo, sizeof cgo));
    int sizes[600];
    CLEARS(mb_cudagraph_capture_sizes(&cgo, sizes, 600));
    CLEARS(mb_gpu_spec_count());
    int64_t req;
    CLEARS(mb_budget_requested(80LL << 30, 0.9, &req));
    mb_context_free(ctx);
}

/* A call that fails leaves its own failure, not the one before it. */
static void test_failure_is_its_own(void **state)
{
    (void)state;
    make_stale();
    mb_context_options co = MB_CONTEXT_OPTIONS_INIT;
    co.sysroot = "relative/dump";
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, &co), MB_EINVAL);
    assert_null(strstr(mb_error_detail(), "stale-input"));
    assert_non_null(strstr(mb_error_detail(), "relative/dump"));
}

/* Names, messages and versions cannot fail: the detail of the failure survives them. */
static void test_infallible_calls_keep_it(void **state)
{
    (void)state;
    make_stale();
    const char *keep = "stale-input";
    assert_string_equal(mb_error_name(MB_EPARSE), "MB_EPARSE");
    assert_non_null(mb_error_message(MB_EPARSE));
    assert_int_equal(mb_version(), MEMBUDGET_VERSION);
    assert_non_null(mb_version_string());
    assert_non_null(mb_source_name(0));
    assert_non_null(mb_backend_state_name(MB_BACKEND_BROKEN));
    assert_non_null(mb_non_kv_source_name(0));
    assert_non_null(mb_context_sysroot(NULL));
    assert_non_null(strstr(mb_error_detail(), keep));
}

/* A probe that finds a backend broken succeeds (the reason goes to the backend's status):
 * the detail stays empty. MEMBUDGET_HIP_FORCE_RUNTIME=yes makes the HIP backend broken
 * wherever it is built. */
static void test_handled_failure_inside_a_success(void **state)
{
    (void)state;
    setenv("MEMBUDGET_HIP_FORCE_RUNTIME", "yes", 1);
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, NULL), MB_OK);
    assert_true(mb_context_probe(ctx) >= 0);
    assert_string_equal(mb_error_detail(), "");
    int broken = 0;
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        mb_backend_status s = MB_BACKEND_STATUS_INIT;
        assert_int_equal(mb_backend_get(ctx, i, &s), MB_OK);
        broken += s.state == MB_BACKEND_BROKEN;
    }
    print_message("backends broken while probing: %d\n", broken);
    mb_context_free(ctx);
    unsetenv("MEMBUDGET_HIP_FORCE_RUNTIME");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_empties_the_detail),
        cmocka_unit_test(test_failure_is_its_own),
        cmocka_unit_test(test_infallible_calls_keep_it),
        cmocka_unit_test(test_handled_failure_inside_a_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
