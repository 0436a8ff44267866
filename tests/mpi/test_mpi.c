/* tests/mpi/test_mpi.c: one mpirun job per CTest entry (argv[1] names the scenario). Each
 * rank reads its own made-up node (tests/fixtures/cluster) through MEMBUDGET_SYSROOT; the
 * oracle for every figure is the single-node command on the same node, run without MPI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "testutil.h"

#define NODES MB_FIXTURES "/cluster"
#define MODEL MB_FIXTURES "/models/llama-3.1-8b.config.json"
#define PLAN_ARGS "--model " MODEL " --device cpu:0 --max-model-len 4096 --non-kv-memory 4GiB"

static char work[1024];

typedef struct run {
    int status; /* exit status; 128 + signal */
    double seconds;
    char *out, *err;
} run;

static void run_free(run *r)
{
    free(r->out);
    free(r->err);
}

/* Runs a shell command line with stdout and stderr caught. */
static run sh(const char *cmd)
{
    run r;
    char o[1200], e[1200], full[16384];
    snprintf(o, sizeof o, "%s/out", work);
    snprintf(e, sizeof e, "%s/err", work);
    snprintf(full, sizeof full, "( %s ) >'%s' 2>'%s' </dev/null", cmd, o, e);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int st = system(full);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    r.out = tu_slurp(o);
    r.err = tu_slurp(e);
    if (!r.out)
        r.out = strdup("");
    if (!r.err)
        r.err = strdup("");
    return r;
}

/* An mpirun command line, one rank per entry of nodes: "node-a" runs the command on that
 * node; "@quit", "@hang" / "@crash" run the quitter instead. */
static void mpirun(char *buf, size_t size, const char *wrap, const char *const *nodes, int n,
                   const char *args)
{
    size_t len = (size_t)snprintf(buf, size, "'%s' --oversubscribe", MB_MPIRUN);
    for (int i = 0; i < n; i++) {
        if (nodes[i][0] == '@')
            len += (size_t)snprintf(buf + len, size - len, "%s -np 1 '%s'%s", i ? " :" : "",
                                    MB_QUITTER, strcmp(nodes[i], "@crash") == 0  ? " --crash"
                                                : strcmp(nodes[i], "@hang") == 0 ? " --hang"
                                                                                 : "");
        else
            len += (size_t)snprintf(buf + len, size - len,
                                    "%s -np 1 -x MEMBUDGET_SYSROOT=%s/%s -x "
                                    "MEMBUDGET_BACKENDS=cpu %s '%s' %s",
                                    i ? " :" : "", NODES, nodes[i], wrap ? wrap : "", MB_CLI,
                                    args);
    }
}

/* The single-node command's JSON on node (the oracle). */
static cJSON *alone(const char *node, const char *args)
{
    char env[2048], *out, *err;
    snprintf(env, sizeof env, "MEMBUDGET_SYSROOT=%s/%s MEMBUDGET_BACKENDS=cpu", NODES, node);
    int rc = tu_run_cli(env, args, &out, &err);
    cJSON *doc = cJSON_Parse(out);
    if (!doc)
        fail_msg("%s on %s: exit %d, no JSON: %s", args, node, rc, err);
    free(out);
    free(err);
    return doc;
}

