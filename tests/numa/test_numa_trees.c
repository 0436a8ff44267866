/* tests/numa/test_numa_trees.c: made-up machine trees for cgroup v1 and v2 (nested paths,
 * "max", the 2^62 boundary, container mount roots, /proc/mounts only), cpusets
 * (Mems_allowed_list, cpuset.mems.effective found up the hierarchy), sparse node ids,
 * memory-only nodes, offline CPUs, hwloc labels, and injected faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/internal.h"
#include "trees.h"

#define GiB ((long long)MB_GiB)
#define KB_GiB (1024LL * 1024) /* kB in a GiB */

/* Two nodes of 16 GiB: node0 has 12 GiB free, node1 14 GiB; CPUs 0-1 and 2-3. */
static void two_nodes(const char *root)
{
    tr_put(root, "/sys/devices/system/node/online", "0-1\n");
    tr_put(root, "/sys/devices/system/node/has_cpu", "0-1\n");
    tr_put(root, "/sys/devices/system/node/has_memory", "0-1\n");
    tr_put(root, "/sys/devices/system/cpu/online", "0-3\n");
    tr_node(root, 0, 16 * KB_GiB, 12 * KB_GiB, "0-1");
    tr_node(root, 1, 16 * KB_GiB, 14 * KB_GiB, "2-3");
    tr_put(root, "/proc/meminfo", "MemTotal:       %lld kB\nMemFree:        %lld kB\n"
                                  "MemAvailable:   %lld kB\n",
           32 * KB_GiB, 24 * KB_GiB, 26 * KB_GiB);
}

static const char *fresh(const char *name, char *buf, size_t size)
{
    char n[128];
    snprintf(n, sizeof n, "numa-%s", name);
    return tu_fresh_dir(n, buf, size);
}

static void snap(mb_context *ctx, int dev, mb_snapshot *s)
{
    int rc = mb_snapshot_measure(ctx, dev, NULL, s);
    if (rc)
        fail_msg("snapshot of device %d: %s: %s", dev, mb_error_message(rc), mb_error_detail());
}

