/* tools/plan_args.c: `membudget plan`'s flags into plan_args and the library's options
 * (split from cmd_plan.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan_cli.h"
#include "plan_cudagraph.h"

/* ---- issue 14: vLLM 0.33's flags, named GPUs ----------------------------------------- */

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

/* --gpu NAME (parsed with the estimate's options, plan_estimate.c): the what-if device's
 * total (unless --total-memory) and its capability from issue 14's table; a name only the
 * estimate's table knows is left to it (it reports unknown names). */
int plan_apply_gpu(plan_args *a)
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

/* A size (vLLM's units); one line naming the flag on failure. */
int plan_parse_size(const char *flag, const char *v, int64_t *out)
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
    int rc = plan_parse_size("--cudagraph-captures", buf, first);
    if (rc == CLI_OK && comma)
        rc = plan_parse_size("--cudagraph-captures", comma + 1, second);
    return rc;
}

int plan_parse(int argc, char **argv, plan_args *a)
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
                rc = plan_parse_size(flag, v, &a->o.max_model_len);
                if (rc == CLI_OK && a->o.max_model_len < 1)
                    return cli_usage("plan", "--max-model-len '%s': give the longest request "
                                             "in tokens (1 or more), or auto", v);
            }
        } else if (strcmp(flag, "--max-num-seqs") == 0) {
            if ((rc = cli_parse_long("plan", flag, v, 1, 1 << 20, &n)) == CLI_OK)
                a->o.max_num_seqs = (int)n;
        } else if (strcmp(flag, "--max-num-batched-tokens") == 0) {
            rc = plan_parse_size(flag, v, &a->o.max_num_batched_tokens);
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
            rc = plan_parse_size(flag, v, &a->o.kv_cache_memory_bytes);
            if (rc == CLI_OK && a->o.kv_cache_memory_bytes == 0)
                return cli_usage("plan", "--kv-cache-memory-bytes 0: give the KV cache size, "
                                         "or leave the option out");
        } else if (strcmp(flag, "--non-kv-memory") == 0) {
            rc = plan_parse_size(flag, v, &a->o.non_kv_memory);
        } else if (strcmp(flag, "--weights-memory") == 0) {
            rc = plan_parse_size(flag, v, &a->o.weights_memory);
        } else if (strcmp(flag, "--cudagraph-memory") == 0) {
            rc = plan_parse_size(flag, v, &a->o.cudagraph_memory);
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
