/*
 * core/config_layers.c: what kind of KV cache each layer of a config.json has, as vLLM's
 * attention layers decide it when they build their KVCacheSpec (issue 14).
 *
 * Rules, with vLLM 0.33.0's source for each:
 *  - MLA only for the DeepSeek-family model types vLLM runs as MLA
 *    (vllm/transformers_utils/model_arch_config_convertor.py, is_deepseek_mla): a
 *    kv_lora_rank alone is not MLA; MiniCPM3 (vllm/model_executor/models/minicpm3.py) is
 *    ordinary attention with every head a KV head of qk_nope_head_dim + qk_rope_head_dim;
 *  - head size: head_dim when positive, else hidden_size_per_head, else hidden_size /
 *    num_attention_heads (the caller's rule); head_dim 0 counts as absent;
 *  - sliding window: the window is the text config's sliding_window
 *    (ModelConfig.get_sliding_window, vllm/config/model.py), none when
 *    use_sliding_window is false (Qwen2's flag); which layers slide comes from
 *    layer_types ("sliding_attention" / "full_attention", as vllm/model_executor/models/
 *    llama.py and gemma*.py read it), else from transformers' own rules for configs
 *    written before layer_types existed: Gemma 2 slides on even layers, Gemma 3 on all but
 *    every sliding_window_pattern-th (default 6); every other model with a window slides
 *    on every layer (Mistral-7B-v0.1: Attention(per_layer_sliding_window=None) falls back
 *    to cache_config.sliding_window, vllm/model_executor/layers/attention/attention.py);
 *  - the checkpoint's cache dtype under kv_cache_dtype auto: a ModelOpt
 *    quantization_config's kv_cache_scheme / kv_cache_quant_algo
 *    (vllm/utils/torch_utils.py, get_kv_cache_quant_algo_string).
 * Hybrid Mamba / linear-attention models and Llama 4's chunked layers are read by
 * config_hybrid.c. Everything else is refused with the key named: a layer_types entry vLLM
 * has no KV cache kind for, layer_types of the wrong length, a sliding layer without a
 * window.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int mb__is_mla_model_type(const char *t)
{
    static const char *const types[] = {
        "axk1",          "deepseek_v2",      "deepseek_v3",      "deepseek_v32",
        "deepseek_mtp",  "glm4_moe_lite",    "glm4_moe_lite_mtp", "glm_moe_dsa",
        "kimi_k2",       "kimi_linear",      "longcat_flash",    "pangu_ultra_moe",
        "pangu_ultra_moe_mtp"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(t, types[i]) == 0)
            return 1;
    return 0;
}

static const cJSON *get(const cJSON *text, const cJSON *top, const char *key)
{
    const cJSON *v = text ? cJSON_GetObjectItemCaseSensitive(text, key) : NULL;
    if (!v || cJSON_IsNull(v))
        v = cJSON_GetObjectItemCaseSensitive(top, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

/* A whole number >= 0, or -1 when absent or not a whole number. */
static int whole(const cJSON *v)
{
    if (!v || !cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (1 << 24) ||
        v->valuedouble != (double)(int)v->valuedouble)
        return -1;
    return (int)v->valuedouble;
}

int mb__config_head_size(const cJSON *text, const cJSON *top, const char *name, mb_model *m)
{
    m->head_size = 0;
    if (strcmp(m->model_type, "minicpm3") == 0) {
        int nope = whole(get(text, top, "qk_nope_head_dim"));
        int rope = whole(get(text, top, "qk_rope_head_dim"));
        if (nope < 0 || rope < 0 || nope + rope == 0)
            return mb__error(MB_EINVAL, "%s: a minicpm3 model needs qk_nope_head_dim and "
                                        "qk_rope_head_dim (its head size is their sum)", name);
        m->head_size = nope + rope;
        m->num_kv_heads = m->num_attention_heads; /* every head is a KV head */
        return MB_OK;
    }
    const cJSON *hd = get(text, top, "head_dim");
    if (hd && whole(hd) < 0)
        return mb__error(MB_EINVAL, "%s: head_dim is not a whole number; give the head size "
                                    "in elements", name);
    if (whole(hd) > 0) {
        m->head_size = whole(hd);
        return MB_OK;
    }
    int hph = whole(get(text, top, "hidden_size_per_head"));
    if (hph > 0)
        m->head_size = hph;
    return MB_OK; /* 0: the caller divides hidden_size */
}

