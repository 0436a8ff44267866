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
 *
 * Which nodes (platform/topology.c reads them once per context): a node is a
 * device when it has online CPUs, has memory and the cpuset (Mems_allowed_list,
 * cpuset.mems.effective) allows it. Memory-only nodes (CXL memory, the GPU memory GH200 and
 * GB200 expose as CPU-less nodes) and nodes the cpuset leaves out are named in the probe's
 * reason and listed by mb_numa_node_get, never served. Node ids keep their sparse values:
 * a machine with nodes 0 and 2 has cpu:0 and cpu:2. The coverage test above sums every
 * online node, allowed or not, since /proc/meminfo counts them all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "membudget/backend.h"
#include "../../platform/topology.h"

#ifdef MEMBUDGET_HAVE_NUMA
#include <numaif.h>
#endif

/* The services table handed to probe (and files): the backend's only way to the rest of
 * the library. Every probe stores the same table, so concurrent probes agree. */
static const mb_backend_services *_Atomic svc;

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
    int numa;          /* 1: NUMA node files exist, so allocations are bound to a node */
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
    svc->free(s);
}

/* Appends ", " + text to buf. */
static void append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, size - l, fmt, ap);
    va_end(ap);
}

/* The nodes that are not devices, for the probe's reason: memory-only nodes (with hwloc's
 * name for their memory when known) and nodes the cpuset leaves out. */
static void describe_others(const mb_topology *t, char *buf, size_t size)
{
    unsigned char memonly[MB_MAX_NODES], denied[MB_MAX_NODES], nocpu[MB_MAX_NODES];
    memset(memonly, 0, sizeof memonly);
    memset(denied, 0, sizeof denied);
    memset(nocpu, 0, sizeof nocpu);
    int nm = 0, nd = 0, nc = 0;
    char named[160] = "";
    for (int i = 0; i < t->nnodes; i++) {
        const mb_topo_node *n = &t->nodes[i];
        if (n->has_memory && !n->has_cpu) {
            memonly[n->id] = 1, nm++;
            if (n->kind[0])
                append(named, sizeof named, "%snode%d %s", named[0] ? ", " : "", n->id,
                       n->kind);
        } else if (!n->allowed && n->has_cpu && n->has_memory) {
            denied[n->id] = 1, nd++;
        } else if (n->has_cpu && n->has_memory && n->ncpus_allowed == 0) {
            nocpu[n->id] = 1, nc++;
        }
    }
    char list[96];
    if (nm) {
        svc->format_list(memonly, MB_MAX_NODES, list, sizeof list);
        append(buf, size, "; memory-only node%s %s%s%s%s (never CPU devices)", nm > 1 ? "s" : "",
               list, named[0] ? " (" : "", named, named[0] ? ")" : "");
    }
    if (nd) {
        svc->format_list(denied, MB_MAX_NODES, list, sizeof list);
        append(buf, size, "; node%s %s left out by the cpuset (%s)", nd > 1 ? "s" : "", list,
               t->mems_from);
    }
    if (nc) {
        svc->format_list(nocpu, MB_MAX_NODES, list, sizeof list);
        append(buf, size, "; node%s %s left out: none of %s CPUs is in this process's affinity "
                          "(Cpus_allowed_list)", nc > 1 ? "s" : "", list, nc > 1 ? "their" : "its");
    }
}

