/*
 * membudget: measure and budget device memory for LLM inference engines.
 *
 * Contexts, backends, devices, snapshots, profiles and the tracker. vLLM's planning
 * arithmetic is in membudget/vllm.h, NUMA nodes, containers and CPU KV space in
 * membudget/numa.h; each includes this header. Semantics follow vLLM's
 * vllm/utils/mem_utils.py (MemorySnapshot, MemoryProfilingResult, memory_profiling); the C
 * API is ours.
 *
 * Conventions that hold for every function below unless its comment says otherwise:
 *  - Return value: 0 (MB_OK) on success, a negative mb_error code on failure.
 *    After a failure, mb_error_detail() names the input and what would fix it,
 *    and every output parameter is zeroed (never left half-written).
 *  - Sizes are int64_t bytes, signed so that differences of snapshots may be negative.
 *    MB_UNKNOWN means "could not be determined", MB_UNLIMITED means "no limit".
 *  - Ownership: the caller owns every struct it passes in; the library keeps no pointer
 *    to a caller's struct after returning, except the context and allocator given to
 *    mb_profile_begin (kept in the profile until mb_profile_end) and the context given to
 *    mb_tracker_init (kept until mb_tracker_free); those must outlive their use.
 *  - Thread safety: a context may be shared by threads (probing is idempotent and
 *    internally locked; mb_context_free excepted). Measuring, formatting and the math
 *    functions are safe to call concurrently. A single mb_profile must not be used from
 *    two threads at once; a tracker may (it is internally locked).
 *  - Library code never prints, never exits and never changes the environment.
 *
 * Growing structs (docs/abi.md): a struct whose first member is `uint32_t size` may gain
 * fields at its end in a later release of this soname. The caller sets size to its own
 * sizeof, with the struct's MB_<NAME>_INIT initialiser (or the options' *_init function,
 * for bindings), and the library reads and writes only that many bytes: fields a caller's
 * older header lacks take their defaults and are never written; fields a newer header
 * adds must be zero when the library is older (else MB_ENOTSUP), and are zeroed in its
 * outputs. A size below the struct's first release is refused with MB_EINVAL. Structs
 * without a size member (mb_snapshot, mb_profile, mb_budget, mb_kv_spec, mb_cpu_rank,
 * mb_alloc_stats, mb_allocator, mb_host_memory, the CUDA-graph estimator) are frozen:
 * their layout is fixed for this soname, because they are embedded in other structs or
 * copied by value; a new figure in one of them means a new struct or a new soname.
 * mb_version() says which library was loaded.
 */
#ifndef MEMBUDGET_H
#define MEMBUDGET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MEMBUDGET_BUILDING) && defined(__GNUC__)
#define MB_EXPORT __attribute__((visibility("default")))
#else
#define MB_EXPORT
#endif

/* The version of this header. MEMBUDGET_VERSION is MAJOR x 10000 + MINOR x 100 + PATCH.
 * The major version is the soname's (libmembudget.so.1): it changes only with an
 * incompatible change to the ABI. */
#define MEMBUDGET_VERSION_MAJOR 1
#define MEMBUDGET_VERSION_MINOR 4
#define MEMBUDGET_VERSION_PATCH 0
#define MEMBUDGET_VERSION_STRING "1.4.0"
#define MEMBUDGET_VERSION \
    (MEMBUDGET_VERSION_MAJOR * 10000 + MEMBUDGET_VERSION_MINOR * 100 + MEMBUDGET_VERSION_PATCH)

/* The version of the library loaded at run time, as MEMBUDGET_VERSION and as
 * MEMBUDGET_VERSION_STRING would give it: compare them with the header's to learn whether
 * the library knows the fields a program was compiled with. Never fail. */
MB_EXPORT uint32_t mb_version(void);
MB_EXPORT const char *mb_version_string(void);

/* The one definition of the sentinels. */
#define MB_UNKNOWN INT64_MIN   /* a figure nobody could determine */
#define MB_UNLIMITED INT64_MAX /* a limit that does not exist (cgroup "max") */

#define MB_GiB ((int64_t)1 << 30)
#define MB_MiB ((int64_t)1 << 20)

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                               */
/* ------------------------------------------------------------------------------------ */

