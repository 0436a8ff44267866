/*
 * core/attn_backend.c: which attention backend vLLM 0.33.0 picks for a plan, the block sizes
 * it accepts and how far it supports CUDA graphs (issue 14, items 4 and 5).
 *
 * Facts from vLLM 0.33.0's wheel:
 *  - the order it tries backends in: vllm/platforms/cuda.py _get_backend_priorities (MLA on
 *    sm_10x: FLASHINFER_MLA, TOKENSPEED_MLA, CUTLASS_MLA, FLASH_ATTN_MLA, FLASHMLA,
 *    TRITON_MLA; MLA on sm_12x: TRITON_MLA; other MLA: FLASH_ATTN_MLA, FLASHMLA,
 *    FLASHINFER_MLA, TRITON_MLA; others on sm_10x: FLASHINFER, FLASH_ATTN, TRITON_ATTN,
 *    FLEX_ATTENTION; else FLASH_ATTN, FLASHINFER, TRITON_ATTN, FLEX_ATTENTION), skipping
 *    each backend whose validate_configuration (vllm/v1/attention/backend.py) gives a reason;
 *  - the block sizes: each backend's get_supported_kernel_block_sizes, checked by
 *    AttentionBackend.supports_block_size: a block size passes when it is a multiple of one
 *    of them ("with hybrid_blocks ... only needs to be a multiple of the kernel's
 *    requirement"), the reason being "block_size not supported";
 *  - CUDA-graph support: each metadata builder's _cudagraph_support (AttentionCGSupport:
 *    NEVER 0, UNIFORM_SINGLE_TOKEN_DECODE 1, UNIFORM_BATCH 2, ALWAYS 3).
 * What is not reproduced: the head-size, dtype and sink checks that also skip backends (the
 * table assumes the model's heads suit every backend), FA4's special block sizes, and
 * FlashInfer's own runtime choice between its trtllm and wrapper kernels (taken as trtllm
 * on sm_100, its usual path for GQA models, and the wrapper elsewhere).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "attn_backend.h"

/* name, is_mla, block multiples (0-terminated; any multiple of one passes), support,
 * source, exact (only the sizes themselves pass) */
static const mb__attn_backend table[] = {
    {"FLASH_ATTN", 0, {16}, MB__CG_UNIFORM_BATCH, "flash_attn.py FlashAttentionBackend", 0},
    {"FLASHINFER", 0, {16, 32, 64}, MB__CG_SINGLE_TOKEN, "flashinfer.py FlashInferBackend", 0},
    {"TRITON_ATTN", 0, {16}, MB__CG_ALWAYS, "triton_attn.py TritonAttentionBackend", 0},
    {"FLEX_ATTENTION", 0, {16}, MB__CG_ALWAYS, "flex_attention.py FlexAttentionBackend", 0},
    {"FLASH_ATTN_MLA", 1, {16}, MB__CG_UNIFORM_BATCH, "mla/flashattn_mla.py", 0},
    {"FLASHMLA", 1, {64}, MB__CG_UNIFORM_BATCH, "mla/flashmla.py FlashMLABackend", 0},
    {"FLASHINFER_MLA", 1, {32, 64}, MB__CG_ALWAYS, "mla/flashinfer_mla.py", 0},
    {"CUTLASS_MLA", 1, {128}, MB__CG_SINGLE_TOKEN, "mla/cutlass_mla.py", 0},
    {"TRITON_MLA", 1, {16}, MB__CG_UNIFORM_BATCH, "mla/triton_mla.py TritonMLABackend", 0},
    {"ROCM_ATTN", 0, {16}, MB__CG_ALWAYS, "rocm_attn.py RocmAttentionBackend", 0},
    {"ROCM_AITER_FA", 0, {16, 32}, MB__CG_UNIFORM_BATCH, "rocm_aiter_fa.py", 0},
    {"CPU_ATTN", 0, {32}, MB__CG_NEVER, "cpu_attn.py CPUAttentionBackend", 0},
    {"CPU_MLA", 1, {16}, MB__CG_NEVER, "mla/cpu_mla.py (supports_block_size: 16 only)", 1},
    {NULL, 0, {0}, 0, NULL, 0},
};

