/* tests/numa/test_numa_dumps.c: the NUMA topology of real machine dumps against hwloc's own
 * reading of the same dumps (`lstopo-no-graphics --input DIR --of xml`), the cpuset of the
 * Slurm job dump, and rank binding on the dumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trees.h"

#define D8 MB_DUMPS "/16amd64-8n2c"
#define DCG MB_DUMPS "/32amd64-4s2n4c-cgroup"
#define DGB MB_DUMPS "/nvidia-dgx-gb10"

typedef struct hw_node {
    int id;
    long long memory; /* local_memory plus huge pages: every page the node has */
    int cpus;         /* popcount of cpuset (allowed CPUs) */
    int cpus_all;     /* popcount of complete_cpuset */
} hw_node;

/* popcount of an hwloc bitmap string ("0x000000f0" or "0xffffffff,0x0000000f"). */
static int popcount_hex(const char *s, const char *end)
{
    int n = 0;
    for (const char *p = s; p < end; p++) {
        if (p[0] == '0' && p[1] == 'x') {
            p++;
            continue;
        }
        int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : 0;
        n += __builtin_popcount((unsigned)v);
    }
    return n;
}

static const char *attr(const char *obj, const char *obj_end, const char *name, char *out,
                        size_t size)
{
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *p = strstr(obj, key);
    if (!p || p > obj_end)
        return NULL;
    p += strlen(key);
    const char *q = strchr(p, '"');
    snprintf(out, size, "%.*s", (int)(q - p), p);
    return out;
}

/* Runs lstopo on dir; fills nodes, returns their count. Fails the test when hwloc's
 * lstopo-no-graphics is missing: it is the oracle (ci/setup.sh installs the hwloc package). */
static int lstopo_nodes(const char *dir, hw_node *nodes, int max)
{
    if (system("command -v lstopo-no-graphics >/dev/null 2>&1") != 0)
        fail_msg("lstopo-no-graphics is not installed: it is this test's oracle; install the "
                 "Debian package hwloc (ci/setup.sh does)");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "lstopo-no-graphics --input '%s' --of xml 2>/dev/null", dir);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = 1 << 20, len = 0;
    char *xml = malloc(cap);
    size_t n;
    while ((n = fread(xml + len, 1, cap - len - 1, f)) > 0)
        len += n;
    xml[len] = '\0';
    assert_int_equal(pclose(f), 0);
    int count = 0;
    for (const char *p = strstr(xml, "<object type=\"NUMANode\""); p && count < max;
         p = strstr(p + 1, "<object type=\"NUMANode\"")) {
        const char *obj = p;
        const char *obj_end = strchr(p, '>');
        /* the object's children (page types) run to its closing tag or the next object */
        const char *next = strstr(p + 1, "<object");
        const char *close = strstr(p, "</object>");
        const char *kids_end = next && (!close || next < close) ? next : close;
        char v[256];
        hw_node *h = &nodes[count++];
        h->id = atoi(attr(obj, obj_end, "os_index", v, sizeof v));
        h->memory = atoll(attr(obj, obj_end, "local_memory", v, sizeof v));
        attr(obj, obj_end, "cpuset", v, sizeof v);
        h->cpus = popcount_hex(v, v + strlen(v));
        attr(obj, obj_end, "complete_cpuset", v, sizeof v);
        h->cpus_all = popcount_hex(v, v + strlen(v));
        /* huge pages are not in local_memory; base pages are already */
        for (const char *q = strstr(obj_end, "<page_type"); q && kids_end && q < kids_end;
             q = strstr(q + 1, "<page_type")) {
            const char *qe = strchr(q, '>');
            long long size = atoll(attr(q, qe, "size", v, sizeof v));
            long long cnt = atoll(attr(q, qe, "count", v, sizeof v));
            if (size > 4096)
                h->memory += size * cnt;
        }
    }
    free(xml);
    return count;
}

/* Our nodes that the cpuset allows must be hwloc's nodes, with the same totals and CPUs;
 * the CPU devices must be those of them with CPUs this process may run on. */