/* One list generates the codes, their names and their messages. */
#define MB_ERROR_LIST(X)                                                                  \
    X(EINVAL, -1, "invalid argument")                                                     \
    X(ENOMEM, -2, "out of memory")                                                        \
    X(ENODEV, -3, "no such device")                                                       \
    X(ENOTSUP, -4, "not supported by this device or backend")                             \
    X(EIO, -5, "could not read a system file")                                            \
    X(EPARSE, -6, "malformed system file or value")                                       \
    X(EBACKEND, -7, "the backend's driver or runtime failed")                             \
    X(EABSENT, -8, "backend absent: no driver or no device")                              \
    X(EMISMATCH, -9, "snapshots come from different devices")                             \
    X(EUNKNOWNBACKEND, -10, "unknown backend name")                                       \
    X(EFOREIGN, -11, "refused: the context reads a foreign sysroot")                      \
    X(ERANGE, -12, "value out of range")                                                  \
    X(ESTATE, -13, "call out of order")                                                   \
    X(ENOSPACE, -14, "output buffer too small")                                           \
    X(EENV, -15, "bad value in an environment variable")                                  \
    X(ENOFIT, -16, "does not fit in the memory available")                                \
    X(EFAULT, -17, "injected fault (testing)")                                            \
    X(EGREW, -18, "free memory grew during profiling")                                    \
    X(ETIMEOUT, -19, "a rank did not answer before the deadline")                          \
    X(ECALLBACK, -20, "a callback the caller passed failed")

typedef enum mb_error {
    MB_OK = 0,
#define MB__ERR_ENUM(name, value, msg) MB_##name = (value),
    MB_ERROR_LIST(MB__ERR_ENUM)
#undef MB__ERR_ENUM
} mb_error;

/* A static message for code; never allocates, never NULL ("unknown error" otherwise). */
MB_EXPORT const char *mb_error_message(int code);
/* The symbolic name of code ("MB_EINVAL"), or "MB_UNKNOWN_ERROR". */
MB_EXPORT const char *mb_error_name(int code);
/* The detail message of the last failing call on this thread: names the input and says
 * what would fix it. Thread-local; "" when none. Never NULL. Every function that can fail
 * (those returning an mb_error code) empties it when called, so it is "" after a call that
 * succeeded and holds the failure's own text after one that failed: read it before the
 * next such call. Functions that cannot fail (mb_error_message, mb_error_name, the *_name
 * functions, versions, getters returning a pointer, the *_free functions) leave it alone.
 * docs/errors.md. */
MB_EXPORT const char *mb_error_detail(void);

/* ------------------------------------------------------------------------------------ */
/* Context, backends and devices                                                        */
/* ------------------------------------------------------------------------------------ */

typedef struct mb_context mb_context;

typedef struct mb_context_options {
    uint32_t size; /* the caller's sizeof: set it with MB_CONTEXT_OPTIONS_INIT */
    /* File-system root for every /proc, /sys and /etc read. NULL: MEMBUDGET_SYSROOT, else
     * "/". When it is not "/", allocation and binding are refused (MB_EFOREIGN). */
    const char *sysroot;
    /* Backend selection, "cuda,-hip" style: names to include, "-name" to exclude. NULL:
     * MEMBUDGET_BACKENDS, else every backend. The option wins over the variable. */
    const char *backends;
    /* Reserved; must be zero. */
    unsigned flags;
    /* -- from 1.2 -- */
    /* The environment the context reads instead of the process's, for the variables it
     * names: a NULL-terminated list of "NAME=value" ("NAME" alone: unset), which wins over
     * the process environment. NULL: the process environment. Either way every variable
     * membudget honours (docs/environment.md) is read once, here at mb_context_init, and
     * never again for this context, so a later setenv changes nothing. A name membudget
     * does not read is refused (MB_EINVAL). The strings are copied. */
    const char *const *environment;
} mb_context_options;
#define MB_CONTEXT_OPTIONS_INIT { .size = sizeof(mb_context_options) }

