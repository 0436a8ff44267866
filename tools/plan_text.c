/* tools/plan_text.c: a plan as text, the form `membudget plan` prints without --json
 * (split from cmd_plan.c). */
#include <string.h>

#include "plan_cli.h"
#include "plan_cudagraph.h"

static const char *kind_words(const char *kind)
{
    return strcmp(kind, "sliding_window") == 0            ? "sliding window"
           : strcmp(kind, "mla") == 0                     ? "MLA"
           : strcmp(kind, "chunked_local_attention") == 0 ? "chunked local attention"
           : strcmp(kind, "mamba") == 0                   ? "Mamba / linear-attention state"
           : strcmp(kind, "uniform_type") == 0
               ? "full attention with KV heads by layer (pages differ: one group of them all)"
               : "full attention";
}

/* The text lines of the groups and the defaults. */
static void print_groups_text(const mb_plan *p)
{
    printf("defaults       max_num_seqs %d, max_num_batched_tokens %lld: %s\n",
           p->max_num_seqs, (long long)p->max_num_batched_tokens, p->batch_rule);
    printf("block size     %d tokens: %s\n", p->spec.block_size, p->block_size_rule);
    for (int j = 0; j < p->num_groups && j < MB_PLAN_MAX_GROUPS; j++) {
        printf("KV group %-5d %s", j, kind_words(p->groups[j].kind));
        if (p->groups[j].sliding_window)
            printf(" (window %d)", p->groups[j].sliding_window);
        if (strcmp(p->groups[j].kind, "mamba") == 0)
            printf(" (%s mode, block %d tokens)", p->mamba_cache_mode, p->group_block_size[j]);
        printf(", %d layers%s, %lld bytes per %s per block, %lld blocks per request\n",
               p->groups[j].layers, p->pipeline_parallel_size > 1 ? " on the first stage" : "",
               (long long)p->groups[j].page_bytes,
               strcmp(p->groups[j].kind, "uniform_type") == 0 ? "group (its layers' pages)"
                                                              : "layer",
               (long long)p->groups[j].blocks_per_request);
    }
    if (p->num_groups == 0)
        printf("KV groups      none: no layer keeps a KV cache (an encoder-only model: vLLM "
               "builds no KV-cache spec for encoder-only attention, is not profiled for a KV "
               "cache and plans no group)\n");
    if (p->hybrid_rule[0])
        printf("hybrid         %s\n", p->hybrid_rule);
    printf("block          %lld bytes over the largest group (vLLM's bytes per block)%s\n",
           (long long)p->bytes_per_block,
           p->num_groups > 1 ? "; a request takes blocks from every group" : "");
}

static const char *g(int64_t bytes, char *buf, size_t size)
{
    mb_size_format_gib(bytes, buf, size);
    return buf;
}

static const char *non_kv_how(const mb_plan *p)
{
    switch (p->non_kv_source) {
    case MB_NON_KV_FROM_OPTION:
        return "given with --non-kv-memory";
    case MB_NON_KV_FROM_WEIGHTS:
        return "the weights alone, split over the ranks; activations and non-torch memory are "
               "not in it (pass --non-kv-memory from a profiling run)";
    case MB_NON_KV_FROM_NOTHING:
        return "unknown, counted as 0 (pass --non-kv-memory, or --weights-memory)";
    case MB_NON_KV_NOT_USED:
        return "not used: --kv-cache-memory-bytes sets the KV cache size";
    }
    return "";
}

