/*
 * tests/kv/test_cudagraph_golden.c: membudget's CUDA-graph modes, graphs and charge, and
 * the attention backends' block sizes, against vLLM 0.33.0's own functions
 * (golden/cudagraph_cases.json, written by gen_cudagraph_goldens.py, run by hand): the mode
 * vLLM resolves (or its refusal, word for word), the capture sizes after V1's rounding, each
 * mode's graphs (tokens, largest first) for model runners V1 and V2, V2's FULL-graph
 * extrapolation, and each backend's accepted block sizes and CUDA-graph support. Then the
 * same rules through `membudget plan --json`.
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

#include "core/attn_backend.h"
#include "core/cudagraph_modes.h"
#include "membudget.h"
#include "membudget/vllm.h"
#include "testutil.h"

static cJSON *load(void)
{
    FILE *f = fopen(MB_SOURCE_DIR "/tests/kv/golden/cudagraph_cases.json", "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    cJSON *doc = cJSON_Parse(b);
    free(b);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "vllm_version")->valuestring, "0.33.0");
    return doc;
}

static int geti(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_non_null(v);
    return (int)v->valuedouble;
}

/* a JSON array of ints equals n ints at got */
static int same_list(const cJSON *arr, const int *got, int n)
{
    if (cJSON_GetArraySize(arr) != n)
        return 0;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
        if ((int)e->valuedouble != got[i++])
            return 0;
    return 1;
}

static void test_modes(void **state)
{
    (void)state;
    cJSON *doc = load();
    const cJSON *c;
    int cases = 0, errors = 0, bad = 0;
    mb__cg_split *s = malloc(sizeof *s);
    assert_non_null(s);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "modes"))
    {
        mb__cg_split_in in = {
            .mode = geti(c, "mode"),
            .cg_support = geti(c, "cg_support"),
            .v1_runner = geti(c, "v1_runner"),
            .max_num_seqs = geti(c, "max_num_seqs"),
            .max_num_batched_tokens = geti(c, "max_num_batched_tokens"),
            .num_speculative_tokens = geti(c, "num_speculative_tokens"),
            .compute_capability = geti(c, "compute_capability"),
            .backend = "TEST_BACKEND",
        };
        int rc = mb__cudagraph_split(&in, s);
        char *where = cJSON_PrintUnformatted(c);
        where[160 < strlen(where) ? 160 : strlen(where)] = '\0';
        const cJSON *err = cJSON_GetObjectItem(c, "error");
        cases++;
        if (err) {
            errors++;
            if (rc >= 0 || strcmp(mb_error_detail(), err->valuestring) != 0) {
                fprintf(stderr, "%s: vLLM refuses with '%s', membudget %d '%s'\n", where,
                        err->valuestring, rc, rc < 0 ? mb_error_detail() : "");
                bad++;
            }
            free(where);
            continue;
        }
        if (rc < 0) {
            fprintf(stderr, "%s: membudget refused: %s\n", where, mb_error_detail());
            bad++;
        } else if (s->mode != geti(c, "resolved")) {
            fprintf(stderr, "%s: mode %d, vLLM %d\n", where, s->mode, geti(c, "resolved"));
            bad++;
        } else if (s->mode != MB_CUDAGRAPH_MODE_NONE &&
                   !same_list(cJSON_GetObjectItem(c, "sizes"), s->sizes, s->num_sizes)) {
            fprintf(stderr, "%s: %d capture sizes differ from vLLM's\n", where, s->num_sizes);
            bad++;
        } else if (!same_list(cJSON_GetObjectItem(c, "piecewise"), s->tokens[0], s->count[0]) ||
                   !same_list(cJSON_GetObjectItem(c, "full"), s->tokens[1], s->count[1])) {
            fprintf(stderr, "%s: graphs %d PIECEWISE / %d FULL differ from vLLM's %d / %d\n",
                    where, s->count[0], s->count[1],
                    cJSON_GetArraySize(cJSON_GetObjectItem(c, "piecewise")),
                    cJSON_GetArraySize(cJSON_GetObjectItem(c, "full")));
            bad++;
        }
        free(where);
    }
    free(s);
    fprintf(stderr, "%d mode cases (%d refusals), %d differ\n", cases, errors, bad);
    assert_true(cases >= 400);
    assert_true(errors > 0);
    assert_int_equal(bad, 0);
    cJSON_Delete(doc);
}

