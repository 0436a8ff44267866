/*
 * core/cudagraph_modes.c: vLLM 0.33.0's FULL and PIECEWISE CUDA graphs: which mode runs,
 * which graphs each mode captures, and what the memory profiler charges for them (issue 14,
 * item 4). The capture sizes themselves are cudagraph.c's.
 *
 * The mode: CompilationConfig.resolve_cudagraph_mode_and_sizes (vllm/config/compilation.py)
 * from the requested cudagraph_mode (default FULL_AND_PIECEWISE) and the attention backend's
 * AttentionCGSupport (attn_backend.c): a FULL mixed mode without ALWAYS support becomes
 * FULL_AND_PIECEWISE (NEVER: refused); FULL decode with NEVER support becomes PIECEWISE, and
 * so does FULL decode with speculation (1 + k > 1) below UNIFORM_BATCH. It takes attention to
 * be among the splitting ops, as it is under the default VLLM_COMPILE mode.
 *
 * The graphs, model runner V2 (0.33's default: VllmConfig.use_v2_model_runner):
 * CudaGraphManager._init_candidates (vllm/v1/worker/gpu/cudagraph_utils.py): every capture
 * size is a graph of the mixed mode; with a separate decode routine (FULL_AND_PIECEWISE,
 * FULL_DECODE_ONLY) each size rounded up to a multiple of 1 + k is also a FULL decode graph
 * unless it passes max_num_seqs x (1 + k), the largest capture size, or max_num_seqs
 * requests; duplicates once. Model runner V1: the sizes are first rounded up to multiples of
 * 1 + k when decode is FULL and k > 0 (adjust_cudagraph_sizes_for_spec_decode), then
 * CudagraphDispatcher.initialize_cudagraph_keys (vllm/v1/cudagraph_dispatcher.py) keys every
 * size for the mixed mode and the sizes from 1 + k to max_num_seqs x (1 + k) for FULL decode.
 *
 * The memory: V1's GPUModelRunner.profile_cudagraph_memory (vllm/v1/worker/gpu_model_runner.py)
 * captures each mode's two largest graphs: the first capture whole, max(second, 1 MiB) for
 * every further graph, and as FULL and PIECEWISE share one pool, the largest first capture
 * plus each mode's (n - 1) x per-graph. V2's profile_cudagraph_memory (cudagraph_utils.py)
 * captures every PIECEWISE graph (measured in full: first + (n - 1) x second here) and the
 * two largest FULL graphs, extrapolated by _extrapolate_full_graph_memory to first + (n - 1)
 * x max(second, 1 MiB) (no per-graph part with one sample); the sum is charged. Either way
 * Worker.determine_available_memory (vllm/v1/worker/gpu_worker.py) charges it only while
 * VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS is 1 (the default).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "attn_backend.h"
#include "cudagraph_modes.h"

const char *mb_cudagraph_mode_name(int mode)
{
    switch (mode) {
    case MB_CUDAGRAPH_MODE_DEFAULT:
        return "default";
    case MB_CUDAGRAPH_MODE_NONE:
        return "NONE";
    case MB_CUDAGRAPH_MODE_PIECEWISE:
        return "PIECEWISE";
    case MB_CUDAGRAPH_MODE_FULL:
        return "FULL";
    case MB_CUDAGRAPH_MODE_FULL_DECODE_ONLY:
        return "FULL_DECODE_ONLY";
    case MB_CUDAGRAPH_MODE_FULL_AND_PIECEWISE:
        return "FULL_AND_PIECEWISE";
    }
    return "unknown";
}

/* CUDAGraphMode.decode_mode / mixed_mode / separate_routine: 0 none, 1 PIECEWISE, 2 FULL */
static int decode_of(int m)
{
    return m == MB_CUDAGRAPH_MODE_PIECEWISE ? 1 : m == MB_CUDAGRAPH_MODE_NONE ? 0 : 2;
}
static int mixed_of(int m)
{
    return m == MB_CUDAGRAPH_MODE_FULL ? 2
           : m == MB_CUDAGRAPH_MODE_PIECEWISE || m == MB_CUDAGRAPH_MODE_FULL_AND_PIECEWISE ? 1
                                                                                        : 0;
}
static int separate_of(int m)
{
    return m == MB_CUDAGRAPH_MODE_FULL_DECODE_ONLY || m == MB_CUDAGRAPH_MODE_FULL_AND_PIECEWISE;
}

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

