/* tests/cluster/test_merge.c: `membudget merge` of `snapshot --json` outputs of made-up
 * nodes (tests/fixtures/cluster): the document's ranks and totals against the inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "testutil.h"

#define NODES MB_FIXTURES "/cluster"

static char work[1024];

/* Saves `snapshot --json` of node into work/<node>.json and returns its parsed form. */
static cJSON *snapshot_of(const char *node)
{
    char env[2048], *out, *err, path[2048];
    snprintf(env, sizeof env, "MEMBUDGET_SYSROOT=%s/%s MEMBUDGET_BACKENDS=cpu", NODES, node);
    int rc = tu_run_cli(env, "snapshot --json", &out, &err);
    if (rc != 0)
        fail_msg("snapshot of %s: exit %d: %s", node, rc, err);
    snprintf(path, sizeof path, "%s/%s.json", work, node);
    tu_write(path, out);
    cJSON *doc = cJSON_Parse(out);
    free(out);
    free(err);
    assert_non_null(doc);
    return doc;
}

static const cJSON *first_snapshot(const cJSON *doc)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "snapshots"), 0);
}

static void test_merge_files(void **state)
{
    (void)state;
    const char *nodes[3] = {"node-a", "node-b", "node-d"};
    cJSON *in[3];
    double total = 0, min_free = 1e300;
    int min_rank = -1;
    for (int i = 0; i < 3; i++) {
        in[i] = snapshot_of(nodes[i]);
        const cJSON *s = first_snapshot(in[i]);
        total += tu_json_num(s, "total_memory");
        if (tu_json_num(s, "free_memory") < min_free) {
            min_free = tu_json_num(s, "free_memory");
            min_rank = i;
        }
    }
    char args[4096], *out, *err;
    snprintf(args, sizeof args, "merge --json %s/node-a.json %s/node-b.json %s/node-d.json",
             work, work, work);
    assert_int_equal(tu_run_cli("", args, &out, &err), 0);
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_int_equal((int)tu_json_num(doc, "world_size"), 3);
    const cJSON *ranks = cJSON_GetObjectItemCaseSensitive(doc, "ranks");
    assert_int_equal(cJSON_GetArraySize(ranks), 3);
    for (int i = 0; i < 3; i++) {
        const cJSON *r = cJSON_GetArrayItem(ranks, i);
        assert_int_equal((int)tu_json_num(r, "rank"), i);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "host")->valuestring, nodes[i]);
        const cJSON *s = first_snapshot(in[i]);
        assert_true(tu_json_num(r, "free_memory") == tu_json_num(s, "free_memory"));
        assert_true(tu_json_num(r, "total_memory") == tu_json_num(s, "total_memory"));
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
                                                                      "limited_by_container")),
                         i == 2);
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "totals");
    assert_int_equal((int)tu_json_num(t, "hosts"), 3);
    assert_int_equal((int)tu_json_num(t, "devices"), 3);
    assert_true(tu_json_num(t, "total_memory") == total);
    assert_true(tu_json_num(t, "min_free_memory") == min_free);
    assert_int_equal((int)tu_json_num(t, "min_free_rank"), min_rank);
    assert_int_equal(min_rank, 2); /* node-d's container */
    assert_null(cJSON_GetObjectItemCaseSensitive(doc, "num_blocks")); /* no plan: no blocks */
    free(out);
    free(err);

    /* standard input, two documents one after the other, and a cluster document again */
    snprintf(args, sizeof args, "merge --json < /dev/null; cat %s/node-a.json %s/node-b.json "
             "| '%s' merge --json > %s/ab.json && '%s' merge --json %s/ab.json %s/node-d.json",
             work, work, MB_CLI, work, MB_CLI, work, work);
    assert_int_equal(tu_run_cli("", args, &out, &err), 0);
    cJSON *again = cJSON_Parse(out);
    assert_non_null(again);
    const cJSON *t2 = cJSON_GetObjectItemCaseSensitive(again, "totals");
    assert_true(tu_json_num(t2, "total_memory") == total);
    assert_int_equal((int)tu_json_num(t2, "min_free_rank"), 2);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(again, "ranks"),
                                               1),
                            "host")->valuestring,
                        "node-b");
    cJSON_Delete(again);
    free(out);
    free(err);

    /* text */
    snprintf(args, sizeof args, "merge %s/node-a.json %s/node-b.json", work, work);
    assert_int_equal(tu_run_cli("", args, &out, &err), 0);
    assert_non_null(strstr(out, "totals    2 ranks, 2 hosts, 2 devices: total 80.00 GiB"));
    free(out);
    free(err);
    cJSON_Delete(doc);
    for (int i = 0; i < 3; i++)
        cJSON_Delete(in[i]);
}

static void test_merge_refusals(void **state)
{
    (void)state;
    char path[2048], args[4096], *out, *err;
    snprintf(path, sizeof path, "%s/garbage.json", work);
    tu_write(path, "{\"snapshots\": [ {\"device\": \"cpu:0\"");
    snprintf(args, sizeof args, "merge %s", path);
    assert_int_equal(tu_run_cli("", args, &out, &err), 1);
    assert_non_null(strstr(err, "garbage.json: document 0 is not JSON"));
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/other.json", work);
    tu_write(path, "{\"devices\": []}\n");
    snprintf(args, sizeof args, "merge %s", path);
    assert_int_equal(tu_run_cli("", args, &out, &err), 1);
    assert_non_null(strstr(err, "other.json, document 0: neither `membudget snapshot --json`"));
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/nofree.json", work);
    tu_write(path, "{\"snapshots\": [{\"device\": \"cpu:0\", \"total_memory\": 1}]}\n");
    snprintf(args, sizeof args, "merge %s", path);
    assert_int_equal(tu_run_cli("", args, &out, &err), 1);
    assert_non_null(strstr(err, "\"free_memory\" is missing"));
    free(out);
    free(err);
    assert_int_equal(tu_run_cli("", "merge /no/such/file.json", &out, &err), 1);
    assert_non_null(strstr(err, "/no/such/file.json: cannot open it: No such file or directory"));
    free(out);
    free(err);
    /* valid documents that hold no device: the input is named, and what to give */
    snprintf(path, sizeof path, "%s/empty.json", work);
    tu_write(path, "{\"snapshots\": []}\n");
    snprintf(args, sizeof args, "merge %s", path);
    assert_int_equal(tu_run_cli("", args, &out, &err), 1);
    if (!strstr(err, "empty.json: no device in it: give `membudget snapshot --json` output"))
        fail_msg("unclear message for an input without devices: %s", err);
    free(out);
    free(err);
    snprintf(args, sizeof args, "merge %s %s", path, path);
    assert_int_equal(tu_run_cli("", args, &out, &err), 1);
    if (!strstr(err, "merge: no device in any of the 2 inputs: give `membudget snapshot"))
        fail_msg("unclear message for inputs without devices: %s", err);
    free(out);
    free(err);
    assert_int_equal(tu_run_cli("", "merge --bogus", &out, &err), 2);
    free(out);
    free(err);
}

int main(void)
{
    tu_fresh_dir("merge", work, sizeof work);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_files),
        cmocka_unit_test(test_merge_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
