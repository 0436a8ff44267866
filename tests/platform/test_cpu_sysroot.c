/* tests/platform: the CPU backend on real machine dumps and made-up trees, the registry's
 * selection rules, and the lifecycle on this machine's own CPU device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/vllm.h"
#include "platform/platform.h"
#include "testutil.h"

static mb_context *open_root(const char *root)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    o.backends = "cpu";
    mb_context *ctx = NULL;
    int rc = mb_context_init(&ctx, &o);
    if (rc)
        fail_msg("mb_context_init(%s): %s: %s", root, mb_error_message(rc), mb_error_detail());
    return ctx;
}

/* free as the CPU backend defines it for a node */
static int64_t node_free(const char *text)
{
    static const char *const keys[] = {"MemFree", "Active(file)", "Inactive(file)",
                                       "SReclaimable"};
    int64_t sum = 0;
    for (int i = 0; i < 4; i++) { /* old kernels lack the (file) lines: they count 0 */
        int64_t v = tu_meminfo(text, keys[i]);
        sum += v > 0 ? v : 0;
    }
    return sum;
}

static void test_eight_node_dump(void **state)
{
    (void)state;
    const char *root = MB_DUMPS "/16amd64-8n2c";
    mb_context *ctx = open_root(root);
    assert_int_equal(mb_device_count(ctx), 8);
    for (int i = 0; i < 8; i++) {
        mb_device_info d = MB_DEVICE_INFO_INIT;
        assert_int_equal(mb_device_get(ctx, i, &d), MB_OK);
        char name[16], path[1024];
        snprintf(name, sizeof name, "cpu:%d", i);
        assert_string_equal(d.name, name);
        assert_int_equal(d.numa_node, i);
        snprintf(path, sizeof path, "%s/sys/devices/system/node/node%d/meminfo", root, i);
        char *text = tu_slurp(path);
        assert_non_null(text);
        mb_snapshot s;
        assert_int_equal(mb_snapshot_measure(ctx, i, NULL, &s), MB_OK);
        assert_int_equal(s.total_memory, tu_meminfo(text, "MemTotal"));
        assert_int_equal(d.total_memory, s.total_memory);
        assert_int_equal(s.free_memory, node_free(text));
        assert_int_equal(s.source, MB_SOURCE_NODE_MEMINFO);
        assert_string_equal(s.platform, "cpu");
        assert_string_equal(s.device, name);
        free(text);
    }
    /* this dump has no /proc/meminfo: host helpers say which file is missing */
    int64_t total;
    assert_int_equal(mb_host_memory_total(ctx, &total), MB_EIO);
    assert_non_null(strstr(mb_error_detail(), "/proc/meminfo"));
    mb_context_free(ctx);
}

static void test_dgx_spark_dump_single_node(void **state)
{
    (void)state;
    const char *root = MB_DUMPS "/nvidia-dgx-gb10";
    mb_context *ctx = open_root(root);
    assert_int_equal(mb_device_count(ctx), 1);
    char path[1024];
    snprintf(path, sizeof path, "%s/sys/devices/system/node/node0/meminfo", root);
    char *text = tu_slurp(path);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    /* node0 covers the whole host here: node figures are used */
    assert_int_equal(s.source, MB_SOURCE_NODE_MEMINFO);
    assert_int_equal(s.total_memory, 125508468LL * 1024);
    assert_int_equal(s.free_memory, node_free(text));
    assert_int_equal(s.flags & MB_SNAP_HOST_FALLBACK, 0);
    free(text);
    int64_t total;
    assert_int_equal(mb_host_memory_total(ctx, &total), MB_OK);
    assert_int_equal(total, 125508468LL * 1024);
    mb_context_free(ctx);
}