int mb__cudagraph_resolve_mode(int requested, int support, const char *backend, int q,
                               char *why, size_t why_size)
{
    int m = requested == MB_CUDAGRAPH_MODE_DEFAULT ? MB_CUDAGRAPH_MODE_FULL_AND_PIECEWISE
                                                   : requested;
    if (m < MB_CUDAGRAPH_MODE_NONE || m > MB_CUDAGRAPH_MODE_FULL_AND_PIECEWISE)
        return mb__error(MB_EINVAL, "cudagraph_mode %d: give NONE, PIECEWISE, FULL, "
                                    "FULL_DECODE_ONLY or FULL_AND_PIECEWISE", requested);
    snprintf(why, why_size, "%s%s", mb_cudagraph_mode_name(m),
             requested == MB_CUDAGRAPH_MODE_DEFAULT ? " (vLLM's default)" : " (given)");
    if (m == MB_CUDAGRAPH_MODE_NONE)
        return m;
    if (mixed_of(m) == 2 && support != MB__CG_ALWAYS) {
        if (support == MB__CG_NEVER)
            return mb__error(MB_EINVAL, "CUDAGraphMode.%s is not supported with %s backend "
                                        "(support: AttentionCGSupport.NEVER); please try "
                                        "cudagraph_mode=PIECEWISE, and make sure compilation "
                                        "mode is VLLM_COMPILE", mb_cudagraph_mode_name(m),
                             backend ? backend : "the attention");
        snprintf(why, why_size, "FULL_AND_PIECEWISE: FULL mixed batches need ALWAYS support, "
                 "the backend has %s", mb__cg_support_name(support));
        m = MB_CUDAGRAPH_MODE_FULL_AND_PIECEWISE;
    }
    if (decode_of(m) == 2 && support == MB__CG_NEVER) {
        snprintf(why, why_size, "PIECEWISE: the backend supports no FULL graphs");
        m = MB_CUDAGRAPH_MODE_PIECEWISE;
    }
    if (decode_of(m) == 2 && q > 1 && support < MB__CG_UNIFORM_BATCH) {
        snprintf(why, why_size, "PIECEWISE: FULL decode with speculative decoding needs "
                 "UNIFORM_BATCH support, the backend has %s", mb__cg_support_name(support));
        m = MB_CUDAGRAPH_MODE_PIECEWISE;
    }
    return m;
}