/* Fills the first size bytes of *opts with the defaults (all NULL/zero) and sets opts->size
 * = size: for bindings that cannot use MB_CONTEXT_OPTIONS_INIT (C code can). MB_EINVAL for
 * a NULL opts or a size below this struct's first release. */
MB_EXPORT int mb_context_options_init(mb_context_options *opts, size_t size);

/* Creates a context. Touches no driver (probing is lazy: see mb_context_probe). Copies
 * what it needs from opts (may be NULL). Fails with MB_EUNKNOWNBACKEND for a selection
 * naming no backend (the detail suggests the nearest name) and MB_EINVAL for a sysroot
 * that is not a directory. On failure *out is NULL.
 *
 * What a context holds until mb_context_free (all O_CLOEXEC):
 *  - descriptors: the sysroot's folder when it is not "/" (1); /proc/meminfo (1, from the
 *    first host figure); the memory cgroup's limit, usage and memory.stat files of each
 *    level up to the mount's root (at most 3 per level, 32 levels); one node meminfo per
 *    CPU device; the hugetlb pool files of integrated NVIDIA devices (at most 8). Driver
 *    libraries opened with dlopen stay loaded for the process.
 *  - GPU contexts: none is created; the CUDA backend retains a device's primary context
 *    only when neither the caller's current context nor NVML answers for it, once per
 *    device, and releases it here.
 *  - stack: no call uses more than about 64 KiB (the deepest, the first probe under a
 *    cpuset cgroup, about 60 KiB: gcc -fstack-usage, GCC 12, x86-64).
 * Forks: a context may be created, but not probed, before fork() and used in the child.
 * Once a GPU backend was probed, every call on the context in a child of fork() fails with
 * MB_ESTATE (the driver's state belongs to the parent); mb_context_free in the child then
 * leaves the GPU backends' state alone. */
MB_EXPORT int mb_context_init(mb_context **out, const mb_context_options *opts);
/* Releases the context and every backend's state. NULL is a no-op. Not thread-safe with
 * other uses of the same context. */
MB_EXPORT void mb_context_free(mb_context *ctx);
/* Probes the selected backends in priority order (cuda, hip, cpu), once; later calls
 * return the first result. Absent and broken backends are not errors: they are recorded
 * with their reason (mb_backend_get). Fails only when no device at all is served. */
MB_EXPORT int mb_context_probe(mb_context *ctx);
/* The sysroot in force ("/" for the live machine). Owned by the context. */
MB_EXPORT const char *mb_context_sysroot(const mb_context *ctx);

typedef enum mb_backend_state {
    MB_BACKEND_PRESENT = 0, /* serving devices */
    MB_BACKEND_ABSENT = 1,  /* no driver, no library or no device: quiet */
    MB_BACKEND_BROKEN = 2,  /* present but unusable: a warning, with the path and reason */
    MB_BACKEND_EXCLUDED = 3, /* left out by MEMBUDGET_BACKENDS or the option */
    MB_BACKEND_NOT_BUILT = 4 /* compiled out (MEMBUDGET_WITH_<X>=OFF) */
} mb_backend_state;

#define MB_NAME_MAX 32
#define MB_REASON_MAX 512

typedef struct mb_backend_status {
    uint32_t size; /* the caller's sizeof: set it with MB_BACKEND_STATUS_INIT */
    char name[16];               /* "cuda", "hip", "cpu" */
    int32_t state;               /* an mb_backend_state */
    char reason[MB_REASON_MAX];  /* why absent/broken/excluded; a summary when present */
    int device_count;            /* devices it serves (0 unless present) */
} mb_backend_status;
#define MB_BACKEND_STATUS_INIT { .size = sizeof(mb_backend_status) }

/* Backends known to this build, probed or not: count, then one by index (priority order).
 * mb_backend_get probes first when needed. */
MB_EXPORT int mb_backend_count(mb_context *ctx); /* never fails but for a NULL ctx */
MB_EXPORT int mb_backend_get(mb_context *ctx, int index, mb_backend_status *out);
/* "present", "absent", "broken", "excluded", "not built". */
MB_EXPORT const char *mb_backend_state_name(int32_t state);

