/*
 * tests/kv/test_kv_hybrid.c: hybrid Mamba / linear-attention and chunked-attention configs
 * that vLLM 0.33.0 would refuse or that membudget does not model: each a clear error naming
 * the config key (or flag) and what is accepted; and the text plan naming the state groups.
 * The figures themselves are checked against vLLM in test_kv_golden.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "membudget.h"
#include "membudget/vllm.h"
#include "testutil.h"

/* Parses json into *m; returns the code (the detail is mb_error_detail()). */
static int parse(const char *json, mb_model *m)
{
    *m = (mb_model)MB_MODEL_INIT;
    return mb_model_parse(json, strlen(json), "t.json", m);
}

static void expect_error(const char *json, int code, const char *words)
{
    mb_model m;
    int rc = parse(json, &m);
    if (rc != code || !strstr(mb_error_detail(), words))
        fail_msg("got %d (%s), want %d with \"%s\"", rc, mb_error_detail(), code, words);
}

#define GRANITE_HEAD                                                                        \
    "{\"model_type\":\"granitemoehybrid\",\"hidden_size\":1024,\"num_hidden_layers\":4,"    \
    "\"num_attention_heads\":8,\"num_key_value_heads\":8,\"max_position_embeddings\":4096," \
    "\"torch_dtype\":\"bfloat16\",\"mamba_expand\":2,\"mamba_n_groups\":1,"                \
    "\"mamba_n_heads\":32,\"mamba_d_head\":64,\"mamba_d_state\":128,\"mamba_d_conv\":4,"

#define DECI_HEAD                                                                           \
    "{\"model_type\":\"nemotron-nas\",\"hidden_size\":1024,\"num_hidden_layers\":2,"          \
    "\"num_attention_heads\":8,\"max_position_embeddings\":4096,\"block_configs\":["

/* DeciLM's per-layer attention and an encoder's absent cache, as the model reads them. */
static void test_decilm_encoder_read(void **state)
{
    (void)state;
    mb_model m;
    assert_int_equal(parse(DECI_HEAD "{\"attention\":{\"no_op\":true}},"
                                     "{\"attention\":{\"n_heads_in_group\":4}}]}", &m),
                     MB_OK);
    assert_int_equal(m.layer_kind[0], MB_LAYER_NONE);
    assert_int_equal(m.layer_kind[1], MB_LAYER_ATTENTION);
    assert_int_equal(m.layer_kv_heads[1], 2); /* 8 heads // 4 */
    assert_int_equal(m.num_kv_heads, 2);      /* the first attention layer's */
    assert_int_equal(m.num_uncached_layers, 1);
    assert_int_equal(m.encoder_only, 0);
    /* the real Nemotron-Super-49B: 31 of 80 layers no_op, the others 64 // 8 KV heads */
    assert_int_equal(mb_model_load(MB_FIXTURES "/models/llama-3.3-nemotron-super-49b-v1.config.json",
                                   &m), MB_OK);
    assert_int_equal(m.num_layers, 80);
    assert_int_equal(m.num_uncached_layers, 31);
    assert_int_equal(m.num_kv_heads, 8);
    /* encoders: no layer caches (vLLM builds no spec for encoder-only attention) */
    assert_int_equal(parse("{\"model_type\":\"bert\",\"hidden_size\":768,"
                           "\"num_hidden_layers\":12,\"num_attention_heads\":12,"
                           "\"max_position_embeddings\":512}", &m), MB_OK);
    assert_int_equal(m.encoder_only, 1);
    assert_int_equal(m.num_uncached_layers, 12);
    assert_int_equal(parse("{\"model_type\":\"llama\",\"hidden_size\":768,"
                           "\"num_hidden_layers\":12,\"num_attention_heads\":12,"
                           "\"max_position_embeddings\":512,\"is_causal\":false}", &m), MB_OK);
    assert_int_equal(m.encoder_only, 1);
}

