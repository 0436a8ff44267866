/*
 * tests/estimate: the estimate of issue 15 from values: parameter counts worked out by
 * hand from the configs' numbers (the known totals of Llama-3.1-8B and Qwen3-30B-A3B),
 * quantized bytes, the activation and sampler formulas, the KV ranges and the three
 * verdicts, given and measured parts, several instances and every engine's settings, the
 * named devices, and bad input (unknown quantization, missing keys, zero layers).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/estimate.h"
#include "membudget.h"
#include "testutil.h"

#define GiB MB_GiB
#define CONFIGS MB_SOURCE_DIR "/tests/estimate/configs/"

/* The tests look inside the handle (core/estimate.h); each keeps one at a time in a
 * static so that a failed assertion's early return leaks nothing visible to LSan
 * (teardown frees it). */
static mb_arch *held[8];

static mb_arch *keep(mb_arch *a)
{
    for (int i = 0; i < 8; i++)
        if (!held[i]) {
            held[i] = a;
            return a;
        }
    fail_msg("too many models held");
    return a;
}

static int release(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++) {
        mb_arch_free(held[i]);
        held[i] = NULL;
    }
    return 0;
}

static mb_arch *load(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, CONFIGS "%s", file);
    mb_arch *a = NULL;
    int rc = mb_arch_load(path, &a);
    if (rc)
        fail_msg("%s: %s", file, mb_error_detail());
    return keep(a);
}

static mb_arch *parse(const char *json)
{
    mb_arch *a = NULL;
    int rc = mb_arch_parse(json, strlen(json), "test.json", &a);
    if (rc)
        fail_msg("parse: %s", mb_error_detail());
    return keep(a);
}

static mb_estimate_device h100(void)
{
    mb_estimate_device d;
    assert_int_equal(mb_estimate_device_find("H100", &d), MB_OK);
    return d;
}

/* Llama-3.1-8B by hand: embedding and lm_head 128256 x 4096 each (untied); per layer q and
 * o 4096 x 4096, k and v 4096 x 1024, MLP 3 x 4096 x 14336, two norms of 4096; 32 layers
 * and the final norm: 8,030,261,248 parameters, the published count. Plus the rotary
 * cache: 131072 positions x 128. */
static void test_llama_weights(void **state)
{
    (void)state;
    mb_arch *a = load("meta-llama--Llama-3.1-8B-Instruct.json");
    int64_t layer = 2 * 4096LL * 4096 + 2 * 4096LL * 1024 + 3 * 4096LL * 14336 + 2 * 4096;
    int64_t params = 2 * 128256LL * 4096 + 32 * layer + 4096;
    assert_int_equal(params, 8030261248LL);
    int64_t w;
    assert_int_equal(mb_arch_weights(a, 1, 1, &w), MB_OK);
    assert_int_equal(w, (params + 131072LL * 128) * 2);
    /* two ranks: every matrix halves (8 KV heads split 4 + 4), norms stay whole */
    int64_t layer2 = (2 * 4096LL * 4096 + 2 * 4096LL * 1024 + 3 * 4096LL * 14336) / 2 +
                     2 * 4096;
    int64_t params2 = 2 * 64128LL * 4096 + 32 * layer2 + 4096;
    assert_int_equal(mb_arch_weights(a, 2, 1, &w), MB_OK);
    assert_int_equal(w, (params2 + 131072LL * 128) * 2);
    /* sixteen ranks: 8 KV heads are replicated, one per rank */
    int64_t layer16 = (2 * 4096LL * 4096 + 3 * 4096LL * 14336) / 16 + 2 * 4096LL * 128 +
                      2 * 4096;
    int64_t params16 = 2 * (128256LL / 16) * 4096 + 32 * layer16 + 4096;
    assert_int_equal(mb_arch_weights(a, 16, 1, &w), MB_OK);
    assert_int_equal(w, (params16 + 131072LL * 128) * 2);
    /* two pipeline stages: 16 layers and one end (embedding or lm_head) each */
    assert_int_equal(mb_arch_weights(a, 1, 2, &w), MB_OK);
    assert_int_equal(w, (128256LL * 4096 + 4096 + 16 * layer + 131072LL * 128) * 2);
}

/* Qwen3-30B-A3B by hand: 128 experts of 3 x 2048 x 768, a 2048 x 128 router, GQA 32/4 of
 * 128, q/k norms; 30,532,122,624 parameters (the published count). */
static void test_moe_weights(void **state)
{
    (void)state;
    mb_arch *a = load("Qwen--Qwen3-30B-A3B.json");
    assert_int_equal(a->num_experts, 128);
    assert_int_equal(a->experts_per_token, 8);
    int64_t layer = 2048LL * 4096 + 2 * 2048LL * 512 + 4096LL * 2048 + 2 * 128 + 2 * 2048 +
                    128 * 3 * 2048LL * 768 + 2048LL * 128;
    int64_t params = 2 * 151936LL * 2048 + 48 * layer + 2048;
    assert_int_equal(params, 30532122624LL);
    int64_t w;
    assert_int_equal(mb_arch_weights(a, 1, 1, &w), MB_OK);
    assert_int_equal(w, (params + 40960LL * 128) * 2);
}

/* GPTQ 4-bit, group 128: half a byte, an fp16 scale and a packed 4-bit zero per 128. */
static void test_quantized_bytes(void **state)
{
    (void)state;
    mb_arch *a = load("RedHatAI--Meta-Llama-3.1-8B-Instruct-quantized.w4a16.json");
    assert_true(a->quant_known);
    assert_string_equal(a->quant_method, "gptq");
    assert_true(fabs(mb__quant_bytes_per_param(a) - (0.5 + 2.0 / 128 + 0.5 / 128)) < 1e-12);
    mb_arch *f = load("RedHatAI--Qwen2.5-7B-Instruct-fp8-dynamic.json");
    assert_true(fabs(mb__quant_bytes_per_param(f) - 1.0) < 1e-12);
    mb_arch *m = load("openai--gpt-oss-20b.json");
    assert_true(m->quant_experts_only);
    assert_true(fabs(mb__quant_bytes_per_param(m) - (0.5 + 1.0 / 32)) < 1e-12);
    /* the quantized Llama keeps its embeddings and lm_head in 16 bits */
    mb__param_count c;
    assert_int_equal(mb__arch_count(a, 1, 1, &c), MB_OK);
    assert_true(fabs(c.quantized - 32.0 * (2 * 4096.0 * 4096 + 2 * 4096.0 * 1024 +
                                           3 * 4096.0 * 14336)) < 1);
}

/* The activation peak follows profile_run: the sampler over min(max_num_seqs, tokens)
 * rows of the vocabulary, or the forward's live set when that is larger. */
