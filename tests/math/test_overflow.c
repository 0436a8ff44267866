/* tests/math/test_overflow.c: sums and differences of caller-supplied and sentinel sizes
 * never wrap (issue 13 item 9). Each case feeds the arithmetic figures at the edge of
 * int64 and checks that the result is refused with MB_ERANGE, or is the sentinel, never a
 * wrapped number; under UBSan (ci/asan.sh, -fno-sanitize-recover) the old code aborts on
 * the first signed overflow, and without it the wrapped figures fail the asserts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/vllm.h"

static mb_snapshot snap(int64_t free, int64_t total, int64_t peak, int64_t torch)
{
    mb_snapshot s;
    memset(&s, 0, sizeof s);
    snprintf(s.device, sizeof s.device, "cuda:0");
    snprintf(s.platform, sizeof s.platform, "cuda");
    s.free_memory = free;
    s.total_memory = total;
    if (__builtin_sub_overflow(total, free, &s.device_memory))
        s.device_memory = 0; /* the helper itself must not overflow */
    s.torch_peak = peak;
    s.torch_memory = torch;
    if (__builtin_sub_overflow(s.device_memory, torch, &s.non_torch_memory))
        s.non_torch_memory = 0;
    s.driver_free = MB_UNKNOWN;
    s.limit = MB_UNLIMITED;
    return s;
}

static void test_snapshot_sub_refuses_overflow(void **state)
{
    (void)state;
    mb_snapshot a = snap(INT64_MAX - 1, INT64_MAX, 0, 0), b = snap(0, 1, 0, 0), r;
    b.free_memory = -10; /* a caller's made-up figure */
    assert_int_equal(mb_snapshot_sub(&a, &b, &r), MB_ERANGE);
    assert_non_null(strstr(mb_error_detail(), "free_memory"));
    assert_int_equal(r.free_memory, 0); /* cleared, not wrapped */
}

static void test_snapshot_sub_unknown_stays_unknown(void **state)
{
    (void)state;
    mb_snapshot a = snap(100, 200, 5, 5), b = snap(50, 200, 1, 1), r;
    a.torch_peak = MB_UNKNOWN;
    b.torch_memory = MB_UNKNOWN;
    assert_int_equal(mb_snapshot_sub(&a, &b, &r), MB_OK);
    assert_true(r.torch_peak == MB_UNKNOWN);
    assert_true(r.torch_memory == MB_UNKNOWN);
    assert_int_equal(r.free_memory, 50);
}

static void test_profile_compute_refuses_overflow(void **state)
{
    (void)state;
    mb_profile p;
    memset(&p, 0, sizeof p);
    p.before_create = snap(100, 1000, 0, 0);
    p.before_profile = snap(100, 1000, 0, 0);
    p.after_profile = snap(50, 1000, INT64_MAX / 2 + 1, 0);
    p.weights_memory = INT64_MAX / 2 + 1;
    assert_int_equal(mb_profile_compute(&p), MB_ERANGE);
    assert_non_null(strstr(mb_error_detail(), "does not fit in 64 bits"));
    assert_true(p.non_kv_cache_memory >= 0);
}

static void test_budget_refuses_overflow(void **state)
{
    (void)state;
    /* a profile whose snapshots the caller filled: consumed = free before - free after */
    mb_profile p;
    memset(&p, 0, sizeof p);
    p.before_create = snap(79 * MB_GiB, 80 * MB_GiB, 0, 0);
    p.before_profile = p.before_create;
    p.after_profile = snap(INT64_MIN + 1, 80 * MB_GiB, 0, 0);
    mb_budget_options o = MB_BUDGET_OPTIONS_INIT;
    o.formula = MB_NON_KV_CONSUMED;
    mb_budget b;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_ERANGE);
    assert_non_null(strstr(mb_error_detail(), "does not fit in 64 bits"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_sub_refuses_overflow),
        cmocka_unit_test(test_snapshot_sub_unknown_stays_unknown),
        cmocka_unit_test(test_profile_compute_refuses_overflow),
        cmocka_unit_test(test_budget_refuses_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