static void test_cgroup_v1_nested_min_and_inactive_file(void **state)
{
    (void)state;
    char root[1024];
    fresh("cg1-nested", root, sizeof root);
    two_nodes(root);
    tr_put(root, "/proc/self/cgroup", "5:cpuset:/\n4:memory:/a/b\n1:name=systemd:/x\n0::/\n");
    tr_put(root, "/proc/self/mountinfo",
           "25 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n"
           "31 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
           "34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
           "35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
           "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
    tr_put(root, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    tr_put(root, "/sys/fs/cgroup/memory/a/memory.limit_in_bytes", "%lld\n", 16 * GiB);
    char src[1200], dst[1200];
    snprintf(src, sizeof src, "%s/illustrative/cgroup1_memory.limit_in_bytes_limited",
             MB_FIXTURES); /* 32 GiB */
    snprintf(dst, sizeof dst, "%s/sys/fs/cgroup/memory/a/b/memory.limit_in_bytes", root);
    tu_copy(src, dst);
    tr_put(root, "/sys/fs/cgroup/memory/a/b/memory.usage_in_bytes", "%lld\n", 12 * GiB);
    tr_put(root, "/sys/fs/cgroup/memory/a/b/memory.stat",
           "cache 100\ninactive_file %lld\nhierarchical_memory_limit %lld\n"
           "total_inactive_file %lld\n",
           1 * GiB, 16 * GiB, 2 * GiB);
    mb_context *ctx = tr_open(root);
    mb_container_info c = MB_CONTAINER_INFO_INIT;
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.version, 1);
    assert_string_equal(c.path, "/a/b");
    assert_int_equal(c.limit, 16 * GiB); /* the parent's, smaller than the leaf's 32 GiB */
    assert_int_equal(c.usage, 12 * GiB);
    assert_int_equal(c.inactive_file, 2 * GiB); /* total_ (hierarchical) wins in v1 */
    assert_int_equal(c.available, 6 * GiB);
    assert_string_equal(c.bound_by, "/a"); /* /a has no usage file: b's stands in */
    for (int d = 0; d < 2; d++) {
        mb_snapshot s;
        snap(ctx, d, &s);
        assert_int_equal(s.free_memory, 6 * GiB);
        assert_true(s.flags & MB_SNAP_LIMITED);
        assert_int_equal(s.limit, 16 * GiB);
        assert_int_equal(s.total_memory, 16 * GiB);
    }
    mb_context_free(ctx);
}

static void test_cgroup_v1_unlimited_at_2_62(void **state)
{
    (void)state;
    char root[1024];
    fresh("cg1-2p62", root, sizeof root);
    two_nodes(root);
    tr_put(root, "/proc/self/cgroup", "4:memory:/job\n");
    tr_put(root, "/proc/self/mountinfo",
           "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
    tr_put(root, "/sys/fs/cgroup/memory/job/memory.limit_in_bytes", "4611686018427387904\n");
    tr_put(root, "/sys/fs/cgroup/memory/job/memory.usage_in_bytes", "1048576\n");
    mb_context *ctx = tr_open(root);
    mb_container_info c = MB_CONTAINER_INFO_INIT;
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_true(c.limit == MB_UNLIMITED);
    assert_true(c.available == MB_UNLIMITED);
    assert_int_equal(c.usage, 1048576);
    assert_true(c.inactive_file == MB_UNKNOWN); /* not read without a limit */
    mb_snapshot s;
    snap(ctx, 0, &s);
    assert_true(s.limit == MB_UNLIMITED);
    assert_int_equal(s.flags & MB_SNAP_LIMITED, 0);
    assert_int_equal(s.free_memory, 12 * GiB);
    mb_context_free(ctx);
    /* one below 2^62 is a real (if absurd) limit */
    tr_put(root, "/sys/fs/cgroup/memory/job/memory.limit_in_bytes", "4611686018427387903\n");
    ctx = tr_open(root);
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.limit, 4611686018427387903LL);
    assert_int_equal(c.available, 4611686018427387903LL - 1048576);
    snap(ctx, 0, &s);
    assert_int_equal(s.limit, 4611686018427387903LL);
    assert_int_equal(s.flags & MB_SNAP_LIMITED, 0); /* the node is the tighter bound */
    mb_context_free(ctx);
}

/* The case: memory.max 8 GiB with every ancestor at "max". */
static void write_v2_pod(const char *root, const char *pod_max)
{
    two_nodes(root);
    tr_put(root, "/proc/self/cgroup", "0::/kubepods.slice/pod1.slice/ctr.scope\n");
    tr_put(root, "/proc/self/mountinfo",
           "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec - cgroup2 cgroup2 "
           "rw,nsdelegate,memory_recursiveprot\n");
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/memory.max", "max\n");
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/pod1.slice/memory.max", "%s\n", pod_max);
    char src[1200], dst[1200];
    snprintf(src, sizeof src, "%s/illustrative/cgroup2_memory.stat", MB_FIXTURES);
    snprintf(dst, sizeof dst, "%s/sys/fs/cgroup/kubepods.slice/pod1.slice/ctr.scope/memory.stat",
             root);
    tu_copy(src, dst);
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/pod1.slice/ctr.scope/memory.max", "%lld\n",
           8 * GiB);
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/pod1.slice/ctr.scope/memory.current", "%lld\n",
           6 * GiB);
}

