/*
 * membudget/vllm.h: vLLM's memory arithmetic: sizes, model geometry from a config.json, the
 * KV-cache specification, CUDA-graph estimates, the budget, the plan, and the release of an
 * integrated device's cache under memory pressure.
 *
 * The rules are vLLM's; each function names where in vLLM its rule comes from
 * (docs/plan.md has the arithmetic with a worked example). The conventions of membudget.h
 * hold here too (return codes, sentinels, zeroed outputs after a failure, ownership).
 * Unless a comment says otherwise these functions touch no device and no file, keep no
 * state between calls, allocate nothing, and are safe to call from any number of threads
 * at once on distinct outputs.
 */
#ifndef MEMBUDGET_VLLM_H
#define MEMBUDGET_VLLM_H

#include <stddef.h>
#include <stdint.h>

#include "membudget.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vLLM's default gpu_memory_utilization (vllm/config/cache.py, Field(default=0.92, gt=0,
 * le=1); 0.9 in releases before 0.11). */
#define MB_GPU_MEMORY_UTILIZATION_DEFAULT 0.92
/* vLLM's default block size on CUDA and ROCm (tokens per KV block). */
#define MB_BLOCK_SIZE_DEFAULT 16
/* Sizes larger than this (1 PiB) are refused as absurd by every function below. */
#define MB_SIZE_MAX ((int64_t)1 << 50)

/* Parses a size the way vLLM's command line does (vllm/engine/arg_utils.py,
 * human_readable_int): a plain number of bytes ("85899345920"); a number with a lowercase
 * k, m, g or t, decimal (10^3 .. 10^12), fractions allowed ("1.5g"); a whole number with
 * an uppercase K, M, G or T, binary (2^10 .. 2^40: "80G" is 80 GiB). membudget also takes
 * the explicit binary units KiB, MiB, GiB and TiB (fractions allowed: "0.5GiB") and a
 * trailing "B" after a plain number. "80GB" and "80gb" are refused as ambiguous (the
 * detail says to write 80GiB or 80g). Spaces around the text are ignored. Fractions of a
 * byte are dropped. MB_EPARSE for text that is not a size, MB_ERANGE above MB_SIZE_MAX.
 * The detail quotes text. */
MB_EXPORT int mb_size_parse(const char *text, int64_t *out);

/* --- Model geometry from a Hugging Face config.json --- */

/* The most layers a config may have (DeepSeek-V3 has 61, the largest public ones ~200). */
#define MB_MODEL_MAX_LAYERS 1024

typedef struct mb_model {
    uint32_t size; /* the caller's sizeof: set it with MB_MODEL_INIT */
    char model_type[64];      /* "llama", "deepseek_v2", ...; "" when absent */
    char dtype[32];           /* torch_dtype (or dtype) as written; "" when absent */
    int dtype_bytes;          /* bytes per element as vLLM runs it with --dtype auto: a
                               * float32 or missing dtype runs in 16 bits (vLLM's
                               * _get_and_verify_dtype), so 2 for every common model */
    int num_layers;           /* num_hidden_layers */
    int num_attention_heads;
    int num_kv_heads;         /* total over all ranks: the first of n_head_kv, num_kv_heads,
                               * num_key_value_heads, multi_query_group_num (vLLM's
                               * get_total_num_kv_heads), else num_attention_heads */
    int head_size;            /* K head size: head_dim, else hidden_size/num_attention_heads;
                               * MLA: kv_lora_rank + qk_rope_head_dim */
    int head_size_v;          /* V head size: head_size; MLA: 0 (one latent, no V) */
    int is_mla;               /* 1: multi-head latent attention: a DeepSeek-family model_type
                               * with kv_lora_rank (vLLM's is_deepseek_mla) */
    int64_t max_model_len;    /* vLLM's default max_model_len: the smallest of its keys
                               * (max_position_embeddings, n_positions, ...; model_max_length
                               * wins when set), 2048 when none, times the RoPE scaling
                               * factor, LongRoPE's original_max_position_embeddings */
    int64_t weights_bytes;    /* bytes of the weights on disk; MB_UNKNOWN when the folder
                               * does not say (mb_model_load fills it) */
    char weights_source[48];  /* "model.safetensors.index.json", "model.safetensors", "" */
    /* -- from 1.1: each layer's kind, as vLLM 0.33's attention layers build
     *    their KVCacheSpec (docs/plan.md, "Layer kinds"), and the length rules -- */
    int sliding_window;       /* tokens of the sliding layers' window; 0: no layer slides */
    int num_sliding_layers;   /* how many layer_sliding[] entries are 1 */
    unsigned char layer_sliding[MB_MODEL_MAX_LAYERS]; /* 1: layer i is sliding-window
                               * attention (SlidingWindowSpec), 0: full (or MLA) */
    int64_t derived_max_model_len; /* vLLM's derived length before LongRoPE's original
                               * (a longer --max-model-len is refused above it) */
    int64_t model_max_length;  /* the config's model_max_length (a longer --max-model-len
                               * is allowed up to it); 0 when absent */
    int max_len_assumed;      /* 1: no length key at all, vLLM's 2048 assumed */
    double rope_scaling_factor; /* applied to the length (1.0: none) */
    char checkpoint_kv_cache_dtype[16]; /* the cache dtype the checkpoint asks for under
                               * --kv-cache-dtype auto (vLLM's resolve_kv_cache_dtype_string:
                               * a ModelOpt kv_cache_quant_algo such as "fp8"); "" none */
    /* -- from 1.2: layers that are not plain attention, as vLLM 0.33's model code builds
     *    them (docs/plan.md, "Layer kinds"); zero: every layer is attention, as in 1.1 -- */
    unsigned char layer_kind[MB_MODEL_MAX_LAYERS]; /* an MB_LAYER_* per layer */
    int num_state_layers;     /* layers with a Mamba / linear-attention state (MambaSpec) */
    int num_uncached_layers;  /* layers without any cache (MLP-only, no-op) */
    int attention_chunk_size; /* chunked local attention's chunk (Llama 4); 0: none */
    int32_t mamba_kind;       /* an mb_mamba_kind */
    int mamba_intermediate_size; /* Mamba-1/2: the inner size (expand x hidden_size;
                               * Nemotron-H: mamba_num_heads x mamba_head_dim) */
    int mamba_state_size;     /* d_state (ssm_state_size) */
    int mamba_conv_kernel;    /* d_conv (conv_kernel, linear_conv_kernel_dim) */
    int mamba_n_groups;       /* Mamba-2's groups */
    int mamba_num_heads;      /* Mamba-2's heads; GDN's value heads */
    int mamba_head_dim;       /* Mamba-2's head dim; GDN's value head dim */
    int mamba_num_k_heads;    /* GDN's key heads */
    int mamba_head_k_dim;     /* GDN's key head dim */
    int mamba_ssm_dtype_bytes; /* the SSM state's element bytes; 0: the model's dtype
                               * (Nemotron-H: float32 unless mamba_ssm_cache_dtype says) */
    /* -- from 1.2 too: DeciLM's per-layer KV heads and encoder-only models; zero: as before -- */
    unsigned short layer_kv_heads[MB_MODEL_MAX_LAYERS]; /* total KV heads of layer i where
                               * layers differ (DeciLM / Nemotron-NAS block_configs:
                               * num_attention_heads // n_heads_in_group); 0: num_kv_heads */
    int encoder_only;         /* 1: an encoder (bert, ..., is_causal false): no layer keeps a
                               * KV cache, vLLM plans no KV-cache group at all */
} mb_model;
/* mb_model.layer_kind values (from 1.2) */
#define MB_LAYER_ATTENTION 0 /* full, sliding-window (layer_sliding) or MLA attention */
#define MB_LAYER_STATE 1     /* Mamba-1, Mamba-2 or Gated DeltaNet state (MambaSpec) */
#define MB_LAYER_CHUNKED 2   /* chunked local attention (ChunkedLocalAttentionSpec) */
#define MB_LAYER_NONE 3      /* no cache at all (MLP-only, no-op): vLLM builds no spec */
/* mb_model.mamba_kind values (from 1.2) */
typedef enum mb_mamba_kind {
    MB_MAMBA_NONE = 0,
    MB_MAMBA_1 = 1,   /* Mamba-1 (Jamba): MambaStateShapeCalculator.mamba1_state_shape */
    MB_MAMBA_2 = 2,   /* Mamba-2 (Granite 4, Nemotron-H): mamba2_state_shape */
    MB_MAMBA_GDN = 3  /* Gated DeltaNet linear attention (Qwen3-Next) */
} mb_mamba_kind;
#define MB_MODEL_INIT { .size = sizeof(mb_model) }

