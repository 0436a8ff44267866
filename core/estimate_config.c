/*
 * core/estimate_config.c: a model's architecture and weights from its config.json alone,
 * for the estimate (issue 15). config.c reads the KV geometry; this file reads the rest
 * (vocabulary, MLP, MoE, MLA, quantization, vision/audio towers) with its own cJSON parse
 * and counts the parameters per rank the way vLLM shards them.
 *
 * Sources (vLLM 0.33.0 unless noted):
 *  - vocabulary: model_executor/layers/vocab_parallel_embedding.py pads the vocabulary to
 *    DEFAULT_VOCAB_PADDING_SIZE (64) and splits it over the tensor-parallel ranks; a tied
 *    lm_head shares the embedding (tie_word_embeddings);
 *  - attention: QKVParallelLinear splits the query heads and the KV heads over the ranks,
 *    replicating KV heads when there are fewer than ranks; RowParallelLinear splits o_proj;
 *  - MLA (models/deepseek_v2.py): q_a/q_b (or q_proj), kv_a_proj_with_mqa (replicated),
 *    kv_b_proj and o_proj split by heads;
 *  - MoE (layers/fused_moe/layer.py FusedMoE): every rank holds 1/tp of every expert's
 *    w13 (gate and up) and w2; the router (ReplicatedLinear) is whole on every rank;
 *    DeepSeek's shared experts are n_shared_experts x moe_intermediate_size, Qwen-MoE's
 *    one of shared_expert_intermediate_size plus a one-output gate;
 *  - pipeline stages (distributed/utils.py get_pp_indices): layers split evenly; the
 *    embedding lives on the first stage, the lm_head on the last; the largest is counted;
 *  - rotary cache (layers/rotary_embedding/base.py): max_position x rotary_dim elements in
 *    the model dtype, one per distinct rope configuration;
 *  - mxfp4 experts are padded as fused_moe/oracle/mxfp4.py
 *    (mxfp4_round_up_hidden_size_and_intermediate_size) does for the Marlin and TRT-LLM
 *    kernels: the rank's intermediate size to a multiple of 128, the hidden size to 256;
 *  - quantization_config and the bytes per quantized parameter: estimate_quant.c;
 *  - vision and audio towers, and the multimodal encoder's profile: estimate_towers.c.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "estimate.h"

#define CONFIG_MAX_BYTES ((size_t)16 << 20)

/* cJSON writes a global on every parse; this lock keeps the estimate's parses apart
 * (config.c has its own for mb_model_parse, taken inside this one). */
static pthread_mutex_t arch_parse_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct lookup {
    const cJSON *text; /* text_config or llm_config, or NULL */
    const cJSON *top;
} lookup;

static const cJSON *find(const lookup *l, const char *key)
{
    const cJSON *v = mb__est_item(l->text, key);
    return v ? v : mb__est_item(l->top, key);
}

static int64_t num(const lookup *l, const char *const *keys)
{
    int64_t v = l->text ? mb__est_num_of(l->text, keys) : 0;
    return v ? v : mb__est_num_of(l->top, keys);
}

static int boolean(const lookup *l, const char *key, int dflt)
{
    const cJSON *v = find(l, key);
    if (v && cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    return dflt;
}

static int type_is(const mb_arch *a, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(a->model.model_type, *names) == 0)
            return 1;
    return 0;
}

/* ---- the architecture ---------------------------------------------------------------- */

