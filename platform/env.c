/* platform/env.c: bounded, setuid-safe reads of the environment, and the snapshot of the
 * variables the library honours that each context takes once, at mb_context_init
 * (docs/environment.md). This is the one file of the library that calls secure_getenv. */
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define MB_ENV_MAX 4096

const char *mb__getenv(const char *name, int *too_long)
{
    if (too_long)
        *too_long = 0;
    const char *v = secure_getenv(name);
    if (!v)
        return NULL;
    if (strnlen(v, MB_ENV_MAX + 1) > MB_ENV_MAX) {
        if (too_long)
            *too_long = 1;
        return NULL;
    }
    return v;
}

const char *mb__getenv_raw(const char *name) { return secure_getenv(name); }

/* Every variable a context reads; a new one is added here (and to docs/environment.md). */
static const char *const honoured[MB__ENV_VARS] = {
    "MEMBUDGET_SYSROOT",           "MEMBUDGET_BACKENDS",        "MEMBUDGET_CUDA_FORCE_DRIVER",
    "MEMBUDGET_HIP_FORCE_RUNTIME", "MEMBUDGET_HIP_SONAME",      "CUDA_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",         "ROCR_VISIBLE_DEVICES",      "VLLM_CPU_KVCACHE_SPACE",
    "VLLM_CPU_OMP_THREADS_BIND",   "CPU_VISIBLE_MEMORY_NODES",  "MEMORY_PRESSURE_WATCH",
    "MEMORY_PRESSURE_WRITE",
};

static int find(const char *name, size_t len)
{
    for (int i = 0; i < MB__ENV_VARS; i++)
        if (strlen(honoured[i]) == len && strncmp(honoured[i], name, len) == 0)
            return i;
    return -1;
}

const char *mb__env_names(void)
{
    return "MEMBUDGET_SYSROOT, MEMBUDGET_BACKENDS, MEMBUDGET_CUDA_FORCE_DRIVER, "
           "MEMBUDGET_HIP_FORCE_RUNTIME, MEMBUDGET_HIP_SONAME, CUDA_VISIBLE_DEVICES, "
           "HIP_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, VLLM_CPU_KVCACHE_SPACE, "
           "VLLM_CPU_OMP_THREADS_BIND, CPU_VISIBLE_MEMORY_NODES, MEMORY_PRESSURE_WATCH, "
           "MEMORY_PRESSURE_WRITE";
}

int mb__env_capture(mb__env_snapshot *e, const char *const *override)
{
    memset(e, 0, sizeof *e);
    const char *v[MB__ENV_VARS];
    for (int i = 0; i < MB__ENV_VARS; i++) {
        int tl = 0;
        v[i] = mb__getenv(honoured[i], &tl);
        e->too_long[i] = (unsigned char)tl;
    }
    for (int k = 0; override && override[k]; k++) {
        const char *entry = override[k], *eq = strchr(entry, '=');
        size_t nl = eq ? (size_t)(eq - entry) : strlen(entry);
        int i = find(entry, nl);
        if (i < 0)
            return mb__error(MB_EINVAL, "mb_context_options.environment[%d] is '%.*s%s', a "
                                        "variable membudget does not read; give NAME=value "
                                        "(or NAME to unset it) for one of %s",
                             k, (int)(nl > 64 ? 64 : nl), entry, nl > 64 ? "..." : "",
                             mb__env_names());
        if (eq && strnlen(eq + 1, MB_ENV_MAX + 1) > MB_ENV_MAX)
            return mb__error(MB_EINVAL, "mb_context_options.environment[%d]: the value of %s "
                                        "is longer than 4096 bytes", k, honoured[i]);
        v[i] = eq ? eq + 1 : NULL;
        e->too_long[i] = 0;
        e->given[i] = 1;
    }
    size_t total = 0;
    for (int i = 0; i < MB__ENV_VARS; i++)
        total += v[i] ? strlen(v[i]) + 1 : 0;
    if (total == 0)
        return MB_OK;
    e->block = mb__malloc(total);
    if (!e->block)
        return mb__error(MB_ENOMEM, "mb_context_init: out of memory for the environment");
    char *p = e->block;
    for (int i = 0; i < MB__ENV_VARS; i++) {
        if (!v[i])
            continue;
        size_t l = strlen(v[i]) + 1;
        memcpy(p, v[i], l);
        e->value[i] = p;
        p += l;
    }
    return MB_OK;
}

void mb__env_release(mb__env_snapshot *e)
{
    if (!e)
        return;
    mb__free(e->block);
    memset(e, 0, sizeof *e);
}

const char *mb__env_get(const mb__env_snapshot *e, const char *name, int *too_long)
{
    int i = find(name, strlen(name));
    if (too_long)
        *too_long = i >= 0 && e->too_long[i];
    return i >= 0 ? e->value[i] : NULL;
}