/* Parses the text of a config.json (len bytes; need not be NUL-terminated). name labels
 * the input in error details (NULL: "config.json"). Fields are looked up in the nested
 * "text_config" object first (multimodal configs), then at the top level. Fails with
 * MB_EPARSE for text that is not JSON (the detail gives line and column) and MB_EINVAL for
 * a missing, zero, negative, fractional or non-numeric field, or an unknown dtype: the
 * detail names the field and its value. weights_bytes is MB_UNKNOWN. The JSON tree lives
 * on the heap (cJSON's) only during the call. Thread-safe: membudget serialises its own
 * cJSON parses, because cJSON keeps the last parse error in a global (a program that also
 * parses with cJSON on other threads shares that global with it). */
MB_EXPORT int mb_model_parse(const char *json, size_t len, const char *name, mb_model *out);

/* Reads path: a config.json, or a folder holding one. The path is the caller's own file,
 * read as is (the context's sysroot does not apply). The weights come from the same
 * folder: metadata.total_size of model.safetensors.index.json, else the tensor bytes of a
 * single model.safetensors (its size less its header); MB_UNKNOWN when neither is there.
 * MB_EIO for a file that cannot be read, then as mb_model_parse. Allocates and frees a
 * buffer for the file; keeps nothing. */
MB_EXPORT int mb_model_load(const char *path, mb_model *out);

/* --- KV-cache geometry per rank (vllm/v1/kv_cache_interface.py) --- */

typedef struct mb_kv_spec {
    int block_size;           /* tokens per block */
    int tensor_parallel_size;
    int num_layers;           /* layers with an attention cache (from 1.2: not the state,
                               * MLP-only or shared-KV layers of mb_model.layer_kind) */
    int num_kv_heads;         /* per rank: max(1, total / tp) (vLLM's get_num_kv_heads:
                               * heads are replicated when tp > heads); MLA: 1 */
    int head_size;
    int head_size_v;
    int dtype_bytes;          /* of the cache: the model's, or 1 for an fp8 cache dtype */
    char cache_dtype[16];     /* "auto", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2",
                               * "fp8_inc", "fp8_ds_mla" (vLLM's CacheDType) */
    int64_t page_bytes;       /* one block of one layer on one rank: block_size x heads x
                               * (head_size + head_size_v) x dtype_bytes (FullAttentionSpec);
                               * MLA: block_size x head_size x dtype_bytes (MLAAttentionSpec);
                               * fp8_ds_mla: block_size x 656 */
    int64_t block_bytes;      /* page_bytes x num_layers: one block over all layers */
    int64_t bytes_per_token;  /* block_bytes / block_size */
} mb_kv_spec;

/* Derives the per-rank geometry. block_size is 1 or more (vLLM 0.33's CacheConfig takes any
 * size above 0; from 1.2, before only 1, 8, 16, 32, 64, 128, 256: which sizes the attention
 * backend runs is mb_plan_compute's check); tensor_parallel_size >= 1 and, as vLLM requires, dividing num_attention_heads, and
 * either dividing the KV heads or (replication) divisible by them; kv_cache_dtype NULL or
 * "auto" keeps the model's dtype. MB_EINVAL naming the parameter and value otherwise. */
MB_EXPORT int mb_kv_spec_init(mb_kv_spec *out, const mb_model *m, int block_size,
                              int tensor_parallel_size, const char *kv_cache_dtype);

/* vLLM's get_num_blocks over ranks (kv_cache_utils.py): each rank holds
 * available[r] // page_bytes // num_layers blocks (never below 0) and every rank is cut to
 * the smallest (get_kv_cache_configs). nranks >= 1; min_rank (may be NULL) receives the
 * rank that set the minimum (the first of equals). */
MB_EXPORT int mb_kv_spec_num_blocks(const mb_kv_spec *s, const int64_t *available, int nranks,
                                    int64_t *num_blocks, int *min_rank);

/* vLLM's get_max_concurrency_for_kv_cache_config: num_blocks / cdiv(max_model_len,
 * block_size), as a fraction. max_model_len >= 1. */
MB_EXPORT int mb_kv_spec_max_concurrency(const mb_kv_spec *s, int64_t num_blocks,
                                         int64_t max_model_len, double *out);

/* vLLM's check_enough_kv_cache_memory: MB_OK when available holds one request of
 * max_model_len tokens. MB_ENOFIT otherwise: when available <= 0 ("no memory for the cache
 * blocks"), or with a detail naming max_model_len and its value, the KV bytes it needs,
 * those available, and the longest max_model_len that fits (vLLM's
 * estimate_max_model_len: num_blocks x block_size for one group). */
MB_EXPORT int mb_kv_spec_check(const mb_kv_spec *s, int64_t available, int64_t max_model_len);

/* --- CUDA graphs (vllm/config/vllm.py _set_cudagraph_sizes; gpu_model_runner.py
 *     profile_cudagraph_memory) --- */

