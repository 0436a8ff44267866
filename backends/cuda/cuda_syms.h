/*
 * backends/cuda/cuda_syms.h: the one list of driver entry points the CUDA backend uses.
 *
 * Each list is an X-macro X(ret, name, params, args). It drives three things:
 *  - backends/cuda/cuda.c: the table of function pointers and the dlsym loop (the symbol
 *    string is #name, so the versioned name written here is the one resolved: never write
 *    a name that cuda.h maps with a macro, such as cuMemGetInfo, whose #name would load the
 *    legacy v1 entry point while the type says v2);
 *  - a redeclaration `ret name params;` next to the vendor's own prototype, so a list that
 *    drifts from cuda.h does not compile;
 *  - tests/cuda/fake_cuda.c and fake_nvml.c: the exports of the test doubles (a wrapper per
 *    symbol that counts the call, injects faults and forwards args to an implementation).
 *
 * Include cuda.h (and nvml_api.h for the NVML list) before this header.
 */
#ifndef MB_CUDA_SYMS_H
#define MB_CUDA_SYMS_H

/* libcuda.so.1. Every symbol is required: a library that lacks one is "broken". The
 * versioned names are those cuda.h (CUDA 13.0) maps the plain names to; all of them exist
 * in drivers since R470 (cuDeviceGetUuid_v2 is the newest, CUDA 11.4). */
#define MB_CUDA_SYMS(X)                                                                     \
    X(CUresult, cuInit, (unsigned int Flags), (Flags))                                      \
    X(CUresult, cuDriverGetVersion, (int *driverVersion), (driverVersion))                  \
    X(CUresult, cuGetErrorName, (CUresult error, const char **pStr), (error, pStr))         \
    X(CUresult, cuGetErrorString, (CUresult error, const char **pStr), (error, pStr))       \
    X(CUresult, cuDeviceGetCount, (int *count), (count))                                    \
    X(CUresult, cuDeviceGet, (CUdevice *device, int ordinal), (device, ordinal))            \
    X(CUresult, cuDeviceGetName, (char *name, int len, CUdevice dev), (name, len, dev))     \
    X(CUresult, cuDeviceGetPCIBusId, (char *pciBusId, int len, CUdevice dev),               \
      (pciBusId, len, dev))                                                                 \
    X(CUresult, cuDeviceGetUuid_v2, (CUuuid *uuid, CUdevice dev), (uuid, dev))              \
    X(CUresult, cuDeviceTotalMem_v2, (size_t *bytes, CUdevice dev), (bytes, dev))           \
    X(CUresult, cuDeviceGetAttribute, (int *pi, CUdevice_attribute attrib, CUdevice dev),   \
      (pi, attrib, dev))                                                                    \
    X(CUresult, cuCtxGetCurrent, (CUcontext *pctx), (pctx))                                 \
    X(CUresult, cuCtxGetDevice, (CUdevice *device), (device))                               \
    X(CUresult, cuDevicePrimaryCtxRetain, (CUcontext *pctx, CUdevice dev), (pctx, dev))     \
    X(CUresult, cuDevicePrimaryCtxRelease_v2, (CUdevice dev), (dev))                        \
    X(CUresult, cuCtxPushCurrent_v2, (CUcontext ctx), (ctx))                                \
    X(CUresult, cuCtxPopCurrent_v2, (CUcontext *pctx), (pctx))                              \
    X(CUresult, cuMemGetInfo_v2, (size_t *free_bytes, size_t *total_bytes),                 \
      (free_bytes, total_bytes))                                                            \
    X(CUresult, cuCtxSynchronize, (void), ())                                               \
    X(CUresult, cuMemAlloc_v2, (CUdeviceptr *dptr, size_t bytesize), (dptr, bytesize))      \
    X(CUresult, cuMemFree_v2, (CUdeviceptr dptr), (dptr))

/* libnvidia-ml.so.1, optional as a whole: when the library or one of these symbols is
 * missing, free memory comes from a CUDA context instead. */
#define MB_NVML_SYMS(X)                                                                     \
    X(nvmlReturn_t, nvmlInit_v2, (void), ())                                                \
    X(nvmlReturn_t, nvmlShutdown, (void), ())                                               \
    X(const char *, nvmlErrorString, (nvmlReturn_t result), (result))                       \
    X(nvmlReturn_t, nvmlDeviceGetHandleByUUID, (const char *uuid, nvmlDevice_t *device),    \
      (uuid, device))                                                                       \
    X(nvmlReturn_t, nvmlDeviceGetHandleByPciBusId_v2,                                       \
      (const char *pciBusId, nvmlDevice_t *device), (pciBusId, device))                     \
    X(nvmlReturn_t, nvmlDeviceGetMemoryInfo, (nvmlDevice_t device, nvmlMemory_t *memory),   \
      (device, memory))

/* libnvidia-ml.so.1, MIG devices (backends/cuda/cuda_mig.c), optional as a group: without
 * them a MIG device's memory comes from a CUDA context. Signatures from NVML's nvml.h
 * (R450 and later, "MIG Management" and "Device Queries"). */
#define MB_NVML_MIG_SYMS(X)                                                                 \
    X(nvmlReturn_t, nvmlDeviceGetCount_v2, (unsigned int *deviceCount), (deviceCount))      \
    X(nvmlReturn_t, nvmlDeviceGetHandleByIndex_v2, (unsigned int index, nvmlDevice_t *device), \
      (index, device))                                                                      \
    X(nvmlReturn_t, nvmlDeviceGetUUID, (nvmlDevice_t device, char *uuid, unsigned int length), \
      (device, uuid, length))                                                               \
    X(nvmlReturn_t, nvmlDeviceGetMigMode,                                                   \
      (nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode),          \
      (device, currentMode, pendingMode))                                                   \
    X(nvmlReturn_t, nvmlDeviceGetMaxMigDeviceCount, (nvmlDevice_t device, unsigned int *count), \
      (device, count))                                                                      \
    X(nvmlReturn_t, nvmlDeviceGetMigDeviceHandleByIndex,                                    \
      (nvmlDevice_t device, unsigned int index, nvmlDevice_t *migDevice),                   \
      (device, index, migDevice))                                                           \
    X(nvmlReturn_t, nvmlDeviceGetGpuInstanceId, (nvmlDevice_t device, unsigned int *id),    \
      (device, id))                                                                         \
    X(nvmlReturn_t, nvmlDeviceGetComputeInstanceId, (nvmlDevice_t device, unsigned int *id), \
      (device, id))

/* libnvidia-ml.so.1, per-process figures (issue 18; backends/cuda/cuda_procs.c). Each is
 * optional on its own: the _v3 entry points appeared in R510 and changed their struct in
 * R535 without a new name (see cuda_procs.c), the _v2 ones are the fallback. */
#define MB_NVML_PROC_SYMS(X)                                                                \
    X(nvmlReturn_t, nvmlDeviceGetComputeRunningProcesses_v3,                                \
      (nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_t *infos),             \
      (device, infoCount, infos))                                                           \
    X(nvmlReturn_t, nvmlDeviceGetGraphicsRunningProcesses_v3,                               \
      (nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_t *infos),             \
      (device, infoCount, infos))                                                           \
    X(nvmlReturn_t, nvmlDeviceGetComputeRunningProcesses_v2,                                \
      (nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_v2_t *infos),          \
      (device, infoCount, infos))                                                           \
    X(nvmlReturn_t, nvmlDeviceGetGraphicsRunningProcesses_v2,                               \
      (nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_v2_t *infos),          \
      (device, infoCount, infos))

#endif
