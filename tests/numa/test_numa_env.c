/* tests/numa/test_numa_env.c: every bad value of VLLM_CPU_KVCACHE_SPACE,
 * VLLM_CPU_OMP_THREADS_BIND and CPU_VISIBLE_MEMORY_NODES, through the library and through
 * `membudget kv-space` (exit 1, its own message); the explicit and automatic sizes; a size
 * larger than the node. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "trees.h"

#define GiB ((long long)MB_GiB)
#define KB_GiB (1024LL * 1024)

static char root[1024];

/* Node 0: 16 GiB, 12 GiB free, CPUs 0-1; node 1: 32 GiB, 20 GiB free, CPUs 2-3; CPU 4 is
 * offline. This process: VmRSS 1 GiB. */
static int setup(void **state)
{
    (void)state;
    tu_fresh_dir("numa-env", root, sizeof root);
    tr_put(root, "/sys/devices/system/node/online", "0-1\n");
    tr_put(root, "/sys/devices/system/node/has_cpu", "0-1\n");
    tr_put(root, "/sys/devices/system/node/has_memory", "0-1\n");
    tr_put(root, "/sys/devices/system/cpu/online", "0-3\n");
    tr_node(root, 0, 16 * KB_GiB, 12 * KB_GiB, "0-1");
    tr_node(root, 1, 32 * KB_GiB, 30 * KB_GiB, "2-4");
    tr_put(root, "/proc/meminfo", "MemTotal: %lld kB\nMemFree: %lld kB\nMemAvailable: %lld kB\n",
           48 * KB_GiB, 30 * KB_GiB, 32 * KB_GiB);
    tr_put(root, "/proc/self/status", "Name:\tpython3\nCpus_allowed_list:\t0-3\n"
                                      "Mems_allowed_list:\t0-1\nVmRSS:\t %lld kB\n",
           KB_GiB);
    return 0;
}

static void clear_env(void)
{
    unsetenv("VLLM_CPU_KVCACHE_SPACE");
    unsetenv("VLLM_CPU_OMP_THREADS_BIND");
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
}

typedef struct bad {
    const char *var;
    const char *value;
    int rank;
    int code;         /* from the library */
    const char *why;  /* the part of the message that is this value's own */
} bad;