/* The one JSON document on stdout: text after it (a second rank's document) fails. */
static cJSON *doc_of(const run *r)
{
    cJSON *d = cJSON_ParseWithOpts(r->out, NULL, 1);
    if (!d)
        fail_msg("exit %d, not exactly one JSON document on stdout:\n%s\nstderr:\n%s",
                 r->status, r->out, r->err);
    return d;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void snapshot_np2(void)
{
    const char *nodes[] = {"node-a", "node-b"};
    char cmd[8192];
    mpirun(cmd, sizeof cmd, NULL, nodes, 2, "snapshot --mpi --device cpu:0 --json");
    run r = sh(cmd);
    assert_int_equal(r.status, 0);
    cJSON *d = doc_of(&r);
    assert_int_equal((int)tu_json_num(d, "world_size"), 2);
    const cJSON *ranks = cJSON_GetObjectItemCaseSensitive(d, "ranks");
    assert_int_equal(cJSON_GetArraySize(ranks), 2);
    double total = 0;
    for (int i = 0; i < 2; i++) {
        cJSON *one = alone(nodes[i], "snapshot --json");
        const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(one, "snapshots"),
                                            0);
        const cJSON *rk = cJSON_GetArrayItem(ranks, i);
        assert_int_equal((int)tu_json_num(rk, "rank"), i);
        assert_string_equal(tu_json_str(rk, "host"), nodes[i]);
        assert_string_equal(tu_json_str(rk, "device"), "cpu:0");
        assert_true(tu_json_num(rk, "total_memory") == tu_json_num(s, "total_memory"));
        assert_true(tu_json_num(rk, "free_memory") == tu_json_num(s, "free_memory"));
        assert_string_equal(tu_json_str(rk, "source"), tu_json_str(s, "source"));
        total += tu_json_num(s, "total_memory");
        /* for the merge below */
        char path[2048], *text = cJSON_Print(one);
        snprintf(path, sizeof path, "%s/%s.json", work, nodes[i]);
        tu_write(path, text);
        free(text);
        cJSON_Delete(one);
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "totals");
    assert_true(tu_json_num(t, "total_memory") == total);
    assert_int_equal((int)tu_json_num(t, "hosts"), 2);
    assert_int_equal((int)tu_json_num(t, "min_free_rank"), 1); /* node-b, 15 GiB */
    /* merge of the single-node documents gives the same totals */
    snprintf(cmd, sizeof cmd, "'%s' merge --json %s/node-a.json %s/node-b.json", MB_CLI, work,
             work);
    run m = sh(cmd);
    assert_int_equal(m.status, 0);
    cJSON *md = doc_of(&m);
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(md, "totals");
    assert_true(tu_json_num(mt, "total_memory") == tu_json_num(t, "total_memory"));
    assert_true(tu_json_num(mt, "free_memory") == tu_json_num(t, "free_memory"));
    assert_true(tu_json_num(mt, "min_free_rank") == tu_json_num(t, "min_free_rank"));
    cJSON_Delete(md);
    run_free(&m);
    cJSON_Delete(d);
    run_free(&r);
}

/* Two ranks on one host and no --device: with the CPU backend's one cpu:0 both take it
 * (local rank % devices), and the totals count that (host, device) once. */
static void shared_device_np2(void)
{
    const char *nodes[] = {"node-a", "node-a"};
    char cmd[8192];
    mpirun(cmd, sizeof cmd, NULL, nodes, 2, "snapshot --mpi --json");
    run r = sh(cmd);
    if (r.status != 0)
        fail_msg("exit %d: %s", r.status, r.err);
    cJSON *d = doc_of(&r);
    const cJSON *ranks = cJSON_GetObjectItemCaseSensitive(d, "ranks");
    assert_int_equal(cJSON_GetArraySize(ranks), 2);
    cJSON *one = alone("node-a", "snapshot --json");
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(one, "snapshots"), 0);
    for (int i = 0; i < 2; i++) {
        const cJSON *rk = cJSON_GetArrayItem(ranks, i);
        assert_string_equal(tu_json_str(rk, "device"), "cpu:0");
        assert_string_equal(tu_json_str(rk, "host"), "node-a");
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "totals");
    assert_int_equal((int)tu_json_num(t, "ranks"), 2);
    assert_int_equal((int)tu_json_num(t, "hosts"), 1);
    assert_int_equal((int)tu_json_num(t, "devices"), 1);
    assert_true(tu_json_num(t, "total_memory") == tu_json_num(s, "total_memory"));
    cJSON_Delete(one);
    cJSON_Delete(d);
    run_free(&r);
}

/* plan on nodes; checks the agreement against the single-node plans; returns the doc. */
static cJSON *plan_job(const char *const *nodes, int n, int want_status, int *limiting,
                       int64_t *min_blocks)
{
    char cmd[8192];
    mpirun(cmd, sizeof cmd, NULL, nodes, n, "plan --mpi " PLAN_ARGS " --json");
    run r = sh(cmd);
    if (r.status != want_status)
        fail_msg("exit %d (wanted %d): %s", r.status, want_status, r.err);
    cJSON *d = doc_of(&r);
    const cJSON *ranks = cJSON_GetObjectItemCaseSensitive(d, "ranks");
    assert_int_equal(cJSON_GetArraySize(ranks), n);
    *min_blocks = -1;
    *limiting = -1;
    for (int i = 0; i < n; i++) {
        cJSON *one = alone(nodes[i], "plan " PLAN_ARGS " --json");
        int64_t blocks = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(one, "startup_ok"))
                             ? (int64_t)tu_json_num(one, "num_blocks")
                             : 0; /* a rank that cannot start holds none */
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ranks, i), "plan");
        assert_true(tu_json_num(p, "num_blocks") == tu_json_num(one, "num_blocks"));
        assert_true(tu_json_num(p, "available_kv_cache_memory") ==
                    tu_json_num(one, "available_kv_cache_memory"));
        if (*min_blocks < 0 || blocks < *min_blocks) {
            *min_blocks = blocks;
            *limiting = i;
        }
        cJSON_Delete(one);
    }
    assert_true(tu_json_num(d, "num_blocks") == (double)*min_blocks);
    assert_int_equal((int)tu_json_num(d, "limiting_rank"), *limiting);
    assert_string_equal(tu_json_str(d, "limiting_host"), nodes[*limiting]);
    run_free(&r);
    return d;
}

