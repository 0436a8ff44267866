/*
 * core/config.c: a model's KV geometry from its Hugging Face config.json (the files beside
 * it, weights included, are core/model_files.c's; each layer's kind is config_layers.c's).
 *
 * What is read, and vLLM's source for each rule (vllm/config/model.py unless noted):
 *  - the nested "text_config" first (vLLM reads hf_text_config), then the top level;
 *  - num_hidden_layers; num_attention_heads;
 *  - KV heads: the first of n_head_kv, num_kv_heads, num_key_value_heads,
 *    multi_query_group_num, else num_attention_heads (get_total_num_kv_heads);
 *  - head size: head_dim when present and not null, else hidden_size // num_attention_heads
 *    (get_head_size); MLA models (kv_lora_rank set, as in DeepSeek-V2/V3) cache one latent
 *    of kv_lora_rank + qk_rope_head_dim per token and layer, with one KV head
 *    (get_head_size and get_num_kv_heads under use_mla);
 *  - dtype: "dtype" (newer transformers) or "torch_dtype"; with vLLM's --dtype auto a
 *    float32 or missing dtype runs in 16 bits (_get_and_verify_dtype: "we use float16 for
 *    float32 models");
 *  - max_model_len: the smallest of the keys vLLM's _get_and_verify_max_len looks at.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"


typedef struct lookup {
    const cJSON *text; /* text_config, or NULL */
    const cJSON *top;
    const char *name;  /* the file, for details */
} lookup;

