/* tests/mpi/mpi_rounds.c: the adapter over a caller's communicator, run as
 * `mpirun -np 2 mpi_rounds`. Rank 1 comes 1.5 s late to the first agreement, whose 0.5 s
 * deadline rank 0 gives up on; both then make a second agreement. Rank 0 must get rank 1's
 * record of the second round (its free memory says the round), never the late one of the
 * first; and mb_mpi_free must give the communicator its own error handler back. Prints
 * "ok" and exits 0, or says what went wrong and exits 1. */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <time.h>

#include "membudget.h"
#include "membudget/mpi.h"

static int agree(mb_mpi *m, int rank, int round, mb_rank_record *all, mb_agreement *ag)
{
    mb_rank_record mine;
    mb_snapshot s;
    mb_rank_record_init(&mine, rank, 2);
    /* free memory = (round + 1) GiB: which round a record came from */
    mb_snapshot_what_if(16 * MB_GiB, (int64_t)(round + 1) * MB_GiB, &s);
    mb_rank_record_set_snapshot(&mine, &s);
    mb_collective c;
    mb_mpi_collective(m, &c);
    c.timeout_s = rank == 0 && round == 0 ? 0.5 : 10;
    return mb_cluster_agree(&c, &mine, all, 2, ag);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, bad = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm comm;
    MPI_Comm_dup(MPI_COMM_WORLD, &comm); /* fatal errors by default */
    mb_mpi *m = NULL;
    char why[256] = "";
    if (mb_mpi_init_comm(&m, comm, 10, why, sizeof why)) {
        printf("rank %d: mb_mpi_init_comm: %s\n", rank, why);
        return 1;
    }
    mb_rank_record all[2];
    mb_agreement ag;
    if (rank == 1) {
        struct timespec t = {1, 500000000L};
        nanosleep(&t, NULL);
    }
    int rc = agree(m, rank, 0, all, &ag);
    if (rank == 0 && rc != MB_ETIMEOUT) {
        printf("rank 0: the first agreement gave %d, not a timeout\n", rc);
        bad = 1;
    }
    if (rank == 1) { /* rank 0's record of round 0 was there already */
        struct timespec t = {0, 200000000L};
        nanosleep(&t, NULL);
    }
    rc = agree(m, rank, 1, all, &ag);
    if (rc) {
        printf("rank %d: the second agreement gave %d: %s\n", rank, rc, mb_error_detail());
        bad = 1;
    } else if (all[1 - rank].snapshot.free_memory != 2 * MB_GiB) {
        printf("rank %d: the second agreement took rank %d's record of round %lld\n", rank,
               1 - rank, (long long)(all[1 - rank].snapshot.free_memory / MB_GiB - 1));
        bad = 1;
    }
    mb_mpi_free(m);
    MPI_Errhandler h;
    MPI_Comm_get_errhandler(comm, &h);
    if (h != MPI_ERRORS_ARE_FATAL) {
        printf("rank %d: the communicator's error handler was not given back\n", rank);
        bad = 1;
    }
    MPI_Errhandler_free(&h);
    if (!bad)
        printf("ok\n");
    MPI_Comm_free(&comm);
    MPI_Finalize();
    return bad;
}
