/*
 * tests/kv: the budget (vLLM's request_memory and determine_available_memory) from values,
 * both non-KV formulas, free memory that grows, the explicit KV size, and the plan of the
 * fixture models on an 80 GiB what-if device checked against the arithmetic done by hand.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/vllm.h"
#include "testutil.h"

#define GiB MB_GiB
#define MiB MB_MiB

static void detail_has(const char *a, const char *b)
{
    const char *d = mb_error_detail();
    if (!strstr(d, a) || (b && !strstr(d, b)))
        fail_msg("detail '%s' lacks '%s' or '%s'", d, a, b ? b : "");
}

static mb_snapshot snap(int64_t total, int64_t free, int64_t reserved, int64_t peak)
{
    mb_snapshot s;
    assert_int_equal(mb_snapshot_what_if(total, free, &s), MB_OK);
    snprintf(s.device, sizeof s.device, "cuda:0");
    s.torch_memory = reserved;
    s.torch_peak = peak;
    s.non_torch_memory = s.device_memory - reserved;
    return s;
}

static void test_requested(void **state)
{
    (void)state;
    int64_t r = -1;
    /* math.ceil(85899345920 * 0.92) in Python */
    assert_int_equal(mb_budget_requested(80 * GiB, 0.92, &r), MB_OK);
    assert_int_equal(r, 79027398247LL);
    assert_int_equal(mb_budget_requested(101, 0.5, &r), MB_OK);
    assert_int_equal(r, 51); /* ceil, not round */
    assert_int_equal(mb_budget_requested(80 * GiB, 1.0, &r), MB_OK);
    assert_int_equal(r, 80 * GiB);
    assert_int_equal(mb_budget_requested(80 * GiB, 0.0, &r), MB_EINVAL);
    assert_int_equal(r, 0);
    detail_has("gpu_memory_utilization 0 ", NULL);
    assert_int_equal(mb_budget_requested(80 * GiB, 1.5, &r), MB_EINVAL);
    detail_has("gpu_memory_utilization 1.5", "at most 1");
    assert_int_equal(mb_budget_requested(80 * GiB, NAN, &r), MB_EINVAL);
    assert_int_equal(mb_budget_requested(0, 0.9, &r), MB_EINVAL);
    assert_int_equal(mb_budget_requested((int64_t)1 << 51, 0.9, &r), MB_ERANGE);
    mb_budget_options o = MB_BUDGET_OPTIONS_INIT;
    assert_true(o.gpu_memory_utilization == 0.92);
}

static void test_startup_check(void **state)
{
    (void)state;
    mb_snapshot s = snap(80 * GiB, 70 * GiB, 0, 0);
    int64_t r = -1;
    assert_int_equal(mb_budget_check_startup(&s, 0.92, &r), MB_ENOFIT);
    assert_int_equal(r, 0);
    /* names the device, free/total GiB, the utilization, the requested GiB, what to do */
    detail_has("cuda:0 has 70.0 GiB free of 80.0 GiB", "73.6 GiB");
    detail_has("gpu_memory_utilization 0.92", "lower gpu_memory_utilization to 0.87");
    /* the suggestion passes */
    assert_int_equal(mb_budget_check_startup(&s, 0.87, &r), MB_OK);
    assert_int_equal(r, (int64_t)ceil(80.0 * GiB * 0.87));
    assert_int_equal(mb_budget_check_startup(&s, 0.88, &r), MB_ENOFIT);
    /* nothing free: no utilization passes, other processes must free memory */
    mb_snapshot none = snap(80 * GiB, 0, 0, 0);
    assert_int_equal(mb_budget_check_startup(&none, 0.5, &r), MB_ENOFIT);
    detail_has("stop other processes using 40.0 GiB", NULL);
}

/* vLLM's memory_profiling docstring example: 1 GiB used by others; 2 GiB weights; 2 GiB of
 * peak activations; 0.5 GiB then 1 GiB of non-torch memory. Non-KV: 5 GiB. */
static mb_profile docstring_profile(void)
{
    mb_profile p;
    memset(&p, 0, sizeof p);
    int64_t T = 80 * GiB;
    p.before_create = snap(T, T - 1 * GiB, 0, 0);
    p.before_profile = snap(T, T - 1 * GiB - 2 * GiB - GiB / 2, 2 * GiB, 2 * GiB);
    p.after_profile = snap(T, T - 1 * GiB - 3 * GiB - 1 * GiB, 3 * GiB, 4 * GiB);
    p.weights_memory = 2 * GiB;
    return p;
}

