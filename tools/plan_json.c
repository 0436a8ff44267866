/* tools/plan_json.c: a plan's JSON document, what `membudget plan --json` prints (split
 * from cmd_plan.c). */
#include <string.h>

#include "plan_cli.h"
#include "plan_cudagraph.h"

/* vLLM's KVCacheSpec class of each of the plan's group kinds (docs/plan.md). */
static const char *kind_spec(const char *kind)
{
    return strcmp(kind, "sliding_window") == 0            ? "SlidingWindowSpec"
           : strcmp(kind, "mla") == 0                     ? "MLAAttentionSpec"
           : strcmp(kind, "chunked_local_attention") == 0 ? "ChunkedLocalAttentionSpec"
           : strcmp(kind, "mamba") == 0                   ? "MambaSpec"
           : strcmp(kind, "uniform_type") == 0            ? "UniformTypeKVCacheSpecs"
                                                          : "FullAttentionSpec";
}

static void add_groups_json(cJSON *root, const plan_args *a, const mb_plan *p)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "kv_cache_groups");
    for (int j = 0; j < p->num_groups && j < MB_PLAN_MAX_GROUPS; j++) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "kind", p->groups[j].kind);
        cJSON_AddStringToObject(g, "spec", kind_spec(p->groups[j].kind));
        cJSON_AddNumberToObject(g, "block_size", p->group_block_size[j]);
        if (p->groups[j].sliding_window)
            cJSON_AddNumberToObject(g, "sliding_window", p->groups[j].sliding_window);
        cJSON_AddNumberToObject(g, "layers", p->groups[j].layers);
        cJSON_AddNumberToObject(g, "page_bytes", (double)p->groups[j].page_bytes);
        cJSON_AddNumberToObject(g, "block_bytes", (double)p->bytes_per_block);
        cJSON_AddNumberToObject(g, "blocks_per_request", (double)p->groups[j].blocks_per_request);
        cJSON_AddItemToArray(arr, g);
    }
    cJSON_AddNumberToObject(root, "bytes_per_block", (double)p->bytes_per_block);
    if (p->mamba_cache_mode[0]) {
        cJSON_AddNumberToObject(root, "mamba_state_bytes", (double)p->mamba_state_bytes);
        cJSON_AddStringToObject(root, "mamba_cache_mode", p->mamba_cache_mode);
        cJSON_AddStringToObject(root, "hybrid_block_size_rule", p->hybrid_rule);
    }
    cJSON_AddNumberToObject(root, "pipeline_parallel_size", p->pipeline_parallel_size);
    cJSON_AddNumberToObject(root, "max_num_seqs", p->max_num_seqs);
    cJSON_AddNumberToObject(root, "max_num_batched_tokens", (double)p->max_num_batched_tokens);
    cJSON_AddNumberToObject(root, "max_in_flight_tokens", (double)p->max_in_flight_tokens);
    cJSON *gpu = cJSON_AddObjectToObject(root, "gpu");
    cJSON_AddStringToObject(gpu, "name", a->gpu_spec.name[0] ? a->gpu_spec.name
                                         : a->est.gpu                ? a->est.gpu
                                                                     : "");
    if (a->o.compute_capability)
        cJSON_AddNumberToObject(gpu, "compute_capability", a->o.compute_capability / 10.0);
    else
        cJSON_AddNullToObject(gpu, "compute_capability");
    cJSON_AddStringToObject(gpu, "source", a->gpu_spec.source);
    cJSON_AddStringToObject(gpu, "max_num_seqs_source", p->batch_rule);
    cJSON_AddStringToObject(gpu, "block_size_source", p->block_size_rule);
    if (p->refusal[0])
        cJSON_AddStringToObject(root, "vllm_error", p->refusal);
    cJSON_AddStringToObject(root, "not_modelled", NOT_MODELLED);
}

