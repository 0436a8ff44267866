/* tools/cmd_watch.c: `membudget watch [--interval S] [--json] ...`: a stream, one line
 * per record (JSON lines with --json): a "start" record (the pressure mode and why), a
 * "snapshot" of every device each interval, a "pressure" record per PSI event, and with
 * --processes a "processes" record when the set of PIDs on a device changes. Runs until
 * SIGINT or SIGTERM (exit 0), or until stdout goes away (SIGPIPE is ignored and EPIPE
 * ends the stream, exit 0), or after --count records. Between records it sleeps in the
 * kernel: with PSI triggers nothing wakes it but the interval and the triggers. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "membudget/operators.h"

int cmd_watch(int argc, char **argv);

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

typedef struct watch_state {
    mb_context *ctx;
    int json;
    long records, count;
    int broken; /* stdout went away */
    int with_procs;
    /* the PIDs per device at the last look, for "processes" records */
    int ndev;
    long long **pids;
    int *npids;
} watch_state;

/* Prints one record; 1 when the stream must end (EPIPE or --count reached). */
static int emit(watch_state *w, cJSON *o, const char *text)
{
    int ok;
    if (w->json) {
        cli_json_clean(o);
        char *s = cJSON_PrintUnformatted(o);
        ok = s && puts(s) >= 0;
        free(s);
    } else {
        ok = fputs(text, stdout) >= 0;
    }
    cJSON_Delete(o);
    if (!ok || fflush(stdout) != 0) {
        w->broken = 1;
        return 1;
    }
    w->records++;
    return w->count > 0 && w->records >= w->count;
}

static int snapshot(watch_state *w)
{
    int n = mb_device_count(w->ctx);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "snapshot");
    cJSON_AddNumberToObject(o, "timestamp", (double)time(NULL));
    cJSON *arr = cJSON_AddArrayToObject(o, "devices");
    char text[4096] = "";
    size_t tl = 0;
    for (int i = 0; i < n; i++) {
        mb_snapshot s;
        int rc = mb_snapshot_measure(w->ctx, i, NULL, &s);
        if (rc) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "index", i);
            cJSON_AddStringToObject(e, "error", cli_detail());
            cJSON_AddItemToArray(arr, e);
            tl += (size_t)snprintf(text + tl, sizeof text - tl > 0 ? sizeof text - tl : 0,
                                   "snapshot device %d: %s\n", i, cli_detail());
        } else {
            cJSON_AddItemToArray(arr, cli_snapshot_json(&s));
            char f[32], t[32];
            tl += (size_t)snprintf(text + tl, tl < sizeof text ? sizeof text - tl : 0,
                                   "snapshot %s free %s of %s (%s)\n", s.device,
                                   cli_gib(s.free_memory, f, sizeof f),
                                   cli_gib(s.total_memory, t, sizeof t),
                                   mb_source_name(s.source));
        }
        if (tl >= sizeof text)
            tl = sizeof text - 1;
    }
    return emit(w, o, text);
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static int processes(watch_state *w)
{
    mb_process_list *l;
    if (mb_process_list_init(&l, w->ctx, -1) != MB_OK)
        return 0;
    int rc = 0;
    for (int d = 0; d < w->ndev && !rc; d++) {
        mb_device_info info = MB_DEVICE_INFO_INIT;
        if (mb_device_get(w->ctx, d, &info))
            continue;
        int cnt = 0, m = mb_process_list_count(l);
        long long *now = calloc((size_t)(m ? m : 1), sizeof *now);
        if (!now)
            break;
        for (int k = 0; k < m; k++) {
            const mb_process *p = mb_process_list_get_entry(l, k);
            if (strcmp(p->device, info.name) == 0 && p->bytes != MB_UNKNOWN)
                now[cnt++] = p->source_pid;
        }
        qsort(now, (size_t)cnt, sizeof *now, cmp_ll);
        int uniq = 0;
        for (int k = 0; k < cnt; k++)
            if (!uniq || now[uniq - 1] != now[k])
                now[uniq++] = now[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "processes");
        cJSON_AddNumberToObject(o, "timestamp", (double)time(NULL));
        cJSON_AddStringToObject(o, "device", info.name);
        cJSON *add = cJSON_AddArrayToObject(o, "started");
        cJSON *gone = cJSON_AddArrayToObject(o, "ended");
        int changes = 0;
        char text[512];
        int a = 0, b = 0;
        long long *old = w->pids[d];
        int nold = w->npids[d];
        while (a < uniq || b < nold) {
            if (b >= nold || (a < uniq && now[a] < old[b])) {
                cJSON_AddItemToArray(add, cJSON_CreateNumber((double)now[a++]));
                changes++;
            } else if (a >= uniq || old[b] < now[a]) {
                cJSON_AddItemToArray(gone, cJSON_CreateNumber((double)old[b++]));
                changes++;
            } else {
                a++, b++;
            }
        }
        free(w->pids[d]);
        w->pids[d] = now;
        w->npids[d] = uniq;
        if (!changes) {
            cJSON_Delete(o);
            continue;
        }
        snprintf(text, sizeof text, "processes %s: %d now, %d changed\n", info.name, uniq,
                 changes);
        rc = emit(w, o, text);
    }
    mb_process_list_free(l);
    return rc;
}

