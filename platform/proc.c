/*
 * platform/proc.c: other processes' /proc files under the sysroot (issue 18): the PID
 * list, status (Name, NSpid, VmRSS), comm, cmdline, numa_maps and DRM fdinfo. Formats:
 * fs/proc/array.c (status, NSpid since Linux 4.1), Documentation/filesystems/proc.rst
 * (numa_maps: "N<node>=<pages>" and "kernelpagesize_kB=<k>" per mapping) and
 * Documentation/gpu/drm-usage-stats.rst (fdinfo keys).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

typedef struct pid_walk {
    int (*each)(void *, long);
    void *user;
} pid_walk;

static int pid_entry(void *user, const char *name)
{
    pid_walk *w = user;
    uint64_t pid;
    if (mb__parse_u64(name, strlen(name), &pid) != MB_OK || pid == 0 || pid > 0x7fffffff)
        return 0;
    return w->each(w->user, (long)pid);
}

int mb__proc_each_pid(const mb_platform *plat, int (*each)(void *, long), void *user)
{
    pid_walk w = {each, user};
    if (!mb__plat_exists(plat, "/proc")) /* listing it is the point: absent is an error */
        return mb__error(MB_EIO, "cannot list %s/proc: it is absent (a dump gathered without "
                         "the process files: run `membudget gather` again)",
                         plat->foreign ? plat->root : "");
    return mb__plat_list(plat, "/proc", pid_entry, &w);
}

/* The text after "Key:" on its line, trimmed, into out. 1 when found. */
static int line_value(const char *text, const char *key, char *out, size_t size)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l;) {
        const char *eol = strchr(l, '\n');
        size_t len = eol ? (size_t)(eol - l) : strlen(l);
        if (len > kl && strncmp(l, key, kl) == 0 && l[kl] == ':') {
            const char *v = l + kl + 1;
            const char *end = l + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                end--;
            snprintf(out, size, "%.*s", (int)(end - v), v);
            return 1;
        }
        l = eol ? eol + 1 : NULL;
    }
    return 0;
}