static void test_cgroup_v2_8gib_under_max_ancestors(void **state)
{
    (void)state;
    char root[1024];
    fresh("cg2-8g", root, sizeof root);
    write_v2_pod(root, "max");
    char *stat = tu_slurp(MB_FIXTURES "/illustrative/cgroup2_memory.stat");
    long long inactive = atoll(strstr(stat, "\ninactive_file ") + 15);
    free(stat);
    int64_t leaves = 8 * GiB - (6 * GiB - inactive); /* what the limit leaves */
    mb_context *ctx = tr_open(root);
    mb_container_info c = MB_CONTAINER_INFO_INIT;
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.version, 2);
    assert_string_equal(c.path, "/kubepods.slice/pod1.slice/ctr.scope");
    assert_int_equal(c.limit, 8 * GiB);
    assert_int_equal(c.inactive_file, inactive);
    assert_int_equal(c.available, leaves);
    for (int d = 0; d < 2; d++) {
        mb_snapshot s;
        snap(ctx, d, &s);
        assert_true(s.free_memory <= leaves);
        assert_int_equal(s.free_memory, leaves);
        assert_true(s.flags & MB_SNAP_LIMITED);
        assert_int_equal(s.limit, 8 * GiB);
    }
    /* the UMA policy of integrated GPUs applies the same bound to the host's figures */
    mb_meminfo m;
    assert_int_equal(mb__uma_meminfo(&ctx->plat, MB_UNKNOWN, 0, &m), MB_OK);
    assert_int_equal(m.free, leaves);
    assert_true(m.flags & MB_SNAP_LIMITED);
    /* the explicit KV space is checked against what the container leaves */
    setenv("VLLM_CPU_KVCACHE_SPACE", "5", 1);
    ctx = tr_renew(ctx);
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    assert_int_equal(mb_cpu_kv_space_get(ctx, NULL, &kv), MB_ENOFIT);
    assert_non_null(strstr(mb_error_detail(), "bounded by the container's 8.0 GiB limit"));
    setenv("VLLM_CPU_KVCACHE_SPACE", "4", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_kv_space_get(ctx, NULL, &kv), MB_OK);
    assert_int_equal(kv.node_available, leaves);
    assert_int_equal(kv.container_limit, 8 * GiB);
    unsetenv("VLLM_CPU_KVCACHE_SPACE");
    mb_context_free(ctx);

    /* a tighter ancestor wins; all "max" is unlimited */
    write_v2_pod(root, "4294967296");
    ctx = tr_open(root);
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.limit, 4 * GiB);
    assert_int_equal(c.available, 4 * GiB - (6 * GiB - inactive)); /* ctr's usage stands in */
    assert_string_equal(c.bound_by, "/kubepods.slice/pod1.slice");
    mb_context_free(ctx);

    /* a parent shared with siblings binds through its own usage, though its limit is the
     * larger: the pod's 12 GiB holds 11 GiB (0.5 GiB of it inactive file), so 1.5 GiB is
     * left to the container whatever its own 8 GiB limit would allow */
    write_v2_pod(root, "12884901888");
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/pod1.slice/memory.current", "%lld\n",
           11 * GiB);
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/pod1.slice/memory.stat",
           "anon 9663676416\nfile 2147483648\nactive_file 1610612736\n"
           "inactive_file 536870912\n");
    ctx = tr_open(root);
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.limit, 8 * GiB);
    assert_int_equal(c.usage, 6 * GiB);
    assert_int_equal(c.inactive_file, inactive);
    assert_int_equal(c.available, 12 * GiB - (11 * GiB - GiB / 2));
    assert_string_equal(c.bound_by, "/kubepods.slice/pod1.slice");
    {
        mb_snapshot s;
        snap(ctx, 0, &s);
        assert_int_equal(s.free_memory, 12 * GiB - (11 * GiB - GiB / 2));
        assert_true(s.flags & MB_SNAP_LIMITED);
    }
    mb_context_free(ctx);
    /* a roomy parent leaves the container's own headroom in charge */
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/pod1.slice/memory.current", "%lld\n",
           7 * GiB);
    ctx = tr_open(root);
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.available, leaves);
    assert_string_equal(c.bound_by, "/kubepods.slice/pod1.slice/ctr.scope");
    mb_context_free(ctx);

    write_v2_pod(root, "max");
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/pod1.slice/memory.current", "%lld\n",
           7 * GiB);
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/pod1.slice/ctr.scope/memory.max", "max\n");
    ctx = tr_open(root);
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_true(c.limit == MB_UNLIMITED && c.available == MB_UNLIMITED);
    assert_string_equal(c.bound_by, "");
    assert_int_equal(c.usage, 6 * GiB);
    mb_snapshot s;
    snap(ctx, 1, &s);
    assert_int_equal(s.free_memory, 14 * GiB);
    assert_int_equal(s.flags & MB_SNAP_LIMITED, 0);
    mb_context_free(ctx);
}

