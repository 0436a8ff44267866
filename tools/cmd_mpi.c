/*
 * tools/cmd_mpi.c: `snapshot --mpi` and `plan --mpi` (docs/cluster.md). Every rank of an
 * mpirun job measures (or plans) its own device, the ranks exchange one record each
 * through libmembudget_mpi, and rank 0 prints one document for the job. A rank that fails
 * sends its error instead of figures, so every rank fails with that rank's reason; a rank
 * that never arrives is named when the deadline (--mpi-timeout) passes, and the job is
 * then aborted (MPI cannot finalize while a rank is missing).
 *
 * The adapter is loaded with dlopen only when --mpi is given, so the command neither links
 * MPI nor pays for loading it otherwise.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_chart.h"
#include "cluster_doc.h"
#include "membudget/mpi.h"

int cli_mpi_wanted(int argc, char **argv);
int cli_mpi_snapshot(int argc, char **argv);
int cli_mpi_plan(int argc, char **argv, int (*plan)(int argc, char **argv));

#ifndef MB_MPI_SONAME
#define MB_MPI_SONAME "libmembudget_mpi.so.0"
#endif

typedef struct mpi_api {
    int (*init)(mb_mpi **, int *, char ***, double, char *, size_t);
    int (*rank)(const mb_mpi *);
    int (*world_size)(const mb_mpi *);
    int (*local_rank)(const mb_mpi *);
    void (*collective)(mb_mpi *, mb_collective *);
    void (*free)(mb_mpi *);
    void (*abort)(mb_mpi *, int);
} mpi_api;

typedef struct mpi_args {
    double timeout; /* --mpi-timeout */
    int json;
    const char *device;
    int has_total;  /* plan: --total-memory (a what-if needs no device) */
    int argc;       /* the command's own arguments, --mpi options taken out */
    char **argv;
    cli_chart pic;  /* --chart --ascii --svg --png: rank 0 draws the job (cli_chart.h) */
} mpi_args;

int cli_mpi_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--mpi") == 0)
            return 1;
    return 0;
}

/* Takes --mpi and --mpi-timeout out of argv (into a->argv, argv[0] kept). */
static int strip(const char *cmd, int argc, char **argv, mpi_args *a)
{
    memset(a, 0, sizeof *a);
    a->timeout = MB_MPI_TIMEOUT_DEFAULT;
    a->argv = calloc((size_t)argc + 4, sizeof *a->argv);
    if (!a->argv)
        return cli_fail("out of memory");
    a->argv[a->argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--mpi") == 0)
            continue;
        int pic = cli_chart_option(cmd, argc, argv, &i, &a->pic);
        if (pic < 0)
            return CLI_USAGE;
        if (pic)
            continue;
        if (strcmp(argv[i], "--mpi-timeout") == 0) {
            if (i + 1 >= argc)
                return cli_usage(cmd, "--mpi-timeout needs a number of seconds");
            v = argv[++i];
        } else if (strncmp(argv[i], "--mpi-timeout=", 14) == 0) {
            v = argv[i] + 14;
        }
        if (v) {
            char *end;
            errno = 0;
            a->timeout = strtod(v, &end);
            if (errno || end == v || *end || !(a->timeout > 0 && a->timeout <= 86400))
                return cli_usage(cmd, "--mpi-timeout '%s': give the seconds every rank waits "
                                      "for the others, above 0 and at most 86400 (default "
                                      "%g)", v, MB_MPI_TIMEOUT_DEFAULT);
            continue;
        }
        if (strcmp(argv[i], "--json") == 0)
            a->json = 1;
        if (strcmp(argv[i], "--total-memory") == 0 ||
            strncmp(argv[i], "--total-memory=", 15) == 0)
            a->has_total = 1;
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc)
            a->device = argv[i + 1];
        else if (strncmp(argv[i], "--device=", 9) == 0)
            a->device = argv[i] + 9;
        a->argv[a->argc++] = argv[i];
    }
    return cli_chart_check(cmd, &a->pic, a->json);
}

static int load(mpi_api *api)
{
    void *h = dlopen(MB_MPI_SONAME, RTLD_NOW | RTLD_GLOBAL);
    if (!h)
        return cli_fail("--mpi needs the MPI adapter %s, built when MPI is found (apt-get "
                        "install libopenmpi-dev openmpi-bin, then rebuild): %s",
                        MB_MPI_SONAME, dlerror());
    struct {
        const char *name;
        void **slot;
    } syms[] = {
        {"mb_mpi_init", (void **)&api->init},
        {"mb_mpi_rank", (void **)&api->rank},
        {"mb_mpi_world_size", (void **)&api->world_size},
        {"mb_mpi_local_rank", (void **)&api->local_rank},
        {"mb_mpi_collective", (void **)&api->collective},
        {"mb_mpi_free", (void **)&api->free},
        {"mb_mpi_abort", (void **)&api->abort},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].slot = dlsym(h, syms[i].name);
        if (!*syms[i].slot)
            return cli_fail("%s lacks %s: it comes from another membudget; rebuild both",
                            MB_MPI_SONAME, syms[i].name);
    }
    return CLI_OK; /* the handle stays open for the process's life */
}

