/*
 * core/config_hybrid.c: which layers of a config.json hold a Mamba / linear-attention state,
 * chunked local attention or no cache at all, as vLLM 0.33.0's model code builds them, and
 * the state's dimensions (kv_hybrid.c sizes the state from them).
 *
 * By model_type, with vLLM's (and transformers') source for each:
 *  - qwen3_next (vllm/model_executor/models/qwen3_next.py reads config.layer_types):
 *    layer_types of "linear_attention" (Gated DeltaNet) and "full_attention", else
 *    transformers' Qwen3NextConfig rule: layer i is full attention when (i + 1) %
 *    full_attention_interval == 0; the state from linear_num_key_heads,
 *    linear_num_value_heads, linear_key_head_dim, linear_value_head_dim,
 *    linear_conv_kernel_dim (Qwen3NextForCausalLM.get_mamba_state_shape_from_config);
 *  - jamba (jamba.py reads config.layers_block_type): JambaConfig's rule, attention when
 *    i % attn_layer_period == attn_layer_offset (defaults 8 and 4), else Mamba-1 of inner
 *    size mamba_expand x hidden_size, mamba_d_state, mamba_d_conv (defaults 2, 16, 4);
 *  - granitemoehybrid (granitemoehybrid.py reads config.layer_types): "mamba" (Mamba-2) and
 *    "attention"; inner size mamba_expand x hidden_size, mamba_n_groups, mamba_n_heads,
 *    mamba_d_head, mamba_d_state, mamba_d_conv;
 *  - nemotron_h (nemotron_h.py builds len(hybrid_override_pattern) layers): "M" Mamba-2,
 *    "*" attention, "-" MLP and "E" MoE layers without any cache; inner size
 *    mamba_num_heads x mamba_head_dim, n_groups, ssm_state_size, conv_kernel; the SSM state
 *    in mamba_ssm_cache_dtype, float32 when absent (NemotronHForCausalLMConfig,
 *    vllm/model_executor/models/config.py);
 *  - llama4 / llama4_text with attention_chunk_size (llama4.py: a layer with RoPE is
 *    ChunkedLocalAttention, a NoPE layer full attention): no_rope_layers (1: RoPE), or when
 *    it is empty transformers' Llama4TextConfig rule, NoPE every no_rope_layer_interval-th
 *    layer (default 4).
 *  - DeciLM / Nemotron-NAS block_configs (nemotron_nas.py, DeciLMDecoderLayer): a layer
 *    whose attention is no_op builds no attention (no cache); every other layer has
 *    num_attention_heads // n_heads_in_group KV heads of its own, and the model's KV heads are
 *    the first such layer's (NemotronNasModelArchConfigConvertor.get_total_num_kv_heads,
 *    vllm/transformers_utils/model_arch_config_convertor.py). replace_with_linear is refused:
 *    vLLM 0.33 has no linear attention for it and DeciLMDecoderLayer would divide by the
 *    null n_heads_in_group such a layer has;
 *  - encoders (bert, roberta, ... or is_causal false): encoder-only attention keeps no KV
 *    cache (Attention.get_kv_cache_spec returns None for ENCODER_ONLY, vllm/model_executor/
 *    layers/attention/attention.py), so every layer is uncached and vLLM plans no group.
 * Any other model with a hybrid key is refused, naming the key.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const cJSON *get(const cJSON *text, const cJSON *top, const char *key)
{
    const cJSON *v = text ? cJSON_GetObjectItemCaseSensitive(text, key) : NULL;
    if (!v || cJSON_IsNull(v))
        v = cJSON_GetObjectItemCaseSensitive(top, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

/* A positive whole number of key, dflt when absent (-1: required); an error otherwise. */
static int dim(const cJSON *text, const cJSON *top, const char *name, const char *key,
               int dflt, int *out)
{
    const cJSON *v = get(text, top, key);
    if (!v && dflt >= 0) {
        *out = dflt;
        return MB_OK;
    }
    /* at most 2^20, so that the state sizes of kv_hybrid.c (products of three of these
     * and an element size) stay far inside int64_t */
    if (!v || !cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > (1 << 20) ||
        v->valuedouble != (double)(int)v->valuedouble)
        return mb__error(MB_EINVAL, "%s: %s %s; the state of this hybrid model needs it as "
                                    "a whole number from 1 to 1048576", name, key,
                         v ? "is not a whole number from 1 to 1048576" : "is missing");
    *out = (int)v->valuedouble;
    return MB_OK;
}