/* Containers see their own subtree: the mount's root is the container's cgroup. */
static void test_cgroup_mount_roots_and_proc_mounts(void **state)
{
    (void)state;
    char root[1024];
    static const char *const self[] = {"0::/docker/abc\n", "0::/\n"};
    for (int k = 0; k < 2; k++) {
        fresh("cg2-docker", root, sizeof root);
        two_nodes(root);
        tr_put(root, "/proc/self/cgroup", "%s", self[k]);
        tr_put(root, "/proc/self/mountinfo",
               "40 30 0:26 /docker/abc /cg\\040root ro,nosuid - cgroup2 cgroup2 rw\n");
        tr_put(root, "/cg root/memory.max", "%lld\n", 1 * GiB);
        tr_put(root, "/cg root/memory.current", "%lld\n", GiB / 4);
        tr_put(root, "/cg root/memory.stat", "anon 1\ninactive_file 0\n");
        mb_context *ctx = tr_open(root);
        mb_container_info c = MB_CONTAINER_INFO_INIT;
        assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
        assert_int_equal(c.version, 2);
        assert_int_equal(c.limit, 1 * GiB);
        assert_int_equal(c.available, 3 * GiB / 4);
        mb_context_free(ctx);
    }
    /* dumps made by hwloc-gather-topology: /proc/mounts only */
    fresh("cg2-mounts", root, sizeof root);
    two_nodes(root);
    tr_put(root, "/proc/self/cgroup", "0::/user.slice\n");
    tr_put(root, "/proc/mounts", "sysfs /sys sysfs rw 0 0\n"
                                 "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n");
    tr_put(root, "/sys/fs/cgroup/user.slice/memory.max", "%lld\n", 2 * GiB);
    mb_context *ctx = tr_open(root);
    mb_container_info c = MB_CONTAINER_INFO_INIT;
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.limit, 2 * GiB);
    assert_true(c.usage == MB_UNKNOWN); /* no memory.current: the limit is the bound */
    assert_int_equal(c.available, 2 * GiB);
    mb_context_free(ctx);

    /* cgroup v1 and v2 side by side (this development VM): the v1 memory line wins */
    fresh("cg-hybrid", root, sizeof root);
    two_nodes(root);
    char src[1200], dst[1200];
    snprintf(src, sizeof src, "%s/illustrative/cgroup_paths/proc_self_cgroup_v1_hybrid",
             MB_FIXTURES);
    snprintf(dst, sizeof dst, "%s/proc/self/cgroup", root);
    tu_copy(src, dst);
    tr_put(root, "/proc/self/mountinfo",
           "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
           "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
    snprintf(src, sizeof src, "%s/illustrative/cgroup1_memory.limit_in_bytes_unlimited_4k",
             MB_FIXTURES);
    snprintf(dst, sizeof dst, "%s/sys/fs/cgroup/memory/process_api/"
                              "6916b2af91873956e50834f390533064/memory.limit_in_bytes", root);
    tu_copy(src, dst);
    tr_put(root, "/sys/fs/cgroup/unified/memory.max", "%lld\n", 1 * GiB); /* not ours */
    ctx = tr_open(root);
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.version, 1);
    assert_string_equal(c.path, "/process_api/6916b2af91873956e50834f390533064");
    assert_true(c.limit == MB_UNLIMITED);
    mb_context_free(ctx);

    /* no /proc/self/cgroup at all: no container */
    fresh("cg-none", root, sizeof root);
    two_nodes(root);
    ctx = tr_open(root);
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    assert_int_equal(c.version, 0);
    assert_true(c.limit == MB_UNLIMITED);
    mb_context_free(ctx);

    /* a malformed limit is an error that names the file */
    fresh("cg-bad", root, sizeof root);
    two_nodes(root);
    tr_put(root, "/proc/self/cgroup", "0::/x\n");
    tr_put(root, "/proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    tr_put(root, "/sys/fs/cgroup/x/memory.max", "lots\n");
    ctx = tr_open(root);
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_EPARSE);
    assert_non_null(strstr(mb_error_detail(), "/sys/fs/cgroup/x/memory.max"));
    assert_non_null(strstr(mb_error_detail(), "'lots'"));
    /* the cpu backend reads the limit at probe: broken, the reason naming the file */
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    int nb = mb_backend_count(ctx);
    int seen = 0;
    for (int i = 0; i < nb; i++) {
        assert_int_equal(mb_backend_get(ctx, i, &st), MB_OK);
        if (strcmp(st.name, "cpu") == 0) {
            seen = 1;
            assert_int_equal(st.state, MB_BACKEND_BROKEN);
            assert_non_null(strstr(st.reason, "/sys/fs/cgroup/x/memory.max"));
        }
    }
    assert_true(seen);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, 0, NULL, &s), MB_ENODEV);
    assert_non_null(strstr(mb_error_detail(), "/sys/fs/cgroup/x/memory.max"));
    mb_context_free(ctx);
}