static void test_activation(void **state)
{
    (void)state;
    mb_arch *a = load("meta-llama--Llama-3.1-8B-Instruct.json");
    mb_estimate_device d = h100();
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.max_num_seqs = 1024;
    o.max_num_batched_tokens = 8192;
    o.gpu_memory_utilization = 0.95;
    mb_estimate e = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    double sampler = 1024.0 * 128256 * MB__SAMPLER_BYTES + 8192.0 * 4096 * 2;
    double fwd = 8192.0 * 2 * (3 * 4096 + 3 * 14336);
    assert_true(sampler > fwd);
    assert_int_equal(e.activation.bytes, (int64_t)sampler);
    assert_int_equal(e.activation.source, MB_EST_ESTIMATED);
    assert_true(e.activation.low < e.activation.bytes && e.activation.bytes < e.activation.high);
    /* few rows: the forward wins */
    o.max_num_seqs = 8;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.activation.bytes, (int64_t)fwd);
    /* defaults on an H100 are vLLM 0.33's: 8192 tokens, 1024 requests */
    mb_estimate_options_init(&o, sizeof o);
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.max_num_batched_tokens, 8192);
    assert_int_equal(e.max_num_seqs, 1024);
    mb_estimate_device small;
    assert_int_equal(mb_estimate_device_find("RTX 4090", &small), MB_OK);
    assert_int_equal(mb_estimate_compute(a, &small, &o, &e), MB_OK);
    assert_int_equal(e.max_num_batched_tokens, 2048);
    assert_int_equal(e.max_num_seqs, 256);
}

/* V0's profile (vllm/worker/model_runner.py profile_run: max_num_seqs sequences sampled
 * with top_p 0.99 and top_k vocab - 1 on the driver rank): the sampler's peak counted
 * tensor by tensor in _apply_top_k_top_p (estimate_parts.c), 40 bytes per logit up to
 * 0.7.2 (the inverse-permutation re-sort), 32 after; a published 0.6.x start-up of
 * Meta-Llama-3-8B at 8192 tokens and 256 sequences logged 1.26 GiB at TP 1 and TP 2
 * (vllm#10511), where the V1 rule would say 0.84 and 0.52. Not sharded by TP: the driver
 * gathers the whole vocabulary. */
static void test_v0_sampler(void **state)
{
    (void)state;
    assert_true(mb__est_v0_sampler_bytes(604) == 40.0);
    assert_true(mb__est_v0_sampler_bytes(702) == 40.0);
    assert_true(mb__est_v0_sampler_bytes(703) == 32.0);
    assert_true(mb__est_v0_sampler_bytes(805) == 32.0);
    mb_arch *a = load("meta-llama--Meta-Llama-3-8B.json");
    mb_estimate_device d = h100();
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.max_num_seqs = 256;
    o.max_num_batched_tokens = 8192;
    o.max_model_len = 8192;
    mb_estimate e = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    int64_t v1 = e.activation.bytes;
    o.vllm_v0_release = 604;
    for (int tp = 1; tp <= 2; tp++) {
        o.tensor_parallel_size = tp;
        assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
        double want = 256.0 * 128256 * 40 + 8192.0 * 4096 * 2;
        assert_int_equal(e.activation.bytes, (int64_t)want);
        assert_true(fabs((double)e.activation.bytes / GiB - 1.26) < 0.05);
        assert_non_null(strstr(e.activation.reason, "V0"));
    }
    assert_true(e.activation.bytes > v1);
    /* a later V0 release re-sorts with one scatter: 32 bytes per logit */
    o.vllm_v0_release = 803;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.activation.bytes, (int64_t)(256.0 * 128256 * 32 + 8192.0 * 4096 * 2));
    /* zero is V1, as in 1.1 */
    o.vllm_v0_release = 0;
    o.tensor_parallel_size = 1;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.activation.bytes, v1);
}

/* V1's torch-native top-k/top-p (mb_estimate_options.sampler, 1.3): the sort's peak, 38
 * bytes per logit, on every rank; the default stays the kernels' figure; V0 ignores it. */
static void test_v1_sort_sampler(void **state)
{
    (void)state;
    assert_true(mb__est_v1_sort_bytes() == 38.0);
    mb_arch *a = load("meta-llama--Llama-3.1-8B-Instruct.json");
    mb_estimate_device d = h100();
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.max_num_seqs = 1024;
    o.max_num_batched_tokens = 8192;
    o.max_model_len = 16000;
    mb_estimate e = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    int64_t kernel = e.activation.bytes, kv_kernel = e.available_kv_cache_memory;
    assert_null(strstr(e.activation.reason, "sort"));
    o.sampler = MB_SAMPLER_TORCH_SORT;
    for (int tp = 1; tp <= 2; tp++) {
        o.tensor_parallel_size = tp;
        assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
        /* the whole vocabulary on each rank: V1 gathers the logits to every rank */
        assert_int_equal(e.activation.bytes,
                         (int64_t)(1024.0 * 128256 * 38 + 8192.0 * 4096 * 2));
        assert_non_null(strstr(e.activation.reason, "torch's top-k/top-p sort"));
    }
    /* a published H100 start-up of this model that sorted logs 4.76 GiB */
    assert_true(fabs((double)e.activation.bytes / GiB - 4.76) < 0.1);
    o.tensor_parallel_size = 1;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_true(e.activation.bytes > 2 * kernel);
    assert_true(e.available_kv_cache_memory < kv_kernel);
    /* V0 always sorts by its own rule */
    o.vllm_v0_release = 803;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.activation.bytes, (int64_t)(1024.0 * 128256 * 32 + 8192.0 * 4096 * 2));
    /* anything else is refused, naming the option */
    o.vllm_v0_release = 0;
    o.sampler = 3;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "mb_estimate_options.sampler 3"));
}

static int runner_at(mb_arch *a, const mb_estimate_device *d, int32_t release)
{
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.vllm_release = release;
    mb_estimate e = MB_ESTIMATE_INIT;
    if (mb_estimate_compute(a, d, &o, &e) != MB_OK)
        fail_msg("release %d: %s", (int)release, mb_error_detail());
    return e.model_runner;
}

/* A named release's rules (mb_estimate_options.vllm_release, 1.4), as each release's
 * vllm/config/vllm.py use_v2_model_runner and topk_topp_sampler.py decide them. */
