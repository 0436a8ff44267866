/*
 * tests/kv: `membudget plan` end to end, its JSON parsed back with cJSON, for every fixture
 * model on an 80 GiB what-if device and on this machine's CPU device (cpu:0); text output,
 * --help, and every kind of bad input with its exit status.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "membudget.h"
#include "testutil.h"

#define GiB MB_GiB
#define MiB MB_MiB

static const struct {
    const char *file;
    int64_t per_token; /* tests/fixtures/models/README.md */
    int64_t max_len;
} models[] = {
    {"llama-3.1-8b.config.json", 131072, 131072},
    {"qwen2.5-7b.config.json", 57344, 32768},
    {"mistral-7b-v0.3.config.json", 131072, 32768},
    {"deepseek-v2-lite.config.json", 31104, 163840},
};

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static cJSON *run_json(const char *args, int want_rc)
{
    char *out, *err;
    int rc = tu_run_cli(NULL, args, &out, &err);
    if (rc != want_rc)
        fail_msg("membudget %s: exit %d, stderr '%s'", args, rc, err);
    cJSON *j = cJSON_Parse(out);
    if (!j)
        fail_msg("membudget %s: not JSON: '%s'", args, out);
    free(out);
    free(err);
    return j;
}

static int64_t num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("key %s missing or not a number", key);
    return (int64_t)v->valuedouble;
}

static double dnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("key %s missing or not a number", key);
    return v->valuedouble;
}

static int boolean(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsBool(v))
        fail_msg("key %s missing or not a boolean", key);
    return cJSON_IsTrue(v);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("key %s missing or not a string", key);
    return v->valuestring;
}

/* What every plan must satisfy, whatever the device. */
static void consistent(const cJSON *j, int64_t per_token, int64_t max_len)
{
    int64_t block = num(j, "block_bytes");
    int64_t bs = num(j, "block_size"); /* 16 on a GPU, 128 on a CPU (vLLM 0.33's backends) */
    assert_int_equal(num(j, "bytes_per_token"), per_token);
    assert_int_equal(block, bs * per_token);
    int64_t avail = num(j, "available_kv_cache_memory");
    int64_t blocks = num(j, "num_blocks");
    assert_int_equal(blocks, avail > 0 ? avail / block : 0);
    /* vLLM's "GPU KV cache size": int(concurrency x max_model_len) */
    int64_t per_request = (max_len + bs - 1) / bs;
    assert_int_equal(num(j, "kv_cache_tokens"),
                     (int64_t)((double)blocks / (double)per_request * (double)max_len));
    assert_int_equal(num(j, "kv_cache_bytes"), blocks * block);
    assert_int_equal(num(j, "max_model_len"), max_len);
    assert_int_equal(num(j, "blocks_per_request"), per_request);
    assert_true(fabs(dnum(j, "max_concurrency") - (double)blocks / (double)per_request) <
                1e-9);
    int64_t req = num(j, "requested_memory");
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "device");
    assert_non_null(dev);
    int64_t total = num(dev, "total_memory");
    assert_int_equal(req, (int64_t)ceil((double)total * 0.92));
    if (strcmp(str(j, "non_kv_source"), "not used") != 0)
        assert_int_equal(avail, req - num(j, "non_kv_memory") - num(j, "cudagraph_memory"));
    else /* a CPU device: vLLM's CPU worker takes ceil(total x utilization) - its RSS */
        assert_true(avail > 0 && avail <= req);
    /* vLLM 0.33 holds its null block back: one request needs per_request + 1 blocks */
    assert_int_equal(boolean(j, "fits"),
                     boolean(j, "startup_ok") && blocks >= per_request + 1);
    assert_true(strlen(str(j, "verdict")) > 10);
}

