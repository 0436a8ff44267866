/*
 * bench/mb_bench.c: the benchmark program (issue 7). One binary, several modes; each mode
 * prints one JSON object on stdout that bench/run.py turns into docs/benchmarks.md.
 *
 * Built twice from this file (bench/CMakeLists.txt):
 *  - mb_bench: the timed binary, nothing interposed, so the paths it times are the
 *    library's own;
 *  - mb_bench_trace (MB_BENCH_TRACE): the same program linked with bench/count.c, which
 *    counts heap allocations (every malloc in the process, libc's own included) and records
 *    the files each call opens and reads. Its "trace" mode tells the timed binary which files
 *    a snapshot reads (the floor) and how many allocations a snapshot makes.
 *
 * Timing: CLOCK_MONOTONIC around batches of calls; a comparison runs its contenders in
 * alternating order within each round, so a burst of load from another process hits both.
 * Results are the median over rounds of the per-call time, with the 10th and 90th
 * percentiles as the spread, and the median of the per-round ratios.
 *
 * Modes (all print JSON unless said otherwise):
 *   snapshot --floor FILE [--rounds R] [--batch N]   CPU snapshot vs its floor
 *   host-serve                  answers "q|k|f N" on stdin with the ns of N host queries
 *                               (bench/run.py alternates it with psutil, same N)
 *   host-values                 prints the host's total and available (plain text)
 *   probe [--runs K] [--warm M]  first init+probe in fresh processes vs hwloc_topology_load,
 *                               and each backend's probe alone
 *   probe-child [SEL] | hwloc-child    one of those in this process, prints ns (plain text)
 *   scale --tree NAME=DIR ... [--rounds R] [--batch N]   per-node cost on sysroots
 *   mktree DIR NODES            writes a made-up NODES-node machine under DIR
 *   loop N [ROOT]               init, probe, then N+1 snapshots (valgrind, strace)
 *   trace [--floor-out F] [--tree NAME=DIR ...] (mb_bench_trace only) allocations and file
 *                               calls per call; F gets the floor's list of reads
 *   cuda current|nvml|primary|uma   driver calls per snapshot of cuda:0 on the fake
 *                               libcuda.so.1 of tests/cuda (built with the CUDA backend and
 *                               the tests; bench/run.py sets LD_LIBRARY_PATH, MB_FAKE_CUDA)
 */
#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "membudget.h"
#include "platform/platform.h" /* mb__plat_pread, mb__meminfo_value: the proposed query */

#ifdef MB_BENCH_TRACE
#include "count.h"
#endif

extern char **environ;

/* ---- small helpers ------------------------------------------------------------------- */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "mb_bench: %s: %s (%s)\n", what, mb_error_message(rc), mb_error_detail());
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of v[0..n), nearest rank on a sorted copy. */
static double pct(const double *v, int n, double q)
{
    double *s = malloc((size_t)n * sizeof *s);
    if (!s)
        exit(1);
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    int k = (int)(q * (n - 1) + 0.5);
    double r = s[k];
    free(s);
    return r;
}

/* "name": {"median": m, "p10": a, "p90": b} */
static void print_stat(const char *name, const double *v, int n, int last)
{
    printf("  \"%s\": {\"median\": %.6g, \"p10\": %.6g, \"p90\": %.6g, \"n\": %d}%s\n", name,
           pct(v, n, 0.5), pct(v, n, 0.1), pct(v, n, 0.9), n, last ? "" : ",");
}

static long arg_long(int argc, char **argv, const char *name, long dflt)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return strtol(argv[i + 1], NULL, 10);
    return dflt;
}

static const char *arg_str(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static mb_context *open_context(const char *root)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    mb_context *ctx;
    int rc = mb_context_init(&ctx, &o);
    if (rc)
        die("mb_context_init", rc);
    return ctx;
}

/* The first device the CPU backend serves. */
static int cpu_device(mb_context *ctx, mb_device_info *info)
{
    int n = mb_device_count(ctx);
    if (n < 0)
        die("mb_device_count", n);
    for (int i = 0; i < n; i++) {
        int rc = mb_device_get(ctx, i, info);
        if (rc)
            die("mb_device_get", rc);
        if (strcmp(info->backend, "cpu") == 0)
            return i;
    }
    fprintf(stderr, "mb_bench: no cpu device\n");
    exit(1);
}

static volatile int64_t sink; /* keeps results alive */

/* ---- the floor: the files a snapshot reads, pread on descriptors opened once ----------- */

#define FLOOR_MAX 256
typedef struct floor_read {
    int fd;
    long offset;
    size_t size;
} floor_read;

typedef struct floor_spec {
    int n_min;              /* one pread per distinct file */
    floor_read min[FLOOR_MAX];
    int n_replay;           /* every read call the snapshot made, offsets and sizes as made */
    floor_read replay[FLOOR_MAX];
    char paths[FLOOR_MAX][256];
    int npaths;
} floor_spec;

