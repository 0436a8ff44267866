/*
 * core/kv_groups.h: vLLM 0.33.0's KV-cache grouping and page arithmetic (internal).
 *
 * One call plans what vLLM's get_global_kv_cache_groups, get_kv_cache_configs and
 * get_kv_cache_capacity (vllm/v1/core/kv_cache_planning.py, kv_cache_utils.py) work out
 * from the layers' KVCacheSpecs: the groups, the bytes of one block, the blocks of every
 * pipeline stage (and their minimum), auto-fit of max_model_len, the start-up check with
 * the null block held back, and the "GPU KV cache size" tokens and concurrency vLLM logs.
 * Pure arithmetic: no heap, no state, thread-safe.
 */
#ifndef MB_KV_GROUPS_H
#define MB_KV_GROUPS_H

#include <stdint.h>

#define MB__KV_MAX_GROUPS 32
#define MB__KV_MAX_STAGES 64

typedef enum { MB__KV_FULL = 0, MB__KV_SLIDING = 1, MB__KV_MLA = 2 } mb__kv_kind;

typedef struct mb__kv_plan_in {
    int num_layers;
    const unsigned char *sliding; /* per layer: 1 sliding window, 0 full (or MLA) */
    int is_mla;                   /* every layer is MLA */
    int sliding_window;
    int64_t page_bytes;           /* one block of one layer (every layer alike) */
    int block_size;
    int pipeline_parallel_size;   /* 1 .. MB__KV_MAX_STAGES */
    const int64_t *available;     /* per stage: the KV memory of that stage's ranks */
    int64_t max_model_len;        /* in force (the model's, or --max-model-len) */
    int auto_fit;                 /* 1: --max-model-len -1 (auto), max_model_len caps it */
    int64_t num_gpu_blocks_override; /* < 0: none */
    int64_t max_in_flight_tokens; /* VllmConfig.max_in_flight_tokens */
    int64_t extra_retained_tokens; /* SlidingWindowSpec.extra_retained_tokens: multi-module
                                    * MTP's num_prefill_lookahead_tokens - 1 (else 0) */
} mb__kv_plan_in;

typedef struct mb__kv_group {
    mb__kv_kind kind;
    int window;                   /* sliding only */
    int layers;                   /* layers of this group on the first stage */
    int layers_total;             /* over all stages */
    int64_t page_bytes;
    int64_t blocks_per_request;   /* cdiv(max_memory_usage_bytes, page) at max_model_len */
} mb__kv_group;

typedef struct mb__kv_plan_out {
    int num_groups;
    mb__kv_group group[MB__KV_MAX_GROUPS];
    int64_t bytes_per_block;      /* of the first stage (every stage's in stage_bpb) */
    int64_t stage_bytes_per_block[MB__KV_MAX_STAGES];
    int64_t stage_blocks[MB__KV_MAX_STAGES];
    int limiting_stage;
    int64_t num_blocks;           /* the minimum over stages */
    int64_t max_model_len;        /* after auto-fit */
    int64_t blocks_per_request;   /* summed over groups */
    double max_concurrency;
    int64_t kv_cache_tokens;      /* int(max_concurrency x max_model_len) */
    int64_t longest_request;      /* the longest max_model_len that fits (estimate) */
    int fits;                     /* 0: vLLM refuses to start; error says why */
    char error[640];              /* vLLM's own message when it refuses */
} mb__kv_plan_out;

/* MB_OK with out filled (fits or not); MB_EINVAL for inputs vLLM could not have. */
int mb__kv_plan(const mb__kv_plan_in *in, mb__kv_plan_out *out);

#endif
