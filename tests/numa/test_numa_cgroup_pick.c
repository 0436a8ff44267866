/* tests/numa/test_numa_cgroup_pick.c: which of several mounts of the memory controller is
 * read. The mount whose root is the longest prefix of the process's cgroup path is the
 * one; the namespaced reading (the cgroup is the mount's root) only when no root is. Each
 * candidate mount in these trees carries a different limit, so the limit read names the
 * mount chosen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trees.h"

#define GiB ((long long)MB_GiB)

static void host(const char *root)
{
    tr_put(root, "/proc/meminfo", "MemTotal: 33554432 kB\nMemFree: 16777216 kB\n"
                                  "MemAvailable: 25165824 kB\n");
}

static long long limit_of(const char *root)
{
    mb_context *ctx = tr_open(root);
    assert_non_null(ctx);
    mb_container_info c = MB_CONTAINER_INFO_INIT;
    assert_int_equal(mb_container_memory_get(ctx, &c), MB_OK);
    long long l = c.limit;
    mb_context_free(ctx);
    return l;
}

/* A container's own subtree is mounted first, the host's whole tree second; the process
 * is not in the container's subtree: the whole tree's mount holds its cgroup. */
static void test_prefix_beats_first_listed(void **state)
{
    (void)state;
    char root[1024];
    tu_fresh_dir("cg-pick-first", root, sizeof root);
    host(root);
    tr_put(root, "/proc/self/cgroup", "0::/kubepods/pod1\n");
    tr_put(root, "/proc/self/mountinfo",
           "40 30 0:26 /docker/abc /cg-docker rw - cgroup2 cgroup2 rw\n"
           "41 30 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    tr_put(root, "/cg-docker/memory.max", "%lld\n", 1 * GiB);
    tr_put(root, "/sys/fs/cgroup/kubepods/pod1/memory.max", "%lld\n", 3 * GiB);
    assert_int_equal(limit_of(root), 3 * GiB);
}

/* The whole tree and a bind mount of /kubepods: the longer root wins. */
static void test_longest_prefix_wins(void **state)
{
    (void)state;
    char root[1024];
    tu_fresh_dir("cg-pick-longest", root, sizeof root);
    host(root);
    tr_put(root, "/proc/self/cgroup", "5:memory:/kubepods/pod1\n");
    tr_put(root, "/proc/self/mountinfo",
           "40 30 0:26 / /a rw - cgroup cgroup rw,memory\n"
           "41 30 0:26 /kubepods /b rw - cgroup cgroup rw,memory\n"
           "42 30 0:26 /kube /c rw - cgroup cgroup rw,memory\n");
    tr_put(root, "/a/kubepods/pod1/memory.limit_in_bytes", "%lld\n", 5 * GiB);
    tr_put(root, "/b/pod1/memory.limit_in_bytes", "%lld\n", 2 * GiB);
    tr_put(root, "/c/memory.limit_in_bytes", "%lld\n", 7 * GiB); /* "/kube" is no folder prefix */
    assert_int_equal(limit_of(root), 2 * GiB);
}

/* No root is a prefix (the container sees its own cgroup as "/"): the namespaced reading,
 * the mount's root folder itself. */
static void test_namespaced_when_no_prefix(void **state)
{
    (void)state;
    char root[1024];
    tu_fresh_dir("cg-pick-ns", root, sizeof root);
    host(root);
    tr_put(root, "/proc/self/cgroup", "0::/\n");
    tr_put(root, "/proc/self/mountinfo",
           "40 30 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    tr_put(root, "/sys/fs/cgroup/memory.max", "%lld\n", 4 * GiB);
    assert_int_equal(limit_of(root), 4 * GiB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_beats_first_listed),
        cmocka_unit_test(test_longest_prefix_wins),
        cmocka_unit_test(test_namespaced_when_no_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