static void test_mems_allowed_and_cpuset_cgroup(void **state)
{
    (void)state;
    char root[1024];
    fresh("mems-allowed", root, sizeof root);
    two_nodes(root);
    tr_put(root, "/proc/self/status", "Name:\tvllm\nCpus_allowed_list:\t2-3\n"
                                      "Mems_allowed:\t00000000,00000002\n"
                                      "Mems_allowed_list:\t1\nVmRSS:\t    1024 kB\n");
    mb_context *ctx = tr_open(root);
    assert_int_equal(mb_device_count(ctx), 1);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.name, "cpu:1");
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    assert_non_null(strstr(tr_cpu_reason(ctx, &st),
                           "node 0 left out by the cpuset (Mems_allowed_list 1)"));
    mb_numa_node nd = MB_NUMA_NODE_INIT;
    assert_int_equal(mb_numa_node_count(ctx), 2);
    assert_int_equal(mb_numa_node_get(ctx, 0, &nd), MB_OK);
    assert_int_equal(nd.allowed, 0);
    assert_int_equal(nd.device, -1);
    assert_int_equal(nd.cpus, 2);
    assert_int_equal(nd.cpus_allowed, 0);
    assert_non_null(strstr(nd.why_not, "cpuset"));
    assert_int_equal(nd.free_memory, 12 * GiB);
    assert_int_equal(mb_numa_node_get(ctx, 1, &nd), MB_OK);
    assert_int_equal(nd.cpus_allowed, 2);
    assert_int_equal(nd.device, 0);
    mb_cpu_rank r;
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 1);
    assert_int_equal(mb_numa_node_get(ctx, 2, &nd), MB_EINVAL);
    assert_int_equal(nd.node, -1);
    mb_context_free(ctx);

    /* every node's memory allowed, but only node 1's CPUs in the affinity (a cpuset.cpus
     * or taskset narrower than the mems): node 0 could hold memory but run no rank, so it
     * is no device, and both the probe and the node say why */
    fresh("cpus-allowed", root, sizeof root);
    two_nodes(root);
    tr_put(root, "/proc/self/status", "Name:\tvllm\nCpus_allowed_list:\t2-3\n"
                                      "Mems_allowed_list:\t0-1\n");
    ctx = tr_open(root);
    assert_int_equal(mb_device_count(ctx), 1);
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.name, "cpu:1");
    assert_non_null(strstr(tr_cpu_reason(ctx, &st),
                           "node 0 left out: none of its CPUs is in this process's affinity"));
    assert_int_equal(mb_numa_node_get(ctx, 0, &nd), MB_OK);
    assert_int_equal(nd.allowed, 1);
    assert_int_equal(nd.cpus_allowed, 0);
    assert_int_equal(nd.device, -1);
    assert_non_null(strstr(nd.why_not, "none of its 2 CPUs is in this process's affinity"));
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 1);
    mb_context_free(ctx);

    /* the cpuset cgroup v2, its cpuset.mems.effective one level up (the leaf has none) */
    fresh("cpuset-cg2", root, sizeof root);
    two_nodes(root);
    tr_put(root, "/proc/self/cgroup", "0::/job/step\n");
    tr_put(root, "/proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    tr_put(root, "/sys/fs/cgroup/job/cpuset.mems.effective", "0\n");
    tr_put(root, "/sys/fs/cgroup/job/cpuset.cpus.effective", "0\n");
    char step[1200];
    snprintf(step, sizeof step, "%s/sys/fs/cgroup/job/step", root);
    tu_mkdirs(step);
    ctx = tr_open(root);
    assert_int_equal(mb_device_count(ctx), 1);
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.name, "cpu:0");
    assert_int_equal(mb_numa_node_get(ctx, 0, &nd), MB_OK);
    assert_int_equal(nd.cpus_allowed, 1);
    assert_non_null(strstr(tr_cpu_reason(ctx, &st), "/sys/fs/cgroup/job/cpuset.mems.effective"));
    mb_context_free(ctx);

    /* the cpuset leaves no node with CPUs: the process still runs, so the CPU backend
     * serves the host from /proc/meminfo, and says why */
    fresh("cpuset-none", root, sizeof root);
    two_nodes(root);
    tr_put(root, "/proc/self/status", "Mems_allowed_list:\t\nCpus_allowed_list:\t0\n");
    ctx = tr_open(root);
    assert_int_equal(mb_device_count(ctx), 1);
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.name, "cpu:0");
    assert_int_equal(d.numa_node, -1);
    assert_non_null(strstr(tr_cpu_reason(ctx, &st), "no NUMA node has online CPUs and memory"));
    assert_non_null(strstr(tr_cpu_reason(ctx, &st), "cpu:0 is the host from /proc/meminfo"));
    /* no node is a CPU device: no rank can be placed on one */
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_ENOTSUP);
    assert_non_null(strstr(mb_error_detail(), "no CPU device is a NUMA node a rank can run on"));
    mb_context_free(ctx);
}