static char floor_buf[65536];

/* Reads the trace's floor file: lines "PATH OFFSET SIZE", one per read call of a snapshot. */
static void floor_load(const char *file, floor_spec *f)
{
    memset(f, 0, sizeof *f);
    FILE *in = fopen(file, "r");
    if (!in) {
        fprintf(stderr, "mb_bench: cannot open the floor file %s: %s\n", file, strerror(errno));
        exit(1);
    }
    char path[256];
    long off;
    size_t size;
    int fds[FLOOR_MAX];
    while (fscanf(in, "%255s %ld %zu", path, &off, &size) == 3 && f->n_replay < FLOOR_MAX) {
        int k = -1;
        for (int i = 0; i < f->npaths; i++)
            if (strcmp(f->paths[i], path) == 0)
                k = i;
        if (k < 0) {
            k = f->npaths++;
            snprintf(f->paths[k], sizeof f->paths[k], "%s", path);
            fds[k] = open(path, O_RDONLY | O_CLOEXEC);
            if (fds[k] < 0) {
                fprintf(stderr, "mb_bench: floor: cannot open %s: %s\n", path, strerror(errno));
                exit(1);
            }
            if (size > sizeof floor_buf)
                size = sizeof floor_buf;
            f->min[f->n_min++] = (floor_read){fds[k], 0, size};
        }
        if (size > sizeof floor_buf)
            size = sizeof floor_buf;
        f->replay[f->n_replay++] = (floor_read){fds[k], off, size};
    }
    fclose(in);
    if (f->n_replay == 0) {
        fprintf(stderr, "mb_bench: the floor file %s lists no reads\n", file);
        exit(1);
    }
}

static void floor_run(const floor_read *r, int n)
{
    for (int i = 0; i < n; i++) {
        ssize_t got = pread(r[i].fd, floor_buf, r[i].size, r[i].offset);
        sink += got;
    }
}

/* ---- mode snapshot -------------------------------------------------------------------- */

static int mode_snapshot(int argc, char **argv)
{
    int rounds = (int)arg_long(argc, argv, "--rounds", 401);
    int batch = (int)arg_long(argc, argv, "--batch", 50);
    const char *ff = arg_str(argc, argv, "--floor");
    if (!ff) {
        fprintf(stderr, "mb_bench snapshot: --floor FILE is required (from mb_bench_trace)\n");
        return 2;
    }
    floor_spec *f = calloc(1, sizeof *f);
    if (!f)
        return 1;
    floor_load(ff, f);
    mb_context *ctx = open_context("/");
    mb_device_info info = MB_DEVICE_INFO_INIT;
    int dev = cpu_device(ctx, &info);
    mb_snapshot s;
    int rc;
    if ((rc = mb_snapshot_measure(ctx, dev, NULL, &s)))
        die("mb_snapshot_measure", rc);
    double *ts = calloc((size_t)rounds, sizeof *ts), *tf = calloc((size_t)rounds, sizeof *tf);
    double *tr = calloc((size_t)rounds, sizeof *tr), *ratio = calloc((size_t)rounds, sizeof *ratio);
    double *ratio_r = calloc((size_t)rounds, sizeof *ratio_r);
    if (!ts || !tf || !tr || !ratio || !ratio_r)
        return 1;
    for (int r = -2; r < rounds; r++) { /* two warm-up rounds */
        double a = 0, b = 0, c = 0;
        for (int k = 0; k < 3; k++) {
            int which = (k + (r & 1) * 2) % 3; /* rotate the order between rounds */
            double t0 = now_ns();
            if (which == 0) {
                for (int i = 0; i < batch; i++)
                    if (mb_snapshot_measure(ctx, dev, NULL, &s))
                        die("mb_snapshot_measure", -1);
                sink += s.free_memory;
                a = now_ns() - t0;
            } else if (which == 1) {
                for (int i = 0; i < batch; i++)
                    floor_run(f->min, f->n_min);
                b = now_ns() - t0;
            } else {
                for (int i = 0; i < batch; i++)
                    floor_run(f->replay, f->n_replay);
                c = now_ns() - t0;
            }
        }
        if (r < 0)
            continue;
        ts[r] = a / batch;
        tf[r] = b / batch;
        tr[r] = c / batch;
        ratio[r] = a / b;
        ratio_r[r] = a / c;
    }
    printf("{\n  \"device\": \"%s\", \"model\": \"%s\", \"source\": \"%s\", \"flags\": %u,\n",
           info.name, info.model, mb_source_name(s.source), s.flags);
    printf("  \"rounds\": %d, \"batch\": %d,\n  \"floor_files\": [", rounds, batch);
    for (int i = 0; i < f->npaths; i++)
        printf("%s\"%s\"", i ? ", " : "", f->paths[i]);
    printf("], \"floor_reads_min\": %d, \"floor_reads_replay\": %d,\n", f->n_min, f->n_replay);
    print_stat("snapshot_ns", ts, rounds, 0);
    print_stat("floor_ns", tf, rounds, 0);
    print_stat("floor_replay_ns", tr, rounds, 0);
    print_stat("ratio", ratio, rounds, 0);
    print_stat("ratio_replay", ratio_r, rounds, 1);
    printf("}\n");
    mb_context_free(ctx);
    return 0;
}

