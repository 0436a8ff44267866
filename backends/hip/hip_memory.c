/*
 * backends/hip/hip_memory.c: the per-snapshot half of the HIP backend: free memory
 * (hipMemGetInfo on the device, the UMA policy on APUs, sysfs on a dump), shared memory
 * per block, synchronize, allocate and free; and the runtime's errors in words, which
 * the probe in hip.c also uses.
 */
#include <stdio.h>
#include <string.h>

#include "hip_state.h"

static const char *hip_err_name(hipError_t e)
{
    switch (e) {
    case hipSuccess:
        return "hipSuccess";
    case hipErrorInvalidValue:
        return "hipErrorInvalidValue";
    case hipErrorOutOfMemory:
        return "hipErrorOutOfMemory";
    case hipErrorNotInitialized:
        return "hipErrorNotInitialized";
    case hipErrorInsufficientDriver:
        return "hipErrorInsufficientDriver";
    case hipErrorNoDevice:
        return "hipErrorNoDevice";
    case hipErrorInvalidDevice:
        return "hipErrorInvalidDevice";
    case hipErrorNoBinaryForGpu:
        return "hipErrorNoBinaryForGpu";
    case hipErrorInvalidContext:
        return "hipErrorInvalidContext";
    case hipErrorNotSupported:
        return "hipErrorNotSupported";
    case hipErrorUnknown:
        return "hipErrorUnknown";
    default:
        return "hipError";
    }
}

/* The error as "hipErrorNoDevice (100)". */
const char *mb__hip_err(hipError_t e, char *buf, size_t size)
{
    snprintf(buf, size, "%s (%d)", hip_err_name(e), (int)e);
    return buf;
}

int64_t mb__hip_i64(size_t v) { return v > (size_t)INT64_MAX ? INT64_MAX : (int64_t)v; }

int mb__hip_check_dev(hip_state *s, int i)
{
    if (i < 0 || i >= s->n)
        return svc->error(MB_ENODEV, "hip device %d does not exist (this machine has %d)", i,
                         s->n);
    return MB_OK;
}

/* Makes device i current for one call: *prev receives the caller's current device (to
 * give back to leave_device). Names the call and the caller's purpose on failure. */
static int enter_device(hip_state *s, int i, const char *what, int *prev)
{
    char eb[64];
    hipError_t e = s->api.p_hipGetDevice(prev);
    if (e != hipSuccess)
        return svc->error(MB_EBACKEND, "hip:%d: hipGetDevice failed before %s: %s", i, what,
                         mb__hip_err(e, eb, sizeof eb));
    if (*prev == i)
        return MB_OK;
    e = s->api.p_hipSetDevice(i);
    if (e == hipSuccess)
        return MB_OK;
    return svc->error(MB_EBACKEND, "hip:%d: hipSetDevice failed before %s: %s", i, what,
                     mb__hip_err(e, eb, sizeof eb));
}

/* Gives the caller its current device back after a call on device i. */
static int leave_device(hip_state *s, int i, int prev, const char *what)
{
    if (prev == i)
        return MB_OK;
    hipError_t e = s->api.p_hipSetDevice(prev);
    if (e == hipSuccess)
        return MB_OK;
    char eb[64];
    return svc->error(MB_EBACKEND, "hip:%d: hipSetDevice(%d) failed restoring the caller's "
                                  "device after %s: %s", i, prev, what, mb__hip_err(e, eb, sizeof eb));
}

/* The APU policy: free = min(driver free, UMA free), everything clamped to total. */
static int apu_meminfo(hip_state *s, int64_t driver_free, int64_t driver_total,
                       mb_meminfo *out)
{
    int rc = svc->uma_meminfo(s->plat, driver_free, driver_total, out);
    if (rc)
        return rc;
    int64_t df = driver_free;
    if (df > out->total) {
        df = out->total;
        out->flags |= MB_SNAP_CLAMPED;
    }
    if (df < 0)
        df = 0;
    if (df < out->free)
        out->free = df;
    return MB_OK;
}

