/*
 * platform/numa.h: NUMA topology, cpusets, cgroup paths and the CPU KV-space rules
 * (internal; issue 8). Everything here reads files under the sysroot through the
 * sysroot.c helpers; nothing has a side effect on the machine.
 *
 * Ownership: a topology belongs to the platform (one per context), is built on first use
 * (the CPU backend's probe) and freed by mb__plat_fini. Once built it never changes, so it
 * may be read from any thread without a lock.
 */
#ifndef MB_PLATFORM_NUMA_H
#define MB_PLATFORM_NUMA_H

#include <stdint.h>

#include "platform.h"

#define MB_MAX_CPUS 8192
#define MB_CG_DEPTH 32 /* cgroup levels followed from a leaf up to its mount's root */

/* ---- cgroup paths (cgroup.c) ----------------------------------------------------- */

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

/* Frees the cached descriptors of the memory cgroup (mb__plat_fini). */
void mb__cgroup_release(mb_platform *plat);

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
void mb__topology_release(mb_platform *plat);
/* The node with id, or NULL. */
const mb_topo_node *mb__topology_node(const mb_topology *t, int id);
/* A node's free memory as the CPU backend counts it (MemFree + Active(file) +
 * Inactive(file) + SReclaimable) and its MemTotal, read now. No heap allocation. */
int mb__node_meminfo(const mb_platform *plat, const mb_topo_node *n, int64_t *free,
                     int64_t *total);
/* The same figures from a node meminfo text already read; path names it in the detail. */
int mb__node_meminfo_parse(const char *text, const char *path, int64_t *free, int64_t *total);
#define MB_NODE_MEMINFO_MAX 8192 /* a node meminfo is about 1.2 KiB */

/* ---- cpusets (cpuset.c) ---------------------------------------------------------- */

/* The memory nodes and CPUs this process may use. mems/cpus are [MB_MAX_NODES] and
 * [MB_MAX_CPUS] (1 = allowed); *have_mems / *have_cpus say whether anything restricted
 * them (0: no file said, everything is allowed). from receives a description of the
 * sources for messages. */
int mb__cpuset_allowed(const mb_platform *plat, unsigned char *mems, int *have_mems,
                       unsigned char *cpus, int *have_cpus, char *from, size_t from_size);

/* The value of "Key:" in /proc/self/status text ("Mems_allowed_list"), trimmed, copied to
 * out. 1 when found, 0 when not. */
int mb__status_field(const char *text, const char *key, char *out, size_t size);

/* Writes bits[0..nbits) in the kernel's list format ("0-3,8"), "" when empty; truncated
 * with "..." when it does not fit. */
void mb__format_list(const unsigned char *bits, int nbits, char *out, size_t size);

/* ---- vLLM's CPU environment (kvspace.c) ------------------------------------------ */

/* VLLM_CPU_KVCACHE_SPACE: value must be a whole number of GiB (digits only, >= 1). On
 * success *bytes = value x 2^30. MB_EENV with a message that names the variable, quotes
 * value and says what is accepted. */
int mb__kv_parse_space(const char *value, int64_t *bytes);
/* CPU_VISIBLE_MEMORY_NODES: comma-separated node ids ("0,2"), in the order given. */
int mb__parse_visible_nodes(const char *value, int *nodes, int max, int *count);
/* VmRSS of this process from /proc/self/status under the sysroot, in bytes. */
int mb__self_rss(const mb_platform *plat, int64_t *rss);

#endif