static void test_budget_profile_formula(void **state)
{
    (void)state;
    mb_profile p = docstring_profile();
    mb_budget_options o = MB_BUDGET_OPTIONS_INIT;
    o.cudagraph_memory = 300 * MiB;
    mb_budget b;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_OK);
    assert_int_equal(b.weights_memory, 2 * GiB);
    assert_int_equal(b.torch_peak_increase, 2 * GiB);
    assert_int_equal(b.non_torch_increase, 1 * GiB);
    assert_int_equal(b.non_kv_cache_memory, 5 * GiB);
    assert_int_equal(b.requested_memory, 79027398247LL);
    assert_int_equal(b.available_kv_cache_memory, 79027398247LL - 5 * GiB - 300 * MiB);
    assert_string_equal(b.device, "cuda:0");
    assert_int_equal(b.flags, 0);
    assert_string_equal(mb_non_kv_formula_name(b.formula), "profile");
    /* NULL options: the defaults (utilization 0.92, no CUDA graphs) */
    assert_int_equal(mb_budget_compute(&p, NULL, &b), MB_OK);
    assert_int_equal(b.available_kv_cache_memory, 79027398247LL - 5 * GiB);
}

static void test_budget_consumed_formula(void **state)
{
    (void)state;
    mb_profile p = docstring_profile();
    /* the allocator still reserves 0.5 GiB it does not use: allocated 3 GiB, reserved 3.5 */
    p.after_profile.torch_memory = 3 * GiB + GiB / 2;
    mb_budget_options o = MB_BUDGET_OPTIONS_INIT;
    o.formula = MB_NON_KV_CONSUMED;
    o.torch_current = 3 * GiB;
    mb_budget b;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_OK);
    assert_int_equal(b.consumed_memory, 4 * GiB); /* 79 GiB free -> 75 GiB free */
    assert_int_equal(b.transient_memory, 1 * GiB); /* peak 4 - current 3 */
    assert_int_equal(b.non_kv_cache_memory, 5 * GiB);
    assert_int_equal(b.available_kv_cache_memory, 79027398247LL - 5 * GiB);
    /* without the current figure, reserved stands in: a smaller headroom */
    o.torch_current = MB_UNKNOWN;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_OK);
    assert_int_equal(b.transient_memory, GiB / 2);
    /* a current above the peak is not a figure an allocator gives */
    o.torch_current = 5 * GiB;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_EINVAL);
    detail_has("torch_current", NULL);
    assert_int_equal(b.available_kv_cache_memory, 0);
}

static void test_budget_free_grew(void **state)
{
    (void)state;
    mb_profile p = docstring_profile();
    /* another process released 6 GiB while profiling: free went 79 -> 81 - 5 = 76+... */
    p.after_profile = snap(80 * GiB, 80 * GiB - 1 * GiB - 5 * GiB + 6 * GiB - GiB / 2,
                           3 * GiB, 4 * GiB);
    assert_true(p.after_profile.free_memory > p.before_create.free_memory);
    mb_budget_options o = MB_BUDGET_OPTIONS_INIT;
    mb_budget b;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_EGREW);
    detail_has("grew during profiling", "79.0 GiB");
    o.formula = MB_NON_KV_CONSUMED;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_EGREW);
    /* the fallback: what the allocator reserved since start-up */
    o.flags = MB_BUDGET_FREE_GROWTH_FALLBACK;
    o.torch_current = 3 * GiB;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_OK);
    assert_int_equal(b.flags, MB_BUDGET_FELL_BACK);
    assert_int_equal(b.consumed_memory, 3 * GiB);
    assert_int_equal(b.non_kv_cache_memory, 3 * GiB + 1 * GiB);
    o.formula = MB_NON_KV_PROFILE;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_OK);
    assert_int_equal(b.non_torch_increase, 0); /* hidden by the release: not negative */
    assert_int_equal(b.non_kv_cache_memory, 2 * GiB + 2 * GiB);
    o.flags = 0x80;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_EINVAL);
}

