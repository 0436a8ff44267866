/*
 * membudget: measure and budget device memory for LLM inference engines.
 *
 * The one header users include. Semantics follow vLLM's vllm/utils/mem_utils.py
 * (MemorySnapshot, MemoryProfilingResult, memory_profiling); the C API is ours.
 *
 * Conventions that hold for every function below unless its comment says otherwise:
 *  - Return value: 0 (MB_OK) on success, a negative mb_error code on failure.
 *    After a failure, mb_last_error_detail() names the input and what would fix it,
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

#define MEMBUDGET_VERSION_MAJOR 0
#define MEMBUDGET_VERSION_MINOR 1
#define MEMBUDGET_VERSION_PATCH 0
#define MEMBUDGET_VERSION_STRING "0.1.0"

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
    X(EGREW, -18, "free memory grew during profiling")

typedef enum mb_error {
    MB_OK = 0,
#define MB__ERR_ENUM(name, value, msg) MB_##name = (value),
    MB_ERROR_LIST(MB__ERR_ENUM)
#undef MB__ERR_ENUM
} mb_error;

/* A static message for code; never allocates, never NULL ("unknown error" otherwise). */
MB_EXPORT const char *mb_strerror(int code);
/* The symbolic name of code ("MB_EINVAL"), or "MB_UNKNOWN_ERROR". */
MB_EXPORT const char *mb_error_name(int code);
/* The detail message of the last failing call on this thread: names the input and says
 * what would fix it. Thread-local, valid until the next failing call on this thread;
 * "" when none. Never NULL. */
MB_EXPORT const char *mb_last_error_detail(void);

/* ------------------------------------------------------------------------------------ */
/* Context, backends and devices                                                        */
/* ------------------------------------------------------------------------------------ */

typedef struct mb_context mb_context;

typedef struct mb_options {
    /* File-system root for every /proc, /sys and /etc read. NULL: MEMBUDGET_SYSROOT, else
     * "/". When it is not "/", allocation and binding are refused (MB_EFOREIGN). */
    const char *sysroot;
    /* Backend selection, "cuda,-hip" style: names to include, "-name" to exclude. NULL:
     * MEMBUDGET_BACKENDS, else every backend. The option wins over the variable. */
    const char *backends;
    /* Reserved; must be zero. */
    unsigned flags;
} mb_options;

/* Fills *opts with the defaults (all NULL/zero). */
MB_EXPORT void mb_options_init(mb_options *opts);

/* Creates a context. Touches no driver (probing is lazy: see mb_context_probe). Copies
 * what it needs from opts (may be NULL). Fails with MB_EUNKNOWNBACKEND for a selection
 * naming no backend (the detail suggests the nearest name) and MB_EINVAL for a sysroot
 * that is not a directory. On failure *out is NULL. */
MB_EXPORT int mb_context_init(mb_context **out, const mb_options *opts);
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
    char name[16];               /* "cuda", "hip", "cpu" */
    mb_backend_state state;
    char reason[MB_REASON_MAX];  /* why absent/broken/excluded; a summary when present */
    int device_count;            /* devices it serves (0 unless present) */
} mb_backend_status;

/* Backends known to this build, probed or not: count, then one by index (priority order).
 * mb_backend_get probes first when needed. */
MB_EXPORT int mb_backend_count(mb_context *ctx); /* never fails but for a NULL ctx */
MB_EXPORT int mb_backend_get(mb_context *ctx, int index, mb_backend_status *out);
/* "present", "absent", "broken", "excluded", "not built". */
MB_EXPORT const char *mb_backend_state_name(mb_backend_state state);

typedef struct mb_device_info {
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
} mb_device_info;

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
MB_EXPORT void mb_tracker_allocator(mb_tracker *t, mb_allocator *out);

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
MB_EXPORT const char *mb_source_name(mb_source source);

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
    mb_source source;         /* where free/total came from */
    unsigned flags;           /* MB_SNAP_* */
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
MB_EXPORT int mb_format_gib(int64_t bytes, char *buf, size_t size);

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
MB_EXPORT int mb_cpu_memory_total(mb_context *ctx, int64_t *out);
/* vLLM's get_max_shared_memory_bytes: max shared memory per block (opt-in where the
 * device has it). MB_ENOTSUP for devices without such a notion (the CPU). */
MB_EXPORT int mb_max_shared_memory_bytes(mb_context *ctx, int device, int64_t *out);

