/*
 * core/estimate_parts.c: each part of what vLLM's start-up will measure, predicted from a
 * model's config and the scheduler settings (issue 15). Each part follows a named function
 * of vLLM 0.33.0 (docs/estimate.md has the formulas and their measured accuracy):
 *
 *  - weights: gpu_model_runner.py load_model logs "Model loading took", the bytes torch
 *    allocated while loading: the safetensors' tensor bytes when the folder has them, else
 *    the parameter count of estimate_config.c, plus the rotary cos/sin cache;
 *  - activation peak: gpu_worker.py determine_available_memory runs profile_run inside
 *    mem_utils.memory_profiling; profile_run calls _dummy_run(max_num_tokens) (the
 *    scheduler's max_num_batched_tokens, one forward over that many tokens with attention
 *    skipped for lack of metadata) and then _dummy_sampler_run over the last hidden state
 *    of min(max_num_seqs, tokens) requests: compute_logits gives a (rows x vocab) tensor in
 *    the model dtype, Sampler.forward turns it into float32, and the top-k/top-p sampler
 *    (forward_native, run a second time with a generator) builds float32 probabilities
 *    and exponential noise of the same shape. The peak is the larger of the forward's live
 *    set and the sampler's, with the hidden states of the forward still held;
 *  - non-torch memory: memory_profiling's non_torch_increase, measured from the worker's
 *    init snapshot (after the CUDA context, before NCCL): cuBLAS/hipBLASLt workspaces and
 *    loaded kernels, plus NCCL's buffers and the custom all-reduce's IPC buffers with
 *    tensor parallelism (NVLS buffers on NVSwitch machines), and PP's send/receive ones;
 *  - CUDA graphs: gpu_model_runner.py profile_cudagraph_memory captures the two largest
 *    sizes per mode and charges first + (n - 1) x max(second, 1 MiB) (see cudagraph.c);
 *    the first capture keeps the live set of a forward over the largest capture size in
 *    the graph pool, each further graph a few small buffers per layer;
 *  - the KV cache: requested (ceil(total x utilization), gpu_worker.py) less the non-KV
 *    parts and, since 0.20 (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS), the graphs.
 * The few constants that are fitted (estimate.h) are global: none is per model or per row.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estimate.h"

/* A part from the formulas; figures beyond MB_SIZE_MAX (absurd config sizes) make it
 * unknown rather than wrap. */
void mb__est_part_set(mb_estimate_part *p, double bytes, double low, double high,
                     mb_estimate_source src)
{
    if (!(high <= (double)MB_SIZE_MAX) || !(low >= 0) || !(bytes >= low)) {
        char why[160];
        snprintf(why, sizeof why, "the config's sizes give %.3g bytes for this part, more "
                 "than 1 PiB: check hidden_size, vocab_size and the layer counts", high);
        mb__est_part_unknown(p, why);
        return;
    }
    p->bytes = (int64_t)bytes;
    p->low = (int64_t)low;
    p->high = (int64_t)high;
    p->source = src;
}

void mb__est_part_unknown(mb_estimate_part *p, const char *reason)
{
    p->bytes = p->low = p->high = MB_UNKNOWN;
    p->source = MB_EST_UNKNOWN;
    snprintf(p->reason, sizeof p->reason, "%s", reason);
}

void mb__est_part_given(mb_estimate_part *p, int64_t v, mb_estimate_source src)
{
    p->bytes = p->low = p->high = v;
    p->source = src;
}

/* The live set of one forward over T tokens, per rank, in bytes: the residual stream and
 * the layer input, plus the largest of the attention projections and the MLP (dense:
 * gate_up and its activation; MoE: fused_moe's three workspaces over T x topk rows, the
 * router's float32 logits and the shared expert), plus each layer's output. */
static double forward_bytes(const mb__shape *s, double T)
{
    double attn = s->q_width + s->kv_width + s->attn_out;
    double dense = 3 * s->inter;
    double moe = 0;
    if (s->experts) {
        double chunk = T < 16384 ? T : 16384; /* VLLM_FUSED_MOE_CHUNK_SIZE */
        moe = chunk / T * s->topk * (3 * s->moe_inter + s->h) + s->experts * 4.0 / 2 +
              3 * s->shared_inter;
        if (moe < dense)
            moe = dense;
    }
    double mlp = s->experts ? moe : dense;
    double widest = attn > mlp ? attn : mlp;
    return T * s->dtype_bytes * (3 * s->h + widest) * MB__FWD_FACTOR;
}

