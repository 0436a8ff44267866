/* tests/math: snapshots, formatting and the profiling arithmetic from values (no OS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "membudget.h"
#include "testutil.h"

#define GiB MB_GiB
#define MiB MB_MiB

static mb_snapshot snap(const char *dev, int64_t peak, int64_t free, int64_t total,
                        int64_t reserved, double ts)
{
    mb_snapshot s;
    memset(&s, 0, sizeof s);
    snprintf(s.device, sizeof s.device, "%s", dev);
    snprintf(s.platform, sizeof s.platform, "cuda");
    s.torch_peak = peak;
    s.free_memory = free;
    s.total_memory = total;
    s.device_memory = total - free;
    s.torch_memory = reserved;
    s.non_torch_memory = s.device_memory - reserved;
    s.timestamp = ts;
    s.auto_measure = 1;
    return s;
}

static void gib_is(int64_t bytes, const char *want)
{
    char buf[64];
    int n = mb_size_format_gib(bytes, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_format_gib(void **state)
{
    (void)state;
    gib_is(GiB, "1.0");
    gib_is(GiB / 4, "0.25");
    gib_is(-GiB / 2, "-0.5");
    gib_is(0, "0.0");
    gib_is(80 * GiB, "80.0");
    gib_is(GiB + GiB / 10, "1.1");
    gib_is(3 * GiB / 1000, "0.0");       /* 0.003 rounds to 0.0 */
    gib_is(-3 * GiB / 1000, "-0.0");     /* Python keeps the sign: round(-0.003, 2) */
    gib_is(5 * GiB / 1000 + 1, "0.01");  /* just above 0.005 */
    gib_is((int64_t)(0.125 * GiB), "0.12"); /* exact tie: round half to even */
    gib_is((int64_t)(0.375 * GiB), "0.38");
    gib_is(25276063744LL, "23.54");
}

static void test_format_truncates_like_snprintf(void **state)
{
    (void)state;
    char small[3];
    int n = mb_size_format_gib(GiB / 4, small, sizeof small);
    assert_int_equal(n, 4);
    assert_string_equal(small, "0.");
    assert_int_equal(mb_size_format_gib(GiB, NULL, 0), 3);
}

static void test_snapshot_repr(void **state)
{
    (void)state;
    mb_snapshot s = snap("cuda:0", 2 * GiB, 70 * GiB, 80 * GiB, 3 * GiB, 1700000000.25);
    char buf[512];
    int n = mb_snapshot_format(&s, buf, sizeof buf);
    const char *want = "torch_peak=2.0GiB, free_memory=70.0GiB, total_memory=80.0GiB, "
                       "cuda_memory=10.0GiB, torch_memory=3.0GiB, non_torch_memory=7.0GiB, "
                       "timestamp=1700000000.25, auto_measure=True";
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
    snprintf(s.platform, sizeof s.platform, "cpu");
    s.timestamp = 5.0;
    s.auto_measure = 0;
    mb_snapshot_format(&s, buf, sizeof buf);
    assert_non_null(strstr(buf, "cpu_memory=10.0GiB"));
    assert_non_null(strstr(buf, "timestamp=5.0, auto_measure=False"));
    s.timestamp = 1e16;
    mb_snapshot_format(&s, buf, sizeof buf);
    assert_non_null(strstr(buf, "timestamp=1e+16,"));
    s.timestamp = 0.0001;
    mb_snapshot_format(&s, buf, sizeof buf);
    assert_non_null(strstr(buf, "timestamp=0.0001,"));
    s.timestamp = 0.00001;
    mb_snapshot_format(&s, buf, sizeof buf);
    assert_non_null(strstr(buf, "timestamp=1e-05,"));
    s.timestamp = 0.1 + 0.2; /* repr: 0.30000000000000004 */
    mb_snapshot_format(&s, buf, sizeof buf);
    assert_non_null(strstr(buf, "timestamp=0.30000000000000004,"));
}

/* An engine that set a locale with a decimal comma still gets Python's text: the locale is
 * built here with localedef (the de_DE source of Debian's locales package) into a folder
 * named by LOCPATH, since the machine need not have it compiled. */