static void test_budget_explicit_and_nofit(void **state)
{
    (void)state;
    mb_profile p = docstring_profile();
    mb_budget_options o = MB_BUDGET_OPTIONS_INIT;
    o.kv_cache_memory_bytes = 20 * GiB;
    o.cudagraph_memory = GiB;
    mb_budget b;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_OK);
    assert_int_equal(b.available_kv_cache_memory, 20 * GiB); /* bypasses everything */
    assert_int_equal(b.flags, MB_BUDGET_EXPLICIT);
    assert_int_equal(b.cudagraph_memory, 0);
    o.kv_cache_memory_bytes = 81 * GiB;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_ERANGE);
    detail_has("kv_cache_memory_bytes", NULL);
    o.kv_cache_memory_bytes = -1;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_EINVAL);
    /* nothing left: 80 GiB x 0.1 < 5 GiB of non-KV */
    mb_budget_options_init(&o, sizeof o);
    o.gpu_memory_utilization = 0.05;
    assert_int_equal(mb_budget_compute(&p, &o, &b), MB_ENOFIT);
    detail_has("nothing is left for the KV cache on cuda:0", "above 0.062");
    /* two devices in one profile */
    p = docstring_profile();
    snprintf(p.after_profile.device, sizeof p.after_profile.device, "cuda:1");
    assert_int_equal(mb_budget_compute(&p, NULL, &b), MB_EMISMATCH);
    /* from a non-KV figure */
    mb_snapshot s = snap(80 * GiB, 80 * GiB, 0, 0);
    assert_int_equal(mb_budget_compute_from_non_kv(&s, 16 * GiB, NULL, &b), MB_OK);
    assert_int_equal(b.available_kv_cache_memory, 79027398247LL - 16 * GiB);
    assert_int_equal(mb_budget_compute_from_non_kv(&s, -1, NULL, &b), MB_EINVAL);
    detail_has("non_kv_memory -1", NULL);
}

static void test_what_if(void **state)
{
    (void)state;
    mb_snapshot s;
    assert_int_equal(mb_snapshot_what_if(80 * GiB, MB_UNKNOWN, &s), MB_OK);
    assert_int_equal(s.free_memory, 80 * GiB);
    assert_string_equal(s.device, "what-if");
    assert_int_equal(s.source, MB_SOURCE_VALUES);
    assert_int_equal(mb_snapshot_what_if(80 * GiB, 81 * GiB, &s), MB_EINVAL);
    detail_has("free_memory 81.0 GiB", NULL);
    assert_int_equal(mb_snapshot_what_if(0, MB_UNKNOWN, &s), MB_EINVAL);
    detail_has("total_memory 0", NULL);
    assert_int_equal(mb_snapshot_what_if((int64_t)1 << 52, MB_UNKNOWN, &s), MB_ERANGE);
}

/* ---- plans on the 80 GiB what-if device, against the same arithmetic by hand ---------- */

static void load(const char *file, mb_model *m)
{
    char path[512];
    snprintf(path, sizeof path, "%s/models/%s", MB_FIXTURES, file);
    if (mb_model_load(path, m))
        fail_msg("%s: %s", path, mb_error_detail());
}