static void plan_np3(void)
{
    const char *nodes[] = {"node-a", "node-b", "node-c"};
    int lim;
    int64_t blocks;
    cJSON *d = plan_job(nodes, 3, 0, &lim, &blocks);
    assert_int_equal(lim, 1); /* the 16 GiB node */
    assert_string_equal(tu_json_str(d, "limit_reason"), "total memory");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "fits")));
    assert_true(tu_json_num(d, "max_num_blocks") > (double)blocks);
    assert_true(tu_json_num(d, "kv_cache_tokens") == (double)blocks * tu_json_num(d, "block_size"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(d, "model"));
    /* the same as text */
    char cmd[8192], want[128];
    mpirun(cmd, sizeof cmd, NULL, nodes, 3, "plan --mpi " PLAN_ARGS);
    run r = sh(cmd);
    assert_int_equal(r.status, 0);
    snprintf(want, sizeof want, "agreed    %lld blocks: rank 1 (node-b, cpu:0) limits",
             (long long)blocks);
    if (!strstr(r.out, want) || !strstr(r.out, "rank 2    node-c") ||
        !strstr(r.out, "fits      yes"))
        fail_msg("text output lacks '%s':\n%s", want, r.out);
    run_free(&r);
    cJSON_Delete(d);
}

static void plan_np4_container(void)
{
    const char *nodes[] = {"node-a", "node-b", "node-c", "node-d"};
    int lim;
    int64_t blocks;
    cJSON *d = plan_job(nodes, 4, 1, &lim, &blocks);
    assert_int_equal(lim, 3); /* the container-limited node cannot start */
    assert_int_equal(blocks, 0);
    assert_string_equal(tu_json_str(d, "limit_reason"), "container limit");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "fits")));
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "all_startup_ok")));
    cJSON_Delete(d);
}

static void measure_fails_np3(void)
{
    const char *nodes[] = {"node-a", "node-broken", "node-c"};
    char cmd[8192];
    mpirun(cmd, sizeof cmd, NULL, nodes, 3, "snapshot --mpi --device cpu:0 --json");
    run r = sh(cmd);
    assert_int_not_equal(r.status, 0);
    assert_true(r.seconds < 60);
    assert_string_equal(r.out, ""); /* no document */
    /* every rank says rank 1's reason */
    const char *why = "rank 1 (node-broken, no device) failed: no device to measure: ";
    if (count(r.err, why) != 3)
        fail_msg("wanted 3 ranks to say '%s':\n%s", why, r.err);
    assert_int_equal(count(r.err, "membudget: rank 0: "), 1);
    assert_int_equal(count(r.err, "membudget: rank 2: "), 1);
    assert_non_null(strstr(r.err, "MemTotal ('lots kB') is not a number"));
    run_free(&r);
}

/* A rank that never comes to the agreement (it hangs elsewhere): both other ranks name it
 * after the deadline and the job ends through MPI_Abort. */
static void exits_early_np3(void)
{
    const char *nodes[] = {"node-a", "@hang", "node-c"};
    char cmd[8192];
    mpirun(cmd, sizeof cmd, NULL, nodes, 3, "snapshot --mpi --mpi-timeout 2 --device cpu:0");
    run r = sh(cmd);
    assert_int_not_equal(r.status, 0);
    assert_true(r.seconds < 30); /* the 2 s deadline, not the CTest timeout */
    const char *want[] = {"rank 0 heard nothing from rank 1 within 2 s",
                          "rank 2 heard nothing from rank 1 within 2 s"};
    for (int i = 0; i < 2; i++)
        if (!strstr(r.err, want[i]))
            fail_msg("stderr lacks '%s':\n%s", want[i], r.err);
    run_free(&r);
}