int mb__cudagraph_split(const mb__cg_split_in *in, mb__cg_split *out)
{
    memset(out, 0, sizeof *out);
    int q = 1 + in->num_speculative_tokens;
    int mode = mb__cudagraph_resolve_mode(in->mode, in->cg_support, in->backend, q, out->why,
                                          sizeof out->why);
    if (mode < 0)
        return mode;
    if (in->pooling && (mode == MB_CUDAGRAPH_MODE_FULL || separate_of(mode))) {
        /* VllmConfig.__post_init__ (vllm/config/vllm.py): "Pooling models do not support
         * full cudagraphs. Overriding cudagraph_mode to PIECEWISE." */
        mode = MB_CUDAGRAPH_MODE_PIECEWISE;
        snprintf(out->why, sizeof out->why, "PIECEWISE: pooling (encoder-only) models do not "
                 "support full CUDA graphs (VllmConfig.__post_init__)");
    }
    out->mode = mode;
    if (mode == MB_CUDAGRAPH_MODE_NONE)
        return MB_OK;
    mb_cudagraph_options co = MB_CUDAGRAPH_OPTIONS_INIT;
    co.max_num_seqs = in->max_num_seqs;
    co.max_num_batched_tokens = in->max_num_batched_tokens;
    co.num_speculative_tokens = in->num_speculative_tokens;
    co.compute_capability = in->compute_capability;
    int n = mb__cudagraph_capture_sizes(&co, out->sizes, MB__CG_MAX_SIZES);
    if (n < 0)
        return n;
    if (n > MB__CG_MAX_SIZES)
        return mb__error(MB_ERANGE, "%d CUDA-graph capture sizes, more than %d", n,
                         MB__CG_MAX_SIZES);
    int64_t seqs = in->max_num_seqs;
    int dec = decode_of(mode), mix = mixed_of(mode), sep = separate_of(mode);
    if (in->v1_runner && dec == 2 && q > 1 && n > 0) {
        /* adjust_cudagraph_sizes_for_spec_decode: round up to multiples of q, at most the
         * largest size, each once (the sizes ascend, so the rounded ones do too) */
        int64_t max = out->sizes[n - 1];
        int k = 0;
        for (int i = 0; i < n; i++) {
            int64_t r = round_up(out->sizes[i], q);
            if (r <= max && (k == 0 || out->sizes[k - 1] != r))
                out->sizes[k++] = (int)r;
        }
        if (k == 0 && q <= max)
            out->sizes[k++] = q;
        if (k == 0)
            return mb__error(MB_EINVAL, "No valid cudagraph sizes after rounding to multiple "
                                        "of %d (num_speculative_tokens + 1) please adjust "
                                        "num_speculative_tokens (%d) or "
                                        "max_cudagraph_capture_size (%lld)",
                             q, q - 1, (long long)max);
        n = k;
    }
    out->num_sizes = n;
    int64_t maxcg = n ? out->sizes[n - 1] : 0;
    /* the graphs, largest first as both runners capture them */
    for (int i = n - 1; i >= 0; i--) {
        int64_t s = out->sizes[i];
        if (mix)
            out->tokens[mix == 2][out->count[mix == 2]++] = (int)s;
        if (!(sep && dec == 2))
            continue;
        if (in->v1_runner) {
            if (s >= q && s <= (int64_t)q * seqs)
                out->tokens[1][out->count[1]++] = (int)s;
        } else {
            int64_t r = round_up(s, q);
            if (r > (int64_t)q * seqs || r > maxcg || r / q > seqs)
                continue;
            int dup = 0;
            for (int j = 0; j < out->count[1] && !dup; j++)
                dup = out->tokens[1][j] == r;
            if (!dup)
                out->tokens[1][out->count[1]++] = (int)r;
        }
    }
    /* V2 appends the rounded decode sizes as it goes and then sorts them, largest first */
    for (int i = 1; i < out->count[1]; i++)
        for (int j = i; j > 0 && out->tokens[1][j] > out->tokens[1][j - 1]; j--) {
            int t = out->tokens[1][j];
            out->tokens[1][j] = out->tokens[1][j - 1];
            out->tokens[1][j - 1] = t;
        }
    return MB_OK;
}

static int add(int64_t a, int64_t b, int64_t *out)
{
    if (__builtin_add_overflow(a, b, out) || *out > MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "the CUDA-graph estimate exceeds 1 PiB; check the "
                                    "captures given");
    return MB_OK;
}

int mb__cudagraph_charge(const mb__cg_split *s, int v1_runner, const int64_t first[2],
                         const int64_t second[2], mb__cg_charge *out)
{
    memset(out, 0, sizeof *out);
    int64_t shared = 0, per_sum = 0;
    for (int m = 0; m < 2; m++) {
        int n = s->count[m];
        out->part[m].count = n;
        if (n == 0)
            continue;
        int64_t f = first[m] > 0 ? first[m] : 0, sec = second[m] > 0 ? second[m] : 0, per;
        if (v1_runner || m == 1) {
            /* V1 every mode, V2 FULL: max(second, 1 MiB), no second sample with one graph */
            per = n > 1 ? (sec > MB_MiB ? sec : MB_MiB) : 0;
        } else {
            per = sec; /* V2 PIECEWISE: every graph is captured and measured */
        }
        int64_t part;
        if (__builtin_mul_overflow(per, (int64_t)(n - 1), &part) || part > MB_SIZE_MAX)
            return mb__error(MB_ERANGE, "the CUDA-graph estimate exceeds 1 PiB; check the "
                                        "captures given");
        out->part[m].first = f;
        out->part[m].per_graph = per;
        int rc = add(f, part, &out->part[m].bytes);
        if (rc)
            return rc;
        if ((rc = add(per_sum, part, &per_sum)))
            return rc;
        if (v1_runner) {
            if (f > shared)
                shared = f;
        } else if ((rc = add(shared, f, &shared))) {
            return rc;
        }
    }
    return add(shared, per_sum, &out->total);
}