static void test_plan_by_hand(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int64_t per_token; /* the README's bytes per token */
        int64_t max_len;   /* the config's max_position_embeddings */
    } models[] = {
        {"llama-3.1-8b.config.json", 131072, 131072},
        {"qwen2.5-7b.config.json", 57344, 32768},
        {"mistral-7b-v0.3.config.json", 131072, 32768},
        {"deepseek-v2-lite.config.json", 31104, 163840},
    };
    mb_snapshot dev;
    assert_int_equal(mb_snapshot_what_if(80 * GiB, MB_UNKNOWN, &dev), MB_OK);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        mb_model m = MB_MODEL_INIT;
        load(models[i].file, &m);
        mb_plan_options o = MB_PLAN_OPTIONS_INIT;
        o.non_kv_memory = 16 * GiB;
        mb_plan p = MB_PLAN_INIT;
        assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
        /* by hand: requested = ceil(80 GiB x 0.92) = 79027398247 (Python); 51 capture
         * sizes at vLLM's 1 MiB floor after the first = 50 MiB; block = 16 tokens */
        int64_t available = 79027398247LL - 16 * GiB - 50 * MiB;
        int64_t block = 16 * models[i].per_token;
        int64_t blocks = available / block;
        int64_t per_request = (models[i].max_len + 15) / 16;
        assert_int_equal(p.budget.requested_memory, 79027398247LL);
        assert_int_equal(p.budget.cudagraph_memory, 50 * MiB);
        assert_int_equal(p.num_cudagraphs, 51);
        assert_int_equal(p.budget.available_kv_cache_memory, available);
        assert_int_equal(p.spec.block_bytes, block);
        assert_int_equal(p.num_blocks, blocks);
        assert_int_equal(p.kv_cache_tokens, blocks * 16);
        assert_int_equal(p.kv_cache_bytes, blocks * block);
        assert_int_equal(p.max_model_len, models[i].max_len);
        assert_int_equal(p.blocks_per_request, per_request);
        assert_true(fabs(p.max_concurrency - (double)blocks / (double)per_request) < 1e-9);
        /* vLLM 0.33 holds the null block back and searches up to max_model_len */
        int64_t longest = (blocks - 1) * 16 < models[i].max_len ? (blocks - 1) * 16
                                                                  : models[i].max_len;
        assert_int_equal(p.longest_request, longest);
        assert_true(p.fits);
        assert_true(p.startup_ok);
        assert_int_equal(p.non_kv_source, MB_NON_KV_FROM_OPTION);
        assert_int_equal(p.cudagraph_source, MB_CUDAGRAPH_FLOOR);
        assert_non_null(strstr(p.verdict, "fits"));
    }
    /* Llama-3.1-8B in numbers (Python): 29466 blocks, 471456 tokens */
    mb_model m = MB_MODEL_INIT;
    load("llama-3.1-8b.config.json", &m);
    mb_plan p = MB_PLAN_INIT;
    mb_plan_options o = MB_PLAN_OPTIONS_INIT;
    o.non_kv_memory = 16 * GiB;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.num_blocks, 29466);
    assert_int_equal(p.kv_cache_tokens, 471456);
}

static void test_plan_options(void **state)
{
    (void)state;
    mb_snapshot dev;
    assert_int_equal(mb_snapshot_what_if(80 * GiB, MB_UNKNOWN, &dev), MB_OK);
    mb_model m = MB_MODEL_INIT;
    load("llama-3.1-8b.config.json", &m);
    mb_plan p = MB_PLAN_INIT;
    mb_plan_options o = MB_PLAN_OPTIONS_INIT;

    /* defaults: nothing known of the non-KV memory: counted as 0, said so */
    assert_int_equal(mb_plan_compute(&m, &dev, NULL, &p), MB_OK);
    assert_int_equal(p.non_kv_source, MB_NON_KV_FROM_NOTHING);
    assert_non_null(strstr(p.verdict, "upper bound"));

    /* weights, split over 2 ranks; 4 KV heads per rank */
    mb_plan_options_init(&o, sizeof o);
    o.weights_memory = 16060522496LL;
    o.tensor_parallel_size = 2;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.non_kv_source, MB_NON_KV_FROM_WEIGHTS);
    assert_int_equal(p.budget.non_kv_cache_memory, 16060522496LL / 2);
    assert_int_equal(p.spec.num_kv_heads, 4);
    assert_int_equal(p.num_blocks,
                     (79027398247LL - 16060522496LL / 2 - 50 * MiB) / (16 * 65536));

    /* measured captures, eager, explicit KV size */
    mb_plan_options_init(&o, sizeof o);
    o.cudagraph_first = 500 * MiB;
    o.cudagraph_second = 20 * MiB;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    /* model runner V2 (vLLM 0.33's default): 51 PIECEWISE graphs measured in full and 51
     * FULL decode graphs extrapolated from the same two captures, summed */
    assert_int_equal(p.budget.cudagraph_memory, 2 * (500 * MiB + 50 * 20 * MiB));
    assert_int_equal(p.cudagraph_source, MB_CUDAGRAPH_MEASURED);
    assert_int_equal(p.cudagraph_parts[0].count, 51);
    assert_int_equal(p.cudagraph_parts[1].count, 51);
    /* V1: one pool, the larger first capture once, (n - 1) x second per mode */
    o.model_runner_v1 = 1;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.budget.cudagraph_memory, 500 * MiB + 2 * 50 * 20 * MiB);
    /* VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0: estimated, not charged */
    o.no_cudagraph_estimate = 1;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.budget.cudagraph_memory, 0);
    assert_int_equal(p.cudagraph_estimate, 500 * MiB + 2 * 50 * 20 * MiB);
    mb_plan_options_init(&o, sizeof o);
    o.enforce_eager = 1;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.budget.cudagraph_memory, 0);
    assert_int_equal(p.num_cudagraphs, 0);
    /* a CPU device captures no CUDA graphs: no floor is charged there */
    mb_plan_options_init(&o, sizeof o);
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.cudagraph_source, MB_CUDAGRAPH_FLOOR);
    assert_true(p.budget.cudagraph_memory > 0);
    mb_snapshot cpu = dev;
    snprintf(cpu.device, sizeof cpu.device, "cpu:0");
    assert_int_equal(mb_plan_compute(&m, &cpu, &o, &p), MB_OK);
    assert_int_equal(p.cudagraph_source, MB_CUDAGRAPH_NONE);
    assert_int_equal(p.budget.cudagraph_memory, 0);
    mb_plan_options_init(&o, sizeof o);
    o.kv_cache_memory_bytes = 30 * GiB;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.num_blocks, 15360);
    assert_int_equal(p.non_kv_source, MB_NON_KV_NOT_USED);

    /* a max_model_len that is not a whole number of blocks: cdiv(1000, 16) = 63 */
    mb_plan_options_init(&o, sizeof o);
    o.max_model_len = 1000;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.blocks_per_request, 63);
    assert_true(p.max_concurrency == (double)p.num_blocks / 63.0);

    /* auto max_model_len: the longest that fits, capped at the model's own */
    mb_plan_options_init(&o, sizeof o);
    o.max_model_len = -1;
    o.non_kv_memory = 70 * GiB;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.max_model_len, (p.num_blocks - 1) * 16); /* less the null block */
    assert_true(p.fits);
    o.non_kv_memory = 0;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_int_equal(p.max_model_len, 131072);
}

