/*
 * tests/kv: size strings, model geometry from config.json (the fixtures and made-up
 * configs), per-rank KV geometry, blocks over ranks, the max_model_len check, CUDA-graph
 * capture sizes and the capture estimate. No device and no OS beyond reading files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/vllm.h"
#include "testutil.h"

#define GiB MB_GiB
#define MiB MB_MiB

/* ---- sizes ------------------------------------------------------------------------- */

static void size_is(const char *text, int64_t want)
{
    int64_t v = -7;
    int rc = mb_size_parse(text, &v);
    if (rc != MB_OK)
        fail_msg("'%s': %s", text, mb_error_detail());
    assert_int_equal(v, want);
}

static void size_fails(const char *text, int code, const char *in_detail)
{
    int64_t v = -7;
    assert_int_equal(mb_size_parse(text, &v), code);
    assert_int_equal(v, 0); /* outputs zeroed on failure */
    if (!strstr(mb_error_detail(), in_detail))
        fail_msg("'%s': detail '%s' lacks '%s'", text, mb_error_detail(), in_detail);
}

static void test_sizes(void **state)
{
    (void)state;
    size_is("85899345920", 85899345920LL);
    size_is("80GiB", 80 * GiB);
    size_is("80G", 80 * GiB);   /* vLLM: uppercase is binary */
    size_is("80g", 80000000000LL); /* lowercase is decimal */
    size_is("1K", 1024);
    size_is("1k", 1000);
    size_is("25.6k", 25600); /* vLLM's docstring example */
    size_is("1.5g", 1500000000LL);
    size_is("0.5GiB", GiB / 2);
    size_is("1.5GiB", 3 * GiB / 2);
    size_is("2T", (int64_t)2 << 40);
    size_is("3MiB", 3 * MiB);
    size_is("12B", 12);
    size_is(" 80GiB\n", 80 * GiB);
    size_is("0", 0);
    size_is("1125899906842624", (int64_t)1 << 50); /* MB_SIZE_MAX itself */
    size_fails("80GB", MB_EPARSE, "ambiguous");
    size_fails("80gb", MB_EPARSE, "ambiguous");
    size_fails("1.5G", MB_EPARSE, "fraction"); /* vLLM refuses decimals with K M G T */
    size_fails("1.5", MB_EPARSE, "whole");
    size_fails("", MB_EPARSE, "empty");
    size_fails("G", MB_EPARSE, "number");
    size_fails("-1G", MB_EPARSE, "negative");
    size_fails("1.", MB_EPARSE, "digits");
    size_fails("80 apples", MB_EPARSE, "unit");
    size_fails("2048TiB", MB_ERANGE, "1 PiB");
    size_fails("1125899906842625", MB_ERANGE, "1 PiB");
    size_fails("99999999999999999999999", MB_ERANGE, "too large");
    assert_int_equal(mb_size_parse("1G", NULL), MB_EINVAL);
}

/* ---- models -------------------------------------------------------------------------- */

typedef struct fixture_row {
    char file[96];
    int64_t bytes_per_token;
} fixture_row;

/* The table of tests/fixtures/models/README.md: file and bytes per token (last column). */
static int readme_rows(fixture_row *rows, int cap)
{
    char *text = tu_slurp(MB_FIXTURES "/models/README.md");
    assert_non_null(text);
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *tick = strstr(line, "| `");
        if (!tick || !strstr(line, ".config.json"))
            continue;
        char *end = strchr(tick + 3, '`');
        char *last = strrchr(line, '|');
        assert_non_null(end);
        *last = '\0';
        char *prev = strrchr(line, '|');
        assert_true(n < cap);
        snprintf(rows[n].file, sizeof rows[n].file, "%.*s", (int)(end - tick - 3), tick + 3);
        rows[n].bytes_per_token = strtoll(prev + 1, NULL, 10);
        assert_true(rows[n].bytes_per_token > 0);
        n++;
    }
    free(text);
    return n;
}

static void load_fixture(const char *file, mb_model *m)
{
    char path[512];
    snprintf(path, sizeof path, "%s/models/%s", MB_FIXTURES, file);
    int rc = mb_model_load(path, m);
    if (rc)
        fail_msg("%s: %s", path, mb_error_detail());
}

