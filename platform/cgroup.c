/*
 * platform/cgroup.c: container memory limits, cgroup v1 and v2.
 *
 * Where: /proc/self/cgroup gives this process's path per hierarchy ("4:memory:/a/b" for
 * v1, "0::/a/b" for v2); /proc/self/mountinfo gives where each hierarchy is mounted and
 * which part of it (field 4, the mount's root: a container sees "/docker/<id>" or "/");
 * dumps made by hwloc-gather-topology carry /proc/mounts only, read as mounts of root "/".
 * The cgroup's folder is the mount point plus the path below the mount's root
 * (Documentation/admin-guide/cgroup-v2.rst, "Namespace" and proc(5), /proc/pid/mountinfo).
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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "numa.h"

#define MOUNTS_MAX (1 << 20) /* mountinfo of a busy Kubernetes node runs to a few 100 KiB */

/* ---- locating a cgroup ------------------------------------------------------------ */

/* Copies a mountinfo field, turning the kernel's octal escapes (\040 for a space) back. */
static void unescape(const char *s, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < size; i++) {
        if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' &&
            s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
            s[i + 3] <= '7') {
            out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
}

/* 1 when the comma-separated list opts names word exactly. */
static int has_word(const char *opts, size_t len, const char *word)
{
    size_t wl = strlen(word);
    const char *p = opts, *end = opts + len;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        if ((size_t)(e - p) == wl && strncmp(p, word, wl) == 0)
            return 1;
        p = e + 1;
    }
    return 0;
}

/* Splits line [s, e) into whitespace-separated fields; returns how many (at most max). */
static int fields(const char *s, const char *e, const char **f, size_t *fl, int max)
{
    int n = 0;
    while (s < e && n < max) {
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (s >= e)
            break;
        const char *b = s;
        while (s < e && *s != ' ' && *s != '\t')
            s++;
        f[n] = b;
        fl[n] = (size_t)(s - b);
        n++;
    }
    return n;
}

/* Finds the mount of a v1 controller (controller != NULL) or of the v2 hierarchy. From
 * mountinfo when present, else /proc/mounts. 1 found, 0 not, negative on error. */
