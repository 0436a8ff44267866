/*
 * tools/cmd_plan.c: `membudget plan`: how big the KV cache of a model can be on a device
 * (measured, or a what-if), by vLLM's rules. Exit 0 whenever a plan was made, whether the
 * model fits or not (the verdict and "fits" say which), except when one request of
 * max_model_len cannot fit even alone, which vLLM refuses at start-up: then the plan is
 * printed and the exit is 1 with that reason. 2 for bad usage; 1 when something failed (a
 * model that cannot be read, a device that cannot be measured, a combination of options the
 * library refuses), with a one-line reason.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "plan_estimate.h"
#include "cli_chart.h"
#include "plan_cudagraph.h"

int cmd_plan(int argc, char **argv);

/* vLLM 0.33's CPU worker (vllm/v1/worker/cpu_worker.py determine_available_memory): an
 * explicit --kv-cache-memory-bytes (or the legacy VLLM_CPU_KVCACHE_SPACE), else
 * ceil(node total x utilization) - the worker's RSS; no CUDA graphs (mb_cpu_kv_space_get) */
#define CPU_NOTE                                                                            \
    "a CPU device: the KV cache size is vLLM's CPU worker's (--kv-cache-memory-bytes or "  \
    "VLLM_CPU_KVCACHE_SPACE, else ceil(node total x utilization) - resident memory); no "  \
    "CUDA graphs"

/* What this plan does not model yet (issue 14), said in every plan */
#define NOT_MODELLED                                                                        \
    "hybrids other than Qwen3-Next, Jamba, Granite 4 and Nemotron-H (refused), MLA next " \
    "to state layers and hybrids on a CPU device (refused), the FA4 head-256 and " \
    "FlashInfer kernel block sizes (FlashAttention's 16 is taken), encoder-decoder " \
    "cross-attention (refused), DeciLM's replace_with_linear (refused: vLLM cannot build it), " \
    "unequal pages across layer kinds (refused), DeciLM's per-layer FFN in the estimate, " \
    "shared KV other than Gemma 3n's, speculative draft " \
    "layers, packed cache dtypes (refused), LoRA / encoder / micro-batch CUDA graphs " \
    "and FlashInfer's device-specific kernel choice are not modelled"

typedef struct plan_args {
    char cpu_reason[512]; /* a CPU device: why its KV size (mb_cpu_kv_space_get) */
    const char *model;
    const char *device;
    const char *total, *free;
    mb_gpu_spec gpu_spec; /* filled when gpu is set */
    int json;
    mb_plan_options o;
    plan_est est; /* issue 15: the estimate's options and results (plan_estimate.c) */
    cli_chart chart; /* --chart --ascii --svg --png */
} plan_args;

/* ---- issue 14: vLLM 0.33's flags, named GPUs, groups ----------------------------------- */


/* Flags without a value: 1 when arg was one of them. */
static int parse_switch(const char *arg, plan_args *a)
{
    if (strcmp(arg, "--no-enable-prefix-caching") == 0) {
        a->o.no_prefix_caching = 1; /* Mamba layers: mamba_cache_mode none */
        return 1;
    }
    if (strcmp(arg, "--enable-prefix-caching") == 0) {
        a->o.no_prefix_caching = 0;
        return 1;
    }
    if (strcmp(arg, "--no-async-scheduling") == 0) {
        a->o.sync_scheduling = 1;
        return 1;
    }
    if (strcmp(arg, "--async-scheduling") == 0) {
        a->o.sync_scheduling = 0;
        return 1;
    }
    return 0;
}

/* The flags issue 14 added that take a value; CLI_OK, a usage error, or -1 when flag is
 * not one of them. */
static int parse_planner_flag(const char *flag, const char *v, plan_args *a)
{
    long n = 0; /* -O3 cannot see that every use follows a successful parse */
    int rc;
    if (strcmp(flag, "--pipeline-parallel-size") == 0 || strcmp(flag, "-pp") == 0) {
        if ((rc = cli_parse_long("plan", flag, v, 1, 64, &n)) == CLI_OK)
            a->o.pipeline_parallel_size = (int)n;
        return rc;
    }
    if (strcmp(flag, "--num-gpu-blocks-override") == 0) {
        if ((rc = cli_parse_long("plan", flag, v, 1, 1L << 40, &n)) == CLI_OK)
            a->o.num_gpu_blocks_override = n;
        return rc;
    }
    if (strcmp(flag, "--num-speculative-tokens") == 0) {
        if ((rc = cli_parse_long("plan", flag, v, 0, 64, &n)) == CLI_OK)
            a->o.num_speculative_tokens = (int)n;
        return rc;
    }
    if (strcmp(flag, "--usage-context") == 0) {
        if (strcmp(v, "serve") == 0 || strcmp(v, "openai_api_server") == 0)
            a->o.usage_context_llm = 0;
        else if (strcmp(v, "llm") == 0 || strcmp(v, "llm_class") == 0)
            a->o.usage_context_llm = 1;
        else
            return cli_usage("plan", "--usage-context '%s': give serve (vllm serve, the "
                                     "default) or llm (the LLM class)", v);
        return CLI_OK;
    }
    return -1;
}

