/*
 * platform/platform.h: host-OS services shared by backends and the core (internal).
 * The services backends may call are declared in include/membudget/backend.h; this header
 * adds what only the core and platform/ itself use.
 */
#ifndef MB_PLATFORM_H
#define MB_PLATFORM_H

#include <limits.h>
#include <stdint.h>

#include "membudget/backend.h"

struct mb_platform {
    char root[PATH_MAX]; /* "/" or the sysroot, without a trailing slash (except "/") */
    int foreign;         /* root is not "/": side effects refused */
    int rootfd;          /* O_PATH descriptor of root when foreign, else -1 */
    /* Caches built on first use and freed by mb__plat_fini (issue 8, platform/numa.h):
     * the memory cgroup's open descriptors and the NUMA topology. Set once with an atomic
     * compare-and-swap, never changed after, so readers need no lock. */
    struct mb_cgroup_cache *_Atomic cgroup;
    struct mb_topology *_Atomic topology;
    /* /proc/meminfo, opened on first use by mb__plat_host_memory and kept open (host
     * figures are read on every snapshot of an integrated GPU): the descriptor plus one,
     * 0 while not opened. Same set-once rule. */
    _Atomic int meminfo_fd1;
};

/* Fills plat from the option (may be NULL) or MEMBUDGET_SYSROOT. MB_EINVAL when the root
 * is not a readable directory (the detail names it and where it came from). */
int mb__plat_init(mb_platform *plat, const char *sysroot_option);
void mb__plat_fini(mb_platform *plat);

/* Seconds since the epoch (CLOCK_REALTIME) and a monotonic clock, as doubles. */
double mb__clock_wall(void);
double mb__clock_mono(void);

/* Fault injection, for tests only (the single place is core/vtable.c for backend slots;
 * platform/ uses the same counter for OS calls and the heap). mb__fault_arm(n) makes the
 * nth instrumented call from now fail (n >= 1), 0 disarms. mb__fault_hit(site) counts one
 * call at site and says whether it must fail; the site of the failure is recorded. */
void mb__fault_arm(long n);
int mb__fault_hit(const char *site);
long mb__fault_count(void);
const char *mb__fault_site(void);

/* Parses a non-negative decimal integer that fills the whole of [s, s+len) (no sign, no
 * space). MB_EPARSE or MB_ERANGE; no detail is set (the caller names the input). */
int mb__parse_u64(const char *s, size_t len, uint64_t *out);



/* Container memory (platform/cgroup.c): the smallest limit of this process's memory
 * cgroup and its ancestors (MB_UNLIMITED when none) and what is left under them (the
 * smallest limit_i - (usage_i - inactive_file_i) over the limited levels; MB_UNLIMITED
 * when no limit). */
typedef struct mb_container_memory {
    int64_t limit;
    int64_t usage;         /* the cgroup's own */
    int64_t available;
    int64_t inactive_file; /* the cgroup's own inactive file cache; MB_UNKNOWN */
    char bound_by[256];    /* the level whose headroom is smallest, below the mount ("") */
    int version; /* 1 or 2; 0 when no memory cgroup was found */
    char path[256]; /* the cgroup path, as /proc/self/cgroup gives it */
} mb_container_memory;
int mb__container_memory(const mb_platform *plat, mb_container_memory *out);
/* Frees the caches above (platform/cgroup.c, platform/topology.c); mb__plat_fini calls it. */
void mb__plat_release_caches(mb_platform *plat);
/* Parses the kernel's list format ("0-3,8") into bits[0..nbits) (1 = in the list).
 * MB_EPARSE on malformed text, MB_ERANGE for a member >= nbits; no detail is set. */
int mb__parse_list(const char *s, unsigned char *bits, int nbits);

#define MB_MAX_NODES 1024

#endif
