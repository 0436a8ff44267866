/*
 * core/cpu_kv.c: the KV-cache size vLLM 0.33.0's CPU worker takes, from the node's figures
 * (issue 14, item 7). The machine is read by mb_cpu_kv_space_get (numa.c); this is the rule.
 *
 * vllm/utils/cpu_resource_utils.py get_memory_node_info: a container limit below the node's
 * MemTotal replaces it (and bounds the available memory by limit - usage).
 * vllm/v1/worker/cpu_worker.py: CPUWorker.__init__ reserves requested_cpu_memory =
 * math.ceil(total x gpu_memory_utilization); determine_available_memory takes
 * cache_config.kv_cache_memory_bytes when set (--kv-cache-memory-bytes, which the legacy
 * VLLM_CPU_KVCACHE_SPACE overrides in CpuPlatform.check_and_update_config, vllm/platforms/
 * cpu.py) and refuses it above the available memory; else int(requested - RSS), refused when
 * 0 or less or above the available memory. Each refusal below starts with vLLM's own words.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "cpu_kv.h"

static const char *gib(int64_t b, char *buf, size_t size)
{
    mb_size_format_gib(b, buf, size); /* vLLM's format_gib: round(b / 2^30, 2) */
    return buf;
}

int mb__cpu_kv_size(const mb__cpu_kv_in *in, mb_cpu_kv_space *r)
{
    char avail[32], total[32], want[32], reqg[32], rss[32];
    int node = in->node;
    r->node_total = in->total;
    r->node_available = in->available;
    r->container_limit = in->cg_limit;
    if (in->cg_limit != MB_UNLIMITED && in->cg_limit > 0 && in->cg_limit < in->total) {
        /* get_memory_node_info's clamp: the limit for the total, and at most limit - usage
         * available */
        r->node_total = in->cg_limit;
        int64_t room = in->cg_limit - in->cg_usage;
        if (room < r->node_available)
            r->node_available = room > 0 ? room : 0;
    }
    gib(r->node_available, avail, sizeof avail);
    gib(r->node_total, total, sizeof total);
    const char *bound = in->bound ? in->bound : "";
    if (in->explicit_bytes > 0) {
        r->explicit_size = 1;
        r->bytes = in->explicit_bytes;
        gib(r->bytes, want, sizeof want);
        /* VLLM_CPU_KVCACHE_SPACE counts GiB, kv_cache_memory_bytes bytes */
        int in_gib = in->explicit_name && !strstr(in->explicit_name, "bytes");
        if (r->bytes > r->node_available)
            return mb__error(MB_ENOFIT, "Available memory on node %d (%s/%s GiB) on kv cache "
                                        "allocation is less than requested memory for kv "
                                        "(%s GiB). Decrease --kv-cache-memory-bytes, "
                                        "VLLM_CPU_KVCACHE_SPACE, or reduce CPU memory used by "
                                        "other processes (%s%s; lower %s to at most %lld%s, "
                                        "or free memory on node %d)",
                             node, avail, total, want, in->explicit_from, bound,
                             in->explicit_name,
                             in_gib ? (long long)(r->node_available >> 30)
                                    : (long long)r->node_available,
                             in_gib ? " GiB" : " bytes", node);
        snprintf(r->reason, sizeof r->reason, "Explicitly set (%s/%s) GiB for KV cache on node "
                 "%d (%s; %s GiB available%s)", want, total, node, in->explicit_from, avail,
                 bound);
        return MB_OK;
    }
    r->utilization = in->utilization;
    /* Python's math.ceil(total * fraction): the product in double, as vLLM computes it */
    r->requested = (int64_t)ceil((double)r->node_total * in->utilization);
    r->resident = in->rss;
    r->bytes = r->requested - r->resident;
    gib(r->requested, reqg, sizeof reqg);
    gib(r->resident, rss, sizeof rss);
    gib(r->bytes, want, sizeof want);
    if (r->node_total <= 0)
        return mb__error(MB_EINVAL, "node %d: its total memory is %lld bytes, so no KV cache "
                                    "can be sized on it; check its meminfo (MemTotal)",
                         node, (long long)r->node_total);
    if (r->bytes <= 0) {
        /* in_use = math.ceil(consumed / total * 100) */
        double in_use = ceil((double)r->resident / (double)r->node_total * 100.0);
        return mb__error(MB_ENOFIT, "The worker already uses %s GiB (model weights and "
                                    "runtime), more than the %s GiB of CPU memory reserved "
                                    "for it on node %d, leaving none for the KV cache. On the "
                                    "CPU backend, the `--gpu-memory-utilization` flag controls "
                                    "the fraction of CPU memory reserved (despite its name). To "
                                    "resolve: increase `--gpu-memory-utilization` to more than "
                                    "%.2f, or set the KV cache size explicitly with "
                                    "`--kv-cache-memory-bytes` or VLLM_CPU_KVCACHE_SPACE "
                                    "(ceil(%s GiB x utilization %g)%s: raise the utilization)",
                         rss, reqg, node, in_use / 100.0, total, in->utilization, bound);
    }
    if (r->bytes > r->node_available)
        return mb__error(MB_ENOFIT, "Available memory on node %d (%s/%s GiB) on kv cache "
                                    "allocation is less than requested memory for kv (%s/%s "
                                    "GiB). Reduce CPU memory used by other processes (the "
                                    "automatic KV cache for node %d is ceil(%s GiB x "
                                    "utilization %g) minus %s GiB this process holds%s; lower "
                                    "the utilization (gpu_memory_utilization) or set "
                                    "kv_cache_memory_bytes or VLLM_CPU_KVCACHE_SPACE to a "
                                    "size that fits)",
                         node, avail, total, want, reqg, node, total, in->utilization, rss,
                         bound);
    mb__snprintf_c(r->reason, sizeof r->reason, "Auto set (%s/%s) GiB for KV cache on node %d, "
                   "with %s GiB requested memory for the worker (utilization %g); %s GiB was "
                   "consumed by this process (VmRSS); %s GiB available%s",
                   want, total, node, reqg, in->utilization, rss, avail, bound);
    return MB_OK;
}
