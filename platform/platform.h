/*
 * platform/platform.h: layer 5 of platform/, the platform's lifecycle (lifecycle.c), and
 * the one header that brings in every layer below it (docs/architecture.md, "Layers"):
 *   1 base.h     errors and the detail, heap, fault counter, clocks, environment
 *   2 parse.h    pure parsers and formatters
 *   3 sysroot.h  the sysroot file layer and the cache slots
 *   4 meminfo.h, cgroup.h, cpuset.h, topology.h, dl.h   the host services
 *   5 this file  init, release of every cache, the list of files read
 */
#ifndef MB_PLATFORM_H
#define MB_PLATFORM_H

#include "base.h"
#include "cgroup.h"
#include "cpuset.h"
#include "dl.h"
#include "meminfo.h"
#include "parse.h"
#include "sysroot.h"
#include "proc.h"
#include "topology.h"

/* Fills plat from the option (may be NULL) or MEMBUDGET_SYSROOT. MB_EINVAL when the root
 * is not a readable directory (the detail names it and where it came from). */
int mb__plat_init(mb_platform *plat, const char *sysroot_option);
/* mb__plat_init with the context's environment option (mb_context_options.environment):
 * the honoured variables are read here, once (platform/env.c), then MEMBUDGET_SYSROOT. */
int mb__plat_init_env(mb_platform *plat, const char *sysroot_option,
                      const char *const *environment);
/* The value of honoured variable name as read at init (NULL: unset or, *too_long, over
 * 4096 bytes); no environment is read after init. */
const char *mb__plat_env(const mb_platform *plat, const char *name, int *too_long);
/* Releases every module's cache (registered in its slot) and closes the root. */
void mb__plat_fini(mb_platform *plat);

/* Opens /proc/meminfo and finds and opens the memory cgroup's files now, once per context.
 * A backend whose snapshots read host or container figures calls it at probe so that no
 * snapshot allocates or walks folders. MB_OK when there is nothing to open (no
 * /proc/meminfo under the sysroot, no memory cgroup); negative on a malformed cgroup or
 * mount file (detail set). Safe to call from several threads. */
int mb__plat_host_prepare(const mb_platform *plat);

/* Calls each(user, path) for every file under the sysroot that platform/ reads on this
 * machine and that exists (absolute paths, as the library reads them): the host's and
 * the nodes' memory, the node and CPU lists, the cgroup files of every level, the cpuset,
 * and /hwloc.xml. Stops at the first non-zero return of each and returns it. */
int mb__plat_files(const mb_platform *plat, int (*each)(void *user, const char *path),
                   void *user);

#endif