typedef struct mb_cudagraph_options {
    uint32_t size; /* the caller's sizeof: set it with MB_CUDAGRAPH_OPTIONS_INIT */
    int max_num_seqs;               /* default 256 */
    int64_t max_num_batched_tokens; /* default 8192 */
    int num_speculative_tokens;     /* default 0 */
    int max_capture_size;           /* 0 (default): min(max_num_seqs x (1 + speculative)
                                     * x 2, 512; 1024 on sm_100); either way capped by
                                     * max_num_batched_tokens */
    /* -- from 1.1 -- */
    int compute_capability;         /* major x 10 + minor; 100-109 (data-centre Blackwell)
                                     * raises vLLM's ceiling to 1024; 0 (default): unknown */
} mb_cudagraph_options;
#define MB_CUDAGRAPH_OPTIONS_INIT \
    { .size = sizeof(mb_cudagraph_options), .max_num_seqs = 256, .max_num_batched_tokens = 8192 }
/* Fills the first size bytes of *o with the defaults of MB_CUDAGRAPH_OPTIONS_INIT and sets
 * o->size = size (for bindings). MB_EINVAL for NULL or a size below the first release's. */
MB_EXPORT int mb_cudagraph_options_init(mb_cudagraph_options *o, size_t size);

/* vLLM's default capture sizes: 1, 2, 4, then 8 to 248 by 8, then 256 to the maximum by
 * 16, none above the maximum. Writes at most cap sizes (ascending) into sizes (may be
 * NULL when cap is 0) and returns how many there are (51 with the defaults); negative on
 * bad options (MB_EINVAL naming the field). */
MB_EXPORT int mb_cudagraph_capture_sizes(const mb_cudagraph_options *o, int *sizes, int cap);

/* An engine feeds its measured captures here, per mode (vLLM captures FULL and PIECEWISE
 * graphs separately: mode is the engine's own index, 0 .. MB_CUDAGRAPH_MAX_MODES-1).
 * Plain data owned by the caller: no heap, no locks (one thread at a time). */
#define MB_CUDAGRAPH_MAX_MODES 4
typedef struct mb_cudagraph_mode {
    int num_graphs;  /* graphs this mode will capture (mb_cudagraph_estimator_set_graphs) */
    int samples;     /* captures fed so far (only the first two are used) */
    int64_t first;   /* bytes of the first capture */
    int64_t second;  /* bytes of the second capture */
} mb_cudagraph_mode;
typedef struct mb_cudagraph_estimator {
    mb_cudagraph_mode mode[MB_CUDAGRAPH_MAX_MODES];
} mb_cudagraph_estimator;

MB_EXPORT void mb_cudagraph_estimator_init(mb_cudagraph_estimator *e);
/* Sets how many graphs mode will capture (>= 0). MB_EINVAL for a bad mode or count. */
MB_EXPORT int mb_cudagraph_estimator_set_graphs(mb_cudagraph_estimator *e, int mode,
                                                int num_graphs);
/* Feeds the bytes one capture took (>= 0; a negative figure means another process freed
 * memory meanwhile: MB_EGREW, nothing recorded). */
MB_EXPORT int mb_cudagraph_estimator_feed(mb_cudagraph_estimator *e, int mode, int64_t bytes);
/* Feeds before.free_memory - after.free_memory of two snapshots of one device taken
 * around a capture (MB_EMISMATCH for two devices, MB_EGREW when free memory grew). */
MB_EXPORT int mb_cudagraph_estimator_feed_snapshots(mb_cudagraph_estimator *e, int mode,
                                                    const mb_snapshot *before,
                                                    const mb_snapshot *after);
/* vLLM's estimate: per mode, first + (num_graphs - 1) x max(second, 1 MiB) (the 1 MiB
 * floor is vLLM's "driver overhead" per graph); modes share the graph pool, so the total
 * is the largest first capture plus the sum of the per-graph parts. 0 when no mode has
 * graphs. MB_ESTATE when a mode with graphs has had no capture fed (the detail names it). */
MB_EXPORT int mb_cudagraph_estimator_compute(const mb_cudagraph_estimator *e, int64_t *out);

/* --- The budget (vllm/v1/worker/gpu_worker.py determine_available_memory) --- */

/* How the memory that is not KV cache is counted. */
typedef enum mb_non_kv_formula {
    /* The seed's (vLLM's mem_utils.memory_profiling): weights + torch_peak_increase +
     * non_torch_increase, as mb_profile computes it. The default. */
    MB_NON_KV_PROFILE = 0,
    /* vLLM 0.28's: the memory consumed according to free memory (before_create.free -
     * after_profile.free) plus the transient peak headroom (allocator peak - allocator
     * current, after profiling). */
    MB_NON_KV_CONSUMED = 1
} mb_non_kv_formula;
/* "profile", "consumed"; "unknown" otherwise. */
MB_EXPORT const char *mb_non_kv_formula_name(int32_t f);

