/*
 * core/estimate_release.c: what a named vLLM release does in the start-up the estimate
 * predicts (mb_estimate_options.vllm_release, 1.4): which model runner it picks for the
 * model, which top-k/top-p filter V1's runner runs, whether the runner estimates its CUDA
 * graphs, and which persistent buffers its accounting counts. Every rule below was read
 * in that release's own source (the PyPI sdists of 0.10.2 to 0.32.0 and the 0.33.0
 * wheel); docs/estimate.md, "Releases", lists them with the files.
 */
#include <stdio.h>
#include <string.h>

#include "estimate.h"

/* vllm/config/vllm.py DEFAULT_V2_MODEL_RUNNER_ARCHITECTURES, by release. */
static const char *const v2_archs_0_22[] = {"Qwen3ForCausalLM", NULL};
static const char *const v2_archs_0_23[] = {"LlamaForCausalLM", "MistralForCausalLM",
                                            "Qwen3ForCausalLM", NULL};
static const char *const v2_archs_0_24[] = {"Qwen3ForCausalLM",      "DeepseekV2ForCausalLM",
                                            "Qwen2MoeForCausalLM",   "GraniteMoeForCausalLM",
                                            "LlamaForCausalLM",      "MistralForCausalLM",
                                            NULL};
static const char *const v2_archs_0_25[] = {"DeepseekV2ForCausalLM", "Qwen2MoeForCausalLM",
                                            "GraniteMoeForCausalLM", NULL};
static const char *const v2_archs_0_26[] = {
    "DeepseekV2ForCausalLM", "GraniteMoeForCausalLM", "InklingForCausalLM",
    "InklingForConditionalGeneration", "LongcatFlashNgramForCausalLM", "Qwen2MoeForCausalLM",
    NULL};
static const char *const v2_archs_0_27[] = {
    "DeepseekV2ForCausalLM", "GraniteMoeForCausalLM", "InklingForCausalLM",
    "InklingForConditionalGeneration", "KimiK3ForConditionalGeneration",
    "LongcatFlashNgramForCausalLM", "Qwen2MoeForCausalLM", NULL};
static const char *const v2_archs_0_28[] = {
    "DeepseekV2ForCausalLM", "DeepseekV4ForCausalLM", "GraniteMoeForCausalLM",
    "InklingForCausalLM", "InklingForConditionalGeneration", "KimiK3ForConditionalGeneration",
    "LongcatFlashNgramForCausalLM", "Qwen2MoeForCausalLM", NULL};
/* ROCM_DEFAULT_MRV1_ARCHITECTURES (0.29 to 0.31; 0.32 has none) and the ROCm exclusions
 * of default_v2_model_runner_architectures (0.27, 0.28) */
static const char *const rocm_v1_0_29[] = {"DeepseekV32ForCausalLM", "DeepseekV4ForCausalLM",
                                           NULL};
static const char *const rocm_v1_0_30[] = {"DeepseekV32ForCausalLM", "DeepseekV4ForCausalLM",
                                           "GlmMoeDsaForCausalLM", NULL};
static const char *const rocm_v1_0_27[] = {"KimiK3ForConditionalGeneration", NULL};
static const char *const rocm_v1_0_28[] = {"DeepseekV4ForCausalLM", NULL};

static int listed(const char *const *list, const char *arch)
{
    for (; list && *list; list++)
        if (strcmp(*list, arch) == 0)
            return 1;
    return 0;
}

/* ModelConfig's runner_type "pooling" by the architecture's suffix (vllm/config/model.py
 * _get_default_runner_type, the suffixes it maps to pooling) or an encoder-only config.
 * A Sentence-Transformers folder that makes a *ForCausalLM a pooling model is not seen
 * from config.json alone. */