int mb__proc_info(const mb_platform *plat, long pid, mb_proc_info *out)
{
    memset(out, 0, sizeof *out);
    out->pid = pid;
    out->ns_pid = pid;
    out->rss = MB_UNKNOWN;
    char path[64], buf[16384];
    snprintf(path, sizeof path, "/proc/%ld", pid);
    if (!mb__plat_exists(plat, path))
        return mb__error(MB_ENODEV, "no process %ld in %s/proc", pid,
                         plat->foreign ? plat->root : "");
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    long n = mb__plat_read(plat, path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    char v[256];
    if (line_value(buf, "Name", v, sizeof v))
        snprintf(out->name, sizeof out->name, "%s", v);
    if (line_value(buf, "NSpid", v, sizeof v)) {
        /* "4242\t17": the PID in the /proc's namespace, then in each nested one */
        char *p = v;
        while (*p) {
            while (*p == ' ' || *p == '\t')
                p++;
            char *s = p;
            while (isdigit((unsigned char)*p))
                p++;
            uint64_t x;
            if (p == s || mb__parse_u64(s, (size_t)(p - s), &x) != MB_OK) {
                return mb__error(MB_EPARSE, "%s: NSpid '%s' is not a list of PIDs", path, v);
            }
            out->ns_pid = (long)x;
            out->ns_depth++;
            if (*p && *p != ' ' && *p != '\t')
                return mb__error(MB_EPARSE, "%s: NSpid '%s' is not a list of PIDs", path, v);
        }
    }
    if (line_value(buf, "VmRSS", v, sizeof v)) { /* "1076 kB" (fs/proc/task_mmu.c) */
        size_t d = strspn(v, "0123456789");
        uint64_t kb;
        if (mb__parse_u64(v, d, &kb) != MB_OK || strcmp(v + d, " kB") != 0 ||
            kb > (uint64_t)INT64_MAX / 1024)
            return mb__error(MB_EPARSE, "%s: VmRSS '%s' is not a number of kB", path, v);
        out->rss = (int64_t)kb * 1024;
    }
    /* comm is what ps shows; status's Name is the same text with escapes */
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    if (mb__plat_exists(plat, path) && mb__plat_read(plat, path, buf, sizeof buf) > 0) {
        buf[strcspn(buf, "\n")] = '\0';
        snprintf(out->name, sizeof out->name, "%s", buf);
    }
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    int fd = mb__plat_exists(plat, path) ? mb__plat_open(plat, path) : -1;
    if (fd >= 0) {
        ssize_t got = 0;
        while (got < (ssize_t)sizeof out->cmdline - 1) {
            ssize_t k = read(fd, out->cmdline + got, sizeof out->cmdline - 1 - (size_t)got);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            got += k;
        }
        close(fd);
        while (got > 0 && out->cmdline[got - 1] == '\0')
            got--;
        for (ssize_t i = 0; i < got; i++)
            if (out->cmdline[i] == '\0' || out->cmdline[i] == '\n')
                out->cmdline[i] = ' ';
        out->cmdline[got] = '\0';
    }
    return MB_OK;
}

/* numa_maps, one line at a time through a 64 KiB window (the file of a large process
 * runs to megabytes). */
static int numa_line(const char *l, size_t len, int node, int64_t *sum)
{
    char key[24];
    int kl = snprintf(key, sizeof key, "N%d=", node);
    int64_t pages = 0, kb = 4;
    for (size_t i = 0; i < len;) {
        while (i < len && l[i] == ' ')
            i++;
        size_t s = i;
        while (i < len && l[i] != ' ')
            i++;
        const char *w = l + s;
        size_t wl = i - s;
        uint64_t v;
        if (wl > (size_t)kl && strncmp(w, key, (size_t)kl) == 0) {
            if (mb__parse_u64(w + kl, wl - (size_t)kl, &v) != MB_OK)
                return MB_EPARSE;
            pages = (int64_t)v;
        } else if (wl > 18 && strncmp(w, "kernelpagesize_kB=", 18) == 0) {
            if (mb__parse_u64(w + 18, wl - 18, &v) != MB_OK)
                return MB_EPARSE;
            kb = (int64_t)v;
        }
    }
    if (pages > 0 && kb > 0) {
        if (pages > INT64_MAX / 1024 / kb || *sum > INT64_MAX - pages * kb * 1024)
            return MB_ERANGE;
        *sum += pages * kb * 1024;
    }
    return MB_OK;
}

int mb__proc_numa_bytes(const mb_platform *plat, long pid, int node, int64_t *out)
{
    *out = MB_UNKNOWN;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/numa_maps", pid);
    int fd = mb__plat_open(plat, path);
    if (fd < 0)
        return fd;
    char *buf = mb__malloc(65536);
    if (!buf) {
        close(fd);
        return mb__error(MB_ENOMEM, "no memory to read %s", path);
    }
    size_t have = 0;
    int64_t sum = 0;
    int rc = MB_OK;
    for (;;) {
        if (mb__fault_hit("read")) {
            rc = mb__error(MB_EIO, "cannot read %s: injected fault", path);
            break;
        }
        ssize_t k = read(fd, buf + have, 65536 - have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = mb__error(MB_EIO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        have += (size_t)k;
        size_t start = 0;
        for (size_t i = 0; i < have; i++)
            if (buf[i] == '\n') {
                if ((rc = numa_line(buf + start, i - start, node, &sum)))
                    break;
                start = i + 1;
            }
        if (rc) {
            rc = mb__error(rc, "%s has a malformed line", path);
            break;
        }
        if (k == 0) {
            if (have > start && (rc = numa_line(buf + start, have - start, node, &sum)))
                rc = mb__error(rc, "%s has a malformed line", path);
            break;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == 65536) {
            rc = mb__error(MB_EPARSE, "%s has a line longer than 64 KiB", path);
            break;
        }
    }
    mb__free(buf);
    close(fd);
    if (rc == MB_OK)
        *out = sum;
    return rc;
}

/* "1234 KiB" (or MiB, GiB, or bare bytes) into bytes; MB_UNKNOWN when text is NULL. */
static int64_t drm_size(const char *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || errno)
        return MB_UNKNOWN;
    while (*end == ' ')
        end++;
    unsigned long long mul = 1;
    if (strcmp(end, "KiB") == 0)
        mul = 1024;
    else if (strcmp(end, "MiB") == 0)
        mul = 1024 * 1024;
    else if (strcmp(end, "GiB") == 0)
        mul = 1024ull * 1024 * 1024;
    else if (*end)
        return MB_UNKNOWN;
    if (x > (unsigned long long)INT64_MAX / mul)
        return MB_UNKNOWN;
    return (int64_t)(x * mul);
}

typedef struct drm_walk {
    const mb_platform *plat;
    const char *dir;
    mb_drm_client *out;
    int cap, count;
} drm_walk;

/* mb__plat_list callback: one descriptor's fdinfo, kept when it names a DRM client not
 * seen yet (a client open on several descriptors counts once). */
static int drm_entry(void *user, const char *name)
{
    drm_walk *w = user;
    uint64_t num;
    if (mb__parse_u64(name, strlen(name), &num) != MB_OK)
        return 0;
    char path[96], buf[8192], v[128];
    snprintf(path, sizeof path, "%s/%s", w->dir, name);
    if (mb__plat_read(w->plat, path, buf, sizeof buf) < 0)
        return 0; /* the descriptor closed meanwhile, or fdinfo outgrew 8 KiB */
    if (!line_value(buf, "drm-client-id", v, sizeof v))
        return 0;
    mb_drm_client c;
    memset(&c, 0, sizeof c);
    if (mb__parse_u64(v, strlen(v), &num) != MB_OK)
        return 0;
    c.id = num;
    if (line_value(buf, "drm-driver", v, sizeof v))
        snprintf(c.driver, sizeof c.driver, "%s", v);
    if (line_value(buf, "drm-pdev", v, sizeof v))
        snprintf(c.pdev, sizeof c.pdev, "%s", v);
    c.vram = line_value(buf, "drm-memory-vram", v, sizeof v) ? drm_size(v)
             : line_value(buf, "drm-resident-vram", v, sizeof v) ? drm_size(v)
                                                                  : MB_UNKNOWN;
    c.gtt = line_value(buf, "drm-memory-gtt", v, sizeof v) ? drm_size(v)
            : line_value(buf, "drm-resident-gtt", v, sizeof v) ? drm_size(v)
                                                                : MB_UNKNOWN;
    for (int k = 0; k < w->count && k < w->cap; k++)
        if (w->out[k].id == c.id && strcmp(w->out[k].pdev, c.pdev) == 0)
            return 0;
    if (w->count < w->cap)
        w->out[w->count] = c;
    w->count++;
    return 0;
}

int mb__proc_drm_clients(const mb_platform *plat, long pid, mb_drm_client *out, int cap,
                         int *n)
{
    *n = 0;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fdinfo", pid);
    drm_walk w = {plat, dir, out, cap, 0};
    int rc = mb__plat_list(plat, dir, drm_entry, &w);
    if (rc < 0)
        return rc;
    *n = w.count;
    return MB_OK;
}

int mb__proc_holds(const mb_platform *plat, long pid, const char *const *prefixes,
                   char *node, size_t size)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
    if (!mb__plat_exists(plat, dir))
        return 0;
    int fd = mb__plat_open(plat, dir);
    if (fd < 0)
        return fd;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return mb__error(MB_EIO, "cannot list %s: %s", dir, strerror(e));
    }
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char target[256];
        /* the link's text: live, the file the descriptor is open on; in a dump, what the
         * link was made to say (nothing is followed) */
        ssize_t k = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (k <= 0)
            continue;
        target[k] = '\0';
        for (int i = 0; prefixes[i] && !found; i++)
            if (strncmp(target, prefixes[i], strlen(prefixes[i])) == 0) {
                snprintf(node, size, "%s", target);
                found = 1;
            }
    }
    closedir(d);
    return found;
}

