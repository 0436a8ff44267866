/* tests/numa/trees.h: made-up machine trees for the NUMA tests (header only). */
#ifndef MB_TEST_TREES_H
#define MB_TEST_TREES_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "membudget.h"
#include "membudget/numa.h"
#include "membudget/vllm.h"
#include "testutil.h"

/* Writes text (printf format) to root + rel. */
static inline void tr_put(const char *root, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void tr_put(const char *root, const char *rel, const char *fmt, ...)
{
    char path[2048], text[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s%s", root, rel);
    tu_write(path, text);
}

/* A node's meminfo in the kernel's format: free_kb split as MemFree plus file caches
 * (MemFree = free - 3 x 1024 kB, Active(file) = Inactive(file) = SReclaimable = 1024 kB). */
static inline void tr_node(const char *root, int id, long long total_kb, long long free_kb,
                           const char *cpulist)
{
    char rel[128];
    snprintf(rel, sizeof rel, "/sys/devices/system/node/node%d/meminfo", id);
    tr_put(root, rel,
           "Node %d MemTotal:       %8lld kB\nNode %d MemFree:        %8lld kB\n"
           "Node %d MemUsed:        %8lld kB\nNode %d Active(file):   %8d kB\n"
           "Node %d Inactive(file): %8d kB\nNode %d SReclaimable:   %8d kB\n"
           "Node %d HugePages_Total:     0\n",
           id, total_kb, id, free_kb - 3072, id, total_kb - free_kb, id, 1024, id, 1024, id,
           1024, id);
    snprintf(rel, sizeof rel, "/sys/devices/system/node/node%d/cpulist", id);
    tr_put(root, rel, "%s\n", cpulist);
}

static inline mb_context *tr_open(const char *root)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    o.backends = "cpu";
    mb_context *ctx = NULL;
    int rc = mb_context_init(&ctx, &o);
    if (rc) {
        fprintf(stderr, "mb_context_init(%s): %s: %s\n", root, mb_error_message(rc),
                mb_error_detail());
        return NULL;
    }
    return ctx;
}

/* A context reads the environment once, at init (docs/environment.md): after a setenv, a
 * new context on the same sysroot sees the change. */
static inline mb_context *tr_renew(mb_context *ctx)
{
    char root[4096];
    snprintf(root, sizeof root, "%s", mb_context_sysroot(ctx));
    mb_context_free(ctx);
    return tr_open(root);
}

/* The CPU backend's probe reason. */
static inline const char *tr_cpu_reason(mb_context *ctx, mb_backend_status *st)
{
    for (int i = 0; i < mb_backend_count(ctx); i++)
        if (mb_backend_get(ctx, i, st) == MB_OK && strcmp(st->name, "cpu") == 0)
            return st->reason;
    return "";
}

#endif