static void test_what_if_80gib(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char args[512];
        snprintf(args, sizeof args, "plan --model '%s/models/%s' --total-memory 80GiB --json",
                 MB_FIXTURES, models[i].file);
        cJSON *j = run_json(args, 0);
        consistent(j, models[i].per_token, models[i].max_len);
        /* by hand: ceil(80 GiB x 0.92) = 79027398247; 50 MiB of CUDA-graph floor; no
         * non-KV figure known (the fixtures have no weights) */
        int64_t avail = 79027398247LL - 50 * MiB;
        int64_t blocks = avail / (16 * models[i].per_token);
        assert_int_equal(num(j, "requested_memory"), 79027398247LL);
        assert_int_equal(num(j, "available_kv_cache_memory"), avail);
        assert_int_equal(num(j, "num_blocks"), blocks);
        assert_int_equal(num(j, "kv_cache_tokens"), (int64_t)((double)blocks / (double)((models[i].max_len + 15) / 16) * (double)models[i].max_len));
        assert_true(boolean(j, "fits"));
        assert_string_equal(str(j, "non_kv_source"), "none");
        assert_string_equal(str(j, "cudagraph_source"), "floor");
        assert_int_equal(num(j, "num_cudagraphs"), 51);
        const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "device");
        assert_string_equal(str(dev, "device"), "what-if");
        assert_int_equal(num(dev, "total_memory"), 80 * GiB);
        cJSON_Delete(j);

        /* with a profiled non-KV figure of 16 GiB */
        snprintf(args, sizeof args, "plan --model '%s/models/%s' --total-memory 85899345920 "
                                    "--non-kv-memory 16G --json", MB_FIXTURES, models[i].file);
        j = run_json(args, 0);
        consistent(j, models[i].per_token, models[i].max_len);
        assert_int_equal(num(j, "num_blocks"),
                         (79027398247LL - 16 * GiB - 50 * MiB) / (16 * models[i].per_token));
        assert_string_equal(str(j, "non_kv_source"), "option");
        cJSON_Delete(j);
    }
}

static void test_cpu_device(void **state)
{
    (void)state;
    mb_context *ctx;
    assert_int_equal(mb_context_init(&ctx, NULL), MB_OK);
    int idx;
    assert_int_equal(mb_device_find(ctx, "cpu:0", &idx), MB_OK);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, idx, NULL, &s), MB_OK);
    mb_context_free(ctx);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char args[512];
        snprintf(args, sizeof args, "plan --model '%s/models/%s' --device cpu:0 --json",
                 MB_FIXTURES, models[i].file);
        cJSON *j = run_json(args, 0);
        consistent(j, models[i].per_token, models[i].max_len);
        const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "device");
        assert_string_equal(str(dev, "device"), "cpu:0");
        assert_int_equal(num(dev, "total_memory"), s.total_memory); /* static total */
        assert_true(num(dev, "free_memory") > 0);
        assert_non_null(strstr(str(j, "note"), "VLLM_CPU_KVCACHE_SPACE"));
        assert_non_null(strstr(str(j, "cpu_kv_space_reason"), "GiB for KV cache on node"));
        /* CpuPlatform.update_block_size_for_backend: CPU_ATTN's size from 128; MLA 16 */
        int mla = strstr(models[i].file, "deepseek") != NULL;
        assert_int_equal(num(j, "block_size"), mla ? 16 : 128);
        assert_int_equal(num(j, "cudagraph_memory"), 0);
        assert_string_equal(str(j, "non_kv_source"), "not used");
        assert_int_equal(boolean(j, "startup_ok"),
                         num(dev, "free_memory") >= num(j, "requested_memory"));
        cJSON_Delete(j);
    }
    /* text form on the CPU device, at a utilization this machine can give */
    char *out, *err;
    char args[512];
    snprintf(args, sizeof args, "plan --model '%s/models/qwen2.5-7b.config.json' --device cpu:0"
                                " --gpu-memory-utilization 0.3 --max-model-len 8k",
             MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(out, "device         cpu:0"));
    assert_non_null(strstr(out, "8000 tokens"));
    assert_non_null(strstr(out, "verdict"));
    free(out), free(err);
}