typedef struct mb_device_info {
    uint32_t size; /* the caller's sizeof: set it with MB_DEVICE_INFO_INIT */
    char name[MB_NAME_MAX];      /* stable name: "cpu:0", "cuda:1", "hip:0" */
    char backend[16];            /* "cpu", "cuda", "hip" */
    char ops[16];                /* which ops serve it: "cpu", "cuda", "cuda-uma", "hip", "hip-apu" */
    char platform[8];            /* vLLM's device_name for text forms: "cpu", "cuda", "rocm" */
    int index;                   /* the backend's own index (CUDA ordinal, NUMA node id) */
    int integrated;              /* 1: shares one memory pool with the CPU (UMA) */
    char model[128];             /* "NVIDIA H100 80GB HBM3", "NUMA node 0" */
    char pci_bus_id[32];         /* "0000:01:00.0", or "" */
    char uuid[48];               /* "GPU-...", or "" */
    int numa_node;               /* nearest NUMA node, -1 when unknown */
    int64_t total_memory;        /* static total read at probe time */
    /* -- from 1.2 -- */
    int cc_major, cc_minor;      /* compute capability (CUDA); 0.0 when unknown (HIP, CPU) */
} mb_device_info;
#define MB_DEVICE_INFO_INIT { .size = sizeof(mb_device_info) }

/* Number of devices served, after probing (probes when needed); negative on failure. */
MB_EXPORT int mb_device_count(mb_context *ctx);
/* Device number index (0 .. count-1, across backends in priority order). */
MB_EXPORT int mb_device_get(mb_context *ctx, int index, mb_device_info *out);
/* Finds a device by its name ("cuda:0"); MB_ENODEV with the names available otherwise. */
MB_EXPORT int mb_device_find(mb_context *ctx, const char *name, int *index);

/* ------------------------------------------------------------------------------------ */
/* Allocator interface ("torch" in vLLM's names)                                         */
/* ------------------------------------------------------------------------------------ */

typedef struct mb_alloc_stats {
    int64_t allocated; /* bytes in live allocations (allocated_bytes.all.current) */
    int64_t peak;      /* peak of allocated since the last reset (allocated_bytes.all.peak) */
    int64_t reserved;  /* bytes held from the device, cached included (memory_reserved) */
} mb_alloc_stats;

/* What an engine hands membudget about its own allocator. Every callback receives user.
 * stats is required; reset_peak and empty_cache may be NULL (then they are no-ops).
 * Callbacks return 0 or a negative code; they are called from the thread that called
 * into membudget. */
typedef struct mb_allocator {
    void *user;
    int (*stats)(void *user, mb_alloc_stats *out);
    int (*reset_peak)(void *user);
    int (*empty_cache)(void *user);
} mb_allocator;

/* The built-in tracking allocator over the backend's own allocate/free (cuMemAlloc,
 * hipMalloc, mmap on a NUMA node). Every tracker function is internally locked: one
 * tracker may be used from several threads at once (the exception to the rule above).
 * The tracker keeps ctx (which must outlive it) and device. Refused with MB_EFOREIGN
 * under a foreign sysroot. On failure *out is NULL. */
typedef struct mb_tracker mb_tracker;
#define MB_TRACKER_CACHING 1u /* keep freed blocks (reserved) until empty_cache, like torch */
MB_EXPORT int mb_tracker_init(mb_tracker **out, mb_context *ctx, int device, unsigned flags);
/* Frees every block still held (best effort: a block the backend refuses to free is
 * dropped, since nothing is left to report to), then the tracker. NULL is a no-op. */
MB_EXPORT void mb_tracker_free(mb_tracker *t);
/* Allocates bytes (a cached block of the same size first, under MB_TRACKER_CACHING). On
 * failure *ptr is NULL and the counters are unchanged. */
MB_EXPORT int mb_tracker_allocate(mb_tracker *t, size_t bytes, void **ptr);
/* ptr must come from mb_tracker_allocate on t; MB_EINVAL otherwise. When the backend's
 * free fails, the block stays tracked and counted (allocated and reserved unchanged):
 * call again, or mb_tracker_free tries once more. */
