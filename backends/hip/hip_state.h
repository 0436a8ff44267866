/*
 * backends/hip/hip_state.h: the HIP backend's state, shared by hip.c (loading, probe,
 * static facts, the ops table) and hip_memory.c (the per-snapshot slots). It needs the
 * runtime's header for the function types; hip_sysfs.c does not include it.
 */
#ifndef MB_HIP_STATE_H
#define MB_HIP_STATE_H

#include <hip/hip_runtime_api.h>

#include "hip_internal.h"
#include "hip_syms.h"

#define svc mb__hip_svc

typedef struct hip_api {
#define MB_HIP_PTR(name, params, args) __typeof__(&name) p_##name;
    MB_HIP_SYMBOLS(MB_HIP_PTR)
#undef MB_HIP_PTR
} hip_api;

typedef struct hip_dev {
    char name[128];
    char pci[32];
    int64_t total;      /* hipDeviceTotalMem, or the sysfs total in sysfs mode */
    int integrated;     /* 1: APU */
    int hip_integrated; /* what hipDeviceAttributeIntegrated said (-1 in sysfs mode) */
    int card;           /* index into sysfs.cards, or -1 */
} hip_dev;

typedef struct hip_state {
    const mb_platform *plat;
    int runtime;          /* 1: devices through the runtime; 0: sysfs alone (a dump) */
    char soname[64];      /* the runtime loaded */
    hip_api api;
    mb_hip_sysfs sysfs;
    int n;
    hip_dev devs[];
} hip_state;

/* hip_memory.c: a runtime error in words (buf), its name; device i exists (else the detail
 * is set); a size_t saturated to int64 */
const char *mb__hip_err(hipError_t e, char *buf, size_t size);
int mb__hip_check_dev(hip_state *s, int i);
int64_t mb__hip_i64(size_t v);
int mb__hip_mem_info(void *st, int i, mb_meminfo *out);
int mb__hip_max_shared_memory(void *st, int i, int64_t *out);
int mb__hip_synchronize(void *st, int i);
int mb__hip_alloc(void *st, int i, size_t bytes, void **ptr);
int mb__hip_free(void *st, int i, void *ptr, size_t bytes, int *freed);

#endif
