/* tests/cli: the membudget command end to end, its JSON parsed back with cJSON. */
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

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_usage_and_version(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run_cli(NULL, "--version", &out, &err), 0);
    assert_string_equal(out, "membudget " MEMBUDGET_VERSION_STRING "\n");
    free(out), free(err);
    assert_int_equal(tu_run_cli(NULL, "--help", &out, &err), 0);
    assert_non_null(strstr(out, "snapshot"));
    assert_non_null(strstr(out, "MEMBUDGET_BACKENDS"));
    free(out), free(err);
    assert_int_equal(tu_run_cli(NULL, "snapshot --help", &out, &err), 0);
    assert_non_null(strstr(out, "--device NAME"));
    free(out), free(err);
    assert_int_equal(tu_run_cli(NULL, "", &out, &err), 2);
    free(out), free(err);
    assert_int_equal(tu_run_cli(NULL, "frobnicate", &out, &err), 2);
    assert_non_null(strstr(err, "unknown command 'frobnicate'"));
    free(out), free(err);
    assert_int_equal(tu_run_cli(NULL, "snapshot --bogus", &out, &err), 2);
    assert_non_null(strstr(err, "--bogus"));
    assert_int_equal(lines(err), 1);
    free(out), free(err);
    assert_int_equal(tu_run_cli(NULL, "snapshot --device", &out, &err), 2);
    free(out), free(err);
}

static void test_failures_exit_1_with_one_line(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run_cli(NULL, "snapshot --device cpu:99", &out, &err), 1);
    assert_non_null(strstr(err, "no device named 'cpu:99'"));
    assert_int_equal(lines(err), 1);
    free(out), free(err);
    assert_int_equal(tu_run_cli("MEMBUDGET_BACKENDS=cpx", "devices", &out, &err), 1);
    assert_non_null(strstr(err, "did you mean 'cpu'"));
    assert_int_equal(lines(err), 1);
    free(out), free(err);
    assert_int_equal(tu_run_cli("MEMBUDGET_SYSROOT=/no/such/dump", "snapshot", &out, &err), 1);
    assert_non_null(strstr(err, "/no/such/dump"));
    free(out), free(err);
}

static cJSON *parse(const char *out)
{
    cJSON *j = cJSON_Parse(out);
    if (!j)
        fail_msg("not JSON: %.200s", out);
    return j;
}

static void test_devices_json(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run_cli(NULL, "devices --json", &out, &err), 0);
    cJSON *j = parse(out);
    cJSON *bs = cJSON_GetObjectItem(j, "backends");
    assert_true(cJSON_IsArray(bs));
    int saw_cpu = 0;
    cJSON *b;
    cJSON_ArrayForEach(b, bs)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(b, "name"));
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(b, "state"));
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(b, "reason"));
        assert_non_null(name);
        assert_non_null(st);
        assert_non_null(why);
        assert_true(strlen(why) > 0);
        if (strcmp(name, "cpu") == 0) {
            saw_cpu = 1;
            assert_string_equal(st, "present");
        }
    }
    assert_true(saw_cpu);
    cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "devices"), 0);
    assert_non_null(d);
    cJSON *last = NULL, *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "devices")) last = it;
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(last, "device")), "cpu:0");
    assert_true(cJSON_GetObjectItem(last, "total_memory")->valuedouble > 0);
    cJSON_Delete(j);
    free(out), free(err);
}

/* The free memory of a meminfo text as the source counts it: the host's MemAvailable, or
 * a node's MemFree + Active(file) + Inactive(file) + SReclaimable (backends/cpu/cpu.c). */
static double meminfo_free(const char *text, int node)
{
    if (!node)
        return (double)tu_meminfo(text, "MemAvailable");
    return (double)(tu_meminfo(text, "MemFree") + tu_meminfo(text, "Active(file)") +
                    tu_meminfo(text, "Inactive(file)") + tu_meminfo(text, "SReclaimable"));
}

/* Done-when of the core issue: total and free of cpu:0 within 2% of the kernel's own
 * figures at the same moment: /proc/meminfo's MemTotal and MemAvailable for the host
 * device (no node files, or node0 covering under 90% of the host), node0's meminfo when
 * the device is the node (a VM's hot-plugged memory can leave node0 at 90-98% of the
 * host, so the source decides which file is the truth). */