static void test_vllm_release_rules(void **state)
{
    (void)state;
    mb_estimate_device d = h100();
    mb_arch *qwen3 = load("Qwen--Qwen3-8B.json");          /* Qwen3ForCausalLM, dense */
    mb_arch *llama = load("meta-llama--Llama-3.1-8B-Instruct.json");
    mb_arch *qwen2 = load("Qwen--Qwen2.5-7B.json");        /* Qwen2ForCausalLM, dense */
    mb_arch *moe = load("Qwen--Qwen3-30B-A3B.json");       /* Qwen3MoeForCausalLM */
    /* the runner: Qwen3 first (0.22), then Llama (0.23), every dense model (0.25), every
     * model (0.29); no release named keeps 1.3's V1 runner */
    assert_int_equal(runner_at(qwen3, &d, 2101), MB_RUNNER_V1);
    assert_int_equal(runner_at(qwen3, &d, 2200), MB_RUNNER_V2);
    assert_int_equal(runner_at(llama, &d, 2200), MB_RUNNER_V1);
    assert_int_equal(runner_at(llama, &d, 2300), MB_RUNNER_V2);
    assert_int_equal(runner_at(qwen2, &d, 2400), MB_RUNNER_V1);
    assert_int_equal(runner_at(qwen2, &d, 2500), MB_RUNNER_V2);
    assert_int_equal(runner_at(moe, &d, 2801), MB_RUNNER_V1);
    assert_int_equal(runner_at(moe, &d, 2900), MB_RUNNER_V2);
    assert_int_equal(runner_at(moe, &d, 0), MB_RUNNER_V1);

    /* V1's sampler: the kernels to 0.11.0, torch's sort from 0.11.1 to 0.16, the Triton
     * kernels from 0.17; on ROCm the sort until 0.17 */
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.max_num_seqs = 1024;
    o.max_num_batched_tokens = 1024;
    mb_estimate e = MB_ESTIMATE_INIT;
    const int32_t rel[] = {1100, 1101, 1401, 1700, 2000};
    const int sorted[] = {0, 1, 1, 0, 0};
    for (int i = 0; i < 5; i++) {
        o.vllm_release = rel[i];
        assert_int_equal(mb_estimate_compute(llama, &d, &o, &e), MB_OK);
        assert_int_equal(e.model_runner, MB_RUNNER_V1);
        assert_int_equal(e.sampler, sorted[i] ? MB_SAMPLER_TORCH_SORT : MB_SAMPLER_KERNEL);
        double per = sorted[i] ? 38 : 14.8;
        assert_int_equal(e.activation.bytes,
                         (int64_t)(1024.0 * 128256 * per + 1024.0 * 4096 * 2));
    }
    /* up to 0.11.0 V1 used FlashInfer's kernel only where it was installed: the range's top
     * is the sort's peak; from 0.17 the kernels are certain */
    const double sort_peak = 1024.0 * 128256 * 38 + 1024.0 * 4096 * 2;
    o.vllm_release = 1100;
    assert_int_equal(mb_estimate_compute(llama, &d, &o, &e), MB_OK);
    assert_true((double)e.activation.high >= sort_peak);
    assert_non_null(strstr(e.rules, "if installed"));
    o.vllm_release = 1700;
    assert_int_equal(mb_estimate_compute(llama, &d, &o, &e), MB_OK);
    assert_true((double)e.activation.high < sort_peak);
    o.vllm_release = 1401;
    o.sampler = MB_SAMPLER_FORCE_KERNEL;
    assert_int_equal(mb_estimate_compute(llama, &d, &o, &e), MB_OK);
    assert_int_equal(e.sampler, MB_SAMPLER_KERNEL);
    o.sampler = 0;
    mb_estimate_device amd;
    assert_int_equal(mb_estimate_device_find("MI300X", &amd), MB_OK);
    o.vllm_release = 1000;
    assert_int_equal(mb_estimate_compute(llama, &amd, &o, &e), MB_OK);
    assert_int_equal(e.sampler, MB_SAMPLER_TORCH_SORT);
    assert_int_equal(mb_estimate_compute(llama, &d, &o, &e), MB_OK);
    assert_int_equal(e.sampler, MB_SAMPLER_KERNEL);

    /* the V2 runner up to 0.32: the dummy sampler keeps the model-dtype logits only; from
     * 0.27 the penalty counts (max_num_seqs x (vocab + vocab / 32) int32, allocated after
     * the weights) are in the non-KV memory; no CUDA-graph estimate before 0.29 */
    const double logits = 1024.0 * 151936 * 2 + 1024.0 * 4096 * 2;
    const double penalties = 1024.0 * (151936 + 2 * 4748) * 4;
    o.vllm_release = 2601;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_OK);
    assert_int_equal(e.model_runner, MB_RUNNER_V2);
    assert_int_equal(e.activation.bytes, (int64_t)logits);
    int64_t nt_0_26 = e.non_torch.bytes;
    assert_non_null(strstr(e.non_torch.reason, "not counted before 0.27"));
    assert_false(e.cudagraph_charged);
    o.vllm_release = 2701;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_OK);
    assert_int_equal(e.non_torch.bytes - nt_0_26, (int64_t)penalties);
    assert_false(e.cudagraph_charged);
    assert_non_null(strstr(e.rules, "V2"));
    o.vllm_release = 2900;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_OK);
    assert_true(e.cudagraph_charged);
    assert_int_equal(e.activation.bytes, (int64_t)logits);
    /* 0.33's warm-up pass: FlashInfer's sampler on capability 8.0-12.1 (the V1 kernel's
     * tensors), else the Triton kernels (2 + 4 bytes) and their cached rows (128 SMs) */
    o.vllm_release = 3300;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_OK);
    assert_int_equal(e.activation.bytes,
                     (int64_t)(1024.0 * 151936 * 14.8 + 1024.0 * 4096 * 2));
    mb_estimate_device t4 = d;
    t4.cc_major = 7;
    t4.cc_minor = 5;
    assert_int_equal(mb_estimate_compute(qwen3, &t4, &o, &e), MB_OK);
    assert_int_equal(e.activation.bytes, (int64_t)(1024.0 * 151936 * 6 + 1024.0 * 4096 * 2 +
                                                   128.0 * 151936 * 4));
    /* charge_cudagraphs 0 still turns the charge off; V1 charges from 0.20.0 (envs.py's
     * VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS default "1"), on ROCm from 0.26 */
    o.charge_cudagraphs = 0;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_OK);
    assert_false(e.cudagraph_charged);
    o.charge_cudagraphs = 1;
    o.vllm_release = 1901;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_OK);
    assert_false(e.cudagraph_charged);
    assert_int_equal(e.model_runner, MB_RUNNER_V1);
    o.vllm_release = 2000;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_OK);
    assert_true(e.cudagraph_charged);
    o.vllm_release = 2500; /* the MoE model stays on the V1 runner there */
    assert_int_equal(mb_estimate_compute(moe, &amd, &o, &e), MB_OK);
    assert_false(e.cudagraph_charged);
    o.vllm_release = 2600;
    assert_int_equal(mb_estimate_compute(moe, &amd, &o, &e), MB_OK);
    assert_int_equal(e.model_runner, MB_RUNNER_V1);
    assert_true(e.cudagraph_charged);
    /* V2 before 0.26 copied the logits to float32 whatever the parameters */
    o.vllm_release = 2500;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_OK);
    assert_int_equal(e.model_runner, MB_RUNNER_V2);
    assert_int_equal(e.activation.bytes,
                     (int64_t)(1024.0 * 151936 * (2 + 4) + 1024.0 * 4096 * 2));
    /* a pooling architecture runs the pooler, not the sampler: V1 before 0.29, no
     * sampler term and no penalty counts */
    {
        FILE *f = fopen(CONFIGS "Qwen--Qwen3-8B.json", "rb");
        assert_non_null(f);
        static char text[65536];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        char *at = strstr(text, "Qwen3ForCausalLM");
        assert_non_null(at);
        static char edited[65600];
        snprintf(edited, sizeof edited, "%.*sQwen3ForSequenceClassification%s",
                 (int)(at - text), text, at + strlen("Qwen3ForCausalLM"));
        mb_arch *cls = parse(edited);
        o.vllm_release = 2801;
        assert_int_equal(mb_estimate_compute(cls, &d, &o, &e), MB_OK);
        assert_int_equal(e.model_runner, MB_RUNNER_V1);
        o.vllm_release = 3300;
        assert_int_equal(mb_estimate_compute(cls, &d, &o, &e), MB_OK);
        assert_int_equal(e.model_runner, MB_RUNNER_V2);
        assert_null(strstr(e.non_torch.reason, "penalty"));
        assert_true(e.activation.bytes < 1024.0 * 151936 * 2); /* the forward alone */
    }
    o.vllm_release = 3300;

    /* bad combinations are refused, naming the options */
    o.vllm_release = 700;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "mb_estimate_options.vllm_release 700"));
    o.vllm_release = 3300;
    o.vllm_v0_release = 604;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "vllm_v0_release are both set"));
    o.vllm_v0_release = 0;
    o.sampler = MB_SAMPLER_TORCH_SORT;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "with the V2 model runner"));
    o.sampler = 0;
    o.model_runner = 3;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "mb_estimate_options.model_runner 3"));
    o.model_runner = MB_RUNNER_V2;
    o.vllm_release = 1101;
    assert_int_equal(mb_estimate_compute(qwen3, &d, &o, &e), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "exists from 0.12.0"));
    /* a runner asked for alone follows 0.33 */
    o.vllm_release = 0;
    assert_int_equal(mb_estimate_compute(llama, &d, &o, &e), MB_OK);
    assert_int_equal(e.model_runner, MB_RUNNER_V2);
    assert_true(e.cudagraph_charged);
}

