/*
 * platform/meminfo.c: parsers of /proc/meminfo and of node meminfo. Formats: the kernel
 * prints "%-16s%8lu kB" for /proc/meminfo and "Node %d %-16s%8lu kB" for a node's meminfo
 * (fs/proc/meminfo.c, drivers/base/node.c); HugePages_* lines carry counts without "kB".
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"

int mb__parse_u64(const char *s, size_t len, uint64_t *out)
{
    *out = 0;
    if (len == 0)
        return MB_EPARSE;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MB_EPARSE;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return MB_ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return MB_OK;
}

int mb__meminfo_value(const char *text, const char *key, int64_t *out)
{
    *out = MB_UNKNOWN;
    size_t klen = strlen(key);
    const char *line = text;
    while (line && *line) {
        const char *p = line;
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        if (strncmp(p, "Node ", 5) == 0) { /* node meminfo: skip "Node N " */
            p += 5;
            while (p < eol && isdigit((unsigned char)*p))
                p++;
            while (p < eol && *p == ' ')
                p++;
        }
        if ((size_t)(eol - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == ':') {
            p += klen + 1;
            while (p < eol && *p == ' ')
                p++;
            const char *num = p;
            while (p < eol && isdigit((unsigned char)*p))
                p++;
            uint64_t v;
            const char *numend = p;
            while (p < eol && *p == ' ')
                p++;
            uint64_t mul = 1;
            if (eol - p >= 2 && p[0] == 'k' && p[1] == 'B') {
                mul = 1024;
                p += 2;
            }
            while (p < eol && (*p == ' ' || *p == '\r'))
                p++;
            int prc = mb__parse_u64(num, (size_t)(numend - num), &v);
            if (prc != MB_OK || p != eol)
                return mb__error(MB_EPARSE, "the value of %s ('%.*s') is not a number of "
                                            "bytes or kB", key,
                                 (int)(eol - num > 40 ? 40 : eol - num), num);
            if (v > (uint64_t)INT64_MAX / mul)
                return mb__error(MB_ERANGE, "the value of %s (%llu) overflows", key,
                                 (unsigned long long)v);
            *out = (int64_t)(v * mul);
            return MB_OK;
        }
        line = *eol ? eol + 1 : NULL;
    }
    return MB_OK;
}

/* The kept descriptor of /proc/meminfo, opened on first use; negative on failure. */
static int meminfo_fd(const mb_platform *plat)
{
    mb_platform *cache = (mb_platform *)plat; /* the set-once descriptor cache */
    int fd1 = atomic_load(&cache->meminfo_fd1);
    if (fd1 == 0) {
        int fd = mb__plat_open(plat, "/proc/meminfo");
        if (fd < 0)
            return fd;
        int expected = 0;
        if (atomic_compare_exchange_strong(&cache->meminfo_fd1, &expected, fd + 1))
            fd1 = fd + 1;
        else { /* another thread opened it first */
            close(fd);
            fd1 = expected;
        }
    }
    return fd1 - 1;
}

int mb__plat_host_prepare(const mb_platform *plat)
{
    if (mb__plat_exists(plat, "/proc/meminfo")) {
        int fd = meminfo_fd(plat);
        if (fd < 0)
            return fd;
    }
    mb_container_memory cg; /* builds the cgroup cache and checks its files parse */
    return mb__container_memory(plat, &cg);
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