/* A VM like this development machine: node0 meminfo shows a sixth of the host. */
static void test_node_files_not_covering_host(void **state)
{
    (void)state;
    char root[1024], p[1200];
    tu_fresh_dir("vm-partial-node", root, sizeof root);
    snprintf(p, sizeof p, "%s/proc/meminfo", root);
    tu_write(p, "MemTotal:       24683656 kB\nMemFree:        24590988 kB\n"
                "MemAvailable:   24488960 kB\n");
    snprintf(p, sizeof p, "%s/sys/devices/system/node/online", root);
    tu_write(p, "0\n");
    snprintf(p, sizeof p, "%s/sys/devices/system/node/has_cpu", root);
    tu_write(p, "0\n");
    snprintf(p, sizeof p, "%s/sys/devices/system/node/has_memory", root);
    tu_write(p, "0\n");
    snprintf(p, sizeof p, "%s/sys/devices/system/node/node0/meminfo", root);
    tu_write(p, "Node 0 MemTotal:        3630880 kB\nNode 0 MemFree:         3538192 kB\n"
                "Node 0 Active(file):      12424 kB\nNode 0 Inactive(file):     9724 kB\n"
                "Node 0 SReclaimable:       8832 kB\n");
    mb_context *ctx = open_root(root);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_string_equal(s.device, "cpu:0");
    assert_int_equal(s.source, MB_SOURCE_PROC_MEMINFO);
    assert_int_equal(s.total_memory, 24683656LL * 1024);
    assert_int_equal(s.free_memory, 24488960LL * 1024);
    assert_true(s.flags & MB_SNAP_HOST_FALLBACK);
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        assert_int_equal(mb_backend_get(ctx, i, &st), MB_OK);
        if (strcmp(st.name, "cpu") == 0)
            break;
    }
    assert_string_equal(st.name, "cpu");
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    assert_non_null(strstr(st.reason, "covers"));
    mb_context_free(ctx);
}

static void test_two_node_tree_and_no_node_tree(void **state)
{
    (void)state;
    char root[1024], p[1200];
    tu_fresh_dir("two-nodes", root, sizeof root);
    const char *files[][2] = {{"node_online", "online"},     {"node_possible", "possible"},
                              {"node_has_cpu", "has_cpu"},   {"node_has_memory", "has_memory"},
                              {"node0_meminfo", "node0/meminfo"},
                              {"node1_meminfo", "node1/meminfo"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char src[1200];
        snprintf(src, sizeof src, "%s/illustrative/%s", MB_FIXTURES, files[i][0]);
        snprintf(p, sizeof p, "%s/sys/devices/system/node/%s", root, files[i][1]);
        tu_copy(src, p);
    }
    mb_context *ctx = open_root(root);
    assert_int_equal(mb_device_count(ctx), 2);
    for (int i = 0; i < 2; i++) {
        char src[1200];
        snprintf(src, sizeof src, "%s/illustrative/node%d_meminfo", MB_FIXTURES, i);
        char *text = tu_slurp(src);
        mb_snapshot s;
        assert_int_equal(mb_snapshot_measure(ctx, i, NULL, &s), MB_OK);
        assert_int_equal(s.total_memory, tu_meminfo(text, "MemTotal"));
        assert_int_equal(s.free_memory, node_free(text));
        assert_int_equal(s.device_memory, s.total_memory - s.free_memory);
        assert_int_equal(s.non_torch_memory, s.device_memory);
        free(text);
    }
    /* two snapshots of two nodes cannot be subtracted */
    mb_snapshot a, b, d;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &a), MB_OK);
    assert_int_equal(mb_snapshot_measure(ctx, 1, NULL, &b), MB_OK);
    assert_int_equal(mb_snapshot_sub(&a, &b, &d), MB_EMISMATCH);
    int idx;
    assert_int_equal(mb_device_find(ctx, "cpu:1", &idx), MB_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(mb_device_find(ctx, "cpu:7", &idx), MB_ENODEV);
    assert_non_null(strstr(mb_error_detail(), "cpu:0, cpu:1"));
    mb_context_free(ctx);

    /* no /sys/devices/system/node at all: one device from /proc/meminfo */
    tu_fresh_dir("no-nodes", root, sizeof root);
    snprintf(p, sizeof p, "%s/proc/meminfo", root);
    tu_copy(MB_FIXTURES "/illustrative/jetson_agx_orin_64gb_meminfo", p);
    ctx = open_root(root);
    assert_int_equal(mb_device_count(ctx), 1);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_OK);
    assert_string_equal(s.device, "cpu:0");
    assert_int_equal(s.total_memory, 64335872LL * 1024);
    assert_int_equal(s.free_memory, 53421760LL * 1024);
    mb_context_free(ctx);
}