void plan_print_text(const plan_args *a, const mb_model *m, const mb_snapshot *s,
                     const mb_plan *p)
{
    char b1[32], b2[32], b3[32];
    const mb_kv_spec *k = &p->spec;
    const mb_budget *b = &p->budget;
    printf("model          %s (%s, %s): %d layers, ", a->model,
           m->model_type[0] ? m->model_type : "unknown type", m->dtype[0] ? m->dtype : "no dtype",
           m->num_layers);
    if (m->is_mla)
        printf("MLA latent of %d per token and layer", k->head_size);
    else
        printf("%d KV heads of %d", m->num_kv_heads, k->head_size);
    printf(", max %lld tokens\n", (long long)m->max_model_len);
    printf("device         %s: %s GiB total, %s GiB free (%s)\n", s->device,
           g(s->total_memory, b1, sizeof b1), g(s->free_memory, b2, sizeof b2),
           mb_source_name(s->source));
    if (strcmp(s->platform, "cpu") == 0)
        printf("note           %s%s%s\n", CPU_NOTE, a->cpu_reason[0] ? ": " : "",
               a->cpu_reason);
    printf("requested      %s GiB = ceil(%s GiB x --gpu-memory-utilization %g)%s\n",
           g(b->requested_memory, b1, sizeof b1), g(b->total_memory, b2, sizeof b2),
           b->gpu_memory_utilization, p->startup_ok ? "" : " (more than is free)");
    printf("non-KV         %s GiB per rank: %s\n", g(b->non_kv_cache_memory, b1, sizeof b1),
           plan_est_non_kv_how(&a->est) ? plan_est_non_kv_how(&a->est) : non_kv_how(p));
    if (p->cudagraph_source == MB_CUDAGRAPH_NONE)
        printf("CUDA graphs    none (%s)\n",
               a->o.enforce_eager               ? "--enforce-eager"
               : a->o.cudagraph_mode == MB_CUDAGRAPH_MODE_NONE ? "--cudagraph-mode NONE"
               : a->o.kv_cache_memory_bytes > 0 ? "not charged with an explicit KV size"
                                                : "a CPU device captures none");
    else
        printf("CUDA graphs    %s GiB for %d capture sizes (%s)\n",
               g(b->cudagraph_memory, b1, sizeof b1), p->num_cudagraphs,
               p->cudagraph_source == MB_CUDAGRAPH_FLOOR
                   ? "not measured: vLLM's floor of 1 MiB per graph after the first, so "
                     "the KV figure below is an upper bound (a real first capture often "
                     "takes hundreds of MiB); pass --cudagraph-captures FIRST,SECOND"
               : p->cudagraph_source == MB_CUDAGRAPH_MEASURED
                   ? "first + (n-1) x max(second, 1 MiB)"
               : plan_est_cudagraph_how(&a->est) ? plan_est_cudagraph_how(&a->est)
                                                 : "given with --cudagraph-memory");
    printf("KV available   %s GiB per rank (%lld bytes)%s\n",
           g(b->available_kv_cache_memory, b1, sizeof b1),
           (long long)b->available_kv_cache_memory,
           b->flags & MB_BUDGET_EXPLICIT ? ", from --kv-cache-memory-bytes"
                                         : " = requested - non-KV - CUDA graphs");
    printf("KV geometry    %d KV head%s per rank (tensor parallel %d), %s cache of %d-byte "
           "elements: "
           "%lld bytes per token, %lld per %d-token block (%s MiB)\n",
           k->num_kv_heads, k->num_kv_heads == 1 ? "" : "s", k->tensor_parallel_size,
           k->cache_dtype, k->dtype_bytes,
           (long long)k->bytes_per_token, (long long)k->block_bytes, k->block_size,
           (snprintf(b3, sizeof b3, "%.2f", (double)k->block_bytes / (double)MB_MiB), b3));
    print_groups_text(p);
    plan_cg_text(p);
    if (p->num_groups == 0)
        printf("KV cache       none: vLLM's one null block (num_gpu_blocks 1) and no \"GPU KV "
               "cache size\" logged; max model len %lld tokens\n", (long long)p->max_model_len);
    else {
    printf("KV cache       %lld blocks = %s GiB per rank; vLLM's \"GPU KV cache size\": %lld "
           "tokens (int(max concurrency x max model len))\n",
           (long long)p->num_blocks, g(p->kv_cache_bytes, b1, sizeof b1),
           (long long)p->kv_cache_tokens);
    printf("max model len  %lld tokens (%lld blocks per request); max concurrency %.2f; the "
           "longest one request can have: %lld tokens\n",
           (long long)p->max_model_len, (long long)p->blocks_per_request, p->max_concurrency,
           (long long)p->longest_request);
    }
    printf("verdict        %s\n", p->verdict);
    plan_est_print(&a->est);
    if (p->refusal[0])
        printf("vLLM says      %s\n", p->refusal);
    printf("not modelled   %s\n", NOT_MODELLED);
}
