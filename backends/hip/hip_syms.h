/*
 * backends/hip/hip_syms.h: the one list of HIP runtime entry points membudget uses.
 *
 * X(name, params, args): the symbol, its parameter list and the names of its arguments.
 * The backend (hip.c) expands it into a table of pointers typed from HIP's own prototypes
 * (__typeof__ of the declaration in hip/hip_runtime_api.h) and into its dlsym loop; the
 * test double (tests/hip/fakehip.c) expands it into its exports, each of which counts the
 * call and can be made to fail. The params written here must match HIP's header: the test
 * double includes that header, so a mismatch is a compile error there ("conflicting
 * types").
 *
 * Only scalar entry points: never hipGetDeviceProperties, whose hipDeviceProp_t changed
 * layout between ROCm 5 and 6 (hipDeviceProp_tR0600), so a struct filled by one runtime
 * would be misread by code built against the other's header. Every entry returns
 * hipError_t. Prototypes: HIP 5.2 hip/hip_runtime_api.h (Debian libamdhip64-dev 5.2.3);
 * unchanged in ROCm 6 and 7 for these functions.
 */
#ifndef MB_HIP_SYMS_H
#define MB_HIP_SYMS_H

#define MB_HIP_SYMBOLS(X)                                                                  \
    X(hipInit, (unsigned int flags), (flags))                                               \
    X(hipGetDeviceCount, (int *count), (count))                                             \
    X(hipGetDevice, (int *deviceId), (deviceId))                                            \
    X(hipSetDevice, (int deviceId), (deviceId))                                             \
    X(hipMemGetInfo, (size_t *free_bytes, size_t *total_bytes), (free_bytes, total_bytes))  \
    X(hipDeviceTotalMem, (size_t *bytes, hipDevice_t device), (bytes, device))              \
    X(hipDeviceGetAttribute, (int *pi, hipDeviceAttribute_t attr, int deviceId),            \
      (pi, attr, deviceId))                                                                 \
    X(hipDeviceGetName, (char *name, int len, hipDevice_t device), (name, len, device))     \
    X(hipDeviceGetPCIBusId, (char *pciBusId, int len, int device), (pciBusId, len, device)) \
    X(hipDeviceSynchronize, (void), ())                                                     \
    X(hipMalloc, (void **ptr, size_t size), (ptr, size))                                    \
    X(hipFree, (void *ptr), (ptr))

/* The sonames tried, newest first (ROCm 7, 6, 5); never the unversioned name. */
#define MB_HIP_SONAMES {"libamdhip64.so.7", "libamdhip64.so.6", "libamdhip64.so.5"}

#endif