int plan_print_json(const plan_args *a, const mb_model *m, const mb_snapshot *s,
                    const mb_plan *p)
{
    const mb_kv_spec *k = &p->spec;
    const mb_budget *b = &p->budget;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return cli_fail("out of memory while writing JSON");
    cJSON *mo = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(mo, "path", a->model);
    cJSON_AddStringToObject(mo, "model_type", m->model_type);
    cJSON_AddStringToObject(mo, "dtype", m->dtype);
    cJSON_AddNumberToObject(mo, "num_layers", m->num_layers);
    cJSON_AddNumberToObject(mo, "num_attention_heads", m->num_attention_heads);
    cJSON_AddNumberToObject(mo, "num_kv_heads", m->num_kv_heads);
    cJSON_AddNumberToObject(mo, "head_size", m->head_size);
    cJSON_AddNumberToObject(mo, "head_size_v", m->head_size_v);
    cJSON_AddBoolToObject(mo, "mla", m->is_mla);
    cJSON_AddNumberToObject(mo, "max_model_len", (double)m->max_model_len);
    cli_json_bytes(mo, "weights_bytes", m->weights_bytes);
    cJSON_AddStringToObject(mo, "weights_source", m->weights_source);
    cJSON_AddItemToObject(root, "device", cli_snapshot_json(s));
    cJSON_AddNumberToObject(root, "gpu_memory_utilization", b->gpu_memory_utilization);
    cli_json_bytes(root, "requested_memory", b->requested_memory);
    cJSON_AddBoolToObject(root, "startup_ok", p->startup_ok);
    cli_json_bytes(root, "non_kv_memory", b->non_kv_cache_memory);
    cJSON_AddStringToObject(root, "non_kv_source", mb_non_kv_source_name(p->non_kv_source));
    cli_json_bytes(root, "weights_memory", p->weights_memory);
    cli_json_bytes(root, "cudagraph_memory", b->cudagraph_memory);
    cJSON_AddStringToObject(root, "cudagraph_source",
                            mb_cudagraph_source_name(p->cudagraph_source));
    cJSON_AddNumberToObject(root, "num_cudagraphs", p->num_cudagraphs);
    cli_json_bytes(root, "available_kv_cache_memory", b->available_kv_cache_memory);
    cJSON_AddNumberToObject(root, "block_size", k->block_size);
    cJSON_AddNumberToObject(root, "tensor_parallel_size", k->tensor_parallel_size);
    cJSON_AddStringToObject(root, "kv_cache_dtype", k->cache_dtype);
    cJSON_AddNumberToObject(root, "kv_heads_per_rank", k->num_kv_heads);
    cli_json_bytes(root, "page_bytes", k->page_bytes);
    cli_json_bytes(root, "block_bytes", k->block_bytes);
    cli_json_bytes(root, "bytes_per_token", k->bytes_per_token);
    cJSON_AddNumberToObject(root, "num_blocks", (double)p->num_blocks);
    if (p->num_groups == 0) /* no KV-cache group: vLLM computes and logs no capacity */
        cJSON_AddNullToObject(root, "kv_cache_tokens");
    else
        cJSON_AddNumberToObject(root, "kv_cache_tokens", (double)p->kv_cache_tokens);
    cli_json_bytes(root, "kv_cache_bytes", p->kv_cache_bytes);
    cJSON_AddNumberToObject(root, "max_model_len", (double)p->max_model_len);
    cJSON_AddNumberToObject(root, "blocks_per_request", (double)p->blocks_per_request);
    if (p->num_groups == 0)
        cJSON_AddNullToObject(root, "max_concurrency");
    else
        cJSON_AddNumberToObject(root, "max_concurrency", p->max_concurrency);
    cJSON_AddNumberToObject(root, "longest_request", (double)p->longest_request);
    cJSON_AddBoolToObject(root, "fits", p->fits);
    cJSON_AddStringToObject(root, "verdict", p->verdict);
    if (strcmp(s->platform, "cpu") == 0)
    {
        cJSON_AddStringToObject(root, "note", CPU_NOTE);
        cJSON_AddStringToObject(root, "cpu_kv_space_reason", a->cpu_reason);
    }
    add_groups_json(root, a, p);
    plan_cg_json(root, p);
    plan_est_json(&a->est, root);
    return cli_print_json(root);
}
