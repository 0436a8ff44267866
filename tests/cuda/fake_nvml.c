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
#include <stdint.h>
#include <string.h>

#include <cuda.h>

#include "backends/cuda/nvml_api.h"
#include "backends/cuda/cuda_syms.h"

#define EXPORT __attribute__((visibility("default")))

/* From the fake libcuda.so.1. */
int mbfake__nvml_enter(const char *name, intptr_t *code);
int mbfake__nvml_init_fail(void);
int mbfake__nvml_find(const char *uuid, const char *pci);
int mbfake__nvml_memory(int phys, unsigned long long *total, unsigned long long *mfree,
                        unsigned long long *used);

struct nvmlDevice_st {
    int phys;
};
static struct nvmlDevice_st handles[4] = {{0}, {1}, {2}, {3}};
static int inits; /* nvmlInit_v2 calls not yet shut down */

#define DECLARE_IMPL(ret, name, params, args) static ret impl_##name params;
MB_NVML_SYMS(DECLARE_IMPL)
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
    if (phys < 0 || phys >= 4)
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

/* How many nvmlInit_v2 calls are not shut down (tests check the backend's balance). */
EXPORT int mbfake_nvml_inits(void) { return __atomic_load_n(&inits, __ATOMIC_SEQ_CST); }
