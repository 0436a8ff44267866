/*
 * tools/plan_cudagraph.c: `membudget plan`'s CUDA-graph modes and attention backend (issue
 * 14): --cudagraph-mode (vLLM's compilation_config.cudagraph_mode), --cudagraph-full-captures
 * FIRST,SECOND (the FULL mode's own two largest captures), --attention-backend NAME, the
 * environment variables vLLM reads for them, and the lines they add to the plan.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan_cudagraph.h"

const char *const plan_cg_flags[] = {"--cudagraph-mode", "--cudagraph-full-captures",
                                     "--attention-backend", "--speculative-method",
                                     "--num-nextn-predict-layers", NULL};

static int parse_bytes(const char *flag, const char *v, int64_t *out)
{
    if (mb_size_parse(v, out))
        return cli_usage("plan", "%s: %s", flag, mb_error_detail());
    return CLI_OK;
}

int plan_cg_flag(const char *flag, const char *v, mb_plan_options *o)
{
    if (strcmp(flag, "--cudagraph-mode") == 0) {
        for (int m = MB_CUDAGRAPH_MODE_NONE; m <= MB_CUDAGRAPH_MODE_FULL_AND_PIECEWISE; m++)
            if (strcasecmp(v, mb_cudagraph_mode_name(m)) == 0) {
                o->cudagraph_mode = m;
                return CLI_OK;
            }
        return cli_usage("plan", "--cudagraph-mode '%s': give NONE, PIECEWISE, FULL, "
                                 "FULL_DECODE_ONLY or FULL_AND_PIECEWISE (vLLM's default)", v);
    }
    if (strcmp(flag, "--cudagraph-full-captures") == 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", v);
        char *comma = strchr(buf, ',');
        if (comma)
            *comma = '\0';
        int rc = parse_bytes(flag, buf, &o->cudagraph_full_first);
        if (rc == CLI_OK && comma)
            rc = parse_bytes(flag, comma + 1, &o->cudagraph_full_second);
        if (rc == CLI_OK && o->cudagraph_full_first == 0)
            return cli_usage("plan", "--cudagraph-full-captures '%s': give the FULL mode's "
                                     "first (largest) capture in bytes, more than 0", v);
        return rc;
    }
    if (strcmp(flag, "--speculative-method") == 0) { /* vLLM's speculative_config.method */
        o->speculative_method = v;
        return CLI_OK;
    }
    if (strcmp(flag, "--num-nextn-predict-layers") == 0) { /* the MTP draft's config key */
        long n = 0;
        int rc = cli_parse_long("plan", flag, v, 1, 64, &n);
        if (rc == CLI_OK)
            o->num_nextn_predict_layers = (int)n;
        return rc;
    }
    if (strcmp(flag, "--attention-backend") == 0) {
        o->attention_backend = v;
        return CLI_OK;
    }
    return -1;
}

/* vllm/envs.py: maybe_convert_bool for VLLM_USE_V2_MODEL_RUNNER ("1"/"0"), bool(int(...))
 * for VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS (default "1") */
int plan_cg_env(mb_plan_options *o, int *runner_from_env)
{
    const char *v2 = getenv("VLLM_USE_V2_MODEL_RUNNER");
    if (v2 && *v2) {
        char *end;
        long n = strtol(v2, &end, 10);
        if (*end)
            return cli_usage("plan", "VLLM_USE_V2_MODEL_RUNNER='%s': vLLM reads it as an "
                                     "integer (0 or 1)", v2);
        o->model_runner_v1 = n == 0;
        *runner_from_env = 1; /* the estimate follows it too (plan_estimate.c) */
    }
    const char *est = getenv("VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS");
    if (est && *est) {
        char *end;
        long n = strtol(est, &end, 10);
        if (*end)
            return cli_usage("plan", "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS='%s': vLLM "
                                     "reads it as an integer (0 or 1)", est);
        o->no_cudagraph_estimate = n == 0;
    }
    return CLI_OK;
}

