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

/* The kept descriptor of /proc/meminfo, opened on first use; negative on failure; with
 * absent_ok, MB_EABSENT (no detail) when the file does not exist. */
static int meminfo_fd_if(const mb_platform *plat, int absent_ok)
{
    void *v = mb__plat_cache_get(plat, MB_CACHE_MEMINFO);
    if (!v) {
        int fd;
        int rc = absent_ok ? mb__plat_open_if(plat, "/proc/meminfo", &fd)
                           : (fd = mb__plat_open(plat, "/proc/meminfo")) >= 0 ? 1 : fd;
        if (rc < 0)
            return rc;
        if (rc == 0)
            return MB_EABSENT;
        void *mine = (void *)((intptr_t)fd + 1);
        v = mb__plat_cache_put(plat, MB_CACHE_MEMINFO, mine, meminfo_close);
        if (v != mine) /* another thread opened it first */
            close(fd);
    }
    return (int)((intptr_t)v - 1);
}

static int meminfo_fd(const mb_platform *plat) { return meminfo_fd_if(plat, 0); }

int mb__meminfo_prepare(const mb_platform *plat)
{
    int fd = meminfo_fd_if(plat, 1);
    return fd >= 0 || fd == MB_EABSENT ? MB_OK : fd;
}

int mb__plat_host_memory_if(const mb_platform *plat, mb_host_memory *out, int *present)
{
    memset(out, 0, sizeof *out);
    *present = 0;
    int fd = meminfo_fd_if(plat, 1);
    if (fd == MB_EABSENT)
        return MB_OK;
    if (fd < 0)
        return fd;
    *present = 1;
    return mb__plat_host_memory(plat, out);
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
