/* tests/ops/test_ops_pressure.c: mb_pressure_watch. Real PSI triggers on this machine's
 * /proc/pressure/memory (registration must succeed where the file exists: no skip),
 * systemd's MEMORY_PRESSURE_WATCH / MEMORY_PRESSURE_WRITE, the polling fallbacks on
 * made-up files whose totals the test moves, and events injected by the fault layer for
 * the callback (with the release it runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/operators.h"
#include "platform/platform.h"
#include "testutil.h"

static mb_context *ctx_at(const char *root)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    o.backends = "cpu";
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    return ctx;
}

typedef struct got {
    int n;
    mb_pressure_event last;
    int stop;
} got;

static int on_event(void *user, const mb_pressure_event *ev)
{
    got *g = user;
    g->n++;
    g->last = *ev;
    return g->stop;
}

static void psi_file(const char *root, long long some, long long full)
{
    char p[4096], t[256];
    snprintf(p, sizeof p, "%s/proc/pressure/memory", root);
    snprintf(t, sizeof t, "some avg10=1.00 avg60=0.50 avg300=0.10 total=%lld\n"
                          "full avg10=0.20 avg60=0.10 avg300=0.00 total=%lld\n", some, full);
    tu_write(p, t);
}

static void meminfo(const char *root, long long total_kb, long long avail_kb)
{
    char p[4096], t[256];
    snprintf(p, sizeof p, "%s/proc/meminfo", root);
    snprintf(t, sizeof t, "MemTotal: %lld kB\nMemFree: %lld kB\nMemAvailable: %lld kB\n",
             total_kb, avail_kb, avail_kb);
    tu_write(p, t);
}

/* This machine: the kernel must take both default triggers (Linux 5.2+; unprivileged
 * needs 6.4 and a 2 s window, which the defaults have). */
static void test_real_triggers(void **state)
{
    (void)state;
    unsetenv("MEMORY_PRESSURE_WATCH");
    unsetenv("MEMORY_PRESSURE_WRITE");
    mb_context *ctx = ctx_at(NULL);
    mb_pressure_watch *w = NULL;
    assert_int_equal(mb_pressure_watch_init(&w, ctx, NULL), MB_OK);
    if (access("/proc/pressure/memory", F_OK) == 0 || mb_pressure_watch_get_mode(w) ==
                                                          MB_WATCH_TRIGGER) {
        if (mb_pressure_watch_get_mode(w) != MB_WATCH_TRIGGER)
            fail_msg("PSI exists here but triggers were not registered: %s",
                     mb_pressure_watch_get_reason(w));
        assert_true(mb_pressure_watch_get_fd(w) >= 0);
        assert_non_null(strstr(mb_pressure_watch_get_reason(w), "2 triggers registered"));
        /* the wait returns by its deadline; an event the machine's own load may raise in
         * those 200 ms (a loaded CI runner) reaches the callback whole */
        got g = {0};
        double t0 = mb__clock_mono();
        assert_int_equal(mb_pressure_watch_wait(w, 0.2, on_event, &g), 0);
        assert_true(mb__clock_mono() - t0 >= 0.15);
        if (g.n > 0) /* a real trigger's event: one of the two registered kinds */
            assert_true(strcmp(g.last.kind, "some") == 0 || strcmp(g.last.kind, "full") == 0);
    } else {
        assert_int_equal(mb_pressure_watch_get_mode(w), MB_WATCH_MEMINFO_POLL);
    }
    mb_pressure_watch_free(w);

    /* a threshold the kernel refuses (window not a multiple of 2 s, for unprivileged
     * callers, or accepted as root): either a trigger or a stated fallback, never silent */
    mb_pressure_watch_options o;
    mb_pressure_watch_options_init(&o, sizeof o);
    assert_int_equal(o.size, sizeof o);
    assert_int_equal(o.some_us, 150000);
    assert_int_equal(o.full_us, 100000);
    assert_int_equal(o.window_us, 2000000);
    o.window_us = 400000;
    assert_int_equal(mb_pressure_watch_init(&w, ctx, &o), MB_EINVAL);
    assert_null(w);
    assert_non_null(strstr(mb_error_detail(), "500 ms"));
    mb_context_free(ctx);
}

/* base64 of "some 200000 2000000" with its NUL, as systemd writes it. */
static const char sd_write[] = "c29tZSAyMDAwMDAgMjAwMDAwMAA=";

