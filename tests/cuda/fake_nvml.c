/*
 * tests/cuda/fake_nvml.c: a test double of libnvidia-ml.so.1. Its exports come from
 * MB_NVML_SYMS in backends/cuda/cuda_syms.h, like the fake libcuda's; the devices and the
 * fault counter are the fake libcuda's (it is linked against it), so NVML and CUDA agree on
 * what is allocated, as the real pair does.
 *
 * NVML knows every physical device whatever CUDA_VISIBLE_DEVICES says, by UUID (unless the
 * "nvml_uuid" knob is 0) and by PCI bus id. Memory info follows nvmlMemory_t v1: total
 * includes FAKE_NVML_RESERVED, used = total - free.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <cuda.h>

#include "backends/cuda/nvml_api.h"
#include "fake_scenarios.h"
#include "backends/cuda/cuda_syms.h"

#define EXPORT __attribute__((visibility("default")))

/* From the fake libcuda.so.1. */
int mbfake__nvml_enter(const char *name, intptr_t *code);
int mbfake__nvml_init_fail(void);
int mbfake__nvml_find(const char *uuid, const char *pci);
int mbfake__nvml_memory(int phys, unsigned long long *total, unsigned long long *mfree,
                        unsigned long long *used);
int mbfake__nvml_ndev(void);
int mbfake__nvml_dev(int i, int *parent, int *mig_mode, unsigned *gi, unsigned *ci,
                     char *uuid, size_t size);

struct nvmlDevice_st {
    int phys;
};
static struct nvmlDevice_st handles[8] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}};
static int inits; /* nvmlInit_v2 calls not yet shut down */

#define DECLARE_IMPL(ret, name, params, args) static ret impl_##name params;
MB_NVML_SYMS(DECLARE_IMPL)
MB_NVML_PROC_SYMS(DECLARE_IMPL)
MB_NVML_MIG_SYMS(DECLARE_IMPL)
#undef DECLARE_IMPL

#define EXPORT_SYM(ret, name, params, args)                                                 \
    EXPORT ret name params                                                                  \
    {                                                                                       \
        intptr_t code = 0;                                                                  \
        if (mbfake__nvml_enter(#name, &code))                                               \
            return (ret)code;                                                               \
        return impl_##name args;                                                            \
    }
MB_NVML_SYMS(EXPORT_SYM)
MB_NVML_PROC_SYMS(EXPORT_SYM)
MB_NVML_MIG_SYMS(EXPORT_SYM)
#undef EXPORT_SYM

static nvmlReturn_t impl_nvmlInit_v2(void)
{
    int rc = mbfake__nvml_init_fail();
    if (rc)
        return (nvmlReturn_t)rc;
    __atomic_add_fetch(&inits, 1, __ATOMIC_SEQ_CST);
    return NVML_SUCCESS;
}

static nvmlReturn_t impl_nvmlShutdown(void)
{
    if (__atomic_load_n(&inits, __ATOMIC_SEQ_CST) <= 0)
        return NVML_ERROR_UNINITIALIZED;
    __atomic_sub_fetch(&inits, 1, __ATOMIC_SEQ_CST);
    return NVML_SUCCESS;
}

static const char *impl_nvmlErrorString(nvmlReturn_t r)
{
    switch (r) {
    case NVML_SUCCESS:
        return "Success";
    case NVML_ERROR_UNINITIALIZED:
        return "Uninitialized";
    case NVML_ERROR_NOT_SUPPORTED:
        return "Not Supported";
    case NVML_ERROR_NOT_FOUND:
        return "Not Found";
    default:
        return "Unknown Error";
    }
}

static nvmlReturn_t find(const char *uuid, const char *pci, nvmlDevice_t *device)
{
    if (__atomic_load_n(&inits, __ATOMIC_SEQ_CST) <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if ((!uuid && !pci) || !device)
        return NVML_ERROR_INVALID_ARGUMENT;
    int phys = mbfake__nvml_find(uuid, pci);
    if (phys < 0 || phys >= 8)
        return NVML_ERROR_NOT_FOUND;
    *device = &handles[phys];
    return NVML_SUCCESS;
}

static nvmlReturn_t impl_nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device)
{
    return find(uuid, NULL, device);
}

static nvmlReturn_t impl_nvmlDeviceGetHandleByPciBusId_v2(const char *pci, nvmlDevice_t *device)
{
    return find(NULL, pci, device);
}

static nvmlReturn_t impl_nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    if (__atomic_load_n(&inits, __ATOMIC_SEQ_CST) <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || !memory)
        return NVML_ERROR_INVALID_ARGUMENT;
    return (nvmlReturn_t)mbfake__nvml_memory(device->phys, &memory->total, &memory->free,
                                             &memory->used);
}

/* ---- MIG (scenario "mig") -------------------------------------------------------------
 * GPUs are enumerated by index (MIG devices are not); a GPU in MIG mode has up to
 * FAKE_MIG_MAX MIG device slots, its MIG devices first, the rest NVML_ERROR_NOT_FOUND. */
typedef struct fake_info {
    int parent, mig_mode;
    unsigned gi, ci;
    char uuid[96];
} fake_info;

static nvmlReturn_t info(nvmlDevice_t device, fake_info *fi)
{
    if (__atomic_load_n(&inits, __ATOMIC_SEQ_CST) <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || mbfake__nvml_dev(device->phys, &fi->parent, &fi->mig_mode, &fi->gi, &fi->ci,
                                    fi->uuid, sizeof fi->uuid) != 0)
        return NVML_ERROR_INVALID_ARGUMENT;
    return NVML_SUCCESS;
}

/* The k-th device with parent (-1: the k-th GPU), or -1. */
static int nth(int parent, unsigned k)
{
    fake_info fi;
    for (int i = 0, seen = 0; i < mbfake__nvml_ndev() && i < 8; i++)
        if (mbfake__nvml_dev(i, &fi.parent, &fi.mig_mode, &fi.gi, &fi.ci, fi.uuid,
                             sizeof fi.uuid) == 0 &&
            fi.parent == parent && (unsigned)seen++ == k)
            return i;
    return -1;
}

static nvmlReturn_t impl_nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (__atomic_load_n(&inits, __ATOMIC_SEQ_CST) <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!count)
        return NVML_ERROR_INVALID_ARGUMENT;
    unsigned n = 0;
    while (nth(-1, n) >= 0)
        n++;
    *count = n;
    return NVML_SUCCESS;
}