static const bad bads[] = {
    {"VLLM_CPU_KVCACHE_SPACE", "4.5", 0, MB_EENV, "is not a whole number of GiB"},
    {"VLLM_CPU_KVCACHE_SPACE", "-1", 0, MB_EENV, "is negative"},
    {"VLLM_CPU_KVCACHE_SPACE", "abc", 0, MB_EENV, "is not a number"},
    {"VLLM_CPU_KVCACHE_SPACE", " 8", 0, MB_EENV, "has spaces around the number"},
    {"VLLM_CPU_KVCACHE_SPACE", "8 ", 0, MB_EENV, "has spaces around the number"},
    {"VLLM_CPU_KVCACHE_SPACE", "99999999999", 0, MB_EENV,
     "99999999999 GiB is more bytes than a signed 64-bit size holds"},
    {"VLLM_CPU_KVCACHE_SPACE", "8589934592", 0, MB_EENV,
     "8589934592 GiB is more bytes than a signed 64-bit size holds"},
    {"VLLM_CPU_KVCACHE_SPACE", "18446744073709551616", 0, MB_EENV, "does not fit in 64 bits"},
    {"VLLM_CPU_KVCACHE_SPACE", "5000000", 0, MB_EENV, "(4 PiB) any Linux machine"},
    {"VLLM_CPU_KVCACHE_SPACE", "0", 0, MB_EENV, "asks for no KV cache at all"},
    {"VLLM_CPU_KVCACHE_SPACE", "+8", 0, MB_EENV, "has a sign"},
    {"VLLM_CPU_KVCACHE_SPACE", "0x10", 0, MB_EENV, "is not a number"},
    {"VLLM_CPU_KVCACHE_SPACE", "1e3", 0, MB_EENV, "is not a number"},
    {"VLLM_CPU_KVCACHE_SPACE", "4GiB", 0, MB_EENV, "is not a number"},
    {"VLLM_CPU_OMP_THREADS_BIND", "0-1|", 0, MB_EENV, "the list of rank 1 ('') is not a CPU list"},
    {"VLLM_CPU_OMP_THREADS_BIND", "|0-1", 0, MB_EENV, "the list of rank 0 ('') is not a CPU list"},
    {"VLLM_CPU_OMP_THREADS_BIND", "bind", 0, MB_EENV, "('bind') is not a CPU list"},
    {"VLLM_CPU_OMP_THREADS_BIND", "3-1", 0, MB_EENV, "('3-1') is not a CPU list"},
    {"VLLM_CPU_OMP_THREADS_BIND", "0-1| 2-3", 0, MB_EENV, "(' 2-3') is not a CPU list"},
    {"VLLM_CPU_OMP_THREADS_BIND", "0-99999", 0, MB_EENV, "(a CPU id is too large)"},
    {"VLLM_CPU_OMP_THREADS_BIND", "0-1|2-3", 2, MB_EENV, "has 2 per-rank CPU lists; local rank 2"},
    {"VLLM_CPU_OMP_THREADS_BIND", "4", 0, MB_ENODEV, "CPU 4, the first of local rank 0's list"},
    {"CPU_VISIBLE_MEMORY_NODES", "a", 0, MB_EENV, "'a' is not a NUMA node id"},
    {"CPU_VISIBLE_MEMORY_NODES", "0-1", 0, MB_EENV, "'0-1' is not a NUMA node id"},
    {"CPU_VISIBLE_MEMORY_NODES", "0,,1", 0, MB_EENV, "'' is not a NUMA node id"},
    {"CPU_VISIBLE_MEMORY_NODES", "1,1", 0, MB_EENV, "names node 1 twice"},
    {"CPU_VISIBLE_MEMORY_NODES", "0, 1", 0, MB_EENV, "' 1' is not a NUMA node id"},
    {"CPU_VISIBLE_MEMORY_NODES", "9", 0, MB_EENV,
     "leaves no node for a CPU KV cache: node 9 (no such online node)"},
};

/* Each bad value: the library's code and message (naming the variable, quoting the value,
 * saying what is accepted), all messages different, and the same from the CLI with exit 1. */
static void test_every_bad_value(void **state)
{
    (void)state;
    size_t n = sizeof bads / sizeof bads[0];
    char msgs[sizeof bads / sizeof bads[0]][1024];
    for (size_t i = 0; i < n; i++) {
        const bad *b = &bads[i];
        clear_env();
        setenv(b->var, b->value, 1);
        mb_context *ctx = tr_open(root);
        mb_cpu_kv_options o = MB_CPU_KV_OPTIONS_INIT;
        o.local_rank = b->rank;
        mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
        int rc = mb_cpu_kv_space_get(ctx, &o, &kv);
        const char *d = mb_error_detail();
        if (rc != b->code)
            fail_msg("%s='%s': got %s (%s), want %s", b->var, b->value, mb_error_name(rc), d,
                     mb_error_name(b->code));
        char quoted[128];
        snprintf(quoted, sizeof quoted, "%s='%s'", b->var, b->value);
        if (!strstr(d, quoted) || !strstr(d, b->why))
            fail_msg("%s: message '%s' lacks \"%s\" or \"%s\"", quoted, d, quoted, b->why);
        if (b->code == MB_EENV && !strstr(d, "such as") && !strstr(d, "give") &&
            !strstr(d, "expected"))
            fail_msg("%s: message '%s' does not say what is accepted", quoted, d);
        assert_int_equal(kv.bytes, 0);
        assert_int_equal(kv.rank.node, -1);
        snprintf(msgs[i], sizeof msgs[i], "%s", d);
        for (size_t k = 0; k < i; k++)
            if (strcmp(msgs[k], msgs[i]) == 0)
                fail_msg("'%s' and '%s' give the same message", bads[k].value, b->value);
        mb_context_free(ctx);

        /* the CLI: exit 1 and the library's message on stderr, nothing on stdout */
        char env[1400], args[64], *out, *err;
        snprintf(env, sizeof env, "MEMBUDGET_SYSROOT='%s' %s='%s'", root, b->var, b->value);
        snprintf(args, sizeof args, "kv-space --rank %d", b->rank);
        int st = tu_run_cli(env, args, &out, &err);
        if (st != 1 || !strstr(err, msgs[i]) || out[0])
            fail_msg("membudget %s with %s: exit %d, stdout '%s', stderr '%s'", args, quoted,
                     st, out, err);
        free(out), free(err);
    }
    clear_env();
}