static void test_text_and_help(void **state)
{
    (void)state;
    char *out, *err;
    char args[512];
    snprintf(args, sizeof args, "plan --model=%s/models/llama-3.1-8b.config.json "
                                "--total-memory=80GiB --non-kv-memory 16GiB", MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(out, "requested      73.6 GiB"));
    assert_non_null(strstr(out, "non-KV         16.0 GiB per rank: given with --non-kv-memory"));
    assert_non_null(strstr(out, "CUDA graphs    0.05 GiB for 51 capture sizes"));
    assert_non_null(strstr(out, "KV cache       29466 blocks = 57.55 GiB per rank; vLLM's "
                                "\"GPU KV cache size\": 471456 tokens"));
    assert_non_null(strstr(out, "KV group 0     full attention, 32 layers, 65536 bytes"));
    assert_non_null(strstr(out, "not modelled   hybrids other than Qwen3-Next"));
    assert_non_null(strstr(out, "2097152 per 16-token block (2.00 MiB)"));
    assert_non_null(strstr(out, "verdict        fits"));
    assert_string_equal(err, "");
    free(out), free(err);
    /* max_model_len cannot fit even alone: the plan is printed, the verdict says what to
     * change, and the exit is 1 with one line naming the flag and its value */
    snprintf(args, sizeof args, "plan --model %s/models/llama-3.1-8b.config.json "
                                "--total-memory 24GiB --non-kv-memory 16GiB --json", MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 1);
    assert_non_null(strstr(err, "vLLM 0.33 would refuse to start on what-if: To serve at "
                                "least one request with the model's max seq len (131072)"));
    assert_non_null(strstr(err, "the estimated maximum model length is"));
    assert_int_equal(lines(err), 1);
    free(out), free(err);
    cJSON *j = run_json(args, 1);
    assert_false(boolean(j, "fits"));
    assert_non_null(strstr(str(j, "verdict"), "--max-model-len 131072"));
    assert_non_null(strstr(str(j, "verdict"), "the longest that fits is"));
    cJSON_Delete(j);
    /* --help documents the units */
    assert_int_equal(tu_run_cli(NULL, "plan --help", &out, &err), 0);
    assert_non_null(strstr(out, "--gpu-memory-utilization"));
    assert_non_null(strstr(out, "80GiB"));
    assert_non_null(strstr(out, "except 1 when vLLM would refuse to start"));
    assert_non_null(strstr(out, "decimal"));
    assert_non_null(strstr(out, "binary"));
    free(out), free(err);
    assert_int_equal(tu_run_cli(NULL, "--help", &out, &err), 0);
    assert_non_null(strstr(out, "plan"));
    free(out), free(err);
}

static void test_model_folder(void **state)
{
    (void)state;
    char dir[512], path[600], args[1024];
    tu_fresh_dir("kv-cli-model", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    tu_copy(MB_FIXTURES "/models/llama-3.1-8b.config.json", path);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    tu_write(path, "{\"metadata\": {\"total_size\": 16060522496}, \"weight_map\": {}}");
    snprintf(args, sizeof args, "plan --model '%s' --total-memory 80GiB -tp 2 --json", dir);
    cJSON *j = run_json(args, 0);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "model");
    assert_int_equal(num(m, "weights_bytes"), 16060522496LL);
    assert_string_equal(str(m, "weights_source"), "model.safetensors.index.json");
    assert_string_equal(str(j, "non_kv_source"), "weights");
    assert_int_equal(num(j, "non_kv_memory"), 16060522496LL / 2);
    assert_int_equal(num(j, "kv_heads_per_rank"), 4);
    assert_int_equal(num(j, "num_blocks"),
                     (79027398247LL - 16060522496LL / 2 - 50 * MiB) / (1 * MiB));
    cJSON_Delete(j);
}

static void usage_fails(const char *args, const char *a, const char *b)
{
    char *out, *err;
    int rc = tu_run_cli(NULL, args, &out, &err);
    if (rc != 2 || !strstr(err, a) || (b && !strstr(err, b)) || lines(err) != 1)
        fail_msg("membudget %s: exit %d, stderr '%s'", args, rc, err);
    assert_string_equal(out, "");
    free(out), free(err);
}

