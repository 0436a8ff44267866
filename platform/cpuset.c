/*
 * platform/cpuset.c: the memory nodes and CPUs this process may use.
 *
 * Two sources, intersected: /proc/self/status (Mems_allowed_list, Cpus_allowed_list: the
 * kernel's view for this task, proc(5)) and the cpuset cgroup of the process
 * (cpuset.mems.effective / cpuset.cpus.effective in v2; cpuset.effective_mems /
 * cpuset.effective_cpus, else cpuset.mems / cpuset.cpus, in v1; mems / cpus on the legacy
 * cpuset file system), found through /proc/self/cpuset or /proc/self/cgroup. Machine
 * dumps usually carry only the second (hwloc-gather-topology copies the cgroup files, not
 * /proc/self/status), a live process always has the first; the kernel keeps the two in
 * agreement, so intersecting them is exact on a live machine and safe on a dump.
 */
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "cpuset.h"
#include "parse.h"

/* Reads a list file into tmp and ANDs it into bits. 1 applied, 0 file absent or empty. */
static int and_list_file(const mb_platform *plat, const char *path, unsigned char *bits,
                         unsigned char *tmp, int nbits)
{
    char buf[8192];
    int present;
    long n = mb__plat_read_if(plat, path, buf, sizeof buf, &present);
    if (n < 0)
        return (int)n;
    if (!present)
        return 0;
    const char *p = buf;
    while (*p == ' ' || *p == '\n' || *p == '\t')
        p++;
    if (!*p)
        return 0; /* an empty effective list: nothing said */
    int rc = mb__parse_list(buf, tmp, nbits);
    if (rc)
        return mb__error(MB_EPARSE, "%s: '%.60s' is not a %s list", path, buf,
                         nbits == MB_MAX_NODES ? "node" : "CPU");
    for (int i = 0; i < nbits; i++)
        bits[i] &= tmp[i];
    return 1;
}

/* The first of names that exists in dir or one of its ancestors (v2 files exist only where
 * the controller is enabled; the nearest level that has them decides). */
static int and_cpuset_file(const mb_platform *plat, const mb_cg_where *w,
                           const char *const *names, unsigned char *bits, unsigned char *tmp,
                           int nbits, char *used, size_t used_size)
{
    size_t len = strlen(w->dir);
    for (;;) {
        for (int k = 0; names[k]; k++) {
            char p[PATH_MAX + 64];
            snprintf(p, sizeof p, "%.*s/%s", (int)len, w->dir, names[k]);
            int rc = and_list_file(plat, p, bits, tmp, nbits);
            if (rc != 0) {
                if (rc > 0)
                    snprintf(used, used_size, "%s", p);
                return rc;
            }
        }
        if (!mb__cgroup_up(w, &len))
            return 0;
    }
}

int mb__cpuset_allowed(const mb_platform *plat, unsigned char *mems, int *have_mems,
                       unsigned char *cpus, int *have_cpus, char *from, size_t from_size)
{
    memset(mems, 1, MB_MAX_NODES);
    memset(cpus, 1, MB_MAX_CPUS);
    *have_mems = *have_cpus = 0;
    from[0] = '\0';
    unsigned char *tmp = mb__malloc(MB_MAX_CPUS);
    if (!tmp)
        return mb__error(MB_ENOMEM, "out of memory reading the cpuset");
    int rc = MB_OK;
    char field[4096];
    char *status = mb__malloc(65536);
    if (!status) {
        mb__free(tmp);
        return mb__error(MB_ENOMEM, "out of memory reading /proc/self/status");
    }
    int present;
    long n = mb__plat_read_if(plat, "/proc/self/status", status, 65536, &present);
    if (n < 0)
        rc = (int)n;
    if (present) {
        if (rc == MB_OK && mb__status_field(status, "Mems_allowed_list", field, sizeof field)) {
            if (mb__parse_list(field, tmp, MB_MAX_NODES) != MB_OK)
                rc = mb__error(MB_EPARSE, "/proc/self/status: Mems_allowed_list '%.60s' is "
                                          "not a node list", field);
            else {
                for (int i = 0; i < MB_MAX_NODES; i++)
                    mems[i] &= tmp[i];
                *have_mems = 1;
                snprintf(from, from_size, "Mems_allowed_list %.60s", field);
            }
        }
        if (rc == MB_OK && mb__status_field(status, "Cpus_allowed_list", field, sizeof field)) {
            if (mb__parse_list(field, tmp, MB_MAX_CPUS) != MB_OK)
                rc = mb__error(MB_EPARSE, "/proc/self/status: Cpus_allowed_list '%.60s' is "
                                          "not a CPU list", field);
            else {
                for (int i = 0; i < MB_MAX_CPUS; i++)
                    cpus[i] &= tmp[i];
                *have_cpus = 1;
            }
        }
    }
    mb__free(status);
    mb_cg_where w;
    int found = rc == MB_OK ? mb__cgroup_locate(plat, "cpuset", &w) : 0;
    if (found < 0)
        rc = found;
    if (rc == MB_OK && found == 1) {
        static const char *const mems_names[] = {"cpuset.mems.effective",
                                                 "cpuset.effective_mems", "cpuset.mems",
                                                 "mems", NULL};
        static const char *const cpus_names[] = {"cpuset.cpus.effective",
                                                 "cpuset.effective_cpus", "cpuset.cpus",
                                                 "cpus", NULL};
        char used[PATH_MAX + 64] = "";
        int r = and_cpuset_file(plat, &w, mems_names, mems, tmp, MB_MAX_NODES, used,
                                sizeof used);
        if (r < 0)
            rc = r;
        else if (r > 0) {
            *have_mems = 1;
            size_t l = strlen(from);
            char now[64];
            mb__format_list(mems, MB_MAX_NODES, now, sizeof now);
            snprintf(from + l, from_size - l, "%s%s (%s)", l ? " and " : "", used, now);
        }
        if (rc == MB_OK) {
            r = and_cpuset_file(plat, &w, cpus_names, cpus, tmp, MB_MAX_CPUS, used,
                                sizeof used);
            if (r < 0)
                rc = r;
            else if (r > 0)
                *have_cpus = 1;
        }
    }
    mb__free(tmp);
    if (rc) {
        memset(mems, 1, MB_MAX_NODES);
        memset(cpus, 1, MB_MAX_CPUS);
        *have_mems = *have_cpus = 0;
        from[0] = '\0';
    }
    return rc;
}