static const cJSON *find(const lookup *l, const char *key)
{
    const cJSON *v = l->text ? cJSON_GetObjectItemCaseSensitive(l->text, key) : NULL;
    if (!v || cJSON_IsNull(v))
        v = cJSON_GetObjectItemCaseSensitive(l->top, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

/* Describes a JSON value for a detail message ("\"32\" (a string)", "0", "true"). */
void mb__json_describe(const cJSON *v, char *buf, size_t size)
{
    if (cJSON_IsString(v))
        snprintf(buf, size, "\"%.40s\" (a string)", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, size, "%.17g", v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(buf, size, "%s (a boolean)", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsArray(v))
        snprintf(buf, size, "an array");
    else if (cJSON_IsObject(v))
        snprintf(buf, size, "an object");
    else
        snprintf(buf, size, "null");
}

/* A positive whole number no larger than max. Absent: *out = 0 and MB_OK when optional. */
static int get_count(const lookup *l, const char *key, int64_t max, int required, int64_t *out)
{
    *out = 0;
    const cJSON *v = find(l, key);
    if (!v) {
        if (!required)
            return MB_OK;
        return mb__error(MB_EINVAL, "%s: the field %s is missing; this config does not "
                                    "describe a transformer that membudget can size",
                         l->name, key);
    }
    char what[64];
    mb__json_describe(v, what, sizeof what);
    if (!cJSON_IsNumber(v))
        return mb__error(MB_EINVAL, "%s: %s is %s, not a number", l->name, key, what);
    double d = v->valuedouble;
    if (!(d >= 1) || d != floor(d) || d > (double)max)
        return mb__error(MB_EINVAL, "%s: %s=%s: it must be a whole number from 1 to %lld",
                         l->name, key, what, (long long)max);
    *out = (int64_t)d;
    return MB_OK;
}

static int get_int(const lookup *l, const char *key, int required, int *out)
{
    int64_t v;
    int rc = get_count(l, key, 1 << 24, required, &v);
    *out = (int)v;
    return rc;
}

/* bytes of a torch dtype name as vLLM runs it with --dtype auto; 0 when unknown */
static int dtype_bytes(const char *name)
{
    static const struct {
        const char *name;
        int bytes;
    } table[] = {
        {"bfloat16", 2}, {"bf16", 2},    {"float16", 2}, {"half", 2},
        {"fp16", 2},     {"float32", 2}, {"float", 2},   {"fp32", 2}, /* run in 16 bits */
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0)
            return table[i].bytes;
    return 0;
}

static void position(const char *json, size_t len, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = json; p < json + len && p < at; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* cJSON records the position of a parse error in a global of its own, written on every
 * parse; this lock keeps membudget's own parses from racing on it. */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

int mb__json_parse_tree(const char *json, size_t len, const char *name, cJSON **out)
{
    const char *end = NULL;
    pthread_mutex_lock(&parse_lock);
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    pthread_mutex_unlock(&parse_lock);
    if (!root) {
        int line, col;
        position(json, len, end ? end : json, &line, &col);
        return mb__error(MB_EPARSE, "%s is not valid JSON (error at line %d, column %d); give "
                                    "the model's config.json", name, line, col);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return mb__error(MB_EPARSE, "%s is JSON but not an object; give the model's "
                                    "config.json", name);
    }
    *out = root;
    return MB_OK;
}

static int fill_model(const lookup *l, mb_model *m)
{
    int rc;
    const cJSON *mt = find(l, "model_type");
    if (mt && cJSON_IsString(mt))
        snprintf(m->model_type, sizeof m->model_type, "%s", mt->valuestring);
    /* encoder-decoder (Whisper): the decoder's cross-attention layers cache the encoder's
     * output (CrossAttentionSpec, vllm/v1/kv_cache_interface.py), not modelled */
    const cJSON *ed = find(l, "is_encoder_decoder");
    if (cJSON_IsTrue(ed) || strcmp(m->model_type, "whisper") == 0)
        return mb__error(MB_ENOTSUP, "%s: %s says this is an encoder-decoder model: its "
                                     "decoder's cross-attention layers cache the encoder's "
                                     "output (vLLM's CrossAttentionSpec) next to "
                                     "self-attention, which membudget does not plan",
                         l->name, cJSON_IsTrue(ed) ? "is_encoder_decoder true"
                                                   : "model_type \"whisper\"");

    if ((rc = get_int(l, "num_hidden_layers", 1, &m->num_layers)) ||
        (rc = get_int(l, "num_attention_heads", 1, &m->num_attention_heads)))
        return rc;

    /* dtype */
    const cJSON *dt = find(l, "dtype");
    const char *dkey = "dtype";
    if (!dt) {
        dt = find(l, "torch_dtype");
        dkey = "torch_dtype";
    }
    if (dt) {
        char what[64];
        mb__json_describe(dt, what, sizeof what);
        if (!cJSON_IsString(dt))
            return mb__error(MB_EINVAL, "%s: %s is %s, not a dtype name such as \"bfloat16\"",
                             l->name, dkey, what);
        snprintf(m->dtype, sizeof m->dtype, "%s", dt->valuestring);
        m->dtype_bytes = dtype_bytes(dt->valuestring);
        if (!m->dtype_bytes)
            return mb__error(MB_EINVAL, "%s: %s=\"%s\" is not a dtype vLLM runs (bfloat16, "
                                        "float16, float32); pass kv_cache_dtype to size "
                                        "the cache another way", l->name, dkey,
                             dt->valuestring);
    } else {
        m->dtype_bytes = 2; /* missing means float32 to vLLM, which runs it in 16 bits */
    }

    /* MLA: one latent per token and layer, only for the model types vLLM runs as MLA
     * (is_deepseek_mla); a kv_lora_rank alone is not MLA (MiniCPM3 is plain attention) */
    const cJSON *lora = find(l, "kv_lora_rank");
    if (lora && mb__is_mla_model_type(m->model_type)) {
        int rank, rope;
        if ((rc = get_int(l, "kv_lora_rank", 1, &rank)) ||
            (rc = get_int(l, "qk_rope_head_dim", 1, &rope)))
            return rc;
        m->is_mla = 1;
        m->num_kv_heads = 1;
        m->head_size = rank + rope;
        m->head_size_v = 0;
    } else {
        /* CONFIG_FIELD_ALIASES["total_num_kv_heads"], vllm/transformers_utils/config.py */
        static const char *const kv_keys[] = {"n_head_kv", "num_kv_heads",
                                              "num_key_value_heads",
                                              "multi_query_group_num",
                                              "num_attention_groups"};
        m->num_kv_heads = 0;
        for (size_t i = 0; i < sizeof kv_keys / sizeof kv_keys[0] && !m->num_kv_heads; i++)
            if ((rc = get_int(l, kv_keys[i], 0, &m->num_kv_heads)))
                return rc;
        if (!m->num_kv_heads)
            m->num_kv_heads = m->num_attention_heads;
        if (m->num_kv_heads > m->num_attention_heads)
            return mb__error(MB_EINVAL, "%s: %d KV heads for %d attention heads: a model has "
                                        "at most one KV head per attention head", l->name,
                             m->num_kv_heads, m->num_attention_heads);
        if ((rc = mb__config_head_size(l->text, l->top, l->name, m)))
            return rc;
        if (!m->head_size) {
            int hidden;
            if ((rc = get_int(l, "hidden_size", 0, &hidden)))
                return rc;
            if (!hidden)
                return mb__error(MB_EINVAL, "%s: neither head_dim nor hidden_size is there, "
                                            "so the head size is unknown", l->name);
            m->head_size = hidden / m->num_attention_heads;
            if (m->head_size == 0)
                return mb__error(MB_EINVAL, "%s: hidden_size=%d is smaller than "
                                            "num_attention_heads=%d, so heads have no size",
                                 l->name, hidden, m->num_attention_heads);
        }
        m->head_size_v = m->head_size;
    }

    if ((rc = mb__config_layer_kinds(l->text, l->top, l->name, m)))
        return rc;

    /* the model's own context length: the smallest of vLLM's keys (possible_keys of
     * derive_max_model_len_and_key in vllm/transformers_utils/model_arch_config_convertor.py: OPT, GPT-2, MPT, ChatGLM2's seq_length,
     * Command-R's model_max_length, Whisper's max_target_positions, and the rest) */
    static const char *const len_keys[] = {
        "max_position_embeddings", "n_positions",         "max_seq_len",    "seq_length",
        "model_max_length",        "max_target_positions", "max_sequence_length",
        "max_seq_length",          "seq_len"};
    for (size_t i = 0; i < sizeof len_keys / sizeof len_keys[0]; i++) {
        int64_t v;
        if ((rc = get_count(l, len_keys[i], (int64_t)1 << 40, 0, &v)))
            return rc;
        if (v && (!m->max_model_len || v < m->max_model_len))
            m->max_model_len = v;
    }
    return mb__config_max_len(l->text, l->top, l->name, m);
}

int mb__model_parse(const char *json, size_t len, const char *name, mb_model *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_model_parse: out is NULL");
    memset(out, 0, sizeof *out);
    out->weights_bytes = MB_UNKNOWN;
    if (!json)
        return mb__error(MB_EINVAL, "mb_model_parse: json is NULL");
    if (!name)
        name = "config.json";
    cJSON *root;
    int rc = mb__json_parse_tree(json, len, name, &root);
    if (rc)
        return rc;
    lookup l = {NULL, root, name};
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(root, "text_config");
    if (tc && cJSON_IsObject(tc))
        l.text = tc;
    mb_model m = MB_MODEL_INIT;
    m.weights_bytes = MB_UNKNOWN;
    rc = fill_model(&l, &m);
    cJSON_Delete(root);
    if (rc)
        return rc;
    *out = m;
    return MB_OK;
}