/* Nodes 0, 2, 5, 7: node 2's CPUs are offline, node 5 has memory only (GPU memory). */
static void sparse_tree(const char *root)
{
    tr_put(root, "/sys/devices/system/node/online", "0,2,5,7\n");
    tr_put(root, "/sys/devices/system/node/possible", "0-7\n");
    tr_put(root, "/sys/devices/system/node/has_cpu", "0,2,7\n");
    tr_put(root, "/sys/devices/system/node/has_memory", "0,2,5,7\n");
    tr_put(root, "/sys/devices/system/cpu/online", "0-1,4-5\n");
    tr_put(root, "/sys/devices/system/cpu/offline", "2-3\n");
    tr_node(root, 0, 8 * KB_GiB, 6 * KB_GiB, "0-1");
    tr_node(root, 2, 8 * KB_GiB, 7 * KB_GiB, "2-3");
    tr_node(root, 5, 96 * KB_GiB, 90 * KB_GiB, "");
    tr_node(root, 7, 8 * KB_GiB, 5 * KB_GiB, "4-5");
    tr_put(root, "/proc/meminfo", "MemTotal: %lld kB\nMemFree: %lld kB\nMemAvailable: %lld kB\n",
           120 * KB_GiB, 100 * KB_GiB, 108 * KB_GiB);
    tr_put(root, "/hwloc.xml",
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n<topology version=\"2.0\">\n"
           "  <object type=\"Machine\" os_index=\"0\" cpuset=\"0x00000033\" "
           "complete_cpuset=\"0x0000003f\" allowed_cpuset=\"0x00000033\" nodeset=\"0x000000a5\" "
           "complete_nodeset=\"0x000000a5\" allowed_nodeset=\"0x000000a5\" gp_index=\"1\">\n"
           "    <object type=\"NUMANode\" os_index=\"0\" cpuset=\"0x00000033\" "
           "complete_cpuset=\"0x0000003f\" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" "
           "gp_index=\"2\" local_memory=\"8589934592\"/>\n"
           "    <object type=\"NUMANode\" os_index=\"2\" cpuset=\"0x00000033\" "
           "complete_cpuset=\"0x0000003f\" nodeset=\"0x00000004\" complete_nodeset=\"0x00000004\" "
           "gp_index=\"3\" local_memory=\"8589934592\"/>\n"
           "    <object type=\"NUMANode\" os_index=\"5\" subtype=\"GPUMemory\" "
           "cpuset=\"0x00000033\" complete_cpuset=\"0x0000003f\" nodeset=\"0x00000020\" "
           "complete_nodeset=\"0x00000020\" gp_index=\"4\" local_memory=\"103079215104\"/>\n"
           "    <object type=\"NUMANode\" os_index=\"7\" cpuset=\"0x00000033\" "
           "complete_cpuset=\"0x0000003f\" nodeset=\"0x00000080\" complete_nodeset=\"0x00000080\" "
           "gp_index=\"5\" local_memory=\"8589934592\"/>\n"
           "    <object type=\"PU\" os_index=\"0\" cpuset=\"0x00000001\" "
           "complete_cpuset=\"0x00000001\" nodeset=\"0x000000a5\" complete_nodeset=\"0x000000a5\" "
           "gp_index=\"6\"/>\n"
           "  </object>\n</topology>\n");
}