/* V2's _extrapolate_full_graph_memory through membudget's charge (the FULL part). */
static void test_full_extrapolation(void **state)
{
    (void)state;
    cJSON *doc = load();
    const cJSON *c;
    int n = 0;
    mb__cg_split *s = calloc(1, sizeof *s);
    assert_non_null(s);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "full_extrapolation"))
    {
        const cJSON *smp = cJSON_GetObjectItem(c, "samples");
        int64_t first[2] = {0, 0}, second[2] = {0, 0};
        if (cJSON_GetArraySize(smp) > 0)
            first[1] = (int64_t)cJSON_GetArrayItem(smp, 0)->valuedouble;
        if (cJSON_GetArraySize(smp) > 1)
            second[1] = (int64_t)cJSON_GetArrayItem(smp, 1)->valuedouble;
        s->count[0] = 0;
        s->count[1] = geti(c, "graphs");
        mb__cg_charge ch;
        assert_int_equal(mb__cudagraph_charge(s, 0, first, second, &ch), MB_OK);
        assert_int_equal(ch.part[1].bytes, (int64_t)cJSON_GetObjectItem(c, "bytes")->valuedouble);
        assert_int_equal(ch.total, ch.part[1].bytes);
        n++;
    }
    assert_true(n >= 5);
    free(s);
    cJSON_Delete(doc);
}

static void test_backends(void **state)
{
    (void)state;
    cJSON *doc = load();
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "backends"))
    {
        const char *name = cJSON_GetObjectItem(c, "backend")->valuestring;
        const mb__attn_backend *b = mb__attn_backend_find(name);
        assert_non_null(b);
        assert_int_equal(b->is_mla, cJSON_IsTrue(cJSON_GetObjectItem(c, "is_mla")));
        /* without a GPU FlashAttention's version is unknown: vLLM says UNIFORM_BATCH (FA2) */
        assert_int_equal(b->cg_support, geti(c, "cg_support"));
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItem(c, "accepts"))
        {
            int bs = atoi(a->string);
            if (mb__attn_backend_supports_block(b, bs) != cJSON_IsTrue(a))
                fail_msg("%s: block size %d: membudget %d, vLLM %d", name, bs,
                         mb__attn_backend_supports_block(b, bs), cJSON_IsTrue(a));
        }
        n++;
    }
    assert_true(n >= 8);
    cJSON_Delete(doc);
}

/* The rules through the CLI: the mode, graphs and charge of `plan --json`, a refused block
 * size, and VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0. */
static void test_cli(void **state)
{
    (void)state;
    const char *model = MB_FIXTURES "/models/llama-3.1-8b.config.json";
    char args[1024], *out = NULL, *err = NULL;
    /* an 80 GiB what-if (--gpu would bring the estimate's CUDA-graph figure): FLASH_ATTN,
     * FULL_AND_PIECEWISE, V2; 1024 seqs, speculative k = 3 */
    snprintf(args, sizeof args, "plan --model '%s' --total-memory 80GiB --json --max-num-seqs 1024 "
             "--max-num-batched-tokens 8192 --num-speculative-tokens 3", model);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(tu_json_str(j, "attention_backend"), "FLASH_ATTN");
    cJSON *m = cJSON_GetObjectItem(j, "cudagraph_modes");
    assert_string_equal(tu_json_str(m, "mode"), "FULL_AND_PIECEWISE");
    int pw = geti(cJSON_GetObjectItem(m, "piecewise"), "count");
    int full = geti(cJSON_GetObjectItem(m, "full"), "count");
    assert_true(pw > full && full > 0);
    /* the floor: V2 measures PIECEWISE in full (0 without a capture), FULL (n - 1) x 1 MiB */
    assert_int_equal((int64_t)tu_json_num(j, "cudagraph_memory"), (int64_t)(full - 1) << 20);
    cJSON_Delete(j);
    free(out);
    free(err);

    /* a block size FlashMLA refuses, named with the flag and the sizes it accepts */
    snprintf(args, sizeof args, "plan --model '%s/models/deepseek-v2-lite.config.json' --gpu "
             "H100 --kv-cache-dtype fp8 --attention-backend FLASHMLA --block-size 16",
             MB_FIXTURES);
    assert_int_not_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(err, "block_size not supported"));
    assert_non_null(strstr(err, "--block-size 16"));
    assert_non_null(strstr(err, "multiples of 64"));
    free(out);
    free(err);
    /* any block size the backend runs: 48 is a multiple of FlashAttention's 16 */
    snprintf(args, sizeof args, "plan --model '%s' --total-memory 80GiB --block-size 48 --json",
             model);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    j = cJSON_Parse(out);
    assert_non_null(j);
    assert_int_equal((int)tu_json_num(j, "block_size"), 48);
    assert_string_equal(tu_json_str(j, "attention_backend"), "FLASH_ATTN");
    cJSON_Delete(j);
    free(out);
    free(err);
    /* no backend runs block size 8 on CUDA */
    snprintf(args, sizeof args, "plan --model '%s' --gpu H100 --block-size 8", model);
    assert_int_not_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(err, "No valid attention backend found for cuda"));
    free(out);
    free(err);

    /* VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0: estimated, not charged; V1 runner */
    snprintf(args, sizeof args, "plan --model '%s' --gpu H100 --json --cudagraph-captures "
             "500MiB,20MiB", model);
    assert_int_equal(tu_run_cli("VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0 "
                                "VLLM_USE_V2_MODEL_RUNNER=0", args, &out, &err), 0);
    j = cJSON_Parse(out);
    assert_non_null(j);
    assert_int_equal((int64_t)tu_json_num(j, "cudagraph_memory"), 0);
    m = cJSON_GetObjectItem(j, "cudagraph_modes");
    assert_int_equal(geti(m, "model_runner"), 1);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(m, "charged")));
    assert_true(tu_json_num(m, "estimate") > 500.0 * (1 << 20));
    cJSON_Delete(j);
    free(out);
    free(err);
}