static void test_layer_kinds_read(void **state)
{
    (void)state;
    mb_model m;
    assert_int_equal(parse(GRANITE_HEAD "\"layer_types\":[\"mamba\",\"attention\",\"mamba\","
                                        "\"mamba\"]}", &m), MB_OK);
    assert_int_equal(m.num_state_layers, 3);
    assert_int_equal(m.layer_kind[1], MB_LAYER_ATTENTION);
    assert_int_equal(m.layer_kind[3], MB_LAYER_STATE);
    assert_int_equal(m.mamba_kind, MB_MAMBA_2);
    assert_int_equal(m.mamba_intermediate_size, 2048);
    /* Nemotron-H's MLP layers cache nothing */
    assert_int_equal(parse("{\"model_type\":\"nemotron_h\",\"hidden_size\":1024,"
                           "\"num_hidden_layers\":4,\"num_attention_heads\":8,"
                           "\"num_key_value_heads\":2,\"max_position_embeddings\":4096,"
                           "\"hybrid_override_pattern\":\"M-*E\",\"n_groups\":1,"
                           "\"mamba_num_heads\":16,\"mamba_head_dim\":64,"
                           "\"ssm_state_size\":128,\"conv_kernel\":4}", &m), MB_OK);
    assert_int_equal(m.num_state_layers, 1);
    assert_int_equal(m.num_uncached_layers, 2);
    assert_int_equal(m.mamba_ssm_dtype_bytes, 4); /* float32 by default */
}

static void test_bad_layer_kinds(void **state)
{
    (void)state;
    expect_error(GRANITE_HEAD "\"layer_types\":[\"mamba\",\"attention\",\"conv\",\"mamba\"]}",
                 MB_EINVAL, "layer_types[2]=\"conv\" is not a layer kind vLLM builds for "
                            "granitemoehybrid; it knows \"mamba\" and \"attention\"");
    expect_error(GRANITE_HEAD "\"layer_types\":[\"mamba\",\"attention\"]}", MB_EINVAL,
                 "layer_types must list one kind for each of the 4 layers (num_hidden_layers), "
                 "it has 2");
    expect_error("{\"model_type\":\"nemotron_h\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"hybrid_override_pattern\":\"M-*\"}", MB_EINVAL,
                 "hybrid_override_pattern has 3 letters but num_hidden_layers is 4");
    expect_error("{\"model_type\":\"nemotron_h\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"hybrid_override_pattern\":\"M-*Q\"}", MB_EINVAL,
                 "hybrid_override_pattern[3]='Q' is not a layer kind");
    expect_error("{\"model_type\":\"qwen3_next\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"layer_types\":[\"linear_attention\",\"full_attention\",\"mamba\","
                 "\"full_attention\"]}", MB_EINVAL,
                 "layer_types[2]=\"mamba\" is not a layer kind vLLM builds for qwen3_next");
    expect_error("{\"model_type\":\"qwen3_next\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"full_attention_interval\":2}", MB_EINVAL,
                 "linear_num_key_heads is missing");
    expect_error("{\"model_type\":\"jamba\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"attn_layer_period\":2,\"attn_layer_offset\":2}", MB_EINVAL,
                 "attn_layer_offset 2 must be below attn_layer_period 2");
    expect_error("{\"model_type\":\"jamba\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"layers_block_type\":[\"mamba\",\"attention\",\"ssm\",\"mamba\"]}",
                 MB_EINVAL, "layers_block_type[2]=\"ssm\" is not a layer kind vLLM builds for "
                            "jamba; it knows \"mamba\" and \"attention\"");
    expect_error("{\"model_type\":\"llama4_text\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"attention_chunk_size\":8192,\"no_rope_layers\":[1,0]}", MB_EINVAL,
                 "no_rope_layers must list one 0 or 1 for each of the 4 layers");
    /* state dimensions whose product would overflow: refused, never wrapped */
    expect_error("{\"model_type\":\"jamba\",\"hidden_size\":1048576,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"attn_layer_period\":2,\"attn_layer_offset\":1,\"mamba_expand\":4096}",
                 MB_EINVAL, "mamba_expand x hidden_size is 4294967296");
    expect_error("{\"model_type\":\"jamba\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"attn_layer_period\":2,\"attn_layer_offset\":1,\"mamba_d_state\":16777216}",
                 MB_EINVAL, "mamba_d_state is not a whole number from 1 to 1048576");
    /* a hybrid whose state membudget does not size: refused, never planned as attention */
    expect_error("{\"model_type\":\"bamba\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
                 "\"num_attention_heads\":8,\"max_position_embeddings\":4096,"
                 "\"mamba_d_state\":128}", MB_ENOTSUP,
                 "mamba_d_state says this is a hybrid Mamba / linear-attention or chunked "
                 "model of type \"bamba\"");
    /* DeciLM / Nemotron-NAS: replace_with_linear (vLLM 0.33 cannot build it) and bad
     * block_configs, each naming the key */
    expect_error(DECI_HEAD "{\"attention\":{\"no_op\":true}},"
                 "{\"attention\":{\"no_op\":false,\"replace_with_linear\":true}}]}",
                 MB_ENOTSUP, "block_configs[1].attention.replace_with_linear is true");
    expect_error(DECI_HEAD "{\"attention\":{\"no_op\":false}},"
                 "{\"attention\":{\"n_heads_in_group\":8}}]}",
                 MB_EINVAL, "block_configs[0].attention.n_heads_in_group is missing");
    expect_error(DECI_HEAD "{\"attention\":{\"n_heads_in_group\":8}}]}", MB_EINVAL,
                 "block_configs must hold one block for each of the 2 layers");
    /* encoder-decoder (cross-attention, CrossAttentionSpec): refused, not planned */
    expect_error("{\"model_type\":\"whisper\",\"d_model\":1280,\"decoder_layers\":32,"
                 "\"num_hidden_layers\":32,\"max_target_positions\":448,"
                 "\"is_encoder_decoder\":true}", MB_ENOTSUP,
                 "is_encoder_decoder true says this is an encoder-decoder model");
    /* no attention at all */
    expect_error(GRANITE_HEAD "\"layer_types\":[\"mamba\",\"mamba\",\"mamba\",\"mamba\"]}",
                 MB_ENOTSUP, "no attention layer at all");
}