static void test_sparse_ids_memory_only_and_offline_cpus(void **state)
{
    (void)state;
    char root[1024];
    fresh("sparse", root, sizeof root);
    sparse_tree(root);
    mb_context *ctx = tr_open(root);
    assert_int_equal(mb_device_count(ctx), 2);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
    assert_string_equal(d.name, "cpu:0");
    assert_int_equal(mb_device_get(ctx, 1, &d), MB_OK);
    assert_string_equal(d.name, "cpu:7");
    assert_int_equal(d.index, 7);
    assert_int_equal(d.numa_node, 7);
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    const char *why = tr_cpu_reason(ctx, &st);
    assert_non_null(strstr(why, "2 NUMA nodes with CPUs and memory"));
    assert_non_null(strstr(why, "memory-only nodes 2,5"));
    assert_int_equal(mb_numa_node_count(ctx), 4);
    static const int ids[4] = {0, 2, 5, 7};
    for (int i = 0; i < 4; i++) {
        mb_numa_node nd = MB_NUMA_NODE_INIT;
        assert_int_equal(mb_numa_node_get(ctx, i, &nd), MB_OK);
        assert_int_equal(nd.node, ids[i]);
        assert_int_equal(nd.allowed, 1);
        assert_int_equal(nd.has_memory, 1);
        assert_int_equal(nd.has_cpus, ids[i] == 0 || ids[i] == 7);
        assert_int_equal(nd.device, ids[i] == 0 ? 0 : ids[i] == 7 ? 1 : -1);
        if (ids[i] == 2) {
            assert_int_equal(nd.cpus, 0); /* CPUs 2-3 are offline */
            assert_string_equal(nd.kind, "memory-only");
            assert_non_null(strstr(nd.why_not, "no online CPUs"));
        }
        if (ids[i] == 5) {
            assert_int_equal(nd.total_memory, 96 * GiB);
            assert_int_equal(nd.free_memory, 90 * GiB);
#ifdef MB_TEST_HWLOC /* the label comes from hwloc, reading the dump's hwloc.xml */
            assert_string_equal(nd.kind, "memory-only (GPUMemory)");
            assert_non_null(strstr(why, "node5 GPUMemory"));
#else
            assert_string_equal(nd.kind, "memory-only");
#endif
        }
    }
    /* rank 1 takes the second visible node, 7; node 5 is never a rank's node */
    mb_cpu_rank r;
    assert_int_equal(mb_cpu_rank_get(ctx, 1, &r), MB_OK);
    assert_int_equal(r.node, 7);
    assert_int_equal(r.device, 1);
    setenv("CPU_VISIBLE_MEMORY_NODES", "5,7", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 7);
    assert_non_null(strstr(r.reason, "node 5 (memory-only) ignored"));
    setenv("CPU_VISIBLE_MEMORY_NODES", "5", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_EENV);
    assert_non_null(strstr(mb_error_detail(), "leaves no node for a CPU KV cache"));
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
    ctx = tr_renew(ctx);
    /* a CPU list on an offline CPU has no node */
    setenv("VLLM_CPU_OMP_THREADS_BIND", "2-3", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_ENODEV);
    assert_non_null(strstr(mb_error_detail(), "CPU 2"));
    setenv("VLLM_CPU_OMP_THREADS_BIND", "4-5|0-1", 1);
    ctx = tr_renew(ctx);
    assert_int_equal(mb_cpu_rank_get(ctx, 0, &r), MB_OK);
    assert_int_equal(r.node, 7);
    unsetenv("VLLM_CPU_OMP_THREADS_BIND");
    ctx = tr_renew(ctx);
    /* no side effects on a dump */
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, 1, 0), MB_EFOREIGN);
    mb_context_free(ctx);
}

