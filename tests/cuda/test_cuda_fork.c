/*
 * tests/cuda/test_cuda_fork.c: a context whose CUDA backend was probed is used in a child
 * of fork(). The child must get MB_ESTATE naming fork and what to do, not driver errors;
 * a new context in the child works; the parent's context still works; a context that was
 * only created (not probed) before fork works in the child.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "cuda_test.h"

static int setup(void **state)
{
    (void)state;
    load_fake();
    return FC.mbfake_cuda_setup("discrete80");
}

/* Runs fn in a child; returns its exit status (or 100 + signal). */
static int in_child(int (*fn)(mb_context *), mb_context *ctx)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(ctx));
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static int child_uses_parents(mb_context *ctx)
{
    int d;
    if (mb_device_find(ctx, "cuda:0", &d) != MB_ESTATE)
        return 1;
    if (!strstr(mb_error_detail(), "fork()") || !strstr(mb_error_detail(), "new context"))
        return 2;
    mb_snapshot s;
    if (mb_snapshot_measure(ctx, 0, NULL, &s) != MB_ESTATE)
        return 3;
    mb_context_free(ctx); /* must not call the parent's driver state */
    mb_context *fresh = NULL;
    if (mb_context_init(&fresh, NULL) != MB_OK || mb_device_find(fresh, "cuda:0", &d) != MB_OK)
        return 4;
    if (mb_snapshot_measure(fresh, d, NULL, &s) != MB_OK)
        return 5;
    mb_context_free(fresh);
    return 0;
}

static int child_probes_itself(mb_context *ctx)
{
    int d;
    if (mb_device_find(ctx, "cuda:0", &d) != MB_OK)
        return 1;
    mb_snapshot s;
    if (mb_snapshot_measure(ctx, d, NULL, &s) != MB_OK)
        return 2;
    mb_context_free(ctx);
    return 0;
}

static void test_probed_context_refused_in_child(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:0");
    (void)measure(ctx, d, NULL);
    assert_int_equal(in_child(child_uses_parents, ctx), 0);
    /* the parent is untouched */
    mb_snapshot s = measure(ctx, d, NULL);
    assert_true(s.total_memory > 0);
    mb_context_free(ctx);
}

static void test_unprobed_context_works_in_child(void **state)
{
    (void)state;
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, NULL), MB_OK);
    assert_int_equal(in_child(child_probes_itself, ctx), 0);
    mb_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_probed_context_refused_in_child, setup),
        cmocka_unit_test_setup(test_unprobed_context_works_in_child, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
