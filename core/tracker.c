/*
 * core/tracker.c: the built-in tracking allocator over a backend's own alloc/free. It keeps
 * torch's three figures: allocated (live blocks), peak (since the last reset) and reserved
 * (live plus cached blocks). With MB_TRACKER_CACHING a freed block stays reserved until
 * empty_cache, and an allocation of the same size reuses it, like torch's caching
 * allocator does for exact sizes.
 */
#include <pthread.h>
#include <string.h>

#include "internal.h"

typedef struct block {
    void *ptr;
    size_t size;
    int cached;
    struct block *next;
} block;

struct mb_tracker {
    mb_context *ctx;
    mb_device_entry *dev;
    unsigned flags;
    pthread_mutex_t lock;
    block *blocks;
    int64_t allocated, peak, reserved;
};

MB__API(mb_tracker_init, (mb_tracker **out, mb_context *ctx, int device, unsigned flags),
        (out, ctx, device, flags))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_tracker_init: out is NULL");
    *out = NULL;
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_tracker_init: ctx is NULL");
    if (flags & ~MB_TRACKER_CACHING)
        return mb__error(MB_EINVAL, "mb_tracker_init: unknown flags 0x%x; pass 0 or "
                                    "MB_TRACKER_CACHING", flags);
    mb_device_entry *e;
    int rc = mb__device_entry(ctx, device, &e);
    if (rc)
        return rc;
    if (ctx->plat.foreign)
        return mb__error(MB_EFOREIGN, "cannot allocate on %s: the context reads the machine "
                                      "dump at %s, not this machine; unset MEMBUDGET_SYSROOT",
                         e->info.name, ctx->plat.root);
    mb_tracker *t = mb__calloc(1, sizeof *t);
    if (!t)
        return mb__error(MB_ENOMEM, "mb_tracker_init: out of memory");
    t->ctx = ctx;
    t->dev = e;
    t->flags = flags;
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return MB_OK;
}

/* Gives b back to the backend; *freed says whether the memory went (see backend.h). */
static int release_block(mb_tracker *t, block *b, int *freed)
{
    return mb__vt_free(t->dev->backend, t->dev->local, b->ptr, b->size, freed);
}

void mb_tracker_free(mb_tracker *t)
{
    if (!t)
        return;
    block *b = t->blocks;
    while (b) {
        block *n = b->next;
        int freed;
        (void)release_block(t, b, &freed); /* best effort: nothing to report to here */
        mb__free(b);
        b = n;
    }
    pthread_mutex_destroy(&t->lock);
    mb__free(t);
}

MB__API(mb_tracker_allocate, (mb_tracker *t, size_t bytes, void **ptr), (t, bytes, ptr))
{
    if (ptr)
        *ptr = NULL;
    if (!t || !ptr)
        return mb__error(MB_EINVAL, "mb_tracker_allocate: tracker or ptr is NULL");
    if (bytes == 0 || bytes > (size_t)INT64_MAX / 2)
        return mb__error(MB_EINVAL, "mb_tracker_allocate: %zu bytes is not a size that can "
                                    "be allocated", bytes);
    pthread_mutex_lock(&t->lock);
    int rc = MB_OK;
    block *b = NULL;
    for (block *c = t->blocks; c; c = c->next)
        if (c->cached && c->size == bytes) {
            b = c;
            break;
        }
    if (b) {
        b->cached = 0;
    } else {
        b = mb__calloc(1, sizeof *b);
        if (!b) {
            rc = mb__error(MB_ENOMEM, "mb_tracker_allocate: out of memory");
            goto out;
        }
        rc = mb__vt_alloc(t->dev->backend, t->dev->local, bytes, &b->ptr);
        if (rc) {
            mb__free(b);
            goto out;
        }
        b->size = bytes;
        b->next = t->blocks;
        t->blocks = b;
        t->reserved += (int64_t)bytes;
    }
    t->allocated += (int64_t)bytes;
    if (t->allocated > t->peak)
        t->peak = t->allocated;
    *ptr = b->ptr;
out:
    pthread_mutex_unlock(&t->lock);
    return rc;
}

MB__API(mb_tracker_deallocate, (mb_tracker *t, void *ptr), (t, ptr))
{
    if (!t || !ptr)
        return mb__error(MB_EINVAL, "mb_tracker_deallocate: tracker or ptr is NULL");
    pthread_mutex_lock(&t->lock);
    int rc = MB_OK;
    block **pp = &t->blocks;
    while (*pp && ((*pp)->ptr != ptr || (*pp)->cached))
        pp = &(*pp)->next;
    block *b = *pp;
    if (!b) {
        rc = mb__error(MB_EINVAL, "mb_tracker_deallocate: %p was not allocated by this "
                                  "tracker on %s (or was already freed)", ptr, t->dev->info.name);
        goto out;
    }
    t->allocated -= (int64_t)b->size;
    if (t->flags & MB_TRACKER_CACHING) {
        b->cached = 1;
        goto out;
    }
    /* a block the backend could not free stays tracked and counted: the caller may retry,
     * and mb_tracker_free tries again, so device memory is never lost to the tracker */
    int freed = 0;
    rc = release_block(t, b, &freed);
    if (!freed) {
        t->allocated += (int64_t)b->size;
        goto out;
    }
    *pp = b->next;
    t->reserved -= (int64_t)b->size;
    mb__free(b);
out:
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static int tracker_stats(void *user, mb_alloc_stats *out)
{
    mb_tracker *t = user;
    pthread_mutex_lock(&t->lock);
    out->allocated = t->allocated;
    out->peak = t->peak;
    out->reserved = t->reserved;
    pthread_mutex_unlock(&t->lock);
    return MB_OK;
}

static int tracker_reset_peak(void *user)
{
    mb_tracker *t = user;
    pthread_mutex_lock(&t->lock);
    t->peak = t->allocated;
    pthread_mutex_unlock(&t->lock);
    return MB_OK;
}

static int tracker_empty_cache(void *user)
{
    mb_tracker *t = user;
    int rc = MB_OK;
    pthread_mutex_lock(&t->lock);
    block **pp = &t->blocks;
    while (*pp) {
        block *b = *pp;
        if (!b->cached) {
            pp = &b->next;
            continue;
        }
        int freed = 0;
        int r = release_block(t, b, &freed);
        if (r && rc == MB_OK)
            rc = r;
        if (!freed) { /* kept cached and reserved: empty_cache or mb_tracker_free retries */
            pp = &b->next;
            continue;
        }
        *pp = b->next;
        t->reserved -= (int64_t)b->size;
        mb__free(b);
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

void mb_tracker_get_allocator(mb_tracker *t, mb_allocator *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!t)
        return;
    out->user = t;
    out->stats = tracker_stats;
    out->reset_peak = tracker_reset_peak;
    out->empty_cache = tracker_empty_cache;
}