static int fill_arch(const lookup *l, mb_arch *a)
{
    static const char *const hidden_k[] = {"hidden_size", "n_embd", "d_model", "dim", NULL};
    static const char *const inter_k[] = {"intermediate_size", "ffn_hidden_size", "n_inner",
                                          NULL};
    static const char *const vocab_k[] = {"vocab_size", "padded_vocab_size", NULL};
    static const char *const pos_k[] = {"max_position_embeddings", "n_positions",
                                        "max_seq_len", "seq_length", NULL};
    static const char *const experts_k[] = {"n_routed_experts", "num_experts",
                                            "num_local_experts", "moe_num_experts", NULL};
    static const char *const topk_k[] = {"num_experts_per_tok", "num_experts_per_token",
                                         "experts_per_token", "moe_topk", NULL};
    static const char *const moe_inter_k[] = {"moe_intermediate_size", NULL};
    static const char *const shared_k[] = {"n_shared_experts", "num_shared_experts", NULL};
    static const char *const shared_inter_k[] = {"shared_expert_intermediate_size", NULL};
    static const char *const dense_k[] = {"first_k_dense_replace", NULL};
    static const char *const step_k[] = {"decoder_sparse_step", "moe_layer_freq", NULL};
    static const char *const qlora_k[] = {"q_lora_rank", NULL};
    static const char *const kvlora_k[] = {"kv_lora_rank", NULL};
    static const char *const nope_k[] = {"qk_nope_head_dim", NULL};
    static const char *const rope_k[] = {"qk_rope_head_dim", NULL};
    static const char *const vhead_k[] = {"v_head_dim", NULL};
    static const char *const merge_k[] = {"spatial_merge_size", NULL};

    a->hidden_size = num(l, hidden_k);
    a->intermediate_size = num(l, inter_k);
    a->vocab_size = num(l, vocab_k);
    a->max_position = num(l, pos_k);
    static const char *const tied_by_default[] = {"gemma", "gemma2", "gemma3", "gemma3_text",
                                                  NULL};
    a->tie_word_embeddings = boolean(l, "tie_word_embeddings", type_is(a, tied_by_default));
    static const char *const qkv_bias_types[] = {"qwen2", "qwen2_moe", "qwen2_vl",
                                                 "qwen2_5_vl", NULL};
    a->qkv_bias = boolean(l, "attention_bias", 0) || boolean(l, "qkv_bias", 0) ||
                  type_is(a, qkv_bias_types);
    static const char *const qk_norm_types[] = {"qwen3", "qwen3_moe", "gemma3", "gemma3_text",
                                                "olmo2", NULL};
    a->qk_norm = type_is(a, qk_norm_types);
    static const char *const plain_mlp_types[] = {"gpt2", "gpt_neox", "opt", "bloom",
                                                  "falcon", "phi", "gpt_bigcode",
                                                  "starcoder2", NULL};
    a->gated_mlp = !type_is(a, plain_mlp_types);

    a->num_experts = mb__est_icap(num(l, experts_k));
    a->experts_per_token = mb__est_icap(num(l, topk_k));
    a->moe_intermediate_size = num(l, moe_inter_k);
    if (a->num_experts && !a->moe_intermediate_size)
        a->moe_intermediate_size = a->intermediate_size; /* Mixtral, gpt-oss */
    a->num_shared_experts = mb__est_icap(num(l, shared_k));
    a->shared_intermediate_size = num(l, shared_inter_k);
    a->first_dense_layers = mb__est_icap(num(l, dense_k));
    a->moe_step = mb__est_icap(num(l, step_k));
    if (a->moe_step < 1)
        a->moe_step = 1;
    static const char *const moe_bias_types[] = {"gpt_oss", NULL};
    a->moe_bias = type_is(a, moe_bias_types);
    if (a->num_experts && !a->experts_per_token)
        a->experts_per_token = 2;

    if (a->model.is_mla) {
        a->q_lora_rank = num(l, qlora_k);
        a->kv_lora_rank = num(l, kvlora_k);
        a->qk_nope_head_dim = num(l, nope_k);
        a->qk_rope_head_dim = num(l, rope_k);
        a->v_head_dim = num(l, vhead_k);
        if (!a->qk_nope_head_dim || !a->v_head_dim)
            snprintf(a->arch_reason, sizeof a->arch_reason,
                     "an MLA config without qk_nope_head_dim or v_head_dim");
    }

    const cJSON *vis = mb__est_item(l->top, "vision_config");
    a->spatial_merge = 1;
    if (vis) {
        int64_t m = mb__est_num_of(vis, merge_k);
        a->spatial_merge = m > 1 ? mb__est_icap(m > 4096 ? (int64_t)1 << 24 : m * m) : 1;
        a->vision_params = mb__est_tower_params(vis, a->hidden_size, a->spatial_merge, 1);
    }
    a->audio_params =
        mb__est_tower_params(mb__est_item(l->top, "audio_config"), a->hidden_size, 1, 0);
    mb__est_mm_profile(a, l->top);
    /* the class vLLM resolves (ModelConfig.architectures): what its runner choice reads */
    const cJSON *archs = mb__est_item(l->top, "architectures");
    const cJSON *first = cJSON_IsArray(archs) ? cJSON_GetArrayItem(archs, 0) : NULL;
    if (cJSON_IsString(first) && first->valuestring)
        snprintf(a->architecture, sizeof a->architecture, "%s", first->valuestring);

    if (!a->arch_reason[0]) {
        if (!a->hidden_size)
            snprintf(a->arch_reason, sizeof a->arch_reason, "config.json has no hidden_size");
        else if (!a->vocab_size)
            snprintf(a->arch_reason, sizeof a->arch_reason,
                     "config.json has no vocab_size (or it is 0)");
        else if (!a->intermediate_size && !a->num_experts)
            snprintf(a->arch_reason, sizeof a->arch_reason,
                     "config.json has no intermediate_size");
    }
    mb__est_parse_quant(a, l->top);
    return MB_OK;
}

