/*
 * core/estimate.c: what vLLM's start-up will measure, predicted from a model's config and
 * the scheduler settings (issue 15). Each part follows a named function of vLLM 0.33.0
 * (docs/estimate.md has the formulas and their measured accuracy):
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
 *    parts and, since 0.21 (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS), the graphs.
 * The few constants that are fitted (estimate.h) are global: none is per model or per row.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estimate.h"
#include "kv_groups.h"

const char *mb_estimate_source_name(int32_t s)
{
    switch (s) {
    case MB_EST_UNKNOWN:
        return "unknown";
    case MB_EST_GIVEN:
        return "given";
    case MB_EST_MEASURED:
        return "measured";
    case MB_EST_SAFETENSORS:
        return "safetensors";
    case MB_EST_CONFIG:
        return "config";
    case MB_EST_ESTIMATED:
        return "estimated";
    case MB_EST_NONE:
        return "none";
    }
    return "unknown";
}

const char *mb_estimate_verdict_name(int32_t v)
{
    switch (v) {
    case MB_EST_FITS:
        return "fits";
    case MB_EST_MAY_NOT_FIT:
        return "may not fit";
    case MB_EST_DOES_NOT_FIT:
        return "does not fit";
    }
    return "unknown";
}

static void part_unknown(mb_estimate_part *p, const char *reason);

/* A part from the formulas; figures beyond MB_SIZE_MAX (absurd config sizes) make it
 * unknown rather than wrap. */
static void part_set(mb_estimate_part *p, double bytes, double low, double high,
                     mb_estimate_source src)
{
    if (!(high <= (double)MB_SIZE_MAX) || !(low >= 0) || !(bytes >= low)) {
        char why[160];
        snprintf(why, sizeof why, "the config's sizes give %.3g bytes for this part, more "
                 "than 1 PiB: check hidden_size, vocab_size and the layer counts", high);
        part_unknown(p, why);
        return;
    }
    p->bytes = (int64_t)bytes;
    p->low = (int64_t)low;
    p->high = (int64_t)high;
    p->source = src;
}

static void part_unknown(mb_estimate_part *p, const char *reason)
{
    p->bytes = p->low = p->high = MB_UNKNOWN;
    p->source = MB_EST_UNKNOWN;
    snprintf(p->reason, sizeof p->reason, "%s", reason);
}

static void part_given(mb_estimate_part *p, int64_t v, mb_estimate_source src)
{
    p->bytes = p->low = p->high = v;
    p->source = src;
}

/* vLLM 0.33's scheduler defaults for `vllm serve` (engine/arg_utils.py
 * _set_default_max_num_seqs_and_batched_tokens_args, OPENAI_API_SERVER): 16384 tokens and
 * 1024 requests from 160 GiB, 8192 and 1024 from 70 GiB except A100s and GB10, else 2048
 * and 256. */