static void test_fixture_bytes_per_token(void **state)
{
    (void)state;
    fixture_row rows[8];
    int n = readme_rows(rows, 8);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++) {
        mb_model m = MB_MODEL_INIT;
        load_fixture(rows[i].file, &m);
        mb_kv_spec s;
        assert_int_equal(mb_kv_spec_init(&s, &m, 16, 1, NULL), MB_OK);
        if (s.bytes_per_token != rows[i].bytes_per_token)
            fail_msg("%s: %lld bytes per token, the README says %lld", rows[i].file,
                     (long long)s.bytes_per_token, (long long)rows[i].bytes_per_token);
        /* the same by hand: layers x heads x (K + V) x 2 bytes (bf16) */
        int64_t hand = (int64_t)m.num_layers * m.num_kv_heads *
                       (m.head_size + m.head_size_v) * 2;
        assert_int_equal(s.bytes_per_token, hand);
        assert_int_equal(s.block_bytes, 16 * hand);
        assert_int_equal(s.page_bytes * s.num_layers, s.block_bytes);
        assert_int_equal(m.weights_bytes, MB_UNKNOWN); /* the fixtures have no weights */
    }
}

static void test_fixture_fields(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    load_fixture("llama-3.1-8b.config.json", &m);
    assert_string_equal(m.model_type, "llama");
    assert_string_equal(m.dtype, "bfloat16");
    assert_int_equal(m.num_layers, 32);
    assert_int_equal(m.num_kv_heads, 8);
    assert_int_equal(m.head_size, 4096 / 32); /* no head_dim: hidden / heads */
    /* its real rope_scaling (llama3, factor 8, original 8192): vLLM does not scale
     * max_position_embeddings for rope_type llama3 */
    assert_int_equal(m.max_model_len, 131072);
    assert_int_equal(m.derived_max_model_len, 131072);
    assert_false(m.is_mla);
    /* Llama-3.1-8B, 16-token blocks: 2 MiB per block over all layers */
    mb_kv_spec s;
    assert_int_equal(mb_kv_spec_init(&s, &m, 16, 1, "auto"), MB_OK);
    assert_int_equal(s.block_bytes, 2 * MiB);

    load_fixture("mistral-7b-v0.3.config.json", &m);
    assert_int_equal(m.head_size, 128); /* from head_dim */
    assert_int_equal(m.max_model_len, 32768);

    load_fixture("deepseek-v2-lite.config.json", &m);
    assert_true(m.is_mla);
    assert_int_equal(m.num_kv_heads, 1);
    assert_int_equal(m.head_size, 512 + 64); /* kv_lora_rank + qk_rope_head_dim */
    assert_int_equal(m.head_size_v, 0);
    assert_int_equal(mb_kv_spec_init(&s, &m, 16, 1, NULL), MB_OK);
    assert_int_equal(s.bytes_per_token, 27 * 576 * 2);
    /* MLA's latent is replicated over ranks: tp does not shrink it */
    mb_kv_spec s4;
    assert_int_equal(mb_kv_spec_init(&s4, &m, 16, 4, NULL), MB_OK);
    assert_int_equal(s4.bytes_per_token, s.bytes_per_token);
    /* fp8_ds_mla: 656 bytes per token and layer */
    assert_int_equal(mb_kv_spec_init(&s4, &m, 16, 1, "fp8_ds_mla"), MB_OK);
    assert_int_equal(s4.page_bytes, 16 * 656);
    /* vLLM's packed formats are named and refused as not modelled; others are not dtypes */
    assert_int_equal(mb_kv_spec_init(&s4, &m, 16, 1, "nvfp4"), MB_ENOTSUP);
    assert_non_null(strstr(mb_error_detail(), "packed cache formats"));
    assert_int_equal(mb_kv_spec_init(&s4, &m, 16, 1, "int3"), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "float16, bfloat16, fp8"));
}

static void parse_ok(const char *json, mb_model *m)
{
    int rc = mb_model_parse(json, strlen(json), "test.json", m);
    if (rc)
        fail_msg("%s: %s", json, mb_error_detail());
}

static void parse_fails(const char *json, int code, const char *a, const char *b)
{
    mb_model m = MB_MODEL_INIT;
    memset(&m, 0x5a, sizeof m);
    m.size = sizeof m;
    assert_int_equal(mb_model_parse(json, strlen(json), "test.json", &m), code);
    assert_int_equal(m.num_layers, 0); /* zeroed */
    const char *d = mb_error_detail();
    if (!strstr(d, a) || (b && !strstr(d, b)))
        fail_msg("detail '%s' lacks '%s' or '%s'", d, a, b ? b : "");
}

#define LLAMA_FIELDS                                                                        \
    "\"num_hidden_layers\": 32, \"num_attention_heads\": 32, \"num_key_value_heads\": 8, "  \
    "\"hidden_size\": 4096, \"max_position_embeddings\": 131072"