/* A state dimension the tensor-parallel size does not divide, and a CPU device. */
static void test_plan_refusals(void **state)
{
    (void)state;
    mb_model m;
    assert_int_equal(parse("{\"model_type\":\"qwen3_next\",\"hidden_size\":2048,"
                           "\"num_hidden_layers\":4,\"num_attention_heads\":16,"
                           "\"num_key_value_heads\":2,\"head_dim\":256,"
                           "\"max_position_embeddings\":4096,\"torch_dtype\":\"bfloat16\","
                           "\"linear_num_key_heads\":16,\"linear_num_value_heads\":24,"
                           "\"linear_key_head_dim\":128,\"linear_value_head_dim\":128,"
                           "\"linear_conv_kernel_dim\":4}", &m), MB_OK);
    mb_snapshot dev;
    assert_int_equal(mb_snapshot_what_if(80 * MB_GiB, MB_UNKNOWN, &dev), MB_OK);
    mb_plan_options o = MB_PLAN_OPTIONS_INIT;
    o.tensor_parallel_size = 16;
    o.kv_cache_memory_bytes = 10 * MB_GiB;
    mb_plan p = MB_PLAN_INIT;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "tensor_parallel_size 16 does not divide the "
                                              "model's linear_num_value_heads (24)"));
    o.tensor_parallel_size = 2;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_string_equal(p.mamba_cache_mode, "align");
    /* 3 state layers and 1 attention layer: groups of 1 layer (the smaller bucket) */
    assert_int_equal(p.num_groups, 4);
    assert_string_equal(p.groups[0].kind, "mamba");
    assert_string_equal(p.groups[2].kind, "mamba");
    assert_string_equal(p.groups[3].kind, "full_attention");
    o.no_prefix_caching = 1;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_string_equal(p.mamba_cache_mode, "none");
    assert_int_equal(p.group_block_size[0], 4096); /* mamba_block_size = max_model_len */
    snprintf(dev.device, sizeof dev.device, "cpu:0");
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_ENOTSUP);
    assert_non_null(strstr(mb_error_detail(), "on a CPU device"));
}

