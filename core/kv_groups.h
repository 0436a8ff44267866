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

#include "membudget/vllm.h" /* MB_MODEL_MAX_LAYERS */

#define MB__KV_MAX_GROUPS 32
#define MB__KV_MAX_STAGES 64

typedef enum {
    MB__KV_FULL = 0,
    MB__KV_SLIDING = 1,
    MB__KV_MLA = 2,
    MB__KV_CHUNKED = 3, /* ChunkedLocalAttentionSpec */
    MB__KV_MAMBA = 4    /* MambaSpec */
} mb__kv_kind;

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
    /* hybrid models (kv_hybrid.c fills these; zero: every layer attention) */
    const unsigned char *layer_kind; /* per layer an MB_LAYER_*, NULL: all attention */
    int chunk_size;               /* chunked local attention's attention_chunk_size */
    int64_t mamba_blocks;         /* blocks one request holds in a Mamba group */
    int mamba_block_size;         /* a Mamba group's block_size (reported only) */
    int64_t extra_retained_tokens; /* SlidingWindowSpec.extra_retained_tokens: multi-module
                                    * MTP's num_prefill_lookahead_tokens - 1 (else 0) */
    const int64_t *layer_page_bytes; /* per layer where pages differ (DeciLM's per-layer KV
                                      * heads); NULL: every layer's page is page_bytes */
} mb__kv_plan_in;

typedef struct mb__kv_group {
    mb__kv_kind kind;
    int window;                   /* sliding only */
    int layers;                   /* layers of this group on the first stage */
    int layers_total;             /* over all stages */
    int64_t page_bytes;
    int64_t blocks_per_request;   /* cdiv(max_memory_usage_bytes, page) at max_model_len */
    int block_size;               /* tokens per block (a Mamba group's mamba_block_size) */
    int uniform_type;             /* 1: a UniformTypeKVCacheSpecs group (layers of one kind,
                                   * unequal pages); page_bytes is then its layers' page sum
                                   * on the first stage */
} mb__kv_group;

typedef struct mb__kv_plan_out {
    int num_groups;               /* 0: no layer keeps a KV cache (an encoder-only model):
                                   * vLLM's one null block, nothing to check or log */
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

/* What kv_hybrid.c decides before the grouping (kv_hybrid.c). */
typedef struct mb__kv_prep_in {
    int block_size;               /* the backend's or --block-size */
    int tensor_parallel_size;
    const char *kv_cache_dtype;
    int compute_capability;       /* GDN's prefill backend; 0 unknown */
    int prefix_caching;           /* 1: vLLM's default (Mamba align mode) */
    int num_speculative_tokens;
    int64_t max_model_len;        /* in force before auto-fit (none mode's block size) */
    int is_cpu;                   /* the CPU platform aligns hybrids its own way: refused */
} mb__kv_prep_in;

typedef struct mb__kv_prep {
    int64_t mamba_state_bytes;    /* one state layer per rank, unpadded; 0 none */
    int64_t mamba_page_bytes;     /* padded to the attention page */
    int mamba_checkpoint_blocks;  /* num_prefill_checkpoint_blocks */
    int align_mode;               /* 1: mamba_cache_mode align */
    int gdn_flashinfer;           /* GDN's prefill backend is FlashInfer */
    int requested_block_size;     /* before the alignment */
    char rule[320];               /* how the block size was aligned, for the plan */
    int per_layer_pages;          /* 1: layer_page_bytes holds each layer's page */
    int64_t layer_page_bytes[MB_MODEL_MAX_LAYERS]; /* (in->layer_page_bytes points here) */
} mb__kv_prep;

/* The per-rank geometry (spec, with the aligned block size and only the caching layers in
 * num_layers) and the model's part of *in (layers, kinds, page, block size, Mamba blocks);
 * the caller fills the stages, memory, length and scheduling fields. MB_EINVAL /
 * MB_ENOTSUP naming the flag or config key otherwise. */
struct mb_model;
struct mb_kv_spec;
int mb__kv_prepare(const struct mb_model *m, const mb__kv_prep_in *pi, struct mb_kv_spec *spec,
                   mb__kv_plan_in *in, mb__kv_prep *out);

#endif