static void test_model_variants(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    /* nested text_config (multimodal configs): fields there, dtype at the top */
    parse_ok("{\"torch_dtype\": \"bfloat16\", \"text_config\": {" LLAMA_FIELDS "}}", &m);
    assert_int_equal(m.num_layers, 32);
    assert_int_equal(m.num_kv_heads, 8);
    assert_int_equal(m.dtype_bytes, 2);
    /* text_config wins over the top level */
    parse_ok("{\"num_hidden_layers\": 2, \"text_config\": {" LLAMA_FIELDS "}}", &m);
    assert_int_equal(m.num_layers, 32);
    /* no num_key_value_heads: as many KV heads as attention heads */
    parse_ok("{\"num_hidden_layers\": 12, \"num_attention_heads\": 12, \"hidden_size\": 768,"
             " \"dtype\": \"float16\"}", &m);
    assert_int_equal(m.num_kv_heads, 12);
    assert_int_equal(m.head_size, 64);
    assert_string_equal(m.dtype, "float16");
    /* Step3p5's num_attention_groups are KV heads */
    parse_ok("{\"num_hidden_layers\": 4, \"num_attention_heads\": 64, \"hidden_size\": 4096, "
             "\"num_attention_groups\": 8}", &m);
    assert_int_equal(m.num_kv_heads, 8);
    parse_ok("{\"num_hidden_layers\": 12, \"num_attention_heads\": 12, \"hidden_size\": 768,"
             " \"dtype\": \"float16\"}", &m);
    /* no length key: vLLM assumes 2048 */
    assert_int_equal(m.max_model_len, 2048);
    assert_int_equal(m.max_len_assumed, 1);
    /* model_max_length wins over the smallest key (Command-R) */
    parse_ok("{" LLAMA_FIELDS ", \"model_max_length\": 262144}", &m);
    assert_int_equal(m.max_model_len, 262144);
    /* RoPE: linear and dynamic scale the length, yarn / llama3 do not, Gemma 3 never;
     * LongRoPE defaults to original_max_position_embeddings */
    parse_ok("{" LLAMA_FIELDS ", \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 4.0}}", &m);
    assert_int_equal(m.max_model_len, 4 * 131072);
    parse_ok("{" LLAMA_FIELDS ", \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}}", &m);
    assert_int_equal(m.max_model_len, 2 * 131072);
    parse_ok("{" LLAMA_FIELDS ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 32.0}}", &m);
    assert_int_equal(m.max_model_len, 131072);
    parse_ok("{" LLAMA_FIELDS ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}}", &m);
    assert_int_equal(m.max_model_len, 131072);
    parse_ok("{\"model_type\": \"gemma3_text\", " LLAMA_FIELDS ", \"rope_scaling\": "
             "{\"rope_type\": \"linear\", \"factor\": 8.0}}", &m);
    assert_int_equal(m.max_model_len, 131072);
    parse_ok("{" LLAMA_FIELDS ", \"original_max_position_embeddings\": 4096, \"rope_scaling\": "
             "{\"type\": \"longrope\", \"long_factor\": [1.0], \"short_factor\": [1.0]}}", &m);
    assert_int_equal(m.max_model_len, 4096);
    assert_int_equal(m.derived_max_model_len, 131072);
    /* float32 and a missing dtype run in 16 bits with vLLM's --dtype auto */
    parse_ok("{" LLAMA_FIELDS ", \"torch_dtype\": \"float32\"}", &m);
    assert_int_equal(m.dtype_bytes, 2);
    parse_ok("{" LLAMA_FIELDS "}", &m);
    assert_int_equal(m.dtype_bytes, 2);
    assert_string_equal(m.dtype, "");
    /* head_dim 0 (Mistral's consolidated configs) and null fall back to hidden / heads;
     * hidden_size_per_head (PLaMo) comes before the division */
    parse_ok("{" LLAMA_FIELDS ", \"head_dim\": 0}", &m);
    assert_int_equal(m.head_size, 128);
    parse_ok("{" LLAMA_FIELDS ", \"hidden_size_per_head\": 96}", &m);
    assert_int_equal(m.head_size, 96);
    /* a kv_lora_rank alone is not MLA (MiniCPM3: 40 heads of 64 + 32) */
    parse_ok("{\"model_type\": \"minicpm3\", \"num_hidden_layers\": 62, "
             "\"num_attention_heads\": 40, \"num_key_value_heads\": 40, \"hidden_size\": 2560, "
             "\"kv_lora_rank\": 256, \"qk_nope_head_dim\": 64, \"qk_rope_head_dim\": 32}", &m);
    assert_int_equal(m.is_mla, 0);
    assert_int_equal(m.head_size, 96);
    assert_int_equal(m.num_kv_heads, 40);
    /* sliding layers: layer_types, Gemma 2's even layers, Gemma 3's pattern, Mistral's all,
     * Qwen2's use_sliding_window false */
    parse_ok("{\"num_hidden_layers\": 4, \"num_attention_heads\": 4, \"hidden_size\": 64, "
             "\"sliding_window\": 128, \"layer_types\": [\"sliding_attention\", "
             "\"full_attention\", \"full_attention\", \"sliding_attention\"]}", &m);
    assert_int_equal(m.num_sliding_layers, 2);
    assert_int_equal(m.layer_sliding[0] + 2 * m.layer_sliding[3], 3);
    assert_int_equal(m.sliding_window, 128);
    parse_ok("{\"model_type\": \"gemma2\", \"num_hidden_layers\": 6, \"num_attention_heads\": 4, "
             "\"hidden_size\": 64, \"sliding_window\": 4096}", &m);
    assert_int_equal(m.num_sliding_layers, 3);
    assert_int_equal(m.layer_sliding[0], 1);
    assert_int_equal(m.layer_sliding[1], 0);
    parse_ok("{\"model_type\": \"gemma3_text\", \"num_hidden_layers\": 12, "
             "\"num_attention_heads\": 4, \"hidden_size\": 64, \"sliding_window\": 1024}", &m);
    assert_int_equal(m.num_sliding_layers, 10);
    assert_int_equal(m.layer_sliding[5], 0);
    parse_ok("{\"model_type\": \"mistral\", " LLAMA_FIELDS ", \"sliding_window\": 4096}", &m);
    assert_int_equal(m.num_sliding_layers, 32);
    parse_ok("{\"model_type\": \"qwen2\", " LLAMA_FIELDS ", \"sliding_window\": 4096, "
             "\"use_sliding_window\": false}", &m);
    assert_int_equal(m.num_sliding_layers, 0);
    assert_int_equal(m.sliding_window, 0);
    /* head_dim null falls back to hidden / heads */
    parse_ok("{" LLAMA_FIELDS ", \"head_dim\": null}", &m);
    assert_int_equal(m.head_size, 128);
    /* the smallest of the context-length keys */
    parse_ok("{" LLAMA_FIELDS ", \"seq_len\": 4096}", &m);
    assert_int_equal(m.max_model_len, 4096);
    static const char *const keys[] = {"n_positions", "max_seq_len", "seq_length",
                                       "model_max_length", "max_target_positions",
                                       "max_sequence_length", "max_seq_length"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char json[512];
        snprintf(json, sizeof json, "{" LLAMA_FIELDS ", \"%s\": %zu}", keys[i], 1000 + i);
        parse_ok(json, &m);
        if (m.max_model_len != (int64_t)(1000 + i))
            fail_msg("%s: max_model_len %lld", keys[i], (long long)m.max_model_len);
    }
    /* an fp8 cache halves a bf16 model's bytes per token */
    mb_kv_spec a, b;
    assert_int_equal(mb_kv_spec_init(&a, &m, 16, 1, NULL), MB_OK);
    assert_int_equal(mb_kv_spec_init(&b, &m, 16, 1, "fp8"), MB_OK);
    assert_int_equal(a.bytes_per_token, 2 * b.bytes_per_token);
    assert_int_equal(b.dtype_bytes, 1);
}

