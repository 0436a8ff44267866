/*
 * core/registry.c: the backends built in, the context, probing in priority order and the
 * device list. Backend selection comes from the option, else MEMBUDGET_BACKENDS.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "internal.h"

#ifdef MEMBUDGET_HAVE_CUDA
extern const struct mb_backend_ops mb__backend_cuda;
#endif
#ifdef MEMBUDGET_HAVE_HIP
extern const struct mb_backend_ops mb__backend_hip;
#endif
extern const struct mb_backend_ops mb__backend_cpu;

/* Priority order: accelerators first, the CPU last (it always serves). */
const mb_backend_def mb__backend_defs[] = {
#ifdef MEMBUDGET_HAVE_CUDA
    {"cuda", &mb__backend_cuda},
#else
    {"cuda", NULL},
#endif
#ifdef MEMBUDGET_HAVE_HIP
    {"hip", &mb__backend_hip},
#else
    {"hip", NULL},
#endif
    {"cpu", &mb__backend_cpu},
};
const int mb__backend_ndefs = (int)(sizeof mb__backend_defs / sizeof mb__backend_defs[0]);


int mb__edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 99;
    int d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            int m = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < m)
                m = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + c < m)
                m = d[i - 1][j - 1] + c;
            d[i][j] = m;
        }
    return d[la][lb];
}

static const char *nearest_backend(const char *name)
{
    const char *best = mb__backend_defs[0].name;
    int bd = 1 << 30;
    for (int i = 0; i < mb__backend_ndefs; i++) {
        int d = mb__edit_distance(name, mb__backend_defs[i].name);
        if (d < bd) {
            bd = d;
            best = mb__backend_defs[i].name;
        }
    }
    return best;
}

/* Applies "a,-b" to ctx->backends[].selected. */
static int apply_selection(mb_context *ctx, const char *sel, const char *from)
{
    int any_include = 0;
    int include[MB_MAX_BACKENDS] = {0}, exclude[MB_MAX_BACKENDS] = {0};
    const char *p = sel;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && end[-1] == ' ')
            end--;
        int neg = *start == '-';
        if (neg)
            start++;
        char name[32];
        size_t len = (size_t)(end - start);
        if (len == 0 || len >= sizeof name)
            return mb__error(MB_EUNKNOWNBACKEND,
                             "%s='%s': '%.*s' is not a backend name; use names from: cuda, "
                             "hip, cpu (prefix '-' to exclude)", from, sel, (int)(end - start),
                             start);
        memcpy(name, start, len);
        name[len] = '\0';
        int found = -1;
        for (int i = 0; i < ctx->nbackends; i++)
            if (strcmp(ctx->backends[i].name, name) == 0)
                found = i;
        if (found < 0)
            return mb__error(MB_EUNKNOWNBACKEND,
                             "%s='%s': unknown backend '%s'; did you mean '%s'? (known: cuda, "
                             "hip, cpu)", from, sel, name, nearest_backend(name));
        if (neg)
            exclude[found] = 1;
        else {
            include[found] = 1;
            any_include = 1;
        }
    }
    for (int i = 0; i < ctx->nbackends; i++)
        ctx->backends[i].selected = (any_include ? include[i] : 1) && !exclude[i];
    return MB_OK;
}

int mb__context_init(mb_context **out, const mb_context_options *opts)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_context_init: out is NULL");
    *out = NULL;
    if (opts && opts->flags != 0)
        return mb__error(MB_EINVAL, "mb_context_options.flags=%u: no flags are defined; pass 0",
                         opts->flags);
    mb_context *ctx = mb__calloc(1, sizeof *ctx);
    if (!ctx)
        return mb__error(MB_ENOMEM, "mb_context_init: out of memory");
    ctx->plat.rootfd = -1;
    int rc = mb__plat_init_env(&ctx->plat, opts ? opts->sysroot : NULL,
                               opts ? opts->environment : NULL);
    if (rc) {
        mb__free(ctx);
        return rc;
    }
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->nbackends = mb__backend_ndefs;
    for (int i = 0; i < ctx->nbackends; i++) {
        mb_backend_slot *b = &ctx->backends[i];
        b->ops = mb__backend_defs[i].ops;
        b->name = mb__backend_defs[i].name;
        b->selected = 1;
        snprintf(b->status.name, sizeof b->status.name, "%s", b->name);
        b->status.state = b->ops ? MB_BACKEND_ABSENT : MB_BACKEND_NOT_BUILT;
        snprintf(b->status.reason, sizeof b->status.reason, "%s",
                 b->ops ? "not probed yet"
                        : "compiled out of this build (its headers were not found at build "
                          "time, or MEMBUDGET_WITH_<NAME>=OFF); rebuild with them to use it");
    }
    const char *sel = opts ? opts->backends : NULL;
    const char *from = "the backends option";
    int too_long = 0;
    if (!sel) {
        sel = mb__plat_env(&ctx->plat, "MEMBUDGET_BACKENDS", &too_long);
        from = "MEMBUDGET_BACKENDS";
        if (too_long) {
            mb_context_free(ctx);
            return mb__error(MB_EENV, "MEMBUDGET_BACKENDS is longer than 4096 bytes; give a "
                                      "list such as 'cuda,-hip'");
        }
    }
    if (sel) {
        rc = apply_selection(ctx, sel, from);
        if (rc == MB_OK) {
            ctx->selection = mb__malloc(strlen(sel) + 1);
            if (!ctx->selection)
                rc = mb__error(MB_ENOMEM, "mb_context_init: out of memory");
            else
                strcpy(ctx->selection, sel);
        }
        if (rc) {
            mb_context_free(ctx);
            return rc;
        }
    }
    for (int i = 0; i < ctx->nbackends; i++) {
        mb_backend_slot *b = &ctx->backends[i];
        if (!b->selected && b->ops) {
            b->status.state = MB_BACKEND_EXCLUDED;
            snprintf(b->status.reason, sizeof b->status.reason, "excluded by %s='%s'", from,
                     sel);
        }
    }
    *out = ctx;
    return MB_OK;
}

