/*
 * backends/cuda/cuda_memory.c: the per-snapshot half of the CUDA backend: free memory
 * (the caller's context, NVML, the retained primary context, in that order), the UMA
 * policy and hugetlb pool of integrated devices, synchronize, allocate and free. The
 * order of the free-memory sources and their costs are in cuda.c's header and
 * docs/cuda.md.
 */
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cuda.h>

#include "cuda_internal.h"

/* ---- contexts ------------------------------------------------------------------------- */

/* Whether the calling thread's current context lives on d (*yes), naming the failed call
 * otherwise. */
static int current_is(cuda_state *s, cuda_dev *d, int *yes)
{
    *yes = 0;
    CUcontext cur = NULL;
    CUresult r = s->cu.cuCtxGetCurrent(&cur);
    if (r)
        return mb__cuda_fail(s, d, "cuCtxGetCurrent", r);
    if (!cur)
        return MB_OK;
    CUdevice cd = -1;
    if ((r = s->cu.cuCtxGetDevice(&cd)))
        return mb__cuda_fail(s, d, "cuCtxGetDevice", r);
    *yes = cd == d->dev;
    return MB_OK;
}

/* Retains d's primary context once (kept until shutdown) and pushes it on the calling
 * thread's stack. Pair with pop_primary. */
static int push_primary(cuda_state *s, cuda_dev *d)
{
    pthread_mutex_lock(&s->lock);
    CUcontext ctx = d->primary;
    CUresult r = CUDA_SUCCESS;
    if (!ctx) {
        r = s->cu.cuDevicePrimaryCtxRetain(&ctx, d->dev);
        if (r == CUDA_SUCCESS)
            d->primary = ctx;
    }
    pthread_mutex_unlock(&s->lock);
    if (r)
        return mb__cuda_fail(s, d, "cuDevicePrimaryCtxRetain", r);
    if ((r = s->cu.cuCtxPushCurrent_v2(ctx)))
        return mb__cuda_fail(s, d, "cuCtxPushCurrent_v2", r);
    return MB_OK;
}

/* Pops what push_primary pushed. rc is the result of the work done in between: it wins
 * over a failed pop, whose detail is then appended. */
static int pop_primary(cuda_state *s, cuda_dev *d, int rc)
{
    CUcontext popped = NULL;
    CUresult r = s->cu.cuCtxPopCurrent_v2(&popped);
    if (r == CUDA_SUCCESS && popped == d->primary)
        return rc;
    if (rc) {
        char first[512];
        snprintf(first, sizeof first, "%s", svc->detail());
        char what[192];
        mb__cuda_describe(&s->cu, r, what, sizeof what);
        return svc->error(rc, "%s; then cuCtxPopCurrent_v2 failed: %s", first, what);
    }
    if (r)
        return mb__cuda_fail(s, d, "cuCtxPopCurrent_v2", r);
    return svc->error(MB_EBACKEND, "cuda:%d: cuCtxPopCurrent_v2 popped another context than "
                                  "the primary context membudget pushed; the caller changed "
                                  "the context stack from another library call", d->ordinal);
}

/* ---- free memory ---------------------------------------------------------------------- */

/* Initialises NVML and joins its devices to ours, once. Failures are not errors: the
 * snapshot falls back to a context. Under s->lock. */
static void nvml_init_locked(cuda_state *s)
{
    if (s->nvml_init != NVML_UNTRIED)
        return;
    s->nvml_init = NVML_UNUSABLE;
    if (!s->nvml_loaded || s->nv.nvmlInit_v2() != NVML_SUCCESS)
        return;
    s->nvml_init = NVML_READY;
    for (int i = 0; i < s->n; i++) {
        cuda_dev *d = &s->devs[i];
        nvmlDevice_t h = NULL;
        if (s->nv.nvmlDeviceGetHandleByUUID(d->uuid, &h) != NVML_SUCCESS || !h) {
            h = NULL;
            /* a MIG device: its own handle, never its parent's found by PCI id */
            if (d->visible[0])
                (void)mb__cuda_mig_join(s, d, &h);
            else if (s->nv.nvmlDeviceGetHandleByPciBusId_v2(d->pci, &h) != NVML_SUCCESS)
                h = NULL;
        }
        d->nvml = h;
        d->nvml_state = h ? NVML_READY : NVML_UNUSABLE;
    }
}