/* The state layers' inner width a x b (keys ka and kb), refused when it leaves int. */
static int inner(const char *name, const char *ka, int a, const char *kb, int b, int *out)
{
    int64_t w = (int64_t)a * b;
    if (w > INT_MAX)
        return mb__error(MB_EINVAL, "%s: %s x %s is %lld, more than any model's state width; "
                                    "check the two keys", name, ka, kb, (long long)w);
    *out = (int)w;
    return MB_OK;
}

/* Reads a list of n layer kinds from key: each entry one of names[], kind[] its layer kind. */
static int kinds_list(const cJSON *lt, const char *name, const char *key, int n,
                      const char *const *names, const unsigned char *kind, int nnames,
                      mb_model *m)
{
    if (!cJSON_IsArray(lt) || cJSON_GetArraySize(lt) != n)
        return mb__error(MB_EINVAL, "%s: %s must list one kind for each of the %d layers "
                                    "(num_hidden_layers), it has %d", name, key, n,
                         cJSON_IsArray(lt) ? cJSON_GetArraySize(lt) : 0);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, lt)
    {
        const char *s = cJSON_IsString(e) ? e->valuestring : "";
        int j = 0;
        while (j < nnames && strcmp(s, names[j]) != 0)
            j++;
        if (j == nnames) {
            char known[160] = "";
            for (int q = 0; q < nnames; q++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s\"%s\"",
                         q ? (q + 1 == nnames ? " and " : ", ") : "", names[q]);
            return mb__error(MB_EINVAL, "%s: %s[%d]=\"%.40s\" is not a layer kind vLLM builds "
                                        "for %s; it knows %s", name, key, i, s,
                             m->model_type, known);
        }
        m->layer_kind[i++] = kind[j];
    }
    return MB_OK;
}

static int qwen3_next(const cJSON *text, const cJSON *top, const char *name, mb_model *m)
{
    int rc, n = m->num_layers;
    const cJSON *lt = get(text, top, "layer_types");
    if (lt) {
        static const char *const names[] = {"linear_attention", "full_attention"};
        static const unsigned char kind[] = {MB_LAYER_STATE, MB_LAYER_ATTENTION};
        if ((rc = kinds_list(lt, name, "layer_types", n, names, kind, 2, m)))
            return rc;
    } else {
        int every;
        if ((rc = dim(text, top, name, "full_attention_interval", 4, &every)))
            return rc;
        for (int i = 0; i < n; i++)
            m->layer_kind[i] = (i + 1) % every ? MB_LAYER_STATE : MB_LAYER_ATTENTION;
    }
    m->mamba_kind = MB_MAMBA_GDN;
    if ((rc = dim(text, top, name, "linear_num_key_heads", -1, &m->mamba_num_k_heads)) ||
        (rc = dim(text, top, name, "linear_num_value_heads", -1, &m->mamba_num_heads)) ||
        (rc = dim(text, top, name, "linear_key_head_dim", -1, &m->mamba_head_k_dim)) ||
        (rc = dim(text, top, name, "linear_value_head_dim", -1, &m->mamba_head_dim)) ||
        (rc = dim(text, top, name, "linear_conv_kernel_dim", -1, &m->mamba_conv_kernel)))
        return rc;
    return MB_OK;
}

static int jamba(const cJSON *text, const cJSON *top, const char *name, mb_model *m)
{
    int rc, period, offset, expand, hidden;
    if ((rc = dim(text, top, name, "attn_layer_period", 8, &period)))
        return rc;
    const cJSON *off = get(text, top, "attn_layer_offset");
    if (off && (!cJSON_IsNumber(off) || off->valuedouble != (double)(int)off->valuedouble))
        return mb__error(MB_EINVAL, "%s: attn_layer_offset is not a whole number of layers",
                         name);
    offset = off ? (int)off->valuedouble : 4;
    if (offset < 0 || offset >= period)
        return mb__error(MB_EINVAL, "%s: attn_layer_offset %d must be below attn_layer_period "
                                    "%d (JambaConfig)", name, offset, period);
    const cJSON *lbt = get(text, top, "layers_block_type");
    if (lbt) {
        static const char *const names[] = {"mamba", "attention"};
        static const unsigned char kind[] = {MB_LAYER_STATE, MB_LAYER_ATTENTION};
        if ((rc = kinds_list(lbt, name, "layers_block_type", m->num_layers, names, kind, 2,
                             m)))
            return rc;
    } else {
        for (int i = 0; i < m->num_layers; i++)
            m->layer_kind[i] = i % period == offset ? MB_LAYER_ATTENTION : MB_LAYER_STATE;
    }
    m->mamba_kind = MB_MAMBA_1;
    if ((rc = dim(text, top, name, "mamba_expand", 2, &expand)) ||
        (rc = dim(text, top, name, "hidden_size", -1, &hidden)) ||
        (rc = dim(text, top, name, "mamba_d_state", 16, &m->mamba_state_size)) ||
        (rc = dim(text, top, name, "mamba_d_conv", 4, &m->mamba_conv_kernel)) ||
        (rc = inner(name, "mamba_expand", expand, "hidden_size", hidden,
                    &m->mamba_intermediate_size)))
        return rc;
    return MB_OK;
}

