/* tests/hip/test_hip_cli.c: the membudget command with the test double as the runtime:
 * `devices` and `snapshot` show hip:0; a runtime whose first call fails is "broken" with
 * the call named while the CPU backend still serves (exit 0); an APU from a machine dump; a
 * runtime that sees no GPU while sysfs shows one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "hiptest.h"

#define FAKE_ENV                                                                            \
    "LD_LIBRARY_PATH='" FAKEHIP_DIR "' MEMBUDGET_HIP_SONAME=libamdhip64.so.6 "              \
    "MEMBUDGET_HIP_FORCE_RUNTIME=1 MEMBUDGET_BACKENDS= MEMBUDGET_SYSROOT= "

static cJSON *find_by(cJSON *arr, const char *key, const char *value)
{
    cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        cJSON *v = cJSON_GetObjectItem(o, key);
        if (cJSON_IsString(v) && strcmp(v->valuestring, value) == 0)
            return o;
    }
    return NULL;
}

static cJSON *run_json(const char *env, const char *args)
{
    char *out, *err;
    int rc = tu_run_cli(env, args, &out, &err);
    if (rc != 0)
        fail_msg("membudget %s exited %d: %s", args, rc, err);
    cJSON *root = cJSON_Parse(out);
    if (!root)
        fail_msg("membudget %s printed no JSON: %s", args, out);
    free(out);
    free(err);
    return root;
}

static double num(cJSON *o, const char *key)
{
    cJSON *v = cJSON_GetObjectItem(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("no number '%s'", key);
    return v->valuedouble;
}

static void test_devices_and_snapshot(void **state)
{
    (void)state;
    cJSON *root = run_json(FAKE_ENV "FAKEHIP_SCENARIO=discrete", "devices --json");
    cJSON *hip = find_by(cJSON_GetObjectItem(root, "backends"), "name", "hip");
    assert_non_null(hip);
    assert_string_equal(cJSON_GetObjectItem(hip, "state")->valuestring, "present");
    cJSON *d = find_by(cJSON_GetObjectItem(root, "devices"), "device", "hip:0");
    assert_non_null(d);
    assert_string_equal(cJSON_GetObjectItem(d, "ops")->valuestring, "hip");
    assert_string_equal(cJSON_GetObjectItem(d, "model")->valuestring, "AMD Instinct MI300X");
    assert_true(num(d, "total_memory") == (double)(192 * GiB));
    assert_non_null(find_by(cJSON_GetObjectItem(root, "devices"), "device", "cpu:0"));
    cJSON_Delete(root);

    root = run_json(FAKE_ENV "FAKEHIP_SCENARIO=discrete", "snapshot --device hip:0 --json");
    cJSON *s = find_by(cJSON_GetObjectItem(root, "snapshots"), "device", "hip:0");
    assert_non_null(s);
    assert_true(num(s, "total_memory") == (double)(192 * GiB));
    assert_true(num(s, "free_memory") == (double)(192 * GiB));
    assert_string_equal(cJSON_GetObjectItem(s, "source")->valuestring, "hip");
    assert_non_null(strstr(cJSON_GetObjectItem(s, "repr")->valuestring, "rocm_memory=0.0GiB"));
    cJSON_Delete(root);
}

static void test_failing_runtime_is_broken(void **state)
{
    (void)state;
    char *out, *err;
    int rc = tu_run_cli(FAKE_ENV "FAKEHIP_SCENARIO=discrete FAKEHIP_FAIL_AT=1", "devices", &out,
                        &err);
    if (rc != 0)
        fail_msg("membudget devices exited %d: %s", rc, err);
    assert_non_null(strstr(out, "hip    broken    hipInit failed in libamdhip64.so.6: "
                                "hipErrorUnknown (999)"));
    assert_non_null(strstr(out, "cpu    present"));
    assert_null(strstr(out, "hip:0"));
    free(out);
    free(err);
}

static void test_apu_dump(void **state)
{
    (void)state;
    char root[4096], env[8192];
    tu_fresh_dir("hip_cli_apu", root, sizeof root);
    ht_card(root, 0, "drm_apu_lowcarveout", "0000:c5:00.0");
    ht_card_mem(root, 0, "gtt_total", 96 * GiB);
    ht_meminfo(root, 128 * GiB, 30 * GiB);
    snprintf(env, sizeof env, FAKE_ENV "FAKEHIP_SCENARIO=apu MEMBUDGET_BACKENDS=hip "
                                       "MEMBUDGET_SYSROOT='%s'", root);
    cJSON *j = run_json(env, "snapshot --json");
    cJSON *s = find_by(cJSON_GetObjectItem(j, "snapshots"), "device", "hip:0");
    assert_non_null(s);
    assert_string_equal(cJSON_GetObjectItem(s, "source")->valuestring, "uma-host-available");
    assert_true(num(s, "free_memory") == (double)(30 * GiB));
    assert_true(num(s, "driver_free_memory") == (double)(96 * GiB));
    cJSON_Delete(j);
    j = run_json(env, "devices --json");
    cJSON *d = find_by(cJSON_GetObjectItem(j, "devices"), "device", "hip:0");
    assert_non_null(d);
    assert_string_equal(cJSON_GetObjectItem(d, "ops")->valuestring, "hip-apu");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "integrated")));
    cJSON_Delete(j);
}

/* sysfs shows a board, the runtime sees none (as Debian's does without /dev/kfd access):
 * absent, and the reason names both sides and the likely cause. */
static void test_runtime_sees_no_gpu(void **state)
{
    (void)state;
    char root[4096], env[8192];
    tu_fresh_dir("hip_cli_nodevice", root, sizeof root);
    ht_card(root, 0, "drm_dgpu", "0000:03:00.0");
    ht_meminfo(root, 64 * GiB, 32 * GiB);
    snprintf(env, sizeof env, FAKE_ENV "FAKEHIP_SCENARIO=nodevice MEMBUDGET_BACKENDS=hip,cpu "
                                       "MEMBUDGET_SYSROOT='%s'", root);
    char *out, *err;
    int rc = tu_run_cli(env, "devices", &out, &err);
    if (rc != 0)
        fail_msg("membudget devices exited %d: %s", rc, err);
    assert_non_null(strstr(out, "hip    absent    libamdhip64.so.6 sees no AMD GPU: hipInit "
                                "answered hipErrorInvalidDevice (101)"));
    assert_non_null(strstr(out, "sysfs shows card0 (0000:03:00.0)"));
    assert_non_null(strstr(out, "/dev/kfd readable"));
    assert_non_null(strstr(out, "cpu    present"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devices_and_snapshot),
        cmocka_unit_test(test_failing_runtime_is_broken),
        cmocka_unit_test(test_apu_dump),
        cmocka_unit_test(test_runtime_sees_no_gpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