/* NVML's free for d: 1 when it answered (*free set), 0 when the caller must fall back. */
static int nvml_free(cuda_state *s, cuda_dev *d, int64_t *free_out)
{
    pthread_mutex_lock(&s->lock);
    nvml_init_locked(s);
    nvmlDevice_t h = d->nvml_state == NVML_READY ? d->nvml : NULL;
    pthread_mutex_unlock(&s->lock);
    if (!h)
        return 0;
    nvmlMemory_t m;
    memset(&m, 0, sizeof m);
    nvmlReturn_t r = s->nv.nvmlDeviceGetMemoryInfo(h, &m);
    int keep = 1;
    if (r == NVML_ERROR_NOT_SUPPORTED) /* GB10 answers so: never ask again */
        keep = 0;
    else if (r == NVML_SUCCESS) {
        /* NVML's total counts memory the driver reserves, which CUDA's total leaves out; a
         * total off by more than 1/16 means the join matched the wrong thing (a MIG slice
         * joined by PCI id to its whole GPU). */
        int64_t nt = (int64_t)m.total, slack = d->total / 16;
        if (m.total > (unsigned long long)INT64_MAX || nt < d->total - slack ||
            nt > d->total + slack)
            keep = 0;
    }
    if (!keep) {
        pthread_mutex_lock(&s->lock);
        d->nvml_state = NVML_UNUSABLE;
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    if (r != NVML_SUCCESS)
        return 0; /* transient: the context path answers this time */
    /* NVML's v1 free is total - (reserved + allocated), and CUDA's total leaves the
     * reserved part out, so NVML's free is comparable with cuMemGetInfo's; the total stays
     * CUDA's, so device used does not move between sources (a free above it is clamped
     * and flagged by the caller). */
    *free_out = m.free > (unsigned long long)INT64_MAX ? INT64_MAX : (int64_t)m.free;
    return 1;
}

/* The driver's free for d, from the first source that answers (see the file comment).
 * Without may_retain the primary context is never touched: *src stays MB_SOURCE_NONE and
 * *free_out MB_UNKNOWN when neither a current context nor NVML answers. */
static int driver_free(cuda_state *s, cuda_dev *d, int may_retain, int64_t *free_out,
                       mb_source *src)
{
    *free_out = 0;
    *src = MB_SOURCE_NONE;
    int here = 0;
    int rc = current_is(s, d, &here);
    if (rc)
        return rc;
    size_t f = 0, t = 0;
    CUresult r;
    if (here) {
        if ((r = s->cu.cuMemGetInfo_v2(&f, &t)))
            return mb__cuda_fail(s, d, "cuMemGetInfo_v2", r);
        *free_out = f > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f;
        *src = MB_SOURCE_CUDA_CURRENT_CONTEXT;
        return MB_OK;
    }
    if (nvml_free(s, d, free_out)) {
        *src = MB_SOURCE_NVML;
        return MB_OK;
    }
    if (!may_retain) {
        *free_out = MB_UNKNOWN;
        return MB_OK;
    }
    if ((rc = push_primary(s, d)))
        return rc;
    if ((r = s->cu.cuMemGetInfo_v2(&f, &t)))
        rc = mb__cuda_fail(s, d, "cuMemGetInfo_v2", r);
    rc = pop_primary(s, d, rc);
    if (rc)
        return rc;
    *free_out = f > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f;
    *src = MB_SOURCE_CUDA_PRIMARY_CONTEXT;
    return MB_OK;
}

static int discrete_mem_info(cuda_state *s, cuda_dev *d, mb_meminfo *out)
{
    int64_t f;
    mb_source src;
    int rc = driver_free(s, d, 1, &f, &src);
    if (rc)
        return rc;
    out->total = d->total;
    out->source = src;
    if (f < 0)
        f = 0;
    if (f > d->total) {
        f = d->total;
        out->flags |= MB_SNAP_CLAMPED;
    }
    out->free = f;
    return MB_OK;
}

/* Opens the per-size pool counts once (probe), so that a snapshot reads a few bytes per
 * page size instead of all of /proc/meminfo (about 2 us against 17 us per read on the
 * development VM, python3 os.pread loop, 2026-11-23). Without the sysfs folder (old
 * kernels, machine dumps) snapshots read /proc/meminfo on the platform's kept descriptor. */
void mb__cuda_huge_open(const mb_platform *plat, huge_pools *h)
{
    memset(h, 0, sizeof *h);
    static const char dir[] = "/sys/kernel/mm/hugepages";
    int dfd;
    if (svc->open_if(plat, dir, &dfd) <= 0)
        return; /* absent (old kernels, dumps) or unreadable: /proc/meminfo then */
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    int ok = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned long kb = 0;
        char tail[4] = "";
        if (sscanf(e->d_name, "hugepages-%lu%3s", &kb, tail) != 2 || strcmp(tail, "kB") != 0 ||
            kb == 0)
            continue;
        char path[128];
        snprintf(path, sizeof path, "%s/%s/nr_hugepages", dir, e->d_name);
        int fd = h->n < HUGE_SIZES_MAX ? svc->open_file(plat, path) : -1;
        if (fd < 0) {
            ok = 0;
            break;
        }
        h->fd[h->n] = fd;
        h->page[h->n] = (int64_t)kb * 1024;
        h->n++;
    }
    closedir(d);
    if (!ok) { /* fall back to /proc/meminfo rather than miss a size */
        for (int i = 0; i < h->n; i++)
            close(h->fd[i]);
        memset(h, 0, sizeof *h);
        return;
    }
    h->sysfs = 1;
}