/* ---- host query ----------------------------------------------------------------------- */

/* Answers lines "KIND N" on stdin with the ns that N calls took: q = mb_host_memory_get,
 * k = the same parse on a /proc/meminfo descriptor kept open (what the query would cost if
 * the context kept one), f = one pread of it and no parse (the floor). "0" ends. */
static int mode_host_serve(void)
{
    mb_context *ctx = open_context("/");
    mb_host_memory h;
    int rc;
    if ((rc = mb_host_memory_get(ctx, &h)))
        die("mb_host_memory_get", rc);
    int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    char line[64];
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin)) {
        char kind = line[0];
        long n = strtol(line + 1, NULL, 10);
        if (n <= 0)
            break;
        double t0 = now_ns();
        if (kind == 'q') {
            for (long i = 0; i < n; i++)
                if (mb_host_memory_get(ctx, &h))
                    die("mb_host_memory_get", -1);
        } else if (kind == 'k') {
            for (long i = 0; i < n; i++) {
                char buf[16384];
                long got = mb__plat_pread(fd, "/proc/meminfo", buf, sizeof buf);
                if (got < 0 || mb__meminfo_value(buf, "MemTotal", &h.total) ||
                    mb__meminfo_value(buf, "MemFree", &h.free) ||
                    mb__meminfo_value(buf, "MemAvailable", &h.available))
                    die("kept-descriptor query", -1);
            }
        } else {
            for (long i = 0; i < n; i++)
                sink += pread(fd, floor_buf, 16383, 0);
        }
        double t = now_ns() - t0;
        sink += h.available;
        printf("%.0f\n", t);
    }
    close(fd);
    mb_context_free(ctx);
    return 0;
}

/* ---- probe and context init vs hwloc --------------------------------------------------- */

/* The first init + probe + free; sel is a backend selection or NULL (all). A selection
 * that serves no device (a GPU backend alone on this machine) fails the probe with
 * MB_ENODEV: that is timed too, it is what the backend costs. */
static double probe_once(const char *sel)
{
    double t0 = now_ns();
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = "/";
    o.backends = sel;
    mb_context *ctx;
    int rc = mb_context_init(&ctx, &o);
    if (rc)
        die("mb_context_init", rc);
    rc = mb_context_probe(ctx);
    if (rc && !(sel && rc == MB_ENODEV))
        die("mb_context_probe", rc);
    mb_context_free(ctx);
    return now_ns() - t0;
}

static double hwloc_once(void)
{
    double t0 = now_ns();
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) || hwloc_topology_load(topo)) {
        fprintf(stderr, "mb_bench: hwloc_topology_load failed\n");
        exit(1);
    }
    sink += hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    hwloc_topology_destroy(topo);
    return now_ns() - t0;
}