static int on_event(void *user, const mb_pressure_event *ev)
{
    watch_state *w = user;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "pressure");
    cJSON_AddNumberToObject(o, "timestamp", ev->timestamp);
    cJSON_AddStringToObject(o, "kind", ev->kind);
    if (ev->some_avg10 >= 0)
        cJSON_AddNumberToObject(o, "some_avg10", ev->some_avg10);
    if (ev->full_avg10 >= 0)
        cJSON_AddNumberToObject(o, "full_avg10", ev->full_avg10);
    cli_json_bytes(o, "host_available", ev->host_available);
    cli_json_bytes(o, "host_total", ev->host_total);
    if (ev->injected)
        cJSON_AddBoolToObject(o, "injected", 1);
    char text[256];
    snprintf(text, sizeof text, "pressure %s: some avg10 %.2f%%, full avg10 %.2f%%\n",
             ev->kind, ev->some_avg10, ev->full_avg10);
    return emit(w, o, text);
}

int cmd_watch(int argc, char **argv)
{
    double interval = 10;
    int json = 0;
    long count = 0;
    int with_procs = 0;
    mb_pressure_watch_options o;
    mb_pressure_watch_options_init(&o, sizeof o);
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--processes") == 0)
            with_procs = 1;
        else if (strcmp(argv[i], "--poll") == 0)
            o.force_poll = 1;
        else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
            interval = strtod(argv[++i], &end);
            if (*end || !(interval >= 0.05 && interval <= 86400))
                return cli_usage("watch", "--interval '%s': give seconds in 0.05 .. 86400",
                                 argv[i]);
        } else if (strcmp(argv[i], "--poll-interval") == 0 && i + 1 < argc) {
            o.poll_interval = strtod(argv[++i], &end);
            if (*end || !(o.poll_interval >= 0.05 && o.poll_interval <= 3600))
                return cli_usage("watch", "--poll-interval '%s': give seconds in 0.05 .. "
                                 "3600", argv[i]);
        } else if ((strcmp(argv[i], "--some-ms") == 0 || strcmp(argv[i], "--full-ms") == 0 ||
                    strcmp(argv[i], "--window-ms") == 0) && i + 1 < argc) {
            const char *opt = argv[i];
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 10000)
                return cli_usage("watch", "%s '%s': give milliseconds in 0 .. 10000", opt,
                                 argv[i]);
            int64_t us = (int64_t)v * 1000;
            if (opt[2] == 's')
                o.some_us = us;
            else if (opt[2] == 'f')
                o.full_us = us;
            else
                o.window_us = us;
        } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            count = strtol(argv[++i], &end, 10);
            if (*end || count < 1)
                return cli_usage("watch", "--count '%s': give a whole number >= 1", argv[i]);
        } else
            return cli_usage("watch", "unknown or incomplete option '%s'", argv[i]);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the wait returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int rc;
    mb_pressure_watch *pw;
    if ((rc = mb_pressure_watch_init(&pw, ctx, &o))) {
        mb_context_free(ctx);
        return cli_fail_rc(rc, "watch");
    }
    watch_state w = {ctx, json, 0, count, 0, with_procs, 0, NULL, NULL};
    if (with_procs) {
        w.ndev = mb_device_count(ctx);
        if (w.ndev < 0)
            w.ndev = 0;
        w.pids = calloc((size_t)(w.ndev ? w.ndev : 1), sizeof *w.pids);
        w.npids = calloc((size_t)(w.ndev ? w.ndev : 1), sizeof *w.npids);
        if (!w.pids || !w.npids) {
            free(w.pids), free(w.npids);
            mb_pressure_watch_free(pw);
            mb_context_free(ctx);
            return cli_fail("out of memory");
        }
    }
    cJSON *start = cJSON_CreateObject();
    cJSON_AddStringToObject(start, "type", "start");
    cJSON_AddNumberToObject(start, "timestamp", (double)time(NULL));
    cJSON_AddStringToObject(start, "mode", mb_pressure_watch_mode_name(mb_pressure_watch_get_mode(pw)));
    cJSON_AddStringToObject(start, "path", mb_pressure_watch_get_path(pw));
    cJSON_AddStringToObject(start, "reason", mb_pressure_watch_get_reason(pw));
    cJSON_AddNumberToObject(start, "interval", interval);
    char text[1024];
    snprintf(text, sizeof text, "watching %s (%s: %s), a snapshot every %g s\n",
             mb_pressure_watch_get_path(pw), mb_pressure_watch_mode_name(mb_pressure_watch_get_mode(pw)),
             mb_pressure_watch_get_reason(pw), interval);
    int done = emit(&w, start, text);
    int failed = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double next = 0; /* the first snapshot at once */
    while (!done && !stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double now = (double)(ts.tv_sec - t0.tv_sec) + (double)(ts.tv_nsec - t0.tv_nsec) / 1e9;
        if (now >= next) {
            done = snapshot(&w) || (with_procs && processes(&w));
            next = now + interval;
            continue;
        }
        int n = mb_pressure_watch_wait(pw, next - now, on_event, &w);
        if (n < 0) {
            failed = cli_fail_rc(n, "watch");
            break;
        }
        if (w.broken || (w.count > 0 && w.records >= w.count))
            done = 1;
    }
    for (int d = 0; d < w.ndev && w.pids; d++)
        free(w.pids[d]);
    free(w.pids);
    free(w.npids);
    mb_pressure_watch_free(pw);
    mb_context_free(ctx);
    return failed ? failed : CLI_OK;
}
