/*
 * backends/cpu/cpu.c: NUMA nodes as devices. A device per node that has both CPUs and
 * memory ("cpu:<node id>"); a machine without /sys/devices/system/node is one device,
 * cpu:0, from /proc/meminfo.
 *
 * Free memory of a node is MemFree + Active(file) + Inactive(file) + SReclaimable from the
 * node's meminfo (what vLLM's CPU worker counts as reclaimable); total is its MemTotal.
 *
 * When the node files do not cover the host (their MemTotal adds up to less than 90% of
 * /proc/meminfo's MemTotal, as on VMs whose hot-plugged memory the node files omit, this
 * development machine among them: node0 shows 3.5 GiB of 23.5 GiB) and there is one
 * device, the device reports the host's figures instead (MemTotal, MemAvailable), flagged
 * MB_SNAP_HOST_FALLBACK with source proc-meminfo: what the process can really allocate is
 * what the host has, and the allocations land outside node0's accounting. With several
 * nodes the node figures stay (per-node placement is the point) and the flag marks them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../platform/platform.h"

#define NODE_MEMINFO_MAX 8192
#define PROC_MEMINFO_MAX 16384

typedef struct cpu_node {
    int node;         /* NUMA node id */
    int fd;           /* node meminfo, opened once; -1 in host mode */
    char path[96];    /* for messages */
    int64_t total;    /* node MemTotal at probe time */
} cpu_node;

typedef struct cpu_state {
    const mb_platform *plat;
    int host_mode;     /* 1: the single device reports /proc/meminfo figures */
    int partial;       /* node files cover less than 90% of the host */
    int meminfo_fd;    /* /proc/meminfo, opened once; -1 when absent */
    int64_t host_total;
    int n;
    cpu_node nodes[];
} cpu_state;

static void cpu_shutdown(void *st)
{
    cpu_state *s = st;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        if (s->nodes[i].fd >= 0)
            close(s->nodes[i].fd);
    if (s->meminfo_fd >= 0)
        close(s->meminfo_fd);
    mb__free(s);
}

