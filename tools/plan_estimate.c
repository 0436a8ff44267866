/*
 * tools/plan_estimate.c: `membudget plan --estimate` / `--gpu NAME` (issue 15): the
 * model's whole budget predicted (weights, activation peak, non-torch memory, CUDA
 * graphs, each with its source and range), the KV cache, tokens and concurrency as
 * ranges, the verdict fits / may not fit / does not fit, and every engine's settings.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan_estimate.h"

void plan_est_init(plan_est *p)
{
    memset(p, 0, sizeof *p);
    p->o = (mb_estimate_options)MB_ESTIMATE_OPTIONS_INIT;
    p->e = (mb_estimate)MB_ESTIMATE_INIT;
}

static int take_value(int argc, char **argv, int *i, const char *flag, const char **v)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    if (eq) {
        *v = eq + 1;
        return CLI_OK;
    }
    if (*i + 1 >= argc)
        return cli_usage("plan", "%s needs a value", flag);
    *v = argv[++*i];
    return CLI_OK;
}

static int is(const char *arg, const char *flag)
{
    size_t l = strlen(flag);
    return strncmp(arg, flag, l) == 0 && (arg[l] == '\0' || arg[l] == '=');
}

int plan_est_parse(plan_est *p, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *v = NULL;
    long n = 0; /* -O3 cannot see that every use follows a successful parse */
    int rc;
    /* seen, not taken: cmd_plan.c parses these two */
    if (is(arg, "--max-num-seqs"))
        p->seqs_given = 1;
    if (is(arg, "--max-num-batched-tokens"))
        p->tokens_given = 1;
    if (strcmp(arg, "--estimate") == 0) {
        p->active = 1;
        return CLI_OK;
    }
    if (is(arg, "--gpu")) {
        if ((rc = take_value(argc, argv, i, "--gpu", &v)))
            return rc;
        p->gpu = v;
        p->active = 1;
        return CLI_OK;
    }
    if (is(arg, "--pipeline-parallel-size") || is(arg, "-pp")) {
        if ((rc = take_value(argc, argv, i, "--pipeline-parallel-size", &v)) ||
            (rc = cli_parse_long("plan", "--pipeline-parallel-size", v, 1, 1024, &n)))
            return rc;
        p->o.pipeline_parallel_size = (int)n;
        p->active = 1;
        return CLI_OK;
    }
    if (is(arg, "--instances")) {
        if ((rc = take_value(argc, argv, i, "--instances", &v)) ||
            (rc = cli_parse_long("plan", "--instances", v, 1, 64, &n)))
            return rc;
        p->o.instances = (int)n;
        p->active = 1;
        return CLI_OK;
    }
    if (is(arg, "--memory-cap")) {
        if ((rc = take_value(argc, argv, i, "--memory-cap", &v)))
            return rc;
        if (mb_size_parse(v, &p->o.memory_cap) || p->o.memory_cap <= 0)
            return cli_usage("plan", "--memory-cap '%s': give the memory of one instance, "
                                     "such as 40GiB", v);
        p->active = 1;
        return CLI_OK;
    }
    if (is(arg, "--sampler")) {
        /* V1's top-k/top-p in the profile run (mb_estimate_options.sampler) */
        if ((rc = take_value(argc, argv, i, "--sampler", &v)))
            return rc;
        if (is(v, "kernel"))
            p->o.sampler = MB_SAMPLER_FORCE_KERNEL;
        else if (is(v, "sort"))
            p->o.sampler = MB_SAMPLER_TORCH_SORT;
        else
            return cli_usage("plan", "--sampler '%s': give kernel (FlashInfer's or vLLM's "
                                     "Triton top-k/top-p, vLLM 0.33) or sort (torch's sort, "
                                     "V1 from 0.11.1 to the Triton kernels)", v);
        p->active = 1;
        return CLI_OK;
    }
    if (is(arg, "--model-runner")) {
        /* VLLM_USE_V2_MODEL_RUNNER (mb_estimate_options.model_runner) */
        if ((rc = take_value(argc, argv, i, "--model-runner", &v)))
            return rc;
        if (is(v, "v1"))
            p->o.model_runner = MB_RUNNER_V1;
        else if (is(v, "v2"))
            p->o.model_runner = MB_RUNNER_V2;
        else
            return cli_usage("plan", "--model-runner '%s': give v1 (gpu_model_runner.py) or "
                                     "v2 (vllm/v1/worker/gpu/model_runner.py, as "
                                     "VLLM_USE_V2_MODEL_RUNNER=1)", v);
        p->active = 1;
        return CLI_OK;
    }
    if (is(arg, "--vllm-version")) {
        if ((rc = take_value(argc, argv, i, "--vllm-version", &v)))
            return rc;
        int major = 0, minor = 0, patch = 0, used = 0;
        int got = sscanf(v, "%d.%d%n.%d%n", &major, &minor, &used, &patch, &used);
        if (got < 2 || v[used] != '\0' || major != 0 || minor < 8 || minor > 99 ||
            patch < 0 || patch > 99)
            return cli_usage("plan", "--vllm-version '%s': give a V1-engine release 0.8 or "
                                     "later as 0.Y or 0.Y.Z, such as 0.33 or 0.11.1 (for "
                                     "V0 start-ups, --vllm-v0)", v);
        /* the release's rules (mb_estimate_options.vllm_release): its model runner for
         * the model, V1's sampler, whether the graphs are charged (from 0.20) */
        p->o.vllm_release = minor * 100 + patch;
        p->active = 1;
        return CLI_OK;
    }
    if (is(arg, "--vllm-v0")) {
        /* the V0 engine of a release (its profile_run and sampler, docs/estimate.md) */
        if ((rc = take_value(argc, argv, i, "--vllm-v0", &v)))
            return rc;
        int major = 0, minor = 0, patch = 0;
        int got = sscanf(v, "%d.%d.%d", &major, &minor, &patch);
        if (got < 2 || major != 0 || minor < 1 || minor > 99 || patch < 0 || patch > 99)
            return cli_usage("plan", "--vllm-v0 '%s': give the V0 release as 0.Y or 0.Y.Z, "
                                     "such as 0.6.4", v);
        p->o.vllm_v0_release = minor * 100 + patch;
        p->o.charge_cudagraphs = 0; /* V0 never took the graphs out of the KV cache */
        p->active = 1;
        return CLI_OK;
    }
    return PLAN_EST_NOT_MINE;
}

