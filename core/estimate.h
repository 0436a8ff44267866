/*
 * core/estimate.h: what the estimate's files share (core/estimate*.c). Internal: nothing
 * here is exported. The public API is the "Estimate" block of membudget.h.
 */
#ifndef MB_CORE_ESTIMATE_H
#define MB_CORE_ESTIMATE_H

#include "internal.h"

#define MB__GIB_F ((double)MB_GiB)

/* The architecture behind the public mb_arch handle (membudget/vllm.h). */
struct mb_arch {
    mb_model model;              /* as mb_model_parse fills it (library size) */
    int64_t hidden_size, intermediate_size, vocab_size, max_position;
    int tie_word_embeddings, qkv_bias, qk_norm, gated_mlp;
    /* mixture of experts: 0 experts for a dense model */
    int num_experts, experts_per_token, num_shared_experts, first_dense_layers, moe_step;
    int64_t moe_intermediate_size, shared_intermediate_size;
    int moe_bias;                /* experts carry biases (gpt-oss) */
    /* multi-head latent attention (DeepSeek-V2/V3): 0 when not MLA */
    int64_t q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim;
    /* quantization_config: the method as written ("" when none), bits per weight of the
     * quantized linear layers, group size (0: per channel or per tensor) */
    char quant_method[32];
    double quant_bits;           /* 16 when none */
    int quant_group;
    int quant_experts_only;      /* mxfp4 in gpt-oss: only the experts are quantized */
    int quant_known;             /* 0: method not understood, see quant_reason */
    char quant_reason[160];
    /* vision and audio towers (0 when none) */
    int64_t vision_params, audio_params;
    int spatial_merge;           /* vision tokens merged per LM token (Qwen-VL: 4), else 1 */
    /* the multimodal encoder's profile (estimate_towers.c): the LM tokens of one image of
     * the largest size vLLM profiles and the encoder's sequence for it (0: not known), the
     * tower's widths, and how the tokens were worked out */
    int64_t mm_tokens_per_item, mm_patches_per_item;
    int64_t vision_hidden, vision_inter, vision_layers;
    int mm_video_temporal;       /* Qwen2-VL / Qwen2.5-VL: temporal_patch_size of the video
                                  * item vLLM may profile instead of an image; 0: no video */
    int64_t mm_pixels_per_patch; /* values one encoder patch reads (channels x temporal x
                                  * patch^2), in the model dtype */
    int mm_output_levels;        /* encoder output rows' width in LM hidden sizes: 1, or
                                  * 1 + Qwen3-VL's deepstack levels */
    int vision_gated;            /* the tower's MLP is gated (silu: gate, up, down) */
    char mm_rule[128];
    char arch_reason[160];       /* non-empty: the parameter count is unknown, and why */
    char architecture[64];       /* config.json's architectures[0] ("" when absent) */
};

/* estimate_release.c: what the release of mb_estimate_options.vllm_release does (1.3's
 * rules when it is 0). MB_EINVAL for a release, runner or combination that cannot be. */
typedef struct mb__release_rules {
    int runner;             /* mb_estimate_runner (MB_RUNNER_DEFAULT: the V0 engine) */
    int sampler;            /* the top-k/top-p filter: MB_SAMPLER_KERNEL or TORCH_SORT */
    int graphs_estimated;   /* the runner estimates its graphs (V2: from 0.29; ROCm: from
                             * 0.26) */
    int graphs_charged;     /* and takes them out of the KV cache (from 0.20) */
    int persistent_counted; /* V2's buffers allocated after the weights count (0.27 on,
                             * mem_utils' total_consumed) */
    int v2_warmup_pass;     /* V2's dummy sampler also runs the warm-up parameters (0.33) */
    int v2_flashinfer;      /* and that pass uses FlashInfer's sampler (capability 8.0-12.1) */
    int sampler_unsure;     /* V1 on CUDA up to 0.11.0, sampler not given: FlashInfer's
                             * kernel only where it was installed, else the sort */
    int v2_fp32_copy;       /* V2 before 0.26: apply_sampling_params always copies the
                             * logits to float32 */
    int pooling;            /* a pooling model: the profile runs the pooler, no sampler */
    char text[256];
} mb__release_rules;
int mb__est_release_rules(const mb_arch *a, const mb_estimate_device *dev,
                          const mb_estimate_options *o, mb__release_rules *out);

/* estimate_json.c: config.json lookups shared by the estimate's parsers (NULL/0 when
 * absent; num_of: the first of keys that is a number in [0, 1e12)). */
struct cJSON;
const struct cJSON *mb__est_item(const struct cJSON *o, const char *key);
int64_t mb__est_num_of(const struct cJSON *o, const char *const *keys);
const char *mb__est_str(const struct cJSON *o, const char *key);
/* a count kept in an int: absurd values are capped (the parts that use them then come out
 * implausible and say so) */
static inline int mb__est_icap(int64_t v) { return v > (1 << 24) ? 1 << 24 : (int)v; }
/* estimate_quant.c: quantization_config into a (quant_* fields). */
void mb__est_parse_quant(mb_arch *a, const struct cJSON *top);
/* estimate_towers.c: a vision (vision = 1) or audio tower's parameters from its
 * sub-config; 0 when absent. */
int64_t mb__est_tower_params(const struct cJSON *c, int64_t lm_hidden, int merge, int vision);

/* estimate_towers.c: the multimodal profile of a vision config (mm_* and vision_* fields
 * of a; nothing when there is no vision_config). */