/* A sliding-window group's blocks per request under speculative decoding: the plan of
 * gpt-oss-20b through the CLI against vLLM's max_admission_blocks_per_request with the
 * lookahead and in-flight tokens of VllmConfig. */
static void test_speculative_sliding(void **state)
{
    (void)state;
    cJSON *doc = load();
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "speculative_sliding"))
    {
        char args[1024], method[64] = "", *out, *err;
        const cJSON *m = cJSON_GetObjectItem(c, "speculative_method");
        if (cJSON_IsString(m))
            snprintf(method, sizeof method, "--speculative-method %s", m->valuestring);
        snprintf(args, sizeof args, "plan --model '%s/models/gpt-oss-20b.config.json' "
                 "--total-memory 80GiB --json --block-size %d --max-num-seqs 16 "
                 "--max-num-batched-tokens %d --num-speculative-tokens %d %s "
                 "--num-nextn-predict-layers %d --max-model-len %d %s", MB_FIXTURES,
                 geti(c, "block_size"), geti(c, "max_num_batched_tokens"),
                 geti(c, "num_speculative_tokens"), method,
                 geti(c, "num_nextn_predict_layers"), geti(c, "max_model_len"),
                 cJSON_IsTrue(cJSON_GetObjectItem(c, "async_scheduling"))
                     ? "" : "--no-async-scheduling");
        int rc = tu_run_cli(geti(c, "v1_runner") ? "VLLM_USE_V2_MODEL_RUNNER=0" : NULL, args,
                            &out, &err);
        if (rc != 0)
            fail_msg("membudget %s: exit %d: %s", args, rc, err);
        cJSON *j = cJSON_Parse(out);
        assert_non_null(j);
        assert_int_equal((int64_t)tu_json_num(j, "max_in_flight_tokens"),
                         geti(c, "max_in_flight_tokens"));
        const cJSON *g;
        int seen = 0;
        cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "kv_cache_groups"))
        {
            if (strcmp(tu_json_str(g, "kind"), "sliding_window") != 0)
                continue;
            if ((int)tu_json_num(g, "blocks_per_request") != geti(c, "blocks_per_request"))
                fail_msg("%s: %d blocks per request, vLLM %d", args,
                         (int)tu_json_num(g, "blocks_per_request"),
                         geti(c, "blocks_per_request"));
            seen++;
        }
        assert_true(seen > 0);
        cJSON_Delete(j);
        free(out);
        free(err);
        n++;
    }
    assert_true(n >= 10);
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_modes),
                                       cmocka_unit_test(test_full_extrapolation),
                                       cmocka_unit_test(test_backends),
                                       cmocka_unit_test(test_cli),
                                       cmocka_unit_test(test_speculative_sliding)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
