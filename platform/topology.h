/*
 * platform/topology.h: layer 4, the NUMA topology (topology.c, which calls cpuset.c).
 * Everything here reads files under the sysroot; nothing has a side effect on the machine.
 *
 * Ownership: a topology belongs to the platform (one per context), is built on first use
 * (the CPU backend's probe), kept in the platform's MB_CACHE_TOPOLOGY slot and freed by
 * mb__plat_fini. Once built it never changes, so it
 * may be read from any thread without a lock.
 */
#ifndef MB_PLATFORM_TOPOLOGY_H
#define MB_PLATFORM_TOPOLOGY_H

#include <stdint.h>

#include "sysroot.h"

#include "parse.h"

/* ---- topology (topology.c) ------------------------------------------------------- */

typedef struct mb_topo_node {
    int id;            /* the kernel's node id (sparse ids are kept as they are) */
    int has_memory;    /* listed in has_memory (has_normal_memory on old kernels) */
    int has_cpu;       /* has at least one online CPU */
    int allowed;       /* the cpuset (Mems_allowed_list, cpuset.mems.effective) allows it */
    int ncpus;         /* online CPUs on the node; -1 when the dump has no cpulist */
    int ncpus_allowed; /* of those, in this process's CPU affinity; -1 when unknown */
    int first_cpu;     /* lowest online CPU of the node, -1 when none or unknown */
    int64_t total;     /* MemTotal of the node's meminfo at load time, 0 without memory */
    char kind[40];     /* hwloc's subtype of a node ("GPUMemory", "HBM", "SPM"), or "" */
    char meminfo[64];  /* "/sys/devices/system/node/nodeN/meminfo" */
} mb_topo_node;

/* Whether a node is a CPU device: online CPUs, memory, allowed by the cpuset's mems, and
 * at least one of its CPUs in this process's affinity (cpuset.cpus.effective and
 * sched_setaffinity both narrow it; a rank could not run there). Unknown CPU lists
 * (ncpus_allowed -1, a dump without cpulists) do not exclude a node. */
static inline int mb__topo_is_device(const mb_topo_node *n)
{
    return n->has_cpu && n->has_memory && n->allowed && n->ncpus_allowed != 0;
}

typedef struct mb_topology {
    int have_nodes;          /* /sys/devices/system/node exists */
    int have_lists;          /* at least one of online/has_cpu/has_memory was readable */
    int nnodes;              /* online nodes, in id order */
    mb_topo_node *nodes;
    unsigned short *cpu_node; /* [MB_MAX_CPUS]: node of each online CPU, 0xffff none */
    unsigned char *cpu_allowed; /* [MB_MAX_CPUS]: 1 when in this process's affinity */
    int cpus_known;          /* node cpulists were readable */
    char mems_from[200];     /* what restricted the nodes ("" when nothing did) */
    char labels_from[120];   /* where kind labels came from ("" when none were needed) */
} mb_topology;

/* The context's topology, built on first call from sysfs under the sysroot (hwloc only
 * labels memory-only nodes: see topology.c). Thread-safe: concurrent first calls build
 * once. On failure *out is NULL, the detail names the file, and a later call retries. */
int mb__topology_get(const mb_platform *plat, const mb_topology **out);
/* The node with id, or NULL. */
const mb_topo_node *mb__topology_node(const mb_topology *t, int id);
/* A node's free memory as the CPU backend counts it (MemFree + Active(file) +
 * Inactive(file) + SReclaimable) and its MemTotal, read now. No heap allocation. */
int mb__node_meminfo(const mb_platform *plat, const mb_topo_node *n, int64_t *free,
                     int64_t *total);

#endif