/* `plan --gpu list`: the table with its sources. */
static int print_gpu_list(int json)
{
    int n = mb_gpu_spec_count();
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (json && !arr)
        return cli_fail("out of memory while writing JSON");
    if (!json)
        printf("%-22s %-7s %-7s %10s  %-10s %s\n", "name", "vendor", "arch", "memory",
               "integrated", "source");
    for (int i = 0; i < n; i++) {
        mb_gpu_spec g;
        if (mb_gpu_spec_get(i, &g))
            return cli_fail("%s", cli_detail());
        char mem[32];
        mb_size_format_gib(g.total_memory, mem, sizeof mem);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", g.name);
            cJSON_AddStringToObject(o, "aliases", g.aliases);
            cJSON_AddStringToObject(o, "vendor", g.vendor);
            cJSON_AddStringToObject(o, "arch", g.arch);
            cJSON_AddNumberToObject(o, "compute_capability", g.compute_capability / 10.0);
            cli_json_bytes(o, "total_memory", g.total_memory);
            cJSON_AddBoolToObject(o, "integrated", g.integrated);
            cJSON_AddStringToObject(o, "source", g.source);
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%-22s %-7s %-7s %6s GiB  %-10s %s\n", g.name, g.vendor, g.arch, mem,
                   g.integrated ? "yes" : "no", g.source);
        }
    }
    if (json)
        return cli_print_json(arr);
    printf("(totals as the runtime reports them where a published log gives them; a "
           "\"datasheet\" source is the vendor's capacity in decimal GB, a few %% off what the "
           "runtime reports: give --total-memory or plan on the device itself for the exact figure)\n");
    return fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write to standard output");
}

/* --gpu NAME (parsed with the estimate's options, plan_estimate.c): the what-if device's
 * total (unless --total-memory) and its capability from issue 14's table; a name only the
 * estimate's table knows is left to it (it reports unknown names). */
static int apply_gpu(plan_args *a)
{
    if (!a->est.gpu)
        return CLI_OK;
    if (a->device)
        return cli_usage("plan", "give --device or --gpu, not both (a measured device "
                                 "uses its own name and capability)");
    mb_estimate_device d;
    if (mb_gpu_spec_find(a->est.gpu, &a->gpu_spec) == MB_OK) {
        a->o.compute_capability = a->gpu_spec.compute_capability;
        if (mb_estimate_device_find(a->est.gpu, &d) != MB_OK)
            a->est.gpu = NULL; /* the estimate's own table lacks it: it sizes the what-if */
        return CLI_OK;
    }
    if (mb_estimate_device_find(a->est.gpu, &d) == MB_OK) {
        a->o.compute_capability = d.cc_major * 10 + d.cc_minor;
        return CLI_OK;
    }
    if (mb_gpu_spec_find(a->est.gpu, &a->gpu_spec)) /* the nearest name */
        return cli_usage("plan", "%s", cli_detail());
    return CLI_OK;
}

/* A CPU device without --kv-cache-memory-bytes: the KV size vLLM's CPU worker takes. */
static int apply_cpu_kv_space(plan_args *a, const mb_snapshot *s)
{
    if (strcmp(s->platform, "cpu") != 0)
        return CLI_OK; /* --kv-cache-memory-bytes too: checked against the node's available
                        * memory, and VLLM_CPU_KVCACHE_SPACE overrides it, as in vLLM */
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    mb_cpu_kv_options ko = MB_CPU_KV_OPTIONS_INIT;
    ko.utilization = a->o.gpu_memory_utilization;
    ko.kv_cache_memory_bytes = a->o.kv_cache_memory_bytes;
    int idx = 0, node = 0;
    if (mb_device_find(ctx, s->device, &idx) == MB_OK)
        node = idx; /* cpu:N is the N-th CPU device: local rank N binds to it */
    ko.local_rank = node;
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    int rc = mb_cpu_kv_space_get(ctx, &ko, &kv);
    if (rc == MB_EIO) {
        /* a machine dump without /proc/self/status (no resident memory to subtract): the
         * utilization rule on the node's memory, an upper bound, and the plan says so */
        snprintf(a->cpu_reason, sizeof a->cpu_reason, "not sized as vLLM's CPU worker (%s); "
                 "the utilization rule applies to the node's memory instead, an upper bound",
                 cli_detail());
        mb_context_free(ctx);
        return CLI_OK;
    }
    if (rc) {
        rc = cli_fail_rc(rc, "the CPU KV-cache size");
        mb_context_free(ctx);
        return rc;
    }
    mb_context_free(ctx);
    cli_flags(kv.reason, sizeof kv.reason);
    if (kv.bytes <= 0)
        return cli_fail("%s: %s", s->device, kv.reason);
    a->o.kv_cache_memory_bytes = kv.bytes;
    snprintf(a->cpu_reason, sizeof a->cpu_reason, "%s", kv.reason);
    return CLI_OK;
}

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

