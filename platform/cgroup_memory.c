/*
 * platform/cgroup_memory.c: layer 4, container memory limits, cgroup v1 and v2 (cgroup.h).
 * The memory cgroup is found by cgroup_locate.c.
 *
 * What: the kernel charges every page to the cgroup and to each ancestor, and reclaims or
 * OOM-kills at whichever level reaches its limit first. So each limited level i, from the
 * cgroup up to the mount's root, leaves limit_i - (usage_i - inactive_file_i) (the working
 * set that docker/cAdvisor report: inactive file pages are reclaimed before an OOM kill),
 * and the container can still take the smallest of these. A parent shared with siblings
 * can bind long before the cgroup's own limit does. The limit reported is the smallest
 * limit; usage and inactive file are the cgroup's own. Where a limited ancestor's usage
 * file is missing (a partial dump), the cgroup's own working set stands in for it (a
 * lower bound: an ancestor's usage includes its children's).
 * v2 reads memory.max ("max" = none), memory.current and memory.stat's inactive_file; v1
 * reads memory.limit_in_bytes (values at or above 2^62 are "none": the kernel prints
 * PAGE_COUNTER_MAX x PAGE_SIZE, 9223372036854771712 with 4 KiB pages), memory.usage_in_bytes
 * and memory.stat's total_inactive_file (hierarchical, as v2's figures are). "No limit" is
 * always MB_UNLIMITED.
 *
 * Cost: the folders are found and their files opened once per context (at the probe of
 * the CPU backend and of integrated GPUs, mb__plat_host_prepare; else at the first call).
 * Each later call reads every level's limit file, and usage and memory.stat only at
 * levels whose limit is set (mb__container_memory also reads the cgroup's own usage, which
 * it reports; a snapshot's bound does not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "parse.h"

/* ---- the memory cgroup's cached descriptors ----------------------------------------- */

/* One level of the hierarchy, leaf first. Each descriptor is -1 where the file is absent
 * (the v2 root has none of them; a dump may lack some). */
struct mb_cg_level {
    size_t len; /* the level's folder is dir[0, len) */
    int limit_fd;
    int usage_fd;
    int stat_fd;
};

struct mb_cgroup_cache {
    int version;            /* 0: no memory cgroup */
    char path[256];
    char dir[PATH_MAX];     /* the leaf folder; ancestors are its prefixes */
    size_t mount_len;
    int nlevels;
    struct mb_cg_level level[MB_CG_DEPTH];
};

static void cache_free(struct mb_cgroup_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->nlevels; i++) {
        int fds[3] = {c->level[i].limit_fd, c->level[i].usage_fd, c->level[i].stat_fd};
        for (int k = 0; k < 3; k++)
            if (fds[k] >= 0)
                close(fds[k]);
    }
    mb__free(c);
}

/* Opens folder/name under the sysroot when it exists: a descriptor, -1 when absent. */
static int open_if(const mb_platform *plat, const char *folder, size_t len, const char *name)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%.*s/%s", (int)len, folder, name);
    int fd;
    int rc = mb__plat_open_if(plat, p, &fd);
    return rc < 0 ? rc : fd; /* -1 when absent */
}

static int cache_build(const mb_platform *plat, struct mb_cgroup_cache **out)
{
    *out = NULL;
    struct mb_cgroup_cache *c = mb__calloc(1, sizeof *c);
    if (!c)
        return mb__error(MB_ENOMEM, "out of memory for the cgroup cache");
    mb_cg_where w;
    int rc = mb__cgroup_locate(plat, "memory", &w);
    if (rc < 0) {
        cache_free(c);
        return rc;
    }
    if (rc == 0) { /* no memory cgroup: unlimited */
        *out = c;
        return MB_OK;
    }
    c->version = w.version;
    c->mount_len = w.mount_len;
    snprintf(c->path, sizeof c->path, "%s", w.path);
    snprintf(c->dir, sizeof c->dir, "%s", w.dir);
    const char *names[3] = {w.version == 2 ? "memory.max" : "memory.limit_in_bytes",
                            w.version == 2 ? "memory.current" : "memory.usage_in_bytes",
                            "memory.stat"};
    size_t len = strlen(c->dir);
    do {
        if (c->nlevels == MB_CG_DEPTH)
            break; /* deeper than any real hierarchy: the levels read are a bound already */
        struct mb_cg_level *l = &c->level[c->nlevels++];
        l->len = len;
        l->limit_fd = l->usage_fd = l->stat_fd = -1;
        int *fds[3] = {&l->limit_fd, &l->usage_fd, &l->stat_fd};
        for (int k = 0; k < 3; k++) {
            int fd = open_if(plat, c->dir, len, names[k]);
            if (fd < -1) {
                cache_free(c); /* what was opened so far is closed there */
                return fd;
            }
            *fds[k] = fd;
        }
    } while (mb__cgroup_up(&w, &len));
    *out = c;
    return MB_OK;
}