static int pooling_model(const mb_arch *a)
{
    static const char *const suffixes[] = {"ForSequenceClassification", "ForRewardModeling",
                                           "RewardModel", "EmbeddingModel", NULL};
    if (a->model.encoder_only)
        return 1;
    size_t n = strlen(a->architecture);
    for (const char *const *x = suffixes; *x; x++) {
        size_t m = strlen(*x);
        if (n >= m && strcmp(a->architecture + n - m, *x) == 0)
            return 1;
    }
    return 0;
}

static void release_name(int32_t r, char *buf, size_t n)
{
    snprintf(buf, n, "%d.%d.%d", r / 10000, r / 100 % 100, r % 100);
}

/* VllmConfig.use_v2_model_runner with VLLM_USE_V2_MODEL_RUNNER unset (vllm/config/vllm.py
 * of each release): 1 when release r runs a with the V2 runner; *why says which rule. */
static int v2_by_default(const mb_arch *a, const mb_estimate_device *dev, int32_t r,
                         char *why, size_t n)
{
    const char *arch = a->architecture[0] ? a->architecture : "(no architectures)";
    int moe = a->num_experts > 0, quantized = a->quant_method[0] != '\0';
    int rocm = dev->vendor == MB_GPU_AMD;
    int hybrid = 0, attention = 0;
    for (int i = 0; i < a->model.num_layers && i < MB_MODEL_MAX_LAYERS; i++) {
        hybrid |= a->model.layer_kind[i] == MB_LAYER_STATE;
        attention |= a->model.layer_kind[i] == MB_LAYER_ATTENTION ||
                     a->model.layer_kind[i] == MB_LAYER_CHUNKED;
    }
    if (r < 2200) {
        snprintf(why, n, "the V1 runner, the only one before 0.22");
        return 0;
    }
    if (r >= 2900) {
        const char *const *rv1 = r >= 3200 ? NULL : r >= 3000 ? rocm_v1_0_30 : rocm_v1_0_29;
        if (rocm && listed(rv1, arch)) {
            snprintf(why, n, "the V1 runner: ROCm keeps %s on it (ROCM_DEFAULT_MRV1_"
                     "ARCHITECTURES)", arch);
            return 0;
        }
        snprintf(why, n, "the V2 runner, every model's default from 0.29");
        return 1;
    }
    if (pooling_model(a)) {
        snprintf(why, n, "the V1 runner: before 0.29 only generative models default to V2 "
                 "(%s pools)", arch);
        return 0;
    }
    const char *const *list = r < 2300   ? v2_archs_0_22
                              : r < 2400 ? v2_archs_0_23
                              : r < 2500 ? v2_archs_0_24
                              : r < 2600 ? v2_archs_0_25
                              : r < 2700 ? v2_archs_0_26
                              : r < 2800 ? v2_archs_0_27
                                         : v2_archs_0_28;
    int in = listed(list, arch);
    if (in && rocm && listed(r < 2800 ? rocm_v1_0_27 : rocm_v1_0_28, arch))
        in = 0;
    int v2;
    if (r < 2400) {
        v2 = in && !moe && !quantized;
        snprintf(why, n, "%s: %s (0.22-0.23: listed dense unquantized architectures only)",
                 v2 ? "the V2 runner" : "the V1 runner", arch);
    } else if (r < 2500) {
        v2 = in;
        snprintf(why, n, "%s: %s (0.24: listed architectures only)",
                 v2 ? "the V2 runner" : "the V1 runner", arch);
    } else {
        /* 0.25-0.28: dense models and the listed MoE ones; hybrids only when listed
         * (0.27 on) or never (0.25, 0.26); attention-free ones never */
        v2 = (in || !moe) && attention && (!hybrid || (r >= 2700 && in));
        snprintf(why, n, "%s: %s is %s (0.25-0.28: dense models and the listed MoE ones, "
                 "not hybrids%s)", v2 ? "the V2 runner" : "the V1 runner", arch,
                 !attention ? "attention-free"
                 : hybrid   ? "a hybrid"
                 : !moe     ? "dense"
                 : in       ? "a listed MoE"
                            : "an unlisted MoE",
                 r >= 2700 ? " unless listed" : "");
    }
    return v2;
}