/* vLLM's release_device_memory_under_pressure, with its thresholds as options. */
typedef struct mb_pressure_options {
    int64_t min_release_bytes; /* default 512 MiB (vLLM's _UMA_MIN_RELEASE_BYTES) */
    double pressure_threshold; /* default 0.8: release when available <= (1-t) x total */
} mb_pressure_options;
MB_EXPORT void mb_pressure_options_init(mb_pressure_options *o);

typedef struct mb_pressure_result {
    int released;          /* 1 when the cache was emptied */
    int64_t releasable;    /* reserved - allocated at the time of the decision */
    int64_t host_available;
    int64_t host_total;
    char reason[160];      /* why it released or did not */
} mb_pressure_result;

/* Only for integrated devices, only when releasable >= min_release_bytes and host
 * available <= (1 - threshold) x host total: synchronizes the device and empties alloc's
 * cache. opts may be NULL (defaults). Not releasing is not an error. */
MB_EXPORT int mb_release_under_pressure(mb_context *ctx, int device, const mb_allocator *alloc,
                                        const mb_pressure_options *opts,
                                        mb_pressure_result *out);

/* ---- KV-cache budget (issue 5) ----------------------------------------------------- */

/*
 * Sizes, KV-cache geometry, CUDA-graph estimates, the budget and the plan. The rules are
 * vLLM's; each function names where in vLLM its rule comes from (docs/plan.md has the
 * arithmetic with a worked example). Unless a comment says otherwise these functions
 * touch no device and no file, keep no state between calls, allocate nothing, and are
 * safe to call from any number of threads at once on distinct outputs.
 */

/* vLLM's default gpu_memory_utilization (vllm/config/cache.py, Field(default=0.92, gt=0,
 * le=1); 0.9 in releases before 0.11). */
#define MB_GPU_MEMORY_UTILIZATION_DEFAULT 0.92
/* vLLM's default block size on CUDA and ROCm (tokens per KV block). */
#define MB_BLOCK_SIZE_DEFAULT 16
/* Sizes larger than this (1 PiB) are refused as absurd by every function below. */
#define MB_SIZE_MAX ((int64_t)1 << 50)

/* Parses a size the way vLLM's command line does (vllm/engine/arg_utils.py,
 * human_readable_int): a plain number of bytes ("85899345920"); a number with a lowercase
 * k, m, g or t, decimal (10^3 .. 10^12), fractions allowed ("1.5g"); a whole number with
 * an uppercase K, M, G or T, binary (2^10 .. 2^40: "80G" is 80 GiB). membudget also takes
 * the explicit binary units KiB, MiB, GiB and TiB (fractions allowed: "0.5GiB") and a
 * trailing "B" after a plain number. "80GB" and "80gb" are refused as ambiguous (the
 * detail says to write 80GiB or 80g). Spaces around the text are ignored. Fractions of a
 * byte are dropped. MB_EPARSE for text that is not a size, MB_ERANGE above MB_SIZE_MAX.
 * The detail quotes text. */
MB_EXPORT int mb_parse_size(const char *text, int64_t *out);

/* --- Model geometry from a Hugging Face config.json --- */

typedef struct mb_model {
    char model_type[64];      /* "llama", "deepseek_v2", ...; "" when absent */
    char dtype[32];           /* torch_dtype (or dtype) as written; "" when absent */
    int dtype_bytes;          /* bytes per element as vLLM runs it with --dtype auto: a
                               * float32 or missing dtype runs in 16 bits (vLLM's
                               * _get_and_verify_dtype), so 2 for every common model */
    int num_layers;           /* num_hidden_layers */
    int num_attention_heads;
    int num_kv_heads;         /* total over all ranks: the first of n_head_kv, num_kv_heads,
                               * num_key_value_heads, multi_query_group_num (vLLM's
                               * get_total_num_kv_heads), else num_attention_heads */
    int head_size;            /* K head size: head_dim, else hidden_size/num_attention_heads;
                               * MLA: kv_lora_rank + qk_rope_head_dim */
    int head_size_v;          /* V head size: head_size; MLA: 0 (one latent, no V) */
    int is_mla;               /* 1: multi-head latent attention (kv_lora_rank is set) */
    int64_t max_model_len;    /* the smallest of max_position_embeddings, n_positions,
                               * max_seq_len, max_sequence_length, max_seq_length, seq_len
                               * (vLLM's list; rope scaling is not applied); 0 when none */
    int64_t weights_bytes;    /* bytes of the weights on disk; MB_UNKNOWN when the folder
                               * does not say (mb_model_load fills it) */
    char weights_source[48];  /* "model.safetensors.index.json", "model.safetensors", "" */
} mb_model;

