/*
 * backends/cuda/nvml_api.h: the NVML types the CUDA backend uses.
 *
 * The vendor's nvml.h is used when the build can see it (full CUDA Toolkits ship it in
 * include/). The toolkit on the development machines (CUDA 13.0, 2026-11) has no nvml.h,
 * so the few declarations needed are restated here from NVML's nvml.h (the NVML API
 * reference, "Device Queries" and "Error reporting"): return codes, the opaque device
 * handle and nvmlMemory_t (v1: total, free, used, in bytes).
 */
#ifndef MB_NVML_API_H
#define MB_NVML_API_H

#if defined(__has_include)
#if __has_include(<nvml.h>)
#include <nvml.h>
#define MB_HAVE_VENDOR_NVML_H 1
#endif
#endif

#ifndef MB_HAVE_VENDOR_NVML_H
typedef enum nvmlReturn_enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_UNKNOWN = 999
} nvmlReturn_t;

typedef struct nvmlDevice_st *nvmlDevice_t;

typedef struct nvmlMemory_st {
    unsigned long long total; /* installed memory, bytes */
    unsigned long long free;  /* unallocated memory, bytes */
    unsigned long long used;  /* allocated memory, bytes (reserved included) */
} nvmlMemory_t;

/* Per-process figures (issue 18), from nvml.h: nvmlProcessInfo_v2_t (24 bytes: pid,
 * usedGpuMemory, gpuInstanceId, computeInstanceId) and the R535 layout of
 * nvmlProcessInfo_t (32 bytes: the same plus usedGpuCcProtectedMemory). */
typedef struct nvmlProcessInfo_v2_st {
    unsigned int pid;
    unsigned long long usedGpuMemory; /* NVML_VALUE_NOT_AVAILABLE when not available */
    unsigned int gpuInstanceId;       /* 0xFFFFFFFF off MIG */
    unsigned int computeInstanceId;   /* 0xFFFFFFFF off MIG */
} nvmlProcessInfo_v2_t;
typedef struct nvmlProcessInfo_st {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
    unsigned long long usedGpuCcProtectedMemory;
} nvmlProcessInfo_t;
#define NVML_VALUE_NOT_AVAILABLE (-1)

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
                                                     unsigned int *infoCount,
                                                     nvmlProcessInfo_t *infos);
nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t device,
                                                      unsigned int *infoCount,
                                                      nvmlProcessInfo_t *infos);
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device,
                                                     unsigned int *infoCount,
                                                     nvmlProcessInfo_v2_t *infos);
nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t device,
                                                      unsigned int *infoCount,
                                                      nvmlProcessInfo_v2_t *infos);
nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
const char *nvmlErrorString(nvmlReturn_t result);
nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device);
nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *pciBusId, nvmlDevice_t *device);
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory);
/* MIG (nvml.h, R450 and later) */
#define NVML_DEVICE_MIG_ENABLE 1
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length);
nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode,
                                  unsigned int *pendingMode);
nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int *count);
nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index,
                                                 nvmlDevice_t *migDevice);
nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int *id);
nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int *id);
#endif

#endif