void mb__est_mm_profile(mb_arch *a, const struct cJSON *top);
/* vLLM's encoder budget for the profile run (MultiModalBudget and compute_mm_encoder_budget,
 * vllm/v1/worker/utils.py and vllm/v1/core/encoder_cache_manager.py): *budget tokens of
 * encoder output, *items images of the largest size in the dummy batch. 0 and 0 when
 * a has no multimodal profile. */
void mb__est_encoder_budget(const mb_arch *a, int64_t max_num_batched_tokens, int max_num_seqs,
                            int64_t max_model_len, int64_t *budget, int64_t *items);
/* The item vLLM profiles at max_model_len: the modality with the most tokens per item
 * (vllm/multimodal/encoder_budget.py get_mm_max_toks_per_item with one item of each modality;
 * an image wins a tie), its LM tokens and encoder patches; *video 1 when it is a video. */
void mb__est_mm_item(const mb_arch *a, int64_t max_model_len, int64_t *tokens,
                     int64_t *patches, int *video);

/* estimate.c: mb_estimate_compute on library-size structs (core/abi.c checks the sizes). */
int mb__estimate_compute(const mb_arch *a, const mb_estimate_device *dev,
                         const mb_estimate_options *o, mb_estimate *out);

/* Parameters of one pipeline stage on one tensor-parallel rank, split by how they are
 * stored: plain (model dtype), quantized (linear layers of a quantized checkpoint). */
typedef struct mb__param_count {
    double plain;      /* parameters kept in the model dtype */
    double quantized;  /* parameters of quantized linear layers */
    double rope_cache; /* elements of the rotary cos/sin cache (model dtype) */
    int layers;        /* decoder layers in the stage */
} mb__param_count;

/* estimate_config.c: the count behind mb_arch_weights (MB_EINVAL with a reason). */
int mb__arch_count(const mb_arch *a, int tp, int pp, mb__param_count *out);
/* Bytes per quantized parameter (weights plus their group scales and zeros). */
double mb__quant_bytes_per_param(const mb_arch *a);

/* Derived per-rank sizes the activation and CUDA-graph formulas use. */
typedef struct mb__shape {
    double h, inter, moe_inter, shared_inter; /* hidden, MLP and expert widths per rank */
    double q_width, kv_width, attn_out;       /* per-rank projection widths */
    double vocab;                             /* full vocabulary (logits are gathered) */
    int experts, topk, layers;
    int dtype_bytes;
} mb__shape;
void mb__arch_shape(const mb_arch *a, int tp, int pp, mb__shape *out);

/* estimate_parts.c: each part of the budget (its formula and the vLLM 0.33 function it
 * follows are in that file). part_set makes a part unknown rather than wrap when a
 * figure is beyond MB_SIZE_MAX; the others fill the part as named. */
void mb__est_part_set(mb_estimate_part *p, double bytes, double low, double high,
                      mb_estimate_source src);
void mb__est_part_unknown(mb_estimate_part *p, const char *reason);
void mb__est_part_given(mb_estimate_part *p, int64_t v, mb_estimate_source src);
void mb__est_weights(const mb_arch *a, const mb_estimate_options *o, mb_estimate_part *p);
/* V0's sampler peak in bytes per logit for a V0 release (major x 10000 + minor x 100 +
 * patch): 40 up to 0.7.2, 32 after (estimate_parts.c says which tensors). */
double mb__est_v0_sampler_bytes(int32_t release);
void mb__est_activation(const mb_arch *a, const mb_estimate_options *o,
                        const mb__release_rules *r, int seqs, int64_t tokens,
                        mb_estimate_part *p);
void mb__est_non_torch(const mb_arch *a, const mb_estimate_device *dev,
                       const mb_estimate_options *o, const mb__release_rules *r, int seqs,
                       mb_estimate_part *p);
int mb__est_cudagraphs(const mb_arch *a, const mb_estimate_device *dev,
                       const mb_estimate_options *o, const mb__release_rules *r, int seqs,
                       int64_t tokens, mb_estimate *e);

/* estimate_engines.c: every engine's knob for an estimate that is otherwise complete. */
void mb__estimate_knobs(const mb_estimate_device *dev, mb_estimate *e, int64_t cap);

/* The global constants fitted on the calibration set, and nothing else: none is per
 * model or per row. Each is the median over the 29 llm-d-planner rows of
 * tests/estimate/startups.json (vLLM 0.19.0, H100; docs/estimate.md, "Calibration"):
 *  - bytes per logit of the dummy sampler: the model-dtype logits, their float32 copy,
 *    float32 probabilities and exponential noise make 14; the logs give 14.8;
 *  - the non-torch increase of one rank (0.25 GiB) and what tensor parallelism adds on an
 *    NVSwitch machine (1.85 GiB: NCCL's NVLS buffers and the custom all-reduce);
 *  - the CUDA-graph pool's growth per further graph and layer (0.24 MiB).
 * The forward factor stays 1: the live-set formula is not scaled. */
#define MB__FWD_FACTOR 1.0
#define MB__SAMPLER_BYTES 14.8
/* Bytes per logit at the peak of V1's torch-native top-k/top-p (not fitted: derived from
 * the code, estimate_parts.c mb__est_v1_sort_bytes). */
double mb__est_v1_sort_bytes(void);
#define MB__NON_TORCH_GIB 0.25
#define MB__NON_TORCH_TP_NVSWITCH_GIB 1.85
#define MB__GRAPH_BYTES_PER_LAYER ((double)MB_MiB * 0.24)

#endif