/* Parses the text of a config.json (len bytes; need not be NUL-terminated). name labels
 * the input in error details (NULL: "config.json"). Fields are looked up in the nested
 * "text_config" object first (multimodal configs), then at the top level. Fails with
 * MB_EPARSE for text that is not JSON (the detail gives line and column) and MB_EINVAL for
 * a missing, zero, negative, fractional or non-numeric field, or an unknown dtype: the
 * detail names the field and its value. weights_bytes is MB_UNKNOWN. The JSON tree lives
 * on the heap (cJSON's) only during the call. Thread-safe: membudget serialises its own
 * cJSON parses, because cJSON keeps the last parse error in a global (a program that also
 * parses with cJSON on other threads shares that global with it). */
MB_EXPORT int mb_model_parse(const char *json, size_t len, const char *name, mb_model *out);

/* Reads path: a config.json, or a folder holding one. The path is the caller's own file,
 * read as is (the context's sysroot does not apply). The weights come from the same
 * folder: metadata.total_size of model.safetensors.index.json, else the tensor bytes of a
 * single model.safetensors (its size less its header); MB_UNKNOWN when neither is there.
 * MB_EIO for a file that cannot be read, then as mb_model_parse. Allocates and frees a
 * buffer for the file; keeps nothing. */
MB_EXPORT int mb_model_load(const char *path, mb_model *out);

/* --- KV-cache geometry per rank (vllm/v1/kv_cache_interface.py) --- */

typedef struct mb_kv_spec {
    int block_size;           /* tokens per block */
    int tensor_parallel_size;
    int num_layers;
    int num_kv_heads;         /* per rank: max(1, total / tp) (vLLM's get_num_kv_heads:
                               * heads are replicated when tp > heads); MLA: 1 */
    int head_size;
    int head_size_v;
    int dtype_bytes;          /* of the cache: the model's, or 1 for an fp8 cache dtype */
    char cache_dtype[16];     /* "auto", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2",
                               * "fp8_inc", "fp8_ds_mla" (vLLM's CacheDType) */
    int64_t page_bytes;       /* one block of one layer on one rank: block_size x heads x
                               * (head_size + head_size_v) x dtype_bytes (FullAttentionSpec);
                               * MLA: block_size x head_size x dtype_bytes (MLAAttentionSpec);
                               * fp8_ds_mla: block_size x 656 */
    int64_t block_bytes;      /* page_bytes x num_layers: one block over all layers */
    int64_t bytes_per_token;  /* block_bytes / block_size */
} mb_kv_spec;

/* Derives the per-rank geometry. block_size must be one of vLLM's 1, 8, 16, 32, 64, 128,
 * 256; tensor_parallel_size >= 1 and, as vLLM requires, dividing num_attention_heads, and
 * either dividing the KV heads or (replication) divisible by them; kv_cache_dtype NULL or
 * "auto" keeps the model's dtype. MB_EINVAL naming the parameter and value otherwise. */
MB_EXPORT int mb_kv_spec_init(mb_kv_spec *out, const mb_model *m, int block_size,
                              int tensor_parallel_size, const char *kv_cache_dtype);

/* vLLM's get_num_blocks over ranks (kv_cache_utils.py): each rank holds
 * available[r] // page_bytes // num_layers blocks (never below 0) and every rank is cut to
 * the smallest (get_kv_cache_configs). nranks >= 1; min_rank (may be NULL) receives the
 * rank that set the minimum (the first of equals). */
MB_EXPORT int mb_kv_num_blocks(const mb_kv_spec *s, const int64_t *available, int nranks,
                               int64_t *num_blocks, int *min_rank);

/* vLLM's get_max_concurrency_for_kv_cache_config: num_blocks / cdiv(max_model_len,
 * block_size), as a fraction. max_model_len >= 1. */
MB_EXPORT int mb_kv_max_concurrency(const mb_kv_spec *s, int64_t num_blocks,
                                    int64_t max_model_len, double *out);

/* vLLM's check_enough_kv_cache_memory: MB_OK when available holds one request of
 * max_model_len tokens. MB_ENOFIT otherwise: when available <= 0 ("no memory for the cache
 * blocks"), or with a detail naming max_model_len and its value, the KV bytes it needs,
 * those available, and the longest max_model_len that fits (vLLM's
 * estimate_max_model_len: num_blocks x block_size for one group). */
MB_EXPORT int mb_kv_check(const mb_kv_spec *s, int64_t available, int64_t max_model_len);

/* --- CUDA graphs (vllm/config/vllm.py _set_cudagraph_sizes; gpu_model_runner.py
 *     profile_cudagraph_memory) --- */