int plan_est_snapshot(const plan_est *p, mb_snapshot *s)
{
    mb_estimate_device d;
    if (mb_estimate_device_find(p->gpu, &d))
        return cli_usage("plan", "%s", cli_detail());
    int64_t ctx = d.vendor == MB_GPU_AMD ? MB_GiB : MB_GiB / 2;
    if (mb_snapshot_what_if(d.total_memory, d.total_memory - ctx, s))
        return cli_fail_rc(MB_EINVAL, "--gpu");
    return CLI_OK;
}

static const char *gib(int64_t b, char *buf, size_t n);

int plan_est_apply(plan_est *p, const char *model, const mb_snapshot *s, mb_plan_options *o)
{
    if (!p->active)
        return CLI_OK;
    int rc;
    if (p->gpu) { /* the named part; --total-memory (or a measured device) sets its size */
        if (mb_estimate_device_find(p->gpu, &p->dev))
            return cli_usage("plan", "%s", cli_detail());
        p->dev.total_memory = s->total_memory;
    } else { /* --device or --total-memory: a device of that size */
        memset(&p->dev, 0, sizeof p->dev);
        snprintf(p->dev.name, sizeof p->dev.name, "%s", s->device);
        p->dev.total_memory = s->total_memory;
        p->dev.vendor = strcmp(s->platform, "cpu") == 0   ? MB_GPU_CPU
                        : strcmp(s->platform, "rocm") == 0 ? MB_GPU_AMD
                                                          : MB_GPU_NVIDIA;
        p->dev.context_memory = MB_UNKNOWN;
    }
    mb_arch *arch = NULL;
    if ((rc = mb_arch_load(model, &arch)))
        return cli_fail_rc(rc, "--model");
    mb_estimate_options *eo = &p->o;
    eo->tensor_parallel_size = o->tensor_parallel_size;
    eo->gpu_memory_utilization = o->gpu_memory_utilization;
    eo->block_size = o->block_size ? o->block_size : MB_BLOCK_SIZE_DEFAULT; /* 0: the backend's */
    eo->kv_cache_dtype = o->kv_cache_dtype;
    eo->enforce_eager = o->enforce_eager;
    eo->max_model_len = o->max_model_len > 0 ? o->max_model_len : 0;
    eo->max_num_seqs = p->seqs_given ? o->max_num_seqs : 0;
    eo->max_num_batched_tokens = p->tokens_given ? o->max_num_batched_tokens : 0;
    eo->weights_memory = o->weights_memory == MB_UNKNOWN
                             ? MB_UNKNOWN
                             : (o->weights_memory + o->tensor_parallel_size - 1) /
                                   o->tensor_parallel_size;
    eo->non_kv_memory = o->non_kv_memory;
    eo->cudagraph_memory = o->cudagraph_memory;
    eo->cudagraph_first = o->cudagraph_first;
    eo->cudagraph_second = o->cudagraph_second;
    if (!eo->vllm_release && !eo->vllm_v0_release)
        eo->vllm_release = 3300; /* no --vllm-version: vLLM 0.33.0, the reference */
    /* VLLM_USE_V2_MODEL_RUNNER, as plan_cg_env read it for the plan's graphs, picks the
     * estimate's runner too unless --model-runner did */
    int env_runner = p->runner_from_env && !eo->vllm_v0_release;
    if (env_runner && eo->model_runner == MB_RUNNER_DEFAULT)
        eo->model_runner = o->model_runner_v1 ? MB_RUNNER_V1 : MB_RUNNER_V2;
    rc = mb_estimate_compute(arch, &p->dev, eo, &p->e);
    mb_arch_free(arch); /* the estimate keeps nothing of it */
    if (rc)
        return cli_fail_rc(rc, "estimate");
    cli_flags_estimate(&p->e);
    const mb_estimate *e = &p->e;
    /* the plan's CUDA-graph rules follow the runner the estimate's release picked */
    if (!env_runner && e->model_runner != MB_RUNNER_DEFAULT)
        o->model_runner_v1 = e->model_runner == MB_RUNNER_V1;
    /* the plan runs on the estimate's scheduler settings and budget */
    o->max_num_seqs = e->max_num_seqs;
    o->max_num_batched_tokens = e->max_num_batched_tokens;
    if (e->instances > 1 || eo->memory_cap != MB_UNKNOWN)
        o->gpu_memory_utilization = e->knobs.vllm_gpu_memory_utilization;
    if (o->non_kv_memory == MB_UNKNOWN && o->kv_cache_memory_bytes == 0 &&
        e->weights.source != MB_EST_UNKNOWN && e->activation.source != MB_EST_UNKNOWN &&
        e->non_torch.source != MB_EST_UNKNOWN) {
        int64_t non_kv = e->weights.bytes + e->activation.bytes + e->non_torch.bytes;
        if (non_kv > s->total_memory) {
            char a[32], b[32], c[32];
            return cli_fail("the estimated non-KV memory, %s GiB per rank (weights %s GiB), "
                            "is more than the device's %s GiB: raise "
                            "--tensor-parallel-size or pick a larger --gpu",
                            gib(non_kv, a, sizeof a), gib(e->weights.bytes, b, sizeof b),
                            gib(s->total_memory, c, sizeof c));
        }
        o->non_kv_memory = non_kv;
        p->non_kv_applied = 1;
    }
    if (o->cudagraph_memory == MB_UNKNOWN && o->cudagraph_first == MB_UNKNOWN &&
        !o->enforce_eager && e->cudagraph.source == MB_EST_ESTIMATED) {
        /* not charged (--vllm-version before 0.20, or V2 before 0.29): nothing set aside */
        o->cudagraph_memory = e->cudagraph_charged ? e->cudagraph.bytes : 0;
        p->cudagraph_applied = 1;
    }
    p->applied = p->non_kv_applied || p->cudagraph_applied;
    return CLI_OK;
}

