/*
 * tests/abi/test_abi_sizes.c: every public function that takes or fills a growing struct
 * (core/abi.c) applies the size rules of docs/abi.md:
 *  - an output whose size member is unset (0) or absurd (above 64 KiB) is refused with
 *    MB_EINVAL naming its initialiser, and not one byte of it is written;
 *  - an input whose size is unset is refused the same way; one from a newer caller that
 *    sets a field this library does not know is refused with MB_ENOTSUP, and then the
 *    function's outputs are zeroed as after any failure;
 *  - the options' *_init functions write the defaults into the caller's size only, zero a
 *    newer caller's unknown tail, and refuse NULL and sizes below the first release.
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
#include "membudget/numa.h"
#include "membudget/operators.h"
#include "membudget/vllm.h"

#define DUMP MB_DUMPS "/32amd64-4s2n4c-cgroup"
#define CONFIG MB_FIXTURES "/models/llama-3.1-8b.config.json"
#define TAIL 64

static mb_context *ctx;

static int setup(void **state)
{
    (void)state;
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = DUMP;
    o.backends = "cpu";
    return mb_context_init(&ctx, &o) == MB_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mb_context_free(ctx);
    return 0;
}

static int fake_stats(void *user, mb_alloc_stats *out)
{
    (void)user;
    memset(out, 0, sizeof *out);
    return 0;
}

static void detail_has(const char *want)
{
    if (!strstr(mb_error_detail(), want))
        fail_msg("detail '%s' lacks '%s'", mb_error_detail(), want);
}

/* A caller's output struct of type T with an unset size, or one too large to be true:
 * refused with MB_EINVAL naming INIT, and the struct (0x5a-filled) left as it was. */