/* Fail the nth instrumented call until the whole sequence succeeds: every failure is an
 * error with a detail, never a crash (ASan and valgrind jobs check for leaks). */
static void test_fault_injection(void **state)
{
    (void)state;
    char root[1024];
    fresh("faults", root, sizeof root);
    write_v2_pod(root, "max");
    tr_put(root, "/sys/fs/cgroup/kubepods.slice/cpuset.mems.effective", "0-1\n");
    tr_put(root, "/proc/self/status", "Mems_allowed_list:\t0-1\nVmRSS:\t 2048 kB\n");
    int succeeded = 0;
    for (long n = 1; n < 2000 && !succeeded; n++) {
        mb__fault_arm(n);
        mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
        o.sysroot = root;
        o.backends = "cpu";
        mb_context *ctx = NULL;
        int rc = mb_context_init(&ctx, &o);
        if (rc == MB_OK) {
            mb_snapshot s;
            mb_numa_node nd = MB_NUMA_NODE_INIT;
            mb_container_info c = MB_CONTAINER_INFO_INIT;
            mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
            mb_cpu_kv_options ko = MB_CPU_KV_OPTIONS_INIT;
            ko.local_rank = 1;
            ko.utilization = 0.25; /* 4 GiB of node1: under what the container leaves */
            if ((rc = mb_snapshot_measure(ctx, 1, NULL, &s)) == MB_OK &&
                (rc = mb_numa_node_get(ctx, 1, &nd)) == MB_OK &&
                (rc = mb_container_memory_get(ctx, &c)) == MB_OK)
                rc = mb_cpu_kv_space_get(ctx, &ko, &kv);
            if (rc == MB_OK) {
                assert_int_equal(s.free_memory, c.available);
                assert_int_equal(kv.rank.node, 1);
            }
        }
        const char *site = mb__fault_site();
        mb__fault_arm(0);
        if (rc == MB_OK && site[0] == '\0') {
            succeeded = 1;
        } else {
            if (rc >= 0)
                fail_msg("fault %ld at %s was swallowed", n, site);
            assert_true(strlen(mb_error_detail()) > 0);
        }
        mb_context_free(ctx);
    }
    assert_true(succeeded);
}

int main(void)
{
    unsetenv("VLLM_CPU_KVCACHE_SPACE");
    unsetenv("VLLM_CPU_OMP_THREADS_BIND");
    unsetenv("CPU_VISIBLE_MEMORY_NODES");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cgroup_v1_nested_min_and_inactive_file),
        cmocka_unit_test(test_cgroup_v1_unlimited_at_2_62),
        cmocka_unit_test(test_cgroup_v2_8gib_under_max_ancestors),
        cmocka_unit_test(test_cgroup_mount_roots_and_proc_mounts),
        cmocka_unit_test(test_mems_allowed_and_cpuset_cgroup),
        cmocka_unit_test(test_sparse_ids_memory_only_and_offline_cpus),
        cmocka_unit_test(test_fault_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