static void test_model_bad_input(void **state)
{
    (void)state;
    parse_fails("{ \"num_hidden_layers\": 32,\n  oops }", MB_EPARSE, "not valid JSON",
                "line 2");
    parse_fails("[1, 2]", MB_EPARSE, "not an object", NULL);
    parse_fails("{\"num_attention_heads\": 32, \"hidden_size\": 4096}", MB_EINVAL,
                "num_hidden_layers", "missing");
    parse_fails("{\"num_hidden_layers\": 0, \"num_attention_heads\": 32, \"hidden_size\": 4}",
                MB_EINVAL, "num_hidden_layers=0", NULL);
    parse_fails("{\"num_hidden_layers\": 32, \"num_attention_heads\": \"32\", "
                "\"hidden_size\": 4096}", MB_EINVAL, "num_attention_heads", "\"32\"");
    parse_fails("{\"num_hidden_layers\": 32.5, \"num_attention_heads\": 32}", MB_EINVAL,
                "num_hidden_layers=32.5", NULL);
    parse_fails("{\"num_hidden_layers\": -4, \"num_attention_heads\": 32}", MB_EINVAL,
                "num_hidden_layers=-4", NULL);
    parse_fails("{" LLAMA_FIELDS ", \"torch_dtype\": \"int4\"}", MB_EINVAL, "torch_dtype",
                "int4");
    parse_fails("{" LLAMA_FIELDS ", \"dtype\": 16}", MB_EINVAL, "dtype is 16", NULL);
    parse_fails("{\"num_hidden_layers\": 32, \"num_attention_heads\": 8, "
                "\"num_key_value_heads\": 16, \"hidden_size\": 4096}", MB_EINVAL,
                "16 KV heads", NULL);
    parse_fails("{\"num_hidden_layers\": 32, \"num_attention_heads\": 32}", MB_EINVAL,
                "hidden_size", NULL);
    parse_fails("{\"num_hidden_layers\": 32, \"num_attention_heads\": 64, "
                "\"hidden_size\": 32}", MB_EINVAL, "hidden_size=32", NULL);
    parse_fails("{" LLAMA_FIELDS ", \"model_type\": \"deepseek_v2\", \"kv_lora_rank\": 512}",
                MB_EINVAL, "qk_rope_head_dim", "missing");
    parse_fails("{" LLAMA_FIELDS ", \"head_dim\": 2.5}", MB_EINVAL, "head_dim", NULL);
    /* layer kinds: unknown, contradictory, a sliding layer without a window */
    parse_fails("{" LLAMA_FIELDS ", \"sliding_window\": 4096, \"layer_types\": [\"full_attention\"]}",
                MB_EINVAL, "layer_types must list one kind for each of the 32", "it has 1");
    parse_fails("{\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"hidden_size\": 64, "
                "\"sliding_window\": 8, \"layer_types\": [\"full_attention\", \"mamba\"]}",
                MB_ENOTSUP, "layer_types[1]=\"mamba\"", "not modelled yet");
    parse_fails("{\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"hidden_size\": 64, "
                "\"layer_types\": [\"full_attention\", \"cross_attention\"]}",
                MB_EINVAL, "layer_types[1]=\"cross_attention\"", "sliding_attention");
    /* Mamba keys without a model_type membudget sizes the state of: refused */
    parse_fails("{" LLAMA_FIELDS ", \"attn_layer_period\": 8, \"mamba_d_state\": 16}",
                MB_ENOTSUP, "hybrid Mamba / linear-attention or chunked model", NULL);
    parse_fails("{\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"hidden_size\": 64, "
                "\"layer_types\": [\"full_attention\", \"sliding_attention\"]}",
                MB_EINVAL, "layer_types[1] is sliding_attention", "no sliding_window");
    parse_fails("{" LLAMA_FIELDS ", \"sliding_window\": -5}", MB_EINVAL, "sliding_window", NULL);
    parse_fails("{" LLAMA_FIELDS ", \"sliding_window\": 262144}", MB_EINVAL,
                "sliding_window=262144 is longer than the model's context (131072", NULL);
    /* files */
    mb_model m = MB_MODEL_INIT;
    assert_int_equal(mb_model_load(MB_TEST_WORK "/no/such/config.json", &m), MB_EIO);
    assert_non_null(strstr(mb_error_detail(), "no/such"));
    char dir[512];
    tu_fresh_dir("kv-empty", dir, sizeof dir);
    assert_int_equal(mb_model_load(dir, &m), MB_EIO);
    assert_non_null(strstr(mb_error_detail(), "no config.json"));
    char path[600];
    snprintf(path, sizeof path, "%s/config.json", dir);
    tu_write(path, "this is not json");
    assert_int_equal(mb_model_load(dir, &m), MB_EPARSE);
    assert_non_null(strstr(mb_error_detail(), "config.json is not valid JSON"));
}