/* KV = requested - parts; the range from the parts' ranges; the verdicts. */
static void test_budget_and_verdicts(void **state)
{
    (void)state;
    mb_arch *a = load("meta-llama--Llama-3.1-8B-Instruct.json");
    mb_estimate_device d = h100();
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.gpu_memory_utilization = 0.95;
    o.max_model_len = 8192;
    mb_estimate e = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    int64_t req;
    assert_int_equal(mb_budget_requested(d.total_memory, 0.95, &req), MB_OK);
    assert_int_equal(e.requested_memory, req);
    assert_true(e.cudagraph_charged);
    int64_t mid = e.weights.bytes + e.activation.bytes + e.non_torch.bytes + e.cudagraph.bytes;
    assert_true(llabs(e.available_kv_cache_memory - (req - mid)) <= 4);
    int64_t hi = e.weights.high + e.activation.high + e.non_torch.high + e.cudagraph.high;
    assert_true(llabs(e.available_kv_cache_memory_low - (req - hi)) <= 4);
    assert_true(e.available_kv_cache_memory_low < e.available_kv_cache_memory &&
                e.available_kv_cache_memory < e.available_kv_cache_memory_high);
    assert_int_equal(e.kv_cache_tokens, e.available_kv_cache_memory / (131072 * 16) * 16);
    assert_int_equal(e.verdict, MB_EST_FITS);
    assert_non_null(strstr(e.verdict_text, "fits"));
    /* before 0.20 the graphs are predicted but not taken from the KV cache */
    o.charge_cudagraphs = 0;
    mb_estimate old = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &old), MB_OK);
    assert_false(old.cudagraph_charged);
    assert_int_equal(old.cudagraph.bytes, e.cudagraph.bytes);
    assert_true(llabs(old.available_kv_cache_memory -
                      (e.available_kv_cache_memory + e.cudagraph.bytes)) <= 4);
    /* a request just inside the optimistic bound but outside the pessimistic: may not fit */
    o.charge_cudagraphs = 1;
    int64_t lo_tok = e.kv_cache_tokens_low, hi_tok = e.kv_cache_tokens_high;
    o.max_model_len = (lo_tok + hi_tok) / 2;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.verdict, MB_EST_MAY_NOT_FIT);
    o.max_model_len = hi_tok + 1024;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.verdict, MB_EST_DOES_NOT_FIT);
    assert_non_null(strstr(e.verdict_text, "does not fit"));
    /* a 14 GiB device: the weights alone leave nothing */
    mb_estimate_device s = d;
    s.total_memory = 14 * GiB;
    o.max_model_len = 4096;
    assert_int_equal(mb_estimate_compute(a, &s, &o, &e), MB_OK);
    assert_int_equal(e.verdict, MB_EST_DOES_NOT_FIT);
    assert_true(e.available_kv_cache_memory_high < 0);
}

/* Given and measured parts carry no range. */
static void test_given_parts(void **state)
{
    (void)state;
    mb_arch *a = load("meta-llama--Llama-3.1-8B-Instruct.json");
    mb_estimate_device d = h100();
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.non_kv_memory = 17 * GiB;
    o.cudagraph_first = 300 * MB_MiB;
    o.cudagraph_second = 3 * MB_MiB;
    mb_estimate e = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.activation.source, MB_EST_GIVEN);
    assert_int_equal(e.activation.low, e.activation.high);
    assert_int_equal(e.cudagraph.source, MB_EST_MEASURED);
    assert_int_equal(e.cudagraph.bytes, 300 * MB_MiB + (e.num_cudagraphs - 1) * 3 * MB_MiB);
    assert_int_equal(e.available_kv_cache_memory, e.available_kv_cache_memory_low);
    assert_int_equal(e.available_kv_cache_memory, e.requested_memory - 17 * GiB -
                                                      e.cudagraph.bytes);
    mb_estimate_options_init(&o, sizeof o);
    o.weights_memory = 10 * GiB;
    o.enforce_eager = 1;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.weights.source, MB_EST_GIVEN);
    assert_int_equal(e.weights.bytes, 10 * GiB);
    assert_int_equal(e.cudagraph.source, MB_EST_NONE);
    assert_int_equal(e.cudagraph.bytes, 0);
}

