/*
 * tests/kv/test_cpu_golden.c: membudget's CPU KV-cache size against vLLM 0.33.0's CPU worker
 * (golden/cpu_plan_cases.json, written by gen_cpu_goldens.py, run by hand): each case's
 * node meminfo through membudget's parser, the container clamp and the size rule
 * (core/cpu_kv.c) give vLLM's node total, available memory and KV-cache bytes exactly, or
 * refuse with vLLM's own words; and the CPU plan's default block size is vLLM's.
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
#include "core/cpu_kv.h"
#include "core/internal.h"
#include "membudget.h"
#include "testutil.h"

static cJSON *load(void)
{
    char *b = tu_slurp(MB_SOURCE_DIR "/tests/kv/golden/cpu_plan_cases.json");
    assert_non_null(b);
    cJSON *doc = cJSON_Parse(b);
    free(b);
    assert_non_null(doc);
    assert_string_equal(tu_json_str(doc, "vllm_version"), "0.33.0");
    return doc;
}

static int64_t num_or(const cJSON *o, const char *k, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

static void test_cases(void **state)
{
    (void)state;
    cJSON *doc = load();
    const cJSON *c;
    int n = 0, refusals = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases"))
    {
        const char *name = tu_json_str(c, "name");
        int64_t free_b, total;
        assert_int_equal(mb__node_meminfo_parse(tu_json_str(c, "meminfo"), "node0/meminfo",
                                                &free_b, &total), MB_OK);
        const cJSON *env = cJSON_GetObjectItem(c, "VLLM_CPU_KVCACHE_SPACE");
        int64_t flag = num_or(c, "kv_cache_memory_bytes", 0), env_bytes = 0;
        char from[96] = "";
        mb__cpu_kv_in in = {
            .node = 0,
            .total = total,
            .available = free_b,
            .cg_limit = num_or(c, "cgroup_limit", MB_UNLIMITED),
            .cg_usage = num_or(c, "cgroup_usage", 0),
            .utilization = tu_json_num(c, "utilization"),
            .rss = num_or(c, "rss", 0),
            .bound = "",
        };
        /* vLLM's order: the variable over the flag */
        if (cJSON_IsString(env)) {
            assert_int_equal(mb__kv_parse_space(env->valuestring, &env_bytes), MB_OK);
            snprintf(from, sizeof from, "VLLM_CPU_KVCACHE_SPACE=%s", env->valuestring);
            in.explicit_bytes = env_bytes;
            in.explicit_name = "VLLM_CPU_KVCACHE_SPACE";
        } else if (flag > 0) {
            snprintf(from, sizeof from, "--kv-cache-memory-bytes %lld", (long long)flag);
            in.explicit_bytes = flag;
            in.explicit_name = "--kv-cache-memory-bytes";
        }
        in.explicit_from = from;
        mb_cpu_kv_space r = MB_CPU_KV_SPACE_INIT;
        int rc = mb__cpu_kv_size(&in, &r);
        if (r.node_total != num_or(c, "node_total", -1) ||
            r.node_available != num_or(c, "node_available", -1))
            fail_msg("%s: node %lld/%lld, vLLM %lld/%lld", name, (long long)r.node_available,
                     (long long)r.node_total, (long long)num_or(c, "node_available", -1),
                     (long long)num_or(c, "node_total", -1));
        const cJSON *err = cJSON_GetObjectItem(c, "error");
        if (err) {
            /* vLLM's message, less its final full stop, then what membudget adds */
            size_t len = strlen(err->valuestring);
            if (len && err->valuestring[len - 1] == '.')
                len--;
            if (rc != MB_ENOFIT || strncmp(mb_error_detail(), err->valuestring, len) != 0)
                fail_msg("%s: vLLM refuses with '%s'; membudget %d '%s'", name,
                         err->valuestring, rc, rc ? mb_error_detail() : "");
            if (in.explicit_bytes > 0) {
                /* membudget's advice in the unit of what was given: GiB for the
                 * variable, bytes for the flag */
                char most[96];
                int gib = strcmp(in.explicit_name, "VLLM_CPU_KVCACHE_SPACE") == 0;
                snprintf(most, sizeof most, "to at most %lld%s",
                         gib ? (long long)(r.node_available >> 30) : (long long)r.node_available,
                         gib ? " GiB" : " bytes");
                if (!strstr(mb_error_detail(), most))
                    fail_msg("%s: '%s' lacks '%s'", name, mb_error_detail(), most);
            }
            refusals++;
        } else {
            if (rc != MB_OK)
                fail_msg("%s: membudget refused: %s", name, mb_error_detail());
            assert_int_equal(r.bytes, num_or(c, "kv_cache_bytes", -1));
        }
        n++;
    }
    fprintf(stderr, "%d CPU cases (%d refusals) agree with vLLM 0.33.0\n", n, refusals);
    assert_true(n >= 14);
    assert_true(refusals >= 5);
    cJSON_Delete(doc);
}

static void test_block_size(void **state)
{
    (void)state;
    cJSON *doc = load();
    const cJSON *bs = cJSON_GetObjectItem(doc, "block_size");
    const mb__attn_backend *cpu = mb__attn_backend_find("CPU_ATTN");
    assert_non_null(cpu);
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(bs, "accepts"))
        assert_int_equal(mb__attn_backend_supports_block(cpu, atoi(a->string)), cJSON_IsTrue(a));
    /* the plan on this machine's CPU device takes vLLM's default */
    char args[512], *out, *err;
    snprintf(args, sizeof args, "plan --model %s/models/llama-3.1-8b.config.json --device cpu:0 "
             "--max-model-len 1024 --kv-cache-memory-bytes 1GiB --json", MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 0);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_int_equal((int)tu_json_num(j, "block_size"), (int)tu_json_num(bs, "default"));
    assert_string_equal(tu_json_str(j, "attention_backend"), "CPU_ATTN");
    assert_int_equal((int64_t)tu_json_num(j, "cudagraph_memory"), 0);
    cJSON_Delete(j);
    free(out);
    free(err);
    /* a block size CPU_ATTN refuses */
    snprintf(args, sizeof args, "plan --model %s/models/llama-3.1-8b.config.json --device cpu:0 "
             "--max-model-len 1024 --kv-cache-memory-bytes 1GiB --block-size 16", MB_FIXTURES);
    assert_int_not_equal(tu_run_cli(NULL, args, &out, &err), 0);
    assert_non_null(strstr(err, "No valid attention backend found for cpu"));
    assert_non_null(strstr(err, "CPU_ATTN: [block_size not supported] (accepts multiples of 32)"));
    free(out);
    free(err);
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cases),
                                       cmocka_unit_test(test_block_size)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