static void test_model_weights(void **state)
{
    (void)state;
    char dir[512], path[600];
    /* a folder with an index: metadata.total_size */
    tu_fresh_dir("kv-index", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    tu_copy(MB_FIXTURES "/models/llama-3.1-8b.config.json", path);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    tu_write(path, "{\"metadata\": {\"total_size\": 16060522496}, \"weight_map\": "
                   "{\"lm_head.weight\": \"model-00004-of-00004.safetensors\"}}");
    mb_model m = MB_MODEL_INIT;
    assert_int_equal(mb_model_load(dir, &m), MB_OK);
    assert_int_equal(m.weights_bytes, 16060522496LL);
    assert_string_equal(m.weights_source, "model.safetensors.index.json");
    snprintf(path, sizeof path, "%s/config.json", dir);
    assert_int_equal(mb_model_load(path, &m), MB_OK); /* the file itself: same folder */
    assert_int_equal(m.weights_bytes, 16060522496LL);
    /* an index with a bad total */
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    tu_write(path, "{\"metadata\": {\"total_size\": -3}}");
    assert_int_equal(mb_model_load(dir, &m), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "total_size=-3"));
    /* one model.safetensors: its size less the 8-byte length and the header */
    tu_fresh_dir("kv-single", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    tu_copy(MB_FIXTURES "/models/qwen2.5-7b.config.json", path);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    const char header[] = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[500],\"data_offsets\":[0,1000]}}";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint64_t hl = sizeof header - 1;
    for (int i = 0; i < 8; i++)
        fputc((int)(hl >> (8 * i) & 0xff), f);
    fwrite(header, 1, hl, f);
    for (int i = 0; i < 1000; i++)
        fputc(i & 0xff, f);
    fclose(f);
    assert_int_equal(mb_model_load(dir, &m), MB_OK);
    assert_int_equal(m.weights_bytes, 1000);
    assert_string_equal(m.weights_source, "model.safetensors");
}

/* ---- per-rank geometry --------------------------------------------------------------- */

static void test_spec_tensor_parallel(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    load_fixture("llama-3.1-8b.config.json", &m); /* 32 heads, 8 KV heads */
    mb_kv_spec s;
    int want[][2] = {{1, 8}, {2, 4}, {4, 2}, {8, 1}, {16, 1}, {32, 1}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(mb_kv_spec_init(&s, &m, 16, want[i][0], NULL), MB_OK);
        assert_int_equal(s.num_kv_heads, want[i][1]); /* max(1, 8 / tp): replicated past 8 */
        assert_int_equal(s.bytes_per_token, 32 * want[i][1] * 256 * 2);
    }
    assert_int_equal(mb_kv_spec_init(&s, &m, 16, 3, NULL), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "tensor_parallel_size 3"));
    assert_int_equal(s.page_bytes, 0);
    assert_int_equal(mb_kv_spec_init(&s, &m, 16, 0, NULL), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "tensor_parallel_size 0"));
    /* 12 KV heads on 8 ranks: neither divides the other */
    mb_model odd = MB_MODEL_INIT;
    parse_ok("{\"num_hidden_layers\": 4, \"num_attention_heads\": 24, "
             "\"num_key_value_heads\": 12, \"hidden_size\": 3072}", &odd);
    assert_int_equal(mb_kv_spec_init(&s, &odd, 16, 8, NULL), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "12 KV heads"));
    assert_int_equal(mb_kv_spec_init(&s, &odd, 16, 24, NULL), MB_OK); /* 2 ranks per head */
    assert_int_equal(s.num_kv_heads, 1);
    /* 12 KV heads on 18 ranks: more ranks than heads, but not a multiple */
    parse_ok("{\"num_hidden_layers\": 4, \"num_attention_heads\": 36, "
             "\"num_key_value_heads\": 12, \"hidden_size\": 4608}", &odd);
    assert_int_equal(mb_kv_spec_init(&s, &odd, 16, 18, NULL), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "replicate"));
    /* block sizes and cache dtypes */
    /* any size above 0 is geometry (CacheConfig's gt=0); the backend refuses in the plan */
    assert_int_equal(mb_kv_spec_init(&s, &m, 12, 1, NULL), MB_OK);
    assert_int_equal(s.block_bytes, 12 * 131072);
    assert_int_equal(mb_kv_spec_init(&s, &m, 0, 1, NULL), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "block_size 0"));
    assert_int_equal(mb_kv_spec_init(&s, &m, 32, 1, NULL), MB_OK);
    assert_int_equal(s.block_bytes, 4 * MiB);
    assert_int_equal(mb_kv_spec_init(&s, &m, 16, 1, "fp4"), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "kv_cache_dtype fp4"));
    assert_int_equal(mb_kv_spec_init(&s, &m, 16, 1, "fp8_ds_mla"), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "MLA"));
    assert_int_equal(mb_kv_spec_init(&s, NULL, 16, 1, NULL), MB_EINVAL);
}