static int find_mount(const mb_platform *plat, const char *controller, char *root,
                      size_t root_size, char *point, size_t point_size)
{
    char *buf = mb__malloc(MOUNTS_MAX);
    if (!buf)
        return mb__error(MB_ENOMEM, "out of memory reading the mount table");
    int mountinfo = mb__plat_exists(plat, "/proc/self/mountinfo");
    const char *file = mountinfo ? "/proc/self/mountinfo" : "/proc/mounts";
    if (!mountinfo && !mb__plat_exists(plat, file)) {
        mb__free(buf);
        return 0;
    }
    long n = mb__plat_read(plat, file, buf, MOUNTS_MAX);
    if (n < 0) {
        mb__free(buf);
        return (int)n;
    }
    int found = 0;
    for (const char *line = buf; *line && !found;) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        const char *f[32];
        size_t fl[32];
        int nf = fields(line, eol, f, fl, 32);
        const char *fstype = NULL, *opts = NULL, *mroot = "/", *mpoint = NULL;
        size_t fstype_l = 0, opts_l = 0, mroot_l = 1, mpoint_l = 0;
        if (mountinfo) {
            /* id parent maj:min root point options [optional...] - fstype source super */
            int dash = -1;
            for (int i = 6; i < nf; i++)
                if (fl[i] == 1 && f[i][0] == '-') {
                    dash = i;
                    break;
                }
            if (dash > 0 && dash + 1 < nf) {
                mroot = f[3], mroot_l = fl[3];
                mpoint = f[4], mpoint_l = fl[4];
                fstype = f[dash + 1], fstype_l = fl[dash + 1];
                if (dash + 3 < nf)
                    opts = f[dash + 3], opts_l = fl[dash + 3];
            }
        } else if (nf >= 4) { /* source point fstype options dump pass */
            mpoint = f[1], mpoint_l = fl[1];
            fstype = f[2], fstype_l = fl[2];
            opts = f[3], opts_l = fl[3];
        }
        if (fstype) {
            int match = 0;
            if (!controller)
                match = fstype_l == 7 && strncmp(fstype, "cgroup2", 7) == 0;
            else if (fstype_l == 6 && strncmp(fstype, "cgroup", 6) == 0)
                match = opts && has_word(opts, opts_l, controller);
            else if (strcmp(controller, "cpuset") == 0 && fstype_l == 6 &&
                     strncmp(fstype, "cpuset", 6) == 0)
                match = 1; /* the legacy cpuset file system */
            if (match) {
                unescape(mroot, mroot_l, root, root_size);
                unescape(mpoint, mpoint_l, point, point_size);
                found = 1;
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    mb__free(buf);
    return found;
}

/* The path of controller in /proc/self/cgroup text: version 1 or 2 in *version. */
static int self_path(const char *text, const char *controller, int *version, char *path,
                     size_t size)
{
    int found = 0;
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        const char *c1 = memchr(line, ':', (size_t)(eol - line));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
        if (c2) {
            size_t cl = (size_t)(c2 - c1 - 1);
            int v2 = cl == 0 && c1 - line == 1 && line[0] == '0';
            if ((!v2 && has_word(c1 + 1, cl, controller)) || (v2 && !found)) {
                size_t pl = (size_t)(eol - c2 - 1);
                if (pl >= size)
                    pl = size - 1;
                memcpy(path, c2 + 1, pl);
                path[pl] = '\0';
                *version = v2 ? 2 : 1;
                found = v2 ? 2 : 1;
                if (!v2)
                    return 1; /* a v1 hierarchy that holds the controller wins */
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    return found ? 1 : 0;
}

int mb__cgroup_locate(const mb_platform *plat, const char *controller, mb_cg_where *out)
{
    memset(out, 0, sizeof *out);
    mb_cg_where w;
    memset(&w, 0, sizeof w);
    char text[8192];
    int have = 0;
    if (strcmp(controller, "cpuset") == 0 && mb__plat_exists(plat, "/proc/self/cpuset")) {
        long n = mb__plat_read(plat, "/proc/self/cpuset", text, sizeof text);
        if (n < 0)
            return (int)n;
        char *nl = strchr(text, '\n');
        if (nl)
            *nl = '\0';
        if (text[0] == '/') {
            snprintf(w.path, sizeof w.path, "%s", text);
            w.version = 0; /* decided by the mount found below */
            have = 1;
        }
    }
    if (!have) {
        if (!mb__plat_exists(plat, "/proc/self/cgroup"))
            return 0;
        long n = mb__plat_read(plat, "/proc/self/cgroup", text, sizeof text);
        if (n < 0)
            return (int)n;
        if (!self_path(text, controller, &w.version, w.path, sizeof w.path))
            return 0;
    }
    char root[PATH_MAX], point[PATH_MAX];
    int rc = 0;
    if (w.version != 2) /* a v1 hierarchy holding the controller, when there is one */
        rc = find_mount(plat, controller, root, sizeof root, point, sizeof point);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        w.version = 1;
    } else {
        if (w.version == 1)
            return 0; /* listed for v1 but not mounted: nothing to read */
        rc = find_mount(plat, NULL, root, sizeof root, point, sizeof point);
        if (rc <= 0)
            return rc;
        w.version = 2;
    }
    /* the part of the path below the mount's root */
    const char *below = w.path;
    size_t rl = strlen(root);
    if (strcmp(root, "/") != 0) {
        if (strncmp(w.path, root, rl) == 0 && (w.path[rl] == '/' || w.path[rl] == '\0'))
            below = w.path + rl;
        else
            below = ""; /* a namespaced path ("/") seen through a mount of its own subtree */
    }
    if (strcmp(below, "/") == 0)
        below = "";
    size_t pl = strlen(point);
    while (pl > 1 && point[pl - 1] == '/')
        point[--pl] = '\0';
    if (strcmp(point, "/") == 0)
        point[0] = '\0', pl = 0;
    if (pl + strlen(below) + 1 > sizeof w.dir)
        return mb__error(MB_ERANGE, "the cgroup folder %s%s is longer than PATH_MAX", point,
                         below);
    snprintf(w.dir, sizeof w.dir, "%s%s", point, below);
    w.mount_len = pl;
    *out = w;
    return 1;
}

int mb__cgroup_up(const mb_cg_where *w, size_t *len)
{
    size_t l = *len;
    if (l <= w->mount_len)
        return 0;
    while (l > w->mount_len && w->dir[l - 1] != '/')
        l--;
    if (l > w->mount_len)
        l--; /* drop the slash */
    *len = l;
    return 1;
}

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
    if (!mb__plat_exists(plat, p))
        return -1;
    return mb__plat_open(plat, p);
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

static int cache_get(const mb_platform *plat, struct mb_cgroup_cache **out)
{
    mb_platform *mp = (mb_platform *)plat; /* the caches are the platform's one mutable part */
    struct mb_cgroup_cache *c = atomic_load(&mp->cgroup);
    if (c) {
        *out = c;
        return MB_OK;
    }
    int rc = cache_build(plat, &c);
    if (rc)
        return rc;
    struct mb_cgroup_cache *expected = NULL;
    if (!atomic_compare_exchange_strong(&mp->cgroup, &expected, c)) {
        cache_free(c); /* another thread built it first */
        c = expected;
    }
    *out = c;
    return MB_OK;
}

void mb__cgroup_release(mb_platform *plat)
{
    struct mb_cgroup_cache *c = atomic_exchange(&plat->cgroup, NULL);
    cache_free(c);
}

void mb__plat_release_caches(mb_platform *plat)
{
    mb__cgroup_release(plat);
    mb__topology_release(plat);
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

/* The value of key (at line start, "key value") in a memory.stat text; MB_UNKNOWN. */
static int64_t stat_value(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
            const char *q = p + kl + 1;
            const char *e = q;
            while (*e >= '0' && *e <= '9')
                e++;
            uint64_t v;
            if (mb__parse_u64(q, (size_t)(e - q), &v) == MB_OK && v <= (uint64_t)INT64_MAX)
                return (int64_t)v;
            return MB_UNKNOWN;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return MB_UNKNOWN;
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
    *out = stat_value(st, version == 2 ? "inactive_file" : "total_inactive_file");
    if (*out == MB_UNKNOWN && version == 1)
        *out = stat_value(st, "inactive_file");
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