void mb_context_free(mb_context *ctx)
{
    if (!ctx)
        return;
    /* in a child of fork() a GPU backend's shutdown would call its parent's driver: its
     * state (a copy in the child) is left as it is */
    int forked = mb__context_forked(ctx);
    for (int i = 0; i < ctx->nbackends; i++)
        if (!forked || strcmp(ctx->backends[i].name, "cpu") == 0)
            mb__vt_shutdown(&ctx->backends[i]);
    mb__free(ctx->devices);
    mb__free(ctx->selection);
    mb__plat_fini(&ctx->plat);
    pthread_mutex_destroy(&ctx->lock);
    mb__free(ctx);
}

const char *mb_context_sysroot(const mb_context *ctx) { return ctx ? ctx->plat.root : "/"; }

const char *mb_backend_state_name(int32_t s)
{
    switch (s) {
    case MB_BACKEND_PRESENT:
        return "present";
    case MB_BACKEND_ABSENT:
        return "absent";
    case MB_BACKEND_BROKEN:
        return "broken";
    case MB_BACKEND_EXCLUDED:
        return "excluded";
    case MB_BACKEND_NOT_BUILT:
        return "not built";
    }
    return "unknown";
}

/* MB_ENODEV naming every backend's state and reason. */
static int no_device(const mb_context *ctx)
{
    char msg[MB_REASON_MAX * 2] = "no backend serves a device:";
    for (int i = 0; i < ctx->nbackends; i++) {
        size_t l = strlen(msg);
        snprintf(msg + l, sizeof msg - l, " %s %s (%s);", ctx->backends[i].name,
                 mb_backend_state_name(ctx->backends[i].status.state),
                 ctx->backends[i].status.reason);
    }
    return mb__error(MB_ENODEV, "%s", msg);
}

static int probe_locked(mb_context *ctx)
{
    int total = 0;
    for (int i = 0; i < ctx->nbackends; i++) {
        mb_backend_slot *b = &ctx->backends[i];
        if (!b->ops || !b->selected)
            continue;
        mb_probe_result res;
        int rc = mb__vt_probe(b, &ctx->plat, &res);
        if (rc)
            return rc;
        b->status.state = res.state == MB_PROBE_PRESENT   ? MB_BACKEND_PRESENT
                          : res.state == MB_PROBE_BROKEN ? MB_BACKEND_BROKEN
                                                         : MB_BACKEND_ABSENT;
        snprintf(b->status.reason, sizeof b->status.reason, "%s", res.reason);
        if (b->status.state != MB_BACKEND_PRESENT)
            continue;
        int n = mb__vt_device_count(b);
        if (n < 0) {
            b->status.state = MB_BACKEND_BROKEN;
            snprintf(b->status.reason, sizeof b->status.reason, "device count failed: %s",
                     mb_error_detail());
            mb__vt_shutdown(b);
            continue;
        }
        b->status.device_count = n;
        total += n;
    }
    if (total == 0)
        return no_device(ctx);
    ctx->devices = mb__calloc((size_t)total, sizeof *ctx->devices);
    if (!ctx->devices)
        return mb__error(MB_ENOMEM, "probe: out of memory for %d devices", total);
    int k = 0;
    for (int i = 0; i < ctx->nbackends; i++) {
        mb_backend_slot *b = &ctx->backends[i];
        if (b->status.state != MB_BACKEND_PRESENT)
            continue;
        b->first_device = k;
        int kept = 0;
        for (int d = 0; d < b->status.device_count; d++) {
            mb_device_entry *e = &ctx->devices[k];
            int rc = mb__vt_device_info(b, d, &e->info);
            if (rc == MB_ENOMEM)
                return rc;
            if (rc) {
                /* one backend's failure is its own: it is broken, the others still serve */
                b->status.state = MB_BACKEND_BROKEN;
                snprintf(b->status.reason, sizeof b->status.reason,
                         "device %d: device_info failed: %s", d, mb_error_detail());
                mb__vt_shutdown(b);
                k = b->first_device;
                kept = 0;
                break;
            }
            e->backend = b;
            e->local = d;
            snprintf(e->info.name, sizeof e->info.name, "%s:%d", b->name, e->info.index);
            snprintf(e->info.backend, sizeof e->info.backend, "%s", b->name);
            snprintf(e->info.platform, sizeof e->info.platform, "%s",
                     b->ops->platform_name ? b->ops->platform_name : b->name);
            if (!e->info.ops[0])
                snprintf(e->info.ops, sizeof e->info.ops, "%s", b->name);
            k++;
            kept++;
        }
        b->status.device_count = kept;
    }
    ctx->ndevices = k;
    if (k == 0)
        return no_device(ctx);
    return MB_OK;
}

