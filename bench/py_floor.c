/*
 * bench/py_floor.c: the C calls under the Python package's MemorySnapshot() and
 * get_cpu_memory(), timed natively (no Python), for bench/python_bench.py: the binding's
 * overhead is the Python call's time less this. Built by bench/python_bench.py against the
 * library and headers the installed wheel carries.
 *
 *   py_floor ROUNDS BATCH    prints {"snapshot_ns": [...], "host_total_ns": [...]}
 *                            (per-call ns of each round)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <membudget.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 101;
    int batch = argc > 2 ? atoi(argv[2]) : 200;
    mb_context *ctx;
    if (rounds < 1 || batch < 1 || mb_context_init(&ctx, NULL) < 0 || mb_context_probe(ctx) < 0) {
        fprintf(stderr, "py_floor: %s\n", mb_error_detail());
        return 1;
    }
    double *snap = calloc((size_t)rounds, sizeof *snap);
    double *host = calloc((size_t)rounds, sizeof *host);
    if (!snap || !host)
        return 1;
    mb_snapshot s;
    int64_t total;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) { /* alternate which goes first */
            int which = (r + k) % 2;
            double t0 = now_ns();
            for (int i = 0; i < batch; i++) {
                int rc = which ? mb_host_memory_total(ctx, &total)
                               : mb_snapshot_measure(ctx, 0, NULL, &s);
                if (rc < 0) {
                    fprintf(stderr, "py_floor: %s\n", mb_error_detail());
                    return 1;
                }
            }
            (which ? host : snap)[r] = (now_ns() - t0) / batch;
        }
    }
    printf("{\"snapshot_ns\": [");
    for (int r = 0; r < rounds; r++)
        printf("%s%.1f", r ? ", " : "", snap[r]);
    printf("], \"host_total_ns\": [");
    for (int r = 0; r < rounds; r++)
        printf("%s%.1f", r ? ", " : "", host[r]);
    printf("]}\n");
    free(snap);
    free(host);
    mb_context_free(ctx);
    return 0;
}