static void cache_release(void *v) { cache_free(v); }

static int cache_get(const mb_platform *plat, struct mb_cgroup_cache **out)
{
    struct mb_cgroup_cache *c = mb__plat_cache_get(plat, MB_CACHE_CGROUP);
    if (!c) {
        struct mb_cgroup_cache *mine;
        int rc = cache_build(plat, &mine);
        if (rc)
            return rc;
        c = mb__plat_cache_put(plat, MB_CACHE_CGROUP, mine, cache_release);
        if (c != mine)
            cache_free(mine); /* another thread built it first */
    }
    *out = c;
    return MB_OK;
}

/* ---- reading the figures ------------------------------------------------------------ */

/* Reads a one-value file into buf (64 bytes), its length without the trailing newline or
 * spaces in *len. */
static int read_value(int fd, const char *path, char *buf, size_t *len)
{
    long n = mb__plat_pread(fd, path, buf, 64);
    if (n < 0)
        return (int)n;
    size_t l = (size_t)n;
    while (l && (buf[l - 1] == '\n' || buf[l - 1] == ' '))
        l--;
    *len = l;
    return MB_OK;
}

/* A limit file's value: bytes, or MB_UNLIMITED for "max" (v2) or >= 2^62 (v1). */
static int read_limit(int fd, const char *path, int version, int64_t *out)
{
    char buf[64];
    size_t len = 0;
    int rc0 = read_value(fd, path, buf, &len);
    if (rc0)
        return rc0;
    if (len == 3 && strncmp(buf, "max", 3) == 0) {
        *out = MB_UNLIMITED;
        return MB_OK;
    }
    uint64_t v;
    int rc = mb__parse_u64(buf, len, &v);
    if (rc == MB_ERANGE || (rc == MB_OK && v >= ((uint64_t)1 << 62))) {
        *out = MB_UNLIMITED; /* v1's "no limit" is PAGE_COUNTER_MAX pages */
        return MB_OK;
    }
    if (rc)
        return mb__error(MB_EPARSE, "%s: '%.*s' is not a number of bytes%s", path, (int)len,
                         buf, version == 2 ? " or 'max'" : "");
    *out = (int64_t)v;
    return MB_OK;
}

/* A usage file's value in bytes. */
static int read_usage(int fd, const char *path, int64_t *out)
{
    char buf[64];
    size_t len = 0;
    int rc = read_value(fd, path, buf, &len);
    if (rc)
        return rc;
    uint64_t v;
    if (mb__parse_u64(buf, len, &v) != MB_OK || v > (uint64_t)INT64_MAX)
        return mb__error(MB_EPARSE, "%s: '%.*s' is not a number of bytes", path, (int)len, buf);
    *out = (int64_t)v;
    return MB_OK;
}

/* The inactive file cache in a memory.stat file; MB_UNKNOWN when it lists none. */
static int read_inactive(int fd, const char *path, int version, int64_t *out)
{
    char st[16384];
    long n = mb__plat_pread(fd, path, st, sizeof st);
    if (n < 0)
        return (int)n;
    /* v1's total_ counts the hierarchy below the level, as v2's own figures do */
    *out = mb__stat_value(st, version == 2 ? "inactive_file" : "total_inactive_file");
    if (*out == MB_UNKNOWN && version == 1)
        *out = mb__stat_value(st, "inactive_file");
    return MB_OK;
}

/* The cgroup's own usage and, when inactive is set, its inactive file cache, each read at
 * most once per call (*have: 1 usage read, 2 inactive read). */
static int leaf_read(const struct mb_cgroup_cache *c, int inactive, mb_container_memory *r,
                     int *have)
{
    const struct mb_cg_level *leaf = &c->level[0];
    char path[PATH_MAX + 64];
    int rc;
    if (!(*have & 1) && leaf->usage_fd >= 0) {
        snprintf(path, sizeof path, "%s/%s", c->dir,
                 c->version == 2 ? "memory.current" : "memory.usage_in_bytes");
        if ((rc = read_usage(leaf->usage_fd, path, &r->usage)))
            return rc;
    }
    *have |= 1;
    if (inactive && !(*have & 2) && leaf->stat_fd >= 0) {
        snprintf(path, sizeof path, "%s/memory.stat", c->dir);
        if ((rc = read_inactive(leaf->stat_fd, path, c->version, &r->inactive_file)))
            return rc;
    }
    if (inactive)
        *have |= 2;
    return MB_OK;
}