/* Runs this program as "mode" in a fresh process; returns what it printed as a number. */
static double run_child(const char *mode, const char *arg, double *wall)
{
    int p[2];
    if (pipe(p))
        exit(1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char self[4096];
    ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
    if (l < 0)
        exit(1);
    self[l] = '\0';
    char *args[] = {self, (char *)mode, (char *)arg, NULL};
    pid_t pid;
    double t0 = now_ns();
    if (posix_spawn(&pid, self, &fa, NULL, args, environ)) {
        perror("posix_spawn");
        exit(1);
    }
    close(p[1]);
    char out[128] = "";
    ssize_t got = read(p[0], out, sizeof out - 1);
    int st;
    waitpid(pid, &st, 0);
    *wall = now_ns() - t0;
    close(p[0]);
    posix_spawn_file_actions_destroy(&fa);
    if (got <= 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
        fprintf(stderr, "mb_bench: child %s failed\n", mode);
        exit(1);
    }
    out[got] = '\0';
    return strtod(out, NULL);
}

static int mode_probe(int argc, char **argv)
{
    int runs = (int)arg_long(argc, argv, "--runs", 31);
    int warm = (int)arg_long(argc, argv, "--warm", 41);
    double *pm = calloc((size_t)runs, sizeof *pm), *hw = calloc((size_t)runs, sizeof *hw);
    double *pmw = calloc((size_t)runs, sizeof *pmw), *hww = calloc((size_t)runs, sizeof *hww);
    double *ratio = calloc((size_t)runs, sizeof *ratio);
    double *wp = calloc((size_t)warm, sizeof *wp), *wh = calloc((size_t)warm, sizeof *wh);
    double *wratio = calloc((size_t)warm, sizeof *wratio);
    mb_context *ctx = open_context("/");
    int nd = mb_device_count(ctx);
    int nb = mb_backend_count(ctx);
    double *per = calloc((size_t)(nb * runs), sizeof *per);
    if (!pm || !hw || !pmw || !hww || !ratio || !wp || !wh || !wratio || !per)
        return 1;
    mb_backend_status bs[16];
    for (int i = 0; i < nb && i < 16; i++) {
        bs[i] = (mb_backend_status)MB_BACKEND_STATUS_INIT;
        mb_backend_get(ctx, i, &bs[i]);
    }
    double dummy;
    run_child("probe-child", NULL, &dummy); /* page cache warm for both */
    run_child("hwloc-child", NULL, &dummy);
    for (int r = 0; r < runs; r++) {
        if (r & 1) {
            hw[r] = run_child("hwloc-child", NULL, &hww[r]);
            pm[r] = run_child("probe-child", NULL, &pmw[r]);
        } else {
            pm[r] = run_child("probe-child", NULL, &pmw[r]);
            hw[r] = run_child("hwloc-child", NULL, &hww[r]);
        }
        ratio[r] = pm[r] / hw[r];
        for (int b = 0; b < nb && b < 16; b++)
            if (bs[b].state != MB_BACKEND_NOT_BUILT)
                per[b * runs + r] = run_child("probe-child", bs[b].name, &dummy);
    }
    /* Warm: the same again and again in this process (libraries already loaded). */
    probe_once(NULL);
    hwloc_once();
    for (int r = 0; r < warm; r++) {
        if (r & 1) {
            wh[r] = hwloc_once();
            wp[r] = probe_once(NULL);
        } else {
            wp[r] = probe_once(NULL);
            wh[r] = hwloc_once();
        }
        wratio[r] = wp[r] / wh[r];
    }
    printf("{\n  \"runs\": %d, \"warm_rounds\": %d, \"devices\": %d,\n  \"backends\": [", runs,
           warm, nd);
    for (int i = 0; i < nb && i < 16; i++) {
        printf("%s{\"name\": \"%s\", \"state\": \"%s\", \"reason\": \"", i ? ", " : "",
               bs[i].name, mb_backend_state_name(bs[i].state));
        for (const char *c = bs[i].reason; *c; c++)
            if (*c == '"' || *c == '\\')
                printf("\\%c", *c);
            else if ((unsigned char)*c >= 0x20)
                putchar(*c);
        printf("\"}");
    }
    printf("],\n  \"per_backend\": {\n");
    int first = 1;
    for (int b = 0; b < nb && b < 16; b++) {
        if (bs[b].state == MB_BACKEND_NOT_BUILT)
            continue;
        if (!first)
            printf(",\n");
        first = 0;
        printf("  \"%s\": {\"median\": %.6g, \"p10\": %.6g, \"p90\": %.6g, \"n\": %d}",
               bs[b].name, pct(per + b * runs, runs, 0.5), pct(per + b * runs, runs, 0.1),
               pct(per + b * runs, runs, 0.9), runs);
    }
    printf("\n  },\n");
    mb_context_free(ctx);
    print_stat("cold_probe_ns", pm, runs, 0);
    print_stat("cold_hwloc_ns", hw, runs, 0);
    print_stat("cold_ratio", ratio, runs, 0);
    print_stat("cold_probe_process_ns", pmw, runs, 0);
    print_stat("cold_hwloc_process_ns", hww, runs, 0);
    print_stat("warm_probe_ns", wp, warm, 0);
    print_stat("warm_hwloc_ns", wh, warm, 0);
    print_stat("warm_ratio", wratio, warm, 1);
    printf("}\n");
    return 0;
}

/* ---- scale: every node of a sysroot vs one node ---------------------------------------- */

typedef struct tree {
    char name[64];
    char dir[4096];
} tree;

static int parse_trees(int argc, char **argv, tree *t, int max)
{
    int n = 0;
    for (int i = 0; i + 1 < argc && n < max; i++) {
        if (strcmp(argv[i], "--tree") != 0)
            continue;
        const char *eq = strchr(argv[i + 1], '=');
        if (!eq) {
            fprintf(stderr, "mb_bench: --tree wants NAME=DIR\n");
            exit(2);
        }
        snprintf(t[n].name, sizeof t[n].name, "%.*s", (int)(eq - argv[i + 1]), argv[i + 1]);
        snprintf(t[n].dir, sizeof t[n].dir, "%s", eq + 1);
        n++;
    }
    return n;
}

/* Every tree is opened first; each round then times, for every tree in a rotating order,
 * a batch of snapshots spread over all its nodes and as many of its node 0 alone, so a
 * burst of load hits every tree alike. Per-round ratios: all / one within a tree, and each
 * tree's per-node cost against the first tree's. */
static int mode_scale(int argc, char **argv)
{
    int rounds = (int)arg_long(argc, argv, "--rounds", 201);
    int batch = (int)arg_long(argc, argv, "--batch", 256); /* snapshots per timed batch */
    tree trees[16];
    int nt = parse_trees(argc, argv, trees, 16);
    if (nt < 1) {
        fprintf(stderr, "mb_bench scale: give at least one --tree NAME=DIR\n");
        return 2;
    }
    mb_context *ctx[16];
    int n[16], passes[16], total[16], ncpu[16];
    mb_snapshot s;
    double *all[16], *one[16], *ratio[16], *vs0[16];
    for (int t = 0; t < nt; t++) {
        ctx[t] = open_context(trees[t].dir);
        n[t] = mb_device_count(ctx[t]);
        if (n[t] < 0)
            die(trees[t].dir, n[t]);
        passes[t] = batch / n[t] > 0 ? batch / n[t] : 1;
        total[t] = passes[t] * n[t];
        ncpu[t] = 0;
        for (int i = 0; i < n[t]; i++) {
            mb_device_info di = MB_DEVICE_INFO_INIT;
            mb_device_get(ctx[t], i, &di);
            ncpu[t] += strcmp(di.backend, "cpu") == 0;
            int rc = mb_snapshot_measure(ctx[t], i, NULL, &s);
            if (rc)
                die("mb_snapshot_measure", rc);
        }
        all[t] = calloc((size_t)rounds, sizeof(double));
        one[t] = calloc((size_t)rounds, sizeof(double));
        ratio[t] = calloc((size_t)rounds, sizeof(double));
        vs0[t] = calloc((size_t)rounds, sizeof(double));
        if (!all[t] || !one[t] || !ratio[t] || !vs0[t])
            return 1;
    }
    for (int r = -2; r < rounds; r++) {
        for (int j = 0; j < 2 * nt; j++) {
            int k = (j + (r < 0 ? 0 : r)) % (2 * nt); /* rotate the order between rounds */
            int t = k / 2;
            double t0 = now_ns();
            if (k % 2 == 0) {
                for (int p = 0; p < passes[t]; p++)
                    for (int i = 0; i < n[t]; i++)
                        if (mb_snapshot_measure(ctx[t], i, NULL, &s))
                            die("mb_snapshot_measure", -1);
                if (r >= 0)
                    all[t][r] = (now_ns() - t0) / total[t];
            } else {
                for (int p = 0; p < total[t]; p++)
                    if (mb_snapshot_measure(ctx[t], 0, NULL, &s))
                        die("mb_snapshot_measure", -1);
                if (r >= 0)
                    one[t][r] = (now_ns() - t0) / total[t];
            }
        }
        if (r < 0)
            continue;
        for (int t = 0; t < nt; t++) {
            ratio[t][r] = all[t][r] / one[t][r];
            vs0[t][r] = all[t][r] / all[0][r];
        }
    }
    printf("{\n  \"rounds\": %d, \"snapshots_per_batch\": %d,\n  \"trees\": [\n", rounds, batch);
    for (int t = 0; t < nt; t++) {
        mb_snapshot_measure(ctx[t], 0, NULL, &s);
        printf("  {\"name\": \"%s\", \"nodes\": %d, \"cpu_devices\": %d, \"source\": \"%s\", "
               "\"flags\": %u,\n",
               trees[t].name, n[t], ncpu[t], mb_source_name(s.source), s.flags);
        print_stat("per_node_all_ns", all[t], rounds, 0);
        print_stat("per_node_one_ns", one[t], rounds, 0);
        print_stat("per_node_vs_first", vs0[t], rounds, 0);
        print_stat("ratio", ratio[t], rounds, 1);
        printf("  }%s\n", t + 1 < nt ? "," : "");
        mb_context_free(ctx[t]);
        free(all[t]);
        free(one[t]);
        free(ratio[t]);
        free(vs0[t]);
    }
    printf("  ]\n}\n");
    return 0;
}

/* ---- a made-up machine ---------------------------------------------------------------- */

static void write_file(const char *dir, const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        fprintf(stderr, "mb_bench: cannot write %s\n", path);
        exit(1);
    }
}