/* Two engines on one H100, and every engine's settings for the pessimistic KV figure. */
static void test_instances_and_knobs(void **state)
{
    (void)state;
    mb_arch *a = load("Qwen--Qwen3-8B.json");
    mb_estimate_device d = h100();
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.instances = 2;
    o.max_model_len = 8192;
    mb_estimate e = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.requested_memory, d.total_memory / 2 - e.context_memory);
    assert_true(e.startup_ok);
    const mb_engine_knobs *k = &e.knobs;
    assert_true(fabs(k->vllm_gpu_memory_utilization -
                     floor((double)e.requested_memory / (double)d.total_memory * 10000) /
                         10000) < 1e-12);
    assert_true(2 * k->vllm_gpu_memory_utilization * (double)d.total_memory <=
                (double)d.total_memory);
    assert_int_equal(k->vllm_kv_cache_memory_bytes, e.available_kv_cache_memory_low);
    double frac = floor((double)(e.context_memory + e.weights.high +
                                 e.available_kv_cache_memory_low) /
                        (double)d.total_memory * 1000) / 1000;
    assert_true(fabs(k->sglang_mem_fraction_static - frac) < 1e-12);
    assert_int_equal(k->sglang_max_total_tokens, e.kv_cache_tokens_low);
    assert_int_equal(k->trtllm_max_tokens, e.kv_cache_tokens_low);
    assert_true(k->trtllm_free_gpu_memory_fraction > 0 &&
                k->trtllm_free_gpu_memory_fraction <= 1);
    /* a cap per instance */
    mb_estimate_options_init(&o, sizeof o);
    o.memory_cap = 30 * GiB;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_equal(e.requested_memory, 30 * GiB);
    /* three instances of 30 GiB do not fit in 79 GiB */
    o.instances = 3;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_ERANGE);
    assert_non_null(strstr(mb_error_detail(), "memory_cap"));
}

static void test_devices(void **state)
{
    (void)state;
    mb_estimate_device d;
    assert_int_equal(mb_estimate_device_find("NVIDIA H100 80GB HBM3", &d), MB_OK);
    assert_int_equal(d.cc_major, 9);
    assert_int_equal(mb_estimate_device_find("h100-sxm5", &d), MB_OK);
    assert_string_equal(d.name, "NVIDIA H100 80GB HBM3");
    assert_int_equal(mb_estimate_device_find("4090", &d), MB_OK);
    assert_string_equal(d.name, "NVIDIA GeForce RTX 4090");
    assert_int_equal(mb_estimate_device_find("A100-40GB", &d), MB_OK);
    assert_int_equal(d.total_memory, (int64_t)(39.50 * (double)GiB));
    assert_int_equal(mb_estimate_device_find("MI300X", &d), MB_OK);
    assert_int_equal(d.vendor, MB_GPU_AMD);
    /* one table with --gpu list (core/gpus.c): the same total and capability */
    mb_gpu_spec spec;
    const char *names[] = {"H100", "A100-80GB", "RTX 4090", "MI300X", "GB10", "RTX PRO 4500"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_int_equal(mb_estimate_device_find(names[i], &d), MB_OK);
        assert_int_equal(mb_gpu_spec_find(names[i], &spec), MB_OK);
        assert_int_equal(d.total_memory, spec.total_memory);
        if (d.vendor == MB_GPU_NVIDIA)
            assert_int_equal(d.cc_major * 10 + d.cc_minor, spec.compute_capability);
    }
    /* the runtime's product names, case and separators aside */
    assert_int_equal(mb_estimate_device_find("NVIDIA L4", &d), MB_OK);
    assert_string_equal(d.name, "NVIDIA L4");
    assert_int_equal(mb_estimate_device_find("NVIDIA A100-SXM4-40GB", &d), MB_OK);
    assert_int_equal(d.total_memory, (int64_t)(39.50 * (double)GiB + 0.5));
    assert_int_equal(mb_estimate_device_find("L40", &d), MB_ENODEV); /* not L4, not L40S */
    /* the H100's total as vLLM 0.19 logs it (79.19 GiB), not the datasheet's 80 GB */
    assert_int_equal(mb_estimate_device_find("H100", &d), MB_OK);
    assert_int_equal(d.total_memory, (int64_t)(79.19 * (double)GiB + 0.5));
    assert_int_equal(mb_estimate_device_find("Voodoo5", &d), MB_ENODEV);
    assert_non_null(strstr(mb_error_detail(), "total_memory"));
    /* AMD's larger context and runtime libraries */
    assert_int_equal(mb_estimate_device_find("MI300X", &d), MB_OK);
    mb_arch *a = load("Qwen--Qwen3-8B.json");
    mb_estimate e = MB_ESTIMATE_INIT, n = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, NULL, &e), MB_OK);
    mb_estimate_device h = h100();
    h.total_memory = d.total_memory;
    assert_int_equal(mb_estimate_compute(a, &h, NULL, &n), MB_OK);
    assert_true(e.non_torch.bytes > n.non_torch.bytes);
    assert_true(e.context_memory > n.context_memory);
}

