/*
 * core/estimate_towers.c: the vision and audio towers of a multimodal config for the
 * estimate (issue 15): their parameters, and the encoder's profile budget.
 *
 * vLLM 0.33's profile run (vllm/v1/worker/gpu_model_runner.py profile_run) encodes, before
 * the text forward, a dummy batch of the modality with the most tokens per item, each item
 * of the largest size the processor allows ("Encoder cache will be initialized with a
 * budget of N tokens, and profiled with K image items of the maximum feature size"), and
 * keeps the encoder outputs in the encoder cache while the text forward runs. The budget
 * (vllm/v1/core/encoder_cache_manager.py compute_mm_encoder_budget, with
 * max_num_batched_encoder_embeds and encoder_cache_size unset) is max(max_num_batched_tokens,
 * tokens per item); the items (vllm/v1/worker/utils.py MultiModalBudget.get_max_items)
 * max(1, min(budget / tokens per item, max_num_seqs x max(1, min(limit per prompt,
 * max_model_len / tokens per item)))), chunked prefill on (V1's default).
 *
 * Tokens per item, by model_type:
 *  - qwen2_vl, qwen2_5_vl: the image processor's default max_pixels, 12845056
 *    (Qwen2VLImageProcessor; vLLM's get_image_size_with_most_features resizes to it in
 *    steps of patch_size x spatial_merge_size): 3584 x 3584 pixels, (3584 / 14)^2 = 65536
 *    patches, 16384 tokens after the 2 x 2 merge. A preprocessor_config.json that lowers
 *    max_pixels is not read;
 *  - qwen3_vl, qwen3_vl_moe: the same rule at the Qwen3-VL checkpoints' image
 *    size.longest_edge, 16777216 (their preprocessor_config.json; config.json does not
 *    carry it): 4096 x 4096 pixels, (4096 / 16)^2 = 65536 patches, 16384 tokens. Their
 *    video (Qwen3VLProcessingInfo.get_max_video_tokens, vLLM 0.33) is two frames at the
 *    video processor's longest_edge 25165824 over the temporal patch, 12288 tokens, so
 *    the image is always the item profiled. (vLLM 0.11 multiplied the video's tokens by
 *    12.5 for its timestamps and profiled a 153600-token video budget: the budget differs,
 *    the encoder's input, 49152 patches, is smaller than the image's.) The encoder's
 *    output rows are 1 + len(deepstack_visual_indexes) LM hidden sizes wide (the deepstack
 *    features travel with the embeddings);
 *  - gemma3: mm_tokens_per_image (config.json, 256 by default: Gemma3Config) from
 *    (image_size / patch_size)^2 patches (SigLIP, 4096 at 896 / 14), pan-and-scan off;
 *  - others with image_size and patch_size (LLaVA-style): (image_size / patch_size)^2
 *    patches, one token each after spatial_merge_size^2 merge.
 * The limit per prompt is vLLM's default (999 per modality).
 *
 * Qwen2-VL and Qwen2.5-VL also take videos, and vLLM profiles whichever modality has more
 * tokens per item (vllm/multimodal/encoder_budget.py: get_mm_max_toks_per_item over one item
 * of each, then the maximum; an image wins a tie). Qwen2VLProcessingInfo (vLLM 0.33,
 * vllm/model_executor/models/qwen2_vl.py) sizes the video at the image's largest size with
 * num_frames = min(_MAX_FRAMES_PER_VIDEO = 14, the most frames whose tokens fit
 * max_model_len, counting up from 1: _get_max_video_frames), frames padded up to a
 * multiple of temporal_patch_size, and grid_t = frames / temporal_patch_size groups of an
 * image's tokens (_get_vision_info). So at max_model_len 2048 the video is one group and
 * the image is profiled; at 128000 it is 7 groups, 114688 tokens, and one video is
 * profiled (a published vLLM 0.23.0 start-up logs exactly that: tests/estimate,
 * hello-qwen2.5-vl-7b-a100-util022). The video processor's own size limits are not read:
 * vLLM 0.33 passes the image processor's size as the default for both.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estimate.h"

/* ---- towers ------------------------------------------------------------------------ */