/* The figures; report: also the cgroup's own usage when no level is limited (the info
 * call shows it; a snapshot's bound does not need it, and skips the read). */
static int container_read(const mb_platform *plat, int report, mb_container_memory *out)
{
    memset(out, 0, sizeof *out);
    out->limit = MB_UNLIMITED;
    out->usage = MB_UNKNOWN;
    out->available = MB_UNLIMITED;
    out->inactive_file = MB_UNKNOWN;
    struct mb_cgroup_cache *c;
    int rc = cache_get(plat, &c);
    if (rc)
        return rc;
    if (c->version == 0)
        return MB_OK;
    mb_container_memory r = *out;
    r.version = c->version;
    snprintf(r.path, sizeof r.path, "%s", c->path);
    const char *usage_name = c->version == 2 ? "memory.current" : "memory.usage_in_bytes";
    char path[PATH_MAX + 64];
    int have = 0; /* what leaf_read has read of the cgroup's own figures */
    for (int i = 0; i < c->nlevels; i++) {
        const struct mb_cg_level *l = &c->level[i];
        if (l->limit_fd < 0)
            continue; /* the v2 root has no memory.max */
        snprintf(path, sizeof path, "%.*s/%s", (int)l->len, c->dir,
                 c->version == 2 ? "memory.max" : "memory.limit_in_bytes");
        int64_t limit = MB_UNLIMITED;
        if ((rc = read_limit(l->limit_fd, path, c->version, &limit)))
            return rc;
        if (limit == MB_UNLIMITED)
            continue;
        if (limit < r.limit)
            r.limit = limit;
        /* this level's headroom: its limit less its own working set */
        int64_t usage = MB_UNKNOWN, inactive = MB_UNKNOWN;
        if (i > 0 && l->usage_fd >= 0) {
            snprintf(path, sizeof path, "%.*s/%s", (int)l->len, c->dir, usage_name);
            if ((rc = read_usage(l->usage_fd, path, &usage)))
                return rc;
            if (l->stat_fd >= 0) {
                snprintf(path, sizeof path, "%.*s/memory.stat", (int)l->len, c->dir);
                if ((rc = read_inactive(l->stat_fd, path, c->version, &inactive)))
                    return rc;
            }
        } else {
            /* the leaf, or an ancestor whose files a dump lacks: the leaf's working set,
             * a lower bound of any ancestor's */
            if ((rc = leaf_read(c, 1, &r, &have)))
                return rc;
            usage = r.usage;
            inactive = r.inactive_file;
        }
        /* without any usage the limit itself is the only bound known */
        int64_t used = usage == MB_UNKNOWN ? 0 : usage;
        if (inactive != MB_UNKNOWN && inactive <= used)
            used -= inactive;
        int64_t left = limit > used ? limit - used : 0;
        if (r.available == MB_UNLIMITED || left < r.available) {
            r.available = left;
            size_t below = l->len - c->mount_len;
            snprintf(r.bound_by, sizeof r.bound_by, "%.*s", (int)below,
                     c->dir + c->mount_len);
            if (!r.bound_by[0])
                snprintf(r.bound_by, sizeof r.bound_by, "/");
        }
    }
    /* the cgroup's own figures as reported: usage always, inactive file under a limit */
    if (report && (rc = leaf_read(c, r.limit != MB_UNLIMITED, &r, &have)))
        return rc;
    *out = r;
    return MB_OK;
}

int mb__container_memory(const mb_platform *plat, mb_container_memory *out)
{
    return container_read(plat, 1, out);
}

int mb__container_bound(const mb_platform *plat, mb_meminfo *out)
{
    mb_container_memory cg;
    int rc = container_read(plat, 0, &cg);
    if (rc)
        return rc;
    out->limit = cg.limit;
    if (cg.available != MB_UNLIMITED && cg.available < out->free) {
        out->free = cg.available;
        out->flags |= MB_SNAP_LIMITED;
    }
    if (out->free > out->total) {
        out->free = out->total;
        out->flags |= MB_SNAP_CLAMPED;
    }
    return MB_OK;
}