/* Option flags. */
#define MB_BUDGET_FREE_GROWTH_FALLBACK 1u /* when free memory grew during profiling (another
                                           * process let go of memory), go on instead of
                                           * failing with MB_EGREW: MB_NON_KV_CONSUMED counts
                                           * the allocator's reserved growth as consumed,
                                           * MB_NON_KV_PROFILE counts a negative non-torch
                                           * increase as 0; both are lower bounds (vLLM
                                           * falls back so on ROCm: vllm#53591) */

typedef struct mb_budget_options {
    uint32_t size; /* the caller's sizeof: set it with MB_BUDGET_OPTIONS_INIT */
    double gpu_memory_utilization; /* (0, 1]; default MB_GPU_MEMORY_UTILIZATION_DEFAULT */
    int64_t kv_cache_memory_bytes; /* > 0: the KV cache size, bypassing profiling (vLLM's
                                    * kv_cache_memory_bytes); 0 (default): from the budget */
    int32_t formula;               /* an mb_non_kv_formula; default MB_NON_KV_PROFILE */
    int64_t cudagraph_memory;      /* CUDA-graph estimate to set aside (>= 0; default 0) */
    int64_t torch_current;         /* the allocator's allocated bytes after profiling, for
                                    * MB_NON_KV_CONSUMED; MB_UNKNOWN (default): the
                                    * after_profile snapshot's reserved bytes stand in */
    uint32_t flags;                /* MB_BUDGET_* option flags */
} mb_budget_options;
#define MB_BUDGET_OPTIONS_INIT \
    { .size = sizeof(mb_budget_options), \
      .gpu_memory_utilization = MB_GPU_MEMORY_UTILIZATION_DEFAULT, \
      .formula = MB_NON_KV_PROFILE, .torch_current = MB_UNKNOWN }
/* Fills the first size bytes of *o with the defaults of MB_BUDGET_OPTIONS_INIT and sets
 * o->size = size (for bindings). MB_EINVAL for NULL or a size below the first release's. */
MB_EXPORT int mb_budget_options_init(mb_budget_options *o, size_t size);

/* Result flags. */
#define MB_BUDGET_EXPLICIT 1u  /* available_kv_cache_memory is kv_cache_memory_bytes */
#define MB_BUDGET_FELL_BACK 2u /* free memory grew; MB_BUDGET_FREE_GROWTH_FALLBACK applied */

typedef struct mb_budget {
    char device[MB_NAME_MAX];
    int64_t total_memory;          /* of the start-up snapshot (vLLM's init_snapshot) */
    int64_t free_memory;           /* of the start-up snapshot */
    double gpu_memory_utilization;
    int64_t requested_memory;      /* ceil(total x utilization) */
    int32_t formula;               /* an mb_non_kv_formula */
    int64_t non_kv_cache_memory;   /* by formula; 0 when explicit */
    int64_t weights_memory;        /* the parts of MB_NON_KV_PROFILE */
    int64_t torch_peak_increase;
    int64_t non_torch_increase;
    int64_t consumed_memory;       /* the parts of MB_NON_KV_CONSUMED */
    int64_t transient_memory;
    int64_t cudagraph_memory;      /* set aside for CUDA graphs; 0 when explicit */
    int64_t available_kv_cache_memory; /* requested - non-KV - CUDA graphs, > 0 */
    uint32_t flags;                /* MB_BUDGET_EXPLICIT, MB_BUDGET_FELL_BACK */
} mb_budget;

/* requested = ceil(total x utilization), in double arithmetic as vLLM's Python does
 * (vllm/v1/worker/utils.py request_memory). MB_EINVAL for a utilization outside (0, 1]
 * (NaN included) or total <= 0; MB_ERANGE for total above MB_SIZE_MAX. */
MB_EXPORT int mb_budget_requested(int64_t total_memory, double gpu_memory_utilization,
                                  int64_t *out);

/* vLLM's start-up check (request_memory): MB_ENOFIT unless init->free_memory >= requested.
 * The detail names the device, free/total GiB, the utilization and the requested GiB, and
 * says what to change: the largest utilization that would pass, or how much memory other
 * processes must free. *requested is set on success only. */
MB_EXPORT int mb_budget_check_startup(const mb_snapshot *init, double gpu_memory_utilization,
                                      int64_t *requested);

/* determine_available_memory from a finished profile (mb_profile_end, or the three
 * snapshots of mb_profile_compute): the start-up check on p->before_create; then, unless
 * kv_cache_memory_bytes bypasses it, MB_EGREW when free memory grew between before_create
 * and after_profile (unless MB_BUDGET_FREE_GROWTH_FALLBACK), the non-KV memory by
 * o->formula, and available = requested - non-KV - o->cudagraph_memory. MB_ENOFIT when
 * nothing is left for the KV cache (the detail gives each term and what to change).
 * o may be NULL (defaults). p is read only. */
MB_EXPORT int mb_budget_compute(const mb_profile *p, const mb_budget_options *o,
                                mb_budget *out);

/* The same from a non-KV figure known beforehand (a what-if, or an earlier profile):
 * the start-up check on init, then available = requested - non_kv - cudagraph_memory
 * (formula and fallback options do not apply; non_kv >= 0). */
MB_EXPORT int mb_budget_compute_from_non_kv(const mb_snapshot *init, int64_t non_kv,
                                            const mb_budget_options *o, mb_budget *out);

/* A what-if device: a snapshot with the given total and free (free = total when free is
 * MB_UNKNOWN), named "what-if", source MB_SOURCE_VALUES, no allocator figures. MB_EINVAL
 * for total <= 0, free < 0 or free > total; MB_ERANGE above MB_SIZE_MAX. */
MB_EXPORT int mb_snapshot_what_if(int64_t total_memory, int64_t free_memory,
                                  mb_snapshot *out);

/* --- The plan: how many tokens fit (what `membudget plan` prints) --- */

typedef struct mb_plan_options {
    uint32_t size; /* the caller's sizeof: set it with MB_PLAN_OPTIONS_INIT */
    double gpu_memory_utilization;  /* default MB_GPU_MEMORY_UTILIZATION_DEFAULT */
    int block_size;                 /* 0 (default from 1.1): the attention backend's (16;
                                     * MLA: 64 or 32 by GPU; CPU 32) */
    int tensor_parallel_size;       /* default 1 */
    int64_t max_model_len;          /* 0 (default): the model's; -1: the longest that fits
                                     * (vLLM's auto-fit), capped at the model's */
    int max_num_seqs;               /* 0 (default from 1.1): vLLM's default for the device
                                     * (256 or 1024 by memory, EngineArgs.get_batch_defaults) */
    int64_t max_num_batched_tokens; /* 0 (default from 1.1): likewise (2048 .. 16384) */
    const char *kv_cache_dtype;     /* NULL (default) or "auto": the model's dtype */
    int64_t kv_cache_memory_bytes;  /* > 0: explicit KV size per rank; 0 (default) */
    int64_t non_kv_memory;          /* per rank, from a profiling run; MB_UNKNOWN (default):
                                     * the weights alone */
    int64_t weights_memory;         /* whole model; MB_UNKNOWN (default): the model's */
    int64_t cudagraph_memory;       /* estimate per rank; MB_UNKNOWN (default): from the
                                     * captures below, else vLLM's floor */
    int64_t cudagraph_first;        /* a measured first capture; MB_UNKNOWN (default) */
    int64_t cudagraph_second;       /* a measured second capture; MB_UNKNOWN (default) */
    int enforce_eager;              /* 1: no CUDA graphs */
    /* -- from 1.1 (vLLM 0.33's planner); zero means as in 1.0 -- */
    int pipeline_parallel_size;     /* 0 or 1 (default): one stage; N: stages split the
                                     * layers (get_pp_indices) */
    int64_t num_gpu_blocks_override; /* > 0: vLLM's num_gpu_blocks_override; 0 (default) */
    int sync_scheduling;            /* 0 (default, 0.33's async scheduling): pp + 1 batches
                                     * in flight; 1: pp. Sizes sliding-window blocks */
    int usage_context_llm;          /* 0 (default): `vllm serve`'s defaults; 1: LLM()'s */
    int compute_capability;         /* major x 10 + minor of the device (90: sm_90); 0
                                     * (default): unknown, vLLM's generic choices */
    int num_speculative_tokens;     /* default 0: decode batches of 1 + k tokens size the
                                     * CUDA graphs (vllm/config/vllm.py) */
    int allow_long_max_model_len;   /* 1: VLLM_ALLOW_LONG_MAX_MODEL_LEN=1, a max_model_len
                                     * above the model's is allowed (default 0) */
    /* -- from 1.2 -- */
    int no_prefix_caching;          /* 1: --no-enable-prefix-caching (Mamba layers keep one
                                     * state, mamba_cache_mode none); 0 (default): vLLM's
                                     * prefix caching, align mode */
    /* 1.2, vLLM 0.33's CUDA-graph modes; zero means as in 1.1 */
    int cudagraph_mode;             /* an MB_CUDAGRAPH_MODE_*; 0 (default): vLLM's
                                     * FULL_AND_PIECEWISE, resolved by the backend */
    int model_runner_v1;            /* 1: VLLM_USE_V2_MODEL_RUNNER=0; 0 (default): V2 */
    int no_cudagraph_estimate;      /* 1: VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0: the
                                     * estimate is reported, not charged */
    int64_t cudagraph_full_first;   /* > 0: the FULL mode's own captures (then cudagraph_ */
    int64_t cudagraph_full_second;  /* first/second are PIECEWISE's); 0 (default): the same */
    const char *attention_backend;  /* --attention-backend; NULL (default): vLLM's pick */
    const char *speculative_method; /* the drafter ("mtp", "eagle", "ngram", ...); NULL
                                     * (default): none or one that reads no lookahead */
    int num_nextn_predict_layers;   /* the MTP drafter's modules; 0 (default): 1 */
} mb_plan_options;
#define MB_PLAN_OPTIONS_INIT \
    { .size = sizeof(mb_plan_options), \
      .gpu_memory_utilization = MB_GPU_MEMORY_UTILIZATION_DEFAULT, \
      .block_size = 0, .tensor_parallel_size = 1, .max_num_seqs = 0, \
      .max_num_batched_tokens = 0, .non_kv_memory = MB_UNKNOWN, \
      .weights_memory = MB_UNKNOWN, .cudagraph_memory = MB_UNKNOWN, \
      .cudagraph_first = MB_UNKNOWN, .cudagraph_second = MB_UNKNOWN }
/* Fills the first size bytes of *o with the defaults of MB_PLAN_OPTIONS_INIT and sets
 * o->size = size (for bindings). MB_EINVAL for NULL or a size below the first release's. */
MB_EXPORT int mb_plan_options_init(mb_plan_options *o, size_t size);

/* Where the plan's non-KV figure came from. */
typedef enum mb_non_kv_source {
    MB_NON_KV_FROM_OPTION = 0,   /* non_kv_memory was given */
    MB_NON_KV_FROM_WEIGHTS = 1,  /* weights / tp only: activations and non-torch memory are
                                  * not in it, so the KV figures are an upper bound */
    MB_NON_KV_FROM_NOTHING = 2,  /* nothing known: counted as 0, an upper bound */
    MB_NON_KV_NOT_USED = 3       /* kv_cache_memory_bytes bypassed the budget */
} mb_non_kv_source;
/* "option", "weights", "none", "not used". */
MB_EXPORT const char *mb_non_kv_source_name(int32_t s);

/* Where the plan's CUDA-graph figure came from. */
typedef enum mb_cudagraph_source {
    MB_CUDAGRAPH_NONE = 0,     /* enforce_eager, explicit KV size, or a CPU device */
    MB_CUDAGRAPH_GIVEN = 1,    /* cudagraph_memory */
    MB_CUDAGRAPH_MEASURED = 2, /* from cudagraph_first/second */
    MB_CUDAGRAPH_FLOOR = 3     /* unmeasured: (graphs - 1) x 1 MiB, vLLM's floor */
} mb_cudagraph_source;
/* "none", "given", "measured", "floor". */
MB_EXPORT const char *mb_cudagraph_source_name(int32_t s);

/* vLLM's CUDAGraphMode, for mb_plan_options.cudagraph_mode and mb_plan (from 1.2). */
typedef enum mb_cudagraph_mode_kind {
    MB_CUDAGRAPH_MODE_DEFAULT = 0, /* FULL_AND_PIECEWISE, as the backend allows */
    MB_CUDAGRAPH_MODE_NONE = 1,
    MB_CUDAGRAPH_MODE_PIECEWISE = 2,
    MB_CUDAGRAPH_MODE_FULL = 3,
    MB_CUDAGRAPH_MODE_FULL_DECODE_ONLY = 4,
    MB_CUDAGRAPH_MODE_FULL_AND_PIECEWISE = 5
} mb_cudagraph_mode_kind;
/* "default", "NONE", "PIECEWISE", "FULL", "FULL_DECODE_ONLY", "FULL_AND_PIECEWISE" (from 1.2). */
MB_EXPORT const char *mb_cudagraph_mode_name(int mode);

#define MB_PLAN_MAX_GROUPS 32 /* KV-cache groups a plan reports */
typedef struct mb_plan {
    uint32_t size; /* the caller's sizeof: set it with MB_PLAN_INIT */
    mb_budget budget;            /* per rank (every rank is taken to be like the device) */
    mb_kv_spec spec;
    int32_t non_kv_source;       /* an mb_non_kv_source */
    int64_t weights_memory;      /* whole model, MB_UNKNOWN when unknown */
    int32_t cudagraph_source;    /* an mb_cudagraph_source */
    int num_cudagraphs;          /* capture sizes (0 when eager) */
    int64_t max_model_len;       /* in force */
    int64_t blocks_per_request;  /* cdiv(max_model_len, block_size) */
    int64_t num_blocks;          /* per rank, the minimum over ranks */
    int64_t kv_cache_tokens;     /* num_blocks x block_size */
    int64_t kv_cache_bytes;      /* num_blocks x block_bytes: allocated per rank */
    double max_concurrency;      /* num_blocks / blocks_per_request */
    int64_t longest_request;     /* the longest max_model_len one request can have */
    int startup_ok;              /* 1: the start-up check passes */
    int fits;                    /* 1: starts, and at least one max_model_len request fits */
    char verdict[768];           /* one paragraph: fits, or what to change */
    /* -- from 1.1: vLLM 0.33's KV-cache groups (get_kv_cache_groups) -- */
    int pipeline_parallel_size;
    int num_groups;
    struct {
        char kind[24];           /* "full_attention", "sliding_window", "mla"; from 1.2
                                  * "chunked_local_attention", "mamba" (docs/plan.md maps
                                  * each to vLLM's KVCacheSpec class) */
        int sliding_window;      /* tokens, sliding only */
        int layers;              /* layers of the group on the first stage */
        int64_t page_bytes;      /* one block of one layer */
        int64_t blocks_per_request; /* for one request of max_model_len */
    } groups[MB_PLAN_MAX_GROUPS];
    int64_t bytes_per_block;     /* one block over the largest group (vLLM's pool stride) */
    int64_t max_in_flight_tokens; /* VllmConfig.max_in_flight_tokens */
    char refusal[640];           /* vLLM's own message when it would refuse to start ("")*/
    int max_num_seqs;            /* in force: given, or vLLM's default for the device */
    int64_t max_num_batched_tokens;
    char batch_rule[240];        /* where max_num_seqs / max_num_batched_tokens came from */
    char block_size_rule[160];   /* where block_size came from */
    /* -- from 1.2: hybrid Mamba / linear-attention and chunked local attention -- */
    int group_block_size[MB_PLAN_MAX_GROUPS]; /* tokens per block of each group (a Mamba
                                  * group's is vLLM's mamba_block_size) */
    int64_t mamba_state_bytes;   /* one state layer's state per rank, unpadded (0: none) */
    char mamba_cache_mode[8];    /* "align" (prefix caching), "none", "" (no state layers) */
    char hybrid_rule[320];       /* how the attention block size was aligned to the state */
    /* 1.2: vLLM 0.33's CUDA-graph modes and attention backend */
    int cudagraph_mode;          /* the MB_CUDAGRAPH_MODE_* that runs (NONE when eager) */
    int cudagraph_runner;        /* 2: model runner V2 (0.33's default), 1: V1 */
    struct {
        int count;               /* graphs of the mode */
        int64_t first;           /* its first (largest) capture, as given or 0 */
        int64_t per_graph;       /* what each further graph is charged */
        int64_t bytes;           /* first + (count - 1) x per_graph */
    } cudagraph_parts[2];        /* [0] PIECEWISE, [1] FULL */
    int64_t cudagraph_estimate;  /* the profiler's estimate; charged unless
                                  * no_cudagraph_estimate */
    char cudagraph_rule[200];    /* why that mode */
    char attention_backend[32];  /* vLLM's AttentionBackendEnum name */
    int compute_capability;      /* in force: given, measured or of the named GPU; 0 */
} mb_plan;
#define MB_PLAN_INIT { .size = sizeof(mb_plan) }

/* The named what-if GPUs of `membudget plan --gpu NAME` and `--gpu list` (from 1.1). A
 * frozen struct (fixed layout for the soname), filled by value. */
typedef struct mb_gpu_spec {
    char name[32];          /* "H100", "A100-80GB", ... */
    char aliases[64];       /* other names it answers to, comma-separated */
    char vendor[16];        /* "nvidia", "amd" */
    char arch[16];          /* "sm_90", "gfx942" */
    int64_t total_memory;   /* bytes as cudaMemGetInfo reports the total where a published
                             * log gives it, else the datasheet's capacity (source then
                             * starts with "datasheet: ") */
    int compute_capability; /* major x 10 + minor (NVIDIA), 0 (AMD) */
    int integrated;         /* 1: memory shared with the CPU (GB10, Jetson) */
    char source[160];       /* where the total comes from: the log, or "datasheet: ..." */
} mb_gpu_spec;
/* How many GPUs the table has. */
MB_EXPORT int mb_gpu_spec_count(void);
/* The i-th (0 .. count-1); MB_EINVAL out of range. */
MB_EXPORT int mb_gpu_spec_get(int i, mb_gpu_spec *out);
/* The GPU called name (case-insensitive, aliases too); MB_EINVAL with a detail that
 * names the nearest and says --gpu list shows them all. */
MB_EXPORT int mb_gpu_spec_find(const char *name, mb_gpu_spec *out);

/* Plans model m on a device like dev (measured, or mb_snapshot_what_if). Returns MB_OK
 * whenever the figures could be computed, fits or not (then fits = 0 and verdict says what
 * to change: --gpu-memory-utilization, --max-model-len, --kv-cache-dtype,
 * --tensor-parallel-size, or freeing memory); the error codes are for bad input:
 * MB_EINVAL / MB_ERANGE naming the option (by its command-line flag) and its value, e.g. a
 * max_model_len above the model's own. o may be NULL (defaults). */
MB_EXPORT int mb_plan_compute(const mb_model *m, const mb_snapshot *dev,
                              const mb_plan_options *o, mb_plan *out);

/* --- Memory pressure on integrated devices --- */

/* vLLM's release_device_memory_under_pressure, with its thresholds as options. */
typedef struct mb_pressure_options {
    uint32_t size; /* the caller's sizeof: set it with MB_PRESSURE_OPTIONS_INIT */
    int64_t min_release_bytes; /* default 512 MiB (vLLM's _UMA_MIN_RELEASE_BYTES) */
    double pressure_threshold; /* default 0.8: release when available <= (1-t) x total */
} mb_pressure_options;
#define MB_PRESSURE_OPTIONS_INIT \
    { .size = sizeof(mb_pressure_options), .min_release_bytes = 512 * MB_MiB, \
      .pressure_threshold = 0.8 }
/* Fills the first size bytes of *o with the defaults of MB_PRESSURE_OPTIONS_INIT and sets
 * o->size = size (for bindings). MB_EINVAL for NULL or a size below the first release's. */
MB_EXPORT int mb_pressure_options_init(mb_pressure_options *o, size_t size);

typedef struct mb_pressure_result {
    uint32_t size; /* the caller's sizeof: set it with MB_PRESSURE_RESULT_INIT */
    int released;          /* 1 when the cache was emptied */
    int64_t releasable;    /* reserved - allocated at the time of the decision */
    int64_t host_available;
    int64_t host_total;
    char reason[160];      /* why it released or did not */
} mb_pressure_result;
#define MB_PRESSURE_RESULT_INIT { .size = sizeof(mb_pressure_result) }

/* Only for integrated devices, only when releasable >= min_release_bytes and host
 * available <= (1 - threshold) x host total: synchronizes the device and empties alloc's
 * cache. opts may be NULL (defaults). Not releasing is not an error. */
MB_EXPORT int mb_pressure_release(mb_context *ctx, int device, const mb_allocator *alloc,
                                  const mb_pressure_options *opts,
                                  mb_pressure_result *out);

/* ---- Estimate: a model's whole budget from its config, before any GPU ----------- */

/*
 * Predicts what vLLM's start-up would measure (docs/estimate.md has every formula, the
 * vLLM 0.33.0 function each one follows, and its measured accuracy): the weights (from
 * the safetensors index when there is one, else from the architecture and the
 * quantization in config.json), the activation peak of the profile run, the non-torch
 * memory (CUDA/HIP library workspaces, NCCL and custom all-reduce buffers) and the
 * CUDA-graph pool; then the KV cache, its token capacity and the concurrency as ranges,
 * and the settings of vLLM, SGLang and TensorRT-LLM that realise the budget. Pure math:
 * no device, no file (except mb_arch_load), no state, no heap after return; thread-safe.
 */

/* Where a figure came from. */
typedef enum mb_estimate_source {
    MB_EST_UNKNOWN = 0,     /* could not be estimated: reason says why and how to supply it */
    MB_EST_GIVEN = 1,       /* an option (--weights-memory, --non-kv-memory, ...) */
    MB_EST_MEASURED = 2,    /* measured captures (--cudagraph-captures) */
    MB_EST_SAFETENSORS = 3, /* the tensor bytes of the checkpoint's safetensors */
    MB_EST_CONFIG = 4,      /* counted from config.json's architecture and quantization */
    MB_EST_ESTIMATED = 5,   /* a formula of the architecture and the scheduler settings */
    MB_EST_NONE = 6         /* not charged (eager, a CPU device, not the last PP rank) */
} mb_estimate_source;
/* "unknown", "given", "measured", "safetensors", "config", "estimated", "none". */
MB_EXPORT const char *mb_estimate_source_name(int32_t s);

/* One part of the budget (a frozen struct), per rank: bytes is the central figure, [low, high] the range
 * the logged value is expected in (low == bytes == high for given parts). When source is
 * MB_EST_UNKNOWN the three are MB_UNKNOWN and reason says what is missing. */
typedef struct mb_estimate_part {
    int64_t bytes, low, high;
    int32_t source;              /* mb_estimate_source */
    char reason[192];
} mb_estimate_part;

/* A model's architecture as the estimate reads it from config.json: mb_model's KV geometry
 * plus the keys the KV geometry does not need (vocabulary, MLP and MoE sizes, MLA ranks,
 * quantization_config, vision/audio towers). Library-owned: made by mb_arch_parse or
 * mb_arch_load, released with mb_arch_free; read only through the functions below. */
typedef struct mb_arch mb_arch;

/* Parses a config.json's text into a new *out (NULL on failure). Fails as mb_model_parse
 * does (MB_EPARSE, MB_EINVAL naming the field), or MB_ENOMEM; keys only the estimate needs
 * do not fail the parse: a missing or unknown one (an unknown quant_method, vocab_size 0)
 * is kept as a reason, and the part that needs it becomes unknown with that reason. The
 * JSON is parsed twice (for mb_model's fields and for the rest) and freed before return.
 * Calls of mb_arch_parse/mb_arch_load on several threads at once are safe with each other;
 * with mb_model_parse/mb_model_load running on another thread at the same moment they
 * share cJSON's parse-error global under two different locks (a known limitation: call
 * them from one thread, or serialise them). */
MB_EXPORT int mb_arch_parse(const char *json, size_t len, const char *name, mb_arch **out);
/* Reads a config.json or a folder holding one; the weights' bytes come from the
 * safetensors beside it as mb_model_load finds them. */
MB_EXPORT int mb_arch_load(const char *path, mb_arch **out);
/* Releases a; NULL is allowed. */
MB_EXPORT void mb_arch_free(mb_arch *a);

/* Counts the parameters per rank (tp, pp >= 1) and their bytes as vLLM loads them:
 * vocabulary padded to 64 per rank and sharded, tied lm_head counted once, attention with
 * GQA/MLA projections, dense MLP, MoE experts and shared experts, norms, towers, and the
 * rotary cos/sin cache; quantized linear layers at quant_bits plus their group scales and
 * zeros. Largest pipeline stage. MB_EINVAL (arch_reason/quant_reason) when it cannot. */
MB_EXPORT int mb_arch_weights(const mb_arch *a, int tp, int pp, int64_t *bytes_per_rank);

/* The device the estimate plans for. A frozen struct (fixed layout for the soname). */
typedef enum mb_gpu_vendor { MB_GPU_NVIDIA = 0, MB_GPU_AMD = 1, MB_GPU_CPU = 2 } mb_gpu_vendor;
typedef struct mb_estimate_device {
    char name[64];               /* "NVIDIA H100 80GB HBM3", or "what-if" */
    int64_t total_memory;        /* as the runtime reports it (cudaMemGetInfo's total) */
    int32_t vendor;              /* mb_gpu_vendor */
    int cc_major, cc_minor;      /* compute capability (NVIDIA), 0 when unknown */
    int64_t context_memory;      /* runtime context, outside vLLM's budget; MB_UNKNOWN:
                                  * the vendor's typical figure */
} mb_estimate_device;

/* The named-GPU table of `--gpu list` (mb_gpu_spec_*), by name ("H100", "h100-80gb",
 * "A100-40GB", "RTX 4090", "NVIDIA GeForce RTX 4090", "MI300X", ...: case, separators and
 * vendor prefixes ignored): the runtime's product name, its total (as mb_gpu_spec's) and
 * capability. MB_ENODEV when the name is not known: the detail names the nearest and says
 * to pass --total-memory. */
MB_EXPORT int mb_estimate_device_find(const char *name, mb_estimate_device *out);

/* V1's top-k/top-p filtering in the profile run (mb_estimate_options.sampler, 1.3). */
typedef enum mb_estimate_sampler {
    MB_SAMPLER_KERNEL = 0,      /* FlashInfer's or vLLM's Triton kernels (as in 0.33); from
                                 * 1.4, with vllm_release set: that release's default */
    MB_SAMPLER_TORCH_SORT = 1,  /* torch.sort over every row (forward_native) */
    MB_SAMPLER_FORCE_KERNEL = 2 /* 1.4: the kernels whatever vllm_release's default */
} mb_estimate_sampler;

/* The model runner whose profile run the start-up follows (mb_estimate_options.model_runner
 * and mb_estimate.model_runner, 1.4). */
typedef enum mb_estimate_runner {
    MB_RUNNER_DEFAULT = 0, /* the one vllm_release runs the model with (V1 when none) */
    MB_RUNNER_V1 = 1,      /* vllm/v1/worker/gpu_model_runner.py */
    MB_RUNNER_V2 = 2       /* vllm/v1/worker/gpu/model_runner.py (VLLM_USE_V2_MODEL_RUNNER) */
} mb_estimate_runner;

typedef struct mb_estimate_options {
    uint32_t size; /* the caller's sizeof: set it with MB_ESTIMATE_OPTIONS_INIT */
    int tensor_parallel_size, pipeline_parallel_size;  /* default 1 */
    double gpu_memory_utilization;   /* default MB_GPU_MEMORY_UTILIZATION_DEFAULT */
    int max_num_seqs;                /* 0 (default): vLLM 0.33's default for the device */
    int64_t max_num_batched_tokens;  /* 0 (default): vLLM 0.33's default for the device */
    int64_t max_model_len;           /* 0 (default): the model's */
    int block_size;                  /* default MB_BLOCK_SIZE_DEFAULT */
    const char *kv_cache_dtype;      /* NULL: the model's */
    int enforce_eager;               /* 1: no CUDA graphs */
    int charge_cudagraphs;           /* 1 (default): vLLM >= 0.20 takes the CUDA-graph
                                      * estimate out of the KV cache; 0: older releases */
    int64_t weights_memory;          /* per rank; MB_UNKNOWN (default): estimated */
    int64_t non_kv_memory;           /* per rank, weights + activation + non-torch, from a
                                      * profile; MB_UNKNOWN (default): estimated */
    int64_t cudagraph_memory;        /* per rank; MB_UNKNOWN (default): estimated */
    int64_t cudagraph_first, cudagraph_second; /* measured captures; MB_UNKNOWN */
    int instances;                   /* engines sharing the device (default 1) */
    int64_t memory_cap;              /* per instance; MB_UNKNOWN (default): total / N */
    /* 1.2: the vLLM engine whose profile_run the start-up follows. 0 (default): V1, as in
     * 1.1. Else a V0 release as major x 10000 + minor x 100 + patch (604 for 0.6.4): the
     * V0 profile samples max_num_seqs rows with top-k/top-p on the driver rank
     * (docs/estimate.md, "Activation peak"). */
    int32_t vllm_v0_release;
    /* 1.3: how V1's dummy sampler filters top-k and top-p (mb_estimate_sampler). 0
     * (default, as in 1.2): a kernel that keeps no per-logit state beyond the
     * probabilities, as vLLM 0.33 filters (FlashInfer's, or vLLM's Triton kernels);
     * MB_SAMPLER_TORCH_SORT: torch's sort of every logit row, as V1 ran from 0.11.1 (PR
     * #26859 turned FlashInfer's sampler off) until the Triton kernels (PR #33538), or
     * without FlashInfer before that (docs/estimate.md, "Activation peak"). Not read for
     * V0 (vllm_v0_release), whose sampler always sorts. */
    int32_t sampler;
    /* 1.4: the V1-engine release the start-up runs, major x 10000 + minor x 100 + patch
     * (3300 for 0.33.0; 0.8.0 or later). 0 (default, as in 1.3): none named, the V1
     * runner's rules. Given, the estimate follows that release (docs/estimate.md,
     * "Releases"): the model runner it picks for the model's architecture (when
     * model_runner is 0), V1's top-k/top-p filter (when sampler is 0), whether the graphs
     * are estimated and taken from the KV cache (charge_cudagraphs 0 still turns that
     * off), and which persistent buffers its accounting counts. Above 0.33: 0.33's rules. */
    int32_t vllm_release;
    int32_t model_runner; /* 1.4: mb_estimate_runner; 0: by vllm_release */
} mb_estimate_options;
#define MB_ESTIMATE_OPTIONS_INIT \
    { .size = sizeof(mb_estimate_options), .tensor_parallel_size = 1, \
      .pipeline_parallel_size = 1, \
      .gpu_memory_utilization = MB_GPU_MEMORY_UTILIZATION_DEFAULT, \
      .block_size = MB_BLOCK_SIZE_DEFAULT, .charge_cudagraphs = 1, \
      .weights_memory = MB_UNKNOWN, .non_kv_memory = MB_UNKNOWN, \
      .cudagraph_memory = MB_UNKNOWN, .cudagraph_first = MB_UNKNOWN, \
      .cudagraph_second = MB_UNKNOWN, .instances = 1, .memory_cap = MB_UNKNOWN }
/* Fills the first size bytes of *o with the defaults of MB_ESTIMATE_OPTIONS_INIT and sets
 * o->size = size (for bindings). MB_EINVAL for NULL or a size below the first release's. */
MB_EXPORT int mb_estimate_options_init(mb_estimate_options *o, size_t size);

typedef enum mb_estimate_verdict {
    MB_EST_FITS = 0,         /* even the pessimistic bound holds one max_model_len request */
    MB_EST_MAY_NOT_FIT = 1,  /* the optimistic bound does, the pessimistic one does not */
    MB_EST_DOES_NOT_FIT = 2  /* not even the optimistic bound does (or start-up fails) */
} mb_estimate_verdict;
/* "fits", "may not fit", "does not fit". */
MB_EXPORT const char *mb_estimate_verdict_name(int32_t v);

/* Every engine's setting for the budget (per instance). Frozen. */
typedef struct mb_engine_knobs {
    double vllm_gpu_memory_utilization;  /* the fraction of the device per instance */
    int64_t vllm_kv_cache_memory_bytes;  /* the pessimistic KV figure, explicit */
    double sglang_mem_fraction_static;   /* (context + weights + KV) / total */
    int64_t sglang_max_total_tokens;     /* KV tokens */
    double trtllm_free_gpu_memory_fraction; /* KV / memory free after weights+activations */
    int64_t trtllm_max_tokens;           /* KV tokens */
} mb_engine_knobs;

typedef struct mb_estimate {
    uint32_t size; /* the caller's sizeof: set it with MB_ESTIMATE_INIT */
    mb_estimate_part weights, activation, non_torch, cudagraph;
    int cudagraph_charged;               /* 1: the graphs come out of the KV cache (vLLM
                                          * >= 0.20, not eager); cudagraph is still the
                                          * prediction when 0 */
    int tensor_parallel_size, pipeline_parallel_size, instances;
    int max_num_seqs;
    int64_t max_num_batched_tokens, max_model_len;
    int num_cudagraphs;
    int64_t requested_memory;            /* per instance and rank */
    int64_t context_memory;
    int startup_ok;                      /* free memory at start >= requested */
    int64_t available_kv_cache_memory, available_kv_cache_memory_low,
        available_kv_cache_memory_high;  /* may be negative: nothing left */
    int64_t bytes_per_token;             /* per rank, all layers (full attention) */
    int64_t kv_cache_tokens, kv_cache_tokens_low, kv_cache_tokens_high; /* vLLM's "GPU KV
                                          * cache size" with the plan's KV groups */
    double max_concurrency, max_concurrency_low, max_concurrency_high;
    int32_t verdict;                     /* mb_estimate_verdict */
    char verdict_text[512];
    mb_engine_knobs knobs;
    /* 1.4: the rules the estimate followed: the model runner (mb_estimate_runner: V1 or
     * V2; 0 for a V0 start-up), the top-k/top-p filter of the profile run
     * (mb_estimate_sampler: KERNEL or TORCH_SORT), and why, in words */
    int32_t model_runner, sampler;
    char rules[256];
} mb_estimate;
#define MB_ESTIMATE_INIT { .size = sizeof(mb_estimate) }

/* Estimates arch on dev with options o (NULL: defaults). Returns MB_OK whenever a verdict
 * could be reached, even with parts unknown (their reasons say how to supply them; a KV
 * figure needing an unknown part is MB_UNKNOWN and the verdict text names the part).
 * MB_EINVAL / MB_ERANGE for bad options, naming the option by its command-line flag. */
MB_EXPORT int mb_estimate_compute(const mb_arch *arch, const mb_estimate_device *dev,
                                  const mb_estimate_options *o, mb_estimate *out);

#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_VLLM_H */