/* Bytes per logit at the peak of V0's Sampler.forward with top-k and top-p on
 * (vllm/model_executor/layers/sampler.py): the caller's model-dtype logits (2, held by
 * model_runner.execute_model), their float32 copy (4), and inside _apply_top_k_top_p the
 * sorted values (4) and int64 indices (8), the top-k mask (1), the softmax of the sorted
 * values (4) and their cumsum (4), the top-p mask (1), every local alive until the function
 * returns, then the re-sort: up to 0.7.2 an int64 inverse permutation built by scatter_ (8)
 * and the float32 gather through it (4), 40 in all; later V0 samplers (e.g. at commit
 * 00f5ff34, 2025) scatter the sorted values straight into one float32 tensor (4), 32 in
 * all. The softmax, log_softmax and _multinomial's noise that follow hold less (22). */
double mb__est_v0_sampler_bytes(int32_t release)
{
    double common = 2 + 4 + 4 + 8 + 1 + 4 + 4 + 1;
    return release <= 702 ? common + 8 + 4 : common + 4;
}

/* Bytes per logit at the peak of V1's torch-native top-k/top-p sampling
 * (vllm/v1/sample/ops/topk_topp_sampler.py forward_native, apply_top_k_top_p), at its sort:
 * the runner's model-dtype logits (2) and the sampler's float32 copy (4) stay alive while
 * logits.sort() fills its outputs, the sorted float32 values (4) and int64 indices (8); for
 * 128 rows or more torch runs a segmented radix sort (aten/src/ATen/native/cuda/
 * SortStable.cu segmented_sort_pairs) that first fills an int64 index of every logit (8)
 * and hands cub's segmented radix sort the pairs, whose temporary storage holds the
 * alternate key and value buffers (4 + 8): 38 in all. After the sort the masks, softmax,
 * cumsum and scatter of the sorted row hold less (at most 32). Nine published V1
 * start-ups whose peak is the sorting sampler's log 38.4 to 39.6 bytes per logit, the
 * hidden states included (docs/estimate.md). */
double mb__est_v1_sort_bytes(void)
{
    return 2 + 4 + (4 + 8) + 8 + (4 + 8);
}

/* Bytes per logit of the V2 model runner's dummy sampler (vllm/v1/worker/gpu/model_runner.py
 * _dummy_sampler_run, vllm/v1/worker/gpu/sample/sampler.py). Up to 0.32 it samples the
 * dummy batch once with no sampling parameters: from 0.26 no logits processing, so the
 * model-dtype logits alone (0.22-0.25 copied them to float32 first), then the Gumbel kernel's per-block maxima (vocab / 1024 per row:
 * nothing). 0.33 adds a pass with SamplingParams.for_sampler_warmup() (temperature,
 * top-k, top-p, min-p, penalties, logprobs): a float32 copy of the logits, then
 * FlashInfer's top_k_top_p_sampling_from_logits (a masked float32 tensor and its softmax:
 * the V1 kernel's tensors, MB__SAMPLER_BYTES) or, where FlashInfer's sampler is not
 * supported, the Triton top-k/top-p in place and the Gumbel kernel (2 + 4), plus the
 * Triton kernel's cached buffer of one vocabulary row per program (added by the caller). */
static double v2_sampler_bytes(const mb__release_rules *r, int dtype_bytes)
{
    if (r->v2_fp32_copy)
        return dtype_bytes + 4; /* 0.22-0.25: the float32 copy is made whatever the params */
    if (!r->v2_warmup_pass)
        return dtype_bytes;
    return r->v2_flashinfer ? MB__SAMPLER_BYTES : 2 + 4;
}

/* The dummy sampler's peak: rows of vocabulary logits at per_logit bytes each, with the
 * forward's T hidden states still held. */