MB__API(mb_context_probe, (mb_context *ctx), (ctx))
{
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_context_probe: ctx is NULL");
    pthread_mutex_lock(&ctx->lock);
    if (!ctx->probed) {
        ctx->probe_rc = probe_locked(ctx);
        snprintf(ctx->probe_detail, sizeof ctx->probe_detail, "%s",
                 ctx->probe_rc ? mb_error_detail() : "");
        if (ctx->probe_rc) {
            mb__free(ctx->devices);
            ctx->devices = NULL;
            ctx->ndevices = 0;
        }
        ctx->probed = 1;
        ctx->probe_pid = getpid();
        ctx->holds_driver = 0;
        for (int i = 0; i < ctx->nbackends; i++)
            if (ctx->backends[i].state && strcmp(ctx->backends[i].name, "cpu") != 0)
                ctx->holds_driver = 1;
    }
    int rc = ctx->probe_rc;
    int forked = ctx->holds_driver && getpid() != ctx->probe_pid;
    pthread_mutex_unlock(&ctx->lock);
    if (forked)
        return mb__error(MB_ESTATE, "this context was probed in process %d and holds its GPU "
                                    "driver state; a child of fork() cannot use it: create a "
                                    "new context in the child (or fork before the first "
                                    "probe)", (int)ctx->probe_pid);
    if (rc)
        mb__error(rc, "%s", ctx->probe_detail);
    return rc;
}

int mb__context_forked(const mb_context *ctx)
{
    return ctx->probed && ctx->holds_driver && getpid() != ctx->probe_pid;
}

MB__API(mb_backend_count, (mb_context *ctx), (ctx))
{
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_backend_count: ctx is NULL");
    return ctx->nbackends;
}

int mb__backend_get(mb_context *ctx, int index, mb_backend_status *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!ctx || !out)
        return mb__error(MB_EINVAL, "mb_backend_get: ctx or out is NULL");
    if (index < 0 || index >= ctx->nbackends)
        return mb__error(MB_EINVAL, "backend index %d is out of range 0..%d", index,
                         ctx->nbackends - 1);
    (void)mb_context_probe(ctx); /* a failed probe still records each backend's state */
    *out = ctx->backends[index].status;
    return MB_OK;
}

MB__API(mb_device_count, (mb_context *ctx), (ctx))
{
    int rc = mb_context_probe(ctx);
    return rc ? rc : ctx->ndevices;
}

int mb__device_entry(mb_context *ctx, int index, mb_device_entry **out)
{
    *out = NULL;
    int rc = mb_context_probe(ctx);
    if (rc)
        return rc;
    if (index < 0 || index >= ctx->ndevices)
        return mb__error(MB_ENODEV, "device index %d is out of range: this context has %d "
                                    "device(s), 0..%d", index, ctx->ndevices, ctx->ndevices - 1);
    *out = &ctx->devices[index];
    return MB_OK;
}

int mb__device_get(mb_context *ctx, int index, mb_device_info *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!ctx || !out)
        return mb__error(MB_EINVAL, "mb_device_get: ctx or out is NULL");
    mb_device_entry *e;
    int rc = mb__device_entry(ctx, index, &e);
    if (rc)
        return rc;
    *out = e->info;
    return MB_OK;
}

MB__API(mb_device_find, (mb_context *ctx, const char *name, int *index), (ctx, name, index))
{
    if (index)
        *index = -1;
    if (!ctx || !name || !index)
        return mb__error(MB_EINVAL, "mb_device_find: ctx, name or index is NULL");
    int rc = mb_context_probe(ctx);
    if (rc)
        return rc;
    char have[256] = "";
    for (int i = 0; i < ctx->ndevices; i++) {
        if (strcmp(ctx->devices[i].info.name, name) == 0) {
            *index = i;
            return MB_OK;
        }
        size_t l = strlen(have);
        snprintf(have + l, sizeof have - l, "%s%s", l ? ", " : "", ctx->devices[i].info.name);
    }
    return mb__error(MB_ENODEV, "no device named '%s'; this machine has: %s (see 'membudget "
                                "devices')", name, have);
}
