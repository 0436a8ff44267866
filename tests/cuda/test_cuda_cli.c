/*
 * tests/cuda/test_cuda_cli.c: the membudget command against the test doubles, end to end
 * (a process per run, with the environment a user would set): `snapshot --json` shows the
 * discrete device's total and free exactly and the UMA device's free equal to the DGX
 * Spark dump's MemAvailable; `devices` honours CUDA_VISIBLE_DEVICES and names broken or
 * absent drivers; a failing driver call is named on stderr.
 */
#include <cjson/cJSON.h>

#include "cuda_test.h"
#include "testutil.h"

#define CUDA_ONLY "LD_LIBRARY_PATH=" FAKE_DIR "/cuda "
#define WITH_NVML "LD_LIBRARY_PATH=" FAKE_DIR "/cuda:" FAKE_DIR "/nvml "

/* Runs the CLI, expects exit status want, returns stdout parsed as JSON. */
static cJSON *run_json(const char *env, const char *args, int want)
{
    char *out, *err;
    int rc = tu_run_cli(env, args, &out, &err);
    if (rc != want)
        fail_msg("membudget %s (env %s): exit %d, want %d; stderr: %s", args, env, rc, want,
                 err);
    cJSON *j = cJSON_Parse(out);
    if (!j)
        fail_msg("membudget %s: not JSON: %s", args, out);
    free(out);
    free(err);
    return j;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("no number '%s'", key);
    return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("no string '%s'", key);
    return v->valuestring;
}

/* The snapshot of device name in a `snapshot --json` document. */
static const cJSON *snap_of(const cJSON *doc, const char *name)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "snapshots"))
    {
        if (strcmp(str(s, "device"), name) == 0)
            return s;
    }
    fail_msg("no snapshot of %s", name);
    return NULL;
}

static void test_discrete_exact(void **state)
{
    (void)state;
    /* through NVML: no context, so nothing but the device's own use */
    cJSON *j = run_json(WITH_NVML "MB_FAKE_CUDA=discrete80", "snapshot --json", 0);
    const cJSON *s = snap_of(j, "cuda:0");
    assert_true((int64_t)num(s, "total_memory") == FAKE_D80_TOTAL);
    assert_true((int64_t)num(s, "free_memory") == FAKE_D80_TOTAL - FAKE_D80_BASE_USED);
    assert_string_equal(str(s, "source"), "nvml");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s, "driver_free_memory")));
    snap_of(j, "cpu:0"); /* the CPU is measured too */
    cJSON_Delete(j);

    /* without NVML the primary context answers, and its own memory shows */
    j = run_json(CUDA_ONLY "MB_FAKE_CUDA=discrete80", "snapshot --json --device cuda:0", 0);
    s = snap_of(j, "cuda:0");
    assert_true((int64_t)num(s, "total_memory") == FAKE_D80_TOTAL);
    assert_true((int64_t)num(s, "free_memory") ==
                FAKE_D80_TOTAL - FAKE_D80_BASE_USED - FAKE_CTX_OVERHEAD);
    assert_string_equal(str(s, "source"), "cuda-primary-context");
    cJSON_Delete(j);
}

static void test_uma_dgx_spark(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/nvidia-dgx-gb10/proc/meminfo", MB_DUMPS);
    char *mi = tu_slurp(path);
    assert_non_null(mi);
    int64_t avail = tu_meminfo(mi, "MemAvailable"), mfree = tu_meminfo(mi, "MemFree"),
            total = tu_meminfo(mi, "MemTotal");
    free(mi);
    assert_true(avail == 121737812LL * 1024);
    cJSON *j = run_json(WITH_NVML "MB_FAKE_CUDA=uma MEMBUDGET_CUDA_FORCE_DRIVER=1 MEMBUDGET_SYSROOT=" MB_DUMPS
                                  "/nvidia-dgx-gb10",
                        "snapshot --json --device cuda:0", 0);
    const cJSON *s = snap_of(j, "cuda:0");
    assert_true((int64_t)num(s, "free_memory") == avail);
    assert_true((int64_t)num(s, "total_memory") == total);
    /* no context is current and NVML has no figure for GB10: unknown, not a context made
     * just to ask */
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s, "driver_free_memory")));
    (void)mfree;
    assert_string_equal(str(s, "source"), "uma-host-available");
    cJSON_Delete(j);

    j = run_json(WITH_NVML "MB_FAKE_CUDA=uma MEMBUDGET_CUDA_FORCE_DRIVER=1 MEMBUDGET_SYSROOT=" MB_DUMPS "/nvidia-dgx-gb10",
                 "devices --json", 0);
    const cJSON *d, *found = NULL;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(j, "devices"))
    {
        if (strcmp(str(d, "device"), "cuda:0") == 0)
            found = d;
    }
    assert_non_null(found);
    assert_string_equal(str(found, "ops"), "cuda-uma");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(found, "integrated")));
    cJSON_Delete(j);
}

