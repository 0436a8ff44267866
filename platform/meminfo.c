/*
 * platform/meminfo.c: layer 4, the host's memory from /proc/meminfo (meminfo.h), read
 * through one descriptor kept open per platform (host figures are read on every snapshot
 * of an integrated GPU). The text format is parse.c's.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "meminfo.h"
#include "parse.h"

static void meminfo_close(void *v) { close((int)((intptr_t)v - 1)); }

/* The kept descriptor of /proc/meminfo, opened on first use; negative on failure. */
static int meminfo_fd(const mb_platform *plat)
{
    void *v = mb__plat_cache_get(plat, MB_CACHE_MEMINFO);
    if (!v) {
        int fd = mb__plat_open(plat, "/proc/meminfo");
        if (fd < 0)
            return fd;
        void *mine = (void *)((intptr_t)fd + 1);
        v = mb__plat_cache_put(plat, MB_CACHE_MEMINFO, mine, meminfo_close);
        if (v != mine) /* another thread opened it first */
            close(fd);
    }
    return (int)((intptr_t)v - 1);
}

int mb__meminfo_prepare(const mb_platform *plat)
{
    if (!mb__plat_exists(plat, "/proc/meminfo"))
        return MB_OK;
    int fd = meminfo_fd(plat);
    return fd < 0 ? fd : MB_OK;
}

long mb__plat_meminfo_read(const mb_platform *plat, char *buf, size_t size)
{
    int fd = meminfo_fd(plat);
    if (fd < 0)
        return fd;
    return mb__plat_pread(fd, "/proc/meminfo", buf, size);
}

int mb__plat_host_memory(const mb_platform *plat, mb_host_memory *out)
{
    memset(out, 0, sizeof *out);
    char buf[16384];
    long n = mb__plat_meminfo_read(plat, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    int rc;
    mb_host_memory h;
    if ((rc = mb__meminfo_value(buf, "MemTotal", &h.total)) ||
        (rc = mb__meminfo_value(buf, "MemFree", &h.free)) ||
        (rc = mb__meminfo_value(buf, "MemAvailable", &h.available)))
        return rc;
    if (h.total == MB_UNKNOWN || h.free == MB_UNKNOWN)
        return mb__error(MB_EPARSE, "%s/proc/meminfo has no MemTotal or MemFree line",
                         plat->foreign ? plat->root : "");
    if (h.available == MB_UNKNOWN) /* kernels before 3.14 lack MemAvailable */
        h.available = h.free;
    *out = h;
    return MB_OK;
}