static void test_systemd_protocol(void **state)
{
    (void)state;
    mb_context *ctx = ctx_at(NULL);
    mb_pressure_watch *w = NULL;
    setenv("MEMORY_PRESSURE_WATCH", "/dev/null", 1);
    mb_context_free(ctx);
    ctx = ctx_at(NULL);
    assert_int_equal(mb_pressure_watch_init(&w, ctx, NULL), MB_OK);
    assert_int_equal(mb_pressure_watch_get_mode(w), MB_WATCH_OFF);
    assert_non_null(strstr(mb_pressure_watch_get_reason(w), "/dev/null"));
    got g = {0};
    assert_int_equal(mb_pressure_watch_wait(w, 0.01, on_event, &g), 0);
    mb_pressure_watch_free(w);

    setenv("MEMORY_PRESSURE_WATCH", "/proc/pressure/memory", 1);
    setenv("MEMORY_PRESSURE_WRITE", "not base64!", 1);
    mb_context_free(ctx);
    ctx = ctx_at(NULL);
    assert_int_equal(mb_pressure_watch_init(&w, ctx, NULL), MB_EENV);
    assert_non_null(strstr(mb_error_detail(), "MEMORY_PRESSURE_WRITE"));
    if (access("/proc/pressure/memory", F_OK) == 0) {
        setenv("MEMORY_PRESSURE_WRITE", sd_write, 1);
        mb_context_free(ctx);
        ctx = ctx_at(NULL);
        assert_int_equal(mb_pressure_watch_init(&w, ctx, NULL), MB_OK);
        assert_int_equal(mb_pressure_watch_get_mode(w), MB_WATCH_TRIGGER);
        assert_string_equal(mb_pressure_watch_get_path(w), "/proc/pressure/memory");
        assert_non_null(strstr(mb_pressure_watch_get_reason(w), "MEMORY_PRESSURE_WRITE"));
        assert_non_null(strstr(mb_pressure_watch_get_reason(w), "1 trigger registered"));
        mb_pressure_watch_free(w);
    }
    unsetenv("MEMORY_PRESSURE_WATCH");
    unsetenv("MEMORY_PRESSURE_WRITE");
    mb_context_free(ctx);
}

/* A dump: no kernel to register with, so the totals are polled; the rule is the
 * trigger's (stall within the window >= threshold, once per window). */
static void test_psi_poll(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("ops_psi_poll", root, sizeof root);
    meminfo(root, 16000000, 8000000);
    psi_file(root, 1000000, 500000);
    mb_context *ctx = ctx_at(root);
    mb_pressure_watch_options o;
    mb_pressure_watch_options_init(&o, sizeof o);
    o.poll_interval = 0.05;
    o.window_us = 1000000;
    mb_pressure_watch *w = NULL;
    assert_int_equal(mb_pressure_watch_init(&w, ctx, &o), MB_OK);
    assert_int_equal(mb_pressure_watch_get_mode(w), MB_WATCH_PSI_POLL);
    assert_int_equal(mb_pressure_watch_get_fd(w), -1);
    got g = {0};
    assert_int_equal(mb_pressure_watch_wait(w, 0.2, on_event, &g), 0); /* steady: none */
    assert_int_equal(g.n, 0);
    psi_file(root, 1000000 + 149999, 500000); /* just under 150 ms */
    assert_int_equal(mb_pressure_watch_wait(w, 0.2, on_event, &g), 0);
    psi_file(root, 1000000 + 200000, 500000 + 100000); /* both thresholds crossed */
    g.stop = 0;
    int n = mb_pressure_watch_wait(w, 0.5, on_event, &g);
    assert_int_equal(n, 2);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.last.kind, "full");
    assert_int_equal(g.last.injected, 0);
    assert_int_equal(g.last.full_total_us, 600000);
    assert_int_equal(g.last.host_total, 16000000LL * 1024);
    /* more stall at once: the window has not passed, so no second event yet */
    psi_file(root, 1000000 + 400000, 600000);
    assert_int_equal(mb_pressure_watch_wait(w, 0.2, on_event, &g), 0);
    mb_pressure_watch_free(w);
    mb_context_free(ctx);
}

/* No PSI at all: MemAvailable under (1 - 0.8) of MemTotal fires "low". */
static void test_meminfo_poll(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("ops_meminfo_poll", root, sizeof root);
    meminfo(root, 16000000, 8000000);
    mb_context *ctx = ctx_at(root);
    mb_pressure_watch_options o;
    mb_pressure_watch_options_init(&o, sizeof o);
    o.poll_interval = 0.05;
    mb_pressure_watch *w = NULL;
    assert_int_equal(mb_pressure_watch_init(&w, ctx, &o), MB_OK);
    assert_int_equal(mb_pressure_watch_get_mode(w), MB_WATCH_MEMINFO_POLL);
    assert_non_null(strstr(mb_pressure_watch_get_reason(w), "does not exist"));
    got g = {0};
    assert_int_equal(mb_pressure_watch_wait(w, 0.15, on_event, &g), 0);
    meminfo(root, 16000000, 3000000);
    assert_int_equal(mb_pressure_watch_wait(w, 0.3, on_event, &g), 1);
    assert_string_equal(g.last.kind, "low");
    assert_int_equal(g.last.host_available, 3000000LL * 1024);
    mb_pressure_watch_free(w);
    mb_context_free(ctx);
}

