/*
 * core/gpu_table.h: the named what-if GPUs of `membudget plan --gpu NAME` and the vLLM
 * 0.33.0 defaults that follow from a GPU (internal; core/gpus.c). Other core files (the
 * estimate's non-torch memory) read the same table. Static data: thread-safe.
 */
#ifndef MB_GPU_TABLE_H
#define MB_GPU_TABLE_H

#include <stdint.h>

typedef struct mb__gpu {
    const char *name;       /* "H100", "A100-80GB", ... as --gpu takes it */
    const char *aliases;    /* more names, comma-separated ("H100-SXM,H100-80GB") */
    const char *vendor;     /* "nvidia", "amd" */
    const char *product;    /* the name the runtime reports ("NVIDIA H100 80GB HBM3") */
    int64_t total_memory;   /* bytes as cudaMemGetInfo / hipMemGetInfo report the total,
                             * where a published log gives it (total_source), else the
                             * datasheet's capacity, GB = 10^9 (total_source "datasheet") */
    const char *total_source; /* the log that gives total_memory, or "datasheet" */
    int cc_major, cc_minor; /* CUDA compute capability; AMD: 0.0 (gfx in arch) */
    const char *arch;       /* "sm_90", "gfx942" */
    int integrated;         /* 1: one memory pool shared with the CPU */
    const char *source;     /* the datasheet's capacity */
} mb__gpu;

/* The table, NULL-terminated by name. */
const mb__gpu *mb__gpu_table(void);
/* The GPU named name, or NULL: case-insensitive, aliases too, then with case, separators
 * and the vendor's prefixes ignored ("NVIDIA GeForce RTX 4090", "h100 80gb", "4090") and
 * the longest known name that starts it ("H100-SXM5-80GB" -> H100). On NULL, *nearest
 * (may be NULL) is the closest name by edit distance. */
const mb__gpu *mb__gpu_find(const char *name, const char **nearest);

/* vLLM's default max_num_seqs and max_num_batched_tokens for a device of total_memory
 * bytes (EngineArgs.get_batch_defaults, vllm/engine/arg_utils.py): >= 160 GiB 1024 and
 * 16384; >= 70 GiB (not an A100, not a GB10) 1024 and 16384 (llm) / 8192 (serve); else
 * 256 and 8192 (llm) / 2048 (serve); a CPU 256/128 x world size and 4096/2048 x world
 * size. why receives the rule in words. */
void mb__gpu_batch_defaults(int64_t total_memory, const char *device_name, int is_gb10,
                            int is_cpu, int world_size, int usage_llm, int *max_num_seqs,
                            int64_t *max_num_batched_tokens, const char **why);

/* vLLM's default block size for an attention backend chosen on this device
 * (Platform.update_block_size_for_backend with _get_backend_priorities in
 * vllm/platforms/cuda.py): 16 unless MLA picks FlashMLA (64: fp8 cache on sm_90) or
 * FlashInfer-MLA (32: sm_100), or the CPU (32: CPU_ATTN's MultipleOf(32)). */
int mb__gpu_default_block_size(int cc_major, int is_cpu, int is_mla, int fp8_cache,
                               const char **why);

#endif