/* The device a rank measures: --device, else the local rank's (rank i of a host takes
 * device i, as engines do with CUDA_VISIBLE_DEVICES unset). With more local ranks than
 * devices (the CPU backend's one cpu:0) they share them: rank i takes device i % n, and
 * the totals count a shared (host, device) once. */
static int pick_device(mb_context *ctx, const char *name, int local_rank, int *index,
                       char *why, size_t size)
{
    int rc, n = mb_device_count(ctx);
    if (n < 0) {
        snprintf(why, size, "no device to measure: %s", cli_detail());
        return n;
    }
    if (name) {
        if ((rc = mb_device_find(ctx, name, index)))
            snprintf(why, size, "--device: %s", cli_detail());
        return rc;
    }
    if (local_rank < 0) {
        snprintf(why, size, "the launcher does not say this rank's local rank "
                 "(OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, SLURM_LOCALID): pass --device");
        return MB_ENODEV;
    }
    if (n == 0) {
        snprintf(why, size, "this host has no device to measure: pass --device");
        return MB_ENODEV;
    }
    *index = local_rank % n;
    return MB_OK;
}

/* Fills r with this rank's snapshot, or its error. */
static void measure(const mpi_args *a, int local_rank, mb_rank_record *r)
{
    char why[MB_RECORD_ERROR_MAX] = "";
    mb_context *ctx = NULL;
    int idx = 0, rc = mb_context_init(&ctx, NULL);
    if (rc)
        snprintf(why, sizeof why, "cannot create a context: %s", cli_detail());
    else if ((rc = pick_device(ctx, a->device, local_rank, &idx, why, sizeof why)) == MB_OK) {
        mb_snapshot s;
        if ((rc = mb_snapshot_measure(ctx, idx, NULL, &s)))
            snprintf(why, sizeof why, "measuring device %d: %s", idx, cli_detail());
        else
            mb_rank_record_set_snapshot(r, &s);
    }
    if (rc)
        mb_rank_record_set_error(r, rc, why);
    mb_context_free(ctx);
}

/* The exchange and its failures, the same on every rank: 0 with the agreement, or the
 * exit status after saying why (a timeout aborts the job). */
static int exchange(const mpi_api *api, mb_mpi *m, const mb_rank_record *mine,
                    mb_rank_record *all, mb_agreement *ag)
{
    mb_collective c;
    api->collective(m, &c);
    int rc = mb_cluster_agree(&c, mine, all, c.world_size, ag);
    cli_flags(ag->reason, sizeof ag->reason);
    if (rc == MB_OK)
        return CLI_OK;
    fprintf(stderr, "membudget: rank %d: %s\n", mine->rank, cli_detail());
    fflush(stderr);
    if (rc == MB_ETIMEOUT || rc == MB_EBACKEND) {
        /* a missing rank can never finalize, so neither can this one: MPI_Abort ends the
         * job. (Leaving with _exit and no MPI_Finalize made Open MPI 4.1.4's mpirun
         * segfault or hang in PMIx_server_finalize, at random; so did several ranks
         * aborting at once.) The waiting ranks' deadlines pass at about the same time, so
         * each waits 1 s plus 0.5 s per rank (at most 5 s) first: the others print their
         * reasons meanwhile, and the lowest waiting rank usually aborts alone. */
        fflush(stdout);
        int step = mine->rank < 8 ? mine->rank : 8;
        struct timespec grace = {1 + step / 2, (step % 2) * 500000000L};
        nanosleep(&grace, NULL);
        api->abort(m, CLI_FAIL);
        _exit(CLI_FAIL); /* MPI_Abort does not return */
    }
    return CLI_FAIL;
}

typedef struct mpi_job {
    mpi_api api;
    mb_mpi *m;
    mb_rank_record mine;
    mb_rank_record *all;
} mpi_job;

/* j must be zeroed first; after a failure job_end still releases what was taken */
static int job_start(mpi_job *j, const mpi_args *a, int *argc, char ***argv)
{
    if (load(&j->api))
        return CLI_FAIL;
    char why[512] = "";
    int rc = j->api.init(&j->m, argc, argv, a->timeout, why, sizeof why);
    if (rc)
        return cli_fail("--mpi: %s: %s", mb_error_message(rc), why);
    int n = j->api.world_size(j->m);
    j->all = calloc((size_t)n, sizeof *j->all);
    if (!j->all || mb_rank_record_init(&j->mine, j->api.rank(j->m), n))
        return cli_fail("--mpi: out of memory for %d records", n);
    cli_host_name(j->mine.host, sizeof j->mine.host);
    return CLI_OK;
}