static void test_text_ignores_the_callers_locale(void **state)
{
    (void)state;
    char dir[1024], cmd[2200];
    tu_fresh_dir("locale-de", dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' 2>/dev/null", dir);
    int st = system(cmd);
    if (WEXITSTATUS(st) > 1) /* 1: warnings only */
        fail_msg("localedef could not build de_DE.UTF-8 (exit %d): install Debian's locales "
                 "package (ci/setup.sh does)", WEXITSTATUS(st));
    setenv("LOCPATH", dir, 1);
    if (!setlocale(LC_ALL, "de_DE.UTF-8"))
        fail_msg("setlocale(LC_ALL, de_DE.UTF-8) failed with LOCPATH=%s", dir);
    char probe[32];
    snprintf(probe, sizeof probe, "%.2f", 1.5);
    assert_string_equal(probe, "1,50"); /* the locale is in force for printf */
    char buf[512];
    mb_size_format_gib(GiB + GiB / 4, buf, sizeof buf);
    assert_string_equal(buf, "1.25");
    mb_snapshot s = snap("cuda:0", 2 * GiB, 70 * GiB, 80 * GiB, 3 * GiB, 1700000000.25);
    mb_snapshot_format(&s, buf, sizeof buf);
    assert_non_null(strstr(buf, "timestamp=1700000000.25, auto_measure=True"));
    mb_profile p;
    memset(&p, 0, sizeof p);
    p.profile_time = 2.5;
    p.weights_memory = GiB / 2;
    mb_profile_format(&p, buf, sizeof buf);
    assert_non_null(strstr(buf, "takes 2.50 seconds"));
    assert_non_null(strstr(buf, "weights memory: 0.5GiB"));
    snprintf(probe, sizeof probe, "%.2f", 1.5);
    assert_string_equal(probe, "1,50"); /* and the caller's locale is back */
    setlocale(LC_ALL, "C");
    unsetenv("LOCPATH");
}

static void test_snapshot_sub(void **state)
{
    (void)state;
    mb_snapshot a = snap("cuda:0", 3 * GiB, 60 * GiB, 80 * GiB, 4 * GiB, 10.5);
    mb_snapshot b = snap("cuda:0", 1 * GiB, 70 * GiB, 80 * GiB, 2 * GiB, 10.0);
    mb_snapshot d;
    assert_int_equal(mb_snapshot_sub(&a, &b, &d), MB_OK);
    assert_int_equal(d.torch_peak, 2 * GiB);
    assert_int_equal(d.free_memory, -10 * GiB);
    assert_int_equal(d.total_memory, 0);
    assert_int_equal(d.device_memory, 10 * GiB);
    assert_int_equal(d.torch_memory, 2 * GiB);
    assert_int_equal(d.non_torch_memory, 8 * GiB);
    assert_true(d.timestamp == 0.5);
    assert_int_equal(d.auto_measure, 0);
    assert_string_equal(d.device, "cuda:0");
    /* aliasing the output with an input */
    assert_int_equal(mb_snapshot_sub(&a, &b, &a), MB_OK);
    assert_int_equal(a.free_memory, -10 * GiB);
}

static void test_snapshot_sub_other_device_is_error(void **state)
{
    (void)state;
    mb_snapshot a = snap("cuda:0", 0, 1, 2, 0, 1);
    mb_snapshot b = snap("cuda:1", 0, 1, 2, 0, 1);
    mb_snapshot d;
    memset(&d, 0x5a, sizeof d);
    assert_int_equal(mb_snapshot_sub(&a, &b, &d), MB_EMISMATCH);
    assert_non_null(strstr(mb_error_detail(), "cuda:0 vs. cuda:1"));
    assert_int_equal(d.free_memory, 0); /* outputs zeroed after a failure */
    assert_int_equal(d.device[0], '\0');
}

/* The worked example of vLLM's memory_profiling docstring: 1 GiB used by others; weights
 * 2 GiB; peak activations 2 GiB; non-torch 0.5 GiB after loading and 1 GiB after
 * profiling: non-KV must be 5 GiB. */
static void test_seed_worked_example(void **state)
{
    (void)state;
    const int64_t total = 80 * GiB;
    mb_profile p;
    memset(&p, 0, sizeof p);
    /* before creating: category 1 = 1 GiB, nothing else */
    p.before_create = snap("cuda:0", 0, total - 1 * GiB, total, 0, 100.0);
    /* before profiling: torch holds 2 GiB of weights (peak reset to current), NCCL 0.5 */
    p.before_profile = snap("cuda:0", 2 * GiB, total - (1 * GiB + 2 * GiB + GiB / 2), total,
                            2 * GiB, 101.0);
    /* after profiling: peak 4 GiB seen, torch holds 3 GiB, non-torch 1 GiB */
    p.after_profile = snap("cuda:0", 4 * GiB, total - (1 * GiB + 3 * GiB + 1 * GiB), total,
                           3 * GiB, 103.5);
    p.weights_memory = 2 * GiB;
    assert_int_equal(mb_profile_compute(&p), MB_OK);
    assert_int_equal(p.torch_peak_increase, 2 * GiB);
    /* non-torch from before_create (1 GiB of others counted as non-torch) to after: 1 GiB */
    assert_int_equal(p.non_torch_increase, 1 * GiB);
    assert_int_equal(p.non_kv_cache_memory, 5 * GiB);
    assert_true(p.profile_time == 2.5);
    char buf[512];
    mb_profile_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "Memory profiling takes 2.50 seconds. Total non KV cache memory: "
                             "5.0GiB; torch peak memory increase: 2.0GiB; non-torch forward "
                             "increase memory: 1.0GiB; weights memory: 2.0GiB.");
}

static void test_profile_compute_rejects_mixed_devices(void **state)
{
    (void)state;
    mb_profile p;
    memset(&p, 0, sizeof p);
    p.before_create = snap("cuda:0", 0, 1, 2, 0, 0);
    p.before_profile = snap("cuda:0", 0, 1, 2, 0, 0);
    p.after_profile = snap("cuda:1", 0, 1, 2, 0, 0);
    assert_int_equal(mb_profile_compute(&p), MB_EMISMATCH);
}

static void test_errors(void **state)
{
    (void)state;
    assert_string_equal(mb_error_message(MB_OK), "success");
    assert_string_equal(mb_error_message(MB_EMISMATCH), "snapshots come from different devices");
    assert_string_equal(mb_error_message(-9999), "unknown error");
    assert_string_equal(mb_error_name(MB_ENOTSUP), "MB_ENOTSUP");
    /* every code in the list has its own message and name */
    int codes[] = {
#define X(name, value, msg) MB_##name,
        MB_ERROR_LIST(X)
#undef X
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_true(codes[i] < 0);
        assert_string_not_equal(mb_error_message(codes[i]), "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(codes[i], codes[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_gib),
        cmocka_unit_test(test_format_truncates_like_snprintf),
        cmocka_unit_test(test_snapshot_repr),
        cmocka_unit_test(test_text_ignores_the_callers_locale),
        cmocka_unit_test(test_snapshot_sub),
        cmocka_unit_test(test_snapshot_sub_other_device_is_error),
        cmocka_unit_test(test_seed_worked_example),
        cmocka_unit_test(test_profile_compute_rejects_mixed_devices),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