/* The window (0: none) of the text config. */
static int window_of(const cJSON *text, const cJSON *top, const char *name, int *out)
{
    *out = 0;
    const cJSON *use = get(text, top, "use_sliding_window");
    if (use && cJSON_IsFalse(use))
        return MB_OK;
    const cJSON *w = get(text, top, "sliding_window");
    if (!w)
        return MB_OK;
    if (whole(w) < 1)
        return mb__error(MB_EINVAL, "%s: sliding_window is not a positive whole number of "
                                    "tokens", name);
    *out = whole(w);
    return MB_OK;
}

int mb__config_layer_kinds(const cJSON *text, const cJSON *top, const char *name, mb_model *m)
{
    int n = m->num_layers;
    if (n > MB_MODEL_MAX_LAYERS)
        return mb__error(MB_EINVAL, "%s: num_hidden_layers=%d is more than the %d layers "
                                    "membudget plans for", name, n, MB_MODEL_MAX_LAYERS);
    memset(m->layer_sliding, 0, sizeof m->layer_sliding);
    m->num_sliding_layers = 0;
    int rc, window;
    if ((rc = window_of(text, top, name, &window)))
        return rc;

    /* the checkpoint's cache dtype (ModelOpt) */
    m->checkpoint_kv_cache_dtype[0] = '\0';
    const cJSON *qc = cJSON_GetObjectItemCaseSensitive(top, "quantization_config");
    const cJSON *qm = qc ? cJSON_GetObjectItemCaseSensitive(qc, "quant_method") : NULL;
    if (qm && cJSON_IsString(qm) && strncmp(qm->valuestring, "modelopt", 8) == 0) {
        const cJSON *inner = cJSON_GetObjectItemCaseSensitive(qc, "quantization");
        if (!inner || !cJSON_IsObject(inner))
            inner = qc;
        const cJSON *algo = cJSON_GetObjectItemCaseSensitive(inner, "kv_cache_quant_algo");
        if (!algo)
            algo = cJSON_GetObjectItemCaseSensitive(qc, "kv_cache_quant_algo");
        if (algo && cJSON_IsString(algo)) {
            /* MODELOPT_TO_VLLM_KV_CACHE_DTYPE_MAP (vllm/utils/torch_utils.py) */
            if (strcmp(algo->valuestring, "FP8") == 0 || strcmp(algo->valuestring, "fp8") == 0)
                snprintf(m->checkpoint_kv_cache_dtype, sizeof m->checkpoint_kv_cache_dtype,
                         "fp8_e4m3");
        }
    }

    /* hybrid state-space / linear-attention and chunked models (config_hybrid.c) */
    int hybrid;
    if ((rc = mb__config_hybrid(text, top, name, m, &hybrid)))
        return rc;
    if (hybrid) {
        m->sliding_window = 0; /* no sliding window in these models */
        return MB_OK;
    }
    if (m->is_mla)
        return MB_OK; /* vLLM has no sliding MLA outside DeepSeek-V4 */

    const cJSON *lt = get(text, top, "layer_types");
    if (lt) {
        if (!cJSON_IsArray(lt) || cJSON_GetArraySize(lt) != n)
            return mb__error(MB_EINVAL, "%s: layer_types must list one kind for each of the %d "
                                        "layers (num_hidden_layers), it has %d", name, n,
                             cJSON_IsArray(lt) ? cJSON_GetArraySize(lt) : 0);
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, lt)
        {
            const char *k = cJSON_IsString(e) ? e->valuestring : "";
            if (strcmp(k, "sliding_attention") == 0) {
                if (!window)
                    return mb__error(MB_EINVAL, "%s: layer_types[%d] is sliding_attention but "
                                                "the config has no sliding_window", name, i);
                m->layer_sliding[i] = 1;
            } else if (strcmp(k, "full_attention") != 0) {
                int state = strstr(k, "linear") || strstr(k, "mamba") || strstr(k, "ssm") ||
                            strstr(k, "conv");
                return mb__error(state ? MB_ENOTSUP : MB_EINVAL,
                                 "%s: layer_types[%d]=\"%.40s\" is a layer kind membudget "
                                 "does not plan%s; it knows \"full_attention\" and "
                                 "\"sliding_attention\"", name, i, k,
                                 state ? " (a Mamba / linear-attention state, not modelled yet)"
                                       : "");
            }
            i++;
        }
    } else if (window) {
        const char *t = m->model_type;
        const cJSON *pat = get(text, top, "sliding_window_pattern");
        int every = whole(pat) > 0 ? whole(pat) : 6; /* Gemma3TextConfig's default */
        for (int i = 0; i < n; i++) {
            if (strcmp(t, "gemma2") == 0)
                m->layer_sliding[i] = (i + 1) % 2 != 0; /* Gemma2Config: even layers */
            else if (strcmp(t, "gemma3_text") == 0 || strcmp(t, "gemma3") == 0)
                m->layer_sliding[i] = (i + 1) % every != 0;
            else
                m->layer_sliding[i] = 1;
        }
    }
    /* layers that read another layer's cache (kv_sharing_target_layer_name) build no spec
     * (get_kv_cache_spec, vllm/v1/worker/gpu/attn_utils.py): Gemma 3n's last
     * num_kv_shared_layers layers, each sharing the last cached layer of its kind when that
     * exists (Gemma3nAttention, vllm/model_executor/models/gemma3n.py) */
    const cJSON *shared = get(text, top, "num_kv_shared_layers");
    if (shared && strncmp(m->model_type, "gemma3n", 7) == 0) {
        int s = whole(shared);
        if (s < 0 || s >= n)
            return mb__error(MB_EINVAL, "%s: num_kv_shared_layers must be a whole number "
                                        "below num_hidden_layers (%d)", name, n);
        int first = n - s;
        for (int i = first; i < n; i++)
            if (first - (m->layer_sliding[i] ? 2 : 1) >= 0) {
                m->layer_kind[i] = MB_LAYER_NONE;
                m->layer_sliding[i] = 0;
                m->num_uncached_layers++;
            }
    }
    for (int i = 0; i < n; i++)
        m->num_sliding_layers += m->layer_sliding[i];
    m->sliding_window = m->num_sliding_layers ? window : 0;
    return MB_OK;
}