/* Bad input: the part becomes unknown with its reason, never a silent zero. */
static void test_bad_input(void **state)
{
    (void)state;
    mb_arch *a = parse("{\"model_type\":\"llama\",\"num_hidden_layers\":4,\"num_attention_heads\":8,"
          "\"hidden_size\":512,\"intermediate_size\":1024,\"vocab_size\":1000,"
          "\"max_position_embeddings\":2048,"
          "\"quantization_config\":{\"quant_method\":\"exl3\",\"bits\":3}}");
    assert_false(a->quant_known);
    int64_t w;
    assert_int_equal(mb_arch_weights(a, 1, 1, &w), MB_EINVAL);
    assert_int_equal(w, MB_UNKNOWN);
    assert_non_null(strstr(mb_error_detail(), "exl3"));
    mb_estimate_device d = h100();
    mb_estimate e = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, NULL, &e), MB_OK);
    assert_int_equal(e.weights.source, MB_EST_UNKNOWN);
    assert_int_equal(e.weights.bytes, MB_UNKNOWN);
    assert_non_null(strstr(e.weights.reason, "weights_memory"));
    assert_int_equal(e.available_kv_cache_memory, MB_UNKNOWN);
    assert_int_equal(e.kv_cache_tokens, MB_UNKNOWN);
    assert_int_equal(e.verdict, MB_EST_MAY_NOT_FIT);
    assert_non_null(strstr(e.verdict_text, "exl3"));
    /* weights_memory supplies the part */
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.weights_memory = GiB;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_int_not_equal(e.available_kv_cache_memory, MB_UNKNOWN);

    /* vocabulary 0: the activation needs it */
    a = parse("{\"num_hidden_layers\":4,\"num_attention_heads\":8,\"hidden_size\":512,"
          "\"intermediate_size\":1024,\"vocab_size\":0,\"max_position_embeddings\":2048}");
    assert_non_null(strstr(a->arch_reason, "vocab_size"));
    assert_int_equal(mb_estimate_compute(a, &d, NULL, &e), MB_OK);
    assert_int_equal(e.activation.source, MB_EST_UNKNOWN);
    assert_non_null(strstr(e.activation.reason, "non_kv_memory"));
    assert_int_equal(e.cudagraph.source, MB_EST_UNKNOWN);
    /* zero layers: refused by the parse, naming the field */
    const char *zero = "{\"num_hidden_layers\":0,\"num_attention_heads\":8,"
                       "\"hidden_size\":512,\"vocab_size\":100}";
    mb_arch *z = (mb_arch *)&held; /* anything but NULL: a failed parse must clear it */
    assert_int_equal(mb_arch_parse(zero, strlen(zero), "zero.json", &z), MB_EINVAL);
    assert_null(z);
    assert_non_null(strstr(mb_error_detail(), "num_hidden_layers"));
    /* options */
    a = load("Qwen--Qwen3-8B.json");
    mb_estimate_options_init(&o, sizeof o);
    o.pipeline_parallel_size = 99;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "pipeline_parallel_size"));
    mb_estimate_options_init(&o, sizeof o);
    o.gpu_memory_utilization = 1.5;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_EINVAL);
    assert_int_equal(mb_estimate_compute(NULL, &d, NULL, &e), MB_EINVAL);
    assert_int_equal(mb_estimate_compute(a, &d, NULL, NULL), MB_EINVAL);
}

static const char *source_of(cJSON *est, const char *part)
{
    cJSON *p = cJSON_GetObjectItemCaseSensitive(est, part);
    cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "source");
    return cJSON_IsString(s) ? s->valuestring : "";
}

/* `membudget plan --gpu NAME` end to end. */
static void test_cli(void **state)
{
    (void)state;
    char *out, *err;
    int rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-8B.json --gpu H100 "
                              "--max-model-len 8192 --json", &out, &err);
    assert_int_equal(rc, 0);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    cJSON *est = cJSON_GetObjectItemCaseSensitive(j, "estimate");
    assert_non_null(est);
    assert_string_equal(source_of(est, "weights_memory"), "config");
    assert_string_equal(source_of(est, "activation_peak"), "estimated");
    assert_string_equal(source_of(est, "non_torch_memory"), "estimated");
    assert_string_equal(source_of(est, "cudagraph_memory"), "estimated");
    const char *keys[] = {"available_kv_cache_memory_low", "available_kv_cache_memory_high",
                          "kv_cache_tokens_low", "kv_cache_tokens_high", "max_concurrency_low",
                          "max_concurrency_high"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, keys[i])));
    cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "non_kv_source");
    assert_string_equal(src->valuestring, "estimated");
    cJSON *v = cJSON_GetObjectItemCaseSensitive(est, "verdict");
    assert_string_equal(v->valuestring, "fits");
    /* the plan's KV figure is the estimate's central one */
    double plan_kv = cJSON_GetObjectItemCaseSensitive(j, "available_kv_cache_memory")->valuedouble;
    double est_kv =
        cJSON_GetObjectItemCaseSensitive(est, "available_kv_cache_memory")->valuedouble;
    assert_true(fabs(plan_kv - est_kv) < 2.0 * MB_MiB);
    cJSON_Delete(j);
    free(out);
    free(err);

    /* the release's rules: 0.33.0 by default (the V2 runner, its graphs charged); 0.27.1
     * runs Qwen3 with the V2 runner, which charges no graphs; a V0 release is refused */
    rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-32B.json --gpu RTX-PRO-6000 "
                          "-tp 2 --vllm-version 0.27.1 --json", &out, &err);
    assert_int_equal(rc, 0);
    j = cJSON_Parse(out);
    assert_non_null(j);
    est = cJSON_GetObjectItemCaseSensitive(j, "estimate");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(est, "model_runner")->valuestring,
                        "v2");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(est, "cudagraph_charged")));
    assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(est, "rules")->valuestring,
                           "vLLM 0.27.1"));
    cJSON_Delete(j);
    free(out);
    free(err);
    rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-32B.json --gpu H100 "
                          "--max-model-len 8192 --model-runner v1", &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "vLLM 0.33.0: the V1 runner, as asked"));
    assert_non_null(strstr(out, "model runner V1"));
    free(out);
    free(err);
    /* VLLM_USE_V2_MODEL_RUNNER picks the estimate's runner and the plan's graphs alike */
    rc = tu_run_cli("VLLM_USE_V2_MODEL_RUNNER=0", "plan --model " CONFIGS
                    "Qwen--Qwen3-8B.json --gpu H100 --max-model-len 8192", &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "vLLM 0.33.0: the V1 runner, as asked"));
    assert_non_null(strstr(out, "model runner V1"));
    free(out);
    free(err);
    rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-32B.json --gpu H100 "
                          "--vllm-version 0.6.4", &out, &err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "--vllm-version '0.6.4'"));
    assert_non_null(strstr(err, "--vllm-v0"));
    free(out);
    free(err);

    /* a part that cannot be estimated leaves the tokens unknown too, never a number */
    rc = tu_run_cli(NULL, "plan --model " MB_SOURCE_DIR "/tests/fixtures/models/"
                          "gemma-3-12b-it.config.json --gpu H100", &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "KV tokens      unknown"));
    assert_null(strstr(out, "-9223372036854775808"));
    assert_null(strstr(out, "nan"));
    free(out);
    free(err);

    rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-8B.json --gpu H100 --instances 2",
                    &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "2 instances"));
    assert_non_null(strstr(out, "SGLang --mem-fraction-static"));
    assert_non_null(strstr(out, "verdict        fits"));
    free(out);
    free(err);

    /* the weights alone exceed the device at TP 1: say so, and what to change */
    rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-30B-A3B.json --total-memory 24GiB "
                          "--estimate", &out, &err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "--tensor-parallel-size"));
    free(out);
    free(err);

    rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-8B.json --gpu Voodoo5", &out,
                    &err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "Voodoo5"));
    free(out);
    free(err);
    rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-8B.json --gpu H100 "
                          "--instances 0", &out, &err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "--instances"));
    free(out);
    free(err);

    /* --vllm-v0: the V0 engine's profile; a release that is not 0.Y[.Z] is refused */
    rc = tu_run_cli(NULL, "plan --model " CONFIGS "meta-llama--Meta-Llama-3-8B.json --gpu H100 "
                          "--max-num-seqs 256 --max-num-batched-tokens 8192 --vllm-v0 0.6.4",
                    &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "activation     1.29 GiB"));
    assert_non_null(strstr(out, "V0, top-k/top-p sort on the driver rank"));
    free(out);
    free(err);
    rc = tu_run_cli(NULL, "plan --model " CONFIGS "Qwen--Qwen3-8B.json --gpu H100 "
                          "--vllm-v0 1.2", &out, &err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "--vllm-v0 '1.2'"));
    free(out);
    free(err);
}