/* Keys a vision config names its input channels and temporal patch by (both the tower's
 * parameters and the encoder's profile read them). */
static const char *const chan_keys[] = {"in_channels", "num_channels", "in_chans", NULL};
static const char *const tpatch_keys[] = {"temporal_patch_size", NULL};

/* Qwen3-VL's deepstack levels (len(deepstack_visual_indexes)): each has its own merger and
 * widens the encoder's output rows; 0 when absent or absurd (more than 64). */
static int deepstack_levels(const cJSON *vision)
{
    const cJSON *ds = mb__est_item(vision, "deepstack_visual_indexes");
    int levels = cJSON_IsArray(ds) ? cJSON_GetArraySize(ds) : 0;
    return levels > 0 && levels <= 64 ? levels : 0;
}

/* Parameters of a vision or audio encoder from its sub-config; 0 when absent. */
int64_t mb__est_tower_params(const cJSON *c, int64_t lm_hidden, int merge, int vision)
{
    if (!c || !cJSON_IsObject(c))
        return 0;
    static const char *const layers_k[] = {"depth", "num_hidden_layers", "num_layers",
                                           "encoder_layers", NULL};
    static const char *const hidden_k[] = {"hidden_size", "embed_dim", "width", "d_model",
                                           NULL};
    static const char *const inter_k[] = {"intermediate_size", "mlp_dim",
                                          "encoder_ffn_dim", NULL};
    static const char *const patch_k[] = {"patch_size", NULL};
    static const char *const mel_k[] = {"num_mel_bins", NULL};
    double L = (double)mb__est_num_of(c, layers_k), hv = (double)mb__est_num_of(c, hidden_k);
    if (L <= 0 || hv <= 0)
        return 0;
    double iv = (double)mb__est_num_of(c, inter_k);
    if (iv <= 0)
        iv = 4 * hv;
    const char *act = mb__est_str(c, "hidden_act");
    double mlp = act && strstr(act, "silu") ? 3 * hv * iv : 2 * hv * iv;
    double per_layer = 4 * hv * hv + 4 * hv + mlp + 4 * hv; /* attention, biases, norms */
    double total = L * per_layer;
    if (!(total < 1e15))
        total = 1e15; /* absurd sizes: the weights then come out implausible, and say so */
    if (vision) {
        double p = (double)mb__est_num_of(c, patch_k),
               ch = (double)mb__est_num_of(c, chan_keys),
               tp = (double)mb__est_num_of(c, tpatch_keys);
        total += (ch > 0 ? ch : 3) * (tp > 0 ? tp : 1) * (p > 0 ? p * p : 196) * hv;
        double m = merge > 1 ? merge : 1;
        double merger = hv * m * hv * m + hv * m * (double)lm_hidden; /* merger / projector */
        total += merger * (1 + deepstack_levels(c)); /* Qwen3-VL: one per level too */
    } else {
        double mel = (double)mb__est_num_of(c, mel_k);
        total += (mel > 0 ? mel : 128) * hv * 3 + hv * hv * 3 + hv * (double)lm_hidden;
    }
    return total < 1e15 ? (int64_t)total : (int64_t)1e15;
}

#define MM_LIMIT_PER_PROMPT 999 /* vLLM's default limit_mm_per_prompt per modality */
#define QWEN_VL_MAX_PIXELS 12845056   /* Qwen2/2.5-VL preprocessor_config.json max_pixels */
#define QWEN3_VL_MAX_PIXELS 16777216  /* Qwen3-VL preprocessor_config.json size.longest_edge */
#define QWEN_VL_MAX_FRAMES 14         /* qwen2_vl.py _MAX_FRAMES_PER_VIDEO */

/* Qwen2VLProcessingInfo.get_image_size_with_most_features (vLLM 0.33): max_pixels in
 * units of (patch x merge)^2 pixels, factored into the closest pair of sides whose ratio
 * is at most 200 (fewer units until one is); *h and *w in units. */
