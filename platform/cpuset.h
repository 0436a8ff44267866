/* platform/cpuset.h: layer 4, the memory nodes and CPUs this process may use (cpuset.c,
 * which calls cgroup_locate.c). */
#ifndef MB_PLATFORM_CPUSET_H
#define MB_PLATFORM_CPUSET_H

#include "sysroot.h"

/* The memory nodes and CPUs this process may use. mems/cpus are [MB_MAX_NODES] and
 * [MB_MAX_CPUS] (1 = allowed); *have_mems / *have_cpus say whether anything restricted
 * them (0: no file said, everything is allowed). from receives a description of the
 * sources for messages. */
int mb__cpuset_allowed(const mb_platform *plat, unsigned char *mems, int *have_mems,
                       unsigned char *cpus, int *have_cpus, char *from, size_t from_size);

#endif