typedef struct mb_cudagraph_options {
    int max_num_seqs;               /* default 256 */
    int64_t max_num_batched_tokens; /* default 8192 */
    int num_speculative_tokens;     /* default 0 */
    int max_capture_size;           /* 0 (default): min(max_num_seqs x (1 + speculative)
                                     * x 2, 512); either way capped by
                                     * max_num_batched_tokens */
} mb_cudagraph_options;
MB_EXPORT void mb_cudagraph_options_init(mb_cudagraph_options *o);

/* vLLM's default capture sizes: 1, 2, 4, then 8 to 248 by 8, then 256 to the maximum by
 * 16, none above the maximum. Writes at most cap sizes (ascending) into sizes (may be
 * NULL when cap is 0) and returns how many there are (51 with the defaults); negative on
 * bad options (MB_EINVAL naming the field). */
MB_EXPORT int mb_cudagraph_capture_sizes(const mb_cudagraph_options *o, int *sizes, int cap);

/* An engine feeds its measured captures here, per mode (vLLM captures FULL and PIECEWISE
 * graphs separately: mode is the engine's own index, 0 .. MB_CUDAGRAPH_MAX_MODES-1).
 * Plain data owned by the caller: no heap, no locks (one thread at a time). */
#define MB_CUDAGRAPH_MAX_MODES 4
typedef struct mb_cudagraph_mode {
    int num_graphs;  /* graphs this mode will capture (set with mb_cudagraph_set_graphs) */
    int samples;     /* captures fed so far (only the first two are used) */
    int64_t first;   /* bytes of the first capture */
    int64_t second;  /* bytes of the second capture */
} mb_cudagraph_mode;
typedef struct mb_cudagraph_estimator {
    mb_cudagraph_mode mode[MB_CUDAGRAPH_MAX_MODES];
} mb_cudagraph_estimator;

MB_EXPORT void mb_cudagraph_estimator_init(mb_cudagraph_estimator *e);
/* Sets how many graphs mode will capture (>= 0). MB_EINVAL for a bad mode or count. */
MB_EXPORT int mb_cudagraph_set_graphs(mb_cudagraph_estimator *e, int mode, int num_graphs);
/* Feeds the bytes one capture took (>= 0; a negative figure means another process freed
 * memory meanwhile: MB_EGREW, nothing recorded). */
MB_EXPORT int mb_cudagraph_feed(mb_cudagraph_estimator *e, int mode, int64_t bytes);
/* Feeds before.free_memory - after.free_memory of two snapshots of one device taken
 * around a capture (MB_EMISMATCH for two devices, MB_EGREW when free memory grew). */
MB_EXPORT int mb_cudagraph_feed_snapshots(mb_cudagraph_estimator *e, int mode,
                                          const mb_snapshot *before,
                                          const mb_snapshot *after);
/* vLLM's estimate: per mode, first + (num_graphs - 1) x max(second, 1 MiB) (the 1 MiB
 * floor is vLLM's "driver overhead" per graph); modes share the graph pool, so the total
 * is the largest first capture plus the sum of the per-graph parts. 0 when no mode has
 * graphs. MB_ESTATE when a mode with graphs has had no capture fed (the detail names it). */
MB_EXPORT int mb_cudagraph_estimate(const mb_cudagraph_estimator *e, int64_t *out);

/* --- The budget (vllm/v1/worker/gpu_worker.py determine_available_memory) --- */

/* How the memory that is not KV cache is counted. */
typedef enum mb_non_kv_formula {
    /* The seed's (vLLM's mem_utils.memory_profiling): weights + torch_peak_increase +
     * non_torch_increase, as mb_profile computes it. The default. */
    MB_NON_KV_PROFILE = 0,
    /* vLLM 0.28's: the memory consumed according to free memory (before_create.free -
     * after_profile.free) plus the transient peak headroom (allocator peak - allocator
     * current, after profiling). */
    MB_NON_KV_CONSUMED = 1
} mb_non_kv_formula;
/* "profile", "consumed"; "unknown" otherwise. */
MB_EXPORT const char *mb_non_kv_formula_name(mb_non_kv_formula f);

