/* tests/numa/test_numa_alldumps.c: every machine dump of tests/fixtures/hwloc-linux against
 * hwloc's own reading of it (`lstopo-no-graphics --input DIR --of xml`). For each dump the
 * CPU devices must be hwloc's NUMA nodes that have both memory and CPUs this process may
 * use, each device's total hwloc's memory of that node (base pages exact, within 1% once
 * huge pages count), and with no NUMA files the one host device must hold /proc/meminfo's
 * MemTotal. A dump on which the two readings differ for a known reason is listed in
 * `differs` below with that reason; the test fails when an unlisted dump differs and when
 * a listed one agrees (so the list and docs/reliability.md stay true). A dump with no
 * /proc/meminfo must give no device and say why. The table printed is the one in
 * docs/reliability.md. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "trees.h"

typedef struct hw_node {
    int id;
    long long memory; /* local_memory: the node's MemTotal */
    long long huge;   /* of which huge pages */
    int cpus;         /* allowed CPUs (cpuset) */
    char cpuset[512];
    int shared;       /* its cpuset meets another node's */
} hw_node;

/* Known differences, each with its reason (docs/reliability.md repeats them). */
static const struct {
    const char *dump;
    const char *why;
} differs[] = {
    {"8em64t-2s2ca2c-buggynuma",
     "every node's cpulist names CPUs 0-7: hwloc 2.9 rejects the kernel's NUMA information "
     "and shows one node; membudget serves the 8 nodes as the kernel states them"},
    {"fakeheterocpunuma",
     "a made-up dump whose nodes 4 and 5 have cpumaps that overlap node 3's: hwloc 2.9 drops "
     "them; membudget serves them as the files state"},
    {NULL, NULL},
};

static int popcount_hex(const char *s)
{
    int n = 0;
    for (const char *p = s; *p; p++) {
        if (p[0] == '0' && p[1] == 'x') {
            p++;
            continue;
        }
        int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : 0;
        n += __builtin_popcount((unsigned)v);
    }
    return n;
}

/* hwloc's bitmap text ("0x000000ff,0x0000000f": 32-bit words, most significant first)
 * into bits; 1 when the two bitmaps share a bit. */
static void bitmap(const char *s, unsigned char *bits, int nbits)
{
    memset(bits, 0, (size_t)nbits);
    int bit = 0;
    for (size_t i = strlen(s); i-- > 0;) {
        char c = s[i];
        if (c == ',' || c == 'x' || (c == '0' && i + 1 < strlen(s) && s[i + 1] == 'x'))
            continue;
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
        for (int k = 0; k < 4 && bit < nbits; k++, bit++)
            bits[bit] = (unsigned char)((v >> k) & 1);
    }
}

static int meets(const char *a, const char *b)
{
    static unsigned char x[8192], y[8192];
    bitmap(a, x, 8192);
    bitmap(b, y, 8192);
    for (int i = 0; i < 8192; i++)
        if (x[i] && y[i])
            return 1;
    return 0;
}

static int attr(const char *obj, const char *obj_end, const char *name, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *p = strstr(obj, key);
    out[0] = '\0';
    if (!p || p > obj_end)
        return 0;
    p += strlen(key);
    const char *q = strchr(p, '"');
    snprintf(out, size, "%.*s", (int)(q - p), p);
    return 1;
}