static int granite(const cJSON *text, const cJSON *top, const char *name, mb_model *m)
{
    int rc, expand, hidden;
    const cJSON *lt = get(text, top, "layer_types");
    if (!lt)
        return MB_OK; /* every layer attention */
    static const char *const names[] = {"mamba", "attention"};
    static const unsigned char kind[] = {MB_LAYER_STATE, MB_LAYER_ATTENTION};
    if ((rc = kinds_list(lt, name, "layer_types", m->num_layers, names, kind, 2, m)))
        return rc;
    m->mamba_kind = MB_MAMBA_2;
    if ((rc = dim(text, top, name, "mamba_expand", -1, &expand)) ||
        (rc = dim(text, top, name, "hidden_size", -1, &hidden)) ||
        (rc = dim(text, top, name, "mamba_n_groups", -1, &m->mamba_n_groups)) ||
        (rc = dim(text, top, name, "mamba_n_heads", -1, &m->mamba_num_heads)) ||
        (rc = dim(text, top, name, "mamba_d_head", -1, &m->mamba_head_dim)) ||
        (rc = dim(text, top, name, "mamba_d_state", -1, &m->mamba_state_size)) ||
        (rc = dim(text, top, name, "mamba_d_conv", -1, &m->mamba_conv_kernel)) ||
        (rc = inner(name, "mamba_expand", expand, "hidden_size", hidden,
                    &m->mamba_intermediate_size)))
        return rc;
    return MB_OK;
}

static int nemotron_h(const cJSON *text, const cJSON *top, const char *name, mb_model *m)
{
    int rc;
    const cJSON *p = get(text, top, "hybrid_override_pattern");
    if (!p || !cJSON_IsString(p))
        return mb__error(MB_EINVAL, "%s: a nemotron_h model needs hybrid_override_pattern, "
                                    "one letter per layer (M Mamba-2, * attention, - MLP, "
                                    "E MoE)", name);
    int len = (int)strlen(p->valuestring);
    if (len != m->num_layers)
        return mb__error(MB_EINVAL, "%s: hybrid_override_pattern has %d letters but "
                                    "num_hidden_layers is %d; give one letter per layer",
                         name, len, m->num_layers);
    for (int i = 0; i < len; i++) {
        char c = p->valuestring[i];
        if (c == 'M')
            m->layer_kind[i] = MB_LAYER_STATE;
        else if (c == '*')
            m->layer_kind[i] = MB_LAYER_ATTENTION;
        else if (c == '-' || c == 'E')
            m->layer_kind[i] = MB_LAYER_NONE;
        else
            return mb__error(MB_EINVAL, "%s: hybrid_override_pattern[%d]='%c' is not a layer "
                                        "kind vLLM builds for nemotron_h; it knows M (Mamba-2), "
                                        "* (attention), - (MLP) and E (MoE)", name, i, c);
    }
    m->mamba_kind = MB_MAMBA_2;
    if ((rc = dim(text, top, name, "n_groups", -1, &m->mamba_n_groups)) ||
        (rc = dim(text, top, name, "mamba_num_heads", -1, &m->mamba_num_heads)) ||
        (rc = dim(text, top, name, "mamba_head_dim", -1, &m->mamba_head_dim)) ||
        (rc = dim(text, top, name, "ssm_state_size", -1, &m->mamba_state_size)) ||
        (rc = dim(text, top, name, "conv_kernel", -1, &m->mamba_conv_kernel)) ||
        (rc = inner(name, "mamba_num_heads", m->mamba_num_heads, "mamba_head_dim",
                    m->mamba_head_dim, &m->mamba_intermediate_size)))
        return rc;
    const cJSON *d = get(text, top, "mamba_ssm_cache_dtype");
    const char *ds = d && cJSON_IsString(d) ? d->valuestring : "float32";
    if (strcmp(ds, "float32") == 0)
        m->mamba_ssm_dtype_bytes = 4;
    else if (strcmp(ds, "bfloat16") == 0 || strcmp(ds, "float16") == 0)
        m->mamba_ssm_dtype_bytes = 2;
    else if (strcmp(ds, "auto") != 0)
        return mb__error(MB_EINVAL, "%s: mamba_ssm_cache_dtype \"%.20s\" is not one of vLLM's "
                                    "auto, float32, bfloat16, float16", name, ds);
    return MB_OK;
}

