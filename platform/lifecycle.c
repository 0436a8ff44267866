/*
 * platform/lifecycle.c: layer 5, the platform's lifecycle (platform.h): the sysroot chosen
 * at init, the release of every module's cache at fini (each module registered its release
 * function with its cache slot, sysroot.h, so nothing here knows a module's internals),
 * the preparation of the host figures, and the list of files platform/ reads (what
 * `membudget gather` copies). It calls every layer below it; nothing below calls it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "platform.h"

int mb__plat_init(mb_platform *plat, const char *opt) { return mb__plat_init_env(plat, opt, NULL); }

const char *mb__plat_env(const mb_platform *plat, const char *name, int *too_long)
{
    return mb__env_get(&plat->env, name, too_long);
}

static int plat_init(mb_platform *plat, const char *opt);

int mb__plat_init_env(mb_platform *plat, const char *opt, const char *const *environment)
{
    memset(plat, 0, sizeof *plat);
    plat->rootfd = -1;
    int rc = mb__env_capture(&plat->env, environment);
    if (rc == MB_OK)
        rc = plat_init(plat, opt);
    if (rc != MB_OK)
        mb__env_release(&plat->env);
    return rc;
}

static int plat_init(mb_platform *plat, const char *opt)
{
    const char *from = "the sysroot option";
    const char *root = opt;
    int too_long = 0;
    if (!root || !*root) {
        root = mb__plat_env(plat, "MEMBUDGET_SYSROOT", &too_long);
        from = "MEMBUDGET_SYSROOT";
        if (too_long)
            return mb__error(MB_EENV, "MEMBUDGET_SYSROOT is longer than 4096 bytes; set it to "
                                      "the folder of a machine dump, or unset it");
    }
    if (!root || !*root)
        root = "/";
    if (root[0] != '/')
        return mb__error(MB_EINVAL, "%s='%s' is not an absolute path; give the folder of a "
                                    "machine dump as an absolute path", from, root);
    char real[PATH_MAX];
    if (!realpath(root, real))
        return mb__error(MB_EINVAL, "%s='%s' cannot be used: %s; give an existing folder",
                         from, root, strerror(errno));
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return mb__error(MB_EINVAL, "%s='%s' is not a folder; give the folder of a machine "
                                    "dump (as written by 'membudget gather')", from, root);
    return mb__sysroot_open(plat, real, from, root);
}

void mb__plat_fini(mb_platform *plat)
{
    if (!plat)
        return;
    mb__plat_cache_release_all(plat);
    mb__sysroot_close(plat);
    mb__env_release(&plat->env);
}

int mb__plat_host_prepare(const mb_platform *plat)
{
    int rc = mb__meminfo_prepare(plat);
    if (rc)
        return rc;
    mb_container_memory cg; /* builds the cgroup cache and checks its files parse */
    return mb__container_memory(plat, &cg);
}

/* ---- the files platform/ reads ------------------------------------------------------ */

static int emit(const mb_platform *plat, int (*each)(void *, const char *), void *user,
                const char *path)
{
    if (!mb__plat_exists(plat, path))
        return 0;
    return each(user, path);
}

/* Every level of a cgroup from its folder up to the mount's root, names in each. */
static int emit_levels(const mb_platform *plat, const mb_cg_where *w, const char *const *names,
                       int (*each)(void *, const char *), void *user)
{
    size_t len = strlen(w->dir);
    do {
        for (int k = 0; names[k]; k++) {
            char p[PATH_MAX + 64];
            snprintf(p, sizeof p, "%.*s/%s", (int)len, w->dir, names[k]);
            int rc = emit(plat, each, user, p);
            if (rc)
                return rc;
        }
    } while (mb__cgroup_up(w, &len));
    return 0;
}

int mb__plat_files(const mb_platform *plat, int (*each)(void *user, const char *path),
                   void *user)
{
    static const char *const fixed[] = {
        "/proc/meminfo", "/proc/self/status", "/proc/self/cgroup", "/proc/self/cpuset",
        "/proc/self/mountinfo", "/proc/mounts", "/sys/devices/system/node/online",
        "/sys/devices/system/node/possible", "/sys/devices/system/node/has_cpu",
        "/sys/devices/system/node/has_memory", "/sys/devices/system/node/has_normal_memory",
        "/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible",
        "/sys/devices/system/cpu/present", "/sys/devices/system/cpu/offline"};
    int rc;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if ((rc = emit(plat, each, user, fixed[i])))
            return rc;
    const mb_topology *t;
    if ((rc = mb__topology_get(plat, &t)))
        return rc;
    for (int i = 0; i < t->nnodes; i++) {
        char p[96];
        if ((rc = emit(plat, each, user, t->nodes[i].meminfo)))
            return rc;
        snprintf(p, sizeof p, "/sys/devices/system/node/node%d/cpulist", t->nodes[i].id);
        if ((rc = emit(plat, each, user, p)))
            return rc;
    }
    mb_cg_where w;
    int found = mb__cgroup_locate(plat, "memory", &w);
    if (found < 0)
        return found;
    if (found) {
        /* limit, usage and stat at every level: each limited level bounds what is left */
        static const char *const v1[] = {"memory.limit_in_bytes", "memory.usage_in_bytes",
                                         "memory.stat", NULL};
        static const char *const v2[] = {"memory.max", "memory.current", "memory.stat", NULL};
        if ((rc = emit_levels(plat, &w, w.version == 2 ? v2 : v1, each, user)))
            return rc;
    }
    found = mb__cgroup_locate(plat, "cpuset", &w);
    if (found < 0)
        return found;
    if (found) {
        static const char *const cs[] = {"cpuset.mems.effective", "cpuset.cpus.effective",
                                         "cpuset.effective_mems", "cpuset.effective_cpus",
                                         "cpuset.mems", "cpuset.cpus", "mems", "cpus", NULL};
        if ((rc = emit_levels(plat, &w, cs, each, user)))
            return rc;
    }
    return emit(plat, each, user, "/hwloc.xml");
}
