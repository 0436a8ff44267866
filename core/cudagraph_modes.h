/* core/cudagraph_modes.h: vLLM 0.33.0's FULL / PIECEWISE graphs (cudagraph_modes.c). */
#ifndef MB_CORE_CUDAGRAPH_MODES_H
#define MB_CORE_CUDAGRAPH_MODES_H

#include <stddef.h>
#include <stdint.h>

#define MB__CG_MAX_SIZES 1100 /* more than any ceiling (1024) allows */

typedef struct mb__cg_split_in {
    int mode;                  /* MB_CUDAGRAPH_MODE_*, 0: FULL_AND_PIECEWISE */
    int cg_support;            /* the backend's MB__CG_* */
    int v1_runner;             /* 1: model runner V1; 0: V2 (0.33's default) */
    int max_num_seqs;
    int64_t max_num_batched_tokens;
    int num_speculative_tokens;
    int compute_capability;
    const char *backend;       /* its name, for vLLM's messages */
    int pooling;               /* 1: a pooling (encoder-only) model: no FULL graphs */
} mb__cg_split_in;

typedef struct mb__cg_split {
    int mode;                          /* resolved MB_CUDAGRAPH_MODE_* */
    char why[200];                     /* why that mode */
    int num_sizes;                     /* cudagraph_capture_sizes, after V1's rounding */
    int sizes[MB__CG_MAX_SIZES];       /* ascending */
    int count[2];                      /* graphs: [0] PIECEWISE, [1] FULL */
    int tokens[2][MB__CG_MAX_SIZES];   /* each graph's tokens, largest first */
} mb__cg_split;

typedef struct mb__cg_charge {
    struct {
        int count;
        int64_t first, per_graph, bytes;
    } part[2];                         /* [0] PIECEWISE, [1] FULL */
    int64_t total;                     /* what the profiler estimates */
} mb__cg_charge;

/* The mode vLLM runs (MB_CUDAGRAPH_MODE_*), why in why; MB_EINVAL as vLLM refuses. */
int mb__cudagraph_resolve_mode(int requested, int support, const char *backend, int q,
                               char *why, size_t why_size);
int mb__cudagraph_split(const mb__cg_split_in *in, mb__cg_split *out);
/* first / second: each mode's two largest captures ([0] PIECEWISE, [1] FULL; 0 unknown) */
int mb__cudagraph_charge(const mb__cg_split *s, int v1_runner, const int64_t first[2],
                         const int64_t second[2], mb__cg_charge *out);

#endif