static double sampler_peak(const mb__shape *s, double rows, double T, double per_logit)
{
    return rows * s->vocab * per_logit + T * s->h * s->dtype_bytes;
}

void mb__est_activation(const mb_arch *a, const mb_estimate_options *o,
                       const mb__release_rules *r, int seqs, int64_t tokens,
                       mb_estimate_part *p)
{
    mb__shape s;
    mb__arch_shape(a, o->tensor_parallel_size, o->pipeline_parallel_size, &s);
    double T = (double)tokens;
    double rows = seqs < tokens ? seqs : (double)tokens;
    double fwd = forward_bytes(&s, T);
    /* the dummy sampler on the last stage: logits (model dtype) + float32 copy, float32
     * probabilities and exponential noise, with the hidden states still held */
    double per_logit = MB__SAMPLER_BYTES;
    if (o->vllm_v0_release > 0) {
        /* V0 (vllm/worker/model_runner.py GPUModelRunnerBase.profile_run): max_num_seqs
         * sequences share max_num_batched_tokens, each gives one logit row, with
         * SamplingParams(top_p=0.99, top_k=vocab_size - 1) "to reflect the accurate memory
         * usage"; the logits are gathered to and sampled on the driver rank only (the rank
         * whose blocks bind: the executor takes the minimum over the workers). The
         * scheduler keeps max_num_seqs <= max_num_batched_tokens, so rows is seqs. */
        per_logit = mb__est_v0_sampler_bytes(o->vllm_v0_release);
    } else if (r->runner == MB_RUNNER_V2) {
        per_logit = v2_sampler_bytes(r, s.dtype_bytes); /* every TP rank of the last
                                                         * stage samples in V2 too */
    } else if (r->sampler == MB_SAMPLER_TORCH_SORT) {
        per_logit = mb__est_v1_sort_bytes(); /* every rank samples in V1 */
    }
    double sampler = sampler_peak(&s, rows, T, per_logit);
    if (r->pooling)
        sampler = 0; /* profile_run runs _dummy_pooler_run instead (V1 and V2) */
    if (r->runner == MB_RUNNER_V2 && r->v2_warmup_pass && !r->v2_flashinfer && !r->pooling) {
        /* topk_topp_triton.py's _TRITON_BUFFER_CACHE: min(next_pow2(rows), SMs) float32
         * vocabulary rows, the SM count taken as 128 (the table has no SM counts) */
        double prog = 1;
        while (prog < rows && prog < 128)
            prog *= 2;
        sampler += prog * s.vocab * 4;
    }
    double peak = fwd > sampler ? fwd : sampler;
    /* multimodal: profile_run first encodes a dummy batch of `items` images (or one video,
     * for Qwen-VL at long max_model_len) of the largest size (estimate_towers.c has vLLM's
     * budget and item rules) and keeps the outputs in the
     * encoder cache through the text forward. The encoder's live set over its sequence
     * (items x patches): the residual, the normed input and the attention output, plus
     * the widest of the fused QKV and the MLP's gate/up with its activation (the tower is
     * split over the tensor-parallel ranks), plus the pixel patches; vLLM's vision
     * attention runs flash-attention varlen, which keeps nothing quadratic. The pixels:
     * channels x temporal patch x patch^2 values per patch (Qwen2.5-VL 3 x 2 x 14 x 14,
     * Qwen3-VL 3 x 2 x 16 x 16, a SigLIP or CLIP patch 3 x 14 x 14). The MLP is gate_up
     * and its activation when gated (Qwen2.5-VL), fc1 and its activation otherwise. The
     * outputs: Qwen3-VL's rows carry its deepstack levels too (mm_output_levels). */
    int64_t budget = 0, items = 0, item_tokens = 0, item_patches = 0;
    int video = 0;
    double enc = 0;
    int64_t mml = o->max_model_len ? o->max_model_len : a->model.max_model_len;
    mb__est_encoder_budget(a, tokens, seqs, mml, &budget, &items);
    mb__est_mm_item(a, mml, &item_tokens, &item_patches, &video);
    if (items > 0 && a->vision_hidden > 0) {
        double tp = o->tensor_parallel_size;
        double S = (double)items * (double)item_patches;
        double hv = (double)a->vision_hidden, iv = (double)a->vision_inter;
        double mlp = (a->vision_gated ? 3 : 2) * iv / tp;
        double widest = 3 * hv / tp > mlp ? 3 * hv / tp : mlp;
        double outputs = (double)items * (double)item_tokens * (double)s.h *
                         (double)a->mm_output_levels * s.dtype_bytes;
        enc = S * s.dtype_bytes * (3 * hv + widest + (double)a->mm_pixels_per_patch) +
              outputs;
        peak += outputs; /* the encoder cache through the text forward */
        if (enc > peak)
            peak = enc;
    } else if (a->vision_params) {
        /* a tower whose item size is not known: max_num_batched_tokens of merged tokens */
        double patches = T * a->spatial_merge;
        double hv = sqrt((double)a->vision_params / 24.0);
        enc = patches * hv * 8 * s.dtype_bytes + T * s.h * s.dtype_bytes;
        peak += T * s.h * s.dtype_bytes;
        if (enc > peak)
            peak = enc;
    }
    /* the range: the live set depends on torch.compile's fusions and the allocator's
     * blocks (2 MiB and larger segments); a multimodal encoder is much less certain */
    double lo = 0.55, hi = a->vision_params || a->audio_params ? 3.0 : 1.7;
    double high = peak * hi;
    if (r->sampler_unsure) {
        /* a release whose V1 sampler depended on FlashInfer being installed: the top of
         * the range is the sort's peak */
        double sorted = sampler_peak(&s, rows, T, mb__est_v1_sort_bytes());
        if (sorted * 1.1 > high)
            high = sorted * 1.1;
    }
    mb__est_part_set(p, peak, peak * lo, high, MB_EST_ESTIMATED);
    if (items > 0)
        snprintf(p->reason, sizeof p->reason,
                 "profile_run: the encoder over %lld %s%s of %lld tokens (budget %lld; "
                 "%s%s), a forward over %lld tokens, the sampler over %d rows",
                 (long long)items, video ? "video" : "image", items == 1 ? "" : "s",
                 (long long)item_tokens,
                 (long long)budget, a->mm_rule,
                 video ? ", 14 frames at most (qwen2_vl.py)" : "", (long long)tokens,
                 (int)rows);
    else
        snprintf(p->reason, sizeof p->reason,
                 "profile_run%s: a forward over %lld tokens and the sampler over %d rows of "
                 "%lld logits%s",
                 o->vllm_v0_release > 0 ? " (V0, top-k/top-p sort on the driver rank)"
                 : r->runner == MB_RUNNER_V2
                     ? (!r->v2_warmup_pass ? " (V2 runner, no sampling parameters)"
                        : r->v2_flashinfer ? " (V2 runner, FlashInfer's warm-up pass)"
                                           : " (V2 runner, the Triton warm-up pass)")
                 : r->sampler == MB_SAMPLER_TORCH_SORT ? " (V1, torch's top-k/top-p sort)"
                                                        : "",
                 (long long)tokens, (int)rows, (long long)a->vocab_size,
                 a->vision_params ? ", after the vision encoder's profile (item size "
                                    "unknown: max_num_batched_tokens assumed)"
                                  : "");
}