static void test_broken_node_files(void **state)
{
    (void)state;
    char root[1024], p[1200];
    tu_fresh_dir("broken-nodes", root, sizeof root);
    snprintf(p, sizeof p, "%s/sys/devices/system/node/online", root);
    tu_write(p, "0-1\n");
    snprintf(p, sizeof p, "%s/sys/devices/system/node/node0/meminfo", root);
    tu_write(p, "Node 0 MemTotal:  1024 kB\nNode 0 MemFree: 512 kB\n");
    /* node1/meminfo is missing: node 1 has no memory to measure, node 0 is served */
    mb_context *ctx = open_root(root);
    assert_int_equal(mb_device_count(ctx), 1);
    mb_device_info d0 = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &d0), MB_OK);
    assert_string_equal(d0.name, "cpu:0");
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    assert_int_equal(mb_backend_get(ctx, mb_backend_count(ctx) - 1, &st), MB_OK);
    assert_int_equal(st.state, MB_BACKEND_PRESENT);
    mb_context_free(ctx);

    tu_fresh_dir("garbled-online", root, sizeof root);
    snprintf(p, sizeof p, "%s/sys/devices/system/node/online", root);
    tu_write(p, "zero\n");
    ctx = open_root(root);
    assert_int_equal(mb_device_count(ctx), MB_ENODEV);
    assert_non_null(strstr(mb_error_detail(), "'zero"));
    mb_context_free(ctx);
}

static void test_backend_selection(void **state)
{
    (void)state;
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    mb_context *ctx;
    o.backends = "cpx";
    assert_int_equal(mb_context_init(&ctx, &o), MB_EUNKNOWNBACKEND);
    assert_non_null(strstr(mb_error_detail(), "did you mean 'cpu'"));
    o.backends = "cuda,-hipp";
    assert_int_equal(mb_context_init(&ctx, &o), MB_EUNKNOWNBACKEND);
    assert_non_null(strstr(mb_error_detail(), "did you mean 'hip'"));

    /* only excludes: everything else stays */
    o.backends = "-cuda, -hip";
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    assert_int_equal(mb_backend_get(ctx, 0, &st), MB_OK);
    assert_string_equal(st.name, "cuda");
    assert_true(st.state == MB_BACKEND_EXCLUDED || st.state == MB_BACKEND_NOT_BUILT);
    assert_true(mb_device_count(ctx) >= 1);
    mb_context_free(ctx);

    /* excluding the only backend that serves: no device, and why */
    o.backends = "-cpu,-cuda,-hip";
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    assert_int_equal(mb_device_count(ctx), MB_ENODEV);
    assert_non_null(strstr(mb_error_detail(), "cpu excluded"));
    mb_context_free(ctx);

    /* the option wins over the variable; the variable applies when the option is NULL */
    setenv("MEMBUDGET_BACKENDS", "-cpu", 1);
    o.backends = "cpu";
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    assert_true(mb_device_count(ctx) >= 1);
    mb_context_free(ctx);
    o.backends = NULL;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    int last = mb_backend_count(ctx) - 1;
    assert_int_equal(mb_backend_get(ctx, last, &st), MB_OK);
    assert_string_equal(st.name, "cpu");
    assert_int_equal(st.state, MB_BACKEND_EXCLUDED);
    assert_non_null(strstr(st.reason, "MEMBUDGET_BACKENDS"));
    mb_context_free(ctx);
    setenv("MEMBUDGET_BACKENDS", "gpu", 1);
    assert_int_equal(mb_context_init(&ctx, NULL), MB_EUNKNOWNBACKEND);
    assert_non_null(strstr(mb_error_detail(), "MEMBUDGET_BACKENDS='gpu'"));
    unsetenv("MEMBUDGET_BACKENDS");
}