static int sysfs_meminfo(hip_state *s, int i, mb_meminfo *out)
{
    const mb_hip_card *c = &s->sysfs.cards[s->devs[i].card];
    int64_t vram_used, gtt_used;
    int rc;
    if ((rc = mb__hip_card_mem(s->plat, c, "vram_used", &vram_used)))
        return rc;
    if (c->vram_total == MB_UNKNOWN || vram_used == MB_UNKNOWN)
        return svc->error(MB_EIO, "hip:%d: %s/sys/class/drm/card%d/device has no "
                                 "mem_info_vram_total or mem_info_vram_used (amdgpu before "
                                 "Linux 4.10?)", i, svc->root(s->plat), c->card);
    int64_t vram_free = c->vram_total - vram_used;
    if (!s->devs[i].integrated) {
        out->total = c->vram_total;
        out->free = vram_free;
        out->source = MB_SOURCE_AMDGPU_SYSFS;
        if (out->free < 0) { /* used above total: nothing is free */
            out->free = 0;
            out->flags |= MB_SNAP_CLAMPED;
        }
        return MB_OK;
    }
    if ((rc = mb__hip_card_mem(s->plat, c, "gtt_used", &gtt_used)))
        return rc;
    int64_t gtt_free = c->gtt_total != MB_UNKNOWN && gtt_used != MB_UNKNOWN
                           ? c->gtt_total - gtt_used
                           : 0;
    return apu_meminfo(s, (vram_free > 0 ? vram_free : 0) + (gtt_free > 0 ? gtt_free : 0),
                       s->devs[i].total, out);
}

int mb__hip_mem_info(void *st, int i, mb_meminfo *out)
{
    hip_state *s = st;
    int rc = mb__hip_check_dev(s, i);
    if (rc)
        return rc;
    if (!s->runtime)
        return sysfs_meminfo(s, i, out);
    int prev;
    if ((rc = enter_device(s, i, "hipMemGetInfo", &prev)))
        return rc;
    size_t f = 0, t = 0;
    hipError_t e = s->api.p_hipMemGetInfo(&f, &t);
    if ((rc = leave_device(s, i, prev, "hipMemGetInfo")))
        return rc;
    if (e != hipSuccess) {
        char eb[64];
        return svc->error(MB_EBACKEND, "hip:%d: hipMemGetInfo failed: %s", i,
                         mb__hip_err(e, eb, sizeof eb));
    }
    int64_t free_b = mb__hip_i64(f), total_b = mb__hip_i64(t);
    if (s->devs[i].integrated)
        return apu_meminfo(s, free_b, total_b, out);
    out->total = total_b;
    out->free = free_b;
    out->source = MB_SOURCE_HIP;
    if (out->free > out->total) {
        out->free = out->total;
        out->flags |= MB_SNAP_CLAMPED;
    }
    return MB_OK;
}

int mb__hip_max_shared_memory(void *st, int i, int64_t *out)
{
    hip_state *s = st;
    int rc = mb__hip_check_dev(s, i);
    if (rc)
        return rc;
    if (!s->runtime)
        return svc->error(MB_ENOTSUP, "hip:%d comes from a machine dump's sysfs; shared memory "
                                     "per block needs the HIP runtime", i);
    char eb[64];
    int v = 0;
    /* The opt-in figure where the runtime gives one (the CLR runtime answers
     * sharedMemPerBlockOptin); a runtime that does not know the attribute answers
     * hipErrorInvalidValue or hipErrorNotSupported, or 0: then the plain figure, which is
     * what vLLM asks ROCm for (csrc/cuda_utils_kernels.cu, USE_ROCM branch). */
    hipError_t e = s->api.p_hipDeviceGetAttribute(&v, hipDeviceAttributeSharedMemPerBlockOptin,
                                                  i);
    if (e == hipSuccess && v > 0) {
        *out = v;
        return MB_OK;
    }
    if (e != hipSuccess && e != hipErrorInvalidValue && e != hipErrorNotSupported)
        return svc->error(MB_EBACKEND, "hip:%d: hipDeviceGetAttribute("
                                      "hipDeviceAttributeSharedMemPerBlockOptin) failed: %s",
                         i, mb__hip_err(e, eb, sizeof eb));
    v = 0;
    e = s->api.p_hipDeviceGetAttribute(&v, hipDeviceAttributeMaxSharedMemoryPerBlock, i);
    if (e != hipSuccess)
        return svc->error(MB_EBACKEND, "hip:%d: hipDeviceGetAttribute("
                                      "hipDeviceAttributeMaxSharedMemoryPerBlock) failed: %s",
                         i, mb__hip_err(e, eb, sizeof eb));
    *out = v;
    return MB_OK;
}