static void job_end(mpi_job *j)
{
    if (j->m)
        j->api.free(j->m);
    free(j->all);
}

int cli_mpi_snapshot(int argc, char **argv)
{
    mpi_args a;
    mpi_job j = {0};
    int rc = strip("snapshot", argc, argv, &a);
    for (int i = 1; rc == CLI_OK && i < a.argc; i++) {
        if (strcmp(a.argv[i], "--device") == 0 && i + 1 < a.argc)
            i++;
        else if (strcmp(a.argv[i], "--json") && strncmp(a.argv[i], "--device=", 9))
            rc = cli_usage("snapshot", "--mpi takes --device NAME, --json and --mpi-timeout "
                                       "S; not '%s'", a.argv[i]);
    }
    if (rc || (rc = job_start(&j, &a, &argc, &argv))) {
        job_end(&j);
        free(a.argv);
        return rc;
    }
    measure(&a, j.api.local_rank(j.m), &j.mine);
    mb_agreement ag;
    rc = exchange(&j.api, j.m, &j.mine, j.all, &ag);
    if (rc == CLI_OK && j.mine.rank == 0) {
        if (a.json) {
            rc = cli_print_json(cli_cluster_doc(j.all, ag.world_size, &ag));
        } else {
            cli_cluster_text(j.all, ag.world_size, &ag);
            rc = fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write to standard output");
        }
        if (rc == CLI_OK && cli_chart_wanted(&a.pic, a.json))
            rc = cli_chart_ranks(&a.pic, a.json, "snapshot --mpi", NULL, j.all,
                                 ag.world_size, &ag);
    }
    job_end(&j);
    free(a.argv);
    return rc;
}

/* Runs `membudget plan --json` in this process with its output caught (glibc lets a
 * program assign stdout and stderr: "Standard Streams" in its manual), so that a rank's
 * plan is exactly what the single-rank command says. Returns its parsed document, or NULL
 * with the command's own message in why. */
static cJSON *plan_here(int (*plan)(int, char **), int argc, char **argv, int *status,
                        char *why, size_t size)
{
    char *out = NULL, *err = NULL;
    size_t olen = 0, elen = 0;
    FILE *o = open_memstream(&out, &olen), *e = open_memstream(&err, &elen);
    cJSON *doc = NULL;
    if (!o || !e) {
        snprintf(why, size, "out of memory");
    } else {
        FILE *so = stdout, *se = stderr;
        fflush(stdout);
        fflush(stderr);
        stdout = o;
        stderr = e;
        *status = plan(argc, argv);
        fflush(o);
        fflush(e);
        stdout = so;
        stderr = se;
        doc = olen ? cJSON_Parse(out) : NULL;
        if (!doc) {
            const char *msg = err && elen ? err : "plan printed nothing";
            if (strncmp(msg, "membudget: ", 11) == 0)
                msg += 11;
            snprintf(why, size, "%.*s", (int)strcspn(msg, "\n"), msg);
        }
    }
    if (o)
        fclose(o);
    if (e)
        fclose(e);
    free(out);
    free(err);
    return doc;
}

static int64_t jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : MB_UNKNOWN;
}

/* The rank's record from its plan document (or its error). */
static void plan_record(cJSON *doc, const char *fail, int status, mb_rank_record *r)
{
    char why[MB_RECORD_ERROR_MAX];
    if (!doc) {
        mb_rank_record_set_error(r, status == CLI_USAGE ? MB_EINVAL : MB_EIO, fail);
        return;
    }
    mb_snapshot s;
    if (cli_snapshot_from_json(cJSON_GetObjectItemCaseSensitive(doc, "device"), &s, why,
                               sizeof why)) {
        mb_rank_record_set_error(r, MB_EPARSE, why);
        return;
    }
    mb_rank_record_set_snapshot(r, &s);
    r->requested_memory = jnum(doc, "requested_memory");
    r->non_kv_memory = jnum(doc, "non_kv_memory");
    r->cudagraph_memory = jnum(doc, "cudagraph_memory");
    r->available_kv_cache_memory = jnum(doc, "available_kv_cache_memory");
    r->block_bytes = jnum(doc, "block_bytes");
    r->num_blocks = jnum(doc, "num_blocks");
    r->startup_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "startup_ok"));
    r->fits = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "fits"));
    if (r->num_blocks == MB_UNKNOWN || r->block_bytes == MB_UNKNOWN)
        mb_rank_record_set_error(r, MB_EPARSE, "plan --json gave no num_blocks/block_bytes");
    else
        r->what |= MB_RECORD_PLAN;
}