int mb__proc_host_namespace(const mb_platform *plat)
{
    static const char init_ns[] = "pid:[4026531836]"; /* PROC_PID_INIT_INO = 0xEFFFFFFC */
    char buf[64];
    if (plat->foreign) {
        if (!mb__plat_exists(plat, "/proc/self/ns/pid") ||
            mb__plat_read(plat, "/proc/self/ns/pid", buf, sizeof buf) < 0)
            return 1;
        buf[strcspn(buf, "\n")] = '\0';
        return strcmp(buf, init_ns) == 0;
    }
    ssize_t k = readlink("/proc/self/ns/pid", buf, sizeof buf - 1);
    if (k < 0)
        return 1; /* kernels before 3.8 have no ns links, and no PID namespaces in use */
    buf[k] = '\0';
    return strcmp(buf, init_ns) == 0;
}

/* ---- the files a dump needs (gather) ----------------------------------------------- */

typedef struct files {
    const mb_platform *plat;
    int (*each)(void *, const char *);
    void *user;
} files;

static int emit(files *f, const char *path)
{
    return mb__plat_exists(f->plat, path) ? f->each(f->user, path) : 0;
}

static int pid_files(void *user, long pid)
{
    files *f = user;
    static const char *const names[] = {"status", "comm", "cmdline", "numa_maps"};
    char p[96];
    int rc;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "/proc/%ld/%s", pid, names[i]);
        if ((rc = emit(f, p)))
            return rc;
    }
    /* DRM clients only: other descriptors' fdinfo says nothing about device memory */
    mb_drm_client c[8];
    int n = 0;
    if (mb__proc_drm_clients(f->plat, pid, c, 8, &n) == MB_OK && n > 0) {
        snprintf(p, sizeof p, "/proc/%ld/fdinfo", pid);
        int fd = mb__plat_open(f->plat, p);
        if (fd >= 0) {
            DIR *d = fdopendir(fd);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                char q[160], buf[8192];
                if (e->d_name[0] == '.')
                    continue;
                snprintf(q, sizeof q, "%s/%s", p, e->d_name);
                if (mb__plat_read(f->plat, q, buf, sizeof buf) > 0 &&
                    strstr(buf, "drm-client-id") && (rc = emit(f, q))) {
                    closedir(d);
                    return rc;
                }
            }
            if (d)
                closedir(d);
            else
                close(fd);
        }
    }
    return 0;
}