static void qwen_image_units(int64_t max_pixels, int64_t unit, int64_t *h, int64_t *w)
{
    int64_t n = max_pixels / (unit * unit);
    *h = 1;
    *w = n > 0 ? n : 1;
    for (int64_t k = n; k > 0; k--) {
        int64_t d = (int64_t)sqrt((double)k);
        while (d * d > k)
            d--;
        while ((d + 1) * (d + 1) <= k)
            d++;
        for (; d > 1 && k % d != 0; d--)
            ;
        *h = d;
        *w = k / d;
        if ((double)*w / (double)*h <= 200)
            return;
    }
}

void mb__est_mm_profile(mb_arch *a, const cJSON *top)
{
    const cJSON *vis = mb__est_item(top, "vision_config");
    a->mm_tokens_per_item = a->mm_patches_per_item = 0;
    a->vision_hidden = a->vision_inter = a->vision_layers = 0;
    a->mm_video_temporal = 0;
    a->mm_pixels_per_patch = 0;
    a->mm_output_levels = 1;
    a->vision_gated = 0;
    a->mm_rule[0] = '\0';
    if (!vis || !cJSON_IsObject(vis))
        return;
    static const char *const layers_k[] = {"depth", "num_hidden_layers", "num_layers", NULL};
    static const char *const hidden_k[] = {"hidden_size", "embed_dim", "width", NULL};
    static const char *const inter_k[] = {"intermediate_size", "mlp_dim", NULL};
    static const char *const patch_k[] = {"patch_size", "spatial_patch_size", NULL};
    static const char *const image_k[] = {"image_size", NULL};
    static const char *const merge_k[] = {"spatial_merge_size", NULL};
    static const char *const mm_tok_k[] = {"mm_tokens_per_image", NULL};
    a->vision_layers = mb__est_num_of(vis, layers_k);
    a->vision_hidden = mb__est_num_of(vis, hidden_k);
    a->vision_inter = mb__est_num_of(vis, inter_k);
    if (a->vision_inter <= 0)
        a->vision_inter = 4 * a->vision_hidden;
    int64_t patch = mb__est_num_of(vis, patch_k), image = mb__est_num_of(vis, image_k);
    int64_t merge = mb__est_num_of(vis, merge_k);
    if (merge < 1 || merge > 64)
        merge = 1;
    const char *type = mb__est_str(top, "model_type"); /* the outer one: text_config has
                                                           * its own (qwen2_5_vl_text) */
    if (!type)
        type = a->model.model_type;
    int64_t chans = mb__est_num_of(vis, chan_keys), tpatch = mb__est_num_of(vis, tpatch_keys);
    if (chans < 1 || chans > 64)
        chans = 3;
    const char *act = mb__est_str(vis, "hidden_act");
    a->vision_gated = act && strstr(act, "silu") != NULL;
    int qwen2 = strcmp(type, "qwen2_vl") == 0 || strcmp(type, "qwen2_5_vl") == 0;
    int qwen3 = strcmp(type, "qwen3_vl") == 0 || strcmp(type, "qwen3_vl_moe") == 0;
    if ((qwen2 || qwen3) && patch > 0 && patch < 1024) {
        int64_t max_pixels = qwen3 ? QWEN3_VL_MAX_PIXELS : QWEN_VL_MAX_PIXELS, h = 0, w = 0;
        qwen_image_units(max_pixels, patch * merge, &h, &w);
        a->mm_patches_per_item = h * merge * w * merge;
        a->mm_tokens_per_item = h * w;
        if (tpatch < 1 || tpatch > 16)
            tpatch = 2; /* Qwen2VLVisionConfig and Qwen3VLVisionConfig: 2 */
        a->mm_pixels_per_patch = chans * tpatch * patch * patch;
        /* Qwen3-VL's video never has more tokens than its image (above) */
        a->mm_video_temporal = qwen2 ? (int)tpatch : 0;
        a->mm_output_levels = 1 + (qwen3 ? deepstack_levels(vis) : 0);
        snprintf(a->mm_rule, sizeof a->mm_rule, "%s: max_pixels %lld, %lld x %lld pixels",
                 type, (long long)max_pixels, (long long)(w * patch * merge),
                 (long long)(h * patch * merge));
    } else if (strcmp(type, "gemma3") == 0 && patch > 0 && image >= patch) {
        int64_t tok = mb__est_num_of(top, mm_tok_k);
        a->mm_tokens_per_item = tok > 0 ? tok : 256;
        a->mm_patches_per_item = (image / patch) * (image / patch);
        snprintf(a->mm_rule, sizeof a->mm_rule, "gemma3: mm_tokens_per_image %lld from %lld "
                 "patches", (long long)a->mm_tokens_per_item,
                 (long long)a->mm_patches_per_item);
    } else if (patch > 0 && image >= patch) {
        a->mm_patches_per_item = (image / patch) * (image / patch);
        a->mm_tokens_per_item = a->mm_patches_per_item / (merge * merge);
        snprintf(a->mm_rule, sizeof a->mm_rule, "(image_size %lld / patch_size %lld)^2 "
                 "patches", (long long)image, (long long)patch);
    }
    if (a->mm_pixels_per_patch == 0 && patch > 0 && patch < 1024)
        a->mm_pixels_per_patch = chans * patch * patch;
    if (a->mm_tokens_per_item <= 0 || a->mm_patches_per_item <= 0 ||
        a->mm_patches_per_item > ((int64_t)1 << 30))
        a->mm_tokens_per_item = a->mm_patches_per_item = 0;
    if (a->mm_tokens_per_item == 0)
        a->mm_video_temporal = 0;
}