/* A node meminfo with the lines of a Linux 6 kernel's drivers/base/node.c (node_read_meminfo). */
static void node_meminfo(char *buf, size_t size, int node, long long total_kb)
{
    static const char *const keys[] = {
        "MemTotal", "MemFree", "MemUsed", "SwapCached", "Active", "Inactive", "Active(anon)",
        "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable", "Mlocked", "Dirty",
        "Writeback", "FilePages", "Mapped", "AnonPages", "Shmem", "KernelStack", "PageTables",
        "SecPageTables", "NFS_Unstable", "Bounce", "WritebackTmp", "KReclaimable", "Slab",
        "SReclaimable", "SUnreclaim", "AnonHugePages", "ShmemHugePages", "ShmemPmdMapped",
        "FileHugePages", "FilePmdMapped"};
    size_t len = 0;
    long long free_kb = total_kb / 2 + node * 1024;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        long long v = i == 0 ? total_kb : i == 1 ? free_kb : (total_kb / 64) + (long long)i * 97;
        char key[32];
        snprintf(key, sizeof key, "%s:", keys[i]);
        len += (size_t)snprintf(buf + len, size - len, "Node %d %-16s%8lld kB\n", node, key, v);
    }
    static const char *const huge[] = {"HugePages_Total:", "HugePages_Free:",
                                       "HugePages_Surp:"};
    for (int i = 0; i < 3; i++)
        len += (size_t)snprintf(buf + len, size - len, "Node %d %s %5d\n", node, huge[i], 0);
}

