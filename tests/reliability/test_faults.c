/* tests/reliability: fail the nth instrumented call (file opens and reads, heap, dlopen,
 * every backend slot) for n = 1, 2, ... until the whole operation succeeds, on every machine
 * dump and on this machine (libuv's loop-init-OOM pattern). Every failing run must return an
 * error code with a detail; ASan (ci/asan.sh) and valgrind check that none leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "platform/platform.h"

/* The whole operation: init, probe, every device's facts and snapshot, host figures, and
 * on the live machine a profiling lifecycle through the tracker. */
static int operation(const char *root, int live)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    mb_context *ctx = NULL;
    int rc = mb_context_init(&ctx, &o);
    if (rc)
        return rc;
    int n = mb_device_count(ctx);
    if (n < 0) {
        rc = n;
        goto out;
    }
    for (int i = 0; i < n && !rc; i++) {
        mb_device_info d = MB_DEVICE_INFO_INIT;
        mb_snapshot s;
        char text[512];
        if (!(rc = mb_device_get(ctx, i, &d)) && !(rc = mb_snapshot_measure(ctx, i, NULL, &s)))
            rc = mb_snapshot_format(&s, text, sizeof text) > 0 ? MB_OK : MB_EINVAL;
    }
    mb_host_memory h;
    if (!rc && live)
        rc = mb_host_memory_get(ctx, &h);
    if (!rc && live) {
        mb_tracker *t = NULL;
        mb_allocator a;
        mb_snapshot base;
        mb_profile p;
        void *x;
        int last = n - 1; /* the CPU device comes last */
        if (!(rc = mb_tracker_init(&t, ctx, last, MB_TRACKER_CACHING))) {
            mb_tracker_get_allocator(t, &a);
            if (!(rc = mb_snapshot_measure(ctx, last, &a, &base)) &&
                !(rc = mb_profile_begin(&p, ctx, last, &a, &base, 0)) &&
                !(rc = mb_tracker_allocate(t, 1 << 20, &x)) &&
                !(rc = mb_tracker_deallocate(t, x)))
                rc = mb_profile_end(&p);
            if (!rc && p.torch_peak_increase != 1 << 20)
                rc = MB_EINVAL;
        }
        mb_tracker_free(t);
    }
out:
    mb_context_free(ctx);
    return rc;
}

static void sweep(const char *root, int live)
{
    int failures = 0;
    for (long n = 1; n < 2000; n++) {
        mb__fault_arm(n);
        int rc = operation(root, live);
        const char *site = mb__fault_site();
        int injected = site[0] != '\0';
        mb__fault_arm(0);
        if (!injected) {
            /* the nth call was never reached: the operation completed untouched */
            if (rc != MB_OK)
                fail_msg("%s: without an injected fault the operation failed: %s: %s", root,
                         mb_error_message(rc), mb_error_detail());
            printf("%s: %d injected failures handled, then success at n=%ld\n", root, failures,
                   n);
            assert_true(failures > 3);
            return;
        }
        /* a fault may be absorbed (a missing optional file, a backend marked broken, a
         * device served by another backend); when it is not, it must be said */
        if (rc != MB_OK) {
            failures++;
            if (rc >= 0 || mb_error_detail()[0] == '\0')
                fail_msg("%s n=%ld (%s): rc %d with no detail", root, n, site, rc);
        }
    }
    fail_msg("%s: still failing after 2000 injected faults", root);
}

static void test_faults_dgx_spark(void **s) { (void)s; sweep(MB_DUMPS "/nvidia-dgx-gb10", 0); }
static void test_faults_eight_nodes(void **s) { (void)s; sweep(MB_DUMPS "/16amd64-8n2c", 0); }
static void test_faults_cgroup_dump(void **s)
{
    (void)s;
    sweep(MB_DUMPS "/32amd64-4s2n4c-cgroup", 0);
}
static void test_faults_live(void **s) { (void)s; sweep("/", 1); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_dgx_spark),
        cmocka_unit_test(test_faults_eight_nodes),
        cmocka_unit_test(test_faults_cgroup_dump),
        cmocka_unit_test(test_faults_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
