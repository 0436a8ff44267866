/* tests/errors: library texts name options (struct fields, parameters), never the CLI's
 * flags (docs/errors.md); the CLI rewrites them into its flags. Each failing call below
 * (plan, KV geometry, budgets, what-if devices, named GPUs, model files, CUDA graphs, the
 * estimate) and each verdict must hold the option's name and no "--"; the CLI's own error
 * for the same input names the flag. */
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

#define GiB ((int64_t)1 << 30)

static void no_flag(const char *text, const char *name)
{
    if (strstr(text, "--"))
        fail_msg("library text names a CLI flag: '%s'", text);
    if (name && !strstr(text, name))
        fail_msg("'%s' does not name the option %s", text, name);
}

static void load(mb_model *m)
{
    char path[512];
    snprintf(path, sizeof path, "%s/models/llama-3.1-8b.config.json", MB_FIXTURES);
    assert_int_equal(mb_model_load(path, m), MB_OK);
}

static void test_details(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    load(&m);
    mb_snapshot dev;
    assert_int_equal(mb_snapshot_what_if(80 * GiB, MB_UNKNOWN, &dev), MB_OK);
    mb_plan p = MB_PLAN_INIT;
    mb_plan_options o;
    mb_plan_options_init(&o, sizeof o);
    o.max_model_len = -5;
    assert_true(mb_plan_compute(&m, &dev, &o, &p) < 0);
    no_flag(mb_error_detail(), "max_model_len");
    mb_plan_options_init(&o, sizeof o);
    o.gpu_memory_utilization = 1.5;
    assert_true(mb_plan_compute(&m, &dev, &o, &p) < 0);
    no_flag(mb_error_detail(), "gpu_memory_utilization");
    mb_plan_options_init(&o, sizeof o);
    o.weights_memory = 0;
    assert_true(mb_plan_compute(&m, &dev, &o, &p) < 0);
    no_flag(mb_error_detail(), "weights_memory");
    mb_plan_options_init(&o, sizeof o);
    o.pipeline_parallel_size = 1000;
    assert_true(mb_plan_compute(&m, &dev, &o, &p) < 0);
    no_flag(mb_error_detail(), "pipeline_parallel_size");
    mb_plan_options_init(&o, sizeof o);
    o.num_speculative_tokens = 1000;
    assert_true(mb_plan_compute(&m, &dev, &o, &p) < 0);
    no_flag(mb_error_detail(), "num_speculative_tokens");

    mb_kv_spec s;
    assert_true(mb_kv_spec_init(&s, &m, 0, 1, NULL) < 0);
    no_flag(mb_error_detail(), "block_size");
    assert_true(mb_kv_spec_init(&s, &m, 16, 3, NULL) < 0);
    no_flag(mb_error_detail(), "tensor_parallel_size");
    assert_true(mb_kv_spec_init(&s, &m, 16, 1, "fp4") < 0);
    no_flag(mb_error_detail(), "kv_cache_dtype");

    int64_t req;
    assert_true(mb_budget_requested(80 * GiB, 0, &req) < 0);
    no_flag(mb_error_detail(), "gpu_memory_utilization");
    assert_true(mb_snapshot_what_if(0, MB_UNKNOWN, &dev) < 0);
    no_flag(mb_error_detail(), "total_memory");
    assert_true(mb_snapshot_what_if(80 * GiB, 81 * GiB, &dev) < 0);
    no_flag(mb_error_detail(), "free_memory");

    mb_gpu_spec g;
    assert_true(mb_gpu_spec_find("NoSuchGPU", &g) < 0);
    no_flag(mb_error_detail(), "name");
    assert_true(mb_model_load("/nonexistent/model", &m) < 0);
    no_flag(mb_error_detail(), "path");

    mb_cudagraph_options co;
    mb_cudagraph_options_init(&co, sizeof co);
    co.max_num_seqs = -1;
    int sizes[8];
    assert_true(mb_cudagraph_capture_sizes(&co, sizes, 8) < 0);
    no_flag(mb_error_detail(), "max_num_seqs");
}

/* Verdicts are library text too: a plan that does not fit says what to change. */
static void test_verdicts(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    load(&m);
    mb_snapshot dev;
    mb_plan_options o;
    mb_plan p = MB_PLAN_INIT;
    assert_int_equal(mb_snapshot_what_if(24 * GiB, MB_UNKNOWN, &dev), MB_OK);
    mb_plan_options_init(&o, sizeof o);
    o.non_kv_memory = 16 * GiB;
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    assert_false(p.fits);
    no_flag(p.verdict, "max_model_len");
    no_flag(p.batch_rule, NULL);
    no_flag(p.block_size_rule, NULL);
    assert_int_equal(mb_snapshot_what_if(80 * GiB, 40 * GiB, &dev), MB_OK);
    mb_plan_options_init(&o, sizeof o);
    assert_int_equal(mb_plan_compute(&m, &dev, &o, &p), MB_OK);
    no_flag(p.verdict, "gpu_memory_utilization");
}

/* The CLI turns the names back into its flags. */
static void test_cli_names_flags(void **state)
{
    (void)state;
    char *out, *err, args[512];
    snprintf(args, sizeof args,
             "plan --model %s/models/llama-3.1-8b.config.json --total-memory 80GiB "
             "--block-size 12", MB_FIXTURES);
    assert_int_not_equal(tu_run_cli(NULL, args, &out, &err), 0);
    if (!strstr(err, "--block-size 12") || strstr(err, "block_size 12"))
        fail_msg("the CLI's error does not name its flag: %s", err);
    free(out);
    free(err);
    snprintf(args, sizeof args,
             "plan --model %s/models/llama-3.1-8b.config.json --total-memory 24GiB "
             "--non-kv-memory 16GiB", MB_FIXTURES);
    assert_int_equal(tu_run_cli(NULL, args, &out, &err), 1); /* does not fit */
    if (!strstr(out, "--max-model-len") || strstr(out, "max_model_len "))
        fail_msg("the CLI's verdict does not name its flags: %s", out);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_details),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_cli_names_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