int mb__proc_files(const mb_platform *plat, int (*each)(void *user, const char *path),
                   void *user)
{
    files f = {plat, each, user};
    int rc = emit(&f, "/proc/pressure/memory");
    if (rc)
        return rc;
    if ((rc = mb__proc_each_pid(plat, pid_files, &f)))
        return rc;
    /* KFD's per-process files and the topology that joins gpu_id to a PCI address */
    static const char *const dirs[] = {"/sys/class/kfd/kfd/proc",
                                       "/sys/class/kfd/kfd/topology/nodes"};
    for (int k = 0; k < 2; k++) {
        if (!mb__plat_exists(plat, dirs[k]))
            continue;
        int fd = mb__plat_open(plat, dirs[k]);
        if (fd < 0)
            continue;
        DIR *d = fdopendir(fd);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char sub[160];
            snprintf(sub, sizeof sub, "%s/%s", dirs[k], e->d_name);
            int sfd = mb__plat_open(plat, sub);
            if (sfd < 0)
                continue;
            DIR *s = fdopendir(sfd);
            struct dirent *g;
            while (s && (g = readdir(s)) != NULL) {
                if (k == 0 ? strncmp(g->d_name, "vram_", 5) != 0
                           : strcmp(g->d_name, "gpu_id") != 0 &&
                                 strcmp(g->d_name, "properties") != 0)
                    continue;
                char q[256];
                snprintf(q, sizeof q, "%s/%s", sub, g->d_name);
                if ((rc = emit(&f, q)))
                    break;
            }
            if (s)
                closedir(s);
            else
                close(sfd);
            if (rc)
                break;
        }
        if (d)
            closedir(d);
        else
            close(fd);
        if (rc)
            return rc;
    }
    return MB_OK;
}
