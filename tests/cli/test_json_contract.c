/* tests/cli: the JSON promises of the README and docs/json.md, read from those files so
 * that the documents and the output cannot drift. Every device of `devices --json` has the
 * fields docs/json.md lists (and the README's), every backend and every snapshot theirs;
 * the sentinels have one form each (unknown null, unlimited "unlimited") in `devices`,
 * `snapshot`, `plan` and `kv-space --json`. On this machine and on two machine dumps
 * (hwloc's 16amd64-8n2c, and 32amd64-4s2n4c-cgroup with its memory cgroup). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "membudget.h"
#include "testutil.h"

#define DOCS MB_FIXTURES "/../../docs"
#define README MB_FIXTURES "/../../README.md"

/* The backticked names of the docs/json.md row whose first cell is `row`; count. */
static int doc_fields(const char *row, char names[][48], int max)
{
    char *doc = tu_slurp(DOCS "/json.md");
    assert_non_null(doc);
    char head[96];
    snprintf(head, sizeof head, "| %s |", row);
    const char *p = strstr(doc, head);
    if (!p)
        fail_msg("docs/json.md has no row '%s'", head);
    p += strlen(head);
    const char *eol = strchr(p, '\n');
    int n = 0;
    while (n < max && (p = strchr(p, '`')) && p < eol) {
        const char *q = strchr(p + 1, '`');
        assert_non_null(q);
        snprintf(names[n++], 48, "%.*s", (int)(q - p - 1), p + 1);
        p = q + 1;
    }
    free(doc);
    if (n < 2)
        fail_msg("docs/json.md row '%s' lists %d fields", row, n);
    return n;
}

/* The README's promise: the backticked names of "JSON output always has ..." up to
 * "for each device" (every device) and up to "(docs/json.md" (every snapshot). */
static int readme_fields(int snapshot, char names[][48], int max)
{
    char *doc = tu_slurp(README);
    assert_non_null(doc);
    const char *p = strstr(doc, "JSON output always has");
    if (!p)
        fail_msg("the README no longer says what JSON output always has");
    const char *end = snapshot ? strstr(p, "(docs/json.md") : NULL;
    if (!end)
        end = strstr(p, "for each device");
    if (!end)
        fail_msg("the README's JSON promise no longer ends with 'for each device'");
    int n = 0;
    while (n < max && (p = strchr(p, '`')) && p < end) {
        const char *q = strchr(p + 1, '`');
        snprintf(names[n++], 48, "%.*s", (int)(q - p - 1), p + 1);
        p = q + 1;
    }
    free(doc);
    return n;
}

static void has_all(const cJSON *arr, const char *what, char names[][48], int n,
                    const char *from)
{
    int objects = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        objects++;
        for (int k = 0; k < n; k++)
            if (!cJSON_HasObjectItem(o, names[k]))
                fail_msg("%s %d lacks '%s', which %s promises", what, objects, names[k], from);
    }
    if (!objects)
        fail_msg("no %s to check", what);
}

/* Sentinels: never INT64_MIN/MAX or a rounded 2^63, never "unknown"; limits are a number
 * or "unlimited", never null. */
static void sentinels(const cJSON *o, const char *where)
{
    for (; o; o = o->next) {
        if (cJSON_IsNumber(o) && (o->valuedouble >= 9.2e18 || o->valuedouble <= -9.2e18))
            fail_msg("%s: '%s' is %g, a sentinel written as a number", where,
                     o->string ? o->string : "", o->valuedouble);
        if (cJSON_IsString(o) && strcmp(o->valuestring, "unknown") == 0)
            fail_msg("%s: '%s' is \"unknown\", not null", where, o->string ? o->string : "");
        if (o->string && (strcmp(o->string, "container_limit") == 0 ||
                          strcmp(o->string, "limit") == 0) &&
            !(cJSON_IsNumber(o) || (cJSON_IsString(o) && !strcmp(o->valuestring, "unlimited"))))
            fail_msg("%s: '%s' is neither bytes nor \"unlimited\"", where, o->string);
        sentinels(o->child, where);
    }
}

static cJSON *run(const char *env, const char *args)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run_cli(env, args, &out, &err);
    if (rc != 0 && rc != 1)
        fail_msg("membudget %s: exit %d: %s", args, rc, err);
    cJSON *j = cJSON_Parse(out);
    if (!j)
        fail_msg("membudget %s: not JSON: %s", args, out);
    sentinels(j, args);
    free(out);
    free(err);
    return j;
}

static void check_machine(const char *env)
{
    char dev[20][48], be[20][48], snap[24][48], rd[8][48], rs[8][48];
    int nd = doc_fields("`devices --json` device", dev, 20);
    int nb = doc_fields("`devices --json` backend", be, 20);
    int ns = doc_fields("`snapshot --json` snapshot", snap, 24);
    int nrd = readme_fields(0, rd, 8), nrs = readme_fields(1, rs, 8);
    assert_true(nrd >= 2 && nrs >= 4);
    cJSON *d = run(env, "devices --json");
    has_all(cJSON_GetObjectItem(d, "devices"), "device", dev, nd, "docs/json.md");
    has_all(cJSON_GetObjectItem(d, "devices"), "device", rd, nrd, "the README");
    has_all(cJSON_GetObjectItem(d, "backends"), "backend", be, nb, "docs/json.md");
    cJSON_Delete(d);
    cJSON *s = run(env, "snapshot --json");
    has_all(cJSON_GetObjectItem(s, "snapshots"), "snapshot", snap, ns, "docs/json.md");
    has_all(cJSON_GetObjectItem(s, "snapshots"), "snapshot", rs, nrs, "the README");
    cJSON_Delete(s);
    char args[512];
    snprintf(args, sizeof args, "plan --model %s/models/llama-3.1-8b.config.json --json",
             MB_FIXTURES);
    cJSON_Delete(run(env, args));
}

static void test_this_machine(void **state)
{
    (void)state;
    check_machine("MEMBUDGET_BACKENDS=cpu");
}

static void test_dumps(void **state)
{
    (void)state;
    check_machine("MEMBUDGET_BACKENDS=cpu MEMBUDGET_SYSROOT=" MB_DUMPS "/16amd64-8n2c");
    check_machine("MEMBUDGET_BACKENDS=cpu MEMBUDGET_SYSROOT=" MB_DUMPS "/32amd64-4s2n4c-cgroup");
    cJSON_Delete(run("MEMBUDGET_SYSROOT=" MB_DUMPS "/16amd64-8n2c VLLM_CPU_KVCACHE_SPACE=1",
                     "kv-space --json"));
    /* a dump without a memory limit: the snapshot says "unlimited" */
    cJSON *s = run("MEMBUDGET_BACKENDS=cpu MEMBUDGET_SYSROOT=" MB_DUMPS "/16amd64-8n2c",
                   "snapshot --json");
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "snapshots"), 0);
    const cJSON *lim = cJSON_GetObjectItem(first, "container_limit");
    assert_true(cJSON_IsString(lim) && strcmp(lim->valuestring, "unlimited") == 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(first, "driver_free_memory")));
    cJSON_Delete(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_this_machine),
        cmocka_unit_test(test_dumps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
