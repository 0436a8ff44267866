/* tests/mpi/mpi_quitter.c: a rank that never takes part in the agreement, as an engine rank
 * that failed early does: `mpi_quitter` joins MPI and finalizes at once (with Open MPI it
 * then waits inside MPI_Finalize for the others: the others must time out and name it);
 * `mpi_quitter --hang` joins MPI and sleeps (a rank stuck elsewhere: the same); and
 * `mpi_quitter --crash` exits with status 3 without finalizing (mpirun must end the job). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    if (argc > 1 && strcmp(argv[1], "--crash") == 0)
        exit(3);
    if (argc > 1 && strcmp(argv[1], "--hang") == 0) {
        struct timespec t = {600, 0};
        nanosleep(&t, NULL);
    }
    MPI_Finalize();
    return 0;
}
