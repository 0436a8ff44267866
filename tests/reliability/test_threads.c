/* tests/reliability: 8 threads share one context; each measures snapshots and runs the
 * profiling lifecycle on its own device and on a shared one, thousands of times. Run under
 * TSan by ci/tsan.sh (data races), under ASan+UBSan by ci/asan.sh, and plainly by ctest. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"

#define THREADS 8
#define ITERATIONS 2000

/* A per-thread fake allocator: stats move in a known way so results can be checked. */
typedef struct fake_alloc {
    int64_t allocated, peak, reserved;
} fake_alloc;

static int fa_stats(void *u, mb_alloc_stats *o)
{
    fake_alloc *f = u;
    o->allocated = f->allocated;
    o->peak = f->peak;
    o->reserved = f->reserved;
    return 0;
}
static int fa_reset(void *u)
{
    fake_alloc *f = u;
    f->peak = f->allocated;
    return 0;
}
static int fa_empty(void *u)
{
    fake_alloc *f = u;
    f->reserved = f->allocated;
    return 0;
}

typedef struct job {
    mb_context *ctx;
    int own, shared;
    int errors;
    char why[256];
} job;

static void *worker(void *arg)
{
    job *j = arg;
    fake_alloc fa = {0, 0, 0};
    mb_allocator a = {&fa, fa_stats, fa_reset, fa_empty};
    for (int it = 0; it < ITERATIONS && !j->errors; it++) {
        int dev = (it & 1) ? j->own : j->shared;
        mb_snapshot base, s, d;
        int rc = mb_snapshot_measure(j->ctx, dev, &a, &base);
        if (!rc)
            rc = mb_snapshot_measure(j->ctx, dev, NULL, &s);
        if (!rc)
            rc = mb_snapshot_sub(&s, &base, &d);
        mb_profile p;
        if (!rc) {
            fa.allocated = 1000;
            rc = mb_profile_begin(&p, j->ctx, dev, &a, &base, 1000);
        }
        if (!rc) {
            fa.allocated += 5000 + it; /* a spike, then freed */
            if (fa.allocated > fa.peak)
                fa.peak = fa.allocated;
            fa.reserved = fa.allocated;
            fa.allocated -= 5000 + it;
            rc = mb_profile_end(&p);
        }
        if (!rc && p.torch_peak_increase != 5000 + it) {
            snprintf(j->why, sizeof j->why, "iteration %d: peak increase %lld", it,
                     (long long)p.torch_peak_increase);
            j->errors++;
        }
        char text[512];
        if (!rc && mb_profile_format(&p, text, sizeof text) <= 0)
            rc = MB_EINVAL;
        if (rc) {
            snprintf(j->why, sizeof j->why, "iteration %d on device %d: %s: %s", it, dev,
                     mb_error_message(rc), mb_error_detail());
            j->errors++;
        }
        fa.allocated = fa.peak = fa.reserved = 0;
    }
    return NULL;
}

static void run_threads(mb_context *ctx, int ndev)
{
    pthread_t th[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].ctx = ctx;
        jobs[i].own = i % ndev;
        jobs[i].shared = 0;
        assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].errors)
            fail_msg("thread %d: %s", i, jobs[i].why);
    }
}

/* Eight NUMA nodes of a real machine dump: each thread has its own node; probing happens
 * concurrently too (the first device call of each thread races to probe). */
static void test_threads_on_eight_node_dump(void **state)
{
    (void)state;
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = MB_DUMPS "/16amd64-8n2c";
    o.backends = "cpu";
    mb_context *ctx;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    run_threads(ctx, 8);
    assert_int_equal(mb_device_count(ctx), 8);
    mb_context_free(ctx);
}

/* The live machine, with one tracker shared by all threads (it is internally locked). */
static void *tracker_worker(void *arg)
{
    mb_tracker *t = arg;
    for (int i = 0; i < 500; i++) {
        void *p;
        if (mb_tracker_allocate(t, 4096 * (size_t)(1 + i % 4), &p) != MB_OK)
            return (void *)1;
        mb_allocator a;
        mb_tracker_get_allocator(t, &a);
        mb_alloc_stats st;
        a.stats(a.user, &st);
        if (st.allocated < 4096 || st.peak < st.allocated || st.reserved < st.allocated)
            return (void *)2;
        if (mb_tracker_deallocate(t, p) != MB_OK)
            return (void *)3;
        if (i % 50 == 0)
            a.empty_cache(a.user);
    }
    return NULL;
}

static void test_threads_live_with_shared_tracker(void **state)
{
    (void)state;
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = "/";
    o.backends = "cpu";
    mb_context *ctx;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    run_threads(ctx, 1);
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, 0, MB_TRACKER_CACHING), MB_OK);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, tracker_worker, t), 0);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    mb_allocator a;
    mb_tracker_get_allocator(t, &a);
    mb_alloc_stats st;
    a.stats(a.user, &st);
    assert_int_equal(st.allocated, 0);
    assert_true(st.peak >= 4096);
    assert_int_equal(a.empty_cache(a.user), MB_OK);
    a.stats(a.user, &st);
    assert_int_equal(st.reserved, 0);
    mb_tracker_free(t);
    mb_context_free(ctx);
}

/* The CUDA backend on the two-GPU test double (MEMBUDGET_BACKENDS=cuda, MB_FAKE_CUDA=two
 * from CTest): contexts pushed and popped by 8 threads at once. */
static void test_threads_on_cuda_double(void **state)
{
    (void)state;
    mb_context *ctx;
    assert_int_equal(mb_context_init(&ctx, NULL), MB_OK);
    int n = mb_device_count(ctx);
    if (n != 2)
        fail_msg("expected the two-GPU CUDA double, found %d device(s): %s", n,
                 mb_error_detail());
    run_threads(ctx, n);
    mb_context_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--cuda") == 0) {
        const struct CMUnitTest cuda[] = {cmocka_unit_test(test_threads_on_cuda_double)};
        return cmocka_run_group_tests(cuda, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_on_eight_node_dump),
        cmocka_unit_test(test_threads_live_with_shared_tracker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