int mb__hip_synchronize(void *st, int i)
{
    hip_state *s = st;
    int rc = mb__hip_check_dev(s, i);
    if (rc || !s->runtime)
        return rc;
    int prev;
    if ((rc = enter_device(s, i, "hipDeviceSynchronize", &prev)))
        return rc;
    hipError_t e = s->api.p_hipDeviceSynchronize();
    if ((rc = leave_device(s, i, prev, "hipDeviceSynchronize")))
        return rc;
    if (e != hipSuccess) {
        char eb[64];
        return svc->error(MB_EBACKEND, "hip:%d: hipDeviceSynchronize failed: %s", i,
                         mb__hip_err(e, eb, sizeof eb));
    }
    return MB_OK;
}

int mb__hip_alloc(void *st, int i, size_t bytes, void **ptr)
{
    hip_state *s = st;
    int rc = mb__hip_check_dev(s, i);
    if (rc)
        return rc;
    if (svc->foreign(s->plat) || !s->runtime)
        return svc->error(MB_EFOREIGN, "hip:%d: cannot allocate on a machine dump (%s)", i,
                         svc->root(s->plat));
    int prev;
    if ((rc = enter_device(s, i, "hipMalloc", &prev)))
        return rc;
    void *p = NULL;
    hipError_t e = s->api.p_hipMalloc(&p, bytes);
    if ((rc = leave_device(s, i, prev, "hipMalloc"))) {
        if (e == hipSuccess && p && enter_device(s, i, "hipFree", &prev) == MB_OK) {
            s->api.p_hipFree(p); /* give the block back: the call as a whole failed */
            (void)leave_device(s, i, prev, "hipFree");
        }
        return rc;
    }
    if (e != hipSuccess || !p) {
        char eb[64];
        return svc->error(e == hipErrorOutOfMemory ? MB_ENOMEM : MB_EBACKEND,
                         "hip:%d: hipMalloc(%zu bytes) failed: %s", i, bytes,
                         mb__hip_err(e, eb, sizeof eb));
    }
    *ptr = p;
    return MB_OK;
}

int mb__hip_free(void *st, int i, void *ptr, size_t bytes, int *freed)
{
    *freed = 0;
    hip_state *s = st;
    int rc = mb__hip_check_dev(s, i);
    if (rc)
        return rc;
    if (!s->runtime)
        return svc->error(MB_EFOREIGN, "hip:%d: nothing was allocated on a machine dump", i);
    int prev;
    if ((rc = enter_device(s, i, "hipFree", &prev)))
        return rc;
    hipError_t e = s->api.p_hipFree(ptr);
    *freed = e == hipSuccess; /* whatever restoring the caller's device says */
    int rc2 = leave_device(s, i, prev, "hipFree");
    if (e == hipSuccess && rc2)
        return rc2;
    if (e != hipSuccess) {
        char eb[64];
        return svc->error(MB_EBACKEND, "hip:%d: hipFree(%p, %zu bytes) failed: %s", i, ptr,
                         bytes, mb__hip_err(e, eb, sizeof eb));
    }
    return MB_OK;
}