static void test_plan_does_not_fit(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    load("llama-3.1-8b.config.json", &m);
    mb_plan p = MB_PLAN_INIT;
    mb_plan_options o = MB_PLAN_OPTIONS_INIT;
    mb_snapshot dev;

    /* a max_model_len that cannot fit even alone: 16 GiB needed, about 6 GiB left */
    assert_int_equal(mb_snapshot_what_if(24 * GiB, MB_UNKNOWN, &dev), MB_OK);
    mb_plan_options_init(&o, sizeof o);
    o.non_kv_memory = 16 * GiB;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_false(p.fits);
    assert_true(p.startup_ok);
    /* max_num_seqs 256 on 24 GiB: 35 FULL decode graphs, 34 x 1 MiB (V2's floor) */
    int64_t blocks = ((int64_t)ceil(24.0 * GiB * 0.92) - 16 * GiB - 34 * MiB) / (2 * MiB);
    assert_int_equal(p.num_blocks, blocks);
    assert_non_null(strstr(p.verdict, "max_model_len 131072"));
    char want[96];
    snprintf(want, sizeof want, "the longest that fits is %lld tokens",
             (long long)(blocks - 1) * 16);
    assert_non_null(strstr(p.verdict, want));
    assert_non_null(strstr(p.verdict, "kv_cache_dtype fp8"));

    /* the start-up check fails: free memory below the request */
    assert_int_equal(mb_snapshot_what_if(80 * GiB, 40 * GiB, &dev), MB_OK);
    mb_plan_options_init(&o, sizeof o);
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_false(p.fits);
    assert_false(p.startup_ok);
    assert_non_null(strstr(p.verdict, "40.0 GiB free of 80.0 GiB"));
    assert_non_null(strstr(p.verdict, "lower gpu_memory_utilization to 0.50"));

    /* nothing left for the KV cache */
    assert_int_equal(mb_snapshot_what_if(16 * GiB, MB_UNKNOWN, &dev), MB_OK);
    mb_plan_options_init(&o, sizeof o);
    o.non_kv_memory = 15 * GiB;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_false(p.fits);
    assert_int_equal(p.num_blocks, 0);
    assert_true(p.budget.available_kv_cache_memory < 0);
    assert_non_null(strstr(p.verdict, "nothing is left"));

    /* an explicit KV size larger than what is free */
    assert_int_equal(mb_snapshot_what_if(80 * GiB, 20 * GiB, &dev), MB_OK);
    mb_plan_options_init(&o, sizeof o);
    o.gpu_memory_utilization = 0.2;
    o.kv_cache_memory_bytes = 30 * GiB;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_false(p.fits);
    assert_non_null(strstr(p.verdict, "kv_cache_memory_bytes 30.0 GiB"));
}

