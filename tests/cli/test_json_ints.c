/* tests/cli: JSON that keeps its promises. Every byte count is an integer written exactly,
 * also above 2^53 (a double holds 2^60 + 1 as 2^60, and cJSON's number printer writes
 * values from 1e15 up in exponent form): a cgroup v1 limit of 2^60 + 1 bytes (below v1's
 * 2^62 "no limit" mark, so a real limit) must come back digit for digit. And text from a
 * file (here the cgroup path of /proc/self/cgroup, holding the byte 0xff) comes out as
 * valid UTF-8, the bad byte as U+FFFD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "testutil.h"

static void put(const char *root, const char *rel, const char *text)
{
    char p[2048];
    snprintf(p, sizeof p, "%s%s", root, rel);
    tu_write(p, text);
}

static void test_big_limit_exact(void **state)
{
    (void)state;
    char root[1024], env[1200];
    tu_fresh_dir("json-ints", root, sizeof root);
    put(root, "/proc/meminfo", "MemTotal: 1048576 kB\nMemFree: 524288 kB\n"
                               "MemAvailable: 786432 kB\n");
    put(root, "/proc/self/cgroup", "4:memory:/big\n");
    put(root, "/proc/self/mountinfo", "30 20 0:25 / /cg rw - cgroup cgroup rw,memory\n");
    put(root, "/cg/big/memory.limit_in_bytes", "1152921504606846977\n");
    put(root, "/cg/big/memory.usage_in_bytes", "4096\n");
    snprintf(env, sizeof env, "MEMBUDGET_BACKENDS=cpu MEMBUDGET_SYSROOT=%s", root);
    char *out = NULL, *err = NULL;
    int rc = tu_run_cli(env, "snapshot --json", &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(out);
    if (!strstr(out, "1152921504606846977"))
        fail_msg("the limit 1152921504606846977 is not in the JSON exactly:\n%s", out);
    assert_null(strstr(out, "e+18"));
    free(out);
    free(err);
}

/* 1 when s is valid UTF-8 (RFC 3629). */
static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        int n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
              : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (!n)
            return 0;
        for (int i = 1; i < n; i++)
            if ((s[i] & 0xc0) != 0x80)
                return 0;
        s += n;
    }
    return 1;
}

static void test_file_text_is_utf8(void **state)
{
    (void)state;
    char root[1024], env[1200];
    tu_fresh_dir("json-utf8", root, sizeof root);
    put(root, "/proc/meminfo", "MemTotal: 1048576 kB\nMemFree: 524288 kB\n"
                               "MemAvailable: 786432 kB\n");
    put(root, "/proc/self/cgroup", "4:memory:/bad\xffname\n");
    put(root, "/proc/self/mountinfo", "30 20 0:25 / /cg rw - cgroup cgroup rw,memory\n");
    put(root, "/cg/bad\xffname/memory.limit_in_bytes", "1073741824\n");
    snprintf(env, sizeof env, "MEMBUDGET_BACKENDS=cpu MEMBUDGET_SYSROOT=%s", root);
    char *out = NULL, *err = NULL;
    assert_int_equal(tu_run_cli(env, "snapshot --json", &out, &err), 0);
    assert_non_null(out);
    if (!valid_utf8((const unsigned char *)out))
        fail_msg("the JSON is not valid UTF-8:\n%s", out);
    assert_non_null(strstr(out, "/bad\xef\xbf\xbdname"));
    free(out);
    free(err);
}

/* Text a config.json holds (model_type, torch_dtype) is echoed by `plan --json`: bytes
 * that are not UTF-8 come out as U+FFFD and control characters escaped, so the document
 * parses (Python's json, the strictest reader at hand) and is valid UTF-8. */
static void test_config_text_is_utf8(void **state)
{
    (void)state;
    char dir[1024], cfg[1200], args[1400];
    tu_fresh_dir("json-config", dir, sizeof dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    tu_write(cfg, "{\"architectures\": [\"Llama\xff" "For\\u0001CausalLM\"],\n"
                  " \"model_type\": \"lla\xfe\xffma\\u0007\\n\\u001b[31m\",\n"
                  " \"torch_dtype\": \"bfloat16\", \"hidden_size\": 4096,\n"
                  " \"num_hidden_layers\": 32, \"num_attention_heads\": 32,\n"
                  " \"num_key_value_heads\": 8, \"max_position_embeddings\": 8192,\n"
                  " \"vocab_size\": 128256, \"intermediate_size\": 14336}\n");
    snprintf(args, sizeof args, "plan --model %s --total-memory 80GiB --json", cfg);
    char *out = NULL, *err = NULL;
    int rc = tu_run_cli("MEMBUDGET_BACKENDS=cpu", args, &out, &err);
    if (rc != 0 && rc != 1)
        fail_msg("plan --json exit %d: %s", rc, err);
    assert_non_null(out);
    if (!valid_utf8((const unsigned char *)out))
        fail_msg("the plan JSON is not valid UTF-8:\n%s", out);
    for (const char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
            fail_msg("a raw control character 0x%02x in the plan JSON", (unsigned char)*p);
    assert_non_null(strstr(out, "lla\xef\xbf\xbd\xef\xbf\xbdma\\u0007\\n\\u001b[31m"));
    /* and the strictest parser at hand agrees */
    char py[1600];
    snprintf(py, sizeof py, "%s/plan.json", dir);
    tu_write(py, out);
    snprintf(args, sizeof args, "python3 -c \"import json,sys; json.load(open(sys.argv[1], "
             "encoding='utf-8', errors='strict'))\" %s", py);
    assert_int_equal(system(args), 0);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_limit_exact),
        cmocka_unit_test(test_file_text_is_utf8),
        cmocka_unit_test(test_config_text_is_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
