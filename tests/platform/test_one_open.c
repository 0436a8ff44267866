/* tests/platform: a file that may be missing is opened once, its absence taken from that
 * open (ENOENT), never tested first and opened after (issue 13 item 4). A second thread
 * renames /proc/self/cpuset of a sysroot in and out while this one locates the cpuset
 * cgroup (which reads /proc/self/cpuset when present, else /proc/self/cgroup) many times.
 * The rename is atomic, so each locate must see the file or not: an error means a test
 * said "present" and the open found nothing. The old exists-then-open code fails within a
 * few thousand rounds on this 2-core VM (80 errors in 170,000); the loop runs for 200,000
 * rounds or 3 s. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "membudget.h"
#include "platform/platform.h"
#include "testutil.h"

static char root[1024], here[1200], away[1200];
static atomic_int stop;

static void *flipper(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        (void)rename(here, away);
        (void)rename(away, here);
    }
    return NULL;
}

static void test_absent_is_one_open(void **state)
{
    (void)state;
    tu_fresh_dir("one-open", root, sizeof root);
    char p[1200];
    snprintf(p, sizeof p, "%s/proc/self/cgroup", root);
    tu_write(p, "0::/job\n");
    snprintf(p, sizeof p, "%s/proc/self/mountinfo", root);
    tu_write(p, "40 30 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    snprintf(here, sizeof here, "%s/proc/self/cpuset", root);
    snprintf(away, sizeof away, "%s/proc/self/cpuset.away", root);
    tu_write(here, "/job\n");
    mb_platform plat;
    assert_int_equal(mb__plat_init(&plat, root), MB_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, flipper, NULL), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long rounds = 0, errors = 0;
    char first[512] = "";
    for (; rounds < 200000; rounds++) {
        mb_cg_where w;
        int rc = mb__cgroup_locate(&plat, "cpuset", &w);
        if (rc != 1) {
            if (!errors++)
                snprintf(first, sizeof first, "rc %d: %s", rc, mb_error_detail());
        } else if (strcmp(w.path, "/job") != 0) {
            if (!errors++)
                snprintf(first, sizeof first, "path '%s'", w.path);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec >= 3)
            break;
    }
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    mb__plat_fini(&plat);
    fprintf(stderr, "%ld rounds, %ld errors%s%s\n", rounds, errors, errors ? ", first: " : "",
            first);
    assert_int_equal(errors, 0);
    assert_true(rounds > 100); /* sanitizer builds run far fewer in the 3 s */
}

static int count_entry(void *user, const char *name)
{
    (void)name;
    ++*(int *)user;
    return 0;
}

/* The same for a folder that is listed (mb__plat_list): renamed in and out, each listing
 * finds it with its one entry or finds it absent, never "cannot open" after a test said
 * it was there. */
static void test_list_is_one_open(void **state)
{
    (void)state;
    tu_fresh_dir("one-open-list", root, sizeof root);
    snprintf(here, sizeof here, "%s/sys/class/drm", root);
    snprintf(away, sizeof away, "%s/sys/class/drm.away", root);
    char p[1300];
    snprintf(p, sizeof p, "%s/card0", here);
    tu_write(p, "x\n");
    mb_platform plat;
    assert_int_equal(mb__plat_init(&plat, root), MB_OK);
    atomic_store(&stop, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, flipper, NULL), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long rounds = 0, errors = 0;
    char first[512] = "";
    for (; rounds < 200000; rounds++) {
        int n = 0;
        int rc = mb__plat_list(&plat, "/sys/class/drm", count_entry, &n);
        if (rc != 0 || (n != 0 && n != 1)) {
            if (!errors++)
                snprintf(first, sizeof first, "rc %d, %d entries: %s", rc, n, mb_error_detail());
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec >= 3)
            break;
    }
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    mb__plat_fini(&plat);
    fprintf(stderr, "list: %ld rounds, %ld errors%s%s\n", rounds, errors,
            errors ? ", first: " : "", first);
    assert_int_equal(errors, 0);
    assert_true(rounds > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absent_is_one_open),
        cmocka_unit_test(test_list_is_one_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