static void test_blocks_and_check(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    load_fixture("llama-3.1-8b.config.json", &m);
    mb_kv_spec s;
    assert_int_equal(mb_kv_spec_init(&s, &m, 16, 1, NULL), MB_OK);
    /* vLLM's available // page_size // num_layers, by hand */
    int64_t avail[3] = {10 * GiB + 12345, 9 * GiB + 2 * MiB - 1, 11 * GiB};
    int64_t blocks;
    int rank;
    assert_int_equal(mb_kv_spec_num_blocks(&s, avail, 3, &blocks, &rank), MB_OK);
    assert_int_equal(blocks, (9 * GiB + 2 * MiB - 1) / 65536 / 32); /* the minimum: rank 1 */
    assert_int_equal(blocks, 4608);
    assert_int_equal(rank, 1);
    assert_int_equal(mb_kv_spec_num_blocks(&s, avail, 1, &blocks, NULL), MB_OK);
    assert_int_equal(blocks, 5120);
    int64_t neg = -GiB;
    assert_int_equal(mb_kv_spec_num_blocks(&s, &neg, 1, &blocks, NULL), MB_OK);
    assert_int_equal(blocks, 0); /* max(num_blocks, 0) */
    assert_int_equal(mb_kv_spec_num_blocks(&s, avail, 0, &blocks, NULL), MB_EINVAL);

    double c;
    assert_int_equal(mb_kv_spec_max_concurrency(&s, 5120, 131072, &c), MB_OK);
    assert_true(c == 5120.0 / 8192.0);
    assert_int_equal(mb_kv_spec_max_concurrency(&s, 5120, 100, &c), MB_OK);
    assert_true(c == 5120.0 / 7.0); /* cdiv(100, 16) = 7 */
    assert_int_equal(mb_kv_spec_max_concurrency(&s, 5120, 0, &c), MB_EINVAL);

    /* one request of 128k tokens needs 8192 blocks = 16 GiB */
    assert_int_equal(mb_kv_spec_check(&s, 16 * GiB, 131072), MB_OK);
    assert_int_equal(mb_kv_spec_check(&s, 16 * GiB - 1, 131072), MB_ENOFIT);
    const char *d = mb_error_detail();
    assert_non_null(strstr(d, "max_model_len=131072"));
    assert_non_null(strstr(d, "16.0 GiB"));
    assert_non_null(strstr(d, "the longest max_model_len that fits is 131056"));
    assert_int_equal(mb_kv_spec_check(&s, 0, 16), MB_ENOFIT);
    assert_non_null(strstr(mb_error_detail(), "no memory is available"));
    assert_int_equal(mb_kv_spec_check(&s, MiB, 16), MB_ENOFIT);
    assert_non_null(strstr(mb_error_detail(), "not even one block"));
    assert_int_equal(mb_kv_spec_check(&s, GiB, 0), MB_EINVAL);
    mb_kv_spec blank;
    memset(&blank, 0, sizeof blank);
    assert_int_equal(mb_kv_spec_check(&blank, GiB, 16), MB_EINVAL);
}