/* hwloc's nodes of dir; -1 when lstopo cannot load the dump. */
static int lstopo_nodes(const char *dir, hw_node *nodes, int max)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "lstopo-no-graphics --input '%s' --input-format fsroot --of xml 2>/dev/null", dir);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = 8 << 20, len = 0, n;
    char *xml = malloc(cap);
    assert_non_null(xml);
    while ((n = fread(xml + len, 1, cap - len - 1, f)) > 0)
        len += n;
    xml[len] = '\0';
    int st = pclose(f);
    if (st != 0 || len == 0) {
        free(xml);
        return -1;
    }
    int count = 0;
    for (const char *p = strstr(xml, "<object type=\"NUMANode\""); p && count < max;
         p = strstr(p + 1, "<object type=\"NUMANode\"")) {
        const char *obj_end = strchr(p, '>');
        const char *next = strstr(p + 1, "<object");
        const char *close = strstr(p, "</object>");
        const char *kids_end = next && (!close || next < close) ? next : close;
        char v[1024];
        hw_node *h = &nodes[count++];
        memset(h, 0, sizeof *h);
        attr(p, obj_end, "os_index", v, sizeof v);
        h->id = atoi(v);
        attr(p, obj_end, "local_memory", v, sizeof v);
        h->memory = atoll(v);
        attr(p, obj_end, "cpuset", v, sizeof v);
        h->cpus = popcount_hex(v);
        snprintf(h->cpuset, sizeof h->cpuset, "%s", v);
        for (const char *q = strstr(obj_end, "<page_type"); q && kids_end && q < kids_end;
             q = strstr(q + 1, "<page_type")) {
            const char *qe = strchr(q, '>');
            attr(q, qe, "size", v, sizeof v);
            long long size = atoll(v);
            attr(q, qe, "count", v, sizeof v);
            long long cnt = atoll(v);
            if (size > 4096)
                h->huge += size * cnt;
        }
        /* hwloc 2.9's local_memory is the node's MemTotal, huge pages included */
    }
    free(xml);
    /* hwloc gives a CPU-less node the cpuset of the CPUs near it, so a node that shares
     * its cpuset with another may or may not have CPUs of its own; one whose cpuset is its
     * own has them. */
    for (int i = 0; i < count; i++)
        for (int j = 0; j < count; j++)
            if (i != j && meets(nodes[i].cpuset, nodes[j].cpuset))
                nodes[i].shared = 1;
    return count;
}

static const char *known_why(const char *dump)
{
    for (size_t i = 0; differs[i].dump; i++)
        if (strcmp(differs[i].dump, dump) == 0)
            return differs[i].why;
    return NULL;
}

/* Compares one dump; writes what differs into why (empty when they agree). Returns the
 * number of CPU devices membudget serves. */