/* A size (vLLM's units); one line naming the flag on failure. */
static int parse_size(const char *flag, const char *v, int64_t *out)
{
    int rc = mb_size_parse(v, out);
    if (rc)
        return cli_usage("plan", "%s: %s", flag, cli_detail());
    return CLI_OK;
}

/* "FIRST,SECOND" or "FIRST": the two measured CUDA-graph captures. */
static int parse_captures(const char *v, int64_t *first, int64_t *second)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    char *comma = strchr(buf, ',');
    if (comma)
        *comma = '\0';
    int rc = parse_size("--cudagraph-captures", buf, first);
    if (rc == CLI_OK && comma)
        rc = parse_size("--cudagraph-captures", comma + 1, second);
    return rc;
}

static int parse(int argc, char **argv, plan_args *a)
{
    memset(a, 0, sizeof *a);
    mb_plan_options_init(&a->o, sizeof a->o);
    plan_est_init(&a->est);
    static const char *const with_value[] = {
        "--model", "--device", "--total-memory", "--free-memory", "--gpu-memory-utilization",
        "--max-model-len", "--max-num-seqs", "--max-num-batched-tokens", "--block-size",
        "--tensor-parallel-size", "-tp", "--kv-cache-dtype", "--kv-cache-memory-bytes",
        "--non-kv-memory", "--weights-memory", "--cudagraph-memory", "--cudagraph-captures",
        "--pipeline-parallel-size", "-pp", "--num-gpu-blocks-override",
        "--num-speculative-tokens", "--usage-context", NULL};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int est_rc = plan_est_parse(&a->est, argc, argv, &i);
        if (est_rc != PLAN_EST_NOT_MINE) {
            if (est_rc)
                return est_rc;
            continue;
        }
        int pic = cli_chart_option("plan", argc, argv, &i, &a->chart);
        if (pic < 0)
            return CLI_USAGE;
        if (pic)
            continue;
        if (strcmp(arg, "--json") == 0) {
            a->json = 1;
            continue;
        }
        if (strcmp(arg, "--enforce-eager") == 0) {
            a->o.enforce_eager = 1;
            continue;
        }
        if (parse_switch(arg, a))
            continue;
        /* --flag VALUE or --flag=VALUE */
        char flag[64];
        const char *v = NULL;
        const char *eq = strchr(arg, '=');
        if (eq && strncmp(arg, "-", 1) == 0) {
            snprintf(flag, sizeof flag, "%.*s", (int)(eq - arg), arg);
            v = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", arg);
        }
        int known = 0;
        for (int k = 0; with_value[k]; k++)
            known |= strcmp(flag, with_value[k]) == 0;
        for (int k = 0; plan_cg_flags[k]; k++) /* plan_cudagraph.c */
            known |= strcmp(flag, plan_cg_flags[k]) == 0;
        if (!known)
            return cli_usage("plan", "unknown option '%s'", arg);
        if (!v) {
            if (i + 1 >= argc)
                return cli_usage("plan", "%s needs a value", flag);
            v = argv[++i];
        }
        long n = 0;
        int rc = parse_planner_flag(flag, v, a);
        if (rc < 0)
            rc = plan_cg_flag(flag, v, &a->o);
        if (rc >= 0) {
            if (rc)
                return rc;
            continue;
        }
        rc = CLI_OK;
        if (strcmp(flag, "--model") == 0)
            a->model = v;
        else if (strcmp(flag, "--device") == 0)
            a->device = v;
        else if (strcmp(flag, "--total-memory") == 0)
            a->total = v;
        else if (strcmp(flag, "--free-memory") == 0)
            a->free = v;
        else if (strcmp(flag, "--gpu-memory-utilization") == 0) {
            char *end;
            errno = 0;
            double u = strtod(v, &end);
            if (errno || end == v || *end || !(u > 0 && u <= 1))
                return cli_usage("plan", "--gpu-memory-utilization '%s': give a fraction of "
                                         "the device's total memory above 0 and at most 1 "
                                         "(default 0.92)", v);
            a->o.gpu_memory_utilization = u;
        } else if (strcmp(flag, "--max-model-len") == 0) {
            if (strcmp(v, "auto") == 0 || strcmp(v, "-1") == 0) {
                a->o.max_model_len = -1;
            } else {
                rc = parse_size(flag, v, &a->o.max_model_len);
                if (rc == CLI_OK && a->o.max_model_len < 1)
                    return cli_usage("plan", "--max-model-len '%s': give the longest request "
                                             "in tokens (1 or more), or auto", v);
            }
        } else if (strcmp(flag, "--max-num-seqs") == 0) {
            if ((rc = cli_parse_long("plan", flag, v, 1, 1 << 20, &n)) == CLI_OK)
                a->o.max_num_seqs = (int)n;
        } else if (strcmp(flag, "--max-num-batched-tokens") == 0) {
            rc = parse_size(flag, v, &a->o.max_num_batched_tokens);
            if (rc == CLI_OK && a->o.max_num_batched_tokens < 1)
                return cli_usage("plan", "--max-num-batched-tokens '%s': give 1 or more", v);
        } else if (strcmp(flag, "--block-size") == 0) {
            if ((rc = cli_parse_long("plan", flag, v, 1, 1024, &n)) == CLI_OK)
                a->o.block_size = (int)n;
        } else if (strcmp(flag, "--tensor-parallel-size") == 0 || strcmp(flag, "-tp") == 0) {
            if ((rc = cli_parse_long("plan", flag, v, 1, 1024, &n)) == CLI_OK)
                a->o.tensor_parallel_size = (int)n;
        } else if (strcmp(flag, "--kv-cache-dtype") == 0) {
            a->o.kv_cache_dtype = v;
        } else if (strcmp(flag, "--kv-cache-memory-bytes") == 0) {
            rc = parse_size(flag, v, &a->o.kv_cache_memory_bytes);
            if (rc == CLI_OK && a->o.kv_cache_memory_bytes == 0)
                return cli_usage("plan", "--kv-cache-memory-bytes 0: give the KV cache size, "
                                         "or leave the option out");
        } else if (strcmp(flag, "--non-kv-memory") == 0) {
            rc = parse_size(flag, v, &a->o.non_kv_memory);
        } else if (strcmp(flag, "--weights-memory") == 0) {
            rc = parse_size(flag, v, &a->o.weights_memory);
        } else if (strcmp(flag, "--cudagraph-memory") == 0) {
            rc = parse_size(flag, v, &a->o.cudagraph_memory);
        } else if (strcmp(flag, "--cudagraph-captures") == 0) {
            rc = parse_captures(v, &a->o.cudagraph_first, &a->o.cudagraph_second);
        }
        if (rc)
            return rc;
    }
    if (cli_chart_check("plan", &a->chart, a->json))
        return CLI_USAGE;
    /* the estimate's parser takes -pp too (plan_estimate.c): the plan needs it as well */
    if (a->est.o.pipeline_parallel_size > 1)
        a->o.pipeline_parallel_size = a->est.o.pipeline_parallel_size;
    if (a->est.gpu && strcmp(a->est.gpu, "list") == 0)
        return CLI_OK; /* --gpu list needs no model */
    if (!a->model)
        return cli_usage("plan", "--model is required: give a config.json or the folder "
                                 "holding one");
    if (a->device && (a->total || a->free))
        return cli_usage("plan", "give --device or --total-memory, not both");
    if (a->free && !a->total)
        return cli_usage("plan", "--free-memory needs --total-memory");
    if (a->o.enforce_eager && (a->o.cudagraph_memory != MB_UNKNOWN ||
                               a->o.cudagraph_first != MB_UNKNOWN))
        return cli_usage("plan", "--enforce-eager captures no CUDA graphs; drop "
                                 "--cudagraph-memory/--cudagraph-captures");
    if (a->o.cudagraph_memory != MB_UNKNOWN && a->o.cudagraph_first != MB_UNKNOWN)
        return cli_usage("plan", "give --cudagraph-memory or --cudagraph-captures, not both");
    return CLI_OK;
}