/*
 * The model's length as vLLM 0.33 derives it (_get_and_verify_max_len, vllm/config/
 * model.py, after derive_max_model_len_and_key): model_max_length wins over the smallest
 * key; no key at all means 2048; then, unless the model is a Gemma 3, the RoPE scaling
 * factor of every rope type but su, longrope, llama3, yarn, deepseek_yarn and
 * deepseek_llama_scaling multiplies it; under LongRoPE the default is the config's
 * original_max_position_embeddings instead.
 */
static int rope_factor(const cJSON *rp, double *factor, int *longrope)
{
    if (!rp || !cJSON_IsObject(rp))
        return MB_OK;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(rp, "rope_type");
    if (!t)
        t = cJSON_GetObjectItemCaseSensitive(rp, "type");
    if (!t || !cJSON_IsString(t)) { /* rope_parameters per layer type: each one */
        const cJSON *e;
        cJSON_ArrayForEach(e, rp)
        {
            if (cJSON_IsObject(e))
                rope_factor(e, factor, longrope);
        }
        return MB_OK;
    }
    static const char *const skip[] = {"su",          "longrope",     "llama3",
                                       "yarn",        "deepseek_yarn", "deepseek_llama_scaling"};
    if (strcmp(t->valuestring, "longrope") == 0 || strcmp(t->valuestring, "su") == 0)
        *longrope |= strcmp(t->valuestring, "longrope") == 0;
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strcmp(t->valuestring, skip[i]) == 0)
            return MB_OK;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(rp, "factor");
    if (f && cJSON_IsNumber(f) && f->valuedouble > 0)
        *factor = f->valuedouble;
    return MB_OK;
}

int mb__config_max_len(const cJSON *text, const cJSON *top, const char *name, mb_model *m)
{
    m->max_len_assumed = 0;
    m->rope_scaling_factor = 1.0;
    int mml = whole(get(text, top, "model_max_length"));
    m->model_max_length = mml > 0 ? mml : 0;
    if (mml > 0)
        m->max_model_len = mml; /* Command-R / Cohere: it wins */
    if (!m->max_model_len) {
        m->max_model_len = 2048; /* "Assuming the model's maximum length is 2048" */
        m->max_len_assumed = 1;
    }
    double factor = 1.0;
    int longrope = 0;
    const cJSON *rp = get(text, top, "rope_parameters");
    if (!rp)
        rp = get(text, top, "rope_scaling");
    rope_factor(rp, &factor, &longrope);
    if (strstr(m->model_type, "gemma3"))
        factor = 1.0;
    m->rope_scaling_factor = factor;
    m->derived_max_model_len = (int64_t)((double)m->max_model_len * factor);
    m->max_model_len = m->derived_max_model_len;
    if (!m->max_len_assumed && m->sliding_window > m->derived_max_model_len)
        return mb__error(MB_EINVAL, "%s: sliding_window=%d is longer than the model's context "
                                    "(%lld tokens): a window vLLM would never fill; give a "
                                    "window up to max_position_embeddings, or drop it",
                         name, m->sliding_window, (long long)m->derived_max_model_len);
    if (longrope) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(top, "original_max_position_embeddings");
        if (!o && text)
            o = cJSON_GetObjectItemCaseSensitive(text, "original_max_position_embeddings");
        if (whole(o) > 0)
            m->max_model_len = whole(o);
    }
    return MB_OK;
}