const mb__attn_backend *mb__attn_backend_find(const char *name)
{
    for (int i = 0; table[i].name; i++)
        if (strcasecmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

int mb__attn_backend_supports_block(const mb__attn_backend *b, int block_size)
{
    for (int i = 0; i < MB__ATTN_MAX_SIZES && b->multiples[i]; i++)
        if (b->exact ? block_size == b->multiples[i] : block_size % b->multiples[i] == 0)
            return 1;
    return 0;
}

/* "16", "32 or 64", "multiples of 16": the accepted sizes, for a message */
const char *mb__attn_backend_sizes(const mb__attn_backend *b, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "%s", b->exact ? "" : "multiples of ");
    for (int i = 0; i < MB__ATTN_MAX_SIZES && b->multiples[i] && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%d", i ? " or " : "", b->multiples[i]);
    return buf;
}

/* The order vLLM tries backends in (see the top of the file). */
static int priorities(const mb__attn_query *q, const char **names, int cap)
{
    int n = 0;
#define ADD(s) \
    do { \
        if (n < cap) \
            names[n++] = (s); \
    } while (0)
    int major = q->compute_capability / 10;
    if (q->is_cpu) {
        ADD(q->is_mla ? "CPU_MLA" : "CPU_ATTN");
    } else if (q->is_rocm) {
        if (!q->is_mla) {
            ADD("ROCM_ATTN");
            ADD("TRITON_ATTN");
        } else {
            ADD("TRITON_MLA");
        }
    } else if (q->is_mla) {
        if (major == 10) {
            ADD("FLASHINFER_MLA");
            ADD("CUTLASS_MLA");
            ADD("FLASH_ATTN_MLA");
            ADD("FLASHMLA");
            ADD("TRITON_MLA");
        } else if (major == 12) {
            ADD("TRITON_MLA");
        } else {
            /* FLASH_ATTN_MLA runs on FA3 (sm_90) and its supported_kv_cache_dtypes lack
             * fp8; FlashMLA needs sm_90 (or sm_100) */
            if (major == 9 && !q->fp8_cache)
                ADD("FLASH_ATTN_MLA");
            if (major == 9)
                ADD("FLASHMLA");
            ADD("TRITON_MLA");
        }
    } else if (major == 10) {
        ADD("FLASHINFER");
        ADD("FLASH_ATTN");
        ADD("TRITON_ATTN");
        ADD("FLEX_ATTENTION");
    } else {
        if (major == 0 || major >= 8) /* FlashAttention needs sm_80 */
            ADD("FLASH_ATTN");
        ADD("FLASHINFER");
        ADD("TRITON_ATTN");
        ADD("FLEX_ATTENTION");
    }
#undef ADD
    return n;
}

int mb__attn_backend_pick(const mb__attn_query *q, mb__attn_backend *out)
{
    memset(out, 0, sizeof *out);
    const char *names[8];
    int n = priorities(q, names, 8);
    const char *dev = q->is_cpu ? "cpu" : q->is_rocm ? "rocm" : "cuda";
    if (q->selected && q->selected[0]) {
        const mb__attn_backend *b = mb__attn_backend_find(q->selected);
        if (!b) {
            char list[512] = "";
            size_t len = 0;
            for (int i = 0; table[i].name && len < sizeof list; i++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                        table[i].name);
            return mb__error(MB_EINVAL, "attention_backend %s: not a backend this plan "
                                        "knows; give one of %s", q->selected, list);
        }
        if (b->is_mla != q->is_mla)
            return mb__error(MB_EINVAL, "Selected backend %s is not valid for this "
                                        "configuration. Reason: ['%s not supported'] "
                                        "(attention_backend)", b->name,
                             q->is_mla ? "MLA" : "non-MLA");
        if (q->block_size && !mb__attn_backend_supports_block(b, q->block_size)) {
            char s[64];
            return mb__error(MB_EINVAL, "Selected backend %s is not valid for this "
                                        "configuration. Reason: ['block_size not "
                                        "supported']: block_size %d; %s accepts %s",
                             b->name, q->block_size, b->name,
                             mb__attn_backend_sizes(b, s, sizeof s));
        }
        *out = *b;
        goto support;
    }
    char reasons[512] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        const mb__attn_backend *b = mb__attn_backend_find(names[i]);
        if (!b)
            continue;
        if (!q->block_size || mb__attn_backend_supports_block(b, q->block_size)) {
            *out = *b;
            goto support;
        }
        char s[64];
        if (len < sizeof reasons)
            len += (size_t)snprintf(reasons + len, sizeof reasons - len,
                                    "%s%s: [block_size not supported] (accepts %s)",
                                    len ? ", " : "", b->name,
                                    mb__attn_backend_sizes(b, s, sizeof s));
    }
    return mb__error(MB_EINVAL, "No valid attention backend found for %s with block_size "
                                "%d. Reasons: {%s}. Give a block size one of them accepts",
                     dev, q->block_size, reasons);
support:
    /* FlashAttention: ALWAYS with FA3 (sm_90) or FA4, UNIFORM_BATCH with FA2
     * (flash_attn.py _cudagraph_support); FlashInfer: UNIFORM_BATCH when its trtllm
     * kernels run (sm_100), UNIFORM_SINGLE_TOKEN_DECODE otherwise (get_cudagraph_support) */
    if (strcmp(out->name, "FLASH_ATTN") == 0 && q->compute_capability / 10 == 9)
        out->cg_support = MB__CG_ALWAYS;
    if (strcmp(out->name, "FLASHINFER") == 0 && q->compute_capability / 10 == 10)
        out->cg_support = MB__CG_UNIFORM_BATCH;
    return MB_OK;
}

const char *mb__cg_support_name(int s)
{
    switch (s) {
    case MB__CG_NEVER:
        return "NEVER";
    case MB__CG_SINGLE_TOKEN:
        return "UNIFORM_SINGLE_TOKEN_DECODE";
    case MB__CG_UNIFORM_BATCH:
        return "UNIFORM_BATCH";
    case MB__CG_ALWAYS:
        return "ALWAYS";
    }
    return "unknown";
}
