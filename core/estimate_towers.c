/*
 * core/estimate_towers.c: the vision and audio towers of a multimodal config for the
 * estimate (issue 15): their parameters, and the encoder's profile budget.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estimate.h"

/* ---- towers ------------------------------------------------------------------------ */

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
    static const char *const chan_k[] = {"in_channels", "num_channels", "in_chans", NULL};
    static const char *const tpatch_k[] = {"temporal_patch_size", NULL};
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
        double p = (double)mb__est_num_of(c, patch_k), ch = (double)mb__est_num_of(c, chan_k),
               tp = (double)mb__est_num_of(c, tpatch_k);
        total += (ch > 0 ? ch : 3) * (tp > 0 ? tp : 1) * (p > 0 ? p * p : 196) * hv;
        double m = merge > 1 ? merge : 1;
        total += hv * m * hv * m + hv * m * (double)lm_hidden; /* merger / projector */
    } else {
        double mel = (double)mb__est_num_of(c, mel_k);
        total += (mel > 0 ? mel : 128) * hv * 3 + hv * hv * 3 + hv * (double)lm_hidden;
    }
    return total < 1e15 ? (int64_t)total : (int64_t)1e15;
}