int plan_cg_measured_device(const mb_snapshot *s, mb_plan_options *o, mb_gpu_spec *spec)
{
    if (strcmp(s->device, "what-if") == 0 || strncmp(s->device, "cpu:", 4) == 0 ||
        strcmp(s->platform, "cpu") == 0)
        return CLI_OK;
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int idx = 0;
    mb_device_info d = MB_DEVICE_INFO_INIT;
    int rc = mb_device_find(ctx, s->device, &idx);
    if (rc == MB_OK)
        rc = mb_device_get(ctx, idx, &d);
    mb_context_free(ctx);
    if (rc)
        return cli_fail_rc(rc, s->device);
    snprintf(spec->name, sizeof spec->name, "%s", d.model);
    spec->compute_capability = d.cc_major * 10 + d.cc_minor;
    spec->integrated = d.integrated;
    spec->total_memory = d.total_memory;
    snprintf(spec->source, sizeof spec->source, "measured: %s%s", s->device,
             d.cc_major ? " (cuDeviceGetAttribute COMPUTE_CAPABILITY_MAJOR/MINOR)"
                        : ", its compute capability unknown (HIP reports a gfx arch, not one)");
    if (o->compute_capability == 0)
        o->compute_capability = spec->compute_capability;
    return CLI_OK;
}

static const char *mode_words(int m) { return m == 0 ? "PIECEWISE" : "FULL"; }

void plan_cg_text(const mb_plan *p)
{
    printf("attention      %s (vLLM's backend for this model and device)\n",
           p->attention_backend[0] ? p->attention_backend : "unknown");
    printf("graph mode     %s, model runner V%d: %s\n",
           mb_cudagraph_mode_name(p->cudagraph_mode), p->cudagraph_runner, p->cudagraph_rule);
    for (int m = 0; m < 2; m++) {
        if (!p->cudagraph_parts[m].count)
            continue;
        const double mib = 1024.0 * 1024.0;
        printf("  %-12s %d graphs: first %.2f MiB%s + (%d - 1) x %.2f MiB = %.2f MiB\n",
               mode_words(m), p->cudagraph_parts[m].count,
               (double)p->cudagraph_parts[m].first / mib,
               p->cudagraph_parts[m].first ? "" : " (not measured)",
               p->cudagraph_parts[m].count, (double)p->cudagraph_parts[m].per_graph / mib,
               (double)p->cudagraph_parts[m].bytes / mib);
    }
    if (p->cudagraph_mode != MB_CUDAGRAPH_MODE_NONE && p->cudagraph_estimate > 0 &&
        p->budget.cudagraph_memory == 0) {
        char g[32];
        mb_size_format_gib(p->cudagraph_estimate, g, sizeof g);
        printf("  not charged  VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0: the %s GiB "
               "estimate is left to --gpu-memory-utilization\n", g);
    }
}

void plan_cg_json(cJSON *root, const mb_plan *p)
{
    cJSON_AddStringToObject(root, "attention_backend", p->attention_backend);
    cJSON *c = cJSON_AddObjectToObject(root, "cudagraph_modes");
    cJSON_AddStringToObject(c, "mode", mb_cudagraph_mode_name(p->cudagraph_mode));
    cJSON_AddNumberToObject(c, "model_runner", p->cudagraph_runner);
    cJSON_AddStringToObject(c, "rule", p->cudagraph_rule);
    cJSON_AddNumberToObject(c, "estimate", (double)p->cudagraph_estimate);
    cJSON_AddBoolToObject(c, "charged", p->budget.cudagraph_memory == p->cudagraph_estimate);
    for (int m = 0; m < 2; m++) {
        cJSON *o = cJSON_AddObjectToObject(c, m ? "full" : "piecewise");
        cJSON_AddNumberToObject(o, "count", p->cudagraph_parts[m].count);
        cJSON_AddNumberToObject(o, "first", (double)p->cudagraph_parts[m].first);
        cJSON_AddNumberToObject(o, "per_graph", (double)p->cudagraph_parts[m].per_graph);
        cJSON_AddNumberToObject(o, "bytes", (double)p->cudagraph_parts[m].bytes);
    }
}