/* A context reads the environment once, at init (docs/environment.md): a change is seen
 * by a new context only. */
static mb_context *renew(mb_context *ctx)
{
    mb_context_free(ctx);
    return tr_open(root);
}

static void test_explicit_and_auto(void **state)
{
    (void)state;
    clear_env();
    mb_context *ctx = tr_open(root);
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    mb_cpu_kv_options o = MB_CPU_KV_OPTIONS_INIT;
    assert_true(o.utilization == 0.92 && o.local_rank == 0);
    /* automatic, rank 1 -> node 1: ceil(32 GiB x 0.92) - 1 GiB */
    o.local_rank = 1;
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_OK);
    long long requested = (long long)ceil((double)(32 * GiB) * 0.92);
    assert_int_equal(kv.explicit_size, 0);
    assert_int_equal(kv.rank.node, 1);
    assert_int_equal(kv.requested, requested);
    assert_int_equal(kv.resident, GiB);
    assert_int_equal(kv.bytes, requested - GiB);
    assert_int_equal(kv.node_total, 32 * GiB);
    assert_int_equal(kv.node_available, 30 * GiB);
    assert_true(kv.utilization == 0.92);
    assert_non_null(strstr(kv.reason, "Auto set (28.44/32.0) GiB for KV cache on node 1"));
    /* rank 0 -> node 0: 14.72 - 1 GiB is more than its 12 GiB available */
    o.local_rank = 0;
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_ENOFIT);
    const char *d = mb_error_detail();
    /* vLLM's own words first (cpu_worker.py determine_available_memory) */
    assert_non_null(strstr(d, "Available memory on node 0 (12.0/16.0 GiB) on kv cache allocation "
                              "is less than requested memory for kv"));
    assert_non_null(strstr(d, "lower the utilization"));
    /* an empty variable is the automatic size too */
    setenv("VLLM_CPU_KVCACHE_SPACE", "", 1);
    ctx = renew(ctx);
    o.utilization = 0.5;
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_OK);
    assert_int_equal(kv.bytes, 8 * GiB - GiB);
    /* so small that nothing is left after this process's own memory */
    o.utilization = 0.05;
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_ENOFIT);
    assert_non_null(strstr(mb_error_detail(), "raise the utilization"));
    o.utilization = 1.5;
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_EINVAL);
    o.utilization = 0.92;
    o.local_rank = -1;
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_EINVAL);
    o.local_rank = 0;
    /* explicit */
    setenv("VLLM_CPU_KVCACHE_SPACE", "12", 1);
    ctx = renew(ctx);
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_OK);
    assert_int_equal(kv.explicit_size, 1);
    assert_int_equal(kv.bytes, 12 * GiB);
    assert_non_null(strstr(kv.reason, "Explicitly set (12.0/16.0) GiB for KV cache on node 0"));
    setenv("VLLM_CPU_KVCACHE_SPACE", "13", 1);
    ctx = renew(ctx);
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_ENOFIT);
    d = mb_error_detail();
    assert_non_null(strstr(d, "Available memory on node 0 (12.0/16.0 GiB) on kv cache allocation "
                              "is less than requested memory for kv (13.0 GiB). Decrease "
                              "--kv-cache-memory-bytes, VLLM_CPU_KVCACHE_SPACE"));
    assert_non_null(strstr(d, "VLLM_CPU_KVCACHE_SPACE=13"));
    assert_non_null(strstr(d, "lower VLLM_CPU_KVCACHE_SPACE to at most 12"));
    /* the same through the CLI, and the JSON of a good decision */
    clear_env();
    char env[1200], *out, *err;
    snprintf(env, sizeof env, "MEMBUDGET_SYSROOT='%s' VLLM_CPU_KVCACHE_SPACE=13", root);
    assert_int_equal(tu_run_cli(env, "kv-space", &out, &err), 1);
    assert_non_null(strstr(err, "Available memory on node 0 (12.0/16.0 GiB)"));
    free(out), free(err);
    snprintf(env, sizeof env, "MEMBUDGET_SYSROOT='%s' VLLM_CPU_KVCACHE_SPACE=20", root);
    assert_int_equal(tu_run_cli(env, "kv-space --rank 1 --json", &out, &err), 0);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "decision")), "explicit");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "device")), "cpu:1");
    assert_true(cJSON_GetObjectItem(j, "node")->valuedouble == 1);
    assert_true(cJSON_GetObjectItem(j, "kv_cache_bytes")->valuedouble == (double)(20 * GiB));
    cJSON_Delete(j);
    free(out), free(err);
    snprintf(env, sizeof env, "MEMBUDGET_SYSROOT='%s'", root);
    assert_int_equal(tu_run_cli(env, "kv-space --rank 1 --utilization 0.5", &out, &err), 0);
    assert_non_null(strstr(out, "automatic KV cache of 15.00 GiB"));
    assert_non_null(strstr(out, "NUMA node 1"));
    free(out), free(err);
    assert_int_equal(tu_run_cli(env, "kv-space --rank x", &out, &err), 2);
    free(out), free(err);
    assert_int_equal(tu_run_cli(env, "kv-space --utilization 0", &out, &err), 2);
    free(out), free(err);
    clear_env();
    mb_context_free(ctx);
}

