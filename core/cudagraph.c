/*
 * core/cudagraph.c: which batch sizes vLLM captures as CUDA graphs, and how much memory
 * the captures take.
 *
 * Capture sizes: vllm/config/vllm.py VllmConfig._set_cudagraph_sizes (0.33). The largest
 * size defaults to min(max_num_seqs x decode_query_len x 2, 512, or 1024 on sm_100),
 * decode_query_len being 1 + num_speculative_tokens, and is capped by
 * max_num_batched_tokens; the sizes are [1, 2, 4] up to it, range(8, min(max + 1, 256), 8),
 * range(256, max + 1, 16), then max_num_batched_tokens when it fits, and the uniform decode
 * sizes (max_num_seqs; with speculation n x decode_query_len for vLLM's request counts n)
 * that fit, each once.
 *
 * Estimate: vllm/v1/worker/gpu_model_runner.py profile_cudagraph_memory. Per runtime mode
 * it captures the first two descriptors, takes the first capture whole (it holds the pool's
 * shared buffers) and max(second, 1 MiB) per further graph ("at least 1 MiB per graph for
 * driver overhead"); FULL and PIECEWISE graphs share one pool and never replay at once, so
 * the total is the largest first capture plus the per-graph parts of every mode.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"


int mb__cudagraph_capture_sizes(const mb_cudagraph_options *o, int *sizes, int cap)
{
    if (!o)
        return mb__error(MB_EINVAL, "mb_cudagraph_capture_sizes: o is NULL");
    if (cap < 0 || (cap > 0 && !sizes))
        return mb__error(MB_EINVAL, "mb_cudagraph_capture_sizes: sizes is NULL or cap < 0");
    if (o->max_num_seqs < 1 || o->max_num_seqs > (1 << 20))
        return mb__error(MB_EINVAL, "max_num_seqs %d: give the most requests a batch may "
                                    "hold (1 or more)", o->max_num_seqs);
    if (o->max_num_batched_tokens < 1 || o->max_num_batched_tokens > ((int64_t)1 << 31))
        return mb__error(MB_EINVAL, "max_num_batched_tokens %lld: give the most tokens a "
                                    "step may hold (1 or more)",
                         (long long)o->max_num_batched_tokens);
    if (o->num_speculative_tokens < 0 || o->num_speculative_tokens > 1024)
        return mb__error(MB_EINVAL, "num_speculative_tokens=%d is out of range (0 to 1024)",
                         o->num_speculative_tokens);
    if (o->max_capture_size < 0)
        return mb__error(MB_EINVAL, "max_capture_size=%d is negative (0 means vLLM's "
                                    "default)", o->max_capture_size);
    /* vLLM 0.33's _set_cudagraph_sizes (vllm/config/vllm.py) */
    int64_t ceiling = o->compute_capability >= 100 && o->compute_capability < 110 ? 1024 : 512;
    int64_t q = 1 + o->num_speculative_tokens; /* uniform_decode_query_len */
    int64_t seqs = o->max_num_seqs, tokens = o->max_num_batched_tokens;
    int64_t max = o->max_capture_size;
    int64_t uniform[2048]; /* on the stack: the function keeps no state (thread-safe) */
    int nu = 0;
    if (max == 0) {
        max = seqs * q * 2 < ceiling ? seqs * q * 2 : ceiling;
        if (q > 1) { /* n x q for n in vLLM's request counts up to max_num_seqs */
            int64_t m = seqs < ceiling ? seqs : ceiling;
            for (int64_t n = 1; n <= m && nu < 2048; n++) {
                int in = n == 1 || n == 2 || n == 4 || (n >= 8 && n < 256 && n % 8 == 0) ||
                         (n >= 256 && (n - 256) % 16 == 0) || n == m;
                if (in && n * q <= max)
                    uniform[nu++] = n * q;
            }
        } else if (seqs <= max) {
            uniform[nu++] = seqs;
        }
    }
    if (max > tokens)
        max = tokens;
    /* the candidates in ascending order, each once: the strides, max_num_batched_tokens
     * when it fits, and the uniform decode sizes */
    int n = 0;
    for (int64_t v = 1; v <= max; v++) { /* every candidate is at most the capped maximum */
        int in = (v <= max && (v == 1 || v == 2 || v == 4 || (v >= 8 && v < 256 && v % 8 == 0) ||
                               (v >= 256 && (v - 256) % 16 == 0))) ||
                 (v == tokens && tokens <= max);
        for (int i = 0; i < nu && !in; i++)
            in = uniform[i] == v && v <= tokens;
        if (in) {
            if (n < cap)
                sizes[n] = (int)v;
            n++;
        }
    }
    return n;
}