/* Option flags. */
#define MB_BUDGET_FREE_GROWTH_FALLBACK 1u /* when free memory grew during profiling (another
                                           * process let go of memory), go on instead of
                                           * failing with MB_EGREW: MB_NON_KV_CONSUMED counts
                                           * the allocator's reserved growth as consumed,
                                           * MB_NON_KV_PROFILE counts a negative non-torch
                                           * increase as 0; both are lower bounds (vLLM
                                           * falls back so on ROCm: vllm#53591) */

typedef struct mb_budget_options {
    double gpu_memory_utilization; /* (0, 1]; default MB_GPU_MEMORY_UTILIZATION_DEFAULT */
    int64_t kv_cache_memory_bytes; /* > 0: the KV cache size, bypassing profiling (vLLM's
                                    * kv_cache_memory_bytes); 0 (default): from the budget */
    mb_non_kv_formula formula;     /* default MB_NON_KV_PROFILE */
    int64_t cudagraph_memory;      /* CUDA-graph estimate to set aside (>= 0; default 0) */
    int64_t torch_current;         /* the allocator's allocated bytes after profiling, for
                                    * MB_NON_KV_CONSUMED; MB_UNKNOWN (default): the
                                    * after_profile snapshot's reserved bytes stand in */
    unsigned flags;                /* MB_BUDGET_* option flags */
} mb_budget_options;
MB_EXPORT void mb_budget_options_init(mb_budget_options *o);

/* Result flags. */
#define MB_BUDGET_EXPLICIT 1u  /* available_kv_cache_memory is kv_cache_memory_bytes */
#define MB_BUDGET_FELL_BACK 2u /* free memory grew; MB_BUDGET_FREE_GROWTH_FALLBACK applied */

typedef struct mb_budget {
    char device[MB_NAME_MAX];
    int64_t total_memory;          /* of the start-up snapshot (vLLM's init_snapshot) */
    int64_t free_memory;           /* of the start-up snapshot */
    double gpu_memory_utilization;
    int64_t requested_memory;      /* ceil(total x utilization) */
    mb_non_kv_formula formula;
    int64_t non_kv_cache_memory;   /* by formula; 0 when explicit */
    int64_t weights_memory;        /* the parts of MB_NON_KV_PROFILE */
    int64_t torch_peak_increase;
    int64_t non_torch_increase;
    int64_t consumed_memory;       /* the parts of MB_NON_KV_CONSUMED */
    int64_t transient_memory;
    int64_t cudagraph_memory;      /* set aside for CUDA graphs; 0 when explicit */
    int64_t available_kv_cache_memory; /* requested - non-KV - CUDA graphs, > 0 */
    unsigned flags;                /* MB_BUDGET_EXPLICIT, MB_BUDGET_FELL_BACK */
} mb_budget;

/* requested = ceil(total x utilization), in double arithmetic as vLLM's Python does
 * (vllm/v1/worker/utils.py request_memory). MB_EINVAL for a utilization outside (0, 1]
 * (NaN included) or total <= 0; MB_ERANGE for total above MB_SIZE_MAX. */
MB_EXPORT int mb_budget_requested(int64_t total_memory, double gpu_memory_utilization,
                                  int64_t *out);

/* vLLM's start-up check (request_memory): MB_ENOFIT unless init->free_memory >= requested.
 * The detail names the device, free/total GiB, the utilization and the requested GiB, and
 * says what to change: the largest utilization that would pass, or how much memory other
 * processes must free. *requested is set on success only. */
MB_EXPORT int mb_budget_check_startup(const mb_snapshot *init, double gpu_memory_utilization,
                                      int64_t *requested);

/* determine_available_memory from a finished profile (mb_profile_end, or the three
 * snapshots of mb_profile_compute): the start-up check on p->before_create; then, unless
 * kv_cache_memory_bytes bypasses it, MB_EGREW when free memory grew between before_create
 * and after_profile (unless MB_BUDGET_FREE_GROWTH_FALLBACK), the non-KV memory by
 * o->formula, and available = requested - non-KV - o->cudagraph_memory. MB_ENOFIT when
 * nothing is left for the KV cache (the detail gives each term and what to change).
 * o may be NULL (defaults). p is read only. */
MB_EXPORT int mb_budget_compute(const mb_profile *p, const mb_budget_options *o,
                                mb_budget *out);

/* The same from a non-KV figure known beforehand (a what-if, or an earlier profile):
 * the start-up check on init, then available = requested - non_kv - cudagraph_memory
 * (formula and fallback options do not apply; non_kv >= 0). */
MB_EXPORT int mb_budget_from_non_kv(const mb_snapshot *init, int64_t non_kv,
                                    const mb_budget_options *o, mb_budget *out);

/* A what-if device: a snapshot with the given total and free (free = total when free is
 * MB_UNKNOWN), named "what-if", source MB_SOURCE_VALUES, no allocator figures. MB_EINVAL
 * for total <= 0, free < 0 or free > total; MB_ERANGE above MB_SIZE_MAX. */
MB_EXPORT int mb_snapshot_what_if(int64_t total_memory, int64_t free_memory,
                                  mb_snapshot *out);

/* --- The plan: how many tokens fit (what `membudget plan` prints) --- */

typedef struct mb_plan_options {
    double gpu_memory_utilization;  /* default MB_GPU_MEMORY_UTILIZATION_DEFAULT */
    int block_size;                 /* default MB_BLOCK_SIZE_DEFAULT */
    int tensor_parallel_size;       /* default 1 */
    int64_t max_model_len;          /* 0 (default): the model's; -1: the longest that fits
                                     * (vLLM's auto-fit), capped at the model's */
    int max_num_seqs;               /* default 256 (sizes the CUDA graphs) */
    int64_t max_num_batched_tokens; /* default 8192 (caps the CUDA graphs) */
    const char *kv_cache_dtype;     /* NULL (default) or "auto": the model's dtype */
    int64_t kv_cache_memory_bytes;  /* > 0: explicit KV size per rank; 0 (default) */
    int64_t non_kv_memory;          /* per rank, from a profiling run; MB_UNKNOWN (default):
                                     * the weights alone */
    int64_t weights_memory;         /* whole model; MB_UNKNOWN (default): the model's */
    int64_t cudagraph_memory;       /* estimate per rank; MB_UNKNOWN (default): from the
                                     * captures below, else vLLM's floor */
    int64_t cudagraph_first;        /* a measured first capture; MB_UNKNOWN (default) */
    int64_t cudagraph_second;       /* a measured second capture; MB_UNKNOWN (default) */
    int enforce_eager;              /* 1: no CUDA graphs */
} mb_plan_options;
MB_EXPORT void mb_plan_options_init(mb_plan_options *o);

/* Where the plan's non-KV figure came from. */
typedef enum mb_non_kv_source {
    MB_NON_KV_FROM_OPTION = 0,   /* non_kv_memory was given */
    MB_NON_KV_FROM_WEIGHTS = 1,  /* weights / tp only: activations and non-torch memory are
                                  * not in it, so the KV figures are an upper bound */
    MB_NON_KV_FROM_NOTHING = 2,  /* nothing known: counted as 0, an upper bound */
    MB_NON_KV_NOT_USED = 3       /* kv_cache_memory_bytes bypassed the budget */
} mb_non_kv_source;
/* "option", "weights", "none", "not used". */
MB_EXPORT const char *mb_non_kv_source_name(mb_non_kv_source s);

/* Where the plan's CUDA-graph figure came from. */
typedef enum mb_cudagraph_source {
    MB_CUDAGRAPH_NONE = 0,     /* enforce_eager, explicit KV size, or a CPU device */
    MB_CUDAGRAPH_GIVEN = 1,    /* cudagraph_memory */
    MB_CUDAGRAPH_MEASURED = 2, /* from cudagraph_first/second */
    MB_CUDAGRAPH_FLOOR = 3     /* unmeasured: (graphs - 1) x 1 MiB, vLLM's floor */
} mb_cudagraph_source;
/* "none", "given", "measured", "floor". */
MB_EXPORT const char *mb_cudagraph_source_name(mb_cudagraph_source s);

typedef struct mb_plan {
    mb_budget budget;            /* per rank (every rank is taken to be like the device) */
    mb_kv_spec spec;
    mb_non_kv_source non_kv_source;
    int64_t weights_memory;      /* whole model, MB_UNKNOWN when unknown */
    mb_cudagraph_source cudagraph_source;
    int num_cudagraphs;          /* capture sizes (0 when eager) */
    int64_t max_model_len;       /* in force */
    int64_t blocks_per_request;  /* cdiv(max_model_len, block_size) */
    int64_t num_blocks;          /* per rank, the minimum over ranks */
    int64_t kv_cache_tokens;     /* num_blocks x block_size */
    int64_t kv_cache_bytes;      /* num_blocks x block_bytes: allocated per rank */
    double max_concurrency;      /* num_blocks / blocks_per_request */
    int64_t longest_request;     /* the longest max_model_len one request can have */
    int startup_ok;              /* 1: the start-up check passes */
    int fits;                    /* 1: starts, and at least one max_model_len request fits */
    char verdict[768];           /* one paragraph: fits, or what to change */
} mb_plan;

/* Plans model m on a device like dev (measured, or mb_snapshot_what_if). Returns MB_OK
 * whenever the figures could be computed, fits or not (then fits = 0 and verdict says what
 * to change: --gpu-memory-utilization, --max-model-len, --kv-cache-dtype,
 * --tensor-parallel-size, or freeing memory); the error codes are for bad input:
 * MB_EINVAL / MB_ERANGE naming the option (by its command-line flag) and its value, e.g. a
 * max_model_len above the model's own. o may be NULL (defaults). */
MB_EXPORT int mb_plan_compute(const mb_model *m, const mb_snapshot *dev,
                              const mb_plan_options *o, mb_plan *out);


/* ---- NUMA, containers and CPU KV space (issue 8) ----------------------------------- */

/*
 * On a CPU deployment the KV cache lives in host memory, one engine rank per NUMA node,
 * often inside a container. These functions describe the nodes, the container's memory
 * limit, which node a local rank uses (vLLM's VLLM_CPU_OMP_THREADS_BIND and
 * CPU_VISIBLE_MEMORY_NODES) and the KV-cache size of that rank (VLLM_CPU_KVCACHE_SPACE).
 * docs/numa.md has the rules and where they come from.
 *
 * Common contract: ctx is probed when needed (the topology is read once per context, at
 * the CPU backend's probe, and never changes after). Every function reads files under the
 * context's sysroot and has no side effect on the machine, so each works on a machine dump.
 * They are safe to call from several threads on one context. On failure every output is
 * zeroed (int fields that name a node or device are -1) and mb_last_error_detail() names
 * the variable or file and what to change.
 */

/* One NUMA node as the kernel lists it (online nodes only; ids may be sparse). */
typedef struct mb_numa_node {
    int node;             /* the kernel's node id */
    int has_cpus;         /* 1: at least one online CPU sits on this node */
    int has_memory;       /* 1: the node has memory (has_memory / has_normal_memory) */
    int allowed;          /* 1: this process's cpuset lets it use the node's memory */
    int cpus;             /* online CPUs on the node; -1 when the files do not say */
    int cpus_allowed;     /* of those, in this process's CPU affinity; -1 when unknown */
    int device;           /* mb_device_get index of cpu:<node>; -1 when not a device */
    int64_t total_memory; /* the node's MemTotal (0 for a node without memory) */
    int64_t free_memory;  /* MemFree + Active(file) + Inactive(file) + SReclaimable of the
                             node, read by this call (the node's own figure: neither the
                             container limit nor the host fallback applies) */
    char kind[48];        /* "cpu+memory", "memory-only", "memory-only (GPUMemory)" (hwloc's
                             subtype when known), "cpus-only", "no cpus or memory" */
    char why_not[128];    /* why the node is not a CPU device; "" when it is one */
} mb_numa_node;

/* The number of online NUMA nodes (allowed or not, with CPUs or not); 0 on a machine
 * without /sys/devices/system/node (then cpu:0 is the host). Negative on failure. */
MB_EXPORT int mb_numa_node_count(mb_context *ctx);
/* Node number index (0 .. count-1, in node-id order), its free memory read now. Memory-only
 * nodes (CXL, GPU memory that GH200/GB200 expose as CPU-less nodes) are listed here and are
 * never CPU devices. Performs no heap allocation. */
MB_EXPORT int mb_numa_node_get(mb_context *ctx, int index, mb_numa_node *out);

/* This process's memory cgroup. */
typedef struct mb_container_info {
    int version;           /* 1 or 2; 0 when the process is in no memory cgroup */
    char path[256];        /* the cgroup path from /proc/self/cgroup ("" for version 0) */
    int64_t limit;         /* smallest limit of the cgroup and its ancestors; MB_UNLIMITED */
    int64_t usage;         /* the cgroup's memory.current / memory.usage_in_bytes; MB_UNKNOWN */
    int64_t inactive_file; /* its inactive file cache, read only under a limit; MB_UNKNOWN */
    int64_t available;     /* what every limited level still leaves: the smallest
                              limit_i - (usage_i - inactive_file_i) over the cgroup and its
                              limited ancestors (a parent shared with siblings can bind
                              first), >= 0; MB_UNLIMITED when no level is limited */
    char bound_by[256];    /* the level that gives available, as a path below the cgroup
                              mount ("/kubepods.slice/pod1.slice"); "" when unlimited */
} mb_container_info;
/* Reads the container's figures now (the cgroup's files stay open for the context's life;
 * each call is a few reads). Snapshots of CPU devices and of integrated GPUs already bound
 * their free memory by available. */
MB_EXPORT int mb_container_memory_get(mb_context *ctx, mb_container_info *out);

/* How a local rank's node was chosen (VLLM_CPU_OMP_THREADS_BIND). */
typedef enum mb_cpu_bind {
    MB_CPU_BIND_AUTO = 0,   /* "auto" or unset: rank i takes the i-th visible node */
    MB_CPU_BIND_NOBIND = 1, /* "nobind" (or the legacy "all"): the node of this process's
                               first allowed CPU, whatever the rank */
    MB_CPU_BIND_LIST = 2    /* per-rank CPU lists "0-31|32-63": the node of the rank's
                               first CPU */
} mb_cpu_bind;

typedef struct mb_cpu_rank {
    int local_rank;
    mb_cpu_bind bind;
    int node;             /* the NUMA node the rank's KV cache lives on */
    int device;           /* mb_device_get index of that node's CPU device */
    char cpus[128];       /* the rank's CPU list (MB_CPU_BIND_LIST), else "" */
    char reason[MB_REASON_MAX]; /* how the node was chosen, in one line */
} mb_cpu_rank;

/* The CPU device of local_rank (>= 0). Visible nodes are the CPU devices (nodes with CPUs
 * and memory that the cpuset allows), narrowed and ordered by CPU_VISIBLE_MEMORY_NODES when
 * set and not empty. Fails with MB_EENV for a malformed variable (the detail quotes it),
 * MB_ENODEV when the rank has no node (more ranks than visible nodes, or a CPU list whose
 * CPUs are not online), MB_ENOTSUP when the CPU backend serves no device. */
MB_EXPORT int mb_cpu_rank_device(mb_context *ctx, int local_rank, mb_cpu_rank *out);

/* vLLM's default --gpu-memory-utilization, which vLLM also applies to CPU memory
 * (vllm/config/cache.py: 0.92; vllm/v1/worker/cpu_worker.py uses it for the CPU). */
#define MB_CPU_UTILIZATION_DEFAULT 0.92

typedef struct mb_cpu_kv_options {
    int local_rank;     /* default 0 */
    double utilization; /* in (0, 1]; default MB_CPU_UTILIZATION_DEFAULT */
} mb_cpu_kv_options;
/* Fills *o with the defaults. */
MB_EXPORT void mb_cpu_kv_options_init(mb_cpu_kv_options *o);

typedef struct mb_cpu_kv_space {
    int explicit_size;      /* 1: VLLM_CPU_KVCACHE_SPACE gave it; 0: automatic */
    int64_t bytes;          /* the rank's KV-cache size */
    mb_cpu_rank rank;       /* its node and why */
    int64_t node_total;     /* the device's total (node MemTotal, or the host's in the
                               host fallback) */
    int64_t node_available; /* the device's free now, bounded by the container */
    int64_t container_limit; /* MB_UNLIMITED when none */
    double utilization;     /* automatic: the fraction used */
    int64_t requested;      /* automatic: ceil(node_total x utilization) */
    int64_t resident;       /* automatic: this process's VmRSS */
    char reason[MB_REASON_MAX]; /* the decision in one line, vLLM's words where it has them */
} mb_cpu_kv_space;

/* The CPU KV-cache size for a local rank, as vLLM's CPU worker decides it
 * (vllm/v1/worker/cpu_worker.py, determine_available_memory):
 *  - VLLM_CPU_KVCACHE_SPACE set and not empty: that many GiB, explicitly;
 *  - unset or empty: ceil(node_total x utilization) - resident, automatically.
 * Errors: MB_EENV for a bad VLLM_CPU_KVCACHE_SPACE, VLLM_CPU_OMP_THREADS_BIND or
 * CPU_VISIBLE_MEMORY_NODES (each its own message, quoting the value and saying what is
 * accepted); MB_ENOFIT when the size exceeds the node's available memory, or the automatic
 * size is not positive: the detail gives the node, its available and total GiB and what to
 * change. opts may be NULL (defaults); MB_EINVAL for a utilization outside (0, 1] or a
 * negative rank. */
MB_EXPORT int mb_cpu_kv_space_get(mb_context *ctx, const mb_cpu_kv_options *opts,
                                  mb_cpu_kv_space *out);

/* Calls each(user, path) once for every /proc and /sys file this context reads (absolute
 * paths as on the machine: "/proc/meminfo", "/sys/devices/system/node/node0/meminfo", the
 * memory and cpuset cgroups' files, ...), so that a tool can copy them into a dump that
 * reproduces this machine's figures (`membudget gather`). Files that do not exist are
 * skipped. each returns 0 to go on, or a negative value that stops the walk and is
 * returned. On a live context "/proc/self" is the calling process. */
MB_EXPORT int mb_sysfs_files(mb_context *ctx, int (*each)(void *user, const char *path),
                             void *user);


#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_H */