/* The text plan names the state groups, their mode and the block alignment. */
static void test_text_plan(void **state)
{
    (void)state;
    char args[512], *out, *err;
    snprintf(args, sizeof args, "plan --model %s/models/nemotron-h-8b-base-8k.config.json "
             "--gpu H100 --kv-cache-memory-bytes 20G", MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(out, "Mamba / linear-attention state (align mode, block 1040 "
                                "tokens), 4 layers"));
    assert_non_null(strstr(out, "raised from 16 to 1040 tokens"));
    assert_null(strstr(out, "Mamba / linear-attention / GDN layers (refused)"));
    free(out), free(err);
    /* an encoder-only model: no group, the null block, and the estimate under --gpu agrees
     * that no KV cache is needed */
    snprintf(args, sizeof args, "plan --model %s/models/bert-base-uncased.config.json "
             "--gpu H100", MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(out, "KV groups      none: no layer keeps a KV cache"));
    assert_non_null(strstr(out, "verdict        fits: no KV cache is needed"));
    assert_non_null(strstr(out, "  verdict        fits: an encoder-only model needs no KV "
                                "cache"));
    assert_null(strstr(out, "does not fit"));
    assert_non_null(strstr(out, "graph mode     PIECEWISE, model runner V2: PIECEWISE: pooling "
                                "(encoder-only) models do not support full CUDA graphs"));
    assert_non_null(strstr(out, "and 0 FULL"));
    free(out), free(err);
    /* Nemotron-Super-49B: 49 of 80 layers cache, all of 8 KV heads: one plain group */
    snprintf(args, sizeof args, "plan --model %s/models/llama-3.3-nemotron-super-49b-v1.config.json "
             "--gpu H200 --kv-cache-memory-bytes 30G", MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(out, "KV group 0     full attention, 49 layers, 65536 bytes per "
                                "layer per block"));
    free(out), free(err);
    snprintf(args, sizeof args, "plan --model %s/models/decilm-mixed-kv-heads.config.json "
             "--gpu H200 --kv-cache-memory-bytes 10G", MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(out, "KV group 0     full attention with KV heads by layer (pages "
                                "differ: one group of them all), 6 layers, 622592 bytes per "
                                "group (its layers' pages) per block"));
    free(out), free(err);
}

/* The estimate under --gpu takes its KV groups from the plan's layer specs: its central
 * tokens are the plan's for the hybrids (Mamba-1, Mamba-2 with MLP-only layers) and Llama 4. */
static void test_estimate_agrees(void **state)
{
    (void)state;
    static const char *const models[] = {
        "jamba-1.5-mini.config.json -tp 2", "granite-4.0-h-small.config.json",
        "nemotron-h-8b-base-8k.config.json",
        "llama-4-scout-17b-16e-instruct.config.json --max-model-len 131072",
        "gemma-3n-e4b-it.config.json"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char args[512], *out, *err;
        snprintf(args, sizeof args, "plan --model %s/models/%s --gpu H100 --non-kv-memory "
                 "20G --cudagraph-memory 0 --json", MB_FIXTURES, models[i]);
        assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
        cJSON *j = cJSON_Parse(out);
        assert_non_null(j);
        const cJSON *est = cJSON_GetObjectItemCaseSensitive(j, "estimate");
        double pt = cJSON_GetObjectItemCaseSensitive(j, "kv_cache_tokens")->valuedouble;
        double et = cJSON_GetObjectItemCaseSensitive(est, "kv_cache_tokens")->valuedouble;
        if (pt <= 0 || pt != et)
            fail_msg("%s: plan %.0f tokens, estimate %.0f", models[i], pt, et);
        cJSON_Delete(j);
        free(out), free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_layer_kinds_read),
                                       cmocka_unit_test(test_decilm_encoder_read),
                                       cmocka_unit_test(test_bad_layer_kinds),
                                       cmocka_unit_test(test_plan_refusals),
                                       cmocka_unit_test(test_text_plan),
                                       cmocka_unit_test(test_estimate_agrees)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