/* Reads a node list file into bits; 0 when the file is missing (bits untouched). */
static int read_nodelist(const mb_platform *plat, const char *path, unsigned char *bits)
{
    char buf[4096];
    if (!mb__plat_exists(plat, path))
        return 0;
    long n = mb__plat_read(plat, path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    if (mb__parse_list(buf, bits, MB_MAX_NODES) != MB_OK)
        return mb__error(MB_EPARSE, "%s: '%.60s' is not a node list", path, buf);
    return 1;
}

static int cpu_probe(const mb_platform *plat, void **state, mb_probe_result *res)
{
    *state = NULL;
    unsigned char *on = mb__calloc(3, MB_MAX_NODES);
    if (!on)
        return mb__error(MB_ENOMEM, "cpu probe: out of memory");
    unsigned char *cpu = on + MB_MAX_NODES, *mem = on + 2 * MB_MAX_NODES;
    int have_nodes = mb__plat_exists(plat, "/sys/devices/system/node");
    int rc = MB_OK;
    int k_on = 0, k_cpu = 0, k_mem = 0;
    if (have_nodes) {
        if ((k_on = read_nodelist(plat, "/sys/devices/system/node/online", on)) < 0 ||
            (k_cpu = read_nodelist(plat, "/sys/devices/system/node/has_cpu", cpu)) < 0 ||
            (k_mem = read_nodelist(plat, "/sys/devices/system/node/has_memory", mem)) < 0) {
            rc = k_on < 0 ? k_on : k_cpu < 0 ? k_cpu : k_mem;
            goto fail_broken;
        }
        if (!k_mem) /* kernels before 2.6.35 and some dumps have only has_normal_memory */
            if ((k_mem = read_nodelist(plat, "/sys/devices/system/node/has_normal_memory",
                                       mem)) < 0) {
                rc = k_mem;
                goto fail_broken;
            }
    }
    int count = 0;
    for (int i = 0; i < MB_MAX_NODES; i++) {
        int ok = (k_on ? on[i] : 1) && (k_cpu ? cpu[i] : 1) && (k_mem ? mem[i] : 1);
        if (!k_on && !k_cpu && !k_mem)
            ok = 0;
        on[i] = (unsigned char)ok;
        count += ok;
    }
    cpu_state *s = mb__calloc(1, sizeof *s + (size_t)(count ? count : 1) * sizeof(cpu_node));
    if (!s) {
        mb__free(on);
        return mb__error(MB_ENOMEM, "cpu probe: out of memory");
    }
    s->plat = plat;
    s->meminfo_fd = -1;
    for (int i = 0; i < (count ? count : 1); i++)
        s->nodes[i].fd = -1;
    mb_host_memory host = {0, 0, 0};
    int have_host = mb__plat_exists(plat, "/proc/meminfo");
    if (have_host) {
        rc = mb__plat_host_memory(plat, &host);
        if (rc)
            goto fail_state;
        s->host_total = host.total;
        s->meminfo_fd = mb__plat_open(plat, "/proc/meminfo");
        if (s->meminfo_fd < 0) {
            rc = s->meminfo_fd;
            goto fail_state;
        }
    }
    int64_t node_sum = 0;
    for (int i = 0, k = 0; i < MB_MAX_NODES && k < count; i++) {
        if (!on[i])
            continue;
        cpu_node *nd = &s->nodes[k++];
        nd->node = i;
        snprintf(nd->path, sizeof nd->path, "/sys/devices/system/node/node%d/meminfo", i);
        nd->fd = mb__plat_open(plat, nd->path);
        if (nd->fd < 0) {
            rc = nd->fd;
            s->n = k;
            goto fail_state;
        }
        char buf[NODE_MEMINFO_MAX];
        long n = mb__plat_pread(nd->fd, nd->path, buf, sizeof buf);
        if (n < 0) {
            rc = (int)n;
            s->n = k;
            goto fail_state;
        }
        if ((rc = mb__meminfo_value(buf, "MemTotal", &nd->total)) != MB_OK) {
            s->n = k;
            goto fail_state;
        }
        if (nd->total == MB_UNKNOWN || nd->total <= 0) {
            rc = mb__error(MB_EPARSE, "%s%s has no MemTotal line", plat->foreign ? plat->root : "",
                           nd->path);
            s->n = k;
            goto fail_state;
        }
        node_sum += nd->total;
        s->n = k;
    }
    mb__free(on);
    on = NULL;
    if (count == 0) {
        if (!have_host) {
            cpu_shutdown(s);
            res->state = MB_PROBE_BROKEN;
            snprintf(res->reason, sizeof res->reason,
                     "neither %s/sys/devices/system/node nor %s/proc/meminfo can be read",
                     plat->foreign ? plat->root : "", plat->foreign ? plat->root : "");
            return MB_OK;
        }
        s->n = 1;
        s->host_mode = 1;
        s->nodes[0].node = 0;
        snprintf(res->reason, sizeof res->reason,
                 "no NUMA node files; cpu:0 is the host from /proc/meminfo");
    } else if (have_host && (double)node_sum < 0.9 * (double)host.total) {
        s->partial = 1;
        char a[48], b[48];
        mb_format_gib(node_sum, a, sizeof a);
        mb_format_gib(host.total, b, sizeof b);
        if (count == 1) {
            s->host_mode = 1;
            close(s->nodes[0].fd);
            s->nodes[0].fd = -1;
            snprintf(res->reason, sizeof res->reason,
                     "node%d meminfo covers %s of %s GiB in /proc/meminfo; cpu:%d reports the "
                     "host's MemTotal and MemAvailable", s->nodes[0].node, a, b,
                     s->nodes[0].node);
        } else {
            snprintf(res->reason, sizeof res->reason,
                     "%d NUMA nodes; their meminfo covers %s of %s GiB in /proc/meminfo", count,
                     a, b);
        }
    } else {
        snprintf(res->reason, sizeof res->reason, "%d NUMA node%s with CPUs and memory", count,
                 count == 1 ? "" : "s");
    }
    res->state = MB_PROBE_PRESENT;
    *state = s;
    return MB_OK;

fail_state:
    cpu_shutdown(s);
fail_broken:
    mb__free(on);
    if (rc == MB_ENOMEM)
        return rc;
    res->state = MB_PROBE_BROKEN;
    snprintf(res->reason, sizeof res->reason, "%s", mb_last_error_detail());
    return MB_OK;
}

static int cpu_device_count(void *st) { return ((cpu_state *)st)->n; }

static int cpu_device_info(void *st, int i, mb_device_info *out)
{
    cpu_state *s = st;
    if (i < 0 || i >= s->n)
        return mb__error(MB_ENODEV, "cpu device %d does not exist", i);
    out->index = s->nodes[i].node;
    out->numa_node = s->host_mode && s->n == 1 && s->nodes[0].fd < 0 && !s->partial
                         ? -1
                         : s->nodes[i].node;
    out->integrated = 0;
    snprintf(out->ops, sizeof out->ops, "cpu");
    if (s->host_mode)
        snprintf(out->model, sizeof out->model, "host memory (/proc/meminfo)");
    else
        snprintf(out->model, sizeof out->model, "NUMA node %d", s->nodes[i].node);
    out->total_memory = s->host_mode ? s->host_total : s->nodes[i].total;
    return MB_OK;
}

static int cpu_mem_info(void *st, int i, mb_meminfo *out)
{
    cpu_state *s = st;
    if (i < 0 || i >= s->n)
        return mb__error(MB_ENODEV, "cpu device %d does not exist", i);
    int rc;
    if (s->host_mode) {
        char buf[PROC_MEMINFO_MAX];
        long n = mb__plat_pread(s->meminfo_fd, "/proc/meminfo", buf, sizeof buf);
        if (n < 0)
            return (int)n;
        int64_t total, avail, free;
        if ((rc = mb__meminfo_value(buf, "MemTotal", &total)) ||
            (rc = mb__meminfo_value(buf, "MemAvailable", &avail)) ||
            (rc = mb__meminfo_value(buf, "MemFree", &free)))
            return rc;
        if (total == MB_UNKNOWN || free == MB_UNKNOWN)
            return mb__error(MB_EPARSE, "/proc/meminfo has no MemTotal or MemFree line");
        out->total = total;
        out->free = avail != MB_UNKNOWN ? avail : free;
        out->source = MB_SOURCE_PROC_MEMINFO;
        if (s->partial)
            out->flags |= MB_SNAP_HOST_FALLBACK;
    } else {
        cpu_node *nd = &s->nodes[i];
        char buf[NODE_MEMINFO_MAX];
        long n = mb__plat_pread(nd->fd, nd->path, buf, sizeof buf);
        if (n < 0)
            return (int)n;
        int64_t v[5];
        static const char *const keys[5] = {"MemTotal", "MemFree", "Active(file)",
                                            "Inactive(file)", "SReclaimable"};
        for (int k = 0; k < 5; k++) {
            if ((rc = mb__meminfo_value(buf, keys[k], &v[k])))
                return rc;
            if (v[k] == MB_UNKNOWN) {
                if (k < 2)
                    return mb__error(MB_EPARSE, "%s has no %s line", nd->path, keys[k]);
                v[k] = 0; /* old kernels: count nothing reclaimable rather than fail */
            }
        }
        out->total = v[0];
        out->free = v[1] + v[2] + v[3] + v[4];
        out->source = MB_SOURCE_NODE_MEMINFO;
        if (s->partial)
            out->flags |= MB_SNAP_HOST_FALLBACK;
    }
    mb_container_memory cg;
    if ((rc = mb__container_memory(s->plat, &cg)))
        return rc;
    out->limit = cg.limit;
    if (cg.available != MB_UNLIMITED && cg.available < out->free) {
        out->free = cg.available < 0 ? 0 : cg.available;
        out->flags |= MB_SNAP_LIMITED;
    }
    if (out->free > out->total) {
        out->free = out->total;
        out->flags |= MB_SNAP_CLAMPED;
    }
    return MB_OK;
}

static int cpu_alloc(void *st, int i, size_t bytes, void **ptr)
{
    cpu_state *s = st;
    if (s->plat->foreign)
        return mb__error(MB_EFOREIGN, "cannot allocate on a machine dump (%s)", s->plat->root);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
        return mb__error(MB_ENOMEM, "cpu:%d: cannot map %zu bytes: %s", s->nodes[i].node, bytes,
                         strerror(errno));
    *ptr = p;
    return MB_OK;
}

static int cpu_free(void *st, int i, void *ptr, size_t bytes)
{
    (void)st, (void)i;
    if (munmap(ptr, bytes) != 0)
        return mb__error(MB_EINVAL, "munmap(%p, %zu) failed: %s", ptr, bytes, strerror(errno));
    return MB_OK;
}

const struct mb_backend_ops mb__backend_cpu = {
    .abi = MB_BACKEND_ABI,
    .name = "cpu",
    .platform_name = "cpu",
    .probe = cpu_probe,
    .device_count = cpu_device_count,
    .device_info = cpu_device_info,
    .mem_info = cpu_mem_info,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .shutdown = cpu_shutdown,
};