static int mode_mktree(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mb_bench mktree DIR NODES\n");
        return 2;
    }
    const char *dir = argv[1];
    int nodes = atoi(argv[2]);
    if (nodes < 1 || nodes > 1024) {
        fprintf(stderr, "mb_bench mktree: NODES must be 1..1024\n");
        return 2;
    }
    mkdir(dir, 0755);
    char list[32];
    snprintf(list, sizeof list, nodes == 1 ? "0\n" : "0-%d\n", nodes - 1);
    write_file(dir, "sys/devices/system/node/online", list);
    write_file(dir, "sys/devices/system/node/possible", list);
    write_file(dir, "sys/devices/system/node/has_cpu", list);
    write_file(dir, "sys/devices/system/node/has_memory", list);
    write_file(dir, "sys/devices/system/node/has_normal_memory", list);
    const long long node_kb = 64LL << 20; /* 64 GiB a node */
    static char buf[8192];
    for (int n = 0; n < nodes; n++) {
        node_meminfo(buf, sizeof buf, n, node_kb);
        char rel[128];
        snprintf(rel, sizeof rel, "sys/devices/system/node/node%d/meminfo", n);
        write_file(dir, rel, buf);
    }
    long long total = node_kb * nodes;
    snprintf(buf, sizeof buf,
             "MemTotal:       %lld kB\nMemFree:        %lld kB\nMemAvailable:   %lld kB\n"
             "Buffers:          123456 kB\nCached:         4567890 kB\n",
             total, total / 2, total / 2 + 1000);
    write_file(dir, "proc/meminfo", buf);
    printf("{\"tree\": \"%s\", \"nodes\": %d}\n", dir, nodes);
    return 0;
}

/* ---- loop: for valgrind and strace differences ---------------------------------------- */

static int mode_loop(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    mb_context *ctx = open_context(argc > 2 ? argv[2] : "/");
    mb_device_info info = MB_DEVICE_INFO_INIT;
    int dev = cpu_device(ctx, &info);
    mb_snapshot s;
    for (long i = 0; i <= n; i++)
        if (mb_snapshot_measure(ctx, dev, NULL, &s))
            die("mb_snapshot_measure", -1);
    mb_context_free(ctx);
    printf("{\"snapshots\": %ld}\n", n + 1);
    return 0;
}

/* ---- trace (mb_bench_trace): allocations and file reads per call ----------------------- */

#ifdef MB_BENCH_TRACE
static void print_counts(const char *name, const mb_count *c, long calls, int last)
{
    printf("  \"%s\": {\"calls\": %ld, \"allocs_per_call\": %.3f, \"frees_per_call\": %.3f, "
           "\"opens_per_call\": %.3f, \"reads_per_call\": %.3f, \"closes_per_call\": %.3f}%s\n",
           name, calls, (double)c->allocs / calls, (double)c->frees / calls,
           (double)c->opens / calls, (double)c->reads / calls, (double)c->closes / calls,
           last ? "" : ",");
}

