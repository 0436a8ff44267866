/*
 * backends/cuda/cuda_procs.c: the processes using an NVIDIA device, through NVML
 * (issue 18): nvmlDeviceGet{Compute,Graphics}RunningProcesses, _v3 first, _v2 where _v3
 * is missing (drivers before R510) or answers NVML_ERROR_FUNCTION_NOT_FOUND.
 *
 * The _v3 struct changed size in R535 without a new entry point name: 24 bytes before
 * (nvmlProcessInfo_v2_t), 32 after (usedGpuCcProtectedMemory appended), so a caller built
 * against the other header reads shifted records (nvitop PR #79, go-nvml issue #75). The
 * stride is therefore measured: the buffer is filled with a sentinel byte and the bytes
 * the driver wrote tell 24 from 32 (the probe nvitop PR #226 describes).
 *
 * "Not available" (NVML_VALUE_NOT_AVAILABLE in usedGpuMemory: MIG without per-instance
 * accounting, WDDM) stays unknown, never 0. MIG: a "MIG-..." UUID opens the MIG device's
 * own handle, whose list holds its instance's processes; gpuInstanceId and
 * computeInstanceId are kept as NVML gives them (0xFFFFFFFF off MIG).
 *
 * NVML is opened by soname once per process (handles live for the process; the CUDA
 * backend's own table stays untouched), and each listing is bracketed by nvmlInit_v2 and
 * nvmlShutdown, which NVML reference-counts.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cuda.h>

#include "nvml_api.h"
#include "cuda_syms.h"
#include "membudget/backend.h"
#include "../../platform/platform.h"

#define MB_REDECLARE(ret, name, params, args) ret name params;
MB_NVML_PROC_SYMS(MB_REDECLARE)
#undef MB_REDECLARE

int mb__cuda_processes(void *state, int i, const mb_device_info *dev,
                       int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                       size_t why_size);

typedef struct procs_api {
#define MB_FIELD(ret, name, params, args) __typeof__(name) *name;
    MB_NVML_SYMS(MB_FIELD)
    MB_NVML_PROC_SYMS(MB_FIELD)
#undef MB_FIELD
} procs_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static procs_api api;
static int loaded;           /* 1: the base symbols and at least one list were found */
static char load_why[320];

static void load(void)
{
    char dlwhy[256];
    void *h = mb__dl_open("libnvidia-ml.so.1", NULL, dlwhy, sizeof dlwhy);
    if (!h) {
        snprintf(load_why, sizeof load_why, "NVML not loaded (%s): no per-process figures",
                 dlwhy);
        return;
    }
#define MB_GET(ret, name, params, args) *(void **)&api.name = mb__dl_sym(h, #name);
    MB_NVML_SYMS(MB_GET)
    MB_NVML_PROC_SYMS(MB_GET)
#undef MB_GET
    const char *miss = !api.nvmlInit_v2                   ? "nvmlInit_v2"
                       : !api.nvmlShutdown                ? "nvmlShutdown"
                       : !api.nvmlDeviceGetHandleByUUID   ? "nvmlDeviceGetHandleByUUID"
                       : !api.nvmlErrorString             ? "nvmlErrorString"
                       : !api.nvmlDeviceGetComputeRunningProcesses_v3 &&
                               !api.nvmlDeviceGetComputeRunningProcesses_v2
                           ? "nvmlDeviceGetComputeRunningProcesses_v3 and _v2"
                           : NULL;
    if (miss) {
        snprintf(load_why, sizeof load_why, "NVML lacks %s: no per-process figures", miss);
        return;
    }
    loaded = 1;
}

typedef nvmlReturn_t (*list_fn)(nvmlDevice_t, unsigned int *, void *);

/* One query into a sentinel-filled buffer of cap 32-byte slots. */
static nvmlReturn_t query(list_fn fn, nvmlDevice_t h, unsigned char **buf, unsigned *count)
{
    for (int tries = 0; tries < 4; tries++) {
        unsigned cap = *count + 8; /* room for processes that start meanwhile */
        mb__free(*buf);
        *buf = mb__malloc((size_t)cap * 32);
        if (!*buf)
            return NVML_ERROR_UNKNOWN;
        memset(*buf, 0xA5, (size_t)cap * 32);
        unsigned c = cap;
        nvmlReturn_t r = fn(h, &c, *buf);
        *count = c;
        if (r != NVML_ERROR_INSUFFICIENT_SIZE)
            return r;
    }
    return NVML_ERROR_INSUFFICIENT_SIZE;
}

/* 24 or 32: whether the driver wrote past 24 bytes per record for the count it gave. */
static size_t stride_of(const unsigned char *buf, unsigned count)
{
    for (size_t b = (size_t)count * 24; b < (size_t)count * 32; b++)
        if (buf[b] != 0xA5)
            return 32;
    return 24;
}

