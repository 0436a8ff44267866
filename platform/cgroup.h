/*
 * platform/cgroup.h: layer 4, cgroups: locating a controller's cgroup (cgroup_locate.c)
 * and the memory controller's limits (cgroup_memory.c, which calls cgroup_locate.c).
 * Everything here reads files under the sysroot; nothing has a side effect.
 */
#ifndef MB_PLATFORM_CGROUP_H
#define MB_PLATFORM_CGROUP_H

#include <stdint.h>

#include "sysroot.h"

#define MB_CG_DEPTH 32 /* cgroup levels followed from a leaf up to its mount's root */

/* ---- locating (cgroup_locate.c) ---------------------------------------------------- */

/* Where one controller's hierarchy is mounted and where this process sits in it. */
typedef struct mb_cg_where {
    int version;          /* 1 or 2 */
    char path[256];       /* the path /proc/self/cgroup (or /proc/self/cpuset) gives */
    char dir[PATH_MAX];   /* the cgroup's folder: mount point + path below the mount root */
    size_t mount_len;     /* length of the mount point inside dir (ancestors stop there) */
} mb_cg_where;

/* Finds this process's cgroup for controller ("memory", "cpuset") under the sysroot:
 * the path from /proc/self/cgroup (a v1 line naming the controller, else the v2 "0::"
 * line; for "cpuset" /proc/self/cpuset first), the mount from /proc/self/mountinfo (or
 * /proc/mounts in dumps that lack it). Returns 1 when found, 0 when this process has no
 * such cgroup (no files, no mount: not an error), negative on a malformed file (detail
 * set). *out is zeroed unless 1 is returned. */
int mb__cgroup_locate(const mb_platform *plat, const char *controller, mb_cg_where *out);

/* The levels of w, leaf first: w->dir[0, *len) is a level's folder. Start with
 * *len = strlen(w->dir); each call moves *len to the parent's folder and returns 1, or
 * returns 0 at the mount's root (the top this process can see). */
int mb__cgroup_up(const mb_cg_where *w, size_t *len);

/* ---- memory limits (cgroup_memory.c) ----------------------------------------------- */

/* Container memory: the smallest limit of this process's memory cgroup and its ancestors
 * (MB_UNLIMITED when none) and what is left under them (the smallest
 * limit_i - (usage_i - inactive_file_i) over the limited levels; MB_UNLIMITED when no
 * limit). */
typedef struct mb_container_memory {
    int64_t limit;
    int64_t usage;         /* the cgroup's own */
    int64_t available;
    int64_t inactive_file; /* the cgroup's own inactive file cache; MB_UNKNOWN */
    char bound_by[256];    /* the level whose headroom is smallest, below the mount ("") */
    int version; /* 1 or 2; 0 when no memory cgroup was found */
    char path[256]; /* the cgroup path, as /proc/self/cgroup gives it */
} mb_container_memory;

/* The figures above, read now. The memory cgroup's folders are found and its files opened
 * on the first call (kept in the platform's MB_CACHE_CGROUP slot). */
int mb__container_memory(const mb_platform *plat, mb_container_memory *out);

/* Bounds a measurement by the container: records the effective limit in out->limit,
 * lowers out->free to what every limited cgroup level still leaves (MB_SNAP_LIMITED), then
 * clamps free to out->total (MB_SNAP_CLAMPED). out->free and out->total must be set. */
int mb__container_bound(const mb_platform *plat, mb_meminfo *out);

#endif