static void test_visible_devices(void **state)
{
    (void)state;
    cJSON *j = run_json(WITH_NVML "MB_FAKE_CUDA=two CUDA_VISIBLE_DEVICES=1", "devices --json", 0);
    int ncuda = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(j, "devices"))
    {
        if (strcmp(str(d, "backend"), "cuda") != 0)
            continue;
        ncuda++;
        assert_string_equal(str(d, "device"), "cuda:0");
        assert_string_equal(str(d, "uuid"), FAKE_L4_UUID);
        assert_string_equal(str(d, "model"), FAKE_L4_NAME);
    }
    assert_int_equal(ncuda, 1);
    cJSON_Delete(j);
    j = run_json(WITH_NVML "MB_FAKE_CUDA=two CUDA_VISIBLE_DEVICES=1", "snapshot --json", 0);
    const cJSON *s = snap_of(j, "cuda:0");
    assert_true((int64_t)num(s, "free_memory") == FAKE_L4_TOTAL - FAKE_L4_BASE_USED);
    cJSON_Delete(j);
}

static void test_devices_text(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run_cli(WITH_NVML "MB_FAKE_CUDA=discrete80", "devices", &out, &err), 0);
    assert_contains(out, "cuda   present");
    assert_contains(out, "cuda:0");
    assert_contains(out, FAKE_D80_NAME);
    assert_contains(out, FAKE_D80_PCI);
    free(out);
    free(err);
    assert_int_equal(tu_run_cli(CUDA_ONLY "MB_FAKE_CUDA=init:803", "devices", &out, &err), 0);
    assert_contains(out, "cuda   broken");
    assert_contains(out, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803)");
    assert_contains(out, "cpu    present");
    free(out);
    free(err);
    assert_int_equal(tu_run_cli(CUDA_ONLY "MB_FAKE_CUDA=stub", "devices", &out, &err), 0);
    assert_contains(out, "cuda   absent");
    assert_contains(out, "stub library");
    free(out);
    free(err);
}

/* A driver call that fails during the snapshot: exit 1, the call named on stderr. The
 * probe of discrete80 makes 12 calls (cuInit, cuDriverGetVersion, cuDeviceGetCount and
 * nine per device), so the 13th is the snapshot's first, cuCtxGetCurrent. */
static void test_fault_named(void **state)
{
    (void)state;
    char *out, *err;
    int rc = tu_run_cli(CUDA_ONLY "MB_FAKE_CUDA=discrete80 MB_FAKE_CUDA_FAIL_AT=13",
                        "snapshot --device cuda:0", &out, &err);
    assert_int_equal(rc, 1);
    assert_contains(err, "cuda:0: cuCtxGetCurrent failed: CUDA_ERROR_UNKNOWN (999)");
    free(out);
    free(err);
    rc = tu_run_cli(CUDA_ONLY "MB_FAKE_CUDA=discrete80 MB_FAKE_CUDA_FAIL_AT=14",
                    "snapshot --device cuda:0", &out, &err);
    assert_int_equal(rc, 1);
    assert_contains(err, "cuDevicePrimaryCtxRetain failed");
    free(out);
    free(err);
}

/* issue 14: the measured compute capability, in `devices --json` and as the plan's
 * defaults: FlashMLA's 64-token blocks for MLA with an fp8 cache on sm_90, FlashInfer-MLA's
 * 32 on sm_100, and the device's own name */
static void test_compute_capability(void **state)
{
    (void)state;
    cJSON *j = run_json(WITH_NVML "MB_FAKE_CUDA=two", "devices --json", 0);
    int seen = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(j, "devices"))
    {
        if (strcmp(str(d, "backend"), "cuda") == 0) {
            double want = strcmp(str(d, "model"), FAKE_L4_NAME) == 0 ? 8.9 : 8.0;
            assert_true(num(d, "compute_capability") > want - 0.01 &&
                        num(d, "compute_capability") < want + 0.01);
            seen++;
        } else {
            assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(d, "compute_capability")));
        }
    }
    assert_int_equal(seen, 2);
    cJSON_Delete(j);

    const char *plan = "plan --model " MB_FIXTURES "/models/deepseek-v2-lite.config.json "
                       "--device cuda:0 --kv-cache-dtype fp8 --json";
    j = run_json(WITH_NVML "MB_FAKE_CUDA=discrete80", plan, 0);
    assert_int_equal((int)num(j, "block_size"), 64);
    assert_string_equal(str(j, "attention_backend"), "FLASHMLA");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "gpu");
    assert_string_equal(str(g, "name"), FAKE_D80_NAME);
    assert_true(num(g, "compute_capability") > 8.99 && num(g, "compute_capability") < 9.01);
    assert_non_null(strstr(str(g, "source"), "measured: cuda:0"));
    cJSON_Delete(j);
    /* the same device reporting sm_100 */
    j = run_json(WITH_NVML "MB_FAKE_CUDA=discrete80 MB_FAKE_CUDA_CC=100", plan, 0);
    assert_int_equal((int)num(j, "block_size"), 32);
    assert_string_equal(str(j, "attention_backend"), "FLASHINFER_MLA");
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discrete_exact),   cmocka_unit_test(test_uma_dgx_spark),
        cmocka_unit_test(test_visible_devices),  cmocka_unit_test(test_devices_text),
        cmocka_unit_test(test_fault_named),      cmocka_unit_test(test_compute_capability),
    };
    return cmocka_run_group_tests_name("membudget CLI on the CUDA doubles", tests, NULL, NULL);
}