static void crashes_np3(void)
{
    const char *nodes[] = {"node-a", "@crash", "node-c"};
    char cmd[8192];
    mpirun(cmd, sizeof cmd, NULL, nodes, 3, "snapshot --mpi --mpi-timeout 60 --device cpu:0");
    run r = sh(cmd);
    assert_int_not_equal(r.status, 0);
    assert_true(r.seconds < 50); /* mpirun ends the job well before the 60 s deadline */
    assert_string_equal(r.out, "");
    run_free(&r);
}

/* The adapter's own: a late record of a timed-out agreement is not taken by the next, and
 * the caller's error handler comes back (tests/mpi/mpi_rounds.c says which failed). */
static void rounds_np2(void)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' --oversubscribe -np 2 '%s'", MB_MPIRUN, MB_ROUNDS);
    run r = sh(cmd);
    if (r.status != 0 || count(r.out, "ok\n") != 2)
        fail_msg("exit %d:\n%s\n%s", r.status, r.out, r.err);
    run_free(&r);
}

static void valgrind_np2(void)
{
    if (!MB_VALGRIND[0])
        fail_msg("valgrind is not installed (ci/setup.sh installs it)");
    const char *nodes[] = {"node-a", "node-b"};
    char wrap[2048], cmd[8192];
    snprintf(wrap, sizeof wrap, "%s -q --error-exitcode=99 --leak-check=full "
             "--errors-for-leak-kinds=definite --show-leak-kinds=definite "
             "--suppressions=/usr/share/openmpi/openmpi-valgrind.supp --suppressions=%s",
             MB_VALGRIND, MB_MPI_SUPP);
    mpirun(cmd, sizeof cmd, wrap, nodes, 2, "plan --mpi " PLAN_ARGS " --json");
    run r = sh(cmd);
    if (r.status != 0)
        fail_msg("exit %d under valgrind (99: a valgrind error):\n%s", r.status, r.err);
    assert_null(strstr(r.err, "definitely lost"));
    cJSON *d = doc_of(&r);
    assert_int_equal((int)tu_json_num(d, "limiting_rank"), 1);
    cJSON_Delete(d);
    run_free(&r);
}

static void bad_timeout(void)
{
    char *out, *err;
    assert_int_equal(tu_run_cli("", "snapshot --mpi --mpi-timeout 0", &out, &err), 2);
    assert_non_null(strstr(err, "--mpi-timeout '0'"));
    free(out);
    free(err);
    assert_int_equal(tu_run_cli("", "snapshot --mpi --nodes", &out, &err), 2);
    if (!strstr(err, "--mpi takes --device NAME, --json and --mpi-timeout S; not '--nodes'"))
        fail_msg("unclear message for an option --mpi does not take: %s", err);
    free(out);
    free(err);
}

static const struct {
    const char *name;
    void (*fn)(void);
} scenarios[] = {
    {"snapshot_np2", snapshot_np2},
    {"shared_device_np2", shared_device_np2},
    {"plan_np3", plan_np3},
    {"plan_np4_container", plan_np4_container},
    {"measure_fails_np3", measure_fails_np3},
    {"exits_early_np3", exits_early_np3},
    {"crashes_np3", crashes_np3},
    {"rounds_np2", rounds_np2},
    {"valgrind_np2", valgrind_np2},
    {"bad_timeout", bad_timeout},
};

static void (*chosen)(void);
static void test_scenario(void **state)
{
    (void)state;
    chosen();
}

int main(int argc, char **argv)
{
    for (size_t i = 0; argc > 1 && i < sizeof scenarios / sizeof scenarios[0]; i++)
        if (strcmp(argv[1], scenarios[i].name) == 0)
            chosen = scenarios[i].fn;
    if (!chosen) {
        fprintf(stderr, "usage: test_mpi SCENARIO (snapshot_np2, plan_np3, ...)\n");
        return 2;
    }
    char name[64];
    snprintf(name, sizeof name, "mpi-%s", argv[1]);
    tu_fresh_dir(name, work, sizeof work);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_scenario)};
    return cmocka_run_group_tests_name(argv[1], tests, NULL, NULL);
}