/* Bytes held by the hugetlb pools: the sysfs counts, else /proc/meminfo ("Hugetlb:", every
 * page size, else HugePages_Total x Hugepagesize); 0 when none. */
static int hugetlb_pool(const mb_platform *plat, const huge_pools *h, int64_t *pool)
{
    *pool = 0;
    if (h->sysfs) {
        for (int i = 0; i < h->n; i++) {
            char buf[32];
            long n = svc->pread_file(h->fd[i], "/sys/kernel/mm/hugepages/*/nr_hugepages", buf,
                                    sizeof buf);
            if (n < 0)
                return (int)n;
            char *end;
            long long c = strtoll(buf, &end, 10);
            if (end == buf || c < 0)
                return svc->error(MB_EPARSE, "/sys/kernel/mm/hugepages: nr_hugepages '%.20s' is "
                                            "not a count", buf);
            if (c > 0 && c <= (INT64_MAX - *pool) / h->page[i])
                *pool += c * h->page[i];
        }
        return MB_OK;
    }
    char buf[PROC_MEMINFO_MAX];
    long n = svc->meminfo_read(plat, buf, sizeof buf); /* the platform's kept descriptor */
    if (n < 0)
        return (int)n;
    int64_t all, count, size;
    int rc;
    if ((rc = svc->meminfo_value(buf, "Hugetlb", &all)) ||
        (rc = svc->meminfo_value(buf, "HugePages_Total", &count)) ||
        (rc = svc->meminfo_value(buf, "Hugepagesize", &size)))
        return rc;
    if (all != MB_UNKNOWN && all > 0)
        *pool = all;
    else if (count != MB_UNKNOWN && size != MB_UNKNOWN && count > 0 && size > 0 &&
             count <= INT64_MAX / size)
        *pool = count * size;
    return MB_OK;
}