static void test_binding_modes(void **state)
{
    (void)state;
    clear_env();
    mb_context *ctx = tr_open(root);
    mb_cpu_rank r;
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 0);
    assert_int_equal(r.bind, MB_CPU_BIND_AUTO);
    assert_int_equal(mb_cpu_rank_get(ctx, 1, &r), MB_OK);
    assert_int_equal(r.node, 1);
    assert_int_equal(mb_cpu_rank_get(ctx, 2, &r), MB_ENODEV);
    assert_non_null(strstr(mb_error_detail(), "run at most 2 local ranks"));
    setenv("CPU_VISIBLE_MEMORY_NODES", "1,0", 1);
    ctx = renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 1);
    assert_int_equal(mb_cpu_rank_get(ctx, 1, &r), MB_OK);
    assert_int_equal(r.node, 0);
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
    setenv("VLLM_CPU_OMP_THREADS_BIND", "2-3|0-1", 1);
    ctx = renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 1);
    assert_int_equal(r.bind, MB_CPU_BIND_LIST);
    assert_string_equal(r.cpus, "2-3");
    assert_int_equal(mb_cpu_rank_get(ctx, 1, &r), MB_OK);
    assert_int_equal(r.node, 0);
    /* a rank whose CPUs sit on a node outside the visible ones: the first visible node */
    setenv("CPU_VISIBLE_MEMORY_NODES", "0", 1);
    ctx = renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 0);
    assert_non_null(strstr(r.reason, "the first visible node"));
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
    setenv("VLLM_CPU_OMP_THREADS_BIND", "nobind", 1);
    ctx = renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 5, &r), MB_OK);
    assert_int_equal(r.node, 0); /* CPU 0 is the first allowed one */
    assert_int_equal(r.bind, MB_CPU_BIND_NOBIND);
    clear_env();
    mb_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_bad_value),
        cmocka_unit_test(test_explicit_and_auto),
        cmocka_unit_test(test_binding_modes),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