static nvmlReturn_t impl_nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (__atomic_load_n(&inits, __ATOMIC_SEQ_CST) <= 0)
        return NVML_ERROR_UNINITIALIZED;
    int i = nth(-1, index);
    if (i < 0 || !device)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = &handles[i];
    return NVML_SUCCESS;
}

static nvmlReturn_t impl_nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    fake_info fi;
    nvmlReturn_t r = info(device, &fi);
    if (r != NVML_SUCCESS)
        return r;
    if (!uuid || length <= strlen(fi.uuid))
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(uuid, fi.uuid, strlen(fi.uuid) + 1);
    return NVML_SUCCESS;
}

static nvmlReturn_t impl_nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current,
                                              unsigned int *pending)
{
    fake_info fi;
    nvmlReturn_t r = info(device, &fi);
    if (r != NVML_SUCCESS)
        return r;
    if (fi.parent >= 0 || !current || !pending)
        return NVML_ERROR_INVALID_ARGUMENT;
    *current = *pending = fi.mig_mode ? NVML_DEVICE_MIG_ENABLE : 0;
    return NVML_SUCCESS;
}

static nvmlReturn_t impl_nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int *count)
{
    fake_info fi;
    nvmlReturn_t r = info(device, &fi);
    if (r != NVML_SUCCESS)
        return r;
    if (!count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *count = fi.mig_mode ? FAKE_MIG_MAX : 0;
    return NVML_SUCCESS;
}

static nvmlReturn_t impl_nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device,
                                                             unsigned int index,
                                                             nvmlDevice_t *mig)
{
    fake_info fi;
    nvmlReturn_t r = info(device, &fi);
    if (r != NVML_SUCCESS)
        return r;
    if (!fi.mig_mode || index >= FAKE_MIG_MAX || !mig)
        return NVML_ERROR_INVALID_ARGUMENT;
    int i = nth(device->phys, index);
    if (i < 0)
        return NVML_ERROR_NOT_FOUND;
    *mig = &handles[i];
    return NVML_SUCCESS;
}

static nvmlReturn_t instance_id(nvmlDevice_t device, unsigned int *id, int compute)
{
    fake_info fi;
    nvmlReturn_t r = info(device, &fi);
    if (r != NVML_SUCCESS)
        return r;
    if (fi.parent < 0 || !id)
        return NVML_ERROR_INVALID_ARGUMENT;
    *id = compute ? fi.ci : fi.gi;
    return NVML_SUCCESS;
}

static nvmlReturn_t impl_nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int *id)
{
    return instance_id(device, id, 0);
}

static nvmlReturn_t impl_nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int *id)
{
    return instance_id(device, id, 1);
}

/* How many nvmlInit_v2 calls are not shut down (tests check the backend's balance). */
EXPORT int mbfake_nvml_inits(void) { return __atomic_load_n(&inits, __ATOMIC_SEQ_CST); }

