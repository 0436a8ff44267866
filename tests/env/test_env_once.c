/* tests/env: the environment is read once, at mb_context_init (docs/environment.md). A
 * setenv or unsetenv after init changes nothing for that context (no call races it); a
 * new context sees the change; mb_context_options.environment wins over the process
 * environment; a name membudget does not read is refused. On the 8-node machine dump
 * (hwloc's 16amd64-8n2c): 8 GiB nodes, no driver needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/numa.h"
#include "membudget/vllm.h"
#include "testutil.h"

#define D8 MB_DUMPS "/16amd64-8n2c"

static mb_context *open_ctx(const char *const *environment)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = D8;
    o.backends = "cpu";
    o.environment = environment;
    mb_context *ctx = NULL;
    int rc = mb_context_init(&ctx, &o);
    if (rc)
        fail_msg("mb_context_init: %s: %s", mb_error_name(rc), mb_error_detail());
    return ctx;
}

/* The explicit KV size of rank 0, in GiB; 0 when automatic (the dump has no
 * /proc/self/status, so the automatic size fails with MB_EIO: reported as 0 too). */
static int64_t kv_gib(mb_context *ctx)
{
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    int rc = mb_cpu_kv_space_get(ctx, NULL, &kv);
    if (rc == MB_EIO)
        return 0;
    if (rc)
        fail_msg("mb_cpu_kv_space_get: %s: %s", mb_error_name(rc), mb_error_detail());
    return kv.explicit_size ? kv.bytes / MB_GiB : 0;
}

static void test_read_at_init(void **state)
{
    (void)state;
    setenv("VLLM_CPU_KVCACHE_SPACE", "2", 1);
    setenv("CPU_VISIBLE_MEMORY_NODES", "3", 1);
    mb_context *ctx = open_ctx(NULL);
    setenv("VLLM_CPU_KVCACHE_SPACE", "3", 1);
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
    assert_int_equal(kv_gib(ctx), 2); /* the value at init, not the 3 set after it */
    mb_cpu_rank r;
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 3); /* CPU_VISIBLE_MEMORY_NODES as it was at init */
    unsetenv("VLLM_CPU_KVCACHE_SPACE");
    assert_int_equal(kv_gib(ctx), 2);
    mb_context_free(ctx);
    /* a new context reads the environment as it is now */
    ctx = open_ctx(NULL);
    assert_int_equal(kv_gib(ctx), 0);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 0);
    mb_context_free(ctx);
}

/* Probing is lazy, but reads what init read: a bad MEMBUDGET_HIP_FORCE_RUNTIME set before
 * init and removed before the first probe still makes the HIP backend broken. */
static void test_probe_reads_the_snapshot(void **state)
{
    (void)state;
    setenv("MEMBUDGET_HIP_FORCE_RUNTIME", "yes", 1);
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, NULL), MB_OK);
    unsetenv("MEMBUDGET_HIP_FORCE_RUNTIME");
    mb_context_probe(ctx);
    int seen = 0;
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        mb_backend_status s = MB_BACKEND_STATUS_INIT;
        assert_int_equal(mb_backend_get(ctx, i, &s), MB_OK);
        if (strcmp(s.name, "hip") || s.state == MB_BACKEND_NOT_BUILT)
            continue;
        seen = 1;
        assert_int_equal(s.state, MB_BACKEND_BROKEN);
        assert_non_null(strstr(s.reason, "MEMBUDGET_HIP_FORCE_RUNTIME='yes' is not 0 or 1"));
    }
    mb_context_free(ctx);
    if (!seen)
        skip(); /* a build without the HIP backend: nothing to probe */
}

static void test_option_wins(void **state)
{
    (void)state;
    setenv("VLLM_CPU_KVCACHE_SPACE", "2", 1);
    const char *const one[] = {"VLLM_CPU_KVCACHE_SPACE=1", NULL};
    mb_context *ctx = open_ctx(one);
    assert_int_equal(kv_gib(ctx), 1);
    mb_context_free(ctx);
    /* "NAME" alone: unset, whatever the process says */
    const char *const unset[] = {"VLLM_CPU_KVCACHE_SPACE", NULL};
    ctx = open_ctx(unset);
    assert_int_equal(kv_gib(ctx), 0);
    mb_context_free(ctx);
    /* the sysroot variable too; the sysroot option still wins over it */
    const char *const root[] = {"MEMBUDGET_SYSROOT=" D8, NULL};
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.backends = "cpu";
    o.environment = root;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    assert_non_null(strstr(mb_context_sysroot(ctx), "16amd64-8n2c"));
    mb_context_free(ctx);
    /* the option's bad value is reported under the variable's name, like the process's */
    const char *const bad[] = {"VLLM_CPU_KVCACHE_SPACE=4.5", NULL};
    ctx = open_ctx(bad);
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    assert_int_equal(mb_cpu_kv_space_get(ctx, NULL, &kv), MB_EENV);
    assert_non_null(strstr(mb_error_detail(), "VLLM_CPU_KVCACHE_SPACE='4.5'"));
    mb_context_free(ctx);
    unsetenv("VLLM_CPU_KVCACHE_SPACE");
}

static void test_unknown_name_refused(void **state)
{
    (void)state;
    const char *const typo[] = {"VLLM_CPU_KVCACHE_SPACES=4", NULL};
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = D8;
    o.environment = typo;
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, &o), MB_EINVAL);
    assert_null(ctx);
    const char *d = mb_error_detail();
    assert_non_null(strstr(d, "environment[0] is 'VLLM_CPU_KVCACHE_SPACES'"));
    assert_non_null(strstr(d, "VLLM_CPU_KVCACHE_SPACE,")); /* the accepted names */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_at_init),
        cmocka_unit_test(test_probe_reads_the_snapshot),
        cmocka_unit_test(test_option_wins),
        cmocka_unit_test(test_unknown_name_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
