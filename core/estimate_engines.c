/*
 * core/estimate_engines.c: the settings of each engine that realise one budget (issue 15).
 * The devices the estimate knows by name are core/gpus.c's table (mb_estimate_device_find).
 *
 * Engine rules (per instance; KV is the pessimistic KV figure of the estimate):
 *  - vLLM (vllm/v1/worker/gpu_worker.py): requested = total x gpu_memory_utilization,
 *    so the fraction per instance is its cap / total; kv_cache_memory_bytes sets the KV
 *    cache outright and skips the profile's arithmetic (determine_available_memory).
 *  - SGLang (python/sglang/srt/model_executor/model_runner.py, profile_max_num_token):
 *    KV = free memory after the weights - total x (1 - --mem-fraction-static), so the
 *    fraction that gives KV is (context + weights + KV) / total; --max-total-tokens caps
 *    the pool in tokens whatever the fraction says.
 *  - TensorRT-LLM (KvCacheConfig, tensorrt_llm/llmapi): free_gpu_memory_fraction is the
 *    share of the memory free after the model and its activations are in place, max_tokens
 *    a cap in tokens; with both set the smaller wins.
 * Several instances on one device: each is planned with its own cap (total / N less a
 * runtime context, or memory_cap), which vLLM can express as a utilization only because
 * every instance's requested memory is a fraction of the whole device: the start-up check
 * (free >= requested) then passes for each instance in turn.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estimate.h"

void mb__estimate_knobs(const mb_estimate_device *dev, mb_estimate *e, int64_t cap)
{
    mb_engine_knobs *k = &e->knobs;
    double total = (double)dev->total_memory;
    double kv = (double)e->available_kv_cache_memory_low;
    if (kv < 0)
        kv = 0;
    double req = (double)e->requested_memory;
    /* vLLM: four decimals, rounded down so that the instances never sum past the device */
    k->vllm_gpu_memory_utilization = floor(req / total * 10000) / 10000;
    k->vllm_kv_cache_memory_bytes = (int64_t)kv;
    double w = e->weights.source == MB_EST_UNKNOWN ? 0 : (double)e->weights.high;
    double act = (e->activation.source == MB_EST_UNKNOWN ? 0 : (double)e->activation.high) +
                 (e->non_torch.source == MB_EST_UNKNOWN ? 0 : (double)e->non_torch.high);
    double ctx = (double)e->context_memory;
    k->sglang_mem_fraction_static = floor((ctx + w + kv) / total * 1000) / 1000;
    int64_t tokens = e->kv_cache_tokens_low > 0 ? e->kv_cache_tokens_low : 0;
    k->sglang_max_total_tokens = tokens;
    /* the memory free once the model and its activations are in place, within this
     * instance's share of the device */
    double share = cap != MB_UNKNOWN ? (double)cap : total - ctx;
    double free_after = share - w - act;
    k->trtllm_free_gpu_memory_fraction =
        free_after > 0 ? floor(kv / free_after * 1000) / 1000 : 0;
    if (k->trtllm_free_gpu_memory_fraction > 1)
        k->trtllm_free_gpu_memory_fraction = 1;
    k->trtllm_max_tokens = tokens;
}
