/*
 * core/process.c: mb_process_list_get (issue 18): asks each device's backend for the
 * processes using it (NVML, KFD and fdinfo, numa_maps) and completes every entry from
 * /proc: the PID in this namespace, the PID inside the process's own container (NSpid),
 * its name and command line and resident size. What cannot be read is kept with a note,
 * never dropped and never turned into a zero.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "../platform/proc.h"

struct mb_process_list {
    mb_process *items;
    int n, cap;
    int ndev;
    char (*why)[MB_REASON_MAX];
};

typedef struct sink {
    mb_context *ctx;
    mb_process_list *l;
    const char *device;
    int host_ns;
} sink;

const char *mb_process_source_name(int32_t s)
{
    switch (s) {
    case MB_PROC_SOURCE_NVML_COMPUTE:
        return "nvml-compute";
    case MB_PROC_SOURCE_NVML_GRAPHICS:
        return "nvml-graphics";
    case MB_PROC_SOURCE_KFD:
        return "kfd";
    case MB_PROC_SOURCE_DRM_FDINFO:
        return "drm-fdinfo";
    case MB_PROC_SOURCE_NUMA_MAPS:
        return "numa-maps";
    case MB_PROC_SOURCE_PROC_STATUS:
        return "proc-status";
    case MB_PROC_SOURCE_NONE:
        return "none";
    default:
        return "unknown";
    }
}

/* Sources whose PIDs are the initial namespace's rather than /proc's. */
static int driver_pid(int32_t s)
{
    return s == MB_PROC_SOURCE_NVML_COMPUTE || s == MB_PROC_SOURCE_NVML_GRAPHICS ||
           s == MB_PROC_SOURCE_KFD;
}

static int add(void *user, const mb_process *in)
{
    sink *k = user;
    mb_process_list *l = k->l;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        mb_process *p = mb__calloc((size_t)cap, sizeof *p);
        if (!p)
            return mb__error(MB_ENOMEM, "no memory for %d process entries", cap);
        if (l->n)
            memcpy(p, l->items, (size_t)l->n * sizeof *p);
        mb__free(l->items);
        l->items = p;
        l->cap = cap;
    }
    mb_process p = *in;
    p.size = sizeof p;
    snprintf(p.device, sizeof p.device, "%s", k->device);
    p.pid = 0;
    p.ns_pid = 0;
    p.host_bytes = MB_UNKNOWN;
    p.readable = 0;
    if (driver_pid(p.source) && !k->host_ns) {
        /* NVML and KFD speak the host's PIDs; from inside a PID namespace they name
         * processes this /proc does not show (or shows under other numbers) */
        if (!p.note[0])
            snprintf(p.note, sizeof p.note, "PID %lld is the host's; this process runs in "
                     "another PID namespace and cannot see it", (long long)p.source_pid);
    } else {
        mb_proc_info info;
        int rc = mb__proc_info(&k->ctx->plat, (long)p.source_pid, &info);
        if (rc == MB_OK) {
            p.pid = info.pid;
            p.ns_pid = info.ns_pid;
            snprintf(p.name, sizeof p.name, "%s", info.name);
            snprintf(p.cmdline, sizeof p.cmdline, "%s", info.cmdline);
            p.host_bytes = info.rss;
            /* a /proc source with no figure could not read its file (the note says which);
             * a driver's "not available" is the driver's, not a read failure */
            p.readable = driver_pid(p.source) || p.bytes != MB_UNKNOWN;
        } else if (!p.note[0]) {
            snprintf(p.note, sizeof p.note, "%s",
                     rc == MB_ENODEV ? "the process is gone (or not in this /proc)"
                                     : mb_error_detail());
        }
    }
    l->items[l->n++] = p;
    return 0;
}

/* An integrated device whose driver gives no per-process figure (Jetson has no NVML; GB10's
 * may answer NOT_SUPPORTED): the processes holding its device nodes open, each with its
 * resident host memory (VmRSS), which on a shared pool is an upper bound of what it holds
 * through the GPU and more (its CPU-side memory too). */
typedef struct uma_walk {
    sink *k;
    const char *const *prefixes;
    int unreadable;
    int found;
} uma_walk;