/* grid_t of a Qwen-VL video of f frames: padded up to a multiple of tp, at least one group */
static int64_t video_groups(int64_t f, int tp)
{
    int64_t padded = f + (tp - f % tp) % tp;
    return padded / tp > 1 ? padded / tp : 1;
}

void mb__est_mm_item(const mb_arch *a, int64_t max_model_len, int64_t *tokens,
                     int64_t *patches, int *video)
{
    *tokens = a->mm_tokens_per_item;
    *patches = a->mm_patches_per_item;
    *video = 0;
    int tp = a->mm_video_temporal;
    if (tp <= 0 || *tokens <= 0)
        return;
    /* _get_max_video_frames(max_model_len), capped at _MAX_FRAMES_PER_VIDEO (one video) */
    int64_t f = 1;
    while (f < QWEN_VL_MAX_FRAMES &&
           (double)video_groups(f + 1, tp) * (double)*tokens <= (double)max_model_len)
        f++;
    int64_t g = video_groups(f, tp);
    if (g > 1) { /* more tokens than the image: the video is profiled */
        *tokens *= g;
        *patches *= g;
        *video = 1;
    }
}

void mb__est_encoder_budget(const mb_arch *a, int64_t max_num_batched_tokens, int max_num_seqs,
                            int64_t max_model_len, int64_t *budget, int64_t *items)
{
    *budget = *items = 0;
    int64_t per = 0, patches = 0;
    int video = 0;
    mb__est_mm_item(a, max_model_len, &per, &patches, &video);
    if (per <= 0)
        return;
    /* compute_mm_encoder_budget: compute budget and cache size both default to
     * max_num_batched_tokens, raised to one item; the budget is their minimum */
    *budget = max_num_batched_tokens > per ? max_num_batched_tokens : per;
    /* MultiModalBudget.get_max_items */
    int64_t enc_items = *budget / per;
    int64_t per_prompt = max_model_len / per;
    if (per_prompt > MM_LIMIT_PER_PROMPT)
        per_prompt = MM_LIMIT_PER_PROMPT;
    if (per_prompt < 1)
        per_prompt = 1;
    int64_t dec_items = (int64_t)max_num_seqs * per_prompt;
    int64_t n = enc_items < dec_items ? enc_items : dec_items;
    *items = n > 1 ? n : 1;
}