/* non_torch_increase, per rank: library workspaces and kernels, and the communication
 * buffers of tensor and pipeline parallelism. Ranges from the spread of the logged
 * figures (docs/estimate.md). */
void mb__est_non_torch(const mb_arch *a, const mb_estimate_device *dev,
                      const mb_estimate_options *o, const mb__release_rules *r, int seqs,
                      mb_estimate_part *p)
{
    double g = MB__GIB_F;
    double base = MB__NON_TORCH_GIB * g, lo = 0.02 * g, hi = 0.6 * g;
    if (dev->vendor == MB_GPU_AMD) {
        base = 0.3 * g;
        lo = 0.05 * g;
        hi = 1.2 * g;
    } else if (dev->vendor == MB_GPU_CPU) {
        mb__est_part_given(p, 0, MB_EST_NONE);
        snprintf(p->reason, sizeof p->reason, "a CPU device: no device libraries");
        return;
    }
    if (o->tensor_parallel_size > 1) {
        /* NCCL/RCCL buffers; on NVSwitch parts (Hopper, Blackwell datacenter) NCCL's NVLS
         * and the custom all-reduce take much more */
        int nvswitch = dev->vendor == MB_GPU_NVIDIA && (dev->cc_major == 9 ||
                                                        dev->cc_major == 10);
        base += (nvswitch ? MB__NON_TORCH_TP_NVSWITCH_GIB : 0.3) * g;
        lo += 0.05 * g;
        hi += (nvswitch ? 3.5 : 1.5) * g;
    }
    if (o->pipeline_parallel_size > 1) {
        base += 0.1 * g;
        hi += 0.5 * g;
    }
    /* the V2 runner's PenaltiesState (vllm/v1/worker/gpu/sample/penalties.py), built with
     * the sampler on the last stage of a generative model after the runner is made:
     * output_bin_counts, max_num_reqs x vocab int32, and prompt_bin_mask, max_num_reqs x
     * ceil(vocab / 32) int32; and StructuredOutputsWorker's grammar_bitmask
     * (structured_outputs.py), max_num_reqs x ceil(vocab / 32) int32 without speculative
     * tokens. From 0.27 mem_utils counts what the device lost since the worker started
     * (total_consumed), so they are in the non-KV memory, logged with the non-torch
     * memory; before 0.27 the accounting missed them (they are torch memory allocated
     * before the profile's baseline). */
    double penalties = 0;
    if (r->runner == MB_RUNNER_V2 && !r->pooling) {
        double v = (double)a->vocab_size;
        penalties = (double)seqs * (v + 2 * ceil(v / 32)) * 4;
    }
    int counted = penalties > 0 && r->persistent_counted;
    if (counted) {
        base += penalties;
        lo += penalties;
        hi += penalties;
    }
    mb__est_part_set(p, base, lo, hi, MB_EST_ESTIMATED);
    snprintf(p->reason, sizeof p->reason, "library workspaces%s%s%s",
             o->tensor_parallel_size > 1 ? ", NCCL and custom all-reduce buffers" : "",
             o->pipeline_parallel_size > 1 ? ", pipeline send/receive buffers" : "",
             counted ? ", the V2 runner's penalty counts and grammar bitmask (max_num_seqs x "
                       "vocab int32)"
             : penalties > 0 ? "; the V2 runner's penalty counts are not counted before 0.27"
                             : "");
}