static int llama4(const cJSON *text, const cJSON *top, const char *name, mb_model *m, int chunk)
{
    int n = m->num_layers, rc, every;
    m->attention_chunk_size = chunk;
    const cJSON *nr = get(text, top, "no_rope_layers");
    if (nr && cJSON_IsArray(nr) && cJSON_GetArraySize(nr) > 0) {
        if (cJSON_GetArraySize(nr) != n)
            return mb__error(MB_EINVAL, "%s: no_rope_layers must list one 0 or 1 for each of "
                                        "the %d layers (num_hidden_layers), it has %d", name,
                             n, cJSON_GetArraySize(nr));
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, nr)
        {
            if (!cJSON_IsNumber(e) || (e->valuedouble != 0 && e->valuedouble != 1))
                return mb__error(MB_EINVAL, "%s: no_rope_layers[%d] is not 0 (NoPE, global "
                                            "attention) or 1 (RoPE, chunked)", name, i);
            m->layer_kind[i++] = e->valuedouble == 1 ? MB_LAYER_CHUNKED : MB_LAYER_ATTENTION;
        }
        return MB_OK;
    }
    if (nr && !cJSON_IsArray(nr))
        return mb__error(MB_EINVAL, "%s: no_rope_layers is not a list", name);
    if ((rc = dim(text, top, name, "no_rope_layer_interval", 4, &every)))
        return rc;
    for (int i = 0; i < n; i++)
        m->layer_kind[i] = (i + 1) % every ? MB_LAYER_CHUNKED : MB_LAYER_ATTENTION;
    return MB_OK;
}

/* DeciLM / Nemotron-NAS: each layer's attention from block_configs[i].attention. */
static int decilm(const char *name, mb_model *m, const cJSON *bcs)
{
    int n = m->num_layers, i = 0, first = 0;
    if (!cJSON_IsArray(bcs) || cJSON_GetArraySize(bcs) != n)
        return mb__error(MB_EINVAL, "%s: block_configs must hold one block for each of the %d "
                                    "layers (num_hidden_layers), it has %d", name, n,
                         cJSON_IsArray(bcs) ? cJSON_GetArraySize(bcs) : 0);
    const cJSON *b;
    cJSON_ArrayForEach(b, bcs)
    {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(b, "attention");
        const cJSON *noop = a ? cJSON_GetObjectItemCaseSensitive(a, "no_op") : NULL;
        const cJSON *lin = a ? cJSON_GetObjectItemCaseSensitive(a, "replace_with_linear") : NULL;
        const cJSON *g = a ? cJSON_GetObjectItemCaseSensitive(a, "n_heads_in_group") : NULL;
        if (!cJSON_IsObject(a))
            return mb__error(MB_EINVAL, "%s: block_configs[%d] has no attention object", name,
                             i);
        if (cJSON_IsTrue(noop)) {
            m->layer_kind[i++] = MB_LAYER_NONE;
            continue;
        }
        if (cJSON_IsTrue(lin))
            return mb__error(MB_ENOTSUP, "%s: block_configs[%d].attention.replace_with_linear "
                                         "is true: vLLM 0.33's DeciLMDecoderLayer builds "
                                         "attention of num_attention_heads // n_heads_in_group "
                                         "heads for every layer that is not no_op, and has no "
                                         "linear replacement, so vLLM cannot run this model",
                             name, i);
        if (!cJSON_IsNumber(g) || g->valuedouble < 1 ||
            g->valuedouble != (double)(int)g->valuedouble ||
            (int)g->valuedouble > m->num_attention_heads)
            return mb__error(MB_EINVAL, "%s: block_configs[%d].attention.n_heads_in_group %s; "
                                        "an attention layer that is not no_op needs it as a "
                                        "whole number from 1 to num_attention_heads (%d)",
                             name, i, g ? "is not such a number" : "is missing",
                             m->num_attention_heads);
        int kv = m->num_attention_heads / (int)g->valuedouble;
        if (!first)
            first = kv; /* get_total_num_kv_heads: the first attention layer's */
        m->layer_kv_heads[i] = (unsigned short)kv;
        m->layer_kind[i++] = MB_LAYER_ATTENTION;
    }
    if (first)
        m->num_kv_heads = first;
    return MB_OK;
}

