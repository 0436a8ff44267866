/*
 * core/estimate_quant.c: quantization_config for the estimate (issue 15): the method, the
 * bits per weight and the group size, and the bytes per quantized parameter.
 *
 * Quantized bytes: GPTQ/AWQ pack `bits` per weight with an fp16 scale and a packed zero per
 * group and output; fp8 keeps one byte plus a float32 scale per block (or per channel);
 * mxfp4 (gpt-oss) 4 bits plus an 8-bit scale per 32 in the experts only; NVFP4 4 bits plus
 * an fp8 scale per 16; bitsandbytes 4-bit a float32 absmax per 64.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "estimate.h"

/* ---- quantization ---------------------------------------------------------------- */

static void quant_unknown(mb_arch *a, const char *fmt, const char *what)
    __attribute__((format(printf, 2, 0)));
static void quant_unknown(mb_arch *a, const char *fmt, const char *what)
{
    a->quant_known = 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(a->quant_reason, sizeof a->quant_reason, fmt, what);
#pragma GCC diagnostic pop
}

/* compressed-tensors: the first config group's weights block. */
static void quant_compressed(mb_arch *a, const cJSON *q)
{
    const cJSON *groups = mb__est_item(q, "config_groups");
    const cJSON *g = groups && cJSON_IsObject(groups) ? groups->child : NULL;
    const cJSON *w = g ? mb__est_item(g, "weights") : NULL;
    static const char *const bits_k[] = {"num_bits", NULL};
    static const char *const group_k[] = {"group_size", NULL};
    int64_t bits = w ? mb__est_num_of(w, bits_k) : 0;
    if (!bits) {
        quant_unknown(a, "quantization_config (%s) has no config_groups.*.weights.num_bits; "
                         "pass weights_memory", "compressed-tensors");
        return;
    }
    a->quant_bits = (double)bits;
    a->quant_group = mb__est_icap(mb__est_num_of(w, group_k));
    const char *type = mb__est_str(w, "type");
    const char *strategy = mb__est_str(w, "strategy");
    if (type && strcmp(type, "float") == 0 && bits == 4 && !a->quant_group)
        a->quant_group = 16; /* NVFP4 in compressed-tensors form */
    if (strategy && (strcmp(strategy, "channel") == 0 || strcmp(strategy, "tensor") == 0))
        a->quant_group = 0;
}

void mb__est_parse_quant(mb_arch *a, const cJSON *top)
{
    a->quant_bits = 16;
    a->quant_known = 1;
    const cJSON *q = mb__est_item(top, "quantization_config");
    if (!q)
        q = mb__est_item(top, "compression_config");
    if (!q)
        return;
    if (!cJSON_IsObject(q)) {
        quant_unknown(a, "quantization_config is %s, not an object; pass weights_memory",
                      "not an object");
        return;
    }
    const char *m = mb__est_str(q, "quant_method");
    if (!m)
        m = mb__est_str(q, "quantization_method");
    if (!m) {
        quant_unknown(a, "quantization_config has no quant_method (%s); pass "
                         "weights_memory", "missing");
        return;
    }
    snprintf(a->quant_method, sizeof a->quant_method, "%s", m);
    static const char *const bits_k[] = {"bits", "w_bit", "num_bits", NULL};
    if (strcasecmp(m, "gptq") == 0 || strcasecmp(m, "awq") == 0 ||
        strcasecmp(m, "gptq_marlin") == 0 || strcasecmp(m, "awq_marlin") == 0 ||
        strcasecmp(m, "auto-round") == 0) {
        int64_t bits = mb__est_num_of(q, bits_k);
        a->quant_bits = bits ? (double)bits : 4;
        const cJSON *gs = mb__est_item(q, "group_size");
        if (!gs)
            gs = mb__est_item(q, "q_group_size");
        a->quant_group = gs && cJSON_IsNumber(gs) && gs->valuedouble > 0 &&
                                 gs->valuedouble < 1e9
                             ? (int)gs->valuedouble
                             : (gs ? 0 : 128); /* -1: per channel */
    } else if (strcasecmp(m, "fp8") == 0 || strcasecmp(m, "fbgemm_fp8") == 0) {
        a->quant_bits = 8;
        const cJSON *bs = mb__est_item(q, "weight_block_size");
        double block = 0;
        if (bs && cJSON_IsArray(bs) && cJSON_GetArraySize(bs) == 2 &&
            cJSON_IsNumber(cJSON_GetArrayItem(bs, 0)) &&
            cJSON_IsNumber(cJSON_GetArrayItem(bs, 1)))
            block = cJSON_GetArrayItem(bs, 0)->valuedouble *
                    cJSON_GetArrayItem(bs, 1)->valuedouble;
        a->quant_group = block > 0 && block < 1e9 ? (int)block : 0;
    } else if (strcasecmp(m, "mxfp4") == 0) {
        a->quant_bits = 4;
        a->quant_group = 32;
        a->quant_experts_only = 1;
    } else if (strcasecmp(m, "modelopt") == 0 || strcasecmp(m, "modelopt_fp4") == 0) {
        const char *algo = mb__est_str(q, "quant_algo");
        if (algo && strcasecmp(algo, "FP8") == 0) {
            a->quant_bits = 8;
        } else if (!algo || strcasecmp(algo, "NVFP4") == 0) {
            a->quant_bits = 4;
            a->quant_group = 16;
        } else {
            quant_unknown(a, "quantization_config.quant_algo \"%s\" (modelopt) is not one "
                             "membudget can size; pass weights_memory", algo);
        }
    } else if (strcasecmp(m, "compressed-tensors") == 0) {
        quant_compressed(a, q);
    } else if (strcasecmp(m, "bitsandbytes") == 0) {
        if (cJSON_IsTrue(mb__est_item(q, "load_in_8bit"))) {
            a->quant_bits = 8;
        } else {
            a->quant_bits = 4;
            a->quant_group = 64;
        }
    } else {
        quant_unknown(a, "quantization_config.quant_method \"%s\" is not one membudget can "
                         "size (gptq, awq, fp8, mxfp4, modelopt, compressed-tensors, "
                         "bitsandbytes); pass weights_memory", m);
    }
}

double mb__quant_bytes_per_param(const mb_arch *a)
{
    double b = a->quant_bits / 8.0;
    const char *m = a->quant_method;
    double g = a->quant_group;
    if (a->quant_bits >= 16)
        return 2.0;
    if (strcasecmp(m, "mxfp4") == 0)
        return b + 1.0 / 32.0; /* e8m0 scale per 32 */
    if (a->quant_bits == 4 && g == 16)
        return b + 1.0 / 16.0; /* NVFP4: fp8 scale per 16 */
    if (a->quant_bits == 8)
        return b + (g > 0 ? 4.0 / g : 0.0); /* float32 scale per block */
    if (strcasecmp(m, "bitsandbytes") == 0)
        return b + 4.0 / 64.0; /* float32 absmax per 64 */
    if (g > 0)
        return b + 2.0 / g + b / g; /* fp16 scale and a packed zero per group */
    return b;
}