static void run_fails(const char *args, const char *a, const char *b)
{
    char *out, *err;
    int rc = tu_run_cli(NULL, args, &out, &err);
    if (rc != 1 || !strstr(err, a) || (b && !strstr(err, b)) || lines(err) != 1)
        fail_msg("membudget %s: exit %d, stderr '%s'", args, rc, err);
    free(out), free(err);
}

static void test_bad_input(void **state)
{
    (void)state;
    char args[1024];
    const char *llama = MB_FIXTURES "/models/llama-3.1-8b.config.json";
#define ARGS(...) (snprintf(args, sizeof args, __VA_ARGS__), args)
    usage_fails("plan --total-memory 80GiB", "--model is required", NULL);
    usage_fails(ARGS("plan --model %s --bogus", llama), "unknown option '--bogus'", NULL);
    usage_fails(ARGS("plan --model %s --gpu-memory-utilization 0", llama),
                "--gpu-memory-utilization '0'", NULL);
    usage_fails(ARGS("plan --model %s --gpu-memory-utilization 1.5", llama),
                "--gpu-memory-utilization '1.5'", "at most 1");
    usage_fails(ARGS("plan --model %s --total-memory 80GB", llama), "--total-memory",
                "'80GB' is ambiguous");
    usage_fails(ARGS("plan --model %s --total-memory 4096TiB", llama), "--total-memory",
                "1 PiB");
    usage_fails(ARGS("plan --model %s --total-memory 80GiB --free-memory 90GiB", llama),
                "--free-memory 90.0 GiB", NULL);
    usage_fails(ARGS("plan --model %s --free-memory 9GiB", llama), "--free-memory needs", NULL);
    usage_fails(ARGS("plan --model %s --device cpu:0 --total-memory 8GiB", llama), "not both",
                NULL);
    usage_fails(ARGS("plan --model %s --max-num-seqs many", llama), "--max-num-seqs 'many'",
                NULL);
    usage_fails(ARGS("plan --model %s --max-model-len 0", llama), "--max-model-len '0'", NULL);
    usage_fails(ARGS("plan --model %s --kv-cache-memory-bytes", llama), "needs a value", NULL);
    usage_fails(ARGS("plan --model %s --enforce-eager --cudagraph-memory 1GiB", llama),
                "--enforce-eager", NULL);
    /* failures: exit 1, one line naming what and the value */
    run_fails("plan --model /no/such/config.json --total-memory 80GiB", "--model",
              "/no/such/config.json");
    char dir[512], path[600];
    tu_fresh_dir("kv-cli-bad", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    tu_write(path, "{\"num_hidden_layers\": 32,");
    run_fails(ARGS("plan --model %s --total-memory 80GiB", dir), "not valid JSON", NULL);
    tu_write(path, "{\"num_hidden_layers\": 0, \"num_attention_heads\": 8}");
    run_fails(ARGS("plan --model %s --total-memory 80GiB", dir), "num_hidden_layers=0", NULL);
    run_fails(ARGS("plan --model %s --total-memory 80GiB --max-model-len 200000", llama),
              "--max-model-len 200000", "131072");
    run_fails(ARGS("plan --model %s --total-memory 80GiB --tensor-parallel-size 3", llama),
              "--tensor-parallel-size 3", NULL);
    run_fails(ARGS("plan --model %s --total-memory 80GiB --block-size 24", llama),
              "--block-size 24", NULL);
    run_fails(ARGS("plan --model %s --total-memory 80GiB --kv-cache-dtype fp4", llama),
              "--kv-cache-dtype fp4", NULL);
    run_fails(ARGS("plan --model %s --total-memory 80GiB --non-kv-memory 100GiB", llama),
              "--non-kv-memory 100.0 GiB", NULL);
    run_fails(ARGS("plan --model %s --device cpu:99", llama), "cpu:99", NULL);
#undef ARGS
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_if_80gib),  cmocka_unit_test(test_cpu_device),
        cmocka_unit_test(test_text_and_help),  cmocka_unit_test(test_model_folder),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