/* The device: measured through the library, or a what-if. */
static int device_snapshot(const plan_args *a, mb_snapshot *s)
{
    int rc;
    if (a->gpu_spec.name[0] && !a->device && !a->total) { /* issue 14's named GPUs */
        if ((rc = mb_snapshot_what_if(a->gpu_spec.total_memory, MB_UNKNOWN, s)))
            return cli_usage("plan", "%s", cli_detail());
        snprintf(s->device, sizeof s->device, "%s", a->gpu_spec.name);
        return CLI_OK;
    }
    if (a->est.gpu && !a->device && !a->total)
        return plan_est_snapshot(&a->est, s);
    if (a->total) {
        int64_t total, free = MB_UNKNOWN;
        if ((rc = parse_size("--total-memory", a->total, &total)) ||
            (a->free && (rc = parse_size("--free-memory", a->free, &free))))
            return rc;
        if ((rc = mb_snapshot_what_if(total, free, s)))
            return cli_usage("plan", "%s", cli_detail());
        return CLI_OK;
    }
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int idx = 0;
    if (a->device) {
        if ((rc = mb_device_find(ctx, a->device, &idx))) {
            rc = cli_fail_rc(rc, "--device");
            mb_context_free(ctx);
            return rc;
        }
    } else if ((rc = mb_device_count(ctx)) < 1) {
        rc = cli_fail_rc(rc < 0 ? rc : MB_ENODEV, "no device to plan for");
        mb_context_free(ctx);
        return rc;
    }
    rc = mb_snapshot_measure(ctx, idx, NULL, s);
    if (rc) {
        mb_device_info d = MB_DEVICE_INFO_INIT;
        mb_device_get(ctx, idx, &d);
        rc = cli_fail_rc(rc, d.name);
    }
    mb_context_free(ctx);
    return rc;
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

static void print_text(const plan_args *a, const mb_model *m, const mb_snapshot *s,
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

static int print_json(const plan_args *a, const mb_model *m, const mb_snapshot *s,
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

int cmd_plan(int argc, char **argv)
{
    if (cli_mpi_wanted(argc, argv))
        return cli_mpi_plan(argc, argv, cmd_plan);
    plan_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    if (a.est.gpu && strcmp(a.est.gpu, "list") == 0)
        return print_gpu_list(a.json);
    if ((rc = apply_gpu(&a)))
        return rc;
    const char *allow = getenv("VLLM_ALLOW_LONG_MAX_MODEL_LEN"); /* vllm/envs.py: "1"/"true" */
    a.o.allow_long_max_model_len =
        allow && (strcmp(allow, "1") == 0 || strcasecmp(allow, "true") == 0);
    if ((rc = plan_cg_env(&a.o)))
        return rc;
    mb_model m = MB_MODEL_INIT;
    if ((rc = mb_model_load(a.model, &m)))
        return cli_fail_rc(rc, "--model");
    mb_snapshot s;
    if ((rc = device_snapshot(&a, &s)))
        return rc;
    if (!a.gpu_spec.name[0] && !a.est.gpu && !a.total &&
        (rc = plan_cg_measured_device(&s, &a.o, &a.gpu_spec)))
        return rc; /* a measured device: its own name and compute capability */
    int seqs = a.o.max_num_seqs;
    int64_t tokens = a.o.max_num_batched_tokens;
    if ((rc = plan_est_apply(&a.est, a.model, &s, &a.o)))
        return rc;
    /* not given: the library takes vLLM's defaults for the device and --usage-context
     * itself, and says which rule (the estimate applies the serve ones) */
    if (!seqs)
        a.o.max_num_seqs = 0;
    if (!tokens)
        a.o.max_num_batched_tokens = 0;
    if ((rc = apply_cpu_kv_space(&a, &s)))
        return rc;
    mb_plan p = MB_PLAN_INIT;
    if ((rc = mb_plan_compute(&m, &s, &a.o, &p)))
        return cli_fail_rc(rc, "plan");
    cli_flags_plan(&p);
    if (a.json)
        rc = print_json(&a, &m, &s, &p);
    else {
        print_text(&a, &m, &s, &p);
        rc = fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write to standard output");
    }
    if (rc == CLI_OK && cli_chart_wanted(&a.chart, a.json))
        rc = cli_chart_plan(&a.chart, a.json, a.model, &s, &p,
                            &(cli_chart_estimate){a.est.active ? &a.est.e : NULL,
                                                  a.est.non_kv_applied, a.est.cudagraph_applied,
                                                  a.est.gpu ? a.est.dev.name : NULL});
    if (rc == CLI_OK && p.startup_ok && p.refusal[0]) {
        /* vLLM refuses to start (check_enough_kv_cache_memory): an input error, not a
         * verdict (the plan above still shows the figures); its own words */
        return cli_fail("vLLM 0.33 would refuse to start on %s: %s", s.device, p.refusal);
    }
    return rc;
}