/* Sliding-window layers: the estimate counts tokens with the plan's KV groups
 * (kv_groups.c), so that plan and estimate agree; gpt-oss-20b has 12 layers of a 128-token
 * window beside 12 full ones, which gives ~1.8 times the tokens of a full-attention count at
 * a long max_model_len. */
static void test_sliding_window_tokens(void **state)
{
    (void)state;
    mb_arch *a = load("openai--gpt-oss-20b.json");
    mb_estimate_device d = h100();
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.max_model_len = 131072;
    mb_estimate e = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(a, &d, &o, &e), MB_OK);
    assert_true(e.available_kv_cache_memory > 0);
    double full = (double)e.available_kv_cache_memory / (double)e.bytes_per_token;
    assert_true((double)e.kv_cache_tokens > 1.6 * full);
    assert_true(e.kv_cache_tokens_low <= e.kv_cache_tokens);
    assert_true(e.kv_cache_tokens <= e.kv_cache_tokens_high);
    assert_true(e.max_concurrency > 1.6 * full / 131072.0);

    /* the CLI: the plan's tokens and concurrency are the estimate's central ones, for a
     * sliding-window model (gpt-oss, Gemma 2) and a full-attention one */
    const char *models[] = {"openai--gpt-oss-20b.json --max-model-len 131072",
                            "google--gemma-2-9b-it.json", "Qwen--Qwen3-8B.json"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char cmd[512], *out, *err;
        snprintf(cmd, sizeof cmd, "plan --model " CONFIGS "%s --gpu H100 --json", models[i]);
        assert_int_equal(tu_run_cli(NULL, cmd, &out, &err), 0);
        cJSON *j = cJSON_Parse(out);
        free(out);
        free(err);
        assert_non_null(j);
        cJSON *est = cJSON_GetObjectItemCaseSensitive(j, "estimate");
        double pt = cJSON_GetObjectItemCaseSensitive(j, "kv_cache_tokens")->valuedouble;
        double et = cJSON_GetObjectItemCaseSensitive(est, "kv_cache_tokens")->valuedouble;
        double pc = cJSON_GetObjectItemCaseSensitive(j, "max_concurrency")->valuedouble;
        double ec = cJSON_GetObjectItemCaseSensitive(est, "max_concurrency")->valuedouble;
        cJSON_Delete(j);
        /* the two KV figures differ by the plan's rounding only (< 2 MiB: a few blocks) */
        if (!(fabs(pt - et) <= 0.002 * et && fabs(pc - ec) <= 0.002 * ec))
            fail_msg("%s: plan %.0f tokens / %.3f requests, estimate %.0f / %.3f", models[i],
                     pt, pc, et, ec);
    }
}

/* The multimodal encoder's profile budget, as vLLM 0.33 works it out (compute_mm_encoder_budget
 * and MultiModalBudget.get_max_items; estimate_towers.c): Qwen2.5-VL's largest image is
 * 3584 x 3584 pixels at the processor's default max_pixels, 65536 patches and 16384 tokens;
 * Gemma 3's 256 tokens from 4096 SigLIP patches. */
