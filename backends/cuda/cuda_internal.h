/*
 * backends/cuda/cuda_internal.h: the CUDA backend's state, shared by its files: cuda.c
 * (loading, probe, static facts, the ops table) and cuda_memory.c (contexts, free memory,
 * hugetlb pools, synchronize, allocate, free). Nothing outside backends/cuda includes it.
 */
#ifndef MB_CUDA_INTERNAL_H
#define MB_CUDA_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <cuda.h>

#include "membudget/backend.h"
#include "cuda_syms.h"
#include "nvml_api.h"

/* The services table the probe received (cuda.c stores it before any other call). */
extern const mb_backend_services *_Atomic mb__cuda_svc;
#define svc mb__cuda_svc

/* cuda.h has no name for 35; it is the runtime's cudaErrorInsufficientDriver
 * (driver_types.h, CUDA 13.0), which a libcuda paired with a kernel module too old for it
 * (a cuda-compat package, a container image) reports the same way. */
#define MB_CU_INSUFFICIENT_DRIVER 35

#define CUDA_SONAME "libcuda.so.1"
#define NVML_SONAME "libnvidia-ml.so.1"
#define PROC_MEMINFO_MAX 16384
#define HUGE_SIZES_MAX 8

typedef struct cuda_api {
#define MB_FIELD(ret, name, params, args) __typeof__(name) *name;
    MB_CUDA_SYMS(MB_FIELD)
} cuda_api;
typedef struct nvml_api {
    MB_NVML_SYMS(MB_FIELD)
} nvml_api;
typedef struct nvml_mig_api {
    MB_NVML_MIG_SYMS(MB_FIELD)
#undef MB_FIELD
} nvml_mig_api;

enum { NVML_UNTRIED = 0, NVML_READY = 1, NVML_UNUSABLE = -1 };

struct cuda_state;
typedef struct cuda_dev cuda_dev;

/* The two kinds of device: discrete (device memory) and UMA (host memory). */
typedef struct cuda_dev_ops {
    const char *name; /* mb_device_info.ops */
    int (*mem_info)(struct cuda_state *s, cuda_dev *d, mb_meminfo *out);
} cuda_dev_ops;

struct cuda_dev {
    /* static facts, read once at probe */
    CUdevice dev;
    int ordinal;
    char name[128];
    char pci[32];
    char uuid[48];      /* "GPU-...", or "MIG-..." for a MIG device */
    char visible[96];   /* its CUDA_VISIBLE_DEVICES entry when that names a MIG device */
    int64_t total;
    int integrated;
    int64_t smem_optin;
    int cc_major, cc_minor; /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR */
    int numa_node;
    const cuda_dev_ops *ops;
    /* lazy state, under cuda_state.lock */
    CUcontext primary;  /* our retain of the primary context, or NULL */
    nvmlDevice_t nvml;  /* the NVML device joined to this one */
    int nvml_state;     /* NVML_READY or NVML_UNUSABLE once NVML was initialised */
};

/* Where the hugetlb pool is read from, per snapshot (integrated devices only). */
typedef struct huge_pools {
    int sysfs;                      /* 1: the nr_hugepages files below; 0: /proc/meminfo */
    int n;
    int fd[HUGE_SIZES_MAX];         /* /sys/kernel/mm/hugepages/hugepages-<k>kB/nr_hugepages */
    int64_t page[HUGE_SIZES_MAX];   /* page size in bytes */
} huge_pools;

typedef struct cuda_state {
    const mb_platform *plat;
    int dump;                   /* 1: devices from a machine dump's files, no driver */
    huge_pools huge;
    cuda_api cu;
    nvml_api nv;
    int nvml_loaded;            /* the NVML library and every symbol were found */
    nvml_mig_api nm;            /* NVML's MIG entry points, when nvml_mig */
    int nvml_mig;               /* every MIG symbol was found */
    int nvml_init;              /* NVML_UNTRIED, NVML_READY, NVML_UNUSABLE */
    pthread_mutex_t lock;
    char lib_path[256];
    int driver_version;
    int n;
    cuda_dev devs[];
} cuda_state;

/* cuda.c: the error of a failed driver call on device d (NULL: none), naming the call;
 * a driver result in words; device i, or NULL with the detail set. */
int mb__cuda_fail(const cuda_state *s, const cuda_dev *d, const char *call, CUresult r);
void mb__cuda_describe(const cuda_api *cu, CUresult r, char *buf, size_t size);
cuda_dev *mb__cuda_dev_at(cuda_state *s, int i);

/* cuda_memory.c */
/* Opens the hugetlb pool files once (integrated devices; probe). */
void mb__cuda_huge_open(const mb_platform *plat, huge_pools *h);
int mb__cuda_mem_info(void *st, int i, mb_meminfo *out);
int mb__cuda_synchronize(void *st, int i);
int mb__cuda_alloc(void *st, int i, size_t bytes, void **ptr);
int mb__cuda_free(void *st, int i, void *ptr, size_t bytes, int *freed);
/* cuda_mig.c: the CUDA_VISIBLE_DEVICES entry of ordinal when it names a MIG device
 * ("MIG-..."), else ""; the NVML handle of that MIG device (1), or 0 with *out NULL. */
void mb__cuda_mig_visible(const mb_platform *plat, int ordinal, char *out, size_t size);
int mb__cuda_mig_join(cuda_state *s, const cuda_dev *d, nvmlDevice_t *out);

/* cuda_procs.c: the processes slot */
int mb__cuda_processes(void *state, int i, const mb_device_info *dev,
                       int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                       size_t why_size);

/* cuda_dump.c: the devices of a machine dump (no driver), and the files slot */
int mb__cuda_dump_probe(const mb_platform *plat, void **state, mb_probe_result *res);
int mb__cuda_files(const mb_platform *plat, const mb_backend_services *services,
                   int (*each)(void *user, const char *path), void *user);

/* The per-snapshot ops of the two kinds of device. */
extern const cuda_dev_ops mb__cuda_discrete_ops;
extern const cuda_dev_ops mb__cuda_uma_ops;

#endif