/* Encoder model types vLLM runs with encoder-only attention (pooling models). */
static int encoder(const char *t)
{
    static const char *const types[] = {"bert",       "roberta",  "xlm-roberta",
                                        "modernbert", "nomic_bert", "distilbert",
                                        "electra",    "deberta-v2", "new"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(t, types[i]) == 0)
            return 1;
    return 0;
}

int mb__config_hybrid(const cJSON *text, const cJSON *top, const char *name, mb_model *m,
                      int *handled)
{
    *handled = 0;
    memset(m->layer_kind, 0, sizeof m->layer_kind);
    memset(m->layer_kv_heads, 0, sizeof m->layer_kv_heads);
    m->encoder_only = 0;
    m->num_state_layers = m->num_uncached_layers = m->attention_chunk_size = 0;
    m->mamba_kind = MB_MAMBA_NONE;
    const char *t = m->model_type;
    int rc = MB_OK;
    const cJSON *chunk = get(text, top, "attention_chunk_size");
    if (strcmp(t, "qwen3_next") == 0)
        rc = qwen3_next(text, top, name, m);
    else if (strcmp(t, "jamba") == 0)
        rc = jamba(text, top, name, m);
    else if (strcmp(t, "granitemoehybrid") == 0)
        rc = granite(text, top, name, m);
    else if (strcmp(t, "nemotron_h") == 0)
        rc = nemotron_h(text, top, name, m);
    else if ((strcmp(t, "llama4_text") == 0 || strcmp(t, "llama4") == 0) && chunk) {
        if (!cJSON_IsNumber(chunk) || chunk->valuedouble < 1 ||
            chunk->valuedouble != (double)(int)chunk->valuedouble)
            return mb__error(MB_EINVAL, "%s: attention_chunk_size is not a positive whole "
                                        "number of tokens", name);
        rc = llama4(text, top, name, m, (int)chunk->valuedouble);
    } else if (encoder(t) || (get(text, top, "is_causal") &&
                              cJSON_IsFalse(get(text, top, "is_causal")))) {
        m->encoder_only = 1;
        for (int i = 0; i < m->num_layers; i++)
            m->layer_kind[i] = MB_LAYER_NONE;
    } else if (get(text, top, "block_configs")) {
        rc = decilm(name, m, get(text, top, "block_configs"));
    } else {
        /* other hybrids: their state shapes are not modelled; refuse rather than plan them
         * as attention (Falcon-H1, Bamba, Zamba2, MiniMax, Kimi-Linear, ...) */
        static const char *const keys[] = {
            "mamba_d_state", "attn_layer_period", "hybrid_override_pattern",
            "layers_block_type", "linear_attn_config", "full_attention_interval", "ssm_cfg",
            "mamba_expand", "attention_chunk_size"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (get(text, top, keys[i]))
                return mb__error(MB_ENOTSUP, "%s: %s says this is a hybrid Mamba / "
                                             "linear-attention or chunked model of type "
                                             "\"%s\"; membudget plans those of Qwen3-Next, "
                                             "Jamba, Granite 4, Nemotron-H and Llama 4 only",
                                 name, keys[i], t);
        return MB_OK;
    }
    if (rc)
        return rc;
    *handled = 1;
    int attn = 0;
    for (int i = 0; i < m->num_layers; i++) {
        m->num_state_layers += m->layer_kind[i] == MB_LAYER_STATE;
        m->num_uncached_layers += m->layer_kind[i] == MB_LAYER_NONE;
        attn += m->layer_kind[i] == MB_LAYER_ATTENTION || m->layer_kind[i] == MB_LAYER_CHUNKED;
    }
    if (!m->num_state_layers)
        m->mamba_kind = MB_MAMBA_NONE;
    if (!attn && !m->encoder_only)
        return mb__error(MB_ENOTSUP, "%s: no attention layer at all (a pure state-space "
                                     "model): membudget does not plan those", name);
    return MB_OK;
}