/* ---- CUDA graphs ----------------------------------------------------------------------- */

static int expected_sizes(int max, int *out)
{
    int n = 0;
    for (int s = 1; s <= 4 && s <= max; s *= 2)
        out[n++] = s;
    for (int s = 8; s <= 248 && s <= max; s += 8)
        out[n++] = s;
    for (int s = 256; s <= max; s += 16)
        out[n++] = s;
    return n;
}

/* The strides up to max, and extra (an off-stride size vLLM 0.33 appends: max_num_seqs
 * or max_num_batched_tokens; 0 for none) in its place. */
static void sizes_with(const mb_cudagraph_options *o, int max, int extra)
{
    int got[600], want[600];
    int n = mb_cudagraph_capture_sizes(o, got, 600);
    int w = expected_sizes(max, want);
    if (extra) {
        int at = w;
        while (at > 0 && want[at - 1] > extra)
            at--;
        if (at == 0 || want[at - 1] != extra) {
            memmove(want + at + 1, want + at, (size_t)(w - at) * sizeof want[0]);
            want[at] = extra;
            w++;
        }
    }
    assert_int_equal(n, w);
    for (int i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

static void sizes_are(const mb_cudagraph_options *o, int max)
{
    int got[600], want[600];
    int n = mb_cudagraph_capture_sizes(o, got, 600);
    int w = expected_sizes(max, want);
    assert_int_equal(n, w);
    for (int i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

static void test_capture_sizes(void **state)
{
    (void)state;
    mb_cudagraph_options o = MB_CUDAGRAPH_OPTIONS_INIT;
    assert_int_equal(mb_cudagraph_capture_sizes(&o, NULL, 0), 3 + 31 + 17); /* 51 */
    sizes_are(&o, 512); /* min(256 x 2, 512) */
    int first[4];
    assert_int_equal(mb_cudagraph_capture_sizes(&o, first, 4), 51); /* truncated, counted */
    assert_int_equal(first[3], 8);
    o.max_num_seqs = 4;
    sizes_are(&o, 8);
    o.max_num_seqs = 1;
    sizes_are(&o, 2);
    o.max_num_seqs = 100; /* vLLM 0.33 appends the uniform decode size 100 */
    sizes_with(&o, 200, 100);
    o.max_num_seqs = 256;
    o.max_num_batched_tokens = 100; /* caps the maximum, and is captured itself */
    sizes_with(&o, 100, 100);
    o.max_num_batched_tokens = 8192;
    o.compute_capability = 100; /* data-centre Blackwell: a ceiling of 1024 */
    o.max_num_seqs = 1024;
    sizes_are(&o, 1024);
    o.compute_capability = 0;
    o.max_num_batched_tokens = 8192;
    o.max_num_seqs = 64;
    o.num_speculative_tokens = 1; /* 64 x 2 x 2 */
    sizes_are(&o, 256);
    o.num_speculative_tokens = 0;
    o.max_capture_size = 40;
    sizes_are(&o, 40);
    o.max_capture_size = 0;
    o.max_num_seqs = 0;
    assert_int_equal(mb_cudagraph_capture_sizes(&o, NULL, 0), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "max_num_seqs 0"));
}

static void test_capture_estimate(void **state)
{
    (void)state;
    mb_cudagraph_estimator e;
    mb_cudagraph_estimator_init(&e);
    int64_t est = -1;
    assert_int_equal(mb_cudagraph_estimator_compute(&e, &est), MB_OK);
    assert_int_equal(est, 0);
    assert_int_equal(mb_cudagraph_estimator_set_graphs(&e, 0, 51), MB_OK);
    assert_int_equal(mb_cudagraph_estimator_compute(&e, &est), MB_ESTATE);
    assert_non_null(strstr(mb_error_detail(), "mode 0"));
    assert_int_equal(mb_cudagraph_estimator_feed(&e, 0, 500 * MiB), MB_OK);
    assert_int_equal(mb_cudagraph_estimator_compute(&e, &est), MB_OK);
    assert_int_equal(est, 500 * MiB + 50 * MiB); /* one capture: the 1 MiB floor per graph */
    assert_int_equal(mb_cudagraph_estimator_feed(&e, 0, 20 * MiB), MB_OK);
    assert_int_equal(mb_cudagraph_estimator_feed(&e, 0, 999 * MiB), MB_OK); /* third: not used */
    assert_int_equal(mb_cudagraph_estimator_compute(&e, &est), MB_OK);
    assert_int_equal(est, 500 * MiB + 50 * 20 * MiB);
    /* a second mode shares the pool: the larger first, plus both per-graph parts */
    assert_int_equal(mb_cudagraph_estimator_set_graphs(&e, 1, 35), MB_OK);
    assert_int_equal(mb_cudagraph_estimator_feed(&e, 1, 800 * MiB), MB_OK);
    assert_int_equal(mb_cudagraph_estimator_feed(&e, 1, 512 * 1024), MB_OK); /* under the floor */
    assert_int_equal(mb_cudagraph_estimator_compute(&e, &est), MB_OK);
    assert_int_equal(est, 800 * MiB + 50 * 20 * MiB + 34 * MiB);
    /* bad feeds */
    assert_int_equal(mb_cudagraph_estimator_feed(&e, 0, -5), MB_EGREW);
    assert_int_equal(mb_cudagraph_estimator_feed(&e, 4, 5), MB_EINVAL);
    assert_int_equal(mb_cudagraph_estimator_set_graphs(&e, 0, -1), MB_EINVAL);
    /* from two snapshots around a capture */
    mb_cudagraph_estimator f;
    mb_cudagraph_estimator_init(&f);
    mb_snapshot a, b;
    assert_int_equal(mb_snapshot_what_if(80 * GiB, 70 * GiB, &a), MB_OK);
    assert_int_equal(mb_snapshot_what_if(80 * GiB, 70 * GiB - 300 * MiB, &b), MB_OK);
    assert_int_equal(mb_cudagraph_estimator_set_graphs(&f, 0, 2), MB_OK);
    assert_int_equal(mb_cudagraph_estimator_feed_snapshots(&f, 0, &a, &b), MB_OK);
    assert_int_equal(mb_cudagraph_estimator_feed_snapshots(&f, 0, &b, &a), MB_EGREW);
    snprintf(b.device, sizeof b.device, "cuda:1");
    assert_int_equal(mb_cudagraph_estimator_feed_snapshots(&f, 0, &a, &b), MB_EMISMATCH);
    assert_int_equal(mb_cudagraph_estimator_compute(&f, &est), MB_OK);
    assert_int_equal(est, 300 * MiB + MiB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_fixture_bytes_per_token),
        cmocka_unit_test(test_fixture_fields),
        cmocka_unit_test(test_model_variants),
        cmocka_unit_test(test_model_bad_input),
        cmocka_unit_test(test_model_weights),
        cmocka_unit_test(test_spec_tensor_parallel),
        cmocka_unit_test(test_blocks_and_check),
        cmocka_unit_test(test_capture_sizes),
        cmocka_unit_test(test_capture_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