static void scheduler_defaults(const mb_estimate_device *dev, int *seqs, int64_t *tokens)
{
    int64_t t = 2048;
    int s = 256;
    char lower[64];
    size_t i = 0;
    for (; dev->name[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(dev->name[i] >= 'A' && dev->name[i] <= 'Z' ? dev->name[i] + 32
                                                                     : dev->name[i]);
    lower[i] = '\0';
    int gb10 = dev->cc_major == 12 && dev->cc_minor == 1;
    if (dev->total_memory >= 160 * MB_GiB) {
        t = 16384;
        s = 1024;
    } else if (dev->total_memory >= 70 * MB_GiB && !strstr(lower, "a100") && !gb10) {
        t = 8192;
        s = 1024;
    }
    if (!*seqs)
        *seqs = s;
    if (!*tokens)
        *tokens = t;
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

static void activation(const mb_arch *a, const mb_estimate_options *o, int seqs,
                       int64_t tokens, mb_estimate_part *p)
{
    mb__shape s;
    mb__arch_shape(a, o->tensor_parallel_size, o->pipeline_parallel_size, &s);
    double T = (double)tokens;
    double rows = seqs < tokens ? seqs : (double)tokens;
    double fwd = forward_bytes(&s, T);
    /* the dummy sampler on the last stage: logits (model dtype) + float32 copy, float32
     * probabilities and exponential noise, with the hidden states still held */
    double sampler = rows * s.vocab * MB__SAMPLER_BYTES + T * s.h * s.dtype_bytes;
    double peak = fwd > sampler ? fwd : sampler;
    /* multimodal: the encoder profile over the encoder budget (max_num_batched_tokens
     * tokens of the largest item) and its outputs kept in the encoder cache */
    double enc = 0;
    if (a->vision_params) {
        double patches = T * a->spatial_merge;
        double hv = sqrt((double)a->vision_params / 24.0); /* ~12 hv^2 per layer, ~2 layers
                                                            * worth of live set */
        enc = patches * hv * 8 * s.dtype_bytes + T * s.h * s.dtype_bytes;
        peak += T * s.h * s.dtype_bytes;
        if (enc > peak)
            peak = enc;
    }
    /* the range: the live set depends on torch.compile's fusions and the allocator's
     * blocks (2 MiB and larger segments); a multimodal encoder is much less certain */
    double lo = 0.55, hi = a->vision_params || a->audio_params ? 3.0 : 1.7;
    part_set(p, peak, peak * lo, peak * hi, MB_EST_ESTIMATED);
    snprintf(p->reason, sizeof p->reason,
             "profile_run: a forward over %lld tokens and the sampler over %d rows of %lld "
             "logits%s",
             (long long)tokens, (int)rows, (long long)a->vocab_size,
             a->vision_params ? ", after the vision encoder's profile" : "");
}

/* non_torch_increase, per rank: library workspaces and kernels, and the communication
 * buffers of tensor and pipeline parallelism. Ranges from the spread of the logged
 * figures (docs/estimate.md). */
static void non_torch(const mb_estimate_device *dev, const mb_estimate_options *o,
                      mb_estimate_part *p)
{
    double g = MB__GIB_F;
    double base = MB__NON_TORCH_GIB * g, lo = 0.02 * g, hi = 0.6 * g;
    if (dev->vendor == MB_GPU_AMD) {
        base = 0.3 * g;
        lo = 0.05 * g;
        hi = 1.2 * g;
    } else if (dev->vendor == MB_GPU_CPU) {
        part_given(p, 0, MB_EST_NONE);
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
    part_set(p, base, lo, hi, MB_EST_ESTIMATED);
    snprintf(p->reason, sizeof p->reason, "library workspaces%s%s",
             o->tensor_parallel_size > 1 ? ", NCCL and custom all-reduce buffers" : "",
             o->pipeline_parallel_size > 1 ? ", pipeline send/receive buffers" : "");
}

/* CUDA graphs, per rank (profile_cudagraph_memory's estimate, predicted). */
static int cudagraphs(const mb_arch *a, const mb_estimate_device *dev,
                      const mb_estimate_options *o, int seqs, int64_t tokens, mb_estimate *e)
{
    mb_estimate_part *p = &e->cudagraph;
    e->num_cudagraphs = 0;
    if (o->enforce_eager || dev->vendor == MB_GPU_CPU) {
        part_given(p, 0, MB_EST_NONE);
        snprintf(p->reason, sizeof p->reason, "%s",
                 o->enforce_eager ? "--enforce-eager captures no graphs"
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
    int nf = 0; /* FULL decode graphs: the sizes up to max_num_seqs */
    for (int i = 0; i < n && i < 512; i++)
        nf += sizes[i] <= seqs;
    e->num_cudagraphs = n + nf;
    if (o->cudagraph_memory != MB_UNKNOWN) {
        part_given(p, o->cudagraph_memory, MB_EST_GIVEN);
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
        part_given(p, v, MB_EST_MEASURED);
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
    part_set(p, total, floor > total * 0.3 ? floor : total * 0.3, total * 2.5,
             MB_EST_ESTIMATED);
    snprintf(p->reason, sizeof p->reason, "%d PIECEWISE graphs (largest %d) and %d FULL: "
             "the first capture's live set plus %.1f MiB per further graph%s",
             n, (int)largest, nf, per / (double)MB_MiB,
             o->charge_cudagraphs ? "" : "; not taken from the KV cache before vLLM 0.21");
    return MB_OK;
}

static int check(const mb_arch *a, const mb_estimate_device *dev, const mb_estimate_options *o)
{
    if (!(o->gpu_memory_utilization > 0 && o->gpu_memory_utilization <= 1))
        return mb__error(MB_EINVAL, "--gpu-memory-utilization %g: give a fraction above 0 "
                                    "and at most 1", o->gpu_memory_utilization);
    if (o->tensor_parallel_size < 1 || o->tensor_parallel_size > 1024)
        return mb__error(MB_EINVAL, "--tensor-parallel-size %d: give 1 to 1024",
                         o->tensor_parallel_size);
    if (o->pipeline_parallel_size < 1 || o->pipeline_parallel_size > a->model.num_layers)
        return mb__error(MB_EINVAL, "--pipeline-parallel-size %d: give 1 to the model's %d "
                                    "layers", o->pipeline_parallel_size,
                         a->model.num_layers);
    if (o->instances < 1 || o->instances > 64)
        return mb__error(MB_EINVAL, "--instances %d: give 1 to 64 engines per device",
                         o->instances);
    if (o->max_num_seqs < 0 || o->max_num_batched_tokens < 0 || o->max_model_len < 0)
        return mb__error(MB_EINVAL, "--max-num-seqs, --max-num-batched-tokens and "
                                    "--max-model-len must not be negative");
    if (dev->total_memory <= 0 || dev->total_memory > MB_SIZE_MAX)
        return mb__error(MB_EINVAL, "the device's total memory %lld is not a size; pass "
                                    "--gpu NAME or --total-memory SIZE",
                         (long long)dev->total_memory);
    if (o->memory_cap != MB_UNKNOWN &&
        (o->memory_cap <= 0 || o->memory_cap * o->instances > dev->total_memory))
        return mb__error(MB_ERANGE, "--memory-cap %lld bytes x %d instances is not within "
                                    "the device's %lld bytes",
                         (long long)o->memory_cap, o->instances,
                         (long long)dev->total_memory);
    if ((o->weights_memory != MB_UNKNOWN && o->weights_memory <= 0) ||
        (o->non_kv_memory != MB_UNKNOWN && o->non_kv_memory < 0) ||
        (o->cudagraph_memory != MB_UNKNOWN && o->cudagraph_memory < 0))
        return mb__error(MB_EINVAL, "--weights-memory must be above 0, --non-kv-memory and "
                                    "--cudagraph-memory 0 or more");
    return MB_OK;
}

static void weights(const mb_arch *a, const mb_estimate_options *o, mb_estimate_part *p)
{
    int tp = o->tensor_parallel_size, pp = o->pipeline_parallel_size;
    if (o->weights_memory != MB_UNKNOWN) {
        part_given(p, o->weights_memory, MB_EST_GIVEN);
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
        part_set(p, b, b * 0.98, b * 1.06, MB_EST_SAFETENSORS);
        snprintf(p->reason, sizeof p->reason, "%s, split over %d rank%s",
                 a->model.weights_source, tp * pp, tp * pp == 1 ? "" : "s");
        return;
    }
    if (!have_count) {
        char why[192];
        snprintf(why, sizeof why, "%s; pass --weights-memory", mb_error_detail());
        part_unknown(p, why);
        return;
    }
    double b = (c.plain + c.rope_cache) * db + c.quantized * mb__quant_bytes_per_param(a);
    double spread = a->quant_bits < 16 ? 0.08 : 0.03;
    if (a->vision_params || a->audio_params)
        spread += 0.05;
    part_set(p, b, b * (1 - spread), b * (1 + spread), MB_EST_CONFIG);
    snprintf(p->reason, sizeof p->reason, "%.3g parameters per rank%s%s", c.plain +
             c.quantized, a->quant_bits < 16 ? ", quantized with " : "",
             a->quant_bits < 16 ? a->quant_method : "");
}

/* Tokens and concurrency for an available figure, with the plan's own KV geometry
 * (kv_groups.c: vLLM 0.33's KV-cache groups, so that sliding-window and MLA layers count
 * as the plan counts them, and a block is a block of every group): the blocks of every
 * pipeline stage from avail, the "GPU KV cache size" tokens and the concurrency vLLM
 * logs. MB_UNKNOWN stays unknown; nothing left gives 0. */
static int capacity(const mb_arch *a, const mb_kv_spec *k, int pp, int64_t mnbt,
                    int64_t avail, int64_t max_len, int64_t *tokens, double *conc)
{
    if (avail == MB_UNKNOWN) {
        *tokens = MB_UNKNOWN;
        *conc = NAN;
        return MB_OK;
    }
    if (avail <= 0) {
        *tokens = 0;
        *conc = 0;
        return MB_OK;
    }
    int64_t per_stage[MB__KV_MAX_STAGES];
    if (pp > MB__KV_MAX_STAGES)
        return mb__error(MB_EINVAL, "--pipeline-parallel-size %d: the KV plan takes at "
                                    "most %d stages", pp, MB__KV_MAX_STAGES);
    for (int r = 0; r < pp; r++)
        per_stage[r] = avail;
    mb__kv_plan_in in = {
        .num_layers = a->model.num_layers,
        .sliding = a->model.layer_sliding,
        .is_mla = a->model.is_mla,
        .sliding_window = a->model.sliding_window,
        .page_bytes = k->page_bytes,
        .block_size = k->block_size,
        .pipeline_parallel_size = pp,
        .available = per_stage,
        .max_model_len = max_len,
        .auto_fit = 0,
        .num_gpu_blocks_override = -1,
        /* VllmConfig.max_in_flight_tokens with 0.33's async scheduling: pp + 1 batches */
        .max_in_flight_tokens = (int64_t)(pp + 1) * mnbt,
    };
    mb__kv_plan_out out;
    int rc = mb__kv_plan(&in, &out);
    if (rc)
        return rc;
    *tokens = out.kv_cache_tokens;
    *conc = out.max_concurrency;
    return MB_OK;
}

int mb__estimate_compute(const mb_arch *a, const mb_estimate_device *dev,
                         const mb_estimate_options *o, mb_estimate *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_estimate_compute: out is NULL");
    memset((char *)out + sizeof out->size, 0, sizeof *out - sizeof out->size);
    if (!a || !dev)
        return mb__error(MB_EINVAL, "mb_estimate_compute: arch or dev is NULL");
    static const mb_estimate_options def = MB_ESTIMATE_OPTIONS_INIT;
    if (!o)
        o = &def;
    int rc = check(a, dev, o);
    if (rc)
        return rc;
    mb_estimate e = MB_ESTIMATE_INIT;
    e.tensor_parallel_size = o->tensor_parallel_size;
    e.pipeline_parallel_size = o->pipeline_parallel_size;
    e.instances = o->instances;
    e.max_num_seqs = o->max_num_seqs;
    e.max_num_batched_tokens = o->max_num_batched_tokens;
    scheduler_defaults(dev, &e.max_num_seqs, &e.max_num_batched_tokens);
    e.max_model_len = o->max_model_len ? o->max_model_len : a->model.max_model_len;
    if (e.max_model_len <= 0)
        return mb__error(MB_EINVAL, "the model's config gives no max_position_embeddings; "
                                    "pass --max-model-len");

    mb_kv_spec k;
    if ((rc = mb__kv_spec_init(&k, &a->model, o->block_size, o->tensor_parallel_size,
                               o->kv_cache_dtype)))
        return rc;
    e.bytes_per_token = k.bytes_per_token;

    /* the parts */
    weights(a, o, &e.weights);
    if (o->non_kv_memory != MB_UNKNOWN) {
        /* a profile gives weights + activation + non-torch at once: carried by the
         * activation part, the other two count 0 */
        part_given(&e.activation, o->non_kv_memory, MB_EST_GIVEN);
        snprintf(e.activation.reason, sizeof e.activation.reason,
                 "--non-kv-memory: weights, activation peak and non-torch memory together");
        part_given(&e.non_torch, 0, MB_EST_GIVEN);
        part_given(&e.weights, 0, MB_EST_GIVEN);
        snprintf(e.weights.reason, sizeof e.weights.reason, "in --non-kv-memory");
    } else {
        if (a->arch_reason[0]) {
            char why[192];
            snprintf(why, sizeof why, "%s: the activation peak needs it; pass "
                     "--non-kv-memory from a profiling run", a->arch_reason);
            part_unknown(&e.activation, why);
        } else {
            activation(a, o, e.max_num_seqs, e.max_num_batched_tokens, &e.activation);
        }
        non_torch(dev, o, &e.non_torch);
    }
    if (a->arch_reason[0] && !o->enforce_eager && o->cudagraph_memory == MB_UNKNOWN &&
        o->cudagraph_first == MB_UNKNOWN && dev->vendor != MB_GPU_CPU) {
        char why[192];
        snprintf(why, sizeof why, "%s: the CUDA-graph estimate needs it; pass "
                 "--cudagraph-captures or --cudagraph-memory", a->arch_reason);
        part_unknown(&e.cudagraph, why);
    } else if ((rc = cudagraphs(a, dev, o, e.max_num_seqs, e.max_num_batched_tokens, &e))) {
        return rc;
    }

    /* the budget per instance */
    e.context_memory = dev->context_memory != MB_UNKNOWN
                           ? dev->context_memory
                           : (dev->vendor == MB_GPU_AMD ? (int64_t)(1.0 * MB__GIB_F)
                              : dev->vendor == MB_GPU_CPU ? 0
                                                          : (int64_t)(0.5 * MB__GIB_F));
    int64_t cap;
    if (o->memory_cap != MB_UNKNOWN)
        cap = o->memory_cap;
    else if (o->instances > 1)
        cap = dev->total_memory / o->instances - e.context_memory;
    else
        cap = MB_UNKNOWN;
    if (cap == MB_UNKNOWN) {
        if ((rc = mb_budget_requested(dev->total_memory, o->gpu_memory_utilization,
                                      &e.requested_memory)))
            return rc;
        e.startup_ok = dev->total_memory - e.context_memory >= e.requested_memory;
    } else {
        e.requested_memory = cap;
        e.startup_ok = cap > 0 &&
                       (cap + e.context_memory) * (int64_t)o->instances <= dev->total_memory;
    }

    const mb_estimate_part *parts[] = {&e.weights, &e.activation, &e.non_torch, &e.cudagraph};
    const char *missing = NULL;
    double mid = 0, lo = 0, hi = 0;
    e.cudagraph_charged = o->charge_cudagraphs && e.cudagraph.source != MB_EST_NONE;
    for (size_t i = 0; i < 4; i++) {
        if (i == 3 && !e.cudagraph_charged)
            continue;
        if (parts[i]->source == MB_EST_UNKNOWN) {
            if (!missing)
                missing = parts[i]->reason;
            continue;
        }
        mid += (double)parts[i]->bytes;
        lo += (double)parts[i]->low;
        hi += (double)parts[i]->high;
    }
    double req = (double)e.requested_memory;
    if (missing) {
        e.available_kv_cache_memory = e.available_kv_cache_memory_low =
            e.available_kv_cache_memory_high = MB_UNKNOWN;
    } else {
        e.available_kv_cache_memory = (int64_t)(req - mid);
        e.available_kv_cache_memory_low = (int64_t)(req - hi);
        e.available_kv_cache_memory_high = (int64_t)(req - lo);
    }
    int pp = o->pipeline_parallel_size;
    int64_t mnbt = e.max_num_batched_tokens;
    if ((rc = capacity(a, &k, pp, mnbt, e.available_kv_cache_memory, e.max_model_len,
                       &e.kv_cache_tokens, &e.max_concurrency)) ||
        (rc = capacity(a, &k, pp, mnbt, e.available_kv_cache_memory_low, e.max_model_len,
                       &e.kv_cache_tokens_low, &e.max_concurrency_low)) ||
        (rc = capacity(a, &k, pp, mnbt, e.available_kv_cache_memory_high, e.max_model_len,
                       &e.kv_cache_tokens_high, &e.max_concurrency_high)))
        return rc;

    /* the verdict */
    char g1[32], g2[32];
    if (missing) {
        e.verdict = MB_EST_MAY_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "may not fit: a part is unknown "
                 "(%s)", missing);
    } else if (!e.startup_ok) {
        e.verdict = MB_EST_DOES_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "does not fit: vLLM's start-up check "
                 "needs %s GiB free besides the runtime context (~%s GiB); lower "
                 "--gpu-memory-utilization or the number of instances",
                 mb__gib(e.requested_memory, g1, sizeof g1),
                 mb__gib(e.context_memory, g2, sizeof g2));
    } else if (e.max_concurrency_low >= 1) {
        e.verdict = MB_EST_FITS;
        snprintf(e.verdict_text, sizeof e.verdict_text, "fits: %lld to %lld KV tokens per "
                 "rank, %.2f to %.2f requests of %lld tokens at once",
                 (long long)e.kv_cache_tokens_low, (long long)e.kv_cache_tokens_high,
                 e.max_concurrency_low, e.max_concurrency_high, (long long)e.max_model_len);
    } else if (e.max_concurrency_high >= 1) {
        e.verdict = MB_EST_MAY_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "may not fit: %lld to %lld KV tokens "
                 "per rank for requests of %lld tokens; measure the non-KV memory (a "
                 "profiling run, --non-kv-memory) or lower --max-model-len to %lld",
                 (long long)(e.kv_cache_tokens_low > 0 ? e.kv_cache_tokens_low : 0),
                 (long long)e.kv_cache_tokens_high, (long long)e.max_model_len,
                 (long long)(e.kv_cache_tokens_low > 0 ? e.kv_cache_tokens_low : 0));
    } else {
        e.verdict = MB_EST_DOES_NOT_FIT;
        snprintf(e.verdict_text, sizeof e.verdict_text, "does not fit: at most %lld KV "
                 "tokens per rank, less than one request of %lld tokens; lower "
                 "--max-model-len, use --kv-cache-dtype fp8, or raise "
                 "--tensor-parallel-size",
                 (long long)(e.kv_cache_tokens_high > 0 ? e.kv_cache_tokens_high : 0),
                 (long long)e.max_model_len);
    }
    if (!missing)
        mb__estimate_knobs(dev, &e, cap);
    *out = e;
    return MB_OK;
}