const char *plan_est_non_kv_how(const plan_est *p)
{
    return p->non_kv_applied ? "estimated: weights + activation peak + non-torch memory "
                               "(the estimate below has each part and its range)"
                             : NULL;
}

const char *plan_est_cudagraph_how(const plan_est *p)
{
    if (!p->cudagraph_applied)
        return NULL;
    return !p->e.cudagraph_charged
               ? "not charged to the KV cache by this vLLM (before 0.20, or the V2 runner "
                 "before 0.29; the estimate below still predicts them)"
               : "estimated from the model and the capture sizes (range below)";
}

static const char *gib(int64_t b, char *buf, size_t n)
{
    if (b == MB_UNKNOWN)
        snprintf(buf, n, "unknown");
    else
        snprintf(buf, n, "%.2f", (double)b / (double)MB_GiB);
    return buf;
}

static void print_part(const char *label, const mb_estimate_part *x)
{
    char a[32], b[32], c[32];
    if (x->source == MB_EST_UNKNOWN) {
        printf("  %-14s unknown: %s\n", label, x->reason);
        return;
    }
    if (x->low == x->high)
        printf("  %-14s %s GiB (%s)", label, gib(x->bytes, a, sizeof a),
               mb_estimate_source_name(x->source));
    else
        printf("  %-14s %s GiB, %s to %s (%s)", label, gib(x->bytes, a, sizeof a),
               gib(x->low, b, sizeof b), gib(x->high, c, sizeof c),
               mb_estimate_source_name(x->source));
    printf("%s%s\n", x->reason[0] ? ": " : "", x->reason);
}

