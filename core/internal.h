/* core/internal.h: the core's private structures (context, backend instances). */
#ifndef MB_CORE_INTERNAL_H
#define MB_CORE_INTERNAL_H

#include <pthread.h>

#include "membudget.h"
#include "membudget/numa.h"
#include "membudget/vllm.h"
#include "membudget/backend.h"
#include "../platform/platform.h"

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

/* Resolves a device index after probing; sets the detail on failure. */
int mb__device_entry(mb_context *ctx, int index, mb_device_entry **out);

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

/* format.c */
int mb__repr_double(double v, char *buf, size_t size); /* Python's repr(float) */
/* mb_size_format_gib into buf, returning buf (for use inside a message's arguments). */
const char *mb__gib(int64_t bytes, char *buf, size_t size);

/* Distance between two names, for "did you mean". */
int mb__edit_distance(const char *a, const char *b);

#endif