/* CUDA graphs, per rank (profile_cudagraph_memory's estimate, predicted). */
int mb__est_cudagraphs(const mb_arch *a, const mb_estimate_device *dev,
                      const mb_estimate_options *o, const mb__release_rules *r, int seqs,
                      int64_t tokens, mb_estimate *e)
{
    mb_estimate_part *p = &e->cudagraph;
    e->num_cudagraphs = 0;
    if (o->enforce_eager || dev->vendor == MB_GPU_CPU) {
        mb__est_part_given(p, 0, MB_EST_NONE);
        snprintf(p->reason, sizeof p->reason, "%s",
                 o->enforce_eager ? "enforce_eager captures no graphs"
                                  : "a CPU device captures no graphs");
        return MB_OK;
    }
    mb_cudagraph_options co = MB_CUDAGRAPH_OPTIONS_INIT;
    co.max_num_seqs = seqs;
    co.max_num_batched_tokens = tokens;
    int sizes[512];
    int n = mb__cudagraph_capture_sizes(&co, sizes, 512);
    if (n < 0)
        return n;
    int nf = 0; /* FULL decode graphs: the sizes up to max_num_seqs; none for a pooling
                 * (encoder-only) model, whose mode vLLM turns to PIECEWISE
                 * (VllmConfig.__post_init__, vllm/config/vllm.py) */
    for (int i = 0; i < n && i < 512 && !a->model.encoder_only; i++)
        nf += sizes[i] <= seqs;
    e->num_cudagraphs = n + nf;
    if (o->cudagraph_memory != MB_UNKNOWN) {
        mb__est_part_given(p, o->cudagraph_memory, MB_EST_GIVEN);
        return MB_OK;
    }
    if (o->cudagraph_first != MB_UNKNOWN) {
        mb_cudagraph_estimator ce;
        mb_cudagraph_estimator_init(&ce);
        int64_t v;
        int rc;
        if ((rc = mb_cudagraph_estimator_set_graphs(&ce, 0, n + nf)) ||
            (rc = mb_cudagraph_estimator_feed(&ce, 0, o->cudagraph_first)) ||
            (o->cudagraph_second != MB_UNKNOWN &&
             (rc = mb_cudagraph_estimator_feed(&ce, 0, o->cudagraph_second))) ||
            (rc = mb_cudagraph_estimator_compute(&ce, &v)))
            return rc;
        mb__est_part_given(p, v, MB_EST_MEASURED);
        return MB_OK;
    }
    mb__shape s;
    mb__arch_shape(a, o->tensor_parallel_size, o->pipeline_parallel_size, &s);
    double largest = n ? sizes[n < 512 ? n - 1 : 511] : 0;
    double first = forward_bytes(&s, largest);
    double per = MB__GRAPH_BYTES_PER_LAYER * s.layers;
    if (per < (double)MB_MiB)
        per = (double)MB_MiB;
    double total = first + per * ((n > 1 ? n - 1 : 0) + (nf > 1 ? nf - 1 : 0));
    double floor = (double)MB_MiB * ((n > 1 ? n - 1 : 0) + (nf > 1 ? nf - 1 : 0));
    mb__est_part_set(p, total, floor > total * 0.3 ? floor : total * 0.3, total * 2.5,
             MB_EST_ESTIMATED);
    snprintf(p->reason, sizeof p->reason, "%d PIECEWISE graphs (largest %d) and %d FULL: "
             "the first capture's live set plus %.1f MiB per further graph%s",
             n, (int)largest, nf, per / (double)MB_MiB,
             !r->graphs_estimated ? "; V2 before 0.29 does not estimate them: captured "
                                    "outside the KV budget"
             : r->graphs_charged ? "" : "; not taken from the KV cache (before vLLM 0.20)");
    return MB_OK;
}