static void check_against_hwloc(const char *dir, int want_devices)
{
    hw_node hw[64];
    int nh = lstopo_nodes(dir, hw, 64);
    assert_true(nh > 0);
    mb_context *ctx = tr_open(dir);
    assert_non_null(ctx);
    int n = mb_numa_node_count(ctx);
    assert_true(n >= nh);
    int allowed = 0, devices = 0;
    for (int i = 0; i < n; i++) {
        mb_numa_node nd = MB_NUMA_NODE_INIT;
        assert_int_equal(mb_numa_node_get(ctx, i, &nd), MB_OK);
        if (!nd.allowed) {
            for (int k = 0; k < nh; k++)
                if (hw[k].id == nd.node)
                    fail_msg("%s: node %d is outside the cpuset but hwloc lists it", dir,
                             nd.node);
            assert_int_equal(nd.device, -1);
            assert_non_null(strstr(nd.why_not, "cpuset"));
            continue;
        }
        allowed++;
        const hw_node *h = NULL;
        for (int k = 0; k < nh; k++)
            if (hw[k].id == nd.node)
                h = &hw[k];
        if (!h)
            fail_msg("%s: node %d is allowed here but hwloc does not list it", dir, nd.node);
        if (nd.total_memory != h->memory)
            fail_msg("%s: node %d total %lld, hwloc says %lld", dir, nd.node,
                     (long long)nd.total_memory, h->memory);
        assert_int_equal(nd.cpus_allowed, h->cpus);
        assert_int_equal(nd.cpus, h->cpus_all);
        assert_int_equal(nd.has_cpus, h->cpus_all > 0);
        if (nd.has_cpus && nd.has_memory && nd.cpus_allowed == 0) {
            assert_int_equal(nd.device, -1);
            assert_non_null(strstr(nd.why_not, "affinity"));
        } else if (nd.has_cpus && nd.has_memory) {
            devices++;
            assert_true(nd.device >= 0);
            mb_device_info d = MB_DEVICE_INFO_INIT;
            assert_int_equal(mb_device_get(ctx, nd.device, &d), MB_OK);
            char name[16];
            snprintf(name, sizeof name, "cpu:%d", nd.node);
            assert_string_equal(d.name, name);
            assert_int_equal(d.total_memory, nd.total_memory);
            assert_string_equal(nd.kind, "cpu+memory");
            assert_string_equal(nd.why_not, "");
            /* the node's free is the snapshot's free when no fallback or limit applies */
            mb_snapshot s;
            assert_int_equal(mb_snapshot_measure(ctx, nd.device, NULL, &s), MB_OK);
            assert_int_equal(s.flags, 0);
            assert_int_equal(s.free_memory, nd.free_memory);
            assert_true(s.limit == MB_UNLIMITED);
        }
    }
    assert_int_equal(allowed, nh);
    assert_int_equal(devices, want_devices);
    assert_int_equal(mb_device_count(ctx), want_devices);
    mb_context_free(ctx);
}

static void test_eight_nodes_match_hwloc(void **state)
{
    (void)state;
    check_against_hwloc(D8, 8);
}

static void test_gb10_matches_hwloc(void **state)
{
    (void)state;
    check_against_hwloc(DGB, 1);
}

/* The Slurm job: cpuset.mems.effective 0-5 under the cgroup v2 mount named by
 * /proc/self/cpuset; nodes 6 and 7 exist but are not the job's. Its CPUs (0-5) sit on
 * nodes 0 (four) and 1 (two): nodes 2-5 may hold its memory but run none of its ranks,
 * so the CPU devices are cpu:0 and cpu:1. */
static void test_slurm_cgroup2_cpuset(void **state)
{
    (void)state;
    check_against_hwloc(DCG, 2);
    mb_context *ctx = tr_open(DCG);
    for (int i = 0; i < mb_device_count(ctx); i++) {
        mb_device_info d = MB_DEVICE_INFO_INIT;
        assert_int_equal(mb_device_get(ctx, i, &d), MB_OK);
        assert_true(d.index >= 0 && d.index <= 1);
    }
    int idx;
    assert_int_equal(mb_device_find(ctx, "cpu:6", &idx), MB_ENODEV);
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    const char *why = tr_cpu_reason(ctx, &st);
    assert_non_null(strstr(why, "nodes 6-7 left out by the cpuset"));
    assert_non_null(strstr(why, "cpuset.mems.effective"));
    assert_non_null(strstr(why, "nodes 2-5 left out: none of their CPUs is in this process's "
                                "affinity"));
    assert_int_equal(mb_numa_node_count(ctx), 8);
    /* the job's CPUs are 0-5 (cpuset.cpus.effective): nobind takes the node of CPU 0 */
    setenv("VLLM_CPU_OMP_THREADS_BIND", "nobind", 1);
    ctx = tr_renew(ctx);
    mb_cpu_rank r;
    assert_int_equal(mb_cpu_rank_get(ctx, 3, &r), MB_OK);
    assert_int_equal(r.node, 0);
    assert_int_equal(r.bind, MB_CPU_BIND_NOBIND);
    /* a node outside the cpuset is dropped from CPU_VISIBLE_MEMORY_NODES, and said so */
    setenv("VLLM_CPU_OMP_THREADS_BIND", "auto", 1);
    setenv("CPU_VISIBLE_MEMORY_NODES", "7,4,1", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 1);
    assert_non_null(strstr(r.reason, "node 7 (not in this process's cpuset), node 4 (none of "
                                     "its CPUs in this process's affinity) ignored"));
    assert_int_equal(mb_cpu_rank_get(ctx, 1, &r), MB_ENODEV);
    assert_int_equal(r.node, -1);
    assert_non_null(strstr(mb_error_detail(), "only 1 node is visible (1"));
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
    unsetenv("VLLM_CPU_OMP_THREADS_BIND");
    ctx = tr_renew(ctx);
    /* no memory cgroup in this dump (its memory hierarchy is not copied): unlimited */
    mb_container_info c = MB_CONTAINER_INFO_INIT;
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.version, 0);
    assert_true(c.limit == MB_UNLIMITED && c.available == MB_UNLIMITED);
    /* the dump holds no /proc/self/status: the automatic KV size, which subtracts the
     * engine's resident memory, says what to do instead */
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    assert_int_equal(mb_cpu_kv_space_get(ctx, NULL, &kv), MB_EIO);
    assert_non_null(strstr(mb_error_detail(), "set VLLM_CPU_KVCACHE_SPACE to a size"));
    mb_context_free(ctx);
}

