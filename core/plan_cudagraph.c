/*
 * core/plan_cudagraph.c: the plan's attention backend and CUDA graphs (issue 14, items 4
 * and 5): the backend vLLM 0.33.0 picks for the model on the device (attn_backend.c), which
 * refuses a block size it cannot run, and the FULL / PIECEWISE graphs with what the memory
 * profiler charges for them (cudagraph_modes.c).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "attn_backend.h"
#include "cudagraph_modes.h"
#include "plan_cudagraph.h"

int mb__plan_backend(const mb_model *m, const mb_snapshot *dev, const mb_plan_options *o,
                     int *cg_support, mb_plan *p)
{
    const char *cd = o->kv_cache_dtype && *o->kv_cache_dtype ? o->kv_cache_dtype : "auto";
    if (strcmp(cd, "auto") == 0 && m->checkpoint_kv_cache_dtype[0])
        cd = m->checkpoint_kv_cache_dtype;
    mb__attn_query q = {
        .compute_capability = o->compute_capability,
        .is_cpu = strncmp(dev->device, "cpu:", 4) == 0 || strcmp(dev->platform, "cpu") == 0,
        .is_rocm = strcmp(dev->platform, "rocm") == 0,
        .is_mla = m->is_mla,
        .fp8_cache = strncmp(cd, "fp8", 3) == 0,
        .block_size = o->block_size,
        .selected = o->attention_backend,
    };
    mb__attn_backend b;
    int rc = mb__attn_backend_pick(&q, &b);
    if (rc)
        return rc;
    snprintf(p->attention_backend, sizeof p->attention_backend, "%s", b.name);
    *cg_support = b.cg_support;
    return MB_OK;
}

int mb__plan_cudagraphs(const mb_plan_options *o, const mb_snapshot *dev, int cg_support,
                        int pooling, mb_plan *p)
{
    p->cudagraph_source = MB_CUDAGRAPH_NONE;
    p->budget.cudagraph_memory = 0;
    p->cudagraph_mode = MB_CUDAGRAPH_MODE_NONE;
    p->cudagraph_runner = o->model_runner_v1 ? 1 : 2;
    if (o->model_runner_v1 < 0 || o->model_runner_v1 > 1 || o->no_cudagraph_estimate < 0 ||
        o->no_cudagraph_estimate > 1)
        return mb__error(MB_EINVAL, "model_runner_v1 / no_cudagraph_estimate: use 0 or 1");
    if (o->cudagraph_full_first < 0 || o->cudagraph_full_second < 0 ||
        o->cudagraph_full_first > MB_SIZE_MAX || o->cudagraph_full_second > MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "cudagraph_full_first/cudagraph_full_second: give byte "
                                    "counts (0 to 1 PiB)");
    /* SpeculativeConfig.method's values (vllm/config/speculative.py SpeculativeMethod; the
     * model-specific MTP names such as deepseek_mtp are "mtp" by then) */
    static const char *const methods[] = {"ngram", "draft_model", "suffix", "custom_class",
                                          "eagle", "eagle3", "extract_hidden_states", "mtp",
                                          "dflash", "dspark", "ngram_gpu", NULL};
    if (o->speculative_method) {
        int ok = 0;
        for (int i = 0; methods[i]; i++)
            ok |= strcmp(o->speculative_method, methods[i]) == 0;
        if (!ok)
            return mb__error(MB_EINVAL, "speculative_method %s: give one of ngram, "
                                        "draft_model, suffix, custom_class, eagle, eagle3, "
                                        "extract_hidden_states, mtp, dflash, dspark, ngram_gpu",
                             o->speculative_method);
    }
    if (o->num_nextn_predict_layers < 0 || o->num_nextn_predict_layers > 64)
        return mb__error(MB_EINVAL, "num_nextn_predict_layers %d: give the MTP drafter's "
                                    "module count (1 to 64)", o->num_nextn_predict_layers);
    if (o->cudagraph_full_second > 0 && o->cudagraph_full_first == 0)
        return mb__error(MB_EINVAL, "a second FULL capture without a first; give both");
    if (o->enforce_eager || o->kv_cache_memory_bytes > 0) {
        snprintf(p->cudagraph_rule, sizeof p->cudagraph_rule, "%s",
                 o->enforce_eager ? "NONE: enforce_eager"
                                  : "not profiled: kv_cache_memory_bytes skips the profile");
        return MB_OK; /* eager: no graphs; explicit KV size: vLLM charges nothing */
    }
    if (strncmp(dev->device, "cpu:", 4) == 0 || strcmp(dev->platform, "cpu") == 0) {
        snprintf(p->cudagraph_rule, sizeof p->cudagraph_rule,
                 "NONE: vLLM's CPU worker captures no CUDA graphs");
        return MB_OK;
    }
    mb__cg_split_in in = {
        .mode = o->cudagraph_mode,
        .cg_support = cg_support,
        .v1_runner = o->model_runner_v1,
        .max_num_seqs = o->max_num_seqs,
        .max_num_batched_tokens = o->max_num_batched_tokens,
        .num_speculative_tokens = o->num_speculative_tokens,
        .compute_capability = o->compute_capability,
        .backend = p->attention_backend,
        .pooling = pooling,
    };
    mb__cg_split *s = mb__malloc(sizeof *s);
    if (!s)
        return mb__error(MB_ENOMEM, "out of memory for the CUDA-graph sizes");
    int rc = mb__cudagraph_split(&in, s);
    if (rc) {
        mb__free(s);
        return rc;
    }
    p->cudagraph_mode = s->mode;
    snprintf(p->cudagraph_rule, sizeof p->cudagraph_rule, "%s; attention backend %s (%s)",
             s->why, p->attention_backend, mb__cg_support_name(cg_support));
    p->num_cudagraphs = s->num_sizes;
    if (s->mode == MB_CUDAGRAPH_MODE_NONE) {
        p->num_cudagraphs = 0;
        mb__free(s);
        return MB_OK;
    }
    int64_t first[2] = {0, 0}, second[2] = {0, 0};
    if (o->cudagraph_first != MB_UNKNOWN) {
        first[0] = first[1] = o->cudagraph_first;
        second[0] = second[1] = o->cudagraph_second != MB_UNKNOWN ? o->cudagraph_second : 0;
    }
    if (o->cudagraph_full_first > 0) {
        first[1] = o->cudagraph_full_first;
        second[1] = o->cudagraph_full_second;
    }
    mb__cg_charge c;
    rc = mb__cudagraph_charge(s, o->model_runner_v1, first, second, &c);
    mb__free(s);
    if (rc)
        return rc;
    for (int m = 0; m < 2; m++) {
        p->cudagraph_parts[m].count = c.part[m].count;
        p->cudagraph_parts[m].first = c.part[m].first;
        p->cudagraph_parts[m].per_graph = c.part[m].per_graph;
        p->cudagraph_parts[m].bytes = c.part[m].bytes;
    }
    if (o->cudagraph_memory != MB_UNKNOWN) {
        p->cudagraph_source = MB_CUDAGRAPH_GIVEN;
        p->cudagraph_estimate = o->cudagraph_memory;
    } else {
        p->cudagraph_source = o->cudagraph_first != MB_UNKNOWN || o->cudagraph_full_first > 0
                                  ? MB_CUDAGRAPH_MEASURED
                                  : MB_CUDAGRAPH_FLOOR;
        p->cudagraph_estimate = c.total;
    }
    /* Worker.determine_available_memory: charged only while
     * VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1 */
    p->budget.cudagraph_memory = o->no_cudagraph_estimate ? 0 : p->cudagraph_estimate;
    return MB_OK;
}