MB_EXPORT int mb_tracker_deallocate(mb_tracker *t, void *ptr);
/* Fills *out with an mb_allocator view of t (valid while t lives). Its empty_cache gives
 * cached blocks back to the backend; one the backend refuses stays cached and reserved,
 * and the first failure's code is returned after every other block was tried. */
MB_EXPORT void mb_tracker_get_allocator(mb_tracker *t, mb_allocator *out);

/* ------------------------------------------------------------------------------------ */
/* Snapshots                                                                            */
/* ------------------------------------------------------------------------------------ */

/* Where a snapshot's free and total came from. */
typedef enum mb_source {
    MB_SOURCE_NONE = 0,
    MB_SOURCE_NODE_MEMINFO,         /* /sys/devices/system/node/nodeN/meminfo */
    MB_SOURCE_PROC_MEMINFO,         /* /proc/meminfo MemTotal and MemAvailable */
    MB_SOURCE_CUDA_CURRENT_CONTEXT, /* cuMemGetInfo in the caller's own context */
    MB_SOURCE_NVML,                 /* nvmlDeviceGetMemoryInfo, no context */
    MB_SOURCE_CUDA_PRIMARY_CONTEXT, /* retained primary context, pushed and popped */
    MB_SOURCE_UMA_HOST,             /* integrated GPU: host MemAvailable, bounded */
    MB_SOURCE_HIP,                  /* hipMemGetInfo */
    MB_SOURCE_AMDGPU_SYSFS,         /* mem_info_vram_* under /sys/class/drm */
    MB_SOURCE_VALUES                /* given by the caller (what-if) */
} mb_source;
/* "node-meminfo", "proc-meminfo", "cuda-current-context", "nvml", ... */
MB_EXPORT const char *mb_source_name(int32_t source);

/* Snapshot flags. */
#define MB_SNAP_CLAMPED 1u       /* the backend reported free > total; free was clamped */
#define MB_SNAP_LIMITED 2u       /* free was lowered to what a container limit leaves */
#define MB_SNAP_HOST_FALLBACK 4u /* the NUMA node files cover under 90% of the host's
                                  * MemTotal: with one CPU device its figures are the host's
                                  * (source proc-meminfo); with several they stay the node's,
                                  * and this flag warns that they undercount */

typedef struct mb_snapshot {
    int64_t torch_peak;       /* allocator peak [torch_peak] */
    int64_t free_memory;      /* [free_memory] */
    int64_t total_memory;     /* [total_memory] */
    int64_t device_memory;    /* total - free [cuda_memory] */
    int64_t torch_memory;     /* allocator reserved [torch_memory] */
    int64_t non_torch_memory; /* device_memory - torch_memory [non_torch_memory] */
    double timestamp;         /* seconds since the epoch (a difference after subtraction) */
    int auto_measure;         /* vLLM's auto_measure flag, for the text form */
    char device[MB_NAME_MAX]; /* "cuda:0": subtraction checks it */
    char platform[8];         /* "cuda", "rocm", "cpu": the text form's <platform>_memory */
    int32_t source;           /* an mb_source: where free/total came from */
    uint32_t flags;           /* MB_SNAP_* */
    int64_t driver_free;      /* integrated GPUs: the driver's own free; else MB_UNKNOWN */
    int64_t limit;            /* container limit that applied, or MB_UNLIMITED */
} mb_snapshot;

/* Measures device (an mb_device_get index). alloc may be NULL (then torch_peak and
 * torch_memory are 0, as vLLM's memory_stats().get(..., 0)). Sets auto_measure = 1.
 * Performs no heap allocation. */
MB_EXPORT int mb_snapshot_measure(mb_context *ctx, int device, const mb_allocator *alloc,
                                  mb_snapshot *out);
/* out = a - b, field by field (vLLM's __sub__). MB_EMISMATCH when a and b come from two
 * devices. out may alias a or b. auto_measure of the result is 0. */
MB_EXPORT int mb_snapshot_sub(const mb_snapshot *a, const mb_snapshot *b, mb_snapshot *out);
/* The text form of vLLM's MemorySnapshot.__repr__. Writes at most size bytes including the
 * NUL (snprintf rules) and returns the length the whole text needs; negative on error. */