/* Ranks on the eight-node dump: auto, CPU lists and CPU_VISIBLE_MEMORY_NODES. */
static void test_rank_binding_on_eight_nodes(void **state)
{
    (void)state;
    mb_context *ctx = tr_open(D8);
    mb_cpu_rank r;
    for (int rank = 0; rank < 8; rank++) {
        assert_int_equal(mb_cpu_rank_get(ctx, rank, &r), MB_OK);
        assert_int_equal(r.node, rank);
        assert_int_equal(r.bind, MB_CPU_BIND_AUTO);
        mb_device_info d = MB_DEVICE_INFO_INIT;
        assert_int_equal(mb_device_get(ctx, r.device, &d), MB_OK);
        assert_int_equal(d.index, rank);
    }
    assert_int_equal(mb_cpu_rank_get(ctx, 8, &r), MB_ENODEV);
    /* node N holds CPUs 2N and 2N+1 in this dump */
    setenv("VLLM_CPU_OMP_THREADS_BIND", "0-1|6-7|13,12", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 1, &r), MB_OK);
    assert_int_equal(r.node, 3);
    assert_string_equal(r.cpus, "6-7");
    assert_int_equal(mb_cpu_rank_get(ctx, 2, &r), MB_OK);
    assert_int_equal(r.node, 6);
    assert_int_equal(mb_cpu_rank_get(ctx, 3, &r), MB_EENV);
    assert_non_null(strstr(mb_error_detail(), "has 3 per-rank CPU lists"));
    setenv("VLLM_CPU_OMP_THREADS_BIND", "auto", 1);
    setenv("CPU_VISIBLE_MEMORY_NODES", "5,3", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 5);
    assert_int_equal(mb_cpu_rank_get(ctx, 1, &r), MB_OK);
    assert_int_equal(r.node, 3);
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
    unsetenv("VLLM_CPU_OMP_THREADS_BIND");
    ctx = tr_renew(ctx);
    /* an explicit KV space on rank 5's node; the automatic one needs /proc/self/status,
     * which hwloc's dumps do not carry: the error names the file */
    setenv("VLLM_CPU_KVCACHE_SPACE", "4", 1);
    ctx = tr_renew(ctx);
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    mb_cpu_kv_options o = MB_CPU_KV_OPTIONS_INIT;
    o.local_rank = 5;
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_OK);
    assert_int_equal(kv.explicit_size, 1);
    assert_int_equal(kv.bytes, 4 * MB_GiB);
    assert_int_equal(kv.rank.node, 5);
    assert_int_equal(kv.node_total, 8388608LL * 1024);
    assert_non_null(strstr(kv.reason, "Explicitly set (4.0/8.0) GiB for KV cache on node 5"));
    setenv("VLLM_CPU_KVCACHE_SPACE", "", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_kv_space_get(ctx, &o, &kv), MB_EIO);
    assert_non_null(strstr(mb_error_detail(), "/proc/self/status"));
    assert_int_equal(kv.bytes, 0);
    unsetenv("VLLM_CPU_KVCACHE_SPACE");
    mb_context_free(ctx);
}

int main(void)
{
    unsetenv("VLLM_CPU_KVCACHE_SPACE");
    unsetenv("VLLM_CPU_OMP_THREADS_BIND");
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_nodes_match_hwloc),
        cmocka_unit_test(test_gb10_matches_hwloc),
        cmocka_unit_test(test_slurm_cgroup2_cpuset),
        cmocka_unit_test(test_rank_binding_on_eight_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
