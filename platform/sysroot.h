/*
 * platform/sysroot.h: layer 3 of platform/: the sysroot file layer. Every /proc, /sys and
 * /etc read of the library goes through these functions, relative to the sysroot; and the
 * platform's set-once caches, each registered with the function that releases it, so the
 * lifecycle (lifecycle.c) frees every module's cache without calling up into the module.
 */
#ifndef MB_PLATFORM_SYSROOT_H
#define MB_PLATFORM_SYSROOT_H

#include <limits.h>
#include <stddef.h>

#include "base.h"
#include "membudget/backend.h"

/* The caches the platform's modules keep, one slot each. */
enum {
    MB_CACHE_MEMINFO,  /* meminfo.c: the kept /proc/meminfo descriptor */
    MB_CACHE_CGROUP,   /* cgroup_memory.c: the memory cgroup's open files */
    MB_CACHE_TOPOLOGY, /* topology.c: the NUMA topology */
    MB_CACHE_SLOTS
};

typedef struct mb_plat_cache {
    void *_Atomic value;       /* NULL until built; set once, never changed after */
    void (*_Atomic release)(void *value);
} mb_plat_cache;

struct mb_platform {
    char root[PATH_MAX]; /* "/" or the sysroot, without a trailing slash (except "/") */
    int foreign;         /* root is not "/": side effects refused */
    int rootfd;          /* O_PATH descriptor of root when foreign, else -1 */
    mb_plat_cache cache[MB_CACHE_SLOTS];
    mb__env_snapshot env; /* the honoured variables, read once at init (env.c) */
};

/* Sets plat's root to the existing folder real (a realpath) and opens it when foreign.
 * from names where the root came from in the detail. */
int mb__sysroot_open(mb_platform *plat, const char *real, const char *from, const char *given);
/* Closes the root descriptor (the caches must be released first). */
void mb__sysroot_close(mb_platform *plat);

/* The sysroot in force and whether it is foreign (not "/"). */
const char *mb__plat_root(const mb_platform *plat);
int mb__plat_foreign(const mb_platform *plat);

/* Opens path (absolute, e.g. "/proc/meminfo") under the sysroot, read-only, O_CLOEXEC.
 * Returns a descriptor or a negative mb_error (MB_EIO with the path in the detail). */
int mb__plat_open(const mb_platform *plat, const char *path);
/* Reads a whole small file under the sysroot into buf (NUL-terminated). Returns the
 * length or a negative mb_error. MB_ENOSPACE when it does not fit. */
long mb__plat_read(const mb_platform *plat, const char *path, char *buf, size_t size);
/* pread from offset 0 of an open descriptor into buf (NUL-terminated); length or error.
 * path only names the file in the detail. */
long mb__plat_pread(int fd, const char *path, char *buf, size_t size);
/* The same open in one step for a file that may be missing: 1 and *fd set when opened, 0
 * and *fd = -1 when path does not exist (ENOENT, or ENOTDIR: a folder on the way is
 * missing or a file), a negative mb_error otherwise (detail set). No exists-then-open: the
 * file cannot vanish between a test and the open. */
int mb__plat_open_if(const mb_platform *plat, const char *path, int *fd);
/* Reads a whole small file that may be missing: its length with *present = 1, 0 with
 * *present = 0 (and buf "") when absent, or a negative mb_error. */
long mb__plat_read_if(const mb_platform *plat, const char *path, char *buf, size_t size,
                      int *present);
/* 1 when path exists under the sysroot (no follow of the final symlink needed), else 0. */
int mb__plat_exists(const mb_platform *plat, const char *path);

/* Calls each(user, name) for every entry of folder path under the sysroot ("." and ".."
 * left out), in the order the file system gives, until each returns non-zero (returned).
 * 0 when path is absent; a negative mb_error when it cannot be read. */
int mb__plat_list(const mb_platform *plat, const char *path,
                  int (*each)(void *user, const char *name), void *user);

/* The value in cache slot, or NULL while none was installed. */
void *mb__plat_cache_get(const mb_platform *plat, int slot);
/* Installs value in an empty slot with the function that frees it and returns value; when
 * another thread installed one first, returns that one and the caller frees its own. The
 * caches are the platform's one mutable part, hence the const cast inside. */
void *mb__plat_cache_put(const mb_platform *plat, int slot, void *value,
                         void (*release)(void *value));
/* Releases and empties every slot (the lifecycle's fini; not thread-safe with users). */
void mb__plat_cache_release_all(mb_platform *plat);

#endif