MB_EXPORT int mb_snapshot_format(const mb_snapshot *s, char *buf, size_t size);

/* vLLM's format_gib: bytes / 2^30 rounded to 2 decimals, trailing zeros dropped, one
 * decimal kept ("1.0", "0.25", "-0.5"). snprintf rules for buf/size and the return. */
MB_EXPORT int mb_size_format_gib(int64_t bytes, char *buf, size_t size);


/* ------------------------------------------------------------------------------------ */
/* The profiling lifecycle (vLLM's memory_profiling)                                    */
/* ------------------------------------------------------------------------------------ */

typedef struct mb_profile {
    int64_t non_kv_cache_memory; /* weights + torch_peak_increase + non_torch_increase */
    int64_t torch_peak_increase; /* after_profile.torch_peak - before_profile.torch_peak */
    int64_t non_torch_increase;  /* after_profile.non_torch - before_create.non_torch */
    int64_t weights_memory;      /* as given to mb_profile_begin */
    mb_snapshot before_create;   /* the baseline, before the engine was created */
    mb_snapshot before_profile;
    mb_snapshot after_profile;
    double profile_time; /* seconds between before_profile and after_profile */
    /* Private: the lifecycle's state. */
    mb_context *ctx_;
    int device_;
    mb_allocator alloc_;
    int state_;
} mb_profile;

/* begin: empties the allocator's cache, resets its peak, and measures before_profile.
 * baseline is copied (its device must be device: MB_EMISMATCH otherwise). alloc may be
 * NULL (no allocator: peaks are zero); it is copied and used until mb_profile_end. */
MB_EXPORT int mb_profile_begin(mb_profile *p, mb_context *ctx, int device,
                               const mb_allocator *alloc, const mb_snapshot *baseline,
                               int64_t weights_memory);
/* end: empties the allocator's cache, measures after_profile and computes the result.
 * MB_ESTATE unless begin succeeded and end was not called yet. On any other failure the
 * profile stays begun (end may be called again), the result fields are left as they were
 * and after_profile is zeroed. */
MB_EXPORT int mb_profile_end(mb_profile *p);
/* The arithmetic alone, from before_create, before_profile, after_profile and
 * weights_memory already in *p (the math tier; no OS). */
MB_EXPORT int mb_profile_compute(mb_profile *p);
/* The text form of vLLM's MemoryProfilingResult.__repr__ (snprintf rules). */
MB_EXPORT int mb_profile_format(const mb_profile *p, char *buf, size_t size);

/* ------------------------------------------------------------------------------------ */
/* Host helpers                                                                         */
/* ------------------------------------------------------------------------------------ */

typedef struct mb_host_memory {
    int64_t total;     /* /proc/meminfo MemTotal */
    int64_t available; /* MemAvailable */
    int64_t free;      /* MemFree */
} mb_host_memory;

/* Host-wide figures from /proc/meminfo under the sysroot. No heap allocation. */
MB_EXPORT int mb_host_memory_get(mb_context *ctx, mb_host_memory *out);
/* vLLM's get_cpu_memory(): total host memory in bytes. */
MB_EXPORT int mb_host_memory_total(mb_context *ctx, int64_t *out);
/* vLLM's get_max_shared_memory_bytes: max shared memory per block (opt-in where the
 * device has it). MB_ENOTSUP for devices without such a notion (the CPU). */
MB_EXPORT int mb_device_max_shared_memory(mb_context *ctx, int device, int64_t *out);

/* Calls each(user, path) once for every /proc and /sys file this context reads (absolute
 * paths as on the machine: "/proc/meminfo", "/sys/devices/system/node/node0/meminfo", the
 * memory and cpuset cgroups' files, ...), so that a tool can copy them into a dump that
 * reproduces this machine's figures (`membudget gather`). Files that do not exist are
 * skipped. each returns 0 to go on, or a negative value that stops the walk and is
 * returned. On a live context "/proc/self" is the calling process. */
MB_EXPORT int mb_context_list_files(mb_context *ctx, int (*each)(void *user, const char *path),
                                    void *user);

#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_H */
