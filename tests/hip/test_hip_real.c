/* tests/hip/test_hip_real.c: Debian's real HIP runtime (libamdhip64.so.5, installed with
 * libamdhip64-dev by ci/setup.sh) on this machine, which has no AMD GPU. No test double is
 * on LD_LIBRARY_PATH here.
 *  - By default the sysfs pre-check finds no AMD GPU: hip is absent with that reason, the
 *    runtime is never loaded, and the CPU backend serves (`membudget devices` exits 0).
 *  - Forced past the pre-check, the real runtime is loaded; its hipInit answers
 *    hipErrorInvalidDevice and its device count is 0 (hipErrorNoDevice): absent, with both
 *    answers in the reason. A missing runtime fails this test (it says "not installed"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "hiptest.h"

static cJSON *hip_entry(cJSON *root)
{
    cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(root, "backends"))
    {
        cJSON *n = cJSON_GetObjectItem(b, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, "hip") == 0)
            return b;
    }
    return NULL;
}

static const char *jstr(cJSON *o, const char *key)
{
    cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void test_cli_default(void **state)
{
    (void)state;
    char *out, *err;
    int rc = tu_run_cli("MEMBUDGET_HIP_FORCE_RUNTIME= MEMBUDGET_BACKENDS=", "devices", &out,
                        &err);
    if (rc != 0)
        fail_msg("membudget devices exited %d: %s", rc, err);
    assert_non_null(strstr(out, "hip    absent"));
    assert_non_null(strstr(out, "the HIP runtime was not loaded"));
    assert_non_null(strstr(out, "cpu    present"));
    assert_non_null(strstr(out, "cpu:0"));
    free(out);
    free(err);
}

static void test_cli_forced(void **state)
{
    (void)state;
    char *out, *err;
    int rc = tu_run_cli("MEMBUDGET_HIP_FORCE_RUNTIME=1 MEMBUDGET_BACKENDS=", "devices --json",
                        &out, &err);
    if (rc != 0)
        fail_msg("membudget devices --json exited %d: %s", rc, err);
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    cJSON *hip = hip_entry(root);
    assert_non_null(hip);
    assert_string_equal(jstr(hip, "state"), "absent");
    const char *reason = jstr(hip, "reason");
    if (!strstr(reason, "libamdhip64.so.5") || !strstr(reason, "hipErrorInvalidDevice (101)"))
        fail_msg("want Debian's runtime's own answer in the reason, got: %s", reason);
    assert_non_null(strstr(reason, "count of 0"));
    cJSON *d;
    int cpu = 0;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(root, "devices"))
    {
        cpu += strcmp(jstr(d, "backend"), "cpu") == 0;
        assert_string_not_equal(jstr(d, "backend"), "hip");
    }
    assert_true(cpu >= 1);
    cJSON_Delete(root);
    free(out);
    free(err);
}

/* In process: the pre-check keeps the runtime out of the process... */
static void test_precheck_does_not_load(void **state)
{
    (void)state;
    unsetenv("MEMBUDGET_HIP_FORCE_RUNTIME");
    mb_context *ctx = ht_ctx(NULL, "hip,cpu");
    mb_backend_status st = ht_backend(ctx, "hip");
    assert_int_equal(st.state, MB_BACKEND_ABSENT);
    assert_non_null(strstr(st.reason, "the HIP runtime was not loaded"));
    assert_null(dlopen("libamdhip64.so.5", RTLD_NOW | RTLD_NOLOAD));
    mb_context_free(ctx);
}

/* ...and forced, the runtime's real failure is "absent", not "broken". */
static void test_forced_real_runtime(void **state)
{
    (void)state;
    setenv("MEMBUDGET_HIP_FORCE_RUNTIME", "1", 1);
    mb_context *ctx = ht_ctx(NULL, "hip,cpu");
    mb_backend_status st = ht_backend(ctx, "hip");
    if (st.state != MB_BACKEND_ABSENT)
        fail_msg("hip is %s: %s", mb_backend_state_name(st.state), st.reason);
    if (strstr(st.reason, "not installed"))
        fail_msg("Debian's HIP runtime is missing (run ci/setup.sh, which installs "
                 "libamdhip64-dev): %s", st.reason);
    assert_non_null(strstr(st.reason, "libamdhip64.so.5 sees no AMD GPU"));
    assert_non_null(strstr(st.reason, "hipInit answered hipErrorInvalidDevice (101)"));
    assert_non_null(strstr(st.reason, "hipGetDeviceCount hipErrorNoDevice (100)"));
    assert_non_null(dlopen("libamdhip64.so.5", RTLD_NOW | RTLD_NOLOAD)); /* it was loaded */
    assert_int_equal(ht_backend(ctx, "cpu").state, MB_BACKEND_PRESENT);
    assert_true(mb_device_count(ctx) >= 1);
    assert_int_equal(ht_find(ctx, "hip:0"), -1);
    mb_context_free(ctx);
    /* a second context in the same process: the same answer (the handle is reused) */
    ctx = ht_ctx(NULL, "hip,cpu");
    assert_int_equal(ht_backend(ctx, "hip").state, MB_BACKEND_ABSENT);
    mb_context_free(ctx);
    unsetenv("MEMBUDGET_HIP_FORCE_RUNTIME");
}

int main(void)
{
    unsetenv("MEMBUDGET_HIP_SONAME");
    unsetenv("MEMBUDGET_SYSROOT");
    unsetenv("MEMBUDGET_BACKENDS");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_default),
        cmocka_unit_test(test_cli_forced),
        cmocka_unit_test(test_precheck_does_not_load),
        cmocka_unit_test(test_forced_real_runtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