void mb_cudagraph_estimator_init(mb_cudagraph_estimator *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

static int mode_ok(const mb_cudagraph_estimator *e, int mode, const char *fn)
{
    if (!e)
        return mb__error(MB_EINVAL, "%s: the estimator is NULL", fn);
    if (mode < 0 || mode >= MB_CUDAGRAPH_MAX_MODES)
        return mb__error(MB_EINVAL, "%s: mode %d is out of range (0 to %d)", fn, mode,
                         MB_CUDAGRAPH_MAX_MODES - 1);
    return MB_OK;
}

MB__API(mb_cudagraph_estimator_set_graphs, (mb_cudagraph_estimator *e, int mode, int num_graphs),
        (e, mode, num_graphs))
{
    int rc = mode_ok(e, mode, "mb_cudagraph_estimator_set_graphs");
    if (rc)
        return rc;
    if (num_graphs < 0 || num_graphs > (1 << 20))
        return mb__error(MB_EINVAL,
                         "mb_cudagraph_estimator_set_graphs: %d graphs for mode %d; give "
                         "the number of capture sizes (0 or more)",
                         num_graphs, mode);
    e->mode[mode].num_graphs = num_graphs;
    return MB_OK;
}

MB__API(mb_cudagraph_estimator_feed, (mb_cudagraph_estimator *e, int mode, int64_t bytes),
        (e, mode, bytes))
{
    int rc = mode_ok(e, mode, "mb_cudagraph_estimator_feed");
    if (rc)
        return rc;
    if (bytes < 0)
        return mb__error(MB_EGREW, "capture %d of mode %d took %lld bytes: free memory grew "
                                   "while capturing, so another process released memory; "
                                   "capture again on a quiet device",
                         e->mode[mode].samples + 1, mode, (long long)bytes);
    if (bytes > MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "capture %d of mode %d took %lld bytes, more than any "
                                    "device has", e->mode[mode].samples + 1, mode,
                         (long long)bytes);
    mb_cudagraph_mode *m = &e->mode[mode];
    if (m->samples == 0)
        m->first = bytes;
    else if (m->samples == 1)
        m->second = bytes;
    if (m->samples < (1 << 30))
        m->samples++;
    return MB_OK;
}

MB__API(mb_cudagraph_estimator_feed_snapshots, (mb_cudagraph_estimator *e, int mode,
                                          const mb_snapshot *before, const mb_snapshot *after),
        (e, mode, before, after))
{
    int rc = mode_ok(e, mode, "mb_cudagraph_estimator_feed_snapshots");
    if (rc)
        return rc;
    if (!before || !after)
        return mb__error(MB_EINVAL, "mb_cudagraph_estimator_feed_snapshots: a snapshot is NULL");
    mb_snapshot d;
    if ((rc = mb_snapshot_sub(before, after, &d)))
        return rc;
    return mb_cudagraph_estimator_feed(e, mode, d.free_memory);
}

MB__API(mb_cudagraph_estimator_compute, (const mb_cudagraph_estimator *e, int64_t *out), (e, out))
{
    if (out)
        *out = 0;
    if (!e || !out)
        return mb__error(MB_EINVAL, "mb_cudagraph_estimator_compute: e or out is NULL");
    int64_t shared = 0, per = 0;
    for (int i = 0; i < MB_CUDAGRAPH_MAX_MODES; i++) {
        const mb_cudagraph_mode *m = &e->mode[i];
        if (m->num_graphs == 0)
            continue;
        if (m->samples == 0)
            return mb__error(MB_ESTATE, "mode %d captures %d graphs but no capture was fed; feed the first "
                                        "two captures with mb_cudagraph_estimator_feed",
                             i, m->num_graphs);
        int64_t each = m->samples > 1 && m->second > MB_MiB ? m->second : MB_MiB;
        if (m->first > shared)
            shared = m->first;
        int64_t part;
        if (__builtin_mul_overflow(each, (int64_t)(m->num_graphs - 1), &part) ||
            __builtin_add_overflow(per, part, &per))
            per = INT64_MAX;
    }
    if (per > MB_SIZE_MAX || shared + per > MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "the CUDA-graph estimate exceeds 1 PiB; check the "
                                    "captures fed");
    *out = shared + per;
    return MB_OK;
}