static const char *const plan_keys[] = {
    "model", "gpu_memory_utilization", "block_size", "tensor_parallel_size",
    "kv_cache_dtype", "kv_heads_per_rank", "block_bytes", "bytes_per_token", "max_model_len",
    "blocks_per_request", NULL};

int cli_mpi_plan(int argc, char **argv, int (*plan)(int argc, char **argv))
{
    mpi_args a;
    mpi_job j = {0};
    int rc = strip("plan", argc, argv, &a);
    if (rc || (rc = job_start(&j, &a, &argc, &argv))) {
        job_end(&j);
        free(a.argv);
        return rc;
    }
    /* this rank's device, unless given or a what-if */
    char dev[MB_NAME_MAX] = "", why[MB_RECORD_ERROR_MAX] = "";
    int pick = MB_OK;
    if (!a.device && !a.has_total) {
        mb_context *ctx = NULL;
        int idx = 0;
        if ((pick = mb_context_init(&ctx, NULL)))
            snprintf(why, sizeof why, "cannot create a context: %s", cli_detail());
        else if ((pick = pick_device(ctx, NULL, j.api.local_rank(j.m), &idx, why,
                                     sizeof why)) == MB_OK) {
            mb_device_info d = MB_DEVICE_INFO_INIT;
            if ((pick = mb_device_get(ctx, idx, &d)) == MB_OK)
                snprintf(dev, sizeof dev, "%s", d.name);
        }
        mb_context_free(ctx);
    }
    cJSON *doc = NULL;
    int status = CLI_OK;
    if (pick) {
        mb_rank_record_set_error(&j.mine, pick, why);
    } else {
        if (dev[0]) {
            a.argv[a.argc++] = "--device";
            a.argv[a.argc++] = dev;
        }
        int has_json = a.json;
        if (!has_json)
            a.argv[a.argc++] = "--json";
        doc = plan_here(plan, a.argc, a.argv, &status, why, sizeof why);
        plan_record(doc, why, status, &j.mine);
    }
    mb_agreement ag;
    rc = exchange(&j.api, j.m, &j.mine, j.all, &ag);
    int64_t per_request = jnum(doc, "blocks_per_request");
    int fits = rc == CLI_OK && ag.all_startup_ok && per_request > 0 &&
               ag.num_blocks >= per_request;
    if (rc == CLI_OK && j.mine.rank == 0) {
        int64_t bs = jnum(doc, "block_size");
        char model[1024] = ""; /* for the picture: the plan's "model" moves into the output */
        const cJSON *mo = cJSON_GetObjectItemCaseSensitive(doc, "model");
        const cJSON *mp = cJSON_GetObjectItemCaseSensitive(mo, "path");
        if (cJSON_IsString(mp))
            snprintf(model, sizeof model, "%s", mp->valuestring);
        if (a.json) {
            cJSON *out = cli_cluster_doc(j.all, ag.world_size, &ag);
            for (int k = 0; out && plan_keys[k]; k++) {
                cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(doc, plan_keys[k]);
                if (v)
                    cJSON_AddItemToObject(out, plan_keys[k], v);
            }
            if (out) {
                cJSON_AddNumberToObject(out, "kv_cache_tokens", (double)(ag.num_blocks * bs));
                cJSON_AddNumberToObject(out, "max_concurrency",
                                        per_request > 0 ? (double)ag.num_blocks /
                                                              (double)per_request
                                                        : 0.0);
                cJSON_AddBoolToObject(out, "fits", fits);
            }
            rc = cli_print_json(out);
        } else {
            cli_cluster_text(j.all, ag.world_size, &ag);
            printf("fits      %s: %lld blocks of %lld tokens; one request needs %lld\n",
                   fits ? "yes" : "no", (long long)ag.num_blocks, (long long)bs,
                   (long long)per_request);
            rc = fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write to standard output");
        }
        if (rc == CLI_OK && cli_chart_wanted(&a.pic, a.json))
            rc = cli_chart_ranks(&a.pic, a.json, "plan --mpi", model, j.all, ag.world_size,
                                 &ag);
    }
    if (rc == CLI_OK && !fits) {
        if (j.mine.rank == 0)
            cli_fail("the job does not fit: %s%s", ag.reason,
                     ag.num_blocks < per_request ? "; one request of max_model_len needs more "
                                                   "blocks than the limiting rank holds"
                                                 : "");
        rc = CLI_FAIL;
    }
    cJSON_Delete(doc);
    job_end(&j);
    free(a.argv);
    return rc;
}
