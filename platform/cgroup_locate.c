/*
 * platform/cgroup_locate.c: layer 4, where this process's cgroup of a controller is
 * (cgroup.h).
 *
 * /proc/self/cgroup gives this process's path per hierarchy ("4:memory:/a/b" for v1,
 * "0::/a/b" for v2); /proc/self/mountinfo gives where each hierarchy is mounted and which
 * part of it (field 4, the mount's root: a container sees "/docker/<id>" or "/"); dumps
 * made by hwloc-gather-topology carry /proc/mounts only, read as mounts of root "/". The
 * cgroup's folder is the mount point plus the path below the mount's root
 * (Documentation/admin-guide/cgroup-v2.rst, "Namespace" and proc(5), /proc/pid/mountinfo).
 */
#include <stdio.h>
#include <string.h>

#include "cgroup.h"

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

/* Whether mount root r is a prefix of cgroup path p at a folder boundary ("/" always). */
static int root_prefix(const char *r, const char *p)
{
    size_t rl = strlen(r);
    if (rl == 1 && r[0] == '/')
        return 1;
    return strncmp(p, r, rl) == 0 && (p[rl] == '/' || p[rl] == '\0');
}

/* Finds the mount of a v1 controller (controller != NULL) or of the v2 hierarchy. From
 * mountinfo when present, else /proc/mounts. Among several mounts of the hierarchy (a
 * container's own subtree beside the host's whole tree, bind mounts), the one whose root
 * is the longest prefix of the process's cgroup path wins; when no root is a prefix (a
 * namespaced path seen through a mount of its own subtree), the first mount. 1 found, 0
 * not, negative on error. */
static int find_mount(const mb_platform *plat, const char *controller, const char *cg_path,
                      char *root, size_t root_size, char *point, size_t point_size)
{
    char *buf = mb__malloc(MOUNTS_MAX);
    if (!buf)
        return mb__error(MB_ENOMEM, "out of memory reading the mount table");
    int mountinfo = 1, present;
    long n = mb__plat_read_if(plat, "/proc/self/mountinfo", buf, MOUNTS_MAX, &present);
    if (n >= 0 && !present) {
        mountinfo = 0;
        n = mb__plat_read_if(plat, "/proc/mounts", buf, MOUNTS_MAX, &present);
    }
    if (n < 0 || !present) {
        mb__free(buf);
        return n < 0 ? (int)n : 0;
    }
    int found = 0;
    size_t best = 0; /* the chosen mount's root length + 1 when it is a prefix, else 0 */
    for (const char *line = buf; *line;) {
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
                char r[PATH_MAX], pt[PATH_MAX];
                unescape(mroot, mroot_l, r, sizeof r);
                unescape(mpoint, mpoint_l, pt, sizeof pt);
                int prefix = root_prefix(r, cg_path);
                size_t score = prefix ? strlen(r) + 1 : 0; /* 0: not a prefix */
                if (!found || score > best) {
                    snprintf(root, root_size, "%s", r);
                    snprintf(point, point_size, "%s", pt);
                    best = score;
                    found = 1;
                }
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
    int present = 0;
    if (strcmp(controller, "cpuset") == 0) {
        long n = mb__plat_read_if(plat, "/proc/self/cpuset", text, sizeof text, &present);
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
        long n = mb__plat_read_if(plat, "/proc/self/cgroup", text, sizeof text, &present);
        if (n < 0)
            return (int)n;
        if (!present)
            return 0;
        if (!self_path(text, controller, &w.version, w.path, sizeof w.path))
            return 0;
    }
    char root[PATH_MAX], point[PATH_MAX];
    int rc = 0;
    if (w.version != 2) /* a v1 hierarchy holding the controller, when there is one */
        rc = find_mount(plat, controller, w.path, root, sizeof root, point, sizeof point);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        w.version = 1;
    } else {
        if (w.version == 1)
            return 0; /* listed for v1 but not mounted: nothing to read */
        rc = find_mount(plat, NULL, w.path, root, sizeof root, point, sizeof point);
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