static int uma_one(void *user, long pid)
{
    uma_walk *u = user;
    char node[256];
    int held = mb__proc_holds(&u->k->ctx->plat, pid, u->prefixes, node, sizeof node);
    if (held < 0) {
        u->unreadable++;
        return 0;
    }
    if (!held)
        return 0;
    mb_process p;
    memset(&p, 0, sizeof p);
    p.source = MB_PROC_SOURCE_PROC_STATUS;
    p.source_pid = pid;
    p.gtt_bytes = MB_UNKNOWN;
    p.gpu_instance = p.compute_instance = MB_PROC_NO_INSTANCE;
    mb_proc_info info;
    p.bytes = mb__proc_info(&u->k->ctx->plat, pid, &info) == MB_OK ? info.rss : MB_UNKNOWN;
    snprintf(p.note, sizeof p.note, "holds %.100s open; on shared memory its VmRSS is an upper "
             "bound of what it holds", node);
    u->found++;
    return add(u->k, &p);
}

static int uma_fallback(sink *k, const mb_device_entry *e, char *why, size_t why_size)
{
    static const char *const nvidia[] = {"/dev/nvidia", "/dev/nvgpu/", "/dev/nvhost-",
                                         "/dev/nvmap", NULL};
    static const char *const amd[] = {"/dev/kfd", "/dev/dri/renderD", NULL};
    uma_walk u = {k, strcmp(e->info.backend, "hip") == 0 ? amd : nvidia, 0, 0};
    int rc = mb__proc_each_pid(&k->ctx->plat, uma_one, &u);
    if (rc)
        return rc;
    size_t l = strlen(why);
    snprintf(why + l, why_size - l, "; integrated: %d processes holding the GPU's device nodes "
             "listed by VmRSS%s", u.found,
             u.unreadable ? " (others' descriptors need root to be read)" : "");
    return MB_OK;
}

MB__API(mb_process_list_init, (mb_process_list **out, mb_context *ctx, int device),
        (out, ctx, device))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_process_list_init: out is NULL");
    *out = NULL;
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_process_list_init: ctx is NULL");
    int n = mb_device_count(ctx);
    if (n < 0)
        return n;
    if (device < -1 || device >= n)
        return mb__error(MB_ENODEV, "device %d does not exist (%d devices; -1 for all)",
                         device, n);
    mb_process_list *l = mb__calloc(1, sizeof *l);
    if (!l)
        return mb__error(MB_ENOMEM, "no memory for a process list");
    l->ndev = n;
    l->why = mb__calloc((size_t)(n ? n : 1), sizeof *l->why);
    if (!l->why) {
        mb__free(l);
        return mb__error(MB_ENOMEM, "no memory for a process list");
    }
    sink k = {ctx, l, "", mb__proc_host_namespace(&ctx->plat)};
    int rc = MB_OK;
    for (int d = device < 0 ? 0 : device; d < (device < 0 ? n : device + 1); d++) {
        mb_device_entry *e;
        if ((rc = mb__device_entry(ctx, d, &e)))
            break;
        k.device = e->info.name;
        rc = mb__vt_processes(e->backend, e->local, &e->info, add, &k, l->why[d],
                              sizeof l->why[d]);
        if (rc == MB_ENOTSUP && e->info.integrated)
            rc = uma_fallback(&k, e, l->why[d], sizeof l->why[d]);
        if (rc == MB_ENOTSUP) {
            rc = MB_OK;
            continue;
        }
        if (rc)
            break;
    }
    if (rc) {
        mb_process_list_free(l);
        return rc;
    }
    *out = l;
    return MB_OK;
}

int mb_process_list_count(const mb_process_list *l) { return l ? l->n : 0; }

const mb_process *mb_process_list_get_entry(const mb_process_list *l, int i)
{
    return l && i >= 0 && i < l->n ? &l->items[i] : NULL;
}

const char *mb_process_list_get_why(const mb_process_list *l, int device)
{
    return l && device >= 0 && device < l->ndev ? l->why[device] : "";
}

void mb_process_list_free(mb_process_list *l)
{
    if (!l)
        return;
    mb__free(l->items);
    mb__free(l->why);
    mb__free(l);
}

MB__API(mb_process_list_files, (mb_context *ctx, int (*each)(void *user, const char *path),
                                void *user),
        (ctx, each, user))
{
    if (!ctx || !each)
        return mb__error(MB_EINVAL, "mb_process_list_files: ctx or each is NULL");
    return mb__proc_files(&ctx->plat, each, user);
}
