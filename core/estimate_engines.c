/*
 * core/estimate_engines.c: the devices the estimate knows by name, and the settings of
 * each engine that realise one budget (issue 15).
 *
 * Engine rules (per instance; KV is the pessimistic KV figure of the estimate):
 *  - vLLM (vllm/v1/worker/gpu_worker.py): requested = total x --gpu-memory-utilization,
 *    so the fraction per instance is its cap / total; --kv-cache-memory-bytes sets the KV
 *    cache outright and skips the profile's arithmetic (determine_available_memory).
 *  - SGLang (python/sglang/srt/model_executor/model_runner.py, profile_max_num_token):
 *    KV = free memory after the weights - total x (1 - --mem-fraction-static), so the
 *    fraction that gives KV is (context + weights + KV) / total; --max-total-tokens caps
 *    the pool in tokens whatever the fraction says.
 *  - TensorRT-LLM (KvCacheConfig, tensorrt_llm/llmapi): free_gpu_memory_fraction is the
 *    share of the memory free after the model and its activations are in place, max_tokens
 *    a cap in tokens; with both set the smaller wins.
 * Several instances on one device: each is planned with its own cap (total / N less a
 * runtime context, or --memory-cap), which vLLM can express as a utilization only because
 * every instance's requested memory is a fraction of the whole device: the start-up check
 * (free >= requested) then passes for each instance in turn.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estimate.h"

/* Total memory as the runtime reports it (cudaMemGetInfo / hipMemGetInfo), in GiB. Where a
 * published vLLM log gives the figure it is cited; the others are the usual figure for the
 * part (the board's memory less the driver's reserve) and may be off by ~0.2 GiB on a
 * given board: pass --total-memory for an exact plan. */
static const struct gpu_row {
    const char *key;  /* lowercase, letters and digits only */
    const char *name;
    double gib;
    mb_gpu_vendor vendor;
    int major, minor;
} gpus[] = {
    /* vllm-project/vllm#10511 (youkaichao's sanity check: total_gpu_memory 79.22GiB) */
    {"h10080gb", "NVIDIA H100 80GB HBM3", 79.22, MB_GPU_NVIDIA, 9, 0},
    {"h100", "NVIDIA H100 80GB HBM3", 79.22, MB_GPU_NVIDIA, 9, 0},
    {"h200", "NVIDIA H200", 139.8, MB_GPU_NVIDIA, 9, 0},
    {"b200", "NVIDIA B200", 178.4, MB_GPU_NVIDIA, 10, 0},
    {"a10080gb", "NVIDIA A100-SXM4-80GB", 79.15, MB_GPU_NVIDIA, 8, 0},
    /* vllm-project/vllm#12330 (total_gpu_memory (39.50GiB)) */
    {"a10040gb", "NVIDIA A100-SXM4-40GB", 39.50, MB_GPU_NVIDIA, 8, 0},
    {"a100", "NVIDIA A100-SXM4-80GB", 79.15, MB_GPU_NVIDIA, 8, 0},
    {"l40s", "NVIDIA L40S", 44.40, MB_GPU_NVIDIA, 8, 9},
    {"l4", "NVIDIA L4", 22.03, MB_GPU_NVIDIA, 8, 9},
    {"a10", "NVIDIA A10", 22.05, MB_GPU_NVIDIA, 8, 6},
    /* vllm-project/vllm#10517 (total_gpu_memory=23.58GiB on an RTX 3090) */
    {"rtx3090", "NVIDIA GeForce RTX 3090", 23.58, MB_GPU_NVIDIA, 8, 6},
    {"rtx4090", "NVIDIA GeForce RTX 4090", 23.55, MB_GPU_NVIDIA, 8, 9},
    {"rtx5090", "NVIDIA GeForce RTX 5090", 31.36, MB_GPU_NVIDIA, 12, 0},
    {"rtxpro6000", "NVIDIA RTX PRO 6000 Blackwell", 94.97, MB_GPU_NVIDIA, 12, 0},
    /* vllm-project/vllm#51590 (33689829376 B = 31.38 GiB per card) */
    {"rtxpro4500", "NVIDIA RTX PRO 4500 Blackwell", 31.38, MB_GPU_NVIDIA, 12, 0},
    /* MiaAI-Lab/GLM-5.3-Flash-EXL3-2x-DGX-Sparks#204 (GB10, 121.69 GiB each) */
    {"gb10", "NVIDIA GB10", 121.69, MB_GPU_NVIDIA, 12, 1},
    {"mi300x", "AMD Instinct MI300X", 191.69, MB_GPU_AMD, 9, 4},
    {"mi250x", "AMD Instinct MI250X (one GCD)", 63.98, MB_GPU_AMD, 9, 0},
};

static void key_of(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 1 < size; s++)
        if (isalnum((unsigned char)*s))
            out[n++] = (char)tolower((unsigned char)*s);
    out[n] = '\0';
    /* "nvidia" and "geforce" prefixes say nothing more */
    static const char *const drop[] = {"nvidia", "geforce", "amd", "instinct"};
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
            size_t l = strlen(drop[i]);
            if (strncmp(out, drop[i], l) == 0) {
                memmove(out, out + l, strlen(out + l) + 1);
                again = 1;
            }
        }
    }
    /* "4090" alone means the RTX part */
    if (isdigit((unsigned char)out[0]) && strlen(out) == 4 && n + 3 < size) {
        memmove(out + 3, out, strlen(out) + 1);
        memcpy(out, "rtx", 3);
    }
}

int mb_estimate_device_find(const char *name, mb_estimate_device *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_estimate_device_find: out is NULL");
    memset(out, 0, sizeof *out);
    out->context_memory = MB_UNKNOWN;
    if (!name || !*name)
        return mb__error(MB_EINVAL, "--gpu: give a device name such as H100 or RTX 4090");
    char k[64];
    key_of(name, k, sizeof k);
    for (size_t i = 0; i < sizeof gpus / sizeof gpus[0]; i++) {
        if (strcmp(k, gpus[i].key) == 0) {
            snprintf(out->name, sizeof out->name, "%s", gpus[i].name);
            out->total_memory = (int64_t)(gpus[i].gib * MB__GIB_F);
            out->vendor = gpus[i].vendor;
            out->cc_major = gpus[i].major;
            out->cc_minor = gpus[i].minor;
            return MB_OK;
        }
    }
    /* the longest known key that starts the name ("h100sxm5" -> h100) */
    size_t best = 0, at = 0;
    for (size_t i = 0; i < sizeof gpus / sizeof gpus[0]; i++) {
        size_t l = strlen(gpus[i].key);
        if (l > best && strncmp(k, gpus[i].key, l) == 0) {
            best = l;
            at = i;
        }
    }
    if (best >= 3) {
        snprintf(out->name, sizeof out->name, "%s", gpus[at].name);
        out->total_memory = (int64_t)(gpus[at].gib * MB__GIB_F);
        out->vendor = gpus[at].vendor;
        out->cc_major = gpus[at].major;
        out->cc_minor = gpus[at].minor;
        return MB_OK;
    }
    return mb__error(MB_ENODEV, "--gpu '%s' is not a device membudget knows (H100, H200, "
                                "B200, A100-80GB, A100-40GB, L40S, L4, A10, RTX 3090, "
                                "RTX 4090, RTX 5090, RTX PRO 6000, RTX PRO 4500, GB10, "
                                "MI300X, MI250X); pass --total-memory SIZE instead", name);
}

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