static int cpu_probe(const mb_platform *plat, const mb_backend_services *services, void **state,
                     mb_probe_result *res)
{
    svc = services;
    *state = NULL;
    if (svc->version < 2) {
        res->state = MB_PROBE_BROKEN;
        snprintf(res->reason, sizeof res->reason, "the library's services table is version %u; "
                 "this backend needs 2", svc->version);
        return MB_OK;
    }
    const mb_topology *t;
    int rc = svc->topology_get(plat, &t);
    if (rc) {
        if (rc == MB_ENOMEM)
            return rc;
        res->state = MB_PROBE_BROKEN;
        snprintf(res->reason, sizeof res->reason, "%s", svc->detail());
        return MB_OK;
    }
    /* A device per node with online CPUs and memory that the cpuset allows. */
    int count = 0;
    int64_t node_sum = 0;
    for (int i = 0; i < t->nnodes; i++) {
        const mb_topo_node *n = &t->nodes[i];
        count += mb__topo_is_device(n);
        node_sum += n->total; /* every node's memory is in /proc/meminfo's MemTotal */
    }
    cpu_state *s = svc->calloc(1, sizeof *s + (size_t)(count ? count : 1) * sizeof(cpu_node));
    if (!s)
        return svc->error(MB_ENOMEM, "cpu probe: out of memory");
    s->plat = plat;
    for (int i = 0; i < (count ? count : 1); i++)
        s->nodes[i].fd = -1;
    mb_host_memory host = {0, 0, 0};
    int have_host = 0;
    if ((rc = svc->host_memory_if(plat, &host, &have_host)))
        goto fail_state;
    s->host_total = host.total;
    /* the kept /proc/meminfo descriptor and the cgroup's files, so that snapshots only read;
     * a malformed cgroup or mount file leaves the backend broken, the reason naming it */
    if ((rc = svc->host_prepare(plat)))
        goto fail_state;
    for (int i = 0, k = 0; i < t->nnodes && k < count; i++) {
        const mb_topo_node *n = &t->nodes[i];
        if (!mb__topo_is_device(n))
            continue;
        cpu_node *nd = &s->nodes[k++];
        nd->node = n->id;
        nd->total = n->total;
        snprintf(nd->path, sizeof nd->path, "%s", n->meminfo);
        s->n = k;
        nd->fd = svc->open_file(plat, nd->path);
        if (nd->fd < 0) {
            rc = nd->fd;
            goto fail_state;
        }
    }
    if (t->nnodes == 0) {
        if (!have_host) {
            cpu_shutdown(s);
            res->state = MB_PROBE_BROKEN;
            snprintf(res->reason, sizeof res->reason,
                     "neither %s/sys/devices/system/node nor %s/proc/meminfo can be read",
                     svc->foreign(plat) ? svc->root(plat) : "", svc->foreign(plat) ? svc->root(plat) : "");
            return MB_OK;
        }
        s->n = 1;
        s->host_mode = 1;
        s->nodes[0].node = 0;
        snprintf(res->reason, sizeof res->reason,
                 "no NUMA node files; cpu:0 is the host from /proc/meminfo");
    } else if (count == 0) {
        if (!have_host) {
            cpu_shutdown(s);
            res->state = MB_PROBE_ABSENT;
            snprintf(res->reason, sizeof res->reason,
                     "no NUMA node has online CPUs and memory that this process may use");
            describe_others(t, res->reason, sizeof res->reason);
            return MB_OK;
        }
        /* the process runs somewhere: the host's memory is what it can have */
        s->n = 1;
        s->host_mode = 1;
        s->nodes[0].node = 0;
        snprintf(res->reason, sizeof res->reason,
                 "no NUMA node has online CPUs and memory that this process may use; cpu:0 "
                 "is the host from /proc/meminfo");
    } else if (have_host && (double)node_sum < 0.9 * (double)host.total) {
        s->partial = 1;
        char a[48], b[48];
        svc->format_gib(node_sum, a, sizeof a);
        svc->format_gib(host.total, b, sizeof b);
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
    if (t->nnodes)
        describe_others(t, res->reason, sizeof res->reason);
    /* allocations are bound to a node only when the device is that node: never for the
     * host device (no nodes, none usable, or one node covering under 90% of the host) */
    s->numa = t->nnodes > 0 && !s->host_mode;
    res->state = MB_PROBE_PRESENT;
    *state = s;
    return MB_OK;

fail_state:
    cpu_shutdown(s);
    if (rc == MB_ENOMEM)
        return rc;
    res->state = MB_PROBE_BROKEN;
    snprintf(res->reason, sizeof res->reason, "%s", svc->detail());
    return MB_OK;
}

static int cpu_device_count(void *st) { return ((cpu_state *)st)->n; }

static int cpu_device_info(void *st, int i, mb_backend_device *out)
{
    cpu_state *s = st;
    if (i < 0 || i >= s->n)
        return svc->error(MB_ENODEV, "cpu device %d does not exist", i);
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
        return svc->error(MB_ENODEV, "cpu device %d does not exist", i);
    int rc;
    if (s->host_mode) {
        mb_host_memory h;
        if ((rc = svc->host_memory(s->plat, &h)))
            return rc;
        out->total = h.total;
        out->free = h.available; /* MemFree on kernels before 3.14 */
        out->source = MB_SOURCE_PROC_MEMINFO;
        if (s->partial)
            out->flags |= MB_SNAP_HOST_FALLBACK;
    } else {
        cpu_node *nd = &s->nodes[i];
        char buf[MB_NODE_MEMINFO_MAX];
        long n = svc->pread_file(nd->fd, nd->path, buf, sizeof buf);
        if (n < 0)
            return (int)n;
        if ((rc = svc->node_meminfo_parse(buf, nd->path, &out->free, &out->total)))
            return rc;
        out->source = MB_SOURCE_NODE_MEMINFO;
        if (s->partial)
            out->flags |= MB_SNAP_HOST_FALLBACK;
    }
    return svc->container_bound(s->plat, out);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14, include/uapi/asm-generic/mman-common.h */
#endif

/* Maps bytes for device i. With libnuma the range is bound to the device's node
 * (mbind MPOL_BIND, the strict policy vLLM's CPU worker sets with numa_set_membind) before
 * its pages are faulted in, so every page lands on that node; the pages are then populated
 * (MADV_POPULATE_WRITE, or a write per page on kernels before 5.14) so that the memory is
 * really taken when the tracker counts it. Without NUMA node files (cpu:0 is the host) or
 * without libnuma the kernel's first-touch placement applies. */
static int cpu_alloc(void *st, int i, size_t bytes, void **ptr)
{
    cpu_state *s = st;
    if (svc->foreign(s->plat))
        return svc->error(MB_EFOREIGN, "cannot allocate on a machine dump (%s)", svc->root(s->plat));
    int node = s->nodes[i].node;
#ifdef MEMBUDGET_HAVE_NUMA
    if (s->numa) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return svc->error(MB_ENOMEM, "cpu:%d: cannot map %zu bytes: %s", node, bytes,
                             strerror(errno));
        unsigned long mask[MB_MAX_NODES / (8 * sizeof(unsigned long))];
        memset(mask, 0, sizeof mask);
        mask[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
        if (mbind(p, bytes, MPOL_BIND, mask, (unsigned long)node + 2, 0) != 0) {
            int e = errno;
            munmap(p, bytes);
            return svc->error(MB_EBACKEND, "cpu:%d: mbind(MPOL_BIND, node %d) of %zu bytes "
                                          "failed: %s; is node %d in this process's cpuset?",
                             node, node, bytes, strerror(e), node);
        }
        if (madvise(p, bytes, MADV_POPULATE_WRITE) != 0) {
            int e = errno;
            if (e != EINVAL) {
                munmap(p, bytes);
                return svc->error(MB_ENOMEM, "cpu:%d: cannot fault in %zu bytes on node %d: "
                                            "%s", node, bytes, node, strerror(e));
            }
            long page = sysconf(_SC_PAGESIZE);
            for (size_t off = 0; off < bytes; off += (size_t)page)
                ((volatile char *)p)[off] = 0;
        }
        *ptr = p;
        return MB_OK;
    }
#endif
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
        return svc->error(MB_ENOMEM, "cpu:%d: cannot map %zu bytes: %s", node, bytes,
                         strerror(errno));
    *ptr = p;
    return MB_OK;
}

static int cpu_free(void *st, int i, void *ptr, size_t bytes, int *freed)
{
    (void)st, (void)i;
    *freed = 0;
    if (munmap(ptr, bytes) != 0)
        return svc->error(MB_EINVAL, "munmap(%p, %zu) failed: %s", ptr, bytes, strerror(errno));
    *freed = 1;
    return MB_OK;
}

/* backends/cpu/cpu_procs.c (issue 18) */
int mb__cpu_processes(const mb_platform *plat, int node,
                      int (*add)(void *sink, const mb_process *p), void *sink);

static int cpu_processes(void *st, int i, const mb_device_info *dev,
                         int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                         size_t why_size)
{
    (void)i, (void)why, (void)why_size;
    cpu_state *s = st;
    return mb__cpu_processes(s->plat, dev->index, add, sink);
}

/* The host services' files (memory, nodes, CPU lists, cgroups, cpusets, hwloc.xml). */
static int cpu_files(const mb_platform *plat, const mb_backend_services *services,
                     int (*each)(void *user, const char *path), void *user)
{
    svc = services;
    return svc->host_files(plat, each, user);
}

const struct mb_backend_ops mb__backend_cpu = {
    .version = MB_BACKEND_VERSION,
    .name = "cpu",
    .platform_name = "cpu",
    .probe = cpu_probe,
    .device_count = cpu_device_count,
    .device_info = cpu_device_info,
    .mem_info = cpu_mem_info,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .shutdown = cpu_shutdown,
    .processes = cpu_processes,
    .files = cpu_files,
};
