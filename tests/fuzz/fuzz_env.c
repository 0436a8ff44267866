/* Fuzz target: the environment values membudget reads (VLLM_CPU_KVCACHE_SPACE,
 * CPU_VISIBLE_MEMORY_NODES, VLLM_CPU_OMP_THREADS_BIND, MEMBUDGET_BACKENDS), each given the
 * input, then the input as mb_context_options.environment (one "NAME=value" a line); the
 * two-node machine they are judged against is a made-up sysroot. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "membudget.h"
#include "membudget/numa.h"
#include "platform/platform.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256];

static void put(const char *rel, const char *text)
{
    char path[512], dir[512];
    snprintf(path, sizeof path, "%s%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static void make_root(void)
{
    if (root[0])
        return;
    snprintf(root, sizeof root, "/tmp/mb-fuzz-env-%d", (int)getpid());
    put("/proc/meminfo", "MemTotal: 33554432 kB\nMemFree: 30000000 kB\nMemAvailable: 31000000 kB\n");
    put("/proc/self/status", "VmRSS:     1024 kB\nMems_allowed_list:\t0-1\n");
    put("/sys/devices/system/node/online", "0-1\n");
    put("/sys/devices/system/node/has_cpu", "0-1\n");
    put("/sys/devices/system/node/has_memory", "0-1\n");
    for (int n = 0; n < 2; n++) {
        char rel[128], text[256];
        snprintf(rel, sizeof rel, "/sys/devices/system/node/node%d/meminfo", n);
        snprintf(text, sizeof text, "Node %d MemTotal: 16777216 kB\nNode %d MemFree: 15000000 kB\n",
                 n, n);
        put(rel, text);
        snprintf(rel, sizeof rel, "/sys/devices/system/node/node%d/cpulist", n);
        put(rel, n ? "2-3\n" : "0-1\n");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_root();
    char *v = malloc(size + 1);
    if (!v)
        return 0;
    memcpy(v, data, size);
    v[size] = '\0';
    int64_t bytes;
    int nodes[64], count;
    if (mb__kv_parse_space(v, &bytes) == MB_OK && bytes < 0)
        abort();
    if (mb__parse_visible_nodes(v, nodes, 64, &count) == MB_OK && (count < 0 || count > 64))
        abort();
    if (strlen(v) == size) { /* setenv cannot carry an embedded NUL */
        const char *vars[] = {"VLLM_CPU_KVCACHE_SPACE", "CPU_VISIBLE_MEMORY_NODES",
                              "VLLM_CPU_OMP_THREADS_BIND", "MEMBUDGET_BACKENDS"};
        for (int i = 0; i < 4; i++) {
            setenv(vars[i], v, 1);
            mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
            o.sysroot = root;
            mb_context *ctx = NULL;
            if (mb_context_init(&ctx, &o) == MB_OK) {
                mb_cpu_kv_options ko = MB_CPU_KV_OPTIONS_INIT;
                ko.local_rank = (int)(size % 3);
                mb_cpu_kv_space s = MB_CPU_KV_SPACE_INIT;
                int rc = mb_cpu_kv_space_get(ctx, &ko, &s);
                if (rc != MB_OK && mb_error_detail()[0] == '\0')
                    abort();
                mb_context_free(ctx);
            }
            unsetenv(vars[i]);
        }
    }
    /* the same text as mb_context_options.environment (issue 13): one entry a line */
    if (strlen(v) == size) {
        const char *entries[9];
        int n = 0;
        for (char *line = v; n < 8 && line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            entries[n++] = line;
            line = nl ? nl + 1 : NULL;
        }
        entries[n] = NULL;
        mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
        o.sysroot = root;
        o.environment = entries;
        mb_context *ctx = NULL;
        int rc = mb_context_init(&ctx, &o);
        if (rc != MB_OK && (ctx || mb_error_detail()[0] == '\0'))
            abort();
        if (rc == MB_OK) {
            mb_cpu_kv_space s = MB_CPU_KV_SPACE_INIT;
            rc = mb_cpu_kv_space_get(ctx, NULL, &s);
            if (rc != MB_OK && mb_error_detail()[0] == '\0')
                abort();
            mb_context_free(ctx);
        }
    }
    free(v);
    return 0;
}