static void test_multimodal_budget(void **state)
{
    (void)state;
    mb_arch *q = load("Qwen--Qwen2.5-VL-7B-Instruct.json");
    assert_int_equal(q->mm_tokens_per_item, 16384);
    assert_int_equal(q->mm_patches_per_item, 65536);
    assert_int_equal(q->vision_hidden, 1280);
    int64_t budget, items;
    /* one item is more than max_num_batched_tokens: the budget rises to it */
    mb__est_encoder_budget(q, 8192, 1024, 16384, &budget, &items);
    assert_int_equal(budget, 16384);
    assert_int_equal(items, 1);
    /* 65536 tokens hold 4 images; 1 per 16384-token prompt, 1024 requests */
    mb__est_encoder_budget(q, 65536, 1024, 16384, &budget, &items);
    assert_int_equal(budget, 65536);
    assert_int_equal(items, 4);
    /* ... but one request of one image caps the batch */
    mb__est_encoder_budget(q, 65536, 1, 16384, &budget, &items);
    assert_int_equal(items, 1);

    /* The video item (qwen2_vl.py, vLLM 0.33): frames counted up from 1 while their groups
     * of 16384 tokens fit max_model_len, at most 14, padded to pairs (temporal_patch_size
     * 2). At 2048 and 16384 a video is one group, a tie, and the image is profiled (the
     * vLLM 0.9.0.1 start-up on an L4 in tests/estimate logs "1 image items" at 2048) */
    int64_t tok, pat;
    int video;
    assert_int_equal(q->mm_video_temporal, 2);
    mb__est_mm_item(q, 2048, &tok, &pat, &video);
    assert_int_equal(tok, 16384);
    assert_int_equal(pat, 65536);
    assert_int_equal(video, 0);
    mb__est_mm_item(q, 16384, &tok, &pat, &video);
    assert_int_equal(video, 0);
    /* 32768: 4 frames, 2 groups, 32768 tokens; 5 frames would pad to 3 groups */
    mb__est_mm_item(q, 32768, &tok, &pat, &video);
    assert_int_equal(tok, 32768);
    assert_int_equal(pat, 131072);
    assert_int_equal(video, 1);
    /* 128000: 14 frames, 7 groups: vLLM 0.23.0 logs "a budget of 114688 tokens, and
     * profiled with 1 video items" for Qwen2.5-VL-7B at that length */
    mb__est_mm_item(q, 128000, &tok, &pat, &video);
    assert_int_equal(tok, 114688);
    assert_int_equal(pat, 458752);
    assert_int_equal(video, 1);
    mb__est_encoder_budget(q, 2048, 256, 128000, &budget, &items);
    assert_int_equal(budget, 114688);
    assert_int_equal(items, 1);
    /* _MAX_FRAMES_PER_VIDEO caps the frames however long the context */
    mb__est_mm_item(q, 10000000, &tok, &pat, &video);
    assert_int_equal(tok, 114688);

    assert_int_equal(q->vision_gated, 1);           /* silu: gate_up_proj, down_proj */
    assert_int_equal(q->mm_pixels_per_patch, 1176); /* 3 x 2 x 14 x 14 */
    assert_int_equal(q->mm_output_levels, 1);

    /* Qwen3-VL (qwen3_vl.py, vLLM 0.33): the image at the checkpoints' longest_edge
     * 16777216 is 4096 x 4096 pixels, 256 x 256 patches of 16, 16384 tokens; its video (two
     * frames at 25165824 pixels over the temporal patch, 12288 tokens) never has more, so
     * the image is profiled at every max_model_len */
    mb_arch *q3 = load("Qwen--Qwen3-VL-30B-A3B-Instruct.json");
    assert_int_equal(q3->mm_tokens_per_item, 16384);
    assert_int_equal(q3->mm_patches_per_item, 65536);
    assert_int_equal(q3->mm_video_temporal, 0);
    assert_int_equal(q3->mm_pixels_per_patch, 1536); /* 3 x 2 x 16 x 16 */
    assert_int_equal(q3->mm_output_levels, 4);       /* 1 + 3 deepstack levels */
    assert_int_equal(q3->vision_gated, 0);           /* gelu_pytorch_tanh: fc1, fc2 */
    mb__est_mm_item(q3, 128000, &tok, &pat, &video);
    assert_int_equal(tok, 16384);
    assert_int_equal(video, 0);
    mb__est_encoder_budget(q3, 2048, 256, 65536, &budget, &items);
    assert_int_equal(budget, 16384);
    assert_int_equal(items, 1);
    /* each deepstack level has a merger of its own: (4 x 1152)^2 + 4 x 1152 x 2048 */
#define TOWER(levels)                                                                      \
    "{\"depth\": 27, \"hidden_size\": 1152, \"intermediate_size\": 4304, \"patch_size\": 16, " \
    "\"temporal_patch_size\": 2, \"in_channels\": 3, \"deepstack_visual_indexes\": " levels "}"
    cJSON *with = cJSON_Parse(TOWER("[8, 16, 24]"));
    cJSON *without = cJSON_Parse(TOWER("[]"));
#undef TOWER
    assert_non_null(with);
    assert_non_null(without);
    int64_t merger = (int64_t)4608 * 4608 + (int64_t)4608 * 2048;
    assert_int_equal(mb__est_tower_params(with, 2048, 4, 1) -
                         mb__est_tower_params(without, 2048, 4, 1),
                     3 * merger);
    cJSON_Delete(with);
    cJSON_Delete(without);

    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/models/gemma-3-12b-it.config.json",
             MB_SOURCE_DIR);
    mb_arch *g = NULL;
    assert_int_equal(mb_arch_load(path, &g), MB_OK);
    keep(g);
    assert_int_equal(g->mm_tokens_per_item, 256);
    assert_int_equal(g->mm_patches_per_item, 4096);
    assert_int_equal(g->mm_video_temporal, 0); /* Gemma 3 takes no video */
    mb__est_encoder_budget(g, 8192, 1024, 131072, &budget, &items);
    assert_int_equal(budget, 8192);
    assert_int_equal(items, 32);
    mb__est_encoder_budget(g, 8192, 4, 256, &budget, &items);
    assert_int_equal(items, 4);

    /* a LLaVA-style tower: (336 / 14)^2 = 576 patches, one token each */
    mb_arch *l = parse("{\"model_type\":\"llava\",\"num_hidden_layers\":4,"
                       "\"num_attention_heads\":8,\"hidden_size\":512,\"intermediate_size\":1024,"
                       "\"vocab_size\":1000,\"max_position_embeddings\":4096,"
                       "\"vision_config\":{\"hidden_size\":1024,\"num_hidden_layers\":24,"
                       "\"image_size\":336,\"patch_size\":14}}");
    assert_int_equal(l->mm_tokens_per_item, 576);
    /* a text model has no encoder budget */
    mb_arch *t = load("Qwen--Qwen3-8B.json");
    mb__est_encoder_budget(t, 8192, 1024, 32768, &budget, &items);
    assert_int_equal(items, 0);

    /* the activation part follows the budget: 4 images cost more than 1 */
    mb_estimate_device d = h100();
    mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
    o.max_model_len = 16384;
    mb_estimate one = MB_ESTIMATE_INIT, four = MB_ESTIMATE_INIT, vid = MB_ESTIMATE_INIT;
    assert_int_equal(mb_estimate_compute(q, &d, &o, &one), MB_OK);
    assert_non_null(strstr(one.activation.reason, "encoder over 1 image of 16384 tokens"));
    o.max_num_batched_tokens = 65536;
    assert_int_equal(mb_estimate_compute(q, &d, &o, &four), MB_OK);
    assert_non_null(strstr(four.activation.reason, "encoder over 4 images"));
    assert_true(four.activation.bytes > one.activation.bytes);
    assert_true(one.activation.low < one.activation.bytes &&
                one.activation.bytes < one.activation.high);
    /* at 128000 tokens the profile encodes one 14-frame video: 7 times an image's patches
     * (the published vLLM 0.23.0 start-up of this model at that length left -14.28 GiB of
     * KV cache at utilization 0.22 on an 80 GiB A100) */
    o.max_model_len = 128000;
    o.max_num_batched_tokens = 0;
    assert_int_equal(mb_estimate_compute(q, &d, &o, &vid), MB_OK);
    assert_non_null(strstr(vid.activation.reason, "encoder over 1 video of 114688 tokens"));
    assert_true(vid.activation.bytes > 5 * one.activation.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_llama_weights, release),
        cmocka_unit_test_teardown(test_moe_weights, release),
        cmocka_unit_test_teardown(test_quantized_bytes, release),
        cmocka_unit_test_teardown(test_activation, release),
        cmocka_unit_test_teardown(test_v0_sampler, release),
        cmocka_unit_test_teardown(test_budget_and_verdicts, release),
        cmocka_unit_test_teardown(test_given_parts, release),
        cmocka_unit_test_teardown(test_instances_and_knobs, release),
        cmocka_unit_test_teardown(test_devices, release),
        cmocka_unit_test_teardown(test_bad_input, release),
        cmocka_unit_test_teardown(test_cli, release),
        cmocka_unit_test_teardown(test_sliding_window_tokens, release),
        cmocka_unit_test_teardown(test_multimodal_budget, release),
        cmocka_unit_test_teardown(test_v1_sort_sampler, release),
        cmocka_unit_test_teardown(test_vllm_release_rules, release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