static int list(list_fn v3, list_fn v2, nvmlDevice_t h, mb_proc_source source,
                int (*add)(void *, const mb_process *), void *sink, char *why, size_t ws)
{
    const char *what = source == MB_PROC_SOURCE_NVML_COMPUTE ? "Compute" : "Graphics";
    unsigned char *buf = NULL;
    unsigned count = 0;
    size_t stride = 24;
    nvmlReturn_t r = NVML_ERROR_FUNCTION_NOT_FOUND;
    const char *fn = "";
    if (v3) {
        fn = "_v3";
        r = query(v3, h, &buf, &count);
        if (!buf)
            return mb__error(MB_ENOMEM, "no memory for NVML's process list");
        if (r == NVML_SUCCESS)
            stride = stride_of(buf, count);
    }
    if (r == NVML_ERROR_FUNCTION_NOT_FOUND && v2) {
        fn = "_v2";
        count = 0;
        r = query(v2, h, &buf, &count);
        if (!buf)
            return mb__error(MB_ENOMEM, "no memory for NVML's process list");
        stride = 24;
    }
    if (r != NVML_SUCCESS) {
        mb__free(buf);
        if (r == NVML_ERROR_NOT_SUPPORTED || r == NVML_ERROR_FUNCTION_NOT_FOUND) {
            snprintf(why, ws, "NVML cannot list %s processes on this device "
                     "(nvmlDeviceGet%sRunningProcesses%s: %s)", what, what, fn,
                     api.nvmlErrorString(r));
            return MB_ENOTSUP;
        }
        return mb__error(MB_EBACKEND, "nvmlDeviceGet%sRunningProcesses%s failed: %s (%d)",
                         what, fn, api.nvmlErrorString(r), (int)r);
    }
    int rc = 0;
    for (unsigned k = 0; k < count && !rc; k++) {
        const unsigned char *e = buf + (size_t)k * stride;
        unsigned pid, gi, ci;
        unsigned long long used;
        memcpy(&pid, e, 4);
        memcpy(&used, e + 8, 8);
        memcpy(&gi, e + 16, 4);
        memcpy(&ci, e + 20, 4);
        mb_process p;
        memset(&p, 0, sizeof p);
        p.source = source;
        p.source_pid = pid;
        p.gtt_bytes = MB_UNKNOWN;
        p.gpu_instance = gi;
        p.compute_instance = ci;
        if (used == (unsigned long long)NVML_VALUE_NOT_AVAILABLE || used > (unsigned long long)INT64_MAX) {
            p.bytes = MB_UNKNOWN;
            snprintf(p.note, sizeof p.note, "NVML reports this process's memory as not "
                     "available (NVML_VALUE_NOT_AVAILABLE)%s",
                     gi != MB_PROC_NO_INSTANCE ? " on a MIG instance: query its MIG device"
                                               : "");
        } else {
            p.bytes = (int64_t)used;
        }
        rc = add(sink, &p);
    }
    mb__free(buf);
    return rc;
}

int mb__cuda_processes(void *state, int i, const mb_device_info *dev,
                       int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                       size_t why_size)
{
    (void)state, (void)i;
    pthread_once(&once, load);
    if (!loaded) {
        snprintf(why, why_size, "%s", load_why);
        return MB_ENOTSUP;
    }
    nvmlReturn_t r = api.nvmlInit_v2();
    if (r != NVML_SUCCESS) {
        snprintf(why, why_size, "nvmlInit_v2 failed: %s (%d): no per-process figures",
                 api.nvmlErrorString(r), (int)r);
        return MB_ENOTSUP;
    }
    nvmlDevice_t h = NULL;
    r = dev->uuid[0] ? api.nvmlDeviceGetHandleByUUID(dev->uuid, &h) : NVML_ERROR_NOT_FOUND;
    if ((r != NVML_SUCCESS || !h) && dev->pci_bus_id[0] && api.nvmlDeviceGetHandleByPciBusId_v2 &&
        strncmp(dev->uuid, "MIG-", 4) != 0) /* a MIG slice must not become its whole GPU */
        r = api.nvmlDeviceGetHandleByPciBusId_v2(dev->pci_bus_id, &h);
    int rc;
    if (r != NVML_SUCCESS || !h) {
        snprintf(why, why_size, "NVML does not know %s (UUID %s, PCI %s): %s", dev->name,
                 dev->uuid[0] ? dev->uuid : "none", dev->pci_bus_id[0] ? dev->pci_bus_id : "none",
                 api.nvmlErrorString(r));
        rc = MB_ENOTSUP;
    } else {
        char why2[MB_REASON_MAX] = "";
        rc = list((list_fn)api.nvmlDeviceGetComputeRunningProcesses_v3,
                  (list_fn)api.nvmlDeviceGetComputeRunningProcesses_v2, h,
                  MB_PROC_SOURCE_NVML_COMPUTE, add, sink, why, why_size);
        int rc2 = rc && rc != MB_ENOTSUP
                      ? rc
                      : list((list_fn)api.nvmlDeviceGetGraphicsRunningProcesses_v3,
                             (list_fn)api.nvmlDeviceGetGraphicsRunningProcesses_v2, h,
                             MB_PROC_SOURCE_NVML_GRAPHICS, add, sink, why2, sizeof why2);
        if (rc == MB_ENOTSUP && rc2 == MB_OK)
            rc = MB_OK; /* graphics listed; the compute reason is kept in why */
        else if (rc == MB_OK && rc2 == MB_ENOTSUP)
            snprintf(why, why_size, "%s", why2);
        else if (rc2 != MB_ENOTSUP)
            rc = rc ? rc : rc2;
    }
    (void)api.nvmlShutdown();
    return rc;
}
