/* Fuzz target: the cgroup files and their locating files. The input is split at "\n@@\n"
 * into /proc/self/cgroup, /proc/self/mountinfo, and the v2 files memory.max,
 * memory.current and memory.stat (and v1's memory.limit_in_bytes, memory.usage_in_bytes,
 * memory.stat), written into a scratch sysroot read by a fresh context. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "membudget.h"
#include "membudget/numa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256];

static void put(const char *rel, const char *text, size_t len)
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
    fwrite(text, 1, len, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        snprintf(root, sizeof root, "/tmp/mb-fuzz-cgroup-%d", (int)getpid());
        static const char meminfo[] =
            "MemTotal: 1048576 kB\nMemFree: 524288 kB\nMemAvailable: 786432 kB\n";
        put("/proc/meminfo", meminfo, sizeof meminfo - 1);
    }
    static const char *const files[] = {
        "/proc/self/cgroup",
        "/proc/self/mountinfo",
        "/sys/fs/cgroup/a/memory.max",
        "/sys/fs/cgroup/a/memory.current",
        "/sys/fs/cgroup/a/memory.stat",
        "/sys/fs/cgroup/memory/a/memory.limit_in_bytes",
        "/sys/fs/cgroup/memory/a/memory.usage_in_bytes",
        "/sys/fs/cgroup/memory/a/memory.stat",
    };
    const char *p = (const char *)data, *end = p + size;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *sep = p < end ? memmem(p, (size_t)(end - p), "\n@@\n", 4) : NULL;
        const char *e = sep ? sep : end;
        put(files[i], p < end ? p : "", p < end ? (size_t)(e - p) : 0);
        p = sep ? sep + 4 : end;
    }
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    o.backends = "cpu";
    mb_context *ctx = NULL;
    if (mb_context_init(&ctx, &o) != MB_OK)
        abort();
    mb_container_info ci = MB_CONTAINER_INFO_INIT;
    int rc = mb_container_memory_get(ctx, &ci);
    if (rc == MB_OK && ci.limit != MB_UNLIMITED && ci.limit < 0)
        abort();
    if (rc != MB_OK && mb_error_detail()[0] == '\0')
        abort();
    mb_snapshot s;
    if (mb_device_count(ctx) > 0 && mb_snapshot_measure(ctx, 0, NULL, &s) == MB_OK &&
        s.free_memory > s.total_memory)
        abort(); /* the limit never lifts free above total */
    mb_context_free(ctx);
    return 0;
}