void plan_est_print(const plan_est *p)
{
    if (!p->active)
        return;
    const mb_estimate *e = &p->e;
    char a[32], b[32], c[32];
    printf("estimate       %s, %s GiB; tensor parallel %d, pipeline parallel %d, %d "
           "instance%s; --max-num-seqs %d, --max-num-batched-tokens %lld (per rank, GiB)\n",
           p->dev.name, gib(p->dev.total_memory, a, sizeof a), e->tensor_parallel_size,
           e->pipeline_parallel_size, e->instances, e->instances == 1 ? "" : "s",
           e->max_num_seqs, (long long)e->max_num_batched_tokens);
    printf("  %-14s %s\n", "rules", e->rules);
    print_part("weights", &e->weights);
    print_part("activation", &e->activation);
    print_part("non-torch", &e->non_torch);
    print_part("CUDA graphs", &e->cudagraph);
    printf("  %-14s %s GiB per instance%s\n", "requested", gib(e->requested_memory, a, sizeof a),
           e->startup_ok ? "" : " (the start-up check fails)");
    printf("  %-14s %s GiB, %s to %s\n", "KV available", gib(e->available_kv_cache_memory, a,
           sizeof a), gib(e->available_kv_cache_memory_low, b, sizeof b),
           gib(e->available_kv_cache_memory_high, c, sizeof c));
    if (e->kv_cache_tokens == MB_UNKNOWN)
        printf("  %-14s unknown, as is the KV cache they come from\n", "KV tokens");
    else
        printf("  %-14s %lld, %lld to %lld tokens; concurrency %.2f, %.2f to %.2f at %lld "
               "tokens\n", "KV tokens", (long long)e->kv_cache_tokens,
               (long long)e->kv_cache_tokens_low, (long long)e->kv_cache_tokens_high,
               e->max_concurrency, e->max_concurrency_low, e->max_concurrency_high,
               (long long)e->max_model_len);
    printf("  %-14s %s\n", "verdict", e->verdict_text);
    if (e->available_kv_cache_memory == MB_UNKNOWN)
        return;
    const mb_engine_knobs *k = &e->knobs;
    printf("  %-14s vLLM --gpu-memory-utilization %.4f or --kv-cache-memory-bytes %lld; "
           "SGLang --mem-fraction-static %.3f --max-total-tokens %lld; TensorRT-LLM "
           "free_gpu_memory_fraction=%.3f max_tokens=%lld (docs/estimate.md: each rule)\n",
           "settings", k->vllm_gpu_memory_utilization,
           (long long)k->vllm_kv_cache_memory_bytes, k->sglang_mem_fraction_static,
           (long long)k->sglang_max_total_tokens, k->trtllm_free_gpu_memory_fraction,
           (long long)k->trtllm_max_tokens);
}

static cJSON *part_json(const mb_estimate_part *x)
{
    cJSON *o = cJSON_CreateObject();
    cli_json_bytes(o, "bytes", x->bytes);
    cli_json_bytes(o, "low", x->low);
    cli_json_bytes(o, "high", x->high);
    cJSON_AddStringToObject(o, "source", mb_estimate_source_name(x->source));
    cJSON_AddStringToObject(o, "reason", x->reason);
    return o;
}

static void number_or_null(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, v);
}