static int uma_mem_info(cuda_state *s, cuda_dev *d, mb_meminfo *out)
{
    int64_t f;
    mb_source src;
    int rc = driver_free(s, d, 0, &f, &src);
    if (rc)
        return rc;
    if ((rc = svc->uma_meminfo(s->plat, f, d->total, out)))
        return rc;
    int64_t pool;
    if ((rc = hugetlb_pool(s->plat, &s->huge, &pool)))
        return rc;
    if (pool > 0) {
        int64_t cap = out->total - pool;
        if (cap < 0)
            cap = 0;
        if (out->free > cap)
            out->free = cap;
    }
    return MB_OK;
}

const cuda_dev_ops mb__cuda_discrete_ops = {"cuda", discrete_mem_info};
const cuda_dev_ops mb__cuda_uma_ops = {"cuda-uma", uma_mem_info};

int mb__cuda_mem_info(void *st, int i, mb_meminfo *out)
{
    cuda_dev *d = mb__cuda_dev_at(st, i);
    if (!d)
        return MB_ENODEV;
    return d->ops->mem_info(st, d, out);
}

/* ---- synchronize, allocate, free ------------------------------------------------------ */

int mb__cuda_synchronize(void *st, int i)
{
    cuda_state *s = st;
    cuda_dev *d = mb__cuda_dev_at(s, i);
    if (!d)
        return MB_ENODEV;
    if (s->dump)
        return MB_OK; /* a dump's device runs nothing */
    int here = 0, rc = current_is(s, d, &here);
    if (rc)
        return rc;
    CUresult r;
    if (here)
        return (r = s->cu.cuCtxSynchronize()) ? mb__cuda_fail(s, d, "cuCtxSynchronize", r) : MB_OK;
    if ((rc = push_primary(s, d)))
        return rc;
    if ((r = s->cu.cuCtxSynchronize()))
        rc = mb__cuda_fail(s, d, "cuCtxSynchronize", r);
    return pop_primary(s, d, rc);
}

int mb__cuda_alloc(void *st, int i, size_t bytes, void **ptr)
{
    cuda_state *s = st;
    cuda_dev *d = mb__cuda_dev_at(s, i);
    if (!d)
        return MB_ENODEV;
    if (svc->foreign(s->plat))
        return svc->error(MB_EFOREIGN, "cuda:%d: cannot allocate while reading the machine dump "
                                      "%s; unset MEMBUDGET_SYSROOT", i, svc->root(s->plat));
    int rc = push_primary(s, d);
    if (rc)
        return rc;
    CUdeviceptr p = 0;
    CUresult r = s->cu.cuMemAlloc_v2(&p, bytes);
    if (r)
        rc = mb__cuda_fail(s, d, "cuMemAlloc_v2", r);
    else if (!p)
        rc = svc->error(MB_EBACKEND, "cuda:%d: cuMemAlloc_v2 returned a null pointer for %zu "
                                    "bytes", i, bytes);
    rc = pop_primary(s, d, rc);
    if (rc) {
        if (r == CUDA_SUCCESS && p) /* the pop failed: give the memory back */
            (void)s->cu.cuMemFree_v2(p);
        return rc;
    }
    *ptr = (void *)(uintptr_t)p;
    return MB_OK;
}

int mb__cuda_free(void *st, int i, void *ptr, size_t bytes, int *freed)
{
    (void)bytes;
    *freed = 0;
    cuda_state *s = st;
    cuda_dev *d = mb__cuda_dev_at(s, i);
    if (!d)
        return MB_ENODEV;
    int rc = push_primary(s, d);
    if (rc)
        return rc;
    CUresult r = s->cu.cuMemFree_v2((CUdeviceptr)(uintptr_t)ptr);
    if (r)
        rc = mb__cuda_fail(s, d, "cuMemFree_v2", r);
    else
        *freed = 1; /* whatever the pop below says */
    return pop_primary(s, d, rc);
}
