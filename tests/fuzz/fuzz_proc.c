/* Fuzz target: the readers of another process's /proc files (issue 18): status (NSpid,
 * VmRSS), numa_maps and DRM fdinfo. The input is split at the first two NUL bytes into the
 * three files, written under a private sysroot and read back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "membudget.h"
#include "platform/platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void cleanup(void)
{
    static const char *const rel[] = {"/proc/42/status", "/proc/42/numa_maps",
                                      "/proc/42/fdinfo/3", "/proc/42/fdinfo", "/proc/42",
                                      "/proc", ""};
    char p[160];
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        snprintf(p, sizeof p, "%s%s", root, rel[i]);
        if (i < 3)
            unlink(p);
        else
            rmdir(p);
    }
}

static void put(const char *rel, const uint8_t *p, size_t n)
{
    char path[160];
    snprintf(path, sizeof path, "%s%s", root, rel);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        snprintf(root, sizeof root, "/tmp/mb-fuzz-proc-XXXXXX");
        if (!mkdtemp(root))
            abort();
        char d[128];
        snprintf(d, sizeof d, "%s/proc", root);
        mkdir(d, 0755);
        snprintf(d, sizeof d, "%s/proc/42", root);
        mkdir(d, 0755);
        snprintf(d, sizeof d, "%s/proc/42/fdinfo", root);
        mkdir(d, 0755);
        atexit(cleanup);
    }
    const uint8_t *part[3] = {data, NULL, NULL};
    size_t len[3] = {size, 0, 0};
    for (int k = 1; k < 3; k++) {
        const uint8_t *z = memchr(part[k - 1], 0, len[k - 1]);
        if (!z)
            break;
        part[k] = z + 1;
        len[k] = len[k - 1] - (size_t)(part[k] - part[k - 1]);
        len[k - 1] = (size_t)(z - part[k - 1]);
    }
    put("/proc/42/status", part[0], len[0]);
    put("/proc/42/numa_maps", part[1] ? part[1] : (const uint8_t *)"", len[1]);
    put("/proc/42/fdinfo/3", part[2] ? part[2] : (const uint8_t *)"", len[2]);
    mb_platform plat;
    if (mb__plat_init(&plat, root) != MB_OK)
        abort();
    mb_proc_info info;
    if (mb__proc_info(&plat, 42, &info) == MB_OK && info.rss != MB_UNKNOWN && info.rss < 0)
        abort();
    int64_t bytes;
    if (mb__proc_numa_bytes(&plat, 42, 0, &bytes) == MB_OK && bytes < 0)
        abort();
    mb_drm_client c[4];
    int n;
    if (mb__proc_drm_clients(&plat, 42, c, 4, &n) == MB_OK)
        for (int k = 0; k < n && k < 4; k++)
            if ((c[k].vram != MB_UNKNOWN && c[k].vram < 0) ||
                (c[k].gtt != MB_UNKNOWN && c[k].gtt < 0))
                abort();
    mb__plat_fini(&plat);
    return 0;
}
