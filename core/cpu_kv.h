/* core/cpu_kv.h: vLLM 0.33.0's CPU KV-cache size from figures (cpu_kv.c). */
#ifndef MB_CORE_CPU_KV_H
#define MB_CORE_CPU_KV_H

#include "membudget.h"
#include "membudget/numa.h"

typedef struct mb__cpu_kv_in {
    int node;
    int64_t total;          /* the node's MemTotal */
    int64_t available;      /* MemFree + Active(file) + Inactive(file) + SReclaimable,
                             * already bounded by the container's room */
    int64_t cg_limit;       /* the container's limit, MB_UNLIMITED for none */
    int64_t cg_usage;       /* its usage (for vLLM's bound on the available memory) */
    double utilization;     /* --gpu-memory-utilization */
    int64_t rss;            /* the worker's resident memory (VmRSS) */
    int64_t explicit_bytes; /* > 0: --kv-cache-memory-bytes or VLLM_CPU_KVCACHE_SPACE */
    const char *explicit_from; /* which of them, for the reason: "VLLM_CPU_KVCACHE_SPACE=4" */
    const char *explicit_name; /* the flag or variable to lower: "VLLM_CPU_KVCACHE_SPACE" */
    const char *bound;      /* ", bounded by ..." for the reason, or "" */
} mb__cpu_kv_in;

/* Fills r (bytes, explicit_size, node_total, node_available, requested, resident,
 * utilization, reason) or returns MB_ENOFIT with vLLM's words followed by what to change. */
int mb__cpu_kv_size(const mb__cpu_kv_in *in, mb_cpu_kv_space *r);

#endif