static void tokens(cJSON *o, const char *key, int64_t v)
{
    if (v == MB_UNKNOWN)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, (double)v);
}

void plan_est_json(const plan_est *p, cJSON *root)
{
    if (!p->active)
        return;
    const mb_estimate *e = &p->e;
    if (p->non_kv_applied)
        cJSON_ReplaceItemInObject(root, "non_kv_source", cJSON_CreateString("estimated"));
    if (p->cudagraph_applied)
        cJSON_ReplaceItemInObject(root, "cudagraph_source", cJSON_CreateString("estimated"));
    cJSON *x = cJSON_AddObjectToObject(root, "estimate");
    cJSON_AddStringToObject(x, "device", p->dev.name);
    cJSON_AddStringToObject(x, "model_runner", e->model_runner == MB_RUNNER_V2   ? "v2"
                                               : e->model_runner == MB_RUNNER_V1 ? "v1"
                                                                                 : "v0");
    cJSON_AddStringToObject(x, "sampler",
                            e->sampler == MB_SAMPLER_TORCH_SORT ? "sort" : "kernel");
    cJSON_AddStringToObject(x, "rules", e->rules);
    cli_json_bytes(x, "total_memory", p->dev.total_memory);
    cJSON_AddItemToObject(x, "weights_memory", part_json(&e->weights));
    cJSON_AddItemToObject(x, "activation_peak", part_json(&e->activation));
    cJSON_AddItemToObject(x, "non_torch_memory", part_json(&e->non_torch));
    cJSON_AddItemToObject(x, "cudagraph_memory", part_json(&e->cudagraph));
    cJSON_AddNumberToObject(x, "num_cudagraphs", e->num_cudagraphs);
    cJSON_AddBoolToObject(x, "cudagraph_charged", e->cudagraph_charged);
    cJSON_AddNumberToObject(x, "max_num_seqs", e->max_num_seqs);
    cJSON_AddNumberToObject(x, "max_num_batched_tokens", (double)e->max_num_batched_tokens);
    cJSON_AddNumberToObject(x, "instances", e->instances);
    cli_json_bytes(x, "requested_memory", e->requested_memory);
    cli_json_bytes(x, "context_memory", e->context_memory);
    cJSON_AddBoolToObject(x, "startup_ok", e->startup_ok);
    cli_json_bytes(x, "available_kv_cache_memory", e->available_kv_cache_memory);
    /* the central tokens and concurrency, with the plan's KV groups (kv_groups.c) */
    tokens(x, "kv_cache_tokens", e->kv_cache_tokens);
    number_or_null(x, "max_concurrency", e->max_concurrency);
    cJSON_AddStringToObject(x, "verdict", mb_estimate_verdict_name(e->verdict));
    cJSON_AddStringToObject(x, "verdict_text", e->verdict_text);
    cJSON *k = cJSON_AddObjectToObject(x, "settings");
    cJSON_AddNumberToObject(k, "vllm_gpu_memory_utilization",
                            e->knobs.vllm_gpu_memory_utilization);
    cli_json_bytes(k, "vllm_kv_cache_memory_bytes", e->knobs.vllm_kv_cache_memory_bytes);
    cJSON_AddNumberToObject(k, "sglang_mem_fraction_static",
                            e->knobs.sglang_mem_fraction_static);
    tokens(k, "sglang_max_total_tokens", e->knobs.sglang_max_total_tokens);
    cJSON_AddNumberToObject(k, "trtllm_free_gpu_memory_fraction",
                            e->knobs.trtllm_free_gpu_memory_fraction);
    tokens(k, "trtllm_max_tokens", e->knobs.trtllm_max_tokens);
    /* the ranges at the top level, as the issue names them */
    cli_json_bytes(root, "available_kv_cache_memory_low", e->available_kv_cache_memory_low);
    cli_json_bytes(root, "available_kv_cache_memory_high", e->available_kv_cache_memory_high);
    tokens(root, "kv_cache_tokens_low", e->kv_cache_tokens_low);
    tokens(root, "kv_cache_tokens_high", e->kv_cache_tokens_high);
    number_or_null(root, "max_concurrency_low", e->max_concurrency_low);
    number_or_null(root, "max_concurrency_high", e->max_concurrency_high);
    cJSON_AddStringToObject(root, "estimate_verdict", mb_estimate_verdict_name(e->verdict));
}
