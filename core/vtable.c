/*
 * core/vtable.c: the only place the core calls backend slots. Each wrapper zeroes the
 * outputs, supplies the default of an optional slot, turns an injected fault into an
 * error naming the slot, and keeps outputs zeroed when the slot fails.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define FAULT(b, slot)                                                                      \
    do {                                                                                    \
        if (mb__fault_hit("backend." slot))                                                 \
            return mb__error(MB_EFAULT, "%s backend: %s failed (injected fault)", (b)->name, \
                             slot);                                                         \
    } while (0)

int mb__vt_probe(mb_backend_slot *b, const mb_platform *plat, mb_probe_result *res)
{
    memset(res, 0, sizeof *res);
    b->state = NULL;
    if (b->ops->version < 1 || b->ops->version > MB_BACKEND_VERSION) {
        res->state = MB_PROBE_BROKEN;
        snprintf(res->reason, sizeof res->reason,
                 "backend built for vtable version %u; this library takes versions 1 to %d",
                 b->ops->version, MB_BACKEND_VERSION);
        return MB_OK;
    }
    if (mb__fault_hit("backend.probe")) {
        res->state = MB_PROBE_BROKEN;
        snprintf(res->reason, sizeof res->reason, "probe failed (injected fault)");
        return MB_OK;
    }
    int rc = b->ops->probe(plat, &mb__services, &b->state, res);
    if (rc || res->state != MB_PROBE_PRESENT) {
        if (b->state && b->ops->shutdown)
            b->ops->shutdown(b->state);
        b->state = NULL;
    }
    if (rc == MB_OK && res->state == MB_PROBE_PRESENT && !res->reason[0])
        snprintf(res->reason, sizeof res->reason, "ok");
    return rc;
}

int mb__vt_device_count(mb_backend_slot *b)
{
    FAULT(b, "device_count");
    return b->ops->device_count(b->state);
}

int mb__vt_device_info(mb_backend_slot *b, int i, mb_device_info *out)
{
    memset(out, 0, sizeof *out);
    out->numa_node = -1;
    out->index = i;
    FAULT(b, "device_info");
    mb_backend_device d;
    memset(&d, 0, sizeof d);
    d.index = i;
    d.numa_node = -1;
    int rc = b->ops->device_info(b->state, i, &d);
    if (rc) {
        out->index = 0;
        return rc;
    }
    out->index = d.index;
    out->integrated = d.integrated;
    out->numa_node = d.numa_node;
    out->total_memory = d.total_memory;
    out->cc_major = d.cc_major;
    out->cc_minor = d.cc_minor;
    snprintf(out->ops, sizeof out->ops, "%s", d.ops);
    snprintf(out->model, sizeof out->model, "%s", d.model);
    snprintf(out->pci_bus_id, sizeof out->pci_bus_id, "%s", d.pci_bus_id);
    snprintf(out->uuid, sizeof out->uuid, "%s", d.uuid);
    return MB_OK;
}

int mb__vt_mem_info(mb_backend_slot *b, int i, mb_meminfo *out)
{
    memset(out, 0, sizeof *out);
    out->driver_free = MB_UNKNOWN;
    out->limit = MB_UNLIMITED;
    FAULT(b, "mem_info");
    int rc = b->ops->mem_info(b->state, i, out);
    if (rc) {
        memset(out, 0, sizeof *out);
        out->driver_free = MB_UNKNOWN;
        out->limit = MB_UNLIMITED;
    }
    return rc;
}

int mb__vt_max_shared_memory(mb_backend_slot *b, int i, int64_t *out)
{
    *out = 0;
    if (!b->ops->max_shared_memory)
        return mb__error(MB_ENOTSUP, "the %s backend has no shared memory per block; "
                                     "max_shared_memory applies to GPUs", b->name);
    FAULT(b, "max_shared_memory");
    int rc = b->ops->max_shared_memory(b->state, i, out);
    if (rc)
        *out = 0;
    return rc;
}

int mb__vt_synchronize(mb_backend_slot *b, int i)
{
    if (!b->ops->synchronize)
        return MB_OK;
    FAULT(b, "synchronize");
    return b->ops->synchronize(b->state, i);
}

int mb__vt_alloc(mb_backend_slot *b, int i, size_t bytes, void **ptr)
{
    *ptr = NULL;
    if (!b->ops->alloc)
        return mb__error(MB_ENOTSUP, "the %s backend cannot allocate device memory", b->name);
    FAULT(b, "alloc");
    int rc = b->ops->alloc(b->state, i, bytes, ptr);
    if (rc)
        *ptr = NULL;
    return rc;
}

int mb__vt_free(mb_backend_slot *b, int i, void *ptr, size_t bytes, int *freed)
{
    *freed = 0;
    if (!b->ops->free)
        return mb__error(MB_ENOTSUP, "the %s backend cannot free device memory", b->name);
    /* No injected fault at this slot: the backends' own driver calls are injected (the
     * test doubles), which is where a free really fails. */
    return b->ops->free(b->state, i, ptr, bytes, freed);
}

void mb__vt_shutdown(mb_backend_slot *b)
{
    if (b->state && b->ops && b->ops->shutdown)
        b->ops->shutdown(b->state);
    b->state = NULL;
}

int mb__vt_processes(mb_backend_slot *b, int i, const mb_device_info *dev,
                     int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                     size_t why_size)
{
    why[0] = '\0';
    if (!MB_BACKEND_HAS(b->ops, processes, 2)) {
        snprintf(why, why_size, "the %s backend cannot attribute memory to processes",
                 b->name);
        return MB_ENOTSUP;
    }
    FAULT(b, "processes");
    int rc = b->ops->processes(b->state, i, dev, add, sink, why, why_size);
    if (rc == MB_ENOTSUP && !why[0])
        snprintf(why, why_size, "the %s backend lists no processes for %s", b->name,
                 dev->name);
    return rc;
}

int mb__vt_files(const struct mb_backend_ops *ops, const mb_platform *plat,
                 int (*each)(void *user, const char *path), void *user)
{
    if (!ops || !MB_BACKEND_HAS(ops, files, 3))
        return MB_OK;
    return ops->files(plat, &mb__services, each, user);
}
