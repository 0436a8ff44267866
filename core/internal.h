/* core/internal.h: the core's private structures (context, backend instances). */
#ifndef MB_CORE_INTERNAL_H
#define MB_CORE_INTERNAL_H

#include <pthread.h>
#include <sys/types.h>

#include "membudget.h"
#include "membudget/numa.h"
#include "membudget/vllm.h"
#include "membudget/backend.h"
#include "../platform/platform.h"
#include "../policy/policy.h"

#define MB_MAX_BACKENDS 8

typedef struct mb_backend_slot {
    const struct mb_backend_ops *ops; /* NULL when not built */
    const char *name;
    mb_backend_status status;
    void *state; /* the backend's private state when present */
    int selected;
    int first_device; /* index of its first device in the context's list */
} mb_backend_slot;

typedef struct mb_device_entry {
    mb_backend_slot *backend;
    int local; /* the backend's own device number passed to its slots */
    mb_device_info info;
} mb_device_entry;

struct mb_context {
    mb_platform plat;
    char *selection; /* the backend selection in force, or NULL */
    pthread_mutex_t lock;
    int probed;     /* 1 after the first probe */
    pid_t probe_pid; /* the process that probed */
    int holds_driver; /* a GPU backend is present: its driver state is this process's */
    int probe_rc;   /* result of that probe */
    char probe_detail[MB_REASON_MAX];
    mb_backend_slot backends[MB_MAX_BACKENDS];
    int nbackends;
    mb_device_entry *devices;
    int ndevices;
};

/* registry.c: the backends built in, in priority order (name, ops or NULL). */
typedef struct mb_backend_def {
    const char *name;
    const struct mb_backend_ops *ops;
} mb_backend_def;
extern const mb_backend_def mb__backend_defs[];
extern const int mb__backend_ndefs;

/* 1 in a child of fork() of the process that probed ctx, when a GPU backend holds driver
 * state: every call that reaches a backend is then refused with MB_ESTATE. */
int mb__context_forked(const mb_context *ctx);

/* Resolves a device index after probing; sets the detail on failure. */
int mb__device_entry(mb_context *ctx, int index, mb_device_entry **out);

/* services.c: the table every backend's probe and files receive. */
extern const mb_backend_services mb__services;

/* vtable.c: the only callers of backend slots. */
int mb__vt_probe(mb_backend_slot *b, const mb_platform *plat, mb_probe_result *res);
int mb__vt_device_count(mb_backend_slot *b);
int mb__vt_device_info(mb_backend_slot *b, int i, mb_device_info *out);
int mb__vt_mem_info(mb_backend_slot *b, int i, mb_meminfo *out);
int mb__vt_max_shared_memory(mb_backend_slot *b, int i, int64_t *out);
int mb__vt_synchronize(mb_backend_slot *b, int i);
int mb__vt_alloc(mb_backend_slot *b, int i, size_t bytes, void **ptr);
int mb__vt_free(mb_backend_slot *b, int i, void *ptr, size_t bytes, int *freed);
void mb__vt_shutdown(mb_backend_slot *b);
/* pressure.c (issue 18): the implementations behind core/abi.c's entry points */
int mb__pressure_watch_init(mb_pressure_watch **out, mb_context *ctx,
                            const mb_pressure_watch_options *opts);
int mb__psi_read(mb_context *ctx, const char *path, mb_psi *out);
int mb__vt_processes(mb_backend_slot *b, int i, const mb_device_info *dev,
                     int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                     size_t why_size);
/* The files slot (version 3); MB_OK and nothing listed when the backend has none. */
int mb__vt_files(const struct mb_backend_ops *ops, const mb_platform *plat,
                 int (*each)(void *user, const char *path), void *user);

/* Checked arithmetic of sizes (bytes as int64): 1 when the exact result does not fit, else
 * 0 with it in *out. Sums and differences of caller-supplied or sentinel values go through
 * these, so no message ever prints a wrapped number. */
static inline int mb__add_overflows(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_add_overflow(a, b, out);
}
static inline int mb__sub_overflows(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_sub_overflow(a, b, out);
}

/* format.c */
int mb__repr_double(double v, char *buf, size_t size); /* Python's repr(float) */
/* mb_size_format_gib into buf, returning buf (for use inside a message's arguments). */
const char *mb__gib(int64_t bytes, char *buf, size_t size);

/* The implementations behind the growing structs' entry points in abi.c: they take and
 * fill structs of the library's own size (docs/abi.md). */
int mb__context_init(mb_context **out, const mb_context_options *opts);
int mb__backend_get(mb_context *ctx, int index, mb_backend_status *out);
int mb__device_get(mb_context *ctx, int index, mb_device_info *out);
int mb__numa_node_get(mb_context *ctx, int index, mb_numa_node *out);
int mb__container_memory_get(mb_context *ctx, mb_container_info *out);
int mb__cpu_kv_space_get(mb_context *ctx, const mb_cpu_kv_options *opts, mb_cpu_kv_space *out);
int mb__model_parse(const char *json, size_t len, const char *name, mb_model *out);
int mb__model_load(const char *path, mb_model *out);
int mb__kv_spec_init(mb_kv_spec *out, const mb_model *m, int block_size, int tp,
                     const char *kv_cache_dtype);
int mb__cudagraph_capture_sizes(const mb_cudagraph_options *o, int *sizes, int cap);
int mb__budget_compute(const mb_profile *p, const mb_budget_options *o, mb_budget *out);
int mb__budget_compute_from_non_kv(const mb_snapshot *init, int64_t non_kv,
                                   const mb_budget_options *o, mb_budget *out);
int mb__plan_compute(const mb_model *m, const mb_snapshot *dev, const mb_plan_options *o,
                     mb_plan *out);
int mb__pressure_release(mb_context *ctx, int device, const mb_allocator *alloc,
                         const mb_pressure_options *opts, mb_pressure_result *out);
/* config.c: one cJSON parse at a time (cJSON keeps its error position in a global), the
 * detail naming line and column; a value described for a message */
struct cJSON;
int mb__json_parse_tree(const char *json, size_t len, const char *name, struct cJSON **out);
void mb__json_describe(const struct cJSON *v, char *buf, size_t size);

/* config_layers.c: each layer's KV-cache kind from a config.json (issue 14) */
int mb__is_mla_model_type(const char *model_type);
int mb__config_head_size(const struct cJSON *text, const struct cJSON *top, const char *name,
                         mb_model *m);
/* Hybrid and chunked layers (config_hybrid.c); *handled = 1 when the model is one. */
int mb__config_hybrid(const struct cJSON *text, const struct cJSON *top, const char *name,
                      mb_model *m, int *handled);
int mb__config_layer_kinds(const struct cJSON *text, const struct cJSON *top, const char *name,
                           mb_model *m);
int mb__config_max_len(const struct cJSON *text, const struct cJSON *top, const char *name,
                       mb_model *m);

/* Distance between two names, for "did you mean". */
int mb__edit_distance(const char *a, const char *b);

#endif