static int compare(const char *dir, const hw_node *hw, int nh, char *why, size_t size,
                   char *reason, size_t reason_size)
{
    why[0] = reason[0] = '\0';
    mb_context *ctx = tr_open(dir);
    assert_non_null(ctx);
    int ndev = mb_device_count(ctx);
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    snprintf(reason, reason_size, "%s", tr_cpu_reason(ctx, &st));
    char meminfo[2048];
    snprintf(meminfo, sizeof meminfo, "%s/proc/meminfo", dir);
    struct stat sb;
    int have_meminfo = stat(meminfo, &sb) == 0;
    if (ndev < 0) {
        if (have_meminfo)
            snprintf(why, size, "no CPU device although /proc/meminfo is readable (%s)",
                     reason);
        else if (!reason[0])
            snprintf(why, size, "no device and no reason given");
        mb_context_free(ctx);
        return 0;
    }
    int want = 0, maybe = 0;
    size_t k = 0;
    if (ndev == 1 && strstr(reason, "cpu:0 is the host from /proc/meminfo")) {
        /* the host device: /proc/meminfo's MemTotal; hwloc must have no node with memory
         * and CPUs this process may use, or be the one node of a machine without NUMA */
        char *text = tu_slurp(meminfo);
        assert_non_null(text);
        long long host = tu_meminfo(text, "MemTotal");
        free(text);
        mb_device_info d = MB_DEVICE_INFO_INIT;
        assert_int_equal(mb_device_get(ctx, 0, &d), MB_OK);
        int cpu_nodes = 0;
        for (int i = 0; i < nh; i++)
            cpu_nodes += hw[i].memory > 0 && hw[i].cpus > 0 && !hw[i].shared;
        if (d.total_memory != host)
            snprintf(why, size, "host device total %lld, /proc/meminfo %lld",
                     (long long)d.total_memory, host);
        else if (nh > 1 && cpu_nodes > 0)
            snprintf(why, size, "host device, but hwloc has %d nodes with memory and CPUs",
                     cpu_nodes);
        else if (nh == 1 && (d.total_memory > hw[0].memory + hw[0].memory / 100 ||
                             d.total_memory < hw[0].memory - hw[0].memory / 100))
            snprintf(why, size, "host device total %lld, hwloc's node %lld",
                     (long long)d.total_memory, hw[0].memory);
        mb_context_free(ctx);
        return ndev;
    }
    /* nodes whose cpusets meet: each may be a CPU-less node given its neighbours' CPUs */
    for (int i = 0; i < nh; i++)
        maybe += hw[i].memory > 0 && hw[i].cpus > 0 && hw[i].shared;
    for (int i = 0; i < nh; i++) {
        if (hw[i].memory <= 0 || hw[i].cpus <= 0)
            continue;
        char name0[32];
        snprintf(name0, sizeof name0, "cpu:%d", hw[i].id);
        int idx0;
        if (hw[i].shared && mb_device_find(ctx, name0, &idx0) != MB_OK)
            continue; /* possibly a CPU-less node: its group's count is checked above */
        if (!hw[i].shared)
            want++;
        char name[32];
        snprintf(name, sizeof name, "cpu:%d", hw[i].id);
        int idx;
        if (mb_device_find(ctx, name, &idx) != MB_OK) {
            /* with no NUMA files, the host device is cpu:0 and hwloc's node is node 0 */
            k += (size_t)snprintf(why + k, k < size ? size - k : 0, "%s missing; ", name);
            continue;
        }
        mb_device_info d = MB_DEVICE_INFO_INIT;
        assert_int_equal(mb_device_get(ctx, idx, &d), MB_OK);
        long long diff = d.total_memory - hw[i].memory;
        if (diff < 0)
            diff = -diff;
        long long slack = hw[i].huge ? hw[i].memory / 100 : 0;
        if (diff > slack)
            k += (size_t)snprintf(why + k, k < size ? size - k : 0,
                                  "%s total %lld, hwloc %lld; ", name,
                                  (long long)d.total_memory, hw[i].memory);
    }
    if ((ndev < want || ndev > want + maybe) && k < size)
        k += (size_t)snprintf(why + k, size - k, "%d devices, hwloc %d nodes with memory and "
                                                 "allowed CPUs of their own (and %d groups "
                                                 "sharing a cpuset); ", ndev, want, maybe);
    mb_context_free(ctx);
    return ndev;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_dump(void **state)
{
    (void)state;
    if (system("command -v lstopo-no-graphics >/dev/null 2>&1") != 0)
        fail_msg("lstopo-no-graphics is not installed: it is this test's oracle; install the "
                 "Debian package hwloc (ci/setup.sh does)");
    DIR *d = opendir(MB_DUMPS);
    assert_non_null(d);
    char *names[128];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 128)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    int bad = 0, agree = 0, known = 0;
    printf("| dump | hwloc nodes | CPU devices | result |\n|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s/fsroot", MB_DUMPS, names[i]);
        struct stat sb;
        if (stat(dir, &sb) != 0) /* the dumps with a cpuid folder keep the root beside it */
            snprintf(dir, sizeof dir, "%s/%s", MB_DUMPS, names[i]);
        hw_node hw[256];
        int nh = lstopo_nodes(dir, hw, 256);
        char why[1024], reason[512];
        int ndev;
        const char *expect = known_why(names[i]);
        if (nh < 0) {
            ndev = compare(dir, hw, 0, why, sizeof why, reason, sizeof reason);
            if (why[0] || ndev > 0) {
                bad++;
                printf("| %s | lstopo cannot load it | %d | WRONG: %s; cpu: %s |\n", names[i],
                       ndev, why, reason);
            } else {
                agree++;
                printf("| %s | lstopo cannot load it | %d | no device, with the reason: %s |\n",
                       names[i], ndev, reason);
            }
            continue;
        }
        ndev = compare(dir, hw, nh, why, sizeof why, reason, sizeof reason);
        if (!why[0] && !expect) {
            agree++;
            if (ndev == 0)
                printf("| %s | %d | 0 | agree: no memory figures in the dump, and the reason "
                       "says so |\n", names[i], nh);
            else
                printf("| %s | %d | %d | agree%s |\n", names[i], nh, ndev,
                       strstr(reason, "cpu:0 is the host") ? " (the host device from "
                                                             "/proc/meminfo)" : "");
        } else if (why[0] && expect) {
            known++;
            printf("| %s | %d | %d | differs: %s (%s) |\n", names[i], nh, ndev, expect, why);
        } else if (why[0]) {
            bad++;
            printf("| %s | %d | %d | WRONG: %s; cpu: %s |\n", names[i], nh, ndev, why, reason);
        } else {
            bad++;
            printf("| %s | %d | %d | STALE: listed as differing (%s) but agrees |\n",
                   names[i], nh, ndev, expect);
        }
    }
    printf("%d dumps: %d agree, %d differ for a stated reason, %d wrong\n", n, agree, known,
           bad);
    for (int i = 0; i < n; i++)
        free(names[i]);
    assert_int_equal(bad, 0);
    assert_true(n >= 39);
}

int main(void)
{
    unsetenv("VLLM_CPU_KVCACHE_SPACE");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
