/* core/attn_backend.h: vLLM 0.33.0's attention backend for a plan (attn_backend.c). */
#ifndef MB_CORE_ATTN_BACKEND_H
#define MB_CORE_ATTN_BACKEND_H

#include <stddef.h>

/* AttentionCGSupport (vllm/v1/attention/backend.py) */
#define MB__CG_NEVER 0
#define MB__CG_SINGLE_TOKEN 1
#define MB__CG_UNIFORM_BATCH 2
#define MB__CG_ALWAYS 3

#define MB__ATTN_MAX_SIZES 4
typedef struct mb__attn_backend {
    const char *name;                /* vLLM's AttentionBackendEnum name */
    int is_mla;
    int multiples[MB__ATTN_MAX_SIZES]; /* a block size passes as a multiple of one */
    int cg_support;                  /* MB__CG_* */
    const char *source;
    int exact;                       /* 1: only the sizes themselves (CPU_MLA's 16) */              /* vllm/v1/attention/backends/<source> */
} mb__attn_backend;

typedef struct mb__attn_query {
    int compute_capability; /* major x 10 + minor; 0 unknown */
    int is_cpu, is_rocm, is_mla, fp8_cache;
    int block_size;         /* 0: any */
    const char *selected;   /* --attention-backend, or NULL */
} mb__attn_query;

/* The backend vLLM picks (or the selected one), or MB_EINVAL with vLLM's words. */
int mb__attn_backend_pick(const mb__attn_query *q, mb__attn_backend *out);
/* The table's entry called name (case-insensitive), or NULL. */
const mb__attn_backend *mb__attn_backend_find(const char *name);
int mb__attn_backend_supports_block(const mb__attn_backend *b, int block_size);
const char *mb__attn_backend_sizes(const mb__attn_backend *b, char *buf, size_t size);
const char *mb__cg_support_name(int s);

#endif