static void test_snapshot_json_matches_proc_meminfo(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run_cli(NULL, "snapshot --device cpu:0 --json", &out, &err), 0);
    cJSON *j0 = parse(out);
    cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j0, "snapshots"), 0);
    assert_non_null(s0);
    char src0[32];
    assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItem(s0, "source")));
    snprintf(src0, sizeof src0, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(s0, "source")));
    int node = strcmp(src0, "node-meminfo") == 0;
    assert_true(node || strcmp(src0, "proc-meminfo") == 0);
    cJSON_Delete(j0);
    free(out), free(err);
    const char *file = node ? "/sys/devices/system/node/node0/meminfo" : "/proc/meminfo";
    char *before = tu_slurp(file);
    assert_int_equal(tu_run_cli(NULL, "snapshot --device cpu:0 --json", &out, &err), 0);
    char *after = tu_slurp(file);
    cJSON *j = parse(out);
    cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "snapshots"), 0);
    assert_non_null(s);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "device")), "cpu:0");
    const char *src = cJSON_GetStringValue(cJSON_GetObjectItem(s, "source"));
    assert_non_null(src);
    double total = cJSON_GetObjectItem(s, "total_memory")->valuedouble;
    double free_ = cJSON_GetObjectItem(s, "free_memory")->valuedouble;
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(s, "total_memory")));
    assert_string_equal(src, src0);
    double mt = (double)tu_meminfo(after, "MemTotal");
    double ma = (meminfo_free(before, node) + meminfo_free(after, node)) / 2;
    printf("cpu:0 source %s: total %.0f vs %s MemTotal %.0f; free %.0f vs %.0f\n", src,
           total, file, mt, free_, ma);
    assert_true(total >= 0.98 * mt && total <= 1.02 * mt);
    assert_true(free_ >= 0.98 * ma && free_ <= 1.02 * ma);
    const char *repr = cJSON_GetStringValue(cJSON_GetObjectItem(s, "repr"));
    assert_non_null(repr);
    assert_non_null(strstr(repr, "cpu_memory="));
    assert_non_null(strstr(repr, "auto_measure=True"));
    cJSON_Delete(j);
    free(out), free(err), free(before), free(after);
}

static void test_snapshot_of_a_dump(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(tu_run_cli("MEMBUDGET_SYSROOT=" MB_DUMPS "/16amd64-8n2c",
                                "snapshot --json", &out, &err),
                     0);
    cJSON *j = parse(out);
    cJSON *arr = cJSON_GetObjectItem(j, "snapshots");
    assert_int_equal(cJSON_GetArraySize(arr), 8);
    for (int i = 0; i < 8; i++) {
        cJSON *s = cJSON_GetArrayItem(arr, i);
        char name[16], path[1024];
        snprintf(name, sizeof name, "cpu:%d", i);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "device")), name);
        snprintf(path, sizeof path, "%s/16amd64-8n2c/sys/devices/system/node/node%d/meminfo",
                 MB_DUMPS, i);
        char *text = tu_slurp(path);
        assert_true(cJSON_GetObjectItem(s, "total_memory")->valuedouble ==
                    (double)tu_meminfo(text, "MemTotal"));
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "source")),
                            "node-meminfo");
        free(text);
    }
    cJSON_Delete(j);
    free(out), free(err);
    /* the text form: one line per device plus its vLLM repr */
    assert_int_equal(tu_run_cli("MEMBUDGET_SYSROOT=" MB_DUMPS "/16amd64-8n2c",
                                "snapshot --device cpu:3", &out, &err),
                     0);
    assert_non_null(strstr(out, "cpu:3"));
    assert_non_null(strstr(out, "torch_peak=0.0GiB, free_memory="));
    free(out), free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_and_version),
        cmocka_unit_test(test_failures_exit_1_with_one_line),
        cmocka_unit_test(test_devices_json),
        cmocka_unit_test(test_snapshot_json_matches_proc_meminfo),
        cmocka_unit_test(test_snapshot_of_a_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