static int mode_trace(int argc, char **argv)
{
    const long N = 1000;
    const char *floor_out = arg_str(argc, argv, "--floor-out");
    mb_count c;
    mb_snapshot s;
    /* The counter counts: one known allocation. */
    mb_count_start();
    void *volatile probe = malloc(24);
    free(probe);
    mb_count_stop(&c);
    long counter_check = c.allocs;
    /* Context init and probe, live machine. */
    mb_count_start();
    mb_context *ctx = open_context("/");
    mb_device_info info = MB_DEVICE_INFO_INIT;
    int dev = cpu_device(ctx, &info);
    mb_count_stop(&c);
    printf("{\n  \"device\": \"%s\", \"counter_check\": %ld,\n", info.name, counter_check);
    print_counts("init_probe", &c, 1, 0);
    if (mb_snapshot_measure(ctx, dev, NULL, &s))
        die("mb_snapshot_measure", -1);
    /* One snapshot, with its reads recorded: the floor. */
    mb_count_start_log();
    if (mb_snapshot_measure(ctx, dev, NULL, &s))
        die("mb_snapshot_measure", -1);
    mb_count_stop(&c);
    printf("  \"snapshot_reads\": [");
    FILE *fo = floor_out ? fopen(floor_out, "w") : NULL;
    long pos[MB_COUNT_LOG_MAX] = {0}; /* read(): the file position, per log entry's file */
    for (int i = 0; i < c.nlog; i++) {
        mb_count_entry *e = &c.log[i];
        printf("%s{\"op\": \"%s\", \"path\": \"%s\", \"offset\": %ld, \"size\": %zu, "
               "\"got\": %ld}", i ? ", " : "", e->op, e->path, e->offset, e->size, e->got);
        if (!fo)
            continue;
        if (strcmp(e->op, "pread") == 0) {
            fprintf(fo, "%s %ld %zu\n", e->path, e->offset, e->size);
        } else if (strcmp(e->op, "read") == 0) { /* sequential: offset = what came before */
            long off = 0;
            for (int j = 0; j < i; j++)
                if (strcmp(c.log[j].path, e->path) == 0) {
                    if (strcmp(c.log[j].op, "open") == 0)
                        off = 0;
                    else if (strcmp(c.log[j].op, "read") == 0)
                        off = pos[j];
                }
            pos[i] = off + (e->got > 0 ? e->got : 0);
            fprintf(fo, "%s %ld %zu\n", e->path, off, e->size);
        } else if (strcmp(e->op, "fopen") == 0) { /* stdio reads are not seen: one page */
            fprintf(fo, "%s 0 4096\n", e->path);
        }
    }
    printf("],\n");
    if (fo)
        fclose(fo);
    mb_count_start();
    for (long i = 0; i < N; i++)
        if (mb_snapshot_measure(ctx, dev, NULL, &s))
            die("mb_snapshot_measure", -1);
    mb_count_stop(&c);
    print_counts("snapshot", &c, N, 0);
    mb_host_memory h;
    mb_host_memory_get(ctx, &h);
    mb_count_start();
    for (long i = 0; i < N; i++)
        if (mb_host_memory_get(ctx, &h))
            die("mb_host_memory_get", -1);
    mb_count_stop(&c);
    print_counts("host_query", &c, N, 0);
    mb_context_free(ctx);
    /* Sysroots: every node, after a first pass. */
    tree trees[16];
    int nt = parse_trees(argc, argv, trees, 16);
    printf("  \"trees\": [");
    for (int t = 0; t < nt; t++) {
        ctx = open_context(trees[t].dir);
        int n = mb_device_count(ctx);
        if (n < 0)
            die(trees[t].dir, n);
        for (int i = 0; i < n; i++)
            mb_snapshot_measure(ctx, i, NULL, &s);
        mb_count_start();
        long calls = 0;
        for (long p = 0; p < 100; p++)
            for (int i = 0; i < n; i++, calls++)
                if (mb_snapshot_measure(ctx, i, NULL, &s))
                    die("mb_snapshot_measure", -1);
        mb_count_stop(&c);
        printf("%s{\"name\": \"%s\", \"nodes\": %d, \"allocs_per_snapshot\": %.3f, "
               "\"opens_per_snapshot\": %.3f, \"reads_per_snapshot\": %.3f}",
               t ? ", " : "", trees[t].name, n, (double)c.allocs / calls,
               (double)c.opens / calls, (double)c.reads / calls);
        mb_context_free(ctx);
    }
    printf("]\n}\n");
    return 0;
}
#endif

/* ---- CUDA sources on the test-double driver -------------------------------------------- */

#ifdef MB_BENCH_CUDA
/* The names of every entry point the backend resolves (the lists' types are not expanded:
 * only #name is used, so cuda.h is not needed here). */
#include "backends/cuda/cuda_syms.h"
#include "tests/cuda/fake_control.h"

static const char *const cuda_names[] = {
#define MB_BENCH_NAME(ret, name, params, args) #name,
    MB_CUDA_SYMS(MB_BENCH_NAME) MB_NVML_SYMS(MB_BENCH_NAME)
#undef MB_BENCH_NAME
};
#define NCUDA_NAMES ((int)(sizeof cuda_names / sizeof cuda_names[0]))

static void cuda_counts(const fake_control *fc, long *out)
{
    for (int i = 0; i < NCUDA_NAMES; i++)
        out[i] = fc->mbfake_cuda_count(cuda_names[i]);
}

static void print_calls(const char *key, const long *a, const long *b, long n, int last)
{
    long total = 0;
    printf("  \"%s\": {", key);
    int first = 1;
    for (int i = 0; i < NCUDA_NAMES; i++) {
        long d = b[i] - a[i];
        total += d;
        if (d) {
            printf("%s\"%s\": %.3f", first ? "" : ", ", cuda_names[i], (double)d / n);
            first = 0;
        }
    }
    printf("%s\"total\": %.3f}%s\n", first ? "" : ", ", (double)total / n, last ? "" : ",");
}

/* Run with LD_LIBRARY_PATH naming the fake libcuda.so.1 (and libnvidia-ml.so.1 for the
 * NVML source) and MB_FAKE_CUDA naming its scenario. WANT: "current" (the engine's context
 * is current on this thread), "nvml", "primary" (no NVML on the path), "uma". */
