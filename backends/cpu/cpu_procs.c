/*
 * backends/cpu/cpu_procs.c: the processes holding a NUMA node's memory (issue 18), from
 * /proc/<pid>/numa_maps (pages per node per mapping); where the kernel has no numa_maps
 * (built without NUMA) the one device's figure is VmRSS from /proc/<pid>/status. A
 * process this one may not read (another user's numa_maps needs ptrace access) is listed
 * with its bytes unknown and the reason; processes with nothing on the node are left out.
 */
#include <stdio.h>
#include <string.h>

#include "../../platform/proc.h"

int mb__cpu_processes(const mb_platform *plat, int node,
                      int (*add)(void *sink, const mb_process *p), void *sink);

typedef struct walk {
    const mb_platform *plat;
    int node;
    int (*add)(void *, const mb_process *);
    void *sink;
} walk;

static int one(void *user, long pid)
{
    walk *w = user;
    mb_process p;
    memset(&p, 0, sizeof p);
    p.source_pid = pid;
    p.gtt_bytes = MB_UNKNOWN;
    p.gpu_instance = p.compute_instance = MB_PROC_NO_INSTANCE;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/numa_maps", pid);
    if (!mb__plat_exists(w->plat, path)) {
        snprintf(path, sizeof path, "/proc/%ld/status", pid);
        if (!mb__plat_exists(w->plat, path))
            return 0; /* gone */
        mb_proc_info info;
        if (mb__proc_info(w->plat, pid, &info) != MB_OK || info.rss == MB_UNKNOWN ||
            info.rss == 0)
            return 0; /* kernel threads have no VmRSS */
        p.source = MB_PROC_SOURCE_PROC_STATUS;
        p.bytes = info.rss;
        return w->add(w->sink, &p);
    }
    p.source = MB_PROC_SOURCE_NUMA_MAPS;
    int rc = mb__proc_numa_bytes(w->plat, pid, w->node, &p.bytes);
    if (rc == MB_ENOMEM)
        return rc;
    if (rc) {
        p.bytes = MB_UNKNOWN;
        snprintf(p.note, sizeof p.note, "%s", mb_error_detail());
    } else if (p.bytes == 0) {
        return 0;
    }
    return w->add(w->sink, &p);
}

int mb__cpu_processes(const mb_platform *plat, int node,
                      int (*add)(void *sink, const mb_process *p), void *sink)
{
    walk w = {plat, node, add, sink};
    return mb__proc_each_pid(plat, one, &w);
}