/* ---- running processes (issue 18) ----------------------------------------------------
 * A table the test fills through the controls below. The _v3 entry points write records
 * of "stride" bytes (32, R535 and later, by default; 24 as R510 .. R530 did); the _v2 ones
 * write 24-byte records. "v3_absent" makes _v3 answer NVML_ERROR_FUNCTION_NOT_FOUND;
 * "not_supported" makes every list answer NVML_ERROR_NOT_SUPPORTED. The count protocol is
 * NVML's: a short buffer answers NVML_ERROR_INSUFFICIENT_SIZE with the count needed. */
#define FAKE_MAX_PROCS 64
static struct fake_proc {
    int phys, graphics;
    unsigned pid, gi, ci;
    unsigned long long used;
} procs[FAKE_MAX_PROCS];
static int nprocs, stride = 32, v3_absent, not_supported;
static pthread_mutex_t plock = PTHREAD_MUTEX_INITIALIZER;

EXPORT void mbfake_nvml_procs_clear(void)
{
    pthread_mutex_lock(&plock);
    nprocs = 0;
    stride = 32;
    v3_absent = not_supported = 0;
    pthread_mutex_unlock(&plock);
}

EXPORT int mbfake_nvml_proc_add(int phys, int graphics, unsigned pid, unsigned long long used,
                                unsigned gi, unsigned ci)
{
    pthread_mutex_lock(&plock);
    int ok = nprocs < FAKE_MAX_PROCS;
    if (ok)
        procs[nprocs++] = (struct fake_proc){phys, graphics, pid, gi, ci, used};
    pthread_mutex_unlock(&plock);
    return ok ? 0 : -1;
}

EXPORT void mbfake_nvml_procs_set(const char *knob, int value)
{
    pthread_mutex_lock(&plock);
    if (strcmp(knob, "stride") == 0)
        stride = value;
    else if (strcmp(knob, "v3_absent") == 0)
        v3_absent = value;
    else if (strcmp(knob, "not_supported") == 0)
        not_supported = value;
    pthread_mutex_unlock(&plock);
}

static nvmlReturn_t list(nvmlDevice_t device, unsigned int *count, void *infos, int graphics,
                         int step)
{
    if (__atomic_load_n(&inits, __ATOMIC_SEQ_CST) <= 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || !count)
        return NVML_ERROR_INVALID_ARGUMENT;
    pthread_mutex_lock(&plock);
    nvmlReturn_t r = NVML_SUCCESS;
    if (not_supported)
        r = NVML_ERROR_NOT_SUPPORTED;
    unsigned n = 0;
    for (int i = 0; i < nprocs; i++)
        n += procs[i].phys == device->phys && procs[i].graphics == graphics;
    if (r == NVML_SUCCESS && (n > *count || (n && !infos)))
        r = NVML_ERROR_INSUFFICIENT_SIZE;
    if (r == NVML_SUCCESS) {
        unsigned k = 0;
        for (int i = 0; i < nprocs; i++) {
            if (procs[i].phys != device->phys || procs[i].graphics != graphics)
                continue;
            unsigned char *e = (unsigned char *)infos + (size_t)k++ * (size_t)step;
            memset(e, 0, (size_t)step);
            memcpy(e, &procs[i].pid, 4);
            memcpy(e + 8, &procs[i].used, 8);
            memcpy(e + 16, &procs[i].gi, 4);
            memcpy(e + 20, &procs[i].ci, 4);
        }
    }
    *count = n;
    pthread_mutex_unlock(&plock);
    return r;
}

static nvmlReturn_t list_v3(nvmlDevice_t device, unsigned int *count, void *infos, int gr)
{
    pthread_mutex_lock(&plock);
    int absent = v3_absent, step = stride;
    pthread_mutex_unlock(&plock);
    return absent ? NVML_ERROR_FUNCTION_NOT_FOUND : list(device, count, infos, gr, step);
}

static nvmlReturn_t impl_nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d,
                                                                 unsigned int *c,
                                                                 nvmlProcessInfo_t *i)
{
    return list_v3(d, c, i, 0);
}
static nvmlReturn_t impl_nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d,
                                                                  unsigned int *c,
                                                                  nvmlProcessInfo_t *i)
{
    return list_v3(d, c, i, 1);
}
static nvmlReturn_t impl_nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d,
                                                                 unsigned int *c,
                                                                 nvmlProcessInfo_v2_t *i)
{
    return list(d, c, i, 0, 24);
}
static nvmlReturn_t impl_nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t d,
                                                                  unsigned int *c,
                                                                  nvmlProcessInfo_v2_t *i)
{
    return list(d, c, i, 1, 24);
}
