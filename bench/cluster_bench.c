/* bench/cluster_bench.c: the cost of one agreement (mb_cluster_agree over libmembudget_mpi:
 * encode, the point-to-point exchange with its deadline, decode, reduce) next to one
 * MPI_Allreduce of the same 512 bytes (64 int64, MPI_MIN) and one MPI_Allgather of 512
 * bytes per rank (what the agreement moves). Run under mpirun by bench/cluster.sh.
 *
 *   mpirun -np N mb_cluster_bench [ROUNDS]
 *
 * Each round starts after an MPI_Barrier; a round's time is the slowest rank's. Rank 0
 * prints one JSON line: ranks, rounds, and per operation the median, p10 and p90 in us. */
#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membudget.h"
#include "membudget/mpi.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The slowest rank's time of each round, sorted (rank 0 only). */
static void gather_rounds(double *t, int rounds)
{
    double *worst = malloc((size_t)rounds * sizeof *worst);
    MPI_Reduce(t, worst, rounds, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    memcpy(t, worst, (size_t)rounds * sizeof *t);
    free(worst);
    qsort(t, (size_t)rounds, sizeof *t, cmp);
}

static void print_op(const char *name, const double *t, int rounds, int last)
{
    printf("\"%s\": {\"median_us\": %.2f, \"p10_us\": %.2f, \"p90_us\": %.2f}%s", name,
           t[rounds / 2] * 1e6, t[rounds / 10] * 1e6, t[rounds * 9 / 10] * 1e6,
           last ? "" : ", ");
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    if (rounds < 10)
        rounds = 10;
    mb_mpi *m;
    char why[256];
    if (mb_mpi_init(&m, NULL, NULL, 30, why, sizeof why)) {
        fprintf(stderr, "mb_cluster_bench: %s\n", why);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int rank = mb_mpi_rank(m), n = mb_mpi_world_size(m);
    mb_collective c;
    mb_mpi_collective(m, &c);
    mb_rank_record mine;
    mb_rank_record_init(&mine, rank, n);
    snprintf(mine.host, sizeof mine.host, "bench-%d", rank);
    mb_snapshot s;
    mb_snapshot_what_if((16 + 8 * (int64_t)rank) * MB_GiB, MB_UNKNOWN, &s);
    mb_rank_record_set_snapshot(&mine, &s);
    mine.requested_memory = s.total_memory * 9 / 10;
    mine.non_kv_memory = mine.cudagraph_memory = 0;
    mine.available_kv_cache_memory = mine.requested_memory;
    mine.block_bytes = 2 * MB_MiB;
    mine.num_blocks = mine.available_kv_cache_memory / mine.block_bytes;
    mine.startup_ok = mine.fits = 1;
    mine.what |= MB_RECORD_PLAN;

    double *agree = malloc((size_t)rounds * sizeof *agree);
    double *allreduce = malloc((size_t)rounds * sizeof *allreduce);
    double *allgather = malloc((size_t)rounds * sizeof *allgather);
    int64_t in[MB_RECORD_BYTES / 8], out[MB_RECORD_BYTES / 8];
    unsigned char send[MB_RECORD_BYTES], *recv = malloc((size_t)n * MB_RECORD_BYTES);
    for (int i = 0; i < MB_RECORD_BYTES / 8; i++)
        in[i] = rank * 1000 + i;
    memset(send, rank, sizeof send);
    int bad = 0;
    for (int warm = 1; warm >= 0; warm--) { /* one untimed pass first */
        int k = warm ? 10 : rounds;
        for (int r = 0; r < k; r++) {
            mb_agreement a;
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            int rc = mb_cluster_agree(&c, &mine, NULL, 0, &a);
            double t1 = MPI_Wtime();
            bad |= rc != MB_OK || a.limiting_rank != 0;
            MPI_Barrier(MPI_COMM_WORLD);
            double t2 = MPI_Wtime();
            MPI_Allreduce(in, out, MB_RECORD_BYTES / 8, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
            double t3 = MPI_Wtime();
            MPI_Barrier(MPI_COMM_WORLD);
            double t4 = MPI_Wtime();
            MPI_Allgather(send, MB_RECORD_BYTES, MPI_BYTE, recv, MB_RECORD_BYTES, MPI_BYTE,
                          MPI_COMM_WORLD);
            double t5 = MPI_Wtime();
            if (!warm) {
                agree[r] = t1 - t0;
                allreduce[r] = t3 - t2;
                allgather[r] = t5 - t4;
            }
        }
    }
    gather_rounds(agree, rounds);
    gather_rounds(allreduce, rounds);
    gather_rounds(allgather, rounds);
    int any_bad = 0;
    MPI_Reduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("{\"ranks\": %d, \"rounds\": %d, \"record_bytes\": %d, \"agreed\": %s, ", n,
               rounds, MB_RECORD_BYTES, any_bad ? "false" : "true");
        print_op("agreement", agree, rounds, 0);
        print_op("allreduce", allreduce, rounds, 0);
        print_op("allgather", allgather, rounds, 1);
        printf("}\n");
    }
    free(agree);
    free(allreduce);
    free(allgather);
    free(recv);
    mb_mpi_free(m);
    MPI_Finalize();
    return any_bad;
}