/* Fills *out (the library's struct) from the text. */
static int arch_fill(const char *json, size_t len, const char *name, mb_arch *out)
{
    memset(out, 0, sizeof *out);
    /* both parses under this lock (config.c takes its own inside, never this one), so
     * that two estimate parses never run cJSON at the same time */
    pthread_mutex_lock(&arch_parse_lock);
    int rc = mb__model_parse(json, len, name, &out->model);
    out->model.size = sizeof out->model;
    cJSON *root = rc ? NULL : cJSON_ParseWithLength(json, len);
    pthread_mutex_unlock(&arch_parse_lock);
    if (rc)
        return rc;
    if (!root)
        return mb__error(MB_ENOMEM, "%s: out of memory parsing it a second time",
                         name ? name : "config.json");
    lookup l = {mb__est_item(root, "text_config"), root};
    if (!l.text)
        l.text = mb__est_item(root, "llm_config");
    rc = fill_arch(&l, out);
    cJSON_Delete(root);
    return rc;
}

MB__API(mb_arch_parse, (const char *json, size_t len, const char *name, mb_arch **out),
        (json, len, name, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_arch_parse: out is NULL");
    *out = NULL;
    mb_arch *a = calloc(1, sizeof *a);
    if (!a)
        return mb__error(MB_ENOMEM, "mb_arch_parse: out of memory");
    int rc = arch_fill(json, len, name, a);
    if (rc) {
        free(a);
        return rc;
    }
    *out = a;
    return MB_OK;
}

void mb_arch_free(mb_arch *a) { free(a); }

static int read_text(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return mb__error(MB_EIO, "%s: cannot open it (%s)", path, strerror(errno));
    char *b = malloc(CONFIG_MAX_BYTES + 1);
    if (!b) {
        fclose(f);
        return mb__error(MB_ENOMEM, "%s: out of memory", path);
    }
    size_t n = fread(b, 1, CONFIG_MAX_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || n > CONFIG_MAX_BYTES) {
        free(b);
        return mb__error(MB_EIO, "%s: %s", path,
                         err ? "cannot read it" : "larger than 16 MiB: not a config.json");
    }
    *buf = b;
    *len = n;
    return MB_OK;
}

MB__API(mb_arch_load, (const char *path, mb_arch **out), (path, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_arch_load: out is NULL");
    *out = NULL;
    if (!path)
        return mb__error(MB_EINVAL, "mb_arch_load: path is NULL");
    mb_model m = MB_MODEL_INIT;
    int rc = mb__model_load(path, &m); /* the weights beside it, and its errors */
    if (rc)
        return rc;
    char file[4096];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(file, sizeof file, "%s/config.json", path);
    else
        snprintf(file, sizeof file, "%s", path);
    char *buf = NULL;
    size_t len = 0;
    if ((rc = read_text(file, &buf, &len)))
        return rc;
    mb_arch *a = NULL;
    rc = mb_arch_parse(buf, len, file, &a);
    free(buf);
    if (rc)
        return rc;
    a->model.weights_bytes = m.weights_bytes;
    memcpy(a->model.weights_source, m.weights_source, sizeof m.weights_source);
    *out = a;
    return MB_OK;
}

/* ---- counting -------------------------------------------------------------------- */

static double cdivd(double a, double b) { return ceil(a / b); }

void mb__arch_shape(const mb_arch *a, int tp, int pp, mb__shape *s)
{
    memset(s, 0, sizeof *s);
    const mb_model *m = &a->model;
    double heads = cdivd(m->num_attention_heads, tp);
    double kv = m->num_kv_heads >= tp ? cdivd(m->num_kv_heads, tp) : 1;
    s->h = (double)a->hidden_size;
    s->inter = (double)a->intermediate_size / tp;
    s->moe_inter = (double)a->moe_intermediate_size / tp;
    s->shared_inter = ((double)a->shared_intermediate_size +
                       (double)a->num_shared_experts * (double)a->moe_intermediate_size) /
                      tp;
    if (m->is_mla) {
        s->q_width = heads * (double)(a->qk_nope_head_dim + a->qk_rope_head_dim);
        s->kv_width = (double)(a->kv_lora_rank + a->qk_rope_head_dim) +
                      heads * (double)(a->qk_nope_head_dim + a->v_head_dim);
        s->attn_out = heads * (double)a->v_head_dim;
    } else {
        s->q_width = heads * m->head_size;
        s->kv_width = 2 * kv * m->head_size;
        s->attn_out = heads * m->head_size;
    }
    s->vocab = (double)a->vocab_size;
    s->experts = a->num_experts;
    s->topk = a->experts_per_token;
    s->layers = (int)cdivd(m->num_layers, pp);
    s->dtype_bytes = m->dtype_bytes ? m->dtype_bytes : 2;
}

int mb__arch_count(const mb_arch *a, int tp, int pp, mb__param_count *c)
{
    memset(c, 0, sizeof *c);
    if (tp < 1 || pp < 1)
        return mb__error(MB_EINVAL, "tensor and pipeline parallel sizes must be 1 or more");
    if (a->arch_reason[0])
        return mb__error(MB_EINVAL, "%s", a->arch_reason);
    if (!a->quant_known)
        return mb__error(MB_EINVAL, "%s", a->quant_reason);
    const mb_model *m = &a->model;
    if (pp > m->num_layers)
        return mb__error(MB_EINVAL, "pipeline_parallel_size %d is more than the model's %d "
                                    "layers", pp, m->num_layers);
    mb__shape s;
    mb__arch_shape(a, tp, pp, &s);
    double h = s.h;
    int quant_all = a->quant_bits < 16 && !a->quant_experts_only;
    int quant_experts = a->quant_bits < 16;

    /* attention per layer */
    double heads = cdivd(m->num_attention_heads, tp);
    double attn_lin, attn_plain = 2 * h; /* two norms per layer */
    if (m->is_mla) {
        double qk = (double)(a->qk_nope_head_dim + a->qk_rope_head_dim);
        attn_lin = a->q_lora_rank
                       ? h * (double)a->q_lora_rank + (double)a->q_lora_rank * heads * qk
                       : h * heads * qk;
        attn_plain += (double)a->q_lora_rank + (double)a->kv_lora_rank;
        attn_lin += h * (double)(a->kv_lora_rank + a->qk_rope_head_dim) +
                    (double)a->kv_lora_rank * heads *
                        (double)(a->qk_nope_head_dim + a->v_head_dim) +
                    heads * (double)a->v_head_dim * h;
    } else {
        double d = m->head_size;
        attn_lin = h * (s.q_width + s.kv_width) + s.attn_out * h;
        if (a->qkv_bias)
            attn_plain += s.q_width + s.kv_width;
        if (a->qk_norm)
            attn_plain += 2 * d;
        if (a->moe_bias) /* gpt-oss: o_proj bias and attention sinks */
            attn_plain += h + heads;
    }

    /* MLP per layer: dense and MoE */
    double mult = a->gated_mlp ? 3 : 2;
    double dense = mult * h * s.inter;
    double experts = 0, moe_plain = 0, shared = 0;
    if (a->num_experts) {
        experts = (double)a->num_experts * mult * h * s.moe_inter;
        if (strcasecmp(a->quant_method, "mxfp4") == 0) {
            /* vLLM pads mxfp4 experts for its Marlin and TRT-LLM kernels
             * (fused_moe/oracle/mxfp4.py mxfp4_round_up_hidden_size_and_intermediate_size:
             * the rank's intermediate size to 128, the hidden size to 256) */
            double hp = ceil(h / 256) * 256, ip = ceil(s.moe_inter / 128) * 128;
            experts = (double)a->num_experts * mult * hp * ip;
        }
        moe_plain = h * a->num_experts; /* router, whole on every rank */
        if (a->moe_bias)
            moe_plain += a->num_experts +
                         (double)a->num_experts * (2 * s.moe_inter + h / tp);
        shared = mult * h * s.shared_inter;
        if (a->shared_intermediate_size)
            moe_plain += h; /* Qwen-MoE's shared-expert gate */
    }

    /* which layers of the largest stage are MoE: the stage holding the most */
    int L = m->num_layers, per = s.layers, moe_layers = 0;
    for (int first = 0; first < L; first += per) {
        int n = 0;
        for (int i = first; i < first + per && i < L; i++)
            n += a->num_experts && i >= a->first_dense_layers && (i + 1) % a->moe_step == 0;
        if (n > moe_layers)
            moe_layers = n;
    }
    int dense_layers = per - moe_layers;

    double lin = per * attn_lin + dense_layers * dense + moe_layers * shared;
    double exp_lin = moe_layers * experts;
    double plain = per * attn_plain + moe_layers * moe_plain;
    if (quant_all)
        c->quantized += lin + exp_lin;
    else if (quant_experts)
        c->quantized += exp_lin, plain += lin;
    else
        plain += lin + exp_lin;

    /* vocabulary: padded to 64 per rank and split; first and last stage */
    double vocab_rank = cdivd(cdivd((double)a->vocab_size, 64) * 64, tp);
    double emb = vocab_rank * h;
    double ends = pp == 1 ? emb * (a->tie_word_embeddings ? 1 : 2) + h : emb + h;
    plain += ends;
    /* towers on the first stage, split over the ranks */
    plain += (double)(a->vision_params + a->audio_params) / tp;
    c->plain = plain;
    c->layers = per;

    /* rotary cache: one per distinct configuration, in the model dtype */
    double rot = m->is_mla ? (double)a->qk_rope_head_dim : m->head_size;
    double pos = a->max_position ? (double)a->max_position : (double)m->max_model_len;
    c->rope_cache = pos * rot;
    return MB_OK;
}

MB__API(mb_arch_weights, (const mb_arch *a, int tp, int pp, int64_t *bytes), (a, tp, pp, bytes))
{
    if (!a || !bytes)
        return mb__error(MB_EINVAL, "mb_arch_weights: a or bytes is NULL");
    *bytes = MB_UNKNOWN;
    mb__param_count c;
    int rc = mb__arch_count(a, tp, pp, &c);
    if (rc)
        return rc;
    int db = a->model.dtype_bytes ? a->model.dtype_bytes : 2;
    double b = (c.plain + c.rope_cache) * db + c.quantized * mb__quant_bytes_per_param(a);
    if (!(b > 0) || b > (double)MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "the weights come to %.3g bytes per rank: the config's "
                                    "sizes are not plausible", b);
    *bytes = (int64_t)b;
    return MB_OK;
}