/* V1's TopKTopPSampler in the release (vllm/v1/sample/ops/topk_topp_sampler.py): torch's
 * sort (forward_native) from 0.11.1, where PR #26859 made FlashInfer's sampler opt-in,
 * until 0.17.0 brought the Triton kernels (topk_topp_triton.py, used for 8 rows or more
 * up to 0.29: the profile's rows are more); on ROCm forward_native sorted before 0.17
 * (the aiter sampler needs VLLM_ROCM_USE_AITER). Up to 0.11.0 CUDA ran FlashInfer's
 * kernel when it was installed (vLLM's images have it): the kernel. From 0.21.0 FlashInfer's
 * is the default again (envs.py VLLM_USE_FLASHINFER_SAMPLER ... else True), the Triton
 * kernels outside capability 8.0-12.1: a kernel either way. */
static int v1_sampler_by_default(const mb_estimate_device *dev, int32_t r)
{
    if (r >= 1700)
        return MB_SAMPLER_KERNEL;
    if (dev->vendor == MB_GPU_AMD)
        return MB_SAMPLER_TORCH_SORT;
    return r >= 1101 ? MB_SAMPLER_TORCH_SORT : MB_SAMPLER_KERNEL;
}

int mb__est_release_rules(const mb_arch *a, const mb_estimate_device *dev,
                          const mb_estimate_options *o, mb__release_rules *out)
{
    memset(out, 0, sizeof *out);
    int32_t r = o->vllm_release;
    if (r != 0 && (r < 800 || r > 9999))
        return mb__error(MB_EINVAL, "mb_estimate_options.vllm_release %d: give a V1-engine "
                         "release 0.8.0 to 0.99.99 as major x 10000 + minor x 100 + patch "
                         "(3300 for 0.33.0); for V0 start-ups set vllm_v0_release",
                         (int)r);
    if (r != 0 && o->vllm_v0_release > 0)
        return mb__error(MB_EINVAL, "mb_estimate_options.vllm_release and "
                                    "mb_estimate_options.vllm_v0_release are both set: "
                                    "give one (the V1 or the V0 engine)");
    if (o->model_runner < MB_RUNNER_DEFAULT || o->model_runner > MB_RUNNER_V2)
        return mb__error(MB_EINVAL, "mb_estimate_options.model_runner %d: give "
                         "MB_RUNNER_DEFAULT (0), MB_RUNNER_V1 (1) or MB_RUNNER_V2 (2)",
                         (int)o->model_runner);
    if (o->model_runner == MB_RUNNER_V2 && o->vllm_v0_release > 0)
        return mb__error(MB_EINVAL, "mb_estimate_options.model_runner V2 with "
                                    "mb_estimate_options.vllm_v0_release: the V0 engine "
                                    "has no V2 runner");
    /* the rules of 0.33 when no release is named (a V2 runner asked for alone) or a newer
     * one is (the newest release read) */
    int32_t eff = r == 0 || r > 3300 ? 3300 : r;
    char rel[24], why[200];
    release_name(r ? r : 3300, rel, sizeof rel);
    if (o->model_runner == MB_RUNNER_V2 && r != 0 && r < 1200)
        return mb__error(MB_EINVAL, "mb_estimate_options.model_runner V2 with "
                         "mb_estimate_options.vllm_release %s: the V2 model runner exists "
                         "from 0.12.0 (VLLM_USE_V2_MODEL_RUNNER=1)", rel);
    int v2;
    if (o->vllm_v0_release > 0) {
        out->runner = MB_RUNNER_DEFAULT; /* the V0 engine: neither V1 runner */
        out->sampler = MB_SAMPLER_TORCH_SORT;
        out->graphs_estimated = 1;
        out->graphs_charged = 0; /* V0 never took the graphs out of the KV cache */
        release_name(o->vllm_v0_release, rel, sizeof rel);
        snprintf(out->text, sizeof out->text, "the V0 engine of vLLM %s (its profile_run "
                 "and sampler)", rel);
        return MB_OK;
    }
    if (o->model_runner != MB_RUNNER_DEFAULT) {
        v2 = o->model_runner == MB_RUNNER_V2;
        snprintf(why, sizeof why, "the %s runner, as asked", v2 ? "V2" : "V1");
    } else if (r == 0) {
        v2 = 0;
        snprintf(why, sizeof why, "the V1 runner (no vLLM release named)");
    } else {
        v2 = v2_by_default(a, dev, eff, why, sizeof why);
    }
    if (v2 && o->sampler == MB_SAMPLER_TORCH_SORT)
        return mb__error(MB_EINVAL, "mb_estimate_options.sampler MB_SAMPLER_TORCH_SORT with "
                         "the V2 model runner (%s): V2 filters with FlashInfer's or the "
                         "Triton kernels; drop mb_estimate_options.sampler or set "
                         "mb_estimate_options.model_runner MB_RUNNER_V1", why);
    out->runner = v2 ? MB_RUNNER_V2 : MB_RUNNER_V1;
    if (o->sampler == MB_SAMPLER_TORCH_SORT) {
        out->sampler = MB_SAMPLER_TORCH_SORT;
    } else if (o->sampler == MB_SAMPLER_KERNEL && r != 0) {
        out->sampler = v1_sampler_by_default(dev, eff);
        out->sampler_unsure = !v2 && eff < 1101 && dev->vendor == MB_GPU_NVIDIA;
    } else {
        out->sampler = MB_SAMPLER_KERNEL;
    }
    /* V2's profile_cudagraph_memory returned 0 before 0.29; gpu_worker.py profiled the
     * graphs on CUDA only (is_cuda(), 0.20-0.25) until is_cuda_alike() in 0.26; the
     * estimate is taken out of the KV cache from 0.20.0, where envs.py's
     * VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS default became "1" (0.19.0: "0") */
    int amd = dev->vendor == MB_GPU_AMD;
    out->graphs_estimated = (!v2 || eff >= 2900) && !(r != 0 && amd && eff < 2600);
    out->graphs_charged = o->charge_cudagraphs && out->graphs_estimated &&
                          (r == 0 || eff >= 2000);
    out->persistent_counted = v2 && eff >= 2700; /* mem_utils' total_consumed, 0.27 on */
    /* _dummy_sampler_run's warm-up params (0.33; not on a CPU device); before 0.26 V2's
     * apply_sampling_params copied the logits to float32 unconditionally */
    out->v2_warmup_pass = v2 && eff >= 3300 && dev->vendor != MB_GPU_CPU;
    out->v2_fp32_copy = v2 && eff < 2600;
    out->pooling = pooling_model(a);
    /* flashinfer_sampler_supported (0.33): CUDA, capability 8.0 to 12.1 */
    int cc = dev->cc_major * 10 + dev->cc_minor;
    out->v2_flashinfer = dev->vendor == MB_GPU_NVIDIA && cc >= 80 && cc <= 121;
    if (r != 0)
        snprintf(out->text, sizeof out->text, "vLLM %s: %s%s%s", rel, why,
                 !v2 && out->sampler == MB_SAMPLER_TORCH_SORT
                     ? "; V1's top-k/top-p sorts with torch"
                 : out->sampler_unsure ? "; V1's top-k/top-p: FlashInfer's kernel if "
                                         "installed, else torch's sort (the range's top)"
                                       : "",
                 v2 && !out->graphs_estimated ? "; the V2 runner does not estimate its "
                                                "CUDA graphs before 0.29" : "");
    else
        snprintf(out->text, sizeof out->text, "%s%s", why,
                 out->sampler == MB_SAMPLER_TORCH_SORT && !v2
                     ? "; V1's top-k/top-p sorts with torch" : "");
    return MB_OK;
}