static void test_plan_bad_input(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    load("llama-3.1-8b.config.json", &m);
    mb_snapshot dev;
    assert_int_equal(mb_snapshot_what_if(80 * GiB, MB_UNKNOWN, &dev), MB_OK);
    mb_plan p = MB_PLAN_INIT;
    mb_plan_options o = MB_PLAN_OPTIONS_INIT;
    static const struct {
        int which;
        int code;
        const char *detail;
    } cases[] = {
        {0, MB_EINVAL, "gpu_memory_utilization 0 "},
        {1, MB_EINVAL, "gpu_memory_utilization 1.5"},
        {2, MB_ERANGE, "max_model_len 200000 is more than the model's own 131072"},
        {3, MB_EINVAL, "max_model_len -5"},
        {4, MB_ERANGE, "non_kv_memory 81.0 GiB is more than"},
        {5, MB_ERANGE, "kv_cache_memory_bytes 90.0 GiB"},
        {6, MB_EINVAL, "tensor_parallel_size 5"},
        {7, MB_EINVAL, "block_size 24"},
        {8, MB_EINVAL, "max_num_seqs -3"},
        {9, MB_EINVAL, "kv_cache_dtype int8"},
        {10, MB_EINVAL, "weights_memory 0"},
        {11, MB_ERANGE, "weights, 200.0 GiB per rank"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mb_plan_options_init(&o, sizeof o);
        switch (cases[i].which) {
        case 0: o.gpu_memory_utilization = 0; break;
        case 1: o.gpu_memory_utilization = 1.5; break;
        case 2: o.max_model_len = 200000; break;
        case 3: o.max_model_len = -5; break;
        case 4: o.non_kv_memory = 81 * GiB; break;
        case 5: o.kv_cache_memory_bytes = 90 * GiB; break;
        case 6: o.tensor_parallel_size = 5; break;
        case 7: o.block_size = 24; break;
        case 8: o.max_num_seqs = -3; break;
        case 9: o.kv_cache_dtype = "int8"; break;
        case 10: o.weights_memory = 0; break;
        case 11: o.weights_memory = 200 * GiB; break;
        }
        memset(&p, 0x5a, sizeof p);
        p.size = sizeof p;
        int rc = mb_plan_compute(&m, &dev, &o, &p);
        if (rc != cases[i].code || !strstr(mb_error_detail(), cases[i].detail))
            fail_msg("case %d: rc %d, detail '%s'", cases[i].which, rc,
                     mb_error_detail());
        assert_int_equal(p.num_blocks, 0); /* zeroed */
    }
    /* a model without a context length: vLLM assumes 2048, and refuses more unless
     * VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 */
    mb_model bare = MB_MODEL_INIT;
    const char *json = "{\"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
                       "\"hidden_size\": 256}";
    assert_int_equal(mb_model_parse(json, strlen(json), NULL, &bare), MB_OK);
    assert_int_equal(mb_plan_compute(&bare, &dev, NULL, &p), MB_OK);
    assert_int_equal(p.max_model_len, 2048);
    mb_plan_options_init(&o, sizeof o);
    o.max_model_len = 4096;
    assert_int_equal(mb_plan_compute(&bare, &dev, &o, &p), MB_ERANGE);
    detail_has("max_model_len 4096 is more than the model's own 2048",
               "VLLM_ALLOW_LONG_MAX_MODEL_LEN=1");
    o.allow_long_max_model_len = 1;
    assert_int_equal(mb_plan_compute(&bare, &dev, &o, &p), MB_OK);
    assert_true(p.fits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requested),
        cmocka_unit_test(test_startup_check),
        cmocka_unit_test(test_budget_profile_formula),
        cmocka_unit_test(test_budget_consumed_formula),
        cmocka_unit_test(test_budget_free_grew),
        cmocka_unit_test(test_budget_explicit_and_nofit),
        cmocka_unit_test(test_what_if),
        cmocka_unit_test(test_plan_by_hand),
        cmocka_unit_test(test_plan_options),
        cmocka_unit_test(test_plan_does_not_fit),
        cmocka_unit_test(test_plan_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