static int mode_cuda(int argc, char **argv)
{
    const char *want = argc > 1 ? argv[1] : "nvml";
    const long N = 1000;
    fake_control fc;
    if (fake_control_load(&fc) != 0)
        return 1;
    long *a = calloc(NCUDA_NAMES, sizeof *a), *b = calloc(NCUDA_NAMES, sizeof *b);
    long *c = calloc(NCUDA_NAMES, sizeof *c), *d = calloc(NCUDA_NAMES, sizeof *d);
    if (!a || !b || !c || !d)
        return 1;
    cuda_counts(&fc, a);
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.backends = "cuda";
    mb_context *ctx;
    int rc = mb_context_init(&ctx, &o);
    if (rc)
        die("mb_context_init", rc);
    int dev;
    if ((rc = mb_device_find(ctx, "cuda:0", &dev)))
        die("mb_device_find cuda:0", rc);
    mb_device_info info = MB_DEVICE_INFO_INIT;
    mb_device_get(ctx, dev, &info);
    cuda_counts(&fc, b);
    /* The engine's own context, current on this thread (what cudaSetDevice leaves). */
    if (strcmp(want, "current") == 0 && fc.mbfake_cuda_make_current(0) != 0) {
        fprintf(stderr, "mb_bench cuda: the fake could not make ordinal 0 current\n");
        return 1;
    }
    mb_snapshot s;
    if ((rc = mb_snapshot_measure(ctx, dev, NULL, &s)))
        die("mb_snapshot_measure", rc);
    cuda_counts(&fc, c);
#ifdef MB_BENCH_TRACE
    mb_count k;
    mb_count_start();
    mb_count_attribute("libcuda.so.1", "libnvidia-ml.so.1"); /* the fake's own allocations */
#endif
    double t0 = now_ns();
    for (long i = 0; i < N; i++)
        if ((rc = mb_snapshot_measure(ctx, dev, NULL, &s)))
            die("mb_snapshot_measure", rc);
    double t = now_ns() - t0;
#ifdef MB_BENCH_TRACE
    mb_count_stop(&k);
#endif
    cuda_counts(&fc, d);
    printf("{\n  \"want\": \"%s\", \"device\": \"%s\", \"ops\": \"%s\", \"source\": \"%s\", "
           "\"snapshots\": %ld, \"ns_per_snapshot\": %.6g,\n",
           want, info.name, info.ops, mb_source_name(s.source), N, t / N);
#ifdef MB_BENCH_TRACE
    printf("  \"allocs_per_snapshot\": %.3f, \"driver_allocs_per_snapshot\": %.3f, "
           "\"opens_per_snapshot\": %.3f, \"reads_per_snapshot\": %.3f,\n",
           (double)(k.allocs - k.allocs_attributed) / N, (double)k.allocs_attributed / N,
           (double)k.opens / N, (double)k.reads / N);
#endif
    print_calls("probe", a, b, 1, 0);
    print_calls("first_snapshot", b, c, 1, 0);
    print_calls("per_snapshot", c, d, N, 1);
    printf("}\n");
    mb_context_free(ctx);
    return 0;
}
#endif

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mb_bench snapshot|host-serve|host-values|probe|scale|mktree|loop"
#ifdef MB_BENCH_TRACE
                        "|trace"
#endif
                        " [options] (see bench/mb_bench.c)\n");
        return 2;
    }
    const char *m = argv[1];
    if (strcmp(m, "snapshot") == 0)
        return mode_snapshot(argc - 1, argv + 1);
    if (strcmp(m, "host-serve") == 0)
        return mode_host_serve();
    if (strcmp(m, "probe") == 0)
        return mode_probe(argc - 1, argv + 1);
    if (strcmp(m, "probe-child") == 0) {
        printf("%.0f\n", probe_once(argc > 2 ? argv[2] : NULL));
        return 0;
    }
    if (strcmp(m, "host-values") == 0) {
        mb_context *ctx = open_context("/");
        mb_host_memory h;
        int rc = mb_host_memory_get(ctx, &h);
        if (rc)
            die("mb_host_memory_get", rc);
        printf("%lld %lld\n", (long long)h.total, (long long)h.available);
        mb_context_free(ctx);
        return 0;
    }
    if (strcmp(m, "hwloc-child") == 0) {
        printf("%.0f\n", hwloc_once());
        return 0;
    }
    if (strcmp(m, "scale") == 0)
        return mode_scale(argc - 1, argv + 1);
    if (strcmp(m, "mktree") == 0)
        return mode_mktree(argc - 1, argv + 1);
    if (strcmp(m, "loop") == 0)
        return mode_loop(argc - 1, argv + 1);
#ifdef MB_BENCH_TRACE
    if (strcmp(m, "trace") == 0)
        return mode_trace(argc - 1, argv + 1);
#endif
#ifdef MB_BENCH_CUDA
    if (strcmp(m, "cuda") == 0)
        return mode_cuda(argc - 1, argv + 1);
#endif
    fprintf(stderr, "mb_bench: unknown mode '%s'\n", m);
    return 2;
}