static int stats(void *user, mb_alloc_stats *out)
{
    (void)user;
    out->allocated = 0;
    out->reserved = out->peak = 1LL << 30;
    return 0;
}

/* The fault layer injects an event: the callback runs, and so does the release (which
 * declines on a CPU device and says why). */
static void test_injected(void **state)
{
    (void)state;
    mb_context *ctx = ctx_at(NULL);
    mb_allocator a = {NULL, stats, NULL, NULL};
    mb_pressure_watch_options o;
    mb_pressure_watch_options_init(&o, sizeof o);
    o.release_device = 0;
    o.release_alloc = &a;
    mb_pressure_watch *w = NULL;
    assert_int_equal(mb_pressure_watch_init(&w, ctx, &o), MB_OK);
    got g = {0};
    mb__fault_arm(1);
    assert_int_equal(mb_pressure_watch_wait(w, 5, on_event, &g), 1);
    mb__fault_arm(0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.last.injected, 1);
    assert_int_equal(g.last.size, sizeof g.last);
    assert_true(g.last.timestamp > 1.7e9);
    assert_int_equal(g.last.release_tried, 1);
    assert_int_equal(g.last.release_rc, MB_OK);
    assert_int_equal(g.last.released, 0);
    assert_non_null(strstr(g.last.release_reason, "not an integrated GPU"));
    assert_true(g.last.host_total > 0);
    mb_pressure_watch_free(w);
    mb_context_free(ctx);
}

/* Every failing open, read and allocation while setting up a watch is an error with a
 * detail or a stated fallback, and nothing leaks (ASan and valgrind check). */
static void test_fault_sweep(void **state)
{
    (void)state;
    mb_context *ctx = ctx_at(NULL);
    for (long n = 1; n < 100; n++) {
        mb_pressure_watch *w = NULL;
        mb__fault_arm(n);
        int rc = mb_pressure_watch_init(&w, ctx, NULL);
        long seen = mb__fault_count();
        mb__fault_arm(0);
        if (rc) {
            assert_null(w);
            assert_true(mb_error_detail()[0] != '\0');
        } else {
            assert_non_null(w);
            assert_true(mb_pressure_watch_get_reason(w)[0] != '\0');
            mb_pressure_watch_free(w);
        }
        if (seen < n)
            break; /* the nth call was never reached: every site has been failed */
    }
    mb_context_free(ctx);
}

/* The growing structs of release 1.1 follow docs/abi.md: an unset size is refused naming
 * the initialiser, a larger caller struct gets its unknown tail zeroed. */
static void test_abi_sizes(void **state)
{
    (void)state;
    mb_context *ctx = ctx_at(NULL);
    mb_pressure_watch_options o = MB_PRESSURE_WATCH_OPTIONS_INIT;
    o.size = 3;
    mb_pressure_watch *w = (mb_pressure_watch *)1;
    assert_int_equal(mb_pressure_watch_init(&w, ctx, &o), MB_EINVAL);
    assert_null(w);
    assert_non_null(strstr(mb_error_detail(), "MB_PRESSURE_WATCH_OPTIONS_INIT"));
    assert_int_equal(mb_pressure_watch_options_init(&o, 2), MB_EINVAL);
    assert_int_equal(mb_pressure_watch_options_init(&o, sizeof o), MB_OK);
    assert_int_equal(o.size, sizeof o);
    assert_int_equal(o.release_device, -1);
    struct {
        mb_psi p;
        int64_t newer; /* a field a later header may add */
    } big;
    memset(&big, 0x55, sizeof big);
    big.p.size = sizeof big;
    if (access("/proc/pressure/memory", F_OK) == 0) {
        assert_int_equal(mb_psi_read(ctx, NULL, &big.p), MB_OK);
        assert_int_equal(big.newer, 0);
        assert_int_equal(big.p.size, sizeof big);
    }
    mb_psi small = MB_PSI_INIT;
    small.size = 0;
    assert_int_equal(mb_psi_read(ctx, NULL, &small), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "MB_PSI_INIT"));
    mb_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_triggers), cmocka_unit_test(test_systemd_protocol),
        cmocka_unit_test(test_psi_poll),      cmocka_unit_test(test_meminfo_poll),
        cmocka_unit_test(test_injected),      cmocka_unit_test(test_fault_sweep),
        cmocka_unit_test(test_abi_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