void mb__est_weights(const mb_arch *a, const mb_estimate_options *o, mb_estimate_part *p)
{
    int tp = o->tensor_parallel_size, pp = o->pipeline_parallel_size;
    if (o->weights_memory != MB_UNKNOWN) {
        mb__est_part_given(p, o->weights_memory, MB_EST_GIVEN);
        return;
    }
    mb__param_count c;
    int have_count = mb__arch_count(a, tp, pp, &c) == MB_OK;
    int db = a->model.dtype_bytes ? a->model.dtype_bytes : 2;
    if (a->model.weights_bytes != MB_UNKNOWN && a->model.weights_bytes > 0) {
        /* the checkpoint's bytes, sharded: the replicated parts (router, KV heads beyond
         * the ranks) make a rank a little larger than bytes / tp */
        double b = (double)a->model.weights_bytes / ((double)tp * pp);
        if (have_count)
            b += c.rope_cache * db;
        mb__est_part_set(p, b, b * 0.98, b * 1.06, MB_EST_SAFETENSORS);
        snprintf(p->reason, sizeof p->reason, "%s, split over %d rank%s",
                 a->model.weights_source, tp * pp, tp * pp == 1 ? "" : "s");
        return;
    }
    if (!have_count) {
        char why[192];
        snprintf(why, sizeof why, "%s; pass weights_memory", mb_error_detail());
        mb__est_part_unknown(p, why);
        return;
    }
    double b = (c.plain + c.rope_cache) * db + c.quantized * mb__quant_bytes_per_param(a);
    double spread = a->quant_bits < 16 ? 0.08 : 0.03;
    if (a->vision_params || a->audio_params)
        spread += 0.05;
    mb__est_part_set(p, b, b * (1 - spread), b * (1 + spread), MB_EST_CONFIG);
    snprintf(p->reason, sizeof p->reason, "%.3g parameters per rank%s%s", c.plain +
             c.quantized, a->quant_bits < 16 ? ", quantized with " : "",
             a->quant_bits < 16 ? a->quant_method : "");
}