/* The lifecycle on this machine's own CPU device, with the built-in tracker. */
static void test_lifecycle_live_cpu(void **state)
{
    (void)state;
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = "/";
    o.backends = "cpu";
    mb_context *ctx;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    assert_int_equal(mb_context_probe(ctx), MB_OK);
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, 0, MB_TRACKER_CACHING), MB_OK);
    mb_allocator a;
    mb_tracker_get_allocator(t, &a);

    mb_snapshot base;
    assert_int_equal(mb_snapshot_measure(ctx, 0, &a, &base), MB_OK);
    void *weights;
    assert_int_equal(mb_tracker_allocate(t, 32 * MB_MiB, &weights), MB_OK);
    mb_profile p;
    assert_int_equal(mb_profile_begin(&p, ctx, 0, &a, &base, 32 * MB_MiB), MB_OK);
    void *spike;
    assert_int_equal(mb_tracker_allocate(t, 64 * MB_MiB, &spike), MB_OK);
    memset(spike, 1, 64 * MB_MiB);
    assert_int_equal(mb_tracker_deallocate(t, spike), MB_OK);
    mb_alloc_stats st;
    assert_int_equal(a.stats(a.user, &st), MB_OK);
    assert_int_equal(st.reserved, 96 * MB_MiB); /* the spike stays cached until the end */
    assert_int_equal(mb_profile_end(&p), MB_OK);
    assert_int_equal(p.torch_peak_increase, 64 * MB_MiB);
    assert_int_equal(p.after_profile.torch_memory, 32 * MB_MiB); /* end emptied the cache */
    assert_int_equal(p.weights_memory, 32 * MB_MiB);
    assert_int_equal(p.non_kv_cache_memory,
                     p.weights_memory + p.torch_peak_increase + p.non_torch_increase);
    assert_true(p.profile_time >= 0 && p.profile_time < 60);
    assert_int_equal(p.before_profile.auto_measure, 0);
    assert_int_equal(base.auto_measure, 1);
    char text[512];
    assert_true(mb_profile_format(&p, text, sizeof text) > 0);
    assert_non_null(strstr(text, "torch peak memory increase: 0.06GiB"));
    assert_int_equal(mb_profile_end(&p), MB_ESTATE);

    /* the CPU has no shared memory per block: a distinct code */
    int64_t smem = 7;
    assert_int_equal(mb_device_max_shared_memory(ctx, 0, &smem), MB_ENOTSUP);
    assert_int_equal(smem, 0);
    /* not an integrated GPU: nothing released */
    mb_pressure_result pr = MB_PRESSURE_RESULT_INIT;
    assert_int_equal(mb_pressure_release(ctx, 0, &a, NULL, &pr), MB_OK);
    assert_int_equal(pr.released, 0);
    assert_non_null(strstr(pr.reason, "not an integrated GPU"));

    assert_int_equal(mb_tracker_deallocate(t, spike), MB_EINVAL); /* already freed */
    mb_tracker_free(t); /* frees the weights block */
    mb_context_free(ctx);
}

/* Fail the nth instrumented call for n = 1, 2, ... until the whole sequence succeeds:
 * each failure is an error code with a detail, never a crash (leaks: ASan/valgrind jobs). */
static void test_fault_injection_cpu_sequence(void **state)
{
    (void)state;
    const char *root = MB_DUMPS "/nvidia-dgx-gb10";
    int succeeded = 0;
    for (long n = 1; n < 500 && !succeeded; n++) {
        mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
        o.sysroot = root;
        o.backends = "cpu";
        mb__fault_arm(n);
        mb_context *ctx = NULL;
        int rc = mb_context_init(&ctx, &o);
        mb_snapshot s;
        if (rc == MB_OK) {
            rc = mb_snapshot_measure(ctx, 0, NULL, &s);
            if (rc == MB_OK) {
                mb_host_memory h;
                rc = mb_host_memory_get(ctx, &h);
            }
        }
        const char *site = mb__fault_site();
        mb__fault_arm(0);
        if (rc == MB_OK && site[0] == '\0') {
            succeeded = 1;
        } else {
            assert_true(rc < 0);
            assert_true(strlen(mb_error_detail()) > 0);
        }
        mb_context_free(ctx);
    }
    assert_true(succeeded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_node_dump),
        cmocka_unit_test(test_dgx_spark_dump_single_node),
        cmocka_unit_test(test_node_files_not_covering_host),
        cmocka_unit_test(test_two_node_tree_and_no_node_tree),
        cmocka_unit_test(test_broken_node_files),
        cmocka_unit_test(test_backend_selection),
        cmocka_unit_test(test_lifecycle_live_cpu),
        cmocka_unit_test(test_fault_injection_cpu_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
