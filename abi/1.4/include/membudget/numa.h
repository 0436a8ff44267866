/*
 * membudget/numa.h: NUMA nodes, the container's memory limit and the CPU KV-cache space.
 * The conventions of membudget.h hold here too.
 */
#ifndef MEMBUDGET_NUMA_H
#define MEMBUDGET_NUMA_H

#include <stddef.h>
#include <stdint.h>

#include "membudget.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * On a CPU deployment the KV cache lives in host memory, one engine rank per NUMA node,
 * often inside a container. These functions describe the nodes, the container's memory
 * limit, which node a local rank uses (vLLM's VLLM_CPU_OMP_THREADS_BIND and
 * CPU_VISIBLE_MEMORY_NODES) and the KV-cache size of that rank (VLLM_CPU_KVCACHE_SPACE).
 * docs/numa.md has the rules and where they come from.
 *
 * Common contract: ctx is probed when needed (the topology is read once per context, at
 * the CPU backend's probe, and never changes after). Every function reads files under the
 * context's sysroot and has no side effect on the machine, so each works on a machine dump.
 * They are safe to call from several threads on one context. On failure every output is
 * zeroed (int fields that name a node or device are -1) and mb_error_detail() names
 * the variable or file and what to change.
 */

/* One NUMA node as the kernel lists it (online nodes only; ids may be sparse). */
typedef struct mb_numa_node {
    uint32_t size; /* the caller's sizeof: set it with MB_NUMA_NODE_INIT */
    int node;             /* the kernel's node id */
    int has_cpus;         /* 1: at least one online CPU sits on this node */
    int has_memory;       /* 1: the node has memory (has_memory / has_normal_memory) */
    int allowed;          /* 1: this process's cpuset lets it use the node's memory */
    int cpus;             /* online CPUs on the node; -1 when the files do not say */
    int cpus_allowed;     /* of those, in this process's CPU affinity; -1 when unknown */
    int device;           /* mb_device_get index of cpu:<node>; -1 when not a device */
    int64_t total_memory; /* the node's MemTotal (0 for a node without memory) */
    int64_t free_memory;  /* MemFree + Active(file) + Inactive(file) + SReclaimable of the
                             node, read by this call (the node's own figure: neither the
                             container limit nor the host fallback applies) */
    char kind[48];        /* "cpu+memory", "memory-only", "memory-only (GPUMemory)" (hwloc's
                             subtype when known), "cpus-only", "no cpus or memory" */
    char why_not[128];    /* why the node is not a CPU device; "" when it is one */
} mb_numa_node;
#define MB_NUMA_NODE_INIT { .size = sizeof(mb_numa_node) }

/* The number of online NUMA nodes (allowed or not, with CPUs or not); 0 on a machine
 * without /sys/devices/system/node (then cpu:0 is the host). Negative on failure. */
MB_EXPORT int mb_numa_node_count(mb_context *ctx);
/* Node number index (0 .. count-1, in node-id order), its free memory read now. Memory-only
 * nodes (CXL, GPU memory that GH200/GB200 expose as CPU-less nodes) are listed here and are
 * never CPU devices. Performs no heap allocation. */
MB_EXPORT int mb_numa_node_get(mb_context *ctx, int index, mb_numa_node *out);

/* This process's memory cgroup. */
typedef struct mb_container_info {
    uint32_t size; /* the caller's sizeof: set it with MB_CONTAINER_INFO_INIT */
    int version;           /* 1 or 2; 0 when the process is in no memory cgroup */
    char path[256];        /* the cgroup path from /proc/self/cgroup ("" for version 0) */
    int64_t limit;         /* smallest limit of the cgroup and its ancestors; MB_UNLIMITED */
    int64_t usage;         /* the cgroup's memory.current / memory.usage_in_bytes; MB_UNKNOWN */
    int64_t inactive_file; /* its inactive file cache, read only under a limit; MB_UNKNOWN */
    int64_t available;     /* what every limited level still leaves: the smallest
                              limit_i - (usage_i - inactive_file_i) over the cgroup and its
                              limited ancestors (a parent shared with siblings can bind
                              first), >= 0; MB_UNLIMITED when no level is limited */
    char bound_by[256];    /* the level that gives available, as a path below the cgroup
                              mount ("/kubepods.slice/pod1.slice"); "" when unlimited */
} mb_container_info;
#define MB_CONTAINER_INFO_INIT { .size = sizeof(mb_container_info) }
/* Reads the container's figures now (the cgroup's files stay open for the context's life;
 * each call is a few reads). Snapshots of CPU devices and of integrated GPUs already bound
 * their free memory by available. */
MB_EXPORT int mb_container_memory_get(mb_context *ctx, mb_container_info *out);

/* How a local rank's node was chosen (VLLM_CPU_OMP_THREADS_BIND). */
typedef enum mb_cpu_bind {
    MB_CPU_BIND_AUTO = 0,   /* "auto" or unset: rank i takes the i-th visible node */
    MB_CPU_BIND_NOBIND = 1, /* "nobind" (or the legacy "all"): the node of this process's
                               first allowed CPU, whatever the rank */
    MB_CPU_BIND_LIST = 2    /* per-rank CPU lists "0-31|32-63": the node of the rank's
                               first CPU */
} mb_cpu_bind;

typedef struct mb_cpu_rank {
    int local_rank;
    int32_t bind;         /* an mb_cpu_bind */
    int node;             /* the NUMA node the rank's KV cache lives on */
    int device;           /* mb_device_get index of that node's CPU device */
    char cpus[128];       /* the rank's CPU list (MB_CPU_BIND_LIST), else "" */
    char reason[MB_REASON_MAX]; /* how the node was chosen, in one line */
} mb_cpu_rank;

/* The CPU device of local_rank (>= 0). Visible nodes are the CPU devices (nodes with CPUs
 * and memory that the cpuset allows), narrowed and ordered by CPU_VISIBLE_MEMORY_NODES when
 * set and not empty. Fails with MB_EENV for a malformed variable (the detail quotes it),
 * MB_ENODEV when the rank has no node (more ranks than visible nodes, or a CPU list whose
 * CPUs are not online), MB_ENOTSUP when the CPU backend serves no device. */
MB_EXPORT int mb_cpu_rank_get(mb_context *ctx, int local_rank, mb_cpu_rank *out);

/* vLLM's default --gpu-memory-utilization, which vLLM also applies to CPU memory
 * (vllm/config/cache.py: 0.92; vllm/v1/worker/cpu_worker.py uses it for the CPU). */
#define MB_CPU_UTILIZATION_DEFAULT 0.92

typedef struct mb_cpu_kv_options {
    uint32_t size; /* the caller's sizeof: set it with MB_CPU_KV_OPTIONS_INIT */
    int local_rank;     /* default 0 */
    double utilization; /* in (0, 1]; default MB_CPU_UTILIZATION_DEFAULT */
    /* -- from 1.2 -- */
    int64_t kv_cache_memory_bytes; /* > 0: vLLM's --kv-cache-memory-bytes (which
                                    * VLLM_CPU_KVCACHE_SPACE overrides); 0 (default): none */
} mb_cpu_kv_options;
#define MB_CPU_KV_OPTIONS_INIT \
    { .size = sizeof(mb_cpu_kv_options), .utilization = MB_CPU_UTILIZATION_DEFAULT }
/* Fills the first size bytes of *o with the defaults of MB_CPU_KV_OPTIONS_INIT and sets
 * o->size = size (for bindings). MB_EINVAL for NULL or a size below the first release's. */
MB_EXPORT int mb_cpu_kv_options_init(mb_cpu_kv_options *o, size_t size);

typedef struct mb_cpu_kv_space {
    uint32_t size; /* the caller's sizeof: set it with MB_CPU_KV_SPACE_INIT */
    int explicit_size;      /* 1: VLLM_CPU_KVCACHE_SPACE or --kv-cache-memory-bytes gave it;
                             * 0: automatic */
    int64_t bytes;          /* the rank's KV-cache size */
    mb_cpu_rank rank;       /* its node and why */
    int64_t node_total;     /* the device's total (node MemTotal, or the host's in the
                               host fallback) */
    int64_t node_available; /* the device's free now, bounded by the container */
    int64_t container_limit; /* MB_UNLIMITED when none */
    double utilization;     /* automatic: the fraction used */
    int64_t requested;      /* automatic: ceil(node_total x utilization) */
    int64_t resident;       /* automatic: this process's VmRSS */
    char reason[MB_REASON_MAX]; /* the decision in one line, vLLM's words where it has them */
} mb_cpu_kv_space;
#define MB_CPU_KV_SPACE_INIT { .size = sizeof(mb_cpu_kv_space) }

/* The CPU KV-cache size for a local rank, as vLLM's CPU worker decides it
 * (vllm/v1/worker/cpu_worker.py, determine_available_memory):
 *  - VLLM_CPU_KVCACHE_SPACE set and not empty: that many GiB, explicitly;
 *  - unset or empty: ceil(node_total x utilization) - resident, automatically.
 * Errors: MB_EENV for a bad VLLM_CPU_KVCACHE_SPACE, VLLM_CPU_OMP_THREADS_BIND or
 * CPU_VISIBLE_MEMORY_NODES (each its own message, quoting the value and saying what is
 * accepted); MB_ENOFIT when the size exceeds the node's available memory, or the automatic
 * size is not positive: the detail gives the node, its available and total GiB and what to
 * change. opts may be NULL (defaults); MB_EINVAL for a utilization outside (0, 1] or a
 * negative rank. */
MB_EXPORT int mb_cpu_kv_space_get(mb_context *ctx, const mb_cpu_kv_options *opts,
                                  mb_cpu_kv_space *out);

#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_NUMA_H */