#define REFUSED_OUTPUT(T, INIT, call_with)                                                 \
    do {                                                                                   \
        uint32_t sizes[] = {0, 1u << 20};                                                  \
        for (int i_ = 0; i_ < 2; i_++) {                                                   \
            T out_;                                                                        \
            memset(&out_, 0x5a, sizeof out_);                                              \
            out_.size = sizes[i_];                                                         \
            T *p_ = &out_;                                                                 \
            assert_int_equal(call_with(p_), MB_EINVAL);                                    \
            detail_has(INIT);                                                              \
            unsigned char *b_ = (unsigned char *)&out_;                                    \
            for (size_t k_ = sizeof out_.size; k_ < sizeof out_; k_++)                     \
                if (b_[k_] != 0x5a)                                                        \
                    fail_msg("%s: byte %zu of a refused output was written", #T, k_);      \
        }                                                                                  \
    } while (0)

static void test_outputs_with_an_unset_size(void **state)
{
    (void)state;
    mb_cpu_kv_options kvo = MB_CPU_KV_OPTIONS_INIT;
    mb_model m = MB_MODEL_INIT;
    assert_int_equal(mb_model_load(CONFIG, &m), MB_OK);
    mb_snapshot gpu;
    assert_int_equal(mb_snapshot_what_if(80 * MB_GiB, MB_UNKNOWN, &gpu), MB_OK);
    mb_allocator alloc = {.stats = fake_stats};
    const char *json = "{\"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
                       "\"hidden_size\": 256, \"max_position_embeddings\": 128}";
#define C1(p) mb_backend_get(ctx, 0, p)
    REFUSED_OUTPUT(mb_backend_status, "MB_BACKEND_STATUS_INIT", C1);
#define C2(p) mb_device_get(ctx, 0, p)
    REFUSED_OUTPUT(mb_device_info, "MB_DEVICE_INFO_INIT", C2);
#define C3(p) mb_numa_node_get(ctx, 0, p)
    REFUSED_OUTPUT(mb_numa_node, "MB_NUMA_NODE_INIT", C3);
#define C4(p) mb_container_memory_get(ctx, p)
    REFUSED_OUTPUT(mb_container_info, "MB_CONTAINER_INFO_INIT", C4);
#define C5(p) mb_cpu_kv_space_get(ctx, &kvo, p)
    REFUSED_OUTPUT(mb_cpu_kv_space, "MB_CPU_KV_SPACE_INIT", C5);
#define C6(p) mb_model_parse(json, strlen(json), "t.json", p)
    REFUSED_OUTPUT(mb_model, "MB_MODEL_INIT", C6);
#define C7(p) mb_model_load(CONFIG, p)
    REFUSED_OUTPUT(mb_model, "MB_MODEL_INIT", C7);
#define C8(p) mb_plan_compute(&m, &gpu, NULL, p)
    REFUSED_OUTPUT(mb_plan, "MB_PLAN_INIT", C8);
#define C9(p) mb_pressure_release(ctx, 0, &alloc, NULL, p)
    REFUSED_OUTPUT(mb_pressure_result, "MB_PRESSURE_RESULT_INIT", C9);
#define C10(p) mb_psi_read(ctx, NULL, p)
    REFUSED_OUTPUT(mb_psi, "MB_PSI_INIT", C10); /* release 1.1 */
}

/* An input of type T: with size 0 it is refused (MB_EINVAL naming INIT); from a newer
 * caller with an unknown field set, MB_ENOTSUP; from a newer caller with zeros there, the
 * call works as with the struct alone. */
#define CHECK_INPUT(T, INIT_NAME, value, call_with, ok)                                    \
    do {                                                                                   \
        struct {                                                                           \
            T v;                                                                           \
            unsigned char tail[TAIL];                                                      \
        } in_;                                                                             \
        memset(&in_, 0, sizeof in_);                                                       \
        in_.v = value;                                                                     \
        in_.v.size = 0;                                                                    \
        assert_int_equal(call_with(&in_.v), MB_EINVAL);                                    \
        detail_has(INIT_NAME);                                                             \
        in_.v.size = (uint32_t)sizeof in_;                                                 \
        assert_int_equal(call_with(&in_.v), ok);                                           \
        in_.tail[TAIL - 1] = 7;                                                            \
        assert_int_equal(call_with(&in_.v), MB_ENOTSUP);                                   \
        detail_has("does not know");                                                       \
    } while (0)

static void test_inputs(void **state)
{
    (void)state;
    mb_model m = MB_MODEL_INIT;
    assert_int_equal(mb_model_load(CONFIG, &m), MB_OK);
    mb_snapshot gpu;
    assert_int_equal(mb_snapshot_what_if(80 * MB_GiB, MB_UNKNOWN, &gpu), MB_OK);
    mb_allocator alloc = {.stats = fake_stats};
    mb_kv_spec spec;
    mb_budget budget;
    mb_profile prof;
    memset(&prof, 0, sizeof prof);
    prof.before_create = gpu;
    prof.before_profile = gpu;
    prof.after_profile = gpu;
    prof.weights_memory = MB_GiB;
    assert_int_equal(mb_profile_compute(&prof), MB_OK);
    mb_context *c = NULL;

    mb_context_options co = MB_CONTEXT_OPTIONS_INIT;
    co.sysroot = DUMP;
    co.backends = "cpu";
#define I1(p) (mb_context_free(c), c = NULL, mb_context_init(&c, p))
    CHECK_INPUT(mb_context_options, "MB_CONTEXT_OPTIONS_INIT", co, I1, MB_OK);
    assert_null(c); /* the last call failed */

    mb_cpu_kv_options kvo = MB_CPU_KV_OPTIONS_INIT;
    setenv("VLLM_CPU_KVCACHE_SPACE", "1", 1);
    mb_context_free(ctx); /* the environment is read at init: a new context sees it */
    assert_int_equal(setup(NULL), 0);
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
#define I2(p) mb_cpu_kv_space_get(ctx, p, &kv)
    CHECK_INPUT(mb_cpu_kv_options, "MB_CPU_KV_OPTIONS_INIT", kvo, I2, MB_OK);
    assert_int_equal(kv.bytes, 0); /* zeroed by the refusal */
    unsetenv("VLLM_CPU_KVCACHE_SPACE");

#define I3(p) mb_kv_spec_init(&spec, p, 16, 1, NULL)
    CHECK_INPUT(mb_model, "MB_MODEL_INIT", m, I3, MB_OK);
    assert_int_equal(spec.bytes_per_token, 0);

    mb_cudagraph_options cg = MB_CUDAGRAPH_OPTIONS_INIT;
#define I4(p) mb_cudagraph_capture_sizes(p, NULL, 0)
    CHECK_INPUT(mb_cudagraph_options, "MB_CUDAGRAPH_OPTIONS_INIT", cg, I4, 51);

    mb_budget_options bo = MB_BUDGET_OPTIONS_INIT;
#define I5(p) mb_budget_compute(&prof, p, &budget)
    CHECK_INPUT(mb_budget_options, "MB_BUDGET_OPTIONS_INIT", bo, I5, MB_OK);
    assert_int_equal(budget.available_kv_cache_memory, 0);
#define I6(p) mb_budget_compute_from_non_kv(&gpu, MB_GiB, p, &budget)
    CHECK_INPUT(mb_budget_options, "MB_BUDGET_OPTIONS_INIT", bo, I6, MB_OK);
    assert_int_equal(budget.available_kv_cache_memory, 0);

    mb_plan plan = MB_PLAN_INIT;
    mb_plan_options po = MB_PLAN_OPTIONS_INIT;
#define I7(p) mb_plan_compute(&m, &gpu, p, &plan)
    CHECK_INPUT(mb_plan_options, "MB_PLAN_OPTIONS_INIT", po, I7, MB_OK);
    assert_int_equal(plan.num_blocks, 0);
    assert_int_equal(plan.size, sizeof plan); /* the size member is the caller's */
#define I8(p) mb_plan_compute(p, &gpu, NULL, &plan)
    CHECK_INPUT(mb_model, "MB_MODEL_INIT", m, I8, MB_OK);
    assert_int_equal(plan.num_blocks, 0);

    mb_pressure_options pro = MB_PRESSURE_OPTIONS_INIT;
    mb_pressure_result pr = MB_PRESSURE_RESULT_INIT;
#define I9(p) mb_pressure_release(ctx, 0, &alloc, p, &pr)
    CHECK_INPUT(mb_pressure_options, "MB_PRESSURE_OPTIONS_INIT", pro, I9, MB_OK);
    assert_string_equal(pr.reason, "");
}

/* *_init(o, size) against the initialiser: the same defaults, the caller's size only. */
#define CHECK_INIT(T, INIT, fn)                                                            \
    do {                                                                                   \
        static const T want_ = INIT; /* static: its padding is zero */                     \
        struct {                                                                           \
            T v;                                                                           \
            unsigned char tail[TAIL];                                                      \
            unsigned char guard[TAIL];                                                     \
        } o_;                                                                              \
        memset(&o_, 0x5a, sizeof o_);                                                      \
        assert_int_equal(fn(&o_.v, sizeof o_.v), MB_OK);                                   \
        assert_memory_equal(&o_.v, &want_, sizeof want_);                                  \
        assert_int_equal(o_.tail[0], 0x5a); /* nothing past the caller's size */           \
        assert_int_equal(fn(&o_.v, sizeof o_.v + TAIL), MB_OK);                            \
        assert_int_equal(o_.v.size, sizeof o_.v + TAIL);                                   \
        for (int k_ = 0; k_ < TAIL; k_++) {                                                \
            assert_int_equal(o_.tail[k_], 0); /* a newer caller's fields: defaults */      \
            assert_int_equal(o_.guard[k_], 0x5a);                                          \
        }                                                                                  \
        assert_int_equal(fn(NULL, sizeof o_.v), MB_EINVAL);                                \
        assert_int_equal(fn(&o_.v, sizeof(uint32_t)), MB_EINVAL);                          \
        detail_has("is not the size of any release");                                      \
        assert_int_equal(fn(&o_.v, (size_t)1 << 20), MB_EINVAL);                           \
    } while (0)

static void test_options_init(void **state)
{
    (void)state;
    CHECK_INIT(mb_context_options, MB_CONTEXT_OPTIONS_INIT, mb_context_options_init);
    CHECK_INIT(mb_cpu_kv_options, MB_CPU_KV_OPTIONS_INIT, mb_cpu_kv_options_init);
    CHECK_INIT(mb_cudagraph_options, MB_CUDAGRAPH_OPTIONS_INIT, mb_cudagraph_options_init);
    CHECK_INIT(mb_budget_options, MB_BUDGET_OPTIONS_INIT, mb_budget_options_init);
    CHECK_INIT(mb_plan_options, MB_PLAN_OPTIONS_INIT, mb_plan_options_init);
    CHECK_INIT(mb_pressure_options, MB_PRESSURE_OPTIONS_INIT, mb_pressure_options_init);
    CHECK_INIT(mb_pressure_watch_options, MB_PRESSURE_WATCH_OPTIONS_INIT,
               mb_pressure_watch_options_init); /* release 1.1 */
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(mb_version(), MEMBUDGET_VERSION);
    assert_string_equal(mb_version_string(), MEMBUDGET_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs_with_an_unset_size),
        cmocka_unit_test(test_inputs),
        cmocka_unit_test(test_options_init),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
